//! Dependency manifests and configuration files as input, beside source files.
//!
//! A manifest is discovered like a source file (same walker, same excludes), read once, parsed
//! once with a real parser that keeps positions (`toml`'s spanned tables, `jsonc-parser` for
//! JSON, `requirements.txt` line by line as pip reads it) into one small tree of tables,
//! arrays and scalars with byte spans ([`Value`]), and handed to the rules that read manifests
//! ([`crate::engine::Rule::check_manifest`]). What a manifest declares (its dependencies, per
//! ecosystem) is in [`deps`]; a rule that needs a setting from a configuration file
//! (`Rocket.toml`) reads the same tree. A file that does not parse gets a notice and the run
//! goes on.

pub mod deps;
mod json;
mod requirements;
mod toml_doc;

use std::path::Path;

use crate::source::Span;

/// The kinds of manifest and configuration file backlint reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// npm `package.json`.
    PackageJson,
    /// pip `requirements*.txt`, `constraints*.txt`, `requirements/*.txt`.
    Requirements,
    /// `pyproject.toml` (PEP 621, PEP 735 groups, Poetry, PDM, uv).
    Pyproject,
    /// pipenv `Pipfile`.
    Pipfile,
    /// `Cargo.toml` (packages and workspaces).
    CargoToml,
    /// Rocket's `Rocket.toml` (profiles and their settings).
    RocketToml,
}

/// How a kind of file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    /// pip's requirements format: one requirement or option per line, `#` comments.
    Requirements,
}

/// The file names read, for messages.
pub const NAMES: &str = "package.json, requirements*.txt, constraints*.txt, pyproject.toml, \
                         Pipfile, Cargo.toml, Rocket.toml";

impl Kind {
    pub fn from_path(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        Some(match name {
            "package.json" => Kind::PackageJson,
            "pyproject.toml" => Kind::Pyproject,
            "Pipfile" => Kind::Pipfile,
            "Cargo.toml" => Kind::CargoToml,
            "Rocket.toml" => Kind::RocketToml,
            _ => {
                let lower = name.to_ascii_lowercase();
                let stem = lower.strip_suffix(".txt")?;
                let in_requirements_dir = path
                    .parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|d| d.eq_ignore_ascii_case("requirements"));
                if stem.starts_with("requirements")
                    || stem.starts_with("constraints")
                    || in_requirements_dir
                {
                    Kind::Requirements
                } else {
                    return None;
                }
            }
        })
    }

    pub fn format(self) -> Format {
        match self {
            Kind::PackageJson => Format::Json,
            Kind::Requirements => Format::Requirements,
            Kind::Pyproject | Kind::Pipfile | Kind::CargoToml | Kind::RocketToml => Format::Toml,
        }
    }

    /// Whether the format has `#` comments (and so suppression comments).
    pub fn has_comments(self) -> bool {
        self.format() != Format::Json
    }
}

/// A value of a parsed JSON or TOML file, with where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub span: Span,
    pub data: Data,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// Entries in source order.
    Table(Vec<Entry>),
    Array(Vec<Value>),
    Str(String),
    Bool(bool),
    /// Numbers, dates, `null`: their text as written.
    Other(String),
}

/// A key of a table and its value. For a TOML table opened by a header
/// (`[dependencies.failure]`), `key_span` is the key in the header.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Value,
}

impl Value {
    fn empty_table() -> Value {
        Value {
            span: Span::default(),
            data: Data::Table(Vec::new()),
        }
    }
    /// A table's entries (none for other values).
    pub fn entries(&self) -> &[Entry] {
        match &self.data {
            Data::Table(t) => t,
            _ => &[],
        }
    }
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entry(key).map(|e| &e.value)
    }
    /// The value at a path of keys (`["tool", "poetry", "dependencies"]`).
    pub fn at(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }
    pub fn items(&self) -> &[Value] {
        match &self.data {
            Data::Array(a) => a,
            _ => &[],
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.data {
            Data::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match &self.data {
            Data::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// Spans of every string in the tree (keys excluded), for telling comments from text.
    fn strings(&self, out: &mut Vec<Span>) {
        match &self.data {
            Data::Str(_) => out.push(self.span),
            Data::Table(t) => t.iter().for_each(|e| e.value.strings(out)),
            Data::Array(a) => a.iter().for_each(|v| v.strings(out)),
            _ => {}
        }
    }
}

/// One requirement line of a pip requirements file.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    /// The project name as written.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// The version specifier, markers and anything after the name, trimmed (`==2.6.1`).
    pub spec: String,
}

/// A parsed manifest or configuration file.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub kind: Kind,
    /// The document (an empty table for a requirements file).
    pub root: Value,
    /// Requirement lines (requirements files only).
    pub requirements: Vec<Requirement>,
}

/// Why a manifest could not be read: the message and the byte offset it points at.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

impl Manifest {
    /// Parses a manifest's text.
    pub fn parse(kind: Kind, text: &str) -> Result<Manifest, ParseError> {
        let (root, requirements) = match kind.format() {
            Format::Json => (json::parse(text)?, Vec::new()),
            Format::Toml => (toml_doc::parse(text)?, Vec::new()),
            Format::Requirements => (Value::empty_table(), requirements::parse(text)),
        };
        Ok(Manifest {
            kind,
            root,
            requirements,
        })
    }

    /// The string values of the document, sorted and not overlapping: a `#` inside one is
    /// text, not a comment.
    pub fn string_spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        self.root.strings(&mut out);
        out.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
        out.dedup_by(|b, a| b.start < a.end);
        out
    }

    /// For each line (1-based) a value starts on, the last line of that value when it spans
    /// several (an inline table or array over lines), for suppressions above it.
    pub fn value_ends(&self, line_of: impl Fn(u32) -> u32) -> std::collections::HashMap<u32, u32> {
        let mut ends = std::collections::HashMap::new();
        fn walk(
            v: &Value,
            start: Option<Span>,
            line_of: &dyn Fn(u32) -> u32,
            ends: &mut std::collections::HashMap<u32, u32>,
        ) {
            if let Some(s) = start {
                if v.span.end > v.span.start {
                    let first = line_of(s.start);
                    let last = line_of(v.span.end.saturating_sub(1).max(s.start));
                    let e = ends.entry(first).or_insert(first);
                    *e = (*e).max(last);
                }
            }
            for e in v.entries() {
                walk(&e.value, Some(e.key_span), line_of, ends);
            }
            for i in v.items() {
                walk(i, Some(i.span), line_of, ends);
            }
        }
        walk(&self.root, None, &line_of, &mut ends);
        ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_names() {
        for (p, k) in [
            ("package.json", Some(Kind::PackageJson)),
            ("api/requirements.txt", Some(Kind::Requirements)),
            ("requirements-dev.txt", Some(Kind::Requirements)),
            ("requirements/production.txt", Some(Kind::Requirements)),
            ("constraints.txt", Some(Kind::Requirements)),
            ("pyproject.toml", Some(Kind::Pyproject)),
            ("Pipfile", Some(Kind::Pipfile)),
            ("crates/api/Cargo.toml", Some(Kind::CargoToml)),
            ("Rocket.toml", Some(Kind::RocketToml)),
            ("notes.txt", None),
            ("package-lock.json", None),
            ("Pipfile.lock", None),
            ("Cargo.lock", None),
            ("tsconfig.json", None),
        ] {
            assert_eq!(Kind::from_path(Path::new(p)), k, "{p}");
        }
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        for (kind, text) in [
            (Kind::PackageJson, "{\"dependencies\": {\"a\": "),
            (Kind::PackageJson, ""),
            (Kind::CargoToml, "[dependencies\nserde = 1"),
            (Kind::Pyproject, "x = = 1"),
        ] {
            assert!(Manifest::parse(kind, text).is_err(), "{text}");
        }
        assert!(Manifest::parse(Kind::Requirements, "\u{0}\n-r\n==1\n").is_ok());
    }
}
