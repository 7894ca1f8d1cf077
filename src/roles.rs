//! File roles: where a file's code runs (RULES.md, "Where each rule applies").
//!
//! Every file gets one role, decided once: a `[roles]` glob from the configuration first, then
//! its path (relative to the checked project), the nearest package manifest (`package.json`,
//! `Cargo.toml`), then markers in the file itself. Each rule declares the roles it reports in
//! (`roles:` in `rules/<id>.md`); the engine runs a rule on a file only in those roles. The
//! reason is kept so users can see it (`backlint check --explain-roles`).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::ast::{Ast, Kind, Lang, NodeId};

/// Where a file's code runs.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Role {
    /// Handlers, services, models, settings of a server (the default).
    #[default]
    Service,
    /// Background jobs, queue consumers, scheduled tasks of the server.
    Worker,
    /// One-shot programs: management commands, `npm run` tools, CLI binaries.
    Script,
    Test,
    Migration,
    /// Seed and demo-data scripts.
    Seed,
    /// Browser and desktop code.
    Client,
    /// Build scripts and configs, examples and documentation, mock servers.
    Tooling,
    /// Generated or vendored files: no rule runs.
    Generated,
}

pub const ALL: &[Role] = &[
    Role::Service,
    Role::Worker,
    Role::Script,
    Role::Test,
    Role::Migration,
    Role::Seed,
    Role::Client,
    Role::Tooling,
    Role::Generated,
];

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Service => "service",
            Role::Worker => "worker",
            Role::Script => "script",
            Role::Test => "test",
            Role::Migration => "migration",
            Role::Seed => "seed",
            Role::Client => "client",
            Role::Tooling => "tooling",
            Role::Generated => "generated",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        ALL.iter().copied().find(|r| r.name() == s)
    }
}

/// A file's role and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileRole {
    pub role: Role,
    pub reason: String,
}

impl FileRole {
    fn new(role: Role, reason: impl Into<String>) -> FileRole {
        FileRole {
            role,
            reason: reason.into(),
        }
    }
}

/// Folder names (any level) and the role they give.
const DIRS: &[(&str, Role)] = &[
    ("tests", Role::Test),
    ("test", Role::Test),
    ("__tests__", Role::Test),
    ("e2e", Role::Test),
    ("cypress", Role::Test),
    ("playwright", Role::Test),
    ("testing", Role::Test),
    ("test_utils", Role::Test),
    ("testutils", Role::Test),
    ("test-utils", Role::Test),
    ("test_helpers", Role::Test),
    ("test-helpers", Role::Test),
    ("integration_tests", Role::Test),
    ("migrations", Role::Migration),
    ("migration", Role::Migration),
    ("alembic", Role::Migration),
    ("seed", Role::Seed),
    ("seeds", Role::Seed),
    ("seeders", Role::Seed),
    ("seeding", Role::Seed),
    ("generated", Role::Generated),
    ("__generated__", Role::Generated),
    ("examples", Role::Tooling),
    ("example", Role::Tooling),
    ("docs", Role::Tooling),
    ("benches", Role::Tooling),
    ("__mocks__", Role::Tooling),
    ("mocks", Role::Tooling),
    (".storybook", Role::Tooling),
    ("static", Role::Client),
    ("project-static", Role::Client),
    ("assets", Role::Client),
    ("public", Role::Client),
    ("frontend", Role::Client),
    ("front-end", Role::Client),
    ("client-only", Role::Client),
    ("browser", Role::Client),
    ("src-tauri", Role::Client),
    ("scripts", Role::Script),
    ("script", Role::Script),
    ("bin", Role::Script),
    ("tools", Role::Script),
    ("cli", Role::Script),
    ("commands", Role::Script),
    ("dags", Role::Script),
    ("workers", Role::Worker),
    ("worker", Role::Worker),
    ("jobs", Role::Worker),
    ("tasks", Role::Worker),
    ("queues", Role::Worker),
    ("consumers", Role::Worker),
    ("processors", Role::Worker),
    ("cron", Role::Worker),
];

/// Folders holding sample projects that tests read: a manifest there is a test fixture.
const MANIFEST_FIXTURE_DIRS: &[&str] = &[
    "fixtures",
    "fixture",
    "__fixtures__",
    "test-fixtures",
    "test_fixtures",
    "testdata",
    "test-data",
    "test_data",
];

/// Words of a file name (split on `_`, `-`, `.`) and the role they give.
const NAME_WORDS: &[(&str, Role)] = &[
    ("test", Role::Test),
    ("tests", Role::Test),
    ("testing", Role::Test),
    ("conftest", Role::Test),
    ("spec", Role::Test),
    ("e2e", Role::Test),
    ("seed", Role::Seed),
    ("seeds", Role::Seed),
    ("seeder", Role::Seed),
    ("populatedb", Role::Seed),
    ("datacreator", Role::Seed),
    ("stories", Role::Tooling),
    ("gulpfile", Role::Tooling),
    ("gruntfile", Role::Tooling),
    ("webpack", Role::Tooling),
    ("rollup", Role::Tooling),
    ("esbuild", Role::Tooling),
    ("bundle", Role::Tooling),
    ("gatsby", Role::Tooling),
    ("jest", Role::Tooling),
    ("manage", Role::Script),
    ("setup", Role::Script),
    ("migrate", Role::Script),
    ("deploy", Role::Script),
    ("build", Role::Script),
    ("cli", Role::Script),
    ("celery", Role::Worker),
    ("tasks", Role::Worker),
    ("worker", Role::Worker),
];

/// Two-word file names of demo-data generators and database resets (`random_data.py`,
/// `db-reset.js`, `sample_data.ts`).
const DATA_NAMES: &[(&str, &str)] = &[
    ("random", "data"),
    ("sample", "data"),
    ("demo", "data"),
    ("fake", "data"),
    ("dummy", "data"),
    ("populate", "db"),
    ("db", "reset"),
    ("reset", "db"),
    ("load", "fixtures"),
    ("data", "creator"),
];

/// Packages that make a JavaScript package a front end (browser or desktop UI).
const UI_PACKAGES: &[&str] = &[
    "react",
    "react-dom",
    "vue",
    "@angular/core",
    "svelte",
    "solid-js",
    "preact",
    "electron",
    "@tauri-apps/api",
    "react-native",
    "expo",
];

/// Packages that make a JavaScript package (also) a server.
const SERVER_PACKAGES: &[&str] = &[
    "express",
    "koa",
    "fastify",
    "@nestjs/core",
    "@hapi/hapi",
    "hapi",
    "restify",
    "next",
    "@remix-run/node",
    "@remix-run/server-runtime",
    "@react-router/node",
    "hono",
    "@trpc/server",
    "@prisma/client",
    "prisma",
    "sequelize",
    "typeorm",
    "mongoose",
    "mongodb",
    "pg",
    "mysql2",
    "knex",
    "drizzle-orm",
    "@sveltejs/kit",
    "nuxt",
    "apollo-server",
    "@apollo/server",
    "graphql-yoga",
    "ioredis",
    "bullmq",
];

/// Crates that make a Rust crate a server.
const SERVER_CRATES: &[&str] = &[
    "actix-web",
    "axum",
    "rocket",
    "warp",
    "poem",
    "tide",
    "salvo",
    "hyper",
    "tonic",
    "lambda_http",
    "ntex",
];

/// Imports that mark a file as browser UI code.
const UI_IMPORTS: &[&str] = &[
    "react-dom",
    "react-router",
    "react-router-dom",
    "vue",
    "@angular/core",
    "svelte",
    "solid-js",
    "preact",
    "next/navigation",
    "next/router",
    "next/link",
    "@remix-run/react",
    "@tanstack/react-query",
];

/// Exports of a UI module that run on the server (route loaders and actions).
const SERVER_EXPORTS: &[&str] = &[
    "loader",
    "action",
    "getServerSideProps",
    "generateMetadata",
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
];

/// What a package manifest says about its files.
#[derive(Clone, Debug)]
enum Manifest {
    Js {
        dir: PathBuf,
        ui: Option<String>,
        server: bool,
        /// Files named by `scripts` and `bin`, relative to `dir`.
        script_files: Vec<PathBuf>,
        /// `exclude` globs of `tsconfig.json` beside it: files outside the program.
        ts_excluded: Arc<GlobSet>,
    },
    Cargo {
        dir: PathBuf,
        tauri: bool,
        server: bool,
    },
}

/// The nearest `package.json` and `Cargo.toml` at or above a folder.
type Manifests = (Option<Manifest>, Option<Manifest>);

/// Decides roles; built once per run and shared by the worker threads.
pub struct Classifier {
    overrides: Vec<(Arc<GlobSet>, Role, String)>,
    tests: Arc<GlobSet>,
    /// Directory -> nearest manifests (package.json, Cargo.toml) at or above it.
    manifests: Mutex<HashMap<PathBuf, Manifests>>,
}

/// The globs that compile (a bad one was reported when the configuration was read).
/// Compiled sets are kept for the process: building one (a regex set) costs more than
/// checking a small file, and [`crate::lint_source`] builds its classifier per call. Shared,
/// not cloned: a cloned set starts its regex's match cache afresh (that cost a per-file
/// classifier more than the rest of the role).
pub(crate) fn glob_set(globs: &[String]) -> Arc<GlobSet> {
    type Sets = Mutex<HashMap<Vec<String>, Arc<GlobSet>>>;
    static SETS: std::sync::OnceLock<Sets> = std::sync::OnceLock::new();
    let sets = SETS.get_or_init(Default::default);
    if let Some(set) = sets.lock().unwrap_or_else(|e| e.into_inner()).get(globs) {
        return set.clone();
    }
    let set = Arc::new(build_glob_set(globs));
    let mut sets = sets.lock().unwrap_or_else(|e| e.into_inner());
    if sets.len() < 256 {
        sets.insert(globs.to_vec(), set.clone());
    }
    set
}

fn build_glob_set(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(g) = Glob::new(g) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Matches a glob set against a relative path, with and without a leading `./`, and with any
/// folder above it (`**/tests/**` also matches `tests/x.py`).
fn matches(set: &GlobSet, rel: &Path) -> bool {
    let p = rel.strip_prefix("./").unwrap_or(rel);
    set.is_match(p) || set.is_match(Path::new("x").join(p))
}

fn lower_name(c: Component) -> Option<String> {
    match c {
        Component::Normal(s) => Some(s.to_string_lossy().to_ascii_lowercase()),
        _ => None,
    }
}

impl Classifier {
    /// `roles` are the configured `[roles]` globs, `test_paths` the configured test globs.
    pub fn new(roles: &[(String, Role)], test_paths: &[String]) -> Classifier {
        Classifier {
            overrides: roles
                .iter()
                .map(|(g, r)| (glob_set(std::slice::from_ref(g)), *r, g.clone()))
                .collect(),
            tests: glob_set(test_paths),
            manifests: Mutex::new(HashMap::new()),
        }
    }

    /// The role a file's path gives (configuration, folders, file name, manifests), before
    /// its content is read. `rel` is relative to the project root, `config_rel` to the
    /// configuration file's directory (configured globs are), `path` is where to read the
    /// manifests around it (absolute, so every spelling of the tree finds the same ones).
    pub fn by_path(&self, rel: &Path, config_rel: &Path, path: &Path) -> Option<FileRole> {
        for (set, role, glob) in &self.overrides {
            if matches(set, config_rel) {
                return Some(FileRole::new(
                    *role,
                    format!("configured: `{glob}` in [roles]"),
                ));
            }
        }
        if matches(&self.tests, config_rel) {
            return Some(FileRole::new(Role::Test, "matches a test-path glob"));
        }
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if let Some(r) = self.ts_excluded(path) {
            return Some(r);
        }
        if name == "build.rs" {
            return Some(FileRole::new(Role::Tooling, "Cargo build script"));
        }
        let dirs: Vec<String> = rel
            .parent()
            .map(|p| p.components().filter_map(lower_name).collect())
            .unwrap_or_default();
        // The outermost folder that gives a role wins (`scripts/tests/x.py` is a test of the
        // scripts, and is test code either way; `tests/static/` is test code).
        let by_dir = dirs.iter().enumerate().find_map(|(i, d)| {
            let role = DIRS.iter().find(|(n, _)| n == d)?.1;
            // `versions/` is a migration folder only under alembic/migrations (already caught);
            // `commands/` only under Django's `management/`.
            if d == "commands" && (i == 0 || dirs[i - 1] != "management") {
                return None;
            }
            Some((role, d))
        });
        if let Some((role, d)) = by_dir {
            return Some(FileRole::new(role, format!("in a `{d}/` folder")));
        }
        let stem = name.split('.').next().unwrap_or(&name).to_string();
        let words: Vec<&str> = name
            .split(['_', '-', '.'])
            .filter(|w| !w.is_empty())
            .collect();
        // the extension is not a word of the name
        let words = &words[..words.len().saturating_sub(1)];
        // bundler and test-runner configs: `vite.config.ts`, `jest.config.js`
        let js = matches!(words.len(), 2..)
            && rel.extension().is_some_and(|e| {
                ["js", "ts", "mjs", "cjs", "mts", "cts"].contains(&e.to_string_lossy().as_ref())
            });
        if js && words.last() == Some(&"config") {
            return Some(FileRole::new(Role::Tooling, format!("file name `{name}`")));
        }
        for (w, role) in NAME_WORDS {
            // `manage.py`, `setup.py`: the whole name, not a word of it (`setup-2fa.ts`)
            let whole = *role == Role::Script;
            if if whole { stem == *w } else { words.contains(w) } {
                return Some(FileRole::new(*role, format!("file name `{name}`")));
            }
        }
        for (a, b) in DATA_NAMES {
            if words.windows(2).any(|p| p[0] == *a && p[1] == *b) || stem == format!("{a}{b}") {
                return Some(FileRole::new(Role::Seed, format!("file name `{name}`")));
            }
        }
        self.by_manifest(path)
    }

    /// The role of a dependency manifest or configuration file ([`crate::manifest`]): a
    /// `[roles]` glob, else test fixture when it sits in a fixture folder (`fixtures/`,
    /// `testdata/`: sample projects that tests read), else the role its folder gives, with test
    /// folders giving `tooling` (the manifest of a test suite, `e2e/package.json`, declares
    /// real dependencies), else `service`. File names do not count: `requirements-test.txt`
    /// is a real manifest. A requirements file compiled by a resolver (`pip-compile`, `uv
    /// export`) is generated: it lists the whole tree, and its source is read instead.
    pub fn for_manifest(
        &self,
        rel: &Path,
        config_rel: &Path,
        kind: crate::manifest::Kind,
        text: &str,
    ) -> FileRole {
        for (set, role, glob) in &self.overrides {
            if matches(set, config_rel) {
                return FileRole::new(*role, format!("configured: `{glob}` in [roles]"));
            }
        }
        if let Some(tool) = crate::manifest::compiled_by(kind, text) {
            return FileRole::new(
                Role::Generated,
                format!("a requirements file compiled by {tool} (its source manifest is checked)"),
            );
        }
        let dirs: Vec<String> = rel
            .parent()
            .map(|p| p.components().filter_map(lower_name).collect())
            .unwrap_or_default();
        if let Some(d) = dirs
            .iter()
            .find(|d| MANIFEST_FIXTURE_DIRS.contains(&d.as_str()))
        {
            return FileRole::new(
                Role::Test,
                format!("a manifest in a `{d}/` folder (a test fixture)"),
            );
        }
        let by_dir = dirs
            .iter()
            .find_map(|d| DIRS.iter().find(|(n, _)| n == d).map(|(_, r)| (*r, d)));
        match by_dir {
            Some((Role::Test, d)) => FileRole::new(
                Role::Tooling,
                format!("the manifest of test tooling (in a `{d}/` folder)"),
            ),
            Some((role, d)) => FileRole::new(role, format!("in a `{d}/` folder")),
            None => FileRole::new(Role::Service, "a dependency manifest"),
        }
    }

    /// A TypeScript/JavaScript file that the nearest `tsconfig.json` leaves out of the program
    /// (snippets, fixtures): not code the service runs.
    fn ts_excluded(&self, path: &Path) -> Option<FileRole> {
        let ext = path.extension()?.to_str()?;
        if !["ts", "tsx", "js", "jsx", "mts", "cts", "mjs", "cjs"].contains(&ext) {
            return None;
        }
        let (js, _) = self.manifests_for(path.parent()?);
        let Some(Manifest::Js {
            dir, ts_excluded, ..
        }) = js
        else {
            return None;
        };
        let rel = path.strip_prefix(&dir).unwrap_or(path);
        ts_excluded.is_match(rel).then(|| {
            FileRole::new(
                Role::Tooling,
                "excluded from the TypeScript project (`exclude` in tsconfig.json)",
            )
        })
    }

    fn by_manifest(&self, path: &Path) -> Option<FileRole> {
        let dir = path.parent()?;
        let (js, cargo) = self.manifests_for(dir);
        if let Some(Manifest::Js {
            dir,
            ui,
            server,
            script_files,
            ts_excluded,
        }) = js
        {
            let _ = ts_excluded;
            let rel = path.strip_prefix(&dir).unwrap_or(path);
            let in_script_dir = script_files.iter().any(|f| {
                f == rel
                    || f.parent()
                        .is_some_and(|p| !p.as_os_str().is_empty() && rel.starts_with(p))
            });
            if in_script_dir {
                return Some(FileRole::new(
                    Role::Script,
                    "run by an `npm run` script or `bin` of package.json",
                ));
            }
            if let (Some(ui), false) = (ui, server) {
                return Some(FileRole::new(
                    Role::Client,
                    format!("its package.json depends on `{ui}` and on no server framework"),
                ));
            }
        }
        if let Some(Manifest::Cargo { dir, tauri, server }) = cargo {
            if tauri {
                return Some(FileRole::new(
                    Role::Client,
                    "a Tauri desktop app (Cargo.toml)",
                ));
            }
            let rel = path.strip_prefix(&dir).unwrap_or(path);
            let is_bin = rel == Path::new("src/main.rs") || rel.starts_with("src/bin");
            if is_bin && !server {
                return Some(FileRole::new(
                    Role::Script,
                    "a binary of a crate with no server framework (Cargo.toml)",
                ));
            }
        }
        None
    }

    fn manifests_for(&self, dir: &Path) -> Manifests {
        if let Some(m) = self.manifests.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return m;
        }
        let (js, cargo) = read_manifests(dir);
        let found = match (js.is_some(), cargo.is_some()) {
            (true, true) => (js, cargo),
            _ => {
                let up = match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => self.manifests_for(p),
                    _ => (None, None),
                };
                (js.or(up.0), cargo.or(up.1))
            }
        };
        if let Ok(mut m) = self.manifests.lock() {
            m.insert(dir.to_path_buf(), found.clone());
        }
        found
    }
}

/// Size and modification time of a file: `Some(None)` when it is missing, `None` when that
/// cannot be told.
type Stamp = Option<(std::time::SystemTime, u64)>;

fn stamp(path: &Path) -> Option<Stamp> {
    match std::fs::metadata(path) {
        Ok(m) => Some(Some((m.modified().ok()?, m.len()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(None),
        Err(_) => None,
    }
}

/// The `package.json` (with its `tsconfig.json`) and `Cargo.toml` of one folder, kept for the
/// process while those files are unchanged (same size and modification time): a classifier
/// is made per call of [`crate::lint_source`] (the language server, the floor benchmark), and
/// each read and parsed them again for every file.
fn read_manifests(dir: &Path) -> Manifests {
    type Seen = Mutex<HashMap<PathBuf, ([Stamp; 3], Manifests)>>;
    static SEEN: std::sync::OnceLock<Seen> = std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let stamps = ["package.json", "tsconfig.json", "Cargo.toml"].map(|f| stamp(&dir.join(f)));
    let stamps = match stamps {
        [Some(a), Some(b), Some(c)] => Some([a, b, c]),
        _ => None,
    };
    if let Some(s) = &stamps {
        if s.iter().all(Option::is_none) {
            return (None, None);
        }
        let known = seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, m)) = known.get(dir).filter(|(k, _)| k == s) {
            return m.clone();
        }
    }
    let found = (read_package_json(dir), read_cargo_toml(dir));
    if let Some(s) = stamps {
        let mut known = seen.lock().unwrap_or_else(|e| e.into_inner());
        known.insert(dir.to_path_buf(), (s, found.clone()));
    }
    found
}

fn read_package_json(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut deps: Vec<&str> = Vec::new();
    for key in ["dependencies", "devDependencies", "peerDependencies"] {
        if let Some(o) = v.get(key).and_then(|d| d.as_object()) {
            deps.extend(o.keys().map(String::as_str));
        }
    }
    let runtime: Vec<&str> = v
        .get("dependencies")
        .and_then(|d| d.as_object())
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let ui = UI_PACKAGES
        .iter()
        .find(|p| deps.contains(p))
        .map(|p| p.to_string());
    let server = SERVER_PACKAGES.iter().any(|p| runtime.contains(p));
    let mut script_files = Vec::new();
    let mut add = |cmd: &str| {
        for w in cmd.split_whitespace() {
            let w = w.trim_matches(|c| c == '"' || c == '\'');
            let is_file = [".js", ".ts", ".mjs", ".cjs", ".mts"]
                .iter()
                .any(|e| w.ends_with(e));
            if is_file && !w.contains("config") {
                script_files.push(PathBuf::from(w.trim_start_matches("./")));
            }
        }
    };
    if let Some(o) = v.get("scripts").and_then(|s| s.as_object()) {
        for (name, cmd) in o {
            // the server's own start command is not a one-shot script
            if ["start", "dev", "serve", "server", "prod", "debug"]
                .iter()
                .any(|s| name == s || name.starts_with(&format!("{s}:")))
            {
                continue;
            }
            if let Some(c) = cmd.as_str() {
                add(c);
            }
        }
    }
    match v.get("bin") {
        Some(serde_json::Value::String(s)) => add(s),
        Some(serde_json::Value::Object(o)) => o.values().filter_map(|c| c.as_str()).for_each(add),
        _ => {}
    }
    Some(Manifest::Js {
        dir: dir.to_path_buf(),
        ui,
        server,
        script_files,
        ts_excluded: tsconfig_excludes(dir),
    })
}

/// `exclude` globs of `dir/tsconfig.json` that name a folder inside the project
/// (`data/snippets/**`; comments and trailing commas tolerated). Bare names (`frontend`,
/// `dist`) and patterns (`**/*.d.ts`) are left out: they name other projects and build output.
fn tsconfig_excludes(dir: &Path) -> Arc<GlobSet> {
    let Ok(text) = std::fs::read_to_string(dir.join("tsconfig.json")) else {
        return Arc::new(GlobSet::empty());
    };
    let no_comments: String = text
        .lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    static TRAILING_COMMA: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = TRAILING_COMMA.get_or_init(|| regex::Regex::new(r",\s*([\]}])").expect("regex"));
    let tidy = re.replace_all(&no_comments, "$1").into_owned();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&tidy) else {
        return Arc::new(GlobSet::empty());
    };
    let mut globs = Vec::new();
    for g in v
        .get("exclude")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str())
    {
        let g = g.trim_start_matches("./").trim_end_matches('/');
        if !g.contains('/') || g.starts_with('*') || g.starts_with("node_modules") {
            continue;
        }
        globs.push(g.to_string());
        if !g.ends_with("**") {
            globs.push(format!("{g}/**"));
        }
    }
    glob_set(&globs)
}

fn read_cargo_toml(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let v: toml::Table = text.parse().ok()?;
    // a workspace root without a package says nothing about member crates
    v.get("package")?;
    let has = |name: &str| {
        ["dependencies", "dev-dependencies"]
            .iter()
            .any(|k| v.get(*k).and_then(|d| d.get(name)).is_some())
    };
    Some(Manifest::Cargo {
        dir: dir.to_path_buf(),
        tauri: has("tauri"),
        server: SERVER_CRATES.iter().any(|c| has(c)),
    })
}

/// The role a file's own content gives: generated-file headers, `"use client"`, UI framework
/// imports, script entry points. `imports` are the file's imported module names.
pub fn by_content<'a>(
    ast: &Ast,
    text: &str,
    imports: impl Iterator<Item = &'a str>,
    has_handlers: bool,
) -> Option<FileRole> {
    let imports: Vec<&str> = imports.collect();
    let head: String = text.lines().take(5).collect::<Vec<_>>().join("\n");
    for marker in [
        "@generated",
        "DO NOT EDIT",
        "Code generated by",
        "This file is automatically generated",
        "This file was automatically generated",
        "autogenerated by",
        "auto-generated by",
    ] {
        if head.contains(marker) {
            return Some(FileRole::new(
                Role::Generated,
                format!("generated-file header (`{marker}`)"),
            ));
        }
    }
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if ast.lang == Lang::Rust
        && (body.starts_with("#![cfg(test)]") || body.contains("\n#![cfg(test)]"))
    {
        return Some(FileRole::new(Role::Test, "`#![cfg(test)]` file"));
    }
    if ast.lang == Lang::TypeScript {
        if body.starts_with("\"use client\"") || body.starts_with("'use client'") {
            return Some(FileRole::new(Role::Client, "`\"use client\"` module"));
        }
        let mut ui = None;
        let mut fake = None;
        for &m in &imports {
            // React hooks only run in a browser (React is also used on servers to render
            // e-mails and pages)
            if ui.is_none()
                && m.strip_prefix("react.")
                    .is_some_and(|h| h.starts_with("use"))
            {
                ui = Some(m.to_string());
            }
            let m = m.split_once('.').map_or(m, |(a, _)| a);
            if ui.is_none() && UI_IMPORTS.contains(&m) {
                ui = Some(m.to_string());
            }
            if m == "@faker-js/faker" || m == "faker" {
                fake = Some(m.to_string());
            }
        }
        let ui = ui
            .map(|m| format!("imports `{m}` (browser UI code)"))
            .or_else(|| browser_code(ast, text));
        if let Some(reason) = ui {
            let server = SERVER_EXPORTS.iter().any(|e| {
                text.contains(&format!("export async function {e}("))
                    || text.contains(&format!("export function {e}("))
                    || text.contains(&format!("export const {e} "))
            });
            if !server && !has_handlers {
                return Some(FileRole::new(Role::Client, reason));
            }
        }
        if let Some(f) = fake {
            return Some(FileRole::new(
                Role::Seed,
                format!("imports `{f}` (a fake-data generator) outside tests"),
            ));
        }
        if text.contains("require.main === module") && !has_handlers {
            return Some(FileRole::new(
                Role::Script,
                "runs as a script (`require.main === module`) and defines no handler",
            ));
        }
        if body.starts_with("#!") && !has_handlers {
            return Some(FileRole::new(Role::Script, "a `#!` script"));
        }
    }
    if ast.lang == Lang::Python {
        let mut fake = false;
        for &m in &imports {
            if m == "faker"
                || m.starts_with("faker.")
                || m == "factory"
                || m.starts_with("factory.")
            {
                fake = true;
            }
        }
        if fake {
            return Some(FileRole::new(
                Role::Seed,
                "imports a fake-data generator (`faker`/`factory_boy`) outside tests",
            ));
        }
        let main_guard = text.contains("if __name__ == \"__main__\"")
            || text.contains("if __name__ == '__main__'");
        if main_guard && !has_handlers {
            return Some(FileRole::new(
                Role::Script,
                "runs as a script (`if __name__ == \"__main__\"`) and defines no handler",
            ));
        }
    }
    None
}

/// Globals that only a browser page has: code that reads them runs in a page (Node has no
/// `window`, `document` or web storage).
const DOM_GLOBALS: &[&str] = &["window", "document", "localStorage", "sessionStorage"];
/// Browser-only constructors.
const DOM_CONSTRUCTORS: &[&str] = &[
    "FileReader",
    "MutationObserver",
    "IntersectionObserver",
    "ResizeObserver",
];
/// DOM event types: a function that takes one handles user input in a page.
const DOM_EVENTS: &[&str] = &[
    "MouseEvent",
    "KeyboardEvent",
    "ClipboardEvent",
    "DragEvent",
    "PointerEvent",
    "TouchEvent",
    "FocusEvent",
    "WheelEvent",
    "InputEvent",
];
/// Functions that ship their callback to a browser page (puppeteer, playwright): DOM code
/// inside them runs in the page, not in the file's own process.
const PAGE_CALLBACKS: &[&str] = &[
    "evaluate",
    "evaluateHandle",
    "$eval",
    "$$eval",
    "waitForFunction",
    "addInitScript",
    "evaluateOnNewDocument",
    "exposeFunction",
];

/// TypeScript/JavaScript written for a browser page, as its own code shows it (the file's
/// package may also hold a server, so the manifest cannot tell): React components (hooks called
/// through the `React` namespace, `React.Component` classes), code that reads browser-only
/// globals (`document.createElement`, `window.addEventListener`, `localStorage`, `new
/// FileReader()`) and DOM event handlers (`(event: ClipboardEvent) => ..`). Universal modules
/// that test for the browser (`typeof window`) run on both sides and get no role from this;
/// DOM code inside a callback sent to a headless browser (`page.evaluate(() => document..)`)
/// runs in that page, not here. The reason, if any.
fn browser_code(ast: &Ast, text: &str) -> Option<String> {
    let mut react = Vec::new();
    let mut react_names = Vec::new();
    let mut declared: Vec<&str> = Vec::new();
    for node in &ast.nodes {
        match &node.kind {
            Kind::Import(i) if i.module == "react" => {
                for (name, alias) in &i.names {
                    match name.as_str() {
                        "" | "default" => react.push(alias.as_str()),
                        "Component" | "PureComponent" => react_names.push(alias.as_str()),
                        _ => {}
                    }
                }
            }
            Kind::Import(i) => declared.extend(i.names.iter().map(|(_, a)| a.as_str())),
            // parameters, destructured ones included (`({ document, user }: Props) => ..`)
            Kind::Function(f) => declared.extend(f.params.iter().flat_map(|p| {
                p.name
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .filter(|w| !w.is_empty())
            })),
            // `const { window } = new JSDOM(..)`, `let document = parse(html)`
            Kind::Assign { target, .. } => {
                for t in ast.subtree(*target) {
                    let bare = ast
                        .parent(t)
                        .is_none_or(|p| !matches!(ast.kind(p), Kind::Member { .. }));
                    if let (Kind::Name(n), true) = (ast.kind(t), bare) {
                        declared.push(n.as_str());
                    }
                }
            }
            _ => {}
        }
    }
    for (id, node) in ast.nodes.iter().enumerate() {
        let id = id as NodeId;
        match &node.kind {
            // `React.useState(..)`: hooks run in the browser (named imports of hooks are
            // recognised from the imports)
            Kind::Call(c) => {
                if let Kind::Member { object, property } = ast.kind(c.callee) {
                    let hook = property.strip_prefix("use").is_some_and(|r| {
                        r.chars().next().is_some_and(|ch| ch.is_ascii_uppercase())
                    });
                    if hook
                        && matches!(ast.kind(*object), Kind::Name(o) if react.contains(&o.as_str()))
                    {
                        return Some(format!("calls a React hook (`{}`)", property));
                    }
                }
            }
            Kind::Class(c) => {
                let component = c.bases.iter().any(|b| {
                    let b = b.split('<').next().unwrap_or(b).trim();
                    react_names.contains(&b)
                        || b.split_once('.').is_some_and(|(o, p)| {
                            react.contains(&o) && (p == "Component" || p == "PureComponent")
                        })
                });
                if component {
                    return Some(format!("a React class component (`{}`)", c.name));
                }
            }
            Kind::Function(f) => {
                let event = f.params.iter().find_map(|p| {
                    let ty = p.ty.as_deref()?;
                    let ty = ty.split('<').next().unwrap_or(ty).trim();
                    let ty = ty.strip_prefix("React.").unwrap_or(ty);
                    DOM_EVENTS.contains(&ty).then_some(ty)
                });
                if let Some(ty) = event {
                    return Some(format!("handles DOM events (a `{ty}` parameter)"));
                }
            }
            _ => {}
        }
        let global = match &node.kind {
            Kind::Member { object, .. } => match ast.kind(*object) {
                Kind::Name(n) if DOM_GLOBALS.contains(&n.as_str()) => Some(n.as_str()),
                _ => None,
            },
            Kind::Call(c) if c.is_new => match ast.kind(c.callee) {
                Kind::Name(n) if DOM_CONSTRUCTORS.contains(&n.as_str()) => Some(n.as_str()),
                _ => None,
            },
            _ => None,
        };
        let Some(g) = global else { continue };
        if declared.contains(&g) || in_page_callback(ast, id) {
            continue;
        }
        if runs_on_both_sides(text) {
            return None; // universal code: it checks where it runs
        }
        return Some(format!("uses the browser's `{g}` (DOM code)"));
    }
    None
}

/// Universal modules test where they run: `typeof window === "undefined"`, `isBrowser ? .. :
/// ..`, `if (isServer)`.
fn runs_on_both_sides(text: &str) -> bool {
    const TESTS: &[&str] = &[
        "typeof window",
        "typeof document",
        "isbrowser",
        "is_browser",
        "isserver",
        "is_server",
        "isclient",
        "canusedom",
    ];
    let lower = text.to_ascii_lowercase();
    TESTS.iter().any(|t| lower.contains(t))
}

/// Inside a function passed to a call that runs it in a browser page (`page.evaluate(..)`).
fn in_page_callback(ast: &Ast, id: NodeId) -> bool {
    ast.ancestors(id).any(|a| {
        ast.call(a).is_some_and(|c| {
            ast.callee_name(c)
                .is_some_and(|n| PAGE_CALLBACKS.contains(&n))
                && c.args.iter().any(|arg| ast.contains(arg.value, id))
        })
    })
}

/// A configuration or settings file for local development only (`settings/dev.py`,
/// `config.local.ts`, `envs/development.rs`): demo credentials and debug switches belong there.
pub fn is_dev_config(path: &Path) -> bool {
    let lower = |s: &std::ffi::OsStr| s.to_string_lossy().to_ascii_lowercase();
    let stem = path.file_stem().map(lower).unwrap_or_default();
    let words: Vec<&str> = stem.split(['_', '-', '.']).collect();
    let dev = words
        .iter()
        .any(|w| ["dev", "development", "local"].contains(w));
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(lower)
        .unwrap_or_default();
    let config = words
        .iter()
        .any(|w| ["settings", "config", "configuration", "env"].contains(w))
        || ["env", "envs", "config", "settings", "environments"].contains(&parent.as_str());
    dev && config
}

/// Rust: the files of child modules this file declares test-only (`#[cfg(test)] mod x;`,
/// `#[cfg(any(test, feature = "..."))] mod x;`): `x.rs` or `x/mod.rs` beside it (or in the
/// folder named after it, for a non-root module file).
pub fn cfg_test_modules(path: &Path, text: &str) -> Vec<PathBuf> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"#\[cfg\((?:test|any\([^\]]*\btest\b[^\]]*\))\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;",
        )
        .expect("valid regex")
    });
    if !text.contains("cfg(") {
        return Vec::new();
    }
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let base = if ["mod", "lib", "main"].contains(&stem) {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    re.captures_iter(text).map(|c| base.join(&c[1])).collect()
}

/// Whether `path` is the module `module` (`module.rs`, `module/mod.rs`) or a file under it.
pub fn is_in_module(path: &Path, module: &Path) -> bool {
    path.with_extension("") == module || path.starts_with(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_of(rel: &str) -> Option<Role> {
        let c = Classifier::new(&[], &[]);
        c.by_path(Path::new(rel), Path::new(rel), Path::new(rel))
            .map(|r| r.role)
    }

    #[test]
    fn an_edited_package_json_is_read_again() {
        // a classifier per call (lint_source, the LSP) shares the parsed manifests of the
        // process until the file changes
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("package.json");
        let file = dir.path().join("src/app.ts");
        let role = || {
            Classifier::new(&[], &[])
                .by_path(Path::new("src/app.ts"), Path::new("src/app.ts"), &file)
                .map(|r| r.role)
        };
        std::fs::write(&pkg, r#"{"dependencies": {"react": "18"}}"#).unwrap();
        assert_eq!(role(), Some(Role::Client));
        assert_eq!(role(), Some(Role::Client));
        std::fs::write(&pkg, r#"{"dependencies": {"react": "18", "express": "4"}}"#).unwrap();
        assert_eq!(role(), None);
        std::fs::remove_file(&pkg).unwrap();
        assert_eq!(role(), None);
    }

    #[test]
    fn paths_give_roles() {
        assert_eq!(role_of("app/tests/test_orders.py"), Some(Role::Test));
        assert_eq!(
            role_of("netbox/utilities/testing/views.py"),
            Some(Role::Test)
        );
        assert_eq!(role_of("conf/configuration_testing.py"), Some(Role::Test));
        assert_eq!(
            role_of("shop/migrations/0001_initial.py"),
            Some(Role::Migration)
        );
        assert_eq!(
            role_of("db/alembic/versions/abc_add.py"),
            Some(Role::Migration)
        );
        assert_eq!(role_of("packages/prisma/seed/users.ts"), Some(Role::Seed));
        assert_eq!(role_of("core/utils/random_data.py"), Some(Role::Seed));
        assert_eq!(role_of("artifacts/db-reset.js"), Some(Role::Seed));
        assert_eq!(
            role_of("shop/management/commands/reindex.py"),
            Some(Role::Script)
        );
        assert_eq!(role_of("web/vite.config.ts"), Some(Role::Tooling));
        assert_eq!(role_of("project-static/src/util.ts"), Some(Role::Client));
        assert_eq!(role_of("build.rs"), Some(Role::Tooling));
        assert_eq!(role_of("app/tasks.py"), Some(Role::Worker));
        assert_eq!(role_of("ops/deploy.py"), Some(Role::Script));
        assert_eq!(role_of("db/migrate.ts"), Some(Role::Script));
        assert_eq!(role_of("airflow/dags/nightly.py"), Some(Role::Script));
        assert_eq!(role_of("site/gatsby-node.js"), Some(Role::Tooling));
    }

    #[test]
    fn service_code_keeps_the_default() {
        // words inside a name do not make a role: `config.py`, `setup_billing.py`, `contest.py`
        for p in [
            "api/v1/config.py",
            "billing/setup_billing.py",
            "contest/views.py",
            "orders/commands.py",
            "src/client/http.ts",
            "lib/latest.ts",
        ] {
            assert_eq!(role_of(p), None, "{p}");
        }
    }

    #[test]
    fn configured_roles_win() {
        let c = Classifier::new(&[("tests/**".into(), Role::Service)], &[]);
        let r = c
            .by_path(
                Path::new("tests/x.py"),
                Path::new("tests/x.py"),
                Path::new("tests/x.py"),
            )
            .unwrap();
        assert_eq!(r.role, Role::Service);
        assert!(r.reason.contains("[roles]"));
    }

    fn content_role(src: &str) -> Option<FileRole> {
        let ast = crate::lang::parse(crate::lang::Dialect::Tsx, src).unwrap();
        by_content(&ast, src, std::iter::empty(), false)
    }

    #[test]
    fn browser_code_by_its_own_content() {
        for src in [
            "import * as React from 'react';\nexport const A = () => { const [x] = React.useState(0); return x; };\n",
            "import React from 'react';\nexport class A extends React.Component<P> { render() { return null; } }\n",
            "export function save(url: string) { const a = document.createElement('a'); a.href = url; a.click(); }\n",
            "export const read = (b: Blob) => new FileReader().readAsText(b);\n",
            "export function onPaste(view: View, event: ClipboardEvent) { return fetch(event.type); }\n",
        ] {
            let r = content_role(src);
            assert_eq!(r.as_ref().map(|r| r.role), Some(Role::Client), "{src}");
        }
    }

    #[test]
    fn server_code_that_names_the_dom_is_not_browser_code() {
        for src in [
            // a domain object called `document`
            "export async function move({ document, user }: Props) { document.collectionId = user.id; }\n",
            "export async function f(document: Doc) { return document.title; }\n",
            // jsdom on the server
            "import { JSDOM } from 'jsdom';\nconst { window } = new JSDOM('');\nexport const text = window.document.body.textContent;\n",
            // universal code checks where it runs
            "export const origin = () => typeof window === 'undefined' ? process.env.URL : window.location.origin;\n",
            // a headless browser runs the callback
            "export async function title(page: Page) { return page.evaluate(() => document.title); }\n",
            // React on the server renders without hooks
            "import * as React from 'react';\nexport const Email = () => React.createElement('p', null, 'hi');\n",
        ] {
            assert_eq!(content_role(src), None, "{src}");
        }
    }

    #[test]
    fn cfg_test_module_files() {
        let text = "pub mod orders;\n#[cfg(test)]\nmod fixtures;\n#[cfg(any(test, feature = \"helpers\"))]\npub(crate) mod builders;\n";
        let found = cfg_test_modules(Path::new("src/db/mod.rs"), text);
        assert_eq!(
            found,
            [
                PathBuf::from("src/db/fixtures"),
                PathBuf::from("src/db/builders")
            ]
        );
        let nested = cfg_test_modules(Path::new("src/db.rs"), "#[cfg(test)] mod tests;");
        assert_eq!(nested, [PathBuf::from("src/db/tests")]);
        assert!(is_in_module(Path::new("src/db/fixtures.rs"), &found[0]));
        assert!(is_in_module(Path::new("src/db/fixtures/mod.rs"), &found[0]));
        assert!(!is_in_module(Path::new("src/db/orders.rs"), &found[0]));
    }

    #[test]
    fn dev_config_files() {
        for p in [
            "config/env/development.js",
            "app/settings/local.py",
            "local_settings.py",
            "dev.config.ts",
        ] {
            assert!(is_dev_config(Path::new(p)), "{p}");
        }
        for p in [
            "app/settings/production.py",
            "src/config.rs",
            "devices/views.py",
        ] {
            assert!(!is_dev_config(Path::new(p)), "{p}");
        }
    }
}
