//! `swallowed-error`: an error dropped without a trace around a write that matters: a database
//! write, an outbound request that sends data, a file write, a queue publish or an e-mail send
//! ([`writes::write_call`]).
//!
//! What the guarded code does decides, not the empty block: an empty handler around a parse, a
//! lookup or a read is how optional input and expected absence are written, and ruff S110 and
//! eslint `no-empty` are turned off for flagging those. Reported:
//! - Python `except:`/`except Exception:` (or an I/O error family: `OSError`,
//!   `RequestException`, `DatabaseError`, ...) whose body is only `pass`, `...`, `continue` or a
//!   bare `return`, and `with contextlib.suppress(Exception):`, around a write;
//! - TypeScript/JavaScript `catch {}` (or only `continue`/`return;`) around a write, and
//!   `.catch(() => {})`/`.catch(() => null)`/`.catch(noop)` on a write whose result is dropped;
//! - Rust `let _ = <write>;`, `<write>.ok();`, `<write>.unwrap_or_default()`, an empty
//!   `if let Err(_) = <write> {}` and an empty `Err(_) => {}` arm of a `match` on a write.
//!
//! Not reported: handlers that do anything (log, re-raise, return an error, set a state),
//! handlers of specific expected errors (`FileNotFoundError`, `IntegrityError`, `DoesNotExist`,
//! `ImportError`, `KeyError`, ...), a comment in the handler or one explaining the intent next to
//! it, results that are used (`const r = await write().catch(() => null); if (!r) ..`), errors
//! logged on the way (`.inspect_err(|e| warn!(..)).ok()`), in-process channel sends, and test
//! code.

use std::collections::HashSet;
use std::sync::Arc;

use crate::ast::{Ast, Kind, KindTag, Lang, NodeId};
use crate::engine::{Ctx, Rule};
use crate::knowledge::lifecycle;
use crate::knowledge::writes::{self, Write};
use crate::source::Span;

pub struct SwallowedError;

impl Rule for SwallowedError {
    fn id(&self) -> &'static str {
        "swallowed-error"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[
            KindTag::Catch,
            KindTag::With,
            KindTag::Assign,
            KindTag::Call,
            KindTag::If,
            KindTag::Other,
        ]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        match (cx.ast.kind(node), cx.ast.lang) {
            (Kind::Catch { .. }, Lang::Python | Lang::TypeScript) => catch_clause(cx, node),
            (Kind::With { .. }, Lang::Python) => suppress_block(cx, node),
            (Kind::Call(_), Lang::TypeScript) => promise_catch(cx, node),
            (Kind::Call(_), Lang::Rust) => result_dropped(cx, node),
            (Kind::Assign { .. }, Lang::Rust) => let_underscore(cx, node),
            (Kind::If { .. }, Lang::Rust) => if_let_err(cx, node),
            (Kind::Other, Lang::Rust) => match_err_arm(cx, node),
            _ => {}
        }
    }
}

/// Caught types that catch everything.
const BROAD: &[&str] = &["Exception", "BaseException", "builtins.Exception"];

/// Error families of I/O, network, database, mail and queue clients: catching one of them and
/// doing nothing drops a failed write as surely as `except Exception`.
const IO_FAMILIES: &[&str] = &[
    "OSError",
    "IOError",
    "EnvironmentError",
    "socket.error",
    "RequestException",
    "ConnectionError",
    "HTTPError",
    "URLError",
    "TimeoutError",
    "Timeout",
    "SMTPException",
    "DatabaseError",
    "OperationalError",
    "SQLAlchemyError",
    "PyMongoError",
    "RedisError",
    "ClientError",
    "BotoCoreError",
    "AMQPError",
    "KafkaError",
    "CeleryError",
    "OperationalError",
    "TransportError",
];

fn is_reported_type(t: &str) -> bool {
    let last = t.rsplit('.').next().unwrap_or(t);
    BROAD.contains(&t) || BROAD.contains(&last) || IO_FAMILIES.contains(&last)
}

/// The handler does nothing: no statement, or only `pass`/`...`/`continue`/a bare `return`.
fn silent_body(ast: &Ast, text: &str, body: &[NodeId]) -> bool {
    body.iter().all(|&s| match ast.kind(s) {
        Kind::Continue | Kind::Return(None) => true,
        Kind::Return(Some(v)) => ast.lang == Lang::Python && matches!(ast.kind(*v), Kind::Null),
        Kind::Other => {
            let t = text.get(ast.span(s).range()).unwrap_or("").trim();
            t == "..." || t.is_empty() || t == ";"
        }
        _ => false,
    })
}

// --- the writes of a file -----------------------------------------------------------------------

/// Every write call of the file (sorted), and the names of its functions that write directly.
struct FileWrites {
    calls: Vec<(NodeId, Write)>,
    ids: Vec<NodeId>,
    writers: HashSet<String>,
}

fn file_writes(cx: &Ctx) -> Arc<FileWrites> {
    let (ast, imports, config) = (cx.ast, &cx.facts.imports, cx.config);
    ast.memo("swallowed-error:writes", crate::ast::ROOT, || {
        let mut calls = Vec::new();
        let mut writers = HashSet::new();
        for id in 0..ast.nodes.len() as NodeId {
            if !matches!(ast.kind(id), Kind::Call(_)) {
                continue;
            }
            if let Some(w) = writes::write_call(ast, imports, config, id) {
                if let Some(name) = ast
                    .enclosing_function(id)
                    .and_then(|f| crate::imports::function_name(ast, f))
                {
                    writers.insert(name);
                }
                calls.push((id, w));
            }
        }
        let ids = calls.iter().map(|(id, _)| *id).collect();
        FileWrites {
            calls,
            ids,
            writers,
        }
    })
}

/// The first write the statements make that an error would escape from: not inside a nested
/// `try` (its own handler decides) and not in a function defined there. Also a call of a
/// function of this file that writes (`self._sync_order()`, `notifyPartner()`).
fn write_in(cx: &Ctx, stmts: &[NodeId]) -> Option<(NodeId, Write)> {
    let ast = cx.ast;
    let fw = file_writes(cx);
    let free = |id: NodeId, top: NodeId| {
        ast.ancestors(id)
            .take_while(|&a| ast.contains(top, a))
            .all(|a| {
                !matches!(
                    ast.kind(a),
                    Kind::Try { .. } | Kind::Function(_) | Kind::Class(_)
                )
            })
    };
    for &s in stmts {
        for &id in ast.within(s, &fw.ids) {
            if free(id, s) {
                let i = fw.ids.partition_point(|&x| x < id);
                return Some(fw.calls[i].clone());
            }
        }
    }
    if fw.writers.is_empty() {
        return None;
    }
    for &s in stmts {
        for id in ast.subtree(s) {
            let Some(c) = ast.call(id) else { continue };
            let local = match ast.kind(c.callee) {
                Kind::Name(n) => Some(n.as_str()),
                Kind::Member { object, property } => match ast.kind(*object) {
                    Kind::Name(o) if o == "self" || o == "this" || o == "cls" => {
                        Some(property.as_str())
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(name) = local.filter(|n| fw.writers.contains(*n)) {
                if free(id, s) {
                    return Some((
                        id,
                        Write {
                            effect: writes::Effect::Database,
                            what: format!("{name}(…)"),
                        },
                    ));
                }
            }
        }
    }
    None
}

// --- comments -----------------------------------------------------------------------------------

/// Words that say why an error may be dropped.
const INTENT_WORDS: &[&str] = &[
    "ignor",
    "best effort",
    "best-effort",
    "fail",
    "error",
    "exception",
    "not found",
    "exist",
    "already",
    "missing",
    "optional",
    "harmless",
    "care",
    "matter",
    "silent",
    "swallow",
    "expected",
    "may not",
    "might not",
    "ok if",
    "okay if",
    "fine if",
    "safe to",
    "noop",
    "no-op",
    "critical",
    "throw",
    "raise",
    "retry",
    "read-only",
    "readonly",
    "gone",
    "closed",
    "disconnect",
    "race",
    "intentional",
    "on purpose",
    "deliberate",
    "nothing to do",
    "skip",
    "fallback",
    "fall back",
    "if any",
    "if they",
    "if it ",
    "if there",
    "if the ",
    "if no ",
    "unless",
];

/// Tool directives are not explanations.
fn is_directive(comment: &str) -> bool {
    let c = comment.trim().to_ascii_lowercase();
    [
        "expect:",
        "ok:",
        "backlint:",
        "pragma",
        "noqa",
        "nosec",
        "type: ignore",
        "istanbul",
        "c8 ",
        "@ts-",
        "eslint-",
        "prettier-",
        "fmt:",
        "pylint:",
    ]
    .iter()
    .any(|d| c.starts_with(d))
}

/// The comment on a line, outside string literals.
fn comment_of(lang: Lang, line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if let Some(q) = quote {
            if ch == b'\\' {
                i += 2;
                continue;
            }
            if ch == q {
                quote = None;
            }
        } else {
            match (lang, ch) {
                (Lang::Python, b'#') => return Some(&line[i + 1..]),
                (Lang::Python, b'"' | b'\'') | (Lang::TypeScript, b'"' | b'\'' | b'`') => {
                    quote = Some(ch)
                }
                (Lang::Rust, b'"') => quote = Some(ch),
                (Lang::TypeScript | Lang::Rust, b'/')
                    if matches!(b.get(i + 1), Some(b'/') | Some(b'*')) =>
                {
                    return Some(line[i + 2..].trim_end_matches("*/"));
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// A comment on the lines `first..=last` (0-based) that is not a tool directive.
fn comment_within(cx: &Ctx, first: usize, last: usize) -> bool {
    (first..=last).any(|l| {
        let line = cx.file.line_text(l);
        let t = line.trim_start();
        let c = if t.starts_with("/*") || t.starts_with('*') {
            Some(t.trim_start_matches(['/', '*']))
        } else {
            comment_of(cx.ast.lang, line)
        };
        c.is_some_and(|c| !is_directive(c))
    })
}

/// A comment earlier in the enclosing function that covers every dropped error after it
/// ("Ignore errors for all these: diesel fails on an empty update form").
fn intent_for_function(cx: &Ctx, node: NodeId) -> bool {
    let Some(f) = cx.ast.enclosing_function(node) else {
        return false;
    };
    // the first such comment of the function, found once per function
    let first = cx.ast.memo("swallowed-error:ignore-all", f, || {
        let span = cx.ast.span(f);
        (line_of(cx, span.start)..=line_of(cx, span.end.saturating_sub(1))).find(|&l| {
            comment_of(cx.ast.lang, cx.file.line_text(l)).is_some_and(|c| {
                let c = c.to_ascii_lowercase();
                c.contains("ignor")
                    && [
                        "all these",
                        "all of these",
                        "the following",
                        "below",
                        "these errors",
                    ]
                    .iter()
                    .any(|w| c.contains(w))
            })
        })
    });
    first.is_some_and(|l| l < line_of(cx, cx.ast.span(node).start))
}

/// Comment lines right above line `line` (0-based), or a trailing comment on `line` itself,
/// that say why an error may be dropped.
fn intent_near(cx: &Ctx, line: usize) -> bool {
    let says = |c: &str| {
        let c = c.to_ascii_lowercase();
        !is_directive(&c) && INTENT_WORDS.iter().any(|w| c.contains(w))
    };
    if comment_of(cx.ast.lang, cx.file.line_text(line)).is_some_and(says) {
        return true;
    }
    let mut l = line;
    while l > 0 {
        l -= 1;
        let t = cx.file.line_text(l).trim_start();
        let body = match cx.ast.lang {
            Lang::Python => t.strip_prefix('#'),
            _ => t
                .strip_prefix("//")
                .or_else(|| t.strip_prefix("/*"))
                .or_else(|| t.strip_prefix('*')),
        };
        match body {
            Some(c) if says(c) => return true,
            Some(_) => continue,
            None => return false,
        }
    }
    false
}

fn line_of(cx: &Ctx, offset: u32) -> usize {
    cx.file.line_index(offset)
}

// --- Python and TypeScript handlers -------------------------------------------------------------

fn catch_clause(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Kind::Catch { types, body, .. } = ast.kind(node) else {
        return;
    };
    if !silent_body(ast, &cx.file.text, body) {
        return;
    }
    if ast.lang == Lang::Python && !types.is_empty() && !types.iter().any(|t| is_reported_type(t)) {
        return;
    }
    let Some(try_node) = ast.parent(node) else {
        return;
    };
    let Kind::Try { body: tried, .. } = ast.kind(try_node) else {
        return;
    };
    // a comment in the handler, or next to the `try`/the handler, explaining it
    let span = ast.span(node);
    if comment_within(
        cx,
        line_of(cx, span.start),
        line_of(cx, span.end.saturating_sub(1)),
    ) || intent_near(cx, line_of(cx, ast.span(try_node).start))
        || intent_near(cx, line_of(cx, span.start))
    {
        return;
    }
    if lifecycle::in_test_code(ast, node) {
        return;
    }
    let Some((at, w)) = write_in(cx, tried) else {
        return;
    };
    let clause = cx.file.line_text(line_of(cx, span.start)).trim();
    let clause: String = clause.chars().take(40).collect();
    let message = match ast.lang {
        Lang::Python => format!(
            "`{clause}` drops the error of `{}` ({}) without a trace: log it with `logger.exception(..)`, re-raise, or catch only the error you expect",
            w.what,
            w.effect.noun()
        ),
        _ => format!(
            "this empty `catch` drops the error of `{}` ({}) without a trace: log it, rethrow it, or return an error to the caller",
            w.what,
            w.effect.noun()
        ),
    };
    report(cx, cx.first_line(node), at, message);
}

/// `with contextlib.suppress(Exception):` around a write.
fn suppress_block(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Kind::With { items, body, .. } = ast.kind(node) else {
        return;
    };
    let suppressing = items.iter().any(|&i| {
        let i = ast.unwrap_expr(i);
        let Some(c) = ast.call(i) else { return false };
        let q = cx.facts.imports.qualify(ast, c.callee).unwrap_or_default();
        (q == "contextlib.suppress" || q == "suppress")
            && c.args
                .iter()
                .any(|a| ast.path_of(a.value).is_some_and(|p| is_reported_type(&p)))
    });
    if !suppressing {
        return;
    }
    let line = line_of(cx, ast.span(node).start);
    if intent_near(cx, line) || lifecycle::in_test_code(ast, node) {
        return;
    }
    let Some((at, w)) = write_in(cx, body) else {
        return;
    };
    let message = format!(
        "`suppress(..)` drops the error of `{}` ({}) without a trace: log it with `logger.exception(..)` or suppress only the error you expect",
        w.what,
        w.effect.noun()
    );
    report(cx, cx.first_line(node), at, message);
}

/// `.catch(() => {})`, `.catch(() => null)`, `.catch(noop)` on a write whose result nobody reads.
fn promise_catch(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Some(c) = ast.call(node) else { return };
    if ast.callee_name(c) != Some("catch") || c.args.len() != 1 {
        return;
    }
    let Some(recv) = ast.receiver(c) else { return };
    if !silent_callback(ast, c.args[0].value) {
        return;
    }
    if !result_dropped_ts(ast, node) {
        return;
    }
    let span = ast.span(node);
    let (first, last) = (
        line_of(cx, span.start),
        line_of(cx, span.end.saturating_sub(1)),
    );
    // a comment inside the callback or on its line
    let cb = ast.span(c.args[0].value);
    if comment_within(cx, line_of(cx, cb.start), last) || intent_near(cx, first) {
        return;
    }
    if lifecycle::in_test_code(ast, node) {
        return;
    }
    let fw = file_writes(cx);
    let Some(&at) = ast.within(recv, &fw.ids).first() else {
        return;
    };
    let i = fw.ids.partition_point(|&x| x < at);
    let w = &fw.calls[i].1;
    let message = format!(
        "`.catch(..)` with an empty handler drops the error of `{}` ({}) without a trace: log it (`.catch((err) => logger.error(err))`) or let it reach the caller",
        w.what,
        w.effect.noun()
    );
    report(cx, cx.call_site(node), at, message);
}

/// `() => {}`, `() => null`, `() => undefined`, `_ => void 0`, `noop`, `_.noop`.
fn silent_callback(ast: &Ast, cb: NodeId) -> bool {
    match ast.kind(cb) {
        Kind::Function(f) => match f.expr_body {
            Some(e) => match ast.kind(e) {
                Kind::Null | Kind::Bool(false) => true,
                Kind::Name(n) => n == "undefined",
                // `void 0`, `void err`
                Kind::Unary {
                    op: crate::ast::UnOp::Other,
                    ..
                } => true,
                Kind::Array(items) => items.is_empty(),
                Kind::Object { entries, .. } => entries.is_empty(),
                _ => false,
            },
            None => f.body.is_empty(),
        },
        Kind::Name(n) => n == "noop",
        Kind::Member { property, .. } => property == "noop",
        _ => false,
    }
}

/// The promise's outcome goes nowhere: an expression statement (`await x.catch(..)`,
/// `x.catch(..);`, `void x.catch(..)`).
fn result_dropped_ts(ast: &Ast, node: NodeId) -> bool {
    let mut cur = node;
    loop {
        if is_statement(ast, cur) {
            return true;
        }
        let Some(p) = ast.parent(cur) else {
            return false;
        };
        match ast.kind(p) {
            Kind::Await(_)
            | Kind::Unary {
                op: crate::ast::UnOp::Other,
                ..
            } => cur = p,
            Kind::Other if ast.wrapped(p) == Some(cur) => cur = p,
            _ => return false,
        }
    }
}

/// Whether `id` is one statement of its parent's statement list.
fn is_statement(ast: &Ast, id: NodeId) -> bool {
    let Some(p) = ast.parent(id) else {
        return true;
    };
    match ast.kind(p) {
        Kind::Module(s) | Kind::Block(s) => s.contains(&id),
        Kind::Function(f) => f.body.contains(&id),
        Kind::Loop(l) => l.body.contains(&id),
        Kind::If { then, els, .. } => then.contains(&id) || els.contains(&id),
        Kind::Try { body, finally, .. } => body.contains(&id) || finally.contains(&id),
        Kind::Catch { body, .. } | Kind::With { body, .. } => body.contains(&id),
        Kind::Class(c) => c.body.contains(&id),
        _ => false,
    }
}

// --- Rust ---------------------------------------------------------------------------------------

/// Result adaptors a dropped error passes through on its way to `.ok()`; `inspect_err` and a
/// `map_err`/`or_else` closure that calls something (a log macro) handle it.
fn rust_write_under(cx: &Ctx, mut recv: NodeId) -> Option<(NodeId, Write)> {
    let ast = cx.ast;
    loop {
        let inner = ast.unwrap_expr(recv);
        let c = ast.call(inner)?;
        match ast.callee_name(c) {
            Some("inspect_err") => return None,
            Some("map_err" | "or_else" | "map" | "and_then" | "inspect") => {
                let handles = c.args.iter().any(|a| {
                    ast.subtree(a.value)
                        .any(|n| ast.call(n).is_some_and(|k| k.is_macro))
                });
                if handles && ast.callee_name(c) != Some("map") {
                    return None;
                }
                recv = ast.receiver(c)?;
            }
            _ => {
                let w = writes::write_call(ast, &cx.facts.imports, cx.config, inner)?;
                return Some((inner, w));
            }
        }
    }
}

/// `<write>.ok();` and `<write>.unwrap_or_default()`.
fn result_dropped(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Some(c) = ast.call(node) else { return };
    let name = ast.callee_name(c);
    let how = match name {
        Some("ok") if c.args.is_empty() && rust_statement(cx, node) => "`.ok()`",
        Some("unwrap_or_default") if c.args.is_empty() => "`.unwrap_or_default()`",
        _ => return,
    };
    let Some(recv) = ast.receiver(c) else { return };
    let Some((at, w)) = rust_write_under(cx, recv) else {
        return;
    };
    rust_report(cx, node, at, &w, how);
}

/// `let _ = <write>;`
fn let_underscore(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Kind::Assign {
        target,
        value: Some(v),
        declared: true,
        ..
    } = ast.kind(node)
    else {
        return;
    };
    if cx.text(*target).trim() != "_" {
        return;
    }
    let Some((at, w)) = rust_write_under(cx, *v) else {
        return;
    };
    rust_report(cx, node, at, &w, "`let _ =`");
}

/// `if let Err(_) = <write> {}`.
fn if_let_err(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Kind::If { cond, then, els } = ast.kind(node) else {
        return;
    };
    if !then.is_empty() || !els.is_empty() {
        return;
    }
    let head = cx
        .file
        .text
        .get(ast.span(node).start as usize..ast.span(*cond).start as usize)
        .unwrap_or("");
    let head: String = head.split_whitespace().collect();
    if !head.starts_with("ifletErr(") {
        return;
    }
    let Some((at, w)) = rust_write_under(cx, *cond) else {
        return;
    };
    rust_report(cx, node, at, &w, "an empty `if let Err(_)`");
}

/// `match <write> { Ok(_) => .., Err(_) => {} }`: an empty `Err` arm.
fn match_err_arm(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let span = ast.span(node);
    let text = cx.file.text.get(span.range()).unwrap_or("");
    if !text.starts_with("match") {
        return;
    }
    let Some(scrutinee) = ast.children(node).next() else {
        return;
    };
    let Some((at, w)) = rust_write_under(cx, scrutinee) else {
        return;
    };
    // the arms come after the scrutinee
    let from = (ast.span(scrutinee).end - span.start) as usize;
    let Some(arm) = empty_err_arm(text.get(from..).unwrap_or("")) else {
        return;
    };
    let arm_start = span.start as usize + from + arm;
    let line = line_of(cx, arm_start as u32);
    if comment_within(cx, line, line) || intent_near(cx, line_of(cx, span.start)) {
        return;
    }
    if lifecycle::in_test_code(ast, node) {
        return;
    }
    let message = format!(
        "an empty `Err(_)` arm drops the `Result` of `{}` ({}) without a trace: propagate it with `?`, or log it in the arm (`Err(e) => tracing::warn!(..)`)",
        w.what,
        w.effect.noun()
    );
    let line_span = crate::source::Span::new(
        cx.file.line_start(line) as usize,
        cx.file.line_start(line) as usize + cx.file.line_text(line).len(),
    );
    let f = cx
        .finding(line_span, message)
        .help(help(ast.lang))
        .label(cx.first_line(at), "the write whose failure is dropped");
    cx.emit(f);
}

/// The offset of an `Err(_) => {}` / `Err(_e) => ()` arm in a match's text.
fn empty_err_arm(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("Err(") {
        let at = from + i;
        let rest = &text[at + 4..];
        let inner_end = rest.find(')')?;
        let inner = rest[..inner_end].trim();
        let after = rest[inner_end + 1..].trim_start();
        if inner.starts_with('_') && !inner.contains(['(', ',']) {
            if let Some(body) = after.strip_prefix("=>") {
                let body = body.trim_start();
                let empty = body
                    .strip_prefix('{')
                    .is_some_and(|b| b.trim_start().starts_with('}'))
                    || body.starts_with("()");
                if empty {
                    return Some(at);
                }
            }
        }
        from = at + 4;
    }
    None
}

/// A Rust expression statement ended by `;`.
fn rust_statement(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let mut cur = node;
    // `x.ok()` may sit under no wrapper; `(x.ok())` has none either
    if !is_statement(ast, cur) {
        match ast.parent(cur) {
            Some(p) if matches!(ast.kind(p), Kind::Other) && ast.wrapped(p) == Some(cur) => {
                cur = p;
                if !is_statement(ast, cur) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    let end = ast.span(cur).end as usize;
    cx.file.text[end.min(cx.file.text.len())..]
        .trim_start()
        .starts_with(';')
}

fn rust_report(cx: &mut Ctx, node: NodeId, at: NodeId, w: &Write, how: &str) {
    let ast = cx.ast;
    let span = ast.span(node);
    let (first, last) = (
        line_of(cx, span.start),
        line_of(cx, span.end.saturating_sub(1)),
    );
    if comment_within(cx, first, last) || intent_near(cx, first) || intent_for_function(cx, node) {
        return;
    }
    if lifecycle::in_test_code(ast, node) {
        return;
    }
    let message = format!(
        "{how} drops the `Result` of `{}` ({}) without a trace: propagate it with `?`, or log it (`if let Err(e) = .. {{ tracing::warn!(..) }}`)",
        w.what,
        w.effect.noun()
    );
    report(cx, cx.first_line(node), at, message);
}

/// Reports a dropped error at `loc`, pointing at the write whose failure it drops (when the
/// write does not start where the finding does).
fn report(cx: &mut Ctx, loc: Span, at: NodeId, message: String) {
    let write = cx.first_line(at);
    let mut f = cx.finding(loc, message).help(help(cx.ast.lang));
    if write.start != loc.start {
        f = f.label(write, "the write whose failure is dropped");
    }
    cx.emit(f);
}

fn help(lang: Lang) -> &'static str {
    match lang {
        Lang::Python => "log the failure (`logger.exception(\"could not save order\")`) or re-raise it; catch only the exception you expect (`except FileNotFoundError:`), and say why in a comment when dropping it is intended",
        Lang::TypeScript => "log the failure (`catch (err) { logger.error({ err }, \"could not save order\") }`) or rethrow it, and say why in a comment when dropping it is intended",
        Lang::Rust => "propagate the error with `?`, or log it (`if let Err(e) = res { tracing::warn!(error = %e, \"could not save\") }` / `.inspect_err(|e| warn!(..)).ok()`), and say why in a comment when dropping it is intended",
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    const ID: &str = "swallowed-error";

    #[test]
    fn python_pass_around_a_write() {
        let src = "from app.models import Order\n\ndef f(data):\n    try:\n        Order.objects.create(**data)\n    except Exception:\n        pass\n";
        assert_eq!(lines(ID, "app/views.py", src), vec![6]);
        let read = src.replace("create", "get");
        assert!(lines(ID, "app/views.py", &read).is_empty());
        let logged = src.replace("pass", "logger.exception('x')");
        assert!(lines(ID, "app/views.py", &logged).is_empty());
    }

    #[test]
    fn rust_ok_statement() {
        let src = "async fn f(conn: &DbConn, user: User) {\n    user.save(conn).await.ok();\n}\n";
        assert_eq!(lines(ID, "src/api.rs", src), vec![2]);
        let logged = "async fn f(conn: &DbConn, user: User) {\n    user.save(conn).await.inspect_err(|e| warn!(\"{e}\")).ok();\n}\n";
        assert!(lines(ID, "src/api.rs", logged).is_empty());
        let channel = "fn f(tx: Sender<u8>) {\n    let _ = tx.send(1);\n}\n";
        assert!(lines(ID, "src/api.rs", channel).is_empty());
    }

    #[test]
    fn comments() {
        use super::comment_of;
        use crate::ast::Lang;
        assert_eq!(
            comment_of(Lang::Rust, "let u = \"http://x\"; // why"),
            Some(" why")
        );
        assert_eq!(comment_of(Lang::Python, "x = '#'"), None);
    }
}
