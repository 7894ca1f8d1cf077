//! Where code runs inside a database transaction, for every stack in RULES.md, and which rows
//! are side records whose loss does not break consistency.
//!
//! A transaction is opened three ways: around a block (Django `with transaction.atomic():`,
//! SQLAlchemy `with session.begin():`, Peewee `with db.atomic():`, Tortoise `async with
//! in_transaction():`), around a callback (`prisma.$transaction(async (tx) => ..)`,
//! `sequelize.transaction(..)`, `knex.transaction(..)`, `dataSource.transaction(..)`, Drizzle
//! `db.transaction(..)`, Mongoose `session.withTransaction(..)`, diesel/sea-orm
//! `conn.transaction(|c| ..)`) or an array of queries (`prisma.$transaction([..])`), on a whole
//! function (`@transaction.atomic`, `@atomic()`, `@db.atomic()`, TypeORM `@Transaction()`), or
//! by hand (`queryRunner.startTransaction()`, `const t = await sequelize.transaction()`,
//! `let mut tx = pool.begin().await?`, `client.transaction().await?`, `BEGIN` sent as SQL).
//! A project's own wrapper counts when its name says so (`traced_atomic_transaction()`).
//! Queries handed a transaction (`{ transaction: t }`, `{ session }`, `.transacting(trx)`,
//! `tx.user.create(..)`, `.execute(&mut *tx)`) run in it.

use std::collections::{HashMap, HashSet};

use crate::ast::{Ast, Kind, NodeId};

/// A callee, decorator or context manager name that opens or joins a transaction:
/// `atomic`, `transaction`, `$transaction`, `withTransaction`, `in_transaction`,
/// `begin`, `begin_nested`, `traced_atomic_transaction`, `run_in_transaction`.
pub fn opens_transaction(name: &str) -> bool {
    let last = name.rsplit(['.', ':']).next().unwrap_or(name);
    let has = |word: &str| super::contains_ignore_case(last, word);
    has("atomic")
        || has("transaction")
        || matches!(last, "begin" | "begin_nested" | "beginTx" | "begin_tx")
}

/// Calls that start a transaction by hand, for the rest of the function:
/// `queryRunner.startTransaction()`, `session.startTransaction()`, `transaction.set_autocommit(False)`,
/// `db.begin()`, `const t = await sequelize.transaction()` (no callback), Rust
/// `pool.begin()`, `client.transaction()`, `conn.build_transaction()`.
pub fn starts_transaction(ast: &Ast, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    if matches!(
        name,
        "startTransaction"
            | "beginTransaction"
            | "start_transaction"
            | "begin_transaction"
            | "set_autocommit"
            | "build_transaction"
            | "begin"
            | "begin_with"
            | "transaction_with"
    ) {
        return true;
    }
    // a transaction object made without a callback: `await sequelize.transaction()`,
    // `client.transaction().await?`, `db.transaction(opts)`
    if name == "transaction" || name == "$transaction" {
        return !c.args.iter().any(|a| {
            matches!(
                ast.kind(ast.unwrap_expr(a.value)),
                Kind::Function(_) | Kind::Array(_)
            )
        });
    }
    // `client.query("BEGIN")`, `cursor.execute("START TRANSACTION")`
    ast.positional(c).next().is_some_and(|a| {
        ast.plain_str(a).is_some_and(|s| {
            let s = s.trim().to_ascii_uppercase();
            s == "BEGIN" || s.starts_with("BEGIN ") || s.starts_with("START TRANSACTION")
        })
    })
}

/// For every node, whether it runs inside a transaction the code around it opened: a `with`
/// block of a transaction context manager, a function decorated as atomic (or a class whose
/// decorator makes its methods atomic), the arguments of a call that runs them in a
/// transaction (`$transaction([..])`, `db.transaction(async (tx) => ..)`). One pre-order pass;
/// kept per file.
pub fn protected(ast: &Ast) -> std::sync::Arc<Vec<bool>> {
    ast.memo("transactions::protected", crate::ast::ROOT, || {
        let mut out: Vec<bool> = Vec::with_capacity(ast.nodes.len());
        for (id, n) in ast.nodes.iter().enumerate() {
            let id = id as NodeId;
            let inherited = ast.parent(id).is_some_and(|p| out[p as usize]);
            let parent_opens = ast.parent(id).is_some_and(|p| match ast.kind(p) {
                // the body of `with transaction.atomic():` (not its items)
                Kind::With { body, items, .. } => {
                    body.contains(&id) && items.iter().any(|&i| item_opens(ast, i))
                }
                // the arguments of `x.transaction(..)`, `prisma.$transaction([..])`
                Kind::Call(c) => {
                    c.callee != id
                        && ast.callee_name(c).is_some_and(opens_transaction)
                        && !ast
                            .callee_name(c)
                            .is_some_and(|n| n.starts_with("non_atomic") || n == "on_commit")
                }
                _ => false,
            });
            let own = match &n.kind {
                Kind::Function(f) => {
                    f.decorators.iter().any(|d| decorator_opens(ast, d))
                        || route_middleware_opens(ast, id)
                }
                Kind::Class(c) => c.decorators.iter().any(|d| decorator_opens(ast, d)),
                _ => false,
            };
            out.push(inherited || parent_opens || own);
        }
        out
    })
}

/// A handler registered after a middleware that opens a transaction for it
/// (`router.post("orders.create", auth(), transaction(), async (ctx) => ..)`).
fn route_middleware_opens(ast: &Ast, func: NodeId) -> bool {
    let Some(c) = ast.parent(func).and_then(|p| ast.call(p)) else {
        return false;
    };
    c.args.iter().any(|a| {
        a.value != func
            && ast
                .call(ast.unwrap_expr(a.value))
                .and_then(|m| ast.callee_name(m))
                .is_some_and(|n| opens_transaction(n) && !matches!(n, "begin" | "begin_nested"))
    })
}

/// Functions that run as part of another write, inside whatever transaction that write's
/// caller holds: Django `save()`/`delete()` overrides of models and forms, signal receivers
/// (`@receiver(post_save)`), SQLAlchemy event listeners, Sequelize/TypeORM hooks
/// (`@AfterCreate`, `@BeforeSave`), Mongoose middleware (`schema.pre("save", ..)`).
pub fn is_write_hook(ast: &Ast, func: NodeId) -> bool {
    let Some(f) = ast.function(func) else {
        return false;
    };
    let in_class = ast
        .ancestors(func)
        .find(|&a| matches!(ast.kind(a), Kind::Class(_) | Kind::Function(_)))
        .is_some_and(|a| matches!(ast.kind(a), Kind::Class(_)));
    if ast.lang == crate::ast::Lang::Python
        && in_class
        && f.name
            .as_deref()
            .is_some_and(|n| matches!(n, "save" | "delete" | "asave" | "adelete" | "save_model"))
    {
        return true;
    }
    if f.decorators.iter().any(|d| {
        let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
        matches!(last, "receiver" | "listens_for" | "EventSubscriber")
            || (last.starts_with("Before") || last.starts_with("After")) && last.len() > 6
    }) {
        return true;
    }
    // `schema.pre("save", async function () { .. })`, `Model.addHook("afterCreate", ..)`;
    // not `router.post("/orders", ..)`
    ast.parent(func).and_then(|p| ast.call(p)).is_some_and(|c| {
        matches!(
            ast.callee_name(c),
            Some("pre" | "post" | "addHook" | "hook")
        ) && ast
            .positional(c)
            .next()
            .and_then(|a| ast.plain_str(a))
            .is_some_and(|event| {
                !event.starts_with('/')
                    && (matches!(
                        event,
                        "save"
                            | "validate"
                            | "remove"
                            | "deleteOne"
                            | "deleteMany"
                            | "updateOne"
                            | "updateMany"
                            | "findOneAndUpdate"
                            | "findOneAndDelete"
                            | "insertMany"
                            | "init"
                    ) || event.starts_with("before")
                        || event.starts_with("after"))
            })
    })
}

/// What a file tells about the project's transactions, for `missing-transaction`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TxnFacts {
    /// Names of the functions this file calls (or hands over) inside a transaction: a project
    /// function called there runs in it (`with transaction.atomic(): _create_lines(order)`,
    /// `knex.transaction(createOrder)`).
    pub called: Vec<String>,
    /// (function, the project functions it calls), for what those functions call in turn.
    pub edges: Vec<(String, Vec<String>)>,
    /// The file sets Django's `ATOMIC_REQUESTS = True`.
    pub atomic_requests: bool,
}

/// Collects a file's [`TxnFacts`]. Only plain calls, calls on `self`/`cls`/`this`, on a class,
/// an imported module or a service (`this.ordersService.create(..)`) that are no queries count
/// as calls of the project: `order.save()` is a write, not a call of the project's `save`.
pub fn collect(
    ast: &Ast,
    imports: &crate::imports::Imports,
    is_query: &dyn Fn(NodeId) -> bool,
) -> TxnFacts {
    let protected = protected(ast);
    let mut facts = TxnFacts {
        atomic_requests: ast.lang == crate::ast::Lang::Python && sets_atomic_requests(ast),
        ..TxnFacts::default()
    };
    let mut called: Vec<String> = Vec::new();
    let mut push = |n: &str| {
        if !called.iter().any(|o| o == n) {
            called.push(n.to_string());
        }
    };
    let mut edges: Vec<(NodeId, Vec<String>)> = Vec::new();
    for (id, n) in ast.nodes.iter().enumerate() {
        let Kind::Call(c) = &n.kind else { continue };
        let Some(name) = ast.callee_name(c) else {
            continue;
        };
        if opens_transaction(name) {
            for a in &c.args {
                let v = ast.unwrap_expr(a.value);
                if matches!(ast.kind(v), Kind::Name(_) | Kind::Member { .. }) {
                    if let Some(p) = ast.path_of(v) {
                        push(p.rsplit(['.', ':']).next().unwrap_or(&p));
                    }
                }
            }
        }
        // `Reservation.create(..)` is a query, not a call of the project's `create`
        if !project_call(ast, imports, c) || is_query(id as NodeId) {
            continue;
        }
        if protected[id] {
            push(name);
        }
        let owner = ast
            .function_ancestors(id as NodeId)
            .find(|&f| crate::imports::function_name(ast, f).is_some());
        if let Some(owner) = owner {
            match edges.iter_mut().rev().find(|(o, _)| *o == owner) {
                Some((_, names)) => {
                    if !names.iter().any(|x| x == name) {
                        names.push(name.to_string());
                    }
                }
                None => edges.push((owner, vec![name.to_string()])),
            }
        }
    }
    facts.called = called;
    facts.edges = edges
        .into_iter()
        .filter_map(|(o, names)| Some((crate::imports::function_name(ast, o)?, names)))
        .collect();
    facts
}

fn project_call(ast: &Ast, imports: &crate::imports::Imports, c: &crate::ast::Call) -> bool {
    match ast.receiver(c).map(|r| ast.unwrap_expr(r)) {
        None => true,
        Some(r) => match ast.kind(r) {
            Kind::Name(o) => {
                matches!(o.as_str(), "self" | "cls" | "this")
                    || o.starts_with(|ch: char| ch.is_ascii_uppercase())
                    || imports.get(o).is_some()
                    || crate::knowledge::helpers::service_like(o)
            }
            Kind::Member { object, property } => {
                matches!(ast.kind(*object), Kind::Name(o) if matches!(o.as_str(), "self" | "cls" | "this"))
                    && !property.ends_with("session")
            }
            Kind::Call(inner) => ast.callee_name(inner) == Some("super"),
            _ => false,
        },
    }
}

/// The functions that run inside a transaction: those called in one, and what they call, by
/// name, across the project (a name any such function calls counts, whoever else calls it).
pub fn closure<T: Clone + Eq + std::hash::Hash>(
    called: &HashSet<T>,
    edges: &HashMap<T, Vec<T>>,
) -> HashSet<T> {
    let mut seen: HashSet<T> = called.clone();
    let mut todo: Vec<T> = called.iter().cloned().collect();
    while let Some(n) = todo.pop() {
        for c in edges.get(&n).into_iter().flatten() {
            if seen.insert(c.clone()) {
                todo.push(c.clone());
            }
        }
    }
    seen
}

/// The file sets Django's `ATOMIC_REQUESTS` to `True` (in `DATABASES`, or on its own).
fn sets_atomic_requests(ast: &Ast) -> bool {
    ast.nodes.iter().enumerate().any(|(id, n)| match &n.kind {
        Kind::Object { entries, .. } => entries.iter().any(|e| {
            e.key.as_deref() == Some("ATOMIC_REQUESTS")
                && matches!(ast.kind(e.value), Kind::Bool(true))
        }),
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } => {
            matches!(ast.kind(*v), Kind::Bool(true))
                && ast.subtree(*target).any(|t| match ast.kind(t) {
                    Kind::Str(s) => s.value == "ATOMIC_REQUESTS",
                    Kind::Name(x) => x.ends_with("ATOMIC_REQUESTS"),
                    _ => false,
                })
                && id > 0
        }
        _ => false,
    })
}

/// `transaction.atomic()`, `session.begin()`, `db.atomic()`, `in_transaction()`,
/// `traced_atomic_transaction()` as a `with` item.
fn item_opens(ast: &Ast, item: NodeId) -> bool {
    let item = ast.unwrap_expr(item);
    match ast.kind(item) {
        Kind::Call(c) => ast.callee_name(c).is_some_and(opens_transaction),
        Kind::Name(_) | Kind::Member { .. } => ast.path_of(item).is_some_and(|p| {
            p.ends_with("atomic") || p.to_ascii_lowercase().ends_with("transaction")
        }),
        _ => false,
    }
}

/// `@transaction.atomic`, `@atomic()`, `@db.atomic()`, `@Transaction()`,
/// `@method_decorator(transaction.atomic, name="dispatch")`, Rust `#[transactional]`.
fn decorator_opens(ast: &Ast, d: &crate::ast::Decorator) -> bool {
    let last = d.name.rsplit(['.', ':']).next().unwrap_or(&d.name);
    if last.starts_with("non_atomic") {
        return false;
    }
    if opens_transaction(last) && !matches!(last, "begin" | "begin_nested") {
        return true;
    }
    let in_args = d.node.is_some_and(|n| {
        ast.subtree(n).any(|x| match ast.kind(x) {
            Kind::Name(s) => s.ends_with("atomic"),
            Kind::Member { property, .. } => property == "atomic",
            _ => false,
        })
    });
    in_args || d.args.contains("atomic")
}

/// A query handed a transaction: an options object with a `transaction`/`session` key
/// (Sequelize, Mongoose), `.transacting(trx)` / `.session(s)` / `.useTransaction(..)` in the
/// chain, a Prisma/Drizzle/Knex transaction client (`tx.user.create`, `trx('orders')`), a
/// TypeORM transactional manager (`queryRunner.manager.save`, `transactionalEntityManager`),
/// a Rust executor that is a transaction (`.execute(&mut *tx)`, `.exec(&txn)`).
pub fn runs_in_handed_transaction(ast: &Ast, call: NodeId) -> bool {
    let chain = ast.call_chain(call);
    for &c in &chain {
        let Some(cc) = ast.call(c) else { continue };
        if let Some(n) = ast.callee_name(cc) {
            if matches!(
                n,
                "transacting" | "session" | "useTransaction" | "setQueryRunner" | "with_tx"
            ) {
                return true;
            }
        }
        for a in &cc.args {
            let v = ast.unwrap_expr(a.value);
            if a.name.as_deref().is_some_and(is_transaction_name) {
                return true;
            }
            match ast.kind(v) {
                Kind::Object { entries, .. }
                    if entries.iter().any(|e| {
                        e.key
                            .as_deref()
                            .is_some_and(|k| matches!(k, "transaction" | "session"))
                            && !matches!(ast.kind(e.value), Kind::Null)
                    }) =>
                {
                    return true;
                }
                // a Rust executor or a Python/TS positional transaction handle
                Kind::Name(_) | Kind::Member { .. }
                    if ast.path_of(v).is_some_and(|p| is_transaction_name(&p)) =>
                {
                    return true;
                }
                _ => {}
            }
        }
    }
    // the chain starts at a transaction client: `tx.user.create`, `trx('orders')`,
    // `queryRunner.manager.save`, `transactionalEntityManager.save`
    let root = ast.chain_root(call);
    let root_path = ast.path_of(root).unwrap_or_default();
    let first_callee = chain
        .first()
        .and_then(|&c| ast.call(c))
        .and_then(|c| ast.path_of(c.callee))
        .unwrap_or_default();
    is_transaction_name(&root_path)
        || first_callee.to_ascii_lowercase().contains("queryrunner")
        || first_callee
            .split(['.', ':'])
            .next()
            .is_some_and(is_transaction_name)
}

/// A name that holds a transaction: `tx`, `trx`, `txn`, `t` is too short to tell,
/// `transaction`, `transactionalEntityManager`, `self.tx`, `queryRunner.manager`.
pub fn is_transaction_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let last = lower.rsplit(['.', ':']).next().unwrap_or(&lower);
    let last = last
        .trim_start_matches(['_', '*', '&'])
        .trim_start_matches("mut ");
    matches!(last, "tx" | "trx" | "txn" | "tran" | "dbtx" | "db_tx")
        || last.ends_with("_tx")
        || last.ends_with("_txn")
        || last.starts_with("tx_")
        || last.contains("transaction")
        || lower.contains("queryrunner")
}

/// Words of a model or table name that make its rows side records: logs, audit trails,
/// events, history, notifications, analytics, sessions and caches. Losing one when the main
/// write fails (or keeping it when a later write fails) leaves no inconsistent state.
const SIDE_RECORD_WORDS: &[&str] = &[
    "log",
    "logs",
    "logentry",
    "audit",
    "audits",
    "auditlog",
    "event",
    "events",
    "history",
    "histories",
    "activity",
    "activities",
    "notification",
    "notifications",
    "analytics",
    "metric",
    "metrics",
    "stat",
    "stats",
    "statistic",
    "statistics",
    "tracking",
    "visit",
    "visits",
    "pageview",
    "session",
    "sessions",
    "cache",
    "journal",
    "changelog",
    "webhook",
    "webhooks",
    "delivery",
    "deliveries",
    "telemetry",
    "cached",
    "lastseen",
    "last_login",
];

/// Whether a written model, table or variable name (`AuditLog`, `order_events`,
/// `prisma.activity`, `ObjectChange`) names side records.
pub fn is_side_record(target: &str) -> bool {
    let words = words(target);
    words
        .iter()
        .any(|w| SIDE_RECORD_WORDS.contains(&w.as_str()))
        || target.ends_with("Change") && target.starts_with("Object")
}

/// `AuditLogEntry` -> [audit, log, entry]; `order_events` -> [order, events].
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_records_by_word() {
        assert!(is_side_record("AuditLog"));
        assert!(is_side_record("order_events"));
        assert!(is_side_record("prisma.activity"));
        assert!(!is_side_record("Catalog"));
        assert!(!is_side_record("BlogPost"));
        assert!(!is_side_record("OrderLine"));
    }

    #[test]
    fn transaction_names() {
        assert!(opens_transaction("transaction.atomic"));
        assert!(opens_transaction("$transaction"));
        assert!(opens_transaction("traced_atomic_transaction"));
        assert!(opens_transaction("withTransaction"));
        assert!(!opens_transaction("commit"));
        assert!(is_transaction_name("tx"));
        assert!(is_transaction_name("transactionalEntityManager"));
        assert!(is_transaction_name("queryRunner.manager"));
        assert!(!is_transaction_name("pool"));
        assert!(!is_transaction_name("context"));
    }
}
