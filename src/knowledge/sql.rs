//! Raw SQL: the APIs that run SQL text (sinks), and whether a piece of SQL text is built from
//! runtime data (concatenation, `%`/`.format()`, f-strings, template literals, `format!`),
//! following local variables back to where they were built.
#![allow(clippy::nonminimal_bool)] // the recogniser conditions read as the tables do

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::ast::{Ast, BinOp, Kind, Lang, NodeId, StrKind, UnOp};
use crate::imports::Imports;

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
    // made only for a sink (this runs for every method call)
    let api = || match recv_path.is_empty() {
        true => format!("….{name}"),
        false => format!("{recv_path}.{name}"),
    };
    if RAW_ANYWHERE.contains(&name) {
        return first.map(|sql| Sink {
            api: api(),
            sql,
            appends: false,
        });
    }
    // `prisma.$queryRaw(str)` called as a function (not tagged) takes raw text.
    if (name == "$queryRaw" || name == "$executeRaw")
        && first.is_some_and(|a| !matches!(ast.kind(ast.unwrap_expr(a)), Kind::Call(_)))
    {
        return first.map(|sql| Sink {
            api: api(),
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
            api: api(),
            sql,
            appends: false,
        });
    }
    if name == "query" && last(&recv_path).to_ascii_lowercase().contains("sequelize") {
        return first.map(|sql| Sink {
            api: api(),
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
            api: api(),
            sql,
            appends: false,
        });
    }
    if ast.lang == Lang::Python && name == "extra" {
        let v = ["where", "select", "tables", "order_by"]
            .iter()
            .find_map(|k| ast.kwarg(c, k));
        return v.map(|sql| Sink {
            api: api(),
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
        let text_arg =
            first.is_some_and(|a| !matches!(ast.kind(ast.unwrap_expr(a)), Kind::Array(_)));
        if (l.contains("builder") || l == "qb" || l == "query")
            && text_arg
            && !bound_to_other_than_builder(ast, ast.chain_root(call), call)
        {
            return first.map(|sql| Sink {
                api: api(),
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
            api: api(),
            sql,
            appends: false,
        });
    }
    None
}

/// Rust `push` on a local or parameter that is known not to be a query builder: a `Vec` of
/// pairs (`let mut query = vec![..]`), a `String`, a parameter typed as something else.
fn bound_to_other_than_builder(ast: &Ast, root: NodeId, at: NodeId) -> bool {
    let Kind::Name(n) = ast.kind(root) else {
        return false;
    };
    let builder = |t: &str| t.contains("Builder") || t.contains("builder");
    if let Some((_, v)) = latest_assignment(ast, n, at) {
        let v = ast.unwrap_expr(v);
        return !ast.subtree(v).any(|id| match ast.kind(id) {
            Kind::Name(p) => builder(p),
            Kind::Member { property, .. } => builder(property),
            _ => false,
        });
    }
    ast.enclosing_function(at)
        .and_then(|f| ast.function(f))
        .and_then(|f| f.params.iter().find(|p| &p.name == n))
        .and_then(|p| p.ty.as_deref())
        .is_some_and(|t| !builder(t))
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

/// What a lenient trace accepted as safe on the project's word: parameters that only constants
/// may reach, and values that passed a project validator. The finding then holds unless the
/// project index confirms every one of them.
#[derive(Clone, Debug, Default)]
pub struct Accepted {
    /// (function node, parameter index as declared).
    pub params: Vec<(NodeId, usize)>,
    /// Names of project functions used as guards (`if (!isSlug(x)) throw ..`).
    pub validators: Vec<String>,
}

/// Follows where the values put into SQL text come from, in one file.
///
/// A strict trace accepts only what the file itself proves safe: literals, constants, numbers,
/// identifiers from model metadata, values the code generates itself (timestamps, random hex),
/// SQL compiled by the ORM, rows of the database's own catalog, values checked by an anchored
/// allow-list regex. A lenient trace also accepts parameters of the enclosing function (when it
/// is a named function the project calls, not a handler) and values guarded by a project
/// function, recording them in [`Accepted`] for the project index to confirm.
pub struct Trace<'a> {
    pub ast: &'a Ast,
    pub text: &'a str,
    lenient: Option<&'a HashMap<NodeId, &'static str>>,
    accepted: RefCell<Accepted>,
}

impl<'a> Trace<'a> {
    pub fn strict(ast: &'a Ast, text: &'a str) -> Trace<'a> {
        Trace {
            ast,
            text,
            lenient: None,
            accepted: RefCell::default(),
        }
    }
    /// `handlers`: the file's HTTP handlers, whose parameters are request data.
    pub fn lenient(
        ast: &'a Ast,
        text: &'a str,
        handlers: &'a HashMap<NodeId, &'static str>,
    ) -> Trace<'a> {
        Trace {
            ast,
            text,
            lenient: Some(handlers),
            accepted: RefCell::default(),
        }
    }
    pub fn accepted(&self) -> Accepted {
        let mut a = self.accepted.borrow().clone();
        a.params.sort_unstable();
        a.params.dedup();
        a.validators.sort();
        a.validators.dedup();
        a
    }
    fn src(&self, id: NodeId) -> &'a str {
        self.text.get(self.ast.span(id).range()).unwrap_or("")
    }

    /// Whether `expr` (SQL text) is built from non-constant data; follows local variables.
    pub fn dynamic_sql(&self, expr: NodeId, at: NodeId) -> Option<Dynamic> {
        self.dynamic(expr, at, 0)
    }

    /// For appending APIs: the argument itself is runtime data.
    pub fn appended_value(&self, sink: &Sink, at: NodeId) -> Option<Dynamic> {
        (sink.appends && !self.is_constant(sink.sql, at, 0)).then_some(Dynamic {
            how: "`push`",
            value: sink.sql,
            built_at: None,
        })
    }

    /// The first interpolated part of a template that is not safe where it stands.
    fn unsafe_part(&self, s: &crate::ast::Str, at: NodeId, depth: u8) -> Option<NodeId> {
        s.parts.iter().enumerate().find_map(|(i, &p)| {
            let safe = self.is_constant(p, at, depth)
                || slot_quoted(&s.value, i) && self.quote_free(p, at);
            (!safe).then_some(p)
        })
    }

    fn dynamic(&self, expr: NodeId, at: NodeId, depth: u8) -> Option<Dynamic> {
        let ast = self.ast;
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
                self.unsafe_part(s, at, depth).map(|v| Dynamic {
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
                if let Some(d) = self.dynamic(*lhs, at, depth + 1) {
                    return Some(d);
                }
                if let Some(d) = self.dynamic(*rhs, at, depth + 1) {
                    return Some(d);
                }
                let non_const = [*lhs, *rhs]
                    .into_iter()
                    .find(|&x| !self.is_constant(x, at, depth));
                let texty = self.is_texty(*lhs, at) || self.is_texty(*rhs, at);
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
            } if self.is_texty(*lhs, at) => {
                (!self.is_constant(*rhs, at, depth)).then_some(Dynamic {
                    how: "`%` formatting",
                    value: *rhs,
                    built_at: None,
                })
            }
            Kind::Call(c) => {
                let name = ast.callee_name(c).unwrap_or("");
                if c.is_macro && matches!(name, "format" | "concat") {
                    return c
                        .args
                        .first()
                        .and_then(|a| self.dynamic(a.value, at, depth + 1))
                        .or_else(|| {
                            c.args
                                .iter()
                                .skip(1)
                                .find(|a| !self.is_constant(a.value, at, depth))
                                .map(|a| Dynamic {
                                    how: "`format!`",
                                    value: a.value,
                                    built_at: None,
                                })
                        });
                }
                if name == "format" && ast.receiver(c).is_some_and(|r| self.is_texty(r, at)) {
                    let template = ast
                        .receiver(c)
                        .and_then(|r| ast.plain_str(ast.unwrap_expr(r)).map(str::to_string));
                    return c
                        .args
                        .iter()
                        .enumerate()
                        .find(|(i, a)| {
                            let quoted = template
                                .as_deref()
                                .is_some_and(|t| format_slot_quoted(t, a.name.as_deref(), *i));
                            !(self.is_constant(a.value, at, depth)
                                || quoted && self.quote_free(a.value, at))
                        })
                        .map(|(_, a)| Dynamic {
                            how: "`.format()`",
                            value: a.value,
                            built_at: None,
                        });
                }
                if name == "concat" && ast.receiver(c).is_some() {
                    return c
                        .args
                        .iter()
                        .find(|a| !self.is_constant(a.value, at, depth))
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
                    return inner.and_then(|i| self.dynamic(i, at, depth + 1));
                }
                if name == "join" && self.is_string_join(c) && !self.is_constant(e, at, depth) {
                    return Some(Dynamic {
                        how: "string joining",
                        value: e,
                        built_at: None,
                    });
                }
                None
            }
            Kind::Array(items) => items.iter().find_map(|&i| self.dynamic(i, at, depth + 1)),
            // `match`/`if`/ternary/block choosing the text: any branch built from runtime data
            Kind::If { .. } | Kind::Other | Kind::Block(_) | Kind::Unary { .. } => {
                ast.children(e).find_map(|k| self.dynamic(k, at, depth + 1))
            }
            Kind::Name(n) => {
                let (assign, value) = latest_assignment(ast, n, at)?;
                if let Some(mut d) = self.dynamic(value, assign, depth + 1) {
                    d.built_at.get_or_insert(assign);
                    return Some(d);
                }
                // `sql += f" AND owner = {owner}"` before the call
                self.augmented_dynamic(n, assign, at, depth)
            }
            _ => None,
        }
    }

    /// `sep.join(parts)` (Python), `parts.join(sep)` (TypeScript, Rust): one argument at most,
    /// and in Python a separator, not a query expression (`select(..).join(Model, on)`).
    fn is_string_join(&self, c: &crate::ast::Call) -> bool {
        let ast = self.ast;
        if c.args.len() > 1 || c.args.iter().any(|a| a.name.is_some()) {
            return false;
        }
        match ast.lang {
            Lang::Python => {
                c.args.len() == 1
                    && ast.receiver(c).is_some_and(|r| {
                        matches!(
                            ast.kind(ast.unwrap_expr(r)),
                            Kind::Str(_) | Kind::Name(_) | Kind::Member { .. }
                        )
                    })
            }
            _ => true,
        }
    }

    /// A string-ish operand, so `a + b` is text concatenation rather than arithmetic: a literal,
    /// a concatenation containing one, an ALL_CAPS constant or a variable holding a literal.
    fn is_texty(&self, id: NodeId, at: NodeId) -> bool {
        let ast = self.ast;
        let id = ast.unwrap_expr(id);
        match ast.kind(id) {
            Kind::Str(_) => true,
            Kind::Binary {
                op: BinOp::Add,
                lhs,
                rhs,
            } => self.is_texty(*lhs, at) || self.is_texty(*rhs, at),
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
        &self,
        name: &str,
        from: NodeId,
        at: NodeId,
        depth: u8,
    ) -> Option<Dynamic> {
        let ast = self.ast;
        let scope = ast.enclosing_function(at).unwrap_or(0);
        // Both shapes hold a `name` between `from` and `at`: look only at what holds one.
        let mut holders = std::collections::BTreeSet::new();
        for &x in ast.names_in(name, scope) {
            if x <= from || x >= at {
                continue;
            }
            let mut cur = x;
            while cur > from && holders.insert(cur) {
                match ast.parent(cur) {
                    Some(p) if ast.contains(scope, p) => cur = p,
                    _ => break,
                }
            }
        }
        for id in holders {
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
                    // `pairs.push(("width", w))`: a collection of tuples, not text
                    let text = ast
                        .positional(c)
                        .next()
                        .filter(|&v| !matches!(ast.kind(ast.unwrap_expr(v)), Kind::Array(_)));
                    if let Some(v) = text {
                        if let Some(mut d) = self.dynamic(v, id, depth + 1) {
                            d.built_at = Some(id);
                            return Some(d);
                        }
                        if !self.is_constant(v, id, depth + 1) {
                            return Some(Dynamic {
                                how: "string appends",
                                value: v,
                                built_at: Some(id),
                            });
                        }
                    }
                }
            }
            if let Kind::Assign {
                target,
                value: Some(v),
                augmented: true,
                ..
            } = ast.kind(id)
            {
                if ast.path_of(*target).as_deref() == Some(name) {
                    if let Some(mut d) = self.dynamic(*v, id, depth + 1) {
                        d.built_at = Some(id);
                        return Some(d);
                    }
                    if !self.is_constant(*v, id, depth) {
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

    /// Whether a value put into SQL text cannot carry attacker data: literals, ALL_CAPS
    /// constants, numbers (`len(x)`, `int(x)`, `.length`), placeholder lists
    /// (`", ".join(["%s"] * n)`), identifiers from model metadata, values the code generates
    /// itself, SQL the ORM compiled, catalog rows, validated values, and local variables
    /// assigned such values.
    pub fn is_constant(&self, id: NodeId, at: NodeId, depth: u8) -> bool {
        let ast = self.ast;
        if depth > 10 {
            return false;
        }
        let id = ast.unwrap_expr(id);
        match ast.kind(id) {
            Kind::Str(s) => {
                s.kind == StrKind::Plain
                    || s.parts.iter().all(|&p| self.is_constant(p, at, depth + 1))
            }
            Kind::Number(_) | Kind::Bool(_) | Kind::Null => true,
            // `-1`, `!flag`
            Kind::Unary { operand, .. } => self.is_constant(*operand, at, depth),
            Kind::Name(n) => {
                let last = last(n);
                if is_const_name(last) {
                    return true;
                }
                if numeric_param(ast, n, at) || self.bound_to_constant(id, n, depth) {
                    return true;
                }
                if self.validated(n, at) {
                    return true;
                }
                match latest_assignment(ast, n, at) {
                    Some((a, v)) => {
                        self.is_constant(v, a, depth + 1)
                            && self.augmented_dynamic(n, a, at, depth + 1).is_none()
                    }
                    None => self.accept_param(n, at, depth),
                }
            }
            Kind::Member { object, property } => {
                if REQUEST_DATA.contains(&property.as_str()) {
                    return false;
                }
                is_const_name(property)
                    || matches!(
                        property.as_str(),
                        "length" | "size" | "db_table" | "__tablename__" | "table_name"
                    )
                    || matches!(ast.kind(*object), Kind::Member { property: p, .. } if p == "_meta")
                    || self.field_constant(*object, property, at, depth)
                    // a field of a safe value: `interval.0` of a constant tuple, a catalog
                    // row's `tablename`, `uuid4().hex`
                    || match ast.kind(ast.unwrap_expr(*object)) {
                        Kind::Name(o) => !matches!(o.as_str(), "self" | "this" | "cls"),
                        Kind::Call(_) | Kind::Index { .. } => true,
                        _ => false,
                    } && self.is_constant(*object, at, depth + 1)
            }
            // a regex literal (`/[-:T]/g`)
            Kind::Other if ast.children(id).next().is_none() => self.src(id).starts_with('/'),
            Kind::Index { object, index } => {
                ast.path_of(*object).is_some_and(|p| {
                    is_const_name(last(&p)) && !REQUEST_DATA.contains(&last(&p))
                })
                    // a constant key or slice of a safe value: a catalog row's `row["tablename"]`,
                    // `uuid4().hex[:8]`
                    || self.is_constant(*index, at, depth + 1)
                        && self.is_constant(*object, at, depth + 1)
            }
            Kind::Other if allow_list_guard(ast, id) => true,
            Kind::Call(c) if enum_accessor(ast, c, at) => true,
            Kind::Other => {
                // a conditional choosing between safe values: `"DESC" if desc else "ASC"`,
                // `negative ? d.slice(1) : d`
                let kids: Vec<NodeId> = ast.children(id).collect();
                if let Some(branches) = self.ternary_branches(&kids) {
                    return branches.iter().all(|&b| self.is_constant(b, at, depth + 1));
                }
                let strs: Vec<NodeId> = kids
                    .iter()
                    .copied()
                    .filter(|&k| matches!(ast.kind(k), Kind::Str(_)))
                    .collect();
                strs.len() >= 2
                    && kids.len() - strs.len() <= 1
                    && strs.iter().all(|&k| self.is_constant(k, at, depth + 1))
            }
            Kind::Binary { op, lhs, rhs } => {
                matches!(op, BinOp::Compare)
                    || self.is_constant(*lhs, at, depth + 1)
                        && self.is_constant(*rhs, at, depth + 1)
                    || is_numeric(ast, id)
            }
            Kind::Array(items) => items.iter().all(|&i| self.is_constant(i, at, depth + 1)),
            Kind::Loop(l) if l.kind == crate::ast::LoopKind::Comprehension => {
                // `[c for c in COLUMNS if c in changes]`, `(f"{c} = %s" for c in fields)`
                l.iter.is_some_and(|it| self.is_constant(it, at, depth + 1))
                    && ast
                        .subtree(id)
                        .filter(|&n| l.iter.is_none_or(|it| !ast.contains(it, n)))
                        .all(|n| match ast.kind(n) {
                            Kind::Str(_) => self.is_constant(n, at, depth + 1),
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
            Kind::Call(c) => self.constant_call(id, c, at, depth),
            _ => false,
        }
    }

    fn constant_call(&self, id: NodeId, c: &crate::ast::Call, at: NodeId, depth: u8) -> bool {
        let ast = self.ast;
        let name = ast.callee_name(c).unwrap_or("");
        let recv = ast.receiver(c);
        let recv_constant = || recv.is_some_and(|r| self.is_constant(r, at, depth + 1));
        let args_constant = || {
            c.args
                .iter()
                .all(|a| self.is_constant(a.value, at, depth + 1))
        };
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
        // values the code generates itself: timestamps and random identifiers have a fixed
        // alphabet whatever their input
        if GENERATED.contains(&name)
            || name == "toString"
                && recv.is_some_and(|r| ast.call(ast.unwrap_expr(r)).is_some())
                && ast
                    .positional(c)
                    .next()
                    .and_then(|a| ast.plain_str(ast.unwrap_expr(a)))
                    .is_some_and(|enc| matches!(enc, "hex" | "base64" | "base64url"))
            || name == "now"
                && recv
                    .and_then(|r| ast.path_of(r))
                    .is_some_and(|p| CLOCKS.contains(&last(&p)))
            || c.is_new && name == "Date" && args_constant()
            || matches!(name, "strftime" | "format_date") && args_constant()
        {
            return true;
        }
        // SQL the ORM compiled from a query object, with values passed separately or escaped
        if ORM_COMPILED.contains(&name) && recv.is_some() {
            return true;
        }
        // the rows of a query on the database's own catalog: names and ids it generated
        if self.reads_catalog(id, at, depth + 1) {
            return true;
        }
        if matches!(
            name,
            "to_owned" | "to_string" | "as_str" | "clone" | "into" | "upper" | "lower"
        ) {
            return recv_constant();
        }
        // string operations on a safe value with constant arguments
        if STRING_OPS.contains(&name) {
            return recv_constant() && args_constant();
        }
        if matches!(name, "str" | "String") && recv.is_none() && !c.args.is_empty() {
            return args_constant();
        }
        if matches!(name, "min" | "max" | "abs" | "round" | "clamp") {
            return c
                .args
                .iter()
                .any(|a| self.is_constant(a.value, at, depth + 1))
                && matches!(name, "min" | "max" | "clamp")
                || args_constant();
        }
        if name == "get"
            && recv.is_some_and(
                |r| matches!(ast.kind(ast.unwrap_expr(r)), Kind::Name(n) if is_const_name(last(n))),
            )
        {
            return true; // lookup in a constant allow-list
        }
        // a constant key of a safe value: a catalog row's `row.get("tablename")`
        if matches!(name, "get" | "try_get" | "get_unchecked")
            && recv.is_some_and(|r| matches!(ast.kind(ast.unwrap_expr(r)), Kind::Name(_)))
            && !c.args.is_empty()
            && args_constant()
            && recv_constant()
        {
            return true;
        }
        if name == "join" && args_constant() && recv_constant() {
            return true;
        }
        if name == "join" {
            // placeholder lists: ", ".join(["%s"] * len(ids)), ids.map(() => "?").join(",")
            return ast
                .subtree(id)
                .any(|n| ast.plain_str(n).is_some_and(is_placeholder_text))
                || ast.subtree(id).any(|n| matches!(ast.kind(n), Kind::Str(s) if s.kind == StrKind::Interpolated && is_placeholder_text(&s.value.replace("{}", "1"))));
        }
        if name == "repeat" || name == "ljust" {
            return recv_constant();
        }
        c.is_macro && name == "format" && args_constant()
    }

    /// The branches of a conditional expression (`c ? a : b`, `a if c else b`), without the
    /// condition.
    fn ternary_branches(&self, kids: &[NodeId]) -> Option<Vec<NodeId>> {
        if kids.len() != 3 {
            return None;
        }
        let between = |a: NodeId, b: NodeId| {
            let (s, e) = (self.ast.span(a).end, self.ast.span(b).start);
            self.text.get(s as usize..e as usize).unwrap_or("")
        };
        match self.ast.lang {
            Lang::TypeScript
                if between(kids[0], kids[1]).trim() == "?"
                    && between(kids[1], kids[2]).trim() == ":" =>
            {
                Some(vec![kids[1], kids[2]])
            }
            Lang::Python
                if between(kids[0], kids[1]).trim() == "if"
                    && between(kids[1], kids[2]).trim() == "else" =>
            {
                Some(vec![kids[0], kids[2]])
            }
            _ => None,
        }
    }

    /// A comprehension/loop variable over a constant collection (`for c in COLUMNS`).
    fn bound_to_constant(&self, id: NodeId, name: &str, depth: u8) -> bool {
        self.ast
            .loop_and_function_ancestors(id)
            .any(|a| match self.ast.kind(a) {
                Kind::Loop(l) => {
                    l.bindings.iter().any(|b| b == name)
                        && l.iter.is_some_and(|it| self.is_constant(it, a, depth + 1))
                }
                _ => false,
            })
    }

    /// A query on the database's own catalog, or its rows (`db.execute("SHOW PROCESSLIST")`,
    /// `cursor.fetchall()` after `SELECT tablename FROM pg_tables`): names and ids the database
    /// generated, not user data.
    fn reads_catalog(&self, expr: NodeId, at: NodeId, depth: u8) -> bool {
        let ast = self.ast;
        if depth > 8 {
            return false;
        }
        let e = ast.unwrap_expr(expr);
        match ast.kind(e) {
            Kind::Name(n) => latest_assignment(ast, n, at)
                .is_some_and(|(a, v)| self.reads_catalog(v, a, depth + 1)),
            Kind::Call(c) => {
                if let Some(sql) = self.literal_sql(c) {
                    return is_catalog_query(sql);
                }
                // DB-API: `cursor.execute("SHOW TABLES")` then `cursor.fetchall()`
                if c.args.is_empty() {
                    if let Some(r) = ast
                        .receiver(c)
                        .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                    {
                        let scope = ast.enclosing_function(at).unwrap_or(0);
                        if let Some(x) = last_run_on(ast, &r, scope, at) {
                            return self.literal_sql(x).is_some_and(is_catalog_query);
                        }
                    }
                }
                ast.receiver(c)
                    .is_some_and(|r| self.reads_catalog(r, at, depth + 1))
            }
            _ => false,
        }
    }

    /// The SQL literal a call runs: `q("..")`, `q(text(".."))`.
    fn literal_sql(&self, c: &crate::ast::Call) -> Option<&'a str> {
        let ast = self.ast;
        let mut a = ast.unwrap_expr(ast.positional(c).next()?);
        if let Some(inner) = ast.call(a) {
            a = ast.unwrap_expr(ast.positional(inner).next()?);
        }
        ast.str_lit(a)
            .filter(|s| s.kind == StrKind::Plain || s.parts.is_empty())
            .map(|s| s.value.as_str())
    }

    /// `this.table` / `self.table` where every assignment of that field in the class is safe
    /// (a constant prefix and a generated suffix, set in the class itself).
    fn field_constant(&self, object: NodeId, property: &str, at: NodeId, depth: u8) -> bool {
        let ast = self.ast;
        if !matches!(ast.kind(ast.unwrap_expr(object)), Kind::Name(o) if o == "this" || o == "self")
        {
            return false;
        }
        let Some(class) = ast
            .ancestors(at)
            .find(|&a| matches!(ast.kind(a), Kind::Class(_)))
        else {
            return false;
        };
        let mut seen = false;
        for id in ast.subtree(class) {
            let Kind::Assign {
                target,
                value,
                augmented,
                ..
            } = ast.kind(id)
            else {
                continue;
            };
            let this_field = match ast.kind(*target) {
                Kind::Member {
                    object: o,
                    property: p,
                } => {
                    p == property
                        && matches!(ast.kind(*o), Kind::Name(n) if n == "this" || n == "self")
                }
                // a class field declaration: `private table = ".."`
                Kind::Name(n) => n == property && ast.parent(id) == Some(class),
                _ => false,
            };
            if !this_field {
                continue;
            }
            match value {
                Some(v) if !augmented && self.is_constant(*v, id, depth + 1) => seen = true,
                Some(_) => return false,
                None => {}
            }
        }
        seen
    }

    /// `n` is a parameter of the enclosing function that the project's callers fill (lenient
    /// traces only): accepted, for the index to check that every call passes a constant.
    fn accept_param(&self, n: &str, at: NodeId, depth: u8) -> bool {
        let Some(handlers) = self.lenient else {
            return false;
        };
        let ast = self.ast;
        let Some(func) = ast.enclosing_function(at) else {
            return false;
        };
        if handlers.contains_key(&func) || callable_name(ast, func).is_none() {
            return false;
        }
        let Some(f) = ast.function(func) else {
            return false;
        };
        let Some(idx) = f.params.iter().position(|p| p.name == n) else {
            return false;
        };
        let p = &f.params[idx];
        if matches!(n, "self" | "cls" | "this") || n.starts_with('*') || n.starts_with("...") {
            return false;
        }
        // an omitted argument takes the default: it must be safe too
        if p.default
            .is_some_and(|d| !self.is_constant(d, d, depth + 1))
        {
            return false;
        }
        if caller_position(ast, func, idx).is_none() {
            return false;
        }
        self.accepted.borrow_mut().params.push((func, idx));
        true
    }

    /// `n` was checked before `at` by a guard that leaves only safe text: an anchored allow-list
    /// regex (`if not SLUG.fullmatch(n): raise`, `if (!/^[a-z_]+$/.test(n)) throw ..`), or (in
    /// lenient traces) a project function used the same way (`if (!isSlug(n)) throw ..`).
    fn validated(&self, n: &str, at: NodeId) -> bool {
        self.guard(n, at, |c| {
            if self.regex_test_of(c, n) {
                return true;
            }
            if self.lenient.is_none() || ast_receiver_free(self.ast, c).is_none() {
                return false;
            }
            let name = ast_receiver_free(self.ast, c).unwrap_or_default();
            let on_n = self.ast.positional(c).next().is_some_and(
                |a| matches!(self.ast.kind(self.ast.unwrap_expr(a)), Kind::Name(x) if x == n),
            );
            if on_n {
                self.accepted.borrow_mut().validators.push(name);
            }
            on_n
        })
    }

    /// `n` cannot contain a quote: a guard rejected both `'` and `"` before (`if "'" not in n
    /// and '"' not in n:`). Safe only inside a quoted slot of the SQL text.
    fn quote_free(&self, v: NodeId, at: NodeId) -> bool {
        let ast = self.ast;
        let Kind::Name(n) = ast.kind(ast.unwrap_expr(v)) else {
            return false;
        };
        let n = n.clone();
        let scope = ast.enclosing_function(at).unwrap_or(0);
        // an `if` whose branch holds `at` is one of its ancestors
        let mut ifs = ast
            .ancestors(at)
            .take_while(|&a| a >= scope)
            .collect::<Vec<_>>();
        ifs.reverse();
        ifs.into_iter().any(|id| {
            let Kind::If { cond, then, .. } = ast.kind(id) else {
                return false;
            };
            if !then.iter().any(|&t| ast.contains(t, at)) {
                return false;
            }
            let rejects = |q: &str| {
                ast.subtree(*cond).any(|c| match ast.kind(c) {
                    Kind::Binary {
                        op: BinOp::Compare,
                        lhs,
                        rhs,
                    } => {
                        ast.plain_str(*lhs) == Some(q)
                            && matches!(ast.kind(*rhs), Kind::Name(x) if *x == n)
                            && self.src(c).contains("not in")
                    }
                    // `!n.includes("'")`, `!n.contains('"')`
                    Kind::Call(call) => {
                        let on_n = matches!(ast.kind(call.callee), Kind::Member { object, property }
                            if matches!(property.as_str(), "includes" | "contains")
                                && matches!(ast.kind(*object), Kind::Name(x) if *x == n));
                        let quote = ast.positional(call).next().is_some_and(|a| {
                            let t = self.src(a);
                            t.len() >= 3
                                && t.get(1..t.len() - 1)
                                    .is_some_and(|i| i.trim_start_matches('\\') == q)
                        });
                        let negated = ast.parent(c).is_some_and(|p| {
                            matches!(ast.kind(p), Kind::Unary { op: UnOp::Not, .. })
                        });
                        on_n && quote && negated
                    }
                    _ => false,
                })
            };
            rejects("'") && rejects("\"")
        })
    }

    /// A guard on `n` before `at`: an `if` whose condition `test` accepts, either enclosing `at`
    /// (`if ok(n): .. at ..`), or negated and leaving the function (`if (!ok(n)) throw ..`).
    fn guard(&self, n: &str, at: NodeId, test: impl Fn(&crate::ast::Call) -> bool) -> bool {
        let ast = self.ast;
        let Some(scope) = ast.enclosing_function(at) else {
            return false;
        };
        // the `if`s of the function whose condition holds `n`, in source order (once per
        // function and name): only they can guard it
        let ifs = ast.memo_on("sql:guard-ifs", scope, n, || {
            let mut ifs = std::collections::BTreeSet::new();
            for &x in ast.names_in(n, scope) {
                for a in ast.ancestors(x) {
                    if a < scope {
                        break;
                    }
                    if matches!(ast.kind(a), Kind::If { cond, .. } if ast.contains(*cond, x)) {
                        ifs.insert(a);
                    }
                }
            }
            ifs.into_iter().collect::<Vec<NodeId>>()
        });
        ifs.iter().copied().take_while(|&id| id < at).any(|id| {
            let Kind::If { cond, then, .. } = ast.kind(id) else {
                return false;
            };
            let applies = if starts_negated(ast, *cond) {
                !ast.contains(id, at) && then.iter().any(|&s| self.exits(s))
            } else {
                then.iter().any(|&t| ast.contains(t, at))
            };
            applies
                && ast.subtree(*cond).any(|c| {
                    ast.call(c).is_some_and(|call| {
                        ast.positional(call).chain(ast.receiver(call)).any(
                            |a| matches!(ast.kind(ast.unwrap_expr(a)), Kind::Name(x) if x == n),
                        ) && test(call)
                    })
                })
        })
    }

    /// A statement that leaves the function: `return`, `throw`, `raise`, `abort(..)`.
    fn exits(&self, stmt: NodeId) -> bool {
        if matches!(self.ast.kind(stmt), Kind::Return(_)) {
            return true;
        }
        let t = self.src(stmt).trim_start();
        ["throw", "raise", "return", "abort(", "bail!"]
            .iter()
            .any(|k| t.starts_with(k))
            || matches!(self.ast.kind(stmt), Kind::Block(b) if b.last().is_some_and(|&s| self.exits(s)))
    }

    /// `RE.test(n)`, `RE.fullmatch(n)`, `re.fullmatch(PATTERN, n)`, `RE.is_match(&n)` with an
    /// anchored regex that admits no quote.
    fn regex_test_of(&self, c: &crate::ast::Call, n: &str) -> bool {
        let ast = self.ast;
        let Some(name) = ast.callee_name(c) else {
            return false;
        };
        if !matches!(
            name,
            "test" | "exec" | "match" | "fullmatch" | "search" | "is_match"
        ) {
            return false;
        }
        let is_n = |a: NodeId| matches!(ast.kind(ast.unwrap_expr(a)), Kind::Name(x) if x == n);
        let args: Vec<NodeId> = ast.positional(c).collect();
        let pattern = match (args.as_slice(), ast.receiver(c)) {
            // `re.fullmatch(PATTERN, n)`
            ([p, v], Some(_)) if is_n(*v) => *p,
            // `RE.test(n)`, `/^..$/.test(n)`
            ([v], Some(r)) if is_n(*v) => r,
            // `n.match(/^..$/)` (TypeScript)
            ([p], Some(r)) if is_n(r) && name == "match" => *p,
            _ => return false,
        };
        self.pattern_text(pattern, c, 0)
            .is_some_and(|p| safe_pattern(&p, name == "fullmatch"))
    }

    /// The text of a regex: a literal, a constant holding one, `re.compile(..)`,
    /// `new RegExp(..)`, `Regex::new(..)`.
    fn pattern_text(&self, id: NodeId, at: &crate::ast::Call, depth: u8) -> Option<String> {
        let ast = self.ast;
        if depth > 4 {
            return None;
        }
        let id = ast.unwrap_expr(id);
        match ast.kind(id) {
            Kind::Str(s) if s.kind == StrKind::Plain => Some(s.value.clone()),
            Kind::Other => {
                let t = self.src(id).trim();
                let body = t.strip_prefix('/')?;
                let end = body.rfind('/')?;
                Some(body[..end].to_string())
            }
            Kind::Name(n) => {
                let (_, v) = latest_assignment(ast, n, at.callee)?;
                self.pattern_text(v, at, depth + 1)
            }
            // `re.compile(r"..")`, `new RegExp("..")`, `Lazy::new(|| Regex::new(r"..").unwrap())`
            Kind::Call(_) => ast.subtree(id).find_map(|n| {
                let c = ast.call(n)?;
                let path = ast.path_of(c.callee)?;
                let regex = matches!(last(&path), "compile" | "RegExp")
                    || path.ends_with("Regex::new")
                    || path.ends_with("RegexBuilder::new");
                if !regex {
                    return None;
                }
                ast.plain_str(ast.unwrap_expr(ast.positional(c).next()?))
                    .map(str::to_string)
            }),
            _ => None,
        }
    }
}

/// The plain function a call calls (`isSlug(x)`, not `obj.isSlug(x)`), for validator guards.
fn ast_receiver_free(ast: &Ast, c: &crate::ast::Call) -> Option<String> {
    match ast.kind(c.callee) {
        Kind::Name(n) => Some(last(n).to_string()),
        _ => None,
    }
}

/// An anchored regex that admits only a fixed alphabet, no quote: `^[a-z_]+$`,
/// `^-?P(\d+W)$`. Wildcards, negated classes and `\S`/`\W`/`\D` admit anything.
pub fn safe_pattern(p: &str, full: bool) -> bool {
    let p = p.trim();
    let anchored = full
        || (p.starts_with('^') || p.starts_with("\\A"))
            && (p.ends_with('$') && !p.ends_with("\\$")
                || p.ends_with("\\Z")
                || p.ends_with("\\z"));
    if !anchored || p.contains('\'') || p.contains('"') || p.contains("[^") {
        return false;
    }
    let mut chars = p.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if let Some(n) = chars.next() {
                    if matches!(n, 'S' | 'W' | 'D' | 'p' | 'P' | 'x' | 'u') {
                        return false;
                    }
                }
            }
            '.' => return false,
            _ => {}
        }
    }
    true
}

/// The `i`-th `{}` slot of an interpolated string's static text sits between quotes:
/// `'{}'`, `"{}"`.
fn slot_quoted(value: &str, i: usize) -> bool {
    let pieces: Vec<&str> = value.split("{}").collect();
    if i + 1 >= pieces.len() {
        return false;
    }
    let before = pieces[i].chars().last();
    let after = pieces[i + 1].chars().next();
    matches!(
        (before, after),
        (Some('\''), Some('\'')) | (Some('"'), Some('"'))
    )
}

/// Every slot `.format()` fills with argument `i` (or keyword `name`) sits between quotes.
fn format_slot_quoted(template: &str, name: Option<&str>, i: usize) -> bool {
    let key = match name {
        Some(k) => format!("{{{k}}}"),
        None if template.contains("{}") => return slot_quoted(template, i),
        None => format!("{{{i}}}"),
    };
    let mut found = false;
    for (pos, _) in template.match_indices(key.as_str()) {
        found = true;
        let before = template[..pos].chars().last();
        let after = template[pos + key.len()..].chars().next();
        if !matches!(
            (before, after),
            (Some('\''), Some('\'')) | (Some('"'), Some('"'))
        ) {
            return false;
        }
    }
    found
}

/// A query on the database's own catalog: table lists, process lists, schema tables.
pub fn is_catalog_query(sql: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?is)^\s*(SHOW\s+(FULL\s+)?(TABLES|PROCESSLIST|DATABASES|SCHEMAS|COLUMNS|INDEX|TRIGGERS)\b|PRAGMA\s)|\b(pg_tables|pg_class|pg_namespace|pg_indexes|pg_views|pg_matviews|pg_stat_activity|pg_stat_user_tables|pg_roles|pg_database|pg_proc|pg_attribute|pg_sequences|information_schema\.\w+|sqlite_master|sqlite_schema|sys\.tables|sys\.objects)\b",
        )
        .expect("regex")
    })
    .is_match(sql)
}

/// A schema or server command rather than a read or write of rows: `DROP TABLE`, `CREATE
/// INDEX`, `ALTER`, `TRUNCATE`, `KILL`, `VACUUM`, `GRANT`. Each names one object (a table, a
/// connection, a role); there is no set form to batch them into.
pub fn is_admin_statement(sql: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?is)^[\s(]*(DROP|CREATE|ALTER|TRUNCATE|RENAME|KILL|VACUUM|ANALYZE|REINDEX|CLUSTER|GRANT|REVOKE|REFRESH\s+MATERIALIZED|COMMENT\s+ON|LOCK\s+TABLE|OPTIMIZE\s+TABLE|CHECKPOINT|ATTACH|DETACH)\b",
        )
        .expect("regex")
    })
    .is_match(sql)
}

/// Calls whose result is generated by the code itself with a fixed alphabet (timestamps, random
/// identifiers, digests), whatever the input.
const GENERATED: &[&str] = &[
    "toISOString",
    "getTime",
    "randomUUID",
    "uuidv4",
    "uuid1",
    "v4",
    "nanoid",
    "token_hex",
    "token_urlsafe",
    "hexdigest",
    "timestamp",
    "to_rfc3339",
    "new_v4",
];
/// Receivers of `now()` that are clocks.
const CLOCKS: &[&str] = &[
    "Date",
    "datetime",
    "Utc",
    "Local",
    "timezone",
    "DateTime",
    "dayjs",
    "moment",
    "SystemTime",
    "Instant",
    "NaiveDateTime",
    "OffsetDateTime",
];
/// String operations that keep a safe value safe when their arguments are constants.
const STRING_OPS: &[&str] = &[
    "slice",
    "substring",
    "substr",
    "replace",
    "replaceAll",
    "padStart",
    "padEnd",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "trimStart",
    "trimEnd",
    "strip",
    "lstrip",
    "rstrip",
    "zfill",
    "to_lowercase",
    "to_uppercase",
    "trim_start",
    "trim_end",
];
/// Methods that return SQL an ORM compiled from a query object: the values are bound
/// separately (`sql, params = qs.query.sql_with_params()`) or escaped by the ORM.
const ORM_COMPILED: &[&str] = &[
    "sql_with_params",
    "as_sql",
    "getQuery",
    "getQueryAndParameters",
    "toSQL",
    "getWhereConditions",
    "whereQuery",
    "whereItemsQuery",
    "selectQuery",
    "quoteIdentifier",
    "quoteTable",
    "escapeId",
];

/// The name callers use to call a function: its own, or its class for constructors
/// (`__init__`, `constructor`). `None` for nested functions and anonymous callbacks.
pub fn callable_name(ast: &Ast, func: NodeId) -> Option<String> {
    let name = crate::imports::function_name(ast, func)?;
    let owner = ast.ancestors(func).find_map(|a| match ast.kind(a) {
        Kind::Class(c) => Some(Some(c.name.clone())),
        Kind::Function(_) => Some(None),
        _ => None,
    });
    match owner {
        Some(None) => None, // nested function: not callable from elsewhere
        Some(Some(class))
            if name == "__init__"
                || name == "constructor"
                || name == "new" && ast.lang != Lang::Rust =>
        {
            Some(class)
        }
        _ => Some(name),
    }
}

/// The position callers pass parameter `idx` at: methods' `self`/`cls` is the receiver.
pub fn caller_position(ast: &Ast, func: NodeId, idx: usize) -> Option<usize> {
    let f = ast.function(func)?;
    let static_method = f.decorators.iter().any(|d| d.name == "staticmethod");
    let receiver = !static_method
        && f.params.first().is_some_and(|p| {
            matches!(
                p.name.as_str(),
                "self" | "cls" | "&self" | "&mut self" | "mut self"
            )
        });
    let offset = usize::from(receiver);
    idx.checked_sub(offset)
}

/// The last plain assignment to `name` before `at`, in the same function (or module); tuple and
/// object destructuring (`sql, params = ..`) give the whole value.
fn latest_assignment(ast: &Ast, name: &str, at: NodeId) -> Option<(NodeId, NodeId)> {
    let scope = ast.enclosing_function(at).unwrap_or(0);
    let found = ast.assignment_before(name, scope, at, false);
    if found.is_none() && scope != 0 {
        // module-level constant: `QUERY = "..."`
        return ast.top_level_assignment(name, false);
    }
    found
}

/// The last `r.execute(..)`/`r.query(..)` in `scope` before `at`. Its receiver is a use of
/// the path `r`, so only those are looked at, from the last one back.
fn last_run_on<'t>(
    ast: &'t Ast,
    r: &str,
    scope: NodeId,
    at: NodeId,
) -> Option<&'t crate::ast::Call> {
    // the runs on `r` in the function, once per function and path
    let runs = ast.memo_on("sql:runs-on", scope, r, || {
        ast.paths_in(r, scope)
            .iter()
            .filter_map(|&x| run_on(ast, x))
            .collect::<std::collections::BTreeSet<NodeId>>()
            .into_iter()
            .collect::<Vec<NodeId>>()
    });
    let before = &runs[..runs.partition_point(|&c| c < at)];
    before.last().and_then(|&c| ast.call(c))
}

/// A condition that opens with a negation: `!ok(n)`, `not ok(n)`, `!a || !b`.
fn starts_negated(ast: &Ast, cond: NodeId) -> bool {
    let mut first = cond;
    while let Kind::Binary { lhs, .. } = ast.kind(first) {
        first = *lhs;
    }
    matches!(ast.kind(first), Kind::Unary { op: UnOp::Not, .. })
}

/// The `.execute(..)`/`.query(..)` call whose receiver is `x` (through wrappers).
fn run_on(ast: &Ast, x: NodeId) -> Option<NodeId> {
    // up through wrappers to the receiver of a method call
    let mut obj = x;
    let member = loop {
        let up = ast.parent(obj)?;
        match ast.kind(up) {
            _ if ast.wrapped(up) == Some(obj) => obj = up,
            Kind::Member { object, .. } if *object == obj => break up,
            _ => return None,
        }
    };
    let c = ast.parent(member)?;
    let call = ast.call(c)?;
    (call.callee == member
        && ast.unwrap_expr(obj) == x
        && matches!(ast.callee_name(call), Some("execute" | "query")))
    .then_some(c)
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

/// Where an argument goes in a call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Slot {
    Pos(usize),
    /// A keyword argument, by [`name_key`].
    Kw(u64),
}

/// Names are kept as 64-bit hashes in the project index (a collision can only add calls to a
/// name, which makes the analysis more cautious).
pub fn name_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What the calls of one function name pass, merged over a file (then over the project).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ArgUse {
    pub calls: u32,
    /// Some call spreads its arguments (`f(*args)`, `f(...xs)`): nothing is known.
    pub spread: bool,
    /// Slots where some call passes a value that may carry runtime data.
    pub unsafe_slots: Vec<Slot>,
    /// Slots where a call passes its own function's parameter on: (slot, that function as
    /// callers name it, the parameter's caller position, its name), names by [`name_key`].
    pub forwarded: Vec<(Slot, u64, usize, u64)>,
}

impl ArgUse {
    fn merge(&mut self, other: ArgUse) {
        self.calls += other.calls;
        self.spread |= other.spread;
        for s in other.unsafe_slots {
            if !self.unsafe_slots.contains(&s) {
                self.unsafe_slots.push(s);
            }
        }
        // each once: the project index keeps these to the end of a run
        for f in other.forwarded {
            if !self.forwarded.contains(&f) {
                self.forwarded.push(f);
            }
        }
    }
}

/// What one file tells the project about values that may reach SQL: the arguments its calls
/// pass, the names it hands around as values (callbacks, route tables), and its validator
/// functions (which test their argument against an anchored allow-list regex).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SqlFacts {
    /// Callee name (by [`name_key`]) -> what its calls in the file pass.
    pub calls: HashMap<u64, ArgUse>,
    /// Names (by [`name_key`]) used as values.
    pub referenced: HashSet<u64>,
    pub validators: Vec<String>,
}

/// Collects a file's [`SqlFacts`]; `handlers` are the file's HTTP handlers.
pub fn collect_facts(ast: &Ast, text: &str, handlers: &HashMap<NodeId, &'static str>) -> SqlFacts {
    let t = Trace::strict(ast, text);
    let mut out = SqlFacts::default();
    let refer = |out: &mut SqlFacts, v: NodeId| match ast.kind(ast.unwrap_expr(v)) {
        Kind::Name(n) => {
            out.referenced.insert(name_key(last(n)));
        }
        Kind::Member { property, .. } => {
            out.referenced.insert(name_key(property));
        }
        _ => {}
    };
    for id in 0..ast.nodes.len() as NodeId {
        match ast.kind(id) {
            Kind::Call(c) if !c.is_macro => {
                // `f.call(..)`, `task.delay(..)`, `job.apply_async(..)`: a function used as a
                // value is called out of sight
                if let Kind::Member { object, .. } = ast.kind(c.callee) {
                    if matches!(ast.kind(*object), Kind::Name(_)) {
                        refer(&mut out, *object);
                    }
                }
                // a call without arguments tells nothing about any parameter
                let Some(name) = ast.callee_name(c).filter(|_| !c.args.is_empty()) else {
                    continue;
                };
                let mut usage = ArgUse {
                    calls: 1,
                    ..ArgUse::default()
                };
                let caller = ast
                    .enclosing_function(id)
                    .filter(|f| !handlers.contains_key(f));
                let mut pos = 0;
                for a in &c.args {
                    refer(&mut out, a.value);
                    if a.spread {
                        usage.spread = true;
                        continue;
                    }
                    let slot = match &a.name {
                        Some(k) => Slot::Kw(name_key(k)),
                        None => {
                            pos += 1;
                            Slot::Pos(pos - 1)
                        }
                    };
                    if t.is_constant(a.value, id, 1) {
                        continue;
                    }
                    // built from the caller's own parameters (and constants): safe if they are
                    let lenient = Trace::lenient(ast, text, handlers);
                    let mentions_param = caller.and_then(|f| ast.function(f)).is_some_and(|f| {
                        ast.subtree(a.value).any(|n| {
                            matches!(ast.kind(n), Kind::Name(x) if f.params.iter().any(|p| &p.name == x))
                        })
                    });
                    let forwarded = mentions_param && lenient.is_constant(a.value, id, 1) && {
                        let accepted = lenient.accepted();
                        accepted.validators.is_empty()
                            && accepted.params.iter().all(|&(f, i)| {
                                match forwarded_param(ast, f, i) {
                                    Some((name, pos, param)) => {
                                        usage.forwarded.push((slot.clone(), name, pos, param));
                                        true
                                    }
                                    None => false,
                                }
                            })
                    };
                    if !forwarded {
                        usage.unsafe_slots.push(slot);
                    }
                }
                out.calls.entry(name_key(name)).or_default().merge(usage);
            }
            Kind::Object { entries, .. } => {
                for e in entries {
                    refer(&mut out, e.value);
                }
            }
            Kind::Array(items) => {
                for &i in items {
                    refer(&mut out, i);
                }
            }
            Kind::Assign { value: Some(v), .. } => refer(&mut out, *v),
            Kind::Function(f) => {
                let Some(name) = callable_name(ast, id) else {
                    continue;
                };
                let Some(pos) =
                    (0..f.params.len()).find(|&i| caller_position(ast, id, i) == Some(0))
                else {
                    continue;
                };
                let p = &f.params[pos].name;
                let validates = ast
                    .subtree(id)
                    .any(|n| ast.call(n).is_some_and(|c| t.regex_test_of(c, p)));
                if validates {
                    out.validators.push(name);
                }
            }
            _ => {}
        }
    }
    out
}

/// A parameter of a calling function as its own callers see it: (name, position, parameter).
fn forwarded_param(ast: &Ast, func: NodeId, idx: usize) -> Option<(u64, usize, u64)> {
    let f = ast.function(func)?;
    Some((
        name_key(&callable_name(ast, func)?),
        caller_position(ast, func, idx)?,
        name_key(&f.params.get(idx)?.name),
    ))
}

/// Every file's [`SqlFacts`], merged.
#[derive(Debug, Default)]
pub struct SqlIndex {
    calls: HashMap<u64, ArgUse>,
    referenced: HashSet<u64>,
    validators: HashMap<String, usize>,
}

impl SqlIndex {
    pub fn add(&mut self, facts: SqlFacts) {
        for (name, usage) in facts.calls {
            self.calls.entry(name).or_default().merge(usage);
        }
        self.referenced.extend(facts.referenced);
        for v in facts.validators {
            *self.validators.entry(v).or_default() += 1;
        }
    }

    /// Whether every call of `func` in the project passes a constant as its parameter `param`
    /// (at caller position `pos`), directly or through its callers' own such parameters. A
    /// function that is never called, or handed around as a value, is filled by unknown code.
    pub fn constant_fed(&self, func: &str, pos: usize, param: &str) -> bool {
        self.fed(name_key(func), pos, name_key(param), &mut Vec::new())
    }

    fn fed(&self, func: u64, pos: usize, param: u64, visiting: &mut Vec<(u64, usize)>) -> bool {
        let key = (func, pos);
        if visiting.contains(&key) {
            return true; // a cycle brings no new value in
        }
        if self.referenced.contains(&func) || visiting.len() > 16 {
            return false;
        }
        let Some(usage) = self.calls.get(&func) else {
            return false;
        };
        let is_slot = |s: &Slot| match s {
            Slot::Pos(p) => *p == pos,
            Slot::Kw(k) => *k == param,
        };
        if usage.calls == 0 || usage.spread || usage.unsafe_slots.iter().any(is_slot) {
            return false;
        }
        visiting.push(key);
        let ok = usage
            .forwarded
            .iter()
            .filter(|(s, ..)| is_slot(s))
            .all(|&(_, f, p, n)| self.fed(f, p, n, visiting));
        visiting.pop();
        ok
    }

    /// Whether every project function named `name` (of `defined`) is a validator.
    pub fn is_validator(&self, name: &str, defined: usize) -> bool {
        self.validators
            .get(name)
            .is_some_and(|&n| n > 0 && n >= defined)
    }
}
