//! What runs once per item of a collection: loop bodies (`for`, `while`, comprehensions) and
//! per-item callbacks (`.map`, `.forEach`, `Promise.all(xs.map(...))`, Rust iterator and
//! stream closures, Python `map(lambda ...)`).

use crate::ast::{Ast, Kind, Lang, LoopKind, NodeId, UnOp};
use crate::source::Span;

/// Methods whose callback runs once per element.
pub const PER_ITEM_METHODS: &[&str] = &[
    // JavaScript arrays, lodash, RxJS-ish
    "map",
    "forEach",
    "flatMap",
    "filter",
    "reduce",
    "reduceRight",
    "some",
    "every",
    "find",
    "findIndex",
    "each",
    "mapSeries",
    "mapLimit",
    "eachSeries",
    // Rust iterators and futures streams
    "for_each",
    "try_for_each",
    "filter_map",
    "fold",
    "try_fold",
    "any",
    "all",
    "then",
    "and_then",
    "map_ok",
    "for_each_concurrent",
    "try_for_each_concurrent",
    "flat_map",
    "scan",
    "inspect",
];

/// Free functions whose callback runs per element: Python `map(f, xs)`, `filter`,
/// `asyncio.gather(*[...])` is covered by comprehension, Bluebird `Promise.map(xs, fn)`.
const PER_ITEM_FUNCTIONS: &[&str] = &[
    "map",
    "filter",
    "Promise.map",
    "Bluebird.map",
    "async.map",
    "pMap",
];

/// Receivers that are not collections although they have `map`/`then`: promises, options,
/// results and futures.
fn non_collection_method(ast: &Ast, call: NodeId, method: &str) -> bool {
    if method != "then" && method != "and_then" && method != "map" && method != "map_ok" {
        return false;
    }
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(recv) = ast.receiver(c) else {
        return false;
    };
    let recv = ast.unwrap_expr(recv);
    // Rust: `Vec` has no `map`; a variable or field with `map`/`then` is an Option, a Result or
    // a future unless it names an iterator or a stream.
    if ast.lang == Lang::Rust && matches!(ast.kind(recv), Kind::Name(_) | Kind::Member { .. }) {
        let p = ast.path_of(recv).unwrap_or_default().to_ascii_lowercase();
        return !(p.contains("iter") || p.contains("stream"));
    }
    match ast.kind(recv) {
        // `fetch(..).then(...)`, `promise.then(...)`
        Kind::Call(inner) => {
            let name = ast.callee_name(inner).unwrap_or("");
            // Rust: only stream/iterator adaptors make `then`/`map` per-item
            !matches!(
                name,
                "iter"
                    | "into_iter"
                    | "iter_mut"
                    | "chunks"
                    | "windows"
                    | "keys"
                    | "values"
                    | "lines"
                    | "split"
                    | "stream"
                    | "into_stream"
                    | "filter"
                    | "map"
                    | "enumerate"
                    | "zip"
                    | "skip"
                    | "take"
                    | "chain"
                    | "rev"
            ) && !name.ends_with("iter")
        }
        Kind::Name(n) => {
            let n = n.to_ascii_lowercase();
            method == "then"
                || n.ends_with("promise")
                || n.ends_with("future")
                || n == "result"
                || n == "option"
        }
        _ => method == "then",
    }
}

/// Decorators and attributes that memoise a function: called once per item, it queries once
/// per distinct argument at most (`functools.lru_cache`, `cachetools.cached`, `#[cached]`).
const MEMOIZING_DECORATORS: &[&str] = &[
    "lru_cache",
    "cache",
    "cached",
    "memoize",
    "memoized",
    "alru_cache",
    "Memoize",
    "Cacheable",
    "once",
];

/// Whether a function is memoised by one of [`MEMOIZING_DECORATORS`].
pub fn is_memoized(ast: &Ast, func: NodeId) -> bool {
    ast.function(func).is_some_and(|f| {
        f.decorators.iter().any(|d| {
            let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
            MEMOIZING_DECORATORS.contains(&last)
        })
    })
}

/// A per-item context: a loop or a per-item callback.
#[derive(Clone, Debug)]
pub struct PerItem {
    /// The loop node, or the callback's Function node.
    pub node: NodeId,
    /// The loop/callback variables (`order`, `id`).
    pub bindings: Vec<String>,
    /// Where to point a "loop" label: the loop header or the iterating call.
    pub span: Span,
    /// The iterated expression, when known.
    pub iter: Option<NodeId>,
    /// `for`/`while`/comprehension, or `callback` (e.g. "`.map` callback").
    pub what: String,
}

/// The innermost per-item context of `id`, within its enclosing function (a query in a named
/// function defined inside a loop is not per item). Loops over a small literal collection
/// (`for x in ["a", "b"]`) do not count.
pub fn per_item_context(ast: &Ast, id: NodeId) -> Option<PerItem> {
    // only loops and functions decide; the others are passed over
    for a in ast.loop_and_function_ancestors(id) {
        match ast.kind(a) {
            Kind::Loop(l) => {
                // The iterable of a `for`/comprehension runs once, not per item (`id` is in
                // it when the loop's child on the way to `id` is the iterable).
                if l.iter
                    .is_some_and(|it| ast.parent(it) == Some(a) && ast.contains(it, id))
                {
                    continue;
                }
                if l.iter.is_some_and(|it| small_literal(ast, it)) {
                    continue;
                }
                let what = match l.kind {
                    LoopKind::For => "loop",
                    LoopKind::While => "`while` loop",
                    LoopKind::Comprehension => "comprehension",
                };
                let span = header_span(ast, a, l.iter);
                return Some(PerItem {
                    node: a,
                    bindings: l.bindings.clone(),
                    span,
                    iter: l.iter,
                    what: what.into(),
                });
            }
            Kind::Function(f) => {
                if let Some((call, method)) = callback_of(ast, a) {
                    let c = ast.call(call)?;
                    let iter = ast
                        .receiver(c)
                        .or_else(|| ast.positional(c).find(|&x| x != a));
                    if iter.is_some_and(|it| small_literal(ast, it)) {
                        continue;
                    }
                    let bindings = f
                        .params
                        .first()
                        .map(|p| vec![p.name.clone()])
                        .unwrap_or_default();
                    let span = ast.span(c.callee);
                    return Some(PerItem {
                        node: a,
                        bindings,
                        span,
                        iter,
                        what: format!("`.{method}` callback"),
                    });
                }
                if f.name.is_some() || registered_callback(ast, a) {
                    return None;
                }
            }
            _ => {}
        }
    }
    None
}

/// Calls that register a callback to run later (an event, a hook, a request), not now: a
/// function handed to one inside a loop runs once per event, not once per element.
const CALLBACK_REGISTRATIONS: &[&str] = &[
    "on",
    "once",
    "addListener",
    "prependListener",
    "addEventListener",
    "addHook",
    "hook",
    "before",
    "after",
    "subscribe",
    "use",
    "register",
];

/// `resource.create.before((req, res, ctx) => ..)`, `emitter.on("x", (e) => ..)`, Sequelize
/// `Model.afterCreate((row) => ..)`, `router.get("/x", async (req, res) => ..)`: `func` is
/// registered to run later.
pub fn registered_callback(ast: &Ast, func: NodeId) -> bool {
    let Some(parent) = ast.parent(func) else {
        return false;
    };
    let Some(c) = ast.call(parent) else {
        return false;
    };
    if !c.args.iter().any(|a| a.value == func) || ast.receiver(c).is_none() {
        return false;
    }
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    let hook = ["before", "after"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|r| r.chars().next().is_some_and(|ch| ch.is_ascii_uppercase()))
    });
    // a route: `router.post("/orders", handler)`
    let route = matches!(name, "get" | "post" | "put" | "patch" | "delete" | "all")
        && ast
            .positional(c)
            .next()
            .and_then(|a| ast.str_lit(a))
            .is_some_and(|s| s.value.starts_with('/'));
    CALLBACK_REGISTRATIONS.contains(&name) || hook || route
}

/// Methods that add an entry to an archive being built (yazl/adm-zip `addBuffer`, `addFile`,
/// archiver `append`, JSZip `file`, Python `ZipFile.writestr`/`write`, `TarFile.addfile`).
pub const ARCHIVE_ENTRY_METHODS: &[&str] = &[
    "addBuffer",
    "addFile",
    "addReadStream",
    "addLocalFile",
    "append",
    "file",
    "writestr",
    "addfile",
];

/// Variable names an archive is held in (`zip.addBuffer(..)`, `archive.append(..)`).
pub const ARCHIVE_NAMES: &[&str] = &[
    "zip", "zipFile", "zip_file", "zipfile", "zf", "archive", "tar", "tarball",
];

/// If `func` is passed as the per-item callback of a call, that call and the method name.
pub fn callback_of(ast: &Ast, func: NodeId) -> Option<(NodeId, String)> {
    let parent = ast.parent(func)?;
    let c = ast.call(parent)?;
    if !c.args.iter().any(|a| a.value == func) {
        return None;
    }
    let name = ast.callee_name(c)?;
    let is_method = ast.receiver(c).is_some();
    let full = ast.path_of(c.callee).unwrap_or_default();
    if is_method && PER_ITEM_METHODS.contains(&name) && !PER_ITEM_FUNCTIONS.contains(&full.as_str())
    {
        if non_collection_method(ast, parent, name) {
            return None;
        }
        return Some((parent, name.to_string()));
    }
    if PER_ITEM_FUNCTIONS.contains(&full.as_str()) {
        return Some((parent, full));
    }
    None
}

/// A literal list/tuple of at most 10 constants, or `range(n)` with a small constant.
fn small_literal(ast: &Ast, it: NodeId) -> bool {
    let it = ast.unwrap_expr(it);
    match ast.kind(it) {
        Kind::Array(items) => {
            items.len() <= 10
                && items.iter().all(|&i| {
                    matches!(
                        ast.kind(i),
                        Kind::Str(_)
                            | Kind::Number(_)
                            | Kind::Bool(_)
                            | Kind::Name(_)
                            | Kind::Member { .. }
                    )
                })
        }
        Kind::Object { entries, ty: None } => entries.len() <= 10,
        _ => false,
    }
}

fn header_span(ast: &Ast, loop_node: NodeId, iter: Option<NodeId>) -> Span {
    let s = ast.span(loop_node);
    match iter {
        Some(it) => Span {
            start: s.start,
            end: ast.span(it).end.max(s.start),
        },
        None => Span {
            start: s.start,
            end: (s.start + 5).min(s.end),
        },
    }
}

/// Methods that wait for the next message of a channel, queue or socket: a `while` loop calling
/// one is a worker handling one message at a time, not an iteration over a collection.
const MESSAGE_WAITS: &[&str] = &[
    "recv",
    "recv_async",
    "accept",
    "receive",
    "receive_message",
    "receive_messages",
    "poll",
    "consume",
    "listen",
    "blpop",
    "brpop",
    "xread",
    "xreadgroup",
    "get_message",
    "next_message",
    "wait_for_message",
];

/// The loop waits for the next message (`queue.receive_message()`, `rx.recv().await`).
pub fn consumes_messages(ast: &Ast, lp: NodeId) -> bool {
    ast.subtree(lp).any(|n| {
        ast.call(n)
            .and_then(|c| ast.callee_name(c))
            .is_some_and(|m| MESSAGE_WAITS.contains(&m))
    })
}

/// The loop pauses between rounds (`time.sleep`, `setTimeout`, `interval.tick()`, backoff):
/// a polling or retry loop.
pub fn pauses(ast: &Ast, lp: NodeId) -> bool {
    ast.subtree(lp).any(|n| {
        ast.call(n)
            .and_then(|c| ast.callee_name(c))
            .is_some_and(|m| {
                let m = m.to_ascii_lowercase();
                m.contains("sleep")
                    || m == "settimeout"
                    || m == "wait"
                    || m == "backoff"
                    || m == "tick"
            })
    })
}

/// Calls that take the next element out of a collection or an iterator (`queue.pop()`,
/// `ids.shift()`, `next(it)`, `iter.next()`): a loop calling one walks that collection.
pub const ELEMENT_TAKERS: &[&str] = &[
    "pop",
    "popleft",
    "popitem",
    "pop_front",
    "pop_back",
    "shift",
    "splice",
    "next",
    "dequeue",
];

/// The loop takes elements out of a collection, one per round: it calls one of
/// [`ELEMENT_TAKERS`], or indexes a collection with a counter it moves (`ids[i]` with `i += 1`
/// or `i++` in the loop).
pub fn takes_elements(ast: &Ast, lp: NodeId) -> bool {
    ast.subtree(lp).any(|i| match ast.kind(i) {
        Kind::Call(c) => ast
            .callee_name(c)
            .is_some_and(|m| ELEMENT_TAKERS.contains(&m)),
        Kind::Index { index, .. } => ast
            .subtree(*index)
            .any(|x| matches!(ast.kind(x), Kind::Name(n) if counter(ast, lp, n))),
        _ => false,
    })
}

/// `n` is a counter the loop moves: `n += 1`, `n++`, `n = n + 1`.
pub fn counter(ast: &Ast, lp: NodeId, n: &str) -> bool {
    let is_n = |id: NodeId| matches!(ast.kind(ast.unwrap_expr(id)), Kind::Name(t) if t == n);
    ast.subtree(lp).any(|i| match ast.kind(i) {
        Kind::Assign {
            target,
            value,
            augmented,
            ..
        } => {
            is_n(*target)
                && (*augmented
                    || value.is_some_and(|v| {
                        matches!(ast.kind(v), Kind::Binary { lhs, rhs, .. } if is_n(*lhs) || is_n(*rhs))
                    }))
        }
        Kind::Unary {
            op: UnOp::Incr | UnOp::Decr,
            operand,
        } => matches!(ast.kind(*operand), Kind::Name(t) if t == n),
        _ => false,
    })
}
