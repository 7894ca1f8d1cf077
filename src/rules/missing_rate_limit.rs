//! `missing-rate-limit`: an authentication endpoint (login, sign-up, password reset, token,
//! one-time code, magic link, verification) with no rate limit on the route, its router or the
//! app.
//!
//! Reported once per route: for frameworks that register routes by call (Express, Koa, Fastify,
//! Hono, aiohttp, axum, actix `.route`, Django `path()` to a library's login view) at the
//! registration; for decorator and attribute frameworks (Flask, FastAPI, Django and DRF views,
//! NestJS, Next.js route handlers, Rocket, actix `#[post]`) at the handler's `def`/method/`fn`
//! line, or the view class line. Routes only `GET` reaches (the page with the form) are not
//! reported. What counts as an authentication endpoint and as a limiter is in
//! [`crate::knowledge::rate_limit`]; a limiter applied app-wide or to a path prefix in another
//! file is settled on the project index with a [`Condition::NoRateLimit`]. A limit enforced
//! outside the code (a reverse proxy, an API gateway) cannot be seen, so the message says "no
//! rate limit is visible in the code".

use crate::ast::{Ast, Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::knowledge::rate_limit::{
    self as rl, auth_kind, body_limits, checks_password, is_limiter_expr, names_limiter,
    path_auth_kind, requires_signed_in, skips_limiter, subtree_limits, AuthKind, RouteCheck,
};
use crate::source::Span;

pub struct MissingRateLimit;

pub const ID: &str = "missing-rate-limit";

impl Rule for MissingRateLimit {
    fn id(&self) -> &'static str {
        ID
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Function, KindTag::Class]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let found = match (cx.ast.kind(node), cx.ast.lang) {
            (Kind::Call(_), Lang::TypeScript) => ts_registration(cx, node),
            (Kind::Call(_), Lang::Python) => py_registration(cx, node),
            (Kind::Call(_), Lang::Rust) => rs_registration(cx, node),
            (Kind::Function(_), Lang::Python) => py_view(cx, node),
            (Kind::Function(_), Lang::TypeScript) => ts_handler(cx, node),
            (Kind::Function(_), Lang::Rust) => rs_handler(cx, node),
            (Kind::Class(_), Lang::Python) => py_class_view(cx, node),
            _ => None,
        };
        if let Some(r) = found {
            report(cx, r);
        }
    }
}

/// An authentication route found with no limiter in its own file.
struct Route {
    at: Span,
    kind: AuthKind,
    /// `POST /login`, `view \`login\``, for the message.
    what: String,
    fix: &'static str,
    check: RouteCheck,
}

fn report(cx: &mut Ctx, r: Route) {
    let message = format!(
        "{} {} has no rate limit visible in the code (route, router or app), {}: {}",
        r.kind.noun(),
        r.what,
        r.kind.abuse(),
        r.fix
    );
    let f = cx
        .finding(r.at, message)
        .help(
            "limit failed attempts per client and per account; if a reverse proxy or gateway \
             already limits this path, suppress the finding with a comment saying so",
        )
        .condition(Condition::NoRateLimit(r.check));
    cx.emit(f);
}

/// The first line of a handler's signature.
fn head_line(cx: &Ctx, head: Span) -> Span {
    let line = cx.file.line_index(head.start);
    let end = cx.file.line_start(line) as usize + cx.file.line_text(line).len();
    Span::new(
        head.start as usize,
        end.min(head.end as usize).max(head.start as usize),
    )
}

fn check(cx: &Ctx, path: Option<&str>, on_app: bool) -> RouteCheck {
    RouteCheck {
        module: cx.facts.module.clone(),
        path: path.map(str::to_string),
        on_app,
        drf: false,
        opted_out: false,
        handler: None,
    }
}

/// Whether a handler's parameters say a signed-in user calls it (`current_user: CurrentUser`,
/// `Depends(get_current_user)`, Rust `headers: Headers`, `user: AuthUser`).
fn params_signed_in(cx: &Ctx, func: NodeId) -> bool {
    let Some(f) = cx.ast.function(func) else {
        return false;
    };
    f.params.iter().any(|p| {
        p.ty.as_deref().is_some_and(requires_signed_in)
            || p.default
                .is_some_and(|d| short_text(cx, d).is_some_and(requires_signed_in))
            || p.decorators.iter().any(|d| requires_signed_in(d))
    })
}

/// The source text of a short expression (a middleware, a decorator, a dependency).
fn short_text<'a>(cx: &Ctx<'a>, id: NodeId) -> Option<&'a str> {
    let t = cx.text(id);
    (t.len() <= 160).then_some(t)
}

/// Whether a decorator (other than the route's own) says a signed-in user calls the handler.
fn decorator_signed_in(cx: &Ctx, d: &crate::ast::Decorator) -> bool {
    requires_signed_in(&d.name)
        || d.node
            .and_then(|n| short_text(cx, n))
            .is_some_and(requires_signed_in)
        || requires_signed_in(&d.args)
}

fn handler_limits(cx: &Ctx, func: NodeId) -> bool {
    body_limits(
        cx.ast,
        &cx.facts.imports,
        &cx.facts.rate_limit.limiting,
        func,
    )
}

/// A handler argument that names a function of another module (`handlers.login` with
/// `handlers` imported, `authController.login`, `asyncHandler(login())`): (module, name).
fn handler_ref(cx: &Ctx, arg: NodeId) -> Option<(String, String)> {
    let ast = cx.ast;
    let a = ast.unwrap_expr(arg);
    let (module, name) = match ast.kind(a) {
        Kind::Call(c) => {
            return match ast.kind(ast.unwrap_expr(c.callee)) {
                Kind::Name(_) | Kind::Member { .. } => handler_ref(cx, c.callee),
                _ => None,
            }
            .or_else(|| ast.positional(c).last().and_then(|x| handler_ref(cx, x)));
        }
        Kind::Member { object, property } => {
            let Kind::Name(o) = ast.kind(ast.unwrap_expr(*object)) else {
                return None;
            };
            (cx.facts.imports.get(o)?.to_string(), property.clone())
        }
        Kind::Name(n) => {
            let q = cx.facts.imports.get(n)?;
            let (m, name) = q.rsplit_once(['.', ':'])?;
            (m.trim_end_matches(':').to_string(), name.to_string())
        }
        _ => return None,
    };
    Some((
        crate::imports::normalise_module(&cx.file.path, &module),
        name,
    ))
}

/// The function a handler argument refers to in this file (`login`, `authController.login`
/// only when `login` is defined here).
fn local_function(cx: &Ctx, arg: NodeId) -> Option<NodeId> {
    let a = cx.ast.unwrap_expr(arg);
    if cx.ast.function(a).is_some() {
        return Some(a);
    }
    let name = match cx.ast.kind(a) {
        Kind::Name(n) => n.rsplit("::").next().unwrap_or(n).to_string(),
        _ => return None,
    };
    cx.facts.function_named(&name).map(|f| f.node)
}

/// The name a handler argument gives (`login`, `sessionHandler.handleLoginRequest`,
/// `login()`, `utils.asyncHandler(resetPassword())`), innermost call first.
fn handler_name(ast: &Ast, arg: NodeId) -> Option<String> {
    let a = ast.unwrap_expr(arg);
    match ast.kind(a) {
        Kind::Name(_) | Kind::Member { .. } => ast.path_of(a),
        Kind::Call(c) => {
            // `asyncHandler(login())`: the wrapped handler names the route
            if let Some(inner) = ast.positional(c).last() {
                if let Some(n) = handler_name(ast, inner) {
                    return Some(n);
                }
            }
            ast.path_of(c.callee)
        }
        _ => None,
    }
}

// --- TypeScript / JavaScript ----------------------------------------------------------------

const WRITE_METHODS: &[&str] = &["post", "put", "patch", "all"];
/// Calls in a router chain that apply middleware to the routes around them.
const CHAIN_APPLY: &[&str] = &[
    "use",
    "layer",
    "route_layer",
    "wrap",
    "wrap_fn",
    "middleware",
    "guard",
    "with",
];

fn js_framework(cx: &Ctx) -> &'static str {
    let i = &cx.facts.imports;
    if i.uses("fastify") {
        "fastify"
    } else if i.uses("koa-router") || i.uses("@koa/router") || i.uses("koa") {
        "koa"
    } else if i.uses("hono") {
        "hono"
    } else {
        "express"
    }
}

fn ts_fix(framework: &str) -> &'static str {
    match framework {
        "fastify" => "register `@fastify/rate-limit` and give the route `config: { rateLimit: { max: 5, timeWindow: '1 minute' } }`",
        "koa" => "add a koa-ratelimit (or rate-limiter-flexible) middleware to the route or the app",
        "hono" => "add a rate-limit middleware (`hono-rate-limiter`, or a rate-limiter-flexible check) to the route",
        "nest" => "apply `@nestjs/throttler`: `@UseGuards(ThrottlerGuard)` with `@Throttle({ default: { limit: 5, ttl: 60000 } })` on the handler, or `ThrottlerGuard` as an `APP_GUARD`",
        "next" => "check a limiter (`@upstash/ratelimit`, rate-limiter-flexible) at the top of the handler or in `middleware.ts`",
        _ => "add an express-rate-limit middleware to the route (`router.post('/login', rateLimit({ windowMs: 15 * 60 * 1000, limit: 10 }), ...)`) or to the app",
    }
}

/// Whether an expression is a route handler argument: a function, a name or member, or a call
/// that makes one (`login()`, `asyncHandler(..)`); not the body of a client request.
fn handler_like(ast: &Ast, arg: NodeId) -> bool {
    matches!(
        ast.kind(ast.unwrap_expr(arg)),
        Kind::Function(_) | Kind::Name(_) | Kind::Member { .. } | Kind::Call(_)
    )
}

fn is_client(recv: &str) -> bool {
    let w = rl::words(recv);
    w.iter().any(|t| {
        [
            "axios",
            "http",
            "https",
            "client",
            "request",
            "agent",
            "superagent",
            "got",
            "ky",
            "fetch",
            "fetcher",
            "supertest",
        ]
        .contains(&t.as_str())
    })
}

fn on_app(ast: &Ast, recv: NodeId) -> bool {
    let Some(p) = ast.path_of(ast.unwrap_expr(recv)) else {
        return false;
    };
    let last = p.rsplit('.').next().unwrap_or(&p).to_ascii_lowercase();
    matches!(last.as_str(), "app" | "server" | "application" | "fastify") || last.ends_with("app")
}

/// Whether a middleware applied along the router chains around `call` limits it
/// (`new Hono().use(limiter).post(..)`, actix `scope("/auth").wrap(limiter).route(..)`, axum
/// `Router::new().route(..).layer(GovernorLayer ..)`).
fn chain_limits(cx: &Ctx, call: NodeId) -> bool {
    let ast = cx.ast;
    std::iter::once(call)
        .chain(ast.ancestors(call))
        .filter(|&a| ast.call(a).is_some())
        .any(|a| {
            ast.call_chain(a).into_iter().any(|link| {
                link != call
                    && ast.call(link).is_some_and(|c| {
                        ast.callee_name(c)
                            .is_some_and(|n| CHAIN_APPLY.contains(&n) || n == "route_layer")
                            && c.args
                                .iter()
                                .any(|x| is_limiter_expr(ast, &cx.facts.imports, x.value))
                    })
            })
        })
}

/// Whether the arguments of a registration limit the route (a limiter middleware, a route
/// option, a handler whose body checks a limiter).
fn args_limit(cx: &Ctx, args: &[NodeId]) -> bool {
    args.iter().any(|&a| {
        let a = cx.ast.unwrap_expr(a);
        if cx.ast.function(a).is_some() {
            return handler_limits(cx, a);
        }
        if is_limiter_expr(cx.ast, &cx.facts.imports, a)
            || subtree_limits(cx.ast, &cx.facts.imports, a)
        {
            return true;
        }
        local_function(cx, a).is_some_and(|f| handler_limits(cx, f))
    })
}

fn ts_registration(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let c = ast.call(node)?;
    let name = ast.callee_name(c)?;
    let recv = ast.receiver(c)?;
    if let Some(p) = ast.path_of(recv) {
        if is_client(&p) {
            return None;
        }
    }
    // Fastify `fastify.route({ method: 'POST', url: '/login', handler })`
    if name == "route" && c.args.len() == 1 {
        let obj = ast.unwrap_expr(c.args[0].value);
        let url = ast.entry(obj, "url").and_then(|e| ast.plain_str(e.value))?;
        let method = ast.entry(obj, "method")?.value;
        let writes = ast.subtree(method).any(|m| {
            ast.plain_str(m)
                .is_some_and(|s| WRITE_METHODS.contains(&s.to_ascii_lowercase().as_str()))
        });
        if !writes {
            return None;
        }
        let handler = ast.entry(obj, "handler").map(|e| e.value);
        let kind = path_auth_kind(url).or_else(|| {
            handler
                .and_then(|h| handler_name(ast, h))
                .and_then(|n| auth_kind(&n))
        })?;
        if subtree_limits(ast, &cx.facts.imports, obj) || chain_limits(cx, node) {
            return None;
        }
        return Some(Route {
            at: cx.call_site(node),
            kind,
            what: format!("`POST {url}`"),
            fix: ts_fix("fastify"),
            check: check(cx, Some(url), on_app(ast, recv)),
        });
    }
    if !WRITE_METHODS.contains(&name) {
        return None;
    }
    let args: Vec<NodeId> = ast.positional(c).collect();
    // `router.route('/login').post(handler)`
    let (path, rest) = match args
        .first()
        .and_then(|&a| ast.plain_str(ast.unwrap_expr(a)))
    {
        Some(p) if p.starts_with('/') => (p.to_string(), &args[1..]),
        _ => {
            let rc = ast.call(ast.unwrap_expr(recv))?;
            if ast.callee_name(rc) != Some("route") {
                return None;
            }
            let p = ast.positional(rc).next().and_then(|a| ast.plain_str(a))?;
            (p.to_string(), &args[..])
        }
    };
    let handler = *rest.last()?;
    if !handler_like(ast, handler) {
        return None;
    }
    let local = local_function(cx, handler);
    let kind = path_auth_kind(&path)
        .or_else(|| handler_name(ast, handler).and_then(|n| auth_kind(&n)))
        .or_else(|| {
            local
                .filter(|&f| checks_password(ast, f))
                .map(|_| AuthKind::Login)
        })?;
    let middleware = &rest[..rest.len() - 1];
    if middleware.iter().any(|&a| {
        cx.ast.function(cx.ast.unwrap_expr(a)).is_none()
            && short_text(cx, a).is_some_and(requires_signed_in)
    }) || local.is_some_and(|f| params_signed_in(cx, f))
    {
        return None;
    }
    if args_limit(cx, rest) || chain_limits(cx, node) {
        return None;
    }
    // one finding per route: `app.post('/api/Users', check1); app.post('/api/Users', check2)`
    // is one route, limited if any of its registrations is
    if let Some(first) = same_route(cx, name, &path, recv, node) {
        if first != node {
            return None;
        }
    }
    let framework = js_framework(cx);
    let mut ch = check(cx, Some(&path), on_app(ast, recv));
    ch.handler = handler_ref(cx, handler);
    Some(Route {
        at: cx.call_site(node),
        kind,
        what: format!("`{} {path}`", name.to_ascii_uppercase()),
        fix: ts_fix(framework),
        check: ch,
    })
}

/// The first registration of the same method and path on the same receiver in this file, or
/// `None` when one of them is limited.
fn same_route(cx: &Ctx, method: &str, path: &str, recv: NodeId, node: NodeId) -> Option<NodeId> {
    let ast = cx.ast;
    let recv_path = ast.path_of(ast.unwrap_expr(recv));
    let mut first = node;
    for &other in ast.calls_named(method) {
        if other == node {
            continue;
        }
        let Some(oc) = ast.call(other) else { continue };
        let same = ast
            .receiver(oc)
            .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
            == recv_path
            && ast
                .positional(oc)
                .next()
                .and_then(|a| ast.plain_str(ast.unwrap_expr(a)))
                == Some(path);
        if !same {
            continue;
        }
        let rest: Vec<NodeId> = ast.positional(oc).skip(1).collect();
        if args_limit(cx, &rest) {
            return None;
        }
        let auth = path_auth_kind(path).is_some()
            || rest
                .last()
                .and_then(|&h| handler_name(ast, h))
                .is_some_and(|n| auth_kind(&n).is_some());
        if auth {
            first = first.min(other);
        }
    }
    Some(first)
}

const NEST_WRITE: &[&str] = &["Post", "Put", "Patch", "All"];

fn ts_handler(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let f = ast.function(node)?;
    match cx.facts.handlers.get(&node).copied() {
        Some("NestJS") => {
            let d = f
                .decorators
                .iter()
                .find(|d| NEST_WRITE.contains(&d.name.as_str()))?;
            let sub = d
                .node
                .and_then(|n| ast.call(n))
                .and_then(|c| ast.positional(c).next())
                .and_then(|a| ast.plain_str(a))
                .unwrap_or("");
            let class = ast.ancestors(node).find_map(|a| match ast.kind(a) {
                Kind::Class(k) => Some(k),
                _ => None,
            });
            let prefix = class
                .and_then(|k| k.decorators.iter().find(|d| d.name == "Controller"))
                .and_then(|d| d.node)
                .and_then(|n| ast.call(n))
                .and_then(|c| ast.positional(c).next())
                .and_then(|a| {
                    ast.plain_str(a)
                        .or_else(|| ast.entry(a, "path").and_then(|e| ast.plain_str(e.value)))
                })
                .unwrap_or("");
            let path = format!("/{}/{}", prefix.trim_matches('/'), sub.trim_matches('/'))
                .replace("//", "/");
            let path = path.trim_end_matches('/').to_string();
            let kind = path_auth_kind(&path).or_else(|| auth_kind(f.name.as_deref()?))?;
            let decorators = f
                .decorators
                .iter()
                .chain(class.into_iter().flat_map(|k| k.decorators.iter()));
            let mut skipped = false;
            for d in decorators.clone() {
                if !NEST_WRITE.contains(&d.name.as_str()) && decorator_signed_in(cx, d) {
                    return None;
                }
            }
            for d in decorators {
                if skips_limiter(&d.name) {
                    skipped = true;
                    continue;
                }
                let limits = names_limiter(&d.name)
                    || d.node
                        .is_some_and(|n| subtree_limits(ast, &cx.facts.imports, n));
                if limits {
                    return None;
                }
            }
            if handler_limits(cx, node) {
                return None;
            }
            let mut c = check(cx, Some(&path), false);
            c.opted_out = skipped;
            Some(Route {
                at: head_line(cx, f.head),
                kind,
                what: format!("`{} {path}`", d.name.to_ascii_uppercase()),
                fix: ts_fix("nest"),
                check: c,
            })
        }
        Some("Next.js") => {
            let method = f
                .name
                .clone()
                .or_else(|| crate::knowledge::http::assigned_name(ast, node));
            if method.as_deref().is_some_and(|m| {
                !["POST", "PUT", "PATCH"].contains(&m) && m.chars().all(|c| c.is_ascii_uppercase())
            }) {
                return None;
            }
            let path = next_route_path(&cx.file.path)?;
            let kind = path_auth_kind(&path)?;
            if handler_limits(cx, node) {
                return None;
            }
            Some(Route {
                at: head_line(cx, f.head),
                kind,
                what: format!("`{}`", path),
                fix: ts_fix("next"),
                check: check(cx, Some(&path), true),
            })
        }
        _ => None,
    }
}

/// `app/api/auth/login/route.ts` -> `/api/auth/login`; `pages/api/login.ts` -> `/api/login`.
fn next_route_path(path: &std::path::Path) -> Option<String> {
    let p = path.to_string_lossy().replace('\\', "/");
    let p = p
        .rsplit_once('.')
        .map_or(p.as_str(), |(a, _)| a)
        .to_string();
    let (start, tail) = if let Some(i) = p.find("pages/api/") {
        (i + "pages".len(), true)
    } else {
        (p.rfind("app/")? + "app".len(), false)
    };
    let mut route = p[start..].to_string();
    if !tail {
        route = route.strip_suffix("/route")?.to_string();
    }
    let segs: Vec<&str> = route
        .split('/')
        .filter(|s| !(s.is_empty() || s.starts_with('(') && s.ends_with(')') || *s == "index"))
        .collect();
    Some(format!("/{}", segs.join("/")))
}

// --- Python ------------------------------------------------------------------------------------

/// Library views that check credentials, by the module they come from; allauth and other
/// libraries that limit their own views are not listed.
const PY_AUTH_LIBRARIES: &[&str] = &[
    "django.contrib.auth",
    "rest_framework.authtoken",
    "rest_framework_simplejwt",
    "dj_rest_auth",
    "rest_auth",
    "djoser",
    "knox",
];

fn py_fix(framework: &str) -> &'static str {
    match framework {
        "flask" => "decorate it with Flask-Limiter's `@limiter.limit(\"5 per minute\")`",
        "fastapi" => "decorate it with slowapi's `@limiter.limit(\"5/minute\")` (or add `dependencies=[Depends(RateLimiter(times=5, seconds=60))]` with fastapi-limiter)",
        "drf" => "set `throttle_classes = [AnonRateThrottle]` (or a `ScopedRateThrottle` with `throttle_scope`) on the view, or `DEFAULT_THROTTLE_CLASSES` in settings",
        "aiohttp" => "check a limiter (aiohttp-ratelimiter, or a rate-limiter counter in Redis) before the credentials are checked",
        "django-urls" => "wrap the view with django-ratelimit (`ratelimit(key=\"ip\", rate=\"5/m\", block=True)(LoginView.as_view())`) or install django-axes",
        _ => "decorate it with django-ratelimit's `@ratelimit(key=\"ip\", rate=\"5/m\", block=True)` or install django-axes",
    }
}

/// HTTP methods a Python route decorator or call lists (`methods=["GET", "POST"]`).
fn py_methods(ast: &Ast, list: NodeId) -> Vec<String> {
    ast.subtree(list)
        .filter_map(|m| ast.plain_str(m).map(|s| s.to_ascii_lowercase()))
        .collect()
}

fn writes(methods: &[String]) -> bool {
    methods
        .iter()
        .any(|m| ["post", "put", "patch", "*"].contains(&m.as_str()))
}

fn py_registration(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let c = ast.call(node)?;
    let name = ast.callee_name(c)?;
    let args: Vec<NodeId> = ast.positional(c).collect();
    let str_at = |i: usize| args.get(i).and_then(|&a| ast.plain_str(ast.unwrap_expr(a)));
    let (path, handler, framework) = match name {
        // aiohttp `app.router.add_route("POST", "/login", views.login)`
        "add_route" if args.len() >= 3 => {
            let m = str_at(0)?.to_ascii_lowercase();
            if !writes(&[m]) {
                return None;
            }
            (str_at(1)?.to_string(), args[2], "aiohttp")
        }
        "add_post" | "add_put" | "add_patch" => (str_at(0)?.to_string(), *args.get(1)?, "aiohttp"),
        // aiohttp `web.post("/login", login)` in `app.add_routes([..])`
        "post" | "put" | "patch"
            if ast.receiver(c).and_then(|r| ast.path_of(r)).as_deref() == Some("web") =>
        {
            (str_at(0)?.to_string(), *args.get(1)?, "aiohttp")
        }
        // Flask `app.add_url_rule("/login", view_func=login, methods=["POST"])`, FastAPI
        // `router.add_api_route("/login", login, methods=["POST"])`
        "add_url_rule" | "add_api_route" => {
            let methods = ast.kwarg(c, "methods").map(|m| py_methods(ast, m));
            if !methods.as_deref().is_some_and(writes) {
                return None;
            }
            let h = ast
                .kwarg(c, "view_func")
                .or_else(|| ast.kwarg(c, "endpoint"))
                .or_else(|| args.get(1).copied())?;
            let fw = if name == "add_url_rule" {
                "flask"
            } else {
                "fastapi"
            };
            (str_at(0)?.to_string(), h, fw)
        }
        "path" | "re_path" | "url" => return django_library_route(cx, node, &args),
        _ => return None,
    };
    if !handler_like(ast, handler) {
        return None;
    }
    let local = local_function(cx, handler);
    let kind =
        path_auth_kind(&path).or_else(|| handler_name(ast, handler).and_then(|n| auth_kind(&n)))?;
    if args_limit(cx, &args[1..]) || local.is_some_and(|f| py_function_limited(cx, f)) {
        return None;
    }
    let mut ch = check(cx, Some(&path), false);
    ch.handler = handler_ref(cx, handler);
    Some(Route {
        at: cx.call_site(node),
        kind,
        what: format!("`{path}`"),
        fix: py_fix(framework),
        check: ch,
    })
}

/// Django `path("login/", auth_views.LoginView.as_view())`, `path("api/token/",
/// TokenObtainPairView.as_view())`, `path("", include("django.contrib.auth.urls"))`: a library's
/// credential-checking view, with no view of the project to report at.
fn django_library_route(cx: &Ctx, node: NodeId, args: &[NodeId]) -> Option<Route> {
    let ast = cx.ast;
    let route = args.first().and_then(|&a| ast.plain_str(a))?;
    let view = ast.unwrap_expr(*args.get(1)?);
    let (qualified, drf) = match ast.kind(view) {
        Kind::Call(vc) => match ast.callee_name(vc)? {
            "as_view" => {
                let q = cx.facts.imports.qualify(ast, ast.receiver(vc)?)?;
                (q, true)
            }
            "include" => {
                let m = ast.positional(vc).next().and_then(|a| ast.plain_str(a))?;
                // `include("django.contrib.auth.urls")` serves LoginView and the reset views
                if !(m.starts_with("django.contrib.auth")
                    || m.starts_with("dj_rest_auth")
                    || m.starts_with("rest_auth")
                    || m.starts_with("djoser"))
                {
                    return None;
                }
                (format!("{m}.login"), true)
            }
            _ => return None,
        },
        Kind::Name(_) | Kind::Member { .. } => (cx.facts.imports.qualify(ast, view)?, true),
        _ => return None,
    };
    let library = PY_AUTH_LIBRARIES.iter().find(|l| {
        qualified == **l
            || qualified
                .strip_prefix(**l)
                .is_some_and(|r| r.starts_with('.'))
    })?;
    let last = qualified.rsplit('.').next().unwrap_or(&qualified);
    let kind = auth_kind(last)
        .or_else(|| path_auth_kind(route))
        .or_else(|| (qualified.ends_with(".urls.login")).then_some(AuthKind::Login))?;
    if subtree_limits(ast, &cx.facts.imports, view) {
        return None;
    }
    let drf = drf && !library.starts_with("django.contrib");
    let shown = if route.is_empty() {
        "/".to_string()
    } else {
        route.to_string()
    };
    let mut ch = check(cx, Some(route), false);
    ch.drf = drf;
    Some(Route {
        at: cx.call_site(node),
        kind,
        what: format!("`{shown}` (`{last}` of `{library}`)"),
        fix: py_fix(if drf { "drf" } else { "django-urls" }),
        check: ch,
    })
}

/// Decorators, a body or a helper of the file that limit a Python view function.
fn py_function_limited(cx: &Ctx, func: NodeId) -> bool {
    let Some(f) = cx.ast.function(func) else {
        return false;
    };
    f.decorators.iter().any(|d| {
        !skips_limiter(&d.name)
            && (names_limiter(&d.name)
                || d.node
                    .is_some_and(|n| subtree_limits(cx.ast, &cx.facts.imports, n)))
    }) || handler_limits(cx, func)
}

fn py_skips(f: &crate::ast::Function) -> bool {
    f.decorators.iter().any(|d| skips_limiter(&d.name))
}

/// Python view bases that mark a class as a DRF view.
fn drf_base(b: &str) -> bool {
    let last = b.rsplit('.').next().unwrap_or(b);
    last.ends_with("APIView")
        || last.ends_with("ViewSet")
        || last == "ObtainAuthToken"
        || last.starts_with("Token")
        || b.contains("rest_framework")
        || ["LoginView", "RegisterView", "PasswordResetView"].contains(&last)
            && b.contains("rest_auth")
}

fn py_view(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let f = ast.function(node)?;
    let framework = cx.facts.handlers.get(&node).copied()?;
    let name = f.name.as_deref()?;
    // route decorators: `@app.post("/login")`, `@bp.route("/login", methods=[..])`
    let route = f.decorators.iter().find_map(|d| {
        let last = d.name.rsplit('.').next().unwrap_or(&d.name);
        let call = d.node.and_then(|n| ast.call(n))?;
        if !d.name.contains('.')
            || ![
                "route",
                "get",
                "post",
                "put",
                "patch",
                "api_route",
                "delete",
            ]
            .contains(&last)
        {
            return None;
        }
        let path = ast
            .positional(call)
            .find_map(|a| ast.plain_str(a))?
            .to_string();
        let methods: Vec<String> = match last {
            "route" | "api_route" => ast
                .kwarg(call, "methods")
                .map(|m| py_methods(ast, m))
                .unwrap_or_else(|| vec!["get".into()]),
            m => vec![m.to_string()],
        };
        Some((path, methods))
    });
    let in_class = ast
        .ancestors(node)
        .find(|&a| matches!(ast.kind(a), Kind::Class(_) | Kind::Function(_)));
    let (path, fw, drf) = match route {
        Some((path, methods)) => {
            if !writes(&methods) {
                return None;
            }
            let fw = if framework == "Flask" {
                "flask"
            } else if cx.facts.imports.uses("aiohttp") {
                "aiohttp"
            } else {
                "fastapi"
            };
            (Some(path), fw, false)
        }
        None => {
            if in_class.is_some_and(|a| matches!(ast.kind(a), Kind::Class(_))) {
                // methods of a view class: the class is reported, or an `@action` of a viewset
                return viewset_action(cx, node, f);
            }
            // a function registered by a call (`add_url_rule`, aiohttp `add_post`) is reported
            // at its registration; an aiohttp handler only when its body alone says it logs in
            if framework == "Python web"
                || framework == "aiohttp"
                    && (auth_kind(name).is_some() || !checks_password(ast, node))
            {
                return None;
            }
            if !matches!(framework, "Django" | "aiohttp") {
                return None;
            }
            let api_view = f.decorators.iter().find(|d| d.name.ends_with("api_view"));
            let methods: Option<Vec<String>> = if let Some(d) = api_view {
                Some(
                    d.node
                        .and_then(|n| ast.call(n))
                        .map(|c| {
                            c.args
                                .iter()
                                .flat_map(|a| py_methods(ast, a.value))
                                .collect()
                        })
                        .unwrap_or_else(|| vec!["get".into()]),
                )
            } else if f
                .decorators
                .iter()
                .any(|d| d.name.ends_with("require_POST"))
            {
                Some(vec!["post".into()])
            } else if f
                .decorators
                .iter()
                .any(|d| d.name.ends_with("require_GET") || d.name.ends_with("require_safe"))
            {
                return None;
            } else {
                f.decorators
                    .iter()
                    .find(|d| d.name.ends_with("require_http_methods"))
                    .and_then(|d| d.node)
                    .map(|n| py_methods(ast, n))
            };
            match methods {
                Some(m) if !writes(&m) => return None,
                Some(_) => {}
                // any method reaches it: it must read a submitted form or check a password
                None if !reads_submission(ast, node) => return None,
                None => {}
            }
            let fw = if api_view.is_some() {
                "drf"
            } else if framework == "aiohttp" || cx.facts.imports.uses("aiohttp") {
                "aiohttp"
            } else {
                "django"
            };
            (None, fw, api_view.is_some())
        }
    };
    let kind = path
        .as_deref()
        .and_then(path_auth_kind)
        .or_else(|| auth_kind(name))
        .or_else(|| {
            (checks_password(ast, node) && names_no_management(name)).then_some(AuthKind::Login)
        })?;
    if py_signed_in(cx, node) || py_function_limited(cx, node) {
        return None;
    }
    let mut c = check(cx, path.as_deref(), false);
    c.drf = drf;
    c.opted_out = py_skips(f);
    Some(Route {
        at: head_line(cx, f.head),
        kind,
        what: match &path {
            Some(p) => format!("`{p}`"),
            None => format!("view `{name}`"),
        },
        fix: py_fix(fw),
        check: c,
    })
}

/// Whether a Python view is only for signed-in users: a decorator (`@login_required`, a route's
/// `dependencies=[Depends(get_current_active_superuser)]`) or a parameter says so.
fn py_signed_in(cx: &Ctx, func: NodeId) -> bool {
    let Some(f) = cx.ast.function(func) else {
        return false;
    };
    params_signed_in(cx, func)
        || f.decorators.iter().any(|d| {
            let last = d.name.rsplit('.').next().unwrap_or(&d.name);
            let route = d.name.contains('.')
                && [
                    "route",
                    "get",
                    "post",
                    "put",
                    "patch",
                    "api_route",
                    "delete",
                ]
                .contains(&last);
            if route {
                d.node
                    .and_then(|n| cx.ast.call(n))
                    .and_then(|c| cx.ast.kwarg(c, "dependencies"))
                    .and_then(|v| short_text(cx, v))
                    .is_some_and(requires_signed_in)
            } else {
                decorator_signed_in(cx, d)
            }
        })
}

/// A handler name that is no account management (`update_password_me`, `change_password`):
/// a password check there confirms a signed-in user, it is no login.
fn names_no_management(name: &str) -> bool {
    let w = rl::words(name);
    !w.iter().any(|t| {
        [
            "change", "update", "edit", "set", "delete", "remove", "me", "profile", "settings",
            "confirm",
        ]
        .contains(&t.as_str())
    })
}

/// Whether a view that any method reaches handles submitted data: it reads `request.POST`,
/// `request.data`, `request.form`, `request.json`, awaits `request.post()`, branches on
/// `request.method`, or checks a password.
fn reads_submission(ast: &Ast, func: NodeId) -> bool {
    ast.subtree(func).any(|id| match ast.kind(id) {
        Kind::Member { object, property } => {
            matches!(
                property.as_str(),
                "POST" | "data" | "form" | "json" | "method" | "body" | "get_json" | "post"
            ) && matches!(ast.kind(*object), Kind::Name(n) if n == "request" || n == "req")
        }
        _ => false,
    }) || checks_password(ast, func)
}

/// A DRF viewset's `@action(detail=False, methods=["post"]) def login(..)`.
fn viewset_action(cx: &Ctx, node: NodeId, f: &crate::ast::Function) -> Option<Route> {
    let ast = cx.ast;
    let class = ast
        .ancestors(node)
        .find(|&a| matches!(ast.kind(a), Kind::Class(_)))?;
    let Kind::Class(k) = ast.kind(class) else {
        return None;
    };
    // the class itself is an authentication view: reported at the class line
    if auth_kind(&k.name).is_some() {
        return None;
    }
    let d = f.decorators.iter().find(|d| d.name.ends_with("action"))?;
    let call = d.node.and_then(|n| ast.call(n))?;
    let methods = ast.kwarg(call, "methods").map(|m| py_methods(ast, m))?;
    if !writes(&methods) {
        return None;
    }
    let path = ast.kwarg(call, "url_path").and_then(|p| ast.plain_str(p));
    let name = f.name.as_deref()?;
    let kind = path.and_then(path_auth_kind).or_else(|| auth_kind(name))?;
    let permission = ast
        .kwarg(call, "permission_classes")
        .and_then(|v| short_text(cx, v))
        .is_some_and(requires_signed_in);
    if permission || py_signed_in(cx, node) || class_signed_in(cx, class) {
        return None;
    }
    if py_function_limited(cx, node) || class_limited(cx, class) {
        return None;
    }
    let mut c = check(cx, None, false);
    c.drf = true;
    c.opted_out = class_opted_out(ast, class) || py_skips(f);
    Some(Route {
        at: head_line(cx, f.head),
        kind,
        what: format!("action `{}.{name}`", k.name),
        fix: py_fix("drf"),
        check: c,
    })
}

/// A class-level limiter: `throttle_classes = [..]`, `throttle_scope = ".."`, a limiter
/// decorator on the class (`@method_decorator(ratelimit(..), name="post")`), a limiter mixin,
/// or a limited `post`/`dispatch`/`create`.
fn class_limited(cx: &Ctx, class: NodeId) -> bool {
    let ast = cx.ast;
    let Kind::Class(k) = ast.kind(class) else {
        return false;
    };
    if k.bases.iter().any(|b| names_limiter(b))
        || k.decorators.iter().any(|d| {
            names_limiter(&d.name)
                || d.node
                    .is_some_and(|n| subtree_limits(ast, &cx.facts.imports, n))
        })
    {
        return true;
    }
    k.body.iter().any(|&s| match ast.kind(s) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } => match ast.path_of(*target).as_deref() {
            Some("throttle_classes") => {
                !matches!(ast.kind(*v), Kind::Array(items) if items.is_empty())
            }
            Some("throttle_scope") => true,
            _ => false,
        },
        Kind::Function(f) => {
            matches!(
                f.name.as_deref(),
                Some("post" | "dispatch" | "create" | "form_valid")
            ) && py_function_limited(cx, s)
        }
        _ => false,
    })
}

/// A view class only for signed-in users: `permission_classes = [IsAuthenticated]`, a
/// `LoginRequiredMixin` base, `@method_decorator(login_required, ..)`.
fn class_signed_in(cx: &Ctx, class: NodeId) -> bool {
    let ast = cx.ast;
    let Kind::Class(k) = ast.kind(class) else {
        return false;
    };
    k.bases.iter().any(|b| requires_signed_in(b))
        || k.decorators.iter().any(|d| decorator_signed_in(cx, d))
        || k.body.iter().any(|&s| match ast.kind(s) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } => {
                ast.path_of(*target).as_deref() == Some("permission_classes")
                    && short_text(cx, *v).is_some_and(requires_signed_in)
            }
            _ => false,
        })
}

/// `throttle_classes = []`: the project's default throttles do not apply to the view.
fn class_opted_out(ast: &Ast, class: NodeId) -> bool {
    let Kind::Class(k) = ast.kind(class) else {
        return false;
    };
    k.body.iter().any(|&s| match ast.kind(s) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } => {
            ast.path_of(*target).as_deref() == Some("throttle_classes")
                && matches!(ast.kind(*v), Kind::Array(items) if items.is_empty())
        }
        _ => false,
    })
}

/// Class-based views (Django, DRF, Flask `MethodView`) whose name says they authenticate and
/// that accept a submission (a `post`/`create` method, or an authentication base class).
fn py_class_view(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let Kind::Class(k) = ast.kind(node) else {
        return None;
    };
    let view_base = k.bases.iter().any(|b| {
        let last = b.rsplit('.').next().unwrap_or(b);
        last.ends_with("View")
            || last.ends_with("ViewSet")
            || last == "ObtainAuthToken"
            || last == "Resource"
            || last == "HTTPEndpoint"
    });
    if !view_base {
        return None;
    }
    let kind = auth_kind(&k.name)?;
    let methods: Vec<&str> = k
        .body
        .iter()
        .filter_map(|&s| ast.function(s).and_then(|f| f.name.as_deref()))
        .collect();
    let auth_base = k.bases.iter().any(|b| {
        let last = b.rsplit('.').next().unwrap_or(b);
        auth_kind(last).is_some()
            || [
                "CreateAPIView",
                "FormView",
                "ObtainAuthToken",
                "GenericAPIView",
                "ModelViewSet",
                "GenericViewSet",
                "ViewSet",
            ]
            .contains(&last)
    });
    let submits = methods
        .iter()
        .any(|m| ["post", "put", "patch", "create", "form_valid"].contains(m));
    if !(submits || auth_base) {
        return None;
    }
    if class_limited(cx, node) || class_signed_in(cx, node) {
        return None;
    }
    let drf = k.bases.iter().any(|b| drf_base(b));
    let fw = if drf {
        "drf"
    } else if cx.facts.imports.uses("flask") {
        "flask"
    } else {
        "django"
    };
    let mut c = check(cx, None, false);
    c.drf = drf;
    c.opted_out = class_opted_out(ast, node);
    Some(Route {
        at: cx.first_line(node),
        kind,
        what: format!("view `{}`", k.name),
        fix: py_fix(fw),
        check: c,
    })
}

// --- Rust ------------------------------------------------------------------------------------

fn rs_fix(framework: &str) -> &'static str {
    match framework {
        "actix" => "wrap the route or its scope with actix-governor (`.wrap(Governor::new(&GovernorConfigBuilder::default().per_second(2).burst_size(5).finish().unwrap()))`) or actix-limitation",
        "rocket" => "add a rocket_governor guard parameter (`_limit: RocketGovernor<'_, LoginLimit>`) or check a limiter at the top of the handler",
        _ => "add a tower_governor layer to the route or router (`.layer(GovernorLayer { config: Arc::new(GovernorConfigBuilder::default().finish().unwrap()) })`)",
    }
}

const RS_WRITE: &[&str] = &["post", "put", "patch", "any"];

fn rs_registration(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let c = ast.call(node)?;
    if ast.callee_name(c)? != "route" {
        return None;
    }
    ast.receiver(c)?;
    let args: Vec<NodeId> = ast.positional(c).collect();
    let (path, router) = match args.as_slice() {
        [p, r] => (ast.plain_str(*p)?.to_string(), *r),
        // actix `web::resource("/login").route(web::post().to(login))`
        [r] => {
            let recv = ast.receiver(c)?;
            let rc = ast.call_chain(recv).into_iter().find(|&x| {
                ast.call(x)
                    .is_some_and(|xc| matches!(ast.callee_name(xc), Some("resource")))
            })?;
            let p = ast
                .positional(ast.call(rc)?)
                .next()
                .and_then(|a| ast.plain_str(a))?;
            (p.to_string(), *r)
        }
        _ => return None,
    };
    let mut writes = false;
    let mut handler = None;
    for id in ast.subtree(router) {
        if let Some(rc) = ast.call(id) {
            let n = ast.callee_name(rc).unwrap_or("");
            let n = n.rsplit("::").next().unwrap_or(n);
            if RS_WRITE.contains(&n) {
                writes = true;
            }
            if RS_WRITE.contains(&n) || n == "to" || n == "get" {
                if let Some(h) = ast.positional(rc).next() {
                    if matches!(ast.kind(ast.unwrap_expr(h)), Kind::Name(_))
                        && (RS_WRITE.contains(&n) || n == "to")
                    {
                        handler = Some(h);
                    }
                }
            }
        }
    }
    if !writes {
        return None;
    }
    let kind = path_auth_kind(&path).or_else(|| {
        handler
            .and_then(|h| ast.path_of(h))
            .and_then(|n| auth_kind(&n))
    })?;
    if handler
        .and_then(|h| local_function(cx, h))
        .is_some_and(|f| params_signed_in(cx, f))
    {
        return None;
    }
    if subtree_limits(ast, &cx.facts.imports, router)
        || chain_limits(cx, node)
        || handler
            .and_then(|h| local_function(cx, h))
            .is_some_and(|f| handler_limits(cx, f))
    {
        return None;
    }
    let fw = if cx.facts.imports.uses("actix_web") {
        "actix"
    } else {
        "axum"
    };
    let mut ch = check(cx, Some(&path), false);
    ch.handler = handler.and_then(|h| handler_ref(cx, h));
    Some(Route {
        at: cx.call_site(node),
        kind,
        what: format!("`POST {path}`"),
        fix: rs_fix(fw),
        check: ch,
    })
}

fn rs_handler(cx: &Ctx, node: NodeId) -> Option<Route> {
    let ast = cx.ast;
    let f = ast.function(node)?;
    let fw = cx.facts.handlers.get(&node).copied()?;
    if !matches!(fw, "rocket" | "actix-web") {
        return None;
    }
    let (method, args) = f.decorators.iter().find_map(|d| {
        let last = d.name.rsplit("::").next().unwrap_or(&d.name);
        match last {
            "post" | "put" | "patch" => Some((last.to_string(), d.args.as_str())),
            "route" if ["POST", "PUT", "PATCH"].iter().any(|m| d.args.contains(m)) => {
                Some(("post".to_string(), d.args.as_str()))
            }
            _ => None,
        }
    })?;
    let path = args.split('"').nth(1).unwrap_or("").to_string();
    let kind = path_auth_kind(&path).or_else(|| auth_kind(f.name.as_deref()?))?;
    let attr_limits = f
        .decorators
        .iter()
        .any(|d| names_limiter(&d.name) || names_limiter(&d.args));
    if params_signed_in(cx, node) {
        return None;
    }
    if attr_limits || handler_limits(cx, node) {
        return None;
    }
    Some(Route {
        at: head_line(cx, f.head),
        kind,
        what: format!("`{} {path}`", method.to_ascii_uppercase()),
        fix: rs_fix(if fw == "rocket" { "rocket" } else { "actix" }),
        check: check(cx, Some(&path), false),
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    #[test]
    fn express_login_without_limiter() {
        let src = "const express = require('express');\nconst app = express();\napp.post('/login', login);\napp.get('/login', showLogin);\n";
        assert_eq!(lines(super::ID, "src/server.js", src), vec![3]);
    }

    #[test]
    fn express_limiter_on_the_route() {
        let src = "import rateLimit from 'express-rate-limit';\nconst loginLimiter = rateLimit({ windowMs: 60000, limit: 5 });\napp.post('/login', loginLimiter, login);\n";
        assert!(lines(super::ID, "src/server.ts", src).is_empty());
    }

    #[test]
    fn app_wide_limiter_in_the_same_file() {
        let src = "import rateLimit from 'express-rate-limit';\napp.use(rateLimit({ windowMs: 60000, limit: 100 }));\napp.post('/login', login);\n";
        assert!(lines(super::ID, "src/server.ts", src).is_empty());
    }
}
