//! What bounds a list endpoint, and where a query's rows go: the knowledge behind
//! `unbounded-query`.
//!
//! A multi-row query is unbounded when nothing limits it: no `LIMIT`/`take`/`limit()`, no slice,
//! no paginator, no primary-key or id-list predicate, no aggregate. Whether it reaches a response
//! is a small forward data flow inside one function ([`flow`]): the value is followed through
//! `await`/`?`, local variables (`rows = cursor.fetchall()`, `const { rows } = ...`), chains that
//! keep every row (`.values()`, `.map(...)`, `into_iter().collect()`), serialisers with
//! `many=True`, comprehensions and accumulating loops, up to a response (`res.json`, `jsonify`,
//! `Json(..)`, `Response(..)`, a handler's `return`). Anything unknown on the way stops the
//! flow: a reduction (`len`, `.length`, `count()`), a slice or a helper the tables do not know
//! is never assumed to pass every row on. Reaching a paginator anywhere (`Paginator(qs, 25)`,
//! `self.paginate_queryset(qs)`) clears the whole query, also when a fallback branch serialises
//! the full queryset (DRF's generic `list`).

use std::collections::{HashMap, HashSet};

use crate::ast::{Ast, Kind, Lang, LoopKind, NodeId};
use crate::imports::Imports;
use crate::knowledge::http;
use crate::knowledge::orm::{self, Query, QueryKind};
use crate::source::Span;

/// Where rows end up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// The function's `return` (or Rust tail / arrow expression body), at this node.
    Return(NodeId),
    /// A response is built or sent here (`res.json(..)`, `jsonify(..)`, `Json(..)`).
    Response(NodeId),
}

impl Sink {
    pub fn node(self) -> NodeId {
        match self {
            Sink::Return(n) | Sink::Response(n) => n,
        }
    }
}

/// Calls that build or send an HTTP response from their arguments (last path segment).
const RESPONSE_FUNCTIONS_PY: &[&str] = &[
    "jsonify",
    "JsonResponse",
    "Response",
    "JSONResponse",
    "ORJSONResponse",
    "UJSONResponse",
    "HttpResponse",
    "make_response",
    "json_response",
    "render",
    "render_template",
    "render_to_response",
    "TemplateResponse",
];
/// Methods that send a response in Express/Fastify/Koa/Hono/hapi (`res.json(users)`).
const RESPONSE_METHODS_TS: &[&str] = &["json", "send", "jsonp", "render", "response", "end"];
/// Receivers of those methods: the response objects handlers are given.
const RESPONSE_RECEIVERS_TS: &[&str] = &[
    "res",
    "reply",
    "response",
    "resp",
    "rep",
    "ctx",
    "c",
    "h",
    "context",
    "NextResponse",
    "Response",
];
/// `new Response(JSON.stringify(rows))`.
const RESPONSE_CONSTRUCTORS_TS: &[&str] = &["Response", "NextResponse"];

/// Methods whose result still holds every row of their receiver.
const KEEP_ALL_METHODS: &[&str] = &[
    // Django querysets, Peewee, Tortoise
    "all",
    "filter",
    "exclude",
    "order_by",
    "values",
    "values_list",
    "select_related",
    "prefetch_related",
    "distinct",
    "annotate",
    "only",
    "defer",
    "using",
    "iterator",
    "reverse",
    "dicts",
    "tuples",
    "namedtuples",
    "objects",
    // SQLAlchemy results
    "scalars",
    "unique",
    "mappings",
    "fetchall",
    // Mongoose / MongoDB / JS arrays
    "lean",
    "exec",
    "populate",
    "toArray",
    "map",
    "sort",
    "toSorted",
    "flatMap",
    "flat",
    "concat",
    // Rust iterators and results
    "iter",
    "into_iter",
    "collect",
    "try_collect",
    "cloned",
    "copied",
    "unwrap",
    "expect",
    "unwrap_or_default",
    "map_err",
    "context",
    "with_context",
    "sort_by",
    "sort_by_key",
    "sorted",
];
/// Properties that still hold every row: DRF `serializer.data`, pg `result.rows`, mssql
/// `recordset`.
const KEEP_ALL_PROPERTIES: &[&str] = &["data", "rows", "recordset", "records"];
/// Free functions and wrappers whose result still holds every row of their argument.
const KEEP_ALL_FUNCTIONS: &[&str] = &[
    "list",
    "tuple",
    "sorted",
    "dict",
    "jsonable_encoder",
    "dumps",
    "serialize",
    "from_queryset",
    "parse_obj_as",
    "validate_python",
    "dump",
    "dump_python",
    "from",
    "stringify",
    "plainToInstance",
    "plainToClass",
    "instanceToPlain",
    "classToPlain",
    "structuredClone",
    "Ok",
    "Some",
    "to_string",
    "to_vec",
    "to_value",
    "json",
];
/// Calls that paginate what they are given: once a query reaches one, it is bounded.
const PAGINATORS: &[&str] = &[
    "Paginator",
    "paginate",
    "paginate_queryset",
    "get_paginated_response",
    "paginate_query",
    "paginated",
    "LimitOffsetPage",
    "Page",
];
/// Closures whose value is the value of the call that runs them (`web::block(move || ...)`).
const OFFLOAD_CALLS: &[&str] = &[
    "block",
    "spawn_blocking",
    "block_in_place",
    "interact",
    "transaction",
    "run",
    "asyncify",
];
/// Methods that append to a collection, for `for r in rows: out.append(..)`.
const ACCUMULATE_METHODS: &[&str] = &["append", "push", "extend", "push_back", "insert"];

/// Django class-based views whose default `list`/`get` returns the whole queryset.
const DRF_LIST_BASES: &[&str] = &[
    "ListAPIView",
    "ListCreateAPIView",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListModelMixin",
];
const DJANGO_LIST_BASES: &[&str] = &["ListView", "BaseListView"];

fn last_segment(path: &str) -> &str {
    path.rsplit(['.', ':']).next().unwrap_or(path)
}

/// The rows of a multi-row query nothing bounds: read, many rows, no limit, slice, id-list,
/// primary-key predicate or aggregate; raw SQL must be a visible `SELECT ... FROM` without
/// `LIMIT`. `call` is the query's outermost call.
pub fn is_unbounded(ast: &Ast, q: &Query, call: NodeId) -> bool {
    if !q.many || q.limited || q.batched || !matches!(q.kind, QueryKind::Read | QueryKind::Raw) {
        return false;
    }
    let chain = ast.call_chain(call);
    let names: Vec<&str> = chain
        .iter()
        .map(|&c| ast.call(c).and_then(|c| ast.callee_name(c)).unwrap_or(""))
        .collect();
    // Django `none()`, `in_bulk(ids)`; `values(..).annotate(..)` is a GROUP BY.
    if names.iter().any(|n| ["none", "in_bulk"].contains(n)) {
        return false;
    }
    // GROUP BY: one row per distinct value of the grouped columns, an aggregate.
    if names.iter().any(|n| ["group_by", "groupBy"].contains(n)) {
        return false;
    }
    if q.orm == "Django ORM" {
        let values = names
            .iter()
            .position(|n| *n == "values" || *n == "values_list");
        let annotate = names.iter().rposition(|n| *n == "annotate");
        if let (Some(v), Some(a)) = (values, annotate) {
            if a > v {
                return false;
            }
        }
    }
    if by_primary_key(ast, &chain, &names) {
        return false;
    }
    if !options_visible(ast, q, &chain, &names) {
        return false;
    }
    if uses_sql_text(q) {
        if let Some(stmt) = statement_variable(ast, &chain) {
            return !statement_bounded(ast, stmt);
        }
        return query_sql(ast, q, &chain).is_some_and(|s| unbounded_select(&s));
    }
    true
}

/// SQLAlchemy: `stmt = select(X).where(..)` then `db.scalars(stmt)` / `session.execute(stmt)`:
/// the statement's outermost call.
fn statement_variable(ast: &Ast, chain: &[NodeId]) -> Option<NodeId> {
    if ast.lang != Lang::Python {
        return None;
    }
    let root = ast.call(*chain.first()?)?;
    let arg = ast.unwrap_expr(ast.positional(root).next()?);
    let Kind::Name(n) = ast.kind(arg) else {
        return None;
    };
    let (_, v) = assigned_value(ast, n, arg)?;
    let v = ast.unwrap_expr(v);
    let first = *ast.call_chain(v).first()?;
    let name = ast.call(first).and_then(|c| ast.callee_name(c))?;
    ["select", "union", "union_all"]
        .contains(&name)
        .then_some(v)
}

/// A SQLAlchemy statement with a limit, a primary-key or `in_` predicate, or an aggregate
/// select list (`select(func.count())`).
fn statement_bounded(ast: &Ast, stmt: NodeId) -> bool {
    let chain = ast.call_chain(stmt);
    let names: Vec<&str> = chain
        .iter()
        .map(|&c| ast.call(c).and_then(|c| ast.callee_name(c)).unwrap_or(""))
        .collect();
    names
        .iter()
        .any(|n| ["limit", "slice", "fetch", "group_by"].contains(n))
        || by_primary_key(ast, &chain, &names)
        || ast.subtree(stmt).any(|n| {
            ast.call(n)
                .and_then(|c| ast.callee_name(c))
                .is_some_and(|m| ["in_", "count", "sum", "max", "min", "avg"].contains(&m))
        })
}

/// ORMs and clients whose row count is decided by SQL text.
fn uses_sql_text(q: &Query) -> bool {
    q.kind == QueryKind::Raw
        || matches!(
            q.orm,
            "sqlx" | "tokio-postgres" | "SQL client" | "SQL driver" | "postgres.js"
        )
}

/// The options object of Prisma/TypeORM/Sequelize calls must be visible to say it has no
/// `take`/`limit`: `findMany(args)` or `findMany({ ...page, where })` may well paginate.
fn options_visible(ast: &Ast, q: &Query, chain: &[NodeId], names: &[&str]) -> bool {
    if !matches!(q.orm, "Prisma" | "TypeORM" | "Sequelize" | "Drizzle") || q.kind == QueryKind::Raw
    {
        return true;
    }
    let Some(first) = chain.first().and_then(|&c| ast.call(c)) else {
        return true;
    };
    if names
        .first()
        .is_some_and(|n| n.starts_with("createQueryBuilder"))
        || names.len() > 1
    {
        return true;
    }
    first.args.iter().all(|a| {
        !a.spread
            && match ast.kind(ast.unwrap_expr(a.value)) {
                Kind::Object { entries, .. } => entries.iter().all(|e| e.key.is_some()),
                // `findBy(where)`: the where clause cannot hold a limit
                Kind::Name(_) => names.first().is_some_and(|n| n.ends_with("By")),
                _ => true,
            }
    })
}

/// A predicate on the primary key: one row at most (`filter(pk=..)`, `where: { id }`,
/// `users::id.eq(..)`, `find(id)` in diesel).
fn by_primary_key(ast: &Ast, chain: &[NodeId], names: &[&str]) -> bool {
    const ID_KEYS: &[&str] = &["id", "pk", "_id", "uuid", "id__exact", "pk__exact"];
    // diesel `posts.find(id)`, sea-orm `Entity::find_by_id(id)`
    if ast.lang == Lang::Rust
        && chain.iter().zip(names).any(|(&c, &n)| {
            n == "find_by_id"
                || n == "find"
                    && ast
                        .call(c)
                        .is_some_and(|c| ast.receiver(c).is_some() && !c.args.is_empty())
        })
    {
        return true;
    }
    for (i, &c) in chain.iter().enumerate() {
        let Some(call) = ast.call(c) else { continue };
        for a in &call.args {
            if a.name.as_deref().is_some_and(|n| ID_KEYS.contains(&n)) {
                return true;
            }
            let v = ast.unwrap_expr(a.value);
            // `{ id }`, `{ where: { id } }` (not `{ id: { in: ids } }`)
            if i == 0 || names[i] == "where" || names[i] == "filter" {
                let mut objs = vec![v];
                if let Some(w) = ast.entry(v, "where") {
                    objs.push(w.value);
                }
                for o in objs {
                    if let Kind::Object { entries, .. } = ast.kind(o) {
                        if entries.iter().any(|e| {
                            e.key.as_deref().is_some_and(|k| ID_KEYS.contains(&k))
                                && !matches!(ast.kind(e.value), Kind::Object { .. })
                        }) {
                            return true;
                        }
                    }
                }
            }
            // Knex `.where("id", x)`
            if names[i] == "where" && ast.plain_str(v).is_some_and(|s| s == "id") {
                return true;
            }
            for n in ast.subtree(v) {
                match ast.kind(n) {
                    // SQLAlchemy `User.id == x`
                    Kind::Binary {
                        op: crate::ast::BinOp::Compare,
                        lhs,
                        ..
                    } if is_id_path(ast, *lhs) => return true,
                    // diesel/sea-orm `users::id.eq(x)`, drizzle `eq(users.id, x)`
                    Kind::Call(ic) if ast.callee_name(ic) == Some("eq") => {
                        let target = ast.receiver(ic).or_else(|| ast.positional(ic).next());
                        if target.is_some_and(|t| is_id_path(ast, t)) {
                            return true;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    false
}

fn is_id_path(ast: &Ast, id: NodeId) -> bool {
    ast.path_of(ast.unwrap_expr(id)).is_some_and(|p| {
        let last = last_segment(&p);
        last == "id" || last == "Id" || last == "pk"
    })
}

/// The SQL text a query runs, uppercased with whitespace collapsed, when it can be seen: the
/// literal argument, a `text("..")` wrapper, or a local/module constant it names.
pub fn query_sql(ast: &Ast, q: &Query, chain: &[NodeId]) -> Option<String> {
    let arg = q.sql.or_else(|| {
        let root = ast.call(*chain.first()?)?;
        // `query_as!(User, "SELECT ..")`: the first string argument
        ast.positional(root)
            .find(|&a| matches!(ast.kind(ast.unwrap_expr(a)), Kind::Str(_)))
            .or_else(|| ast.positional(root).next())
    })?;
    let text = resolve_text(ast, arg, 0)?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn resolve_text(ast: &Ast, id: NodeId, depth: u8) -> Option<String> {
    if depth > 4 {
        return None;
    }
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Name(n) => {
            let (assign, v) = assigned_value(ast, n, id)?;
            let mut text = resolve_text(ast, v, depth + 1)?;
            // `sql += " ORDER BY id LIMIT 50"`, `sql.push_str(..)` between there and the use
            for later in ast.node(assign).end..id {
                let appended = match ast.kind(later) {
                    Kind::Assign {
                        target,
                        value: Some(v),
                        augmented: true,
                        ..
                    } if matches!(ast.kind(*target), Kind::Name(t) if t == n) => Some(*v),
                    Kind::Call(c)
                        if matches!(ast.callee_name(c), Some("push_str" | "append" | "push"))
                            && ast.receiver(c).is_some_and(
                                |r| matches!(ast.kind(r), Kind::Name(t) if t == n),
                            ) =>
                    {
                        ast.positional(c).next()
                    }
                    _ => None,
                };
                if let Some(a) = appended {
                    text.push(' ');
                    text.push_str(&resolve_text(ast, a, depth + 1).unwrap_or_default());
                }
            }
            Some(text)
        }
        Kind::Binary { lhs, rhs, .. } => {
            let l = resolve_text(ast, *lhs, depth + 1).unwrap_or_default();
            let r = resolve_text(ast, *rhs, depth + 1).unwrap_or_default();
            Some(l + " " + &r)
        }
        _ => orm::sql_text(ast, id),
    }
}

/// The last plain assignment to `name` before `at` in the same function, else at module level,
/// and its value.
pub fn assigned_value(ast: &Ast, name: &str, at: NodeId) -> Option<(NodeId, NodeId)> {
    let scope = ast.enclosing_function(at).unwrap_or(0);
    ast.assignment_before(name, scope, at, true)
        .or_else(|| ast.top_level_assignment(name, true))
}

/// A visible `SELECT ... FROM` that returns many rows: no `LIMIT`/`FETCH FIRST`/`TOP`, no
/// aggregate-only select list or `GROUP BY`, no primary-key or id-list predicate.
pub fn unbounded_select(upper: &str) -> bool {
    let s = upper.trim_start_matches(['(', ' ']);
    if !(s.starts_with("SELECT ") || s.starts_with("WITH ")) || !s.contains(" FROM ") {
        return false;
    }
    let padded = format!("{s} ");
    if orm::has_limit(&padded)
        || padded.contains(" FETCH NEXT ")
        || padded.contains(" ROWNUM ")
        || padded.contains(" GROUP BY ")
        || s.starts_with("SELECT DISTINCT ")
        || orm::batched_sql(&padded)
    {
        return false;
    }
    if s.starts_with("SELECT ") {
        let list = &s["SELECT ".len()..s.find(" FROM ").unwrap_or(s.len())];
        let aggregate = |item: &str| {
            let item = item.trim().trim_start_matches("DISTINCT ");
            [
                "COUNT(",
                "SUM(",
                "AVG(",
                "MIN(",
                "MAX(",
                "EXISTS",
                "BOOL_OR(",
                "BOOL_AND(",
                "ARRAY_AGG(",
                "JSON_AGG(",
                "JSONB_AGG(",
                "STRING_AGG(",
                "GROUP_CONCAT(",
                "COALESCE(SUM(",
                "COALESCE(COUNT(",
                "COALESCE(MAX(",
                "COALESCE(MIN(",
                "COALESCE(AVG(",
                "COUNT (",
                "SUM (",
            ]
            .iter()
            .any(|a| item.starts_with(a))
        };
        if top_level_items(list).iter().all(|i| aggregate(i)) {
            return false;
        }
    }
    // `WHERE id = $1`, `WHERE u.id = ?`: one row
    if let Some(w) = s.find(" WHERE ") {
        let cond = &s[w + " WHERE ".len()..];
        let first = cond.split([' ', '=']).next().unwrap_or("");
        let col = first.rsplit('.').next().unwrap_or(first);
        if (col == "ID" || col == "\"ID\"" || col == "`ID`")
            && cond[first.len()..].trim_start().starts_with('=')
        {
            return false;
        }
    }
    true
}

fn top_level_items(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, ch) in list.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out
}

/// For DB-API `cursor.execute(sql)` used as a statement: the later `cursor.fetchall()` that
/// returns its rows (`None` when the rows are fetched in a bounded way or not at all).
pub fn fetch_after_execute(ast: &Ast, exec: NodeId) -> Option<NodeId> {
    let c = ast.call(exec)?;
    if ast.callee_name(c) != Some("execute") {
        return None;
    }
    let holder = match ast.parent(exec).map(|p| (p, ast.kind(p))) {
        // `cur = conn.execute(sql)` / `result = await session.execute(text(..))`
        Some((_, Kind::Assign { target, .. })) => ast.path_of(*target)?,
        Some((p, Kind::Await(_))) => match ast.parent(p).map(|g| ast.kind(g)) {
            Some(Kind::Assign { target, .. }) => ast.path_of(*target)?,
            _ => ast.path_of(ast.receiver(c)?)?,
        },
        _ => ast.path_of(ast.receiver(c)?)?,
    };
    let scope = ast.enclosing_function(exec).unwrap_or(0);
    let end = ast.node(scope).end;
    for id in ast.node(exec).end..end {
        let Some(fc) = ast.call(id) else { continue };
        let Some(recv) = ast.receiver(fc) else {
            continue;
        };
        if ast.path_of(recv).as_deref() != Some(holder.as_str()) {
            continue;
        }
        match ast.callee_name(fc) {
            Some("fetchall" | "all") => return Some(id),
            Some("fetchone" | "fetchmany" | "first" | "one" | "scalar" | "execute") => return None,
            _ => {}
        }
    }
    None
}

/// Follows the rows produced at `start` forward inside `func` (a handler, or the function
/// whose return value is being asked about) to a response or `func`'s return.
pub fn flow(ast: &Ast, imports: &Imports, start: NodeId, func: NodeId) -> Option<Sink> {
    let mut f = Flow {
        ast,
        imports,
        func,
        work: vec![start],
        seen: HashSet::new(),
        names: HashSet::new(),
        paginated: false,
        found: None,
    };
    let mut steps = 0;
    while let Some(v) = f.work.pop() {
        steps += 1;
        if steps > 400 {
            break;
        }
        if f.seen.insert(v) {
            f.step(v);
        }
    }
    if f.paginated {
        return None;
    }
    f.found
}

struct Flow<'a> {
    ast: &'a Ast,
    imports: &'a Imports,
    func: NodeId,
    work: Vec<NodeId>,
    seen: HashSet<NodeId>,
    names: HashSet<(String, NodeId)>,
    paginated: bool,
    found: Option<Sink>,
}

impl Flow<'_> {
    fn sink(&mut self, s: Sink) {
        if self.found.is_none() {
            self.found = Some(s);
        }
    }

    fn step(&mut self, v: NodeId) {
        let ast = self.ast;
        let Some(p) = ast.parent(v) else { return };
        match ast.kind(p) {
            _ if ast.wrapped(p).is_some() => self.work.push(p),
            Kind::Member { object, property } if *object == v => {
                let method_call = ast
                    .parent(p)
                    .filter(|&g| ast.call(g).is_some_and(|c| c.callee == p));
                match method_call {
                    Some(g) => self.method(g, property),
                    None => {
                        if KEEP_ALL_PROPERTIES.contains(&property.as_str()) {
                            self.work.push(p);
                        }
                    }
                }
            }
            Kind::Call(c) if c.callee != v => self.argument(p),
            // a destructuring target is handled by its assignment
            Kind::Array(items) if items.contains(&v) => self.work.push(p),
            Kind::Object { entries, .. } if entries.iter().any(|e| e.value == v) => {
                self.work.push(p);
            }
            Kind::Binary {
                op: crate::ast::BinOp::Or,
                ..
            } => self.work.push(p),
            Kind::Loop(l) if l.iter == Some(v) => match l.kind {
                LoopKind::Comprehension => self.work.push(p),
                _ => self.accumulate(p),
            },
            Kind::Return(Some(r)) if *r == v => self.returned(p, p),
            Kind::Assign {
                target,
                value: Some(val),
                ..
            } if *val == v => self.assigned(p, *target),
            Kind::Function(f) => {
                let tail =
                    f.expr_body == Some(v) || ast.lang == Lang::Rust && f.body.last() == Some(&v);
                if tail {
                    self.returned(p, v);
                }
            }
            _ => {}
        }
    }

    /// `v.method(..)` at call `g`.
    fn method(&mut self, g: NodeId, method: &str) {
        if PAGINATORS.contains(&method) {
            self.paginated = true;
        } else if KEEP_ALL_METHODS.contains(&method) {
            self.work.push(g);
        }
    }

    /// `v` is an argument of call `p`.
    fn argument(&mut self, p: NodeId) {
        let ast = self.ast;
        let Some(c) = ast.call(p) else { return };
        let path = self.qualified_callee(c);
        let name = last_segment(&path);
        if PAGINATORS.contains(&name) {
            self.paginated = true;
            return;
        }
        if self.is_response(p) {
            self.sink(Sink::Response(p));
            return;
        }
        let serializer = name.ends_with("Serializer")
            || name.ends_with("serializer")
            || name == "get_serializer"
            || name == "serializer_class";
        if serializer {
            // DRF: only `many=True` serialises a list
            if ast
                .kwarg(c, "many")
                .is_some_and(|m| matches!(ast.kind(m), Kind::Bool(true)))
            {
                self.work.push(p);
            }
            return;
        }
        let lower = name.to_ascii_lowercase();
        if KEEP_ALL_FUNCTIONS.contains(&name)
            && !(name == "from" && !path.starts_with("Array") && !path.starts_with("Vec"))
            || lower.contains("serializ")
        {
            self.work.push(p);
        }
    }

    /// The callee's path with its first segment resolved through the imports
    /// (`JR` -> `django.http.JsonResponse`); the bare method name for other callees.
    fn qualified_callee(&self, c: &crate::ast::Call) -> String {
        match self.ast.path_of(c.callee) {
            Some(p) => self.imports.qualify_path(&p),
            None => self.ast.callee_name(c).unwrap_or("").to_string(),
        }
    }

    /// Whether call `p` builds or sends a response from its arguments.
    fn is_response(&self, p: NodeId) -> bool {
        let ast = self.ast;
        let Some(c) = ast.call(p) else { return false };
        let name = ast.callee_name(c).unwrap_or("");
        let path = self.qualified_callee(c);
        match ast.lang {
            Lang::Python => {
                RESPONSE_FUNCTIONS_PY.contains(&last_segment(&path))
                    || ast.receiver(c).is_some() && name == "json_response"
            }
            Lang::TypeScript => {
                if c.is_new {
                    return RESPONSE_CONSTRUCTORS_TS.contains(&last_segment(&path));
                }
                let Some(recv) = ast.receiver(c) else {
                    return false;
                };
                if !RESPONSE_METHODS_TS.contains(&name) {
                    return false;
                }
                let root = ast.chain_root(recv);
                let root = ast.path_of(root).unwrap_or_default();
                let params: Vec<&str> = ast
                    .function(self.func)
                    .map(|f| f.params.iter().map(|p| p.name.as_str()).collect())
                    .unwrap_or_default();
                root != "JSON"
                    && (RESPONSE_RECEIVERS_TS.contains(&root.as_str())
                        || params.contains(&root.as_str())
                        || name == "json")
            }
            Lang::Rust => {
                let last = last_segment(&path);
                last == "Json"
                    || name == "json"
                    || name == "body"
                        && ast
                            .receiver(c)
                            .map(|r| ast.chain_root(r))
                            .and_then(|r| ast.path_of(r))
                            .is_some_and(|r| r.contains("Response"))
            }
        }
    }

    /// `for r in rows: out.append(..)`: the accumulator holds every row after the loop.
    fn accumulate(&mut self, lp: NodeId) {
        let ast = self.ast;
        for id in ast.subtree(lp) {
            let Some(c) = ast.call(id) else { continue };
            if !ast
                .callee_name(c)
                .is_some_and(|n| ACCUMULATE_METHODS.contains(&n))
            {
                continue;
            }
            if let Some(Kind::Name(acc)) = ast.receiver(c).map(|r| ast.kind(r)) {
                self.seed(acc.clone(), lp);
            }
        }
    }

    /// A `return`/tail value of the function that contains it.
    fn returned(&mut self, at: NodeId, value: NodeId) {
        let ast = self.ast;
        let owner = if matches!(ast.kind(at), Kind::Function(_)) {
            Some(at)
        } else {
            ast.enclosing_function(at)
        };
        let Some(owner) = owner else { return };
        if owner == self.func {
            self.sink(Sink::Return(if at == owner { value } else { at }));
            return;
        }
        // `web::block(move || query.load(conn))`: the closure's value is the call's value
        if let Some(call) = ast.parent(owner).filter(|&c| {
            ast.call(c).is_some_and(|c| {
                c.args.iter().any(|a| a.value == owner)
                    && ast
                        .callee_name(c)
                        .is_some_and(|n| OFFLOAD_CALLS.contains(&n))
            })
        }) {
            self.work.push(call);
        }
    }

    fn assigned(&mut self, assign: NodeId, target: NodeId) {
        let ast = self.ast;
        match ast.kind(target) {
            Kind::Name(n) => self.seed(n.clone(), assign),
            // `const [rows] = await conn.query(..)`, `items, total = ...`: the first element
            Kind::Array(items) => {
                if let Some(Kind::Name(n)) = items.first().map(|&i| ast.kind(i)) {
                    self.seed(n.clone(), assign);
                }
            }
            // `const { rows } = await pool.query(..)`, `const { data: users } = ..`
            Kind::Object { entries, .. } => {
                for e in entries {
                    if let Kind::Name(n) = ast.kind(e.value) {
                        if e.key.as_deref().is_some_and(|k| {
                            KEEP_ALL_PROPERTIES.contains(&k) || k == n && entries.len() == 1
                        }) {
                            self.seed(n.clone(), assign);
                        }
                    }
                }
            }
            // Koa `ctx.body = rows`
            Kind::Member { property, .. } if property == "body" => {
                self.sink(Sink::Response(assign));
            }
            _ => {}
        }
    }

    /// Every later use of `name` after `anchor`, up to its next plain reassignment (whose
    /// value still counts as a use: `qs = qs.filter(..)`).
    fn seed(&mut self, name: String, anchor: NodeId) {
        let ast = self.ast;
        if !self.names.insert((name.clone(), anchor)) {
            return;
        }
        let scope = ast.enclosing_function(anchor).unwrap_or(0);
        let mut limit = ast.node(scope).end;
        let from = ast.node(anchor).end;
        // the names spelt `name` after the anchor; a plain assignment to one (its target)
        // ends the search after that assignment
        for &id in ast.names_in(&name, scope) {
            if id < from {
                continue;
            }
            if id >= limit {
                break;
            }
            let reassigned = ast.parent(id).filter(|&p| {
                p >= from
                    && matches!(ast.kind(p), Kind::Assign { target, augmented: false, .. } if *target == id)
            });
            match reassigned {
                Some(p) => limit = ast.node(p).end,
                None => self.work.push(id),
            }
        }
    }
}

/// A Django/DRF class-based list view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListView {
    /// DRF generic list view or viewset: paginated by `pagination_class` or the project's
    /// `DEFAULT_PAGINATION_CLASS`.
    Drf,
    /// Django `ListView`: paginated by `paginate_by`.
    Django,
}

/// How a class-based list view is paginated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewPagination {
    /// Set on the class or a base (`pagination_class = X`, `paginate_by = 25`).
    Set,
    /// Explicitly turned off (`pagination_class = None`).
    Off,
    /// Not set: DRF falls back to `DEFAULT_PAGINATION_CLASS`.
    Default,
}

/// Whether `class` is a list view, looking through base classes defined in the same file.
pub fn list_view(ast: &Ast, class: NodeId) -> Option<ListView> {
    list_view_depth(ast, class, 0)
}

fn list_view_depth(ast: &Ast, class: NodeId, depth: u8) -> Option<ListView> {
    let Kind::Class(c) = ast.kind(class) else {
        return None;
    };
    if depth > 5 {
        return None;
    }
    for b in &c.bases {
        let last = last_segment(b);
        if DRF_LIST_BASES.contains(&last) {
            return Some(ListView::Drf);
        }
        if DJANGO_LIST_BASES.contains(&last) {
            return Some(ListView::Django);
        }
        if let Some(local) = class_named(ast, b) {
            if let Some(k) = list_view_depth(ast, local, depth + 1) {
                return Some(k);
            }
        }
    }
    None
}

/// A module-level class of this file by name.
pub fn class_named(ast: &Ast, name: &str) -> Option<NodeId> {
    ast.children(0)
        .find(|&id| matches!(ast.kind(id), Kind::Class(c) if c.name == name))
}

/// The value of a class attribute (`pagination_class = ...`) on the class or a same-file base.
pub fn class_attr(ast: &Ast, class: NodeId, attr: &str) -> Option<(NodeId, NodeId)> {
    class_attr_depth(ast, class, attr, 0)
}

fn class_attr_depth(ast: &Ast, class: NodeId, attr: &str, depth: u8) -> Option<(NodeId, NodeId)> {
    let Kind::Class(c) = ast.kind(class) else {
        return None;
    };
    if depth > 5 {
        return None;
    }
    for &s in &c.body {
        if let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = ast.kind(s)
        {
            if matches!(ast.kind(*target), Kind::Name(n) if n == attr) {
                return Some((s, *v));
            }
        }
    }
    c.bases
        .iter()
        .find_map(|b| class_named(ast, b).and_then(|l| class_attr_depth(ast, l, attr, depth + 1)))
}

/// A method defined on the class or a same-file base.
pub fn class_method(ast: &Ast, class: NodeId, name: &str) -> Option<NodeId> {
    class_method_depth(ast, class, name, 0)
}

fn class_method_depth(ast: &Ast, class: NodeId, name: &str, depth: u8) -> Option<NodeId> {
    let Kind::Class(c) = ast.kind(class) else {
        return None;
    };
    if depth > 5 {
        return None;
    }
    c.body
        .iter()
        .copied()
        .find(|&s| {
            ast.function(s)
                .is_some_and(|f| f.name.as_deref() == Some(name))
        })
        .or_else(|| {
            c.bases.iter().find_map(|b| {
                class_named(ast, b).and_then(|l| class_method_depth(ast, l, name, depth + 1))
            })
        })
}

/// How a list view is paginated.
pub fn view_pagination(ast: &Ast, class: NodeId, kind: ListView) -> ViewPagination {
    let attr = match kind {
        ListView::Drf => "pagination_class",
        ListView::Django => "paginate_by",
    };
    // a pagination mixin among the bases (`class X(PaginatedMixin, ModelViewSet)`)
    if let Kind::Class(c) = ast.kind(class) {
        if c.bases.iter().any(|b| b.contains("Paginat")) {
            return ViewPagination::Set;
        }
    }
    match class_attr(ast, class, attr) {
        Some((_, v)) if matches!(ast.kind(v), Kind::Null) => ViewPagination::Off,
        Some(_) => ViewPagination::Set,
        None if kind == ListView::Drf => ViewPagination::Default,
        None => ViewPagination::Off,
    }
}

/// A call inside an HTTP handler whose result the handler sends to the client as it is
/// (`return this.usersService.findAll()`), for `unbounded-query` across files.
#[derive(Clone, Debug)]
pub struct ReturnedCall {
    /// The called function or method: `findAll`.
    pub name: String,
    /// The module the callee was imported from (`app.crud`, `../services/users`, `crate::db`).
    pub module: Option<String>,
    /// The receiver of a method call (`this.usersService`), or `class:Name` for `self.m()`.
    pub receiver: Option<String>,
    pub span: Span,
    /// The handler, as messages name it (`UsersController.findAll`).
    pub handler: String,
}

/// Calls inside HTTP handlers whose result the handler sends to the client as it is (every
/// element): `return this.usersService.findAll()`, `rows = crud.get_orders(db); return rows`,
/// `let users = db::list_users(&pool).await?; Ok(Json(users))`. The project index matches them
/// with the functions that return an unbounded query.
pub fn returned_calls(
    ast: &Ast,
    imports: &Imports,
    handlers: &HashMap<NodeId, &'static str>,
) -> Vec<ReturnedCall> {
    let mut out = Vec::new();
    let mut handlers: Vec<NodeId> = handlers.keys().copied().collect();
    handlers.sort_unstable();
    for h in handlers {
        let handler_name = handler_display(ast, h);
        for id in ast.subtree(h) {
            let Some(c) = ast.call(id) else { continue };
            if c.is_macro || c.is_new {
                continue;
            }
            let Some(name) = ast.callee_name(c) else {
                continue;
            };
            // only the outermost call of a chain is the helper's result
            if ast.parent(id).is_some_and(
                |p| matches!(ast.kind(p), Kind::Member { object, .. } if *object == id),
            ) {
                continue;
            }
            let Some(path) = ast.path_of(c.callee) else {
                continue;
            };
            let head = path.split(['.', ':']).next().unwrap_or(&path);
            if [
                "res", "req", "request", "reply", "ctx", "JSON", "console", "Object", "Math",
            ]
            .contains(&head)
            {
                continue;
            }
            if flow(ast, imports, id, h).is_none() {
                continue;
            }
            let sep = ast.lang.path_sep();
            let qualified = imports.qualify_path(&path);
            let imported = imports.get(head).is_some() && head != "self" && head != "this";
            let (module, receiver) = if imported || path.starts_with("crate::") {
                let module = qualified
                    .rsplit_once(sep)
                    .or_else(|| qualified.rsplit_once('.'))
                    .map(|(m, _)| m.to_string());
                (module, None)
            } else if ast.receiver(c).is_some() {
                let recv = path
                    .rsplit_once('.')
                    .map(|(r, _)| r.to_string())
                    .unwrap_or_default();
                if recv == "self" || recv == "this" {
                    // a method of the handler's own class
                    let class = ast.ancestors(h).find_map(|a| match ast.kind(a) {
                        Kind::Class(k) => Some(k.name.clone()),
                        _ => None,
                    });
                    match class {
                        Some(k) => (None, Some(format!("class:{k}"))),
                        None => continue,
                    }
                } else if let Some(t) = receiver_type(ast, h, id, &recv) {
                    (None, Some(format!("type:{t}")))
                } else {
                    (None, Some(recv))
                }
            } else if path.contains("::") {
                (path.rsplit_once("::").map(|(m, _)| m.to_string()), None)
            } else {
                (None, None)
            };
            // builtins and framework calls (`list(..)`, `.map(..)`, `Json(..)`) unless the
            // callee is known to be a project function (imported, or a method of a known type)
            let resolved = module.is_some()
                || receiver
                    .as_deref()
                    .is_some_and(|r| r.starts_with("type:") || r.starts_with("class:"));
            if !resolved && is_known_name(name) {
                continue;
            }
            out.push(ReturnedCall {
                name: name.to_string(),
                module,
                receiver,
                span: ast.span(id),
                handler: handler_name.clone(),
            });
        }
    }
    out
}

/// The type of a receiver when the handler shows it: a local built from a constructor
/// (`let repo = TaskRepo { db }`, `repo = OrderRepository(session)`, `new UsersService()`), a
/// typed parameter (`repo: OrderRepo = Depends(..)`), or a constructor-injected field
/// (`constructor(private readonly users: UsersService)` for `this.users`).
fn receiver_type(ast: &Ast, h: NodeId, at: NodeId, recv: &str) -> Option<String> {
    fn type_name(t: &str) -> Option<String> {
        let t = t.trim_start_matches('&').trim_start_matches("mut ");
        let t = t.split('<').next().unwrap_or(t).trim();
        let last = last_segment(t);
        last.chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
            .then(|| last.to_string())
    }
    let params_type = |f: NodeId, name: &str| {
        ast.function(f).and_then(|f| {
            f.params
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.ty.as_deref())
                .and_then(type_name)
        })
    };
    if let Some(field) = recv
        .strip_prefix("this.")
        .or_else(|| recv.strip_prefix("self."))
    {
        let class = ast
            .ancestors(h)
            .find(|&a| matches!(ast.kind(a), Kind::Class(_)))?;
        let Kind::Class(c) = ast.kind(class) else {
            return None;
        };
        let ctor = c.body.iter().copied().find(|&s| {
            ast.function(s)
                .is_some_and(|f| matches!(f.name.as_deref(), Some("constructor" | "__init__")))
        })?;
        return params_type(ctor, field);
    }
    if recv.contains(['.', ':']) {
        return None;
    }
    if let Some(t) = params_type(h, recv) {
        return Some(t);
    }
    let value = ast
        .subtree(h)
        .take_while(|&id| id < at)
        .filter_map(|id| match ast.kind(id) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if matches!(ast.kind(*target), Kind::Name(n) if n == recv) => Some(*v),
            _ => None,
        })
        .last()?;
    match ast.kind(ast.unwrap_expr(value)) {
        Kind::Object { ty: Some(t), .. } => type_name(t),
        Kind::Call(c) => {
            let path = ast.path_of(c.callee)?;
            // `TaskRepo::new(..)`, `OrderRepository(session)`, `new UsersService(..)`
            let ty = match path.rsplit_once("::") {
                Some((ty, _)) => ty.to_string(),
                None => path,
            };
            type_name(&ty)
        }
        _ => None,
    }
}

/// Names the flow tables already explain (wrappers, responses, paginators, iterator methods):
/// never a project helper worth resolving.
fn is_known_name(name: &str) -> bool {
    KEEP_ALL_METHODS.contains(&name)
        || KEEP_ALL_FUNCTIONS.contains(&name)
        || PAGINATORS.contains(&name)
        || RESPONSE_FUNCTIONS_PY.contains(&name)
        || RESPONSE_METHODS_TS.contains(&name)
        || OFFLOAD_CALLS.contains(&name)
        || ["Json", "len", "str", "int", "get", "set", "then", "await"].contains(&name)
}

/// `OrdersController.list`, `list_orders`: how a handler is named in messages.
pub fn handler_display(ast: &Ast, h: NodeId) -> String {
    let name = ast
        .function(h)
        .and_then(|f| f.name.clone())
        .or_else(|| http::assigned_name(ast, h));
    let class = ast.ancestors(h).find_map(|a| match ast.kind(a) {
        Kind::Class(c) => Some(c.name.clone()),
        _ => None,
    });
    match (class, name) {
        (Some(c), Some(n)) => format!("{c}.{n}"),
        (None, Some(n)) => n,
        (_, None) => {
            // `router.get("/users", async (req, res) => ..)`: the route
            let route = ast.parent(h).and_then(|p| ast.call(p)).and_then(|c| {
                let m = ast.callee_name(c)?;
                let path = ast.positional(c).next().and_then(|a| ast.plain_str(a))?;
                Some(format!("{} {path}", m.to_ascii_uppercase()))
            });
            route.unwrap_or_else(|| "the handler".to_string())
        }
    }
}

/// Whether a receiver name used in a handler (`this.usersService`, `self.repo`, `orders_repo`)
/// plausibly names an instance of `class` (`UsersService`, `OrderRepository`).
pub fn receiver_names_class(receiver: &str, class: &str) -> bool {
    fn stem(s: &str) -> String {
        let mut s = s
            .trim_start_matches('_')
            .to_ascii_lowercase()
            .replace('_', "");
        for suffix in [
            "repository",
            "service",
            "repo",
            "dao",
            "store",
            "manager",
            "client",
            "gateway",
            "provider",
            "queries",
            "query",
            "crud",
            "db",
        ] {
            if let Some(t) = s.strip_suffix(suffix) {
                s = t.to_string();
                break;
            }
        }
        s.trim_end_matches('s').to_string()
    }
    let r = stem(last_segment(receiver));
    let c = stem(class);
    !r.is_empty() && r == c
}

/// The paginator to name in the help, per ORM or client.
pub fn help(orm: &str, lang: Lang) -> &'static str {
    match orm {
        "Django ORM" => "paginate the queryset: `Paginator(qs, 50).get_page(request.GET.get(\"page\"))`, a slice (`qs[:50]`), or in DRF `pagination_class = PageNumberPagination`",
        "SQLAlchemy" => "bound the query: `.limit(n).offset(m)` (`select(X).limit(n)`), or Flask-SQLAlchemy `.paginate(page=page, per_page=50)`",
        "Peewee/Tortoise" => "bound the query: `.paginate(page, 50)` (Peewee) or `.limit(n).offset(m)` (Tortoise, Peewee)",
        "Prisma" => "pass `take` (with `skip`, or `cursor` for keyset pagination) to `findMany`",
        "TypeORM" => "pass `take`/`skip` to `find` (`.take()`/`.skip()` on a query builder)",
        "Sequelize" => "pass `limit`/`offset` to `findAll`",
        "Mongoose" => "add `.limit(n).skip(m)` (or a range on `_id` for keyset pagination)",
        "Knex" | "Drizzle" => "add `.limit(n).offset(m)` (or a `where id > cursor` keyset)",
        "sqlx" => "add `LIMIT $1 OFFSET $2` (or keyset `WHERE id > $1 ORDER BY id LIMIT $2`) and bind the page size",
        "diesel" => "add `.limit(n).offset(m)` to the query",
        "SeaORM" => "paginate: `.paginate(db, 50).fetch_page(page)` (or `.limit(n).offset(m)`)",
        _ => match lang {
            Lang::Python => "add `LIMIT %s OFFSET %s` (or keyset `WHERE id > %s ORDER BY id LIMIT %s`) and pass the page size",
            Lang::TypeScript => "add `LIMIT $1 OFFSET $2` (or keyset `WHERE id > $1 ORDER BY id LIMIT $2`) and pass the page size",
            Lang::Rust => "add `LIMIT $1 OFFSET $2` (or keyset `WHERE id > $1 ORDER BY id LIMIT $2`) and bind the page size",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_bounds() {
        assert!(unbounded_select("SELECT ID, NAME FROM USERS ORDER BY ID"));
        assert!(unbounded_select("SELECT * FROM ORDERS WHERE USER_ID = $1"));
        assert!(!unbounded_select(
            "SELECT * FROM ORDERS WHERE USER_ID = $1 LIMIT $2"
        ));
        assert!(!unbounded_select("SELECT COUNT(*) FROM ORDERS"));
        assert!(!unbounded_select(
            "SELECT COUNT(*) AS N, SUM(TOTAL) FROM ORDERS"
        ));
        assert!(!unbounded_select(
            "SELECT STATUS, COUNT(*) FROM ORDERS GROUP BY STATUS"
        ));
        assert!(!unbounded_select("SELECT * FROM USERS WHERE ID = $1"));
        assert!(!unbounded_select("SELECT * FROM USERS U WHERE U.ID = ?"));
        assert!(!unbounded_select("SELECT * FROM USERS WHERE ID = ANY($1)"));
        assert!(!unbounded_select("INSERT INTO USERS (A) VALUES ($1)"));
        assert!(!unbounded_select("SELECT NOW()"));
        assert!(!unbounded_select("SELECT DISTINCT CARRIER FROM SHIPMENTS"));
    }

    #[test]
    fn receivers_name_classes() {
        assert!(receiver_names_class("this.usersService", "UsersService"));
        assert!(receiver_names_class("this.userService", "UsersService"));
        assert!(receiver_names_class("self.order_repo", "OrderRepository"));
        assert!(!receiver_names_class("this.service", "UsersService"));
        assert!(!receiver_names_class("this.cache", "UsersService"));
    }
}
