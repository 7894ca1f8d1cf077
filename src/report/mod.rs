//! Reporters: text (codespan-reporting), json, sarif (serde-sarif), github (workflow commands),
//! gitlab (Code Quality JSON), junit (XML).
//! Every reporter reads a finished [`Report`]; secrets were already redacted by the engine.

pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod line_hash;
pub mod sarif;
pub mod text;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// A file that could not be analysed, or another per-file message.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Notice {
    pub path: PathBuf,
    pub message: String,
}

/// The result of a run, sorted by path, line, column, rule.
#[derive(Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Source text (secrets masked) of every file that has a diagnostic, keyed by
    /// `Diagnostic::path` (empty when [`crate::engine::Options::no_sources`]).
    pub sources: HashMap<PathBuf, Arc<SourceFile>>,
    pub notices: Vec<Notice>,
    pub files_checked: usize,
    pub lines_checked: usize,
    /// Directory SARIF URIs are made relative to: the git repository root above the project
    /// root, else the project root (see [`crate::paths`]). Diagnostic paths are as the files
    /// were named (relative to the current directory when under it, else as given).
    pub uri_root: PathBuf,
    /// Every checked file's role and why (`--explain-roles`), when
    /// [`crate::engine::Options::roles`].
    pub roles: Vec<(PathBuf, crate::roles::FileRole)>,
    /// `runAutomationDetails.id` (SARIF category), if any.
    pub category: Option<String>,
    /// What the run did with the results cache.
    pub cache: crate::cache::Stats,
    /// With `--fix`: how many findings were fixed in the files.
    pub fixed: Option<usize>,
    /// With `--unsafe-fixes`: unsafe fixes count as applicable (`[*]` in text).
    pub unsafe_fixes: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code snippets with labels and help, then a summary by rule (ruff's `full`).
    #[value(alias = "full")]
    Text,
    /// One `path:line:col: rule message` line per finding, then the summary.
    Concise,
    /// The stable JSON schema (version 1), also read by `--baseline`.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// Workflow commands (`::error file=..`) for GitHub Actions logs.
    Github,
    /// GitLab Code Quality JSON (`artifacts: reports: codequality`).
    Gitlab,
    /// JUnit XML: one failed test case per finding, grouped by file.
    Junit,
}
