//! `n-plus-one-query`: a database query runs once per element of a collection.
//!
//! Everything starts from the per-item context of [`loops::per_item_context`] (loop bodies,
//! comprehensions, `.map`/`.forEach`/iterator and stream closures). Inside one, four shapes:
//! 1. a query call ([`orm::query_call`]), unless it is batched (`id__in`, `{ in: ids }`,
//!    `= ANY($1)`) or a related manager served from the iterated queryset's prefetch cache;
//! 2. a call of a project function whose body queries, one level deep: same file through the
//!    file facts, another file through a [`Condition::CalleeQueries`] resolved on the index;
//! 3. a lazy relation read on the loop item (`order.customer` over `Order.objects.all()` with no
//!    `select_related`), where the model's relation fields come from the project's model
//!    classes ([`Condition::LazyRelation`] when the model lives in another file);
//! 4. a per-row write or lazy getter on a loaded row (`order.save()` over a queryset,
//!    Sequelize `order.getCustomer()`).
//!
//! Loops that run at most once (an unconditional `break`/`return`), retry and polling loops,
//! page-by-page fetches in `while` loops, and loops over no collection (hop-by-hop walks,
//! probes, worker rounds) are not per item. What a querying helper does with its queries
//! (batched only, building a lazy queryset, guarded by a parameter the call settles) comes from
//! [`crate::knowledge::helpers`], for helpers of this file and of others alike.

use crate::ast::{Ast, Kind, KindTag, Lang, LoopKind, NodeId, ROOT};
use crate::engine::{Condition, Ctx, Rule};
use crate::knowledge::helpers;
use crate::knowledge::lifecycle;
use crate::knowledge::loops::{self, PerItem};
use crate::knowledge::orm::{self, Query, QueryKind};
use crate::knowledge::relations::EAGER_LOADERS;
use std::collections::HashSet;

pub struct NPlusOneQuery;

impl Rule for NPlusOneQuery {
    fn id(&self) -> &'static str {
        "n-plus-one-query"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Member]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        if cx.is_test_file {
            return;
        }
        match cx.ast.kind(node) {
            Kind::Call(_) => check_call(cx, node),
            Kind::Member { .. } if cx.ast.lang == Lang::Python => check_relation(cx, node),
            _ => {}
        }
    }
}

fn check_call(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    function_reference_callback(cx, node);
    let Some(mut per) = loops::per_item_context(ast, node) else {
        return;
    };
    // a loop over a fixed handful inside a loop over rows: the rows decide
    while per
        .iter
        .is_some_and(|it| literal_tuple(cx, it) || choices(ast, it) || declared_fields(cx, it))
    {
        match loops::per_item_context(ast, per.node) {
            Some(outer) => per = outer,
            None => return,
        }
    }
    // Rust `loop { .. }` is lowered as a `while`; call it what the reader sees
    if ast.lang == Lang::Rust && per.what == "`while` loop" {
        let head = cx.text(per.node).trim_start();
        let head = head
            .strip_prefix('\'')
            .and_then(|h| h.split_once(':').map(|(_, r)| r.trim_start()))
            .unwrap_or(head);
        if head.starts_with("loop") {
            per.what = "`loop`".into();
        }
    }
    // judged once per loop, not again for every call inside it
    let not_per_item = ast.verdict("n+1:not-per-item", per.node, || {
        !per_item(cx, &per) || per_batch(ast, &per) || paging_loop(cx, &per)
    });
    if not_per_item || in_dataloader(ast, node, &per) || runs_once_here(cx, node, &per) {
        return;
    }
    if let Some(q) = cx.facts.query(node).cloned() {
        if !keyless_rounds(cx, node, &per) {
            direct_query(cx, node, &per, &q);
        }
        return;
    }
    if is_inner_chain_call(ast, node) || item_method(cx, node, &per) {
        return;
    }
    helper_call(cx, node, &per);
}

// ---------------------------------------------------------------------------------------------
// Loops that are not "per item"

/// [`is_per_item`], judged once per loop.
fn per_item(cx: &Ctx, per: &PerItem) -> bool {
    cx.ast
        .verdict("n+1:per-item", per.node, || is_per_item(cx, per))
}

/// False for loops that run at most once, retry loops, polling loops and tiny fixed ranges.
fn is_per_item(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    let Kind::Loop(l) = ast.kind(per.node) else {
        // callbacks: `TEAM_ROLES.map(..)` walks a constant list of the program
        return !per.iter.is_some_and(|it| {
            constant_collection(ast, it)
                || in_memory_collection(cx, it, per.node, 0)
                || per_model_list(cx, it, per.node)
        });
    };
    if l.kind == LoopKind::Comprehension {
        return !per
            .iter
            .is_some_and(|it| fixed_collection(cx, it, per.node));
    }
    if runs_once(cx, per) {
        return false;
    }
    if per
        .iter
        .is_some_and(|it| fixed_collection(cx, it, per.node))
    {
        return false;
    }
    let retry = |b: &String| {
        let b = b.to_ascii_lowercase();
        ["attempt", "retry", "retries", "tries", "backoff"]
            .iter()
            .any(|r| b.contains(r))
    };
    if per.bindings.iter().any(retry) {
        return false;
    }
    // TS `for (let i = 0; i < 3; i++)`
    if l.kind == LoopKind::For && per.iter.is_none() {
        let small = ast.children(per.node).any(|c| match ast.kind(c) {
            Kind::Binary { rhs, .. } => small_count(ast, *rhs),
            _ => false,
        });
        if small {
            return false;
        }
    }
    if l.kind == LoopKind::While && loops::consumes_messages(ast, per.node) {
        return false; // a worker loop: one message at a time, as it arrives
    }
    if l.kind == LoopKind::While && per.bindings.is_empty() && loops::pauses(ast, per.node) {
        return false; // polling and retry loops: they wait between rounds
    }
    true
}

/// `model._meta.get_fields()`, `serializer_class._declared_fields.items()`,
/// `Model.model_fields`: the fields a class declares, written in the code, not rows; likewise
/// the model classes of an app registry (`app_config.get_models()`).
fn declared_fields(cx: &Ctx, it: NodeId) -> bool {
    if cx.ast.lang != Lang::Python {
        return false;
    }
    let t: String = cx.text(it).split_whitespace().collect();
    let t = t.replace("()", "");
    if t.contains(['(', '[', '{']) {
        return false; // a query or a computation over the metadata
    }
    let segs: Vec<&str> = t.split('.').collect();
    segs.iter().any(|s| {
        matches!(
            *s,
            "_meta"
                | "_declared_fields"
                | "declared_fields"
                | "model_fields"
                | "__fields__"
                | "get_models"
        )
    }) || t.contains("Meta.fields")
}

/// `for code in SUPPORTED_CURRENCIES`, `TABLES.iter()`: a constant list of the program.
fn constant_collection(ast: &Ast, it: NodeId) -> bool {
    let mut it = ast.unwrap_expr(it);
    if let Some(c) = ast.call(it) {
        if c.args.is_empty()
            && matches!(
                ast.callee_name(c),
                Some("iter" | "into_iter" | "items" | "values" | "keys")
            )
        {
            match ast.receiver(c) {
                Some(r) => it = ast.unwrap_expr(r),
                None => return false,
            }
        }
    }
    ast.path_of(it).is_some_and(|p| {
        let last = p.rsplit(['.', ':']).next().unwrap_or(&p);
        last.len() > 1
            && last.chars().any(|c| c.is_ascii_uppercase())
            && last
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// A handful of fixed values, not rows: `range(3)`, `CURRENCIES`, a variable holding a literal.
fn fixed_collection(cx: &Ctx, it: NodeId, before: NodeId) -> bool {
    small_range(cx, it)
        || constant_collection(cx.ast, it)
        || declared_fields(cx, it)
        || literal_variable(cx.ast, it, before)
        || literal_tuple(cx, it)
        || choices(cx.ast, it)
        || in_memory_collection(cx, it, before, 0)
        || per_model_list(cx, it, before)
}

/// `for ip in (device.primary_ip4, device.primary_ip6)`: a literal handful of values, whatever
/// they are.
fn literal_tuple(cx: &Ctx, it: NodeId) -> bool {
    let ast = cx.ast;
    // `[...owners, ...members]`, `[*a, *b]` splice whole collections in
    let spread = |i: &NodeId| {
        let t = cx.text(*i).trim_start();
        t.starts_with("...") || t.starts_with('*')
    };
    matches!(ast.kind(ast.unwrap_expr(it)), Kind::Array(items) if items.len() <= 10 && !items.iter().any(spread))
}

/// Django/enum choices: `for leg in FeedLegChoices`, `Status.choices`, `Object.values(Role)`
/// over a `...Choices`/`...Enum` type: the members of a type, not rows.
fn choices(ast: &Ast, it: NodeId) -> bool {
    let mut e = ast.unwrap_expr(it);
    if let Some(c) = ast.call(e) {
        // `Object.values(Role)`, `list(Status)`, `Status.iter()`
        match ast.positional(c).next() {
            Some(a)
                if ast.receiver(c).is_none()
                    || ast
                        .path_of(c.callee)
                        .is_some_and(|p| p.starts_with("Object.")) =>
            {
                e = ast.unwrap_expr(a)
            }
            _ => match ast.receiver(c) {
                Some(r) => e = ast.unwrap_expr(r),
                None => return false,
            },
        }
    }
    ast.path_of(e).is_some_and(|p| {
        let mut segs = p.rsplit(['.', ':']);
        let last = segs.next().unwrap_or(&p);
        let owner = segs.next().unwrap_or("");
        let class = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        last == "choices" && class(owner)
            || class(last) && (last.ends_with("Choices") || last.ends_with("Enum"))
    })
}

/// `const statuses = ['open', 'paid'] as const; for (const s of statuses)`: a variable holding a
/// small literal list.
fn literal_variable(ast: &Ast, it: NodeId, before: NodeId) -> bool {
    let Kind::Name(n) = ast.kind(ast.unwrap_expr(it)) else {
        return false;
    };
    let Some((_, v)) = assigned_value(ast, n, before) else {
        return false;
    };
    let mut v = ast.unwrap_expr(v);
    // `[...] as const`
    if matches!(ast.kind(v), Kind::Other) {
        if let Some(first) = ast.children(v).next() {
            v = first;
        }
    }
    match ast.kind(v) {
        Kind::Array(items) => {
            items.len() <= 10
                && items
                    .iter()
                    .all(|&i| matches!(ast.kind(i), Kind::Str(_) | Kind::Number(_) | Kind::Bool(_)))
        }
        _ => false,
    }
}

/// `range(3)`, `range(1, 5)`: a fixed handful of rounds.
fn small_range(cx: &Ctx, it: NodeId) -> bool {
    let ast = cx.ast;
    let Some(c) = ast.call(ast.unwrap_expr(it)) else {
        return false;
    };
    ast.path_of(c.callee).as_deref() == Some("range")
        && !c.args.is_empty()
        && c.args.iter().all(|a| small_count(ast, a.value))
}

/// A whole number literal from 0 to 10.
fn small_count(ast: &Ast, id: NodeId) -> bool {
    matches!(ast.kind(id), Kind::Number(Some(n)) if n.fract() == 0.0 && (0.0..=10.0).contains(n))
}

/// The loop body ends every round with a `break` or `return` at its top level.
fn runs_once(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    let Kind::Loop(l) = ast.kind(per.node) else {
        return false;
    };
    l.body
        .iter()
        .any(|&s| matches!(ast.kind(s), Kind::Return(_) | Kind::Break(_)))
}

// ---------------------------------------------------------------------------------------------
// 1. A query call inside the loop

fn direct_query(cx: &mut Ctx, node: NodeId, per: &PerItem, q: &Query) {
    let ast = cx.ast;
    if q.batched || prefetched_manager(cx, node, per, q) || page_fetch(cx, node, per, q) {
        return;
    }
    if empty_queryset(ast, node) {
        return; // `.none()` never reaches the database
    }
    if q.sql.is_some_and(|s| admin_statement(cx, s)) {
        return; // `DROP TABLE`, `KILL`: one object per statement, no set form
    }
    if orm::is_upsert_display(&q.display) {
        // one upsert per row with its own values: most ORMs have no multi-row upsert, and
        // where one exists the rewrite is a judgement the code cannot settle
        return;
    }
    if not_a_query(cx, node, per)
        || bulk_call(ast, node, per)
        || leaves_loop(cx, node, per)
        || memoised(cx, node, per)
        || cache_checked(cx, node, per.node, Some(per))
        || per_model(ast, node, per)
        || per_content_type(cx, node, per, q)
        || per_table_sql(cx, per, q)
        || created_when_missing(cx, node, per, q)
        || lazy_unevaluated(cx, node, per, q)
        || dependent_hop(ast, node, per)
        || locked_per_item(cx, node, per)
        || per_group(cx, node, per)
        || batch_job(cx, per)
        || misses_of_batch(cx, node, per)
        || window_write(cx, node, per, q)
    {
        return;
    }
    // a step of the item's own work on another system: that work sets the loop's cost
    let beside = beside_external_work(cx, node, per.node, Some(per));
    if matches!(beside, Beside::Yes) {
        return;
    }
    let binding = pick_binding(ast, per, node);
    let message = match &binding {
        Some(b) => format!("`{}` runs once per `{b}` in this {}", q.display, per.what),
        None => format!(
            "`{}` runs on every iteration of this {}",
            q.display, per.what
        ),
    };
    // `client\n    .query_one(..)`: point at the method; a longer chain starts where it is built
    let span = if cx.ast.call_chain(node).len() == 1 {
        cx.call_site(node)
    } else {
        cx.first_line(node)
    };
    let mut f = cx
        .finding(span, message)
        .help(query_help(q.orm, q.kind))
        .label(per.span, loop_label(cx, per));
    if let Some(rel) = related_manager(ast, node, q) {
        match per.iter.and_then(|it| trace_source(cx, it, per.node, 0)) {
            // the iterated query is in sight: a nested prefetch path on it may cover the relation
            Some(src) => {
                let names = crate::knowledge::relations::eager_names_in(ast, ast.subtree(src.node));
                if names.contains(&rel) {
                    return;
                }
                // rows that are themselves a relation of an outside object
                // (`customer.orders.all()`): the caller's prefetch may reach them
                if related_manager(ast, src.node, &src.query).is_some() {
                    f = f.condition(Condition::UnlessPrefetched(rel));
                }
            }
            // rows from elsewhere: a caller may have prefetched the relation
            None => f = f.condition(Condition::UnlessPrefetched(rel)),
        }
    }
    if let Beside::Unless(callees) = beside {
        f = also(f, Condition::UnlessExternalWork(callees));
    }
    cx.emit(f);
}

/// A write over a window the round's value bounds on both sides (`date >= :week AND date <
/// :week + INTERVAL '7 days'`, `filter(day__gte=start, day__lt=start + step).delete()`): each
/// round rewrites one slice of rows, a chunked pass like a batched `DELETE … LIMIT`. A window
/// read (a count per day) is still reported: one grouped query answers it.
fn window_write(cx: &Ctx, node: NodeId, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    let sql = q.sql.map(|s| cx.text(s)).unwrap_or("");
    let write = match q.kind {
        QueryKind::Write => true,
        QueryKind::Raw => {
            let head = sql.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
            let head = head.get(..6).unwrap_or("").to_ascii_uppercase();
            matches!(head.as_str(), "DELETE" | "UPDATE" | "INSERT")
        }
        _ => false,
    };
    if !write {
        return false;
    }
    let text = cx.text(node);
    if per
        .bindings
        .iter()
        .any(|b| two_sided(text, b) || two_sided(sql, b))
    {
        return true;
    }
    // `ts >= $1 AND ts < $1 + interval '1 day'` with `.bind(day)` or `[day]`
    let Some(call) = ast.call(node) else {
        return false;
    };
    let binds: Vec<NodeId> = ast
        .call_chain(node)
        .iter()
        .filter_map(|&c| ast.call(c))
        .filter(|c| ast.callee_name(c) == Some("bind"))
        .filter_map(|c| ast.positional(c).next())
        .collect();
    let array: Vec<NodeId> = call
        .args
        .iter()
        .find_map(|a| match ast.kind(ast.unwrap_expr(a.value)) {
            Kind::Array(items) => Some(items.clone()),
            _ => None,
        })
        .unwrap_or_default();
    (1..=9).any(|n| {
        let given = if binds.is_empty() { &array } else { &binds };
        two_sided(sql, &format!("${n}"))
            && given.get(n - 1).is_some_and(|&v| {
                matches!(ast.kind(ast.unwrap_expr(v)), Kind::Name(x) if per.bindings.contains(x))
            })
    })
}

/// `token` (a name or a `$1` placeholder) is compared as a lower bound (`>=`, `__gte=`, `gte:`,
/// `BETWEEN`) and as an upper bound (`<`, `__lt=`, `lt:`, `.. AND`) in `text`, as itself, not
/// as a field (`token.start`).
fn two_sided(text: &str, token: &str) -> bool {
    if token.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let (mut lower, mut upper) = (false, false);
    for (i, _) in text.match_indices(token) {
        let after = text[i + token.len()..].chars().next();
        let before = text[..i].chars().next_back();
        if word(after) || word(before) || after == Some('.') {
            continue; // part of another name, or a field of the item
        }
        let lead = text[..i]
            .trim_end_matches([':', '$', '{', '(', '%', '@', ' '])
            .to_ascii_lowercase();
        if lead.ends_with("=>") || lead.ends_with("->") {
            continue; // an arrow, not a comparison
        }
        if [">=", ">", "__gte=", "__gt=", "gte:", "gt:", "between"]
            .iter()
            .any(|m| lead.ends_with(m))
        {
            lower = true;
        } else if ["<=", "<", "__lte=", "__lt=", "lte:", "lt:", " and"]
            .iter()
            .any(|m| lead.ends_with(m))
        {
            upper = true;
        }
    }
    lower && upper
}

/// The SQL text is a schema or server command (`DROP TABLE ..`, `KILL ..`), written as a plain,
/// interpolated or template string.
fn admin_statement(cx: &Ctx, sql: NodeId) -> bool {
    let text = match cx.ast.kind(cx.ast.unwrap_expr(sql)) {
        Kind::Str(s) => s.value.as_str(),
        // `&format!("DROP TABLE {name}")`: from the first string literal on
        _ => {
            let t = cx.text(sql);
            t.find(['"', '\'', '`']).map_or(t, |i| &t[i + 1..])
        }
    };
    crate::knowledge::sql::is_admin_statement(text)
}

/// `line.variant.stocks.all()`: a related manager read on a row (Django `all`/`count`/
/// `exists`, which a `prefetch_related` cache serves). Returns the relation name.
fn related_manager(ast: &Ast, node: NodeId, q: &Query) -> Option<String> {
    if q.orm != "Django ORM" || ast.call_chain(node).len() != 1 {
        return None;
    }
    let call = ast.call(node)?;
    if !matches!(ast.callee_name(call), Some("all" | "count" | "exists")) {
        return None;
    }
    let Kind::Member { object, property } = ast.kind(ast.receiver(call)?) else {
        return None;
    };
    let root = ast.chain_root(*object);
    let is_class = matches!(ast.kind(root), Kind::Name(n) if is_capitalised(n));
    (!is_class
        && !matches!(
            property.as_str(),
            "objects" | "_default_manager" | "_base_manager"
        ))
    .then(|| property.clone())
}

/// Calls that read like queries but are not: `get` on a dict the function built
/// (`objects = {o.id: o for o in qs}; objects.get(key)`), and HTTP calls (`session.get(url,
/// headers=.., timeout=..)`).
fn not_a_query(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    if ast.call(node).is_none() {
        return false;
    }
    // `session.get(url, timeout=3).json()`: the options may sit on any call of the chain
    let http = ast.call_chain(node).iter().any(|&c| {
        ast.call(c).is_some_and(|c| {
            c.args.iter().any(|a| {
                matches!(
                    a.name.as_deref(),
                    Some(
                        "headers"
                            | "timeout"
                            | "params"
                            | "verify"
                            | "allow_redirects"
                            | "auth"
                            | "cookies"
                    )
                )
            })
        })
    });
    if http {
        return true;
    }
    let root = ast.chain_root(node);
    let Kind::Name(n) = ast.kind(root) else {
        return false;
    };
    assigned_value(ast, n, per.node).is_some_and(|(_, v)| {
        let v = ast.unwrap_expr(v);
        match ast.kind(v) {
            Kind::Object { ty: None, .. } => true,
            Kind::Loop(l) => {
                l.kind == LoopKind::Comprehension && cx.text(v).trim_start().starts_with('{')
            }
            Kind::Call(c) => matches!(ast.callee_name(c), Some("dict" | "in_bulk" | "defaultdict")),
            _ => false,
        }
    })
}

/// `memo[key] = value`, `memo.set(key, value)`, `memo.insert(key, value)`: a node that stores
/// one entry in the map `memo` (also one level down a map of maps, `memo[a][b] = value`).
fn fills_map(ast: &Ast, id: NodeId, memo: &str) -> bool {
    match ast.kind(id) {
        Kind::Assign { target, .. } => matches!(
            ast.kind(ast.unwrap_expr(*target)),
            Kind::Index { object, .. } if subscript_path(ast, *object).as_deref() == Some(memo)
        ),
        Kind::Call(c) => {
            matches!(ast.callee_name(c), Some("set" | "insert"))
                && c.args.len() == 2
                && ast
                    .receiver(c)
                    .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                    .as_deref()
                    == Some(memo)
        }
        _ => false,
    }
}

/// The query sits in a branch that ends by leaving the loop (`return`, `raise`, `throw`,
/// `break`, `err!(..)`, `bail!(..)`): a rollback or error path that runs at most once.
fn leaves_loop(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    let exits = |stmts: &[NodeId]| {
        stmts.last().is_some_and(|&l| {
            let t = cx.text(l).trim_start();
            matches!(ast.kind(l), Kind::Return(_) | Kind::Break(_))
                || ["raise", "throw", "err!", "bail!", "panic!"]
                    .iter()
                    .any(|k| t.starts_with(k))
        })
    };
    for a in ast.ancestors(node) {
        if a == per.node {
            return false;
        }
        let found = match ast.kind(a) {
            Kind::If { then, els, .. } => {
                (ast.contains_any(then, node) && exits(then))
                    || (ast.contains_any(els, node) && exits(els))
            }
            Kind::Catch { body, .. } => exits(body),
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// The query fills a memo declared outside the loop and sits under the test that it is still
/// empty: `if default is None: default = load()`, `if (!cached) cached = await load()`,
/// `if key not in seen: seen[key] = load(key)`, `if (!cache.has(k)) cache.set(k, load(k))`.
/// It runs once, or once per distinct key, not once per item.
fn memoised(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    for (c, then) in guards_within(cx, node, per) {
        let Some(memo) = empty_memo(&c) else {
            continue;
        };
        // the branch fills the memo, and the memo outlives the rounds of the loop
        let fills = then.iter().any(|&st| {
            ast.subtree(st).any(|id| {
                fills_map(ast, id, memo)
                    || matches!(ast.kind(id), Kind::Assign { target, .. }
                        if ast.path_of(ast.unwrap_expr(*target)).as_deref() == Some(memo))
            })
        });
        // `item.owner_id`, or a variable set afresh every round, memoises nothing
        let root = memo.split(['.', '[']).next().unwrap_or(memo);
        let per_round = per.bindings.iter().any(|b| b == root)
            || declaration(ast, root, per.node).is_some_and(|d| ast.contains(per.node, d));
        if fills && !per_round {
            return true;
        }
    }
    false
}

/// The query runs only for the items one batched lookup before the loop did not find: `found =
/// {g.name for g in Group.objects.filter(name__in=names)}` then `[Group.objects.create(name=n)
/// for n in names if n not in found]`. Usually none are missing; the lookup is the batching.
fn misses_of_batch(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    if per.iter.is_some_and(|it| {
        ast.verdict("n+1:misses-by-difference", per.node, || {
            misses_by_difference(cx, it, per.node, 0)
        })
    }) {
        return true;
    }
    let normal = |c: NodeId| cx.text(c).split_whitespace().collect::<Vec<_>>().join(" ");
    // comprehension filters, and the `if`s around the query inside the loop
    let mut tests: Vec<String> = Vec::new();
    if let Kind::Loop(l) = ast.kind(per.node) {
        if l.kind == LoopKind::Comprehension {
            tests.extend(
                ast.children(per.node)
                    .filter(|&c| Some(c) != l.iter && !l.body.contains(&c))
                    .filter(|&c| !ast.contains(c, node))
                    .filter(|&c| matches!(ast.kind(c), Kind::Binary { .. } | Kind::Call(_)))
                    .map(normal),
            );
        }
    }
    for a in ast.ancestors(node).take_while(|&a| a != per.node) {
        if let Kind::If { cond, then, .. } = ast.kind(a) {
            if ast.contains_any(then, node) {
                tests.push(normal(*cond));
            }
        }
    }
    tests.iter().any(|t| {
        let Some(found) = empty_memo(t) else {
            return false;
        };
        // `x not in found` reads the key; `found` alone would be an emptiness test
        (t.contains(" not in ") || t.contains(".has(") || t.contains(".contains"))
            && !found.contains('.')
            && assigned_value(ast, found, per.node)
                .is_some_and(|(a, v)| !ast.contains(per.node, a) && from_batched(cx, v, a, 0))
    })
}

/// The loop walks the keys one lookup before it did not find: a set difference `wanted -
/// existing` (`wanted.difference(existing)`) whose `existing` side was read from the database
/// before the loop (`existing = {s.name for s in module.scripts.all()}`) and whose `wanted` side
/// was not (keys the caller or the code names), also through a variable. It runs for the new
/// keys only, and each key is new once. Rows minus rows (`all_users - banned`) are still rows.
fn misses_by_difference(cx: &Ctx, it: NodeId, before: NodeId, depth: u32) -> bool {
    let ast = cx.ast;
    if depth > 2 {
        return false;
    }
    let it = ast.unwrap_expr(it);
    let sides = match ast.kind(it) {
        Kind::Binary {
            op: crate::ast::BinOp::Other,
            lhs,
            rhs,
        } => {
            let (from, to) = (ast.span(*lhs).end as usize, ast.span(*rhs).start as usize);
            let between = cx.file.text.get(from..to).unwrap_or("");
            (between.trim() == "-").then_some((*lhs, *rhs))
        }
        Kind::Call(c) if ast.callee_name(c) == Some("difference") && c.args.len() == 1 => {
            ast.receiver(c).map(|r| (r, c.args[0].value))
        }
        Kind::Name(n) => {
            return assigned_value(ast, n, before)
                .is_some_and(|(a, v)| misses_by_difference(cx, v, a, depth + 1));
        }
        _ => None,
    };
    sides.is_some_and(|(wanted, existing)| {
        read_before(cx, existing, before, 0) && !read_before(cx, wanted, before, 0)
    })
}

/// `value` holds rows a query read before `before`: it contains a query, or a variable some
/// assignment before `before` gave such a value.
fn read_before(cx: &Ctx, value: NodeId, before: NodeId, depth: u32) -> bool {
    let ast = cx.ast;
    if depth > 3 {
        return false;
    }
    let scope = ast.enclosing_function(before).unwrap_or(ROOT);
    ast.subtree(value).any(|i| match ast.kind(i) {
        Kind::Call(_) => cx.facts.query(i).is_some(),
        Kind::Name(n) => ast.assigns_unwrapped(n, scope).iter().any(|&a| {
            a < before
                && matches!(ast.kind(a), Kind::Assign { target, value: Some(v), .. }
                    if matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if t == n)
                        && read_before(cx, *v, a, depth + 1))
        }),
        _ => false,
    })
}

/// `value` comes from a batched query (`filter(name__in=names)`, `{ in: ids }`), directly or
/// through variables set before `before`.
fn from_batched(cx: &Ctx, value: NodeId, before: NodeId, depth: u32) -> bool {
    let ast = cx.ast;
    if depth > 3 {
        return false;
    }
    ast.subtree(value).any(|i| match ast.kind(i) {
        Kind::Call(_) => cx.facts.query(i).is_some_and(|q| q.batched),
        Kind::Name(n) => {
            assigned_value(ast, n, before).is_some_and(|(a, v)| from_batched(cx, v, a, depth + 1))
        }
        _ => false,
    })
}

/// `a.b` or `a.b[key]` as written: a path with at most one subscript by a name.
fn subscript_path(ast: &Ast, id: NodeId) -> Option<String> {
    match ast.kind(ast.unwrap_expr(id)) {
        Kind::Index { object, index } => Some(format!(
            "{}[{}]",
            ast.path_of(ast.unwrap_expr(*object))?,
            ast.path_of(ast.unwrap_expr(*index))?
        )),
        _ => ast.path_of(ast.unwrap_expr(id)),
    }
}

/// The memo a condition tests for emptiness: `x is None`, `not x`, `!x`, `x === undefined`,
/// `x.is_none()`, `key not in seen`, `!seen.has(key)`, `!seen.contains_key(&key)`.
fn empty_memo(cond: &str) -> Option<&str> {
    let c = cond.trim();
    let c = c
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(c);
    let is_path = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '.')
    };
    let single = c
        .strip_suffix(" is None")
        .or_else(|| c.strip_suffix(" === undefined"))
        .or_else(|| c.strip_suffix(" === null"))
        .or_else(|| c.strip_suffix(" == null"))
        .or_else(|| c.strip_suffix(".is_none()"))
        .or_else(|| c.strip_prefix("not "))
        .or_else(|| c.strip_prefix('!'))
        .filter(|x| is_path(x));
    if single.is_some() {
        return single;
    }
    if let Some((_, m)) = c.split_once(" not in ") {
        // `key not in memo[group]`: a map of maps, filled one level down
        let sub = m
            .strip_suffix(']')
            .and_then(|x| x.split_once('['))
            .is_some_and(|(base, key)| is_path(base) && is_path(key));
        return (is_path(m) || sub).then_some(m);
    }
    let inner = c.strip_prefix('!')?;
    let at = inner
        .find(".has(")
        .or_else(|| inner.find(".contains_key("))?;
    let m = &inner[..at];
    (is_path(m) && c.ends_with(')')).then_some(m)
}

/// The query follows a look-up in a memo that leaves early on a hit (`if key in seen:
/// continue`, `if (cache.has(key)) return cache.get(key);`) and the memo is filled with the
/// result: one query per distinct key. The memo must outlive `scope` (the loop, or the helper
/// called once per item): a memo created inside it remembers nothing.
fn cache_checked(cx: &Ctx, node: NodeId, scope: NodeId, per: Option<&PerItem>) -> bool {
    let ast = cx.ast;
    let mut child = node;
    for a in ast.ancestors(node) {
        for (sib, memo) in memo_checks(cx, a).iter() {
            if *sib >= child {
                break;
            }
            let memo = memo.as_str();
            let root = memo.split('.').next().unwrap_or(memo);
            let fresh = per.is_some_and(|p| p.bindings.iter().any(|b| b == root))
                || ast
                    .assigns_unwrapped(root, scope)
                    .iter()
                    .any(|&id| match ast.kind(id) {
                        Kind::Assign { target, .. } => {
                            !matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Index { .. })
                        }
                        _ => false,
                    });
            // a map from key to result; a set of seen keys only skips repeats in the list
            let filled = ast.subtree(scope).any(|id| fills_map(ast, id, memo));
            if filled && !fresh {
                return true;
            }
        }
        if a == scope {
            return false;
        }
        child = a;
    }
    false
}

/// The statements of `block` (in order) that skip the rest when a key is in a memo: an `if`
/// with no `else` testing [`hit_memo`] that returns or continues; with the memo. Found once
/// per block.
fn memo_checks(cx: &Ctx, block: NodeId) -> std::sync::Arc<Vec<(NodeId, String)>> {
    let ast = cx.ast;
    ast.memo("n+1:memo-checks", block, || {
        let mut out = Vec::new();
        for sib in ast.children(block) {
            let Kind::If { cond, then, els } = ast.kind(sib) else {
                continue;
            };
            if !els.is_empty() {
                continue;
            }
            let leaves = then
                .last()
                .is_some_and(|&l| matches!(ast.kind(l), Kind::Return(_) | Kind::Continue));
            let c = cx
                .text(*cond)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let Some(memo) = hit_memo(&c) else {
                continue;
            };
            if leaves {
                out.push((sib, memo.to_string()));
            }
        }
        out
    })
}

/// The memo a condition looks a key up in: `key in seen`, `cache.has(key)`,
/// `cache.contains_key(&key)`.
fn hit_memo(cond: &str) -> Option<&str> {
    let c = cond.trim();
    let is_path = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '.')
    };
    if let Some((k, m)) = c.split_once(" in ") {
        return (!k.ends_with(" not") && is_path(m)).then_some(m);
    }
    let at = c.find(".has(").or_else(|| c.find(".contains_key("))?;
    let m = &c[..at];
    (is_path(m) && c.ends_with(')') && !c.contains("&&") && !c.contains("||")).then_some(m)
}

/// Where `name` is first given a value in the function around `loop_node`.
fn declaration(ast: &Ast, name: &str, loop_node: NodeId) -> Option<NodeId> {
    let f = ast.enclosing_function(loop_node).unwrap_or(ROOT);
    ast.assigns_unwrapped(name, f)
        .iter()
        .copied()
        .find(|&id| match ast.kind(id) {
            Kind::Assign { target, .. } => {
                !matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Index { .. })
            }
            _ => false,
        })
}

/// `Model.objects.bulk_create(rows)`, `prisma.x.createMany({data})`: already batched.
/// A bulk call given the very collection the loop walks rewrites all of it every round: that
/// is reported.
fn bulk_call(ast: &Ast, node: NodeId, per: &PerItem) -> bool {
    let iterated = per.iter.and_then(|it| ast.path_of(ast.unwrap_expr(it)));
    ast.call_chain(node).iter().any(|&c| {
        let Some(call) = ast.call(c) else {
            return false;
        };
        if !ast
            .callee_name(call)
            .is_some_and(|n| orm::BULK_CALLS.contains(&n))
        {
            return false;
        }
        let values: Vec<NodeId> = call
            .args
            .iter()
            .flat_map(|a| {
                let v = ast.unwrap_expr(a.value);
                match ast.kind(v) {
                    Kind::Object { entries, .. } => entries.iter().map(|e| e.value).collect(),
                    _ => vec![v],
                }
            })
            .collect();
        // given the very list the loop walks: everything is rewritten every round
        let whole = iterated.is_some()
            && values
                .iter()
                .any(|&v| ast.path_of(ast.unwrap_expr(v)) == iterated);
        // `bulk_create([Item(sku=sku)])`: a one-row list per item is a single insert
        let one_row = values.iter().any(
            |&v| matches!(ast.kind(ast.unwrap_expr(v)), Kind::Array(items) if items.len() <= 1),
        );
        !whole && !one_row
    })
}

/// The loop item is the *model* queried, not a row: `for model in models:
/// model.objects.count()`, `ct.model_class().objects.filter(..)`, `session.query(cls)`,
/// `knex(table)`, `prisma[name]`: one query per model or table, not per row.
fn per_model(ast: &Ast, node: NodeId, per: &PerItem) -> bool {
    let is_binding = |id: NodeId| matches!(ast.kind(ast.unwrap_expr(id)), Kind::Name(n) if per.bindings.contains(n));
    // a variable set in each round (`model = ct.model_class()`, `if model := apps.get_model(x)`)
    let set_per_round = |id: NodeId| {
        let Kind::Name(n) = ast.kind(ast.unwrap_expr(id)) else {
            return false;
        };
        ast.assigns_unwrapped(n, per.node).iter().any(|&i| {
            matches!(ast.kind(i), Kind::Assign { target, .. }
                if matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if t == n))
        })
    };
    let root = ast.chain_root(node);
    if is_binding(root) || set_per_round(root) {
        // the first member read on the loop variable: a manager or the model class
        let mut cur = root;
        while let Some(p) = ast.parent(cur) {
            match ast.kind(p) {
                Kind::Member { property, .. } => {
                    return matches!(
                        property.as_str(),
                        "objects" | "_default_manager" | "_base_manager" | "model_class"
                    );
                }
                Kind::Index { object, .. } if *object == cur => cur = p,
                _ => return false,
            }
        }
    }
    ast.call_chain(node).iter().any(|&c| {
        let Some(call) = ast.call(c) else {
            return false;
        };
        // `prisma[model]`, `db.collection(name)`, `session.query(cls)`, `knex(table)`
        let indexed = matches!(ast.kind(call.callee), Kind::Member { object, .. }
            if matches!(ast.kind(*object), Kind::Index { index, .. } if is_binding(*index)));
        let by_name = matches!(
            ast.callee_name(call),
            Some(
                "query"
                    | "select"
                    | "table"
                    | "from"
                    | "collection"
                    | "getRepository"
                    | "model"
                    | "knex"
                    | "db"
            )
        ) && ast.positional(call).next().is_some_and(is_binding);
        indexed || by_name
    })
}

/// A loop over chunks or batches (`for batch in chunked(ids, 500)`, `for chunk in
/// rows.chunks(100)`, `for batch in batches`): one query per batch is the batching.
fn per_batch(ast: &Ast, per: &PerItem) -> bool {
    let batchy = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("chunk") || s.contains("batch")
    };
    let Some(it) = per.iter else { return false };
    let it = ast.unwrap_expr(it);
    // `range(0, total, 500)`: windows of rows, one query per window; `range(batch_count)`:
    // one round per batch
    if let Some(c) = ast.call(it) {
        if ast.path_of(c.callee).as_deref() == Some("range") {
            let counts_batches = c.args.iter().any(|a| {
                ast.subtree(a.value)
                    .any(|i| matches!(ast.kind(i), Kind::Name(n) if batchy(n)))
            });
            if c.args.len() == 3 || counts_batches {
                return true;
            }
        }
    }
    // the iterable is made by a chunking call; iterating *over* a batch is per item
    ast.call_chain(it).iter().any(|&c| {
        ast.call(c)
            .and_then(|c| ast.callee_name(c))
            .is_some_and(batchy)
    })
}

/// Inside a DataLoader's batch function, in a loop over key *groups* (per channel, per type):
/// one query per group is the batching (`def batch_load(self, keys)`, `new DataLoader(async
/// (keys) => ..)`). A loop over the keys themselves is still one query per key.
fn in_dataloader(ast: &Ast, node: NodeId, per: &PerItem) -> bool {
    let over_keys = |f: &crate::ast::Function| {
        let keys = f
            .params
            .iter()
            .find(|p| p.name != "self" && p.name != "cls");
        let mentions = |e: NodeId, k: &str| {
            ast.subtree(e)
                .any(|i| matches!(ast.kind(i), Kind::Name(n) if n == k))
        };
        match (keys, per.iter) {
            (Some(k), Some(it)) => {
                mentions(it, &k.name)
                    // `const ids = [...new Set(keys)]; for (const id of ids)`; not a grouping
                    // (`new Set(keys.map((k) => k.locale))`)
                    || matches!(ast.kind(ast.unwrap_expr(it)), Kind::Name(n)
                        if assigned_value(ast, n, per.node).is_some_and(|(_, v)| {
                            mentions(v, &k.name)
                                && !ast.subtree(v).any(|i| {
                                    matches!(ast.kind(i), Kind::Name(m) if *m == k.name)
                                        && ast.parent(i).is_some_and(|p| matches!(ast.kind(p), Kind::Member { .. }))
                                })
                        }))
            }
            _ => false,
        }
    };
    let batch_fn = |f: &crate::ast::Function| {
        f.name
            .as_deref()
            .is_some_and(|n| orm::DATALOADER_BATCH_FUNCTIONS.contains(&n))
    };
    for a in ast.ancestors(node) {
        match ast.kind(a) {
            Kind::Function(f) if batch_fn(f) => return !over_keys(f),
            Kind::Class(c)
                if c.bases.iter().any(|b| {
                    let b = b.split(['[', '<', '(']).next().unwrap_or(b);
                    b.ends_with("DataLoader") || b.ends_with("BaseLoader")
                }) =>
            {
                return true
            }
            Kind::Call(c)
                if ast
                    .path_of(c.callee)
                    .is_some_and(|p| p.ends_with("DataLoader")) =>
            {
                return ast
                    .ancestors(node)
                    .take_while(|&x| x != a)
                    .filter_map(|x| ast.function(x))
                    .last()
                    .is_none_or(|f| !over_keys(f))
            }
            _ => {}
        }
    }
    false
}

/// Django: a queryset built in the loop but never evaluated there (`Exists(qs)`,
/// `Subquery(qs)`, `q |= Model.objects.filter(..)`, a form field's `queryset=`): Django runs
/// nothing until the queryset is iterated, counted or sliced.
fn lazy_unevaluated(cx: &Ctx, node: NodeId, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    if q.orm != "Django ORM" {
        return false;
    }
    let last = ast
        .call(node)
        .and_then(|c| ast.callee_name(c))
        .unwrap_or("");
    if !matches!(
        last,
        "all"
            | "filter"
            | "exclude"
            | "order_by"
            | "annotate"
            | "alias"
            | "select_related"
            | "prefetch_related"
            | "only"
            | "defer"
            | "distinct"
            | "using"
            | "none"
            | "values"
            | "values_list"
            | "restrict"
    ) {
        return false;
    }
    !evaluated(cx, node, per, 0)
}

/// Whether the value of `expr` is evaluated inside the loop: iterated, passed to `list`/`len`/
/// `bool`..., sliced or indexed, tested, or assigned to a variable that is.
fn evaluated(cx: &Ctx, expr: NodeId, per: &PerItem, depth: u32) -> bool {
    helpers::evaluated(
        cx.ast,
        cx.facts,
        expr,
        helpers::Scope::per_item(per.node),
        depth,
    )
}

/// A dependent hop: the query reads the variable its result is stored in (`node =
/// Node.objects.get(pk=node.parent_id)`): each round needs the previous one, nothing to batch.
fn dependent_hop(ast: &Ast, node: NodeId, per: &PerItem) -> bool {
    // `while (folder?.parentId) { next = await find(folder.parentId); ..; folder = next }`: the
    // query reads a variable the loop itself moves along (not the loop's own binding)
    if let Kind::Loop(l) = ast.kind(per.node) {
        if l.kind == LoopKind::While {
            let reassigned = |n: &str| {
                ast.assigns_unwrapped(n, per.node).iter().any(|&i| {
                    matches!(ast.kind(i), Kind::Assign { target, declared: false, augmented: false, .. }
                        if matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if t == n))
                })
            };
            let reads = ast.subtree(node).any(|i| match ast.kind(i) {
                Kind::Member { object, .. } => {
                    matches!(ast.kind(*object), Kind::Name(n) if reassigned(n))
                }
                _ => false,
            });
            if reads {
                return true;
            }
        }
    }
    let mut cur = node;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *v == cur => {
                let Some(t) = ast.path_of(*target) else {
                    return false;
                };
                // re-reading the loop's own item (`item = Item.objects.get(pk=item.pk)`) is
                // still once per item
                if per.bindings.contains(&t) {
                    return false;
                }
                return ast.subtree(node).any(|i| {
                    ast.path_of(i).is_some_and(|pth| {
                        pth.strip_prefix(t.as_str()).is_some_and(|r| {
                            r.is_empty() || r.starts_with('.') || r.starts_with('[')
                        })
                    }) && matches!(ast.kind(i), Kind::Name(_) | Kind::Member { .. })
                });
            }
            Kind::Await(_) | Kind::Question(_) | Kind::Other => cur = p,
            Kind::Call(c) if c.callee != cur => cur = p,
            Kind::Member { .. } => cur = p,
            _ => return false,
        }
    }
    false
}

/// Each round opens its own transaction and locks the item's row in it (`with
/// transaction.atomic(): Card.objects.select_for_update().get(..)`, `sequelize.transaction(async
/// (t) => User.findByPk(id, { lock: .. }))`): the locking read, and queries keyed by the locked
/// row's values, are the per-item unit of work the code asks for. Batching them would hold
/// every lock in one long transaction.
fn locked_per_item(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    let Some(tx) = ast
        .ancestors(node)
        .take_while(|&a| a != per.node)
        .find(|&a| transaction_block(ast, a))
    else {
        return false;
    };
    if locks_rows(cx, node) {
        return true;
    }
    // variables the transaction assigns from a locking read
    let locked: Vec<&str> = ast
        .subtree(tx)
        .filter_map(|i| match ast.kind(i) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if locks_rows(cx, *v) => match ast.kind(ast.unwrap_expr(*target)) {
                Kind::Name(n) => Some(n.as_str()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    !locked.is_empty()
        && ast.subtree(node).any(|i| match ast.kind(i) {
            Kind::Member { object, .. } => {
                matches!(ast.kind(*object), Kind::Name(n) if locked.contains(&n.as_str()))
            }
            _ => false,
        })
}

/// The loop walks the groups of a dict the function built by grouping items (`groups[key].
/// append(item)`, `groups.get(key).push(item)`) and the call is handed a whole group: one
/// query per group, batched over the group's rows, like a DataLoader looping over key groups.
fn per_group(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    let Some(it) = per.iter else {
        return false;
    };
    // the dict, and the binding that holds one group
    let it = ast.unwrap_expr(it);
    let (dict, group) = match ast.call(it) {
        Some(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            match (name, ast.receiver(c)) {
                ("items" | "entries", Some(r)) if c.args.is_empty() => (r, per.bindings.last()),
                ("values", Some(r)) if c.args.is_empty() => (r, per.bindings.last()),
                ("entries" | "values", _)
                    if ast
                        .path_of(c.callee)
                        .is_some_and(|p| p.starts_with("Object.")) =>
                {
                    match ast.positional(c).next() {
                        Some(a) => (a, per.bindings.last()),
                        None => return false,
                    }
                }
                _ => return false,
            }
        }
        // a `Map` walked as `[key, group]` pairs
        None if per.bindings.len() == 2 => (it, per.bindings.last()),
        None => return false,
    };
    let (Kind::Name(dict), Some(group)) = (ast.kind(ast.unwrap_expr(dict)), group) else {
        return false;
    };
    if per.bindings.len() != 2
        && !matches!(
            ast.call(it).and_then(|c| ast.callee_name(c)),
            Some("values")
        )
    {
        return false; // the binding is the key, not the group
    }
    let handed = ast.call_chain(node).iter().filter_map(|&c| ast.call(c)).any(|c| {
        c.args.iter().any(|a| {
            matches!(ast.kind(ast.unwrap_expr(a.value)), Kind::Name(n) if n == group)
                || matches!(ast.kind(ast.unwrap_expr(a.value)), Kind::Object { entries, .. }
                    if entries.iter().any(|e| matches!(ast.kind(e.value), Kind::Name(n) if n == group)))
        })
    });
    if !handed {
        return false;
    }
    // the function filled the dict one item at a time, under a key
    let scope = ast.enclosing_function(per.node).unwrap_or(ROOT);
    ast.subtree(scope).any(|i| {
        let Some(c) = ast.call(i) else { return false };
        if !matches!(ast.callee_name(c), Some("append" | "push" | "add")) || i > per.node {
            return false;
        }
        let Some(recv) = ast.receiver(c).map(|r| ast.unwrap_expr(r)) else {
            return false;
        };
        let on_dict =
            |e: NodeId| matches!(ast.kind(ast.unwrap_expr(e)), Kind::Name(n) if n == dict);
        match ast.kind(recv) {
            // `groups[key].append(x)`
            Kind::Index { object, .. } => on_dict(*object),
            // `groups.setdefault(key, []).append(x)`, `groups.get(key)!.push(x)`
            Kind::Call(inner) => {
                matches!(ast.callee_name(inner), Some("setdefault" | "get"))
                    && ast.receiver(inner).is_some_and(on_dict)
            }
            Kind::Other => ast.subtree(recv).any(|x| {
                ast.call(x).is_some_and(|inner| {
                    matches!(ast.callee_name(inner), Some("get"))
                        && ast.receiver(inner).is_some_and(on_dict)
                })
            }),
            _ => false,
        }
    })
}

/// A `with` block or a callback that runs in a transaction of its own.
fn transaction_block(ast: &Ast, id: NodeId) -> bool {
    let opens = |call: NodeId| {
        ast.call(ast.unwrap_expr(call))
            .and_then(|c| ast.callee_name(c))
            .is_some_and(|n| orm::TRANSACTION_BLOCKS.contains(&n))
    };
    match ast.kind(id) {
        Kind::With { items, .. } => items
            .iter()
            .any(|&i| ast.subtree(i).any(|n| ast.call(n).is_some() && opens(n))),
        Kind::Function(_) => ast.parent(id).is_some_and(|p| {
            ast.call(p)
                .is_some_and(|c| c.args.iter().any(|a| a.value == id) && opens(p))
        }),
        _ => false,
    }
}

/// The expression reads rows under a lock: `select_for_update()`, `with_for_update()`, a
/// `lock:` option, or `FOR UPDATE` in the SQL.
fn locks_rows(cx: &Ctx, expr: NodeId) -> bool {
    let ast = cx.ast;
    ast.subtree(expr).any(|i| match ast.kind(i) {
        Kind::Call(c) => ast
            .callee_name(c)
            .is_some_and(|n| orm::ROW_LOCK_CALLS.contains(&n)),
        Kind::Object { entries, .. } => entries.iter().any(|e| e.key.as_deref() == Some("lock")),
        Kind::Str(s) => s.value.to_ascii_uppercase().contains("FOR UPDATE"),
        _ => false,
    })
}

/// `c.orders.all()` over `Customer.objects.prefetch_related("orders")`: served from the cache.
fn prefetched_manager(cx: &Ctx, node: NodeId, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    if q.orm != "Django ORM" || ast.call_chain(node).len() != 1 {
        return false;
    }
    let Some(call) = ast.call(node) else {
        return false;
    };
    if !matches!(ast.callee_name(call), Some("all" | "count" | "exists")) {
        return false;
    }
    let Some(recv) = ast.receiver(call) else {
        return false;
    };
    let Kind::Member { object, property } = ast.kind(recv) else {
        return false;
    };
    if !matches!(ast.kind(*object), Kind::Name(n) if per.bindings.contains(n)) {
        return false;
    }
    let Some(it) = per.iter else {
        return false;
    };
    match trace_source(cx, it, per.node, 0) {
        Some(s) => s.eager.covers(property),
        // rows from a selector or `get_queryset()` we cannot see into: often prefetched there
        None => opaque_call(cx, it, per.node, 0),
    }
}

/// The iterable comes from a call that is not a query (a project selector, `get_queryset()`).
fn opaque_call(cx: &Ctx, expr: NodeId, before: NodeId, depth: u32) -> bool {
    let ast = cx.ast;
    if depth > 6 {
        return false;
    }
    let e = ast.unwrap_expr(expr);
    match ast.kind(e) {
        Kind::Index { object, .. } => opaque_call(cx, *object, before, depth + 1),
        Kind::Name(n) => {
            assigned_value(ast, n, before).is_some_and(|(a, v)| opaque_call(cx, v, a, depth + 1))
        }
        Kind::Call(_) => {
            let root = ast.chain_root(e);
            match ast.kind(root) {
                Kind::Name(_) if ast.call(ast.parent(root).unwrap_or(root)).is_none() => {
                    // a chain on a variable: look where the variable comes from
                    opaque_call(cx, root, before, depth + 1)
                }
                _ => cx.facts.query(e).cloned().is_none(),
            }
        }
        _ => false,
    }
}

/// A page of rows fetched per round of a `while` loop (or a loop over page numbers): batching,
/// not N+1.
fn page_fetch(cx: &Ctx, node: NodeId, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    let Kind::Loop(l) = ast.kind(per.node) else {
        return false;
    };
    let counting = per.iter.is_some_and(|it| {
        ast.call(ast.unwrap_expr(it))
            .and_then(|c| ast.path_of(c.callee))
            .is_some_and(|p| matches!(p.as_str(), "range" | "count" | "itertools.count"))
    });
    if !(l.kind == LoopKind::While || counting) {
        return false;
    }
    // the query is the `while` condition itself: a worker draining a queue
    let in_condition = loop_condition(cx, per).is_some_and(|c| ast.contains(c, node));
    let sliced = ast
        .ancestors(node)
        .take(3)
        .any(|a| matches!(ast.kind(a), Kind::Index { .. }));
    let offset = ast.subtree(node).any(|n| match ast.kind(n) {
        Kind::Object { entries, .. } => entries.iter().any(|e| {
            matches!(
                e.key.as_deref(),
                Some("skip" | "offset" | "cursor" | "take" | "limit")
            )
        }),
        Kind::Call(c) => matches!(
            ast.callee_name(c),
            Some("offset" | "limit" | "skip" | "paginate")
        ),
        _ => false,
    });
    // `LIMIT` in the SQL text: a keyset or batch-delete loop working through the table
    let limit_sql = q
        .sql
        .is_some_and(|s| cx.text(s).to_ascii_uppercase().contains("LIMIT"));
    in_condition || q.limited || sliced || offset || limit_sql
}

/// A `while` loop that fetches one page or batch per round (a sliced, limited or `LIMIT`
/// query in its body): everything else it does runs once per page, not per row.
fn paging_loop(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    if !matches!(ast.kind(per.node), Kind::Loop(l) if l.kind == LoopKind::While) {
        return false;
    }
    ast.subtree(per.node).any(|i| {
        cx.facts.query(i).is_some_and(|q| {
            // only queries of this loop, not of a loop nested in it
            loops::per_item_context(ast, i).is_some_and(|p| p.node == per.node)
                && page_fetch(cx, i, per, q)
                && !is_inner_chain_call(ast, i)
        })
    })
}

/// A round that is a job of its own: a per-item paging loop, or an export into an archive.
fn batch_job(cx: &Ctx, per: &PerItem) -> bool {
    // judged once per loop, not again for every query inside it
    cx.ast.verdict("n+1:batch-job", per.node, || {
        runs_paging_loop(cx, per) || archive_export(cx, per)
    })
}

/// A call that adds an entry to an archive (`zip.file(name, data)`): a name and its content
/// (a list's `append(x)` is not one), on a receiver named like an archive.
fn archive_entry(ast: &Ast, i: NodeId) -> bool {
    let Some(c) = ast.call(i) else { return false };
    c.args.len() >= 2
        && ast
            .callee_name(c)
            .is_some_and(|n| loops::ARCHIVE_ENTRY_METHODS.contains(&n))
        && ast.receiver(c).is_some_and(
            |r| matches!(ast.kind(r), Kind::Name(n) if loops::ARCHIVE_NAMES.contains(&n.as_str())),
        )
}

/// Each round runs a paging loop of its own (a `while` fetching a limited batch of the item's
/// rows until none is left, such as a batched delete): every item is a batch job the code
/// already splits into pages, and the rest of the round runs once per job.
fn runs_paging_loop(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    ast.subtree(per.node).any(|i| {
        i != per.node
            && matches!(ast.kind(i), Kind::Loop(l) if l.kind == LoopKind::While)
            && loops::per_item_context(ast, i).is_some_and(|p| p.node == per.node)
            && paging_loop(
                cx,
                &PerItem {
                    node: i,
                    bindings: Vec::new(),
                    span: ast.span(i),
                    iter: None,
                    what: "`while` loop".into(),
                },
            )
    })
}

/// The round writes the item into an archive being built (`zip.addBuffer(..)` in the file, and
/// the loop hands `zip` on or calls a closure of the function that does): an export that loads
/// one item at a time on purpose, so that memory stays bounded while the archive streams out.
fn archive_export(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    // names the file adds archive entries to (the entries are found once per file)
    let entries = ast.nodes_where("n+1:archive-entries", archive_entry);
    let archives: Vec<&str> = entries
        .iter()
        .filter_map(|&i| match ast.kind(ast.receiver(ast.call(i)?)?) {
            Kind::Name(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    // a name the function gives a plain collection (`archive = []`) holds no archive here
    let archives: Vec<&str> = archives
        .into_iter()
        .filter(|n| {
            !assigned_value(ast, n, per.node).is_some_and(|(_, v)| {
                let v = ast.unwrap_expr(v);
                matches!(ast.kind(v), Kind::Array(_) | Kind::Object { .. })
                    || ast.call(v).is_some_and(|c| {
                        matches!(ast.callee_name(c), Some("list" | "dict" | "set" | "deque"))
                    })
            })
        })
        .collect();
    if archives.is_empty() {
        return false;
    }
    // the archive as a value (handed on, or written to), not `zip(a, b)`
    let uses = |root: NodeId| {
        ast.subtree(root).any(|i| {
            matches!(ast.kind(i), Kind::Name(n) if archives.contains(&n.as_str()))
                && ast
                    .parent(i)
                    .is_none_or(|p| ast.call(p).is_none_or(|c| c.callee != i))
        })
    };
    if uses(per.node) {
        return true;
    }
    // `addAttachments(docs)`: a closure of the enclosing functions that writes to the archive
    ast.subtree(per.node).any(|i| {
        let Some(c) = ast.call(i) else { return false };
        let Kind::Name(n) = ast.kind(c.callee) else {
            return false;
        };
        closure_named(ast, n, per.node).is_some_and(uses)
    })
}

/// The function literal `name` is given in one of the functions around `at` (`const
/// addAttachments = (xs) => { .. }`).
fn closure_named(ast: &Ast, name: &str, at: NodeId) -> Option<NodeId> {
    ast.ancestors(at)
        .filter(|&a| ast.function(a).is_some())
        .find_map(|f| {
            ast.subtree(f).find_map(|i| match ast.kind(i) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } if matches!(ast.kind(*target), Kind::Name(t) if t == name)
                    && ast.function(ast.unwrap_expr(*v)).is_some() =>
                {
                    Some(*v)
                }
                _ => None,
            })
        })
}

// ---------------------------------------------------------------------------------------------
// Code that runs once, and collections the process holds in memory

/// The loop runs once in the life of the service or of the data: in a start-up function
/// (`main`, `lifespan`, a `migrate_*`/`seed_*`/`install_*` step), in a migration runner, or
/// under a test that the iterated collection holds exactly one element (`if providers.len() ==
/// 1`); or the write is a lazy backfill that fills an empty field of the row, once per row.
fn runs_once_here(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    if lifecycle::one_off_context(ast, per.node, |f| cx.facts.is_handler(f)).is_some() {
        return true;
    }
    let named = ast
        .ancestors(per.node)
        .find(|&a| ast.function(a).is_some_and(|f| f.name.is_some()));
    if named.is_some_and(|f| lifecycle::runs_migrations(ast, f)) {
        return true;
    }
    single_element(cx, node, per) || backfill(cx, node, per)
}

/// The query sits under a test that the iterated collection holds one element: `if
/// providers.len() == 1`, `len(items) == 1`, `items.length === 1`. It runs at most once.
fn single_element(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    let Some(coll) = per.iter.and_then(|it| ast.path_of(ast.unwrap_expr(it))) else {
        return false;
    };
    let sizes = [
        format!("{coll}.len() == 1"),
        format!("len({coll}) == 1"),
        format!("{coll}.length === 1"),
        format!("{coll}.length == 1"),
        format!("{coll}.size === 1"),
        format!("{coll}.size == 1"),
        format!("{coll}.count() == 1"),
    ];
    guarded_by(cx, node, per, |c| {
        c.split(" && ")
            .flat_map(|x| x.split(" and "))
            .any(|x| sizes.iter().any(|s| x.trim_matches(['(', ')', ' ']) == s))
    })
}

/// `if star.index is None: star.index = next_index(); star.save()`: the write fills an empty
/// field of the loop's row and sits under the test that it is empty. Once filled, the branch
/// never runs again for that row: a lazy backfill, not a per-request cost.
fn backfill(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    for (c, then) in guards_within(cx, node, per) {
        let Some(field) = empty_memo(&c) else {
            continue;
        };
        let Some((item, _)) = field.split_once('.') else {
            continue;
        };
        if !per.bindings.iter().any(|b| b == item) {
            continue;
        }
        let fills = then.iter().any(|&st| {
            ast.subtree(st).any(|id| {
                matches!(ast.kind(id), Kind::Assign { target, .. }
                    if ast.path_of(ast.unwrap_expr(*target)).as_deref() == Some(field))
            })
        });
        if fills {
            return true;
        }
    }
    false
}

/// Whether an `if` between the node and the loop holds the node in its `then` branch and its
/// condition (whitespace folded) passes `test`.
fn guarded_by(cx: &Ctx, node: NodeId, per: &PerItem, test: impl Fn(&str) -> bool) -> bool {
    guards_within(cx, node, per).iter().any(|(c, _)| test(c))
}

/// The `if`s between the node and the loop that hold the node in their `then` branch, innermost
/// first: each condition's text (whitespace folded) and that branch.
fn guards_within<'a>(cx: &Ctx<'a>, node: NodeId, per: &PerItem) -> Vec<(String, &'a [NodeId])> {
    let ast = cx.ast;
    let mut out = Vec::new();
    for a in ast.ancestors(node) {
        if a == per.node {
            break;
        }
        if let Kind::If { cond, then, .. } = ast.kind(a) {
            if ast.contains_any(then, node) {
                let c = cx.text(*cond).split_whitespace().collect::<Vec<_>>();
                out.push((c.join(" "), then.as_slice()));
            }
        }
    }
    out
}

/// The iterated collection is held in memory by the process, not rows of a request: a
/// module-level value imported from another module or declared at the top of this one
/// (`import { challenges } from '../data/cache'`), or a registry kept in a field of a
/// long-lived object that registration calls fill and nothing empties
/// (`this.definitions[def.id] = def`). Also followed through local variables, `Object.values`,
/// `.values()`/`.items()` and `.filter(..)`.
fn in_memory_collection(cx: &Ctx, it: NodeId, before: NodeId, depth: u32) -> bool {
    let ast = cx.ast;
    if depth > 6 {
        return false;
    }
    let e = ast.unwrap_expr(it);
    match ast.kind(e) {
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            let path = ast.path_of(c.callee).unwrap_or_default();
            if cx.facts.query(e).is_some() {
                return false;
            }
            // `Object.values(x)`, `list(x)`, `sorted(x)`
            if matches!(
                path.as_str(),
                "Object.values" | "Object.keys" | "Object.entries" | "list" | "sorted" | "tuple"
            ) {
                return ast
                    .positional(c)
                    .next()
                    .is_some_and(|a| in_memory_collection(cx, a, before, depth + 1));
            }
            // `x.values()`, `x.filter(..)`, `x.iter()`
            let walks = matches!(
                name,
                "values"
                    | "keys"
                    | "items"
                    | "entries"
                    | "iter"
                    | "filter"
                    | "slice"
                    | "sort"
                    | "toSorted"
                    | "concat"
            );
            walks
                && ast
                    .receiver(c)
                    .is_some_and(|r| in_memory_collection(cx, r, before, depth + 1))
        }
        Kind::Name(n) => {
            if let Some((a, v)) = assigned_value(ast, n, before) {
                return in_memory_collection(cx, v, a, depth + 1);
            }
            let func = ast.enclosing_function(before);
            let param = ast
                .ancestors(before)
                .filter_map(|a| ast.function(a))
                .any(|f| f.params.iter().any(|p| p.name == *n));
            if param || is_capitalised(n) {
                return false;
            }
            // imported by name from a module of the project: module state
            if let Some((module, orig)) = import_of(ast, n) {
                return !orig.is_empty() && module.starts_with('.');
            }
            // declared at the top of this module, not from a query
            func.is_some()
                && ast.children(ROOT).any(|s| {
                    matches!(ast.kind(s), Kind::Assign { target, value: Some(v), .. }
                        if matches!(ast.kind(*target), Kind::Name(t) if t == n)
                            && !ast.subtree(*v).any(|i| cx.facts.query(i).is_some()
                                || matches!(ast.kind(i), Kind::Await(_))))
                })
        }
        Kind::Member { object, property } => {
            matches!(ast.kind(ast.unwrap_expr(*object)), Kind::Name(o) if o == "this" || o == "self")
                && registry_field(cx, e, property)
        }
        _ => false,
    }
}

/// A field of the class (`this.jobs`, `self._handlers`) that starts empty and is only ever
/// filled one entry at a time (`this.jobs[def.id] = def`, `this.jobs.push(def)`), with values
/// that are not query results, and never emptied or replaced: a registry filled by
/// registration calls.
fn registry_field(cx: &Ctx, member: NodeId, field: &str) -> bool {
    let ast = cx.ast;
    let Some(class) = ast
        .ancestors(member)
        .find(|&a| matches!(ast.kind(a), Kind::Class(_)))
    else {
        return false;
    };
    let is_field = |id: NodeId| {
        let id = ast.unwrap_expr(id);
        match ast.kind(id) {
            Kind::Member { object, property } => {
                property == field
                    && matches!(ast.kind(ast.unwrap_expr(*object)), Kind::Name(o) if o == "this" || o == "self")
            }
            _ => false,
        }
    };
    let empty = |v: NodeId| {
        let v = ast.unwrap_expr(v);
        match ast.kind(v) {
            Kind::Array(items) => items.is_empty(),
            Kind::Object { entries, ty: None } => entries.is_empty(),
            Kind::Call(c) => {
                c.args.is_empty()
                    && matches!(
                        ast.path_of(c.callee).as_deref(),
                        Some("Map" | "Set" | "dict" | "list" | "set" | "HashMap::new" | "Vec::new")
                    )
            }
            _ => false,
        }
    };
    let plain = |v: NodeId| {
        !ast.subtree(v)
            .any(|i| cx.facts.query(i).is_some() || matches!(ast.kind(i), Kind::Await(_)))
    };
    let mut fills = 0;
    for id in ast.subtree(class) {
        match ast.kind(id) {
            Kind::Assign {
                target,
                value,
                augmented,
                ..
            } => {
                let t = ast.unwrap_expr(*target);
                // the declaration `private jobs: Record<string, Job> = {}`
                let declared_here = matches!(ast.kind(t), Kind::Name(n) if n == field)
                    && ast
                        .enclosing_function(id)
                        .is_none_or(|f| !ast.contains(class, f));
                if declared_here || is_field(t) {
                    // set once, empty, where the object is made; emptied later, it is a buffer
                    let made = declared_here
                        || ast.enclosing_function(id).is_some_and(|f| {
                            ast.function(f)
                                .and_then(|f| f.name.as_deref())
                                .is_some_and(|n| {
                                    matches!(n, "__init__" | "constructor" | "new" | "default")
                                })
                        });
                    if *augmented || !made || !value.is_some_and(empty) {
                        return false;
                    }
                    continue;
                }
                if let Kind::Index { object, .. } = ast.kind(t) {
                    if is_field(*object) {
                        if !value.is_some_and(plain) {
                            return false;
                        }
                        fills += 1;
                    }
                }
            }
            Kind::Call(c) => {
                let Some(r) = ast.receiver(c) else { continue };
                if !is_field(r) {
                    continue;
                }
                match ast.callee_name(c).unwrap_or("") {
                    "push" | "append" | "set" | "add" | "insert" | "setdefault" => {
                        if !c.args.iter().all(|a| plain(a.value)) {
                            return false;
                        }
                        fills += 1;
                    }
                    "splice" | "shift" | "pop" | "clear" | "remove" | "delete" | "discard"
                    | "drain" | "truncate" | "retain" | "popitem" | "extend" | "update" => {
                        return false
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    fills > 0
}

/// A list built in this function with one entry per model class: a comprehension whose query
/// reads the model of its round (`[Count(m.objects.filter(..)) for m, f in related]`).
/// Walking it runs one query per model, not per row.
fn per_model_list(cx: &Ctx, it: NodeId, before: NodeId) -> bool {
    let ast = cx.ast;
    let Kind::Name(n) = ast.kind(ast.unwrap_expr(it)) else {
        return false;
    };
    let Some((_, v)) = assigned_value(ast, n, before) else {
        return false;
    };
    let v = ast.unwrap_expr(v);
    if !matches!(ast.kind(v), Kind::Loop(l) if l.kind == LoopKind::Comprehension) {
        return false;
    }
    ast.subtree(v).any(|q| {
        cx.facts.query(q).is_some()
            && loops::per_item_context(ast, q).is_some_and(|p| p.node == v && per_model(ast, q, &p))
    })
}

/// The row is created in the handler of the not-found error of a lookup in the same round
/// (`try: Group.objects.get(name=n) except Group.DoesNotExist: Group.objects.create(name=n)`):
/// each key is created once, ever; the lookup itself is reported.
fn created_when_missing(cx: &Ctx, node: NodeId, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    if q.kind != QueryKind::Write {
        return false;
    }
    for a in ast.ancestors(node) {
        if a == per.node {
            return false;
        }
        let Kind::Catch { types, .. } = ast.kind(a) else {
            continue;
        };
        let missing = types.iter().any(|t| {
            let last = t.rsplit(['.', ':']).next().unwrap_or(t);
            orm::NOT_FOUND_ERRORS.contains(&last)
        });
        let Some(Kind::Try { body, .. }) = ast.parent(a).map(|t| ast.kind(t)) else {
            continue;
        };
        let looked_up = body.iter().any(|&st| {
            ast.subtree(st).any(|i| {
                cx.facts
                    .query(i)
                    .is_some_and(|l| l.kind == QueryKind::Read && !l.many)
            })
        });
        if missing && looked_up {
            return true;
        }
    }
    false
}

/// `ContentType.objects.get(pk=row["content_type"])` over rows grouped by content type
/// (`values("content_type").annotate(n=Count("pk"))`): the registry has one row per model
/// class, so the loop runs once per model type.
fn per_content_type(cx: &Ctx, node: NodeId, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    if q.orm != "Django ORM" {
        return false;
    }
    let registry = model_of(ast, node, q).is_some_and(|m| {
        let last = m.rsplit('.').next().unwrap_or(&m);
        orm::MODEL_REGISTRY_MODELS.contains(&last)
    });
    if !registry {
        return false;
    }
    let Some(it) = per.iter else {
        return false;
    };
    // the chain as iterated, and the query it continues (`qs.values(..).annotate(..)`)
    let mut chain = ast.call_chain(ast.unwrap_expr(it));
    if let Some(src) = trace_source(cx, it, per.node, 0) {
        chain.extend(ast.call_chain(src.node));
    }
    let names: Vec<&str> = chain
        .iter()
        .filter_map(|&c| ast.call(c).and_then(|c| ast.callee_name(c)))
        .collect();
    names.iter().any(|n| matches!(*n, "values" | "values_list"))
        && names.iter().any(|n| matches!(*n, "annotate" | "distinct"))
}

/// Raw SQL whose table is filled in from the round (`f"SELECT setval(..) FROM {table}"`,
/// `` `TRUNCATE ${name}` ``): one statement per table, not per row.
fn per_table_sql(cx: &Ctx, per: &PerItem, q: &Query) -> bool {
    let ast = cx.ast;
    let Some(sql) = q.sql else {
        return false;
    };
    let mut sql = ast.unwrap_expr(sql);
    if let Kind::Name(n) = ast.kind(sql) {
        match assigned_value(ast, n, sql) {
            Some((_, v)) => sql = ast.unwrap_expr(v),
            None => return false,
        }
    }
    let text = cx.text(sql);
    let Some(var) = sql_table_placeholder(text) else {
        return false;
    };
    per.bindings.contains(&var)
        || ast.subtree(per.node).any(|i| {
            matches!(ast.kind(i), Kind::Assign { target, .. }
                if matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if *t == var))
        })
}

/// The variable interpolated as the table of an SQL text: `FROM {table}`, `INTO "${name}"`,
/// `UPDATE %(tbl)s`, `TABLE {0}` is not a name.
fn sql_table_placeholder(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for w in words.windows(2) {
        let kw = w[0].trim_matches(|c: char| !c.is_ascii_alphabetic());
        if !["from", "into", "update", "table", "join", "truncate"]
            .iter()
            .any(|k| kw.eq_ignore_ascii_case(k))
        {
            continue;
        }
        let t = w[1].trim_matches(|c| matches!(c, '"' | '\'' | '`' | '\\' | ';' | ',' | ')' | '('));
        let inner = t
            .strip_prefix("${")
            .or_else(|| t.strip_prefix('{'))
            .and_then(|x| x.split_once('}'))
            .map(|(x, _)| x)
            .or_else(|| {
                t.strip_prefix("%(")
                    .and_then(|x| x.split_once(")s"))
                    .map(|(x, _)| x)
            });
        if let Some(name) = inner {
            let name = name.trim();
            if !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !name.chars().all(|c| c.is_ascii_digit())
            {
                return Some(name.to_string());
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Loops with no collection

/// A `while`, `do…while`, Rust `loop` or `for (;;)`: a loop that walks no iterable.
fn unbounded_loop(cx: &Ctx, per: &PerItem) -> bool {
    let Kind::Loop(l) = cx.ast.kind(per.node) else {
        return false;
    };
    match l.kind {
        LoopKind::While => true,
        LoopKind::For => {
            // only the head: collecting the whole loop's text made this quadratic
            let head = cx.text(per.node).split_whitespace().flat_map(str::chars);
            per.iter.is_none() && head.take(7).eq("for(;;)".chars())
        }
        LoopKind::Comprehension => false,
    }
}

/// The test of a `while`/`do…while` loop (none for Rust `loop` and `for (;;)`): its child that
/// is not in the body, before it or after it.
fn loop_condition(cx: &Ctx, per: &PerItem) -> Option<NodeId> {
    let ast = cx.ast;
    let Kind::Loop(l) = ast.kind(per.node) else {
        return None;
    };
    if l.kind != LoopKind::While {
        return None;
    }
    let mut kids = ast.children(per.node);
    let first = kids.next()?;
    if l.body.first() != Some(&first) {
        return Some(first);
    }
    let last = kids.last().unwrap_or(first);
    (l.body.last() != Some(&last)).then_some(last)
}

/// A loop with no collection runs once per hop, probe or wake-up, not once per item: a walk
/// whose next step comes from this round's query (`while parent_id: .. parent_id =
/// parent.parent_id`), a probe for a free name (`for (;;) { if (!(await exists(slug))) break;
/// slug = base + ++n }`), a worker's `loop {}` asking for the newest id. It is per item when it
/// takes the elements of a collection one by one (`queue.pop()`, `ids[i]` with `i++`) or the
/// query is keyed by a counter (`WHERE id = $1` bound to `last_id += 1`).
fn keyless_rounds(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    if !unbounded_loop(cx, per) {
        return false;
    }
    // `while let Some(id) = parent { .. parent = row.parent_id }` binds the next hop
    let keyless = per.iter.is_none() && per.bindings.is_empty();
    // `deliver(pool, last_id)` with `last_id += 1`: a walk over ids, one row per round
    let counted = || {
        ast.subtree(node)
            .any(|i| matches!(ast.kind(i), Kind::Name(n) if loops::counter(ast, per.node, n)))
    };
    hop_traversal(cx, per)
        || keyless && !loops::takes_elements(ast, per.node) && !worklist(cx, per) && !counted()
}

/// The variables the loop's test reads, as paths (`queue`, `folder.parent_id`).
fn tested_paths(cx: &Ctx, per: &PerItem) -> Vec<String> {
    let ast = cx.ast;
    let Some(cond) = loop_condition(cx, per) else {
        return Vec::new();
    };
    ast.subtree(cond)
        .filter(|&i| matches!(ast.kind(i), Kind::Name(_) | Kind::Member { .. }))
        .filter_map(|i| ast.path_of(i))
        .collect()
}

/// The body sets a variable of the loop's test, and its value keeps working through what was
/// there: `queue = queue[1:] + children`, `rest = rest.slice(1)`. A worklist, one item per
/// round (`node = node.parent` is a hop, not a worklist).
fn worklist(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    let tested = tested_paths(cx, per);
    ast.subtree(per.node).any(|i| {
        let Kind::Assign {
            target,
            value: Some(v),
            augmented: false,
            ..
        } = ast.kind(i)
        else {
            return false;
        };
        let Some(t) = ast.path_of(ast.unwrap_expr(*target)) else {
            return false;
        };
        let root = t.split('.').next().unwrap_or(&t);
        tested.iter().any(|p| {
            p.strip_prefix(t.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('.'))
        }) && ast.path_of(ast.unwrap_expr(*v)).is_none()
            && ast
                .subtree(*v)
                .any(|x| matches!(ast.kind(x), Kind::Name(n) if n == root))
    })
}

/// The loop's test reads a variable the body sets from a query of this round (`while
/// terminations: .. terminations = [m.peer for m in Mapping.objects.filter(..)]`): each round
/// follows the previous one's result, level by level.
fn hop_traversal(cx: &Ctx, per: &PerItem) -> bool {
    let ast = cx.ast;
    let tested = tested_paths(cx, per);
    ast.subtree(per.node).any(|i| {
        let Kind::Assign {
            target,
            value: Some(v),
            augmented: false,
            ..
        } = ast.kind(i)
        else {
            return false;
        };
        let Some(t) = ast.path_of(ast.unwrap_expr(*target)) else {
            return false;
        };
        let moves_test = tested.iter().any(|p| {
            p.strip_prefix(t.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('.'))
        });
        // `queue = queue[1:] + children` keeps working through one list, item by item
        let root = t.split('.').next().unwrap_or(&t);
        let extends = ast
            .subtree(*v)
            .any(|x| matches!(ast.kind(x), Kind::Name(n) if n == root));
        moves_test && !extends && from_round_query(cx, *v, per.node, &mut Vec::new())
    })
}

/// `value` is computed from a query run in the loop: it contains one, or reads a variable the
/// loop sets from one.
fn from_round_query(cx: &Ctx, value: NodeId, lp: NodeId, seen: &mut Vec<String>) -> bool {
    let ast = cx.ast;
    ast.subtree(value).any(|i| match ast.kind(i) {
        Kind::Call(_) => cx.facts.query(i).is_some(),
        Kind::Name(n) => {
            if seen.contains(n) || seen.len() > 8 {
                return false;
            }
            seen.push(n.clone());
            ast.subtree(lp).any(|a| match ast.kind(a) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } => {
                    matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if t == n)
                        && from_round_query(cx, *v, lp, seen)
                }
                _ => false,
            })
        }
        _ => false,
    })
}

// ---------------------------------------------------------------------------------------------
// 2. One call level deep: a project function that queries

/// Calls inside a fluent chain (`a.filter(..)` in `a.filter(..).first()`): the chain is judged
/// at its outermost call.
fn is_inner_chain_call(ast: &Ast, node: NodeId) -> bool {
    let mut cur = node;
    loop {
        let Some(p) = ast.parent(cur) else {
            return false;
        };
        match ast.kind(p) {
            _ if ast.wrapped(p).is_some() => cur = p,
            Kind::Member { object, .. } if *object == cur => {
                return ast.parent(p).and_then(|g| ast.call(g)).is_some_and(|g| {
                    g.callee == p
                        && !orm::is_rust_adaptor(ast, g)
                        && !matches!(ast.callee_name(g), Some("then" | "catch" | "finally"))
                });
            }
            _ => return false,
        }
    }
}

fn helper_call(cx: &mut Ctx, node: NodeId, per: &PerItem) {
    let ast = cx.ast;
    let Some(call) = ast.call(node) else {
        return;
    };
    // `model.objects.visible_to(user)` for each model: one query per model
    if call.is_macro
        || memoised(cx, node, per)
        || per_model(ast, node, per)
        || refines_group_batch(cx, node, per)
    {
        return;
    }
    let Some(callee) = resolve_callee(cx, call.callee, per) else {
        return;
    };
    if per_group(cx, node, per) || keyless_rounds(cx, node, per) {
        return;
    }
    if let Callee::Local(f) = &callee {
        if f.shape.idle_for(&call_args(cx, node, per))
            || memoised_helper(cx, f.node)
            || only_empty_querysets(cx, f.node)
        {
            return;
        }
    }
    emit_helper(cx, node, per, call.callee, callee, None);
}

/// The helper's queryset is narrowed to the group of keys the round walks: `for slug, ids in
/// by_channel.items(): load(slug).filter(id__in=ids)`, or `qs = Model.objects.filter(pk__in=
/// keys); qs = qs.restrict(user)`. Helper and filter make one query per group, the batching
/// itself.
fn refines_group_batch(cx: &Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    // the chain the call starts: `helper(..).qs.filter(id__in=ids)`
    let mut cur = node;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Member { object, .. } if *object == cur => cur = p,
            Kind::Call(c) if c.callee == cur => {
                if batched_by_binding(ast, p, per) {
                    return true;
                }
                cur = p;
            }
            _ => break,
        }
    }
    // the receiver: a variable set from a query batched over the group
    let Some(recv) = ast.call(node).and_then(|c| ast.receiver(c)) else {
        return false;
    };
    let Kind::Name(n) = ast.kind(ast.unwrap_expr(recv)) else {
        return false;
    };
    // `qs = qs.restrict(..)`: the value before this statement
    let before = ast
        .ancestors(node)
        .take_while(|&a| a != per.node)
        .filter(|&a| matches!(ast.kind(a), Kind::Assign { .. }))
        .last()
        .unwrap_or(node);
    assigned_value(ast, n, before).is_some_and(|(a, v)| {
        ast.contains(per.node, a)
            && ast
                .call_chain(v)
                .iter()
                .any(|&c| batched_by_binding(ast, c, per))
    })
}

/// The call filters on membership in a collection the loop binds (`id__in=ids`,
/// `{ id: { in: ids } }`, `In(ids)`, `whereIn('id', ids)`, `.in_(ids)`).
fn batched_by_binding(ast: &Ast, call: NodeId, per: &PerItem) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let bound = |v: NodeId| matches!(ast.kind(ast.unwrap_expr(v)), Kind::Name(n) if per.bindings.contains(n));
    let kwarg = c
        .args
        .iter()
        .any(|a| a.name.as_deref().is_some_and(|n| n.ends_with("__in")) && bound(a.value));
    let membership = c.args.iter().any(|a| {
        ast.subtree(a.value).any(|i| match ast.kind(i) {
            Kind::Object { entries, .. } => entries
                .iter()
                .any(|e| matches!(e.key.as_deref(), Some("in" | "$in")) && bound(e.value)),
            Kind::Call(inner) => {
                matches!(
                    ast.callee_name(inner),
                    Some("In" | "inArray" | "in_" | "is_in" | "eq_any")
                ) && inner.args.iter().any(|a| bound(a.value))
            }
            _ => false,
        })
    });
    let where_in = matches!(
        ast.callee_name(c),
        Some("whereIn" | "in_" | "is_in" | "eq_any")
    ) && c.args.iter().any(|a| bound(a.value));
    kwarg || membership || where_in
}

/// What the call hands the helper and whether the loop evaluates what it returns, to judge
/// against the helper's [`helpers::HelperShape`]: `if lines is None: lines = order.lines.all()`
/// called with `lines`, a helper that only builds a queryset the loop composes, a batched helper
/// (given more than a one-element list).
fn call_args(cx: &Ctx, node: NodeId, per: &PerItem) -> helpers::CallArgs {
    helpers::CallArgs {
        result_unevaluated: !evaluated(cx, node, per, 0),
        ..helpers::call_args(cx.ast, node)
    }
}

/// Every query of the helper follows a hit test on a memo it is handed or keeps on the
/// instance (`if (cache.has(key)) return cache.get(key);`): one query per distinct key.
fn memoised_helper(cx: &Ctx, func: NodeId) -> bool {
    every_query(cx, func, |q| cache_checked(cx, q, func, None))
}

/// Whether the function runs at least one query and `test` holds for every one of them.
fn every_query(cx: &Ctx, func: NodeId, test: impl Fn(NodeId) -> bool) -> bool {
    let mut any = false;
    for q in cx.ast.subtree(func) {
        if cx.facts.query(q).is_none() {
            continue;
        }
        any = true;
        if !test(q) {
            return false;
        }
    }
    any
}

/// Every query the helper builds is Django's `.none()`: an empty queryset that never reaches
/// the database.
fn only_empty_querysets(cx: &Ctx, func: NodeId) -> bool {
    every_query(cx, func, |q| empty_queryset(cx.ast, q))
}

/// `Model.objects.none()`, `qs.filter(..).none()`: Django's empty queryset.
fn empty_queryset(ast: &Ast, node: NodeId) -> bool {
    ast.lang == Lang::Python
        && ast.call_chain(node).iter().any(|&c| {
            ast.call(c)
                .is_some_and(|c| c.args.is_empty() && ast.callee_name(c) == Some("none"))
        })
}

/// What a called name refers to.
enum Callee<'a> {
    /// A function of this file that queries.
    Local(&'a crate::facts::FnFact),
    /// A function elsewhere, to resolve on the project index.
    Elsewhere {
        module: Option<String>,
        name: String,
        method_of: Option<String>,
    },
}

fn resolve_callee<'a>(cx: &Ctx<'a>, callee: NodeId, per: &PerItem) -> Option<Callee<'a>> {
    let ast = cx.ast;
    let facts = cx.facts;
    match ast.kind(callee) {
        Kind::Name(path) => {
            if per.bindings.contains(path) {
                return None;
            }
            if let Some((head, name)) = path.rsplit_once("::") {
                if head == "Self" || head == "self" {
                    let class = enclosing_class(ast, callee)?;
                    return local_method(cx, name, Some(&class));
                }
                let q = facts.imports.qualify_path(path);
                let (module, name) = q.rsplit_once("::")?;
                if module.starts_with("std") || module.starts_with("core") {
                    return None;
                }
                return Some(Callee::Elsewhere {
                    module: Some(module.to_string()),
                    name: name.to_string(),
                    method_of: None,
                });
            }
            if let Some(f) = facts.functions_named(path).find(|f| f.class.is_none()) {
                return f.query.as_ref().map(|_| Callee::Local(f));
            }
            let (module, name) = imported(cx, path)?;
            Some(Callee::Elsewhere {
                module: Some(module),
                name,
                method_of: None,
            })
        }
        Kind::Member { object, property } => {
            let obj = ast.unwrap_expr(*object);
            let recv = ast.path_of(obj)?;
            if matches!(recv.as_str(), "self" | "this" | "cls") {
                let class = enclosing_class(ast, callee);
                if let Some(c) = local_method(cx, property, class.as_deref()) {
                    return Some(c);
                }
                if facts.functions_named(property).any(|f| f.class == class) {
                    return None; // defined here, does not query
                }
                if helpers::GENERIC_METHODS.contains(&property.as_str()) {
                    return None;
                }
                return Some(Callee::Elsewhere {
                    module: None,
                    name: property.clone(),
                    method_of: None,
                });
            }
            // `services.load_orders(c)`, `orders.loadOrders(id)` through a module import
            let head = recv.split(['.', ':']).next().unwrap_or(&recv);
            if !recv.contains('.') {
                if let Some((module, orig)) = import_of(ast, head) {
                    if orig.is_empty() || !is_capitalised(&orig) && ast.lang == Lang::Python {
                        let module = if orig.is_empty() {
                            module
                        } else {
                            format!("{module}.{orig}")
                        };
                        return Some(Callee::Elsewhere {
                            module: Some(module),
                            name: property.clone(),
                            method_of: None,
                        });
                    }
                    // a class imported by name: `OrderService.for_customer(c)`
                    return Some(Callee::Elsewhere {
                        module: Some(module),
                        name: property.clone(),
                        method_of: Some(orig),
                    });
                }
            }
            let last = recv
                .rsplit(['.', ':'])
                .next()
                .unwrap_or(&recv)
                .to_ascii_lowercase();
            if helpers::NOT_SERVICES.contains(&last.trim_start_matches('_')) {
                return None;
            }
            if helpers::GENERIC_METHODS.contains(&property.as_str())
                && !helpers::service_like(&recv)
            {
                return None;
            }
            Some(Callee::Elsewhere {
                module: None,
                name: property.clone(),
                method_of: Some(recv),
            })
        }
        _ => None,
    }
}

fn local_method<'a>(cx: &Ctx<'a>, name: &str, class: Option<&str>) -> Option<Callee<'a>> {
    cx.facts
        .functions_named(name)
        .find(|f| f.class.as_deref() == class && f.query.is_some())
        .map(Callee::Local)
}

fn enclosing_class(ast: &Ast, id: NodeId) -> Option<String> {
    ast.ancestors(id).find_map(|a| match ast.kind(a) {
        Kind::Class(c) => Some(c.name.clone()),
        _ => None,
    })
}

fn is_capitalised(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// The import that binds `local`: (module, imported name; empty for a whole-module import).
fn import_of(ast: &Ast, local: &str) -> Option<(String, String)> {
    let (module, name) = ast.import_binding(local)?;
    let name = if name == "default" { "" } else { name };
    Some((module.to_string(), name.to_string()))
}

/// A function imported by name: (module, its name there).
fn imported(cx: &Ctx, local: &str) -> Option<(String, String)> {
    let (module, name) = import_of(cx.ast, local)?;
    if name.is_empty() || is_capitalised(&name) {
        return None; // a module or a class called as a function
    }
    Some((module, name))
}

fn emit_helper(
    cx: &mut Ctx,
    node: NodeId,
    per: &PerItem,
    callee: NodeId,
    target: Callee,
    reference: Option<NodeId>,
) {
    let ast = cx.ast;
    if batch_job(cx, per) {
        return;
    }
    let name = ast
        .path_of(callee)
        .unwrap_or_else(|| cx.text(callee).to_string());
    let shown = match reference {
        Some(_) => format!("`{name}`"),
        None => {
            let args = ast.call(node).is_some_and(|c| !c.args.is_empty());
            format!("`{name}({})`", if args { "…" } else { "" })
        }
    };
    let binding = pick_binding(ast, per, node);
    let per_what = match (&binding, reference, per.iter) {
        (Some(b), _, _) => format!("once per `{b}` in this {}", per.what),
        (None, Some(_), Some(it)) => format!(
            "once per element of `{}` in this {}",
            cx.text(it).lines().next().unwrap_or("").trim(),
            per.what
        ),
        _ => format!("on every iteration of this {}", per.what),
    };
    let help = "give the helper a batched variant that takes every item's key and runs one query (`IN`/`ANY`, or eager loading), and call it once before the loop";
    let span = cx.first_line(node);
    // a model that changes every round passed in: the helper queries one model per round
    let model_arg = ast.call(node).is_some_and(|c| {
        c.args.iter().any(|a| {
            let v = ast.unwrap_expr(a.value);
            let per_round = |n: &String| {
                per.bindings.contains(n)
                    || ast.subtree(per.node).any(|i| {
                        matches!(ast.kind(i), Kind::Assign { target, .. }
                            if matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if t == n))
                    })
            };
            matches!(ast.kind(v), Kind::Name(n) if per_round(n) && n.to_ascii_lowercase().contains("model"))
                || matches!(ast.kind(v), Kind::Name(n) if per_round(n) && (n == "cls" || n.ends_with("_cls")))
        })
    });
    // relations the loop's rows were loaded with: a helper reading only those reads the cache
    let eager = if ast.lang == Lang::Python {
        rows_prefetched(cx, per)
    } else {
        Vec::new()
    };
    // what the call hands the helper, for the index to settle against the helper's shape
    let call = match reference {
        Some(_) => helpers::CallArgs {
            spread: true,
            ..Default::default()
        },
        None => call_args(cx, node, per),
    };
    // the call is a step of the item's own work on another system, or the helper's queries are
    // steps of such work in its body
    let mut beside = beside_external_work(cx, node, per.node, Some(per));
    if let (Beside::No, Callee::Local(fact)) = (&beside, &target) {
        beside = helper_beside_work(cx, fact.node);
    }
    if matches!(beside, Beside::Yes) {
        return;
    }
    let f = match target {
        Callee::Local(fact) => {
            let Some((qspan, what)) = fact.query.clone() else {
                return;
            };
            if orm::is_bulk_display(&what)
                || orm::is_upsert_display(&what)
                || model_arg && orm::is_variable_model_display(&what)
            {
                return;
            }
            if reads_only_prefetched(cx, fact.node, &eager) {
                return;
            }
            cx.finding(span, format!("{shown} runs a query (`{what}`) {per_what}"))
                .help(help)
                .label(per.span, loop_label(cx, per))
                .label(qspan, format!("`{}` runs `{what}` here", fact.name))
        }
        Callee::Elsewhere {
            module,
            name,
            method_of,
        } => cx
            .finding(
                span,
                format!("{shown} runs a query (`{{query}}`) {per_what}"),
            )
            .help(help)
            .label(per.span, loop_label(cx, per))
            .condition({
                let callee = Condition::CalleeQueries {
                    module: module.clone(),
                    name: name.clone(),
                    method_of: method_of.clone(),
                    model_arg,
                    call,
                };
                if eager.is_empty() {
                    callee
                } else {
                    Condition::All(vec![
                        callee,
                        Condition::UnlessCalleeReadsPrefetched {
                            module,
                            name,
                            method_of,
                            relations: eager,
                        },
                    ])
                }
            }),
    };
    let f = match beside {
        Beside::Unless(callees) => also(f, Condition::UnlessExternalWork(callees)),
        _ => f,
    };
    cx.emit(f);
}

/// Every query of the helper reads a related manager (`variant.channel_listings.all()`) of a
/// relation in `eager`: served from the prefetch cache of the rows it is handed.
fn reads_only_prefetched(cx: &Ctx, func: NodeId, eager: &[String]) -> bool {
    !eager.is_empty()
        && every_query(cx, func, |q| {
            cx.facts.query(q).is_some_and(|query| {
                related_manager(cx.ast, q, query).is_some_and(|rel| eager.contains(&rel))
            })
        })
}

/// The relations the loop's rows are known to be loaded with: the eager loaders of the query
/// that built them (a list handed over by name included) and `prefetch_related_objects(rows,
/// ..)` on the iterated variable; when the rows are a relation of an object from outside
/// (`product.variants.all()`) or a parameter, also what this file's callers of the function
/// prefetch (one call level up).
fn rows_prefetched(cx: &Ctx, per: &PerItem) -> Vec<String> {
    let ast = cx.ast;
    let Some(it) = per.iter else {
        return Vec::new();
    };
    let built = rows_expr(ast, it, per.node, 0);
    let mut out = crate::knowledge::relations::eager_names_in(ast, ast.subtree(built));
    let from_outside = match trace_source(cx, it, per.node, 0) {
        Some(src) => related_manager(ast, src.node, &src.query).is_some(),
        None => is_parameter(ast, ast.chain_root(built), per.node),
    };
    let func = ast.enclosing_function(per.node);
    // `prefetch_related_objects(lines, *FIELDS)` on the iterated variable
    if let (Kind::Name(rows), Some(f)) = (ast.kind(ast.unwrap_expr(it)), func) {
        for id in ast.subtree(f) {
            let Some(c) = ast.call(id) else { continue };
            if ast.callee_name(c) == Some("prefetch_related_objects")
                && ast
                    .positional(c)
                    .next()
                    .is_some_and(|a| matches!(ast.kind(a), Kind::Name(n) if n == rows))
            {
                out.extend(crate::knowledge::relations::eager_names_in(
                    ast,
                    ast.subtree(id),
                ));
            }
        }
    }
    if from_outside {
        out.extend(callers_prefetched(cx, per.node));
    }
    out
}

/// The expression that built the loop's rows, through variables and wrappers (`list(..)`,
/// slices): `product.variants.prefetch_related("attributes")` for `for v in variants`.
fn rows_expr(ast: &Ast, expr: NodeId, before: NodeId, depth: u32) -> NodeId {
    let e = ast.unwrap_expr(expr);
    if depth > 6 {
        return e;
    }
    match ast.kind(e) {
        Kind::Index { object, .. } => rows_expr(ast, *object, before, depth + 1),
        Kind::Name(n) => match assigned_value(ast, n, before) {
            Some((a, v)) => rows_expr(ast, v, a, depth + 1),
            None => e,
        },
        Kind::Call(c)
            if ast.receiver(c).is_none()
                && matches!(
                    ast.callee_name(c),
                    Some("list" | "sorted" | "reversed" | "tuple" | "enumerate")
                ) =>
        {
            match ast.positional(c).next() {
                Some(a) => rows_expr(ast, a, before, depth + 1),
                None => e,
            }
        }
        _ => e,
    }
}

/// `name` is a parameter of the function around `at`.
fn is_parameter(ast: &Ast, name: NodeId, at: NodeId) -> bool {
    let Kind::Name(n) = ast.kind(name) else {
        return false;
    };
    ast.enclosing_function(at)
        .and_then(|f| ast.function(f))
        .is_some_and(|f| f.params.iter().any(|p| p.name == *n))
}

/// The relations eager-loaded in the bodies of this file's functions that call the named
/// function around `at`.
fn callers_prefetched(cx: &Ctx, at: NodeId) -> Vec<String> {
    let ast = cx.ast;
    let Some(func) = ast
        .ancestors(at)
        .find(|&a| ast.function(a).is_some_and(|f| f.name.is_some()))
    else {
        return Vec::new();
    };
    let Some(name) = ast.function(func).and_then(|f| f.name.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for id in 0..ast.nodes.len() as NodeId {
        let Some(c) = ast.call(id) else { continue };
        if ast.callee_name(c) != Some(name.as_str()) || ast.contains(func, id) {
            continue;
        }
        let direct = match ast.kind(c.callee) {
            Kind::Name(_) => true,
            Kind::Member { object, .. } => {
                matches!(ast.kind(*object), Kind::Name(o) if o == "self" || o == "cls")
            }
            _ => false,
        };
        if let (true, Some(caller)) = (direct, ast.enclosing_function(id)) {
            out.extend(crate::knowledge::relations::eager_names_in(
                ast,
                ast.subtree(caller),
            ));
        }
    }
    out
}

/// `ids.map(loadUser)`, `map(load_orders, customers)`: a querying function passed by reference
/// as the per-item callback.
fn function_reference_callback(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    if ast.lang == Lang::Rust {
        return;
    }
    let Some(call) = ast.call(node) else {
        return;
    };
    let Some(method) = ast.callee_name(call) else {
        return;
    };
    let is_method = ast.receiver(call).is_some();
    let per_item = match ast.lang {
        Lang::Python => !is_method && method == "map",
        _ => is_method && matches!(method, "map" | "forEach" | "flatMap" | "mapSeries" | "each"),
    };
    if !per_item {
        return;
    }
    let Some(func) = ast.positional(call).next() else {
        return;
    };
    if !matches!(ast.kind(func), Kind::Name(_) | Kind::Member { .. }) {
        return;
    }
    let iter = if is_method {
        ast.receiver(call)
    } else {
        ast.positional(call).nth(1)
    };
    let Some(iter) = iter else {
        return;
    };
    let per = PerItem {
        node,
        bindings: Vec::new(),
        span: ast.span(call.callee),
        iter: Some(iter),
        what: if is_method {
            format!("`.{method}` call")
        } else {
            format!("`{method}()` call")
        },
    };
    let Some(target) = resolve_callee(cx, func, &per) else {
        return;
    };
    emit_helper(cx, node, &per, func, target, Some(func));
}

// ---------------------------------------------------------------------------------------------
// 3. Lazy relations read on the loop item

fn check_relation(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Kind::Member { object, property } = ast.kind(node) else {
        return;
    };
    let Kind::Name(item) = ast.kind(*object) else {
        return;
    };
    if property.starts_with('_')
        || property == "id"
        || property == "pk"
        || property.ends_with("_id")
    {
        return;
    }
    let parent = ast.parent(node);
    // `order.customer = c` writes; `order.save()` is a method call
    if parent.is_some_and(|p| match ast.kind(p) {
        Kind::Assign { target, .. } => *target == node,
        Kind::Call(c) => c.callee == node,
        _ => false,
    }) {
        return;
    }
    let Some(per) = loops::per_item_context(ast, node) else {
        return;
    };
    if !per.bindings.contains(item) || !per_item(cx, &per) {
        return;
    }
    // report each relation once per loop
    let earlier = (per.node..node).any(|n| {
        matches!(ast.kind(n), Kind::Member { object: o, property: p }
            if p == property && matches!(ast.kind(*o), Kind::Name(x) if x == item))
            && loops::per_item_context(ast, n).is_some_and(|o| o.node == per.node)
    });
    if earlier || part_of_query(cx, node) {
        return;
    }
    let Some(source) = per.iter.and_then(|it| trace_source(cx, it, per.node, 0)) else {
        return;
    };
    let q = &source.query;
    let tortoise = cx.facts.imports.uses("tortoise");
    let lazy_orm = matches!(q.orm, "Django ORM" | "SQLAlchemy" | "Peewee/Tortoise");
    if !lazy_orm || q.kind != QueryKind::Read || !q.many || source.eager.covers(property) {
        return;
    }
    if tortoise && !parent.is_some_and(|p| matches!(ast.kind(p), Kind::Await(_))) {
        return; // Tortoise loads relations only when awaited
    }
    let Some(model) = source.model.clone() else {
        return;
    };
    let condition = if !model.contains('.')
        && cx.facts.imports.get(&model).is_none()
        && cx.facts.model_relations.iter().any(|(m, _)| *m == model)
    {
        let is_rel = cx
            .facts
            .model_relations
            .iter()
            .any(|(m, f)| *m == model && f.contains(property));
        if !is_rel {
            return;
        }
        None
    } else {
        let q = cx.facts.imports.qualify_path(&model);
        if q == model && !model.contains('.') {
            return; // neither defined nor imported here
        }
        let Some((module, name)) = q.rsplit_once('.') else {
            return;
        };
        Some(Condition::LazyRelation {
            module: Some(module.to_string()),
            model: name.to_string(),
            field: property.clone(),
        })
    };
    let model_name = model.rsplit('.').next().unwrap_or(&model);
    let message = format!(
        "`{item}.{property}` lazily loads a related row: one query per `{item}` in this {}",
        per.what
    );
    let help = match q.orm {
        "Django ORM" => format!(
            "add `.select_related(\"{property}\")` (or `.prefetch_related(\"{property}\")` for many-valued relations) to the queryset the loop iterates"
        ),
        "SQLAlchemy" => format!(
            "load the relation with the rows: `.options(selectinload({model_name}.{property}))` (or `joinedload`) on the query the loop iterates"
        ),
        _ => format!(
            "join the relation in the query (`{model_name}.select({model_name}, Rel).join(Rel)`) or use `prefetch()`"
        ),
    };
    let mut f = cx
        .finding(ast.span(node), message)
        .help(help)
        .label(per.span, loop_label(cx, &per))
        .label(
            cx.first_line(source.node),
            format!("`{model_name}` rows loaded here without eager-loading `{property}`"),
        );
    if let Some(c) = condition {
        f = f.condition(c);
    }
    cx.emit(f);
}

/// The member is the start of a query chain already reported as a query (`c.orders.all()`).
fn part_of_query(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let mut cur = node;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Member { object, .. } if *object == cur => cur = p,
            Kind::Call(c) if c.callee == cur => cur = p,
            _ => break,
        }
    }
    cur != node && ast.call(cur).is_some() && cx.facts.query(cur).cloned().is_some()
}

// ---------------------------------------------------------------------------------------------
// 4. Per-row writes and lazy getters on loaded rows

/// `order.save()` over a queryset, Sequelize `order.getCustomer()`, Mongoose `doc.populate()`.
fn item_method(cx: &mut Ctx, node: NodeId, per: &PerItem) -> bool {
    let ast = cx.ast;
    let Some(call) = ast.call(node) else {
        return false;
    };
    let Kind::Member { object, property } = ast.kind(call.callee) else {
        return false;
    };
    let Kind::Name(item) = ast.kind(ast.unwrap_expr(*object)) else {
        return false;
    };
    if !per.bindings.contains(item) {
        return false;
    }
    let write = matches!(
        property.as_str(),
        "save" | "delete" | "destroy" | "update" | "increment" | "decrement" | "remove"
    );
    let reload = matches!(property.as_str(), "reload" | "refresh_from_db" | "populate");
    let getter = ast.lang == Lang::TypeScript
        && ["get", "count", "has"].iter().any(|p| {
            property
                .strip_prefix(p)
                .is_some_and(|r| r.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        });
    if !(write || reload || getter) {
        return false;
    }
    let Some(source) = per.iter.and_then(|it| trace_source(cx, it, per.node, 0)) else {
        return false;
    };
    let q = &source.query;
    let fits = q.kind == QueryKind::Read
        && match q.orm {
            "Django ORM" | "Peewee/Tortoise" => write || property == "refresh_from_db",
            "Sequelize" => write || getter || property == "reload",
            "Mongoose" => write || property == "populate",
            "TypeORM" => write || property == "reload",
            _ => false,
        };
    if !fits {
        return false;
    }
    if locked_per_item(cx, node, per) || batch_job(cx, per) {
        return true; // the row this round locked in its own transaction, or a batch job's round
    }
    // the model's own `save()`/`delete()`: a bulk write would skip it, one call per row is how
    // it runs
    let mut defines = None;
    if write && q.orm == "Django ORM" && orm::ROW_WRITE_METHODS.contains(&property.as_str()) {
        if let Some(model) = row_model(cx, &source) {
            let here = cx
                .facts
                .functions
                .iter()
                .any(|f| f.class.as_deref() == Some(model.as_str()) && f.name == *property);
            if here {
                return true;
            }
            let declared_here = ast
                .subtree(ROOT)
                .any(|i| matches!(ast.kind(i), Kind::Class(c) if c.name == model));
            if !declared_here {
                defines = Some(Condition::UnlessModelDefines {
                    model,
                    method: property.clone(),
                });
            }
        }
    }
    let what = if write { "writes" } else { "runs a query" };
    let message = format!(
        "`{item}.{property}()` {what} once per `{item}` in this {}",
        per.what
    );
    let help = match (q.orm, write) {
        ("Django ORM", true) => "write once: `queryset.update(...)` for one value, or collect the rows and call `Model.objects.bulk_update(rows, [fields])`",
        ("Peewee/Tortoise", true) => "write once: `Model.update(...).where(Model.id.in_(ids))` or `Model.bulk_update(rows, fields)`",
        ("Sequelize", true) => "write once: `Model.update(values, { where: { id: ids } })` or `Model.bulkCreate(rows, { updateOnDuplicate: [...] })`",
        ("Sequelize", false) => "eager-load the association in the `findAll` with `include` and read it from the row",
        ("Mongoose", true) => "write once: `Model.updateMany(...)` or `Model.bulkWrite([...])`",
        ("Mongoose", false) => "populate on the query the loop iterates: `Model.find(...).populate(\"field\")`",
        ("TypeORM", _) => "write once: `repository.save(rows)` with the array, or an `update` with `In(ids)`",
        _ => "load or write every row in one query before or after the loop",
    };
    let mut f = cx
        .finding(cx.first_line(node), message)
        .help(help)
        .label(per.span, loop_label(cx, per))
        .label(cx.first_line(source.node), "rows loaded here");
    if let Some(c) = defines {
        f = f.condition(c);
    }
    cx.emit(f);
    true
}

/// The model class of the loop's rows: `Device` for `Device.objects.filter(..)`, or for a
/// related manager (`chassis.members.all()`) the class of this file that declares the relation
/// with `related_name="members"`.
fn row_model(cx: &Ctx, source: &Source) -> Option<String> {
    if let Some(m) = &source.model {
        return Some(m.rsplit('.').next().unwrap_or(m).to_string());
    }
    let rel = related_manager(cx.ast, source.node, &source.query)?;
    crate::knowledge::relations::related_name_owner(cx.ast, &rel)
}

// ---------------------------------------------------------------------------------------------
// Where the loop's rows come from

/// Relations the iterated query eager-loads.
#[derive(Clone, Debug)]
enum Eager {
    Nothing,
    All,
    Names(Vec<String>),
}

impl Eager {
    fn covers(&self, relation: &str) -> bool {
        match self {
            Eager::Nothing => false,
            Eager::All => true,
            Eager::Names(n) => n.iter().any(|x| x == relation),
        }
    }
    fn merge(self, other: Eager) -> Eager {
        match (self, other) {
            (Eager::All, _) | (_, Eager::All) => Eager::All,
            (Eager::Nothing, x) | (x, Eager::Nothing) => x,
            (Eager::Names(mut a), Eager::Names(b)) => {
                a.extend(b);
                Eager::Names(a)
            }
        }
    }
}

struct Source {
    query: Query,
    /// The query call.
    node: NodeId,
    /// The model as written (`Order`, `models.Order`).
    model: Option<String>,
    eager: Eager,
}

/// Follows the loop's iterable back to the query that produced it, through wrappers
/// (`enumerate`, slices, `.iter()`), chains on variables and earlier assignments.
fn trace_source(cx: &Ctx, expr: NodeId, before: NodeId, depth: u32) -> Option<Source> {
    let ast = cx.ast;
    if depth > 6 {
        return None;
    }
    let e = ast.unwrap_expr(expr);
    match ast.kind(e) {
        Kind::Index { object, .. } => trace_source(cx, *object, before, depth + 1),
        Kind::Name(n) => {
            let value = assigned_value(ast, n, before)?;
            trace_source(cx, value.1, value.0, depth + 1)
        }
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            let recv = ast.receiver(c);
            if recv.is_none()
                && matches!(
                    name,
                    "enumerate" | "list" | "sorted" | "reversed" | "tuple" | "iter" | "set"
                )
            {
                return trace_source(cx, ast.positional(c).next()?, before, depth + 1);
            }
            if recv.is_some()
                && c.args.is_empty()
                && matches!(
                    name,
                    "iter" | "into_iter" | "iter_mut" | "values" | "scalars" | "unique"
                )
                && cx.facts.query(e).cloned().is_none()
            {
                return trace_source(cx, recv?, before, depth + 1);
            }
            if let Some(q) = cx.facts.query(e).cloned() {
                return Some(Source {
                    model: model_of(ast, e, &q),
                    eager: eager_of(ast, e, q.orm),
                    query: q,
                    node: e,
                });
            }
            // a chain on a variable: `orders.select_related("customer").filter(..)`
            let root = ast.chain_root(e);
            if matches!(ast.kind(root), Kind::Name(_)) && root != e {
                let mut s = trace_source(cx, root, before, depth + 1)?;
                let extra = eager_of(ast, e, s.query.orm);
                s.eager = s.eager.merge(extra);
                let chain = ast.call_chain(e);
                let names: Vec<&str> = chain
                    .iter()
                    .filter_map(|&c| ast.call(c).and_then(|c| ast.callee_name(c)))
                    .collect();
                if names
                    .iter()
                    .any(|n| matches!(*n, "get" | "first" | "last" | "count" | "exists" | "one"))
                {
                    s.query.many = false;
                }
                return Some(s);
            }
            None
        }
        _ => None,
    }
}

/// The last `name = value` before `before` in the same function (or module): (assign, value).
fn assigned_value(ast: &Ast, name: &str, before: NodeId) -> Option<(NodeId, NodeId)> {
    let scope = ast.enclosing_function(before).unwrap_or(ROOT);
    let all = ast.assigns_unwrapped(name, scope);
    all[..all.partition_point(|&id| id < before)]
        .iter()
        .rev()
        .find_map(|&id| match ast.kind(id) {
            Kind::Assign {
                target,
                value: Some(v),
                augmented: false,
                ..
            } if matches!(ast.kind(*target), Kind::Name(n) if n == name)
                && ast.enclosing_function(id).unwrap_or(ROOT) == scope =>
            {
                Some((id, *v))
            }
            _ => None,
        })
}

/// The model a query reads: `Order` in `Order.objects.filter(..)`, `session.query(Order)`,
/// `select(Order)`, `Order.query.all()`, `Order.select()`.
fn model_of(ast: &Ast, call: NodeId, q: &Query) -> Option<String> {
    let chain = ast.call_chain(call);
    let first = ast.call(*chain.first()?)?;
    let recv = ast.receiver(first).and_then(|r| ast.path_of(r));
    match q.orm {
        "Django ORM" => recv?.strip_suffix(".objects").map(str::to_string),
        "Peewee/Tortoise" => ast.path_of(ast.chain_root(call)),
        "SQLAlchemy" => {
            if let Some(m) = recv.as_deref().and_then(|r| r.strip_suffix(".query")) {
                return Some(m.to_string());
            }
            ast.subtree(call).find_map(|n| {
                let c = ast.call(n)?;
                if !matches!(ast.callee_name(c), Some("query" | "select")) {
                    return None;
                }
                let arg = ast.positional(c).next()?;
                let p = ast.path_of(arg)?;
                is_capitalised(p.rsplit('.').next().unwrap_or(&p)).then_some(p)
            })
        }
        _ => None,
    }
}

/// The relations a query chain eager-loads (`select_related("customer")`,
/// `.options(selectinload(Order.items))`, Peewee `.join(Customer)`).
fn eager_of(ast: &Ast, call: NodeId, orm: &str) -> Eager {
    let mut out = Eager::Nothing;
    for n in ast.subtree(call) {
        let Some(c) = ast.call(n) else { continue };
        let Some(name) = ast.callee_name(c) else {
            continue;
        };
        let peewee_join = orm == "Peewee/Tortoise" && name == "join";
        if !EAGER_LOADERS.contains(&name) && !peewee_join {
            continue;
        }
        if c.args.is_empty() || peewee_join {
            out = out.merge(Eager::All);
            continue;
        }
        let mut names = Vec::new();
        for a in &c.args {
            if a.name.is_some() {
                continue;
            }
            match ast.kind(ast.unwrap_expr(a.value)) {
                Kind::Str(s) => {
                    names.push(s.value.split("__").next().unwrap_or(&s.value).to_string())
                }
                Kind::Member { property, .. } => names.push(property.clone()),
                Kind::Call(_) => {} // nested loader options are visited on their own
                _ => {
                    out = out.merge(Eager::All);
                }
            }
        }
        out = out.merge(Eager::Names(names));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Per-item work on another system

/// How a query stands to per-item external work (storage, HTTP, documents) in its round.
enum Beside {
    No,
    Yes,
    /// Yes if one of these project functions (module, name) does such work: the index settles.
    Unless(Vec<(Option<String>, String)>),
}

/// The query is a step of per-item work on another system in the same round: it loads what a
/// storage transfer, an HTTP or model-API call or a document's processing needs (`data =
/// Blob.get(..); bytes = storage.read(data.key)`), or stores what such work returned
/// (`uploaded = put_file(..); Item.update(key=uploaded.key)`) ([`crate::knowledge::external`]).
/// That work runs once per item whatever happens to the query, and costs far more: batching the
/// query would not change the loop's cost. A query that only sits next to the work (an audit
/// row written after each upload) is not such a step. `round` is the loop, or the body of a
/// helper called in it; rows a loop collected one by one from such work (`done.push(await
/// upload(..))`) carry it into the loop that writes them.
fn beside_external_work(cx: &Ctx, node: NodeId, round: NodeId, per: Option<&PerItem>) -> Beside {
    let ast = cx.ast;
    // a per-item pipeline is a short round; a huge one is left as reported (bounded time)
    if ast.subtree(round).len() > ROUND_NODES {
        return Beside::No;
    }
    let once = per.and_then(|p| p.iter);
    let in_round = |c: NodeId| c != node && !once.is_some_and(|it| ast.contains(it, c));
    let mut calls: Vec<NodeId> = Vec::new();
    // forward: what the query's result flows into
    let mut fwd: HashSet<String> = HashSet::new();
    for a in ast.ancestors(node).take_while(|&a| a != round) {
        match ast.kind(a) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if ast.contains(*v, node) => fwd.extend(bound_names(ast, *target)),
            // handed straight to a call: `storage.read(await Blob.get(..))`
            Kind::Call(c) if c.args.iter().any(|x| ast.contains(x.value, node)) => calls.push(a),
            _ => {}
        }
    }
    let assigns = round_assignments(ast, round);
    if !fwd.is_empty() {
        grow_forward(&assigns, &mut fwd);
        calls.extend(
            round_calls(ast, round)
                .iter()
                .filter(|(c, reads)| {
                    in_round(*c) && !ast.contains(node, *c) && reads.iter().any(|n| fwd.contains(n))
                })
                .map(|(c, _)| *c),
        );
    }
    // backward: what the query's arguments were computed from
    let mut back: HashSet<String> = names_in(ast, node).into_iter().collect();
    grow_backward(ast, &assigns, node, &mut back, &mut calls);
    // rows collected one by one in an earlier loop: follow what was pushed, in that loop
    if let Some(p) = per.filter(|p| p.bindings.iter().any(|b| back.contains(b))) {
        for (push, arg) in collected_from(ast, p) {
            let Some(inner) = loops::per_item_context(ast, push) else {
                continue;
            };
            let mut b: HashSet<String> = names_in(ast, arg).into_iter().collect();
            calls.extend(ast.subtree(arg).filter(|&c| ast.call(c).is_some()));
            let inner_assigns = round_assignments(ast, inner.node);
            grow_backward(ast, &inner_assigns, push, &mut b, &mut calls);
        }
    }
    let mut pending: Vec<(Option<String>, String)> = Vec::new();
    for c in calls.into_iter().filter(|&c| in_round(c)) {
        match external_callee(cx, c) {
            Beside::Yes => return Beside::Yes,
            Beside::Unless(more) => pending.extend(more),
            Beside::No => {}
        }
    }
    pending.sort();
    pending.dedup();
    if pending.is_empty() {
        Beside::No
    } else {
        Beside::Unless(pending)
    }
}

/// Every query of a helper of this file is a step of external work in the helper's body
/// ([`beside_external_work`] with the body as the round).
fn helper_beside_work(cx: &Ctx, func: NodeId) -> Beside {
    let found = cx.ast.memo("n+1:helper-beside-work", func, || {
        let mut pending = Vec::new();
        let mut any = false;
        for q in cx
            .ast
            .subtree(func)
            .filter(|&q| cx.facts.query(q).is_some())
        {
            any = true;
            match beside_external_work(cx, q, func, None) {
                Beside::Unless(more) => pending.extend(more),
                Beside::Yes => {}
                Beside::No => return None,
            }
        }
        pending.sort();
        pending.dedup();
        any.then_some(pending)
    });
    match found.as_ref() {
        None => Beside::No,
        Some(p) if p.is_empty() => Beside::Yes,
        Some(p) => Beside::Unless(p.clone()),
    }
}

/// Adds a condition to a finding's own, if it has one.
fn also(mut f: crate::engine::Finding, c: Condition) -> crate::engine::Finding {
    let c = match f.condition.take() {
        Some(old) => Condition::All(vec![old, c]),
        None => c,
    };
    f.condition(c)
}

/// Whether the call is per-item external work: a library call, a function of this file that
/// makes one, or an imported project function to look up on the index.
fn external_callee(cx: &Ctx, c: NodeId) -> Beside {
    let ast = cx.ast;
    let Some(call) = ast.call(c) else {
        return Beside::No;
    };
    if crate::knowledge::external::external_call(ast, &cx.facts.imports, c).is_some() {
        return Beside::Yes;
    }
    let here = |n: &str| cx.facts.external_work.iter().any(|w| w == n);
    match ast.kind(crate::knowledge::http_clients::callee_of(ast, c)) {
        Kind::Name(n) if !n.contains("::") => {
            if here(n) {
                return Beside::Yes;
            }
            match imported(cx, n) {
                Some((module, name)) => Beside::Unless(vec![(Some(module), name)]),
                None => Beside::No,
            }
        }
        Kind::Member { object, property } => {
            let Kind::Name(o) = ast.kind(ast.unwrap_expr(*object)) else {
                return Beside::No;
            };
            if matches!(o.as_str(), "this" | "self" | "cls") {
                return if here(property) {
                    Beside::Yes
                } else {
                    Beside::No
                };
            }
            // `storage.upload(..)` on a module or a default export of the project
            match import_of(ast, o) {
                Some((module, orig)) if call.args.iter().all(|a| !a.spread) => {
                    let module = if !orig.is_empty() && ast.lang == Lang::Python {
                        format!("{module}.{orig}")
                    } else {
                        module
                    };
                    Beside::Unless(vec![(Some(module), property.clone())])
                }
                _ => Beside::No,
            }
        }
        _ => Beside::No,
    }
}

/// The names a target binds: `x`, `{ data: file }`, `(a, b)`; a member target binds none.
fn bound_names(ast: &Ast, target: NodeId) -> Vec<String> {
    match ast.kind(ast.unwrap_expr(target)) {
        Kind::Member { .. } | Kind::Index { .. } => Vec::new(),
        _ => names_in(ast, target),
    }
}

/// The plain names read in an expression (`doc` and `key` in `read(doc.key, key)`).
fn names_in(ast: &Ast, id: NodeId) -> Vec<String> {
    ast.subtree(id)
        .filter_map(|i| match ast.kind(i) {
            Kind::Name(n) if !n.contains("::") && !matches!(n.as_str(), "this" | "self") => {
                Some(n.clone())
            }
            _ => None,
        })
        .collect()
}

/// The largest round (in lowered nodes) [`beside_external_work`] reads.
const ROUND_NODES: usize = 20_000;

/// The calls of a round with the names their arguments read, found once per round.
fn round_calls(ast: &Ast, round: NodeId) -> std::sync::Arc<Vec<(NodeId, Vec<String>)>> {
    ast.memo("n+1:round-calls", round, || {
        ast.subtree(round)
            .filter_map(|c| {
                let call = ast.call(c)?;
                let reads: Vec<String> = call
                    .args
                    .iter()
                    .flat_map(|x| names_in(ast, x.value))
                    .collect();
                Some((c, reads))
            })
            .collect()
    })
}

/// An assignment of a round: the node, the names it binds, its value and the names the value
/// reads.
type Assigned = (NodeId, Vec<String>, NodeId, Vec<String>);

/// The assignments in a round, found once per round.
fn round_assignments(ast: &Ast, round: NodeId) -> std::sync::Arc<Vec<Assigned>> {
    ast.memo("n+1:round-assignments", round, || {
        ast.subtree(round)
            .filter_map(|i| match ast.kind(i) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } => Some((i, bound_names(ast, *target), *v, names_in(ast, *v))),
                _ => None,
            })
            .collect()
    })
}

/// Adds to `names` what the round computes from them.
fn grow_forward(assigns: &[Assigned], names: &mut HashSet<String>) {
    loop {
        let before = names.len();
        for (_, bound, _, reads) in assigns {
            if reads.iter().any(|r| names.contains(r)) {
                names.extend(bound.iter().cloned());
            }
        }
        if names.len() == before {
            break;
        }
    }
}

/// Adds to `names` what the round computed them from before `at`, and to `calls` the calls
/// that computed them.
fn grow_backward(
    ast: &Ast,
    assigns: &[Assigned],
    at: NodeId,
    names: &mut HashSet<String>,
    calls: &mut Vec<NodeId>,
) {
    let mut used = vec![false; assigns.len()];
    loop {
        let before = names.len();
        for (k, (a, bound, v, reads)) in assigns.iter().enumerate() {
            if used[k] || *a > at || !bound.iter().any(|b| names.contains(b)) {
                continue;
            }
            used[k] = true;
            names.extend(reads.iter().cloned());
            calls.extend(ast.subtree(*v).filter(|&c| ast.call(c).is_some()));
        }
        if names.len() == before {
            break;
        }
    }
}

/// `results.push(x)` / `results.append(x)` in an earlier loop of the function, when the loop
/// walks `results`: (the push, what it adds).
fn collected_from(ast: &Ast, per: &PerItem) -> Vec<(NodeId, NodeId)> {
    let Some(Kind::Name(coll)) = per.iter.map(|it| ast.kind(ast.unwrap_expr(it))) else {
        return Vec::new();
    };
    let Some(scope) = ast.function_ancestors(per.node).last() else {
        return Vec::new();
    };
    // `name.push(x)` / `name.append(x)` of the function, by name, found once per function
    let pushes = ast.memo("n+1:pushes", scope, || {
        let mut by_name: std::collections::HashMap<String, Vec<(NodeId, NodeId)>> =
            std::collections::HashMap::new();
        for i in ast.subtree(scope) {
            let Some(c) = ast.call(i) else { continue };
            if !matches!(ast.callee_name(c), Some("push" | "append")) {
                continue;
            }
            let recv = ast.receiver(c).map(|r| ast.unwrap_expr(r));
            if let (Some(Kind::Name(n)), Some(arg)) =
                (recv.map(|r| ast.kind(r)), ast.positional(c).next())
            {
                by_name.entry(n.clone()).or_default().push((i, arg));
            }
        }
        by_name
    });
    pushes
        .get(coll)
        .into_iter()
        .flatten()
        .filter(|&&(i, _)| {
            i < per.node
                && loops::per_item_context(ast, i)
                    .is_some_and(|inner| !ast.contains(inner.node, per.node))
        })
        .copied()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Messages

/// The loop variable the query depends on (else the last one bound).
fn pick_binding(ast: &Ast, per: &PerItem, node: NodeId) -> Option<String> {
    let used = per.bindings.iter().find(|b| {
        ast.subtree(node)
            .any(|n| matches!(ast.kind(n), Kind::Name(x) if x == *b))
    });
    used.or(per.bindings.last())
        .filter(|b| b.as_str() != "_")
        .cloned()
}

fn loop_label(cx: &Ctx, per: &PerItem) -> String {
    match per.iter {
        Some(it) => {
            let text = cx.text(it).lines().next().unwrap_or("").trim();
            let short: String = text.chars().take(50).collect();
            let dots = if short.len() < text.len() { "…" } else { "" };
            format!("{} over `{short}{dots}`", per.what)
        }
        None => format!("this {}", per.what),
    }
}

fn query_help(orm: &str, kind: QueryKind) -> &'static str {
    let write = kind == QueryKind::Write;
    if kind == QueryKind::Count {
        match orm {
            "Django ORM" => return "count for every item in one query: `annotate(n=Count(\"<relation>\"))` on the queryset you iterate, or `values(\"<fk>\").annotate(n=Count(\"id\"))` keyed by id",
            "SQLAlchemy" => return "count for every item in one query: `select(Model.fk, func.count()).where(Model.fk.in_(ids)).group_by(Model.fk)`",
            "Prisma" => return "count for every item in one query: `groupBy({ by: ['fk'], where: { fk: { in: ids } }, _count: true })`, or `include: { _count: true }` on the parent query",
            "Mongoose" => return "count for every item in one query: `aggregate([{ $match: { fk: { $in: ids } } }, { $group: { _id: '$fk', n: { $sum: 1 } } }])`",
            "Sequelize" => return "count for every item in one query: `count({ where: { fk: ids }, group: ['fk'] })`",
            _ => {}
        }
    }
    match (orm, write) {
        ("Django ORM", false) => "fetch every item's rows in one query before the loop: `select_related()`/`prefetch_related()` on the queryset you iterate, or `Model.objects.filter(<fk>__in=keys)` grouped in a dict",
        ("Django ORM", true) => "write in one statement: `Model.objects.bulk_create(objs)`, `bulk_update(objs, fields)` or `queryset.update(...)`",
        ("SQLAlchemy", false) => "load the rows with the parent query (`.options(selectinload(...))`/`joinedload`) or in one query with `Model.id.in_(ids)`",
        ("SQLAlchemy", true) => "write in one statement: `session.execute(insert(Model), rows)` or `update(Model).where(Model.id.in_(ids))`",
        ("Peewee/Tortoise", false) => "fetch in one query: `Model.select().where(Model.fk.in_(ids))` (Peewee `prefetch()`), Tortoise `filter(id__in=ids)` / `prefetch_related()`",
        ("Peewee/Tortoise", true) => "write in one statement: `Model.insert_many(rows)` / `bulk_create` / `bulk_update`",
        ("SQL driver", false) => "run one query for all items: `WHERE id = ANY(%s)` (or `IN %s`) with the list of keys",
        ("SQL driver", true) => "write in one round trip: `executemany(...)` or a multi-row `INSERT ... VALUES`",
        ("Prisma", false) => "fetch in one query: `findMany({ where: { id: { in: ids } } })`, or `include` the relation in the parent query",
        ("Prisma", true) => "write in one query: `createMany`/`updateMany`, or batch the writes in `prisma.$transaction([...])`",
        ("TypeORM", false) => "fetch in one query: `find({ where: { id: In(ids) } })`, or load the relation with `relations: [...]` / `leftJoinAndSelect`",
        ("TypeORM", true) => "write in one call: `repository.save(entities)` with the array, or `insert([...])`",
        ("Sequelize", false) => "fetch in one query: `findAll({ where: { id: { [Op.in]: ids } } })`, or eager-load with `include`",
        ("Sequelize", true) => "write in one query: `bulkCreate(rows)` or `update(values, { where: { id: ids } })`",
        ("Mongoose", false) => "fetch in one query: `find({ _id: { $in: ids } })`, or `populate()` the reference",
        ("Mongoose", true) => "write in one round trip: `bulkWrite([...])`, `insertMany` or `updateMany`",
        ("Knex", false) => "fetch in one query: `whereIn('id', ids)`, then group the rows by key",
        ("Knex", true) => "write in one query: `insert(rows)` with an array, or `whereIn(...).update(...)`",
        ("Drizzle", _) => "use one query: `where(inArray(table.id, ids))`, or the relational query's `with:`",
        ("SQL client", false) | ("postgres.js", false) => "run one query for all items: `WHERE id = ANY($1)` with the array of keys (pg), `IN (?)` (mysql2)",
        ("SQL client", true) | ("postgres.js", true) => "write in one statement: a multi-row `INSERT ... VALUES` or `UPDATE ... WHERE id = ANY($1)`",
        ("sqlx", _) => "run one query for all ids: `WHERE id = ANY($1)` binding a `Vec`, then group the rows in a `HashMap`",
        ("diesel", _) => "use one query: `.filter(col.eq_any(&ids))`, or `Child::belonging_to(&parents)` with `.grouped_by(&parents)`",
        ("SeaORM", _) => "use one query: `Entity::find().filter(Column::Id.is_in(ids))`, or `find_with_related` / `load_many`",
        ("tokio-postgres", _) => "run one query for all items: `WHERE id = ANY($1)` with `&ids`, in one round trip",
        _ => "fetch every item's rows in one batched query before the loop (`IN`/`ANY` on the keys) instead of one query per item",
    }
}

#[cfg(test)]
mod tests {
    fn findings(path: &str, src: &str) -> Vec<String> {
        crate::engine::testing::findings("n-plus-one-query", path, src)
    }

    #[test]
    fn django_query_in_loop() {
        let f = findings(
            "views.py",
            "from django.http import JsonResponse\nfrom .models import Order, Customer\n\ndef report(request):\n    out = []\n    for customer in Customer.objects.all():\n        n = Order.objects.filter(customer=customer).count()\n        out.append(n)\n    return JsonResponse(out)\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("runs once per `customer`"), "{f:?}");
    }

    #[test]
    fn batched_and_outside_and_once_are_clean() {
        let f = findings(
            "views.py",
            "from .models import Order\n\ndef a(ids):\n    orders = Order.objects.filter(id__in=ids)\n    for o in orders:\n        print(o.total)\n    for chunk in chunks(ids):\n        Order.objects.filter(id__in=chunk).delete()\n    for c in ids:\n        first = Order.objects.filter(customer_id=c).first()\n        break\n    for status in ['open', 'closed']:\n        Order.objects.filter(status=status).count()\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn lazy_relation_same_file() {
        let src = "from django.db import models\n\nclass Customer(models.Model):\n    name = models.CharField(max_length=10)\n\nclass Order(models.Model):\n    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)\n    total = models.IntegerField()\n\ndef names():\n    out = []\n    for order in Order.objects.filter(total__gt=1):\n        out.append(order.customer.name)\n        out.append(order.total)\n    for order in Order.objects.select_related('customer'):\n        out.append(order.customer.name)\n    return out\n";
        let f = findings("shop/models.py", src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("13:"), "{f:?}");
    }

    #[test]
    fn workers_constants_and_http_sessions_are_clean() {
        let py = "import requests\nfrom .models import Rate\n\nCURRENCIES = ['EUR', 'USD']\n\ndef refresh(urls, queue):\n    session = requests.Session()\n    for url in urls:\n        session.get(url, timeout=5)\n    for code in CURRENCIES:\n        Rate.objects.filter(code=code).update(stale=True)\n    while True:\n        msg = queue.receive_message()\n        Rate.objects.create(code=msg.code)\n";
        let f = findings("jobs.py", py);
        assert!(f.is_empty(), "{f:?}");
        let ts = "import { gql } from '@apollo/client';\nexport async function f(client, ids) {\n  for (const id of ids) {\n    await client.query({ query: GET_USER, variables: { id } });\n  }\n}\n";
        let f = findings("a.ts", ts);
        assert!(f.is_empty(), "{f:?}");
        let rs = "async fn worker(mut rx: Receiver<Job>, pool: PgPool) {\n    while let Some(job) = rx.recv().await {\n        sqlx::query(\"UPDATE jobs SET done = true WHERE id = $1\").bind(job.id).execute(&pool).await.ok();\n    }\n}\n";
        let f = findings("src/worker.rs", rs);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn rust_results_end_the_chain() {
        let rs = "async fn f(pool: &PgPool, ids: &[i64]) -> Result<Vec<String>, E> {\n    let mut out = vec![];\n    for id in ids {\n        let n: String = sqlx::query_scalar(\"SELECT name FROM t WHERE id = $1\").bind(id).fetch_one(pool).await.map_err(E::from)?;\n        out.push(n);\n    }\n    Ok(out)\n}\n";
        let f = findings("src/db.rs", rs);
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn lazy_relation_needs_a_relation_field() {
        let src = "from django.db import models\n\nclass Order(models.Model):\n    customer = models.ForeignKey('Customer', on_delete=models.CASCADE)\n    status = models.CharField(max_length=9)\n\ndef f():\n    for o in Order.objects.all():\n        print(o.status.upper(), o.customer_id)\n    for o in Order.objects.prefetch_related('customer'):\n        print(o.customer.name)\n    rows = Order.objects.all()\n    rows = rows.select_related('customer')\n    for o in rows:\n        print(o.customer.name)\n";
        let f = findings("models.py", src);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn option_map_in_rust_is_not_a_loop() {
        let src = "async fn f(pool: &PgPool, user: Option<i64>) -> Result<()> {\n    let u = user.map(|id| async move { sqlx::query(\"SELECT 1 WHERE id = $1\").bind(id).fetch_one(pool).await });\n    for id in ids {\n        sqlx::query(\"SELECT * FROM t WHERE id = $1\").bind(id).fetch_one(pool).await?;\n    }\n    Ok(())\n}\n";
        let f = findings("src/db.rs", src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("4:"), "{f:?}");
    }

    #[test]
    fn table_placeholders_in_sql() {
        use super::sql_table_placeholder as t;
        assert_eq!(
            t("SELECT setval(..) FROM \"{table_name}\"").as_deref(),
            Some("table_name")
        );
        assert_eq!(t("TRUNCATE ${name} CASCADE").as_deref(), Some("name"));
        assert_eq!(t("UPDATE %(tbl)s SET x = 1").as_deref(), Some("tbl"));
        assert_eq!(t("SELECT * FROM orders WHERE id = {id}"), None);
        assert_eq!(t("SELECT * FROM {0}"), None);
    }

    #[test]
    fn promise_all_map_and_helper_same_file() {
        let src = "import { prisma } from './prisma';\n\nasync function ordersFor(id: string) {\n  return prisma.order.findMany({ where: { userId: id } });\n}\n\nexport async function list(ids: string[]) {\n  await Promise.all(ids.map(async (id) => prisma.user.findUnique({ where: { id } })));\n  for (const id of ids) {\n    await ordersFor(id);\n  }\n  await prisma.user.findMany({ where: { id: { in: ids } } });\n}\n";
        let f = findings("src/x.ts", src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[1].contains("`ordersFor(…)` runs a query (`prisma.order.findMany(…)`) once per `id`"),
            "{f:?}"
        );
    }
}
