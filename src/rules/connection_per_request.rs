//! `connection-per-request`: a database connection, pool or client created per request or per
//! call instead of once at start-up.
//!
//! A construction ([`crate::knowledge::connections`]) is reported when it runs per request:
//! inside a request handler (or a callback within one); in a function that runs for every
//! request (a FastAPI `Depends(..)` dependency, a Flask `before_request` hook, a helper a handler
//! of the same file calls, a value stored on request-scoped state such as Flask's `g`); or in a
//! function that opens the connection for its own use and closes or drops it again (the
//! connection never outlives the call). Start-up code, module-level and static initialisers,
//! cached singletons (a module/global variable or `self`/`this` field assigned once,
//! `@lru_cache`, `OnceCell`/`Lazy`), factories that return the new client to their caller, and
//! one-shot scripts stay quiet. Pool checkouts are never constructions.

use crate::ast::{BinOp, Kind, KindTag, Lang, NodeId};
use crate::engine::{Ctx, Rule};
use crate::knowledge::connections::{self, Constructor};
use crate::knowledge::{http, lifecycle};
use crate::source::Span;

pub struct ConnectionPerRequest;

impl Rule for ConnectionPerRequest {
    fn id(&self) -> &'static str {
        "connection-per-request"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        if cx.is_test_file {
            return;
        }
        let ast = cx.ast;
        let Some(ctor) = connections::constructor(ast, &cx.facts.imports, node) else {
            return;
        };
        if ast.enclosing_function(node).is_none()
            || lifecycle::in_test_code(ast, node)
            || lifecycle::startup_context(ast, node, |f| cx.facts.is_handler(f)).is_some()
            || cached_context(cx, node)
            || registered_at_startup(cx, node)
            || named_function(cx, node).is_some_and(|f| lifecycle::runs_migrations(ast, f))
        {
            return;
        }
        let constructor_fn = named_function(cx, node).filter(|&f| {
            ast.function(f)
                .and_then(|f| f.name.as_deref())
                .is_some_and(|n| matches!(n, "__init__" | "constructor" | "__new__"))
        });
        if let Some(func) = constructor_fn {
            // An instance usually lives as long as the app (a service, a repository); it is
            // per request only when a handler of this file builds one.
            if let Some((class, site, handler)) = instantiated_in_handler(cx, func) {
                let h = fn_name(cx, handler).unwrap_or_else(|| "a route handler".into());
                let fd = report(
                    cx,
                    node,
                    &ctor,
                    format!("for every `{class}`, and handler `{h}` creates one per request"),
                )
                .label(
                    cx.first_line(site),
                    format!("a new `{class}` for every request"),
                );
                cx.emit(fd);
            }
            return;
        }
        let dest = destination(cx, node);
        if dest == Dest::Shared {
            return;
        }
        if let Some(h) = cx.facts.enclosing_handler(ast, node) {
            let name = match fn_name(cx, h) {
                Some(n) => format!("handler `{n}`"),
                None => http::route_of(ast, h).map_or("this route handler".into(), |r| {
                    format!("the `{r}` handler")
                }),
            };
            let f = report(cx, node, &ctor, format!("on every request in {name}"))
                .label(head(cx, h), "this handler runs for every request");
            cx.emit(f);
            return;
        }
        let Some(func) = named_function(cx, node) else {
            return;
        };
        let f = ast.function(func).expect("function");
        let name = fn_name(cx, func).unwrap_or_default();
        if let Some(why) = per_request_hook(cx, func, &name) {
            let fd = report(
                cx,
                node,
                &ctor,
                format!("on every request: `{name}` runs per request ({why})"),
            )
            .label(f.head, "runs for every request");
            cx.emit(fd);
            return;
        }
        if let Some((site, handler)) = called_from_handler(cx, func, &name) {
            let h = fn_name(cx, handler).unwrap_or_else(|| "a route handler".into());
            let fd = report(
                cx,
                node,
                &ctor,
                format!("on every call of `{name}`, which handler `{h}` calls per request"),
            )
            .label(
                cx.first_line(site),
                format!("`{name}` is called per request here"),
            );
            cx.emit(fd);
            return;
        }
        if let Dest::RequestScoped(target) = &dest {
            let fd = report(
                cx,
                node,
                &ctor,
                format!("for every request: it is kept on the request-scoped `{target}`"),
            );
            cx.emit(fd);
            return;
        }
        let closes = match &dest {
            Dest::With => Some(true),
            Dest::Local(var) => {
                let closes = disposed(cx, func, var);
                (!escapes(cx, func, var)
                    && !long_lived(cx, func, node, var)
                    && (closes || used(cx, func, var)))
                .then_some(closes)
            }
            _ => None,
        };
        if let Some(closes) = closes {
            let end = if closes {
                "and closes it before returning"
            } else {
                "and drops it when the call returns"
            };
            let fd = report(cx, node, &ctor, format!("on every call of `{name}` {end}"))
                .label(f.head, "runs per call");
            cx.emit(fd);
        }
    }
}

fn report<'a>(
    cx: &Ctx<'a>,
    node: NodeId,
    ctor: &Constructor,
    when: String,
) -> crate::engine::Finding {
    cx.finding(
        cx.first_line(node),
        format!("`{}` creates a new {} {when}", ctor.display, ctor.what),
    )
    .help(ctor.fix)
}

fn head(cx: &Ctx, func: NodeId) -> Span {
    cx.ast.function(func).map_or(cx.span(func), |f| f.head)
}

fn fn_name(cx: &Ctx, func: NodeId) -> Option<String> {
    let f = cx.ast.function(func)?;
    f.name.clone().or_else(|| http::assigned_name(cx.ast, func))
}

/// The innermost named function (lambdas, arrows and closures skipped).
fn named_function(cx: &Ctx, id: NodeId) -> Option<NodeId> {
    cx.ast.ancestors(id).find(|&a| {
        cx.ast
            .function(a)
            .is_some_and(|f| f.name.is_some() || http::assigned_name(cx.ast, a).is_some())
    })
}

/// Inside a memoised function or a once-initialiser: `@lru_cache`/`@cache`, a closure passed
/// to `get_or_init`/`Lazy::new`/`once(..)`/`memoize(..)`.
fn cached_context(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    ast.ancestors(node).any(|a| {
        let Some(f) = ast.function(a) else {
            return false;
        };
        let memo = f.decorators.iter().any(|d| {
            let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
            matches!(
                last,
                "lru_cache" | "cache" | "cached" | "cached_property" | "memoize" | "once"
            )
        });
        memo || ast.parent(a).and_then(|p| ast.call(p)).is_some_and(|c| {
            let name = ast.callee_name(c).unwrap_or("");
            let path = ast.path_of(c.callee).unwrap_or_default();
            matches!(
                name,
                "get_or_init"
                    | "get_or_try_init"
                    | "call_once"
                    | "once"
                    | "memoize"
                    | "memoizee"
                    | "cache"
                    | "lazy"
            ) || path.ends_with("Lazy::new")
                || path.ends_with("LazyLock::new")
                || path.ends_with("LazyCell::new")
        })
    })
}

/// Inside a function registered as a start-up hook in this file (`app.on_startup.append(f)`,
/// `FastAPI(lifespan=f)`).
fn registered_at_startup(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let names = &cx.facts.startup_names;
    !names.is_empty()
        && ast
            .ancestors(node)
            .any(|a| fn_name(cx, a).is_some_and(|n| names.contains(&n)))
}

#[derive(Debug, PartialEq, Eq)]
enum Dest {
    /// Kept in a module/global variable or an object/instance field: created once, reused.
    Shared,
    /// Kept on per-request state (Flask `g`, `req.db`, Starlette `request.state`).
    RequestScoped(String),
    /// Bound to a local variable.
    Local(String),
    /// A `with`/`async with` context expression: closed at the end of the block.
    With,
    /// Returned, yielded from an arrow/closure body, or put into a struct/object.
    Escapes,
    /// Anything else (an expression statement such as `await mongoose.connect(uri)`).
    Other,
}

/// Where the new connection goes.
fn destination(cx: &Ctx, node: NodeId) -> Dest {
    let ast = cx.ast;
    let mut cur = node;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Await(_)
            | Kind::Question(_)
            | Kind::Other
            | Kind::Member { .. }
            | Kind::Array(_) => {}
            Kind::Call(c) => {
                if c.callee != cur && connections::is_app_state_call(ast, p) {
                    return Dest::Escapes;
                }
            }
            Kind::Binary {
                op: BinOp::Or | BinOp::And,
                lhs,
                rhs,
            } => {
                // `global.prisma || new PrismaClient()`, `cached ?? await connect()`
                let other = if *lhs == cur { *rhs } else { *lhs };
                if ast
                    .path_of(ast.unwrap_expr(other))
                    .is_some_and(|p| shared_path(cx, &p))
                {
                    return Dest::Shared;
                }
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *v == cur => {
                let t = ast.unwrap_expr(*target);
                return match ast.kind(t) {
                    Kind::Name(n) => {
                        if module_level_name(cx, n) {
                            Dest::Shared
                        } else {
                            Dest::Local(n.clone())
                        }
                    }
                    Kind::Member { .. } | Kind::Index { .. } => {
                        let path = ast.path_of(t).unwrap_or_else(|| cx.text(t).to_string());
                        if request_scoped(cx, &path) {
                            Dest::RequestScoped(path)
                        } else {
                            Dest::Shared
                        }
                    }
                    _ => Dest::Other,
                };
            }
            Kind::Object { .. } | Kind::Return(_) => return Dest::Escapes,
            Kind::With { items, .. } => {
                return if items.contains(&cur) {
                    Dest::With
                } else {
                    Dest::Other
                };
            }
            Kind::Function(f) => {
                return if f.expr_body == Some(cur) {
                    Dest::Escapes
                } else if f.body.last() == Some(&cur) && ast.lang == Lang::Rust {
                    // the tail expression of a Rust block is its value
                    Dest::Escapes
                } else {
                    Dest::Other
                };
            }
            _ => return Dest::Other,
        }
        cur = p;
    }
    Dest::Other
}

/// Per-request state: Flask `g`, Starlette `request.state` (but not `request.app.state`, which
/// lives as long as the app), Express `req.db`/`res.locals`, Koa `ctx.state`.
fn request_scoped(cx: &Ctx, path: &str) -> bool {
    let mut segs = path.split(['.', '[']);
    let root = segs.next().unwrap_or("");
    let rest: Vec<&str> = segs.collect();
    let per_request = match cx.ast.lang {
        Lang::Python => {
            root == "request"
                || (root == "g" || root == "flask")
                    && cx.facts.imports.get("g").is_some_and(|q| q == "flask.g")
        }
        Lang::TypeScript => ["req", "request", "res", "ctx", "reply", "context"].contains(&root),
        Lang::Rust => ["req", "request"].contains(&root),
    };
    per_request
        && !rest
            .iter()
            .any(|s| *s == "app" || *s == "application" || *s == "server")
}

/// A path rooted in a global or module-level variable (`global.prisma`, `globalThis.pool`,
/// `cached.conn` where `cached` is module-level, `self.pool`, `this.client`).
fn shared_path(cx: &Ctx, path: &str) -> bool {
    let root = path.split(['.', ':']).next().unwrap_or(path);
    matches!(
        root,
        "global" | "globalThis" | "window" | "self" | "this" | "cls" | "app"
    ) || module_level_name(cx, root)
}

/// A name assigned or declared at module level, or declared `global` in a Python function.
fn module_level_name(cx: &Ctx, name: &str) -> bool {
    let ast = cx.ast;
    ast.module_assigns_path(name)
        || ast.lang == Lang::Python && ast.declared_global(&cx.file.text, name)
}

/// Why `func` runs for every request: a FastAPI `Depends(func)`/`Security(func)` dependency,
/// a Flask `before_request` hook.
fn per_request_hook(cx: &Ctx, func: NodeId, name: &str) -> Option<String> {
    let ast = cx.ast;
    let f = ast.function(func)?;
    for d in &f.decorators {
        let last = d.name.rsplit('.').next().unwrap_or(&d.name);
        if matches!(last, "before_request" | "before_app_request" | "middleware") {
            return Some(format!("`@{}`", d.name));
        }
    }
    ast.dependency_call(name)
        .map(|callee| format!("`{callee}({name})`"))
}

/// A call of `func` from inside a handler of the same file: (call site, handler).
fn called_from_handler(cx: &Ctx, func: NodeId, name: &str) -> Option<(NodeId, NodeId)> {
    let ast = cx.ast;
    // the calls whose callee ends with `name`, or all when `name` is a path
    let all: Vec<NodeId>;
    let calls = if name.contains('.') {
        all = (0..ast.nodes.len() as NodeId).collect();
        &all[..]
    } else {
        ast.calls_named(name)
    };
    calls.iter().find_map(|&n| {
        let c = ast.call(n)?;
        if ast.contains(func, n) {
            return None;
        }
        let path = ast.path_of(c.callee)?;
        let direct = path == name
            || ["self.", "this.", "cls."]
                .iter()
                .any(|p| path.strip_prefix(p) == Some(name));
        if !direct {
            return None;
        }
        let h = cx.facts.enclosing_handler(ast, n)?;
        Some((n, h))
    })
}

/// For a constructor: its class, and a `Class(..)`/`new Class(..)` inside a handler of this
/// file (the call site and the handler).
fn instantiated_in_handler(cx: &Ctx, ctor_fn: NodeId) -> Option<(String, NodeId, NodeId)> {
    let ast = cx.ast;
    let class = ast.ancestors(ctor_fn).find_map(|a| match ast.kind(a) {
        Kind::Class(c) => Some(c.name.clone()),
        _ => None,
    })?;
    let all: Vec<NodeId>;
    let calls = if class.contains('.') {
        all = (0..ast.nodes.len() as NodeId).collect();
        &all[..]
    } else {
        ast.calls_named(&class)
    };
    calls.iter().find_map(|&n| {
        let c = ast.call(n)?;
        let path = ast.path_of(c.callee)?;
        if path.rsplit('.').next() != Some(class.as_str()) {
            return None;
        }
        let h = cx.facts.enclosing_handler(ast, n)?;
        Some((class.clone(), n, h))
    })
}

/// Whether the value of `var` leaves `func`: returned (also wrapped: `Ok(pool)`,
/// `Arc::new(pool)`), stored in a field, a module variable or a struct/object, or handed to the
/// app state.
fn escapes(cx: &Ctx, func: NodeId, var: &str) -> bool {
    // once per function and variable (a function may open many connections into one)
    cx.ast
        .verdict_on("cpr:escapes", func, var, || escapes_uncached(cx, func, var))
}

fn escapes_uncached(cx: &Ctx, func: NodeId, var: &str) -> bool {
    let ast = cx.ast;
    let f = ast.function(func).expect("function");
    if ast.lang == Lang::Rust && f.body.last().is_some_and(|&t| carries(cx, t, var)) {
        return true;
    }
    // every node below that could carry `var` holds it
    ast.holders_of(&[var], func)
        .into_iter()
        .any(|n| match ast.kind(n) {
            Kind::Return(Some(v)) => carries(cx, *v, var),
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } => {
                carries(cx, *v, var)
                    && ast
                        .path_of(ast.unwrap_expr(*target))
                        .is_some_and(|t| t.contains(['.', ':']) || module_level_name(cx, &t))
            }
            Kind::Object { entries, .. } => entries.iter().any(|e| carries(cx, e.value, var)),
            Kind::Call(c) => {
                connections::is_app_state_call(ast, n)
                    && c.args.iter().any(|a| carries(cx, a.value, var))
            }
            _ => false,
        })
}

/// Whether an expression evaluates to `var` (possibly wrapped or cloned).
fn carries(cx: &Ctx, expr: NodeId, var: &str) -> bool {
    let ast = cx.ast;
    let e = ast.unwrap_expr(expr);
    match ast.kind(e) {
        Kind::Name(n) => n == var,
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            let wrapper = matches!(
                name,
                "Ok" | "Some" | "new" | "Extension" | "clone" | "into" | "from" | "drizzle"
            );
            wrapper
                && (c.args.iter().any(|a| carries(cx, a.value, var))
                    || ast.receiver(c).is_some_and(|r| carries(cx, r, var)))
        }
        Kind::Array(items) => items.iter().any(|&i| carries(cx, i, var)),
        Kind::Object { entries, .. } => entries.iter().any(|en| carries(cx, en.value, var)),
        _ => false,
    }
}

/// A connection kept for a long time by its function: a listener (`client.on('notification',
/// ..)`, `LISTEN`, pub/sub) or a worker loop that uses it on every iteration.
fn long_lived(cx: &Ctx, func: NodeId, ctor: NodeId, var: &str) -> bool {
    let ast = cx.ast;
    // what does not depend on `ctor`, once per function and variable
    let keeps = ast.memo_on("cpr:long-lived", func, var, || {
        listeners_and_loops(cx, func, var)
    });
    let (listens, loops) = &*keeps;
    *listens || loops.iter().any(|&l| !ast.contains(l, ctor))
}

/// For [`long_lived`]: whether `func` listens on `var`, and its loops (comprehensions aside)
/// that use `var` or what is derived from it.
fn listeners_and_loops(cx: &Ctx, func: NodeId, var: &str) -> (bool, Vec<NodeId>) {
    let ast = cx.ast;
    // the connection and what is derived from it (`cur = conn.cursor()`)
    let mut names = vec![var.to_string()];
    for n in ast.holders_of(&[var], func) {
        if let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = ast.kind(n)
        {
            let root = ast.chain_root(*v);
            if ast.path_of(root).as_deref() == Some(var) && ast.call(ast.unwrap_expr(*v)).is_some()
            {
                if let Some(t) = ast.path_of(*target) {
                    names.push(t);
                }
            }
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut listens = false;
    let mut loops = Vec::new();
    for n in ast.holders_of(&names, func) {
        match ast.kind(n) {
            Kind::Call(c) => {
                listens |= ast
                    .callee_name(c)
                    .is_some_and(|m| connections::LISTEN_METHODS.contains(&m))
                    && ast
                        .receiver(c)
                        .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                        .is_some_and(|p| p == var);
            }
            // (a loop among the holders holds one of the names)
            Kind::Loop(l) if l.kind != crate::ast::LoopKind::Comprehension => loops.push(n),
            _ => {}
        }
    }
    (listens, loops)
}

/// Whether `func` closes `var` (`conn.close()`, `await client.end()`, `drop(pool)`).
fn disposed(cx: &Ctx, func: NodeId, var: &str) -> bool {
    // once per function and variable (a function may open many connections into one)
    cx.ast.verdict_on("cpr:disposed", func, var, || {
        disposed_uncached(cx, func, var)
    })
}

fn disposed_uncached(cx: &Ctx, func: NodeId, var: &str) -> bool {
    let ast = cx.ast;
    ast.holders_of(&[var], func).into_iter().any(|n| {
        connections::is_dispose_of(ast, n, var)
            || ast.call(n).is_some_and(|c| {
                ast.path_of(c.callee).as_deref() == Some("drop")
                    && ast.positional(c).any(|a| carries(cx, a, var))
            })
    })
}

/// Whether `func` runs queries or commands through `var` (`client.query(..)`,
/// `conn.cursor()`, `fetch_one(&pool)`, `db.collection(..)`).
fn used(cx: &Ctx, func: NodeId, var: &str) -> bool {
    // once per function and variable (a function may open many connections into one)
    cx.ast
        .verdict_on("cpr:used", func, var, || used_uncached(cx, func, var))
}

fn used_uncached(cx: &Ctx, func: NodeId, var: &str) -> bool {
    let ast = cx.ast;
    ast.holders_of(&[var], func).into_iter().any(|n| {
        let Some(c) = ast.call(n) else {
            return false;
        };
        let on_var = ast
            .receiver(c)
            .map(|r| ast.unwrap_expr(r))
            .and_then(|r| ast.path_of(r))
            .is_some_and(|p| p == var);
        let method = ast.callee_name(c).unwrap_or("");
        if on_var
            && !matches!(
                method,
                "connect" | "on" | "once" | "log" | "toString" | "to_string" | "clone" | "ping"
            )
            && !connections::DISPOSE_METHODS.contains(&method)
        {
            return true;
        }
        c.args.iter().any(|a| carries(cx, a.value, var)) && cx.facts.query(n).cloned().is_some()
    })
}

#[cfg(test)]
mod tests {
    fn lines(path: &str, src: &str) -> Vec<u32> {
        crate::engine::testing::lines("connection-per-request", path, src)
    }

    #[test]
    fn python_handlers_helpers_and_singletons() {
        let src = "\
import os
import psycopg2
from functools import lru_cache
from sqlalchemy import create_engine
from fastapi import FastAPI, Depends

app = FastAPI()
engine = create_engine(os.environ['DATABASE_URL'])
_pool = None

@app.get('/orders')
def list_orders():
    conn = psycopg2.connect(os.environ['DATABASE_URL'])
    return []

@lru_cache
def get_engine():
    return create_engine(os.environ['DATABASE_URL'])

def get_pool():
    global _pool
    if _pool is None:
        _pool = create_engine(os.environ['DATABASE_URL'])
    return _pool

def get_conn():
    conn = psycopg2.connect(os.environ['DATABASE_URL'])
    try:
        yield conn
    finally:
        conn.close()

def make_engine(url):
    return create_engine(url)
";
        assert_eq!(lines("app/main.py", src), vec![13, 27]);
    }

    #[test]
    fn typescript_handlers_and_cached_clients() {
        let src = "\
import { Pool, Client } from 'pg';
import { PrismaClient } from '@prisma/client';
const pool = new Pool();
const g = globalThis as unknown as { prisma?: PrismaClient };
export const prisma = g.prisma ?? new PrismaClient();
export function getPrisma() { return (g.prisma ??= new PrismaClient()); }
app.get('/users', async (req, res) => {
  const client = new Client();
  await client.connect();
  res.json((await client.query('select 1')).rows);
});
app.get('/ok', async (req, res) => {
  const client = await pool.connect();
  client.release();
});
export async function countUsers() {
  const c = new Client();
  await c.connect();
  const r = await c.query('select count(*) from users');
  await c.end();
  return r.rows[0];
}
";
        assert_eq!(lines("src/server.ts", src), vec![8, 17]);
    }

    #[test]
    fn rust_handlers_main_and_once_cell() {
        let src = "\
use sqlx::postgres::{PgPool, PgPoolOptions};
use axum::extract::{Path, State};
static POOL: OnceCell<PgPool> = OnceCell::const_new();
#[tokio::main]
async fn main() { let pool = PgPoolOptions::new().max_connections(5).connect(&url).await.unwrap(); }
async fn pool() -> &'static PgPool {
    POOL.get_or_init(|| async { PgPool::connect(&url).await.unwrap() }).await
}
async fn get_user(Path(id): Path<i64>) -> Json<User> {
    let pool = PgPool::connect(&url).await.unwrap();
    Json(sqlx::query_as(\"select 1\").fetch_one(&pool).await.unwrap())
}
async fn ok(State(pool): State<PgPool>) -> Json<User> {
    Json(sqlx::query_as(\"select 1\").fetch_one(&pool).await.unwrap())
}
pub async fn connect(url: &str) -> PgPool { PgPoolOptions::new().connect(url).await.unwrap() }
";
        assert_eq!(lines("src/routes.rs", src), vec![10]);
    }

    #[test]
    fn shared_pools_listeners_and_worker_loops() {
        let src = "\
import asyncpg
import psycopg2
import redis
from fastapi import FastAPI

app = FastAPI()
POOL = redis.ConnectionPool.from_url('redis://cache')

@app.get('/hits')
def hits():
    r = redis.Redis(connection_pool=POOL)
    return r.incr('hits')

def consume(queue):
    conn = psycopg2.connect('')
    cur = conn.cursor()
    while True:
        cur.execute('SELECT 1')

class Database:
    async def connect(self):
        self.pool = await asyncpg.create_pool('')
";
        assert!(lines("app/jobs.py", src).is_empty());
    }

    #[test]
    fn knex_instances_and_listeners() {
        let src = "\
import Knex from 'knex';
import { Client } from 'pg';
const knex = Knex({ client: 'pg', connection: process.env.DATABASE_URL });
app.get('/users', async (req, res) => { res.json(await knex('users').limit(10)); });
export async function listenForOrders() {
  const client = new Client();
  await client.connect();
  client.on('notification', (msg) => console.log(msg.channel));
  await client.query('LISTEN orders');
}
";
        assert!(lines("src/server.ts", src).is_empty());
    }

    #[test]
    fn repositories_built_per_request() {
        let src = "\
import psycopg2
from flask import Flask, jsonify

app = Flask(__name__)

class UserRepository:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)

    def get(self, user_id):
        with self.conn.cursor() as cur:
            cur.execute('SELECT id FROM users WHERE id = %s', (user_id,))
            return cur.fetchone()

class AuditRepository:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)

audit = AuditRepository('')

@app.route('/users/<int:user_id>')
def user(user_id):
    return jsonify(UserRepository('').get(user_id))
";
        assert_eq!(lines("app.py", src), vec![8]);
    }
}
