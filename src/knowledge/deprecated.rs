//! The shipped list of deprecated and abandoned libraries (`rules/deprecated-dependencies.toml`,
//! compiled in: no network at run time), looked up by ecosystem and registry name.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::manifest::deps::Ecosystem;

const LIST: &str = include_str!("../../rules/deprecated-dependencies.toml");

/// What the maintainers say about a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Deprecated,
    Unmaintained,
    /// Published under a new name; the old one gets no releases.
    Renamed,
    /// Bug fixes only; no new features. Worth planning a move, not urgent.
    Maintenance,
    EndOfLife,
}

impl Status {
    /// The verb phrase for messages: "`moment` is in maintenance mode".
    pub fn phrase(self) -> &'static str {
        match self {
            Status::Deprecated => "is deprecated",
            Status::Unmaintained => "is no longer maintained",
            Status::Renamed => "is no longer published under this name",
            Status::Maintenance => "is in maintenance mode (bug fixes only)",
            Status::EndOfLife => "has reached end of life",
        }
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub status: Status,
    pub replacement: String,
    pub reason: String,
    pub source: String,
    #[serde(default)]
    pub advisory: Option<String>,
    /// Only versions below this one are affected.
    #[serde(default)]
    pub before: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct List {
    list_version: String,
    npm: Vec<Entry>,
    pypi: Vec<Entry>,
    crates: Vec<Entry>,
}

struct Table {
    version: String,
    by_name: HashMap<(Ecosystem, String), Entry>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // the list is part of the build; `tests` below keep it valid
        let list: List = toml::from_str(LIST).unwrap_or_else(|e| {
            panic!("rules/deprecated-dependencies.toml: {e}");
        });
        let mut by_name = HashMap::new();
        for (eco, entries) in [
            (Ecosystem::Npm, list.npm),
            (Ecosystem::PyPI, list.pypi),
            (Ecosystem::Crates, list.crates),
        ] {
            for e in entries {
                by_name.insert((eco, eco.normalize(&e.name)), e);
            }
        }
        Table {
            version: list.list_version,
            by_name,
        }
    })
}

/// The list's version (`2026.08.1`), for documentation and reports.
pub fn list_version() -> &'static str {
    &table().version
}

/// The entry for a declared dependency, if the list names it and the declared version is
/// affected. `version` is the requirement as written (`^2.88.0`, `==0.5`, `0.3`).
pub fn lookup(eco: Ecosystem, name: &str, version: Option<&str>) -> Option<&'static Entry> {
    let e = table().by_name.get(&(eco, eco.normalize(name)))?;
    if let Some(before) = &e.before {
        // only some versions are affected: stay silent unless the declared one is known
        let declared = version.and_then(first_version)?;
        if declared >= first_version(before)? {
            return None;
        }
    }
    Some(e)
}

/// Every entry, per ecosystem (for documentation and tests).
pub fn entries() -> impl Iterator<Item = (Ecosystem, &'static Entry)> {
    table().by_name.iter().map(|((eco, _), e)| (*eco, e))
}

/// The first version number in a requirement (`>=0.5, <0.7` -> [0, 5]), padded to three parts.
fn first_version(spec: &str) -> Option<Vec<u64>> {
    let start = spec.find(|c: char| c.is_ascii_digit())?;
    let parts: Vec<u64> = spec[start..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?
        .split('.')
        .take(3)
        .map_while(|p| p.parse().ok())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let mut v = parts;
    v.resize(3, 0);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_valid_and_sourced() {
        let mut counts: HashMap<Ecosystem, usize> = HashMap::new();
        for (eco, e) in entries() {
            *counts.entry(eco).or_default() += 1;
            assert!(
                !e.replacement.is_empty() && !e.reason.is_empty(),
                "{}",
                e.name
            );
            assert!(e.source.starts_with("https://"), "{}: source", e.name);
            if let Some(a) = &e.advisory {
                assert!(
                    a.starts_with("RUSTSEC-") && eco == Ecosystem::Crates,
                    "{}",
                    e.name
                );
            }
            if let Some(b) = &e.before {
                assert!(first_version(b).is_some(), "{}: before", e.name);
            }
        }
        for eco in [Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::Crates] {
            assert!(counts.get(&eco).copied().unwrap_or(0) >= 15, "{eco:?}");
        }
        assert!(!list_version().is_empty());
    }

    #[test]
    fn names_are_compared_as_the_registry_does() {
        assert!(lookup(Ecosystem::PyPI, "flask_script", None).is_some());
        assert!(lookup(Ecosystem::PyPI, "FLASK-SCRIPT", Some("==2.0.6")).is_some());
        assert!(lookup(Ecosystem::Crates, "proc_macro_error", None).is_some());
        assert!(lookup(Ecosystem::Npm, "Request", None).is_none());
        assert!(lookup(Ecosystem::Npm, "request-ip", None).is_none());
        assert!(lookup(Ecosystem::Npm, "uuid", None).is_none());
    }

    #[test]
    fn version_bounded_entries() {
        assert!(lookup(Ecosystem::Crates, "term", Some("0.5")).is_some());
        assert!(lookup(Ecosystem::Crates, "term", Some("0.7.0")).is_none());
        assert!(lookup(Ecosystem::Crates, "term", None).is_none());
        assert!(lookup(Ecosystem::Crates, "term", Some("*")).is_none());
        assert_eq!(first_version(">=0.5, <0.7"), Some(vec![0, 5, 0]));
        assert_eq!(first_version("^2.88.0"), Some(vec![2, 88, 0]));
    }
}
