"""End-to-end tests of `backlint lsp`, driven over stdio by pytest-lsp's client.

Run by tests/lsp.rs (`cargo test --release --test lsp`), which installs pytest-lsp and sets
BACKLINT to the binary under test. Each test writes a small workspace into a temporary folder.
"""

import asyncio
import os
import pathlib
import textwrap

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

BACKLINT = os.environ["BACKLINT"]

PY_CLIENT = """\
import requests


def fetch(url):
    return requests.get(url)
"""

TS_CLIENT = """\
import axios from "axios";

export async function load(url: string) {
  return axios.get(url);
}
"""

RS_CLIENT = """\
pub async fn load(url: &str) -> reqwest::Result<String> {
    reqwest::get(url).await?.text().await
}
"""

HELPERS = """\
from app.models import Order


def get_orders(user):
    return list(Order.objects.filter(user=user))
"""

VIEWS = """\
from app.helpers import get_orders


def report(users):
    for user in users:
        get_orders(user)
"""


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    files = {
        "app/__init__.py": "",
        "app/client.py": PY_CLIENT,
        "app/helpers.py": HELPERS,
        "app/views.py": VIEWS,
        "src/client.ts": TS_CLIENT,
        "src/client.rs": RS_CLIENT,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


async def start(lsp_client: LanguageClient, workspace, options=None, root=True):
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        lsp_client.registrations.extend(params.registrations)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri() if root else None,
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")]
            if root
            else None,
            initialization_options=options,
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BACKLINT, "lsp"]))
async def client(lsp_client: LanguageClient, workspace):
    await start(lsp_client, workspace)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BACKLINT, "lsp"]))
async def lone_client(lsp_client: LanguageClient, workspace):
    """A client with no workspace folder (one file opened)."""
    await start(lsp_client, workspace, root=False)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BACKLINT, "lsp"]))
async def slow_client(lsp_client: LanguageClient, workspace):
    """A server that waits 60 s after a change before it lints."""
    await start(lsp_client, workspace, {"debounceMs": 60000})
    yield
    await lsp_client.shutdown_session()


def uri(workspace: pathlib.Path, name: str) -> str:
    return (workspace / name).as_uri()


def open_doc(client: LanguageClient, workspace, name, text=None, language="python"):
    text = (workspace / name).read_text() if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(workspace, name), language_id=language, version=1, text=text
            )
        )
    )
    return uri(workspace, name)


def change(client: LanguageClient, doc: str, version: int, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics(client: LanguageClient, doc: str, want, timeout=20.0):
    """Waits until the diagnostics published for `doc` satisfy `want`; returns them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = client.diagnostics.get(doc)
        got = None if got is None else list(got)
        if got is not None and want(got):
            return got
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"diagnostics for {doc}: {got!r}")
        await asyncio.sleep(0.05)


def rules(diags):
    return [d.code for d in diags]


@pytest.mark.asyncio
async def test_diagnostics_in_python_typescript_and_rust(client: LanguageClient, workspace):
    cases = [
        ("app/client.py", "python", 4),
        ("src/client.ts", "typescript", 3),
        ("src/client.rs", "rust", 1),
    ]
    for name, language, line in cases:
        doc = open_doc(client, workspace, name, language=language)
        [d] = await diagnostics(client, doc, lambda ds: len(ds) > 0)
        assert d.code == "missing-timeout", name
        assert d.source == "backlint"
        assert d.severity == types.DiagnosticSeverity.Warning
        assert d.range.start.line == line, name
        assert "without" in d.message or "no timeout" in d.message, d.message
        href = d.code_description.href
        assert href.startswith("file://") and href.endswith("/rules/missing-timeout.md"), href
        assert pathlib.Path(href.removeprefix("file://")).is_file(), href
    # the server asked to hear of changes to config and source files on disk
    [watch] = client.registrations
    assert watch.method == "workspace/didChangeWatchedFiles"
    globs = [w["globPattern"] for w in watch.register_options["watchers"]]
    assert "**/backlint.toml" in globs and "**/pyproject.toml" in globs, globs


@pytest.mark.asyncio
async def test_unsaved_changes_are_linted(client: LanguageClient, workspace):
    doc = open_doc(client, workspace, "app/client.py")
    await diagnostics(client, doc, lambda ds: rules(ds) == ["missing-timeout"])
    fixed = PY_CLIENT.replace("get(url)", "get(url, timeout=5)")
    change(client, doc, 2, fixed)
    await diagnostics(client, doc, lambda ds: ds == [])
    # the file on disk still has the finding: the buffer was linted
    assert (workspace / "app/client.py").read_text() == PY_CLIENT
    broken = fixed + "\n\ndef again(url):\n    return requests.post(url)\n"
    change(client, doc, 3, broken)
    ds = await diagnostics(client, doc, lambda ds: len(ds) == 1)
    assert ds[0].range.start.line == 8


@pytest.mark.asyncio
async def test_changes_wait_for_the_debounce_and_save_lints_at_once(
    slow_client: LanguageClient, workspace
):
    client = slow_client
    doc = open_doc(client, workspace, "app/client.py")
    await diagnostics(client, doc, lambda ds: len(ds) == 1)
    fixed = PY_CLIENT.replace("get(url)", "get(url, timeout=5)")
    change(client, doc, 2, fixed)
    await asyncio.sleep(1.5)
    assert len(client.diagnostics[doc]) == 1, "linted before the debounce delay"
    (workspace / "app/client.py").write_text(fixed)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc))
    )
    await diagnostics(client, doc, lambda ds: ds == [], timeout=20)


@pytest.mark.asyncio
async def test_config_changes_apply_without_restart(client: LanguageClient, workspace):
    doc = open_doc(client, workspace, "app/client.py")
    await diagnostics(client, doc, lambda ds: len(ds) == 1)
    config = workspace / "backlint.toml"
    config.write_text('ignore = ["missing-timeout"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await diagnostics(client, doc, lambda ds: ds == [])
    # saving the config in the editor counts too
    config.write_text("ignore = []\n")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config.as_uri()))
    )
    await diagnostics(client, doc, lambda ds: len(ds) == 1)


@pytest.mark.asyncio
async def test_code_action_inserts_a_suppression(client: LanguageClient, workspace):
    for name, text, language, want in [
        ("app/client.py", PY_CLIENT, "python", "    # backlint: ignore[missing-timeout] <reason>\n"),
        ("src/client.ts", TS_CLIENT, "typescript", "  // backlint: ignore[missing-timeout] <reason>\n"),
        ("src/client.rs", RS_CLIENT, "rust", "    // backlint: ignore[missing-timeout] <reason>\n"),
    ]:
        doc = open_doc(client, workspace, name, language=language)
        [d] = await diagnostics(client, doc, lambda ds: len(ds) == 1)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
        [action] = [a for a in actions if a.title.startswith("Suppress")]
        assert action.title == "Suppress missing-timeout on this line"
        assert action.kind == types.CodeActionKind.QuickFix
        [edit] = action.edit.changes[doc]
        assert edit.new_text == want, name
        assert (edit.range.start.line, edit.range.start.character) == (d.range.start.line, 0)
        assert edit.range.end == edit.range.start
        # applied, the comment silences the finding and is not itself reported as unused
        lines = text.splitlines(keepends=True)
        lines.insert(edit.range.start.line, edit.new_text)
        change(client, doc, 2, "".join(lines))
        await diagnostics(client, doc, lambda ds: ds == [])


def apply_edits(text: str, edits) -> str:
    """Applies LSP text edits (UTF-16 columns) the way an editor does, last first."""
    lines = text.splitlines(keepends=True)

    def offset(pos):
        start = sum(len(line) for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return start + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return start + len(line)

    spans = [(offset(e.range.start), offset(e.range.end), e.new_text) for e in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


@pytest.mark.asyncio
async def test_quickfix_applies_the_rules_fix(client: LanguageClient, workspace):
    cases = [
        # an unsafe fix (it picks a timeout): offered, not preferred; `𝄞` is two UTF-16 units
        (
            "app/client.py",
            PY_CLIENT.replace("    return", '    s = "\U0001d11e"; return'),
            "python",
            "Add `timeout=10`",
            "requests.get(url, timeout=10)",
        ),
        ("src/client.ts", TS_CLIENT, "typescript", "Add `timeout: 10_000`", "axios.get(url, { timeout: 10_000 })"),
        # a safe fix: preferred
        (
            "app/old.py",
            "x = 1  # backlint: ignore[sql-injection] reviewed\n",
            "python",
            "Remove the unused suppression",
            "x = 1\n",
        ),
    ]
    for name, text, language, title, want in cases:
        doc = open_doc(client, workspace, name, text=text, language=language)
        [d] = await diagnostics(client, doc, lambda ds: len(ds) == 1)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
        fix, *rest = actions
        assert fix.title == title, [a.title for a in actions]
        assert fix.kind == types.CodeActionKind.QuickFix
        safe = title.startswith("Remove")
        assert bool(fix.is_preferred) == safe, fix
        assert all(a.title.startswith("Suppress") for a in rest), [a.title for a in actions]
        fixed = apply_edits(text, fix.edit.changes[doc])
        assert want in fixed, fixed
        # applied, the finding is gone
        change(client, doc, 2, fixed)
        await diagnostics(client, doc, lambda ds: ds == [])
        # and a stale document gets no fix: the edits were for the text before
        change(client, doc, 3, text)
        change(client, doc, 4, text + "\n")
        stale = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
        assert all(not a.title.startswith(("Add", "Remove")) for a in stale or []), stale


@pytest.mark.asyncio
async def test_cross_file_finding_comes_from_the_workspace_index(client: LanguageClient, workspace):
    # only views.py is open: that get_orders queries is known from helpers.py on disk
    views = open_doc(client, workspace, "app/views.py")
    [d] = await diagnostics(client, views, lambda ds: len(ds) == 1)
    assert d.code == "n-plus-one-query"
    assert "Order.objects.filter" in d.message
    related = [(r.location.uri, r.location.range.start.line) for r in d.related_information]
    assert (uri(workspace, "app/helpers.py"), 4) in related, related
    # an unsaved edit of the helper updates the index: the finding in views.py goes away
    helpers = open_doc(client, workspace, "app/helpers.py")
    change(client, helpers, 2, "def get_orders(user):\n    return []\n")
    await diagnostics(client, views, lambda ds: ds == [])
    # and a project-wide setting in a file that is not open (axios.defaults.timeout)
    ts = open_doc(client, workspace, "src/client.ts", language="typescript")
    await diagnostics(client, ts, lambda ds: len(ds) == 1)
    setup = workspace / "src/setup.ts"
    setup.write_text('import axios from "axios";\n\naxios.defaults.timeout = 5000;\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=setup.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await diagnostics(client, ts, lambda ds: ds == [])


@pytest.mark.asyncio
async def test_malformed_documents_do_not_kill_the_server(client: LanguageClient, workspace):
    bad = {
        "app/broken.py": ("python", "def f(:\n    return requests.get(\x00\ud7ff\n" + "(" * 5000),
        "src/broken.rs": ("rust", "fn main( { let = ; }}}\n\x00"),
        "src/broken.ts": ("typescript", "export const x = <<<>>> `${" + "{" * 3000),
        "notes.txt": ("plaintext", "just text"),
        "data.bin.py": ("python", "\x00\x01\x02" * 1000),
    }
    for name, (language, text) in bad.items():
        open_doc(client, workspace, name, text=text, language=language)
    # an incremental change past the end of the document
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=uri(workspace, "app/broken.py"), version=2
            ),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=900, character=3),
                        end=types.Position(line=901, character=0),
                    ),
                    text="x",
                )
            ],
        )
    )
    # notifications whose parameters do not parse
    for method, params in [
        (types.TEXT_DOCUMENT_DID_OPEN, {"textDocument": {"uri": 5}}),
        (types.TEXT_DOCUMENT_DID_CHANGE, {"contentChanges": "x"}),
    ]:
        client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})
    # the server still answers and lints
    doc = open_doc(client, workspace, "app/client.py")
    await diagnostics(client, doc, lambda ds: rules(ds) == ["missing-timeout"])
    assert client.diagnostics.get(uri(workspace, "notes.txt")) is None


@pytest.mark.asyncio
async def test_without_a_workspace_files_are_linted_alone(lone_client: LanguageClient, workspace):
    # the configuration is found from the file's folder, as `backlint check FILE` finds it
    (workspace / "backlint.toml").write_text('[rules.missing-timeout]\nseverity = "error"\n')
    doc = open_doc(lone_client, workspace, "app/client.py")
    [d] = await diagnostics(lone_client, doc, lambda ds: len(ds) == 1)
    assert d.code == "missing-timeout"
    assert d.severity == types.DiagnosticSeverity.Error


@pytest.mark.asyncio
async def test_shutdown_then_exit_ends_with_code_0(client: LanguageClient, workspace):
    await client.shutdown_async(None)
    client.exit(None)
    code = await asyncio.wait_for(client._server.wait(), 10)
    assert code == 0
    # the fixture's own shutdown must not run again
    client.capabilities = None
