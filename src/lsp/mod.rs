//! `backlint lsp`: a language server over stdio (`lsp-server` + `lsp-types`).
//!
//! The main thread owns the open documents and talks to the client; one worker thread owns the
//! project's facts ([`ProjectFacts`]) and lints. Once initialized, the configuration is found as
//! `backlint check <workspace root>` finds it, and the workspace's facts are collected on a
//! background thread; documents are linted once they are in. A document is linted on open and
//! save at once, and 300 ms after its last change, on the editor's unsaved text, against the
//! facts of every other file (so cross-file findings and project-wide settings are right); its
//! own facts then replace those read from disk, and when they changed the other open documents
//! are linted again. Files changed on disk and config files (`backlint.toml`,
//! `.backlint.toml`, `pyproject.toml`) are watched (or saved in the editor): a config change
//! re-reads the configuration and collects the facts again. Files outside the workspace (or
//! all files, when the editor opened no folder) are linted on their own. A message that does
//! not parse is logged; a panic while linting a document is caught, logged and costs that
//! document's diagnostics only. Code actions: the finding's fix (its edits travel in the
//! published diagnostic's `data`; `isPreferred` when it is safe), offered while the document is
//! the version those diagnostics were made from, and a suppression comment on the line above.

mod convert;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification as note, request as req};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, FileSystemWatcher, GlobPattern,
    InitializeParams, LogMessageParams, MessageType, PublishDiagnosticsParams, Registration,
    RegistrationParams, ServerCapabilities, ServerInfo, ShowMessageParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri, WorkspaceEdit,
};

use crate::config::{load, Config};
use crate::engine::{self, ProjectFacts};

pub use convert::{apply_change, comment_of, diagnostic, suppression_edit};

/// How long a document must stay unchanged before it is linted again (initialization option
/// `debounceMs`).
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Runs the server on stdin/stdout until the client says `exit`; returns the exit code (0 after
/// `shutdown`, 1 otherwise, as the protocol asks).
pub fn run() -> anyhow::Result<i32> {
    let (conn, io) = Connection::stdio();
    let code = serve(&conn)?;
    drop(conn);
    io.join()?;
    Ok(code)
}

/// The server on any connection (stdio, or in memory in tests).
pub fn serve(conn: &Connection) -> anyhow::Result<i32> {
    let (id, params) = conn.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let root = workspace_root(&params);
    let debounce = params
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("debounceMs"))
        .and_then(serde_json::Value::as_u64)
        .map_or(DEBOUNCE, Duration::from_millis);
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    };
    conn.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities,
            "serverInfo": ServerInfo {
                name: "backlint".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            },
        }),
    )?;
    let watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files)
        .and_then(|w| w.dynamic_registration)
        .unwrap_or(false);
    let (jobs, job_rx) = crossbeam_channel::unbounded();
    let (event_tx, events) = crossbeam_channel::unbounded();
    let self_jobs = jobs.clone();
    std::thread::Builder::new()
        .name("backlint-lint".into())
        .spawn(move || Worker::new(self_jobs, event_tx).run(&job_rx))?;
    let mut server = Server {
        conn,
        root,
        watch,
        debounce,
        config: None,
        docs: HashMap::new(),
        jobs,
        ready: false,
        shutdown: false,
        next_id: 0,
    };
    // `initialize_finish` has read the `initialized` notification
    if server.watch {
        server.register_watchers()?;
    }
    server.configure();
    server.main_loop(&events)
}

/// The workspace root: the first workspace folder, else `rootUri`. Without one (a single file
/// opened), nothing is indexed: each document is linted on its own, as `backlint check FILE`
/// would.
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    #[allow(deprecated)]
    let root_uri = params.root_uri.as_ref();
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri)
        .or(root_uri)
        .and_then(|u| crate::paths::from_file_url(u.as_str()))
        .map(|p| crate::paths::absolute(&p))
}

/// Whether a file name is one of backlint's configuration files.
fn is_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| load::FILE_NAMES.contains(&n) || n == "pyproject.toml")
}

struct Doc {
    uri: Uri,
    path: Option<PathBuf>,
    text: String,
    version: i32,
    /// When a change is to be linted.
    due: Option<Instant>,
    /// What was last published, for code actions asked without diagnostics, and the version
    /// it was made from (fixes are offered only while the text is that version's).
    published: Vec<lsp_types::Diagnostic>,
    published_version: i32,
}

struct Server<'c> {
    conn: &'c Connection,
    root: Option<PathBuf>,
    /// The client watches files for us when asked.
    watch: bool,
    debounce: Duration,
    /// The configuration in use; `None` before `initialized`.
    config: Option<Config>,
    docs: HashMap<String, Doc>,
    jobs: Sender<Job>,
    /// The workspace's facts are in (documents are linted only then).
    ready: bool,
    shutdown: bool,
    next_id: i32,
}

impl Server<'_> {
    fn main_loop(&mut self, events: &Receiver<Event>) -> anyhow::Result<i32> {
        loop {
            let wait = self
                .docs
                .values()
                .filter_map(|d| d.due)
                .min()
                .map_or(Duration::from_secs(3600), |t| {
                    t.saturating_duration_since(Instant::now())
                });
            select! {
                recv(self.conn.receiver) -> msg => {
                    let Ok(msg) = msg else {
                        // the client went away without `exit`
                        return Ok(1);
                    };
                    if let Message::Notification(n) = &msg {
                        if n.method == note::Exit::METHOD {
                            return Ok(if self.shutdown { 0 } else { 1 });
                        }
                    }
                    let handled = catch_unwind(AssertUnwindSafe(|| self.handle(msg)));
                    match handled {
                        Ok(Ok(())) => {}
                        // a message that does not parse: said, and the server goes on
                        Ok(Err(e)) => self.log(MessageType::ERROR, format!("{e:#}")),
                        Err(p) => self.log(MessageType::ERROR, format!("internal error: {}", panic_text(&p))),
                    }
                }
                recv(events) -> ev => {
                    if let Ok(ev) = ev {
                        self.event(ev)?;
                    }
                }
                default(wait) => {}
            }
            let now = Instant::now();
            let due: Vec<String> = self
                .docs
                .iter()
                .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
                .map(|(k, _)| k.clone())
                .collect();
            for key in due {
                self.lint(&key);
            }
        }
    }

    fn handle(&mut self, msg: Message) -> anyhow::Result<()> {
        match msg {
            Message::Request(r) => self.request(r),
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => Ok(()),
        }
    }

    fn request(&mut self, r: Request) -> anyhow::Result<()> {
        let response = if self.shutdown {
            Response::new_err(
                r.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            )
        } else if r.method == req::Shutdown::METHOD {
            self.shutdown = true;
            Response::new_ok(r.id, ())
        } else if r.method == req::CodeActionRequest::METHOD {
            match serde_json::from_value::<CodeActionParams>(r.params) {
                Ok(p) => Response::new_ok(r.id, self.code_actions(&p)),
                Err(e) => invalid(r.id, &e),
            }
        } else {
            Response::new_err(
                r.id,
                ErrorCode::MethodNotFound as i32,
                format!("backlint does not handle `{}`", r.method),
            )
        };
        self.send(response.into())
    }

    fn notification(&mut self, n: Notification) -> anyhow::Result<()> {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let p: DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let d = p.text_document;
                let key = d.uri.as_str().to_string();
                let path =
                    crate::paths::from_file_url(d.uri.as_str()).map(|p| crate::paths::absolute(&p));
                self.docs.insert(
                    key.clone(),
                    Doc {
                        uri: d.uri,
                        path,
                        text: d.text,
                        version: d.version,
                        due: None,
                        published: Vec::new(),
                        published_version: d.version,
                    },
                );
                self.lint(&key);
            }
            note::DidChangeTextDocument::METHOD => {
                let p: DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                if let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) {
                    for c in p.content_changes {
                        apply_change(&mut doc.text, c.range, &c.text);
                    }
                    doc.version = p.text_document.version;
                    doc.due = Some(Instant::now() + self.debounce);
                }
            }
            note::DidSaveTextDocument::METHOD => {
                let p: DidSaveTextDocumentParams = serde_json::from_value(n.params)?;
                let key = p.text_document.uri.as_str().to_string();
                if let Some(text) = p.text {
                    if let Some(doc) = self.docs.get_mut(&key) {
                        doc.text = text;
                    }
                }
                let path = crate::paths::from_file_url(&key);
                if path.as_deref().is_some_and(is_config) {
                    self.configure();
                } else {
                    self.lint(&key);
                }
            }
            note::DidCloseTextDocument::METHOD => {
                let p: DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                if let Some(doc) = self.docs.remove(p.text_document.uri.as_str()) {
                    self.publish(doc.uri, Vec::new(), None)?;
                    // the file's facts are those on disk again
                    if let Some(path) = doc.path {
                        let _ = self.jobs.send(Job::Refresh(path));
                    }
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                let p: DidChangeWatchedFilesParams = serde_json::from_value(n.params)?;
                let mut reconfigure = false;
                for change in p.changes {
                    let Some(path) = crate::paths::from_file_url(change.uri.as_str()) else {
                        continue;
                    };
                    if is_config(&path) {
                        reconfigure = true;
                    } else if crate::discover::is_checked(&path)
                        && !self.docs.contains_key(change.uri.as_str())
                    {
                        let _ = self.jobs.send(Job::Refresh(crate::paths::absolute(&path)));
                    }
                }
                if reconfigure {
                    self.configure();
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn event(&mut self, ev: Event) -> anyhow::Result<()> {
        match ev {
            Event::Diagnostics {
                uri,
                version,
                diagnostics,
                changed,
            } => {
                let Some(doc) = self.docs.get_mut(uri.as_str()) else {
                    return Ok(());
                };
                // a newer text is on its way
                if doc.version != version {
                    return Ok(());
                }
                doc.published.clone_from(&diagnostics);
                doc.published_version = version;
                self.publish(uri.clone(), diagnostics, Some(version))?;
                if changed {
                    self.lint_all(Some(uri.as_str()));
                }
            }
            Event::Indexed { files, secs } => {
                self.ready = true;
                let root = self.root.as_deref().unwrap_or(Path::new("?"));
                self.log(
                    MessageType::INFO,
                    format!("indexed {files} files of {} in {secs:.2} s", root.display()),
                );
                self.lint_all(None);
            }
            Event::FactsChanged => self.lint_all(None),
            Event::Log(kind, message) => self.log(kind, message),
        }
        Ok(())
    }

    /// Finds the configuration as `backlint check <root>` does and hands it to the worker,
    /// which collects the workspace's facts again. A configuration that does not load is
    /// shown, and the one before (else the default) stays in use.
    fn configure(&mut self) {
        let Some(root) = self.root.clone() else {
            self.ready = true;
            return;
        };
        let config = match load::discover(&root) {
            Ok(found) => found.map(|(_, c)| c).unwrap_or_default(),
            Err(e) => {
                let message = format!("backlint: {e:#}");
                self.log(MessageType::ERROR, message.clone());
                let _ = self.send(
                    Notification::new(
                        note::ShowMessage::METHOD.into(),
                        ShowMessageParams {
                            typ: MessageType::ERROR,
                            message,
                        },
                    )
                    .into(),
                );
                self.config.clone().unwrap_or_default()
            }
        };
        let project =
            crate::paths::project_root(std::slice::from_ref(&root), config.base.as_deref());
        let options = engine::Options {
            config: config.clone(),
            root: Some(project),
            ..Default::default()
        };
        self.config = Some(config);
        let _ = self.jobs.send(Job::Configure {
            workspace: root,
            options: Box::new(options),
        });
    }

    fn register_watchers(&mut self) -> anyhow::Result<()> {
        let mut globs: Vec<String> = ["backlint.toml", ".backlint.toml", "pyproject.toml"]
            .iter()
            .map(|n| format!("**/{n}"))
            .collect();
        globs.push("**/*.{py,pyi,ts,tsx,mts,cts,js,jsx,mjs,cjs,rs}".into());
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: globs
                .into_iter()
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(g),
                    kind: None,
                })
                .collect(),
        };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "backlint-watch".into(),
                method: note::DidChangeWatchedFiles::METHOD.into(),
                register_options: Some(serde_json::to_value(options)?),
            }],
        };
        self.next_id += 1;
        let id = RequestId::from(format!("backlint-{}", self.next_id));
        self.send(Request::new(id, req::RegisterCapability::METHOD.into(), params).into())
    }

    /// Sends a document to the worker, unless its file type is not checked.
    fn lint(&mut self, key: &str) {
        let Some(doc) = self.docs.get_mut(key) else {
            return;
        };
        doc.due = None;
        if !self.ready {
            return;
        }
        let Some(path) = doc.path.clone() else {
            return;
        };
        if !crate::discover::is_checked(&path) {
            return;
        }
        let _ = self.jobs.send(Job::Lint {
            uri: doc.uri.clone(),
            path,
            text: doc.text.clone(),
            version: doc.version,
        });
    }

    /// Lints every open document but `except`.
    fn lint_all(&mut self, except: Option<&str>) {
        let keys: Vec<String> = self
            .docs
            .keys()
            .filter(|k| Some(k.as_str()) != except)
            .cloned()
            .collect();
        for k in keys {
            self.lint(&k);
        }
    }

    fn code_actions(&self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let mut out = Vec::new();
        if let Some(only) = &p.context.only {
            if !only
                .iter()
                .any(|k| CodeActionKind::QUICKFIX.as_str().starts_with(k.as_str()))
            {
                return out;
            }
        }
        let Some(doc) = self.docs.get(p.text_document.uri.as_str()) else {
            return out;
        };
        let Some(path) = &doc.path else {
            return out;
        };
        let ours = |d: &&lsp_types::Diagnostic| d.source.as_deref() == Some(convert::SOURCE);
        let mut asked: Vec<&lsp_types::Diagnostic> =
            p.context.diagnostics.iter().filter(ours).collect();
        if asked.is_empty() {
            asked = doc
                .published
                .iter()
                .filter(|d| {
                    d.range.start.line <= p.range.end.line && p.range.start.line <= d.range.end.line
                })
                .collect();
        }
        // the edits of a fix hold for the text it was linted from, and only for that
        let fresh = doc.published_version == doc.version;
        let mut seen = std::collections::HashSet::new();
        for d in asked {
            let Some(lsp_types::NumberOrString::String(rule)) = &d.code else {
                continue;
            };
            let fix = doc
                .published
                .iter()
                .filter(|_| fresh)
                .find(|p| p.range == d.range && p.code == d.code && p.message == d.message)
                .and_then(convert::fix_of);
            if let Some(fix) = fix {
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d.clone()]),
                    is_preferred: fix.safe.then_some(true),
                    edit: Some(WorkspaceEdit {
                        changes: Some(HashMap::from([(doc.uri.clone(), fix.edits)])),
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
            if rule == crate::suppress::UNUSED || !seen.insert((d.range.start.line, rule.clone())) {
                continue;
            }
            let Some(edit) = suppression_edit(&doc.text, path, d.range.start.line, rule) else {
                continue;
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Suppress {rule} on this line"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
                    ..Default::default()
                }),
                ..Default::default()
            }));
        }
        out
    }

    fn publish(
        &self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) -> anyhow::Result<()> {
        self.send(
            Notification::new(
                note::PublishDiagnostics::METHOD.into(),
                PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version,
                },
            )
            .into(),
        )
    }

    fn log(&self, typ: MessageType, message: String) {
        eprintln!("backlint lsp: {message}");
        let _ = self.send(
            Notification::new(
                note::LogMessage::METHOD.into(),
                LogMessageParams { typ, message },
            )
            .into(),
        );
    }

    fn send(&self, msg: Message) -> anyhow::Result<()> {
        self.conn
            .sender
            .send(msg)
            .map_err(|_| anyhow::anyhow!("the client connection is closed"))
    }
}

fn invalid(id: RequestId, e: &serde_json::Error) -> Response {
    Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string())
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Work for the worker thread.
enum Job {
    /// Use these options from now on and collect the workspace's facts again.
    Configure {
        workspace: PathBuf,
        options: Box<engine::Options>,
    },
    Lint {
        uri: Uri,
        path: PathBuf,
        text: String,
        version: i32,
    },
    /// A file changed on disk (or was closed in the editor): read its facts again.
    Refresh(PathBuf),
    /// Facts collected on a background thread for the configuration of `generation`.
    Built {
        generation: u64,
        facts: Box<ProjectFacts>,
        secs: f64,
    },
}

/// What the worker tells the main thread.
enum Event {
    Diagnostics {
        uri: Uri,
        version: i32,
        diagnostics: Vec<lsp_types::Diagnostic>,
        /// The document's facts changed: other documents' findings may have too.
        changed: bool,
    },
    Indexed {
        files: usize,
        secs: f64,
    },
    FactsChanged,
    Log(MessageType, String),
}

struct Worker {
    jobs: Sender<Job>,
    events: Sender<Event>,
    options: engine::Options,
    facts: ProjectFacts,
    generation: u64,
}

impl Worker {
    fn new(jobs: Sender<Job>, events: Sender<Event>) -> Worker {
        Worker {
            jobs,
            events,
            options: engine::Options::default(),
            facts: ProjectFacts::default(),
            generation: 0,
        }
    }

    fn run(mut self, rx: &Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            // a later text of the same document makes an earlier one moot
            let mut last: HashMap<String, usize> = HashMap::new();
            for (i, job) in batch.iter().enumerate() {
                if let Job::Lint { uri, .. } = job {
                    last.insert(uri.as_str().to_string(), i);
                }
            }
            for (i, job) in batch.into_iter().enumerate() {
                if let Job::Lint { uri, .. } = &job {
                    if last.get(uri.as_str()) != Some(&i) {
                        continue;
                    }
                }
                if let Err(p) = catch_unwind(AssertUnwindSafe(|| self.job(job))) {
                    let _ = self.events.send(Event::Log(
                        MessageType::ERROR,
                        format!("internal error (please report it): {}", panic_text(&p)),
                    ));
                }
            }
        }
    }

    fn job(&mut self, job: Job) {
        match job {
            Job::Configure { workspace, options } => {
                self.options = *options;
                self.generation += 1;
                let generation = self.generation;
                let (jobs, events) = (self.jobs.clone(), self.events.clone());
                let options = self.options.clone();
                let spawned = std::thread::Builder::new()
                    .name("backlint-index".into())
                    .spawn(move || {
                        let started = Instant::now();
                        let collected = catch_unwind(AssertUnwindSafe(|| {
                            ProjectFacts::collect(std::slice::from_ref(&workspace), &options)
                        }));
                        let facts = collected.unwrap_or_else(|p| {
                            let _ = events.send(Event::Log(
                                MessageType::ERROR,
                                format!("could not index the workspace: {}", panic_text(&p)),
                            ));
                            ProjectFacts::default()
                        });
                        let _ = jobs.send(Job::Built {
                            generation,
                            facts: Box::new(facts),
                            secs: started.elapsed().as_secs_f64(),
                        });
                    });
                if let Err(e) = spawned {
                    let _ = self.events.send(Event::Log(
                        MessageType::ERROR,
                        format!("could not start indexing: {e}"),
                    ));
                }
            }
            Job::Built {
                generation,
                facts,
                secs,
            } => {
                if generation == self.generation {
                    self.facts = *facts;
                    let _ = self.events.send(Event::Indexed {
                        files: self.facts.len(),
                        secs,
                    });
                }
            }
            Job::Refresh(path) => {
                if self.facts.refresh(&path, &self.options) {
                    let _ = self.events.send(Event::FactsChanged);
                }
            }
            Job::Lint {
                uri,
                path,
                text,
                version,
            } => {
                let (diagnostics, changed) = self.lint(&uri, &path, &text);
                let _ = self.events.send(Event::Diagnostics {
                    uri,
                    version,
                    diagnostics,
                    changed,
                });
            }
        }
    }

    /// Lints one document against the workspace (a file outside it on its own); a panic is
    /// logged and yields no diagnostics.
    fn lint(&mut self, uri: &Uri, path: &Path, text: &str) -> (Vec<lsp_types::Diagnostic>, bool) {
        let result = catch_unwind(AssertUnwindSafe(|| match self.options.root.clone() {
            Some(root) if path.starts_with(&root) => {
                let (report, changed) =
                    engine::lint_in_project(path, text, &self.options, &mut self.facts);
                (report, changed, root)
            }
            _ => {
                let (report, root) = self.lint_alone(path, text);
                (report, false, root)
            }
        }));
        let (report, changed, root) = match result {
            Ok(r) => r,
            Err(p) => {
                let _ = self.events.send(Event::Log(
                    MessageType::ERROR,
                    format!(
                        "internal error while checking {} (please report it): {}",
                        path.display(),
                        panic_text(&p)
                    ),
                ));
                return (Vec::new(), false);
            }
        };
        for n in &report.notices {
            if !n.message.starts_with("partly parsed") {
                let _ = self.events.send(Event::Log(
                    MessageType::WARNING,
                    format!("{}: {}", n.path.display(), n.message),
                ));
            }
        }
        let diagnostics = report
            .diagnostics
            .iter()
            .map(|d| diagnostic(d, uri, &root))
            .collect();
        (diagnostics, changed)
    }

    /// Lints a file outside the workspace (or with no workspace) on its own, with the
    /// configuration found from its folder; returns the report and the project root used.
    fn lint_alone(&self, path: &Path, text: &str) -> (crate::report::Report, PathBuf) {
        let dir = path.parent().unwrap_or(path);
        let config = match load::discover(dir) {
            Ok(found) => found.map(|(_, c)| c).unwrap_or_default(),
            Err(e) => {
                let _ = self
                    .events
                    .send(Event::Log(MessageType::ERROR, format!("{e:#}")));
                self.options.config.clone()
            }
        };
        let root = crate::paths::project_root(&[path.to_path_buf()], config.base.as_deref());
        let options = engine::Options {
            config,
            root: Some(root.clone()),
            ..Default::default()
        };
        (engine::lint_source(path, text, &options), root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn config_names() {
        assert!(is_config(Path::new("/p/backlint.toml")));
        assert!(is_config(Path::new("/p/.backlint.toml")));
        assert!(is_config(Path::new("/p/sub/pyproject.toml")));
        assert!(!is_config(Path::new("/p/Cargo.toml")));
    }

    #[test]
    fn secrets_are_masked_in_diagnostics() {
        let secret = crate::knowledge::secrets::fake_secret("github-token", 7);
        let text = format!("GITHUB_TOKEN = \"{secret}\"\n");
        let path = Path::new("/p/app/settings.py");
        let report = engine::lint_source(path, &text, &engine::Options::default());
        assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
        let uri = Uri::from_str("file:///p/app/settings.py").unwrap();
        let d = diagnostic(&report.diagnostics[0], &uri, Path::new("/p"));
        assert_eq!(
            d.code,
            Some(lsp_types::NumberOrString::String("hardcoded-secret".into()))
        );
        let json = serde_json::to_string(&d).unwrap();
        assert!(!json.contains(&secret[4..]), "{json}");
    }

    /// The suppression the code action inserts silences the finding in each language, with no
    /// `unused-suppression` note.
    #[test]
    fn the_suppression_edit_suppresses() {
        let cases = [
            (
                "app/client.py",
                "import requests\n\ndef fetch(url):\n    return requests.get(url)\n",
            ),
            (
                "src/client.ts",
                "import axios from \"axios\";\n\nexport async function load(url: string) {\n  return axios.get(url);\n}\n",
            ),
            (
                "src/client.rs",
                "pub async fn load(url: &str) -> reqwest::Result<String> {\n    reqwest::get(url).await?.text().await\n}\n",
            ),
        ];
        let options = engine::Options::default();
        for (path, text) in cases {
            let path = Path::new(path);
            let report = engine::lint_source(path, text, &options);
            assert_eq!(report.diagnostics.len(), 1, "{}", path.display());
            let d = &report.diagnostics[0];
            let line = d.start.line - 1;
            let edit = suppression_edit(text, path, line, d.rule).unwrap();
            let mut fixed = text.to_string();
            apply_change(&mut fixed, Some(edit.range), &edit.new_text);
            let after = engine::lint_source(path, &fixed, &options);
            assert!(
                after.diagnostics.is_empty(),
                "{}:\n{fixed}\n{:?}",
                path.display(),
                after.diagnostics
            );
        }
    }
}
