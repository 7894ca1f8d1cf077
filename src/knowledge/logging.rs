//! Loggers, and what a log line shows of a value: which calls write to a log or the console
//! (Python `logging`/structlog/loguru and `print`; `console.*`, winston, pino, bunyan, NestJS
//! `Logger`, `debug`; Rust `log`/`tracing` macros and `println!`), which of their arguments end
//! up in the line (message, `%` arguments, f-string parts, `extra=`, structured fields, tracing
//! `?x`/`%x` fields), which request parts are whole bodies, headers or cookies, and which Rust
//! structs print a secret field through a derived `Debug` (a project fact). `secret-in-log`
//! reads these tables.

use std::collections::{HashMap, HashSet};

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::imports::Imports;
use crate::knowledge::secrets::{is_sensitive_name, name_words};

/// A call that writes its arguments to a log or the console.
#[derive(Clone, Debug)]
pub struct LogCall {
    /// The logging call as a reader names it: `logger.info`, `console.log`, `tracing::info!`.
    pub api: String,
    /// The argument values whose text reaches the line.
    pub values: Vec<NodeId>,
    /// Console output (`print`, `console.log`, `println!`) rather than a logger.
    pub console: bool,
}

/// Level methods of Python loggers (stdlib, structlog, loguru).
const PY_METHODS: &[&str] = &[
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "fatal",
    "log",
    "msg",
    "trace",
    "success",
];
/// Keyword arguments of Python log calls that are not logged values.
const PY_CONTROL_KWARGS: &[&str] = &["exc_info", "stack_info", "stacklevel"];
/// Level methods of JS loggers (winston, pino, bunyan, NestJS `Logger`, log4js, consola).
const JS_METHODS: &[&str] = &[
    "debug", "info", "warn", "warning", "error", "trace", "fatal", "verbose", "silly", "http",
    "log", "notice", "crit", "alert", "emerg",
];
const CONSOLE_METHODS: &[&str] = &[
    "log", "info", "warn", "error", "debug", "trace", "dir", "table",
];
/// Words of a receiver's name that make it a logger (`logger`, `this.log`, `auditLogger`,
/// `fastify.log`, `winston`, `pino`).
const LOGGER_WORDS: &[&str] = &[
    "log",
    "logger",
    "logging",
    "logs",
    "winston",
    "pino",
    "bunyan",
    "structlog",
    "loguru",
    "consola",
    "signale",
    "log4js",
];
/// Rust logging macros (`log` and `tracing`), and console macros.
const RS_LOG_MACROS: &[&str] = &["trace", "debug", "info", "warn", "error", "event", "log"];
const RS_CONSOLE_MACROS: &[&str] = &["println", "eprintln", "print", "eprint", "dbg"];
/// Named tracing/log macro arguments that are not logged values.
const RS_CONTROL_ARGS: &[&str] = &["target", "parent", "name", "level"];

fn is_logger_name(name: &str) -> bool {
    name_words(name)
        .iter()
        .any(|w| LOGGER_WORDS.contains(&w.as_str()))
}

/// Whether the receiver of a method call is a logger: its path ends in a logger-named segment
/// (`logger`, `self.logger`, `app.logger`, `Logger`, `req.log`), or it is a call that makes or
/// binds one (`logging.getLogger(..)`, `structlog.get_logger()`, `logger.bind(..)`,
/// `logger.child(..)`).
fn logger_receiver(ast: &Ast, recv: NodeId) -> bool {
    let recv = ast.unwrap_expr(recv);
    match ast.kind(recv) {
        Kind::Name(n) => is_logger_name(n),
        Kind::Member { property, .. } => is_logger_name(property),
        Kind::Call(c) => match ast.callee_name(c) {
            Some("bind" | "child" | "opt" | "new" | "with" | "patch") => {
                ast.receiver(c).is_some_and(|r| logger_receiver(ast, r))
            }
            Some(n) => {
                let n = n.to_ascii_lowercase();
                n.contains("logger") || n == "getlogger" || n == "get_logger"
            }
            None => false,
        },
        _ => false,
    }
}

/// The bound fields of a logger chain (`logger.bind(token=..).info(..)`,
/// `logger.child({ password })`): they are printed with every line.
fn bound_fields(ast: &Ast, recv: NodeId, out: &mut Vec<NodeId>) {
    let mut cur = ast.unwrap_expr(recv);
    while let Some(c) = ast.call(cur) {
        if matches!(ast.callee_name(c), Some("bind" | "child" | "with")) {
            out.extend(c.args.iter().map(|a| a.value));
        }
        match ast.receiver(c) {
            Some(r) => cur = ast.unwrap_expr(r),
            None => break,
        }
    }
}

/// The log or console call `call` is, if any.
pub fn log_call(ast: &Ast, imports: &Imports, call: NodeId) -> Option<LogCall> {
    let c = ast.call(call)?;
    if c.is_tagged || c.is_new {
        return None;
    }
    let name = ast.callee_name(c)?;
    match ast.lang {
        Lang::Python => {
            if ast.receiver(c).is_none() && name == "print" && !c.is_macro {
                let values = c
                    .args
                    .iter()
                    .filter(|a| a.name.is_none())
                    .map(|a| a.value)
                    .collect();
                return Some(LogCall {
                    api: "print".into(),
                    values,
                    console: true,
                });
            }
            let recv = ast.receiver(c)?;
            if !PY_METHODS.contains(&name) || !logger_receiver(ast, recv) {
                return None;
            }
            let mut values = Vec::new();
            bound_fields(ast, recv, &mut values);
            let skip = usize::from(name == "log");
            let mut positional = 0;
            for a in &c.args {
                match &a.name {
                    None => {
                        if positional >= skip {
                            values.push(a.value);
                        }
                        positional += 1;
                    }
                    Some(k) if PY_CONTROL_KWARGS.contains(&k.as_str()) => {}
                    Some(_) => values.push(a.value),
                }
            }
            Some(LogCall {
                api: format!("{}.{name}", short_path(ast, recv)),
                values,
                console: false,
            })
        }
        Lang::TypeScript => {
            let all = || c.args.iter().map(|a| a.value).collect::<Vec<_>>();
            match ast.receiver(c) {
                Some(recv) => {
                    let recv_u = ast.unwrap_expr(recv);
                    if matches!(ast.kind(recv_u), Kind::Name(n) if n == "console") {
                        return CONSOLE_METHODS.contains(&name).then(|| LogCall {
                            api: format!("console.{name}"),
                            values: all(),
                            console: true,
                        });
                    }
                    if !JS_METHODS.contains(&name) || !logger_receiver(ast, recv) {
                        return None;
                    }
                    let mut values = Vec::new();
                    bound_fields(ast, recv, &mut values);
                    values.extend(all());
                    Some(LogCall {
                        api: format!("{}.{name}", short_path(ast, recv)),
                        values,
                        console: false,
                    })
                }
                // `const debug = require("debug")("app:auth"); debug("..", x)`
                None if imports.uses("debug") && matches!(name, "debug" | "dbg" | "log") => {
                    Some(LogCall {
                        api: name.to_string(),
                        values: all(),
                        console: false,
                    })
                }
                None => None,
            }
        }
        Lang::Rust => {
            if !c.is_macro {
                return None;
            }
            let console = RS_CONSOLE_MACROS.contains(&name);
            if !console && !RS_LOG_MACROS.contains(&name) {
                return None;
            }
            let path = ast.path_of(c.callee).unwrap_or_default();
            // a project macro of the same name with a module path (`metrics::info!`)
            if path.contains("::")
                && !["log::", "tracing::", "std::"]
                    .iter()
                    .any(|p| path.starts_with(p))
            {
                return None;
            }
            let values = c
                .args
                .iter()
                .filter(|a| {
                    !a.name
                        .as_deref()
                        .is_some_and(|n| RS_CONTROL_ARGS.contains(&n))
                        && !is_level(ast, a.value)
                })
                .map(|a| a.value)
                .collect();
            Some(LogCall {
                api: format!("{path}!"),
                values,
                console,
            })
        }
    }
}

/// `Level::INFO`, `log::Level::Warn`: the level argument of `event!`/`log!`.
fn is_level(ast: &Ast, id: NodeId) -> bool {
    ast.path_of(id)
        .is_some_and(|p| p.contains("Level::") || p.starts_with("Level"))
}

/// A receiver as a reader names it: `logger`, `self.logger`, `logging.getLogger(..)`.
fn short_path(ast: &Ast, recv: NodeId) -> String {
    let recv = ast.unwrap_expr(recv);
    if let Some(p) = ast.path_of(recv) {
        return p;
    }
    match ast.call(recv) {
        Some(c) => format!(
            "{}(..)",
            ast.path_of(c.callee)
                .unwrap_or_else(|| ast.callee_name(c).unwrap_or("logger").to_string())
        ),
        None => "logger".into(),
    }
}

// --- what a value is --------------------------------------------------------------------------

/// Calls whose result carries their argument's text into a log line: serialisers and
/// formatting (`JSON.stringify(x)`, `json.dumps(x)`, `repr(x)`, `"{}".format(x)`,
/// `util.inspect(x)`, `serde_json::to_string(&x)`), beside the accessors of
/// [`crate::flow::accessors`].
pub fn carries(ast: &Ast, call: NodeId, from: NodeId) -> bool {
    if crate::flow::accessors(ast, call, from) {
        return true;
    }
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    let is_arg = c.args.iter().any(|a| ast.unwrap_expr(a.value) == from);
    match name {
        "stringify" | "dumps" | "inspect" | "repr" | "to_string_pretty" | "to_value" | "from"
        | "to_json" | "toJSON" | "vars" | "asdict" | "model_dump" | "dict" | "format" => {
            is_arg || ast.receiver(c) == Some(from) && matches!(name, "model_dump" | "dict")
        }
        "to_string" => is_arg && ast.receiver(c).is_none(),
        // Rust `Option`/`Result` plumbing on the value: `.to_str().ok()`, `.as_deref()`
        "to_str" | "ok" | "unwrap_or" | "unwrap_or_else" | "as_deref" | "cloned" | "into"
        | "to_vec" | "value" => ast.receiver(c) == Some(from),
        // `.and_then(|v| v.to_str().ok())`: a closure that only passes its argument on
        "map" | "and_then" => {
            ast.receiver(c) == Some(from) && c.args.first().is_some_and(|a| passes_on(ast, a.value))
        }
        _ => false,
    }
}

/// A closure whose body hands its one parameter on through [`carries`] calls only.
fn passes_on(ast: &Ast, closure: NodeId) -> bool {
    let Some(f) = ast.function(closure) else {
        return false;
    };
    let (Some(body), [p]) = (f.expr_body, f.params.as_slice()) else {
        return false;
    };
    let body = ast.unwrap_expr(body);
    let root = ast.chain_root(body);
    if !matches!(ast.kind(root), Kind::Name(n) if *n == p.name) {
        return false;
    }
    let mut cur = root;
    while cur != body {
        let Some(parent) = ast.parent(cur) else {
            return false;
        };
        let ok = match ast.kind(parent) {
            Kind::Member { .. } | Kind::Question(_) | Kind::Await(_) => true,
            Kind::Call(c) => ast
                .receiver(c)
                .is_some_and(|r| carries(ast, parent, ast.unwrap_expr(r))),
            _ => false,
        };
        if !ok {
            return false;
        }
        cur = parent;
    }
    true
}

/// Request parts whose whole value holds what proves who the caller is: bodies (a password, a
/// token), headers (`Authorization`, `Cookie`) and cookies. The label names the part.
const REQUEST_PARTS: &[(&str, &str)] = &[
    ("body", "the request body"),
    ("data", "the request body"),
    ("json", "the request body"),
    ("form", "the request form"),
    ("POST", "the request form"),
    ("headers", "the request headers"),
    ("META", "the request headers"),
    ("cookies", "the request cookies"),
    ("COOKIES", "the request cookies"),
    ("rawBody", "the request body"),
];
const REQUEST_OBJECTS: &[&str] = &[
    "req",
    "request",
    "self.request",
    "ctx.request",
    "ctx.req",
    "c.req",
    "event",
];
/// Koa's context: its `headers` are the request's (its `body` is the response's).
const KOA_HEADER_PARTS: &[&str] = &["headers", "header"];
/// Calls on a request that return its whole body or headers.
const REQUEST_CALLS: &[(&str, &str)] = &[
    ("get_json", "the request body"),
    ("json", "the request body"),
    ("get_data", "the request body"),
    ("form", "the request form"),
    ("formData", "the request form"),
    ("text", "the request body"),
    ("body", "the request body"),
    ("headers", "the request headers"),
    ("cookies", "the request cookies"),
    ("cookie_jar", "the request cookies"),
];

/// `req.body`, `request.headers`, `request.POST`, `ctx.request.body`, `request.get_json()`,
/// `await request.json()`, Rust `req.headers()`: a whole request part, named for a reader.
pub fn request_part(ast: &Ast, id: NodeId) -> Option<&'static str> {
    match ast.kind(id) {
        Kind::Member { object, property } => {
            let obj = ast.path_of(*object)?;
            if obj == "ctx" && KOA_HEADER_PARTS.contains(&property.as_str()) {
                return Some("the request headers");
            }
            if !REQUEST_OBJECTS.contains(&obj.as_str()) {
                return None;
            }
            // Koa's `ctx.request.body` is a request part, `ctx.body` the response
            REQUEST_PARTS
                .iter()
                .find(|(p, _)| p == property)
                .map(|(_, label)| *label)
        }
        Kind::Call(c) => {
            let name = ast.callee_name(c)?;
            let recv = ast.path_of(ast.receiver(c)?)?;
            if !REQUEST_OBJECTS.contains(&recv.as_str()) || !c.args.is_empty() {
                return None;
            }
            REQUEST_CALLS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, label)| *label)
        }
        _ => None,
    }
}

/// Types of a parameter that hold a whole request part, and the part (axum/actix/hyper
/// header maps, cookie jars and requests, whose `Debug` prints every header).
pub fn request_type(ty: &str) -> Option<&'static str> {
    let t = ty.trim_start_matches('&').trim_start_matches("mut ").trim();
    let last = t.rsplit("::").next().unwrap_or(t);
    let base = last.split('<').next().unwrap_or(last);
    match base {
        "HeaderMap" | "TypedHeader" => Some("the request headers"),
        "CookieJar" | "PrivateCookieJar" | "SignedCookieJar" | "Cookies" => {
            Some("the request cookies")
        }
        "HttpRequest" | "Request" | "ServiceRequest" | "Parts" => Some("the whole request"),
        _ => None,
    }
}

/// The key a keyed read uses when it names a secret: `data["password"]`,
/// `request.headers.get("Authorization")`, `req.header("authorization")`,
/// `os.environ["API_KEY"]`, `os.getenv("SECRET_KEY")`, `env::var("API_TOKEN")`,
/// `headers.get(header::AUTHORIZATION)`, `req.cookies.get("session_id")`.
pub fn secret_key(ast: &Ast, id: NodeId) -> Option<String> {
    let key = match ast.kind(id) {
        Kind::Index { index, .. } => key_text(ast, *index)?,
        Kind::Call(c) => {
            let name = ast.callee_name(c)?;
            let keyed = matches!(
                name,
                "get"
                    | "getlist"
                    | "get_one"
                    | "header"
                    | "get_header"
                    | "getHeader"
                    | "get_cookie"
                    | "getenv"
                    | "var"
                    | "var_os"
                    | "cookie"
            ) || name == "get" && ast.receiver(c).is_some();
            if !keyed {
                return None;
            }
            key_text(ast, ast.positional(c).next()?)?
        }
        _ => return None,
    };
    is_sensitive_name(&key).then_some(key)
}

fn key_text(ast: &Ast, key: NodeId) -> Option<String> {
    let key = ast.unwrap_expr(key);
    if let Some(s) = ast.plain_str(key) {
        return Some(s.to_string());
    }
    // `header::AUTHORIZATION`, `http::header::COOKIE`
    let p = ast.path_of(key)?;
    let last = p.rsplit([':', '.']).next()?;
    (last.len() > 2 && last.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .then(|| last.to_string())
}

/// Verbs that make a call's result the thing its name names (`create_access_token(..)`,
/// `generateToken()`, `getApiKey()`).
const MAKING_VERBS: &[&str] = &[
    "create", "generate", "gen", "make", "issue", "new", "mint", "sign", "encode", "get", "fetch",
    "build", "random", "refresh", "rotate", "decrypt", "reveal", "read", "load",
];

/// A call that returns a secret: a function named for one (`create_access_token(user)`,
/// `generateToken()`, `getApiKey()`), `jwt.sign(..)`/`jwt.encode(..)`, `secrets.token_hex()`.
pub fn secret_call(ast: &Ast, call: NodeId) -> Option<String> {
    let c = ast.call(call)?;
    let name = ast.callee_name(c)?;
    let recv = ast.receiver(c).and_then(|r| ast.path_of(r));
    if matches!(name, "sign" | "encode") && recv.as_deref().is_some_and(|r| r.ends_with("jwt")) {
        return Some("a signed token".into());
    }
    if matches!(name, "token_hex" | "token_urlsafe" | "token_bytes")
        && recv.as_deref() == Some("secrets")
    {
        return Some("a generated token".into());
    }
    let words = name_words(name);
    let first = words.first()?;
    if !MAKING_VERBS.contains(&first.as_str()) || words.len() < 2 {
        return None;
    }
    let rest = words[1..].join("_");
    is_sensitive_name(&rest).then(|| rest.replace('_', " "))
}

// --- format strings ---------------------------------------------------------------------------

/// Which argument each `{}` of a Rust format literal (its source text, quotes included) uses,
/// and whether it formats it with `Debug` (`{:?}`, `{x:#?}`): `(positional index or name,
/// debug)`. Implicit positions are numbered in order.
pub fn rust_format_holes(literal: &str) -> Vec<(Result<usize, String>, bool)> {
    let body = literal
        .trim_start_matches('r')
        .trim_start_matches('#')
        .trim_start_matches('"');
    let mut out = Vec::new();
    let mut next = 0;
    let mut chars = body.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
            }
            '{' => {
                let rest = &body[i + 1..];
                let Some(close) = rest.find('}') else { break };
                let inner = &rest[..close];
                let (arg, spec) = inner.split_once(':').unwrap_or((inner, ""));
                let arg = arg.trim();
                let which = if arg.is_empty() {
                    next += 1;
                    Ok(next - 1)
                } else if let Ok(n) = arg.parse::<usize>() {
                    Ok(n)
                } else {
                    Err(arg.to_string())
                };
                out.push((which, spec.contains('?')));
                for (j, _) in chars.by_ref() {
                    if j == i + 1 + close {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

// --- Rust structs whose derived Debug prints a secret -----------------------------------------

/// Field types whose `Debug` hides the value (`secrecy`, `redact` and similar wrappers).
const REDACTING_TYPES: &[&str] = &[
    "Secret",
    "SecretString",
    "SecretBox",
    "SecretVec",
    "SecretSlice",
    "Redacted",
    "Sensitive",
    "SensitiveString",
    "Masked",
    "Hidden",
    "Protected",
];

/// Per file: Rust structs that derive `Debug` and have a secret field (struct, field), types
/// that implement `Debug` by hand, and model fields declared as UUIDs (`token =
/// models.UUIDField(..)`: a record's public id, whatever its name).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LogFacts {
    pub secret_structs: Vec<(String, String)>,
    pub custom_debug: Vec<String>,
    pub id_fields: Vec<String>,
}

/// Reads a file's structs and models (a Rust struct's fields come from its own text: the
/// lowered tree keeps a struct's name and attributes, not its fields).
pub fn collect_facts(ast: &Ast, text: &str) -> LogFacts {
    let mut facts = LogFacts::default();
    if ast.lang == Lang::Python {
        facts.id_fields = uuid_fields(ast);
        return facts;
    }
    if ast.lang != Lang::Rust {
        return facts;
    }
    for id in 0..ast.nodes.len() as NodeId {
        let Kind::Class(c) = ast.kind(id) else {
            continue;
        };
        if c.bases
            .iter()
            .any(|b| b.rsplit("::").next() == Some("Debug"))
        {
            facts.custom_debug.push(c.name.clone());
            continue;
        }
        let derives_debug = c.decorators.iter().any(|d| {
            d.name == "derive"
                && d.args
                    .split(',')
                    .any(|a| a.trim().rsplit("::").next() == Some("Debug"))
        });
        if !derives_debug || !c.body.is_empty() {
            continue;
        }
        let Some(src) = text.get(ast.span(id).range()) else {
            continue;
        };
        if let Some(field) = secret_field(src) {
            facts.secret_structs.push((c.name.clone(), field));
        }
    }
    facts
}

/// Secret-named class attributes declared as UUID columns (`token = models.UUIDField(..)`,
/// `token = Column(UUID(as_uuid=True))`).
fn uuid_fields(ast: &Ast) -> Vec<String> {
    let mut out = Vec::new();
    for id in 0..ast.nodes.len() as NodeId {
        let Kind::Class(c) = ast.kind(id) else {
            continue;
        };
        for &s in &c.body {
            let Kind::Assign {
                target,
                value: Some(v),
                ..
            } = ast.kind(s)
            else {
                continue;
            };
            let Kind::Name(field) = ast.kind(*target) else {
                continue;
            };
            if !is_sensitive_name(field) {
                continue;
            }
            let uuid = ast.subtree(*v).any(|i| {
                ast.call(i)
                    .and_then(|c| ast.callee_name(c))
                    .is_some_and(|n| n.contains("UUID") || n == "uuid4")
                    || matches!(ast.kind(i), Kind::Name(n) if n == "uuid4" || n.ends_with(".uuid4"))
            });
            if uuid {
                out.push(field.clone());
            }
        }
    }
    out
}

/// The first named field of a struct's source whose derived `Debug` shows a secret.
fn secret_field(src: &str) -> Option<String> {
    let item = syn::parse_str::<syn::ItemStruct>(src).ok()?;
    let syn::Fields::Named(fields) = &item.fields else {
        return None;
    };
    for f in &fields.named {
        let name = f.ident.as_ref()?.to_string();
        if !is_sensitive_name(&name) {
            continue;
        }
        let ty = quote::ToTokens::to_token_stream(&f.ty).to_string();
        let redacted = ty
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| {
                REDACTING_TYPES.contains(&w) || w.starts_with("Secret") || w.starts_with("Redact")
            });
        // `#[debug(skip)]`, `#[educe(Debug(ignore))]`, `#[derivative(Debug = "ignore")]`
        let skipped = f.attrs.iter().any(|a| {
            let t = quote::ToTokens::to_token_stream(a).to_string();
            t.contains("skip") || t.contains("ignore") || t.contains("redact")
        });
        let plain = !ty.contains("bool") && !ty.starts_with("Option < bool");
        if !redacted && !skipped && plain {
            return Some(name);
        }
    }
    None
}

/// The project's structs whose derived `Debug` prints a secret field, and its UUID fields.
#[derive(Debug, Default)]
pub struct LogIndex {
    secret_structs: HashMap<String, String>,
    custom_debug: HashSet<String>,
    id_fields: HashSet<String>,
}

impl LogIndex {
    pub fn add(&mut self, facts: LogFacts) {
        for (s, f) in facts.secret_structs {
            self.secret_structs.entry(s).or_insert(f);
        }
        self.custom_debug.extend(facts.custom_debug);
        self.id_fields.extend(facts.id_fields);
    }
    /// Whether some model declares the field `name` as a UUID.
    pub fn is_id_field(&self, name: &str) -> bool {
        self.id_fields.contains(name)
    }
    /// The secret field `Debug` of the struct `name` prints, if it does.
    pub fn secret_field(&self, name: &str) -> Option<&str> {
        if self.custom_debug.contains(name) {
            return None;
        }
        self.secret_structs.get(name).map(String::as_str)
    }
}

/// The struct a Rust type names, through references and the extractors and smart pointers
/// around it: `&LoginRequest`, `Json<LoginRequest>`, `web::Form<Creds>`, `Arc<Config>`.
pub fn struct_of_type(ty: &str) -> Option<String> {
    let mut t = ty.trim();
    loop {
        t = t.trim_start_matches('&').trim_start_matches("mut ").trim();
        let (head, inner) = match t.split_once('<') {
            Some((h, rest)) => (h.trim(), rest.strip_suffix('>').map(str::trim)),
            None => (t, None),
        };
        let last = head.rsplit("::").next().unwrap_or(head);
        match inner {
            Some(inner)
                if matches!(
                    last,
                    "Json"
                        | "Form"
                        | "Query"
                        | "Path"
                        | "Option"
                        | "Arc"
                        | "Box"
                        | "Rc"
                        | "Data"
                        | "State"
                        | "Extension"
                        | "Valid"
                        | "Validated"
                ) =>
            {
                t = inner;
            }
            Some(_) => return None,
            None => {
                let ok = last.chars().next().is_some_and(char::is_uppercase)
                    && last.chars().all(|c| c.is_alphanumeric() || c == '_');
                return ok.then(|| last.to_string());
            }
        }
    }
}

/// `#[tracing::instrument(..)]` arguments: `skip_all`, and the names in `skip(..)`.
pub fn instrument_skips(args: &str) -> (bool, Vec<String>) {
    let skip_all = args
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == "skip_all");
    let mut names = Vec::new();
    let mut rest = args;
    while let Some(i) = rest.find("skip(") {
        let before_ok = i == 0
            || !rest[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &rest[i + 5..];
        let Some(close) = after.find(')') else { break };
        if before_ok {
            names.extend(
                after[..close]
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        }
        rest = &after[close..];
    }
    (skip_all, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_holes_know_debug() {
        let h = rust_format_holes("\"user {} sent {:?} and {token:#?} {0}\"");
        assert_eq!(
            h,
            vec![
                (Ok(0), false),
                (Ok(1), true),
                (Err("token".to_string()), true),
                (Ok(0), false)
            ]
        );
    }

    #[test]
    fn struct_types_through_extractors() {
        assert_eq!(
            struct_of_type("Json<LoginRequest>").as_deref(),
            Some("LoginRequest")
        );
        assert_eq!(struct_of_type("web::Form<Creds>").as_deref(), Some("Creds"));
        assert_eq!(struct_of_type("&Config").as_deref(), Some("Config"));
        assert_eq!(struct_of_type("Vec<User>"), None);
        assert_eq!(struct_of_type("String").as_deref(), Some("String"));
    }

    #[test]
    fn secret_fields_of_debug_structs() {
        assert_eq!(
            secret_field("struct Login { email: String, password: String }").as_deref(),
            Some("password")
        );
        assert_eq!(
            secret_field("struct Login { email: String, password: SecretString }"),
            None
        );
        assert_eq!(
            secret_field("struct Cfg { #[debug(skip)] api_key: String, port: u16 }"),
            None
        );
        assert_eq!(
            secret_field("struct Cfg { token_ttl: u64, has_password: bool }"),
            None
        );
    }

    #[test]
    fn instrument_arguments() {
        assert_eq!(
            instrument_skips("skip(db, password), fields(user = %id)"),
            (false, vec!["db".to_string(), "password".to_string()])
        );
        assert!(instrument_skips("skip_all").0);
    }
}
