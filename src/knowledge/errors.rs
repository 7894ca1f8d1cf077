//! Error values in request code: where a caught exception or error is bound (a Python
//! `except .. as e`, a TypeScript `catch (err)` or `.catch(err => ..)`, Express/Fastify/Hono/
//! NestJS error handlers, Flask/FastAPI exception handlers, Rust `Err(e)` arms and `map_err(|e|
//! ..)` closures), the calls that produce a stack trace (`traceback.format_exc()`), and which
//! error types carry messages written for clients (validation errors, HTTP exceptions, the
//! project's own error types) rather than for the people who run the server.
//!
//! Rust `match` arm and `if let` patterns are not in the tree, so an `Err(e)` binding is read
//! from the text between the arm's neighbours.

use crate::ast::{Ast, Kind, Lang, NodeId};

/// What kind of error a binding holds, judged by the types it was caught as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Written for clients: validation errors, HTTP exceptions, the project's own error types.
    Client,
    /// Anything (`except Exception`, a TypeScript `catch`, Rust `Err(e)`).
    Generic,
    /// A library or system error (database, OS, network, subprocess): never written for
    /// clients, whatever the status.
    Internal,
}

/// Type names that catch anything.
const GENERIC: &[&str] = &[
    "Exception",
    "BaseException",
    "Error",
    "any",
    "unknown",
    "object",
    "StandardError",
    "BoxError",
    "Box<dyn Error>",
    "Box<dyn std::error::Error>",
    "anyhow::Error",
];

/// Library and system errors whose text describes the server: queries, tables, paths, hosts.
const INTERNAL: &[&str] = &[
    // databases
    "DatabaseError",
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "InterfaceError",
    "NotSupportedError",
    "SQLAlchemyError",
    "DBAPIError",
    "PyMongoError",
    "OperationFailure",
    "ServerSelectionTimeoutError",
    "RedisError",
    "QueryFailedError",
    "PrismaClientKnownRequestError",
    "PrismaClientUnknownRequestError",
    "PrismaClientInitializationError",
    "MongoError",
    "MongoServerError",
    "SequelizeDatabaseError",
    "DatabaseError",
    // the system
    "OSError",
    "IOError",
    "EnvironmentError",
    "FileNotFoundError",
    "IsADirectoryError",
    "ConnectionError",
    "ConnectionRefusedError",
    "BrokenPipeError",
    "TimeoutError",
    "RuntimeError",
    "AttributeError",
    "TypeError",
    "ImportError",
    "ModuleNotFoundError",
    "NameError",
    "AssertionError",
    "NotImplementedError",
    "ZeroDivisionError",
    "IndexError",
    "RecursionError",
    "MemoryError",
    "CalledProcessError",
    "SubprocessError",
    "TimeoutExpired",
    // outbound calls
    "RequestException",
    "RequestError",
    "URLError",
    "ConnectTimeout",
    "ReadTimeout",
    "ClientError",
    "BotoCoreError",
    "SMTPException",
    "SSLError",
    "AxiosError",
];

fn last_segment(t: &str) -> &str {
    let t = t.trim();
    let t = t.split('<').next().unwrap_or(t);
    t.rsplit(['.', ':']).next().unwrap_or(t).trim()
}

/// The class of an error caught as one of `types` (none: anything).
pub fn classify(types: &[String]) -> ErrorClass {
    if types.is_empty() {
        return ErrorClass::Generic;
    }
    let mut class = ErrorClass::Client;
    for t in types {
        let t = t.trim();
        let last = last_segment(t);
        if INTERNAL.contains(&last) || rust_internal_type(t) {
            return ErrorClass::Internal;
        }
        if GENERIC.contains(&t) || GENERIC.contains(&last) || t.is_empty() {
            class = ErrorClass::Generic;
        }
    }
    class
}

/// Rust error types of libraries (`sqlx::Error`, `std::io::Error`, `reqwest::Error`), generic
/// errors (`E`, `impl std::error::Error`, `Box<dyn Error>`).
fn rust_internal_type(t: &str) -> bool {
    const CRATES: &[&str] = &[
        "sqlx::",
        "diesel::",
        "sea_orm::",
        "tokio_postgres::",
        "postgres::",
        "mongodb::",
        "redis::",
        "reqwest::",
        "hyper::",
        "io::",
        "std::io::",
        "serde_json::",
        "deadpool",
        "bb8::",
        "r2d2::",
    ];
    CRATES.iter().any(|c| t.starts_with(c)) && t.ends_with("Error")
        || t == "DbErr"
        || t == "sea_orm::DbErr"
}

/// Names an error parameter of a callback is given (`(err, data) => ..`).
const ERR_NAMES: &[&str] = &["err", "error", "er", "e", "ex", "exc", "exception"];

/// A caught error: where it is bound and its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caught {
    /// The `catch`/`except` clause, the handler function, the `match`/`if let`, or the call
    /// producing the error (`traceback.format_exc()`).
    pub at: NodeId,
    pub class: ErrorClass,
    /// The value is a stack trace (`err.stack`, `traceback.format_exc()`).
    pub stack: bool,
}

/// Fields of an error that are no error text: codes, statuses, names, and the details
/// validation libraries build for clients (`err.errors`, `err.issues`, DRF's `e.detail`).
const SAFE_FIELDS: &[&str] = &[
    "code",
    "status",
    "statusCode",
    "status_code",
    "errno",
    "name",
    "kind",
    "type",
    "id",
    "errors",
    "issues",
    "detail",
    "details",
    "messages",
    "message_dict",
    "error_dict",
    "error_list",
    "__class__",
    "expose",
    "isOperational",
    "field",
    "path",
    "headers",
    "retryAfter",
    "constructor",
    "length",
];

/// Calls that make a stack trace or the current exception (`traceback.format_exc()`).
fn stack_call(ast: &Ast, id: NodeId) -> Option<Caught> {
    let c = ast.call(id)?;
    let path = ast.path_of(c.callee)?;
    let last = path.rsplit('.').next().unwrap_or(&path);
    let traceback = path.starts_with("traceback.")
        || ast.lang == Lang::Python && matches!(last, "format_exc" | "format_exception");
    if ast.lang == Lang::Python
        && traceback
        && matches!(
            last,
            "format_exc"
                | "format_exception"
                | "format_tb"
                | "format_stack"
                | "extract_tb"
                | "extract_stack"
                | "format_exception_only"
        )
    {
        return Some(Caught {
            at: id,
            class: ErrorClass::Generic,
            stack: last != "format_exception_only",
        });
    }
    if ast.lang == Lang::Python && path == "sys.exc_info" {
        return Some(Caught {
            at: id,
            class: ErrorClass::Generic,
            stack: false,
        });
    }
    None
}

/// Whether `id` is a read of an error's text (or of the whole error): the name of a caught
/// error (not one of its code or status fields), or a call making a stack trace.
pub fn error_read(ast: &Ast, text: &str, id: NodeId) -> Option<Caught> {
    if let Some(c) = stack_call(ast, id) {
        return Some(c);
    }
    let Kind::Name(name) = ast.kind(id) else {
        return None;
    };
    if ast.lang == Lang::Rust && name == "self" {
        return wrapped_self(ast, text, id);
    }
    let mut stack = false;
    if let Some(p) = ast.parent(id) {
        match ast.kind(p) {
            Kind::Member { object, property } if *object == id => {
                if SAFE_FIELDS.contains(&property.as_str()) {
                    return None;
                }
                stack = matches!(property.as_str(), "stack" | "__traceback__" | "backtrace");
            }
            // `isinstance(e, X)`, `type(e)`
            Kind::Call(c)
                if ast.lang == Lang::Python
                    && matches!(ast.callee_name(c), Some("isinstance" | "type")) =>
            {
                return None;
            }
            _ => {}
        }
    }
    let mut caught = binding(ast, text, name, id)?;
    // a reassignment after the binding (`err = InternalError()`) replaces the error; the data
    // flow follows the new value instead
    let scope = ast.enclosing_function(id).unwrap_or(crate::ast::ROOT);
    if let Some((assign, _)) = ast.assignment_before(name, scope, id, false) {
        if assign > caught.at {
            return None;
        }
    }
    caught.stack = stack;
    Some(caught)
}

/// Rust: `self.0` in the `IntoResponse`/`ResponseError`/`Responder` impl of a newtype around a
/// library or catch-all error (`struct AppError(anyhow::Error);`, axum's error-handling
/// example): the wrapped error's text, not one written for clients.
fn wrapped_self(ast: &Ast, text: &str, id: NodeId) -> Option<Caught> {
    let p = ast.parent(id)?;
    if !matches!(ast.kind(p), Kind::Member { object, property } if *object == id && property == "0")
    {
        return None;
    }
    let (class, ty) = ast.ancestors(id).find_map(|a| match ast.kind(a) {
        Kind::Class(c) => Some((a, c)),
        _ => None,
    })?;
    let responds = ty.bases.iter().any(|b| {
        matches!(
            last_segment(b),
            "IntoResponse" | "ResponseError" | "Responder"
        )
    });
    if !responds {
        return None;
    }
    let name = ty.name.clone();
    let wraps = ast.verdict("errors:newtype-of-error", class, || {
        let decl = format!("struct {name}(");
        let Some(at) = text.find(&decl) else {
            return false;
        };
        let inner = text[at + decl.len()..].split(')').next().unwrap_or("");
        let inner = inner
            .trim()
            .strip_prefix("pub ")
            .unwrap_or(inner.trim())
            .trim();
        inner == "anyhow::Error"
            || inner == "Error" && text.contains("use anyhow::Error")
            || inner.starts_with("Box<dyn") && inner.contains("Error")
            || rust_internal_type(inner)
    });
    wraps.then_some(Caught {
        at: class,
        class: ErrorClass::Generic,
        stack: false,
    })
}

/// Where the name `name`, read at `id`, is bound as a caught error.
fn binding(ast: &Ast, text: &str, name: &str, id: NodeId) -> Option<Caught> {
    let mut child = id;
    for anc in ast.ancestors(id) {
        match ast.kind(anc) {
            Kind::Catch {
                types,
                binding: Some(b),
                body,
            } if b == name => {
                if !ast.contains_any(body, id) {
                    return None;
                }
                return Some(Caught {
                    at: anc,
                    class: classify(types),
                    stack: false,
                });
            }
            Kind::Function(f) => {
                if let Some(idx) = f.params.iter().position(|p| p.name == name) {
                    let class = error_param(ast, text, anc, idx)?;
                    return Some(Caught {
                        at: anc,
                        class,
                        stack: false,
                    });
                }
                if f.name.is_some() {
                    return None;
                }
            }
            Kind::Other if ast.lang == Lang::Rust => {
                if let Some(pat) = arm_pattern(ast, text, anc, child) {
                    if binds_err(&pat, name) {
                        return Some(Caught {
                            at: anc,
                            class: ErrorClass::Generic,
                            stack: false,
                        });
                    }
                }
            }
            Kind::If { cond, then, .. } if ast.lang == Lang::Rust && ast.contains_any(then, id) => {
                let head = text
                    .get(ast.span(anc).start as usize..ast.span(*cond).start as usize)
                    .unwrap_or("");
                if let Some(pat) = head.trim().strip_prefix("if") {
                    let pat = pat.trim().strip_prefix("let").unwrap_or("");
                    let pat = pat.trim().trim_end_matches('=').trim();
                    if binds_err(pat, name) {
                        return Some(Caught {
                            at: anc,
                            class: ErrorClass::Generic,
                            stack: false,
                        });
                    }
                }
            }
            _ => {}
        }
        child = anc;
    }
    None
}

/// For a Rust `match` (`anc`) and one of its arm bodies (`child`): the arm's pattern as
/// written (`Err(e)`, `Err(e) if ..` without the guard).
fn arm_pattern(ast: &Ast, text: &str, anc: NodeId, child: NodeId) -> Option<String> {
    let span = ast.span(anc);
    let whole = text.get(span.start as usize..span.end as usize)?;
    if !whole.starts_with("match") {
        return None;
    }
    let kids: Vec<NodeId> = ast.children(anc).collect();
    let at = kids.iter().position(|&k| k == child)?;
    if at == 0 {
        return None;
    }
    let between = |a: NodeId, b: NodeId| {
        text.get(ast.span(a).end as usize..ast.span(b).start as usize)
            .unwrap_or("")
    };
    let gap = between(kids[at - 1], child);
    let gap = if gap.trim() == "=>" && at >= 2 {
        // `Err(e) if guard => body`: the pattern is before the guard
        between(kids[at - 2], kids[at - 1])
    } else {
        gap
    };
    // comment lines between arms
    let gap: String = gap
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let gap = gap.trim().trim_end_matches("=>").trim();
    let gap = gap.trim_start_matches(['{', ',']).trim();
    let gap = gap.strip_suffix(" if").unwrap_or(gap).trim();
    Some(gap.to_string())
}

/// Whether a pattern binds `name` to an error: `Err(e)`, `Err(ref e)`, `Err(mut e)`.
fn binds_err(pat: &str, name: &str) -> bool {
    let Some(inner) = pat
        .trim()
        .strip_prefix("Err")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.trim_end().strip_suffix(')'))
    else {
        return false;
    };
    let inner = inner.trim();
    let inner = inner.strip_prefix("ref ").unwrap_or(inner).trim();
    let inner = inner.strip_prefix("mut ").unwrap_or(inner).trim();
    inner == name
}

/// Whether parameter `idx` of the function `func` receives an error, and its class: error
/// handlers (Express `(err, req, res, next)`, `setErrorHandler`, Hono `onError`, NestJS
/// exception filters, Flask `errorhandler`, FastAPI `exception_handler`, DRF exception
/// handlers, Django `process_exception`), promise rejections (`.catch(err => ..)`), Node-style
/// callbacks (`(err, rows) => ..`) and Rust `map_err(|e| ..)` closures.
fn error_param(ast: &Ast, text: &str, func: NodeId, idx: usize) -> Option<ErrorClass> {
    let f = ast.function(func)?;
    let param = &f.params[idx];
    let typed = |fallback: ErrorClass| match param.ty.as_deref() {
        Some(t) if !t.trim().is_empty() => classify(&[t.to_string()]),
        _ => fallback,
    };
    let call = ast.parent(func).and_then(|p| ast.call(p).map(|c| (p, c)));
    match ast.lang {
        Lang::TypeScript => {
            if let Some((_, c)) = call {
                let name = ast.callee_name(c).unwrap_or("");
                let pos = c.args.iter().position(|a| a.value == func);
                match name {
                    "catch" if idx == 0 => return Some(typed(ErrorClass::Generic)),
                    "then" if idx == 0 && pos == Some(1) => return Some(ErrorClass::Generic),
                    "setErrorHandler" | "onError" | "errorHandler" | "useErrorHandler"
                        if idx == 0 =>
                    {
                        return Some(typed(ErrorClass::Generic))
                    }
                    _ => {}
                }
                // Node-style callback `(err, rows) => ..`
                if idx == 0
                    && pos.is_some()
                    && matches!(param.name.as_str(), "err" | "error" | "er")
                {
                    return Some(typed(ErrorClass::Generic));
                }
            }
            // Express error middleware `(err, req, res, next)`
            if idx == 0 && f.params.len() == 4 && ERR_NAMES.contains(&param.name.as_str()) {
                return Some(typed(ErrorClass::Generic));
            }
            // NestJS exception filter: `catch(exception, host)` in a `@Catch(..)` class
            if idx == 0 && f.name.as_deref() == Some("catch") {
                let class = ast.ancestors(func).find_map(|a| match ast.kind(a) {
                    Kind::Class(c) => Some(c),
                    _ => None,
                })?;
                let filter = class.decorators.iter().find(|d| d.name == "Catch")?;
                let caught: Vec<String> = filter
                    .node
                    .and_then(|n| ast.call(n))
                    .map(|c| c.args.iter().filter_map(|a| ast.path_of(a.value)).collect())
                    .unwrap_or_default();
                return Some(match classify(&caught) {
                    ErrorClass::Generic => typed(ErrorClass::Generic),
                    c => c,
                });
            }
            None
        }
        Lang::Python => {
            let params: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
            let first = usize::from(matches!(params.first(), Some(&("self" | "cls"))));
            for d in &f.decorators {
                let last = d.name.rsplit('.').next().unwrap_or(&d.name);
                let want = match last {
                    "errorhandler" | "app_errorhandler" => first,
                    "exception_handler" => first + 1,
                    _ => continue,
                };
                if idx != want {
                    return None;
                }
                return Some(handled_class(ast, text, d.node));
            }
            if let Some(name) = f.name.as_deref() {
                if name == "process_exception" && idx == first + 1 {
                    return Some(ErrorClass::Generic);
                }
                if name.ends_with("exception_handler") && idx == first {
                    return Some(ErrorClass::Generic);
                }
                // `app.register_error_handler(500, handle)`, `app.add_exception_handler(E, h)`
                for reg in ["register_error_handler", "add_exception_handler"] {
                    for &call in ast.calls_named(reg) {
                        let Some(c) = ast.call(call) else { continue };
                        let args: Vec<NodeId> = ast.positional(c).collect();
                        let names_it = args
                            .get(1)
                            .and_then(|&a| ast.path_of(a))
                            .is_some_and(|p| p.rsplit('.').next() == Some(name));
                        let want = if reg == "add_exception_handler" {
                            first + 1
                        } else {
                            first
                        };
                        if names_it && idx == want {
                            return Some(handled_class(ast, text, Some(call)));
                        }
                    }
                }
            }
            None
        }
        Lang::Rust => {
            if let Some((_, c)) = call {
                if f.name.is_none()
                    && idx == 0
                    && matches!(
                        ast.callee_name(c).unwrap_or(""),
                        "map_err" | "or_else" | "unwrap_or_else" | "inspect_err" | "map_or_else"
                    )
                    && (ast.callee_name(c) != Some("map_or_else")
                        || c.args.first().map(|a| a.value) == Some(func))
                {
                    return Some(ErrorClass::Generic);
                }
            }
            // `async fn handle_error(err: BoxError)`, `fn internal_error<E>(err: E)`
            if f.name.is_some() && ERR_NAMES.contains(&param.name.as_str()) {
                let t = param.ty.as_deref().unwrap_or("").trim();
                let generic_letter = t.len() == 1 && t.chars().all(|c| c.is_ascii_uppercase());
                if generic_letter
                    || t.starts_with("impl ") && t.contains("Error")
                    || t.contains("dyn ") && t.contains("Error")
                    || matches!(last_segment(t), "BoxError")
                    || t == "anyhow::Error"
                    || rust_internal_type(t)
                {
                    return Some(ErrorClass::Generic);
                }
            }
            None
        }
    }
}

/// The class of what an error handler handles, from its registration's first argument:
/// `errorhandler(500)` or `(Exception)` handle anything, `errorhandler(404)`,
/// `(HTTPException)`, `(RequestValidationError)` and the project's own errors are for clients.
fn handled_class(ast: &Ast, _text: &str, call: Option<NodeId>) -> ErrorClass {
    let Some(c) = call.and_then(|n| ast.call(n)) else {
        return ErrorClass::Generic;
    };
    let Some(arg) = ast.positional(c).next() else {
        return ErrorClass::Generic;
    };
    match ast.kind(arg) {
        Kind::Number(Some(n)) if *n < 500.0 => ErrorClass::Client,
        Kind::Number(_) => ErrorClass::Generic,
        _ => match ast.path_of(arg) {
            Some(p) => classify(&[p]),
            None => ErrorClass::Generic,
        },
    }
}

/// The class a condition narrows the error `name` to in its true branch: `err instanceof
/// AppError`, `isinstance(e, ValidationError)`, a check of `err.expose`, `err.isOperational`
/// or of a 4xx status. `None` when it says nothing about the error.
pub fn narrowed_by(cond: &str, name: &str) -> Option<ErrorClass> {
    let c = cond.trim();
    if c.starts_with('!') || c.starts_with("not ") {
        return None;
    }
    let instance = format!("{name} instanceof ");
    if let Some(at) = c.find(&instance) {
        let rest = &c[at + instance.len()..];
        let ty: String = rest
            .chars()
            .take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '.')
            .collect();
        return Some(classify(&[ty]));
    }
    let isinstance = format!("isinstance({name},");
    if let Some(at) = c.replace(", ", ",").find(&isinstance) {
        let squashed = c.replace(", ", ",");
        let rest = &squashed[at + isinstance.len()..];
        let inner = rest.split(')').next().unwrap_or("");
        let types: Vec<String> = inner
            .trim_start_matches('(')
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        return Some(classify(&types));
    }
    let expose = [
        format!("{name}.expose"),
        format!("{name}.isOperational"),
        format!("{name}.is_client_error"),
    ];
    if expose.iter().any(|e| c.contains(e.as_str())) {
        return Some(ErrorClass::Client);
    }
    // `status < 500 ? err.message : 'Internal error'`
    if (c.contains("< 500") || c.contains("<500"))
        && ["status", "code", "Status", "Code"]
            .iter()
            .any(|w| c.contains(w))
    {
        return Some(ErrorClass::Client);
    }
    for field in ["status", "statusCode", "status_code"] {
        let f = format!("{name}.{field}");
        if let Some(at) = c.find(&f) {
            let rest = c[at + f.len()..].trim_start();
            if rest.starts_with("< 500") || rest.starts_with("<500") {
                return Some(ErrorClass::Client);
            }
        }
    }
    None
}

/// Whether the name `name` read at `id` is bound as a caught error (any use of it).
pub fn is_caught(ast: &Ast, text: &str, name: &str, id: NodeId) -> bool {
    binding(ast, text, name, id).is_some()
}

/// Whether `name` is one of the names error parameters get.
pub fn is_error_name(name: &str) -> bool {
    ERR_NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_caught_types() {
        let c = |ts: &[&str]| classify(&ts.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(c(&[]), ErrorClass::Generic);
        assert_eq!(c(&["Exception"]), ErrorClass::Generic);
        assert_eq!(c(&["ValueError", "KeyError"]), ErrorClass::Client);
        assert_eq!(c(&["ValidationError", "Exception"]), ErrorClass::Generic);
        assert_eq!(c(&["django.db.IntegrityError"]), ErrorClass::Internal);
        assert_eq!(c(&["ChallengeCreateException"]), ErrorClass::Client);
        assert_eq!(c(&["sqlx::Error"]), ErrorClass::Internal);
        assert_eq!(c(&["AppError"]), ErrorClass::Client);
    }

    #[test]
    fn rust_err_patterns() {
        assert!(binds_err("Err(e)", "e"));
        assert!(binds_err("Err( ref err )", "err"));
        assert!(!binds_err("Err(AppError::Db(e))", "e"));
        assert!(!binds_err("Ok(e)", "e"));
    }

    #[test]
    fn narrowing_conditions() {
        assert_eq!(
            narrowed_by("err instanceof AppError", "err"),
            Some(ErrorClass::Client)
        );
        assert_eq!(
            narrowed_by("err instanceof Error", "err"),
            Some(ErrorClass::Generic)
        );
        assert_eq!(
            narrowed_by("isinstance(e, (ValueError, KeyError))", "e"),
            Some(ErrorClass::Client)
        );
        assert_eq!(narrowed_by("err.expose", "err"), Some(ErrorClass::Client));
        assert_eq!(
            narrowed_by("err.status < 500", "err"),
            Some(ErrorClass::Client)
        );
        assert_eq!(narrowed_by("!(err instanceof AppError)", "err"), None);
        assert_eq!(narrowed_by("status < 500", "err"), Some(ErrorClass::Client));
        assert_eq!(narrowed_by("user.isAdmin", "err"), None);
    }
}
