//! `hardcoded-secret`: credentials written into source code.
//!
//! Every string literal is checked once: first for known credential formats (anywhere), then,
//! when it is the value of something secret-named (variable, constant, dict/object key,
//! keyword argument, parameter default, struct field), for a value that is not a placeholder.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

use crate::ast::{BinOp, Kind, KindTag, NodeId, StrKind};
use crate::diagnostic::redact;
use crate::engine::{Ctx, Rule};
use crate::knowledge::secrets;
use crate::roles::Role;
use crate::source::Span;

pub struct HardcodedSecret;

impl Rule for HardcodedSecret {
    fn id(&self) -> &'static str {
        "hardcoded-secret"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Str]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        if cx.is_test_file || in_test_module(cx, node) {
            return;
        }
        let Kind::Str(s) = cx.ast.kind(node) else {
            return;
        };
        let value = s.value.as_str();
        if value.len() < 3 {
            return;
        }
        // Seed data, build tooling and development-only configuration hold demo passwords and
        // local keys: only real credential formats and signing keys count there.
        let relaxed = || cx.role == Role::Seed || crate::roles::is_dev_config(&cx.file.path);
        let found = (value.len() >= 6)
            .then(|| secrets::known_format(value))
            .flatten()
            .map(|m| (m.kind.to_string(), m.start, m.end))
            .or_else(|| custom_pattern(cx, value))
            .or_else(|| {
                // tooling (examples, snippets, build scripts): real credential formats only
                if s.kind != StrKind::Plain || cx.role == Role::Tooling {
                    return None;
                }
                let (name, bare) = secret_name_of(cx, node)?;
                if secrets::is_name_derived(&bare, value) {
                    return None;
                }
                // the position decides: a literal that signs sessions, cookies or tokens is a
                // secret whatever its shape
                let signing =
                    name.starts_with("the key argument") || secrets::is_signing_name(&bare);
                if signing {
                    return secrets::is_real_signing_value(value)
                        .then(|| (format!("signing key in {name}"), 0, value.len()));
                }
                let password_name = ["password", "passwd", "pwd", "pass"]
                    .iter()
                    .any(|p| bare.to_ascii_lowercase().contains(p));
                if value.len() < 6 || relaxed() || password_name && secrets::is_password_hash(value)
                {
                    return None;
                }
                secrets::looks_like_secret_value(value)
                    .then(|| (format!("secret in {name}"), 0, value.len()))
            });
        let Some((kind, start, end)) = found else {
            return;
        };
        let secret = &value[start..end];
        let span = secret_span(cx, node, secret);
        let message = format!("hardcoded {kind}: `{}`", redact(secret));
        let help = match cx.ast.lang {
            crate::ast::Lang::Python => "read it from the environment or a secret manager (`os.environ[\"NAME\"]`), and rotate this credential: it is in the repository history",
            crate::ast::Lang::TypeScript => "read it from the environment or a secret manager (`process.env.NAME`), and rotate this credential: it is in the repository history",
            crate::ast::Lang::Rust => "read it from the environment or a secret manager (`std::env::var(\"NAME\")`), and rotate this credential: it is in the repository history",
        };
        let f = cx
            .finding(cx.first_line(node), message)
            .help(help)
            .secret(span);
        cx.emit(f);
    }
}

/// The source span of the secret inside the literal (for redaction of the rendered snippet).
fn secret_span(cx: &Ctx, node: NodeId, secret: &str) -> Span {
    let s = cx.span(node);
    let text = cx.file.snippet(s);
    match text.find(secret) {
        Some(i) => Span::new(s.start as usize + i, s.start as usize + i + secret.len()),
        None => {
            // escapes changed the text: mask everything inside the quotes
            let q = text.find(['"', '\'', '`']).map_or(0, |i| i + 1);
            Span::new(
                s.start as usize + q,
                (s.end as usize).saturating_sub(1).max(s.start as usize + q),
            )
        }
    }
}

/// The secret-looking name a literal is assigned to, passed as, or stored under.
fn secret_name_of(cx: &Ctx, node: NodeId) -> Option<(String, String)> {
    let ast = cx.ast;
    // Step out of `.to_string()`, `String::from(..)`, `.into()`, `str(..)` wrappers, and out of
    // environment fallbacks (`os.getenv("JWT_SECRET", "..")`, `process.env.X || ".."`,
    // `env::var("X").unwrap_or_else(|_| "..".into())`): a real-looking fallback is hardcoded.
    let mut cur = node;
    let mut env_name: Option<String> = None;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Call(c)
                if WRAPPERS.contains(&ast.callee_name(c).unwrap_or("")) && c.args.len() <= 1 =>
            {
                cur = p
            }
            // `"key".as_bytes()`, `"key".encode()`: the literal is the receiver
            Kind::Call(c)
                if c.callee == cur
                    && ["as_bytes", "into_bytes", "to_vec", "encode", "as_ref"]
                        .contains(&ast.callee_name(c).unwrap_or("")) =>
            {
                cur = p
            }
            Kind::Call(c)
                if FALLBACKS.contains(&ast.callee_name(c).unwrap_or(""))
                    && c.args.iter().any(|a| a.value == cur)
                    // `get("KEY", default)`: the first argument is the key, not a fallback
                    && !(KEYED.contains(&ast.callee_name(c).unwrap_or("")) && ast.positional(c).next() == Some(cur)) =>
            {
                env_name = env_name.or_else(|| env_var_name(ast, p));
                cur = p;
            }
            Kind::Binary {
                op: BinOp::Or | BinOp::And,
                rhs,
                lhs,
            } if *rhs == cur => {
                env_name = env_name.or_else(|| {
                    ast.path_of(ast.unwrap_expr(*lhs))
                        .filter(|p| p.contains("env"))
                        .map(|p| p.rsplit('.').next().unwrap_or(&p).to_string())
                });
                cur = p;
            }
            Kind::Function(f) if f.name.is_none() && f.expr_body == Some(cur) => cur = p,
            Kind::Member { .. } => cur = p,
            _ if ast.wrapped(p) == Some(cur) => cur = p,
            _ => break,
        }
    }
    let env_fallback = env_name
        .filter(|n| secrets::is_secret_name(n))
        .map(|n| (format!("the fallback for `{n}`"), n));
    let Some(p) = ast.parent(cur) else {
        return env_fallback;
    };
    let name = match ast.kind(p) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } if *v == cur => {
            let t = ast.unwrap_expr(*target);
            match ast.kind(t) {
                Kind::Index { index, .. } => ast.plain_str(*index).map(str::to_string),
                _ => ast.path_of(t),
            }
        }
        // a template's context (`render(request, "page.html", {"secret": ..})`) is text shown
        // to the reader, not a credential handed to an API
        Kind::Object { .. } if rendered(ast, p) => return env_fallback,
        Kind::Object { entries, .. } => entries
            .iter()
            .find(|e| e.value == cur)
            .and_then(|e| e.key.clone()),
        Kind::Call(c) => {
            let arg = c.args.iter().find(|a| a.value == cur)?;
            match arg.name.as_deref() {
                // `signing_key: str = Field(default="...")`: the field's name counts
                Some("default") => ast.parent(p).and_then(|g| match ast.kind(g) {
                    Kind::Assign {
                        target,
                        value: Some(v),
                        ..
                    } if *v == p => ast.path_of(*target),
                    _ => None,
                }),
                Some(n) => Some(n.to_string()),
                None => {
                    // `jwt.encode(payload, "key")`: calls whose positional argument is a secret
                    let callee = ast.path_of(c.callee)?;
                    let index = secrets::secret_argument(&callee)?;
                    let pos = ast.positional(c).position(|a| a == cur)?;
                    return (pos == index)
                        .then(|| (format!("the key argument of `{callee}`"), callee.clone()));
                }
            }
        }
        Kind::Function(f) => f
            .params
            .iter()
            .find(|pa| pa.default == Some(cur))
            .map(|pa| pa.name.clone()),
        _ => None,
    };
    let Some(name) = name else {
        return env_fallback;
    };
    let last = name.rsplit(['.', ':']).next().unwrap_or(&name).to_string();
    (secrets::is_secret_name(&last) || secrets::is_signing_name(&last))
        .then(|| (format!("`{last}`"), last.clone()))
        .or(env_fallback)
}

/// Whether an object literal is the context argument of a template render call.
fn rendered(ast: &crate::ast::Ast, object: NodeId) -> bool {
    ast.parent(object)
        .and_then(|p| ast.call(p))
        .is_some_and(|c| {
            matches!(
                ast.callee_name(c),
                Some(
                    "render"
                        | "render_template"
                        | "TemplateResponse"
                        | "render_to_string"
                        | "renderFile"
                )
            )
        })
}

/// Calls that unwrap to their argument for naming purposes.
const WRAPPERS: &[&str] = &[
    "to_string",
    "to_owned",
    "into",
    "from",
    "String::from",
    "str",
    "SecretString",
    "Secret",
    "new",
];
/// Fallback calls whose first argument is the configuration key.
const KEYED: &[&str] = &["getenv", "get", "env", "config", "get_or"];
/// Calls whose argument is a fallback for a configuration read.
const FALLBACKS: &[&str] = &[
    "unwrap_or",
    "unwrap_or_else",
    "getenv",
    "get",
    "env",
    "config",
    "or",
    "or_else",
    "get_or",
];

/// The environment variable a fallback belongs to: `os.getenv("JWT_SECRET", ..)`,
/// `env::var("ADMIN_TOKEN").unwrap_or(..)`, `config("SECRET_KEY", default=..)`.
fn env_var_name(ast: &crate::ast::Ast, call: NodeId) -> Option<String> {
    let chain = ast.call_chain(call);
    chain.iter().find_map(|&c| {
        let c = ast.call(c)?;
        let first = ast.positional(c).next()?;
        let s = ast.plain_str(first)?;
        (s.len() > 2
            && s.chars()
                .all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch.is_ascii_digit()))
        .then(|| s.to_string())
    })
}

/// Inside a Rust `#[cfg(test)]` module or a `#[test]` function.
fn in_test_module(cx: &Ctx, node: NodeId) -> bool {
    cx.ast.ancestors(node).any(|a| match cx.ast.kind(a) {
        Kind::Class(c) => c
            .decorators
            .iter()
            .any(|d| d.name == "cfg" && d.args.contains("test")),
        Kind::Function(f) => f.decorators.iter().any(|d| {
            d.name == "test"
                || d.name.ends_with("::test")
                || d.name == "cfg" && d.args.contains("test")
        }),
        _ => false,
    })
}

thread_local! {
    static PATTERNS: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

/// Project-specific secret patterns from the config (`[secrets] patterns`).
fn custom_pattern(cx: &Ctx, value: &str) -> Option<(String, usize, usize)> {
    if cx.config.secret_patterns.is_empty() {
        return None;
    }
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        for (name, pattern) in &cx.config.secret_patterns {
            let re = cache
                .entry(pattern.clone())
                .or_insert_with(|| Regex::new(pattern).ok());
            if let Some(m) = re.as_ref().and_then(|r| r.find(value)) {
                return Some((name.clone(), m.start(), m.end()));
            }
        }
        None
    })
}
