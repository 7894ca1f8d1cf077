//! `debug-mode-enabled`: a framework's debug or development mode left on in service code.
//!
//! [`debug_mode::switch`] recognises the switch; the verdict here keeps what production runs:
//! not in files only development loads (`settings/local.py`, `dev_server.py`), not under a
//! development or environment check, not a value read from the environment (only literal
//! `True`/`true`, or a constant of the same file set to it, turns a flag on), not a Flask
//! development server bound to the loopback interface. `DEBUG = True` counts in settings
//! modules and configuration classes only, unless the same file or a production settings
//! module that star-imports it sets it again (a cross-file condition).

use crate::ast::{Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::knowledge::debug_mode::{self, Stack, Switch};

pub struct DebugModeEnabled;

impl Rule for DebugModeEnabled {
    fn id(&self) -> &'static str {
        "debug-mode-enabled"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Assign, KindTag::Object]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let settings = &cx.facts.debug_settings;
        let settings_like = std::cell::OnceCell::new();
        let settings_like = || {
            *settings_like.get_or_init(|| {
                settings.settings_module || debug_mode::is_settings_file(&cx.file.path)
            })
        };
        // A flag is on when its value is `True`, or a module constant set to `True` (the
        // constant itself is reported in a settings module).
        let is_true = |v: NodeId| match cx.ast.kind(v) {
            Kind::Bool(b) => *b,
            Kind::Name(n) => !settings_like() && settings.true_constant(n).is_some(),
            _ => false,
        };
        let Some(sw) = debug_mode::switch(cx.ast, &cx.facts.imports, node, &is_true) else {
            return;
        };
        if debug_mode::is_dev_only_file(&cx.file.path)
            || debug_mode::guarded(cx.ast, &cx.file.text, node, debug_mode::Switches::Guard)
        {
            return;
        }
        let mut condition = None;
        let mut what_class = None;
        match sw.stack {
            Stack::Settings => match settings_verdict(cx, node, settings_like()) {
                Some(Verdict::Module(c)) => condition = Some(c),
                Some(Verdict::Class(name)) => what_class = Some(name),
                None => return,
            },
            // `app.run(debug=True, host="127.0.0.1")`: the debugger is only reachable from
            // this machine, as on a developer's laptop
            Stack::Flask | Stack::Bottle => {
                let loopback = cx
                    .ast
                    .call(node)
                    .and_then(|c| {
                        cx.ast
                            .kwarg(c, "host")
                            .or_else(|| cx.ast.positional(c).next())
                    })
                    .and_then(|h| cx.ast.plain_str(h))
                    .is_some_and(debug_mode::is_loopback);
                if loopback {
                    return;
                }
            }
            _ => {}
        }
        let what = shown(cx, &sw);
        let callee = cx.ast.call(node).and_then(|c| cx.ast.callee_name(c));
        let message = message(sw.stack, &what, callee, what_class.as_deref(), django(cx));
        let span = match (sw.entry, cx.ast.call(node).is_some()) {
            (Some(e), _) => e,
            (None, true) => cx.call_site(node),
            (None, false) => cx.first_line(node),
        };
        let mut f = cx.finding(span, message).help(help(sw.stack, cx.ast.lang));
        // `debug=DEBUG`: show where the constant is set
        if let Some(v) = sw.value {
            if let Kind::Name(n) = cx.ast.kind(v) {
                if let Some(at) = settings.true_constant(n) {
                    f = f.label(cx.first_line(at), format!("`{n}` is set to `True` here"));
                }
            }
        }
        if let Some(c) = condition {
            f = f.condition(c);
        }
        cx.emit(f);
    }
}

enum Verdict {
    /// A module-level `DEBUG = True`, with the cross-file condition that settles it.
    Module(Condition),
    /// `DEBUG = True` in this configuration class.
    Class(String),
}

/// `DEBUG = True`: reported in a settings module's module level (unless this file sets it
/// again or the project overrides it) and in a configuration class production may load (not a
/// development or test class, not pydantic settings read from the environment, not a base
/// class whose production subclass turns it off).
fn settings_verdict(cx: &Ctx, node: NodeId, settings_like: bool) -> Option<Verdict> {
    let facts = &cx.facts.debug_settings;
    if facts.is_module_assign(node) {
        // only the value the module ends with counts: a `DEBUG = ..` further down (set again
        // from the environment, or turned off under a condition) decides
        if !settings_like || !facts.is_last_assign("DEBUG", node) {
            return None;
        }
        let later: Vec<String> = facts
            .star_imports
            .iter()
            .filter(|(id, _)| *id > node)
            .map(|(_, m)| crate::imports::normalise_module(&cx.file.path, m))
            .collect();
        let condition = Condition::UnlessSettingOverridden {
            module: cx.facts.module.clone(),
            name: "DEBUG".to_string(),
            later,
        };
        return Some(Verdict::Module(condition));
    }
    let class = facts.class_of(cx.ast, node)?;
    let config_named = ["Config", "Settings", "Conf"]
        .iter()
        .any(|w| class.name.contains(w));
    if !(config_named || settings_like)
        || debug_mode::is_dev_class(&class.name)
        || debug_mode::reads_environment(&class.bases)
        || class.debug.last().map(|d| d.0) != Some(node)
    {
        return None;
    }
    // `class ProductionConfig(Config): DEBUG = False` turns the base's value off
    (!facts.reset_in_subclass(&class.name)).then(|| Verdict::Class(class.name.clone()))
}

/// Whether the file is Django settings (for the message).
fn django(cx: &Ctx) -> bool {
    cx.facts.imports.uses("django")
        || cx
            .facts
            .debug_settings
            .assigns
            .iter()
            .any(|(n, _, _)| n == "INSTALLED_APPS" || n == "ROOT_URLCONF")
}

/// The code that turns debug on, as the message shows it: the option, or the call or
/// assignment when it fits on one short line, else the callee.
fn shown(cx: &Ctx, sw: &Switch) -> String {
    let text = match sw.entry {
        Some(e) => cx.file.snippet(e),
        None => cx.text(sw.node),
    };
    let text = text.trim().trim_end_matches([',', ';']);
    if !text.contains('\n') && text.chars().count() <= 60 {
        return text.to_string();
    }
    // a long call: its callee and the value that turns debug on (`Application(…, debug=True)`,
    // `.debug(true)` at the end of a builder chain)
    let callee = cx.ast.call(sw.node).and_then(|c| {
        let arg = sw
            .value
            .and_then(|v| c.args.iter().find(|a| a.value == v))
            .map(|a| match &a.name {
                Some(k) => format!("…, {k}={}", cx.text(a.value)),
                None => cx.text(a.value).to_string(),
            })
            .unwrap_or_else(|| "…".to_string());
        match (cx.ast.path_of(c.callee), cx.ast.kind(c.callee)) {
            (Some(p), _) => Some(format!("{p}({arg})")),
            (None, Kind::Member { property, .. }) => Some(format!(".{property}({arg})")),
            _ => None,
        }
    });
    callee.unwrap_or_else(|| {
        let first = text.lines().next().unwrap_or("");
        let cut: String = first.chars().take(57).collect();
        format!("{cut}…")
    })
}

/// One sentence: what the switch does and what to do instead.
fn message(
    stack: Stack,
    what: &str,
    callee: Option<&str>,
    class: Option<&str>,
    django: bool,
) -> String {
    let w = format!("`{what}`");
    match stack {
        Stack::Flask if matches!(callee, Some("run" | "run_server")) => format!("{w} starts the Werkzeug debugger, which shows tracebacks and a Python console (behind a PIN) to anyone who reaches the server: read the flag from the environment (`FLASK_DEBUG`) or use `flask run --debug` for local work"),
        Stack::Flask if callee == Some("from_object") => format!("{w} loads the development configuration (debug mode, development settings) wherever the app runs: choose the configuration from the environment (`FLASK_CONFIG`)"),
        Stack::Flask => format!("{w} turns Flask's debug mode on wherever the app runs (the Werkzeug debugger under the built-in server, tracebacks instead of error pages): read it from the environment (`FLASK_DEBUG`)"),
        Stack::Settings => match class {
            Some(c) => format!("{w} in `{c}` turns debug mode on for every app that loads this configuration: set it in a development configuration class only, or read it from the environment"),
            None if django => format!("{w} in settings that production loads shows tracebacks, settings and SQL to every visitor: read it from the environment and keep `DEBUG = True` in a local or dev settings file"),
            None => format!("{w} in a configuration module that production loads turns debug mode on: read it from the environment and keep `True` in a development configuration"),
        },
        Stack::Django => format!("{w} turns Django's debug pages or toolbar on for every request: leave `DEBUG` to the settings (read from the environment) and show the toolbar only to `INTERNAL_IPS` while `DEBUG` is on"),
        Stack::Asgi => format!("{w} sends tracebacks to clients on every server error: pass a flag read from the environment, off by default"),
        Stack::Werkzeug => format!("{w} serves the Werkzeug interactive debugger (tracebacks and a Python console behind a PIN) to anyone who reaches the app: wrap the app with it only in a development entry point"),
        Stack::Aiohttp => format!("{w} turns on aiohttp's debug mode or debug toolbar in the application: enable it from the environment, in development only"),
        Stack::Tornado => format!("{w} turns on Tornado's debug mode, which sends tracebacks to clients and reloads code: read the flag from the environment"),
        Stack::Bottle => format!("{w} turns on Bottle's debug mode, which sends tracebacks to clients: read the flag from the environment and leave it off in production"),
        Stack::Pyramid => format!("{w} installs the Pyramid debug toolbar (tracebacks, settings and an interactive debugger): include it from `development.ini` only"),
        Stack::Express if callee == Some("set") => format!("{w} puts Express in development mode, whose error handler sends stack traces to clients: let `NODE_ENV` decide"),
        Stack::Express => format!("{w} sends stack traces and error details to clients: mount it only when `process.env.NODE_ENV === 'development'`"),
        Stack::Next => format!("{w} runs Next.js in development mode in the server (error overlays, source, no optimisation): use `dev: process.env.NODE_ENV !== 'production'`"),
        Stack::Apollo => format!("{w} puts stack traces into GraphQL error responses: drop it and leave Apollo's default, which turns them off when `NODE_ENV` is `production`"),
        Stack::StrongErrorHandler => format!("{w} sends stack traces to clients: set `debug` from the environment (`process.env.NODE_ENV === 'development'`)"),
        Stack::Mongoose => format!("{w} logs every query with its data: turn it on only in development"),
        Stack::WebpackDev => format!("{w} mounts a webpack development middleware in the server: serve prebuilt bundles in production and mount it only under a development check"),
        Stack::Nest => format!("{w} keeps NestJS's debug and verbose log levels on in every environment: choose the levels from the environment"),
        Stack::Fastify => format!("{w} sets the Fastify logger to a development level in every environment: read the level from the environment"),
        Stack::EnvVar => format!("{w} forces development mode from the code, whatever the deployment sets: let the environment decide"),
        Stack::Rocket => format!("{w} runs Rocket with its debug profile or log level in release builds: select the profile with `ROCKET_PROFILE` or guard it with `cfg!(debug_assertions)`"),
        Stack::Templates => format!("{w} turns on the template engine's development mode (template source in errors, reloading) in release builds: pass `cfg!(debug_assertions)`"),
        Stack::Builder => format!("{w} turns the builder's debug mode on in release builds: pass `cfg!(debug_assertions)` or a configuration value"),
        Stack::LiveReload => format!("{w} adds a live-reload layer meant for development to the server: add it only under `#[cfg(debug_assertions)]`"),
    }
}

/// The fix, with code, for the help line.
fn help(stack: Stack, lang: Lang) -> &'static str {
    match (stack, lang) {
        (Stack::Flask | Stack::Bottle, _) => "`app.run(debug=os.environ.get(\"FLASK_DEBUG\") == \"1\")`, and serve production with gunicorn or uwsgi",
        (Stack::Settings, _) => "`DEBUG = os.environ.get(\"DJANGO_DEBUG\", \"\") == \"1\"` (or `env.bool(\"DEBUG\", default=False)`); `DEBUG = True` in `settings/local.py`",
        (Stack::Django, _) => "`\"SHOW_TOOLBAR_CALLBACK\": lambda request: settings.DEBUG and request.META.get(\"REMOTE_ADDR\") in settings.INTERNAL_IPS`",
        (Stack::Asgi | Stack::Tornado | Stack::Aiohttp, _) => "`FastAPI(debug=settings.debug)` with `debug: bool = False` in a pydantic `BaseSettings`, or `debug=os.environ.get(\"DEBUG\") == \"1\"`",
        (Stack::Werkzeug, _) => "`if os.environ.get(\"FLASK_DEBUG\") == \"1\": app.wsgi_app = DebuggedApplication(app.wsgi_app)`",
        (Stack::Pyramid, _) => "`pyramid.includes = pyramid_debugtoolbar` in development.ini, not in code",
        (Stack::Express | Stack::WebpackDev, _) => "`if (process.env.NODE_ENV === 'development') { app.use(errorhandler()) }`",
        (Stack::Next, _) => "`next({ dev: process.env.NODE_ENV !== 'production' })`",
        (Stack::Apollo, _) => "`new ApolloServer({ includeStacktraceInErrorResponses: process.env.NODE_ENV !== 'production' })`",
        (Stack::StrongErrorHandler, _) => "`errorHandler({ debug: process.env.NODE_ENV === 'development' })`",
        (Stack::Mongoose, _) => "`mongoose.set('debug', process.env.MONGOOSE_DEBUG === '1')`",
        (Stack::Nest, _) => "`NestFactory.create(AppModule, { logger: process.env.NODE_ENV === 'production' ? ['log', 'warn', 'error'] : ['log', 'warn', 'error', 'debug', 'verbose'] })`",
        (Stack::Fastify, _) => "`fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })`",
        (Stack::EnvVar, Lang::Python) => "remove the assignment and set the variable in the development environment (`.env`, `flask run --debug`)",
        (Stack::EnvVar, Lang::TypeScript) => "remove the assignment and set `NODE_ENV` where the process starts (`NODE_ENV=production node server.js`)",
        (Stack::EnvVar, Lang::Rust) => "remove the call and set the variable where the process starts",
        (Stack::Rocket, _) => "`rocket::Config::figment()` (it selects the profile from `ROCKET_PROFILE`, `release` in release builds)",
        (Stack::Templates, _) => "`env.set_debug(cfg!(debug_assertions))`",
        (Stack::Builder, _) => "`.debug(cfg!(debug_assertions))`",
        (Stack::LiveReload, _) => "`#[cfg(debug_assertions)] let app = app.layer(tower_livereload::LiveReloadLayer::new());`",
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    const RULE: &str = "debug-mode-enabled";

    #[test]
    fn a_constant_set_to_true_turns_the_flag_on() {
        let src = "from flask import Flask\napp = Flask(__name__)\nDEV_MODE = True\n\n@app.get('/')\ndef index():\n    return 'ok'\n\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', debug=DEV_MODE)\n";
        assert_eq!(lines(RULE, "app/main.py", src), vec![10]);
        // a constant that the file sets again from the environment is not a literal switch
        let src = src.replace(
            "DEV_MODE = True\n",
            "DEV_MODE = True\nDEV_MODE = os.environ.get('DEV') == '1'\n",
        );
        assert!(lines(RULE, "app/main.py", &src).is_empty());
    }

    #[test]
    fn spans_the_option_not_the_whole_call() {
        let src = "import next from 'next';\nconst app = next({\n  dir: '.',\n  dev: true,\n});\n";
        assert_eq!(lines(RULE, "src/server.ts", src), vec![4]);
    }
}
