//! The dependencies a manifest declares, per ecosystem, each with the place a reviewer edits
//! (the key of a table entry, the string of an array entry, the name on a requirements line).
//!
//! - `package.json`: `dependencies`, `devDependencies`, `optionalDependencies` (aliases
//!   `"x": "npm:real@^1"` resolve to the real package). `peerDependencies` are left out: a
//!   plugin declares the host it extends there, it cannot replace it.
//! - requirements files: every requirement line.
//! - `pyproject.toml`: PEP 621 `[project] dependencies` and `optional-dependencies`, PEP 735
//!   `[dependency-groups]`, Poetry `[tool.poetry.dependencies]`, `dev-dependencies` and
//!   `[tool.poetry.group.<g>.dependencies]`, PDM and uv dev dependencies. `[build-system]`
//!   requirements are build tools, not dependencies of the code.
//! - `Pipfile`: `[packages]`, `[dev-packages]` and custom package categories.
//! - `Cargo.toml`: `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, the same under
//!   `[target.'<cfg>'.…]`, and `[workspace.dependencies]` (`package = "real"` renames resolve;
//!   `x.workspace = true` in a member is declared, and reported, in the workspace).

use super::{Kind, Manifest, Value};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ecosystem {
    Npm,
    PyPI,
    Crates,
}

impl Ecosystem {
    /// The registry's name, for messages.
    pub fn registry(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Crates => "crates.io",
        }
    }
    /// A package name as the registry compares it: PyPI folds case and `-_.` runs (PEP 503),
    /// crates.io treats `-` and `_` as one; npm names are exact.
    pub fn normalize(self, name: &str) -> String {
        match self {
            Ecosystem::Npm => name.to_string(),
            Ecosystem::Crates => name.replace('_', "-"),
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut sep = false;
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        sep = true;
                        continue;
                    }
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
                out
            }
        }
    }
}

/// One declared dependency.
#[derive(Clone, Debug, PartialEq)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// The package's registry name (after npm aliases and Cargo renames).
    pub name: String,
    /// The name as written in the manifest, when it differs (an alias or a rename).
    pub alias: Option<String>,
    /// Where the reviewer edits: the entry's key, or the requirement string.
    pub span: Span,
    /// The section it is declared in (`devDependencies`, `tool.poetry.group.dev.dependencies`).
    pub section: String,
    /// The version requirement as written, when there is one.
    pub version: Option<String>,
}

/// Every dependency a manifest declares, in file order.
pub fn dependencies(m: &Manifest) -> Vec<Dependency> {
    let mut out = Vec::new();
    match m.kind {
        Kind::PackageJson => package_json(&m.root, &mut out),
        Kind::Requirements => {
            for r in &m.requirements {
                out.push(Dependency {
                    ecosystem: Ecosystem::PyPI,
                    name: r.name.clone(),
                    alias: None,
                    span: r.span,
                    section: "requirements".into(),
                    version: (!r.spec.is_empty()).then(|| r.spec.clone()),
                });
            }
        }
        Kind::Pyproject => pyproject(&m.root, &mut out),
        Kind::Pipfile => {
            for e in m.root.entries() {
                if ["source", "requires", "scripts", "pipenv"].contains(&e.key.as_str()) {
                    continue;
                }
                python_table(&e.value, &e.key, &mut out);
            }
        }
        Kind::CargoToml => cargo(&m.root, &mut out),
        Kind::RocketToml => {}
    }
    out.sort_by_key(|d| d.span.start);
    out
}

fn package_json(root: &Value, out: &mut Vec<Dependency>) {
    for section in ["dependencies", "devDependencies", "optionalDependencies"] {
        let Some(deps) = root.get(section) else {
            continue;
        };
        for e in deps.entries() {
            let spec = e.value.as_str().unwrap_or("");
            // `"http": "npm:request@^2.88.0"` installs `request` under another name
            let (name, alias, version) = match spec.strip_prefix("npm:") {
                Some(target) => {
                    // the version follows the last `@` that does not start a scope
                    let at = target
                        .char_indices()
                        .skip(1)
                        .find(|(_, c)| *c == '@')
                        .map(|(i, _)| i);
                    let (n, v) = match at {
                        Some(i) => (&target[..i], Some(target[i + 1..].to_string())),
                        None => (target, None),
                    };
                    (n.to_string(), Some(e.key.clone()), v)
                }
                None => (e.key.clone(), None, Some(spec.to_string())),
            };
            out.push(Dependency {
                ecosystem: Ecosystem::Npm,
                name,
                alias,
                span: e.key_span,
                section: section.into(),
                version,
            });
        }
    }
}

/// A PEP 508 string's project name (`requests[socks]>=2; python_version>'3'` -> `requests`).
fn pep508_name(s: &str) -> &str {
    let t = s.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(t.len());
    &t[..end]
}

/// An array of PEP 508 strings (`[project] dependencies`, optional dependencies, groups).
fn pep508_array(v: &Value, section: &str, out: &mut Vec<Dependency>) {
    for item in v.items() {
        let Some(s) = item.as_str() else { continue };
        let name = pep508_name(s);
        if name.is_empty() {
            continue;
        }
        out.push(Dependency {
            ecosystem: Ecosystem::PyPI,
            name: name.to_string(),
            alias: None,
            span: item.span,
            section: section.into(),
            version: Some(s.trim_start()[name.len()..].trim().to_string()),
        });
    }
}

/// A table of `name = "spec"` / `name = { version = .. }` (Poetry, Pipfile).
fn python_table(v: &Value, section: &str, out: &mut Vec<Dependency>) {
    for e in v.entries() {
        if e.key.eq_ignore_ascii_case("python") {
            continue;
        }
        let version = e
            .value
            .as_str()
            .or_else(|| e.value.get("version").and_then(Value::as_str))
            .map(str::to_string);
        out.push(Dependency {
            ecosystem: Ecosystem::PyPI,
            name: e.key.clone(),
            alias: None,
            span: e.key_span,
            section: section.into(),
            version,
        });
    }
}

fn pyproject(root: &Value, out: &mut Vec<Dependency>) {
    if let Some(p) = root.get("project") {
        if let Some(d) = p.get("dependencies") {
            pep508_array(d, "project.dependencies", out);
        }
        for e in p
            .get("optional-dependencies")
            .map_or(&[][..], Value::entries)
        {
            pep508_array(
                &e.value,
                &format!("project.optional-dependencies.{}", e.key),
                out,
            );
        }
    }
    for e in root
        .get("dependency-groups")
        .map_or(&[][..], Value::entries)
    {
        pep508_array(&e.value, &format!("dependency-groups.{}", e.key), out);
    }
    if let Some(poetry) = root.at(&["tool", "poetry"]) {
        for key in ["dependencies", "dev-dependencies"] {
            if let Some(d) = poetry.get(key) {
                python_table(d, &format!("tool.poetry.{key}"), out);
            }
        }
        for g in poetry.get("group").map_or(&[][..], Value::entries) {
            if let Some(d) = g.value.get("dependencies") {
                python_table(d, &format!("tool.poetry.group.{}.dependencies", g.key), out);
            }
        }
    }
    for g in root
        .at(&["tool", "pdm", "dev-dependencies"])
        .map_or(&[][..], Value::entries)
    {
        pep508_array(
            &g.value,
            &format!("tool.pdm.dev-dependencies.{}", g.key),
            out,
        );
    }
    if let Some(d) = root.at(&["tool", "uv", "dev-dependencies"]) {
        pep508_array(d, "tool.uv.dev-dependencies", out);
    }
}

const CARGO_SECTIONS: &[&str] = &[
    "dependencies",
    "dev-dependencies",
    "build-dependencies",
    "dev_dependencies",
    "build_dependencies",
];

fn cargo(root: &Value, out: &mut Vec<Dependency>) {
    for s in CARGO_SECTIONS {
        if let Some(d) = root.get(s) {
            cargo_table(d, s, out);
        }
    }
    for t in root.get("target").map_or(&[][..], Value::entries) {
        for s in CARGO_SECTIONS {
            if let Some(d) = t.value.get(s) {
                cargo_table(d, &format!("target.'{}'.{s}", t.key), out);
            }
        }
    }
    if let Some(d) = root.at(&["workspace", "dependencies"]) {
        cargo_table(d, "workspace.dependencies", out);
    }
}

fn cargo_table(v: &Value, section: &str, out: &mut Vec<Dependency>) {
    for e in v.entries() {
        if e.value.get("workspace").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let renamed = e.value.get("package").and_then(Value::as_str);
        let version = e
            .value
            .as_str()
            .or_else(|| e.value.get("version").and_then(Value::as_str))
            .map(str::to_string);
        out.push(Dependency {
            ecosystem: Ecosystem::Crates,
            name: renamed.unwrap_or(&e.key).to_string(),
            alias: renamed.map(|_| e.key.clone()),
            span: e.key_span,
            section: section.into(),
            version,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(kind: Kind, text: &str) -> Vec<(String, String, String)> {
        let m = Manifest::parse(kind, text).unwrap();
        dependencies(&m)
            .into_iter()
            .map(|d| (d.name, text[d.span.range()].to_string(), d.section))
            .collect()
    }

    #[test]
    fn package_json_sections_and_aliases() {
        let text = r#"{
  "name": "api",
  "scripts": { "request": "node x.js" },
  "dependencies": { "express": "^4", "http": "npm:request@^2.88.0", "@scope/x": "npm:@hapi/joi@17" },
  "devDependencies": { "nose": "1" },
  "peerDependencies": { "moment": "^2" },
  "overrides": { "request": "2.88.2" }
}"#;
        let d = deps(Kind::PackageJson, text);
        let names: Vec<&str> = d.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["express", "request", "@hapi/joi", "nose"]);
        assert_eq!(d[1].1, "\"http\"");
    }

    #[test]
    fn pyproject_every_style() {
        let text = r#"
[build-system]
requires = ["nose"]
[project]
dependencies = ["Django>=4", "pycrypto==2.6.1 ; python_version<'3'"]
[project.optional-dependencies]
redis = ["aioredis"]
[dependency-groups]
test = ["nose2", {include-group = "x"}]
[tool.poetry.dependencies]
python = "^3.11"
Flask-Script = { version = "^2" }
[tool.poetry.group.dev.dependencies]
raven = "*"
"#;
        let d = deps(Kind::Pyproject, text);
        let names: Vec<&str> = d.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "Django",
                "pycrypto",
                "aioredis",
                "nose2",
                "Flask-Script",
                "raven"
            ]
        );
        assert_eq!(d[1].1, "\"pycrypto==2.6.1 ; python_version<'3'\"");
    }

    #[test]
    fn cargo_sections_renames_and_workspace() {
        let text = r#"
[package]
name = "x"
[dependencies]
err = { package = "failure", version = "0.1" }
serde.workspace = true
[target.'cfg(windows)'.dev-dependencies]
tempdir = "0.3"
[workspace.dependencies]
dotenv = "0.15"
"#;
        let d = deps(Kind::CargoToml, text);
        let got: Vec<(&str, &str)> = d.iter().map(|x| (x.0.as_str(), x.1.as_str())).collect();
        assert_eq!(
            got,
            [
                ("failure", "err"),
                ("tempdir", "tempdir"),
                ("dotenv", "dotenv")
            ]
        );
    }

    #[test]
    fn pypi_names_fold() {
        assert_eq!(Ecosystem::PyPI.normalize("Flask_Script"), "flask-script");
        assert_eq!(Ecosystem::PyPI.normalize("MySQL-python"), "mysql-python");
        assert_eq!(
            Ecosystem::PyPI.normalize("zope.interface"),
            "zope-interface"
        );
        assert_eq!(
            Ecosystem::Crates.normalize("proc_macro_error"),
            "proc-macro-error"
        );
    }
}
