//! What panics in Rust request code (`unwrap`/`expect`, `panic!`-family macros, indexing) and
//! which of those cannot happen: values built from literals, lock poisoning, serialising the
//! service's own data, values checked just before. Also the calls a handler makes to functions
//! of the project (one level), for the index to tell a helper that some handler reaches it.

use std::collections::HashSet;

use crate::ast::{Ast, Kind, NodeId};
use crate::imports::Imports;
use crate::knowledge::pagination::ReturnedCall;

/// Macros that always panic when they run.
pub const PANIC_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// What a panic site is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// `.unwrap()` / `.expect(..)`: the method name.
    Unwrap(&'static str),
    /// `panic!`, `unreachable!`, `todo!`, `unimplemented!`.
    Macro(&'static str),
}

/// The panic site a call is, if any.
pub fn site(ast: &Ast, id: NodeId) -> Option<Site> {
    let c = ast.call(id)?;
    let name = ast.callee_name(c)?;
    if c.is_macro {
        let path = ast.path_of(c.callee).unwrap_or_default();
        let std_path = !path.contains("::")
            || ["std::", "core::", "::std::", "::core::"]
                .iter()
                .any(|p| path.starts_with(p));
        return PANIC_MACROS
            .iter()
            .find(|m| **m == name && std_path)
            .map(|m| Site::Macro(m));
    }
    let Kind::Member { .. } = ast.kind(c.callee) else {
        return None;
    };
    match (name, c.args.len()) {
        ("unwrap", 0) => Some(Site::Unwrap("unwrap")),
        ("expect", 1) => Some(Site::Unwrap("expect")),
        _ => None,
    }
}

/// Constructors and parsers that give the same answer for the same input: called with literals
/// only, they either always fail (the developer sees it on the first run) or never do.
fn is_pure_constructor(name: &str) -> bool {
    matches!(
        name,
        "new"
            | "parse"
            | "parse_str"
            | "from_str"
            | "from_static"
            | "from"
            | "compile"
            | "from_bytes"
            | "from_u16"
            | "from_secs"
            | "from_millis"
            | "from_utc_timestamp"
            | "from_ymd_opt"
            | "from_hms_opt"
            | "from_timestamp"
            | "from_timestamp_opt"
            | "with_ymd_and_hms"
            | "join"
            | "build"
    ) || name.starts_with("try_")
        || name.starts_with("parse_")
        || name.starts_with("from_")
}

/// A literal, a constant (`MAX_LEN`, `header::CONTENT_TYPE`), or a value built only from them.
pub fn is_constant(ast: &Ast, id: NodeId) -> bool {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Str(s) => s.kind == crate::ast::StrKind::Plain,
        Kind::Number(_) | Kind::Bool(_) | Kind::Null => true,
        Kind::Name(n) => {
            let last = n.rsplit("::").next().unwrap_or(n);
            last.len() > 1
                && last
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && last.chars().any(|c| c.is_ascii_uppercase())
        }
        Kind::Unary { operand, .. } => is_constant(ast, *operand),
        Kind::Array(items) => items.iter().all(|&i| is_constant(ast, i)),
        Kind::Call(c) if c.is_macro => matches!(
            ast.callee_name(c),
            Some("concat" | "stringify" | "env" | "file" | "module_path" | "include_str")
        ),
        // `CONFIG.session_minutes()`: settings a static holds, read and checked at start-up
        Kind::Call(c) => {
            c.args.iter().all(|a| is_constant(ast, a.value))
                && matches!(ast.kind(c.callee), Kind::Member { object, .. } if is_constant(ast, *object))
        }
        _ => false,
    }
}

/// Whether the `unwrap`/`expect` call `call` cannot panic for a reason the code shows: the value
/// is built from literals only (`Regex::new("..")`, `"0.0.0.0".parse()`, `NonZeroU32::new(8)`,
/// `Url::parse("https://..")`), it is a lock (`lock()`/`read()`/`write()`: poisoned only after
/// another panic, the standard library's own advice is to unwrap), it serialises the service's
/// own data (`serde_json::to_string`), it is the first piece of a `split` (always there), it
/// writes into a `String` (`write!`), it re-raises a task's panic (`spawn_blocking(..).await`,
/// `thread.join()`), or it is a response builder whose headers are constants.
pub fn proven_safe(ast: &Ast, imports: &Imports, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(recv) = ast.receiver(c) else {
        return false;
    };
    let recv = ast.unwrap_expr(recv);
    if is_constant(ast, recv) {
        return true;
    }
    let Some(rc) = ast.call(recv) else {
        return false;
    };
    let name = ast.callee_name(rc).unwrap_or("");
    let path = ast.path_of(rc.callee).unwrap_or_default();
    let args_constant = rc.args.iter().all(|a| is_constant(ast, a.value));
    if rc.is_macro {
        return matches!(name, "write" | "writeln");
    }
    // lock poisoning
    if rc.args.is_empty() && matches!(name, "lock" | "read" | "write") {
        return true;
    }
    // the task's own panic, re-raised
    if matches!(name, "join" | "spawn_blocking" | "spawn" | "block_in_place")
        && (rc.args.is_empty() || name != "join")
    {
        return true;
    }
    // serialising the service's own data
    if matches!(
        name,
        "to_string" | "to_string_pretty" | "to_value" | "to_vec" | "to_vec_pretty"
    ) && !rc.args.is_empty()
    {
        let qualified = imports.qualify_path(&path);
        if qualified.contains("serde_json") || qualified.contains("serde_urlencoded") {
            return true;
        }
    }
    // `s.split(':').next()`: a split always yields a first piece
    if matches!(name, "next" | "last") {
        if let Some(inner) = ast.receiver(rc).map(|r| ast.unwrap_expr(r)) {
            if let Some(ic) = ast.call(inner) {
                if matches!(
                    ast.callee_name(ic),
                    Some("split" | "rsplit" | "splitn" | "rsplitn" | "split_terminator")
                ) && ast.receiver(ic).is_some()
                {
                    return true;
                }
            }
        }
    }
    // the clock before 1970
    if name == "duration_since"
        && rc.args.iter().any(|a| {
            ast.path_of(ast.unwrap_expr(a.value))
                .is_some_and(|p| p.ends_with("UNIX_EPOCH"))
        })
    {
        return true;
    }
    // `Response::builder().status(..).header(CONTENT_TYPE, "text/csv").body(..)`
    if name == "body" && builder_with_constant_headers(ast, recv) {
        return true;
    }
    // `Path::new(file!()).parent()`: computed from constants only, no I/O
    if deterministic(ast, recv) {
        return true;
    }
    // constructors and parsers of literals
    if is_pure_constructor(name) && args_constant {
        // `NonZeroU32::new(0)` is always `None`
        if path.contains("NonZero")
            && rc
                .args
                .iter()
                .any(|a| matches!(ast.kind(ast.unwrap_expr(a.value)), Kind::Number(Some(n)) if *n == 0.0))
        {
            return false;
        }
        return match ast.kind(rc.callee) {
            // `Regex::new(".."), Url::parse("..")`: a path call
            Kind::Name(_) => true,
            // `"127.0.0.1".parse()`, `Url::parse(BASE).unwrap().join("/x")`
            Kind::Member { object, .. } => {
                let o = ast.unwrap_expr(*object);
                is_constant(ast, o)
                    || ast
                        .call(o)
                        .is_some_and(|_| site(ast, o).is_some() && proven_safe(ast, imports, o))
            }
            _ => false,
        };
    }
    false
}

/// Calls that read the outside world: never deterministic.
const IO_CALLS: &[&str] = &[
    "open",
    "read",
    "read_to_string",
    "read_dir",
    "create",
    "connect",
    "var",
    "var_os",
    "get",
    "post",
    "send",
    "output",
    "status",
    "metadata",
    "canonicalize",
    "exists",
    "load",
    "fetch",
    "execute",
    "query",
    "recv",
    "lock",
    "write",
    "remove_file",
    "copy",
    "rename",
    "spawn",
];

/// A chain of calls on constants with constant arguments (`Path::new(file!()).parent()`).
fn deterministic(ast: &Ast, id: NodeId) -> bool {
    let chain = ast.call_chain(id);
    if chain.is_empty() {
        return false;
    }
    let root = ast.chain_root(id);
    let root_ok = is_constant(ast, root)
        || ast
            .call(chain[0])
            .is_some_and(|c| matches!(ast.kind(c.callee), Kind::Name(p) if p.contains("::")));
    root_ok
        && chain.iter().all(|&c| {
            ast.call(c).is_some_and(|call| {
                !call.is_macro
                    && call.args.iter().all(|a| is_constant(ast, a.value))
                    && !IO_CALLS.contains(&ast.callee_name(call).unwrap_or(""))
            })
        })
}

/// A `Response::builder()`/`HttpResponse::Ok()` chain whose `header(..)` calls are all given
/// constants.
fn builder_with_constant_headers(ast: &Ast, body_call: NodeId) -> bool {
    let chain = ast.call_chain(body_call);
    let Some(&first) = chain.first() else {
        return false;
    };
    let starts = ast
        .call(first)
        .and_then(|c| ast.path_of(c.callee))
        .is_some_and(|p| p.ends_with("::builder") || p == "builder");
    starts
        && chain.iter().all(|&c| {
            let Some(call) = ast.call(c) else {
                return true;
            };
            match ast.callee_name(call) {
                Some("header" | "insert_header" | "append_header") => {
                    call.args.iter().all(|a| is_constant(ast, a.value))
                }
                _ => true,
            }
        })
}

/// A lookup of a row by a key another stored row holds (`User::find_by_uuid(&member.user_uuid,
/// conn)`, `find(&self.org_id)`): the database's foreign key keeps that row there, so the
/// `None` the unwrap rules out is not something a request can bring about. `request` names the
/// values that hold request data (the key must not come from them).
pub fn stored_key_lookup(
    ast: &Ast,
    call: NodeId,
    request: &HashSet<String>,
    params: &[String],
) -> bool {
    let Some(recv) = ast.call(call).and_then(|c| ast.receiver(c)) else {
        return false;
    };
    let Some(rc) = ast.call(ast.unwrap_expr(recv)) else {
        return false;
    };
    let name = ast.callee_name(rc).unwrap_or("");
    if !["find", "get", "load", "fetch", "by_"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return false;
    }
    rc.args.iter().any(|a| {
        let v = ast.unwrap_expr(a.value);
        let Some(path) = ast.path_of(v) else {
            return false;
        };
        let Some((root, field)) = path.split_once('.') else {
            return false;
        };
        let last = field.rsplit('.').next().unwrap_or(field);
        (last.ends_with("_uuid") || last.ends_with("_id") || last == "uuid" || last == "id")
            && !request.contains(root)
            && (root == "self" || !params.iter().any(|p| p == root))
    })
}

/// Methods that test a value before it is unwrapped or indexed.
const CHECKS: &[&str] = &[
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "is_empty",
    "len",
    "contains_key",
    "is_some_and",
    "is_none_or",
];

/// Wrappers stripped from a receiver before its path is compared (`data.name.as_ref()`).
const SEE_THROUGH: &[&str] = &[
    "as_ref",
    "as_deref",
    "as_mut",
    "as_deref_mut",
    "clone",
    "cloned",
    "copied",
    "to_owned",
    "take",
    "first",
    "last",
    "get",
    "iter",
];

/// The path a panic site works on: `data.username` for `data.username.as_ref().unwrap()`.
pub fn subject_path(ast: &Ast, mut id: NodeId) -> Option<String> {
    loop {
        id = ast.unwrap_expr(id);
        match ast.kind(id) {
            Kind::Call(c) if !c.is_macro => {
                let name = ast.callee_name(c)?;
                if !SEE_THROUGH.contains(&name) {
                    return None;
                }
                id = ast.receiver(c)?;
            }
            Kind::Name(_) | Kind::Member { .. } => return ast.path_of(id),
            _ => return None,
        }
    }
}

/// Whether the function `func` checks `path` before `at`: `path.is_some()`, `path.len()`,
/// `path.is_empty()`, ... anywhere earlier in the function (an `if`, a guard with an early
/// return, a `&&`), or passes it to a validation helper (`check_is_some(&data.name, ..)?`).
pub fn checked_before(ast: &Ast, func: NodeId, path: &str, at: NodeId) -> bool {
    ast.paths_in(path, func)
        .iter()
        .take_while(|&&n| n < at)
        .any(|&n| {
            // `check_is_some(data.name.as_ref(), ..)`: through the see-through calls
            let mut n = n;
            while let Some(p) = ast.parent(n) {
                match ast.kind(p) {
                    Kind::Member { object, property }
                        if *object == n && SEE_THROUGH.contains(&property.as_str()) =>
                    {
                        match ast.parent(p) {
                            Some(g) if ast.call(g).is_some_and(|c| c.callee == p) => n = g,
                            _ => break,
                        }
                    }
                    _ => break,
                }
            }
            let Some(p) = ast.parent(n) else {
                return false;
            };
            match ast.kind(p) {
                Kind::Member { object, property } if *object == n => {
                    CHECKS.contains(&property.as_str())
                        && ast.parent(p).is_some_and(|g| ast.call(g).is_some())
                }
                Kind::Call(c) if c.args.iter().any(|a| a.value == n) => {
                    let name = ast.callee_name(c).unwrap_or("").to_ascii_lowercase();
                    ["check", "valid", "ensure", "require", "assert"]
                        .iter()
                        .any(|w| name.contains(w))
                }
                _ => false,
            }
        })
}

/// Parameter types that carry request data (axum, actix-web, rocket), after `&`/`mut` and the
/// crate path are stripped.
const REQUEST_TYPES: &[&str] = &[
    "Path<",
    "Query<",
    "Json<",
    "Form<",
    "Multipart",
    "HeaderMap",
    "HttpRequest",
    "Request",
    "Bytes",
    "String",
    "TypedHeader<",
    "RawQuery",
    "Payload",
    "QsQuery<",
    "LenientForm<",
    "CookieJar",
];

fn type_tail(ty: &str) -> &str {
    let t = ty.trim_start_matches('&').trim_start();
    let t = t.strip_prefix("'_ ").unwrap_or(t);
    let t = t.strip_prefix("mut ").unwrap_or(t).trim_start();
    // `web::Json<T>`, `axum::extract::Path<T>`: the last segment before the generics
    let generic = t.find('<').unwrap_or(t.len());
    let cut = t[..generic].rfind("::").map_or(0, |i| i + 2);
    &t[cut..]
}

/// Identifiers a parameter pattern binds (`Path((org, id))` -> `org`, `id`).
fn pattern_names(pat: &str) -> Vec<String> {
    pat.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| {
            !w.is_empty()
                && w.chars()
                    .next()
                    .is_some_and(|c| c.is_lowercase() || c == '_')
                && !matches!(*w, "mut" | "ref" | "_")
        })
        .map(str::to_string)
        .collect()
}

/// Calls that pass request data on, for [`crate::flow`]: any method called on the value
/// (`.parse()`, `.get("k")`, `.to_str()`, `.split(' ')`), a qualified parser given it
/// (`Uuid::parse_str(&id)`, `serde_json::from_slice(&body)`), `format!`. A constructor, a
/// lookup or a project helper given the value makes something else: a row the database returns
/// is the service's own data, whatever key selected it.
pub fn passes_on(ast: &Ast, call: NodeId, from: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let name = ast.callee_name(c).unwrap_or("");
    if c.is_macro {
        return name == "format";
    }
    if ast.receiver(c).map(|r| ast.unwrap_expr(r)) == Some(from) {
        return true;
    }
    let qualified = match ast.kind(c.callee) {
        Kind::Name(p) => p.contains("::"),
        _ => true,
    };
    qualified
        && (name.starts_with("parse")
            || name.starts_with("from_")
            || name.starts_with("try_from")
            || name.starts_with("decode"))
}

/// Where the value `expr` comes from, as the names of `seeds` it is read from (parameters or
/// extractor bindings of `func`, read before any reassignment), following locals and loop
/// variables ([`crate::flow::origin`]).
pub fn seeds_reaching(
    ast: &Ast,
    func: NodeId,
    expr: NodeId,
    seeds: &HashSet<String>,
) -> HashSet<String> {
    let found = std::cell::RefCell::new(HashSet::new());
    reach(ast, func, expr, seeds, &found, 0);
    found.into_inner()
}

fn reach(
    ast: &Ast,
    func: NodeId,
    expr: NodeId,
    seeds: &HashSet<String>,
    found: &std::cell::RefCell<HashSet<String>>,
    depth: usize,
) {
    if seeds.is_empty() || depth > 4 {
        return;
    }
    let is_source = |id: NodeId| {
        let Kind::Name(n) = ast.kind(id) else {
            return false;
        };
        // a read of the parameter itself (`let data = data.into_inner()` reads it too)
        if ast
            .assignment_before(n, func, id, false)
            .is_some_and(|(a, _)| !ast.contains(a, id))
        {
            return false;
        }
        if seeds.contains(n.as_str()) {
            found.borrow_mut().insert(n.clone());
            return false; // keep looking: every seed that reaches counts
        }
        // a loop variable: where the loop's collection comes from
        for a in ast.ancestors(id) {
            if a == func {
                break;
            }
            if let Kind::Loop(l) = ast.kind(a) {
                if l.bindings.iter().any(|b| b == n) {
                    if let Some(it) = l.iter {
                        if !ast.contains(it, id) {
                            reach(ast, func, it, seeds, found, depth + 1);
                        }
                    }
                    break;
                }
            }
        }
        false
    };
    crate::flow::origin(ast, expr, &is_source, &passes_on);
}

/// What decides whether an unwrapped value is there: the value itself and the arguments of the
/// calls that made it (`db.find(id).await`, `NaiveDate::parse_from_str(raw, "%F")`).
pub fn inputs(ast: &Ast, value: NodeId) -> Vec<NodeId> {
    let value = ast.unwrap_expr(value);
    let mut out = vec![value];
    for c in ast.call_chain(value) {
        if let Some(call) = ast.call(c) {
            out.extend(call.args.iter().map(|a| a.value));
        }
    }
    out
}

/// The names of a handler's parameters that hold request data: its extractor parameters
/// (axum/actix), the route's `<segments>` and `data = "<form>"` (rocket).
pub fn request_names(ast: &Ast, handler: NodeId) -> HashSet<String> {
    let mut names = HashSet::new();
    let Some(f) = ast.function(handler) else {
        return names;
    };
    let mut rocket_params = Vec::new();
    for d in &f.decorators {
        let mut rest = d.args.as_str();
        while let Some(i) = rest.find('<') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('>') else { break };
            rocket_params.push(after[..j].trim_end_matches("..").to_string());
            rest = &after[j + 1..];
        }
    }
    for p in &f.params {
        let by_type = p.ty.as_deref().is_some_and(|t| {
            let tail = type_tail(t);
            REQUEST_TYPES.iter().any(|r| tail.starts_with(r))
        });
        if by_type || rocket_params.iter().any(|r| r == &p.name) {
            names.extend(pattern_names(&p.name));
        }
    }
    names
}

/// Parameter types that hold the service's own resources, not data from a caller.
fn is_resource_type(ty: &str) -> bool {
    let t = type_tail(ty);
    [
        "Conn",
        "Pool",
        "State",
        "Data<",
        "Config",
        "Settings",
        "Client",
        "Transaction",
        "Db",
        "Context",
        "Notify",
    ]
    .iter()
    .any(|r| t.contains(r))
}

/// A helper's parameters that may carry a caller's data, by name, with their positions
/// (`self` not counted).
pub fn helper_params(ast: &Ast, func: NodeId) -> Vec<(String, usize)> {
    let Some(f) = ast.function(func) else {
        return Vec::new();
    };
    let params = f
        .params
        .iter()
        .filter(|p| p.name != "self" && !p.name.ends_with(" self"));
    let mut out = Vec::new();
    for (i, p) in params.enumerate() {
        if p.ty.as_deref().is_some_and(is_resource_type) {
            continue;
        }
        for n in pattern_names(&p.name) {
            if n != "self" {
                out.push((n, i));
            }
        }
    }
    out
}

/// Whether the value `expr` in handler `h` carries request data that `h` has not compared
/// with something in an `if` before `at` (`if org_id != headers.org_id { err!(..) }` checks the
/// key against the caller's own).
pub fn carries_request_data(
    ast: &Ast,
    h: NodeId,
    expr: NodeId,
    at: NodeId,
    request: &HashSet<String>,
) -> bool {
    seeds_reaching(ast, h, expr, request).iter().any(|x| {
        let compared =
            ast.names_in(x, h)
                .iter()
                .take_while(|&&m| m < at)
                .any(|&m| {
                    ast.parent(m).is_some_and(|p| {
                        matches!(ast.kind(p), Kind::Binary { op: crate::ast::BinOp::Compare, .. })
                    && ast.ancestors(p).any(
                        |a| matches!(ast.kind(a), Kind::If { cond, .. } if ast.contains(*cond, m)),
                    )
                    })
                });
        !compared
    })
}

/// Whether a handler call site (its `handler` text: caller, framework, the argument positions
/// that carry request data) passes request data at one of `args` (any position if empty).
pub fn passes_request_data(site: &str, args: &[usize]) -> bool {
    let Some(tainted) = site.split('\t').nth(2) else {
        return false;
    };
    let given: Vec<usize> = tainted.split(',').filter_map(|p| p.parse().ok()).collect();
    // a route registration: the function is itself a handler
    if args.is_empty() || tainted == "*" {
        return true;
    }
    args.iter().any(|a| given.contains(a))
}

/// The web framework a file's handlers belong to, by its imports; else `fallback`.
pub fn framework(imports: &Imports, fallback: &'static str) -> &'static str {
    if imports.uses("rocket") {
        "rocket"
    } else if imports.uses("actix_web") {
        "actix-web"
    } else if imports.uses("axum") {
        "axum"
    } else {
        fallback
    }
}

/// Methods of the standard library and common crates a handler calls on values: never a
/// project helper worth following.
const STD_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "map",
    "map_err",
    "and_then",
    "ok_or",
    "ok_or_else",
    "ok",
    "err",
    "clone",
    "collect",
    "iter",
    "into_iter",
    "to_string",
    "to_owned",
    "into",
    "as_ref",
    "as_str",
    "as_deref",
    "len",
    "is_empty",
    "push",
    "insert",
    "get",
    "remove",
    "contains",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "filter",
    "await",
    "bind",
    "fetch_one",
    "fetch_all",
    "fetch_optional",
    "execute",
    "json",
    "status",
    "body",
    "header",
    "finish",
    "into_inner",
    "trim",
    "parse",
    "split",
    "join",
    "extend",
    "first",
    "last",
    "next",
    "send",
    "lock",
    "read",
    "write",
    "format",
    "to_vec",
    "iter_mut",
    "cloned",
    "copied",
    "sum",
    "count",
    "find",
    "any",
    "all",
    "sort",
    "sort_by",
    "dedup",
    "retain",
    "contains_key",
    "entry",
    "or_insert",
    "Ok",
    "Err",
    "Some",
    "new",
    "default",
    "from",
    "to_lowercase",
    "to_uppercase",
    "starts_with",
    "ends_with",
    "replace",
    "chars",
    "bytes",
    "as_bytes",
];

/// Calls that handlers of this file make to functions of the project (one level), each as a
/// [`ReturnedCall`] whose `handler` is the caller, its framework and the argument positions
/// that carry request data, tab-separated (`get_order\taxum\t0,2`).
pub fn handler_calls(
    ast: &Ast,
    imports: &Imports,
    handlers: &std::collections::HashMap<NodeId, &'static str>,
) -> Vec<ReturnedCall> {
    let mut out = Vec::new();
    let mut hs: Vec<(NodeId, &'static str)> = handlers.iter().map(|(k, v)| (*k, *v)).collect();
    hs.sort_unstable();
    for (h, fw) in hs {
        let Some(hname) = ast.function(h).and_then(|f| f.name.clone()) else {
            continue;
        };
        let fw = framework(imports, fw);
        let request = request_names(ast, h);
        if request.is_empty() {
            continue;
        }
        for id in ast.subtree(h) {
            let Some(c) = ast.call(id) else { continue };
            if c.is_macro || id == h {
                continue;
            }
            let tainted: Vec<String> = c
                .args
                .iter()
                .enumerate()
                .filter(|(_, a)| carries_request_data(ast, h, a.value, id, &request))
                .map(|(i, _)| i.to_string())
                .collect();
            if tainted.is_empty() {
                continue;
            }
            if let Some((name, module, receiver)) = callee_ref(ast, imports, h, id) {
                out.push(ReturnedCall {
                    name,
                    module,
                    receiver,
                    span: ast.span(id),
                    handler: format!("{hname}\t{fw}\t{}", tainted.join(",")),
                });
            }
        }
    }
    // functions registered as routes by name in this file (`get(routes::orders::export)`)
    let fw = framework(imports, "HTTP");
    for id in 0..ast.nodes.len() as NodeId {
        let Some(c) = ast.call(id) else { continue };
        if !is_route_registration(ast, c) {
            continue;
        }
        for a in &c.args {
            let v = ast.unwrap_expr(a.value);
            let Kind::Name(path) = ast.kind(v) else {
                continue;
            };
            let qualified = imports.qualify_path(path);
            let (module, name) = match qualified.rsplit_once("::") {
                Some((m, n)) => (Some(m.to_string()), n.to_string()),
                None => (None, qualified.clone()),
            };
            if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                continue;
            }
            out.push(ReturnedCall {
                name,
                module,
                receiver: None,
                span: ast.span(v),
                handler: format!("\t{fw}\t*"),
            });
        }
    }
    out
}

/// `get(h)`, `axum::routing::post(h)`, `get(a).post(b)`, `web::get().to(h)`, `routes![a, b]`.
fn is_route_registration(ast: &Ast, c: &crate::ast::Call) -> bool {
    const ROUTING: &[&str] = &[
        "get", "post", "put", "patch", "delete", "head", "options", "any", "trace",
    ];
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    if c.is_macro {
        return name == "routes";
    }
    match ast.kind(c.callee) {
        Kind::Name(_) => ROUTING.contains(&name),
        Kind::Member { object, .. } => {
            if name == "to" {
                return true;
            }
            // `get(a).post(b)`: a method router chain
            ROUTING.contains(&name)
                && ast
                    .call(ast.unwrap_expr(*object))
                    .is_some_and(|oc| is_route_registration(ast, oc))
        }
        _ => false,
    }
}

/// (name, module, receiver) of a call to what may be a function of the project, in the form
/// the index matches ([`crate::index::ProjectIndex::handler_calling`]).
fn callee_ref(
    ast: &Ast,
    imports: &Imports,
    h: NodeId,
    call: NodeId,
) -> Option<(String, Option<String>, Option<String>)> {
    let c = ast.call(call)?;
    let own_type = || {
        ast.ancestors(h).find_map(|a| match ast.kind(a) {
            Kind::Class(k) => Some(k.name.clone()),
            _ => None,
        })
    };
    match ast.kind(c.callee) {
        Kind::Name(path) => {
            let qualified = imports.qualify_path(path);
            let Some((module, name)) = qualified.rsplit_once("::") else {
                // a plain `helper(..)`, not `Ok(..)`/`Json(..)`
                if path
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_uppercase())
                {
                    return None;
                }
                return Some((path.clone(), None, None));
            };
            if name
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_uppercase())
            {
                return None; // an enum variant or tuple struct
            }
            let last = module.rsplit("::").next().unwrap_or(module);
            if last == "Self" {
                return Some((
                    name.to_string(),
                    None,
                    own_type().map(|t| format!("class:{t}")),
                ));
            }
            if last
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_uppercase())
            {
                // `User::find_by_id(..)`: a method of the type, wherever it is re-exported
                let ty = last.split('<').next().unwrap_or(last);
                return Some((name.to_string(), None, Some(format!("type:{ty}"))));
            }
            Some((name.to_string(), Some(module.to_string()), None))
        }
        Kind::Member { object, property } => {
            if STD_METHODS.contains(&property.as_str()) {
                return None;
            }
            let recv = ast.path_of(ast.unwrap_expr(*object));
            match recv.as_deref() {
                Some("self") => Some((
                    property.clone(),
                    None,
                    own_type().map(|t| format!("class:{t}")),
                )),
                Some(r) => Some((property.clone(), None, Some(r.to_string()))),
                None => Some((property.clone(), None, Some(String::new()))),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_tails_and_patterns() {
        assert_eq!(type_tail("web::Json<Order>"), "Json<Order>");
        assert_eq!(
            type_tail("&mut axum::extract::Path<(i64, i64)>"),
            "Path<(i64, i64)>"
        );
        assert_eq!(pattern_names("Path((org, id))"), vec!["org", "id"]);
        assert_eq!(pattern_names("Query(params)"), vec!["params"]);
        assert_eq!(pattern_names("mut body"), vec!["body"]);
    }
}
