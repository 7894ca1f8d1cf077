//! Code that only development runs: a test of the environment around it (`if settings.DEBUG:`,
//! `NODE_ENV === 'development'`, the development side of `isDev ? a : b`), a function or class
//! named for development or tests, Rust `#[cfg(debug_assertions)]`/`#[cfg(test)]`, and files
//! only development loads (`settings/local.py`, `server.dev.ts`). Shared by the rules about
//! settings that are fine on a developer's machine (`debug-mode-enabled`, `permissive-cors`).

use std::path::Path;

use crate::ast::{Ast, Kind, NodeId};

/// Whether an operator's switch (an environment variable, a command-line flag, a config value:
/// `if os.getenv("PROFILE"):`) keeps the code out of production as a development test does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switches {
    /// It does: turning the feature on is a deliberate act (a debugger behind a flag).
    Guard,
    /// It does not: production may well set it (CORS origins behind `CORS_ENABLED`).
    Ignore,
}

/// What a condition says about the branch it guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Means {
    /// true in development only (`NODE_ENV === 'development'`, `settings.DEBUG`,
    /// `cfg!(debug_assertions)`, `!isProduction`)
    Dev,
    /// true in production (`NODE_ENV === 'production'`, `not DEBUG`)
    Prod,
    /// an operator's switch (an environment variable, a command-line flag, a config value)
    Env,
}

pub fn words(text: &str) -> Vec<String> {
    crate::knowledge::secrets::name_words(text)
}

/// Words of a condition, a function or a file name that mean development or tests.
const DEV_WORDS: &[&str] = &[
    "dev",
    "development",
    "develop",
    "debug",
    "test",
    "tests",
    "testing",
    "local",
    "localdev",
    "devserver",
];

/// What a condition's text says about the branch it guards.
fn means(cond: &str) -> Option<Means> {
    let lower = cond.to_ascii_lowercase();
    let ws = words(cond);
    let negated = lower.contains("!=")
        || lower.trim_start().starts_with('!')
        || lower.trim_start().starts_with("not ")
        || lower.contains("not(")
        || lower.contains(" is not ");
    let prod = ws
        .iter()
        .any(|w| ["production", "prod", "release", "live"].contains(&w.as_str()));
    let dev = ws.iter().any(|w| DEV_WORDS.contains(&w.as_str())) || lower.contains("debug");
    if prod {
        return Some(if negated { Means::Dev } else { Means::Prod });
    }
    if dev {
        return Some(if negated { Means::Prod } else { Means::Dev });
    }
    const ENV: &[&str] = &[
        "environ",
        "getenv",
        "process.env",
        "env::var",
        "env!(",
        "settings.",
        "config",
        "argv",
        "args.",
        "options.",
        "opts.",
    ];
    ENV.iter().any(|e| lower.contains(e)).then_some(Means::Env)
}

/// A Rust `#[cfg(..)]` that keeps code to debug builds or tests.
fn debug_cfg(args: &str) -> bool {
    (args.contains("debug_assertions") && !args.contains("not(debug_assertions)"))
        || args.contains("test") && !args.contains("not(test)")
}

/// A function or method whose name says development or tests (`create_dev_app`,
/// `setupDevServer`, `init_test_federation_config`).
pub fn dev_function(name: &str) -> bool {
    words(name).iter().any(|w| DEV_WORDS.contains(&w.as_str()))
}

/// Whether `node` only runs in development: under an `if` that checks for development (or
/// an operator's environment switch), in the development branch of `a ? b : c` or `a && b`,
/// in Express's `app.configure('development', ..)`, in a function named for development or
/// tests, or (Rust) under `#[cfg(debug_assertions)]` / `#[cfg(test)]`.
pub fn guarded(ast: &Ast, text: &str, node: NodeId, switches: Switches) -> bool {
    let mut child = node;
    for anc in ast.ancestors(node) {
        if guards(ast, text, anc, child, switches)
            || exits_in_production_before(ast, text, anc, child)
            || ast.lang == crate::ast::Lang::Rust
                && cfg_attribute_above(text, ast.span(child).start)
        {
            return true;
        }
        child = anc;
    }
    false
}

/// Whether a statement before `child` in the body of `anc` leaves in production:
/// `if (process.env.NODE_ENV === 'production') { ..; return; }`, `if not settings.DEBUG:
/// return`.
fn exits_in_production_before(ast: &Ast, text: &str, anc: NodeId, child: NodeId) -> bool {
    let body: &[NodeId] = match ast.kind(anc) {
        Kind::Function(f) => &f.body,
        Kind::Block(b) => b,
        _ => return false,
    };
    let snippet = |id: NodeId| text.get(ast.span(id).range()).unwrap_or("");
    body.iter()
        .take_while(|&&s| s != child)
        .any(|&s| match ast.kind(s) {
            Kind::If { cond, then, els } if els.is_empty() => {
                let exits = then.last().is_some_and(|&l| {
                    let t = snippet(l).trim_start();
                    ["return", "raise", "throw"]
                        .iter()
                        .any(|k| t.starts_with(k))
                });
                exits && means(snippet(*cond)) == Some(Means::Prod)
            }
            _ => false,
        })
}

/// Whether the ancestor `anc` keeps its descendant `child` to development.
fn guards(ast: &Ast, text: &str, anc: NodeId, child: NodeId, switches: Switches) -> bool {
    let dev = |m: Option<Means>| {
        m == Some(Means::Dev) || m == Some(Means::Env) && switches == Switches::Guard
    };
    let dev_attr = |d: &crate::ast::Decorator| d.name == "cfg" && debug_cfg(&d.args);
    match ast.kind(anc) {
        Kind::If { cond, then, els } if !ast.contains(*cond, child) => {
            match means(text.get(ast.span(*cond).range()).unwrap_or("")) {
                m @ Some(Means::Dev | Means::Env) => dev(m) && ast.contains_any(then, child),
                Some(Means::Prod) => ast.contains_any(els, child),
                None => false,
            }
        }
        // `isDev ? errorhandler() : fallback`, `isDev && app.use(errorhandler())`
        Kind::Other if conditional(ast, text, anc).is_some() => {
            let Some((cond, then, els)) = conditional(ast, text, anc) else {
                return false;
            };
            match means(text.get(ast.span(cond).range()).unwrap_or("")) {
                m @ Some(Means::Dev | Means::Env) => dev(m) && child == then,
                Some(Means::Prod) => child == els,
                None => false,
            }
        }
        Kind::Other | Kind::Binary { .. } => {
            let start = ast.span(anc).start as usize;
            let upto = ast.span(child).start as usize;
            let before = text.get(start..upto.max(start)).unwrap_or("");
            (before.contains(" ? ") || before.contains("&&")) && dev(means(before))
        }
        Kind::Function(f) => {
            f.name.as_deref().is_some_and(dev_function)
                || crate::imports::function_name(ast, anc).is_some_and(|n| dev_function(&n))
                || f.decorators.iter().any(dev_attr)
        }
        Kind::Class(c) => dev_function(&c.name) || c.decorators.iter().any(dev_attr),
        // Express 3: `app.configure('development', function () { .. })`
        Kind::Call(c) => {
            ast.callee_name(c) == Some("configure")
                && !ast.contains(c.callee, child)
                && ast
                    .positional(c)
                    .next()
                    .and_then(|a| ast.plain_str(a))
                    .is_some_and(|s| ["development", "dev", "test"].contains(&s))
        }
        _ => false,
    }
}

/// A conditional expression as (condition, then, else): `c ? a : b`, Python `a if c else b`.
fn conditional(ast: &Ast, text: &str, id: NodeId) -> Option<(NodeId, NodeId, NodeId)> {
    let mut kids = ast.children(id);
    let (x, y, z) = (kids.next()?, kids.next()?, kids.next()?);
    if kids.next().is_some() {
        return None;
    }
    let gap = text
        .get(ast.span(x).end as usize..ast.span(y).start as usize)?
        .trim_start();
    if gap.starts_with('?') {
        Some((x, y, z))
    } else if gap.starts_with("if") && gap[2..].starts_with(char::is_whitespace) {
        Some((y, x, z))
    } else {
        None
    }
}

/// Rust: a `#[cfg(debug_assertions)]` (or `#[cfg(test)]`) attribute written on the lines just
/// above `start`, or before it on its line (syn keeps statement attributes out of the tree).
fn cfg_attribute_above(text: &str, start: u32) -> bool {
    let start = (start as usize).min(text.len());
    let head = &text[..start];
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let same_line = head[line_start..].trim();
    if same_line.starts_with("#[") {
        if let Some(args) = same_line.strip_prefix("#[cfg(") {
            return debug_cfg(args);
        }
    }
    if !same_line.is_empty() {
        return false;
    }
    for line in head[..line_start].lines().rev() {
        let l = line.trim();
        if l.is_empty() || l.starts_with("//") {
            continue;
        }
        if !l.starts_with("#[") {
            return false;
        }
        if let Some(args) = l.strip_prefix("#[cfg(") {
            if debug_cfg(args) {
                return true;
            }
        }
    }
    false
}

/// Folder names whose files only development uses.
const DEV_DIRS: &[&str] = &["dev", "development", "devtools", "local"];

/// A file only development loads: a development settings or configuration file
/// (`settings/local.py`, `settings_dev.py`, `config/env/development.js`) or a file or folder
/// named for development (`dev_server.py`, `server.dev.ts`, `dev/app.py`, `debug.py`).
/// Test files have their own role and never reach the rule.
pub fn is_dev_only_file(path: &Path) -> bool {
    if crate::roles::is_dev_config(path) {
        return true;
    }
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let stem = stem.rsplit_once('.').map_or(stem.as_str(), |(s, _)| s);
    // `settings/ci.py`, `settings/e2e.py`: the settings of automated test runs
    // (`e2e` is split by the word splitter, so the file name's own parts are read for it)
    let e2e = stem
        .to_ascii_lowercase()
        .split(['_', '-', '.'])
        .any(|w| w == "e2e");
    if e2e
        || words(stem)
            .iter()
            .any(|w| DEV_WORDS.contains(&w.as_str()) || w == "ci")
    {
        return true;
    }
    path.parent().is_some_and(|p| {
        p.components().any(|c| {
            DEV_DIRS.contains(
                &c.as_os_str()
                    .to_string_lossy()
                    .to_ascii_lowercase()
                    .as_str(),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_say_which_branch_is_development() {
        assert_eq!(
            means("process.env.NODE_ENV === 'development'"),
            Some(Means::Dev)
        );
        assert_eq!(
            means("process.env.NODE_ENV !== 'production'"),
            Some(Means::Dev)
        );
        assert_eq!(
            means("process.env.NODE_ENV === 'production'"),
            Some(Means::Prod)
        );
        assert_eq!(means("not settings.DEBUG"), Some(Means::Prod));
        assert_eq!(means("cfg!(not(debug_assertions))"), Some(Means::Prod));
        assert_eq!(means("cfg!(debug_assertions)"), Some(Means::Dev));
        assert_eq!(means("'development' == app.get('env')"), Some(Means::Dev));
        assert_eq!(means("os.getenv(\"ENABLE_PROFILER\")"), Some(Means::Env));
        assert_eq!(means("__name__ == \"__main__\""), None);
        assert_eq!(means("config.isDevMode"), Some(Means::Dev));
        assert_eq!(means("!isProduction"), Some(Means::Dev));
        assert_eq!(means("settings.CORS_ENABLED"), Some(Means::Env));
        assert_eq!(means("req.method === 'OPTIONS'"), None);
        assert_eq!(means("devices.length > 0"), None);
        assert_eq!(means("localhost_only"), None);
    }

    #[test]
    fn dev_only_files() {
        for p in [
            "app/settings/local.py",
            "proj/settings_dev.py",
            "config/env/development.js",
            "dev_server.py",
            "src/server.dev.ts",
            "tools/dev/app.py",
            "config/settings/e2e.py",
            "proj/settings_ci.py",
        ] {
            assert!(is_dev_only_file(Path::new(p)), "{p}");
        }
        for p in [
            "app/settings/production.py",
            "app/settings.py",
            "src/server.ts",
            "devices/views.py",
            "src/main.rs",
        ] {
            assert!(!is_dev_only_file(Path::new(p)), "{p}");
        }
    }
}
