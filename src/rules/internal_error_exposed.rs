//! `internal-error-exposed`: exception messages, stack traces or raw error values sent to
//! clients.
//!
//! A response ([`crate::knowledge::responses`]) whose body carries the text of a caught error
//! ([`crate::knowledge::errors`]), traced back through locals, fields, formatting and
//! interpolation with [`crate::flow::origin`]. Whether it is reported depends on the error and
//! the status:
//! - a stack trace (`err.stack`, `traceback.format_exc()`) is always reported;
//! - errors whose text is written for clients are not: validation errors, HTTP exceptions and
//!   the project's own error types (caught by type, narrowed with `instanceof`/`isinstance`,
//!   checked with `err.expose` or a `< 500` status), and responses whose status comes from the
//!   error itself (`res.status(err.status)`);
//! - library and system errors (database, OS, network) are reported whatever the status;
//! - anything else (`except Exception`, a TypeScript `catch`, Rust `Err(e)`) is reported with
//!   a 5xx or unstated status, not with a 4xx one (Rust: only with a 5xx status).
//!
//! Development-only code (`if settings.DEBUG`, `NODE_ENV !== 'production' ? err.stack : ..`)
//! is not reported ([`crate::knowledge::environments`]).

use crate::ast::{Ast, Kind, KindTag, Lang, NodeId};
use crate::engine::{Ctx, Rule};
use crate::flow::{self, Hop};
use crate::knowledge::environments::{self, Switches};
use crate::knowledge::errors::{self, Caught, ErrorClass};
use crate::knowledge::responses::{self, Family, Response, StatusAt};
use crate::source::Span;

pub struct InternalErrorExposed;

impl Rule for InternalErrorExposed {
    fn id(&self) -> &'static str {
        "internal-error-exposed"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[
            KindTag::Call,
            KindTag::Assign,
            KindTag::Return,
            KindTag::Array,
        ]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let ast = cx.ast;
        let in_handler = |f: NodeId| cx.facts.is_handler(f);
        let Some(r) = responses::response(ast, node, &in_handler) else {
            return;
        };
        if crate::knowledge::lifecycle::in_test_code(ast, node) {
            return;
        }
        let text = cx.file.text.as_str();
        // the guard and the status are looked up once a caught error is in the body: most
        // responses carry none, and the guard walks the statements of every enclosing function
        let guarded = std::cell::OnceCell::new();
        let guarded =
            || *guarded.get_or_init(|| environments::guarded(ast, text, r.at, Switches::Guard));
        if r.whole_error {
            if !guarded() {
                whole_error(cx, &r);
            }
            return;
        }
        let status = std::cell::OnceCell::new();
        let status = || *status.get_or_init(|| status_of(ast, text, &r));
        let found = std::cell::Cell::new(None::<Caught>);
        for &payload in &r.payload {
            let is_source = |id: NodeId| {
                let Some(c) = errors::error_read(ast, text, id) else {
                    return false;
                };
                if guarded() {
                    return false;
                }
                let st = status();
                let mut class = narrowed(ast, text, id, r.at, c.at).unwrap_or(c.class);
                // a 4xx answer to a `catch` around database calls and no validation: the
                // message is the database's, not one written for the client
                // a flash notice tells the user why an action failed: only a database's own
                // message (as above) is reported there
                if class == ErrorClass::Generic
                    && (r.notice || matches!(st, Status::Code(s) if (400..500).contains(&s)))
                {
                    if try_runs_queries(cx, c.at) {
                        class = ErrorClass::Internal;
                    } else if r.notice {
                        return false;
                    }
                }
                let c = Caught { class, ..c };
                if !reported(&c, st, ast.lang)
                    || environments::guarded(ast, text, id, Switches::Guard)
                {
                    return false;
                }
                found.set(Some(c));
                true
            };
            let Some(path) =
                flow::origin_kept(ast, payload, &is_source, &carries_text, &flow::keeps_value)
            else {
                continue;
            };
            let Some(caught) = found.get() else { continue };
            report(cx, &r, &path, caught, status());
            return;
        }
    }
}

/// Calls that validate input and raise errors written for the client.
const VALIDATES: &[&str] = &[
    "parse",
    "safeParse",
    "parseAsync",
    "validate",
    "validateSync",
    "validateOrReject",
    "validateAsync",
    "is_valid",
    "full_clean",
    "clean",
    "model_validate",
    "parse_obj",
    "load",
    "check",
    "assert",
];

/// Whether the `try` of the `catch` clause `catch` runs database queries directly and does no
/// validation, or the promise chain a `.catch(err => ..)` callback (`catch`) ends runs one.
fn try_runs_queries(cx: &Ctx, catch: NodeId) -> bool {
    let ast = cx.ast;
    let Some(t) = ast.parent(catch) else {
        return false;
    };
    // `query.then(..).catch(err => ..)`: the chain the rejection comes from
    if let (Some(c), Kind::Function(_)) = (ast.call(t), ast.kind(catch)) {
        let Some(recv) = ast.receiver(c) else {
            return false;
        };
        return ast.verdict("internal-error-exposed:chain-queries", t, || {
            ast.subtree(recv).any(|id| {
                cx.facts.is_query_call(id)
                    || ast.call(id).is_some_and(|k| {
                        ast.callee_name(k)
                            .is_some_and(|n| matches!(n, "save" | "destroy"))
                    })
            })
        });
    }
    let Kind::Try { body, .. } = ast.kind(t) else {
        return false;
    };
    ast.verdict("internal-error-exposed:try-queries", t, || {
        let mut queries = false;
        for &stmt in body {
            for id in ast.subtree(stmt) {
                let Some(c) = ast.call(id) else { continue };
                if ast.callee_name(c).is_some_and(|n| VALIDATES.contains(&n)) {
                    return false;
                }
                queries |= cx.facts.is_query_call(id);
            }
        }
        queries
    })
}

/// A status as far as it can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Code(u16),
    /// Taken from the error (`err.status`, `e.status_code`): an error that knows its status.
    FromError,
    Unknown,
}

/// Whether a caught error sent with `status` is reported.
fn reported(c: &Caught, status: Status, lang: Lang) -> bool {
    if c.stack {
        return true;
    }
    if status == Status::FromError {
        return false;
    }
    match c.class {
        ErrorClass::Client => false,
        ErrorClass::Internal => lang != Lang::Rust || matches!(status, Status::Code(s) if s >= 500),
        ErrorClass::Generic => match status {
            Status::Code(s) if (400..500).contains(&s) => false,
            Status::Code(s) if s >= 500 => true,
            _ => lang != Lang::Rust,
        },
    }
}

/// The status of a response.
fn status_of(ast: &Ast, text: &str, r: &Response) -> Status {
    let at = match (r.status, &r.status_root) {
        (StatusAt::SetBefore, Some(root)) => {
            responses::status_set_before(ast, root, r.at).map_or(StatusAt::Default, StatusAt::Expr)
        }
        (s, _) => s,
    };
    match at {
        StatusAt::Fixed(c) => Status::Code(c),
        StatusAt::Default | StatusAt::SetBefore => Status::Unknown,
        StatusAt::Expr(e) => eval_status(ast, text, e, 0),
    }
}

/// The status an expression gives (`err.status` is [`Status::FromError`]).
fn eval_status(ast: &Ast, text: &str, e: NodeId, depth: u32) -> Status {
    let e = ast.unwrap_expr(e);
    if depth > 3 {
        return Status::Unknown;
    }
    let combine = |a: Status, b: Status| match (a, b) {
        (Status::Code(x), _) if x >= 500 => a,
        (_, Status::Code(y)) if y >= 500 => b,
        (Status::FromError, _) | (_, Status::FromError) => Status::FromError,
        (Status::Code(_), _) => a,
        _ => b,
    };
    match ast.kind(e) {
        Kind::Number(Some(n)) => Status::Code(*n as u16),
        Kind::Str(s) => match s.value.parse::<u16>() {
            Ok(n) => Status::Code(n),
            Err(_) => responses::status_name(&s.value).map_or(Status::Unknown, Status::Code),
        },
        Kind::Binary { lhs, rhs, .. } => combine(
            eval_status(ast, text, *lhs, depth + 1),
            eval_status(ast, text, *rhs, depth + 1),
        ),
        Kind::Name(_) | Kind::Member { .. } => {
            let root = ast.chain_root(e);
            if let Kind::Name(n) = ast.kind(root) {
                if errors::is_caught(ast, text, n, root) {
                    return Status::FromError;
                }
                if let Some(p) = ast.path_of(e) {
                    if let Some(code) = responses::status_name(&p) {
                        if p.contains(['.', ':']) || ast.lang == Lang::Rust {
                            return Status::Code(code);
                        }
                    }
                }
                if root == e {
                    let scope = ast.enclosing_function(e).unwrap_or(crate::ast::ROOT);
                    if let Some((_, v)) = ast.assignment_before(n, scope, e, false) {
                        return eval_status(ast, text, v, depth + 1);
                    }
                }
            }
            Status::Unknown
        }
        Kind::Call(c) => {
            if ast.callee_name(c) == Some("from_u16") {
                if let Some(a) = ast.positional(c).next() {
                    return eval_status(ast, text, a, depth + 1);
                }
            }
            let mentions_error = ast.subtree(e).any(|i| match ast.kind(i) {
                Kind::Name(n) => errors::is_caught(ast, text, n, i),
                _ => false,
            });
            if mentions_error {
                Status::FromError
            } else {
                Status::Unknown
            }
        }
        Kind::Other => {
            let kids: Vec<NodeId> = ast.children(e).collect();
            if kids.len() == 3 {
                let (a, b) = match ast.lang {
                    Lang::Python => (kids[0], kids[2]),
                    _ => (kids[1], kids[2]),
                };
                return combine(
                    eval_status(ast, text, a, depth + 1),
                    eval_status(ast, text, b, depth + 1),
                );
            }
            Status::Unknown
        }
        _ => Status::Unknown,
    }
}

/// The class a condition around the read or the response narrows the error to
/// (`if (err instanceof AppError)`, `isinstance(e, ValidationError)`, `err.expose ? .. : ..`).
fn narrowed(
    ast: &Ast,
    text: &str,
    read: NodeId,
    sink: NodeId,
    binding: NodeId,
) -> Option<ErrorClass> {
    let name = match ast.kind(ast.chain_root(read)) {
        Kind::Name(n) => n.clone(),
        _ => return None,
    };
    let cond_text = |c: NodeId| text.get(ast.span(c).range()).unwrap_or("");
    for start in [read, sink] {
        let mut child = start;
        for anc in ast.ancestors(start) {
            if anc == binding || !ast.contains(binding, anc) {
                break;
            }
            match ast.kind(anc) {
                Kind::If { cond, then, .. } if ast.contains_any(then, child) => {
                    if let Some(c) = errors::narrowed_by(cond_text(*cond), &name) {
                        return Some(c);
                    }
                }
                Kind::Other => {
                    let kids: Vec<NodeId> = ast.children(anc).collect();
                    if kids.len() == 3 {
                        let (cond, then) = match ast.lang {
                            Lang::Python => (kids[1], kids[0]),
                            _ => (kids[0], kids[1]),
                        };
                        if then == child {
                            if let Some(c) = errors::narrowed_by(cond_text(cond), &name) {
                                return Some(c);
                            }
                        }
                    }
                }
                _ => {}
            }
            child = anc;
        }
    }
    None
}

/// Calls whose result still holds the error's text: `str(e)`, `repr(e)`, `String(err)`,
/// `err.toString()`, `e.to_string()`, `JSON.stringify(err)`, `"..".format(e)`, `format!`,
/// `json!`, axum's `Json(..)`, `escape(..)`, `.replace(..)`, `.trim()`.
fn carries_text(ast: &Ast, call: NodeId, from: NodeId) -> bool {
    const METHODS: &[&str] = &[
        "toString",
        "to_string",
        "__str__",
        "trim",
        "strip",
        "replace",
        "substring",
        "slice",
        "split",
        "splitlines",
        "lower",
        "upper",
        "toLowerCase",
        "toUpperCase",
        "to_owned",
        "clone",
        "as_str",
        "into",
        "concat",
        "encode",
        "decode",
        "rstrip",
        "lstrip",
        "getMessage",
        "get_message",
    ];
    const ARG_METHODS: &[&str] = &["format", "join", "concat", "stringify", "inspect", "dumps"];
    const FUNCTIONS: &[&str] = &[
        "str",
        "repr",
        "String",
        "format",
        "escape",
        "Json",
        "json",
        "Some",
        "from",
        "html",
        "_",
        "gettext",
        "gettext_lazy",
        "mark_safe",
        "Markup",
        "anyhow",
        "Body::from",
        "Cow::from",
        "String::from",
        "web::Json",
        "axum::Json",
        // a response handed to another response (`make_response(jsonify(..), 500)`)
        "jsonify",
        "JsonResponse",
        "JSONResponse",
        "HttpResponse",
        "PlainTextResponse",
        "Response",
    ];
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    // project helpers that turn an error into its message: `getErrorMessage(err)`,
    // `format_error(e)`, `errorToString(err)`
    let lower = name.to_ascii_lowercase().replace('_', "");
    if [
        "errormessage",
        "errmsg",
        "errortostring",
        "formaterror",
        "serializeerror",
        "stringifyerror",
        "errortext",
    ]
    .iter()
    .any(|h| lower.contains(h))
    {
        return true;
    }
    match ast.receiver(c) {
        Some(r) if ast.unwrap_expr(r) == from => METHODS.contains(&name),
        Some(_) => ARG_METHODS.contains(&name),
        None => {
            let path = ast.path_of(c.callee).unwrap_or_default();
            FUNCTIONS.contains(&name) || FUNCTIONS.contains(&path.as_str())
        }
    }
}

/// `.map_err(ErrorInternalServerError)`: the error's `Display` text is the body.
fn whole_error(cx: &mut Ctx, r: &Response) {
    let msg = format!(
        "the error's text becomes the body of a 500 response through `{}`: {}",
        r.shape,
        fix(r.family)
    );
    let f = cx.finding(cx.call_site(r.at), msg).help(help(r.family));
    cx.emit(f);
}

fn fix(family: Family) -> &'static str {
    match family {
        Family::Express | Family::Next | Family::Fastify | Family::Hono | Family::Koa => {
            "log it on the server and send a generic message such as `{ error: 'Internal server error' }`"
        }
        Family::Nest => "log it and throw the exception without the error's text (`new InternalServerErrorException()`)",
        Family::Trpc => "log it and throw a `TRPCError` with a generic message",
        Family::Django | Family::Drf | Family::Flask | Family::FastApi | Family::Aiohttp => {
            "log it with `logger.exception(..)` and return a generic message"
        }
        Family::Axum | Family::Rocket => {
            "log it with `tracing::error!` and return a generic body"
        }
        Family::Actix => {
            "log it with `tracing::error!` and return `HttpResponse::InternalServerError().finish()` or a generic message"
        }
    }
}

fn help(family: Family) -> &'static str {
    match family {
        Family::Express | Family::Next | Family::Fastify | Family::Hono | Family::Koa => {
            "`logger.error({ err }, 'request failed'); res.status(500).json({ error: 'Internal server error' })` - the details stay in the server's logs; send `err.message` only for errors written for users (validation errors, your own error classes with a status below 500)"
        }
        Family::Nest => {
            "`this.logger.error(err); throw new InternalServerErrorException()` - Nest sends `{ statusCode: 500, message: 'Internal Server Error' }`; put `err.message` only into 4xx exceptions of your own errors"
        }
        Family::Trpc => {
            "`logger.error(err); throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong', cause: err })` - `cause` stays on the server"
        }
        Family::Django | Family::Drf => {
            "`logger.exception(\"order export failed\"); return JsonResponse({\"error\": \"internal error\"}, status=500)` - or let the exception propagate so Django answers with its 500 page"
        }
        Family::Flask => {
            "`current_app.logger.exception(\"upload failed\"); return jsonify(error=\"internal error\"), 500`"
        }
        Family::FastApi => {
            "`logger.exception(\"payment failed\"); raise HTTPException(status_code=500, detail=\"Internal server error\")`"
        }
        Family::Aiohttp => {
            "`log.exception(\"sync failed\"); return web.json_response({\"error\": \"internal error\"}, status=500)`"
        }
        Family::Axum => {
            "`tracing::error!(error = %e, \"query failed\"); (StatusCode::INTERNAL_SERVER_ERROR, \"internal error\")`"
        }
        Family::Rocket => {
            "`error!(\"query failed: {e}\"); status::Custom(Status::InternalServerError, \"internal error\")`"
        }
        Family::Actix => {
            "`tracing::error!(error = %e, \"query failed\"); HttpResponse::InternalServerError().finish()` (or `ErrorInternalServerError(\"internal error\")`)"
        }
    }
}

fn report(cx: &mut Ctx, r: &Response, path: &[flow::Step], caught: Caught, status: Status) {
    let ast = cx.ast;
    let read = path[0].node;
    // what is read: `err.message`, `str(e)`, `traceback.format_exc()`
    let shown_node = match ast.parent(read).map(|p| (p, ast.kind(p))) {
        Some((p, Kind::Member { .. })) => p,
        Some((p, Kind::Call(_))) if carries_text(ast, p, read) => p,
        _ => read,
    };
    let shown: String = cx
        .text(shown_node)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(60)
        .collect();
    let whole = shown_node == read && matches!(ast.kind(read), Kind::Name(_));
    let what = if caught.stack {
        format!("a stack trace (`{shown}`)")
    } else if whole {
        format!("the raw error `{shown}`")
    } else {
        format!("the error's text (`{shown}`)")
    };
    let status_text = match status {
        Status::Code(c) => format!(" with status {c}"),
        _ => String::new(),
    };
    let message = format!(
        "{what} is sent to the client by `{}`{status_text}: {}",
        r.shape,
        fix(r.family)
    );
    let span = region(cx, r, read);
    let mut f = cx.finding(span, message).help(help(r.family));
    let caught_line = cx.first_line(caught.at);
    let read_line = cx.first_line(read);
    if cx.file.line_of(caught_line.start) != cx.file.line_of(read_line.start) {
        let label = match ast.kind(caught.at) {
            Kind::Call(_) => "stack trace made here".to_string(),
            _ => "the error is caught here".to_string(),
        };
        f = f.step(caught_line, label);
    }
    for step in path {
        match &step.hop {
            Hop::Read => {
                f = f.step(cx.span(step.node), format!("`{shown}` read here"));
            }
            Hop::Assigned(n) => {
                f = f.step(cx.span(step.node), format!("assigned to `{n}`"));
            }
            Hop::Used => {
                f = f.step(span, "sent to the client here");
            }
        }
    }
    cx.emit(f);
}

/// The region a finding covers: from the response's first line (or the `map_err` around it)
/// to the line that puts the error's text into it.
fn region(cx: &Ctx, r: &Response, read: NodeId) -> Span {
    let ast = cx.ast;
    let mut start = if ast.call(r.at).is_some() {
        cx.call_site(r.at)
    } else {
        cx.first_line(r.at)
    };
    // Rust `.map_err(|e| { (StatusCode::.., e.to_string()) })`
    if let Some(func) = ast.enclosing_function(r.at) {
        if let Some(call) = ast.parent(func).filter(|&p| {
            ast.call(p)
                .is_some_and(|c| ast.callee_name(c) == Some("map_err"))
        }) {
            let site = cx.call_site(call);
            if site.start < start.start {
                start = Span::new(site.start as usize, start.end as usize);
            }
        }
    }
    let read_line = cx.first_line(read);
    if ast.contains(r.at, read) && read_line.end > start.end {
        start = Span::new(start.start as usize, read_line.end as usize);
    }
    start
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    const RULE: &str = "internal-error-exposed";

    #[test]
    fn express_catch_sends_message() {
        let src = "router.get('/orders', async (req, res) => {\n  try {\n    res.json(await load());\n  } catch (err) {\n    res.status(500).json({ error: err.message });\n  }\n});\n";
        assert_eq!(lines(RULE, "src/routes/orders.ts", src), vec![5]);
        let generic = src.replace("err.message", "'failed'");
        assert!(lines(RULE, "src/routes/orders.ts", &generic).is_empty());
        let client = src.replace("status(500)", "status(400)");
        assert!(lines(RULE, "src/routes/orders.ts", &client).is_empty());
        let stack = client.replace("err.message", "err.stack");
        assert_eq!(lines(RULE, "src/routes/orders.ts", &stack), vec![5]);
    }

    #[test]
    fn python_except_types_decide() {
        let src = "@app.route('/x')\ndef x():\n    try:\n        run()\n    except Exception as e:\n        return jsonify(error=str(e)), 500\n";
        assert_eq!(lines(RULE, "app/views.py", src), vec![6]);
        let v = src.replace("except Exception", "except ValueError");
        assert!(lines(RULE, "app/views.py", &v).is_empty());
        let db = src
            .replace("except Exception", "except IntegrityError")
            .replace("500", "400");
        assert_eq!(lines(RULE, "app/views.py", &db), vec![6]);
    }

    #[test]
    fn the_path_from_the_catch_to_the_response_is_kept() {
        let src = "app.get('/x', async (req, res) => {\n  try {\n    await run();\n  } catch (err) {\n    const detail = err.message;\n    res.status(500).json({ detail });\n  }\n});\n";
        let out = crate::lint_source(
            std::path::Path::new("src/routes/x.ts"),
            src,
            &crate::Options::default(),
        );
        let d = out
            .diagnostics
            .iter()
            .find(|d| d.rule == RULE)
            .expect("reported");
        let lines: Vec<u32> = d.flow.iter().map(|l| l.start.line).collect();
        assert_eq!(lines, vec![4, 5, 5, 6], "{:?}", d.flow);
        assert!(d.flow[2].message.contains("`detail`"), "{:?}", d.flow);
    }

    #[test]
    fn rust_err_arm_with_500() {
        let src = "async fn h(State(db): State<Db>) -> Response {\n    match db.load().await {\n        Ok(v) => Json(v).into_response(),\n        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),\n    }\n}\n";
        assert_eq!(lines(RULE, "src/handlers.rs", src), vec![4]);
        let bad = src.replace("INTERNAL_SERVER_ERROR", "BAD_REQUEST");
        assert!(lines(RULE, "src/handlers.rs", &bad).is_empty());
    }
}
