//! What a handler sends to the client, per framework: the response a call, an assignment or a
//! `return` builds, the expressions that end up in its body, and its status.
//!
//! - TypeScript/JavaScript: Express and Next.js API routes `res.json/send/end/write/render`
//!   (`res.status(500).json(..)`, also after a separate `res.status(500)`), Fastify
//!   `reply.send` / `reply.code(500).send`, Koa `ctx.body = ..` / `ctx.throw(..)`, Hono
//!   `c.json(.., 500)` and `HTTPException`, hapi `h.response(..).code(..)`, Next.js
//!   `NextResponse.json` / `Response.json` / `new Response(..)`, NestJS HTTP exceptions
//!   (`new InternalServerErrorException(msg)`, `new HttpException(msg, 500)`), tRPC `TRPCError`.
//! - Python: Django `HttpResponse*`/`JsonResponse`/`render`, DRF `Response` and
//!   `APIException`, Flask `jsonify`/`make_response`/`render_template`/`abort` and tuple returns
//!   (`return str(e), 500`), FastAPI/Starlette `JSONResponse`/`HTTPException(detail=..)`,
//!   aiohttp `web.json_response`/`web.Response`/`web.HTTPInternalServerError(text=..)`; a dict or
//!   string a handler returns.
//! - Rust: axum `(StatusCode::X, body)` tuples and `Response::builder().status(..).body(..)`,
//!   actix-web `HttpResponse::InternalServerError().body(..)`, `ErrorInternalServerError(e)`
//!   and `.map_err(ErrorInternalServerError)`, rocket `status::Custom(Status::X, ..)` and
//!   `(Status::X, ..)`.

use crate::ast::{Ast, Kind, Lang, NodeId};

/// The stack a response belongs to, for the fix a message names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Express,
    Koa,
    Fastify,
    Hono,
    Next,
    Nest,
    Trpc,
    Django,
    Drf,
    Flask,
    FastApi,
    Aiohttp,
    Axum,
    Actix,
    Rocket,
}

/// Where a response's status comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusAt {
    /// Fixed by the shape (`HttpResponseServerError`, `InternalServerErrorException`).
    Fixed(u16),
    /// This expression (`res.status(x)`, `status=x`, the tuple's second element).
    Expr(NodeId),
    /// None given: the framework's default (200 for a body, 500 for an exception).
    Default,
    /// Whatever an earlier `res.status(..)` / `ctx.status = ..` of the same function set (see
    /// [`status_set_before`]), else the default; looked up only when needed.
    SetBefore,
}

/// A response a handler sends.
#[derive(Clone, Debug)]
pub struct Response {
    /// The call, assignment or `return` that builds it.
    pub at: NodeId,
    /// The expressions whose value ends up in its body.
    pub payload: Vec<NodeId>,
    pub status: StatusAt,
    /// How it is written, for messages: `res.json`, `JsonResponse`, `HttpResponse::InternalServerError()`.
    pub shape: String,
    pub family: Family,
    /// `.map_err(ErrorInternalServerError)`: the error the closure is given becomes the body.
    pub whole_error: bool,
    /// The response object (`res`, `ctx`) for [`StatusAt::SetBefore`].
    pub status_root: Option<String>,
    /// A message shown on the next page (`req.flash`, `messages.error`, `flash`), where
    /// applications tell users why their action failed.
    pub notice: bool,
}

/// A status as a number: `500`, `StatusCode::INTERNAL_SERVER_ERROR`, `HttpStatus.BAD_REQUEST`,
/// `status.HTTP_500_INTERNAL_SERVER_ERROR`, `HTTPStatus.INTERNAL_SERVER_ERROR`, actix's
/// `InternalServerError`.
pub fn status_name(path: &str) -> Option<u16> {
    let last = path.rsplit(['.', ':']).next().unwrap_or(path);
    // `HTTP_500_INTERNAL_SERVER_ERROR`
    let digits: String = last
        .split('_')
        .find(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("")
        .to_string();
    if let Ok(n) = digits.parse::<u16>() {
        if (100..600).contains(&n) {
            return Some(n);
        }
    }
    let norm: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    let norm = norm.strip_prefix("HTTP").unwrap_or(&norm);
    const NAMES: &[(&str, u16)] = &[
        ("OK", 200),
        ("CREATED", 201),
        ("ACCEPTED", 202),
        ("NOCONTENT", 204),
        ("BADREQUEST", 400),
        ("UNAUTHORIZED", 401),
        ("PAYMENTREQUIRED", 402),
        ("FORBIDDEN", 403),
        ("NOTFOUND", 404),
        ("METHODNOTALLOWED", 405),
        ("NOTACCEPTABLE", 406),
        ("REQUESTTIMEOUT", 408),
        ("CONFLICT", 409),
        ("GONE", 410),
        ("PRECONDITIONFAILED", 412),
        ("PAYLOADTOOLARGE", 413),
        ("REQUESTENTITYTOOLARGE", 413),
        ("UNSUPPORTEDMEDIATYPE", 415),
        ("UNPROCESSABLEENTITY", 422),
        ("UNPROCESSABLECONTENT", 422),
        ("TOOMANYREQUESTS", 429),
        ("INTERNALSERVERERROR", 500),
        ("INTERNAL", 500),
        ("SERVERERROR", 500),
        ("NOTIMPLEMENTED", 501),
        ("BADGATEWAY", 502),
        ("SERVICEUNAVAILABLE", 503),
        ("GATEWAYTIMEOUT", 504),
    ];
    NAMES.iter().find(|(n, _)| *n == norm).map(|(_, c)| *c)
}

/// Where a body's status was set before it is sent: `res.status(500)`, `ctx.status = 500`,
/// `res.statusCode = 500` earlier in the same function.
pub fn status_set_before(ast: &Ast, root: &str, node: NodeId) -> Option<NodeId> {
    let func = ast.enclosing_function(node).unwrap_or(crate::ast::ROOT);
    // (where it is set, the status expression): the latest before `node` wins
    let mut best: Option<(NodeId, NodeId)> = None;
    for name in ["status", "code", "writeHead"] {
        let calls = ast.within(func, ast.calls_named(name));
        let before = &calls[..calls.partition_point(|&c| c < node)];
        let found = before.iter().rev().find_map(|&call| {
            let c = ast.call(call)?;
            let same = ast
                .receiver(c)
                .is_some_and(|r| ast.path_of(ast.unwrap_expr(r)).as_deref() == Some(root));
            if same {
                ast.positional(c).next().map(|a| (call, a))
            } else {
                None
            }
        });
        if let Some(f) = found {
            if best.is_none_or(|(b, _)| f.0 > b) {
                best = Some(f);
            }
        }
    }
    for field in ["status", "statusCode", "response.status"] {
        let path = format!("{root}.{field}");
        let assigns = ast.assignments_to_path_in(&path, func);
        let before = &assigns[..assigns.partition_point(|&a| a < node)];
        if let Some(&assign) = before.last() {
            if let Kind::Assign { value: Some(v), .. } = ast.kind(assign) {
                if best.is_none_or(|(b, _)| assign > b) {
                    best = Some((assign, *v));
                }
            }
        }
    }
    best.map(|(_, v)| v)
}

/// The status of `{ status: 500 }` (a fetch `ResponseInit`).
fn init_status(ast: &Ast, init: Option<NodeId>) -> StatusAt {
    match init.and_then(|i| ast.entry(ast.unwrap_expr(i), "status")) {
        Some(e) => StatusAt::Expr(e.value),
        None => StatusAt::Default,
    }
}

/// NestJS HTTP exceptions and their status.
fn nest_exception(name: &str) -> Option<u16> {
    let code = match name {
        "HttpException" => 0,
        "BadRequestException" => 400,
        "UnauthorizedException" => 401,
        "ForbiddenException" => 403,
        "NotFoundException" => 404,
        "MethodNotAllowedException" => 405,
        "NotAcceptableException" => 406,
        "RequestTimeoutException" => 408,
        "ConflictException" => 409,
        "GoneException" => 410,
        "PreconditionFailedException" => 412,
        "PayloadTooLargeException" => 413,
        "UnsupportedMediaTypeException" => 415,
        "ImATeapotException" => 418,
        "UnprocessableEntityException" => 422,
        "InternalServerErrorException" => 500,
        "NotImplementedException" => 501,
        "BadGatewayException" => 502,
        "ServiceUnavailableException" => 503,
        "GatewayTimeoutException" => 504,
        "HttpVersionNotSupportedException" => 505,
        _ => return None,
    };
    Some(code)
}

/// Receivers that are the response object in Express, Next.js API routes and Fastify.
const RES_ROOTS: &[&str] = &["res", "response", "resp", "reply", "rep", "_res"];

/// The response `node` builds, if it builds one.
pub fn response(ast: &Ast, node: NodeId, in_handler: &dyn Fn(NodeId) -> bool) -> Option<Response> {
    let r = shape(ast, node, in_handler)?;
    // `make_response(jsonify(..), 500)`: the outer response is the one reported
    let outer = ast
        .parent(node)
        .filter(|&p| ast.call(p).is_some())
        .and_then(|p| shape(ast, p, in_handler));
    if outer.is_some_and(|o| o.payload.contains(&node)) {
        return None;
    }
    Some(r)
}

fn shape(ast: &Ast, node: NodeId, in_handler: &dyn Fn(NodeId) -> bool) -> Option<Response> {
    match ast.lang {
        Lang::TypeScript => ts_response(ast, node),
        Lang::Python => py_response(ast, node, in_handler),
        Lang::Rust => rs_response(ast, node),
    }
}

fn resp(
    at: NodeId,
    payload: Vec<NodeId>,
    status: StatusAt,
    shape: String,
    family: Family,
) -> Response {
    Response {
        at,
        payload,
        status,
        shape,
        family,
        whole_error: false,
        status_root: None,
        notice: false,
    }
}

fn ts_response(ast: &Ast, node: NodeId) -> Option<Response> {
    if let Kind::Assign {
        target,
        value: Some(v),
        augmented: false,
        ..
    } = ast.kind(node)
    {
        // Koa `ctx.body = ..`
        let path = ast.path_of(*target)?;
        let (root, field) = path.split_once('.')?;
        if !matches!(root, "ctx" | "context" | "this") || !matches!(field, "body" | "response.body")
        {
            return None;
        }
        let mut r = resp(
            node,
            vec![*v],
            StatusAt::SetBefore,
            path.clone(),
            Family::Koa,
        );
        r.status_root = Some(root.to_string());
        return Some(r);
    }
    let c = ast.call(node)?;
    let name = ast.callee_name(c)?;
    let callee_path = ast.path_of(c.callee).unwrap_or_default();
    let args: Vec<NodeId> = ast.positional(c).collect();
    // Next.js / fetch: `NextResponse.json(body, { status })`, `new Response(body, init)`
    if c.is_new && matches!(callee_path.as_str(), "Response" | "NextResponse")
        || matches!(callee_path.as_str(), "Response.json" | "NextResponse.json")
    {
        let body = *args.first()?;
        let shape = if c.is_new {
            format!("new {callee_path}")
        } else {
            callee_path.clone()
        };
        return Some(resp(
            node,
            vec![body],
            init_status(ast, args.get(1).copied()),
            shape,
            Family::Next,
        ));
    }
    if c.is_new {
        // NestJS `new InternalServerErrorException(msg)`, `new HttpException(msg, 500)`
        if let Some(code) = nest_exception(name) {
            let body = *args.first()?;
            let status = if code == 0 {
                args.get(1)
                    .map_or(StatusAt::Default, |&s| StatusAt::Expr(s))
            } else {
                StatusAt::Fixed(code)
            };
            return Some(resp(
                node,
                vec![body],
                status,
                format!("new {name}"),
                Family::Nest,
            ));
        }
        // Hono `new HTTPException(500, { message })`
        if name == "HTTPException" {
            let status = *args.first()?;
            let msg = args.get(1).and_then(|&o| ast.entry(o, "message"))?.value;
            return Some(resp(
                node,
                vec![msg],
                StatusAt::Expr(status),
                "new HTTPException".into(),
                Family::Hono,
            ));
        }
        // tRPC `new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message })`
        if name == "TRPCError" {
            let opts = *args.first()?;
            let msg = ast.entry(opts, "message")?.value;
            let status = ast
                .entry(opts, "code")
                .map_or(StatusAt::Fixed(500), |e| StatusAt::Expr(e.value));
            return Some(resp(
                node,
                vec![msg],
                status,
                "new TRPCError".into(),
                Family::Trpc,
            ));
        }
        return None;
    }
    let recv = ast.receiver(c)?;
    let root = match ast.kind(ast.chain_root(recv)) {
        Kind::Name(n) => n.clone(),
        Kind::Member { .. } => ast.path_of(ast.chain_root(recv))?,
        _ => return None,
    };
    let root_name = root.as_str();
    // Koa `ctx.throw(500, msg)` / `ctx.throw(msg, 500)`
    if name == "throw" && matches!(root_name, "ctx" | "context" | "this") {
        let mut status = StatusAt::Default;
        let mut payload = Vec::new();
        for &a in &args {
            let is_status = matches!(ast.kind(a), Kind::Number(_))
                || ast
                    .path_of(a)
                    .is_some_and(|p| status_name(&p).is_some() && p.contains('.'));
            if is_status && status == StatusAt::Default {
                status = StatusAt::Expr(a);
            } else {
                payload.push(a);
            }
        }
        return Some(resp(
            node,
            payload,
            status,
            format!("{root}.throw"),
            Family::Koa,
        ));
    }
    // connect-flash `req.flash('error', msg)`: shown on the next page
    if name == "flash" && matches!(root_name, "req" | "request") && args.len() >= 2 {
        let mut r = resp(
            node,
            args[1..].to_vec(),
            StatusAt::Default,
            format!("{root}.flash"),
            Family::Express,
        );
        r.notice = true;
        return Some(r);
    }
    if RES_ROOTS.contains(&root_name) || root_name.ends_with(".res") {
        if !matches!(name, "json" | "send" | "end" | "write" | "jsonp" | "render") {
            return None;
        }
        let payload: Vec<NodeId> = if name == "render" {
            args.iter().skip(1).copied().collect()
        } else {
            args.clone()
        };
        if payload.is_empty() {
            return None;
        }
        // `res.status(500).json(..)`, `reply.code(500).send(..)`
        let chain = ast.call_chain(node);
        let in_chain = chain.iter().rev().skip(1).find_map(|&k| {
            let kc = ast.call(k)?;
            matches!(ast.callee_name(kc), Some("status" | "code" | "writeHead"))
                .then(|| ast.positional(kc).next())
                .flatten()
        });
        let status = in_chain.map_or(StatusAt::SetBefore, StatusAt::Expr);
        let family = if matches!(root_name, "reply" | "rep") {
            Family::Fastify
        } else {
            Family::Express
        };
        let mut r = resp(node, payload, status, format!("{root}.{name}"), family);
        r.status_root = Some(root.clone());
        return Some(r);
    }
    // Hono `c.json(body, 500)`, `c.text(msg, 500)`
    if matches!(root_name, "c" | "ctx" | "context")
        && matches!(name, "json" | "text" | "html" | "body")
        && ast.chain_root(recv) == ast.unwrap_expr(recv)
    {
        let body = *args.first()?;
        let status = args
            .get(1)
            .map_or(StatusAt::Default, |&s| StatusAt::Expr(s));
        return Some(resp(
            node,
            vec![body],
            status,
            format!("{root}.{name}"),
            Family::Hono,
        ));
    }
    // hapi `h.response(body).code(500)`
    if root_name == "h" && name == "response" {
        let body = *args.first()?;
        let status = ast
            .parent(node)
            .and_then(|m| match ast.kind(m) {
                Kind::Member { property, .. } if property == "code" => ast.parent(m),
                _ => None,
            })
            .and_then(|outer| ast.call(outer).and_then(|oc| ast.positional(oc).next()))
            .map_or(StatusAt::Default, StatusAt::Expr);
        return Some(resp(
            node,
            vec![body],
            status,
            "h.response".into(),
            Family::Express,
        ));
    }
    None
}

/// Python keyword arguments that carry a response's body.
const PY_BODY_KWARGS: &[&str] = &[
    "data",
    "content",
    "body",
    "text",
    "detail",
    "description",
    "message",
    "context",
    "response",
];

fn py_response(ast: &Ast, node: NodeId, in_handler: &dyn Fn(NodeId) -> bool) -> Option<Response> {
    if let Kind::Return(Some(v)) = ast.kind(node) {
        return py_return(ast, node, *v, in_handler);
    }
    let c = ast.call(node)?;
    let path = ast.path_of(c.callee)?;
    let name = path.rsplit('.').next().unwrap_or(&path);
    let args: Vec<NodeId> = ast.positional(c).collect();
    let kw = |k: &str| ast.kwarg(c, k);
    let kw_status = kw("status")
        .or_else(|| kw("status_code"))
        .or_else(|| kw("code"));
    let body_kwargs: Vec<NodeId> = c
        .args
        .iter()
        .filter(|a| {
            a.name
                .as_deref()
                .is_some_and(|n| PY_BODY_KWARGS.contains(&n))
        })
        .map(|a| a.value)
        .collect();
    let tuple_status = || tuple_status(ast, node);
    let (payload, status, family) = match name {
        "jsonify" => {
            let payload: Vec<NodeId> = c.args.iter().map(|a| a.value).collect();
            (
                payload,
                tuple_status().unwrap_or(StatusAt::Default),
                Family::Flask,
            )
        }
        "render_template" | "render_template_string" => {
            let payload: Vec<NodeId> = c
                .args
                .iter()
                .skip(1)
                .filter(|a| a.name.as_deref() != Some("status"))
                .map(|a| a.value)
                .collect();
            (
                payload,
                tuple_status().unwrap_or(StatusAt::Default),
                Family::Flask,
            )
        }
        "make_response" => {
            let body = *args.first()?;
            let status = args
                .get(1)
                .map(|&s| StatusAt::Expr(s))
                .or_else(tuple_status)
                .unwrap_or(StatusAt::Default);
            (vec![body], status, Family::Flask)
        }
        "abort" if path == "abort" || path == "flask.abort" => {
            let status = *args.first()?;
            let mut payload: Vec<NodeId> = args.iter().skip(1).copied().collect();
            payload.extend(body_kwargs);
            (payload, StatusAt::Expr(status), Family::Flask)
        }
        // Django `messages.error(request, msg)`, Flask `flash(msg)`: shown on the next page
        "error" | "warning" | "info" | "add_message"
            if path.starts_with("messages.") && args.len() >= 2 =>
        {
            let at = if name == "add_message" { 2 } else { 1 };
            (
                args.iter().skip(at).copied().collect(),
                StatusAt::Default,
                Family::Django,
            )
        }
        "flash" if path == "flash" || path == "flask.flash" => (
            args.first().copied().into_iter().collect(),
            StatusAt::Default,
            Family::Flask,
        ),
        "render" | "TemplateResponse" => {
            let skip = if name == "render" { 2 } else { 1 };
            let mut payload: Vec<NodeId> = args.iter().skip(skip).copied().collect();
            payload.extend(body_kwargs);
            let status = kw_status.map_or(StatusAt::Default, StatusAt::Expr);
            (payload, status, Family::Django)
        }
        "HTTPException" => {
            // FastAPI/Starlette `HTTPException(status_code, detail)`
            let status = kw_status
                .or_else(|| args.first().copied())
                .map_or(StatusAt::Default, StatusAt::Expr);
            let mut payload = body_kwargs;
            if kw_status.is_none() {
                payload.extend(args.iter().skip(1));
            } else {
                payload.extend(args.iter());
            }
            (payload, status, Family::FastApi)
        }
        "APIException" => {
            let mut payload = body_kwargs;
            payload.extend(args.first());
            (payload, StatusAt::Fixed(500), Family::Drf)
        }
        "json_response" => {
            let mut payload = body_kwargs;
            payload.extend(args.first());
            (
                payload,
                kw_status.map_or(StatusAt::Default, StatusAt::Expr),
                Family::Aiohttp,
            )
        }
        "Response"
        | "JsonResponse"
        | "HttpResponse"
        | "JSONResponse"
        | "PlainTextResponse"
        | "HTMLResponse"
        | "ORJSONResponse"
        | "UJSONResponse"
        | "StreamingHttpResponse" => {
            let mut payload = body_kwargs;
            payload.extend(args.first());
            let status = kw_status
                .map(StatusAt::Expr)
                .or_else(|| {
                    args.get(1)
                        .filter(|&&s| status_expr_like(ast, s))
                        .map(|&s| StatusAt::Expr(s))
                })
                .or_else(tuple_status)
                .unwrap_or(StatusAt::Default);
            let family = match name {
                "JsonResponse" | "HttpResponse" | "StreamingHttpResponse" => Family::Django,
                "Response" if path.starts_with("web.") => Family::Aiohttp,
                "Response" => Family::Drf,
                _ => Family::FastApi,
            };
            (payload, status, family)
        }
        n if n.starts_with("HttpResponse") => {
            // Django `HttpResponseServerError(content)`
            let code = status_name(&n["HttpResponse".len()..])?;
            let mut payload = body_kwargs;
            payload.extend(args.first());
            (payload, StatusAt::Fixed(code), Family::Django)
        }
        n if n.starts_with("HTTP") && path.starts_with("web.") => {
            // aiohttp `web.HTTPInternalServerError(text=..)`
            let code = status_name(n)?;
            (body_kwargs, StatusAt::Fixed(code), Family::Aiohttp)
        }
        _ => return None,
    };
    if payload.is_empty() {
        return None;
    }
    let mut r = resp(node, payload, status, path.clone(), family);
    r.notice = matches!(name, "error" | "warning" | "info" | "add_message" | "flash");
    Some(r)
}

/// Whether a positional argument looks like a status: a number or a status constant.
fn status_expr_like(ast: &Ast, id: NodeId) -> bool {
    match ast.kind(id) {
        Kind::Number(_) => true,
        _ => ast.path_of(id).is_some_and(|p| status_name(&p).is_some()),
    }
}

/// For a call that is the first element of a returned tuple (`return jsonify(..), 500`): the
/// tuple's status.
fn tuple_status(ast: &Ast, call: NodeId) -> Option<StatusAt> {
    let p = ast.parent(call)?;
    let Kind::Array(items) = ast.kind(p) else {
        return None;
    };
    if items.first() != Some(&call)
        || !matches!(ast.parent(p).map(|r| ast.kind(r)), Some(Kind::Return(_)))
    {
        return None;
    }
    items.get(1).map(|&s| StatusAt::Expr(s))
}

/// A Flask/FastAPI handler's `return body, 500` or `return {"error": ..}`.
fn py_return(
    ast: &Ast,
    node: NodeId,
    value: NodeId,
    in_handler: &dyn Fn(NodeId) -> bool,
) -> Option<Response> {
    let func = ast.enclosing_function(node)?;
    if !in_handler(func) {
        return None;
    }
    let (body, status) = match ast.kind(value) {
        Kind::Array(items) if items.len() >= 2 => {
            let body = items[0];
            (body, StatusAt::Expr(items[1]))
        }
        Kind::Object { .. } | Kind::Str(_) => (value, StatusAt::Default),
        Kind::Call(c) if matches!(ast.callee_name(c), Some("str" | "repr")) => {
            (value, StatusAt::Default)
        }
        _ => return None,
    };
    // `return jsonify(..), 500`: the call is the response
    if ast.call(ast.unwrap_expr(body)).is_some_and(|c| {
        matches!(
            ast.callee_name(c),
            Some(
                "jsonify"
                    | "make_response"
                    | "render_template"
                    | "Response"
                    | "JsonResponse"
                    | "JSONResponse"
            )
        )
    }) {
        return None;
    }
    Some(resp(
        node,
        vec![body],
        status,
        "return".into(),
        Family::Flask,
    ))
}

/// actix-web builders named for their status (`HttpResponse::InternalServerError()`).
fn rs_response(ast: &Ast, node: NodeId) -> Option<Response> {
    match ast.kind(node) {
        // axum `(StatusCode::INTERNAL_SERVER_ERROR, body)`, rocket `(Status::InternalServerError, body)`
        Kind::Array(items) if items.len() >= 2 => {
            let first = items[0];
            let path = match ast.kind(first) {
                Kind::Name(n) => n.clone(),
                Kind::Call(c) if ast.callee_name(c) == Some("from_u16") => {
                    let arg = ast.positional(c).next()?;
                    let _ = arg;
                    "StatusCode::from_u16".to_string()
                }
                _ => return None,
            };
            let is_status = path.contains("StatusCode::")
                || path.starts_with("Status::")
                || path.contains("::Status::");
            if !is_status {
                return None;
            }
            let status = match ast.call(first) {
                Some(c) => ast
                    .positional(c)
                    .next()
                    .map_or(StatusAt::Default, StatusAt::Expr),
                None => StatusAt::Expr(first),
            };
            let family = if path.contains("StatusCode") {
                Family::Axum
            } else {
                Family::Rocket
            };
            let shape = format!("({path}, ..)");
            Some(resp(node, items[1..].to_vec(), status, shape, family))
        }
        Kind::Call(c) => {
            let name = ast.callee_name(c)?;
            let args: Vec<NodeId> = ast.positional(c).collect();
            // `.map_err(ErrorInternalServerError)`
            if name == "map_err" {
                let f = *args.first()?;
                let p = ast.path_of(f)?;
                let last = p.rsplit("::").next().unwrap_or(&p);
                let code = last.strip_prefix("Error").and_then(status_name)?;
                let mut r = resp(
                    node,
                    vec![f],
                    StatusAt::Fixed(code),
                    format!("map_err({last})"),
                    Family::Actix,
                );
                r.whole_error = true;
                return Some(r);
            }
            // actix `ErrorInternalServerError(e)`
            if let Some(rest) = name.strip_prefix("Error") {
                if matches!(ast.kind(c.callee), Kind::Name(_)) && !c.is_macro {
                    let code = status_name(rest)?;
                    let body = *args.first()?;
                    return Some(resp(
                        node,
                        vec![body],
                        StatusAt::Fixed(code),
                        name.to_string(),
                        Family::Actix,
                    ));
                }
            }
            // rocket `status::Custom(Status::InternalServerError, body)`
            if name == "Custom" && args.len() == 2 {
                return Some(resp(
                    node,
                    vec![args[1]],
                    StatusAt::Expr(args[0]),
                    "status::Custom".into(),
                    Family::Rocket,
                ));
            }
            // actix `HttpResponse::InternalServerError().body(..)`, axum/hyper
            // `Response::builder().status(..).body(..)`
            if !matches!(name, "body" | "json" | "text" | "html") {
                return None;
            }
            let body = *args.first()?;
            let chain = ast.call_chain(node);
            let first = *chain.first()?;
            let fc = ast.call(first)?;
            let root = ast.path_of(fc.callee)?;
            if let Some(builder) = root.strip_prefix("HttpResponse::") {
                let status = match builder {
                    "build" => ast
                        .positional(fc)
                        .next()
                        .map_or(StatusAt::Default, StatusAt::Expr),
                    b => StatusAt::Fixed(status_name(b)?),
                };
                return Some(resp(
                    node,
                    vec![body],
                    status,
                    format!("{root}()"),
                    Family::Actix,
                ));
            }
            if root.ends_with("Response::builder") || root.ends_with("Builder::new") {
                let status = chain.iter().find_map(|&k| {
                    let kc = ast.call(k)?;
                    (ast.callee_name(kc) == Some("status"))
                        .then(|| ast.positional(kc).next())
                        .flatten()
                })?;
                return Some(resp(
                    node,
                    vec![body],
                    StatusAt::Expr(status),
                    "Response::builder()".into(),
                    Family::Axum,
                ));
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names() {
        assert_eq!(status_name("StatusCode::INTERNAL_SERVER_ERROR"), Some(500));
        assert_eq!(
            status_name("status.HTTP_500_INTERNAL_SERVER_ERROR"),
            Some(500)
        );
        assert_eq!(status_name("HttpStatus.BAD_REQUEST"), Some(400));
        assert_eq!(status_name("InternalServerError"), Some(500));
        assert_eq!(status_name("HTTPStatus.UNPROCESSABLE_ENTITY"), Some(422));
        assert_eq!(
            status_name("HttpResponseServerError"["HttpResponse".len()..].as_ref()),
            Some(500)
        );
        assert_eq!(status_name("Redirect"), None);
        assert_eq!(status_name("HTTPInternalServerError"), Some(500));
        assert_eq!(status_name("BAD_GATEWAY"), Some(502));
    }
}
