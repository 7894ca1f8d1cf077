//! Raw SQL: the APIs that run SQL text (sinks), and whether a piece of SQL text is built from
//! runtime data (concatenation, `%`/`.format()`, f-strings, template literals, `format!`),
//! following local variables back to where they were built.
#![allow(clippy::nonminimal_bool)] // the recogniser conditions read as the tables do

use crate::ast::{Ast, BinOp, Kind, Lang, NodeId, StrKind};
use crate::facts::Imports;

/// A call that runs raw SQL text.
#[derive(Clone, Debug)]
pub struct Sink {
    /// As a reviewer reads it: `cursor.execute`, `prisma.$queryRawUnsafe`, `sqlx::query`.
    pub api: String,
    /// The SQL text argument.
    pub sql: NodeId,
    /// The API splices its argument into SQL text unescaped (sqlx `QueryBuilder::push`,
    /// `Prisma.raw`): any runtime value passed is injected.
    pub appends: bool,
}

const PY_METHODS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "mogrify",
    "fetch",
    "fetchrow",
    "fetchval",
    "fetch_all",
    "fetch_one",
    "fetch_val",
    "exec_driver_sql",
    "iterate",
];
const TS_METHODS: &[&str] = &[
    "query",
    "execute",
    "unsafe",
    "many",
    "one",
    "oneOrNone",
    "none",
    "any",
    "manyOrNone",
    "result",
];
const RS_METHODS: &[&str] = &[
    "query",
    "query_one",
    "query_opt",
    "execute",
    "query_raw",
    "batch_execute",
    "simple_query",
    "prepare",
    "query_row",
    "query_map",
    "execute_batch",
    "prepare_cached",
    "exec",
    "query_first",
    "query_drop",
];
/// Methods that take raw SQL on any receiver (their names say so).
const RAW_ANYWHERE: &[&str] = &[
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "whereRaw",
    "orWhereRaw",
    "andWhereRaw",
    "havingRaw",
    "orderByRaw",
    "joinRaw",
    "selectRaw",
    "groupByRaw",
    "fromRaw",
    "execute_unprepared",
];
/// APIs that splice their argument into SQL unescaped: any runtime value passed is injected.
const RAW_FRAGMENTS: &[&str] = &[
    "Prisma.raw",
    "sql.raw",
    "Sequelize.literal",
    "sequelize.literal",
    "literal",
];

/// Free functions / associated functions whose first argument is raw SQL.
const RAW_FUNCTIONS: &[&str] = &[
    "sqlalchemy.text",
    "sqlalchemy.sql.text",
    "sqlalchemy.sql.expression.text",
    "sa.text",
    "RawSQL",
    "django.db.models.expressions.RawSQL",
    "pandas.read_sql",
    "pd.read_sql",
    "pandas.read_sql_query",
    "pd.read_sql_query",
    "sqlx::query",
    "sqlx::query_as",
    "sqlx::query_scalar",
    "sqlx::query_with",
    "sqlx::query_as_with",
    "sqlx::raw_sql",
    "diesel::sql_query",
    "diesel::dsl::sql",
    "sql_query",
    "QueryBuilder::new",
    "sqlx::QueryBuilder::new",
    "Prisma.raw",
    "Prisma.sql",
    "sql.raw",
    "Sequelize.literal",
    "sequelize.literal",
    "literal",
];

fn last(path: &str) -> &str {
    path.rsplit(['.', ':']).next().unwrap_or(path)
}

/// The raw-SQL sink a call is, if any.
pub fn sink(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Sink> {
    let c = ast.call(call)?;
    if c.is_tagged || c.is_macro {
        return None; // tagged templates parameterise; `query!` is compile-time checked
    }
    let path = ast.path_of(c.callee);
    let qualified = path.as_deref().map(|p| imports.qualify_path(p));
    let first = ast
        .positional(c)
        .next()
        .or_else(|| {
            ["sql", "query", "statement", "text", "stmt"]
                .iter()
                .find_map(|k| ast.kwarg(c, k))
        })
        // pg: `pool.query({ text, values })`, mysql2: `query({ sql, values })`
        .map(|a| {
            let o = ast.unwrap_expr(a);
            ast.entry(o, "text")
                .or_else(|| ast.entry(o, "sql"))
                .map_or(a, |e| e.value)
        });
    let name = ast.callee_name(c)?;
    let recv = ast.receiver(c);
    // Free functions: `text(..)`, `sqlx::query(..)`, `sql_query(..)`, `RawSQL(..)`.
    if let (Some(p), Some(q)) = (path.as_deref(), qualified.as_deref()) {
        let hit = RAW_FUNCTIONS.contains(&q)
            || RAW_FUNCTIONS.contains(&p)
            || (p == "text" && q.starts_with("sqlalchemy"))
            || (ast.lang == Lang::Rust
                && [
                    "query",
                    "query_as",
                    "query_scalar",
                    "query_with",
                    "query_as_with",
                ]
                .contains(&p)
                && q.starts_with("sqlx"));
        if hit && !(p == "literal" && !q.contains("sequelize")) {
            // `Prisma.raw(x)`, `sql.raw(x)`, `Sequelize.literal(x)` exist to splice raw text
            let fragment = RAW_FRAGMENTS.contains(&p) || RAW_FRAGMENTS.contains(&q);
            return first.map(|sql| Sink {
                api: p.to_string(),
                sql,
                appends: fragment,
            });
        }
        // sea-orm `Statement::from_string(backend, sql)`
        if ast.lang == Lang::Rust
            && (p.ends_with("Statement::from_string")
                || p.ends_with("Statement::from_sql_and_values"))
        {
            return ast.positional(c).nth(1).map(|sql| Sink {
                api: p.to_string(),
                sql,
                appends: false,
            });
        }
    }
    let recv = recv?;
    let recv_path = ast.path_of(ast.unwrap_expr(recv)).unwrap_or_default();
    let api = format!(
        "{}.{name}",
        if recv_path.is_empty() {
            "…".to_string()
        } else {
            recv_path.clone()
        }
    );
    if RAW_ANYWHERE.contains(&name) {
        return first.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    // `prisma.$queryRaw(str)` called as a function (not tagged) takes raw text.
    if (name == "$queryRaw" || name == "$executeRaw")
        && first.is_some_and(|a| !matches!(ast.kind(ast.unwrap_expr(a)), Kind::Call(_)))
    {
        return first.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    // Knex / Sequelize / TypeORM raw entry points.
    if name == "raw"
        && [
            "knex",
            "db",
            "trx",
            "k",
            "this.knex",
            "this.db",
            "connection",
            "tx",
        ]
        .contains(&recv_path.as_str())
    {
        return first.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    if name == "query" && last(&recv_path).to_ascii_lowercase().contains("sequelize") {
        return first.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    // Django `.raw(sql)` on a manager / queryset, `.extra(where=[..])`.
    if ast.lang == Lang::Python
        && name == "raw"
        && (recv_path.ends_with(".objects") || ast.call(ast.unwrap_expr(recv)).is_some())
    {
        return first.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    if ast.lang == Lang::Python && name == "extra" {
        let v = ["where", "select", "tables", "order_by"]
            .iter()
            .find_map(|k| ast.kwarg(c, k));
        return v.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    // TypeORM query builder fragments: `.where(\`id = ${id}\`)`.
    if ast.lang == Lang::TypeScript
        && [
            "where",
            "andWhere",
            "orWhere",
            "having",
            "orderBy",
            "addOrderBy",
            "innerJoin",
            "leftJoin",
            "select",
            "addSelect",
        ]
        .contains(&name)
    {
        let chain = ast.call_chain(call);
        let builds = |cc: &NodeId| {
            ast.call(*cc).and_then(|x| ast.callee_name(x)) == Some("createQueryBuilder")
        };
        let via_var = match ast.kind(ast.chain_root(call)) {
            Kind::Name(n) => latest_assignment(ast, n, call)
                .is_some_and(|(_, v)| ast.call_chain(v).iter().any(builds)),
            _ => false,
        };
        if chain.iter().any(builds) || via_var {
            return first.map(|sql| Sink {
                api: format!("QueryBuilder.{name}"),
                sql,
                appends: false,
            });
        }
    }
    // sqlx QueryBuilder: `qb.push(format!(..))` appends raw SQL (push_bind is the safe one).
    if ast.lang == Lang::Rust && name == "push" {
        let root = ast.path_of(ast.chain_root(call)).unwrap_or_default();
        let l = last(if recv_path.is_empty() {
            &root
        } else {
            &recv_path
        })
        .to_ascii_lowercase();
        if l.contains("builder") || l == "qb" || l == "query" {
            return first.map(|sql| Sink {
                api,
                sql,
                appends: true,
            });
        }
    }
    // Drivers: `cursor.execute(sql)`, `pool.query(sql)`, `client.query_one(sql, ..)`.
    let methods = match ast.lang {
        Lang::Python => PY_METHODS,
        Lang::TypeScript => TS_METHODS,
        Lang::Rust => RS_METHODS,
    };
    if methods.contains(&name) && super::orm::is_sql_receiver(ast, recv) {
        if [
            "req", "request", "ctx", "res", "reply", "router", "app", "this",
        ]
        .contains(&recv_path.as_str())
        {
            return None;
        }
        return first.map(|sql| Sink {
            api,
            sql,
            appends: false,
        });
    }
    None
}

/// How SQL text was built from runtime data.
#[derive(Clone, Debug)]
pub struct Dynamic {
    /// "an f-string", "a template literal", "`format!`", "string concatenation", "`%` formatting",
    /// "`.format()`".
    pub how: &'static str,
    /// The first non-constant value put into the text (as written).
    pub value: NodeId,
    /// Where the text was built, when not at the sink (a variable assigned earlier).
    pub built_at: Option<NodeId>,
}

/// Whether `expr` (SQL text) is built from non-constant data; follows local variables.
pub fn dynamic_sql(ast: &Ast, expr: NodeId, at: NodeId) -> Option<Dynamic> {
    dynamic(ast, expr, at, 0)
}

/// For appending APIs: the argument itself is runtime data.
pub fn appended_value(ast: &Ast, sink: &Sink, at: NodeId) -> Option<Dynamic> {
    (sink.appends && !is_constant(ast, sink.sql, at, 0)).then_some(Dynamic {
        how: "`push`",
        value: sink.sql,
        built_at: None,
    })
}

fn dynamic(ast: &Ast, expr: NodeId, at: NodeId, depth: u8) -> Option<Dynamic> {
    if depth > 10 {
        return None;
    }
    let e = ast.unwrap_expr(expr);
    match ast.kind(e) {
        Kind::Str(s) if s.kind == StrKind::Interpolated => {
            let how = match ast.lang {
                Lang::Python => "an f-string",
                Lang::TypeScript => "a template literal",
                Lang::Rust => "`format!`",
            };
            s.parts
                .iter()
                .find(|&&p| !is_constant(ast, p, at, depth))
                .map(|&v| Dynamic {
                    how,
                    value: v,
                    built_at: None,
                })
        }
        Kind::Binary {
            op: BinOp::Add,
            lhs,
            rhs,
        } => {
            if let Some(d) = dynamic(ast, *lhs, at, depth + 1) {
                return Some(d);
            }
            if let Some(d) = dynamic(ast, *rhs, at, depth + 1) {
                return Some(d);
            }
            let non_const = [*lhs, *rhs]
                .into_iter()
                .find(|&x| !is_constant(ast, x, at, depth));
            let texty = is_texty(ast, *lhs, at) || is_texty(ast, *rhs, at);
            non_const.filter(|_| texty).map(|v| Dynamic {
                how: "string concatenation",
                value: v,
                built_at: None,
            })
        }
        Kind::Binary {
            op: BinOp::Mod,
            lhs,
            rhs,
        } if is_texty(ast, *lhs, at) => (!is_constant(ast, *rhs, at, depth)).then_some(Dynamic {
            how: "`%` formatting",
            value: *rhs,
            built_at: None,
        }),
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            if c.is_macro && matches!(name, "format" | "concat") {
                return c
                    .args
                    .first()
                    .and_then(|a| dynamic(ast, a.value, at, depth + 1))
                    .or_else(|| {
                        c.args
                            .iter()
                            .skip(1)
                            .find(|a| !is_constant(ast, a.value, at, depth))
                            .map(|a| Dynamic {
                                how: "`format!`",
                                value: a.value,
                                built_at: None,
                            })
                    });
            }
            if name == "format" && ast.receiver(c).is_some_and(|r| is_texty(ast, r, at)) {
                return c
                    .args
                    .iter()
                    .find(|a| !is_constant(ast, a.value, at, depth))
                    .map(|a| Dynamic {
                        how: "`.format()`",
                        value: a.value,
                        built_at: None,
                    });
            }
            if name == "concat" && ast.receiver(c).is_some() {
                return c
                    .args
                    .iter()
                    .find(|a| !is_constant(ast, a.value, at, depth))
                    .map(|a| Dynamic {
                        how: "string concatenation",
                        value: a.value,
                        built_at: None,
                    });
            }
            // `text(f"..")`, `sql.raw(x)`, `.to_string()` / `.as_str()` wrappers: look inside.
            if matches!(
                name,
                "text"
                    | "as_str"
                    | "to_string"
                    | "to_owned"
                    | "into"
                    | "String::from"
                    | "str"
                    | "trim"
                    | "strip"
                    | "dedent"
            ) {
                let inner = ast
                    .receiver(c)
                    .filter(|_| {
                        matches!(
                            name,
                            "as_str" | "to_string" | "to_owned" | "into" | "trim" | "strip"
                        )
                    })
                    .or_else(|| ast.positional(c).next());
                return inner.and_then(|i| dynamic(ast, i, at, depth + 1));
            }
            if name == "join" && !is_constant(ast, e, at, depth) {
                return Some(Dynamic {
                    how: "string joining",
                    value: e,
                    built_at: None,
                });
            }
            None
        }
        Kind::Array(items) => items.iter().find_map(|&i| dynamic(ast, i, at, depth + 1)),
        // `match`/`if`/ternary/block choosing the text: any branch built from runtime data
        Kind::If { .. } | Kind::Other | Kind::Block(_) => {
            ast.children(e).find_map(|k| dynamic(ast, k, at, depth + 1))
        }
        Kind::Name(n) => {
            let (assign, value) = latest_assignment(ast, n, at)?;
            if let Some(mut d) = dynamic(ast, value, assign, depth + 1) {
                d.built_at.get_or_insert(assign);
                return Some(d);
            }
            // `sql += f" AND owner = {owner}"` before the call
            augmented_dynamic(ast, n, assign, at, depth)
        }
        _ => None,
    }
}

/// A string-ish operand, so `a + b` is text concatenation rather than arithmetic: a literal,
/// a concatenation containing one, an ALL_CAPS constant or a variable holding a literal.
fn is_texty(ast: &Ast, id: NodeId, at: NodeId) -> bool {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Str(_) => true,
        Kind::Binary {
            op: BinOp::Add,
            lhs,
            rhs,
        } => is_texty(ast, *lhs, at) || is_texty(ast, *rhs, at),
        Kind::Name(n) => {
            is_const_name(last(n)) && ast.lang == Lang::Python
                || latest_assignment(ast, n, at)
                    .is_some_and(|(_, v)| matches!(ast.kind(ast.unwrap_expr(v)), Kind::Str(_)))
        }
        Kind::Call(c) => matches!(
            ast.callee_name(c),
            Some("to_owned" | "to_string" | "from" | "String::from" | "format")
        ),
        _ => false,
    }
}

fn augmented_dynamic(
    ast: &Ast,
    name: &str,
    from: NodeId,
    at: NodeId,
    depth: u8,
) -> Option<Dynamic> {
    let scope = ast.enclosing_function(at).unwrap_or(0);
    for id in ast.subtree(scope) {
        if id <= from || id >= at {
            continue;
        }
        // Rust `sql.push_str(x)`, JS `parts.push(x)`: appends to the text
        if let Some(c) = ast.call(id) {
            let appends = matches!(
                ast.callee_name(c),
                Some("push_str" | "push" | "append" | "write_str")
            );
            let on_name = ast
                .receiver(c)
                .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                .as_deref()
                == Some(name);
            if appends && on_name {
                if let Some(v) = ast.positional(c).next() {
                    if let Some(mut d) = dynamic(ast, v, id, depth + 1) {
                        d.built_at = Some(id);
                        return Some(d);
                    }
                    if !is_constant(ast, v, id, depth + 1) {
                        return Some(Dynamic {
                            how: "string appends",
                            value: v,
                            built_at: Some(id),
                        });
                    }
                }
            }
        }
        if id <= from || id >= at {
            continue;
        }
        if let Kind::Assign {
            target,
            value: Some(v),
            augmented: true,
            ..
        } = ast.kind(id)
        {
            if ast.path_of(*target).as_deref() == Some(name) {
                if let Some(mut d) = dynamic(ast, *v, id, depth + 1) {
                    d.built_at = Some(id);
                    return Some(d);
                }
                if !is_constant(ast, *v, id, depth) {
                    return Some(Dynamic {
                        how: "string concatenation",
                        value: *v,
                        built_at: Some(id),
                    });
                }
            }
        }
    }
    None
}

/// The last plain assignment to `name` before `at`, in the same function (or module).
fn latest_assignment(ast: &Ast, name: &str, at: NodeId) -> Option<(NodeId, NodeId)> {
    let scope = ast.enclosing_function(at).unwrap_or(0);
    let mut found = None;
    for id in ast.subtree(scope) {
        if id >= at {
            break;
        }
        if let Kind::Assign {
            target,
            value: Some(v),
            augmented: false,
            ..
        } = ast.kind(id)
        {
            if matches!(ast.kind(*target), Kind::Name(t) if t == name) {
                found = Some((id, *v));
            }
        }
    }
    if found.is_none() && scope != 0 {
        // module-level constant: `QUERY = "..."`
        for id in ast.children(0) {
            if let Kind::Assign {
                target,
                value: Some(v),
                ..
            } = ast.kind(id)
            {
                if matches!(ast.kind(*target), Kind::Name(t) if t == name) {
                    found = Some((id, *v));
                }
            }
        }
    }
    found
}

/// Whether a value put into SQL text cannot carry attacker data: literals, ALL_CAPS constants,
/// numbers (`len(x)`, `int(x)`, `.length`), placeholder lists (`", ".join(["%s"] * n)`), and
/// local variables assigned such values.
pub fn is_constant(ast: &Ast, id: NodeId, at: NodeId, depth: u8) -> bool {
    if depth > 10 {
        return false;
    }
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Str(s) => {
            s.kind == StrKind::Plain || s.parts.iter().all(|&p| is_constant(ast, p, at, depth + 1))
        }
        Kind::Number | Kind::Bool(_) | Kind::Null => true,
        Kind::Name(n) => {
            let last = last(n);
            if is_const_name(last) {
                return true;
            }
            if numeric_param(ast, n, at) || bound_to_constant(ast, id, n, depth) {
                return true;
            }
            match latest_assignment(ast, n, at) {
                Some((a, v)) => {
                    is_constant(ast, v, a, depth + 1)
                        && augmented_dynamic(ast, n, a, at, depth + 1).is_none()
                }
                None => false,
            }
        }
        Kind::Member { object, property } => {
            is_const_name(property) && !REQUEST_DATA.contains(&property.as_str())
                || matches!(
                    property.as_str(),
                    "length" | "size" | "db_table" | "__tablename__" | "table_name"
                )
                || matches!(ast.kind(*object), Kind::Member { property: p, .. } if p == "_meta")
        }
        Kind::Index { object, .. } => ast
            .path_of(*object)
            .is_some_and(|p| is_const_name(last(&p))),
        Kind::Other if allow_list_guard(ast, id) => true,
        Kind::Call(c) if enum_accessor(ast, c, at) => true,
        Kind::Other => {
            // a conditional or `match` choosing between constants: `"DESC" if desc else "ASC"`
            let kids: Vec<NodeId> = ast.children(id).collect();
            let strs: Vec<NodeId> = kids
                .iter()
                .copied()
                .filter(|&k| matches!(ast.kind(k), Kind::Str(_)))
                .collect();
            strs.len() >= 2
                && kids.len() - strs.len() <= 1
                && strs.iter().all(|&k| is_constant(ast, k, at, depth + 1))
        }
        Kind::Binary { op, lhs, rhs } => {
            matches!(op, BinOp::Compare)
                || is_constant(ast, *lhs, at, depth + 1) && is_constant(ast, *rhs, at, depth + 1)
                || is_numeric(ast, id)
        }
        Kind::Array(items) => items.iter().all(|&i| is_constant(ast, i, at, depth + 1)),
        Kind::Loop(l) if l.kind == crate::ast::LoopKind::Comprehension => {
            // `[c for c in COLUMNS if c in changes]`, `(f"{c} = %s" for c in fields)`
            l.iter.is_some_and(|it| is_constant(ast, it, at, depth + 1))
                && ast
                    .subtree(id)
                    .filter(|&n| l.iter.is_none_or(|it| !ast.contains(it, n)))
                    .all(|n| match ast.kind(n) {
                        Kind::Str(_) => is_constant(ast, n, at, depth + 1),
                        Kind::Name(x) => {
                            l.bindings.contains(x)
                                || ast.ancestors(n).take_while(|&a| a != id).any(|a| {
                                    matches!(ast.kind(a), Kind::Binary { .. } | Kind::If { .. })
                                })
                        }
                        Kind::Call(_) => false,
                        _ => true,
                    })
        }
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            if matches!(
                name,
                "len"
                    | "int"
                    | "float"
                    | "bool"
                    | "Number"
                    | "parseInt"
                    | "parseFloat"
                    | "count"
                    | "size"
                    | "toFixed"
                    | "uuid4"
                    | "isoformat"
            ) {
                return true;
            }
            if matches!(
                name,
                "to_owned" | "to_string" | "as_str" | "clone" | "into" | "upper" | "lower"
            ) {
                return ast
                    .receiver(c)
                    .is_some_and(|r| is_constant(ast, r, at, depth + 1));
            }
            if matches!(name, "min" | "max" | "abs" | "round" | "clamp") {
                return c
                    .args
                    .iter()
                    .any(|a| is_constant(ast, a.value, at, depth + 1))
                    && matches!(name, "min" | "max" | "clamp")
                    || c.args
                        .iter()
                        .all(|a| is_constant(ast, a.value, at, depth + 1));
            }
            if name == "get"
                && ast
                    .receiver(c)
                    .is_some_and(|r| matches!(ast.kind(ast.unwrap_expr(r)), Kind::Name(n) if is_const_name(last(n))))
            {
                return true; // lookup in a constant allow-list
            }
            if name == "join"
                && (c
                    .args
                    .iter()
                    .all(|a| is_constant(ast, a.value, at, depth + 1))
                    && ast
                        .receiver(c)
                        .is_some_and(|r| is_constant(ast, r, at, depth + 1)))
            {
                return true;
            }
            if name == "join" {
                // placeholder lists: ", ".join(["%s"] * len(ids)), ids.map(() => "?").join(",")
                return ast.subtree(id).any(|n| ast.plain_str(n).is_some_and(is_placeholder_text))
                    || ast.subtree(id).any(|n| matches!(ast.kind(n), Kind::Str(s) if s.kind == StrKind::Interpolated && is_placeholder_text(&s.value.replace("{}", "1"))));
            }
            if name == "repeat" || name == "ljust" {
                return ast
                    .receiver(c)
                    .is_some_and(|r| is_constant(ast, r, at, depth + 1));
            }
            c.is_macro
                && name == "format"
                && c.args
                    .iter()
                    .all(|a| is_constant(ast, a.value, at, depth + 1))
        }
        _ => false,
    }
}

/// A conditional guarded by membership in a constant allow-list:
/// `SORTABLE.has(s) ? s : "name"`, `s if s in ALLOWED else "id"`.
fn allow_list_guard(ast: &Ast, id: NodeId) -> bool {
    ast.children(id).any(|k| match ast.kind(k) {
        Kind::Call(c) => {
            matches!(
                ast.callee_name(c),
                Some("has" | "includes" | "contains" | "contains_key")
            ) && ast
                .receiver(c)
                .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                .is_some_and(|p| is_const_name(last(&p)))
        }
        Kind::Binary {
            op: BinOp::Compare,
            rhs,
            ..
        } => ast
            .path_of(ast.unwrap_expr(*rhs))
            .is_some_and(|p| is_const_name(last(&p))),
        _ => false,
    })
}

/// Rust: `column.as_sql()` on a parameter typed as a project enum/struct (not a string):
/// such accessors map variants to fixed SQL.
fn enum_accessor(ast: &Ast, c: &crate::ast::Call, at: NodeId) -> bool {
    if ast.lang != Lang::Rust || !c.args.is_empty() {
        return false;
    }
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    if !(name.starts_with("as_") || name == "to_sql" || name == "column" || name == "sql")
        || name == "as_str"
    {
        return false;
    }
    let Some(recv) = ast
        .receiver(c)
        .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
    else {
        return false;
    };
    let Some(f) = ast.enclosing_function(at).and_then(|f| ast.function(f)) else {
        return false;
    };
    f.params.iter().any(|p| {
        p.name == recv
            && p.ty.as_deref().is_some_and(|t| {
                let t = t.trim_start_matches('&');
                t.chars().next().is_some_and(|ch| ch.is_ascii_uppercase())
                    && t.chars().all(|ch| ch.is_ascii_alphanumeric())
                    && !matches!(t, "String" | "Value" | "Cow" | "Box" | "Bytes")
            })
    })
}

/// A parameter of the enclosing function typed as a number (`limit: int`, `id: i64`).
fn numeric_param(ast: &Ast, name: &str, at: NodeId) -> bool {
    let Some(f) = ast.enclosing_function(at).and_then(|f| ast.function(f)) else {
        return false;
    };
    f.params.iter().any(|p| {
        p.name == name
            && p.ty.as_deref().is_some_and(|t| {
                matches!(
                    t.trim(),
                    "int"
                        | "float"
                        | "bool"
                        | "number"
                        | "boolean"
                        | "i8"
                        | "i16"
                        | "i32"
                        | "i64"
                        | "u8"
                        | "u16"
                        | "u32"
                        | "u64"
                        | "usize"
                        | "isize"
                        | "f32"
                        | "f64"
                        | "uuid.UUID"
                        | "UUID"
                        | "Uuid"
                )
            })
    })
}

/// A comprehension/loop variable over a constant collection (`for c in COLUMNS`).
fn bound_to_constant(ast: &Ast, id: NodeId, name: &str, depth: u8) -> bool {
    ast.ancestors(id).any(|a| match ast.kind(a) {
        Kind::Loop(l) => {
            l.bindings.iter().any(|b| b == name)
                && l.iter.is_some_and(|it| is_constant(ast, it, a, depth + 1))
        }
        _ => false,
    })
}

fn is_numeric(ast: &Ast, id: NodeId) -> bool {
    matches!(
        ast.kind(id),
        Kind::Binary {
            op: BinOp::Other,
            ..
        }
    )
}

/// `?`, `%s`, `$1`, `:1`, `@p1` with separators: text that only holds bind placeholders.
fn is_placeholder_text(s: &str) -> bool {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '(' && *c != ')')
        .collect();
    !t.is_empty()
        && (t.chars().all(|c| c == '?')
            || t.replace("%s", "").is_empty()
            || t.starts_with('$') && t[1..].chars().all(|c| c.is_ascii_digit() || c == '$')
            || t.starts_with(':')
            || t.starts_with("@p"))
}

/// ALL_CAPS attributes that hold request data, not constants (`request.GET`, `request.POST`).
const REQUEST_DATA: &[&str] = &[
    "GET", "POST", "FILES", "META", "COOKIES", "PUT", "PATCH", "DATA", "QUERY", "BODY", "PARAMS",
    "HEADERS", "FORM", "ARGS", "JSON",
];

/// `TABLE`, `USERS_TABLE`, `MAX_ROWS`: module constants by convention.
fn is_const_name(n: &str) -> bool {
    n.len() > 1
        && n.chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && n.chars().any(|c| c.is_ascii_uppercase())
}
