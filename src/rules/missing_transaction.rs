//! `missing-transaction`: two or more writes of related rows in one function, outside a
//! transaction, so a failure part-way leaves the data inconsistent.
//!
//! The writes are what [`orm::query_call`] counts as writes plus the row and unit-of-work
//! writes of [`orm::instance_write`] (`order.save()`, `session.add(x)`). Two writes must
//! succeed together when both can run on one path through the function (not in the two arms
//! of an `if`, a `try` and its handler, or after a `return`) and they share a row or a value:
//! the later one uses what the earlier one created or saved (`order`), or both use the same
//! local value (`amount`, `item`, `user`). Writes of side records (logs, audit trails,
//! events, notifications, sessions, caches: [`transactions::is_side_record`]), writes that
//! only upsert, the same row saved twice and SQLAlchemy writes staged for one `commit()` are
//! not reported. Transactions are recognised as [`crate::knowledge::transactions`] describes;
//! a function called inside a transaction by the project (any file), and Django code when
//! the project sets `ATOMIC_REQUESTS`, are settled by [`Condition`]s.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ast::{Ast, Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::imports::function_name;
use crate::knowledge::orm::WriteEffect;
use crate::knowledge::{lifecycle, orm, transactions};
use crate::roles::Role;

pub const ID: &str = "missing-transaction";

pub struct MissingTransaction;

/// One write of a function.
struct Write {
    call: NodeId,
    orm: &'static str,
    display: String,
    target: String,
    /// The row variable an instance write saves (`order` in `order.save()`).
    row: Option<String>,
    /// Names of the function's values the write creates or uses.
    entities: HashSet<String>,
    /// Names in the values the function assigns to the saved row's fields.
    assigned: Vec<String>,
    effect: WriteEffect,
    /// The name the write's result is bound to (`order` in `order = Order.objects.create(..)`).
    result: Option<String>,
    /// Writes of one SQLAlchemy/DB-API commit share a segment; autocommit writes have their own.
    segment: usize,
}

/// Where a local name's value came from, for the row writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A query's result: a row the function read or created.
    Query(orm::QueryKind),
    /// A model constructed in the function (`Order(..)`, `new Order()`): saving it inserts.
    New,
}

impl Rule for MissingTransaction {
    fn id(&self) -> &'static str {
        ID
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Module]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        if node != crate::ast::ROOT {
            return;
        }
        let ast = cx.ast;
        let protected = transactions::protected(ast);
        // where each function's local rows came from, and which rows get a relative change
        // (`account.balance -= amount`) before they are saved
        let mut origin: HashMap<(NodeId, String), Origin> = HashMap::new();
        let mut relative_rows: HashSet<(NodeId, String)> = HashSet::new();
        let mut row_values: HashMap<(NodeId, String), Vec<String>> = HashMap::new();
        // names some read of the function binds (`existing = X.objects.filter(..).first()`)
        let mut read_bound: HashSet<(NodeId, String)> = HashSet::new();
        for id in 0..ast.nodes.len() as NodeId {
            let Kind::Assign {
                target,
                value: Some(v),
                augmented,
                ..
            } = ast.kind(id)
            else {
                continue;
            };
            let Some(unit) = unit_of(ast, id) else {
                continue;
            };
            let Some(name) = ast.path_of(*target) else {
                continue;
            };
            if let Kind::Member { object, .. } = ast.kind(*target) {
                if let Some(row) = ast.path_of(*object) {
                    if *augmented || !ast.paths_in(&name, *v).is_empty() {
                        relative_rows.insert((unit, row.clone()));
                    }
                    // `order.discount = coupon.amount`: saving `order` writes `coupon`'s value
                    let names = row_values.entry((unit, row)).or_default();
                    for n in ast.subtree(*v) {
                        if let Kind::Name(x) = ast.kind(n) {
                            names.push(x.clone());
                        }
                    }
                }
                continue;
            }
            let v = ast.unwrap_expr(*v);
            let from = match cx.facts.query(v) {
                Some(q) => Some(Origin::Query(q.kind)),
                None => ast.call(v).and_then(|c| {
                    let callee = ast.path_of(c.callee)?;
                    let last = callee.rsplit(['.', ':']).next().unwrap_or(&callee);
                    let model = last.starts_with(|ch: char| ch.is_ascii_uppercase())
                        && !last.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_');
                    let ctor = c.is_new || ast.lang == Lang::Python && ast.receiver(c).is_none();
                    (model && ctor).then_some(Origin::New)
                }),
            };
            // `rows = [(post_id.eq(post), ..)]`: a write of `rows` also writes `post`
            {
                let names = row_values.entry((unit, name.clone())).or_default();
                for n in ast.subtree(v) {
                    if let Kind::Name(x) = ast.kind(n) {
                        names.push(x.clone());
                    }
                }
            }
            let literal = matches!(ast.kind(v), Kind::Object { .. });
            if let Some(Origin::Query(orm::QueryKind::Read | orm::QueryKind::Count)) = from {
                read_bound.insert((unit, name.clone()));
            }
            if let Some(from) = from.or(literal.then_some(Origin::New)) {
                origin.insert((unit, name), from);
            }
        }
        let mut by_unit: BTreeMap<NodeId, Vec<Write>> = BTreeMap::new();
        for id in 0..ast.nodes.len() as NodeId {
            if ast.call(id).is_none() || protected[id as usize] {
                continue;
            }
            let Some(unit) = unit_of(ast, id) else {
                continue;
            };
            let (q, instance) = match cx.facts.query(id) {
                Some(q) if q.kind == orm::QueryKind::Write => (q.clone(), false),
                Some(_) => continue,
                None => {
                    let is_bound = |n: &str| {
                        matches!(
                            origin.get(&(unit, n.to_string())),
                            Some(Origin::Query(_) | Origin::New)
                        )
                    };
                    match orm::instance_write(ast, &cx.facts.imports, id, &is_bound) {
                        Some(q) => (q, true),
                        None => continue,
                    }
                }
            };
            if transactions::runs_in_handed_transaction(ast, id) {
                continue;
            }
            let row = row_of(ast, id, instance, q.orm);
            let target = match &row {
                Some(r) => r.rsplit('.').next().unwrap_or(r).to_string(),
                None => orm::write_target(ast, id),
            };
            if transactions::is_side_record(&target) {
                continue;
            }
            let mut effect = orm::write_effect(ast, id);
            if let (Some(r), WriteEffect::Set) = (&row, effect) {
                if relative_rows.contains(&(unit, r.clone())) {
                    effect = WriteEffect::Relative;
                } else if instance && origin.get(&(unit, r.clone())) == Some(&Origin::New) {
                    effect = WriteEffect::Create;
                }
            }
            if effect == WriteEffect::Create && ensured(ast, unit, id, &read_bound) {
                effect = WriteEffect::Upsert;
            }
            // the values the function put into the row and into the locals the write uses
            // (`team = Team.objects.get(pk=team_id)`, `member = Member { team_id: team.id }`)
            let mut assigned: Vec<String> = row
                .as_ref()
                .and_then(|r| row_values.get(&(unit, r.clone())))
                .cloned()
                .unwrap_or_default();
            for n in ast.subtree(id) {
                if let Kind::Name(x) = ast.kind(n) {
                    if let Some(from) = row_values.get(&(unit, x.clone())) {
                        assigned.extend(from.iter().cloned());
                    }
                }
            }
            by_unit.entry(unit).or_default().push(Write {
                call: id,
                orm: q.orm,
                display: q.display,
                target,
                row,
                entities: HashSet::new(),
                assigned,
                effect,
                result: None,
                segment: 0,
            });
        }
        for (unit, mut writes) in by_unit {
            if writes.len() < 2 {
                continue;
            }
            check_unit(cx, unit, &mut writes);
        }
    }
}

fn check_unit(cx: &mut Ctx, unit: NodeId, writes: &mut [Write]) {
    let ast = cx.ast;
    if lifecycle::in_test_code(ast, unit)
        || lifecycle::is_startup_function(ast, unit)
        || function_name(ast, unit).is_some_and(|n| lifecycle::is_one_off_name(&n))
        || transactions::is_write_hook(ast, unit)
    {
        return;
    }
    // a transaction begun by hand anywhere in the function covers its writes
    let mut commits = Vec::new();
    for id in ast.subtree(unit) {
        if ast.call(id).is_none() || unit_of(ast, id) != Some(unit) {
            continue;
        }
        if transactions::starts_transaction(ast, id) {
            return;
        }
        if orm::is_commit(ast, id) {
            commits.push(id);
        }
    }
    let staged = !cx.facts.imports.uses("django")
        && !cx.facts.imports.uses("asyncpg")
        && !cx.facts.imports.uses("databases");
    let bound = bound_names(ast, unit);
    for (i, w) in writes.iter_mut().enumerate() {
        w.segment = if staged && matches!(w.orm, "SQLAlchemy" | "SQL driver") {
            usize::MAX - commits.iter().filter(|&&c| c < w.call).count()
        } else {
            i
        };
        let (entities, result) = entities(cx, w, &bound);
        w.entities = entities;
        w.result = result;
    }
    let n = writes.len();
    for i in 0..n {
        let mut group = vec![i];
        for j in i + 1..n {
            if group
                .iter()
                .any(|&g| together(cx, unit, &writes[g], &writes[j]))
                && !group
                    .iter()
                    .any(|&g| exclusive(cx, unit, writes[g].call, writes[j].call))
            {
                group.push(j);
            }
        }
        // Sets, deletes and upserts only: running the function again finishes the job. An
        // insert or a relative change cannot be repeated (a second order, a double debit). And
        // a sequence that only ensures rows exist before its one insert (`get_or_create` a
        // topic, then link it) leaves nothing wrong behind when the insert fails.
        let unrepeatable = group.iter().any(|&g| {
            matches!(
                writes[g].effect,
                WriteEffect::Create | WriteEffect::Relative
            )
        });
        let leaves_state = group[..group.len() - 1]
            .iter()
            .any(|&g| writes[g].effect != WriteEffect::Upsert);
        if group.len() < 2 || !unrepeatable || !leaves_state {
            continue;
        }
        report(cx, unit, writes, &group);
        return;
    }
}

/// Whether two writes (`a` before `b`) must succeed together.
fn together(cx: &Ctx, unit: NodeId, a: &Write, b: &Write) -> bool {
    if a.call == b.call || a.segment == b.segment {
        return false;
    }
    // the same row written again (`order.save()` twice, `task = create(..)` then `task.save()`
    // or an update of `task.id`), or the same batch flushed in parts
    if a.row.is_some() && a.row == b.row
        || b.row.is_some() && b.row == a.result
        || a.target == b.target && a.result.as_ref().is_some_and(|r| b.entities.contains(r))
        || a.display == b.display && orm::is_bulk_display(&a.display)
    {
        return false;
    }
    if !a.entities.iter().any(|e| b.entities.contains(e)) {
        return false;
    }
    !exclusive(cx, unit, a.call, b.call)
}

/// Whether `a` and `b` never both run: two arms of an `if`, a `match` or a `switch`, a `try`
/// body and its handler, or `a` in a branch that leaves the function before `b`.
fn exclusive(cx: &Ctx, unit: NodeId, a: NodeId, b: NodeId) -> bool {
    let ast = cx.ast;
    let a_up: Vec<NodeId> = std::iter::once(a)
        .chain(ast.ancestors(a).take_while(|&x| x != unit))
        .collect();
    let Some(lca) = ast.ancestors(b).find(|x| a_up.contains(x) || *x == unit) else {
        return false;
    };
    let child_of = |x: NodeId| {
        std::iter::once(x)
            .chain(ast.ancestors(x))
            .find(|&c| ast.parent(c) == Some(lca))
    };
    let (Some(ca), Some(cb)) = (child_of(a), child_of(b)) else {
        return false;
    };
    match ast.kind(lca) {
        Kind::If { then, els, .. }
            if then.contains(&ca) && els.contains(&cb)
                || els.contains(&ca) && then.contains(&cb) =>
        {
            return true;
        }
        Kind::Try { body, handlers, .. } => {
            let in_body = |c| body.contains(&c);
            let in_handler = |c| handlers.contains(&c);
            if in_body(ca) && in_handler(cb)
                || in_handler(ca) && in_body(cb)
                || in_handler(ca) && in_handler(cb) && ca != cb
            {
                return true;
            }
        }
        Kind::Other if ca != cb => {
            let text = cx.text(lca).trim_start();
            let arm = |c: NodeId| {
                let t = cx.text(c).trim_start();
                t.starts_with("case ") || t.starts_with("default")
            };
            if text.starts_with("match") || text.starts_with("switch") || arm(ca) && arm(cb) {
                return true;
            }
        }
        _ => {}
    }
    // `a` in a branch that returns before `b` runs
    for &x in &a_up {
        if x == lca || ast.contains(x, b) {
            break;
        }
        let Kind::If { then, els, .. } = ast.kind(x) else {
            continue;
        };
        let branch = if ast.contains_any(then, a) { then } else { els };
        if branch.last().is_some_and(|&s| leaves(cx, s)) {
            return true;
        }
    }
    false
}

/// A statement that leaves the function or the loop round: `return`, `raise`, `throw`,
/// `continue`, `break`.
fn leaves(cx: &Ctx, stmt: NodeId) -> bool {
    match cx.ast.kind(stmt) {
        Kind::Return(_) | Kind::Break(_) | Kind::Continue => true,
        _ => {
            let t = cx.text(stmt).trim_start();
            t.starts_with("raise") || t.starts_with("throw") || t.starts_with("return")
        }
    }
}

/// Names the function binds itself: its parameters (and those of the callbacks in it), the
/// targets of its assignments, loop variables and `with .. as` names.
fn bound_names(ast: &Ast, unit: NodeId) -> HashSet<String> {
    let mut out = HashSet::new();
    for id in ast.subtree(unit) {
        match ast.kind(id) {
            Kind::Function(f) if id == unit || unit_of(ast, id) == Some(unit) => {
                // Rust patterns: `Json(input): Json<NewOrder>` binds `input`
                for p in &f.params {
                    out.extend(
                        p.name
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'))
                            .filter(|w| *w != "mut" && *w != "ref")
                            .map(str::to_string),
                    );
                }
            }
            Kind::Assign { target, .. } => {
                for t in ast.subtree(*target) {
                    if let Kind::Name(n) = ast.kind(t) {
                        out.insert(n.clone());
                    }
                }
            }
            Kind::Loop(l) => out.extend(l.bindings.iter().cloned()),
            Kind::With { names, .. } => out.extend(names.iter().flatten().cloned()),
            _ => {}
        }
    }
    out.retain(|n| !is_context_name(n));
    out
}

/// Names that hold the request, the framework's context, a connection or a client, or a clock
/// reading: shared by every write of a handler, so they relate nothing.
fn is_context_name(name: &str) -> bool {
    let n = name
        .trim_start_matches(['_', '&', '*'])
        .trim_start_matches("mut ")
        .to_ascii_lowercase();
    matches!(
        n.as_str(),
        "self"
            | "cls"
            | "this"
            | "request"
            | "req"
            | "res"
            | "reply"
            | "ctx"
            | "context"
            | "info"
            | "args"
            | "kwargs"
            | "app"
            | "state"
            | "data"
            | "now"
            | "today"
            | "timestamp"
            | "ts"
            | "time"
            | "date"
            | "e"
            | "err"
            | "error"
            | "next"
            | "options"
            | "opts"
            | "config"
            | "settings"
            | "logger"
            | "log"
            | "env"
    ) || [
        "conn",
        "pool",
        "session",
        "client",
        "cursor",
        "prisma",
        "knex",
        "sequelize",
    ]
    .iter()
    .any(|s| n.contains(s))
        || [
            "db",
            "tx",
            "trx",
            "txn",
            "repo",
            "repository",
            "manager",
            "service",
            "em",
        ]
        .iter()
        .any(|s| n == *s || n.ends_with(&format!("_{s}")) || n.ends_with(s) && n.len() > 6)
}

/// The function's values a write creates or uses: the name its result is bound to, the row it
/// saves, and the bound names in its arguments and receiver (not the callees).
fn entities(cx: &Ctx, w: &Write, bound: &HashSet<String>) -> (HashSet<String>, Option<String>) {
    let ast = cx.ast;
    let mut out = HashSet::new();
    let mut result = None;
    // `order = Order.objects.create(..)`, `const order = await prisma.order.create(..)`
    let mut up = w.call;
    while let Some(p) = ast.parent(up) {
        match ast.kind(p) {
            Kind::Await(_) | Kind::Question(_) => up = p,
            Kind::Call(c) if orm::is_rust_adaptor(ast, c) || ast.receiver(c) == Some(up) => up = p,
            Kind::Member { object, .. } if *object == up => up = p,
            Kind::Other if ast.wrapped(p).is_some() => up = p,
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *v == up => {
                for t in ast.subtree(*target) {
                    if let Kind::Name(n) = ast.kind(t) {
                        if !is_context_name(n) {
                            out.insert(n.clone());
                            result.get_or_insert_with(|| n.clone());
                        }
                    }
                }
                break;
            }
            _ => break,
        }
    }
    if let Some(r) = &w.row {
        let root = r.split('.').next().unwrap_or(r);
        if !is_context_name(root) {
            out.insert(root.to_string());
        } else if r.split('.').count() > 1 {
            // `self.order.save()`: the row is the field
            out.insert(r.clone());
        }
    }
    out.extend(w.assigned.iter().filter(|n| bound.contains(*n)).cloned());
    for id in ast.subtree(w.call) {
        if let Kind::Member { .. } = ast.kind(id) {
            // the same request value (`req.body.userId`, `request.user`) names the same row
            let outer = ast.parent(id).is_none_or(
                |p| !matches!(ast.kind(p), Kind::Member { object, .. } if *object == id),
            );
            if let Some(path) = ast.path_of(id).filter(|_| outer) {
                let segs: Vec<&str> = path.split('.').collect();
                let request = matches!(segs[0], "req" | "request");
                if request && segs.len() >= 3 || path == "request.user" {
                    out.insert(path);
                }
            }
            continue;
        }
        let Kind::Name(n) = ast.kind(id) else {
            continue;
        };
        let is_callee = ast
            .parent(id)
            .and_then(|p| ast.call(p))
            .is_some_and(|c| c.callee == id);
        if !is_callee && bound.contains(n) {
            out.insert(n.clone());
        }
    }
    (out, result)
}

/// The row variable a write saves: the receiver of an instance write (`order.save()`,
/// `self.order.save()`), the argument of SQLAlchemy's `session.add(order)`, or the receiver of
/// a one-call Rust/Python write on a local (`cipher.save(&conn)`).
fn row_of(ast: &Ast, call: NodeId, instance: bool, orm: &str) -> Option<String> {
    let c = ast.call(call)?;
    if instance && orm == "SQLAlchemy" {
        // `session.add(order)`: the row is the argument
        return ast
            .positional(c)
            .next()
            .and_then(|a| ast.path_of(ast.unwrap_expr(a)));
    }
    let recv = ast.unwrap_expr(ast.receiver(c)?);
    let path = ast.path_of(recv)?;
    if instance {
        return Some(path);
    }
    let one_call = ast.call_chain(call).len() == 1;
    let plain = matches!(ast.kind(recv), Kind::Name(n)
        if n.starts_with(|ch: char| ch.is_ascii_lowercase()) && !is_context_name(n) && !n.contains("::"));
    (one_call && plain).then_some(path)
}

/// An insert guarded by a lookup of the row it would insert (`if not existing: create(..)`,
/// `if (!existing) await X.create(..)`): create-if-missing, which a second run skips.
fn ensured(ast: &Ast, unit: NodeId, call: NodeId, read_bound: &HashSet<(NodeId, String)>) -> bool {
    ast.ancestors(call)
        .take_while(|&a| a != unit)
        .any(|a| match ast.kind(a) {
            Kind::If { cond, then, .. } if ast.contains_any(then, call) => {
                let negated = matches!(ast.kind(*cond), Kind::Unary { op: crate::ast::UnOp::Not, .. })
                    || matches!(ast.kind(*cond), Kind::Binary { op: crate::ast::BinOp::Compare, rhs, .. } if matches!(ast.kind(*rhs), Kind::Null));
                negated
                    && ast.subtree(*cond).any(|n| match ast.kind(n) {
                        Kind::Name(x) => read_bound.contains(&(unit, x.clone())),
                        _ => false,
                    })
            }
            _ => false,
        })
}

/// The function a write belongs to: its innermost function, or for a callback inside another
/// function (`items.map(async (i) => ..)`, a closure), the function around it.
fn unit_of(ast: &Ast, id: NodeId) -> Option<NodeId> {
    let mut f = ast.enclosing_function(id)?;
    loop {
        let anonymous = ast.function(f).is_some_and(|fun| fun.name.is_none())
            && function_name(ast, f).is_none();
        let callback = ast.parent(f).is_some_and(|p| {
            ast.call(p).is_some() || matches!(ast.kind(p), Kind::Other | Kind::Await(_))
        });
        match ast.enclosing_function(f) {
            Some(outer) if anonymous && callback => f = outer,
            _ => return Some(f),
        }
    }
}

fn report(cx: &mut Ctx, unit: NodeId, writes: &[Write], group: &[usize]) {
    let ast = cx.ast;
    let first = &writes[group[0]];
    let others: Vec<&Write> = group[1..].iter().map(|&g| &writes[g]).collect();
    let names: Vec<String> = others
        .iter()
        .take(3)
        .map(|w| format!("`{}`", short(&w.display)))
        .collect();
    let more = if others.len() > 3 { ", …" } else { "" };
    let message = format!(
        "`{}` and {} later write{} of related rows ({}{more}) are not in one transaction, so a failure part-way leaves them inconsistent; {}",
        short(&first.display),
        others.len(),
        if others.len() == 1 { "" } else { "s" },
        names.join(", "),
        fix(cx, first.orm)
    );
    let mut f = cx
        .finding(cx.first_line(first.call), message)
        .help(help(ast.lang));
    for w in &others {
        f = f.label(
            cx.first_line(w.call),
            format!("also writes `{}` here", w.target),
        );
    }
    let mut conditions = Vec::new();
    if let Some(name) = function_name(ast, unit).filter(|_| !cx.facts.is_handler(unit)) {
        // the same file: every call of the function is inside a transaction
        let calls = ast.calls_named(&name);
        let protected = transactions::protected(ast);
        if !calls.is_empty() && calls.iter().all(|&c| protected[c as usize]) {
            return;
        }
        conditions.push(Condition::UnlessCalledInTransaction(name));
    }
    if first.orm == "Django ORM" && cx.role == Role::Service {
        conditions.push(Condition::UnlessAtomicRequests);
    }
    match conditions.len() {
        0 => {}
        1 => f = f.condition(conditions.remove(0)),
        _ => f = f.condition(Condition::All(conditions)),
    }
    cx.emit(f);
}

/// A write as the message names it: the first line, at most 60 characters.
fn short(display: &str) -> String {
    let s: String = display.chars().take(60).collect();
    if s.len() < display.len() {
        format!("{s}…")
    } else {
        s
    }
}

/// The stack's way to make the writes one transaction.
fn fix(cx: &Ctx, orm: &str) -> &'static str {
    let uses = |m: &str| cx.facts.imports.uses(m);
    match orm {
        "Django ORM" if uses("tortoise") => "wrap them in `async with in_transaction():`",
        "Django ORM" | "Peewee/Tortoise" if uses("peewee") => "wrap them in `with db.atomic():`",
        "Peewee/Tortoise" if uses("tortoise") => "wrap them in `async with in_transaction():`",
        "Django ORM" | "Peewee/Tortoise" => "wrap them in `with transaction.atomic():`",
        "SQLAlchemy" => "stage them and commit once (`with session.begin():`)",
        "SQL driver" => "run them in one transaction and commit once",
        "Prisma" => "run them in `prisma.$transaction(async (tx) => ...)` or as one nested write",
        "TypeORM" => "run them in `dataSource.transaction(async (manager) => ...)`",
        "Sequelize" => "run them in `sequelize.transaction(async (t) => ...)`",
        "Mongoose" => "run them in `session.withTransaction(async () => ...)` with `{ session }`",
        "Knex" => "run them in `knex.transaction(async (trx) => ...)`",
        "Drizzle" => "run them in `db.transaction(async (tx) => ...)`",
        "Active Record" if uses("sequelize") => {
            "run them in `sequelize.transaction(async (t) => ...)`"
        }
        "Active Record" => "run them in `dataSource.transaction(async (manager) => ...)`",
        "SQL client" | "postgres.js" => "send them between `BEGIN` and `COMMIT` on one client",
        "sqlx" => "run them on `let mut tx = pool.begin().await?` and `tx.commit().await?`",
        "diesel" => "run them in `conn.transaction(|conn| ...)`",
        "SeaORM" => "run them on `let txn = db.begin().await?` and `txn.commit().await?`",
        "tokio-postgres" => {
            "run them on `let tx = client.transaction().await?` and `tx.commit().await?`"
        }
        _ => "run them in one transaction",
    }
}

fn help(lang: Lang) -> &'static str {
    match lang {
        Lang::Python => "a write that fails after earlier ones leaves them committed (an order without its lines, a debit without its credit); one transaction makes them all-or-nothing",
        Lang::TypeScript => "each ORM call commits on its own; a transaction (or one nested write) makes the related writes all-or-nothing",
        Lang::Rust => "each query on a pool or connection commits on its own; a transaction makes the related writes all-or-nothing",
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    const RULE: &str = super::ID;

    #[test]
    fn django_order_and_lines() {
        let src = "from django.db import transaction\nfrom .models import Order, Line\n\ndef place(request, items):\n    order = Order.objects.create(user=request.user)\n    for item in items:\n        Line.objects.create(order=order, sku=item)\n";
        assert_eq!(lines(RULE, "shop/views.py", src), vec![5]);
        let wrapped = "from django.db import transaction\nfrom .models import Order, Line\n\ndef place(request, items):\n    with transaction.atomic():\n        order = Order.objects.create(user=request.user)\n        for item in items:\n            Line.objects.create(order=order, sku=item)\n";
        assert!(lines(RULE, "shop/views.py", wrapped).is_empty());
    }

    /// Lints a small project written to a temporary folder.
    fn project(files: &[(&str, &str)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        for (path, src) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, src).unwrap();
        }
        let report = crate::lint_paths(&[dir.path().to_path_buf()], &crate::Options::default());
        report
            .diagnostics
            .iter()
            .filter(|d| d.rule == RULE)
            .map(|d| {
                format!(
                    "{}:{}",
                    d.path.file_name().unwrap().to_string_lossy(),
                    d.start.line
                )
            })
            .collect()
    }

    const VIEW: &str = "from django.db.models import F\nfrom .models import Order, Product\n\ndef place(request, sku):\n    order = Order.objects.create(user=request.user, sku=sku)\n    Product.objects.filter(sku=sku).update(stock=F('stock') - 1)\n    return order\n";

    #[test]
    fn atomic_requests_covers_django_views() {
        assert_eq!(project(&[("shop/views.py", VIEW)]), vec!["views.py:5"]);
        let settings = "DATABASES = {\n    'default': {'ENGINE': 'django.db.backends.postgresql', 'ATOMIC_REQUESTS': True},\n}\n";
        assert!(project(&[("shop/views.py", VIEW), ("conf/settings.py", settings)]).is_empty());
        let off = "DATABASES = {'default': {'ATOMIC_REQUESTS': False}}\n";
        assert_eq!(
            project(&[("shop/views.py", VIEW), ("conf/settings.py", off)]),
            vec!["views.py:5"]
        );
    }

    #[test]
    fn a_caller_in_a_transaction_covers_the_helper_and_what_it_calls() {
        let helper = "from django.db.models import F\nfrom .models import Order, Product\n\ndef place(user, sku):\n    order = Order.objects.create(user=user, sku=sku)\n    Product.objects.filter(sku=sku).update(stock=F('stock') - 1)\n    return order\n";
        let direct = "from django.db import transaction\nfrom .services import place\n\ndef view(request):\n    with transaction.atomic():\n        place(request.user, request.POST['sku'])\n";
        assert!(project(&[("shop/services.py", helper), ("shop/views.py", direct)]).is_empty());
        let two_levels = "from django.db import transaction\nfrom .services import place\n\ndef checkout(user, sku):\n    return place(user, sku)\n\ndef view(request):\n    with transaction.atomic():\n        checkout(request.user, request.POST['sku'])\n";
        assert!(project(&[("shop/services.py", helper), ("shop/views.py", two_levels)]).is_empty());
        let outside = "from .services import place\n\ndef view(request):\n    place(request.user, request.POST['sku'])\n";
        assert_eq!(
            project(&[("shop/services.py", helper), ("shop/views.py", outside)]),
            vec!["services.py:5"]
        );
    }

    #[test]
    fn unrelated_and_side_writes_stay_clean() {
        let src = "from .models import Order, AuditLog\n\ndef place(request, items):\n    order = Order.objects.create(user=request.user)\n    AuditLog.objects.create(order=order)\n";
        assert!(lines(RULE, "shop/views.py", src).is_empty());
    }
}
