//! Settings from `backlint.toml` or `[tool.backlint]` in `pyproject.toml`, merged with CLI flags.
//! Unknown keys and rule ids are errors that suggest the closest valid name.

pub mod load;

use std::collections::BTreeMap;

use crate::severity::Severity;

/// The resolved settings the engine runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// Rule ids to run (empty: all).
    pub select: Vec<String>,
    /// Rule ids never to run.
    pub ignore: Vec<String>,
    /// Minimum severity reported.
    pub min_severity: Severity,
    /// Per-rule severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// The directory of the configuration file (absolute): `exclude`, `per-path-ignores`,
    /// `[roles]` and `test-paths` globs are relative to it. `None`: no file (the defaults).
    pub base: Option<std::path::PathBuf>,
    /// Globs (relative to [`Config::base`]) whose files get some rules switched off:
    /// glob -> rule ids (`["*"]` for all).
    pub per_path_ignores: Vec<(String, Vec<String>)>,
    /// `[roles]`: glob -> the role of matching files (overrides the detected role).
    pub roles: Vec<(String, crate::roles::Role)>,
    /// Globs of test code, where `hardcoded-secret` is relaxed.
    pub test_paths: Vec<String>,
    /// Extra secret regexes (`name = "regex"`), reported as that kind of secret.
    pub secret_patterns: Vec<(String, String)>,
    /// Extra method/function names that run a database query (in-house wrappers).
    pub query_methods: Vec<String>,
    /// Extra decorator/attribute names that mark a function as an HTTP handler.
    pub handler_decorators: Vec<String>,
    /// Extra paths/globs excluded from discovery.
    pub exclude: Vec<String>,
    /// `--force-exclude`: `exclude`, the default excluded folders and generated-file names
    /// apply to files named on the command line too (for pre-commit, which names every file).
    pub force_exclude: bool,
    /// Whether a suppression must give a reason.
    pub require_reason: bool,
    /// `max-file-size-mb`: larger files are skipped with a notice.
    pub max_file_bytes: u64,
    /// `max-file-seconds`: the rules stop on a file after this long, with a notice.
    pub max_file_time: std::time::Duration,
    /// `cache-dir`: where `backlint check` keeps its results cache, as written (relative to
    /// [`Config::base`]). `None`: `.backlint_cache` at the project root.
    pub cache_dir: Option<std::path::PathBuf>,
    /// `max-nesting-depth`: files whose syntax nests deeper are skipped with a notice.
    pub max_nesting_depth: usize,
}

/// Default `max-file-size-mb`.
pub const DEFAULT_MAX_FILE_MB: f64 = 10.0;
/// Default `max-file-seconds`.
pub const DEFAULT_MAX_FILE_SECONDS: f64 = 60.0;
/// The largest `max-nesting-depth` accepted (each level reserves stack, see
/// [`crate::lang::stack_size`]).
pub const MAX_NESTING_DEPTH_LIMIT: usize = 10_000;
/// The unit of `max-file-size-mb` (MiB).
pub const MB: f64 = 1_048_576.0;

/// Default test-code globs (RULES.md, `hardcoded-secret`).
pub const DEFAULT_TEST_PATHS: &[&str] = &[
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/*.test.ts",
    "**/*.test.tsx",
    "**/*.test.js",
    "**/*.spec.ts",
    "**/*.spec.tsx",
    "**/*.spec.js",
    "**/*_test.rs",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            base: None,
            select: Vec::new(),
            ignore: Vec::new(),
            min_severity: Severity::Info,
            severity: BTreeMap::new(),
            per_path_ignores: Vec::new(),
            roles: Vec::new(),
            test_paths: DEFAULT_TEST_PATHS.iter().map(|s| s.to_string()).collect(),
            secret_patterns: Vec::new(),
            query_methods: Vec::new(),
            handler_decorators: Vec::new(),
            exclude: Vec::new(),
            force_exclude: false,
            require_reason: false,
            max_file_bytes: (DEFAULT_MAX_FILE_MB * MB) as u64,
            max_file_time: std::time::Duration::from_secs_f64(DEFAULT_MAX_FILE_SECONDS),
            cache_dir: None,
            max_nesting_depth: crate::lang::DEFAULT_MAX_DEPTH,
        }
    }
}
