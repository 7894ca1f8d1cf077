//! Debug switches of web frameworks, and what keeps one out of production.
//!
//! A switch is a call, setting or option that turns a framework's development mode on:
//! Flask's `app.run(debug=True)` (the Werkzeug debugger runs code for whoever reaches it),
//! Django's `DEBUG = True` (tracebacks, settings and SQL on every error page), FastAPI,
//! Starlette, Tornado and aiohttp `debug=True`, Express's `errorhandler()`, Next.js
//! `next({ dev: true })`, Apollo stack traces in responses, Rocket's debug profile, template
//! engines' development modes, tower-livereload. [`switch`] recognises one; whether the code
//! around it runs only in development and which files only development loads is
//! [`crate::knowledge::environments`]. [`SettingsFacts`] and [`SettingsPart`] let a `DEBUG = True` in a
//! base settings module be settled against the modules that star-import and override it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::ast::{Ast, Kind, NodeId};
use crate::imports::Imports;
use crate::knowledge::environments::{dev_function, words};
pub use crate::knowledge::environments::{guarded, is_dev_only_file, Switches};
use crate::source::Span;

/// The framework (or library) a switch belongs to: it decides the message and the fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    /// `app.run(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True` (Flask, Quart,
    /// Sanic, Dash and Flask-SocketIO share the shape).
    Flask,
    /// `DEBUG = True` in a settings module or a configuration class (Django, Flask).
    Settings,
    /// Django at run time: `settings.DEBUG = True`, `settings.configure(DEBUG=True)`, the
    /// debug toolbar shown to every request.
    Django,
    /// FastAPI, Starlette, Litestar `debug=True`.
    Asgi,
    /// `DebuggedApplication`, `run_simple(use_debugger=True)`.
    Werkzeug,
    Aiohttp,
    Tornado,
    Bottle,
    Pyramid,
    /// the `errorhandler` package, Express 3's `express.errorHandler()`, `app.set('env', ..)`.
    Express,
    Next,
    Apollo,
    /// strong-error-handler (LoopBack) `debug: true`.
    StrongErrorHandler,
    Mongoose,
    /// webpack-dev-middleware / webpack-hot-middleware mounted in the server.
    WebpackDev,
    /// NestJS logger levels meant for development.
    Nest,
    /// Fastify logger levels meant for development.
    Fastify,
    /// `NODE_ENV`, `FLASK_DEBUG`, `ROCKET_PROFILE`... set by the code itself.
    EnvVar,
    /// Rocket's debug profile or log level in code.
    Rocket,
    /// minijinja `set_debug(true)`, handlebars `set_dev_mode(true)`.
    Templates,
    /// A builder's `.debug(true)` (activitypub-federation's `FederationConfig`).
    Builder,
    /// tower-livereload's `LiveReloadLayer`.
    LiveReload,
}

/// A recognised debug switch.
#[derive(Clone, Debug)]
pub struct Switch {
    pub stack: Stack,
    /// The call or assignment that turns debug on.
    pub node: NodeId,
    /// The option inside it that does, when it is an object entry (`{ dev: true }`).
    pub entry: Option<Span>,
    /// The value that turns it on, when it is an argument or option (`debug=DEBUG`).
    pub value: Option<NodeId>,
}

/// Runners whose `debug=True` is asyncio's debug mode, not a web debugger.
const ASYNC_RUNNERS: &[&str] = &["asyncio", "uvloop", "trio", "anyio", "curio", "loop"];

/// The Python callee names [`python_call`] looks at (a cheap filter before any lookup).
const PYTHON_CALLS: &[&str] = &[
    "run",
    "run_server",
    "debug",
    "FastAPI",
    "Starlette",
    "Litestar",
    "ServerErrorMiddleware",
    "Application",
    "DebuggedApplication",
    "run_simple",
    "update",
    "from_mapping",
    "configure",
    "setup",
    "include",
    "from_object",
    "putenv",
];

/// Python calls: `is_true` says whether a value turns a flag on (a literal, or a constant the
/// rule resolved).
fn python_call(
    ast: &Ast,
    imports: &Imports,
    node: NodeId,
    is_true: &dyn Fn(NodeId) -> bool,
) -> Option<Switch> {
    let c = ast.call(node)?;
    let name = ast.callee_name(c)?;
    if !PYTHON_CALLS.contains(&name) {
        return None;
    }
    let qual = imports.qualify(ast, c.callee).unwrap_or_default();
    let receiver = ast.receiver(c).and_then(|r| ast.path_of(r));
    let kw_true = |k: &str| ast.kwarg(c, k).filter(|&v| is_true(v));
    let at = |stack, value| {
        Some(Switch {
            stack,
            node,
            entry: None,
            value,
        })
    };
    match name {
        "run" | "run_server" => {
            let v = kw_true("debug")?;
            match &receiver {
                Some(r) => {
                    let head = r.split('.').next().unwrap_or(r);
                    if ASYNC_RUNNERS.contains(&head) || r.ends_with("loop") {
                        return None;
                    }
                    let bottle = imports.qualify_path(r).starts_with("bottle");
                    at(if bottle { Stack::Bottle } else { Stack::Flask }, Some(v))
                }
                // `from bottle import run`
                None if qual.starts_with("bottle") => at(Stack::Bottle, Some(v)),
                None => None,
            }
        }
        "debug" if qual.starts_with("bottle") => {
            let v = ast.positional(c).next().filter(|&v| is_true(v))?;
            at(Stack::Bottle, Some(v))
        }
        "FastAPI" | "Starlette" | "Litestar" | "ServerErrorMiddleware" => {
            at(Stack::Asgi, Some(kw_true("debug")?))
        }
        "Application" if qual.contains("aiohttp") => at(Stack::Aiohttp, Some(kw_true("debug")?)),
        "Application" if qual.contains("tornado") => {
            let v = kw_true("debug").or_else(|| kw_true("serve_traceback"))?;
            at(Stack::Tornado, Some(v))
        }
        "DebuggedApplication" => at(Stack::Werkzeug, None),
        "run_simple" => at(Stack::Werkzeug, Some(kw_true("use_debugger")?)),
        "update" | "from_mapping" if receiver.as_deref().is_some_and(is_config_path) => {
            let v = kw_true("DEBUG").or_else(|| {
                let obj = ast.positional(c).next()?;
                let e = ast.entry(obj, "DEBUG")?;
                is_true(e.value).then_some(e.value)
            })?;
            at(Stack::Flask, Some(v))
        }
        // `app.config.from_object("config.DevelopmentConfig")`,
        // `app.config.from_object(config["development"])`
        "from_object" if receiver.as_deref().is_some_and(is_config_path) => {
            let arg = ast.positional(c).next()?;
            let named = match ast.kind(arg) {
                Kind::Index { index, .. } => ast.plain_str(*index).map(str::to_string),
                _ => ast
                    .plain_str(arg)
                    .map(str::to_string)
                    .or_else(|| ast.path_of(arg)),
            }?;
            let last = named.rsplit(['.', ':']).next().unwrap_or(&named);
            let dev = words(last)
                .iter()
                .any(|w| ["dev", "development", "develop", "local", "debug"].contains(&w.as_str()));
            dev.then(|| at(Stack::Flask, Some(arg)))?
        }
        "configure" if receiver.as_deref() == Some("settings") => {
            at(Stack::Django, Some(kw_true("DEBUG")?))
        }
        "setup" if qual.starts_with("aiohttp_debugtoolbar") => at(Stack::Aiohttp, None),
        "include"
            if ast
                .positional(c)
                .next()
                .and_then(|a| ast.plain_str(a))
                .is_some_and(|s| s.starts_with("pyramid_debugtoolbar")) =>
        {
            at(Stack::Pyramid, None)
        }
        // `os.putenv("FLASK_DEBUG", "1")` (`os.environ.setdefault(..)` is a default the
        // deployment overrides, as `os.getenv("DEBUG", "1")` is)
        "putenv" if receiver.as_deref() == Some("os") => {
            let mut args = ast.positional(c);
            let (k, v) = (args.next()?, args.next()?);
            env_pair(ast.plain_str(k)?, ast.plain_str(v)?).then(|| at(Stack::EnvVar, None))?
        }
        _ => None,
    }
}

/// Whether a receiver is a Flask configuration object (`app.config`, `self.app.config`).
fn is_config_path(path: &str) -> bool {
    path == "config" || path.ends_with(".config")
}

/// An environment variable value that turns development mode on.
pub fn env_pair(key: &str, value: &str) -> bool {
    let truthy = ["1", "true", "True", "TRUE", "yes", "on"].contains(&value);
    match key {
        "FLASK_DEBUG" | "DJANGO_DEBUG" | "DEBUG" => truthy,
        "FLASK_ENV" | "NODE_ENV" | "APP_ENV" | "ENV" => {
            ["development", "dev"].contains(&value.to_ascii_lowercase().as_str())
        }
        "ROCKET_PROFILE" | "ROCKET_ENV" => ["debug", "development", "dev"].contains(&value),
        _ => false,
    }
}

/// TypeScript/JavaScript calls.
fn ts_call(ast: &Ast, imports: &Imports, node: NodeId) -> Option<Switch> {
    let c = ast.call(node)?;
    let at = |stack, entry: Option<(Span, NodeId)>| {
        Some(Switch {
            stack,
            node,
            entry: entry.map(|e| e.0),
            value: entry.map(|e| e.1),
        })
    };
    // the module a called name comes from: `errorhandler()` after `require('errorhandler')`
    let from = match ast.kind(c.callee) {
        Kind::Name(n) => imports.get(n),
        // `require('errorhandler')()`
        Kind::Call(inner) => {
            let inner = inner.as_ref();
            (ast.callee_name(inner) == Some("require"))
                .then(|| ast.positional(inner).next().and_then(|a| ast.plain_str(a)))
                .flatten()
        }
        _ => None,
    };
    let first = ast.positional(c).next();
    let entry_true = |obj: NodeId, key: &str| {
        let e = ast.entry(obj, key)?;
        matches!(ast.kind(e.value), Kind::Bool(true)).then_some((e.span, e.value))
    };
    match from {
        Some("errorhandler") => return at(Stack::Express, None),
        Some("next") => return at(Stack::Next, Some(entry_true(first?, "dev")?)),
        Some("strong-error-handler") => {
            return at(
                Stack::StrongErrorHandler,
                Some(entry_true(first?, "debug")?),
            )
        }
        Some("webpack-dev-middleware" | "webpack-hot-middleware") => {
            return at(Stack::WebpackDev, None)
        }
        Some("fastify") => {
            let logger = ast.entry(first?, "logger")?.value;
            let level = ast.entry(logger, "level")?;
            let l = ast.plain_str(level.value)?;
            return ["debug", "trace"]
                .contains(&l)
                .then(|| at(Stack::Fastify, Some((level.span, level.value))))?;
        }
        _ => {}
    }
    let name = ast.callee_name(c)?;
    if !matches!(
        name,
        "errorHandler"
            | "set"
            | "ApolloServer"
            | "forRoot"
            | "forRootAsync"
            | "create"
            | "createMicroservice"
    ) {
        return None;
    }
    let receiver = ast.receiver(c).and_then(|r| ast.path_of(r));
    let mut args = ast.positional(c);
    match name {
        // Express 3: `app.use(express.errorHandler({ dumpExceptions: true, showStack: true }))`
        "errorHandler" if receiver.as_deref() == Some("express") => at(Stack::Express, None),
        "set" => {
            let (k, v) = (args.next()?, args.next()?);
            match ast.plain_str(k)? {
                // `app.set('env', 'development')`
                "env" if ast.plain_str(v) == Some("development") => at(Stack::Express, None),
                // `mongoose.set('debug', true)`
                "debug"
                    if matches!(ast.kind(v), Kind::Bool(true))
                        && receiver
                            .as_deref()
                            .is_some_and(|r| imports.qualify_path(r) == "mongoose") =>
                {
                    at(Stack::Mongoose, None)
                }
                _ => None,
            }
        }
        "ApolloServer" => at(Stack::Apollo, Some(entry_true(first?, "debug")?)),
        "forRoot" | "forRootAsync"
            if receiver
                .as_deref()
                .is_some_and(|r| r.ends_with("GraphQLModule")) =>
        {
            at(Stack::Apollo, Some(entry_true(first?, "debug")?))
        }
        // `NestFactory.create(AppModule, { logger: ['log', 'debug', 'verbose'] })`
        "create" | "createMicroservice"
            if receiver
                .as_deref()
                .is_some_and(|r| r.ends_with("NestFactory")) =>
        {
            let opts = ast.positional(c).nth(1)?;
            let logger = ast.entry(opts, "logger")?;
            let Kind::Array(levels) = ast.kind(logger.value) else {
                return None;
            };
            levels
                .iter()
                .any(|&l| matches!(ast.plain_str(l), Some("debug" | "verbose")))
                .then(|| at(Stack::Nest, Some((logger.span, logger.value))))?
        }
        _ => None,
    }
}

/// The Rust callee names [`rust_call`] looks at.
const RUST_CALLS: &[&str] = &[
    "debug_default",
    "new",
    "default",
    "set_var",
    "set_debug",
    "set_dev_mode",
    "debug",
    "select",
];

/// Rust calls.
fn rust_call(ast: &Ast, imports: &Imports, node: NodeId) -> Option<Switch> {
    let c = ast.call(node)?;
    let at = |stack, value| {
        Some(Switch {
            stack,
            node,
            entry: None,
            value,
        })
    };
    let name = ast.callee_name(c)?;
    if !RUST_CALLS.contains(&name) {
        return None;
    }
    let written = |suffixes: &[&str]| matches!(ast.kind(c.callee), Kind::Name(n) if suffixes.iter().any(|s| n.ends_with(s)));
    match name {
        "debug_default" if written(&["Config::debug_default"]) => return at(Stack::Rocket, None),
        "new" | "default" if written(&["LiveReloadLayer::new", "LiveReloadLayer::default"]) => {
            return at(Stack::LiveReload, None)
        }
        "set_var"
            if imports
                .qualify(ast, c.callee)
                .is_some_and(|p| p.ends_with("env::set_var")) =>
        {
            let mut args = ast.positional(c);
            let (k, v) = (args.next()?, args.next()?);
            return env_pair(ast.plain_str(k)?, ast.plain_str(v)?)
                .then(|| at(Stack::EnvVar, None))?;
        }
        _ => {}
    }
    let only_true = || {
        let mut args = ast.positional(c);
        let v = args.next()?;
        (args.next().is_none() && matches!(ast.kind(v), Kind::Bool(true))).then_some(v)
    };
    match name {
        // the engines' own setters (a logger's `set_debug` is not one)
        "set_debug" if imports.uses("minijinja") => at(Stack::Templates, Some(only_true()?)),
        "set_dev_mode" if imports.uses("handlebars") => at(Stack::Templates, Some(only_true()?)),
        // `FederationConfig::builder()...debug(true)`: a configuration builder's debug mode
        "debug" => {
            let v = only_true()?;
            let built = ast.call_chain(node).iter().any(|&k| {
                ast.call(k)
                    .and_then(|kc| ast.path_of(kc.callee))
                    .is_some_and(|p| p.ends_with("Config::builder"))
            });
            built.then(|| at(Stack::Builder, Some(v)))?
        }
        // `Config::figment().select("debug")` / `.select(Config::DEBUG_PROFILE)`
        "select" => {
            let arg = ast.positional(c).next()?;
            let debug = ast.plain_str(arg) == Some("debug")
                || ast
                    .path_of(arg)
                    .is_some_and(|p| p.ends_with("DEBUG_PROFILE"));
            let figment = ast.call_chain(node).iter().any(|&k| {
                ast.call(k)
                    .and_then(|kc| ast.path_of(kc.callee))
                    .is_some_and(|p| p.to_ascii_lowercase().contains("figment"))
            });
            (debug && figment).then(|| at(Stack::Rocket, Some(arg)))?
        }
        _ => None,
    }
}

/// Receivers whose `debug` attribute is a web framework's debug mode.
fn is_app_name(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    ["app", "application", "api", "server", "webapp", "flask_app"].contains(&last)
        || last.ends_with("_app")
}

/// Assignments: `app.debug = True`, `app.config["DEBUG"] = True`, `settings.DEBUG = True`,
/// `DEBUG = True`, `process.env.NODE_ENV = 'development'`, Rocket `config.log_level =
/// LogLevel::Debug`, the Django debug toolbar shown to everyone.
fn assignment(ast: &Ast, node: NodeId, is_true: &dyn Fn(NodeId) -> bool) -> Option<Switch> {
    let Kind::Assign {
        target,
        value: Some(value),
        augmented: false,
        ..
    } = ast.kind(node)
    else {
        return None;
    };
    let (target, value) = (*target, *value);
    let at = |stack| {
        Some(Switch {
            stack,
            node,
            entry: None,
            value: Some(value),
        })
    };
    let lang = ast.lang;
    match ast.kind(target) {
        // `app.config["DEBUG"] = True`, `os.environ["FLASK_DEBUG"] = "1"`
        Kind::Index { object, index } => {
            let obj = ast.path_of(*object)?;
            let key = ast.plain_str(*index)?;
            if lang == crate::ast::Lang::Python && is_config_path(&obj) {
                let on = match key {
                    "DEBUG" => is_true(value),
                    "ENV" => ast.plain_str(value) == Some("development"),
                    _ => false,
                };
                return on.then(|| at(Stack::Flask))?;
            }
            if obj.ends_with("environ") || obj == "process.env" {
                return env_pair(key, ast.plain_str(value)?).then(|| at(Stack::EnvVar))?;
            }
            None
        }
        Kind::Name(n) if lang == crate::ast::Lang::Python => match n.as_str() {
            "DEBUG" if is_true(value) => at(Stack::Settings),
            // `DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": lambda request: True}`
            "DEBUG_TOOLBAR_CONFIG" => {
                let e = ast.entry(value, "SHOW_TOOLBAR_CALLBACK")?;
                let f = ast.function(e.value)?;
                let always = f
                    .expr_body
                    .is_some_and(|b| matches!(ast.kind(b), Kind::Bool(true)));
                always.then_some(Switch {
                    stack: Stack::Django,
                    node,
                    entry: Some(e.span),
                    value: Some(e.value),
                })
            }
            _ => None,
        },
        Kind::Member { object, property } => {
            if !matches!(
                property.as_str(),
                "DEBUG" | "debug" | "log_level" | "NODE_ENV" | "FLASK_DEBUG" | "FLASK_ENV"
            ) && lang != crate::ast::Lang::TypeScript
            {
                return None;
            }
            let obj = ast.path_of(*object)?;
            match (lang, property.as_str()) {
                (crate::ast::Lang::Python, "DEBUG") if obj == "settings" && is_true(value) => {
                    at(Stack::Django)
                }
                (crate::ast::Lang::Python, "debug") if is_app_name(&obj) && is_true(value) => {
                    at(Stack::Flask)
                }
                (crate::ast::Lang::TypeScript, key) if obj == "process.env" => {
                    env_pair(key, ast.plain_str(value)?).then(|| at(Stack::EnvVar))?
                }
                (crate::ast::Lang::Rust, "log_level")
                    if ast
                        .path_of(value)
                        .is_some_and(|p| p.ends_with("LogLevel::Debug")) =>
                {
                    at(Stack::Rocket)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Object literals: Apollo's `includeStacktraceInErrorResponses: true`, a Rocket `Config { ..
/// }` with the debug log level or profile.
fn object(ast: &Ast, node: NodeId) -> Option<Switch> {
    let Kind::Object { ty, entries } = ast.kind(node) else {
        return None;
    };
    let found = match ast.lang {
        crate::ast::Lang::TypeScript => entries.iter().find(|e| {
            e.key.as_deref() == Some("includeStacktraceInErrorResponses")
                && matches!(ast.kind(e.value), Kind::Bool(true))
        }),
        crate::ast::Lang::Rust if ty.as_deref().is_some_and(|t| t.ends_with("Config")) => {
            entries.iter().find(|e| {
                let v = ast.path_of(e.value).unwrap_or_default();
                e.key.as_deref() == Some("log_level") && v.ends_with("LogLevel::Debug")
                    || e.key.as_deref() == Some("profile") && v.ends_with("DEBUG_PROFILE")
            })
        }
        _ => None,
    }?;
    let stack = match ast.lang {
        crate::ast::Lang::Rust => Stack::Rocket,
        _ => Stack::Apollo,
    };
    Some(Switch {
        stack,
        node,
        entry: Some(found.span),
        value: Some(found.value),
    })
}

/// The debug switch at `node` (a call, an assignment or an object literal), if any. `is_true`
/// decides whether a Python flag's value is on (the rule resolves constants).
pub fn switch(
    ast: &Ast,
    imports: &Imports,
    node: NodeId,
    is_true: &dyn Fn(NodeId) -> bool,
) -> Option<Switch> {
    match ast.kind(node) {
        Kind::Call(_) => match ast.lang {
            crate::ast::Lang::Python => python_call(ast, imports, node, is_true),
            crate::ast::Lang::TypeScript => ts_call(ast, imports, node),
            crate::ast::Lang::Rust => rust_call(ast, imports, node),
        },
        Kind::Assign { .. } => assignment(ast, node, is_true),
        Kind::Object { .. } => object(ast, node),
        _ => None,
    }
}

/// Hosts that only this machine reaches: a development server bound there is not exposed.
pub fn is_loopback(host: &str) -> bool {
    ["127.0.0.1", "localhost", "::1"].contains(&host)
}

/// A settings or configuration module by its name: `settings.py`, `settings/base.py`,
/// `config.py`, `app/conf/production.py`.
pub fn is_settings_file(path: &Path) -> bool {
    const NAMES: &[&str] = &[
        "settings",
        "setting",
        "config",
        "configs",
        "configuration",
        "conf",
    ];
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if words(&stem).iter().any(|w| NAMES.contains(&w.as_str())) {
        return true;
    }
    path.parent()
        .and_then(|p| p.file_name())
        .is_some_and(|d| NAMES.contains(&d.to_string_lossy().to_ascii_lowercase().as_str()))
}

/// Names only a settings module assigns at module level (Django, Flask-SQLAlchemy).
const SETTINGS_MARKERS: &[&str] = &[
    "INSTALLED_APPS",
    "ROOT_URLCONF",
    "MIDDLEWARE",
    "ALLOWED_HOSTS",
    "DATABASES",
    "WSGI_APPLICATION",
    "SQLALCHEMY_DATABASE_URI",
];

/// The settings names whose overrides are tracked across modules.
pub const WATCHED: &[&str] = &["DEBUG"];

/// A module-level configuration class that sets `DEBUG` (Flask's `class ProductionConfig`).
#[derive(Clone, Debug)]
pub struct ConfigClass {
    pub node: NodeId,
    pub name: String,
    pub bases: Vec<String>,
    /// Its `DEBUG = ..` assignments: (node, literally true).
    pub debug: Vec<(NodeId, bool)>,
}

/// What a file's module level sets, collected once per file.
#[derive(Clone, Debug, Default)]
pub struct SettingsFacts {
    /// Module-level assignments to a plain name, in order: (name, assignment, value literally
    /// true).
    pub assigns: Vec<(String, NodeId, bool)>,
    /// Module-level star imports, in order: (import, module as written).
    pub star_imports: Vec<(NodeId, String)>,
    /// The module assigns names only settings modules assign (`INSTALLED_APPS`...) or loads
    /// its own constants as configuration (`app.config.from_object(__name__)`).
    pub settings_module: bool,
    /// Module-level classes that set `DEBUG` in their body, in order.
    pub classes: Vec<ConfigClass>,
    /// Name -> its first module-level assignment when every one is literally true.
    constants: HashMap<String, Option<NodeId>>,
    /// Name -> its last module-level assignment: the value the module ends with.
    last: HashMap<String, NodeId>,
    /// Classes that a production class derives from and sets `DEBUG` again in
    /// (`class HostedConfig(BaseConfig): DEBUG = False` names `BaseConfig`).
    reset_bases: HashSet<String>,
}

impl SettingsFacts {
    /// Whether the name's only module-level assignments are literal `true`: a constant that
    /// turns a flag on (`DEBUG = True` .. `app.run(debug=DEBUG)`).
    pub fn true_constant(&self, name: &str) -> Option<NodeId> {
        self.constants.get(name).copied().flatten()
    }
    /// Whether `node` is the last module-level assignment of `name`: the value the module
    /// ends with.
    pub fn is_last_assign(&self, name: &str, node: NodeId) -> bool {
        self.last.get(name) == Some(&node)
    }
    /// Whether an assignment is at module level (module-level `if` and `try` blocks included).
    pub fn is_module_assign(&self, node: NodeId) -> bool {
        self.assigns
            .binary_search_by_key(&node, |(_, id, _)| *id)
            .is_ok()
    }
    /// Whether a production class of the module derives from `class` and sets `DEBUG` to
    /// something else.
    pub fn reset_in_subclass(&self, class: &str) -> bool {
        self.reset_bases.contains(class)
    }
    /// The configuration class whose body holds the assignment `node`.
    pub fn class_of(&self, ast: &Ast, node: NodeId) -> Option<&ConfigClass> {
        let class = ast.parent(node)?;
        let i = self.classes.binary_search_by_key(&class, |c| c.node).ok()?;
        Some(&self.classes[i])
    }
}

/// The statements that run at module level: the module's own, and those inside module-level
/// `if`, `try` and `with` blocks (not function or class bodies).
fn module_statements(ast: &Ast) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut stack: Vec<NodeId> = match ast.kind(crate::ast::ROOT) {
        Kind::Module(body) => body.iter().rev().copied().collect(),
        _ => return out,
    };
    while let Some(id) = stack.pop() {
        out.push(id);
        let inner: Vec<NodeId> = match ast.kind(id) {
            Kind::If { then, els, .. } => then.iter().chain(els).copied().collect(),
            Kind::Try {
                body,
                handlers,
                finally,
            } => body
                .iter()
                .chain(handlers)
                .chain(finally)
                .copied()
                .collect(),
            Kind::Catch { body, .. } | Kind::With { body, .. } | Kind::Block(body) => body.clone(),
            Kind::Other => ast
                .children(id)
                .filter(|&c| matches!(ast.kind(c), Kind::Assign { .. } | Kind::Class(_)))
                .collect(),
            _ => Vec::new(),
        };
        stack.extend(inner.into_iter().rev());
    }
    out
}

/// Collects a file's module-level settings facts (one pass over its module-level statements).
pub fn collect(ast: &Ast) -> SettingsFacts {
    let mut facts = SettingsFacts::default();
    if ast.lang != crate::ast::Lang::Python {
        return facts;
    }
    for id in module_statements(ast) {
        match ast.kind(id) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } => {
                if let Kind::Name(n) = ast.kind(*target) {
                    facts.settings_module |= SETTINGS_MARKERS.contains(&n.as_str());
                    let t = matches!(ast.kind(*v), Kind::Bool(true));
                    facts.assigns.push((n.clone(), id, t));
                }
            }
            Kind::Import(i) if i.names.iter().any(|(n, _)| n == "*") => {
                facts.star_imports.push((id, i.module.clone()));
            }
            Kind::Call(c) => {
                let own = ast.callee_name(c) == Some("from_object")
                    && ast
                        .positional(c)
                        .next()
                        .is_some_and(|a| matches!(ast.kind(a), Kind::Name(n) if n == "__name__"));
                facts.settings_module |= own;
            }
            Kind::Class(c) => {
                let debug: Vec<(NodeId, bool)> = c
                    .body
                    .iter()
                    .filter_map(|&s| match ast.kind(s) {
                        Kind::Assign {
                            target,
                            value: Some(v),
                            ..
                        } if matches!(ast.kind(*target), Kind::Name(n) if n == "DEBUG") => {
                            Some((s, matches!(ast.kind(*v), Kind::Bool(true))))
                        }
                        _ => None,
                    })
                    .collect();
                if !debug.is_empty() {
                    facts.classes.push(ConfigClass {
                        node: id,
                        name: c.name.clone(),
                        bases: c.bases.clone(),
                        debug,
                    });
                }
            }
            _ => {}
        }
    }
    for (n, id, t) in &facts.assigns {
        let e = facts.constants.entry(n.clone()).or_insert(Some(*id));
        if !t {
            *e = None;
        }
        facts.last.insert(n.clone(), *id);
    }
    for c in &facts.classes {
        if !is_dev_class(&c.name) && c.debug.iter().any(|(_, t)| !t) {
            facts.reset_bases.extend(c.bases.iter().cloned());
        }
    }
    facts
}

/// Whether a configuration class is for development or tests (`DevelopmentConfig`,
/// `TestingConfig`, `LocalSettings`).
pub fn is_dev_class(name: &str) -> bool {
    dev_function(name)
}

/// Whether a class reads its fields from the environment (pydantic `BaseSettings`).
pub fn reads_environment(bases: &[String]) -> bool {
    bases
        .iter()
        .any(|b| b.ends_with("BaseSettings") || b.ends_with("Env"))
}

/// What one Python file tells the project index about its settings.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SettingsPart {
    /// See [`crate::facts::module_path`].
    pub module: String,
    /// The file only runs in development or tests (a dev settings file, a test role).
    pub dev: bool,
    /// Modules it star-imports, resolved to module paths (`app/settings/base`).
    pub star_imports: Vec<String>,
    /// The [`WATCHED`] names it assigns at module level: (name, literally true).
    pub assigns: Vec<(String, bool)>,
}

impl SettingsPart {
    pub fn new(facts: &SettingsFacts, path: &Path, module: &str, dev: bool) -> SettingsPart {
        SettingsPart {
            module: module.to_string(),
            dev,
            star_imports: facts
                .star_imports
                .iter()
                .map(|(_, m)| crate::imports::normalise_module(path, m))
                .collect(),
            assigns: facts
                .assigns
                .iter()
                .filter(|(n, _, _)| WATCHED.contains(&n.as_str()))
                .map(|(n, _, t)| (n.clone(), *t))
                .collect(),
        }
    }
}

/// Whether the project may override the setting `name` that `module` sets to true: another
/// settings module that production may load star-imports it and sets the name to something
/// else (`production.py`: `from .base import *` then `DEBUG = False`), or a module it
/// star-imports after the line (`later`) may set it: one outside the project (a
/// `local_settings` kept out of git) or one that sets it.
pub fn overridden(parts: &[SettingsPart], module: &str, name: &str, later: &[String]) -> bool {
    use crate::imports::ends_with_segments;
    let resets = |p: &SettingsPart| p.assigns.iter().any(|(n, t)| n == name && !t);
    let by_importer = parts.iter().any(|p| {
        !p.dev
            && p.module != module
            && p.star_imports.iter().any(|m| ends_with_segments(module, m))
            && resets(p)
    });
    by_importer
        || later.iter().any(
            |m| match parts.iter().find(|p| ends_with_segments(&p.module, m)) {
                None => true,
                Some(p) => resets(p),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_across_settings_modules() {
        let part = |module: &str, dev: bool, star: &[&str], debug: Option<bool>| SettingsPart {
            module: module.into(),
            dev,
            star_imports: star.iter().map(|s| s.to_string()).collect(),
            assigns: debug
                .map(|t| ("DEBUG".to_string(), t))
                .into_iter()
                .collect(),
        };
        let base = part("proj/settings/base", false, &[], Some(true));
        let prod = part(
            "proj/settings/production",
            false,
            &["proj/settings/base"],
            Some(false),
        );
        let dev = part(
            "proj/settings/staging_dev",
            true,
            &["proj/settings/base"],
            Some(false),
        );
        assert!(overridden(
            &[base.clone(), prod],
            "proj/settings/base",
            "DEBUG",
            &[]
        ));
        // a development module resetting it says nothing about production
        assert!(!overridden(
            &[base.clone(), dev],
            "proj/settings/base",
            "DEBUG",
            &[]
        ));
        // a star import of a module outside the project may set it
        assert!(overridden(
            std::slice::from_ref(&base),
            "proj/settings/base",
            "DEBUG",
            &["proj/settings/local_settings".into()]
        ));
        let logging = part("proj/settings/logging", false, &[], None);
        assert!(!overridden(
            &[base, logging],
            "proj/settings/base",
            "DEBUG",
            &["proj/settings/logging".into()]
        ));
    }
}
