//! What the cache keeps of one file: its [`FileOutcome`] before the project-wide step.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Condition, Diagnostic, Fix, Label, Severity};
use crate::engine::FileOutcome;
use crate::index::IndexPart;
use crate::roles::FileRole;
use crate::source::{Position, Span};
use crate::suppress::Suppression;

/// One file's cached result.
#[derive(Serialize, Deserialize)]
pub struct Record {
    /// For a source file, the role its path gave (configured globs, folders, nearest
    /// package.json or Cargo.toml; `None`: its content decided): the record holds only while
    /// the path gives the same role.
    pub path_role: Option<Option<FileRole>>,
    pub result: Stored,
}

#[derive(Serialize, Deserialize)]
pub enum Stored {
    /// The file was not checked (it did not parse, is binary...): the notice, and the lines
    /// counted.
    Notice {
        message: String,
        lines: u64,
    },
    Checked(Box<Checked>),
}

/// A file that was checked.
#[derive(Serialize, Deserialize)]
pub struct Checked {
    role: FileRole,
    note: Option<String>,
    lines: u64,
    diagnostics: Vec<Diag>,
    suppressions: Vec<Suppression>,
    index: IndexPart,
}

/// A [`Diagnostic`] of the file, before its condition is resolved.
#[derive(Serialize, Deserialize)]
pub struct Diag {
    #[serde(with = "rule_id")]
    rule: crate::cache::statics::StaticStr,
    severity: Severity,
    span: Span,
    start: Position,
    end: Position,
    message: String,
    help: Option<String>,
    labels: Vec<Lbl>,
    flow: Vec<Lbl>,
    fingerprint: String,
    line_hash: String,
    secret: Option<Span>,
    condition: Option<Condition>,
    fix: Option<Fix>,
}

#[derive(Serialize, Deserialize)]
struct Lbl {
    path: Option<PathBuf>,
    span: Span,
    start: Position,
    end: Position,
    message: String,
}

/// A rule id, read back as the registry's own `&'static str` (an unknown id fails the record).
mod rule_id {
    pub fn serialize<S: serde::Serializer>(id: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(id)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let id: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        crate::registry::get(&id)
            .map(|m| m.id)
            .ok_or_else(|| serde::de::Error::custom("unknown rule"))
    }
}

impl Lbl {
    fn new(l: &Label) -> Lbl {
        Lbl {
            path: l.path.clone(),
            span: l.span,
            start: l.start,
            end: l.end,
            message: l.message.clone(),
        }
    }
    fn label(self) -> Label {
        Label {
            path: self.path,
            span: self.span,
            start: self.start,
            end: self.end,
            message: self.message,
        }
    }
}

impl Diag {
    fn new(d: &Diagnostic) -> Diag {
        Diag {
            rule: d.rule,
            severity: d.severity,
            span: d.span,
            start: d.start,
            end: d.end,
            message: d.message.clone(),
            help: d.help.clone(),
            labels: d.labels.iter().map(Lbl::new).collect(),
            flow: d.flow.iter().map(Lbl::new).collect(),
            fingerprint: d.fingerprint.clone(),
            line_hash: d.line_hash.clone(),
            secret: d.secret,
            condition: d.condition.clone(),
            fix: d.fix.clone(),
        }
    }
    fn diagnostic(self, path: &Path) -> Diagnostic {
        Diagnostic {
            rule: self.rule,
            severity: self.severity,
            path: path.to_path_buf(),
            span: self.span,
            start: self.start,
            end: self.end,
            message: self.message,
            help: self.help,
            labels: self.labels.into_iter().map(Lbl::label).collect(),
            flow: self.flow.into_iter().map(Lbl::label).collect(),
            fingerprint: self.fingerprint,
            line_hash: self.line_hash,
            secret: self.secret,
            condition: self.condition,
            fix: self.fix,
        }
    }
}

/// The bytes to cache for a file's outcome; `None` when it is not to be cached (a panic, a
/// time budget that ran out) or does not serialise (a path that is not UTF-8).
pub fn encode(path_role: Option<Option<FileRole>>, o: &FileOutcome) -> Option<Vec<u8>> {
    if !o.cacheable {
        return None;
    }
    let result = match &o.notice {
        Some(n) => Stored::Notice {
            message: n.clone(),
            lines: o.lines as u64,
        },
        None => Stored::Checked(Box::new(Checked {
            role: o.role.clone(),
            note: o.note.clone(),
            lines: o.lines as u64,
            diagnostics: o.diagnostics.iter().map(Diag::new).collect(),
            suppressions: o.suppressions.clone(),
            index: o.index.clone(),
        })),
    };
    postcard::to_allocvec(&Record { path_role, result }).ok()
}

/// A cached record, or `None` when the bytes do not decode (then the file is checked again).
pub fn decode(bytes: &[u8]) -> Option<Record> {
    postcard::from_bytes(bytes).ok()
}

impl Record {
    /// The file's outcome as a run that checked it would have made. `path` is the path as
    /// given, `rel` relative to the project root, `config_rel` to the configuration's directory.
    /// The source text is not cached: [`FileOutcome::unread_source`] says to read it when a
    /// finding in it is shown.
    pub fn into_outcome(self, path: &Path, rel: &Path, config_rel: &Path) -> FileOutcome {
        let mut o = FileOutcome {
            path: path.to_path_buf(),
            rel: rel.to_path_buf(),
            config_rel: config_rel.to_path_buf(),
            diagnostics: Vec::new(),
            source: None,
            unread_source: None,
            notice: None,
            note: None,
            suppressions: Vec::new(),
            index: IndexPart::default(),
            lines: 0,
            role: FileRole::default(),
            cacheable: false,
        };
        match self.result {
            Stored::Notice { message, lines } => {
                o.notice = Some(message);
                o.lines = lines as usize;
            }
            Stored::Checked(c) => {
                let Checked {
                    role,
                    note,
                    lines,
                    diagnostics,
                    suppressions,
                    index,
                } = *c;
                o.role = role;
                o.note = note;
                o.lines = lines as usize;
                o.diagnostics = diagnostics.into_iter().map(|d| d.diagnostic(rel)).collect();
                if !o.diagnostics.is_empty() || !suppressions.is_empty() {
                    o.unread_source = Some(o.diagnostics.iter().filter_map(|d| d.secret).collect());
                }
                o.suppressions = suppressions;
                o.index = index;
            }
        }
        o
    }
}
