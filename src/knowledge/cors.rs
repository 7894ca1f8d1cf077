//! CORS: which calls and settings configure it, per framework, and what each library sends for
//! a given origin option when credentials are allowed.
//!
//! Two outcomes matter ([`Effect`]):
//! - **Reflects**: the library answers every request with `Access-Control-Allow-Origin: <the
//!   request's Origin>` and `Access-Control-Allow-Credentials: true`. Browsers accept that pair,
//!   so any website the user visits can send requests with the user's cookies and read the
//!   responses. What does this, per library:
//!   - express `cors`, `@fastify/cors`, NestJS `enableCors`, socket.io, hono: `origin: true`, a
//!     regex matching everything, or an origin callback/function that accepts every origin.
//!   - `@koa/cors`: any origin left at `*` (v5 default) or unset (v4 default: the request
//!     origin) becomes the request origin once `credentials` is true; also an origin function
//!     that returns the request origin unchecked. The old `koa-cors` defaults to `origin: true`.
//!   - Starlette/FastAPI `CORSMiddleware`: `"*"` in `allow_origins` (or an `allow_origin_regex`
//!     matching everything) with `allow_credentials=True` echoes the origin of every request
//!     that carries a cookie, and of every preflight.
//!   - Flask-CORS (`CORS(app)`, `@cross_origin`): origins default to `*`, and with
//!     `supports_credentials=True` a wildcard origin is answered with the request origin
//!     (unless `send_wildcard=True`, which Flask-CORS then rejects).
//!   - django-cors-headers: `CORS_ALLOW_ALL_ORIGINS` (`CORS_ORIGIN_ALLOW_ALL` before 3.5) with
//!     `CORS_ALLOW_CREDENTIALS` answers with the request origin; so does a catch-all regex in
//!     `CORS_ALLOWED_ORIGIN_REGEXES`.
//!   - aiohttp-cors: `ResourceOptions(allow_credentials=True)` under the `"*"` origin key.
//!   - tower-http: `CorsLayer::very_permissive()`, `AllowOrigin::mirror_request()` or an
//!     accept-all predicate with `allow_credentials(true)`.
//!   - actix-cors: `Cors::permissive()` (echoes the origin, supports credentials),
//!     `allow_any_origin()` or an accept-all `allowed_origin_fn` with `supports_credentials()`.
//!   - rocket_cors: `AllowedOrigins::all()` (the default) with `allow_credentials: true`; warp
//!     `allow_any_origin()` and poem's default (all origins) with `allow_credentials(true)`.
//! - **StarWithCredentials**: the library sends `*` together with credentials. Browsers refuse
//!   credentialed responses with `*`, so credentialed calls fail; the usual "fix", reflecting the
//!   origin, opens the API to every site. Express `cors`, `@fastify/cors`, NestJS, hono with an
//!   explicit `origin: '*'`; tower-http `allow_origin(Any)` with `allow_credentials(true)`
//!   (tower-http panics on it when the layer is built).
//!
//! `*` without credentials (a public API) is neither. Hand-written handlers are recognised too:
//! setting `Access-Control-Allow-Origin` to the request's `Origin` header, with
//! `Access-Control-Allow-Credentials: true` in the same function, unless the origin is compared
//! with something (an allow-list, a suffix) in that function.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ast::{Ast, Kind, Lang, NodeId, ROOT};
use crate::imports::Imports;
use crate::knowledge::environments::{dev_function, Switches};
use crate::source::{Position, SourceFile};

/// What a CORS configuration sends when credentials are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    /// `Access-Control-Allow-Origin` echoes the request origin, with credentials.
    Reflects,
    /// `*` with credentials: refused by browsers (or by the library at start-up).
    StarWithCredentials,
}

/// A library (or a framework option) that configures CORS.
#[derive(Debug)]
pub struct Library {
    pub name: &'static str,
    pub lang: Lang,
    /// What it sends with credentials when no origin is configured (`None`: no origin passes).
    pub unset: Option<Effect>,
    /// What it sends with credentials for a literal `*`.
    pub star: Effect,
    /// Whether credentials are allowed when the option is not given.
    pub default_credentials: bool,
    /// Where the trusted origins go, for the message (`` `origin` ``).
    pub list_in: &'static str,
    /// Who refuses `*` with credentials, for the message.
    pub refused_by: &'static str,
    /// The fix, as the help line gives it.
    pub fix: &'static str,
}

impl Library {
    /// What this library sends for `origin` when credentials are allowed.
    pub fn effect(&self, origin: Origin) -> Option<Effect> {
        match origin {
            Origin::Unset => self.unset,
            Origin::Star => Some(self.star),
            Origin::Any => Some(Effect::Reflects),
            Origin::Other => None,
        }
    }
}

const JS_FIX: &str = "pass `origin` the trusted origins (`origin: ['https://app.example.com']`) or a function that checks the request origin against such a list";

/// Every library above, for reading a [`CorsCheck`] back from the results cache by name.
pub static LIBRARIES: &[&Library] = &[
    &EXPRESS_CORS,
    &FASTIFY_CORS,
    &NEST_CORS,
    &SOCKET_IO_CORS,
    &HONO_CORS,
    &KOA_CORS,
    &KOA_CORS_OLD,
    &STARLETTE_CORS,
    &FLASK_CORS,
    &DJANGO_CORS,
    &AIOHTTP_CORS,
    &TOWER_CORS,
    &ACTIX_CORS,
    &ROCKET_CORS,
    &WARP_CORS,
    &POEM_CORS,
    &HEADERS,
];

/// A [`Library`] in the results cache: its name.
mod library_by_name {
    use super::{Library, LIBRARIES};

    pub fn serialize<S: serde::Serializer>(l: &&'static Library, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(l.name)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<&'static Library, D::Error> {
        let name: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        LIBRARIES
            .iter()
            .find(|l| l.name == name)
            .copied()
            .ok_or_else(|| serde::de::Error::custom("unknown CORS library"))
    }
}

pub static EXPRESS_CORS: Library = Library {
    name: "cors",
    lang: Lang::TypeScript,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origin`",
    fix: JS_FIX,
};
pub static FASTIFY_CORS: Library = Library {
    name: "@fastify/cors",
    lang: Lang::TypeScript,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origin`",
    fix: JS_FIX,
};
pub static NEST_CORS: Library = Library {
    name: "NestJS CORS",
    lang: Lang::TypeScript,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origin`",
    fix: JS_FIX,
};
pub static SOCKET_IO_CORS: Library = Library {
    name: "socket.io CORS",
    lang: Lang::TypeScript,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origin`",
    fix: JS_FIX,
};
pub static HONO_CORS: Library = Library {
    name: "hono/cors",
    lang: Lang::TypeScript,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origin`",
    fix: "pass `origin` the trusted origins (`origin: ['https://app.example.com']`) or a function that returns the origin only when it is in such a list",
};
pub static KOA_CORS: Library = Library {
    name: "@koa/cors",
    lang: Lang::TypeScript,
    unset: Some(Effect::Reflects),
    star: Effect::Reflects,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "an `origin` function",
    fix: "pass `origin` a function that returns the request origin only when it is in a list of trusted origins (`origin: ctx => allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''`)",
};
pub static KOA_CORS_OLD: Library = Library {
    name: "koa-cors",
    lang: Lang::TypeScript,
    unset: Some(Effect::Reflects),
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origin`",
    fix: "pass `origin` a trusted origin or a function that checks the request origin against a list (or move to `@koa/cors`)",
};
pub static STARLETTE_CORS: Library = Library {
    name: "CORSMiddleware",
    lang: Lang::Python,
    unset: None,
    star: Effect::Reflects,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`allow_origins`",
    fix: "list the trusted origins: `allow_origins=[\"https://app.example.com\"]` (or drop `allow_credentials=True` for a public API)",
};
pub static FLASK_CORS: Library = Library {
    name: "Flask-CORS",
    lang: Lang::Python,
    unset: Some(Effect::Reflects),
    star: Effect::Reflects,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`origins`",
    fix: "list the trusted origins: `CORS(app, origins=[\"https://app.example.com\"], supports_credentials=True)`",
};
pub static DJANGO_CORS: Library = Library {
    name: "django-cors-headers",
    lang: Lang::Python,
    unset: None,
    star: Effect::Reflects,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`CORS_ALLOWED_ORIGINS`",
    fix: "list the trusted origins: `CORS_ALLOWED_ORIGINS = [\"https://app.example.com\"]` instead of allowing all",
};
pub static AIOHTTP_CORS: Library = Library {
    name: "aiohttp-cors",
    lang: Lang::Python,
    unset: None,
    star: Effect::Reflects,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "origin keys of the options instead of `\"*\"`",
    fix: "key the `ResourceOptions` by the trusted origins (`{\"https://app.example.com\": ResourceOptions(allow_credentials=True)}`) instead of `\"*\"`",
};
pub static TOWER_CORS: Library = Library {
    name: "tower-http CorsLayer",
    lang: Lang::Rust,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "tower-http, which panics when the layer is built",
    list_in: "`allow_origin(..)`",
    fix: "list the trusted origins: `CorsLayer::new().allow_origin([\"https://app.example.com\".parse::<HeaderValue>()?]).allow_credentials(true)`",
};
pub static ACTIX_CORS: Library = Library {
    name: "actix-cors",
    lang: Lang::Rust,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`allowed_origin(..)`",
    fix: "list the trusted origins: `Cors::default().allowed_origin(\"https://app.example.com\").supports_credentials()`",
};
pub static ROCKET_CORS: Library = Library {
    name: "rocket_cors",
    lang: Lang::Rust,
    unset: Some(Effect::Reflects),
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`AllowedOrigins::some_exact(..)`",
    fix: "list the trusted origins: `allowed_origins: AllowedOrigins::some_exact(&[\"https://app.example.com\"])`",
};
pub static WARP_CORS: Library = Library {
    name: "warp::cors",
    lang: Lang::Rust,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`allow_origins(..)`",
    fix: "list the trusted origins: `warp::cors().allow_origins([\"https://app.example.com\"]).allow_credentials(true)`",
};
pub static POEM_CORS: Library = Library {
    name: "poem Cors",
    lang: Lang::Rust,
    unset: Some(Effect::Reflects),
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "`allow_origin(..)`",
    fix: "list the trusted origins: `Cors::new().allow_origin(\"https://app.example.com\").allow_credentials(true)`",
};
/// Hand-written `Access-Control-Allow-Origin` headers.
pub static HEADERS: Library = Library {
    name: "CORS headers",
    lang: Lang::TypeScript,
    unset: None,
    star: Effect::StarWithCredentials,
    default_credentials: false,
    refused_by: "browsers",
    list_in: "an allow-list checked before the header is set",
    fix: "echo the `Origin` header only after finding it in a list of trusted origins (else leave `Access-Control-Allow-Origin` unset)",
};

/// JavaScript CORS middleware factories, by the qualified name of the called function.
const JS_FACTORIES: &[(&str, &Library)] = &[
    ("cors", &EXPRESS_CORS),
    ("@koa/cors", &KOA_CORS),
    ("koa-cors", &KOA_CORS_OLD),
    ("kcors", &KOA_CORS),
    ("hono/cors.cors", &HONO_CORS),
];
/// Fastify plugins registered with `fastify.register(plugin, options)`.
const FASTIFY_PLUGINS: &[&str] = &["@fastify/cors", "fastify-cors"];

/// An origin option, as far as CORS is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Origin {
    /// Not configured: the library's default applies.
    Unset,
    /// The literal `*`.
    Star,
    /// Every request origin is let in and echoed (`origin: true`, a callback that accepts
    /// all, a regex that matches everything, `mirror_request()`).
    Any,
    /// Anything else: fixed origins, lists, checking callbacks, values from configuration.
    Other,
}

/// A CORS configuration found at a node.
#[derive(Clone, Debug)]
pub struct Setup {
    pub library: &'static Library,
    /// The call, assignment or entry that configures CORS.
    pub node: NodeId,
    pub origin: Origin,
    /// The node that sets the origin (none: the library's default).
    pub origin_at: Option<NodeId>,
    /// The node that allows credentials (none: the default, or another file).
    pub credentials_at: Option<NodeId>,
    /// A short description of the configuration, for the message.
    pub what: String,
    /// What must also hold in other files (all of them).
    pub pending: Vec<CorsCheck>,
    /// The options are an object another module exports: (module, normalised, and export
    /// name). Its origin and credentials are only known on the project index.
    pub shared: Option<(String, String)>,
}

// --- recognisers --------------------------------------------------------------------------------

/// The CORS configuration at `id` whose credentials are allowed (known here or pending on the
/// project), if any.
pub fn setup(
    ast: &Ast,
    text: &str,
    imports: &Imports,
    facts: &CorsFacts,
    path: &Path,
    id: NodeId,
) -> Option<Setup> {
    match ast.lang {
        Lang::TypeScript => js_setup(ast, text, imports, path, id),
        Lang::Python => py_setup(ast, text, imports, facts, path, id),
        Lang::Rust => rust_setup(ast, text, imports, id),
    }
}

// --- JavaScript / TypeScript ----------------------------------------------------------------

/// The options object a JS CORS configuration gets, and its library.
enum JsOptions {
    /// An object literal (or a name bound to one in this file).
    Literal(NodeId),
    /// No options.
    None,
    /// A name imported from another module of the project: (module as written, export name,
    /// local name).
    Imported(String, String, String),
}

fn js_setup(ast: &Ast, text: &str, imports: &Imports, path: &Path, id: NodeId) -> Option<Setup> {
    let c = ast.call(id)?;
    let name = ast.callee_name(c)?;
    let (library, options) = match name {
        // `app.enableCors({...})` (NestJS)
        "enableCors" if !c.is_new => (&NEST_CORS, c.args.first().map(|a| a.value)),
        // `NestFactory.create(AppModule, { cors: {...} })`
        "create"
            if !c.is_new
                && ast
                    .path_of(c.callee)
                    .is_some_and(|p| p.ends_with("NestFactory.create")) =>
        {
            let opts = ast.positional(c).nth(1)?;
            (&NEST_CORS, Some(ast.entry(opts, "cors")?.value))
        }
        // `new Server(http, { cors: {...} })` (socket.io)
        "Server"
            if c.is_new
                && imports.qualify(ast, c.callee).as_deref() == Some("socket.io.Server") =>
        {
            let opts = ast.positional(c).nth(1)?;
            (&SOCKET_IO_CORS, Some(ast.entry(opts, "cors")?.value))
        }
        // `fastify.register(cors, {...})`
        "register" => {
            let plugin = ast.positional(c).next()?;
            if !FASTIFY_PLUGINS.contains(&js_module_of(ast, imports, plugin)?.as_str()) {
                return None;
            }
            (&FASTIFY_CORS, ast.positional(c).nth(1))
        }
        // `cors({..})`, called by the name it was imported under
        _ => {
            let Kind::Name(local) = ast.kind(c.callee) else {
                return None;
            };
            let q = imports.get(local)?;
            let lib = JS_FACTORIES.iter().find(|(m, _)| *m == q)?.1;
            (lib, c.args.first().map(|a| a.value))
        }
    };
    let options = match options {
        None => JsOptions::None,
        Some(o) => js_options(ast, o, id)?,
    };
    match options {
        JsOptions::None => {
            // no options: only libraries whose defaults let every origin in
            if !library.default_credentials {
                return None;
            }
            Some(Setup {
                library,
                node: id,
                origin: Origin::Unset,
                origin_at: None,
                credentials_at: None,
                what: format!("`{}` with its defaults", library.name),
                pending: Vec::new(),
                shared: None,
            })
        }
        JsOptions::Literal(obj) => {
            let shape = js_shape(ast, text, obj)?;
            if !shape.credentials.unwrap_or(library.default_credentials) {
                return None;
            }
            let what = match shape.origin_at {
                Some(o) => format!("`{}` with `origin: {}`", library.name, short(ast, text, o)),
                None => format!("`{}` with no `origin` (its default)", library.name),
            };
            Some(Setup {
                library,
                node: id,
                origin: shape.origin,
                origin_at: shape.origin_at,
                credentials_at: shape.credentials_at,
                what,
                pending: Vec::new(),
                shared: None,
            })
        }
        JsOptions::Imported(module, export, local) => {
            let want = crate::imports::normalise_module(path, &module);
            Some(Setup {
                library,
                node: id,
                origin: Origin::Other,
                origin_at: None,
                credentials_at: None,
                what: format!(
                    "`{}` with the options `{local}` from `{module}`",
                    library.name
                ),
                pending: Vec::new(),
                shared: Some((want, export)),
            })
        }
    }
}

/// The module a plugin expression names: an imported name or `require('x')`.
fn js_module_of(ast: &Ast, imports: &Imports, plugin: NodeId) -> Option<String> {
    let plugin = ast.unwrap_expr(plugin);
    match ast.kind(plugin) {
        Kind::Name(n) => imports.get(n).map(str::to_string),
        Kind::Call(c) if matches!(ast.kind(c.callee), Kind::Name(n) if n == "require" || n == "import") => {
            ast.positional(c)
                .next()
                .and_then(|a| ast.plain_str(a))
                .map(str::to_string)
        }
        // `fastify.register(require('@fastify/cors').default, ..)`
        Kind::Member { object, property } if property == "default" => {
            js_module_of(ast, imports, *object)
        }
        _ => None,
    }
}

/// Where an options expression comes from: a literal, a name bound to one in this file, or a
/// name imported from the project. `None`: something else (built at run time, unknown).
fn js_options(ast: &Ast, o: NodeId, at: NodeId) -> Option<JsOptions> {
    let o = ast.unwrap_expr(o);
    match ast.kind(o) {
        Kind::Object { .. } => Some(JsOptions::Literal(o)),
        Kind::Name(n) => {
            if let Some(v) = local_value(ast, n, at) {
                let v = ast.unwrap_expr(v);
                return matches!(ast.kind(v), Kind::Object { .. }).then_some(JsOptions::Literal(v));
            }
            let (module, name) = ast.import_binding(n)?;
            if !is_project_module(module) {
                return None;
            }
            let name = if name.is_empty() { "default" } else { name };
            Some(JsOptions::Imported(
                module.to_string(),
                name.to_string(),
                n.clone(),
            ))
        }
        _ => None,
    }
}

/// A module of the project (a relative or aliased path), not a package.
fn is_project_module(m: &str) -> bool {
    m.starts_with('.') || m.starts_with("@/") || m.starts_with("~/") || m.starts_with("src/")
}

/// The value a name is bound to where `at` reads it: the last plain assignment in the
/// enclosing function before `at`, else a module-level one.
fn local_value(ast: &Ast, name: &str, at: NodeId) -> Option<NodeId> {
    let scope = ast.enclosing_function(at).unwrap_or(ROOT);
    ast.assignment_before(name, scope, at, true)
        .or_else(|| ast.top_level_assignment(name, true))
        .map(|(_, v)| v)
}

/// The CORS-relevant keys of a JS options object.
#[derive(Clone, Copy, Debug)]
pub struct JsShape {
    pub origin: Origin,
    pub origin_at: Option<NodeId>,
    /// `Some(true)`: `credentials: true`; `Some(false)`: given as anything else; `None`: unset.
    pub credentials: Option<bool>,
    pub credentials_at: Option<NodeId>,
}

/// Reads `origin` and `credentials` from an object literal. `None` when a spread may override
/// them.
pub fn js_shape(ast: &Ast, text: &str, obj: NodeId) -> Option<JsShape> {
    let Kind::Object { entries, .. } = ast.kind(obj) else {
        return None;
    };
    let mut shape = JsShape {
        origin: Origin::Unset,
        origin_at: None,
        credentials: None,
        credentials_at: None,
    };
    for e in entries {
        match e.key.as_deref() {
            Some("origin") => {
                shape.origin = js_origin(ast, text, e.value, 0);
                shape.origin_at = Some(e.value);
            }
            Some("credentials") => {
                let v = resolve_literal(ast, e.value);
                let yes = matches!(ast.kind(v), Kind::Bool(true));
                shape.credentials = Some(yes);
                shape.credentials_at = Some(e.value);
            }
            // a spread after nothing we read can still set them: unknown
            None => {
                shape.origin = if shape.origin_at.is_some() {
                    shape.origin
                } else {
                    Origin::Other
                };
                if shape.credentials.is_none() {
                    shape.credentials = Some(false);
                }
            }
            _ => {}
        }
    }
    Some(shape)
}

/// A name bound to a literal in this file, resolved once; other values as they are.
fn resolve_literal(ast: &Ast, v: NodeId) -> NodeId {
    let v = ast.unwrap_expr(v);
    if let Kind::Name(n) = ast.kind(v) {
        if let Some(bound) = local_value(ast, n, v) {
            let b = ast.unwrap_expr(bound);
            if matches!(ast.kind(b), Kind::Bool(_) | Kind::Str(_) | Kind::Array(_)) {
                return b;
            }
        }
    }
    v
}

/// What a JS `origin` option lets in.
fn js_origin(ast: &Ast, text: &str, v: NodeId, depth: u8) -> Origin {
    let v = resolve_literal(ast, v);
    match ast.kind(v) {
        Kind::Bool(true) => Origin::Any,
        Kind::Str(_) => match ast.plain_str(v) {
            Some("*") => Origin::Star,
            _ => Origin::Other,
        },
        Kind::Function(_) if depth == 0 => accepts_all(ast, v),
        Kind::Other => match regex_literal(ast, text, v) {
            Some(re) if regex_matches_all(re) => Origin::Any,
            _ => Origin::Other,
        },
        _ => Origin::Other,
    }
}

/// The pattern of a JS regex literal (`/.*/` -> `.*`).
fn regex_literal<'t>(ast: &Ast, text: &'t str, v: NodeId) -> Option<&'t str> {
    let s = text.get(ast.span(v).range())?;
    let body = s.strip_prefix('/')?;
    let end = body.rfind('/')?;
    Some(&body[..end])
}

/// A regex that every origin matches (`.*`, `^.*$`, `.+`, `^https?://.*$`).
pub fn regex_matches_all(re: &str) -> bool {
    let core = re.trim_start_matches('^').trim_end_matches('$');
    let core = core
        .strip_prefix("https?://")
        .or_else(|| core.strip_prefix("https?:\\/\\/"))
        .unwrap_or(core);
    matches!(core, ".*" | ".+" | "(.*)" | "(.+)")
}

/// What an origin callback or function lets in: `Any` when it has no branch, no comparison and
/// no call but its own callback, and hands back `true`, the origin it was given, or the request's
/// `Origin` header; `Star` when it hands back `'*'`.
fn accepts_all(ast: &Ast, func: NodeId) -> Origin {
    let Some(f) = ast.function(func) else {
        return Origin::Other;
    };
    let first = f.params.first().map(|p| p.name.as_str());
    let callback = f.params.get(1).map(|p| p.name.as_str());
    let mut results = Vec::new();
    for n in ast.subtree(func).skip(1) {
        match ast.kind(n) {
            Kind::If { .. } | Kind::Loop(_) | Kind::Try { .. } | Kind::Function(_) => {
                return Origin::Other
            }
            Kind::Binary { op, .. } if *op != crate::ast::BinOp::Add => return Origin::Other,
            Kind::Other if ast.children(n).count() >= 3 => return Origin::Other,
            Kind::Call(c) => {
                let callee = ast.path_of(c.callee);
                let own = callee.as_deref().is_some_and(|p| Some(p) == callback);
                if own {
                    // `callback(null, x)`
                    match ast.positional(c).nth(1) {
                        Some(x) => results.push(x),
                        None => return Origin::Other,
                    }
                } else if !is_origin_read(ast, n)
                    && !ast
                        .ancestors(n)
                        .any(|a| a != func && is_origin_read(ast, a))
                {
                    let logging = callee
                        .as_deref()
                        .is_some_and(|p| p.starts_with("console.") || p.starts_with("logger."));
                    if !logging {
                        return Origin::Other;
                    }
                }
            }
            Kind::Return(Some(x)) => results.push(*x),
            _ => {}
        }
    }
    if let Some(e) = f.expr_body {
        if !(callback.is_some()
            && ast
                .call(ast.unwrap_expr(e))
                .is_some_and(|c| ast.path_of(c.callee).as_deref() == callback))
        {
            results.push(e);
        }
    }
    if results.is_empty() {
        return Origin::Other;
    }
    let mut out = Origin::Any;
    for r in results {
        let r = ast.unwrap_expr(r);
        let o = match ast.kind(r) {
            Kind::Bool(true) => Origin::Any,
            Kind::Name(n) if Some(n.as_str()) == first => Origin::Any,
            Kind::Str(_) if ast.plain_str(r) == Some("*") => Origin::Star,
            _ if is_origin_read(ast, r) => Origin::Any,
            _ => Origin::Other,
        };
        if o == Origin::Other {
            return Origin::Other;
        }
        if o == Origin::Star {
            out = Origin::Star;
        }
    }
    out
}

/// `name=value` for a keyword argument of a call, as written (shortened).
fn arg_text(ast: &Ast, text: &str, c: &crate::ast::Call, value: NodeId) -> String {
    let name = c
        .args
        .iter()
        .find(|a| a.value == value)
        .and_then(|a| a.name.as_deref())
        .unwrap_or("");
    format!("{name}={}", short(ast, text, value))
}

/// A short form of an option's value for messages: the literal, or what a function does.
fn short(ast: &Ast, text: &str, v: NodeId) -> String {
    if ast.function(ast.unwrap_expr(v)).is_some() {
        return "<a function that accepts every origin>".to_string();
    }
    let s = text.get(ast.span(v).range()).unwrap_or("");
    let s = s.lines().next().unwrap_or("").trim();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

// --- Python -------------------------------------------------------------------------------------

/// Django (django-cors-headers) settings that let every origin in.
const DJANGO_ALLOW_ALL: &[&str] = &["CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"];
/// Django regex allow-lists: a catch-all entry lets every origin in.
const DJANGO_REGEXES: &[&str] = &["CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST"];
/// django-cors-headers' credentials setting.
pub const DJANGO_CREDENTIALS: &str = "CORS_ALLOW_CREDENTIALS";
/// Flask-CORS reads these from `app.config` (`CORS_` + the option name, upper case).
pub const FLASK_CREDENTIALS: &str = "CORS_SUPPORTS_CREDENTIALS";
const FLASK_ORIGINS: &str = "CORS_ORIGINS";
const FLASK_RESOURCES: &str = "CORS_RESOURCES";
/// The settings the facts pass records.
const SETTINGS: &[&str] = &[
    "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ORIGIN_ALLOW_ALL",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "CORS_ORIGIN_REGEX_WHITELIST",
    DJANGO_CREDENTIALS,
    FLASK_CREDENTIALS,
    FLASK_ORIGINS,
    FLASK_RESOURCES,
];

fn py_setup(
    ast: &Ast,
    text: &str,
    imports: &Imports,
    facts: &CorsFacts,
    path: &Path,
    id: NodeId,
) -> Option<Setup> {
    match ast.kind(id) {
        Kind::Assign { .. } => django_setting(ast, facts, path, id),
        Kind::Call(_) => {
            starlette(ast, text, imports, id).or_else(|| flask_cors(ast, path, imports, id))
        }
        Kind::Object { .. } => aiohttp_cors(ast, imports, id),
        _ => None,
    }
}

/// `CORS_ALLOW_ALL_ORIGINS = True` (or a catch-all origin regex) in a settings module, with
/// `CORS_ALLOW_CREDENTIALS = True` in the same file or a sibling settings file.
fn django_setting(ast: &Ast, facts: &CorsFacts, path: &Path, id: NodeId) -> Option<Setup> {
    let Kind::Assign {
        target,
        value: Some(v),
        augmented: false,
        ..
    } = ast.kind(id)
    else {
        return None;
    };
    let Kind::Name(name) = ast.kind(*target) else {
        return None;
    };
    let what = if DJANGO_ALLOW_ALL.contains(&name.as_str()) {
        format!("`{name} = True`")
    } else {
        format!("the catch-all regex in `{name}`")
    };
    let all = if DJANGO_ALLOW_ALL.contains(&name.as_str()) {
        matches!(ast.kind(*v), Kind::Bool(true))
    } else if DJANGO_REGEXES.contains(&name.as_str()) {
        match ast.kind(*v) {
            Kind::Array(items) => items
                .iter()
                .any(|&i| ast.plain_str(i).is_some_and(regex_matches_all)),
            _ => false,
        }
    } else {
        false
    };
    if !all || !settings_level(ast, id) || !production_settings(path) {
        return None;
    }
    // a base settings file (`base.py`) may be overridden by its siblings (`production.py`)
    let base = base_settings(path);
    let mut pending = Vec::new();
    match facts.setting(DJANGO_CREDENTIALS) {
        Some(SettingValue::True) if !base => {}
        Some(SettingValue::True) | None => pending.push(CorsCheck::SettingTrue {
            name: DJANGO_CREDENTIALS,
            dir: parent_dir(path),
            above: false,
        }),
        Some(_) => return None,
    }
    if base {
        if let Some(&n) = SETTINGS.iter().find(|s| **s == name.as_str()) {
            pending.push(CorsCheck::NotOverridden {
                name: n,
                dir: parent_dir(path),
            });
        }
    }
    Some(Setup {
        library: &DJANGO_CORS,
        node: id,
        origin: Origin::Any,
        origin_at: Some(id),
        credentials_at: None,
        what,
        pending,
        shared: None,
    })
}

/// A statement at module level or directly in a class at module level (django-configurations,
/// Flask config classes) whose class is not a development one, outside any `if`/`try`.
fn settings_level(ast: &Ast, id: NodeId) -> bool {
    match ast.parent(id) {
        Some(ROOT) => true,
        Some(p) => match ast.kind(p) {
            Kind::Class(c) => ast.parent(p) == Some(ROOT) && !dev_function(&c.name),
            _ => false,
        },
        None => false,
    }
}

/// Settings files that are not for local development or tests
/// ([`crate::knowledge::environments::is_dev_only_file`]).
pub fn production_settings(path: &Path) -> bool {
    !crate::knowledge::environments::is_dev_only_file(path)
}

/// A settings file other settings files of its folder build on and override (`base.py`,
/// `common.py`, a lone `settings.py`).
fn base_settings(path: &Path) -> bool {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        "base", "common", "default", "defaults", "settings", "__init__", "shared", "core",
    ]
    .contains(&stem.as_str())
}

fn parent_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Starlette/FastAPI `CORSMiddleware` given `"*"` (or a catch-all regex) and
/// `allow_credentials=True`, in `app.add_middleware(CORSMiddleware, ..)`,
/// `Middleware(CORSMiddleware, ..)` or `CORSMiddleware(app, ..)`.
fn starlette(ast: &Ast, text: &str, imports: &Imports, id: NodeId) -> Option<Setup> {
    let c = ast.call(id)?;
    let last = |n: NodeId| match ast.kind(n) {
        Kind::Name(x) => x.as_str(),
        Kind::Member { property, .. } => property.as_str(),
        _ => "",
    };
    let is_mw = |n: NodeId| {
        last(n) == "CORSMiddleware"
            && ast.path_of(n).is_some_and(|p| {
                let q = imports.qualify_path(&p);
                q.ends_with("CORSMiddleware") && (q.contains("starlette") || q.contains("fastapi"))
            })
    };
    let named = is_mw(c.callee) || ast.positional(c).next().is_some_and(is_mw);
    if !named {
        return None;
    }
    let creds = ast.kwarg(c, "allow_credentials")?;
    if !matches!(ast.kind(resolve_py(ast, creds)), Kind::Bool(true)) {
        return None;
    }
    let (origin, at) = if let Some(o) = ast.kwarg(c, "allow_origins") {
        match py_wildcard(ast, o) {
            Some(true) => (Origin::Star, o),
            _ => return None,
        }
    } else if let Some(re) = ast.kwarg(c, "allow_origin_regex") {
        match ast.plain_str(resolve_py(ast, re)) {
            Some(r) if regex_matches_all(r) => (Origin::Any, re),
            _ => return None,
        }
    } else {
        return None;
    };
    Some(Setup {
        library: &STARLETTE_CORS,
        node: id,
        origin,
        origin_at: Some(at),
        credentials_at: Some(creds),
        what: format!("`CORSMiddleware` with `{}`", arg_text(ast, text, c, at)),
        pending: Vec::new(),
        shared: None,
    })
}

/// A module-level constant's value (`origins = ["*"]`), else the expression itself.
fn resolve_py(ast: &Ast, v: NodeId) -> NodeId {
    resolve_literal(ast, v)
}

/// Whether a Python origins value lets every origin in: `"*"`, `".*"`, or a list holding one.
/// `None`: not a literal.
fn py_wildcard(ast: &Ast, v: NodeId) -> Option<bool> {
    let v = resolve_py(ast, v);
    match ast.kind(v) {
        Kind::Str(_) => Some(
            ast.plain_str(v)
                .is_some_and(|s| s == "*" || regex_matches_all(s)),
        ),
        Kind::Array(items) => {
            let mut all_literal = true;
            for &i in items {
                match ast.plain_str(i) {
                    Some(s) if s == "*" || regex_matches_all(s) => return Some(true),
                    Some(_) => {}
                    None => all_literal = false,
                }
            }
            all_literal.then_some(false)
        }
        _ => None,
    }
}

/// The Flask-CORS (and sanic-cors) extension and decorator.
const FLASK_CORS_CALLS: &[&str] = &[
    "flask_cors.CORS",
    "flask_cors.cross_origin",
    "sanic_cors.CORS",
    "sanic_cors.cross_origin",
];

/// Flask-CORS (`CORS(app, ..)`, `@cross_origin(..)`, `cors.init_app(app, ..)`; also sanic-cors) with the default or a
/// wildcard origin and `supports_credentials=True` (given here, per resource, or in the app's
/// config).
fn flask_cors(ast: &Ast, path: &Path, imports: &Imports, id: NodeId) -> Option<Setup> {
    let c = ast.call(id)?;
    match ast.callee_name(c) {
        Some("CORS" | "cross_origin") => {
            let q = imports.qualify(ast, c.callee)?;
            if !FLASK_CORS_CALLS.contains(&q.as_str()) {
                return None;
            }
            // `cors = CORS()`: configured later by `cors.init_app(app, ..)`
            if q.ends_with("CORS") && ast.positional(c).next().is_none() {
                return None;
            }
        }
        // the extension pattern: `cors = CORS()` .. `cors.init_app(app, supports_credentials=True)`
        Some("init_app") => {
            let Kind::Name(ext) = ast.kind(ast.receiver(c)?) else {
                return None;
            };
            let made_here = local_value(ast, ext, id)
                .and_then(|v| ast.call(ast.unwrap_expr(v)))
                .and_then(|k| imports.qualify(ast, k.callee))
                .is_some_and(|q| FLASK_CORS_CALLS.contains(&q.as_str()));
            // imported from the project's `extensions` module
            let imported = ext.eq_ignore_ascii_case("cors")
                && ast.import_binding(ext).is_some()
                && ast.kwarg(c, "supports_credentials").is_some();
            if !made_here && !imported {
                return None;
            }
        }
        _ => return None,
    }
    let top_creds = ast
        .kwarg(c, "supports_credentials")
        .map(|v| matches!(ast.kind(resolve_py(ast, v)), Kind::Bool(true)));
    if ast.kwarg(c, "send_wildcard").is_some() {
        return None;
    }
    if c.args.iter().any(|a| a.spread) {
        return None;
    }
    let top_origins = ast.kwarg(c, "origins");
    // per-resource options: `resources={r"/api/*": {"origins": "*"}}`
    let mut origin_at = top_origins;
    let mut creds_at = ast.kwarg(c, "supports_credentials");
    let mut any_open = false;
    let mut creds = top_creds;
    let top_wild = match top_origins {
        Some(o) => py_wildcard(ast, o)?,
        None => true,
    };
    match ast.kwarg(c, "resources").map(|r| resolve_py(ast, r)) {
        Some(r) if matches!(ast.kind(r), Kind::Object { .. }) => {
            let Kind::Object { entries, .. } = ast.kind(r) else {
                return None;
            };
            for e in entries {
                if !matches!(ast.kind(e.value), Kind::Object { .. }) {
                    return None;
                }
                let wild = match ast.entry(e.value, "origins") {
                    Some(o) => {
                        let w = py_wildcard(ast, o.value)?;
                        if w {
                            origin_at = Some(o.value);
                        }
                        w
                    }
                    None => top_wild,
                };
                let rc = match ast.entry(e.value, "supports_credentials") {
                    Some(s) => {
                        let yes = matches!(ast.kind(s.value), Kind::Bool(true));
                        if yes {
                            creds_at = Some(s.value);
                        }
                        Some(yes)
                    }
                    None => top_creds,
                };
                if wild && rc != Some(false) {
                    any_open = true;
                    if rc == Some(true) {
                        creds = Some(true);
                    }
                }
            }
        }
        Some(_) => any_open = top_wild,
        None => any_open = top_wild,
    }
    if !any_open || creds == Some(false) {
        return None;
    }
    let mut pending = Vec::new();
    if creds.is_none() {
        pending.push(CorsCheck::SettingTrue {
            name: FLASK_CREDENTIALS,
            dir: parent_dir(path),
            above: true,
        });
    }
    let explicit = origin_at.is_some();
    if !explicit {
        pending.push(CorsCheck::NotRestricted {
            names: &[FLASK_ORIGINS, FLASK_RESOURCES],
            dir: parent_dir(path),
        });
    }
    let what = if explicit {
        "Flask-CORS with every origin allowed"
    } else {
        "Flask-CORS with its default origins (`*`)"
    };
    Some(Setup {
        library: &FLASK_CORS,
        node: id,
        origin: if explicit {
            Origin::Star
        } else {
            Origin::Unset
        },
        origin_at,
        credentials_at: creds_at,
        what: what.into(),
        pending,
        shared: None,
    })
}

/// aiohttp-cors: `{"*": aiohttp_cors.ResourceOptions(allow_credentials=True, ..)}`.
fn aiohttp_cors(ast: &Ast, imports: &Imports, id: NodeId) -> Option<Setup> {
    let e = ast.entry(id, "*")?;
    let c = ast.call(e.value)?;
    let q = imports.qualify(ast, c.callee)?;
    if !q.ends_with("ResourceOptions") || !imports.uses("aiohttp_cors") {
        return None;
    }
    let creds = ast.kwarg(c, "allow_credentials")?;
    if !matches!(ast.kind(creds), Kind::Bool(true)) {
        return None;
    }
    Some(Setup {
        library: &AIOHTTP_CORS,
        node: e.key_node.unwrap_or(id),
        origin: Origin::Star,
        origin_at: e.key_node,
        credentials_at: Some(creds),
        what: "aiohttp-cors with options for the origin `\"*\"`".into(),
        pending: Vec::new(),
        shared: None,
    })
}

// --- Rust -----------------------------------------------------------------------------------

/// How a Rust CORS builder starts: (qualified constructor, library, origin, credentials).
const RUST_ROOTS: &[(&str, &Library, Origin, bool)] = &[
    (
        "tower_http::cors::CorsLayer::new",
        &TOWER_CORS,
        Origin::Unset,
        false,
    ),
    (
        "tower_http::cors::CorsLayer::default",
        &TOWER_CORS,
        Origin::Unset,
        false,
    ),
    (
        "tower_http::cors::CorsLayer::permissive",
        &TOWER_CORS,
        Origin::Star,
        false,
    ),
    (
        "tower_http::cors::CorsLayer::very_permissive",
        &TOWER_CORS,
        Origin::Any,
        true,
    ),
    (
        "actix_cors::Cors::default",
        &ACTIX_CORS,
        Origin::Unset,
        false,
    ),
    (
        "actix_cors::Cors::permissive",
        &ACTIX_CORS,
        Origin::Any,
        true,
    ),
    ("warp::cors", &WARP_CORS, Origin::Unset, false),
    (
        "warp::filters::cors::cors",
        &WARP_CORS,
        Origin::Unset,
        false,
    ),
    (
        "rocket_cors::CorsOptions::default",
        &ROCKET_CORS,
        Origin::Unset,
        false,
    ),
    (
        "poem::middleware::Cors::new",
        &POEM_CORS,
        Origin::Unset,
        false,
    ),
];

/// The qualified path of a Rust constructor, with the crates a bare type name may come from
/// when the file imports the crate by glob (`use tower_http::cors::*`).
fn rust_root(imports: &Imports, path: &str) -> Option<(&'static Library, Origin, bool)> {
    let q = imports.qualify_path(path);
    let q = q.strip_prefix("::").unwrap_or(&q);
    let hit = RUST_ROOTS.iter().find(|(r, ..)| {
        *r == q
            || r.ends_with(&format!("::{q}"))
                && q.contains("::")
                && r.split("::")
                    .next()
                    .is_some_and(|krate| imports.uses(krate))
    });
    hit.map(|(_, l, o, c)| (*l, *o, *c))
}

fn rust_setup(ast: &Ast, text: &str, imports: &Imports, id: NodeId) -> Option<Setup> {
    match ast.kind(id) {
        Kind::Call(_) => rust_chain(ast, text, imports, id),
        Kind::Object { ty: Some(t), .. } => rocket_options(ast, imports, id, t),
        _ => None,
    }
}

/// A builder chain, checked at its outermost call: `CorsLayer::new().allow_origin(Any)
/// .allow_credentials(true)`, `Cors::permissive()`, `warp::cors().allow_any_origin()..`.
fn rust_chain(ast: &Ast, text: &str, imports: &Imports, id: NodeId) -> Option<Setup> {
    // only the outermost call of a chain
    if let Some(p) = ast.parent(id) {
        if let Kind::Member { object, .. } = ast.kind(p) {
            if *object == id
                && ast
                    .parent(p)
                    .and_then(|g| ast.call(g))
                    .is_some_and(|c| c.callee == p)
            {
                return None;
            }
        }
    }
    // the chain starts at a CORS constructor (`CorsLayer::new`, `Cors::permissive`, `cors`)
    let Kind::Name(path) = ast.kind(ast.chain_root(id)) else {
        return None;
    };
    let ctor = path.rsplit("::").next().unwrap_or(path);
    if !matches!(
        ctor,
        "new" | "default" | "permissive" | "very_permissive" | "cors"
    ) {
        return None;
    }
    let chain = ast.call_chain(id);
    let root = *chain.first()?;
    let (library, mut origin, mut creds) = rust_root(imports, path)?;
    let mut origin_at = (origin != Origin::Unset).then_some(root);
    let mut creds_at = creds.then_some(root);
    for &call in &chain[1..] {
        let c = ast.call(call)?;
        let Some(m) = ast.callee_name(c) else {
            continue;
        };
        let arg = ast.positional(c).next();
        match m {
            "allow_origin" | "allowed_origins" | "allow_origins" | "allowed_origin"
            | "allowed_origin_fn" | "allow_origins_fn" => {
                origin = match arg {
                    Some(a) => rust_origin(ast, a),
                    None => Origin::Other,
                };
                origin_at = Some(call);
            }
            "allow_any_origin" => {
                origin = Origin::Any;
                origin_at = Some(call);
            }
            "send_wildcard" if origin == Origin::Any || origin == Origin::Unset => {
                let on = arg.is_none_or(|a| matches!(ast.kind(a), Kind::Bool(true)));
                if on {
                    origin = Origin::Star;
                }
            }
            "allow_credentials" | "supports_credentials" => {
                creds = match arg {
                    None => true,
                    Some(a) => {
                        matches!(ast.kind(a), Kind::Bool(true))
                            || ast
                                .path_of(ast.call(a).map_or(a, |c| c.callee))
                                .is_some_and(|p| p.ends_with("AllowCredentials::yes"))
                    }
                };
                creds_at = Some(call);
            }
            _ => {}
        }
    }
    if !creds {
        return None;
    }
    let what = match (origin_at, creds_at) {
        (Some(o), _) => format!("`{}`", call_text(ast, text, o)),
        (None, _) => format!("`{}` with its default origins", library.name),
    };
    Some(Setup {
        library,
        node: origin_at.unwrap_or(id),
        origin,
        origin_at,
        credentials_at: creds_at,
        what,
        pending: Vec::new(),
        shared: None,
    })
}

/// The method call as a reader knows it: `Cors::permissive()`, `.allow_any_origin()`.
fn call_text(ast: &Ast, text: &str, call: NodeId) -> String {
    let Some(c) = ast.call(call) else {
        return String::new();
    };
    match ast.kind(c.callee) {
        Kind::Member { property, .. } => {
            let args: Vec<String> = ast.positional(c).map(|a| short(ast, text, a)).collect();
            format!(".{property}({})", args.join(", "))
        }
        _ => short(ast, text, call),
    }
}

/// What a Rust origin argument lets in.
fn rust_origin(ast: &Ast, a: NodeId) -> Origin {
    let a = ast.unwrap_expr(a);
    match ast.kind(a) {
        Kind::Name(n) => {
            let last = n.rsplit("::").next().unwrap_or(n);
            if last == "Any" {
                Origin::Star
            } else {
                Origin::Other
            }
        }
        Kind::Function(_) => rust_predicate(ast, a),
        Kind::Call(c) => {
            let callee = ast.path_of(c.callee).unwrap_or_default();
            let last = callee.rsplit(['.', ':']).next().unwrap_or("");
            match last {
                "any" if callee.contains("AllowOrigin") => Origin::Star,
                "mirror_request" => Origin::Any,
                "all" if callee.contains("AllowedOrigins") => Origin::Any,
                "predicate" | "async_predicate" => match ast.positional(c).next() {
                    Some(f) => rust_predicate(ast, ast.unwrap_expr(f)),
                    None => Origin::Other,
                },
                // `"*".parse().unwrap()`, `HeaderValue::from_static("*")`
                _ => {
                    let star = ast.subtree(a).any(|n| ast.plain_str(n) == Some("*"));
                    if star && ast.subtree(a).count() <= 8 {
                        Origin::Star
                    } else {
                        Origin::Other
                    }
                }
            }
        }
        Kind::Str(_) if ast.plain_str(a) == Some("*") => Origin::Star,
        _ => Origin::Other,
    }
}

/// A closure that accepts every origin: `|_, _| true`.
fn rust_predicate(ast: &Ast, f: NodeId) -> Origin {
    let Some(func) = ast.function(f) else {
        return Origin::Other;
    };
    let only = match func.body.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    let body = func.expr_body.or(only);
    match body.map(|b| ast.kind(ast.unwrap_expr(b))) {
        Some(Kind::Bool(true)) => Origin::Any,
        _ => Origin::Other,
    }
}

/// rocket_cors `CorsOptions { allowed_origins: AllowedOrigins::all(), allow_credentials: true,
/// ..Default::default() }`.
fn rocket_options(ast: &Ast, imports: &Imports, id: NodeId, ty: &str) -> Option<Setup> {
    let ty = ty.rsplit("::").next().unwrap_or(ty);
    if ty != "CorsOptions" || !imports.uses("rocket_cors") {
        return None;
    }
    let creds = ast.entry(id, "allow_credentials")?;
    if !matches!(ast.kind(creds.value), Kind::Bool(true)) {
        return None;
    }
    let (origin, origin_at) = match ast.entry(id, "allowed_origins") {
        Some(e) => (rust_origin(ast, e.value), Some(e.value)),
        None => (Origin::Unset, None),
    };
    let origin = match ast.entry(id, "send_wildcard") {
        Some(w) if matches!(ast.kind(w.value), Kind::Bool(true)) => Origin::Star,
        _ => origin,
    };
    Some(Setup {
        library: &ROCKET_CORS,
        node: origin_at.unwrap_or(id),
        origin,
        origin_at,
        credentials_at: Some(creds.value),
        what: "rocket_cors `CorsOptions` with all origins".into(),
        pending: Vec::new(),
        shared: None,
    })
}

// --- hand-written headers -------------------------------------------------------------------

/// `Access-Control-Allow-Origin` set by hand to the request's `Origin` header.
#[derive(Clone, Copy, Debug)]
pub struct Reflection {
    /// The call, assignment or object that sets the header.
    pub node: NodeId,
    /// Where to report: the setter, or the entry of an object.
    pub at: NodeId,
    /// Where `Access-Control-Allow-Credentials: true` is set.
    pub credentials: NodeId,
}

/// A header name node: a string (any case) or a Rust constant (`header::ACCESS_CONTROL_..`).
fn is_header(ast: &Ast, id: NodeId, name: &str) -> bool {
    let same = |s: &str| {
        s.len() == name.len()
            && s.bytes()
                .zip(name.bytes())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b) || a == b'_' && b == b'-')
    };
    match ast.kind(id) {
        Kind::Str(s) => s.value.eq_ignore_ascii_case(name),
        Kind::Name(n) => same(n.rsplit("::").next().unwrap_or(n)),
        _ => false,
    }
}

const ALLOW_ORIGIN: &str = "access-control-allow-origin";
const ALLOW_CREDENTIALS: &str = "access-control-allow-credentials";

/// The header a node sets, and the value: `res.setHeader(NAME, v)`, `headers.insert(NAME, v)`,
/// `.insert_header((NAME, v))`, `resp.headers[NAME] = v`, `{NAME: v}`. Returns (setter, name node,
/// value).
fn header_set(ast: &Ast, id: NodeId, name: &str) -> Option<(NodeId, NodeId, NodeId)> {
    match ast.kind(id) {
        Kind::Call(c) => {
            let mut args = ast.positional(c);
            while let Some(a) = args.next() {
                if is_header(ast, a, name) {
                    return Some((id, a, args.next()?));
                }
                // a `(name, value)` tuple
                if let Kind::Array(items) = ast.kind(a) {
                    if items.len() == 2 && is_header(ast, items[0], name) {
                        return Some((id, items[0], items[1]));
                    }
                }
            }
            None
        }
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } => match ast.kind(*target) {
            Kind::Index { index, .. } if is_header(ast, *index, name) => Some((id, *index, *v)),
            _ => None,
        },
        Kind::Object { entries, .. } => entries.iter().find_map(|e| {
            let k = e.key_node?;
            is_header(ast, k, name).then_some((id, k, e.value))
        }),
        _ => None,
    }
}

/// `Access-Control-Allow-Origin` set at `id` to the request origin, unchecked, with
/// `Access-Control-Allow-Credentials: true` set in the same function.
pub fn reflection(ast: &Ast, text: &str, id: NodeId) -> Option<Reflection> {
    let (setter, name, value) = header_set(ast, id, ALLOW_ORIGIN)?;
    // a request's origin is only at hand in a function (a handler, a middleware)
    let scope = ast.enclosing_function(id)?;
    let mut holders = Vec::new();
    if !from_origin(ast, text, value, id, scope, &mut holders, 0) {
        return None;
    }
    let credentials = credentials_in(ast, scope)?;
    if compared(ast, scope, setter, &holders) {
        return None;
    }
    let at = if matches!(ast.kind(setter), Kind::Object { .. }) {
        name
    } else {
        setter
    };
    Some(Reflection {
        node: setter,
        at,
        credentials,
    })
}

/// Where `Access-Control-Allow-Credentials: true` is set in `scope`.
fn credentials_in(ast: &Ast, scope: NodeId) -> Option<NodeId> {
    let names = ast.nodes_where("cors-credentials-header", |ast, n| {
        is_header(ast, n, ALLOW_CREDENTIALS)
    });
    ast.within(scope, &names).iter().find_map(|&n| {
        // the setter is the node holding the name: its parent, or the assignment around `x[name]`
        let mut p = ast.parent(n)?;
        if matches!(ast.kind(p), Kind::Index { .. } | Kind::Array(_)) {
            let up = ast.parent(p)?;
            if matches!(ast.kind(up), Kind::Assign { .. } | Kind::Call(_)) {
                p = up;
            }
        }
        let (setter, _, v) = header_set(ast, p, ALLOW_CREDENTIALS)?;
        let yes = ast.subtree(v).any(|x| match ast.kind(x) {
            Kind::Bool(b) => *b,
            Kind::Str(s) => s.value.eq_ignore_ascii_case("true"),
            _ => false,
        });
        yes.then_some(setter)
    })
}

/// Methods and functions that hand a value on unchanged for this purpose.
const PASS_METHODS: &[&str] = &[
    "clone",
    "cloned",
    "to_owned",
    "to_string",
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "to_str",
    "as_str",
    "copied",
    "into",
    "trim",
    "strip",
    "toString",
    "from_str",
    "from_bytes",
    "from_maybe_shared",
    "from",
    "str",
    "String",
    "Some",
    "Ok",
    "decode",
    "and_then",
    "map",
    "ok",
    "as_deref",
];

/// Whether `v` is the request's `Origin` header (through local variables, `clone()`/`unwrap()`
/// and `x || '*'` fallbacks). Names followed are pushed to `holders`.
fn from_origin(
    ast: &Ast,
    text: &str,
    v: NodeId,
    at: NodeId,
    scope: NodeId,
    holders: &mut Vec<String>,
    depth: u8,
) -> bool {
    if depth > 4 {
        return false;
    }
    let v = ast.unwrap_expr(v);
    if is_origin_read(ast, v) {
        return true;
    }
    match ast.kind(v) {
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            if !PASS_METHODS.contains(&name) {
                return false;
            }
            let inner = ast
                .receiver(c)
                .filter(|_| !matches!(ast.kind(c.callee), Kind::Name(_)));
            let inner = match inner {
                Some(r)
                    if ast.path_of(r).is_none_or(|p| !p.contains("::"))
                        && !is_type_path(ast, r) =>
                {
                    Some(r)
                }
                _ => ast.positional(c).next(),
            };
            inner.is_some_and(|i| from_origin(ast, text, i, at, scope, holders, depth + 1))
        }
        // `origin || '*'`, `origin ?? '*'`, `origin or "*"`
        Kind::Binary { op, lhs, rhs }
            if *op == crate::ast::BinOp::Or
                || text
                    .get(ast.span(*lhs).end as usize..ast.span(*rhs).start as usize)
                    .is_some_and(|t| t.trim() == "??") =>
        {
            from_origin(ast, text, *lhs, at, scope, holders, depth + 1)
                || from_origin(ast, text, *rhs, at, scope, holders, depth + 1)
        }
        Kind::Name(n) => {
            if let Some((assign, value)) = ast.assignment_before(n, scope, at, false) {
                let direct = matches!(ast.kind(assign), Kind::Assign { target, .. } if matches!(ast.kind(*target), Kind::Name(_)));
                let hit = if direct {
                    from_origin(ast, text, value, assign, scope, holders, depth + 1)
                } else {
                    // `const { origin } = req.headers`
                    n.eq_ignore_ascii_case("origin")
                        && ast
                            .path_of(ast.unwrap_expr(value))
                            .is_some_and(|p| p.ends_with("headers"))
                };
                if hit {
                    holders.push(n.clone());
                }
                return hit;
            }
            // Rust `if let Some(origin) = req.headers().get(ORIGIN) { .. }`
            for a in ast.ancestors(v) {
                if a == scope {
                    break;
                }
                if let Kind::If { cond, .. } = ast.kind(a) {
                    if !is_origin_read(ast, ast.unwrap_expr(*cond))
                        && !from_origin(ast, text, *cond, a, scope, &mut Vec::new(), depth + 1)
                    {
                        continue;
                    }
                    let head = text
                        .get(ast.span(a).start as usize..ast.span(*cond).start as usize)
                        .unwrap_or("");
                    let bound = head.split(['(', ')', ' ', '=']).any(|w| w == n);
                    if head.contains("let ") && bound {
                        holders.push(n.clone());
                        return true;
                    }
                }
            }
            false
        }
        _ => false,
    }
}

/// A receiver that is a type path (`HeaderValue` in `HeaderValue::from_str`), not a value.
fn is_type_path(ast: &Ast, r: NodeId) -> bool {
    matches!(ast.kind(r), Kind::Name(n) if n.chars().next().is_some_and(char::is_uppercase))
}

/// A read of the request's `Origin` header: `req.headers.origin`, `req.get('origin')`,
/// `ctx.get('Origin')`, `request.headers.get("Origin")`, `request.META["HTTP_ORIGIN"]`,
/// `req.headers().get(ORIGIN)`, `headers.get("origin")`.
pub fn is_origin_read(ast: &Ast, id: NodeId) -> bool {
    let origin_key = |k: NodeId| match ast.kind(k) {
        Kind::Str(s) => s.value.eq_ignore_ascii_case("origin") || s.value == "HTTP_ORIGIN",
        Kind::Name(n) => n.rsplit("::").next() == Some("ORIGIN"),
        _ => false,
    };
    let requestish = |o: NodeId| {
        let o = ast.unwrap_expr(o);
        let p = match ast.kind(o) {
            Kind::Call(c) => ast.path_of(c.callee),
            _ => ast.path_of(o),
        };
        p.is_some_and(|p| {
            p.split(['.', ':']).any(|seg| {
                matches!(
                    seg,
                    "req"
                        | "request"
                        | "ctx"
                        | "context"
                        | "headers"
                        | "header"
                        | "META"
                        | "environ"
                        | "head"
                        | "c"
                        | "event"
                        | "scope"
                        | "self"
                )
            })
        })
    };
    match ast.kind(id) {
        Kind::Member { object, property } => {
            property.eq_ignore_ascii_case("origin")
                && ast
                    .path_of(*object)
                    .is_some_and(|p| p.ends_with("headers") || p.ends_with("header"))
        }
        Kind::Index { object, index } => {
            origin_key(*index)
                && ast.path_of(*object).is_some_and(|p| {
                    p.ends_with("headers") || p.ends_with("META") || p.ends_with("environ")
                })
        }
        Kind::Call(c) => {
            let Some(m) = ast.callee_name(c) else {
                return false;
            };
            if !matches!(
                m,
                "get" | "header" | "getHeader" | "get_header" | "get_one" | "headers"
            ) {
                return false;
            }
            let Some(recv) = ast.receiver(c) else {
                return false;
            };
            ast.positional(c).next().is_some_and(origin_key) && requestish(recv)
        }
        _ => false,
    }
}

/// Whether the origin is compared or looked up in `scope` (an allow-list, a suffix check, a
/// validator), other than by the header set itself and a presence test.
fn compared(ast: &Ast, scope: NodeId, setter: NodeId, holders: &[String]) -> bool {
    let reads = ast.nodes_where("cors-origin-reads", is_origin_read);
    let mut uses: Vec<NodeId> = ast.within(scope, &reads).to_vec();
    for h in holders {
        uses.extend_from_slice(ast.names_in(h, scope));
    }
    uses.into_iter()
        .filter(|&u| !ast.contains(setter, u))
        .any(|u| checks(ast, u))
}

/// Whether a use of the origin checks it: an argument of a call (`allowed.includes(origin)`,
/// `is_allowed(&origin)`), a comparison (`origin in ALLOWED`, `origin === x`), a method on it
/// (`origin.endsWith(..)`), an index (`ALLOWED[origin]`). Presence tests, logging, passing it on
/// unchanged and binding it to a name do not.
fn checks(ast: &Ast, mut u: NodeId) -> bool {
    loop {
        let Some(p) = ast.parent(u) else { return false };
        match ast.kind(p) {
            Kind::Call(c) => {
                let name = ast.callee_name(c).unwrap_or("");
                if c.callee == u {
                    return false;
                }
                let logging = ast.path_of(c.callee).is_some_and(|q| {
                    q.starts_with("console.")
                        || q.starts_with("logger.")
                        || q.starts_with("log.")
                        || q.starts_with("logging.")
                        || q == "print"
                        || ["debug", "info", "warn", "error", "trace"].contains(&name) && c.is_macro
                });
                if logging {
                    return false;
                }
                if PASS_METHODS.contains(&name) || is_origin_read(ast, p) {
                    u = p;
                    continue;
                }
                return true;
            }
            Kind::Member { object, property } if *object == u => {
                // a method called on the origin
                let called = ast
                    .parent(p)
                    .and_then(|g| ast.call(g))
                    .is_some_and(|c| c.callee == p);
                if called && PASS_METHODS.contains(&property.as_str())
                    || property == "as_bytes"
                    || property == "lower"
                    || property == "toLowerCase"
                {
                    u = ast.parent(p).filter(|_| called).unwrap_or(p);
                    continue;
                }
                return called;
            }
            Kind::Binary { op, lhs, rhs } => match op {
                crate::ast::BinOp::Compare => {
                    let other = if *lhs == u { *rhs } else { *lhs };
                    return !matches!(ast.kind(other), Kind::Null)
                        && !matches!(ast.kind(other), Kind::Name(n) if n == "undefined" || n == "None");
                }
                crate::ast::BinOp::Or | crate::ast::BinOp::And => {
                    u = p;
                    continue;
                }
                _ => return false,
            },
            Kind::Index { index, .. } => return *index == u,
            Kind::Other if ast.children(p).count() == 1 => {
                u = p;
                continue;
            }
            _ => return false,
        }
    }
}

// --- development-only code -------------------------------------------------------------------

/// Whether `id` only runs in development ([`crate::knowledge::environments::guarded`]); an
/// operator's switch (`if settings.CORS_ENABLED:`) does not count: production may set it.
pub fn dev_only(ast: &Ast, text: &str, id: NodeId) -> bool {
    crate::knowledge::environments::guarded(ast, text, id, Switches::Ignore)
}

// --- facts, index and conditions --------------------------------------------------------------

/// A settings value, as far as CORS is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SettingValue {
    True,
    False,
    /// `"*"` or a list holding it.
    Wildcard,
    Other,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Setting {
    #[serde(with = "crate::cache::statics::str")]
    pub name: crate::cache::statics::StaticStr,
    pub value: SettingValue,
    pub at: Position,
}

/// A JS object with CORS options bound to an exported name (`export const corsOptions = {..}`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SharedOptions {
    /// The export name (`default` for `export default` / `module.exports`).
    pub name: String,
    pub origin: Origin,
    pub credentials: Option<bool>,
    pub at: Position,
    pub end: Position,
}

/// What one file says about CORS for the project index.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct CorsFacts {
    /// CORS settings this file makes (Django settings, Flask config), in order.
    pub settings: Vec<Setting>,
    pub options: Vec<SharedOptions>,
}

impl CorsFacts {
    /// The last value this file gives a setting.
    pub fn setting(&self, name: &str) -> Option<SettingValue> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.name == name)
            .map(|s| s.value)
    }
}

/// Collects the settings and shared options of a file (production settings only).
pub fn collect_facts(ast: &Ast, file: &SourceFile) -> CorsFacts {
    let mut out = CorsFacts::default();
    match ast.lang {
        Lang::Python if production_settings(&file.path) => {
            let mut stmts: Vec<NodeId> = Vec::new();
            for s in ast.children(ROOT) {
                match ast.kind(s) {
                    Kind::Class(c) if !dev_function(&c.name) => {
                        stmts.extend(c.body.iter().copied())
                    }
                    _ => stmts.push(s),
                }
            }
            for s in stmts {
                collect_setting(ast, file, s, &mut out.settings);
            }
        }
        Lang::TypeScript => {
            for s in ast.children(ROOT) {
                let (name, obj) = match ast.kind(s) {
                    Kind::Assign {
                        target,
                        value: Some(v),
                        ..
                    } => {
                        let name = match ast.kind(*target) {
                            Kind::Name(n) => n.clone(),
                            _ => match ast.path_of(*target).as_deref() {
                                Some("module.exports" | "exports.default") => "default".into(),
                                Some(p)
                                    if p.starts_with("exports.")
                                        || p.starts_with("module.exports.") =>
                                {
                                    p.rsplit('.').next().unwrap_or(p).to_string()
                                }
                                _ => continue,
                            },
                        };
                        (name, ast.unwrap_expr(*v))
                    }
                    Kind::Object { .. } => ("default".to_string(), s),
                    _ => continue,
                };
                if ast.entry(obj, "origin").is_none() && ast.entry(obj, "credentials").is_none() {
                    continue;
                }
                let Some(shape) = js_shape(ast, &file.text, obj) else {
                    continue;
                };
                let start = ast.span(s).start;
                let line = file.line_index(start);
                // the label covers the statement's first line
                let line_end = file.line_start(line) + file.line_text(line).len() as u32;
                out.options.push(SharedOptions {
                    name,
                    origin: shape.origin,
                    credentials: shape.credentials,
                    at: file.position(start),
                    end: file.position(line_end.min(ast.span(s).end).max(start)),
                });
            }
        }
        _ => {}
    }
    out
}

fn collect_setting(ast: &Ast, file: &SourceFile, s: NodeId, out: &mut Vec<Setting>) {
    let mut add = |name: &str, v: NodeId| {
        if let Some(&n) = SETTINGS.iter().find(|k| **k == name) {
            out.push(Setting {
                name: n,
                value: setting_value(ast, v),
                at: file.position(ast.span(s).start),
            });
        }
    };
    match ast.kind(s) {
        Kind::Assign {
            target,
            value: Some(v),
            augmented: false,
            ..
        } => match ast.kind(*target) {
            Kind::Name(n) => add(n, *v),
            // `app.config["CORS_SUPPORTS_CREDENTIALS"] = True`
            Kind::Index { object, index }
                if ast.path_of(*object).is_some_and(|p| p.ends_with("config")) =>
            {
                if let Some(k) = ast.plain_str(*index) {
                    add(k, *v);
                }
            }
            _ => {}
        },
        // `app.config.update(CORS_SUPPORTS_CREDENTIALS=True)`
        Kind::Call(c) if matches!(ast.callee_name(c), Some("update" | "from_mapping")) => {
            for a in &c.args {
                if let Some(k) = &a.name {
                    add(k, a.value);
                }
            }
        }
        _ => {}
    }
}

fn setting_value(ast: &Ast, v: NodeId) -> SettingValue {
    match ast.kind(v) {
        Kind::Bool(true) => SettingValue::True,
        Kind::Bool(false) | Kind::Null => SettingValue::False,
        _ => match py_wildcard(ast, v) {
            Some(true) => SettingValue::Wildcard,
            _ => SettingValue::Other,
        },
    }
}

/// A CORS fact a finding depends on, from other files of the project.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum CorsCheck {
    /// Holds if a production settings file in `dir` (or, with `above`, in a folder above it)
    /// sets `name` to `True`.
    SettingTrue {
        #[serde(with = "crate::cache::statics::str")]
        name: crate::cache::statics::StaticStr,
        dir: PathBuf,
        above: bool,
    },
    /// Holds unless a production settings file of `dir` that is not a base file (see
    /// [`base_settings`]) gives `name` another value than the base file does: the base
    /// file's catch-all is overridden there.
    NotOverridden {
        #[serde(with = "crate::cache::statics::str")]
        name: crate::cache::statics::StaticStr,
        dir: PathBuf,
    },
    /// Holds unless a settings file in `dir` or above sets one of `names` to something other
    /// than a wildcard.
    NotRestricted {
        #[serde(with = "crate::cache::statics::slice")]
        names: &'static [&'static str],
        dir: PathBuf,
    },
    /// Holds if the options object exported as `name` by the module `module` (normalised,
    /// see [`crate::imports::normalise_module`]) allows credentials and has `library` send
    /// `effect`.
    SharedOptions {
        module: String,
        name: String,
        #[serde(with = "library_by_name")]
        library: &'static Library,
        effect: Effect,
    },
}

#[derive(Clone, Debug)]
struct SettingSite {
    path: PathBuf,
    value: SettingValue,
    at: Position,
}

#[derive(Clone, Debug)]
struct OptionsSite {
    path: PathBuf,
    module: String,
    options: SharedOptions,
}

/// CORS facts of every file.
#[derive(Debug, Default)]
pub struct CorsIndex {
    settings: HashMap<&'static str, Vec<SettingSite>>,
    options: HashMap<String, Vec<OptionsSite>>,
}

/// What settling a check adds to the finding: a related place in another file.
pub struct Settled {
    pub path: PathBuf,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

impl CorsIndex {
    pub fn add(&mut self, path: &Path, module: &str, facts: CorsFacts) {
        for s in facts.settings {
            self.settings.entry(s.name).or_default().push(SettingSite {
                path: path.to_path_buf(),
                value: s.value,
                at: s.at,
            });
        }
        for o in facts.options {
            self.options
                .entry(o.name.clone())
                .or_default()
                .push(OptionsSite {
                    path: path.to_path_buf(),
                    module: module.to_string(),
                    options: o,
                });
        }
    }

    /// Whether `check` holds; `Some` with what to show for it when it does.
    pub fn settle(&self, check: &CorsCheck) -> Option<Option<Settled>> {
        match check {
            CorsCheck::SettingTrue { name, dir, above } => {
                // files that override a base settings file decide when they set it
                let sites: Vec<&SettingSite> = self
                    .settings
                    .get(name)?
                    .iter()
                    .filter(|s| sees(&s.path, dir, *above))
                    .collect();
                let overriding: Vec<&SettingSite> = sites
                    .iter()
                    .copied()
                    .filter(|s| !base_settings(&s.path))
                    .collect();
                let decide = if overriding.is_empty() {
                    &sites
                } else {
                    &overriding
                };
                // the first in the project, whatever order the files were merged in
                let on = decide
                    .iter()
                    .filter(|s| s.value == SettingValue::True)
                    .min_by(|a, b| (&a.path, a.at.line).cmp(&(&b.path, b.at.line)))?;
                Some(Some(Settled {
                    path: on.path.clone(),
                    start: on.at,
                    end: on.at,
                    message: format!("`{name} = True` here"),
                }))
            }
            CorsCheck::NotOverridden { name, dir } => {
                let overridden = self.settings.get(name).into_iter().flatten().any(|s| {
                    s.path.parent() == Some(dir.as_path())
                        && !base_settings(&s.path)
                        && !matches!(s.value, SettingValue::True | SettingValue::Wildcard)
                });
                (!overridden).then_some(None)
            }
            CorsCheck::NotRestricted { names, dir } => {
                let restricted = names.iter().any(|n| {
                    self.settings
                        .get(n)
                        .into_iter()
                        .flatten()
                        .any(|s| s.value != SettingValue::Wildcard && sees(&s.path, dir, true))
                });
                (!restricted).then_some(None)
            }
            CorsCheck::SharedOptions {
                module,
                name,
                library,
                effect,
            } => {
                let site = self
                    .options
                    .get(name)?
                    .iter()
                    .find(|s| crate::imports::ends_with_segments(&s.module, module))?;
                let o = &site.options;
                let creds = o.credentials.unwrap_or(library.default_credentials);
                if !creds || library.effect(o.origin) != Some(*effect) {
                    return None;
                }
                Some(Some(Settled {
                    path: site.path.clone(),
                    start: o.at,
                    end: o.end,
                    message: format!("the options `{name}` are defined here"),
                }))
            }
        }
    }
}

/// Whether the settings file at `settings` applies to code in `dir`: in the same folder, or
/// (with `above`) in a folder above it.
fn sees(settings: &Path, dir: &Path, above: bool) -> bool {
    let d = settings.parent().unwrap_or(Path::new(""));
    d == dir || above && dir.starts_with(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_all_regexes() {
        for re in [".*", "^.*$", ".+", "^https?://.*$", r"^https?:\/\/.*"] {
            assert!(regex_matches_all(re), "{re}");
        }
        for re in [
            "",
            r"^https://\w+\.example\.com$",
            r"https://.*\.example\.com",
            "^$",
        ] {
            assert!(!regex_matches_all(re), "{re}");
        }
    }

    #[test]
    fn settings_files_by_environment() {
        for p in [
            "app/settings.py",
            "config/settings/production.py",
            "proj/settings/base.py",
        ] {
            assert!(production_settings(Path::new(p)), "{p}");
        }
        for p in [
            "config/settings/dev.py",
            "config/settings/local.py",
            "config/settings/test.py",
            "config/settings/e2e.py",
            "proj/settings_ci.py",
        ] {
            assert!(!production_settings(Path::new(p)), "{p}");
        }
    }
}
