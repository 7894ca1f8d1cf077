//! The fuzzed entry points, shared by the targets in `fuzz_targets/`: each lints or parses one
//! in-memory input through the path `backlint check` uses, with every rule on.

use std::path::Path;

use backlint::ast::Lang;
use backlint::config::Config;
use backlint::source::SourceFile;
use backlint::{lint_source, Options};

/// Source files: linted as a service file of each language.
pub const SOURCES: [&str; 4] = [
    "app/views.py",
    "src/server.ts",
    "src/App.tsx",
    "src/server.js",
];
/// Rust, kept apart from [`SOURCES`] for the targets' names.
pub const RUST: &str = "src/main.rs";
/// Dependency manifests: the first byte of a `manifest` input picks one.
pub const MANIFESTS: [&str; 6] = [
    "package.json",
    "requirements.txt",
    "pyproject.toml",
    "Cargo.toml",
    "Pipfile",
    "Rocket.toml",
];

/// Lints `data` as the file `path` (as `backlint check --stdin-filename PATH` does) and renders
/// the report as text and JSON (not SARIF: its rule catalogue takes longer than most checks).
pub fn lint(path: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    lint_with(path, text, &Options::default());
}

fn lint_with(path: &str, text: &str, options: &Options) {
    let report = lint_source(Path::new(path), text, options);
    let mut sink = std::io::sink();
    backlint::report::text::render(&report, false, &mut sink).unwrap();
    backlint::report::json::render(&report, &mut sink).unwrap();
}

/// A dependency manifest: the first byte picks the kind.
pub fn manifest(data: &[u8]) {
    if let Some((&kind, rest)) = data.split_first() {
        lint(MANIFESTS[kind as usize % MANIFESTS.len()], rest);
    }
}

/// A configuration file (`backlint.toml`, or `pyproject.toml` when the first byte is odd);
/// when it loads, a small file is linted with it.
pub fn config(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let pyproject = kind % 2 == 1;
    let name = if pyproject {
        "pyproject.toml"
    } else {
        "backlint.toml"
    };
    if let Ok(Some(config)) = backlint::config::load::parse(Path::new(name), text, pyproject) {
        let options = Options {
            config,
            ..Options::default()
        };
        let src = "import requests\n\ndef view(request):\n    password = request.GET['p']  # backlint: ignore[secret-in-log] x\n    requests.get(password)\n";
        lint_with("app/views.py", src, &options);
    }
}

/// Suppression comments alone (the first byte picks the language), then the unused ones, as
/// the pipeline reports them.
pub fn suppress(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (lang, path) = match kind % 3 {
        0 => (Lang::Python, "app/views.py"),
        1 => (Lang::TypeScript, "src/server.ts"),
        _ => (Lang::Rust, "src/main.rs"),
    };
    let file = SourceFile::new(Path::new(path), text.to_string());
    let lines = file.line_count() as u32;
    // statements of one to three lines
    let sups = backlint::suppress::parse(&file, lang, &[], |l| (l + l % 3).min(lines.max(1)));
    backlint::suppress::unused(&sups, Path::new(path), &Config::default());
}

/// Every entry point in one target (for a short CI run of one binary): the first byte picks
/// it.
pub fn all(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 8 {
        i @ 0..=3 => lint(SOURCES[i as usize], rest),
        4 => lint(RUST, rest),
        5 => manifest(rest),
        6 => config(rest),
        _ => suppress(rest),
    }
}
