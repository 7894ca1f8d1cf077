//! `blocking-call-in-async`: synchronous, blocking work inside async code or request handlers.
//!
//! A blocking call ([`crate::knowledge::blocking`]) is reported when the code around it runs on
//! the event loop or an async runtime thread: an `async def`/`async function`/`async fn`, an
//! async block or closure, or (JavaScript) any request handler, since Node runs them all on one
//! thread. Synchronous callbacks called inline (`.map(x => ..)`, iterator closures) belong to
//! the function around them. It stays quiet when the work is moved off the loop (the call sits
//! in a callable handed to `run_in_executor`, `asyncio.to_thread`, `sync_to_async`,
//! `spawn_blocking`, `block_in_place`, `std::thread::spawn`...), inside a nested sync function
//! or closure that the async function never calls itself (it is only passed to an executor),
//! in start-up code (`main`, app factories, lifespan/startup hooks), in worker-thread files,
//! and in tests.

use crate::ast::{Call, Kind, KindTag, Lang, LoopKind, NodeId};
use crate::diagnostic::{Edit, Fix};
use crate::engine::{Condition, Ctx, Rule};
use crate::fix::edits;
use crate::knowledge::{blocking, http, lifecycle};
use crate::source::Span;

pub struct BlockingCallInAsync;

impl Rule for BlockingCallInAsync {
    fn id(&self) -> &'static str {
        "blocking-call-in-async"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        if cx.is_test_file {
            return;
        }
        // The blocking-call lookup is cheap and rejects almost every call; the async context
        // walk can scan a whole enclosing function, so it runs second.
        let Some(b) =
            blocking::blocking_call(cx.ast, &cx.facts.imports, cx.config, &cx.file.text, node)
        else {
            return;
        };
        let Some(func) = async_context(cx, node) else {
            return;
        };
        if quiet_here(cx, node) {
            return;
        }
        let ast = cx.ast;
        let f = ast.function(func).expect("context is a function");
        let handler = cx.facts.is_handler(func)
            || cx.facts.enclosing_handler(ast, node).is_some() && !f.is_async;
        let name = f.name.clone().or_else(|| http::assigned_name(ast, func));
        let (where_, label) = match (ast.lang, &name, f.is_async, handler) {
            (Lang::Python, Some(n), true, _) => (format!("`async def {n}`"), "async function"),
            (Lang::Rust, Some(n), true, _) => (format!("`async fn {n}`"), "async function"),
            (_, Some(n), _, true) => (format!("request handler `{n}`"), "request handler"),
            (_, None, _, true) => (
                http::route_of(ast, func).map_or("this request handler".into(), |r| {
                    format!("the `{r}` handler")
                }),
                "request handler",
            ),
            (_, Some(n), _, false) => (format!("async function `{n}`"), "async function"),
            (Lang::Rust, None, _, false) => ("this async block".into(), "async block"),
            (_, None, _, false) => ("this async callback".into(), "async callback"),
        };
        let (lp, offload) = match ast.lang {
            Lang::Python => (
                "event loop",
                "`await asyncio.to_thread(fn, ...)` (or `loop.run_in_executor`)",
            ),
            Lang::TypeScript => ("event loop", "a worker thread (`worker_threads`, piscina)"),
            Lang::Rust => (
                "async runtime's worker thread",
                "`tokio::task::spawn_blocking(move || ...)`",
            ),
        };
        let meanwhile = match ast.lang {
            Lang::Rust => "other tasks on that thread stall meanwhile",
            _ => "no other request is served meanwhile",
        };
        let message = format!(
            "`{}` {} and blocks the {lp} in {where_}: {meanwhile}",
            b.display, b.does
        );
        let help = format!(
            "use {} instead; if there is no async version, move it off the {lp} with {offload}",
            b.instead
        );
        let head = f.head;
        let mut fd = cx
            .finding(cx.first_line(node), message)
            .help(help)
            .label(head, format!("this {label} runs on the {lp}"))
            .fix(async_fix(cx, node, func));
        let wrappers = wrapping_calls(cx, node, func);
        if !wrappers.is_empty() {
            fd = fd.condition(Condition::UnlessOffloaded(wrappers));
        } else if let Some(n) = &name {
            fd = fd.condition(Condition::UnlessRunsOnce(callers_in_file(cx, n)));
        }
        cx.emit(fd);
    }
}

/// Node's synchronous file functions whose `fs.promises` twin takes the same arguments and
/// gives the same result: (sync, async).
const FS_TWINS: &[(&str, &str)] = &[
    ("readFileSync", "readFile"),
    ("writeFileSync", "writeFile"),
    ("appendFileSync", "appendFile"),
    ("readdirSync", "readdir"),
    ("mkdirSync", "mkdir"),
    ("unlinkSync", "unlink"),
    ("rmSync", "rm"),
    ("renameSync", "rename"),
    ("copyFileSync", "copyFile"),
    ("accessSync", "access"),
];

/// bcrypt's (and bcryptjs') synchronous functions and their promise twins (given the same
/// two arguments).
const BCRYPT_TWINS: &[(&str, &str)] = &[("hashSync", "hash"), ("compareSync", "compare")];

/// The drop-in async replacement of a blocking call, awaited in place, where one is certain:
/// Python `time.sleep(x)` -> `await asyncio.sleep(x)` (importing `asyncio` when the module does
/// not), Node `fs.readFileSync(p)` -> `await fs.promises.readFile(p)` and the other
/// [`FS_TWINS`], `bcrypt.hashSync(pw, 12)` -> `await bcrypt.hash(pw, 12)`. Only directly in the
/// body of the async function itself: not in a nested function, a comprehension, a default
/// value, nor in a request handler that is not `async`. Unsafe: other tasks now run while it
/// waits (the point of the fix, but code that relied on nothing else running then changes).
fn async_fix(cx: &Ctx, call: NodeId, func: NodeId) -> Option<Fix> {
    let ast = cx.ast;
    let f = ast.function(func)?;
    let in_body =
        ast.contains_any(&f.body, call) || f.expr_body.is_some_and(|e| ast.contains(e, call));
    if !f.is_async || !in_body || ast.enclosing_function(call) != Some(func) {
        return None;
    }
    let comprehension = ast
        .ancestors(call)
        .take_while(|&a| a != func)
        .any(|a| matches!(ast.kind(a), Kind::Loop(l) if l.kind == LoopKind::Comprehension));
    let awaited = ast
        .parent(call)
        .is_some_and(|p| matches!(ast.kind(p), Kind::Await(_)));
    let c = ast.call(call)?;
    if comprehension || awaited || c.args.iter().any(|a| a.spread || a.name.is_some()) {
        return None;
    }
    match ast.lang {
        Lang::Python => python_sleep(cx, call, c),
        Lang::TypeScript => node_twin(cx, call, c),
        // `tokio::time::sleep` needs tokio (and its `time` feature): not certain
        Lang::Rust => None,
    }
}

fn python_sleep(cx: &Ctx, call: NodeId, c: &Call) -> Option<Fix> {
    let ast = cx.ast;
    if c.args.len() != 1 || cx.facts.imports.qualify(ast, c.callee).as_deref() != Some("time.sleep")
    {
        return None;
    }
    let (asyncio, import) = edits::python_module(ast, &cx.file.text, "asyncio")?;
    let mut all = edits::await_before(ast, call);
    all.push(Edit::replace(
        ast.span(c.callee),
        format!("{asyncio}.sleep"),
    ));
    let title = match import {
        Some(_) => format!("Replace with `await {asyncio}.sleep(...)` and import `asyncio`"),
        None => format!("Replace with `await {asyncio}.sleep(...)`"),
    };
    all.extend(import);
    Some(Fix::unsafe_(title, all))
}

fn node_twin(cx: &Ctx, call: NodeId, c: &Call) -> Option<Fix> {
    let ast = cx.ast;
    let Kind::Member { object, property } = ast.kind(c.callee) else {
        return None;
    };
    let Kind::Name(module) = ast.kind(*object) else {
        return None;
    };
    let (twins, prefix, arity) = match cx.facts.imports.get(module)? {
        "fs" | "node:fs" => (FS_TWINS, "promises.", None),
        "bcrypt" | "bcryptjs" => (BCRYPT_TWINS, "", Some(2)),
        _ => return None,
    };
    let (_, twin) = twins.iter().find(|(sync, _)| sync == property)?;
    // `fs.readFileSync(0)`: a file descriptor, which `fs.promises` does not take
    let fd = c
        .args
        .first()
        .is_some_and(|a| matches!(ast.kind(a.value), Kind::Number(_)));
    if fd || arity.is_some_and(|n| c.args.len() != n) {
        return None;
    }
    let m = ast.span(c.callee);
    let at = (m.end as usize).checked_sub(property.len())?;
    if cx.file.text.get(at..m.end as usize) != Some(property.as_str()) {
        return None;
    }
    let new = format!("{prefix}{twin}");
    let mut all = edits::await_before(ast, call);
    all.push(Edit::replace(Span::new(at, m.end as usize), new.clone()));
    Some(Fix::unsafe_(
        format!("Replace with `await {module}.{new}(...)`"),
        all,
    ))
}

/// `name` and the functions of this file that call it (one level): if a memoised getter of the
/// project fills its cache with one of them, the code runs once per process.
fn callers_in_file(cx: &Ctx, name: &str) -> Vec<String> {
    let ast = cx.ast;
    let mut out = vec![name.to_string()];
    for &i in ast.calls_named(name) {
        let Some(c) = ast.call(i) else { continue };
        // `name(..)`, `self.name(..)`, `this.name(..)`: calls of this function, not of a
        // method of the same name on another object (`requests.get`)
        let calls_it = match ast.kind(c.callee) {
            Kind::Name(n) => n == name,
            Kind::Member { object, property } => {
                property == name
                    && matches!(ast.kind(*object), Kind::Name(o) if matches!(o.as_str(), "self" | "this" | "cls"))
            }
            _ => false,
        };
        if !calls_it {
            continue;
        }
        let caller = ast.ancestors(i).find_map(|a| {
            ast.function(a)
                .and_then(|f| f.name.clone())
                .or_else(|| ast.function(a).and_then(|_| http::assigned_name(ast, a)))
        });
        if let Some(c) = caller {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Calls between `call` and its async function that were handed the code holding `call` (a
/// closure argument, or a macro's arguments): `conn.run(|c| ..)` -> `run`, `db_run! {..}` ->
/// `db_run!`. If the project's function of that name offloads, the call does not block.
fn wrapping_calls(cx: &Ctx, call: NodeId, func: NodeId) -> Vec<String> {
    let ast = cx.ast;
    let mut out = Vec::new();
    let mut child = call;
    for a in ast.ancestors(call) {
        if a == func {
            break;
        }
        if let Some(c) = ast.call(a) {
            let closure = ast.function(child).is_some();
            if c.callee != child && (closure || c.is_macro) {
                if let Some(name) = ast.callee_name(c) {
                    out.push(if c.is_macro {
                        format!("{name}!")
                    } else {
                        name.to_string()
                    });
                }
            }
        }
        child = a;
    }
    out
}

/// The async function or handler whose thread `call` blocks, if it runs on the event loop.
fn async_context(cx: &Ctx, call: NodeId) -> Option<NodeId> {
    let ast = cx.ast;
    let mut child = call;
    for a in ast.ancestors(call) {
        match ast.kind(a) {
            Kind::Call(c)
                if c.callee != child && blocking::is_offload_call(ast, &cx.facts.imports, a) =>
            {
                return None;
            }
            Kind::Function(f) => {
                if f.is_async {
                    return Some(a);
                }
                if ast.lang == Lang::TypeScript && cx.facts.is_handler(a) {
                    return Some(a);
                }
                let name = f.name.clone().or_else(|| bound_name(cx, a));
                if let Some(name) = name {
                    // A nested sync function blocks its caller only when the caller calls it;
                    // passed to an executor, it runs elsewhere. A top-level one is sync code.
                    let outer = ast.enclosing_function(a)?;
                    if !called_directly(cx, outer, a, &name) {
                        return None;
                    }
                }
            }
            _ => {}
        }
        child = a;
    }
    None
}

/// `work = lambda: ..`, `const work = () => ..`, `let work = move || ..`: the local name.
fn bound_name(cx: &Ctx, func: NodeId) -> Option<String> {
    let p = cx.ast.parent(func)?;
    match cx.ast.kind(p) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } if *v == func => match cx.ast.kind(*target) {
            Kind::Name(n) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `outer` calls the nested function `func` (named `name`) itself, outside any
/// executor hand-off.
fn called_directly(cx: &Ctx, outer: NodeId, func: NodeId, name: &str) -> bool {
    let ast = cx.ast;
    ast.subtree(outer).any(|n| {
        let Some(c) = ast.call(n) else {
            return false;
        };
        if ast.contains(func, n) || ast.path_of(c.callee).as_deref() != Some(name) {
            return false;
        }
        !ast.ancestors(n)
            .take_while(|&a| a != outer)
            .any(|a| blocking::is_offload_call(ast, &cx.facts.imports, a))
    })
}

/// Start-up code, tests and worker-thread files.
fn quiet_here(cx: &Ctx, call: NodeId) -> bool {
    let ast = cx.ast;
    let stop = |f: NodeId| cx.facts.is_handler(f) || ast.function(f).is_some_and(|f| f.is_async);
    if lifecycle::in_test_code(ast, call)
        || lifecycle::startup_context(ast, call, stop).is_some()
        || lifecycle::runs_once(ast, &cx.facts.globals, call)
        || lifecycle::is_startup_file(&cx.file.path)
    {
        return true;
    }
    if ast.lang == Lang::TypeScript && blocking::is_worker_file(&cx.file.path, &cx.facts.imports) {
        return true;
    }
    let startup = &cx.facts.startup_names;
    !startup.is_empty()
        && ast.ancestors(call).any(|a| {
            ast.function(a)
                .and_then(|f| f.name.as_deref())
                .is_some_and(|n| startup.iter().any(|s| s == n))
        })
}

#[cfg(test)]
mod tests {
    fn lines(path: &str, src: &str) -> Vec<u32> {
        crate::engine::testing::lines("blocking-call-in-async", path, src)
    }

    #[test]
    fn python_aliases_and_offloading() {
        let src = "\
import asyncio
import requests as r
from time import sleep
from subprocess import run

async def handler(url):
    sleep(1)
    r.get(url, timeout=5)
    run(['ls'])
    await asyncio.sleep(1)
    await asyncio.to_thread(r.get, url)
    await loop.run_in_executor(None, lambda: r.get(url, timeout=5))

    def work():
        sleep(2)
    await loop.run_in_executor(None, work)

    def inline():
        sleep(3)
    inline()

def sync_view():
    sleep(1)
";
        assert_eq!(lines("svc.py", src), vec![7, 8, 9, 19]);
    }

    #[test]
    fn typescript_handlers_and_async_functions() {
        let src = "\
import { readFileSync } from 'node:fs';
import * as fs from 'fs';
const { execSync } = require('child_process');
const config = readFileSync('config.json', 'utf8');
app.get('/a', (req, res) => { res.send(readFileSync('a')); });
export async function load() { return fs.promises.readFile('x'); }
export async function bad() { return execSync('ls'); }
function helper() { return fs.readFileSync('y'); }
async function each(files) { return files.map((f) => fs.readFileSync(f)); }
";
        assert_eq!(lines("server.ts", src), vec![5, 7, 9]);
    }

    #[test]
    fn rust_async_fns_blocks_and_spawn_blocking() {
        let src = "\
use std::thread;
use std::fs::{self, File};
use std::process::Command;
fn main() { let cfg = fs::read_to_string(\"cfg.toml\").unwrap(); }
async fn poll() { thread::sleep(D); }
async fn read() -> String { fs::read_to_string(\"x\").unwrap() }
async fn offloaded() { tokio::task::spawn_blocking(move || fs::read(\"x\")).await; }
async fn open() { let f = File::open(\"x\"); }
async fn git() { let out = Command::new(\"git\").arg(\"log\").output(); }
async fn later() { let mut cmd = Command::new(\"git\"); cmd.status(); }
fn spawn() { tokio::spawn(async move { thread::sleep(D); }); }
async fn ok() { tokio::time::sleep(D).await; tokio::fs::read(\"x\").await; }
";
        assert_eq!(lines("src/jobs.rs", src), vec![5, 6, 8, 9, 10, 11]);
    }

    #[test]
    fn python_database_drivers_and_async_clients() {
        let src = "\
import asyncio
import aiohttp
import aiosqlite
import httpx
from sqlalchemy.orm import Session

async def sync_session(db: Session):
    return db.query(User).filter(User.id == 1).first()

async def sqlite(path):
    async with aiosqlite.connect(path) as db:
        async with db.execute('SELECT 1') as cur:
            return await cur.fetchone()

async def gathered(conn):
    a, b = await asyncio.gather(conn.fetch('SELECT 1'), conn.fetch('SELECT 2'))
    return a, b

async def later(conn):
    task = conn.fetch('SELECT 1')
    return await task

async def aio(url):
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            return await resp.json()

class Api:
    def __init__(self):
        self.client = httpx.AsyncClient(timeout=5)

    async def get(self, url, params):
        opts = params.get('opts')
        return await self.client.get(url, params=opts)
";
        assert_eq!(lines("svc.py", src), vec![8]);
    }

    #[test]
    fn next_build_time_and_server_side_props() {
        let src = "\
import fs from 'fs';
export async function getStaticProps() { return { props: { md: fs.readFileSync('a.md', 'utf8') } }; }
export async function getServerSideProps() { return { props: { md: fs.readFileSync('b.md', 'utf8') } }; }
";
        assert_eq!(lines("pages/index.tsx", src), vec![3]);
    }

    #[test]
    fn rust_block_on_and_os_threads() {
        let src = "\
use std::thread;
fn main() { let rt = tokio::runtime::Runtime::new().unwrap(); rt.block_on(serve()); }
async fn nested(handle: tokio::runtime::Handle) { handle.block_on(work()); }
async fn background() { thread::Builder::new().spawn(move || thread::sleep(D)).unwrap(); }
";
        assert_eq!(lines("src/lib.rs", src), vec![3]);
    }
    fn fixes_to(path: &str, before: &str, after: &str) {
        let options = crate::Options::default();
        let rule = "blocking-call-in-async";
        let (fixed, n, left) = crate::engine::testing::fix_all(rule, path, before, &options);
        assert!(n > 0, "{path}: no fix applied:\n{before}");
        assert_eq!(fixed, after, "{path}");
        assert!(
            left.is_empty(),
            "{path}: still reported on {left:?}:\n{fixed}"
        );
    }

    fn fixes(path: &str, src: &str) -> Vec<(u32, bool)> {
        crate::lint_source(std::path::Path::new(path), src, &crate::Options::default())
            .diagnostics
            .iter()
            .filter(|d| d.rule == "blocking-call-in-async")
            .map(|d| (d.start.line, d.fix.is_some()))
            .collect()
    }

    #[test]
    fn python_sleep_becomes_asyncio_sleep() {
        // `asyncio` imported: used as it is named
        fixes_to(
            "svc.py",
            "import asyncio as aio\nimport time\n\nasync def poll():\n    time.sleep(0.5)\n    x = time.sleep(1)\n",
            "import asyncio as aio\nimport time\n\nasync def poll():\n    await aio.sleep(0.5)\n    x = await aio.sleep(1)\n",
        );
        // not imported: after the docstring, `__future__` and the other leading imports; two
        // fixes share the import
        fixes_to(
            "svc.py",
            "\"\"\"Poller.\"\"\"\nfrom __future__ import annotations\nfrom time import sleep\nimport os\n\nX = 1\nimport json\n\nasync def poll():\n    sleep(1)\n    sleep(2)\n",
            "\"\"\"Poller.\"\"\"\nfrom __future__ import annotations\nfrom time import sleep\nimport os\nimport asyncio\n\nX = 1\nimport json\n\nasync def poll():\n    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n",
        );
        fixes_to(
            "svc.py",
            "\"\"\"Poller.\"\"\"\n\nasync def poll():\n    __import__('time')\n    import time\n    time.sleep(1)\n",
            "\"\"\"Poller.\"\"\"\nimport asyncio\n\nasync def poll():\n    __import__('time')\n    import time\n    await asyncio.sleep(1)\n",
        );
        // where `await` cannot go, or another blocking call: no fix
        let src = "\
import time
import requests

async def a(items):
    [time.sleep(1) for _ in items]
    def inline():
        time.sleep(3)
    inline()
    requests.get('u', timeout=5)
    time.sleep(*items)
";
        assert_eq!(
            fixes("svc.py", src),
            vec![(5, false), (7, false), (9, false), (10, false)]
        );
    }

    #[test]
    fn node_sync_functions_become_their_promise_twins() {
        fixes_to(
            "server.ts",
            "import fs from 'fs';\nimport bcrypt from 'bcryptjs';\nexport async function load(p: string, pw: string) {\n  const a = fs.readFileSync(p, 'utf8');\n  const b = fs.readFileSync(p).toString();\n  return bcrypt.hashSync(pw, 12);\n}\n",
            "import fs from 'fs';\nimport bcrypt from 'bcryptjs';\nexport async function load(p: string, pw: string) {\n  const a = await fs.promises.readFile(p, 'utf8');\n  const b = (await fs.promises.readFile(p)).toString();\n  return await bcrypt.hash(pw, 12);\n}\n",
        );
        let src = "\
import * as fs from 'node:fs';
import { readFileSync } from 'fs';
import bcrypt from 'bcrypt';
app.get('/a', (req, res) => { res.send(fs.readFileSync('a')); });
export async function b(p: string) {
  readFileSync(p);
  fs.existsSync(p);
  fs.readFileSync(0);
  bcrypt.hashSync(p);
  return fs.writeFileSync(p, 'x');
}
";
        assert_eq!(
            fixes("server.ts", src),
            vec![
                (4, false),
                (6, false),
                (7, false),
                (8, false),
                (9, false),
                (10, true)
            ]
        );
    }
}
