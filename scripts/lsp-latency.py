"""Times `backlint lsp` on a real workspace: the index build, and how long diagnostics take to
be published after a document is opened and after a change (past the debounce delay).

    target/tools/pytest-lsp/bin/python scripts/lsp-latency.py BACKLINT WORKSPACE FILE [N]

(`scripts/ensure-pytest-lsp.sh` installs that python.) FILE is relative to WORKSPACE.
"""

import asyncio
import pathlib
import statistics
import sys
import time

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client


async def main(backlint, workspace, name, rounds):
    workspace = pathlib.Path(workspace).resolve()
    doc = (workspace / name).as_uri()
    text = (workspace / name).read_text()
    client: LanguageClient = make_test_lsp_client()

    async def until(check):
        while not check():
            await asyncio.sleep(0.002)

    await client.start_io(backlint, "lsp")
    start = time.perf_counter()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),
            root_uri=workspace.as_uri(),
            initialization_options={"debounceMs": 0},
        )
    )
    await until(lambda: any(m.message.startswith("indexed") for m in client.log_messages))
    print([m.message for m in client.log_messages if m.message.startswith("indexed")][0])
    print(f"index ready {time.perf_counter() - start:.2f} s after initialize")
    start = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=doc, language_id="python", version=1, text=text
            )
        )
    )
    await until(lambda: doc in client.diagnostics)
    print(f"didOpen -> diagnostics {1000 * (time.perf_counter() - start):.0f} ms")
    times = []
    for i in range(rounds):
        client.diagnostics.pop(doc, None)
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=i + 2),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(text=text + f"\n# {i}\n")
                ],
            )
        )
        await until(lambda: doc in client.diagnostics)
        times.append(1000 * (time.perf_counter() - start))
    print(
        f"didChange -> diagnostics (debounce 0) over {rounds}: median {statistics.median(times):.0f} ms, "
        f"max {max(times):.0f} ms; the editor's delay adds the 300 ms debounce"
    )
    print(f"{len(client.diagnostics[doc])} diagnostics")
    await client.shutdown_session()
    await client.stop()


if __name__ == "__main__":
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], rounds))
