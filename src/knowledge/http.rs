//! Which functions are HTTP handlers, per framework: Express, Fastify, Koa, NestJS, Next.js route
//! handlers; Django views and DRF viewsets, Flask, FastAPI, aiohttp; axum, actix-web, rocket.

use std::collections::HashSet;

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::config::Config;
use crate::source::SourceFile;

/// Route registration methods: `app.get("/x", h)`, `router.post(..)`, `fastify.put(..)`.
pub const ROUTE_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "del", "all", "options", "head", "route",
];

/// Python decorators whose last segment registers a route (`@app.get`, `@bp.route`).
const PY_ROUTE_DECORATORS: &[&str] = &[
    "route",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "api_route",
    "websocket",
    "view",
    "head",
    "options",
];
/// Decorators that only decorate views (Django, DRF).
const PY_VIEW_DECORATORS: &[&str] = &[
    "api_view",
    "action",
    "require_http_methods",
    "require_GET",
    "require_POST",
    "require_safe",
    "login_required",
    "csrf_exempt",
    "permission_required",
    "view_config",
    "throttle_classes",
    "permission_classes",
    "authentication_classes",
];
/// Class-based view bases (Django, DRF, Flask MethodView, Starlette, aiohttp).
const VIEW_BASES: &[&str] = &[
    "View",
    "APIView",
    "ViewSet",
    "ModelViewSet",
    "GenericViewSet",
    "ReadOnlyModelViewSet",
    "GenericAPIView",
    "MethodView",
    "HTTPEndpoint",
    "web.View",
    "TemplateView",
    "ListView",
    "DetailView",
    "FormView",
    "Resource",
];
const VIEW_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "list",
    "retrieve",
    "create",
    "update",
    "partial_update",
    "destroy",
    "get_queryset",
    "get_object",
    "perform_create",
    "perform_update",
    "perform_destroy",
    "dispatch",
    "form_valid",
    "get_context_data",
];
const NEST_METHOD_DECORATORS: &[&str] = &[
    "Get",
    "Post",
    "Put",
    "Patch",
    "Delete",
    "All",
    "Options",
    "Head",
    "MessagePattern",
    "EventPattern",
];
const NEXT_ROUTE_EXPORTS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Rust route attributes (actix-web, rocket).
const RS_ROUTE_ATTRS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "route", "catch",
];
/// Rust extractor types that make a function an axum/actix handler.
const RS_EXTRACTORS: &[&str] = &[
    "Json<",
    "Query<",
    "Path<",
    "State<",
    "Form<",
    "Extension<",
    "web::Json<",
    "web::Path<",
    "web::Query<",
    "web::Data<",
    "web::Form<",
    "HttpRequest",
    "TypedHeader<",
    "HeaderMap",
    "Multipart",
    "axum::extract::",
    "actix_web::web::",
    "ConnectInfo<",
    "&State<",
    "Data<",
];
/// axum/actix routing functions that take a handler: `get(h)`, `web::post().to(h)`.
const RS_ROUTING_FNS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "any",
    "head",
    "options",
    "on",
    "to",
    "get_service",
    "post_service",
    "route_service",
];

/// Functions registered as handlers by name in this file (`router.get("/", listUsers)`).
pub fn registered_handlers(ast: &Ast) -> HashSet<String> {
    let mut out = HashSet::new();
    for id in 0..ast.nodes.len() as NodeId {
        let Some(c) = ast.call(id) else { continue };
        let Some(name) = ast.callee_name(c) else {
            continue;
        };
        let mut register = |arg: NodeId| {
            let arg = ast.unwrap_expr(arg);
            if let Some(p) = ast.path_of(arg) {
                let last = p.rsplit(['.', ':']).next().unwrap_or(&p).to_string();
                out.insert(last);
            }
        };
        match ast.lang {
            Lang::TypeScript | Lang::Python => {
                let is_route = ROUTE_METHODS.contains(&name)
                    && ast.receiver(c).is_some()
                    && ast
                        .positional(c)
                        .next()
                        .is_some_and(|a| is_route_path(ast, a));
                let py_reg = matches!(
                    name,
                    "add_url_rule"
                        | "add_get"
                        | "add_post"
                        | "add_put"
                        | "add_patch"
                        | "add_delete"
                        | "add_route"
                        | "add_api_route"
                        | "add_view"
                        | "path"
                        | "re_path"
                        | "url"
                );
                if is_route || py_reg {
                    for a in &c.args {
                        if a.name
                            .as_deref()
                            .is_none_or(|n| n == "view_func" || n == "endpoint" || n == "view")
                        {
                            if matches!(
                                ast.kind(ast.unwrap_expr(a.value)),
                                Kind::Name(_) | Kind::Member { .. }
                            ) {
                                register(a.value);
                            }
                            // `path("x/", views.OrderList.as_view())`
                            if let Some(inner) = ast.call(ast.unwrap_expr(a.value)) {
                                if ast.callee_name(inner) == Some("as_view") {
                                    if let Some(r) = ast.receiver(inner) {
                                        register(r);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Lang::Rust => {
                let routing = RS_ROUTING_FNS.contains(&name)
                    || c.is_macro && matches!(name, "routes" | "services");
                if routing {
                    for v in ast.positional(c) {
                        if matches!(ast.kind(ast.unwrap_expr(v)), Kind::Name(_)) {
                            register(v);
                        }
                    }
                }
                if name == "service" {
                    for v in ast.positional(c) {
                        if matches!(ast.kind(ast.unwrap_expr(v)), Kind::Name(_)) {
                            register(v);
                        }
                    }
                }
            }
        }
    }
    out
}

fn is_route_path(ast: &Ast, arg: NodeId) -> bool {
    match ast.kind(ast.unwrap_expr(arg)) {
        Kind::Str(s) => s.value.starts_with('/') || s.value == "*" || s.value.is_empty(),
        Kind::Array(items) => items.iter().any(|&i| is_route_path(ast, i)),
        _ => false,
    }
}

/// The framework when `func` is an HTTP handler.
pub fn handler_framework(
    ast: &Ast,
    file: &SourceFile,
    registered: &HashSet<String>,
    config: &Config,
    func: NodeId,
) -> Option<&'static str> {
    let f = ast.function(func)?;
    let custom = f.decorators.iter().any(|d| {
        config
            .handler_decorators
            .iter()
            .any(|h| h == &d.name || d.name.rsplit(['.', ':']).next() == Some(h.as_str()))
    });
    if custom {
        return Some("project");
    }
    let registered = f.name.as_ref().is_some_and(|n| registered.contains(n))
        || f.name.is_none() && assigned_name(ast, func).is_some_and(|n| registered.contains(&n));
    match ast.lang {
        Lang::Python => {
            for d in &f.decorators {
                let last = d.name.rsplit('.').next().unwrap_or(&d.name);
                if d.name.contains('.') && PY_ROUTE_DECORATORS.contains(&last) {
                    return Some(if last == "route" { "Flask" } else { "FastAPI" });
                }
                if PY_VIEW_DECORATORS.contains(&last) {
                    return Some("Django");
                }
            }
            if registered {
                return Some("Python web");
            }
            if let Some(class) = enclosing_class(ast, func) {
                if let Kind::Class(c) = ast.kind(class) {
                    let is_view = c.bases.iter().any(|b| {
                        let last = b.rsplit('.').next().unwrap_or(b);
                        VIEW_BASES.contains(&last)
                            || last.ends_with("APIView")
                            || last.ends_with("ViewSet")
                            || last.ends_with("View") && !last.ends_with("ListView")
                            || last.ends_with("ListView")
                    });
                    if is_view && f.name.as_deref().is_some_and(|n| VIEW_METHODS.contains(&n)) {
                        return Some("Django");
                    }
                }
                return None;
            }
            let first = f.params.first().map(|p| p.name.as_str());
            // project-relative: `views/` may be the first folder
            let path = format!("/{}", file.path.to_string_lossy().replace('\\', "/"));
            let in_views = path.ends_with("views.py")
                || path.contains("/views/")
                || path.ends_with("api.py")
                || path.contains("/api/");
            if in_views
                && matches!(first, Some("request"))
                && ast
                    .ancestors(func)
                    .all(|a| !matches!(ast.kind(a), Kind::Function(_)))
            {
                return Some("Django");
            }
            if f.params.iter().any(|p| {
                p.ty.as_deref()
                    .is_some_and(|t| t == "web.Request" || t == "aiohttp.web.Request")
            }) {
                return Some("aiohttp");
            }
            None
        }
        Lang::TypeScript => {
            // Callback passed to a route registration: `router.get("/x", auth, async (req, res) => ..)`.
            if let Some(p) = ast.parent(func) {
                if let Some(c) = ast.call(p) {
                    let name = ast.callee_name(c).unwrap_or("");
                    if ROUTE_METHODS.contains(&name)
                        && ast.receiver(c).is_some()
                        && ast
                            .positional(c)
                            .next()
                            .is_some_and(|a| is_route_path(ast, a))
                        && c.args.last().is_some_and(|a| a.value == func)
                    {
                        return Some("Express");
                    }
                }
                // Fastify `fastify.route({ method, url, handler })`
                if matches!(ast.kind(p), Kind::Object { .. })
                    && ast.entry(p, "handler").is_some_and(|e| e.value == func)
                {
                    return Some("Fastify");
                }
            }
            if f.decorators
                .iter()
                .any(|d| NEST_METHOD_DECORATORS.contains(&d.name.as_str()))
            {
                return Some("NestJS");
            }
            let path = file.path.to_string_lossy();
            let stem = file.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if stem == "route"
                && f.exported
                && f.name
                    .as_deref()
                    .is_some_and(|n| NEXT_ROUTE_EXPORTS.contains(&n))
            {
                return Some("Next.js");
            }
            if stem == "route"
                && f.name.is_none()
                && assigned_name(ast, func)
                    .is_some_and(|n| NEXT_ROUTE_EXPORTS.contains(&n.as_str()))
            {
                return Some("Next.js");
            }
            if path.contains("pages/api/")
                && f.exported
                && ast
                    .ancestors(func)
                    .all(|a| !matches!(ast.kind(a), Kind::Function(_)))
            {
                return Some("Next.js");
            }
            if registered {
                return Some("Express");
            }
            let names: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
            let req_res = matches!(
                names.as_slice(),
                ["req", "res", ..]
                    | ["request", "response", ..]
                    | ["request", "reply"]
                    | ["req", "reply"]
                    | ["_req", "res", ..]
            ) || f.params.iter().any(|p| {
                p.ty.as_deref().is_some_and(|t| {
                    t == "NextRequest" || t == "FastifyRequest" || t.starts_with("FastifyRequest<")
                })
            }) || names.first() == Some(&"req")
                && f.params
                    .first()
                    .and_then(|p| p.ty.as_deref())
                    .is_some_and(|t| t == "Request" || t.starts_with("Request<"));
            req_res.then_some("Express")
        }
        Lang::Rust => {
            for d in &f.decorators {
                let last = d.name.rsplit("::").next().unwrap_or(&d.name);
                if RS_ROUTE_ATTRS.contains(&last)
                    && (d.args.trim_start().starts_with("\"/")
                        || d.args.contains("path")
                        || d.name.contains("::"))
                {
                    return Some(
                        if d.name.starts_with("rocket")
                            || d.args.contains("data =")
                            || d.args.contains("<")
                        {
                            "rocket"
                        } else {
                            "actix-web"
                        },
                    );
                }
            }
            if registered {
                return Some("axum");
            }
            let extractor = f.params.iter().any(|p| {
                p.ty.as_deref().is_some_and(|t| {
                    RS_EXTRACTORS
                        .iter()
                        .any(|e| t.starts_with(e) || t.contains(&format!("::{e}")))
                })
            });
            (extractor && f.is_async && f.name.is_some()).then_some("axum")
        }
    }
}

fn enclosing_class(ast: &Ast, func: NodeId) -> Option<NodeId> {
    for a in ast.ancestors(func) {
        match ast.kind(a) {
            Kind::Class(_) => return Some(a),
            Kind::Function(_) => return None,
            _ => {}
        }
    }
    None
}

/// `const listUsers = async (req, res) => ..` -> `listUsers`.
pub fn assigned_name(ast: &Ast, func: NodeId) -> Option<String> {
    let p = ast.parent(func)?;
    match ast.kind(p) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } if *v == func => ast
            .path_of(*target)
            .map(|p| p.rsplit('.').next().unwrap_or(&p).to_string()),
        _ => None,
    }
}

/// For a route callback passed to a registration (`router.get("/users/:id", async (req, res) =>
/// ..)`): `GET /users/:id`, to name anonymous handlers in messages.
pub fn route_of(ast: &Ast, func: NodeId) -> Option<String> {
    let c = ast.call(ast.parent(func)?)?;
    let method = ast.callee_name(c)?;
    if !ROUTE_METHODS.contains(&method) || ast.receiver(c).is_none() {
        return None;
    }
    let path = ast.positional(c).next().and_then(|a| ast.plain_str(a))?;
    Some(format!("{} {path}", method.to_ascii_uppercase()))
}
