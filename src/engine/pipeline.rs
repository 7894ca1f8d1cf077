//! read -> parse/lower -> facts -> rules (one walk) -> conditions resolved on the project index
//! -> suppressions and filters -> a sorted [`Report`].

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use globset::GlobSet;
use rayon::prelude::*;

use super::context::{Ctx, Finding};
use super::Dispatch;
use crate::ast::Kind;
use crate::config::Config;
use crate::diagnostic::{redact, redact_in, Condition, Diagnostic, Label, Severity};
use crate::facts::{self, QuerySite};
use crate::index::{IndexPart, ProjectIndex, ReturnedCallSite};
use crate::knowledge::helpers::HelperShape;
use crate::lang::{self, Dialect};
use crate::report::{json, line_hash, Notice, Report};
use crate::roles::{self, Classifier, FileRole, Role};
use crate::source::{SourceFile, Span};
use crate::suppress::{self, Suppression};
use crate::{discover, registry, rules};

/// How a run is set up.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub config: Config,
    /// Worker threads (0: all cores).
    pub jobs: usize,
    /// The project root (absolute): the index, roles and rules see paths relative to it, so
    /// a tree gives the same findings however its path is spelled. Default for
    /// [`lint_paths`]: [`crate::paths::project_root`]; for [`lint_source`], the path as given.
    pub root: Option<PathBuf>,
    /// Files named one by one are checked alone. By default [`lint_paths`] reads the rest of
    /// their project too (not reported), so that a file gets the same findings as in a run over
    /// the whole project (pre-commit, `check app/views.py`).
    pub alone: bool,
    /// Directory SARIF URIs are relative to. Default: the repository root above the project
    /// root, else the project root (else the current directory).
    pub uri_root: Option<PathBuf>,
    /// Told as files are checked (the CLI's progress bar).
    pub progress: ProgressHook,
    /// The results cache directory of [`lint_paths`] (relative: under the project root); see
    /// [`crate::cache`]. `None` (the default): no cache.
    pub cache: Option<PathBuf>,
    /// Fill [`Report::roles`] with every file's role (`--explain-roles`).
    pub roles: bool,
    /// Leave [`Report::sources`] empty (the report is not rendered with snippets): files with
    /// findings are not read again at the end.
    pub no_sources: bool,
}

/// Hears how far a run is: the number of files, then each file checked (from worker threads).
pub trait Progress: Send + Sync {
    fn start(&self, files: usize);
    fn file_done(&self);
}

/// An optional [`Progress`] listener.
#[derive(Clone, Default)]
pub struct ProgressHook(pub Option<std::sync::Arc<dyn Progress>>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressHook(on)"
        } else {
            "ProgressHook(off)"
        })
    }
}

/// The spellings of one file's path.
#[derive(Clone, Debug, Default)]
pub struct FilePaths {
    /// As given or discovered (what reports print).
    pub path: PathBuf,
    /// Relative to the project root: what the analysis sees.
    pub rel: PathBuf,
    /// Relative to the configuration file's directory: what configured globs match.
    pub config_rel: PathBuf,
    /// Where it is (absolute when known), for reading manifests around it.
    pub abs: PathBuf,
}

impl FilePaths {
    fn new(path: &Path, abs: PathBuf, root: Option<&Path>, config: &Config) -> FilePaths {
        let rel = root
            .and_then(|r| abs.strip_prefix(r).ok())
            .map_or_else(|| tidy(path), Path::to_path_buf);
        let config_rel = config
            .base
            .as_deref()
            .and_then(|b| abs.strip_prefix(b).ok())
            .map_or_else(|| rel.clone(), Path::to_path_buf);
        FilePaths {
            path: path.to_path_buf(),
            rel,
            config_rel,
            abs,
        }
    }
}

/// `./src/app.py` -> `src/app.py`.
fn tidy(path: &Path) -> PathBuf {
    let rest: PathBuf = path
        .components()
        .skip_while(|c| *c == std::path::Component::CurDir)
        .collect();
    if rest.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        rest
    }
}

/// Everything one file yields, before the project-wide step.
pub struct FileOutcome {
    /// As given or discovered.
    pub path: PathBuf,
    /// Relative to the project root (see [`FilePaths`]).
    pub rel: PathBuf,
    /// Relative to the configuration file's directory.
    pub config_rel: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
    pub source: Option<Arc<SourceFile>>,
    pub notice: Option<String>,
    /// A notice about a file that was still checked, not completely (it only partly parsed, or
    /// its rules were stopped by the time budget); the findings made are kept.
    pub note: Option<String>,
    pub suppressions: Vec<Suppression>,
    pub index: IndexPart,
    pub lines: usize,
    pub role: FileRole,
    /// Results from the cache: the source was not read. Read it when a finding in it is shown,
    /// masking these secrets.
    pub unread_source: Option<Vec<Span>>,
    /// The outcome depends only on the file's content, path and the configuration (no panic,
    /// no time budget ran out): the cache may keep it.
    pub cacheable: bool,
}

struct Globs {
    per_path: Vec<(Arc<GlobSet>, Vec<String>)>,
    roles: Classifier,
}

impl Globs {
    fn new(config: &Config) -> Globs {
        Globs {
            roles: Classifier::new(&config.roles, &config.test_paths),
            per_path: config
                .per_path_ignores
                .iter()
                .map(|(g, ids)| (roles::glob_set(std::slice::from_ref(g)), ids.clone()))
                .collect(),
        }
    }
    /// `path` is relative to the configuration file's directory.
    fn ignored(&self, path: &Path, rule: &str) -> bool {
        self.per_path
            .iter()
            .any(|(g, ids)| g.is_match(path) && ids.iter().any(|i| i == "*" || i == rule))
    }
}

/// The rules enabled by the config, bucketed by node kind.
pub fn dispatch_for(config: &Config) -> Dispatch {
    let enabled = rules::all()
        .into_iter()
        .filter(|r| config.select.is_empty() || config.select.iter().any(|s| s == r.id()))
        .filter(|r| !config.ignore.iter().any(|s| s == r.id()))
        .collect();
    Dispatch::new(enabled)
}

/// Lints one in-memory file (editors, `--stdin-filename`, tests).
pub fn lint_source(path: &Path, text: &str, options: &Options) -> Report {
    lint_text(path, text, options, None).0
}

/// Every file's facts (its share of the project index), kept between runs so that one file
/// can be linted against the rest of its project without reading the rest again: the
/// language server builds this once per workspace and updates it one file at a time. The
/// merged index is kept until some file's facts change.
#[derive(Default)]
pub struct ProjectFacts {
    /// By project-relative path: the file's part and a hash of the text it was made from.
    parts: std::collections::BTreeMap<PathBuf, (IndexPart, u64)>,
    /// The parts merged, and the Rust `#[cfg(test)]` modules they declare.
    merged: Option<(ProjectIndex, Vec<PathBuf>)>,
}

impl ProjectFacts {
    /// Walks `paths` as [`lint_paths`] does and collects every file's facts; no rule runs.
    pub fn collect(paths: &[PathBuf], options: &Options) -> ProjectFacts {
        let root = options.root.clone().unwrap_or_else(|| {
            let abs: Vec<PathBuf> = paths.iter().map(|p| crate::paths::absolute(p)).collect();
            crate::paths::project_root(&abs, options.config.base.as_deref())
        });
        let config = &with_base(&options.config, &root);
        let (found, _) = discover::discover(paths, config);
        let globs = Globs::new(config);
        // With the results cache, files are checked in full so that what it keeps stays whole.
        let cache = options
            .cache
            .as_deref()
            .map(|dir| crate::cache::Cache::new(dir, &root, config));
        let dispatch = match cache {
            Some(_) => dispatch_for(config),
            None => Dispatch::new(Vec::new()),
        };
        let run = || {
            let parts = found
                .par_iter()
                .map(|f| {
                    let file = FilePaths::new(f, crate::paths::absolute(f), Some(&root), config);
                    let o = check_path(&file, config, &dispatch, &globs, cache.as_ref());
                    (o.rel, o.index, file_hash(f))
                })
                .collect::<Vec<_>>();
            if let Some(c) = &cache {
                c.save();
            }
            parts
        };
        let parts = match rayon::ThreadPoolBuilder::new()
            .num_threads(options.jobs)
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        };
        ProjectFacts {
            parts: parts
                .into_iter()
                .map(|(rel, part, hash)| (rel, (part, hash)))
                .collect(),
            merged: None,
        }
    }

    /// Files with facts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Reads one file of the project again from disk (it changed, or an editor closed it);
    /// a file that is gone is dropped. Returns whether its facts changed.
    pub fn refresh(&mut self, path: &Path, options: &Options) -> bool {
        let Some(root) = options.root.as_deref() else {
            return false;
        };
        let config = &with_base(&options.config, root);
        let file = FilePaths::new(path, crate::paths::absolute(path), Some(root), config);
        if !path.is_file() || !discover::is_checked(path) {
            let gone = self.parts.remove(&file.rel).is_some();
            if gone {
                self.stale();
            }
            return gone;
        }
        let hash = file_hash(path);
        if self.parts.get(&file.rel).is_some_and(|(_, h)| *h == hash) {
            return false;
        }
        let o = check_path(
            &file,
            config,
            &Dispatch::new(Vec::new()),
            &Globs::new(config),
            None,
        );
        self.parts.insert(o.rel, (o.index, hash));
        self.stale();
        true
    }

    /// Drops the merged index (on another thread: freeing a large one takes a while).
    fn stale(&mut self) {
        if let Some(old) = self.merged.take() {
            std::thread::spawn(move || drop(old));
        }
    }

    /// The parts merged into the project index, made again when some part changed.
    fn merged(&mut self) -> (&ProjectIndex, &[PathBuf]) {
        let (index, test_modules) = self.merged.get_or_insert_with(|| {
            let mut index = ProjectIndex::default();
            let mut test_modules = Vec::new();
            for (part, _) in self.parts.values() {
                test_modules.extend(part.test_modules.iter().cloned());
                index.add(part.clone());
            }
            (index, test_modules)
        });
        (index, test_modules)
    }
}

/// A hash of a file's bytes (0 when it cannot be read), to tell whether its facts may change.
fn file_hash(path: &Path) -> u64 {
    std::fs::read(path).map_or(0, |b| text_hash(&b))
}

fn text_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Lints one in-memory file against the facts of the rest of its project (`options.root`),
/// then keeps this text's facts in `project` in place of the file's. Returns the report and
/// whether the file's text differs from the one its facts were made from (other files'
/// findings may then change).
pub fn lint_in_project(
    path: &Path,
    text: &str,
    options: &Options,
    project: &mut ProjectFacts,
) -> (Report, bool) {
    lint_text(path, text, options, Some(project))
}

fn lint_text(
    path: &Path,
    text: &str,
    options: &Options,
    project: Option<&mut ProjectFacts>,
) -> (Report, bool) {
    let root = options.root.as_deref();
    let config: std::borrow::Cow<Config> = match root {
        Some(r) => std::borrow::Cow::Owned(with_base(&options.config, r)),
        None => std::borrow::Cow::Borrowed(&options.config),
    };
    let config = config.as_ref();
    let dispatch = dispatch_for(config);
    let globs = Globs::new(config);
    let abs = match root {
        Some(_) => crate::paths::absolute(path),
        None => path.to_path_buf(),
    };
    let file = FilePaths::new(path, abs, root, config);
    let mut outcome = match too_big(text.len() as u64, config) {
        Some(msg) => FileOutcome::skipped(&file, msg),
        None => check_text(&file, text.to_string(), config, &dispatch, &globs),
    };
    let uri_root = options
        .uri_root
        .clone()
        .or_else(|| root.map(uri_root_of))
        .unwrap_or_else(|| PathBuf::from("."));
    let Some(project) = project else {
        return (finish_one(outcome, None, options, &globs, uri_root), false);
    };
    // the text's own part takes the file's place in the project's index
    let hash = text_hash(text.as_bytes());
    let part = std::mem::take(&mut outcome.index);
    let changed = project
        .parts
        .get(&outcome.rel)
        .is_none_or(|(_, h)| *h != hash);
    if changed {
        project.parts.insert(outcome.rel.clone(), (part, hash));
        project.stale();
    }
    let report = finish_one(outcome, Some(project.merged()), options, &globs, uri_root);
    (report, changed)
}

/// A configuration file from a folder beside the project (a shared one given with `--config`)
/// has its globs matched relative to the project root.
fn with_base(config: &Config, root: &Path) -> Config {
    let mut config = config.clone();
    if let Some(base) = &config.base {
        if !root.starts_with(base) && !base.starts_with(root) {
            config.base = Some(root.to_path_buf());
        }
    }
    config
}

/// The repository root above the project root, else the project root.
fn uri_root_of(root: &Path) -> PathBuf {
    crate::paths::git_root(root).unwrap_or_else(|| root.to_path_buf())
}

impl FileOutcome {
    fn skipped(file: &FilePaths, notice: String) -> FileOutcome {
        FileOutcome {
            path: file.path.clone(),
            rel: file.rel.clone(),
            config_rel: file.config_rel.clone(),
            diagnostics: Vec::new(),
            source: None,
            notice: Some(notice),
            note: None,
            suppressions: Vec::new(),
            index: IndexPart::default(),
            lines: 0,
            role: FileRole::default(),
            unread_source: None,
            cacheable: false,
        }
    }
}

/// The notice for a file over `max-file-size-mb`.
fn too_big(bytes: u64, config: &Config) -> Option<String> {
    (bytes > config.max_file_bytes).then(|| {
        format!(
            "skipped: the file is {} MB, over the {} MB limit (`max-file-size-mb` in the configuration)",
            mb(bytes as f64),
            mb(config.max_file_bytes as f64)
        )
    })
}

/// Bytes in MB (MiB) for messages: `10`, `10.5`, `0.002`.
fn mb(bytes: f64) -> String {
    short(bytes / crate::config::MB)
}

/// A number with at most three decimals and no trailing zeros.
fn short(n: f64) -> String {
    let s = format!("{n:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Lints files and directories.
pub fn lint_paths(paths: &[PathBuf], options: &Options) -> Report {
    let given: Vec<(&PathBuf, PathBuf)> = paths
        .iter()
        .map(|p| (p, crate::paths::absolute(p)))
        .collect();
    let root = options.root.clone().unwrap_or_else(|| {
        let abs: Vec<PathBuf> = given.iter().map(|(_, a)| a.clone()).collect();
        crate::paths::project_root(&abs, options.config.base.as_deref())
    });
    let config = &with_base(&options.config, &root);
    let dispatch = dispatch_for(config);
    let globs = Globs::new(config);
    let uri_root = options
        .uri_root
        .clone()
        .unwrap_or_else(|| uri_root_of(&root));
    let (mut files, mut notices) = discover::discover(paths, config);
    let abs_of = |f: &Path| {
        given
            .iter()
            .filter(|(p, _)| f.starts_with(p))
            .max_by_key(|(p, _)| p.components().count())
            .map_or_else(
                || crate::paths::absolute(f),
                |(p, a)| crate::paths::rebase(f, p, a),
            )
    };
    // a file's other paths are made when it is checked: only this list lasts the whole run
    let paths_of = |f: &Path| FilePaths::new(f, abs_of(f), Some(&root), config);
    // the same file named twice (`. app`) is checked once
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(abs_of(f)));
    let context = project_context(&given, &root, &seen, options, config);
    drop(seen);
    largest_first(&mut files);
    files.shrink_to_fit();
    let progress = options.progress.0.as_deref();
    if let Some(p) = progress {
        p.start(files.len() + context.len());
    }
    let cache = options
        .cache
        .as_deref()
        .map(|dir| crate::cache::Cache::new(dir, &root, config));
    // Without a cache, the rest of the project needs only its facts; with one, its files are
    // checked in full so that what the cache keeps for them stays whole.
    let facts_only = Dispatch::new(Vec::new());
    let context_dispatch = if cache.is_some() {
        &dispatch
    } else {
        &facts_only
    };
    // Workers take the files in order (the project's other files first, then those named) and
    // hand each outcome to the project-wide step, which merges it in that order: a file's
    // index part and syntax-free data go as soon as the files before it are done.
    let next = AtomicUsize::new(0);
    // a worker never waits for another that is merging: it leaves its outcome here
    let (done, arrived) = crossbeam_channel::unbounded::<(usize, FileOutcome)>();
    let step = Mutex::new(InOrder {
        next: 0,
        context: context.len(),
        waiting: Default::default(),
        step: Finish::new(options, &globs, uri_root),
    });
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let (f, dispatch) = match context.get(i) {
            Some(c) => (
                FilePaths::new(c, c.clone(), Some(&root), config),
                context_dispatch,
            ),
            None => match files.get(i - context.len()) {
                Some(f) => (paths_of(f), &dispatch),
                None => break,
            },
        };
        let mut out = check_path(&f, config, dispatch, &globs, cache.as_ref());
        // read again at the end if a finding in it is shown (as for a cached result)
        if out.source.take().is_some() {
            out.unread_source = Some(out.diagnostics.iter().filter_map(|d| d.secret).collect());
        }
        if let Some(p) = progress {
            p.file_done();
        }
        let _ = done.send((i, out));
        if arrived.len() > MAX_UNMERGED {
            // outcomes come faster than they are merged (results from the cache): wait
            let mut step = step.lock().unwrap_or_else(|e| e.into_inner());
            while let Ok((i, out)) = arrived.try_recv() {
                step.put(i, out);
            }
        }
        while let Ok(mut step) = step.try_lock() {
            while let Ok((i, out)) = arrived.try_recv() {
                step.put(i, out);
            }
            drop(step);
            // another worker may have left one while this one held the lock
            if arrived.is_empty() {
                break;
            }
        }
    };
    let run = || {
        rayon::broadcast(|_| work());
        cache.as_ref().map(crate::cache::Cache::save)
    };
    // Workers get the stack deeply nested files need (rayon's default is 2 MiB), and 1 MiB for
    // what runs above `check_text`, so that it never has to switch stacks.
    let stats = {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(options.jobs)
            .stack_size(lang::stack_size(config.max_nesting_depth) + (1 << 20))
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        }
    };
    let mut step = step.into_inner().unwrap_or_else(|e| e.into_inner());
    while let Ok((i, out)) = arrived.try_recv() {
        step.put(i, out);
    }
    let mut report = step.step.finish(None, &|wanted| {
        files
            .iter()
            .map(|f| paths_of(f))
            .filter(|f| wanted.contains(f.rel.as_path()))
            .map(|f| (f.rel, f.path))
            .collect()
    });
    report.cache = stats.unwrap_or_default();
    report.notices.append(&mut notices);
    report.notices.sort_by(|a, b| a.path.cmp(&b.path));
    report
}

/// The rest of the project of files named one by one (not reported, read for the project
/// index); none when the root is only the folder the files are in (no configuration file or git
/// repository marks a project there), when only directories are named, or with
/// [`Options::alone`].
fn project_context(
    given: &[(&PathBuf, PathBuf)],
    root: &Path,
    named: &std::collections::HashSet<PathBuf>,
    options: &Options,
    config: &Config,
) -> Vec<PathBuf> {
    if options.alone || !is_project(root, config) || !given.iter().any(|(_, abs)| abs.is_file()) {
        return Vec::new();
    }
    let (all, _) = discover::discover(&[root.to_path_buf()], config);
    all.into_iter().filter(|f| !named.contains(f)).collect()
}

/// Orders files largest first (ties in the order found): the largest files' syntax trees are
/// made while the project index is still small, and no large file is left for one worker
/// at the end of the run.
fn largest_first(files: &mut [PathBuf]) {
    let mut sized: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (std::fs::metadata(f).map_or(0, |m| m.len()), i))
        .collect();
    sized.sort_by_key(|&(len, i)| (std::cmp::Reverse(len), i));
    let order: Vec<PathBuf> = sized
        .iter()
        .map(|&(_, i)| std::mem::take(&mut files[i]))
        .collect();
    for (slot, f) in files.iter_mut().zip(order) {
        *slot = f;
    }
}

/// Whether `root` is a project: the folder of the configuration file or a git repository.
pub fn is_project(root: &Path, config: &Config) -> bool {
    config.base.as_deref() == Some(root) || crate::paths::git_root(root).as_deref() == Some(root)
}

/// Outcomes waiting to be merged before a worker that adds one waits for the merge.
const MAX_UNMERGED: usize = 32;

/// Checks a file, or takes its results from the cache.
fn check_path(
    file: &FilePaths,
    config: &Config,
    dispatch: &Dispatch,
    globs: &Globs,
    cache: Option<&crate::cache::Cache>,
) -> FileOutcome {
    let path = file.path.as_path();
    let empty = |msg: String| FileOutcome::skipped(file, msg);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return empty(format!("could not be read: {e}")),
    };
    if let Some(msg) = too_big(meta.len(), config) {
        return empty(msg);
    }
    let Some((cache, mut probe)) = cache.and_then(|c| Some((c, c.probe(&file.rel, &meta)?))) else {
        return read_and_check(file, config, dispatch, globs, None);
    };
    // the role the path gives, which a record must have been made with
    let path_role = || {
        (Dialect::from_path(path).is_some() && crate::manifest::Kind::from_path(path).is_none())
            .then(|| globs.roles.by_path(&file.rel, &file.config_rel, &file.abs))
    };
    let restore = |body: &[u8]| {
        let record = crate::cache::record::decode(body)?;
        if record.path_role.is_some() && record.path_role != path_role() {
            return None;
        }
        cache.hit();
        Some(record.into_outcome(path, &file.rel, &file.config_rel))
    };
    if let Some(o) = cache.by_stat(&probe).and_then(|b| restore(&b)) {
        return o;
    }
    let mut from_cache = false;
    let outcome = read_and_check(
        file,
        config,
        dispatch,
        globs,
        Some(&mut |bytes: &[u8]| {
            let o = cache
                .by_content(&mut probe, bytes)
                .and_then(|b| restore(&b));
            from_cache = o.is_some();
            o
        }),
    );
    if !from_cache {
        cache.miss();
        if let Some(body) = crate::cache::record::encode(path_role(), &outcome) {
            cache.store(&probe, body);
        }
    }
    outcome
}

/// Answers for a file from its bytes (the results cache), if it can.
type FromBytes<'a> = &'a mut dyn FnMut(&[u8]) -> Option<FileOutcome>;

/// Reads and checks a file; `cached` may answer from the file's bytes instead.
fn read_and_check(
    file: &FilePaths,
    config: &Config,
    dispatch: &Dispatch,
    globs: &Globs,
    cached: Option<FromBytes>,
) -> FileOutcome {
    let path = file.path.as_path();
    let empty = |msg: String| FileOutcome::skipped(file, msg);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return empty(format!("could not be read: {e}")),
    };
    if let Some(o) = cached.and_then(|c| c(&bytes)) {
        return o;
    }
    // these notices depend on the content alone
    let content = |msg: &str| FileOutcome {
        cacheable: true,
        ..empty(msg.to_string())
    };
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return content("skipped: binary file");
    }
    if looks_minified(path, &bytes) {
        return content("skipped: minified or generated code (average line over 500 characters)");
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return content(&format!(
                "skipped: not valid UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        }
    };
    check_text(file, text, config, dispatch, globs)
}

/// Bundled/minified JavaScript: large, with very long lines. Linting it reports nothing a
/// developer can act on.
fn looks_minified(path: &Path, bytes: &[u8]) -> bool {
    let js = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("js" | "mjs" | "cjs")
    );
    if !js || bytes.len() < 64 * 1024 {
        return false;
    }
    let head = &bytes[..bytes.len().min(256 * 1024)];
    let lines = head.iter().filter(|&&b| b == b'\n').count() + 1;
    head.len() / lines > 500
}

/// Parses, collects facts and runs the rules on one file. A panic becomes a notice.
/// Rules and the index see the file under its project-relative path; the outcome keeps the
/// path as given for the report.
fn check_text(
    paths: &FilePaths,
    text: String,
    config: &Config,
    dispatch: &Dispatch,
    globs: &Globs,
) -> FileOutcome {
    let path = paths.path.as_path();
    let mut outcome = FileOutcome {
        path: path.to_path_buf(),
        rel: paths.rel.clone(),
        config_rel: paths.config_rel.clone(),
        diagnostics: Vec::new(),
        source: None,
        notice: None,
        note: None,
        suppressions: Vec::new(),
        index: IndexPart::default(),
        lines: 0,
        role: FileRole::default(),
        unread_source: None,
        cacheable: false,
    };
    let manifest = crate::manifest::Kind::from_path(path);
    let dialect = Dialect::from_path(path);
    if manifest.is_none() && dialect.is_none() {
        outcome.notice = Some(lang::unsupported_notice(path));
        return outcome;
    }
    let file = SourceFile::new(&paths.rel, text);
    outcome.lines = file.line_count();
    let started = Instant::now();
    // On a thread with less stack than the nesting limit needs (a caller's of `lint_source`),
    // the check runs on a stack of its own.
    let stack = lang::stack_size(config.max_nesting_depth);
    let result = stacker::maybe_grow(stack, stack, || {
        std::panic::catch_unwind(AssertUnwindSafe(|| match (manifest, dialect) {
            (Some(kind), _) => analyse_manifest(&file, paths, kind, config, dispatch, globs),
            (None, Some(dialect)) => analyse(&file, paths, dialect, config, dispatch, globs),
            (None, None) => Err(lang::unsupported_notice(path)),
        }))
    });
    // a file the time budget may have stopped is checked again next time
    outcome.cacheable = result.is_ok() && started.elapsed() < config.max_file_time;
    match result {
        Ok(Ok((findings, suppressions, index, role, note))) => {
            outcome.role = role;
            outcome.note = note;
            outcome.suppressions = suppressions;
            outcome.index = index;
            if !findings.is_empty() {
                let (diags, source) = to_diagnostics(file, findings);
                outcome.diagnostics = diags;
                outcome.source = Some(Arc::new(SourceFile::new(path, source.text)));
            } else if !outcome.suppressions.is_empty() {
                // for rendering unused-suppression notes; no finding, so no secret to mask
                outcome.source = Some(Arc::new(SourceFile::new(path, file.text)));
            }
        }
        Ok(Err(msg)) => outcome.notice = Some(msg),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            outcome.notice = Some(format!(
                "internal error while checking this file (please report it): {what}"
            ));
        }
    }
    outcome
}

/// Findings, suppressions, index part, role, and a notice when the rules were stopped.
type Analysed = (
    Vec<Finding>,
    Vec<Suppression>,
    IndexPart,
    FileRole,
    Option<String>,
);

/// Files from this size on are analysed one at a time (see [`analyse`]).
const LARGE_FILE_BYTES: usize = 1 << 20;
static LARGE_FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn analyse(
    file: &SourceFile,
    paths: &FilePaths,
    dialect: Dialect,
    config: &Config,
    dispatch: &Dispatch,
    globs: &Globs,
) -> Result<Analysed, String> {
    // A file's syntax trees take about 50 bytes per byte of source while it is analysed (the
    // tree-sitter tree alone over 30): two 9 MB files at once would double the peak, so large
    // files wait for each other; small files go on beside them.
    let _one_large = (file.text.len() >= LARGE_FILE_BYTES)
        .then(|| LARGE_FILE.lock().unwrap_or_else(|e| e.into_inner()));
    let started = Instant::now();
    let ast = lang::parse_limited(dialect, &file.text, config.max_nesting_depth)
        .map_err(|e| e.to_string())?;
    let facts = facts::collect(&ast, file, config);
    let role = globs
        .roles
        .by_path(&paths.rel, &paths.config_rel, &paths.abs)
        .or_else(|| {
            roles::by_content(
                &ast,
                &file.text,
                facts.imports.modules(),
                !facts.handlers.is_empty(),
            )
        })
        .unwrap_or_default();
    let enabled: Vec<bool> = dispatch
        .rules
        .iter()
        .map(|r| registry::reports_in(r.id(), role.role))
        .collect();
    let mut cx = Ctx {
        ast: &ast,
        file,
        facts: &facts,
        config,
        is_test_file: role.role == Role::Test,
        role: role.role,
        rule: "",
        out: Vec::new(),
        at: HashMap::new(),
    };
    // The per-file time budget, checked before every 32nd node that some rule looks at (the
    // first included): reading the clock before each cost more than some rules.
    let mut stopped = None;
    let mut seen = 0u32;
    for (id, node) in ast.nodes.iter().enumerate() {
        let rules = dispatch.for_kind(node.kind.tag());
        if rules.is_empty() {
            continue;
        }
        seen = seen.wrapping_add(1);
        if seen % 32 == 1 && started.elapsed() >= config.max_file_time {
            stopped = Some(format!(
                "stopped after {} s at line {}: the rules did not finish on this file within \
                 `max-file-seconds` ({} s); findings up to that line are reported",
                secs(started.elapsed()),
                file.line_of(node.span.start),
                secs(config.max_file_time)
            ));
            break;
        }
        for &r in rules {
            if !enabled[r] {
                continue;
            }
            let rule = dispatch.rules[r];
            cx.rule = rule.id();
            rule.check(&mut cx, id as u32);
        }
    }
    let findings = cx.out;
    // the tables suppressions need, only for a file with a suppression comment in it
    let (string_spans, ends) = match suppress::may_have_directives(&file.text) {
        true => (outer_strings(&ast), statement_ends(&ast, file)),
        false => (Vec::new(), HashMap::new()),
    };
    let suppressions = suppress::parse(file, ast.lang, &string_spans, |line| {
        ends.get(&line).copied().unwrap_or(line)
    });
    let index = IndexPart {
        path: file.path.clone(),
        module: facts.module.clone(),
        functions: facts
            .functions
            .iter()
            .map(|f| {
                let site = f.query.as_ref().map(|(span, what)| QuerySite {
                    start: file.position(span.start),
                    end: file.position(span.end),
                    what: what.clone(),
                    shape: index_shape(&f.shape),
                });
                (f.name.clone(), f.class.clone(), site)
            })
            .collect(),
        default_pagination: facts.default_pagination,
        rate_limit: facts.rate_limit.clone(),
        global_validation_pipe: facts.global_validation_pipe,
        validated_routes: facts.validated_routes.clone(),
        settings: facts.settings.clone(),
        model_relations: facts.model_relations.clone(),
        returned: facts
            .returned_calls
            .iter()
            .map(|r| {
                let site = call_site(file, &r.module, &r.receiver, r.span, &r.handler);
                (r.name.clone(), site)
            })
            .collect(),
        jwt_callers: if registry::reports_in(rules::jwt_verification_disabled::ID, role.role) {
            facts
                .jwt_calls
                .iter()
                .map(|r| {
                    let site = call_site(file, &r.module, &r.receiver, r.span, &r.caller);
                    (r.name.clone(), site)
                })
                .collect()
        } else {
            Vec::new()
        },
        handler_calls: if registry::reports_in(rules::panic_in_handler::ID, role.role) {
            facts
                .handler_calls
                .iter()
                .map(|r| {
                    let site = call_site(file, &r.module, &r.receiver, r.span, &r.handler);
                    (r.name.clone(), site)
                })
                .collect()
        } else {
            Vec::new()
        },
        offloaders: facts.offloaders.clone(),
        macros: facts.macros.clone(),
        once_callees: facts.once_callees.clone(),
        prefetched: facts.prefetched.clone(),
        passwords: facts.passwords.clone(),
        logging: facts.logging.clone(),
        models: facts.models.clone(),
        paged_models: facts.paged_models.clone(),
        test_modules: if ast.lang == crate::ast::Lang::Rust {
            roles::cfg_test_modules(&file.path, &file.text)
        } else {
            Vec::new()
        },
        external_work: facts.external_work.clone(),
        module_settings: (ast.lang == crate::ast::Lang::Python).then(|| {
            let dev = role.role != Role::Service
                || crate::knowledge::debug_mode::is_dev_only_file(&file.path);
            crate::knowledge::debug_mode::SettingsPart::new(
                &facts.debug_settings,
                &file.path,
                &facts.module,
                dev,
            )
        }),
        transactions: facts.transactions.clone(),
        sql: facts.sql,
        cors: facts.cors,
    };
    let parsed = ast.syntax_error.as_ref().map(|e| partly_parsed(file, e));
    let note = match (parsed, stopped) {
        (Some(p), Some(s)) => Some(format!("{p}; {s}")),
        (p, s) => p.or(s),
    };
    Ok((findings, suppressions, index, role, note))
}

/// A helper's shape as the project index keeps it: a query with no parameter test around it
/// leaves nothing for a call to settle ([`HelperShape::settled_by`]), so then no test is kept.
fn index_shape(shape: &HelperShape) -> HelperShape {
    let settles = !shape.guards.iter().any(Vec::is_empty);
    HelperShape {
        builds_only: shape.builds_only,
        batched_only: shape.batched_only,
        guards: if settles {
            shape.guards.clone()
        } else {
            Vec::new()
        },
    }
}

/// A dependency manifest or configuration file: parsed once, handed to the rules that read
/// manifests, suppression comments read where the format has comments (JSON has none: use
/// `per-path-ignores`). A file that does not parse is a notice.
fn analyse_manifest(
    file: &SourceFile,
    paths: &FilePaths,
    kind: crate::manifest::Kind,
    config: &Config,
    dispatch: &Dispatch,
    globs: &Globs,
) -> Result<Analysed, String> {
    let manifest = crate::manifest::Manifest::parse(kind, &file.text).map_err(|e| {
        let at = file.position(e.offset.min(file.text.len()) as u32);
        format!(
            "could not be parsed: {} (at {}:{}); its dependencies were not checked",
            e.message, at.line, at.column
        )
    })?;
    let role = globs
        .roles
        .for_manifest(&paths.rel, &paths.config_rel, kind, &file.text);
    let mut cx = super::ManifestCtx {
        file,
        manifest: &manifest,
        config,
        role: role.role,
        rule: "",
        out: Vec::new(),
    };
    for rule in &dispatch.rules {
        if registry::reports_in(rule.id(), role.role) {
            cx.rule = rule.id();
            rule.check_manifest(&mut cx);
        }
    }
    let suppressions = if kind.has_comments() {
        let strings = manifest.string_spans();
        let ends = manifest.value_ends(|o| file.line_of(o));
        // `#` comments, as in Python
        suppress::parse(file, crate::ast::Lang::Python, &strings, |line| {
            ends.get(&line).copied().unwrap_or(line)
        })
    } else {
        Vec::new()
    };
    let index = IndexPart {
        path: file.path.clone(),
        ..IndexPart::default()
    };
    Ok((cx.out, suppressions, index, role, None))
}

/// Where a function of this file calls a project function, for the index.
fn call_site(
    file: &SourceFile,
    module: &Option<String>,
    receiver: &Option<String>,
    span: crate::source::Span,
    caller: &str,
) -> ReturnedCallSite {
    ReturnedCallSite {
        path: file.path.clone(),
        module: module.clone(),
        receiver: receiver.clone(),
        start: file.position(span.start),
        end: file.position(span.end),
        handler: caller.to_string(),
    }
}

/// The notice for a file tree-sitter parsed with errors: its rules ran on what parsed.
fn partly_parsed(file: &SourceFile, e: &crate::ast::SyntaxError) -> String {
    let at = file.position(e.offset);
    let what = match &e.missing {
        Some(token) => format!("missing `{token}`"),
        None => {
            let line = file.line_text(at.line as usize - 1);
            let from = (e.offset - file.line_start(at.line as usize - 1)) as usize;
            match line.get(from..).map(near) {
                Some(near) if !near.is_empty() => format!("near `{near}`"),
                _ if line.len() > from => "near a string".to_string(),
                _ => "at the end of the line".to_string(),
            }
        }
    };
    format!(
        "partly parsed: syntax error at {}:{} ({what}); the rules ran on the code that parsed",
        at.line, at.column
    )
}

/// The code where a syntax error starts, safe to print: up to the first quote (a string may
/// hold a secret), long words shortened, at most 40 characters.
fn near(rest: &str) -> String {
    let code = &rest[..rest.find(['"', '\'', '`']).unwrap_or(rest.len())];
    let words: Vec<String> = code
        .split_whitespace()
        .map(|w| {
            if w.chars().count() > 24 {
                format!("{}…", w.chars().take(4).collect::<String>())
            } else {
                w.to_string()
            }
        })
        .collect();
    if words.is_empty() {
        return String::new();
    }
    let joined = words.join(" ");
    let mut near: String = joined.chars().take(40).collect();
    if near.len() < joined.len() || code.len() < rest.trim_end().len() {
        near.push('…');
    }
    near
}

/// Seconds for messages: `60`, `0.5`.
fn secs(d: std::time::Duration) -> String {
    short((d.as_secs_f64() * 10.0).round() / 10.0)
}

/// The string literals not inside another one, sorted (so they do not overlap).
fn outer_strings(ast: &crate::ast::Ast) -> Vec<crate::source::Span> {
    let mut all: Vec<_> = ast
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, Kind::Str(_)))
        .map(|n| n.span)
        .collect();
    all.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut out: Vec<crate::source::Span> = Vec::with_capacity(all.len());
    for s in all {
        match out.last() {
            Some(last) if s.start < last.end => {}
            _ => out.push(s),
        }
    }
    out
}

/// For each line (1-based) a statement starts on, the last line of the outermost node that
/// starts there, for suppressions that cover a whole multi-line statement. Nodes are met in
/// source order; one that starts before a line already seen does not count (as a scan from
/// the top that stops at the first node past the line would not see it).
fn statement_ends(ast: &crate::ast::Ast, file: &SourceFile) -> HashMap<u32, u32> {
    let mut ends: HashMap<u32, u32> = HashMap::new();
    let mut furthest = 0;
    for n in &ast.nodes {
        let l = file.line_of(n.span.start);
        furthest = furthest.max(l);
        if l == furthest && !matches!(n.kind, Kind::Module(_)) {
            let end = file.line_of(n.span.end.saturating_sub(1).max(n.span.start));
            let e = ends.entry(l).or_insert(l);
            *e = (*e).max(end);
        }
    }
    ends
}

/// Turns findings into diagnostics (positions, fingerprints, GitHub line hashes) and returns
/// the source with every secret masked, for rendering.
fn to_diagnostics(file: SourceFile, findings: Vec<Finding>) -> (Vec<Diagnostic>, SourceFile) {
    let hashes = line_hash::LineHashes::of(&file.text);
    let secrets: Vec<Span> = findings.iter().filter_map(|f| f.secret).collect();
    let mut seen: HashMap<(String, &'static str), usize> = HashMap::new();
    let mut diags = Vec::with_capacity(findings.len());
    // each finding is taken apart as it becomes a diagnostic: the two lists do not both grow
    // to the whole (a large file may have many thousands)
    for f in findings {
        let start = file.position(f.span.start);
        let end = file.position(f.span.end);
        let mut message = f.message;
        if let Some(s) = f.secret {
            let secret = file.snippet(s);
            if !secret.is_empty() {
                message = message.replace(secret, &redact(secret));
            }
        }
        let line_text: String = file
            .line_text(start.line as usize - 1)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let line_key = if f.secret.is_some() {
            format!("{:x}", stable_hash(&line_text))
        } else {
            line_text
        };
        // Not the message: rewording a message must not invalidate baselines.
        let key = stable_hash(&format!("{}\u{0}{line_key}", f.rule));
        let n = seen.entry((line_key, f.rule)).or_default();
        *n += 1;
        let fingerprint = format!("{key:016x}:{n}");
        let local_label = |(span, message): (Span, String)| Label {
            path: None,
            span,
            start: file.position(span.start),
            end: file.position(span.end),
            message,
        };
        diags.push(Diagnostic {
            rule: f.rule,
            severity: registry::get(f.rule).map_or(Severity::Warning, |m| m.severity),
            path: file.path.clone(),
            span: f.span,
            start,
            end,
            message,
            help: f.help,
            labels: f.labels.into_iter().map(local_label).collect(),
            flow: f.steps.into_iter().map(local_label).collect(),
            fingerprint,
            line_hash: hashes.get(start.line as usize - 1),
            secret: f.secret,
            condition: f.condition,
            fix: f.fix.and_then(|fix| positioned(fix, &file)),
        });
    }
    let SourceFile { path, mut text, .. } = file;
    for s in secrets {
        redact_in(&mut text, s);
    }
    (diags, SourceFile::new(path, text))
}

/// A rule's fix with the positions of its edits, or `None` when its edits do not fit the text
/// (a rule's mistake must not become a broken file).
fn positioned(
    mut fix: crate::diagnostic::Fix,
    file: &SourceFile,
) -> Option<crate::diagnostic::Fix> {
    debug_assert!(fix.fits(&file.text), "{fix:?}");
    if !fix.fits(&file.text) {
        return None;
    }
    for e in &mut fix.edits {
        e.start = file.position(e.span.start);
        e.end = file.position(e.span.end);
    }
    Some(fix)
}

/// FNV-1a: stable across runs and platforms (fingerprints are stored in baselines).
fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The project-wide step (index, conditions, suppressions, filters, sorting), fed every file's
/// outcome in the order of the files: each file's part of the project index is merged as it
/// comes, and only what the end needs is held (files with findings or suppressions; every
/// file's role when [`Options::roles`]), so that memory does not grow with the tree.
/// Diagnostics are made and sorted on project-relative paths, then given the paths as
/// discovered.
struct Finish<'a> {
    options: &'a Options,
    globs: &'a Globs,
    index: ProjectIndex,
    /// Files of Rust `#[cfg(test)]` modules the files declare.
    test_modules: Vec<PathBuf>,
    report: Report,
    held: Vec<Held>,
}

/// What [`Finish`] keeps of a file until the end.
struct Held {
    path: PathBuf,
    rel: PathBuf,
    config_rel: PathBuf,
    role: FileRole,
    diagnostics: Vec<Diagnostic>,
    suppressions: Vec<Suppression>,
    source: Option<Arc<SourceFile>>,
    unread_source: Option<Vec<Span>>,
}

impl<'a> Finish<'a> {
    fn new(options: &'a Options, globs: &'a Globs, uri_root: PathBuf) -> Finish<'a> {
        Finish {
            options,
            globs,
            index: ProjectIndex::default(),
            test_modules: Vec::new(),
            report: Report {
                uri_root,
                ..Report::default()
            },
            held: Vec::new(),
        }
    }

    fn add(&mut self, mut o: FileOutcome) {
        self.report.files_checked += usize::from(o.notice.is_none());
        self.report.lines_checked += o.lines;
        if let Some(msg) = o.notice.take().or_else(|| o.note.take()) {
            self.report.notices.push(Notice {
                path: o.path.clone(),
                message: msg,
            });
        }
        let mut part = std::mem::take(&mut o.index);
        self.test_modules.append(&mut part.test_modules);
        self.index.add(part);
        if self.options.roles || !o.diagnostics.is_empty() || !o.suppressions.is_empty() {
            self.held.push(Held {
                path: o.path,
                rel: o.rel,
                config_rel: o.config_rel,
                role: o.role,
                diagnostics: o.diagnostics,
                suppressions: o.suppressions,
                source: o.source,
                unread_source: o.unread_source,
            });
        }
    }

    /// A file of the project that was not named: only its part of the index is kept.
    fn add_context(&mut self, mut o: FileOutcome) {
        let mut part = std::mem::take(&mut o.index);
        self.test_modules.append(&mut part.test_modules);
        self.index.add(part);
    }

    /// `prebuilt`: the project's index and `#[cfg(test)]` modules, made beforehand with the
    /// facts of these files in it; else both are those of the files added. `shown`: the paths
    /// as discovered of these project-relative paths.
    fn finish(
        self,
        prebuilt: Option<(&ProjectIndex, &[PathBuf])>,
        shown: &dyn Fn(&std::collections::HashSet<&Path>) -> HashMap<PathBuf, PathBuf>,
    ) -> Report {
        let Finish {
            options,
            globs,
            index,
            test_modules,
            mut report,
            held,
        } = self;
        let config = &options.config;
        let (index, test_modules) = prebuilt.unwrap_or((&index, &test_modules));
        for mut o in held {
            if o.role.role != Role::Test && !o.role.reason.starts_with("configured") {
                if let Some(m) = test_modules.iter().find(|m| roles::is_in_module(&o.rel, m)) {
                    o.role = FileRole {
                        role: Role::Test,
                        reason: format!(
                            "declared as a `#[cfg(test)]` module (`{}`)",
                            json::slash_path(m)
                        ),
                    };
                    let role = o.role.role;
                    o.diagnostics.retain(|d| registry::reports_in(d.rule, role));
                }
            }
            if options.roles {
                report.roles.push((o.path.clone(), o.role.clone()));
            }
            let mut kept = Vec::with_capacity(o.diagnostics.len());
            let lines = suppress::Lines::new(&o.suppressions);
            for mut d in std::mem::take(&mut o.diagnostics) {
                if !resolve(&mut d, index, &o.rel) {
                    continue;
                }
                if globs.ignored(&o.config_rel, d.rule) {
                    continue;
                }
                if let Some(s) = config.severity.get(d.rule) {
                    d.severity = *s;
                }
                // A finding below the minimum severity still uses its suppression.
                if suppress::covers(&mut o.suppressions, &lines, &d)
                    || d.severity < config.min_severity
                {
                    continue;
                }
                kept.push(d);
            }
            for mut d in suppress::unused(&o.suppressions, &o.rel, config) {
                if let Some(s) = config.severity.get(d.rule) {
                    d.severity = *s;
                }
                if d.severity >= config.min_severity && !globs.ignored(&o.config_rel, d.rule) {
                    kept.push(d);
                }
            }
            if !kept.is_empty() && !options.no_sources {
                let source = o.source.clone().or_else(|| {
                    let secrets = o.unread_source.as_deref()?;
                    let mut text = std::fs::read_to_string(&o.path).ok()?;
                    for s in secrets {
                        redact_in(&mut text, *s);
                    }
                    Some(Arc::new(SourceFile::new(&o.path, text)))
                });
                if let Some(s) = source {
                    report.sources.insert(o.path.clone(), s);
                }
            }
            report.diagnostics.extend(kept);
        }
        report
            .diagnostics
            .sort_by(|a, b| (&a.path, a.start, a.rule).cmp(&(&b.path, b.start, b.rule)));
        let wanted: std::collections::HashSet<&Path> = report
            .diagnostics
            .iter()
            .flat_map(|d| {
                let labels = d.labels.iter().filter_map(|l| l.path.as_deref());
                std::iter::once(d.path.as_path()).chain(labels)
            })
            .collect();
        let shown = shown(&wanted);
        drop(wanted);
        let show = |p: &mut PathBuf| {
            if let Some(s) = shown.get(p) {
                p.clone_from(s);
            }
        };
        for d in &mut report.diagnostics {
            show(&mut d.path);
            for p in d.labels.iter_mut().filter_map(|l| l.path.as_mut()) {
                show(p);
            }
        }
        report
    }
}

/// Feeds [`Finish`] the outcomes of files checked out of order, in the order of the files
/// (the project index is merged in the same order on every run).
struct InOrder<'a> {
    next: usize,
    /// The first this many outcomes are of the project's other files, for the index only.
    context: usize,
    waiting: std::collections::BTreeMap<usize, FileOutcome>,
    step: Finish<'a>,
}

impl InOrder<'_> {
    fn put(&mut self, i: usize, o: FileOutcome) {
        if i != self.next {
            self.waiting.insert(i, o);
            return;
        }
        self.add(o);
        while let Some(o) = self.waiting.remove(&self.next) {
            self.add(o);
        }
    }

    fn add(&mut self, o: FileOutcome) {
        if self.next < self.context {
            self.step.add_context(o);
        } else {
            self.step.add(o);
        }
        self.next += 1;
    }
}

/// The project-wide step for one file (editors, `--stdin-filename`).
fn finish_one(
    outcome: FileOutcome,
    prebuilt: Option<(&ProjectIndex, &[PathBuf])>,
    options: &Options,
    globs: &Globs,
    uri_root: PathBuf,
) -> Report {
    let (rel, path) = (outcome.rel.clone(), outcome.path.clone());
    let mut step = Finish::new(options, globs, uri_root);
    step.add(outcome);
    step.finish(prebuilt, &|_| HashMap::from([(rel.clone(), path.clone())]))
}

/// Applies a finding's project-wide condition; false drops the finding.
fn resolve(d: &mut Diagnostic, index: &ProjectIndex, path: &Path) -> bool {
    match d.condition.take() {
        None => true,
        Some(Condition::NoDefaultPagination) => !index.default_pagination,
        Some(Condition::NoRateLimit(check)) => !index.rate_limit.covers(&check),
        Some(Condition::NoGlobalValidationPipe) => !index.global_validation_pipe,
        Some(Condition::UnlessValidatedRoute(name)) => !index.validated_routes.contains(&name),
        Some(Condition::ReturnedByHandler { name, class }) => {
            let Some(site) = index.handler_returning(path, &name, class.as_deref()) else {
                return false;
            };
            d.message = d
                .message
                .replace("{handler}", &format!("`{}`", site.handler));
            d.labels.push(Label {
                path: Some(site.path.clone()),
                span: Default::default(),
                start: site.start,
                end: site.end,
                message: format!("`{}` sends the result to the client here", site.handler),
            });
            true
        }
        Some(Condition::AuthorisedByCaller { name, class }) => {
            let Some(site) = index.authorising_caller(path, &name, class.as_deref()) else {
                return false;
            };
            let (caller, how) = site.handler.split_once('\t').unwrap_or((&site.handler, ""));
            d.message = d.message.replace("{caller}", caller);
            d.labels.push(Label {
                path: Some(site.path.clone()),
                span: Default::default(),
                start: site.start,
                end: site.end,
                message: format!("{caller} takes the unverified claims here: they {how}"),
            });
            true
        }
        Some(Condition::CalledByHandler { name, class, args }) => {
            let Some(site) = index.handler_calling(path, &name, class.as_deref(), &args) else {
                return false;
            };
            let mut parts = site.handler.split('\t');
            let h = parts.next().unwrap_or_default();
            let fw = parts.next().unwrap_or("HTTP");
            let (caller, how) = if h.is_empty() {
                (
                    format!("it is registered as a {fw} route"),
                    format!("`{name}` is registered as a route here"),
                )
            } else {
                (
                    format!("the {fw} handler `{h}` passes it request data"),
                    format!("`{h}` calls `{name}` with request data here"),
                )
            };
            d.message = d.message.replace("{handler}", &caller);
            d.labels.push(Label {
                path: Some(site.path.clone()),
                span: Default::default(),
                start: site.start,
                end: site.end,
                message: how,
            });
            true
        }
        Some(Condition::UnlessProjectSetting(s)) => !index.settings.contains(s),
        Some(Condition::UnlessCalledInTransaction(name)) => !index.runs_in_transaction(&name),
        Some(Condition::UnlessAtomicRequests) => !index.atomic_requests,
        Some(Condition::UnlessOffloaded(names)) => !names.iter().any(|n| index.offloads(n)),
        Some(Condition::UnlessPrefetched(name)) => !index.prefetched.contains(&name),
        Some(Condition::UnlessSettingOverridden {
            module,
            name,
            later,
        }) => !crate::knowledge::debug_mode::overridden(
            &index.module_settings,
            &module,
            &name,
            &later,
        ),
        Some(Condition::UnlessSafeSources { params, validators }) => {
            let fed = params
                .iter()
                .all(|(f, pos, name)| index.sql.constant_fed(f, *pos, name));
            let validated = validators.iter().all(|v| {
                index
                    .sql
                    .is_validator(v, index.defined.get(v).copied().unwrap_or(0))
            });
            !(fed && validated)
        }
        Some(Condition::UnlessExternalWork(callees)) => !callees
            .iter()
            .any(|(m, n)| index.does_external_work(path, m.as_deref(), n)),
        Some(Condition::UnlessModelHashesPasswords { model, constructor }) => {
            !index.passwords.model_hashes(&model, constructor)
        }
        Some(Condition::FastHashHelper { module, name, arg }) => {
            match index
                .passwords
                .fast_hasher(path, module.as_deref(), &name, arg)
            {
                Some(h) => {
                    d.message = d.message.replace("{algo}", &h.algo);
                    true
                }
                None => false,
            }
        }
        Some(Condition::UnlessIdField(field)) => !index.logging.is_id_field(&field),
        Some(Condition::DebugPrintsSecret { ty }) => match index.logging.secret_field(&ty) {
            Some(field) => {
                d.message = d.message.replace("{field}", field);
                true
            }
            None => false,
        },
        Some(Condition::UnlessRunsOnce(names)) => {
            !names.iter().any(|n| index.once_callees.contains(n))
        }
        Some(Condition::All(all)) => all.into_iter().all(|c| {
            d.condition = Some(c);
            resolve(d, index, path)
        }),
        Some(Condition::ModelGrows {
            model,
            module,
            pins,
            appended,
        }) => {
            let declared_in = crate::index::declared_in(path, module.as_deref());
            crate::knowledge::growth::grows(
                &index.model_tables(),
                &declared_in,
                &model,
                &pins,
                appended,
            )
        }
        Some(Condition::LazyRelation {
            module,
            model,
            field,
        }) => index.is_lazy_relation(path, module.as_deref(), &model, &field),
        Some(Condition::UnlessCalleeReadsPrefetched {
            module,
            name,
            method_of,
            relations,
        }) => index
            .querying_callee(path, module.as_deref(), &name, method_of.as_deref())
            .and_then(|f| crate::knowledge::relations::related_manager_display(&f.site.what))
            .is_none_or(|rel| !relations.iter().any(|r| r == rel)),
        Some(Condition::Cors(check)) => match index.cors.settle(&check) {
            None => false,
            Some(related) => {
                if let Some(r) = related {
                    d.labels.push(Label {
                        path: Some(r.path),
                        span: Default::default(),
                        start: r.start,
                        end: r.end,
                        message: r.message,
                    });
                }
                true
            }
        },
        Some(Condition::UnlessModelDefines { model, method }) => {
            !index.model_methods.contains(&(model, method))
        }
        Some(Condition::CalleeQueries {
            module,
            name,
            method_of,
            model_arg,
            call,
        }) => {
            let Some(f) =
                index.querying_callee(path, module.as_deref(), &name, method_of.as_deref())
            else {
                return false;
            };
            // the call settles the helper's queries the other way, or only gets a lazy queryset
            if f.site.shape.idle_for(&call) {
                return false;
            }
            // a helper whose query is a bulk write is the batching itself; one that upserts is
            // a per-row upsert (see `direct_query` in the rule)
            if crate::knowledge::orm::is_bulk_display(&f.site.what)
                || crate::knowledge::orm::is_upsert_display(&f.site.what)
                || model_arg && crate::knowledge::orm::is_variable_model_display(&f.site.what)
            {
                return false;
            }
            d.message = d.message.replace("{query}", &f.site.what);
            d.labels.push(Label {
                path: Some(f.path.to_path_buf()),
                span: Default::default(),
                start: f.site.start,
                end: f.site.end,
                message: format!("`{name}` runs `{}` here", f.site.what),
            });
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &[(&str, &str)] = &[
        (
            "a.py",
            "import os\n\n@app.get(\n    '/x'\n)\ndef f(a,\n      b):  # x\n    q = (\"SELECT \"\n         f\"{a}\")\n    return [\n        x for x in b\n    ]\n\nclass C:\n    @property\n    def p(self): return 1\n",
        ),
        (
            "a.ts",
            "const q = `a ${b} c`;\nrouter.get('/x',\n  async (req, res) => {\n    res.json(await db.query(\n      'SELECT 1'));\n  });\n@Injectable()\nexport class S { constructor(private r: Repo) {} }\n",
        ),
        (
            "a.rs",
            "#[get(\"/x\")]\nasync fn f(\n    p: Pool,\n) -> Json<Vec<i64>> {\n    let v = sqlx::query(&format!(\"SELECT {}\", 1))\n        .fetch_all(&p)\n        .await;\n    Json(v)\n}\n",
        ),
    ];

    /// The last line of the outermost node starting on `line`, scanning from the top.
    fn scan_end(ast: &crate::ast::Ast, file: &SourceFile, line: u32) -> u32 {
        let mut end = line;
        for n in &ast.nodes {
            let l = file.line_of(n.span.start);
            if l == line && !matches!(n.kind, Kind::Module(_)) {
                end = end.max(file.line_of(n.span.end.saturating_sub(1).max(n.span.start)));
            }
            if l > line {
                break;
            }
        }
        end
    }

    #[test]
    fn statement_ends_match_a_scan_from_the_top() {
        for (path, src) in SOURCES {
            let file = SourceFile::new(*path, src.to_string());
            let dialect = Dialect::from_path(Path::new(path)).unwrap();
            let ast = lang::parse(dialect, &file.text).unwrap();
            let ends = statement_ends(&ast, &file);
            for line in 1..=file.line_count() as u32 {
                let end = ends.get(&line).copied().unwrap_or(line);
                assert_eq!(end, scan_end(&ast, &file, line), "{path}:{line}");
            }
        }
    }

    #[test]
    fn outer_strings_cover_every_string() {
        for (path, src) in SOURCES {
            let dialect = Dialect::from_path(Path::new(path)).unwrap();
            let ast = lang::parse(dialect, src).unwrap();
            let outer = outer_strings(&ast);
            assert!(outer.windows(2).all(|w| w[0].end <= w[1].start), "{path}");
            for n in ast.nodes.iter().filter(|n| matches!(n.kind, Kind::Str(_))) {
                assert!(
                    outer
                        .iter()
                        .any(|o| o.start <= n.span.start && n.span.end <= o.end),
                    "{path}: {:?}",
                    n.span
                );
            }
        }
    }
}
