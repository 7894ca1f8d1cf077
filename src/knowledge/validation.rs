//! Request input and its validation, for `missing-input-validation`: where handlers read what
//! the client sent (request bodies, query strings, route parameters, typed handler parameters
//! that accept anything), which calls validate it (schema libraries, forms, serializers,
//! typed models, named checks), which calls only pass it on (accessors, wrappers, model
//! constructors), which route set-ups validate before the handler runs (express-validator,
//! celebrate, Fastify `schema`, NestJS `ValidationPipe`), and where unvalidated data does harm
//! (database writes and queries, the file system, processes, outbound requests).

use crate::ast::{Ast, Kind, Lang, NodeId, StrKind};
use crate::imports::Imports;

/// What a source can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Parsed JSON (or `qs`-parsed query strings): objects, arrays, numbers, any nesting.
    Structured,
    /// Strings only (form fields, Django `GET`/`POST`, route parameters).
    Text,
}

/// Request data read by a handler.
#[derive(Clone, Debug)]
pub struct Source {
    pub node: NodeId,
    /// How a reviewer names it: `req.body`, `request.form`, `request.get_json()`.
    pub root: String,
    pub shape: Shape,
    /// The stack, for the message's fix.
    pub stack: Stack,
}

/// Whether a source is the route's path parameters (`req.params`, `ctx.params`,
/// `request.match_info`): single URL segments the router already matched.
pub fn route_segment(root: &str) -> bool {
    root.ends_with(".params") || root.ends_with(".match_info")
}

/// The stack a source belongs to, which decides the fix the message names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Express,
    Koa,
    Fastify,
    Hapi,
    NextJs,
    NestJs,
    Flask,
    Django,
    Drf,
    FastApi,
    Aiohttp,
    Axum,
    Actix,
    Rocket,
}

impl Stack {
    /// The validation this stack's users reach for.
    pub fn fix(self) -> &'static str {
        match self {
            Stack::Express => "parse it with a schema first (zod, joi) or validate it on the route (express-validator, celebrate)",
            Stack::Koa => "parse it with a schema first (zod `schema.parse(ctx.request.body)`, joi) or a validation middleware on the route",
            Stack::Fastify => "declare a JSON `schema` on the route (or parse it with zod/typebox first)",
            Stack::Hapi => "declare `options.validate` (joi) for it on the route",
            Stack::NextJs => "parse it with a zod schema first (`schema.parse(await req.json())`)",
            Stack::NestJs => "type it with a DTO class (class-validator decorators) and enable `ValidationPipe`",
            Stack::Flask => "load it through a marshmallow schema or a pydantic model first",
            Stack::Django => "bind it to a Django Form (or a DRF serializer) and check `is_valid()` first",
            Stack::Drf => "pass it to a serializer (`Serializer(data=request.data)`) and call `is_valid(raise_exception=True)` first",
            Stack::FastApi => "declare a pydantic model for it instead of `dict`/`Any`",
            Stack::Aiohttp => "load it through a pydantic model or marshmallow schema first",
            Stack::Axum => "extract a typed struct (`Json<CreateOrder>` with serde, plus `validator`/`garde` derives) instead of `serde_json::Value`/`HashMap`",
            Stack::Actix => "extract a typed struct (`web::Json<CreateOrder>` with serde, plus `validator`/`garde` derives) instead of `serde_json::Value`/`HashMap`",
            Stack::Rocket => "accept a typed struct (`Json<CreateOrder>` with serde) instead of `serde_json::Value`",
        }
    }
}

/// Member names that may start a source, for the cheap per-file pre-filter.
const SOURCE_PROPS: &[&str] = &[
    "body",
    "query",
    "params",
    "payload",
    "json",
    "form",
    "args",
    "values",
    "POST",
    "GET",
    "data",
    "query_params",
    "match_info",
    "get_json",
    "post",
    "formData",
];

/// A cheap syntactic pre-filter: nodes that may be a source ([`source`] decides).
pub fn maybe_source(ast: &Ast, id: NodeId) -> bool {
    match ast.kind(id) {
        Kind::Member { property, .. } => SOURCE_PROPS.contains(&property.as_str()),
        _ => false,
    }
}

/// Request objects' names as handlers spell them.
const TS_REQUEST_NAMES: &[&str] = &["req", "request", "_req"];
const PY_REQUEST_NAMES: &[&str] = &["request", "req"];

/// Whether `name` is a parameter of a function around `at`; that function.
pub fn param_owner(ast: &Ast, at: NodeId, name: &str) -> Option<NodeId> {
    ast.function_ancestors(at).find(|&f| {
        ast.function(f)
            .is_some_and(|f| f.params.iter().any(|p| p.name == name))
    })
}

/// The source a member read starts, and the function that owns it (the one whose parameter is
/// the request, or for Flask's global `request`, the function around the read).
pub fn source(ast: &Ast, imports: &Imports, id: NodeId) -> Option<(Source, NodeId)> {
    let Kind::Member { object, property } = ast.kind(id) else {
        return None;
    };
    let prop = property.as_str();
    // the member must be read, not called (`req.query(..)`) or written (`req.body = {}`)
    let parent = ast.parent(id);
    let called = parent
        .and_then(|p| ast.call(p))
        .is_some_and(|c| c.callee == id);
    let written =
        parent.is_some_and(|p| matches!(ast.kind(p), Kind::Assign { target, .. } if *target == id));
    if written {
        return None;
    }
    match ast.lang {
        Lang::TypeScript => ts_source(ast, id, *object, prop, called),
        Lang::Python => py_source(ast, imports, id, *object, prop, called),
        Lang::Rust => None,
    }
}

fn make(node: NodeId, root: String, shape: Shape, stack: Stack) -> Source {
    Source {
        node,
        root,
        shape,
        stack,
    }
}

fn ts_source(
    ast: &Ast,
    id: NodeId,
    object: NodeId,
    prop: &str,
    called: bool,
) -> Option<(Source, NodeId)> {
    let obj = ast.path_of(object)?;
    // `ctx.request.body`, `ctx.request.query` (Koa), `ctx.query`, `ctx.params`
    if let Some(ctx) = obj.strip_suffix(".request") {
        if !called && matches!(prop, "body" | "query") && !ctx.contains('.') {
            let owner = param_owner(ast, id, ctx)?;
            let shape = if prop == "body" {
                Shape::Structured
            } else {
                Shape::Text
            };
            return Some((
                make(id, format!("{ctx}.request.{prop}"), shape, Stack::Koa),
                owner,
            ));
        }
        return None;
    }
    if obj == "ctx" && !called && matches!(prop, "query" | "params") {
        let owner = param_owner(ast, id, "ctx")?;
        return Some((
            make(id, format!("ctx.{prop}"), Shape::Text, Stack::Koa),
            owner,
        ));
    }
    if !TS_REQUEST_NAMES.contains(&obj.as_str()) {
        return None;
    }
    let owner = param_owner(ast, id, &obj)?;
    let stack = ts_stack(ast, owner);
    // route parameters are one URL segment each: text
    let source_of = |prop: &str| {
        let shape = if prop == "params" {
            Shape::Text
        } else {
            Shape::Structured
        };
        Some((make(id, format!("{obj}.{prop}"), shape, stack), owner))
    };
    match prop {
        // hapi's body is `request.payload` (elsewhere `req.payload` is most often a decoded
        // token that express-jwt put there)
        "body" | "query" | "params" if !called => source_of(prop),
        "payload" if !called && stack == Stack::Hapi => source_of(prop),
        // Next.js / fetch-style requests: `await req.json()`, `await request.formData()`
        "json" | "formData" if called => {
            let call = ast.parent(id)?;
            if !matches!(ast.parent(call).map(|p| ast.kind(p)), Some(Kind::Await(_))) {
                return None;
            }
            let shape = if prop == "json" {
                Shape::Structured
            } else {
                Shape::Text
            };
            let stack = if stack == Stack::Express {
                Stack::NextJs
            } else {
                stack
            };
            Some((make(call, format!("{obj}.{prop}()"), shape, stack), owner))
        }
        _ => None,
    }
}

fn ts_stack(ast: &Ast, func: NodeId) -> Stack {
    let Some(f) = ast.function(func) else {
        return Stack::Express;
    };
    if f.params.iter().any(|p| {
        p.ty.as_deref()
            .is_some_and(|t| t.starts_with("NextRequest") || t.starts_with("NextApiRequest"))
    }) {
        return Stack::NextJs;
    }
    if f.params.iter().any(|p| {
        p.name == "reply"
            || p.ty
                .as_deref()
                .is_some_and(|t| t.starts_with("FastifyRequest"))
    }) {
        return Stack::Fastify;
    }
    // hapi handlers take `(request, h)`
    if f.params.iter().any(|p| {
        p.name == "h"
            || p.ty
                .as_deref()
                .is_some_and(|t| t.contains("ResponseToolkit"))
    }) {
        return Stack::Hapi;
    }
    Stack::Express
}

fn py_source(
    ast: &Ast,
    imports: &Imports,
    id: NodeId,
    object: NodeId,
    prop: &str,
    called: bool,
) -> Option<(Source, NodeId)> {
    let obj = ast.path_of(object)?;
    let (owner, flask) = if obj == "self.request" {
        (ast.enclosing_function(id)?, false)
    } else if PY_REQUEST_NAMES.contains(&obj.as_str()) {
        match param_owner(ast, id, &obj) {
            Some(f) => (f, false),
            None => {
                let q = imports.get(&obj)?;
                if !(q.starts_with("flask.") || q.starts_with("quart.") || q == "bottle.request") {
                    return None;
                }
                let owner = ast
                    .function_ancestors(id)
                    .find(|&f| ast.function(f).is_some_and(|f| f.name.is_some()))?;
                (owner, true)
            }
        }
    } else {
        return None;
    };
    let typed = ast
        .function(owner)
        .and_then(|f| f.params.iter().find(|p| p.name == obj))
        .and_then(|p| p.ty.as_deref())
        .unwrap_or("");
    let aiohttp = typed.contains("web.Request") || imports.uses("aiohttp");
    let starlette = typed == "Request" && (imports.uses("fastapi") || imports.uses("starlette"));
    let (shape, stack) = match (prop, called) {
        ("json" | "form" | "args" | "values" | "data", false) if flask => (
            if prop == "json" {
                Shape::Structured
            } else if prop == "data" {
                return None; // raw bytes; `json.loads(request.data)` is followed from here
            } else {
                Shape::Text
            },
            Stack::Flask,
        ),
        ("get_json", true) if flask => (Shape::Structured, Stack::Flask),
        ("json", true) | ("post" | "form", true) if aiohttp || starlette => {
            let call = ast.parent(id)?;
            if !matches!(ast.parent(call).map(|p| ast.kind(p)), Some(Kind::Await(_))) {
                return None;
            }
            let shape = if prop == "json" {
                Shape::Structured
            } else {
                Shape::Text
            };
            let stack = if aiohttp {
                Stack::Aiohttp
            } else {
                Stack::FastApi
            };
            return Some((make(call, format!("{obj}.{prop}()"), shape, stack), owner));
        }
        ("POST" | "GET", false) if !flask => (Shape::Text, Stack::Django),
        ("data", false) if !flask && !aiohttp => (Shape::Structured, Stack::Drf),
        ("query_params", false) if !flask => (Shape::Text, Stack::Drf),
        ("body", false) if !flask && !aiohttp && !starlette => {
            // Django's raw body: only what `json.loads` makes of it is data
            let p = ast.parent(id)?;
            let c = ast.call(p)?;
            let callee = ast.path_of(c.callee)?;
            if !matches!(
                imports.qualify_path(&callee).as_str(),
                "json.loads" | "orjson.loads" | "ujson.loads" | "simplejson.loads"
            ) {
                return None;
            }
            return Some((
                make(
                    p,
                    format!("json.loads({obj}.body)"),
                    Shape::Structured,
                    Stack::Django,
                ),
                owner,
            ));
        }
        ("query" | "match_info", false) if aiohttp => (Shape::Text, Stack::Aiohttp),
        _ => return None,
    };
    let root = if called {
        format!("{obj}.{prop}()")
    } else {
        format!("{obj}.{prop}")
    };
    let node = if called { ast.parent(id)? } else { id };
    Some((make(node, root, shape, stack), owner))
}

/// A handler parameter that accepts whatever the client sends: FastAPI `dict`/`Any` bodies,
/// NestJS `@Body() body: any`, axum/actix `Json<Value>`/`Query<HashMap<..>>`. The name bound
/// (`body` in `Json(body): Json<Value>`), the source description and the shape.
pub struct ParamSource {
    pub index: usize,
    pub name: String,
    pub root: String,
    pub shape: Shape,
    pub stack: Stack,
    /// NestJS: a DTO class, validated only when `ValidationPipe` runs.
    pub dto: bool,
}

/// The parameters of `func` (a handler of `framework`) that accept unvalidated data.
pub fn param_sources(ast: &Ast, func: NodeId, framework: &str) -> Vec<ParamSource> {
    let Some(f) = ast.function(func) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, p) in f.params.iter().enumerate() {
        let ty = p.ty.as_deref().unwrap_or("").replace(' ', "");
        match ast.lang {
            Lang::Python if framework == "FastAPI" => {
                let loose = matches!(
                    ty.as_str(),
                    "dict" | "Any" | "Dict" | "typing.Any" | "object"
                ) || ty.starts_with("dict[")
                    || ty.starts_with("Dict[")
                    || ty.starts_with("typing.Dict[")
                    || ty.starts_with("Mapping[");
                if loose {
                    out.push(ParamSource {
                        index: i,
                        name: p.name.clone(),
                        root: format!("{}: {}", p.name, ty),
                        shape: Shape::Structured,
                        stack: Stack::FastApi,
                        dto: false,
                    });
                }
            }
            Lang::TypeScript => {
                let deco = p
                    .decorators
                    .iter()
                    .find(|d| d.starts_with("Body(") || d.starts_with("Query(") || *d == "Body")
                    .cloned();
                let Some(deco) = deco else { continue };
                // `@Body(new ValidationPipe())`, `@Body(ParseIntPipe)`: a pipe on the parameter
                if deco.contains("Pipe") {
                    continue;
                }
                let deco = if deco.contains('(') {
                    deco
                } else {
                    format!("{deco}()")
                };
                let loose = ty.is_empty()
                    || matches!(ty.as_str(), "any" | "object" | "unknown" | "Object")
                    || ty.starts_with("Record<")
                    || ty.starts_with("{[");
                let dto = !loose
                    && ty.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && !matches!(ty.as_str(), "String" | "Number" | "Boolean");
                if loose || dto {
                    out.push(ParamSource {
                        index: i,
                        name: p.name.clone(),
                        root: if ty.is_empty() {
                            format!("@{deco} {}", p.name)
                        } else {
                            format!("@{deco} {}: {ty}", p.name)
                        },
                        shape: Shape::Structured,
                        stack: Stack::NestJs,
                        dto,
                    });
                }
            }
            Lang::Rust => {
                let inner = ty
                    .strip_prefix("web::")
                    .or_else(|| ty.strip_prefix("axum::extract::"))
                    .or_else(|| ty.strip_prefix("axum::"))
                    .or_else(|| ty.strip_prefix("actix_web::web::"))
                    .or_else(|| ty.strip_prefix("rocket::serde::json::"))
                    .unwrap_or(&ty);
                let (wrapper, arg) = match inner.split_once('<') {
                    Some((w, a)) => (w, a.strip_suffix('>').unwrap_or(a)),
                    None => continue,
                };
                if !matches!(wrapper, "Json" | "Query" | "Form") {
                    continue;
                }
                let value = matches!(
                    arg,
                    "Value" | "serde_json::Value" | "JsonValue" | "Map<String,Value>"
                ) || arg.starts_with("serde_json::Map<");
                let map = arg.starts_with("HashMap<")
                    || arg.starts_with("std::collections::HashMap<")
                    || arg.starts_with("BTreeMap<");
                if !(value || map) {
                    continue;
                }
                let shape = if value || arg.contains("Value") {
                    Shape::Structured
                } else {
                    Shape::Text
                };
                let stack = match framework {
                    "actix-web" => Stack::Actix,
                    "rocket" => Stack::Rocket,
                    _ if ty.starts_with("web::") || ty.starts_with("actix_web") => Stack::Actix,
                    _ => Stack::Axum,
                };
                // `Json(body): Json<Value>` binds `body`; `body: Json<Value>` binds `body`
                let name = p
                    .name
                    .rsplit_once('(')
                    .map(|(_, n)| n.trim_end_matches(')').trim())
                    .unwrap_or(&p.name)
                    .trim_start_matches("mut ")
                    .to_string();
                if name.is_empty() || name == "_" || name.starts_with('_') {
                    continue;
                }
                out.push(ParamSource {
                    index: i,
                    name,
                    root: format!("{}: {ty}", p.name),
                    shape,
                    stack,
                    dto: false,
                });
            }
            _ => {}
        }
    }
    out
}

/// Method names of schema libraries that validate their argument (zod, joi, yup, ajv, io-ts,
/// marshmallow, jsonschema validators, cerberus).
const VALIDATE_METHODS: &[&str] = &[
    "parse",
    "safeParse",
    "parseAsync",
    "safeParseAsync",
    "spa",
    "validate",
    "validateSync",
    "validateAsync",
    "validateOrReject",
    "isValid",
    "isValidSync",
    "attempt",
    "assert",
    "assertValid",
    "decode",
    "cast",
    "load",
    "loads",
    "validate_python",
    "validate_json",
    "model_validate",
    "model_validate_json",
    "parse_obj",
    "parse_raw",
    "from_value",
    "from_str",
    "from_slice",
    "deserialize",
];

/// Receivers whose `parse`/`load`/`decode` only decode text (not a schema).
const DECODERS: &[&str] = &[
    "JSON",
    "json",
    "url",
    "URL",
    "qs",
    "querystring",
    "path",
    "Date",
    "cookie",
    "yaml",
    "pickle",
    "toml",
    "orjson",
    "ujson",
    "simplejson",
    "base64",
    "Buffer",
    "jwt",
    "jsonwebtoken",
    "urllib.parse",
    "ast",
    "marshal",
    "dateutil.parser",
    "parser",
    "mime",
];

/// Free functions of validation libraries (superstruct, valibot, class-validator, jsonschema,
/// Rust serde).
const VALIDATE_FUNCTIONS: &[&str] = &[
    "validate",
    "validateSync",
    "validateOrReject",
    "plainToInstance",
    "plainToClass",
    "parse",
    "safeParse",
    "parseAsync",
    "assert",
    "create",
    "mask",
    "is",
    "from_value",
    "from_str",
    "from_slice",
    "matchedData",
];

/// Modules whose free functions listed above validate.
const VALIDATION_MODULES: &[&str] = &[
    "superstruct",
    "valibot",
    "class-validator",
    "class-transformer",
    "jsonschema",
    "serde_json",
    "express-validator",
    "zod",
    "@sinclair/typebox",
    "typia",
    "runtypes",
];

/// Class name endings of validating classes: Django forms, DRF serializers, pydantic and
/// marshmallow schemas, request DTOs.
const VALIDATING_CLASS_SUFFIXES: &[&str] = &[
    "Form",
    "Serializer",
    "Schema",
    "In",
    "Input",
    "Create",
    "Update",
    "Request",
    "Payload",
    "Params",
    "Body",
    "Dto",
    "DTO",
    "Validator",
    "Args",
    "Filter",
    "FilterSet",
    "Filterset",
    "Command",
];

/// Bases that make a class validating (defined in the same file).
const VALIDATING_BASES: &[&str] = &[
    "BaseModel",
    "pydantic.BaseModel",
    "Schema",
    "ma.Schema",
    "marshmallow.Schema",
    "SQLAlchemySchema",
    "SQLAlchemyAutoSchema",
    "ModelSchema",
    "Form",
    "forms.Form",
    "ModelForm",
    "forms.ModelForm",
    "FlaskForm",
    "Serializer",
    "serializers.Serializer",
    "ModelSerializer",
    "serializers.ModelSerializer",
    "FilterSet",
    "django_filters.FilterSet",
    "Struct",
    "msgspec.Struct",
    "TypedDict",
    "SQLModel",
];

/// Whether a called class name (or the project class it names) validates what it is given.
pub fn validating_class(ast: &Ast, imports: &Imports, name: &str) -> bool {
    let last = name.rsplit(['.', ':']).next().unwrap_or(name);
    if !last.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return false;
    }
    if VALIDATING_CLASS_SUFFIXES.iter().any(|s| last.ends_with(s)) {
        return true;
    }
    if let Some(q) = imports.get(name.split('.').next().unwrap_or(name)) {
        let q = q.to_ascii_lowercase();
        if [
            "schema",
            "serializer",
            "form",
            "dto",
            "validat",
            "pydantic",
            "payload",
        ]
        .iter()
        .any(|m| q.contains(m))
        {
            return true;
        }
    }
    if last.contains("Serializer") || last.contains("Form") {
        return true;
    }
    local_validating_classes(ast).contains(last)
}

/// The classes of this file with a validating base, worked out once per file.
fn local_validating_classes(ast: &Ast) -> std::sync::Arc<std::collections::HashSet<String>> {
    ast.memo("validation-classes", crate::ast::ROOT, || {
        ast.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                Kind::Class(c)
                    if c.bases.iter().any(|b| {
                        VALIDATING_BASES.contains(&b.as_str())
                            || b.ends_with("Schema")
                            || b.ends_with("Form")
                            || b.ends_with("Serializer")
                            || b.ends_with("BaseModel")
                    }) =>
                {
                    Some(c.name.clone())
                }
                _ => None,
            })
            .collect()
    })
}

/// Names of project checks: `validate_email(x)`, `isValidOrder(body)`, `check_payload(data)`,
/// validator.js `isEmail(x)`, `is_safe_url(x)`.
pub fn is_check_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    let l = l.trim_start_matches('_');
    [
        "validat",
        "is_valid",
        "isvalid",
        "check",
        "verify",
        "sanitiz",
        "sanitis",
        "ensure",
        "assert",
        "is_safe",
        "issafe",
        "url_has_allowed",
        "clean",
    ]
    .iter()
    .any(|p| l.starts_with(p))
        || l.starts_with("is")
            && name.len() > 2
            && name[2..].starts_with(|c: char| c.is_ascii_uppercase())
        || matches!(
            l,
            "isinstance"
                | "match"
                | "fullmatch"
                | "search"
                | "test"
                | "isdigit"
                | "isnumeric"
                | "isdecimal"
                | "isalnum"
                | "isalpha"
                | "isidentifier"
                | "isascii"
                | "isarray"
                | "isinteger"
                | "isfinite"
                | "issafeinteger"
                | "isnan"
                | "includes"
                | "has"
                | "contains"
                | "contains_key"
                | "indexof"
                | "startswith"
                | "starts_with"
                | "endswith"
                | "ends_with"
                | "is_match"
                | "len"
                | "all"
                | "any"
        )
}

/// Whether `call` validates its argument `arg` (the value reaching it): a schema's
/// `parse`/`validate`, a form or serializer bound to it, a pydantic model built from it,
/// marshmallow `load`, ajv, class-validator, serde `from_value`.
pub fn validates(ast: &Ast, imports: &Imports, call: NodeId, arg: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(name) = ast.callee_name(c) else {
        // `schema(data)` where the callee is itself a call: voluptuous `Schema({...})(data)`
        return ast
            .call(ast.unwrap_expr(c.callee))
            .and_then(|inner| ast.callee_name(inner))
            .is_some_and(|n| n.ends_with("Schema"));
    };
    let via_receiver = ast.receiver(c).is_some_and(|r| ast.unwrap_expr(r) == arg);
    if let Some(recv) = ast.receiver(c) {
        if via_receiver {
            // `schema.parse(x)` validates x, `x.validate()` on a serde struct validates itself
            return ast.lang == Lang::Rust && name == "validate";
        }
        let recv_path = ast.path_of(ast.unwrap_expr(recv)).unwrap_or_default();
        let recv_q = imports.qualify_path(&recv_path);
        if VALIDATE_METHODS.contains(&name) {
            let decoder = DECODERS.iter().any(|d| {
                recv_path == *d
                    || recv_q
                        .strip_prefix(d)
                        .is_some_and(|r| r.is_empty() || r.starts_with('.'))
            });
            if decoder {
                return false;
            }
            // Rust `serde_json::from_value::<T>(v)` is a path call, handled below
            return true;
        }
        // `Model.parse_obj`, `UserSchema().load`, `OrderForm(data=...)` chained; `ajv.compile(s)(x)`
        if name == "is_valid" || name == "full_clean" {
            return true;
        }
        if is_check_name(name) && !matches!(name, "has" | "includes" | "contains" | "all" | "any") {
            return true;
        }
        // `self.get_serializer(data=..)`, `self.get_form(..)`
        if name.contains("serializer") || name.contains("form") && name.starts_with("get_") {
            return true;
        }
        // `forms.OrderForm(request.POST)`, `serializers.OrderSerializer(data=..)`
        return validating_class(ast, imports, &format!("{recv_path}.{name}"));
    }
    // free functions and classes
    let path = ast.path_of(c.callee).unwrap_or_default();
    let q = imports.qualify_path(&path);
    if VALIDATE_FUNCTIONS.contains(&name) {
        let module_ok = VALIDATION_MODULES.iter().any(|m| q.starts_with(m))
            || imports
                .get(name)
                .is_some_and(|q| VALIDATION_MODULES.iter().any(|m| q.starts_with(m)));
        if module_ok || ast.lang == Lang::Rust && path.contains("serde_json") {
            return true;
        }
        // a compiled ajv validator or a local check named `validate`
        if matches!(name, "validate" | "validateSync" | "validateOrReject") {
            return true;
        }
    }
    if is_check_name(name) && !matches!(name, "len" | "all" | "any") {
        return true;
    }
    // `validateBody(x)` compiled by ajv: `const validateBody = ajv.compile(schema)`
    validating_class(ast, imports, &path)
}

/// Conversions that make a value typed (a number, a boolean, a UUID, a date) or strip it of
/// what could do harm (escaping, `secure_filename`, `basename`): the result is not the client's
/// text any more.
const CONVERSIONS: &[&str] = &[
    "int",
    "float",
    "bool",
    "Decimal",
    "UUID",
    "Number",
    "parseInt",
    "parseFloat",
    "Boolean",
    "BigInt",
    "Date",
    "ObjectId",
    "Types.ObjectId",
    "fromisoformat",
    "strptime",
    "parse_date",
    "parse_datetime",
    "escape",
    "quote",
    "quote_plus",
    "secure_filename",
    "basename",
    "encodeURIComponent",
    "encodeURI",
    "escapeHtml",
    "xss",
    "sanitize",
    "DOMPurify",
    "trunc",
    "slugify",
    "replace",
    "replaceAll",
    "sub",
    "as_i64",
    "as_u64",
    "as_f64",
    "as_bool",
    "toFixed",
    "hash",
    "hashpw",
    "make_password",
    "generate_password_hash",
    "sha256",
    "hexdigest",
    "digest",
    "len",
    "length",
    "count",
    "abs",
    "round",
    "min",
    "max",
];

/// Accessors and wrappers that hand the client's value on: `.get("k")`, `.strip()`,
/// `str(x)`, `json.loads`, `JSON.parse`, `path.join`, `dict(x)`, `Object.assign({}, x)`,
/// serde_json `as_str`, and constructors of models (`User(**data)`, `new Order(req.body)`).
/// Besides [`crate::flow::ACCESSOR_METHODS`].
const PASS_METHODS: &[&str] = &[
    "getAll",
    "entries",
    "dict",
    "to_dict",
    "title",
    "capitalize",
    "to_vec",
    "cloned",
    "into",
    "as_array",
    "as_object",
    "unwrap_or",
    "unwrap_or_else",
    "concat",
    "resolve",
    "normalize",
    "loads",
    "from",
    "assign",
    "stringify",
    "dumps",
    "map",
    "filter",
];
const PASS_FUNCTIONS: &[&str] = &[
    "str",
    "String",
    "dict",
    "list",
    "tuple",
    "set",
    "Object",
    "Array",
    "format",
    "join",
    "Path",
    "PurePath",
    "unquote",
    "unquote_plus",
    "decodeURIComponent",
    "decodeURI",
    "b64decode",
    "urlsafe_b64decode",
    "loads",
    "from_utf8",
    "PathBuf",
];

/// Whether the result of `call` carries the value that reaches it at `from` (see
/// [`crate::flow::Through`]).
pub fn carries(ast: &Ast, imports: &Imports, call: NodeId, from: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    if c.is_tagged {
        return false;
    }
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    if CONVERSIONS.contains(&name) {
        return false;
    }
    // Flask `request.args.get("page", type=int)` converts
    if name == "get" && ast.kwarg(c, "type").is_some() {
        return false;
    }
    if validates(ast, imports, call, from) {
        return false;
    }
    let on_value = ast.receiver(c).map(|r| ast.unwrap_expr(r)) == Some(from);
    if c.is_macro {
        return name == "format";
    }
    // diesel column expressions: `comments::body.eq(text)`
    if ast.lang == Lang::Rust
        && !on_value
        && matches!(name, "eq" | "ne" | "like" | "ilike" | "eq_any" | "concat")
    {
        return true;
    }
    match ast.receiver(c) {
        Some(_) if on_value => {
            crate::flow::ACCESSOR_METHODS.contains(&name) || PASS_METHODS.contains(&name)
        }
        Some(r) => {
            // `json.loads(x)`, `JSON.parse(x)`, `path.join(dir, x)`, `Object.assign({}, x)`,
            // `os.path.join(..)`, `serde_json::to_string(..)` as a method path
            let recv = ast.path_of(ast.unwrap_expr(r)).unwrap_or_default();
            let q = imports.qualify_path(&recv);
            matches!(
                (q.as_str(), name),
                ("json" | "orjson" | "ujson" | "simplejson", "loads")
                    | ("JSON", "parse" | "stringify")
                    | (
                        "path" | "os.path" | "posixpath",
                        "join" | "resolve" | "normalize" | "abspath" | "realpath"
                    )
                    | (
                        "Object",
                        "assign" | "entries" | "keys" | "values" | "fromEntries"
                    )
                    | ("Buffer", "from")
                    | ("base64", "b64decode" | "urlsafe_b64decode")
                    | (
                        "_" | "lodash",
                        "merge" | "assign" | "extend" | "pick" | "omit"
                    )
            ) || (recv.starts_with("path") || q.starts_with("os.path")) && name == "join"
                || model_constructor(ast, imports, c, name, &recv)
        }
        None => {
            if PASS_FUNCTIONS.contains(&name) {
                return true;
            }
            let path = ast.path_of(c.callee).unwrap_or_default();
            model_constructor(ast, imports, c, name, &path)
        }
    }
}

/// `User(**data)`, `new Order(req.body)`, `models.Comment(text=..)`: a class that is not a
/// validator builds an object out of the value.
fn model_constructor(
    ast: &Ast,
    imports: &Imports,
    c: &crate::ast::Call,
    name: &str,
    path: &str,
) -> bool {
    if !name
        .chars()
        .next()
        .is_some_and(|ch| ch.is_ascii_uppercase())
    {
        return false;
    }
    if ast.lang == Lang::Rust {
        return false;
    }
    if matches!(
        name,
        "Error"
            | "TypeError"
            | "HttpException"
            | "HTTPException"
            | "Response"
            | "JsonResponse"
            | "HttpResponse"
            | "NextResponse"
            | "URL"
            | "URLSearchParams"
            | "RegExp"
            | "Set"
            | "Map"
            | "Promise"
    ) {
        return false;
    }
    let _ = c;
    !validating_class(ast, imports, path)
}

/// What unvalidated data reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SinkKind {
    /// Database insert/update/delete, or an object saved after the data was put in it.
    Write,
    /// Database read (lookup, filter).
    Read,
    /// Raw SQL text.
    Raw,
    /// File-system path.
    File,
    /// Process or code execution.
    Process,
    /// Outbound request.
    Outbound,
}

impl SinkKind {
    /// How the message says it.
    pub fn verb(&self) -> &'static str {
        match self {
            SinkKind::Write => "written to the database",
            SinkKind::Read => "used in a database query",
            SinkKind::Raw => "put into raw SQL",
            SinkKind::File => "used as a file-system path",
            SinkKind::Process => "run as a command or code",
            SinkKind::Outbound => "used in an outbound request",
        }
    }
}

const PY_FS: &[&str] = &[
    "open",
    "io.open",
    "os.remove",
    "os.unlink",
    "os.rename",
    "os.replace",
    "os.makedirs",
    "os.mkdir",
    "os.rmdir",
    "os.listdir",
    "os.scandir",
    "os.walk",
    "os.chmod",
    "os.chown",
    "shutil.rmtree",
    "shutil.copy",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.move",
    "flask.send_file",
    "django.http.FileResponse",
    "aiofiles.open",
    "tarfile.open",
    "zipfile.ZipFile",
];
const PY_PROCESS: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.Popen",
    "subprocess.check_output",
    "subprocess.check_call",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
    "os.execv",
    "os.execvp",
    "os.spawnl",
    "eval",
    "exec",
    "pickle.loads",
    "yaml.load",
    "yaml.unsafe_load",
    "asyncio.create_subprocess_shell",
    "asyncio.create_subprocess_exec",
];
const PATH_METHODS: &[&str] = &[
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "unlink",
    "rmdir",
    "mkdir",
    "touch",
    "rename",
];
const TS_FS: &[&str] = &[
    "readFile",
    "readFileSync",
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "createReadStream",
    "createWriteStream",
    "unlink",
    "unlinkSync",
    "readdir",
    "readdirSync",
    "rm",
    "rmSync",
    "rmdir",
    "mkdir",
    "mkdirSync",
    "rename",
    "renameSync",
    "copyFile",
    "stat",
    "statSync",
    "access",
    "existsSync",
];
const TS_PROCESS: &[&str] = &[
    "exec",
    "execSync",
    "spawn",
    "spawnSync",
    "execFile",
    "execFileSync",
    "fork",
];

/// What the facts pass knows of a query call: its kind, ORM, display and SQL text argument.
pub type QueryInfo = (
    crate::knowledge::orm::QueryKind,
    &'static str,
    String,
    Option<NodeId>,
);

/// Where unvalidated data lands.
#[derive(Clone, Debug)]
pub struct Sink {
    pub kind: SinkKind,
    /// The call that does it (the query at the end of a fluent chain).
    pub call: NodeId,
    /// For database sinks: the ORM or client, and the query as a reviewer reads it.
    pub orm: Option<(&'static str, String)>,
    /// The value only picks rows (a filter, a `where`, a lookup key), it is not stored.
    pub filter: bool,
    /// The query checks the value's type where it sits: under an operator (`$eq`, Prisma
    /// `in`/`equals`/`contains`), or a Prisma unique `where` (scalars only).
    pub typed: bool,
}

/// Prisma filter operators: the value under them must have the field's type.
const PRISMA_OPERATORS: &[&str] = &[
    "in",
    "notIn",
    "equals",
    "contains",
    "startsWith",
    "endsWith",
    "gt",
    "gte",
    "lt",
    "lte",
    "not",
    "has",
    "hasSome",
    "hasEvery",
    "search",
    "some",
    "every",
    "none",
];

/// A Mongo-style call: an argument object keyed by `_id` or an operator (`$set`, `$inc`).
fn mongo_style(ast: &Ast, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    c.args.iter().any(|a| {
        ast.subtree(a.value).any(|i| match ast.kind(i) {
            Kind::Object { entries, .. } => entries.iter().any(|e| {
                e.key
                    .as_deref()
                    .is_some_and(|k| k == "_id" || k.starts_with('$'))
            }),
            _ => false,
        })
    })
}

/// Whether the value read at `from` sits where the query types it (see [`Sink::typed`]).
fn typed_position(ast: &Ast, call: NodeId, from: NodeId, orm: &str) -> bool {
    let mut cur = from;
    while let Some(p) = ast.parent(cur) {
        if p == call {
            break;
        }
        if let Kind::Object { entries, .. } = ast.kind(p) {
            let typed = entries.iter().any(|e| {
                e.value == cur
                    && e.key.as_deref().is_some_and(|k| {
                        matches!(
                            k,
                            "$eq" | "$ne" | "$in" | "$nin" | "$gt" | "$gte" | "$lt" | "$lte"
                        ) || orm == "Prisma" && PRISMA_OPERATORS.contains(&k)
                    })
            });
            if typed {
                return true;
            }
        }
        cur = p;
    }
    orm == "Prisma"
        && ast
            .call(call)
            .and_then(|c| ast.callee_name(c))
            .is_some_and(|n| {
                matches!(
                    n,
                    "findUnique" | "findUniqueOrThrow" | "update" | "delete" | "upsert"
                )
            })
}

fn plain(kind: SinkKind, call: NodeId) -> Option<Sink> {
    Some(Sink {
        kind,
        call,
        orm: None,
        filter: false,
        typed: false,
    })
}

/// Query methods whose arguments pick rows.
const FILTER_METHODS: &[&str] = &[
    "filter",
    "filter_by",
    "exclude",
    "where",
    "andWhere",
    "orWhere",
    "whereIn",
    "get",
    "get_or_404",
    "first_or_404",
    "get_object_or_404",
    "get_list_or_404",
    "find",
    "findOne",
    "findById",
    "findByPk",
    "findAll",
    "findFirst",
    "findUnique",
    "findMany",
    "findOneBy",
    "findBy",
    "get_or_none",
    "get_by_id",
    "eq",
    "ne",
    "filter_eq",
    "countDocuments",
    "count",
    "exists",
    "destroy",
    "delete",
    "deleteOne",
    "deleteMany",
    "remove",
];

/// Whether `arg` is an argument of `call` in a position that only picks rows: the first argument
/// of a Mongo-style `update(filter, change)`, a `where` entry, a filter method's argument.
fn filter_position(ast: &Ast, call: NodeId, arg: NodeId, direct: bool) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let name = ast.callee_name(c).unwrap_or("");
    if !direct && FILTER_METHODS.contains(&name) {
        return true;
    }
    // under a `where:` / `filter:` entry of an object argument
    let mut cur = arg;
    let mut first_arg = false;
    while let Some(p) = ast.parent(cur) {
        if p == call {
            // Mongo `update(filter, change)`, not Sequelize `update(values, { where })`
            let positional: Vec<NodeId> = ast.positional(c).collect();
            first_arg = positional.len() >= 2
                && positional[0] == cur
                && ast.entry(ast.unwrap_expr(positional[1]), "where").is_none();
            break;
        }
        if let Kind::Object { entries, .. } = ast.kind(p) {
            if entries.iter().any(|e| {
                e.value == cur
                    && matches!(
                        e.key.as_deref(),
                        Some("where" | "filter" | "$match" | "query" | "_id" | "id" | "pk")
                    )
            }) {
                return true;
            }
        }
        cur = p;
    }
    if FILTER_METHODS.contains(&name) && !matches!(name, "destroy" | "delete") {
        return true;
    }
    first_arg
        && matches!(
            name,
            "update"
                | "updateOne"
                | "updateMany"
                | "update_one"
                | "update_many"
                | "findOneAndUpdate"
                | "findByIdAndUpdate"
                | "replaceOne"
                | "replace_one"
                | "find_one_and_update"
                | "destroy"
                | "delete"
                | "deleteOne"
                | "deleteMany"
                | "delete_one"
                | "delete_many"
                | "remove"
        )
}

/// Whether `arg` is the argument of `call` that names what is touched: a path (first
/// argument, or `path=`/`file=`), a command, a URL (`url=`).
fn target_argument(ast: &Ast, call: NodeId, arg: NodeId, kw: &[&str]) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let mut cur = arg;
    while let Some(p) = ast.parent(cur) {
        if p == call {
            break;
        }
        cur = p;
    }
    match c.args.iter().position(|a| a.value == cur) {
        Some(i) => {
            let a = &c.args[i];
            match &a.name {
                Some(n) => kw.contains(&n.as_str()),
                None => c.args[..i].iter().all(|b| b.name.is_some() || b.spread),
            }
        }
        // the receiver: `Path(x).read_text()`, `Command::new(x).arg(..)`
        None => true,
    }
}

/// The harm `call` does with the value reaching it at `arg` (read at `from`), looking up its fluent chain
/// (`.bind(x)` is part of `query(..).bind(x).execute(&pool)`). `query` answers from the facts
/// pass: the ORM, the query's kind and display.
pub fn sink(
    ast: &Ast,
    imports: &Imports,
    call: NodeId,
    arg: NodeId,
    from: NodeId,
    query: &dyn Fn(NodeId) -> Option<QueryInfo>,
) -> Option<Sink> {
    use crate::knowledge::orm::QueryKind;
    let c = ast.call(call)?;
    let name = ast.callee_name(c).unwrap_or("");
    let recv = ast.receiver(c).map(|r| ast.unwrap_expr(r));
    let on_value = recv == Some(arg);
    let path = ast.path_of(c.callee).unwrap_or_default();
    let q = imports.qualify_path(&path);
    const PATH_KW: &[&str] = &[
        "path",
        "file",
        "filename",
        "filename_or_fp",
        "name",
        "src",
        "dst",
    ];
    const CMD_KW: &[&str] = &["args", "cmd", "command", "source"];
    const URL_KW: &[&str] = &["url", "uri", "base_url", "baseURL", "host"];
    // a model object carrying the data is saved: `user.save()`, `order.update(..)`
    if on_value && matches!(name, "save" | "saveAsync" | "persist") {
        return plain(SinkKind::Write, call);
    }
    match ast.lang {
        Lang::Python => {
            if PY_FS.contains(&q.as_str()) {
                return target_argument(ast, call, from, PATH_KW)
                    .then_some(())
                    .and_then(|_| plain(SinkKind::File, call));
            }
            if PY_PROCESS.contains(&q.as_str()) {
                return target_argument(ast, call, from, CMD_KW)
                    .then_some(())
                    .and_then(|_| plain(SinkKind::Process, call));
            }
            if on_value && PATH_METHODS.contains(&name) {
                return plain(SinkKind::File, call);
            }
            // `db.session.add(user)`, `session.merge(obj)`
            if matches!(name, "add" | "add_all" | "merge" | "bulk_save_objects")
                && recv
                    .and_then(|r| ast.path_of(r))
                    .is_some_and(|p| p.ends_with("session") || p == "db" || p.ends_with(".db"))
            {
                return plain(SinkKind::Write, call);
            }
        }
        Lang::TypeScript => {
            let fs = q.starts_with("fs.")
                || q.starts_with("fs/promises.")
                || q.starts_with("node:fs")
                || q.starts_with("fs-extra.")
                || path.starts_with("fs.")
                || path.starts_with("fsp.");
            if fs && TS_FS.contains(&name)
                || matches!(name, "sendFile" | "download") && recv.is_some() && !on_value
            {
                return target_argument(ast, call, from, &[])
                    .then_some(())
                    .and_then(|_| plain(SinkKind::File, call));
            }
            let cp = q.starts_with("child_process.")
                || q.starts_with("node:child_process.")
                || matches!(
                    imports.get(name),
                    Some(m) if m.starts_with("child_process") || m.starts_with("node:child_process")
                );
            if cp && TS_PROCESS.contains(&name) || path == "eval" || c.is_new && name == "Function"
            {
                return target_argument(ast, call, from, &[])
                    .then_some(())
                    .and_then(|_| plain(SinkKind::Process, call));
            }
        }
        Lang::Rust => {
            if q.starts_with("std::fs::")
                || q.starts_with("tokio::fs::")
                || matches!(path.as_str(), "File::open" | "File::create")
            {
                return target_argument(ast, call, from, &[])
                    .then_some(())
                    .and_then(|_| plain(SinkKind::File, call));
            }
            if path == "Command::new"
                || q.ends_with("process::Command::new")
                || matches!(name, "arg" | "args") && chain_has(ast, call, "Command::new")
            {
                return plain(SinkKind::Process, call);
            }
        }
    }
    if crate::knowledge::http_clients::api(ast, imports, call).is_some() {
        let url = target_argument(ast, call, from, URL_KW)
            || ast.call(call).is_some_and(|c| {
                // `axios({ url })`, `fetch(new URL(x))`
                c.args.first().is_some_and(|a| {
                    ast.entry(ast.unwrap_expr(a.value), "url")
                        .is_some_and(|e| ast.contains(e.value, from))
                })
            });
        return url
            .then_some(())
            .and_then(|_| plain(SinkKind::Outbound, call));
    }
    // up the fluent chain to the query it is part of
    let mut cur = call;
    for _ in 0..12 {
        if let Some((k, orm, display, sql)) = query(cur) {
            // the value is (part of) the SQL text, not a bound parameter
            let in_text = sql.is_some_and(|s| ast.contains(ast.unwrap_expr(s), from));
            // a bound parameter of raw SQL: what the statement does decides
            let bound_kind = || {
                let text = sql.and_then(|s| crate::knowledge::orm::sql_text(ast, s));
                match text {
                    Some(t) if crate::knowledge::orm::is_write_sql(&t.to_ascii_uppercase()) => {
                        SinkKind::Write
                    }
                    Some(_) => SinkKind::Read,
                    None => SinkKind::Raw,
                }
            };
            let kind = match k {
                _ if in_text => SinkKind::Raw,
                QueryKind::Write => SinkKind::Write,
                QueryKind::Raw if sql.is_some() => bound_kind(),
                QueryKind::Raw => SinkKind::Raw,
                QueryKind::Read | QueryKind::Count => SinkKind::Read,
            };
            let filter = kind != SinkKind::Raw && filter_position(ast, call, from, cur == call);
            // `Model.findOne({ where })` is Sequelize whatever the import says
            let orm = if orm == "Mongoose"
                && ast.call(call).is_some_and(|c| {
                    c.args
                        .iter()
                        .any(|a| ast.entry(ast.unwrap_expr(a.value), "where").is_some())
                }) {
                "Sequelize"
            } else if mongo_style(ast, call) {
                "MongoDB"
            } else {
                orm
            };
            let typed = filter && typed_position(ast, call, from, orm);
            return Some(Sink {
                kind,
                call: cur,
                orm: Some((orm, display)),
                filter,
                typed,
            });
        }
        let mut up = cur;
        while let Some(p) = ast.parent(up) {
            if matches!(ast.kind(p), Kind::Await(_) | Kind::Question(_)) {
                up = p;
            } else {
                break;
            }
        }
        let Some(m) = ast.parent(up) else { break };
        if !matches!(ast.kind(m), Kind::Member { object, .. } if *object == up) {
            break;
        }
        let Some(g) = ast.parent(m) else { break };
        match ast.call(g) {
            Some(gc) if gc.callee == m => cur = g,
            _ => break,
        }
    }
    None
}

fn chain_has(ast: &Ast, call: NodeId, path: &str) -> bool {
    ast.call_chain(call).into_iter().any(|c| {
        ast.call(c)
            .and_then(|c| ast.path_of(c.callee))
            .is_some_and(|p| p == path || p.ends_with(&format!("::{path}")))
    }) || ast
        .path_of(ast.chain_root(call))
        .is_some_and(|p| p.ends_with("Command::new"))
}

/// Route middleware that validates the request: express-validator chains (`body("email")
/// .isEmail()`, `checkSchema(..)`), celebrate/`Joi` middleware, project `validate(schema)`
/// middleware (any name that says it validates), zod-express, Fastify's `schema` route option.
pub fn validating_middleware(ast: &Ast, arg: NodeId) -> bool {
    let arg = ast.unwrap_expr(arg);
    match ast.kind(arg) {
        Kind::Array(items) => items.iter().any(|&i| validating_middleware(ast, i)),
        Kind::Object { .. } => {
            ast.entry(arg, "schema").is_some() || ast.entry(arg, "validate").is_some()
        }
        Kind::Name(n) => middleware_name(n),
        Kind::Member { property, .. } => middleware_name(property),
        Kind::Call(_) => ast.call_chain(arg).into_iter().any(|c| {
            ast.call(c)
                .and_then(|c| ast.callee_name(c))
                .is_some_and(|n| {
                    middleware_name(n)
                        || matches!(
                            n,
                            "body"
                                | "check"
                                | "param"
                                | "query"
                                | "checkSchema"
                                | "oneOf"
                                | "checkExact"
                        ) && ast
                            .parent(c)
                            .is_some_and(|p| matches!(ast.kind(p), Kind::Member { .. }))
                        || n == "checkSchema"
                })
        }),
        _ => false,
    }
}

fn middleware_name(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    l.contains("validat")
        || l.contains("celebrate")
        || l.contains("schema")
        || l.contains("sanitiz")
        || l == "zodmiddleware"
}

/// Whether the handler `func` (a route callback) is registered with validation: a validating
/// middleware before it in the registration call, a Fastify `schema` option, a Fastify
/// `route({ schema, handler })`, or a call of express-validator's `validationResult(req)` in
/// its body.
pub fn route_validated(ast: &Ast, func: NodeId) -> bool {
    if let Some(p) = ast.parent(func) {
        if let Some(c) = ast.call(p) {
            for a in &c.args {
                if a.value == func {
                    break;
                }
                if validating_middleware(ast, a.value) {
                    return true;
                }
            }
        }
        // Fastify `{ schema, handler }`; hapi `{ options: { validate }, handler }` (`config` in
        // hapi before v17)
        if matches!(ast.kind(p), Kind::Object { .. })
            && (ast.entry(p, "schema").is_some()
                || ast.entry(p, "validate").is_some()
                || ["options", "config"]
                    .iter()
                    .filter_map(|k| ast.entry(p, k))
                    .any(|o| ast.entry(o.value, "validate").is_some()))
        {
            return true;
        }
    }
    // Python decorators: webargs `@use_args`, flask-smorest `@blp.arguments`, flask-pydantic
    // `@validate()`, flask-restx `@api.expect(model, validate=True)`, `@expects_json(schema)`
    if let Some(f) = ast.function(func) {
        let decorated = f.decorators.iter().any(|d| {
            let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
            let l = last.to_ascii_lowercase();
            l.contains("validat")
                || matches!(
                    last,
                    "use_args"
                        | "use_kwargs"
                        | "arguments"
                        | "expects_json"
                        | "input"
                        | "body"
                        | "UsePipes"
                )
                || last == "expect"
                    && d.node.is_some_and(|n| {
                        ast.subtree(n)
                            .any(|i| matches!(ast.kind(i), Kind::Bool(true)))
                    })
        });
        if decorated {
            return true;
        }
        // NestJS `@UsePipes(new ValidationPipe())` on the class
        if let Some(class) = ast
            .ancestors(func)
            .find(|&a| matches!(ast.kind(a), Kind::Class(_)))
        {
            if let Kind::Class(cl) = ast.kind(class) {
                if cl.decorators.iter().any(|d| d.name == "UsePipes") {
                    return true;
                }
            }
        }
    }
    // express-validator declared elsewhere and checked here
    ast.calls_named("validationResult")
        .iter()
        .any(|&c| ast.contains(func, c))
}

/// Whether a file sets NestJS's `ValidationPipe` for the whole app (`app.useGlobalPipes(new
/// ValidationPipe(..))`, or an `APP_PIPE` provider using it).
pub fn global_validation_pipe(ast: &Ast) -> bool {
    if ast.lang != Lang::TypeScript {
        return false;
    }
    ast.nodes.iter().enumerate().any(|(i, n)| match &n.kind {
        Kind::Call(c) => {
            ast.callee_name(c) == Some("useGlobalPipes")
                && ast
                    .subtree(i as NodeId)
                    .any(|s| matches!(ast.kind(s), Kind::Name(n) if n.ends_with("ValidationPipe")))
        }
        Kind::Object { .. } => {
            ast.entry(i as NodeId, "provide")
                .is_some_and(|e| matches!(ast.kind(e.value), Kind::Name(n) if n == "APP_PIPE"))
                && ast
                    .subtree(i as NodeId)
                    .any(|s| matches!(ast.kind(s), Kind::Name(n) if n.ends_with("ValidationPipe")))
        }
        _ => false,
    })
}

/// A string literal's value, for `data["email"]` / `.get("email")` keys.
pub fn key_of(ast: &Ast, id: NodeId) -> Option<String> {
    match ast.kind(ast.unwrap_expr(id)) {
        Kind::Str(s) if s.kind == StrKind::Plain => Some(s.value.clone()),
        _ => None,
    }
}

/// Handlers this file registers by name behind validating middleware
/// (`router.post("/orders", celebrate(schema), orders.create)` gives `create`).
pub fn validated_route_names(ast: &Ast) -> Vec<String> {
    let mut out = Vec::new();
    if ast.lang != Lang::TypeScript {
        return out;
    }
    for id in 0..ast.nodes.len() as NodeId {
        let Some(c) = ast.call(id) else { continue };
        let Some(name) = ast.callee_name(c) else {
            continue;
        };
        if !crate::knowledge::http::ROUTE_METHODS.contains(&name) || ast.receiver(c).is_none() {
            continue;
        }
        let n = c.args.len();
        if n < 3 {
            continue;
        }
        if !c.args[..n - 1]
            .iter()
            .any(|a| validating_middleware(ast, a.value))
        {
            continue;
        }
        if let Some(p) = ast.path_of(ast.unwrap_expr(c.args[n - 1].value)) {
            let last = p.rsplit(['.', ':']).next().unwrap_or(&p).to_string();
            if !out.contains(&last) {
                out.push(last);
            }
        }
    }
    out
}
