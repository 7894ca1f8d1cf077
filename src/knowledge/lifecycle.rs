//! When code runs: once at start-up (`main`, app factories, FastAPI `lifespan`/`startup` events,
//! aiohttp `on_startup`, NestJS `onModuleInit` and module `useFactory` providers, Rust
//! `#[tokio::main]`/`#[launch]`), once per test, or once per script run (migrations, seeds,
//! `if __name__ == "__main__"` scripts). Rules about per-request costs (`blocking-call-in-async`,
//! `connection-per-request`) stay quiet in these places.

use crate::ast::{Ast, Kind, Lang, NodeId};

/// Function names that run once while a service starts (matched exactly).
pub const STARTUP_NAMES: &[&str] = &[
    "main",
    "bootstrap",
    "start_server",
    "startServer",
    "run_server",
    "runServer",
    "create_app",
    "createApp",
    "build_app",
    "buildApp",
    "make_app",
    "makeApp",
    "app_factory",
    "create_server",
    "createServer",
    "build_server",
    "buildServer",
    "build_router",
    "buildRouter",
    "create_router",
    "lifespan",
    "startup",
    "on_startup",
    "onStartup",
    "shutdown",
    "on_shutdown",
    "onShutdown",
    "getStaticProps",
    "getStaticPaths",
    "generateStaticParams",
    "generateMetadata",
    "onModuleInit",
    "onApplicationBootstrap",
    "onModuleDestroy",
    "beforeApplicationShutdown",
    "rocket",
    "launch",
];

/// Name prefixes of start-up helpers (`init_db`, `setupDatabase`, `configure_logging`).
pub const STARTUP_PREFIXES: &[&str] = &[
    "init",
    "launch",
    "setup",
    "set_up",
    "bootstrap",
    "configure",
    "startup",
    "on_startup",
    "register_",
    "install_",
    "create_tables",
    "createTables",
    "create_schema",
    "createSchema",
    "ensure_schema",
    "migrate",
    "run_migrations",
    "runMigrations",
    "seed",
    "wait_for_db",
    "waitForDb",
    "wait_for_database",
];

/// The start-up prefixes whose words never name a step of a request: set-up that runs once per
/// install or deployment (`migrate_*`, `seed_*`, `install_*`, `bootstrap*`). `init`, `setup`,
/// `configure` and `register_` also name per-request steps (`configure_groups(user)` at each
/// login), so they are left out.
const ONE_OFF_PREFIXES: &[&str] = &[
    "bootstrap",
    "startup",
    "on_startup",
    "install_",
    "create_tables",
    "createTables",
    "create_schema",
    "createSchema",
    "ensure_schema",
    "migrate",
    "run_migrations",
    "runMigrations",
    "seed",
];

/// Python decorators (last segment) that run a function at start-up or shutdown.
const PY_STARTUP_DECORATORS: &[&str] = &[
    "before_first_request",
    "before_serving",
    "after_serving",
    "on_startup",
    "on_shutdown",
];

/// Rust attributes that make a function the entry point or a start-up hook.
const RS_STARTUP_ATTRS: &[&str] = &["main", "launch"];

/// Test markers: decorators/attributes of test functions.
const TEST_MARKERS: &[&str] = &["test", "fixture", "asyncio", "pytest.fixture", "rstest"];

fn has_prefix_word(name: &str, prefix: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else {
        return false;
    };
    rest.is_empty()
        || prefix.ends_with('_')
        || rest.starts_with('_')
        || rest.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Whether a function name reads as a start-up step.
pub fn is_startup_name(name: &str) -> bool {
    STARTUP_NAMES.contains(&name) || STARTUP_PREFIXES.iter().any(|p| has_prefix_word(name, p))
}

/// Whether a function name reads as a step that runs once per start, install or deployment and
/// never per request (`main`, `lifespan`, `migrate_settings`, `seed_roles`, `install_app`).
pub fn is_one_off_name(name: &str) -> bool {
    STARTUP_NAMES.contains(&name) || ONE_OFF_PREFIXES.iter().any(|p| has_prefix_word(name, p))
}

/// Whether a function runs once at start-up: by name, decorator/attribute, or by where it is
/// passed (`useFactory:` providers, `app.listen(port, cb)`, `on_startup=[..]`,
/// `app.on_startup.append(f)`, `lifespan=f`, a top-level IIFE).
pub fn is_startup_function(ast: &Ast, func: NodeId) -> bool {
    startup_function_by(ast, func, is_startup_name)
}

/// [`is_startup_function`] with names read by `by_name`.
fn startup_function_by(ast: &Ast, func: NodeId, by_name: fn(&str) -> bool) -> bool {
    let Some(f) = ast.function(func) else {
        return false;
    };
    if f.name.as_deref().is_some_and(by_name) {
        return true;
    }
    let named = f
        .name
        .clone()
        .or_else(|| crate::knowledge::http::assigned_name(ast, func));
    if named.as_deref().is_some_and(by_name) && f.name.is_none() {
        return true;
    }
    for d in &f.decorators {
        let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
        match ast.lang {
            Lang::Python => {
                if PY_STARTUP_DECORATORS.contains(&last) {
                    return true;
                }
                // `@app.on_event("startup")`, `@app.listener("before_server_start")` (Sanic)
                if matches!(last, "on_event" | "listener" | "add_event_handler") {
                    return true;
                }
            }
            Lang::Rust => {
                if RS_STARTUP_ATTRS.contains(&last) {
                    return true;
                }
            }
            Lang::TypeScript => {}
        }
    }
    // How the function is passed.
    if let Some(p) = ast.parent(func) {
        match ast.kind(p) {
            Kind::Object { entries, .. }
                if entries.iter().any(|e| {
                    e.value == func
                        && matches!(
                            e.key.as_deref(),
                            Some("useFactory" | "lifespan" | "onReady" | "onListen")
                        )
                }) =>
            {
                return true;
            }
            Kind::Call(c) => {
                let name = ast.callee_name(c).unwrap_or("");
                let path = ast.path_of(c.callee).unwrap_or_default();
                // `app.listen(3000, () => ..)`, `server.on("listening", ..)`,
                // `app.on_startup.append(init)`, `app.add_event_handler("startup", f)`
                if matches!(name, "listen" | "add_event_handler" | "addHook")
                    && c.args.last().is_some_and(|a| a.value == func)
                    || path.ends_with("on_startup.append")
                    || path.ends_with("cleanup_ctx.append")
                    || path.ends_with("on_shutdown.append")
                {
                    return true;
                }
                if c.args.iter().any(|a| {
                    a.value == func && matches!(a.name.as_deref(), Some("lifespan" | "on_startup"))
                }) {
                    return true;
                }
                // `(async () => { ... })()`: a top-level IIFE runs once.
                if c.callee == func && ast.ancestors(p).all(|a| ast.function(a).is_none()) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The start-up function a node runs in, if any: looked for from the node outwards up to the
/// nearest named function or the first function `stop` accepts (a request handler, an async
/// callback), so a route defined inside `create_app()` is not start-up code.
pub fn startup_context(ast: &Ast, id: NodeId, stop: impl Fn(NodeId) -> bool) -> Option<NodeId> {
    context_by(ast, id, stop, is_startup_name)
}

/// [`startup_context`] that trusts only names of one-off steps ([`is_one_off_name`]): for
/// rules where a per-request `configure_*`/`init_*` step must still count.
pub fn one_off_context(ast: &Ast, id: NodeId, stop: impl Fn(NodeId) -> bool) -> Option<NodeId> {
    context_by(ast, id, stop, is_one_off_name)
}

fn context_by(
    ast: &Ast,
    id: NodeId,
    stop: impl Fn(NodeId) -> bool,
    by_name: fn(&str) -> bool,
) -> Option<NodeId> {
    for a in ast.ancestors(id) {
        let Some(f) = ast.function(a) else { continue };
        if startup_function_by(ast, a, by_name) {
            return Some(a);
        }
        if stop(a) || f.name.is_some() || crate::knowledge::http::assigned_name(ast, a).is_some() {
            return None;
        }
    }
    None
}

/// Names passed to start-up registrations in this file (`app.on_startup.append(init_db)`,
/// `FastAPI(lifespan=lifespan)`, `Starlette(on_startup=[connect])`,
/// `app.add_event_handler("startup", connect)`).
pub fn registered_startup_names(ast: &Ast) -> Vec<String> {
    let mut out = Vec::new();
    for n in &ast.nodes {
        let Kind::Call(c) = &n.kind else { continue };
        let path = ast.path_of(c.callee).unwrap_or_default();
        let name = ast.callee_name(c).unwrap_or("");
        let mut take = |v: NodeId| {
            let v = ast.unwrap_expr(v);
            let items: Vec<NodeId> = match ast.kind(v) {
                Kind::Array(items) => items.clone(),
                _ => vec![v],
            };
            for i in items {
                if let Some(p) = ast.path_of(i) {
                    out.push(p.rsplit(['.', ':']).next().unwrap_or(&p).to_string());
                }
            }
        };
        if path.ends_with("on_startup.append")
            || path.ends_with("cleanup_ctx.append")
            || name == "add_event_handler"
        {
            if let Some(a) = c.args.last() {
                take(a.value);
            }
        }
        for a in &c.args {
            if matches!(a.name.as_deref(), Some("lifespan" | "on_startup")) {
                take(a.value);
            }
        }
    }
    out
}

/// Test code inside an otherwise ordinary file: Rust `#[test]`/`#[tokio::test]` functions and
/// `#[cfg(test)]` modules, pytest fixtures and `pytest.mark.asyncio` tests, `test_*` functions.
pub fn in_test_code(ast: &Ast, id: NodeId) -> bool {
    ast.ancestors(id).any(|a| match ast.kind(a) {
        Kind::Class(c) => c
            .decorators
            .iter()
            .any(|d| d.name == "cfg" && d.args.contains("test")),
        Kind::Function(f) => {
            f.decorators.iter().any(|d| {
                let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
                TEST_MARKERS.contains(&last) || d.name == "cfg" && d.args.contains("test")
            }) || ast.lang == Lang::Python
                && f.name.as_deref().is_some_and(|n| n.starts_with("test_"))
        }
        _ => false,
    })
}

/// Calls that run the closure they are given once per process (`OnceLock::get_or_init`,
/// `Lazy::new`, `Once::call_once`).
const ONCE_CALLS: &[&str] = &[
    "get_or_init",
    "get_or_try_init",
    "call_once",
    "call_once_force",
    "Lazy::new",
    "LazyLock::new",
    "LazyCell::new",
    "once_cell::sync::Lazy::new",
];

/// Python decorators that cache a function's result (with no parameters: it runs once).
const CACHE_DECORATORS: &[&str] = &[
    "lru_cache",
    "cache",
    "functools.lru_cache",
    "functools.cache",
];

/// Whether `id` runs at most once per process because of how the code around it is guarded:
/// inside a memoisation guard (`if (!initialized) { ..; initialized = true }`, `if _client is
/// None: _client = ..`), in the initialiser of a memoised getter (`if (signer) return signer;
/// signer = create()`), in a closure given to `get_or_init`/`Lazy::new`, or in a cached
/// function without parameters.
/// `globals`: names the file declares `global`/`nonlocal` (Python).
pub fn runs_once(ast: &Ast, globals: &[String], id: NodeId) -> bool {
    let mut child = id;
    for a in ast.ancestors(id) {
        match ast.kind(a) {
            Kind::If { cond, then, .. } if then.contains(&child) || in_any(ast, then, id) => {
                let f = ast.enclosing_function(a);
                let guarded: Vec<String> = names_in(ast, *cond)
                    .into_iter()
                    .filter(|n| f.is_none_or(|f| !is_local(ast, globals, f, n)))
                    .collect();
                if !guarded.is_empty() && then.iter().any(|&s| assigns_any(ast, s, &guarded)) {
                    return true;
                }
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *v == child || ast.subtree(*v).contains(&id) => {
                if let Some(t) = ast.path_of(*target) {
                    if let Some(f) = ast.enclosing_function(a) {
                        if returns_early_when_set(ast, globals, f, &t) {
                            return true;
                        }
                    }
                }
            }
            Kind::Call(c) if c.callee != child => {
                let path = ast.path_of(c.callee).unwrap_or_default();
                let name = ast.callee_name(c).unwrap_or("");
                if ONCE_CALLS.contains(&name) || ONCE_CALLS.iter().any(|o| path.ends_with(o)) {
                    return true;
                }
            }
            Kind::Function(f) => {
                let cached = f
                    .decorators
                    .iter()
                    .any(|d| CACHE_DECORATORS.contains(&d.name.as_str()));
                if cached && f.params.iter().all(|p| p.name == "self" || p.name == "cls") {
                    return true;
                }
                if f.name.is_some() {
                    return false;
                }
            }
            _ => {}
        }
        child = a;
    }
    false
}

/// Names of functions whose result a memoised getter keeps (`signer = await createSigner()`
/// after `if (signer) return signer;`): they run once per process.
pub fn memoised_initialisers(ast: &Ast, globals: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    // the `if`s that return early, with the names and paths their conditions test: an
    // assignment counts only when an `if` in its function tests its target
    let guards: Vec<(NodeId, Vec<String>)> = ast
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match &n.kind {
            Kind::If { cond, then, .. }
                if then.iter().any(|&s| {
                    ast.subtree(s)
                        .any(|j| matches!(ast.kind(j), Kind::Return(_)))
                }) =>
            {
                Some((i as NodeId, names_in(ast, *cond)))
            }
            _ => None,
        })
        .collect();
    if guards.is_empty() {
        return out;
    }
    for (i, n) in ast.nodes.iter().enumerate() {
        let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = &n.kind
        else {
            continue;
        };
        let Some(t) = ast.path_of(*target) else {
            continue;
        };
        let Some(f) = ast.enclosing_function(i as NodeId) else {
            continue;
        };
        let guarded = guards
            .iter()
            .any(|(i, names)| ast.contains(f, *i) && names.contains(&t));
        // a local variable is set afresh on every call
        if !guarded || is_local(ast, globals, f, &t) {
            continue;
        }
        for j in ast.subtree(*v) {
            if let Some(c) = ast.call(j) {
                if let Some(name) = ast.callee_name(c) {
                    if !out.iter().any(|o: &String| o == name) {
                        out.push(name.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Whether `name` is local to function `f`: a parameter, a declaration in it, or (Python) a
/// plain name assigned in it without a `global`/`nonlocal` statement. Member paths
/// (`self.cache`, `this.client`) outlive the call.
fn is_local(ast: &Ast, globals: &[String], f: NodeId, name: &str) -> bool {
    if name.contains('.') || name.contains("::") {
        return false;
    }
    let Some(func) = ast.function(f) else {
        return false;
    };
    if func.params.iter().any(|p| p.name == name) {
        return true;
    }
    ast.assignments_to_path_in(name, f).iter().any(|&i| {
        matches!(ast.kind(i), Kind::Assign { declared, .. }
            if *declared || ast.lang == Lang::Python && !globals.iter().any(|g| g == name))
    })
}

fn in_any(ast: &Ast, stmts: &[NodeId], id: NodeId) -> bool {
    stmts.iter().any(|&s| ast.subtree(s).contains(&id))
}

/// Names and member paths a condition tests (`!initialized`, `_client is None`, `this.cache`).
fn names_in(ast: &Ast, cond: NodeId) -> Vec<String> {
    ast.subtree(cond)
        .filter(|&i| matches!(ast.kind(i), Kind::Name(_) | Kind::Member { .. }))
        .filter_map(|i| ast.path_of(i))
        .collect()
}

fn assigns_any(ast: &Ast, stmt: NodeId, names: &[String]) -> bool {
    ast.subtree(stmt).any(|i| match ast.kind(i) {
        Kind::Assign {
            target,
            declared: false,
            ..
        } => ast.path_of(*target).is_some_and(|t| names.contains(&t)),
        _ => false,
    })
}

/// Whether function `f` returns early when `target` is already set: `if (x) return x;`,
/// `if x is not None: return x`, `if let Some(x) = CACHE.get() { return .. }`.
fn returns_early_when_set(ast: &Ast, globals: &[String], f: NodeId, target: &str) -> bool {
    // a local variable is set afresh on every call
    if is_local(ast, globals, f, target) {
        return false;
    }
    // once per function and target; the `if`s to look at test the target in their condition
    ast.verdict_on("lifecycle:returns-early", f, target, || {
        let mut ifs = std::collections::BTreeSet::new();
        for &x in ast.paths_in(target, f) {
            for a in ast.ancestors(x) {
                if a < f {
                    break;
                }
                if matches!(ast.kind(a), Kind::If { cond, .. } if ast.contains(*cond, x)) {
                    ifs.insert(a);
                }
            }
        }
        ifs.into_iter().any(|i| match ast.kind(i) {
            Kind::If { cond, then, .. } => {
                names_in(ast, *cond).iter().any(|n| n == target)
                    && then.iter().any(|&s| {
                        ast.subtree(s)
                            .any(|j| matches!(ast.kind(j), Kind::Return(_)))
                    })
            }
            _ => false,
        })
    })
}

/// Names a Python file declares `global` or `nonlocal` (not lowered into the tree).
pub fn python_globals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let rest = t
            .strip_prefix("global ")
            .or_else(|| t.strip_prefix("nonlocal "));
        if let Some(rest) = rest {
            out.extend(
                rest.split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
            );
        }
    }
    out
}

/// A file of a service's start-up code by its folder (`lib/startup/`, `src/bootstrap/`): it
/// runs once while the service boots.
pub fn is_startup_file(path: &std::path::Path) -> bool {
    path.parent().is_some_and(|p| {
        p.components().any(|c| {
            let s = c.as_os_str().to_string_lossy().to_ascii_lowercase();
            matches!(s.as_str(), "startup" | "bootstrap" | "boot")
        })
    })
}

/// Method and function names of schema-migration runners: diesel_migrations'
/// `MigrationHarness`, refinery, sea-orm-migration, TypeORM, Sequelize/umzug, MikroORM,
/// Knex's migrator, Alembic's script directory.
const MIGRATION_CALLS: &[&str] = &[
    "run_pending_migrations",
    "has_pending_migration",
    "run_next_migration",
    "revert_last_migration",
    "revert_all_migrations",
    "pending_migrations",
    "applied_migrations",
    "embed_migrations",
    "runMigrations",
    "undoLastMigration",
    "showMigrations",
    "getPendingMigrations",
    // Alembic's script directory: a runner walking the revisions it applies
    "iterate_revisions",
    "walk_revisions",
];

/// Call paths (last segments) of migration runners whose method names are too common to go
/// by alone: `sqlx::migrate!(..).run(..)`, refinery `migrations::runner().run(..)`,
/// sea-orm `Migrator::up(..)`, Alembic `command.upgrade(cfg, "head")`, Flask-Migrate
/// `upgrade()`, Django `call_command("migrate")`, Knex `knex.migrate.latest()`, umzug
/// `umzug.up()`.
fn migration_path(ast: &Ast, c: &crate::ast::Call) -> bool {
    let path = ast.path_of(c.callee).unwrap_or_default();
    let name = ast.callee_name(c).unwrap_or("");
    if c.is_macro {
        return matches!(name, "migrate" | "embed_migrations");
    }
    // the last two segments (this runs for every call of a file)
    let mut segs = path.split(['.', ':']).filter(|s| !s.is_empty());
    let (last, before) = (segs.next_back(), segs.next_back());
    let tail2 = |a: &str, b: &str| before == Some(a) && last == Some(b);
    // `sqlx::migrate!("./migrations").run(&pool)`: the receiver is the macro
    let receiver_is_migrator = ast.receiver(c).and_then(|r| ast.call(r)).is_some_and(|r| {
        r.is_macro && ast.callee_name(r) == Some("migrate") || ast.callee_name(r) == Some("runner")
    });
    (name == "run" && receiver_is_migrator)
        || tail2("Migrator", "up")
        || tail2("Migrator", "fresh")
        || tail2("Migrator", "refresh")
        || tail2("command", "upgrade")
        || tail2("command", "downgrade")
        || tail2("migrate", "latest")
        || tail2("migrate", "up")
        || tail2("migrate", "rollback")
        || tail2("umzug", "up")
        || tail2("migrator", "up")
        || tail2("migrator", "migrateToLatest")
        || (name == "call_command"
            && c.args
                .first()
                .is_some_and(|a| matches!(ast.kind(a.value), Kind::Str(s) if s.value == "migrate")))
}

/// Whether `func` is a migration runner: its body (closures included) runs schema migrations.
/// Such a function runs once, at start-up or from a command, whatever its name: the
/// connection it opens for the migrations is not a per-request cost.
pub fn runs_migrations(ast: &Ast, func: NodeId) -> bool {
    let calls = ast.nodes_where("migration-calls", |ast, id| {
        ast.call(id).is_some_and(|c| {
            ast.callee_name(c)
                .is_some_and(|n| MIGRATION_CALLS.contains(&n))
                || migration_path(ast, c)
        })
    });
    ast.subtree_holds(func, &calls)
}
