//! `secret-in-log`: a password, token, key, session id, cookie or a whole request body or header
//! set is written to a log or the console.
//!
//! Each value a log call prints ([`logging::log_call`]) is traced back with [`flow::origin`]
//! through locals, destructuring, field reads and interpolation to a secret: a secret-named
//! local, parameter, field or key (`password`, `user.api_key`, `data["token"]`,
//! `headers.get("Authorization")`), a call that makes one (`create_access_token(..)`), or a
//! whole request part (`req.body`, `request.headers`, a NestJS `@Body()` or FastAPI body model,
//! an axum `HeaderMap`). Reading a property that is not itself secret (`token.id`,
//! `req.body.email`), a comparison, a slice or any call that does not pass the text on
//! (`mask(token)`, `len(password)`, `hash(..)`) ends the trace. Rust values printed with `Debug`
//! (`{:?}`, `?x`, `dbg!`) whose struct derives `Debug` with a secret field are reported when
//! the project index confirms the struct ([`Condition::DebugPrintsSecret`]), as are
//! `#[tracing::instrument]` functions that record a secret parameter.

use std::cell::RefCell;

use crate::ast::{Ast, BinOp, Kind, KindTag, Lang, NodeId, UnOp};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::flow::{self, Hop};
use crate::knowledge::environments::{self, Switches};
use crate::knowledge::logging::{self, LogCall};
use crate::knowledge::secrets::is_sensitive_name;
use crate::roles::Role;

pub const ID: &str = "secret-in-log";

pub struct SecretInLog;

impl Rule for SecretInLog {
    fn id(&self) -> &'static str {
        ID
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Function]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        match cx.ast.kind(node) {
            Kind::Function(_) if cx.ast.lang == Lang::Rust => instrumented(cx, node),
            Kind::Call(_) => log_call(cx, node),
            _ => {}
        }
    }
}

/// Properties that give the secret itself when read on one (`token.key`, `secret.value`).
const VALUE_PROPS: &[&str] = &["value", "key", "raw", "plaintext", "plain", "hex", "string"];

/// What was found: how a reader names it, and whether it is a whole request part.
#[derive(Clone, Debug)]
struct Found {
    what: String,
    part: bool,
    /// Where it was read, for the first step ("`request.POST.get(..)` read here").
    read: Option<String>,
}

fn log_call(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Some(log) = logging::log_call(ast, &cx.facts.imports, node) else {
        return;
    };
    // a one-shot script printing what it made for its operator (a generated password)
    if log.console && (cx.role == Role::Script || script_like(ast, node)) {
        return;
    }
    if environments::guarded(ast, &cx.file.text, node, Switches::Guard) {
        return;
    }
    for &v in &log.values {
        if let Some((found, path)) = traced(cx, v) {
            // `checkout.token` may be a model's UUID id: the project's models decide
            let cond = path.first().and_then(|s| match ast.kind(s.node) {
                Kind::Member { property, .. } if ast.lang == Lang::Python => {
                    Some(Condition::UnlessIdField(property.clone()))
                }
                _ => None,
            });
            emit(cx, node, &log, &found, &path, cond);
            return;
        }
    }
    if ast.lang == Lang::Rust {
        for (v, ty) in debug_printed(cx, node, &log) {
            let what = format!(
                "`{}` is {} by `{}` with `Debug`, and `{ty}`'s derived `Debug` prints its `{{field}}`",
                short(cx.text(v)),
                if log.console { "printed" } else { "logged" },
                log.api
            );
            let found = Found {
                what,
                part: false,
                read: None,
            };
            let c = Condition::DebugPrintsSecret { ty };
            emit(cx, node, &log, &found, &[], Some(c));
        }
    }
}

/// Code that runs as a program, not a service: module-level statements, a
/// `if __name__ == "__main__":` block, a `main` function.
fn script_like(ast: &Ast, node: NodeId) -> bool {
    match ast.function_ancestors(node).last() {
        // a Python module's own statements (a TS module's run at a server's start-up)
        None => {
            ast.lang == Lang::Python
                && ast
                    .ancestors(node)
                    .all(|a| !matches!(ast.kind(a), Kind::Class(_)))
        }
        Some(f) => ast
            .function(f)
            .and_then(|f| f.name.as_deref())
            .is_some_and(|n| n == "main"),
    }
}

/// The secret a logged value carries and the path from where it was read.
fn traced(cx: &Ctx, v: NodeId) -> Option<(Found, Vec<flow::Step>)> {
    let ast = cx.ast;
    let found: RefCell<Option<Found>> = RefCell::new(None);
    let is_source = |id: NodeId| match source(cx, id) {
        Some(f) => {
            *found.borrow_mut() = Some(f);
            true
        }
        _ => false,
    };
    let path = flow::origin_kept(ast, v, &is_source, &logging::carries, &keeps)?;
    let mut f = found.into_inner()?;
    // name the secret as the logging code does: `password`, not where it was read
    let last = path.iter().rev().find_map(|s| match &s.hop {
        Hop::Assigned(n) if is_sensitive_name(n) => Some(n),
        _ => None,
    });
    if let Some(n) = last {
        f = Found {
            what: format!("`{n}`"),
            part: false,
            read: Some(f.what),
        };
    }
    Some((f, path))
}

/// Whether the value of `child` passes to `parent` unchanged as far as secrets go: a property
/// read that is not itself secret (`token.id`, `req.body.email`), a comparison or negation
/// (`token is None`, `!password`), a slice (`token[:4]`) or a call that does not pass the text
/// on (`mask(token)`, `len(password)`, `.keys()`) gives something else.
fn keeps(ast: &Ast, parent: NodeId, child: NodeId) -> bool {
    if in_pattern(ast, parent) {
        // `const { email } = req.body` binds `req.body.email`
        return match ast.kind(parent) {
            Kind::Object { entries, .. } => entries
                .iter()
                .find(|e| e.value == child || e.key_node == Some(child))
                .and_then(|e| e.key.as_deref())
                .is_none_or(is_sensitive_name),
            _ => true,
        };
    }
    match ast.kind(parent) {
        Kind::Member { object, property } if *object == child => {
            // a method call: the call decides
            let method = ast
                .parent(parent)
                .and_then(|g| ast.call(g))
                .is_some_and(|c| c.callee == parent);
            method
                || is_sensitive_name(property) && !session_id(property)
                || VALUE_PROPS.contains(&property.as_str())
        }
        Kind::Index { object, index } if *object == child => match ast.kind(*index) {
            Kind::Str(_) => logging::secret_key(ast, parent).is_some(),
            Kind::Name(_) | Kind::Number(_) => true,
            _ => false,
        },
        Kind::Binary { .. } | Kind::Unary { .. } => flow::keeps_value(ast, parent, child),
        Kind::Call(c) if c.callee == child => match ast.receiver(c) {
            Some(recv) => method_keeps(ast, parent, recv),
            None => false,
        },
        _ => true,
    }
}

/// Whether `id` lies in the target of an assignment (a destructuring pattern).
fn in_pattern(ast: &Ast, id: NodeId) -> bool {
    let mut cur = id;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Assign { target, .. } => return *target == cur,
            Kind::Object { .. } | Kind::Array(_) | Kind::Other => cur = p,
            _ => return false,
        }
    }
    false
}

/// Whether the method call `call` on `recv` returns the secret `recv` holds: `.strip()`,
/// `.to_string()`, `.get("authorization")`; not `.get("email")`, `.keys()`, `.len()`.
fn method_keeps(ast: &Ast, call: NodeId, recv: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    match ast.callee_name(c) {
        Some("get" | "getlist" | "get_one" | "header") if !c.args.is_empty() => {
            logging::secret_key(ast, call).is_some()
        }
        Some("keys" | "items" | "split" | "pop") => false,
        _ => logging::carries(ast, call, ast.unwrap_expr(recv)),
    }
}

/// What the node `id` reads, when it reads a secret.
fn source(cx: &Ctx, id: NodeId) -> Option<Found> {
    let ast = cx.ast;
    let named = |what: String| {
        Some(Found {
            what: format!("`{}`", short(&what)),
            part: false,
            read: None,
        })
    };
    let part = |label: &str, text: &str| {
        Some(Found {
            what: format!("{label} (`{}`)", short(text)),
            part: true,
            read: None,
        })
    };
    match ast.kind(id) {
        Kind::Name(n) => {
            if !is_sensitive_name(n) || session_id(n) || n.contains("::") || is_callee(ast, id) {
                return param_part(cx, n, id).and_then(|label| part(label, n));
            }
            // a word of a text being split or tokenised: `for token in tokenize(text)`
            if text_token(ast, n, id) {
                return None;
            }
            // a local assigned a masked value, a flag or a literal is not the secret
            let scope = ast.enclosing_function(id).unwrap_or(crate::ast::ROOT);
            if let Some((asg, value)) = ast.assignment_before(n, scope, id, false) {
                let value = ast.unwrap_expr(value);
                if !ast.contains(asg, id)
                    && (cleaned(ast, value)
                        // the value is the source itself: the trace goes on to it
                        || !matches!(ast.kind(value), Kind::Name(_))
                            && source(cx, value).is_some())
                {
                    return None;
                }
            }
            named(n.clone())
        }
        Kind::Member { object, property } => {
            if let Some(label) = logging::request_part(ast, id) {
                return part(label, cx.text(id));
            }
            if is_sensitive_name(property) && !is_callee(ast, id) {
                let presented = || {
                    ast.path_of(*object).map(|o| {
                        matches!(
                            o.rsplit('.').next(),
                            Some("req" | "request" | "cookies" | "COOKIES" | "session")
                        )
                    })
                };
                if !session_id(property) || presented() == Some(true) {
                    return named(cx.text(id).to_string());
                }
            }
            None
        }
        Kind::Index { .. } => logging::secret_key(ast, id).and_then(|_| named(cx.text(id).into())),
        Kind::Call(_) => {
            if let Some(label) = logging::request_part(ast, id) {
                return part(label, cx.text(id));
            }
            if logging::secret_key(ast, id).is_some() {
                return named(cx.text(id).to_string());
            }
            logging::secret_call(ast, id).map(|what| Found {
                what: format!("{what} (`{}`)", short(cx.text(id))),
                part: false,
                read: None,
            })
        }
        _ => None,
    }
}

/// A session id by name only (`session_id`, `sessionId`): a secret where the client presents
/// it (a cookie, `req.sessionID`), elsewhere mostly the id of a session record kept server-side
/// and logged to correlate lines; a keyed read of the cookie is found all the same.
fn session_id(name: &str) -> bool {
    !crate::knowledge::secrets::is_secret_name(name)
        && crate::knowledge::secrets::name_words(name)
            .iter()
            .any(|w| w.starts_with("sess"))
}

/// Whether `name` at `at` is bound by a loop over the pieces of a text (`for token in
/// tokenize(text)`, `text.split()`, `lexer.tokens()`): a word, not a credential.
fn text_token(ast: &Ast, name: &str, at: NodeId) -> bool {
    ast.ancestors(at).any(|a| match ast.kind(a) {
        Kind::Loop(l) if l.bindings.iter().any(|b| b == name) => l.iter.is_some_and(|it| {
            ast.subtree(it).any(|i| {
                ast.call(i)
                    .and_then(|c| ast.callee_name(c))
                    .is_some_and(|n| {
                        let n = n.to_ascii_lowercase();
                        [
                            "tokeniz", "tokenis", "split", "lex", "parse", "words", "encode",
                        ]
                        .iter()
                        .any(|w| n.contains(w))
                    })
            })
        }),
        _ => false,
    })
}

/// The function name of a call (`password(..)` is not the password).
fn is_callee(ast: &Ast, id: NodeId) -> bool {
    ast.parent(id)
        .and_then(|p| ast.call(p))
        .is_some_and(|c| c.callee == id)
}

/// Words of calls that hide a value: masking, hashing, lengths and flags.
const CLEANING_WORDS: &[&str] = &[
    "mask",
    "masked",
    "redact",
    "redacted",
    "hash",
    "hashed",
    "digest",
    "sha256",
    "sha1",
    "md5",
    "hmac",
    "encrypt",
    "obfuscate",
    "truncate",
    "sanitize",
    "sanitise",
    "censor",
    "anonymize",
    "fingerprint",
    "len",
    "length",
    "count",
    "bool",
    "is",
    "has",
    "scrub",
    "hide",
    "partial",
    "last4",
    "preview",
];

/// A value that is not the secret itself: a literal, a comparison, a negation, a masking,
/// hashing or measuring call.
fn cleaned(ast: &Ast, value: NodeId) -> bool {
    let v = ast.unwrap_expr(value);
    match ast.kind(v) {
        Kind::Str(s) => s.parts.is_empty(),
        Kind::Number(_) | Kind::Bool(_) | Kind::Null => true,
        Kind::Binary { op, .. } => matches!(op, BinOp::Compare),
        Kind::Unary { op, .. } => matches!(op, UnOp::Not),
        Kind::Call(c) => ast.callee_name(c).is_some_and(|n| {
            crate::knowledge::secrets::name_words(n)
                .iter()
                .any(|w| CLEANING_WORDS.contains(&w.as_str()))
        }),
        _ => false,
    }
}

/// A parameter that holds a whole request part: NestJS `@Body()`/`@Headers()`/`@Req()`,
/// Express's `req` (a function taking `(req, res)`), a FastAPI handler's body model, an axum
/// `HeaderMap` or actix `HttpRequest`.
fn param_part(cx: &Ctx, name: &str, at: NodeId) -> Option<&'static str> {
    let ast = cx.ast;
    let f = ast.enclosing_function(at)?;
    // the innermost function declaring the name
    let (func, p) = ast
        .function_ancestors(at)
        .chain(std::iter::once(f))
        .find_map(|fid| {
            let func = ast.function(fid)?;
            let p = func.params.iter().find(|p| binds(&p.name, name))?;
            Some((fid, p))
        })?;
    let scope = func;
    if ast
        .assignment_before(name, scope, at, false)
        .is_some_and(|(asg, _)| !ast.contains(asg, at))
    {
        return None;
    }
    let fun = ast.function(func)?;
    match ast.lang {
        Lang::TypeScript => {
            for d in &p.decorators {
                match d.as_str() {
                    "Body" => return Some("the request body"),
                    "Headers" => return Some("the request headers"),
                    "Req" | "Request" => return Some("the whole request"),
                    _ => {}
                }
            }
            let req_named = matches!(name, "req" | "request");
            let with_response = fun
                .params
                .iter()
                .any(|q| matches!(q.name.as_str(), "res" | "reply" | "response" | "next"));
            let typed_request =
                p.ty.as_deref()
                    .is_some_and(|t| t.ends_with("Request") || t.starts_with("Request"));
            (req_named
                && p.name == name
                && (with_response || typed_request || cx.facts.is_handler(func)))
            .then_some("the whole request")
        }
        Lang::Python => {
            // FastAPI: a handler parameter typed with a model and no default is the body
            if !cx.facts.is_handler(func) || p.default.is_some() {
                return None;
            }
            let ty = p.ty.as_deref()?;
            let simple = ty
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
            let last = ty.rsplit('.').next().unwrap_or(ty);
            let model = simple
                && last.chars().next().is_some_and(char::is_uppercase)
                && !matches!(
                    last,
                    "Request"
                        | "HttpRequest"
                        | "Response"
                        | "WebSocket"
                        | "BackgroundTasks"
                        | "Session"
                        | "AsyncSession"
                        | "UploadFile"
                        | "HTTPConnection"
                        | "UUID"
                        | "Decimal"
                        | "Any"
                );
            (model
                && !ast
                    .import_binding(last)
                    .is_some_and(|(m, _)| m.starts_with("typing")))
            .then_some("the request body")
        }
        Lang::Rust => logging::request_type(p.ty.as_deref()?),
    }
}

/// Whether a parameter as written binds `name`: `req`, `Json(payload)`, `{ body }`.
fn binds(param: &str, name: &str) -> bool {
    param == name
        || param
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == name)
            && (param.contains('(') || param.contains('{'))
}

/// Rust values a log call prints with `Debug` (`{:?}`, `?x`, `dbg!(x)`) whose type is a
/// struct: (value, struct name).
fn debug_printed(cx: &Ctx, call: NodeId, log: &LogCall) -> Vec<(NodeId, String)> {
    let ast = cx.ast;
    let Some(c) = ast.call(call) else {
        return Vec::new();
    };
    let is_dbg = ast.callee_name(c) == Some("dbg");
    let fmt_at = c.args.iter().position(|a| {
        a.name.is_none() && ast.str_lit(a.value).is_some() && cx.text(a.value).ends_with('"')
    });
    let holes = fmt_at
        .map(|i| logging::rust_format_holes(cx.text(c.args[i].value)))
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut consider = |v: NodeId| {
        if let Some(ty) = value_struct(cx, v) {
            out.push((v, ty));
        }
    };
    // inline captures: `{config:?}`
    if let Some(i) = fmt_at {
        let s = c.args[i].value;
        for id in ast.subtree(s).skip(1) {
            if let Kind::Name(n) = ast.kind(id) {
                if holes
                    .iter()
                    .any(|(w, d)| *d && w.as_ref().err().is_some_and(|x| x == n))
                {
                    consider(id);
                }
            }
        }
    }
    let positional: Vec<NodeId> = match fmt_at {
        Some(i) => c.args[i + 1..]
            .iter()
            .filter(|a| a.name.is_none())
            .map(|a| a.value)
            .collect(),
        None => Vec::new(),
    };
    for a in &c.args {
        if !log.values.contains(&a.value) || Some(a.value) == fmt_at.map(|i| c.args[i].value) {
            continue;
        }
        let debug = is_dbg
            || sigil_before(cx, a.value) == Some('?')
            || positional
                .iter()
                .position(|&p| p == a.value)
                .is_some_and(|k| holes.iter().any(|(w, d)| *d && *w == Ok(k)))
            || a.name.as_deref().is_some_and(|n| {
                holes
                    .iter()
                    .any(|(w, d)| *d && w.as_ref().err().is_some_and(|x| x == n))
            });
        if debug {
            consider(a.value);
        }
    }
    out
}

/// The `?`/`%` sigil of a tracing field (`?config`, `cfg = ?config`), read before the value.
fn sigil_before(cx: &Ctx, v: NodeId) -> Option<char> {
    let start = cx.ast.span(v).start as usize;
    let before = cx.file.text.get(..start)?;
    before
        .trim_end()
        .chars()
        .last()
        .filter(|c| matches!(c, '?' | '%'))
}

/// The struct a Rust value holds, when its parameter type or construction says so.
fn value_struct(cx: &Ctx, v: NodeId) -> Option<String> {
    let ast = cx.ast;
    let v = ast.unwrap_expr(v);
    let Kind::Name(n) = ast.kind(v) else {
        return None;
    };
    let scope = ast.enclosing_function(v)?;
    if let Some((asg, value)) = ast.assignment_before(n, scope, v, false) {
        if ast.contains(asg, v) {
            return None;
        }
        let value = ast.unwrap_expr(value);
        return match ast.kind(value) {
            Kind::Object { ty: Some(t), .. } => logging::struct_of_type(t),
            Kind::Call(c) => {
                // `Config::from_env()?`, `LoginRequest::new(..)`
                let path = ast.path_of(c.callee)?;
                let (ty, _) = path.rsplit_once("::")?;
                logging::struct_of_type(ty)
            }
            _ => None,
        };
    }
    let f = ast.function(scope)?;
    let p = f.params.iter().find(|p| binds(&p.name, n))?;
    logging::struct_of_type(p.ty.as_deref()?)
}

fn instrumented(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Some(f) = ast.function(node) else { return };
    let Some(attr) = f
        .decorators
        .iter()
        .find(|d| d.name == "instrument" || d.name == "tracing::instrument")
    else {
        return;
    };
    let (skip_all, skips) = logging::instrument_skips(&attr.args);
    if skip_all {
        return;
    }
    let span = attr.span;
    let mut found: Vec<(String, Option<Condition>)> = Vec::new();
    for p in &f.params {
        if p.name == "self" {
            continue;
        }
        let names: Vec<&str> = p
            .name
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty() && w.chars().next().is_some_and(|c| !c.is_uppercase()))
            .filter(|w| *w != "mut" && *w != "ref")
            .collect();
        if names.iter().any(|n| skips.iter().any(|s| s == n)) || names.is_empty() {
            continue;
        }
        let shown = names.join(", ");
        let ty = p.ty.as_deref().unwrap_or("");
        if names.iter().any(|n| is_sensitive_name(n)) {
            found.push((format!("`{shown}`"), None));
        } else if let Some(label) = logging::request_type(ty) {
            found.push((format!("{label} (`{shown}`)"), None));
        } else if let Some(s) = logging::struct_of_type(ty) {
            let c = Condition::DebugPrintsSecret { ty: s.clone() };
            found.push((
                format!("`{shown}`, and `{s}`'s derived `Debug` prints its `{{field}}`,"),
                Some(c),
            ));
        }
    }
    for (what, cond) in found {
        let message = format!(
            "`#[instrument]` records {what} in every span of this function; add it to `skip(..)` (or use `skip_all` and record the fields you need)"
        );
        let mut f = cx.finding(span, message).help(help(Lang::Rust, false));
        if let Some(c) = cond {
            f = f.condition(c);
        }
        cx.emit(f);
    }
}

fn emit(
    cx: &mut Ctx,
    call: NodeId,
    log: &LogCall,
    found: &Found,
    path: &[flow::Step],
    cond: Option<Condition>,
) {
    let what = &found.what;
    let sink = if log.console { "printed" } else { "logged" };
    let fix = if found.part {
        "log the fields you need, not the whole object"
    } else {
        match cx.ast.lang {
            Lang::Python => "log an id or a masked value instead",
            Lang::TypeScript => "log an id or a masked value instead",
            Lang::Rust if matches!(cond, Some(Condition::DebugPrintsSecret { .. })) => {
                "wrap the field in `secrecy::SecretString` or write a `Debug` that redacts it"
            }
            Lang::Rust => "log an id or a masked value instead",
        }
    };
    let debug = matches!(cond, Some(Condition::DebugPrintsSecret { .. }));
    let message = if debug {
        format!("{what}; {fix}")
    } else {
        format!("{what} is {sink} by `{}`; {fix}", log.api)
    };
    let mut f = cx
        .finding(cx.call_site(call), message)
        .help(help(cx.ast.lang, found.part));
    let hops = path.iter().any(|s| matches!(s.hop, Hop::Assigned(_)));
    let first_line = |id: NodeId| cx.file.line_index(cx.span(id).start);
    let moved = path
        .first()
        .is_some_and(|s| first_line(s.node) != first_line(call));
    if hops || moved {
        for s in path {
            let msg = match &s.hop {
                Hop::Read => format!("{} read here", found.read.as_deref().unwrap_or(what)),
                Hop::Assigned(n) => format!("assigned to `{n}`"),
                Hop::Used => format!("{sink} here"),
            };
            f = f.step(cx.first_line(s.node), msg);
        }
    }
    if let Some(c) = cond {
        f = f.condition(c);
    }
    cx.emit(f);
}

fn help(lang: Lang, part: bool) -> &'static str {
    match (lang, part) {
        (Lang::Python, true) => "log the few fields you need (`user_id`, `email`), never `request.data`/`request.headers`/a body model; or drop sensitive keys with a `logging.Filter`",
        (Lang::Python, false) => "log an id or a masked value (`user.id`, `mask(token)`); for structured logs drop sensitive keys in a `logging.Filter` or structlog processor",
        (Lang::TypeScript, true) => "log the few fields you need, never `req.body`/`req.headers`; with pino list the paths in `redact: ['req.headers.authorization', '*.password']`, with winston drop them in a format",
        (Lang::TypeScript, false) => "log an id or a masked value; with pino list the field in `redact`, with winston drop it in a format",
        (Lang::Rust, true) => "record the few fields you need (`user_id = %id`), never the whole request, body or `HeaderMap`",
        (Lang::Rust, false) => "log an id, or hold the value in `secrecy::SecretString` (its `Debug` prints `[REDACTED]`); in `#[instrument]` add it to `skip(..)`",
    }
}

/// A short form of an expression for a message.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut s: String = line.chars().take(50).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}
