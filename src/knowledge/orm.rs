//! Which calls run a database query, for every ORM and client in RULES.md.
//!
//! A query is recognised on the outermost call of a fluent chain (`Order.objects.filter(..)
//! .first()` is one query, reported once), from three things: the method names along the
//! chain, what the chain starts from (a model class, `prisma.<model>`, a repository, a
//! cursor/pool/client), and the file's imports. The tables below are the knowledge; adding an
//! ORM is adding rows here.
#![allow(clippy::nonminimal_bool)] // the recogniser conditions read as the tables do

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::config::Config;
use crate::imports::Imports;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// Reads rows.
    Read,
    /// Inserts, updates or deletes.
    Write,
    /// `count()`, `exists()`, aggregates: one number back.
    Count,
    /// Raw SQL text.
    Raw,
}

#[derive(Clone, Debug)]
pub struct Query {
    /// The ORM or client: "Django ORM", "SQLAlchemy", "Prisma", "sqlx", ...
    pub orm: &'static str,
    /// The call as a reviewer reads it: `Order.objects.filter(…)`, `prisma.user.findMany(…)`.
    pub display: String,
    pub kind: QueryKind,
    /// Returns many rows (`all()`, `findMany`, `fetch_all`) rather than one.
    pub many: bool,
    /// The chain limits rows (`limit`, `take`, slicing is checked by the caller).
    pub limited: bool,
    /// Relations are eager-loaded (`select_related`, `include`, `relations`, `joinedload`).
    pub eager: bool,
    /// A batched lookup (`id__in`, `{ in: ids }`, `$in`, `= ANY($1)`).
    pub batched: bool,
    /// The SQL text argument, for raw queries.
    pub sql: Option<NodeId>,
}

const DJANGO_MANY: &[&str] = &[
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
    "iterator",
    "in_bulk",
    "raw",
    "select_for_update",
    "using",
    "extra",
    "reverse",
    "none",
    "union",
    "alias",
];
const DJANGO_SINGLE: &[&str] = &[
    "get",
    "first",
    "last",
    "earliest",
    "latest",
    "get_or_create",
    "aget",
    "afirst",
    "alast",
];
const DJANGO_COUNT: &[&str] = &[
    "count",
    "exists",
    "aggregate",
    "acount",
    "aexists",
    "aaggregate",
    "contains",
];
const DJANGO_WRITE: &[&str] = &[
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "update_or_create",
    "create_user",
    "create_superuser",
    "acreate",
    "aupdate",
    "adelete",
    "abulk_create",
    "aupdate_or_create",
    "aget_or_create",
];

const SQLA_TERMINAL_MANY: &[&str] = &[
    "all",
    "filter",
    "filter_by",
    "order_by",
    "join",
    "options",
    "distinct",
    "group_by",
    "paginate",
    "yield_per",
    "offset",
    "outerjoin",
];
const SQLA_TERMINAL_SINGLE: &[&str] = &[
    "first",
    "one",
    "one_or_none",
    "scalar",
    "get",
    "get_or_404",
    "first_or_404",
    "scalar_one",
    "scalar_one_or_none",
    "one_or_404",
];

const PRISMA_OPS: &[&str] = &[
    "findMany",
    "findUnique",
    "findFirst",
    "findUniqueOrThrow",
    "findFirstOrThrow",
    "create",
    "createMany",
    "createManyAndReturn",
    "update",
    "updateMany",
    "upsert",
    "delete",
    "deleteMany",
    "count",
    "aggregate",
    "groupBy",
];
const PRISMA_DISTINCT: &[&str] = &[
    "findMany",
    "findUnique",
    "findFirst",
    "findUniqueOrThrow",
    "findFirstOrThrow",
    "createMany",
    "createManyAndReturn",
    "updateMany",
    "upsert",
    "deleteMany",
    "groupBy",
    "aggregate",
];
const PRISMA_RAW: &[&str] = &[
    "$queryRaw",
    "$executeRaw",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
];

const TYPEORM_OPS: &[&str] = &[
    "find",
    "findOne",
    "findOneBy",
    "findBy",
    "findAndCount",
    "findAndCountBy",
    "findOneOrFail",
    "findOneByOrFail",
    "findByIds",
    "count",
    "countBy",
    "save",
    "insert",
    "update",
    "delete",
    "remove",
    "softDelete",
    "upsert",
    "increment",
    "decrement",
    "exist",
    "exists",
    "existsBy",
    "sum",
    "average",
    "minimum",
    "maximum",
    "query",
    "preload",
];
const QUERY_BUILDER_TERMINAL: &[&str] = &[
    "getMany",
    "getOne",
    "getRawMany",
    "getRawOne",
    "getManyAndCount",
    "getCount",
    "getOneOrFail",
    "getExists",
    "stream",
];

const SEQUELIZE_OPS: &[&str] = &[
    "findAll",
    "findOne",
    "findByPk",
    "findOrCreate",
    "findAndCountAll",
    "findCreateFind",
    "create",
    "bulkCreate",
    "update",
    "destroy",
    "count",
    "max",
    "min",
    "sum",
    "upsert",
    "increment",
    "decrement",
    "restore",
];
const MONGOOSE_OPS: &[&str] = &[
    "find",
    "findOne",
    "findById",
    "findByIdAndUpdate",
    "findByIdAndDelete",
    "findByIdAndRemove",
    "findOneAndUpdate",
    "findOneAndDelete",
    "findOneAndReplace",
    "updateOne",
    "updateMany",
    "deleteOne",
    "deleteMany",
    "countDocuments",
    "estimatedDocumentCount",
    "aggregate",
    "create",
    "insertMany",
    "exists",
    "distinct",
    "bulkWrite",
    "replaceOne",
    "where",
];
/// Method names distinctive enough to mean a model query on any capitalised receiver.
const DISTINCT_MODEL_OPS: &[&str] = &[
    "findAll",
    "findByPk",
    "findAndCountAll",
    "bulkCreate",
    "findOrCreate",
    "findById",
    "findByIdAndUpdate",
    "findByIdAndDelete",
    "findOneAndUpdate",
    "findOneAndDelete",
    "countDocuments",
    "insertMany",
    "estimatedDocumentCount",
];

const KNEX_METHODS: &[&str] = &[
    "where",
    "select",
    "first",
    "insert",
    "update",
    "del",
    "delete",
    "whereIn",
    "join",
    "leftJoin",
    "orderBy",
    "limit",
    "count",
    "pluck",
    "returning",
    "andWhere",
    "whereNotNull",
    "increment",
    "decrement",
    "upsert",
    "onConflict",
    "from",
    "groupBy",
    "offset",
    "sum",
    "max",
];

/// Receivers that run SQL given as text (`cursor.execute(sql)`, `pool.query(sql)`).
const SQL_RECEIVERS: &[&str] = &[
    "cursor",
    "cur",
    "curs",
    "conn",
    "connection",
    "con",
    "db",
    "database",
    "pool",
    "tx",
    "txn",
    "transaction",
    "session",
    "client",
    "pg",
    "mysql",
    "trx",
    "knex",
    "sequelize",
    "datasource",
    "manager",
    "entitymanager",
    "queryrunner",
    "sql",
    "dbconn",
    "dbpool",
    "pgpool",
    "pgclient",
    "conn_pool",
    "engine",
    "runner",
    "queryrunner",
];
const SQL_TEXT_METHODS_PY: &[&str] = &[
    "execute",
    "executemany",
    "fetch",
    "fetchrow",
    "fetchval",
    "fetch_all",
    "fetch_one",
    "fetch_val",
    "iterate",
    "execute_many",
    "mogrify",
    "exec_driver_sql",
];
const SQL_TEXT_METHODS_TS: &[&str] = &[
    "query",
    "execute",
    "raw",
    "unsafe",
    "many",
    "one",
    "oneOrNone",
    "none",
    "any",
    "manyOrNone",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
];
const SQL_TEXT_METHODS_RS: &[&str] = &[
    "query",
    "query_one",
    "query_opt",
    "execute",
    "query_raw",
    "batch_execute",
    "simple_query",
    "prepare",
];

const SQLX_ROOTS: &[&str] = &[
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_scalar_with",
    "query_file",
    "query_file_as",
];
const SQLX_TERMINAL: &[&str] = &[
    "fetch_one",
    "fetch_all",
    "fetch_optional",
    "fetch",
    "execute",
    "fetch_many",
];
const DIESEL_TERMINAL: &[&str] = &[
    "load",
    "get_result",
    "get_results",
    "first",
    "execute",
    "load_iter",
];
const DIESEL_CHAIN: &[&str] = &[
    "filter",
    "find",
    "select",
    "inner_join",
    "left_join",
    "left_outer_join",
    "order",
    "order_by",
    "limit",
    "offset",
    "insert_into",
    "values",
    "set",
    "sql_query",
    "into_boxed",
    "belonging_to",
    "distinct",
    "group_by",
    "on_conflict",
    "returning",
    "bind",
];
const SEAORM_ROOT: &[&str] = &[
    "find",
    "find_by_id",
    "insert",
    "insert_many",
    "update",
    "update_many",
    "delete",
    "delete_many",
    "delete_by_id",
    "find_related",
    "find_also_related",
    "find_with_related",
];
const SEAORM_TERMINAL: &[&str] = &[
    "all",
    "one",
    "count",
    "exec",
    "exec_with_returning",
    "stream",
    "into_json",
];

/// Per-chain information used by the recognisers.
struct Chain<'a> {
    ast: &'a Ast,
    calls: Vec<NodeId>,
    names: Vec<&'a str>,
    root_path: Option<String>,
}

impl<'a> Chain<'a> {
    fn new(ast: &'a Ast, call: NodeId) -> Chain<'a> {
        let calls = ast.call_chain(call);
        let names = calls
            .iter()
            .map(|&c| ast.call(c).and_then(|c| ast.callee_name(c)).unwrap_or(""))
            .collect();
        let root = ast.chain_root(call);
        let root_path = ast.path_of(root);
        Chain {
            ast,
            calls,
            names,
            root_path,
        }
    }
    fn last(&self) -> &str {
        self.names.last().copied().unwrap_or("")
    }
    fn has(&self, names: &[&str]) -> bool {
        self.names.iter().any(|n| names.contains(n))
    }
    fn terminal(&self) -> NodeId {
        *self.calls.last().expect("non-empty chain")
    }
    /// The receiver path of the first call (`prisma.user` for `prisma.user.findMany()`).
    fn first_receiver_path(&self) -> Option<String> {
        let c = self.ast.call(self.calls[0])?;
        let r = self.ast.receiver(c)?;
        self.ast.path_of(r)
    }
    fn display(&self) -> String {
        let ast = self.ast;
        let mut s = String::new();
        for (i, &c) in self.calls.iter().enumerate() {
            let call = ast.call(c).expect("call");
            let name = match (ast.kind(call.callee), i) {
                // the first call names its whole path: `Order.objects.filter`, `prisma.user.findMany`
                (_, 0) => ast
                    .path_of(call.callee)
                    .unwrap_or_else(|| format!("….{}", ast.callee_name(call).unwrap_or(""))),
                (Kind::Member { property, .. }, _) => format!(".{property}"),
                _ => ast.path_of(call.callee).unwrap_or_default(),
            };
            s.push_str(&name);
            if call.is_macro {
                s.push('!');
            }
            s.push_str(if call.args.is_empty() { "()" } else { "(…)" });
        }
        s
    }
    /// Any argument object of the chain has one of these keys (at any depth).
    fn arg_key(&self, keys: &[&str]) -> bool {
        self.calls.iter().any(|&c| {
            let call = self.ast.call(c).expect("call");
            call.args.iter().any(|a| {
                self.ast.subtree(a.value).any(|n| match self.ast.kind(n) {
                    Kind::Object { entries, .. } => entries
                        .iter()
                        .any(|e| e.key.as_deref().is_some_and(|k| keys.contains(&k))),
                    _ => false,
                })
            })
        })
    }
    /// Any keyword argument name ends with one of these suffixes (`id__in`).
    fn kwarg_suffix(&self, suffix: &str) -> bool {
        self.calls.iter().any(|&c| {
            self.ast.call(c).is_some_and(|call| {
                call.args
                    .iter()
                    .any(|a| a.name.as_deref().is_some_and(|n| n.ends_with(suffix)))
            })
        })
    }
    /// Any call anywhere inside the chain's arguments is named one of these.
    fn inner_call(&self, names: &[&str]) -> bool {
        self.calls.iter().any(|&c| {
            let call = self.ast.call(c).expect("call");
            call.args.iter().any(|a| {
                self.ast.subtree(a.value).any(|n| {
                    self.ast
                        .call(n)
                        .and_then(|ic| self.ast.callee_name(ic))
                        .is_some_and(|name| names.contains(&name))
                })
            })
        })
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit(['.', ':']).next().unwrap_or(path)
}

fn is_capitalised(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// The declared type of `this.x` when the class injects it through its constructor
/// (`constructor(@InjectRepository(User) private readonly users: Repository<User>)`).
fn injected_type(ast: &Ast, recv: NodeId) -> Option<&str> {
    let field = match ast.kind(recv) {
        Kind::Member { object, property } if matches!(ast.kind(*object), Kind::Name(n) if n == "this") => {
            property
        }
        _ => return None,
    };
    let class = ast.ancestors(recv).find_map(|a| match ast.kind(a) {
        Kind::Class(c) => Some(c),
        _ => None,
    })?;
    class.body.iter().find_map(|&s| {
        let f = ast.function(s)?;
        if f.name.as_deref() != Some("constructor") {
            return None;
        }
        f.params
            .iter()
            .find(|p| &p.name == field)
            .and_then(|p| p.ty.as_deref())
    })
}

/// Whether a name is an ORM model: a class of this file with a model base, or imported from a
/// models/entities module.
pub fn is_model(imports: &Imports, name: &str) -> bool {
    if imports.is_model(name) {
        return true;
    }
    imports.get(name).is_some_and(|q| {
        let q = q.to_ascii_lowercase();
        q.contains("model")
            || q.contains("entit")
            || q.contains("schema")
            || q.contains("/db/")
            || q.contains(".db.")
    })
}

pub fn is_sql_receiver(ast: &Ast, recv: NodeId) -> bool {
    let recv = ast.unwrap_expr(recv);
    match ast.kind(recv) {
        Kind::Call(c) => {
            // `connection.cursor().execute(..)`, `pool.get().await?.query(..)`, `getManager().query`
            matches!(
                ast.callee_name(c),
                Some(
                    "cursor"
                        | "get"
                        | "acquire"
                        | "connect"
                        | "getConnection"
                        | "getManager"
                        | "get_conn"
                        | "get_connection"
                        | "connection"
                )
            ) || ast.callee_name(c) == Some("promise")
                && ast.receiver(c).is_some_and(|r| is_sql_receiver(ast, r))
        }
        _ => {
            let Some(path) = ast.path_of(recv) else {
                return false;
            };
            let last = last_segment(&path)
                .trim_start_matches('_')
                .to_ascii_lowercase();
            SQL_RECEIVERS.contains(&last.as_str())
                || [
                    "cursor",
                    "conn",
                    "connection",
                    "pool",
                    "client",
                    "_db",
                    "database",
                    "session",
                    "tx",
                    "repository",
                    "datasource",
                    "manager",
                    "runner",
                ]
                .iter()
                .any(|s| last.ends_with(s))
                    && !last.ends_with("httpclient")
                    && !last.ends_with("redisclient")
                    && !last.contains("http")
                    && !last.contains("redis")
                    && !last.contains("s3")
        }
    }
}

/// Rust methods on a query's `Result`/`Option`/rows that end the query chain
/// (`.fetch_one(&pool).await.map_err(..)`, `.load(conn)?.len()`).
const RUST_RESULT_ADAPTORS: &[&str] = &[
    "map_err",
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "ok",
    "ok_or",
    "ok_or_else",
    "optional",
    "context",
    "with_context",
    "len",
    "is_empty",
    "is_some",
    "is_none",
    "into_iter",
    "iter",
    "flatten",
    "map",
    "collect",
];

pub fn is_rust_adaptor(ast: &Ast, c: &crate::ast::Call) -> bool {
    ast.lang == Lang::Rust
        && ast.receiver(c).is_some()
        && ast
            .callee_name(c)
            .is_some_and(|n| RUST_RESULT_ADAPTORS.contains(&n))
}

/// `m` is the callee of a call that continues the chain (not a Rust result adaptor).
fn continues_chain(ast: &Ast, m: NodeId) -> bool {
    ast.parent(m)
        .and_then(|g| ast.call(g))
        .is_some_and(|g| g.callee == m && !is_rust_adaptor(ast, g))
}

/// The query a call runs, if it is the outermost call of a database call chain.
pub fn query_call(ast: &Ast, imports: &Imports, config: &Config, call: NodeId) -> Option<Query> {
    let c = ast.call(call)?;
    if is_rust_adaptor(ast, c) {
        return None;
    }
    // Only the outermost call of a chain: `a.filter(..).first()` is reported at `first`.
    if let Some(p) = ast.parent(call) {
        if let Kind::Member { object, .. } = ast.kind(p) {
            if *object == call && continues_chain(ast, p) {
                return None;
            }
        }
        if let Kind::Question(_) | Kind::Await(_) = ast.kind(p) {
            // Rust `x?.method()`, `x.await.method()`, `x.await?.method()`: wrappers sit between
            // the call and the member.
            let mut m = ast.parent(p);
            if let Some(w) = m.filter(|&w| matches!(ast.kind(w), Kind::Question(_))) {
                if matches!(ast.kind(p), Kind::Await(_)) {
                    m = ast.parent(w);
                }
            }
            if let Some(m) = m {
                if matches!(ast.kind(m), Kind::Member { .. }) && continues_chain(ast, m) {
                    return None;
                }
            }
        }
    }
    chain_query(ast, imports, config, call)
}

/// [`query_call`] without its outermost-call check: the query a chain ending at `call` runs,
/// for a caller that knows the chain goes on with something that is not a query method
/// (`prisma.log.create(..).catch(..)`).
pub fn chain_query(ast: &Ast, imports: &Imports, config: &Config, call: NodeId) -> Option<Query> {
    let c = ast.call(call)?;
    let chain = Chain::new(ast, call);
    let found = match ast.lang {
        Lang::Python => python(&chain, imports),
        Lang::TypeScript => typescript(&chain, imports, c),
        Lang::Rust => rust(&chain, imports),
    };
    found.or_else(|| {
        let name = ast.callee_name(c)?;
        config
            .query_methods
            .iter()
            .any(|m| m == name)
            .then(|| Query {
                orm: "project query helper",
                display: chain.display(),
                kind: QueryKind::Read,
                many: true,
                limited: false,
                eager: false,
                batched: false,
                sql: None,
            })
    })
}

fn q(chain: &Chain, orm: &'static str, kind: QueryKind, many: bool) -> Query {
    Query {
        orm,
        display: chain.display(),
        kind,
        many,
        limited: false,
        eager: false,
        batched: false,
        sql: None,
    }
}

fn python(chain: &Chain, imports: &Imports) -> Option<Query> {
    let ast = chain.ast;
    let last = chain.last();
    let root_path = chain.root_path.as_deref().unwrap_or("");
    let first_recv = chain.first_receiver_path().unwrap_or_default();
    // Django: `Model.objects...`, related managers `user.order_set.all()`.
    let via_manager = first_recv.ends_with(".objects") || first_recv == "objects";
    let related = last_segment(&first_recv).ends_with("_set")
        || (imports.uses("django")
            && !first_recv.is_empty()
            && !is_capitalised(root_path)
            && chain.names.first().is_some_and(|n| {
                [
                    "all", "filter", "exclude", "count", "exists", "first", "last", "order_by",
                ]
                .contains(n)
            })
            && first_recv.contains('.'));
    if via_manager || related {
        let mut qy = if DJANGO_COUNT.contains(&last) {
            q(chain, "Django ORM", QueryKind::Count, false)
        } else if DJANGO_WRITE.contains(&last) {
            q(chain, "Django ORM", QueryKind::Write, false)
        } else if DJANGO_SINGLE.contains(&last) {
            q(chain, "Django ORM", QueryKind::Read, false)
        } else if DJANGO_MANY.contains(&last) {
            q(chain, "Django ORM", QueryKind::Read, true)
        } else {
            return None;
        };
        qy.eager = chain.has(&["select_related", "prefetch_related"]);
        qy.batched = chain.kwarg_suffix("__in");
        if last == "raw" || chain.has(&["raw", "extra"]) {
            qy.kind = QueryKind::Raw;
            qy.sql = ast
                .call(
                    chain.calls[chain
                        .names
                        .iter()
                        .position(|n| *n == "raw" || *n == "extra")
                        .unwrap_or(0)],
                )
                .and_then(|c| ast.positional(c).next());
        }
        return Some(qy);
    }
    // Django shortcuts: `get_object_or_404(Order, pk=id)`, `get_list_or_404(Order, ...)`.
    if chain.calls.len() == 1 && ast.receiver(ast.call(chain.calls[0])?).is_none() {
        let callee = imports.qualify_path(root_path);
        if let Some(short) = callee.strip_prefix("django.shortcuts.") {
            if short == "get_object_or_404" || short == "get_list_or_404" {
                return Some(q(
                    chain,
                    "Django ORM",
                    QueryKind::Read,
                    short == "get_list_or_404",
                ));
            }
        }
    }
    // SQLAlchemy Query API: `session.query(X)...`, Flask-SQLAlchemy `X.query...`.
    let sqla_query = chain.names.first() == Some(&"query")
        && is_sql_receiver(ast, ast.receiver(ast.call(chain.calls[0])?)?)
        || (first_recv.ends_with(".query") && is_capitalised(root_path));
    if sqla_query && chain.calls.len() >= 2
        || (sqla_query && ["all", "first", "get", "count", "one"].contains(&last))
    {
        let kind = match last {
            "count" => QueryKind::Count,
            "delete" | "update" => QueryKind::Write,
            _ => QueryKind::Read,
        };
        let many = !SQLA_TERMINAL_SINGLE.contains(&last)
            && kind == QueryKind::Read
            && (SQLA_TERMINAL_MANY.contains(&last) || last == "query");
        let mut qy = q(chain, "SQLAlchemy", kind, many);
        qy.eager = chain.inner_call(&[
            "joinedload",
            "selectinload",
            "subqueryload",
            "contains_eager",
            "immediateload",
        ]);
        qy.limited = chain.has(&["limit", "slice", "paginate", "first", "one", "get"]);
        qy.batched = chain.inner_call(&["in_"]);
        return Some(qy);
    }
    // SQLAlchemy 2.0 / DB-API / asyncpg / databases: `session.execute(select(X))`, `cursor.execute(sql)`.
    let first = ast.call(chain.calls[0])?;
    let method = chain.names[0];
    if let Some(recv) = ast.receiver(first) {
        if (SQL_TEXT_METHODS_PY.contains(&method)
            || ["scalars", "scalar", "get", "exec"].contains(&method)
                && last_segment(&first_recv).contains("session")
                // `session.get(Model, id)`, not `requests.Session().get(url)`
                && (method != "get"
                    || ast
                        .positional(first)
                        .next()
                        .and_then(|a| ast.path_of(a))
                        .is_some_and(|p| is_capitalised(last_segment(&p))))
            // `db.scalars(stmt)`, `self.db.scalars(select(X))`
            || method == "scalars")
            && first.args.iter().any(|a| a.name.is_none())
            && is_sql_receiver(ast, recv)
        {
            let arg = ast.positional(first).next();
            let text_arg = arg.filter(|&a| is_sql_text_expr(ast, a));
            let mut qy = q(
                chain,
                if text_arg.is_some() {
                    "SQL driver"
                } else {
                    "SQLAlchemy"
                },
                if text_arg.is_some() {
                    QueryKind::Raw
                } else {
                    QueryKind::Read
                },
                ![
                    "fetchrow",
                    "fetchval",
                    "fetch_one",
                    "fetch_val",
                    "scalar",
                    "get",
                ]
                .contains(&method),
            );
            qy.sql = text_arg;
            if let Some(a) = arg {
                let sel = ast.subtree(a).any(|n| {
                    ast.call(n)
                        .and_then(|c| ast.callee_name(c))
                        .is_some_and(|m| ["insert", "update", "delete"].contains(&m))
                });
                if sel {
                    qy.kind = QueryKind::Write;
                }
                qy.eager = ast.subtree(a).any(|n| {
                    ast.call(n)
                        .and_then(|c| ast.callee_name(c))
                        .is_some_and(|m| {
                            ["joinedload", "selectinload", "subqueryload"].contains(&m)
                        })
                });
                qy.limited = ast.subtree(a).any(|n| {
                    ast.call(n)
                        .and_then(|c| ast.callee_name(c))
                        .is_some_and(|m| m == "limit")
                }) || text_arg
                    .and_then(|t| sql_text(ast, t))
                    .is_some_and(|s| has_limit(&s));
                qy.batched = text_arg
                    .and_then(|t| sql_text(ast, t))
                    .is_some_and(|s| batched_sql(&s))
                    || ast
                        .subtree(a)
                        .any(|n| ast.call(n).and_then(|c| ast.callee_name(c)) == Some("in_"));
            }
            if chain.calls.len() > 1
                && [
                    "scalar_one",
                    "scalar_one_or_none",
                    "first",
                    "one",
                    "one_or_none",
                    "scalar",
                    "fetchone",
                ]
                .contains(&last)
            {
                qy.many = false;
            }
            qy.limited |= last == "fetchmany";
            return Some(qy);
        }
    }
    // Peewee / Tortoise / SQLModel models: `Order.select()`, `await Order.filter(..)`, `User.get(..)`.
    if is_capitalised(root_path) && !root_path.contains('.') && is_model(imports, root_path) {
        let m0 = chain.names[0];
        let model_ops = [
            "select",
            "get",
            "get_or_none",
            "get_by_id",
            "filter",
            "all",
            "create",
            "get_or_create",
            "exclude",
            "insert",
            "insert_many",
            "update",
            "delete",
            "delete_by_id",
            "bulk_create",
            "first",
            "exists",
            "count",
            "annotate",
            "raw",
            "update_or_create",
        ];
        if model_ops.contains(&m0) {
            let kind = if [
                "create",
                "get_or_create",
                "insert",
                "insert_many",
                "update",
                "delete",
                "delete_by_id",
                "bulk_create",
                "update_or_create",
            ]
            .contains(&m0)
            {
                QueryKind::Write
            } else if ["count", "exists"].contains(&last) {
                QueryKind::Count
            } else {
                QueryKind::Read
            };
            let many = kind == QueryKind::Read
                && !["get", "get_or_none", "get_by_id", "first"].contains(&last);
            let mut qy = q(chain, "Peewee/Tortoise", kind, many);
            qy.eager = chain.has(&["prefetch_related", "select_related", "prefetch", "join"]);
            qy.limited = chain.has(&["limit", "paginate", "first", "get"]);
            qy.batched = chain.kwarg_suffix("__in") || chain.inner_call(&["in_"]);
            return Some(qy);
        }
    }
    None
}

fn typescript(chain: &Chain, imports: &Imports, outer: &crate::ast::Call) -> Option<Query> {
    let ast = chain.ast;
    let last = chain.last();
    let first = ast.call(chain.calls[0])?;
    let m0 = chain.names[0];
    let first_recv = chain.first_receiver_path().unwrap_or_default();
    let root_path = chain.root_path.as_deref().unwrap_or("");
    let root_lower = root_path.to_ascii_lowercase();
    // Prisma: `prisma.user.findMany(..)`, `this.prisma.order.create(..)`, `tx.user.update(..)`.
    if PRISMA_OPS.contains(&m0) && first_recv.contains('.') {
        let client = first_recv
            .rsplit_once('.')
            .map(|(c, _)| c.to_ascii_lowercase())
            .unwrap_or_default();
        let prisma_like = client.contains("prisma")
            || [
                "db",
                "tx",
                "this.db",
                "ctx.db",
                "client",
                "ctx.prisma",
                "this.client",
            ]
            .contains(&client.as_str())
            || client.ends_with(".db");
        if prisma_like
            && (PRISMA_DISTINCT.contains(&m0)
                || client.contains("prisma")
                || client.ends_with("db")
                || client == "tx")
        {
            let kind = match m0 {
                "count" | "aggregate" | "groupBy" => QueryKind::Count,
                m if m.starts_with("find") => QueryKind::Read,
                _ => QueryKind::Write,
            };
            let mut qy = q(chain, "Prisma", kind, m0 == "findMany");
            qy.eager = chain.arg_key(&["include"]);
            qy.limited = chain.arg_key(&["take", "cursor"]);
            qy.batched = chain.arg_key(&["in"]);
            return Some(qy);
        }
    }
    if PRISMA_RAW.contains(&m0) && root_lower.contains("prisma")
        || PRISMA_RAW.contains(&m0) && (first_recv == "tx" || first_recv.ends_with("db"))
    {
        let mut qy = q(chain, "Prisma", QueryKind::Raw, true);
        qy.sql = ast.positional(first).next();
        return Some(qy);
    }
    // TypeORM query builder: `repo.createQueryBuilder('u')....getMany()`.
    if QUERY_BUILDER_TERMINAL.contains(&last) && chain.has(&["createQueryBuilder"]) {
        let mut qy = q(
            chain,
            "TypeORM",
            if last == "getCount" || last == "getExists" {
                QueryKind::Count
            } else {
                QueryKind::Read
            },
            last.contains("Many"),
        );
        qy.eager = chain.names.iter().any(|n| n.ends_with("AndSelect"));
        qy.limited = chain.has(&["take", "limit"]);
        qy.batched = chain.calls.iter().any(|&c| {
            ast.call(c).is_some_and(|c| {
                c.args.iter().any(|a| {
                    ast.plain_str(a.value).is_some_and(|s| {
                        s.contains(" IN ") || s.contains(" IN(") || s.contains("ANY(")
                    })
                })
            })
        });
        return Some(qy);
    }
    // TypeORM repositories and managers: `userRepository.find(..)`, `getRepository(User).findOne(..)`.
    // The chain starts at `getRepository(..)`: the operation is the next call.
    let (m0, first) = if matches!(
        m0,
        "getRepository" | "getCustomRepository" | "getMongoRepository" | "getTreeRepository"
    ) && chain.calls.len() > 1
    {
        (chain.names[1], ast.call(chain.calls[1])?)
    } else {
        (m0, first)
    };
    if TYPEORM_OPS.contains(&m0) {
        let recv = ast.receiver(first).map(|r| ast.unwrap_expr(r));
        let repo = recv.is_some_and(|r| match ast.kind(r) {
            Kind::Call(c) => matches!(
                ast.callee_name(c),
                Some(
                    "getRepository"
                        | "getCustomRepository"
                        | "getMongoRepository"
                        | "getTreeRepository"
                )
            ),
            _ => {
                let l = last_segment(&first_recv).to_ascii_lowercase();
                l.ends_with("repository")
                    || imports.is_repository(last_segment(&first_recv))
                    || l.ends_with("repo")
                    || l == "manager"
                    || l == "entitymanager"
                    || l.ends_with("datasource")
                    || injected_type(ast, r).is_some_and(|t| {
                        [
                            "Repository<",
                            "MongoRepository<",
                            "TreeRepository<",
                            "EntityManager",
                        ]
                        .iter()
                        .any(|p| t.starts_with(p))
                    })
            }
        });
        if repo {
            let kind = match m0 {
                "count" | "countBy" | "exist" | "exists" | "existsBy" | "sum" | "average"
                | "minimum" | "maximum" => QueryKind::Count,
                "find" | "findOne" | "findOneBy" | "findBy" | "findAndCount" | "findAndCountBy"
                | "findOneOrFail" | "findOneByOrFail" | "findByIds" | "preload" => QueryKind::Read,
                "query" => QueryKind::Raw,
                _ => QueryKind::Write,
            };
            let mut qy = q(
                chain,
                "TypeORM",
                kind,
                [
                    "find",
                    "findBy",
                    "findAndCount",
                    "findAndCountBy",
                    "findByIds",
                    "query",
                ]
                .contains(&m0),
            );
            qy.eager = chain.arg_key(&["relations"]);
            qy.limited = chain.arg_key(&["take"]);
            qy.batched = chain.inner_call(&["In"]) || m0 == "findByIds";
            if kind == QueryKind::Raw {
                qy.sql = ast.positional(first).next();
            }
            return Some(qy);
        }
    }
    // Sequelize and Mongoose models: `User.findAll(..)`, `Order.find({..}).populate(..)`.
    let model_recv = ast
        .receiver(first)
        .and_then(|r| ast.path_of(ast.unwrap_expr(r)));
    if let Some(recv) = model_recv.as_deref() {
        let last_seg = last_segment(recv);
        let capital_model = is_capitalised(last_seg)
            && ![
                "Object", "Array", "Promise", "JSON", "Math", "Reflect", "Date", "Number",
                "String", "Map", "Set", "Buffer", "Intl", "Symbol", "BigInt", "Error", "URL",
                "console", "process",
            ]
            .contains(&last_seg);
        let known_model = is_model(imports, recv.split('.').next().unwrap_or(recv))
            || recv.starts_with("db.")
            || recv.starts_with("models.")
            || recv.starts_with("this.") && recv.ends_with("Model");
        let first_arg_fn = ast
            .positional(first)
            .next()
            .is_some_and(|a| matches!(ast.kind(a), Kind::Function(_)));
        let seq = SEQUELIZE_OPS.contains(&m0);
        let mongo = MONGOOSE_OPS.contains(&m0);
        if (seq || mongo)
            && !first_arg_fn
            && (capital_model
                && (DISTINCT_MODEL_OPS.contains(&m0) || known_model || recv.ends_with("Model"))
                || known_model && capital_model
                || recv.ends_with("Model") && !recv.contains("View"))
        {
            let orm = if [
                "findAll",
                "findByPk",
                "findAndCountAll",
                "bulkCreate",
                "destroy",
                "findOrCreate",
            ]
            .contains(&m0)
                || imports.uses("sequelize")
                || !mongo
            {
                "Sequelize"
            } else {
                "Mongoose"
            };
            let kind = match m0 {
                "count"
                | "countDocuments"
                | "estimatedDocumentCount"
                | "exists"
                | "max"
                | "min"
                | "sum"
                | "distinct" => QueryKind::Count,
                m if m.starts_with("find") && (!m.contains("And") || m == "findAndCountAll")
                    || m == "aggregate"
                    || m == "where" =>
                {
                    QueryKind::Read
                }
                _ => QueryKind::Write,
            };
            let mut qy = q(
                chain,
                orm,
                kind,
                ["findAll", "find", "findAndCountAll", "aggregate", "where"].contains(&m0),
            );
            qy.eager = chain.arg_key(&["include"]) || chain.has(&["populate"]);
            qy.limited = chain.arg_key(&["limit"]) || chain.has(&["limit", "paginate"]);
            qy.batched = chain.arg_key(&["$in"]) || ast.subtree(chain.calls[0]).any(|n| matches!(ast.kind(n), Kind::Member { property, .. } if property == "in" || property == "$in"));
            return Some(qy);
        }
    }
    // Drizzle: `db.select().from(users).where(..)`, `db.insert(users).values(..)`, `db.query.users.findMany(..)`.
    if chain.has(&["from"])
        && chain
            .names
            .first()
            .is_some_and(|n| ["select", "selectDistinct", "selectDistinctOn"].contains(n))
    {
        let mut qy = q(chain, "Drizzle", QueryKind::Read, true);
        qy.limited = chain.has(&["limit"]);
        qy.eager = chain.names.iter().any(|n| n.ends_with("Join"));
        qy.batched = chain.inner_call(&["inArray"]);
        return Some(qy);
    }
    if (first_recv.contains(".query.") || first_recv.starts_with("query."))
        && ["findMany", "findFirst"].contains(&m0)
    {
        let mut qy = q(chain, "Drizzle", QueryKind::Read, m0 == "findMany");
        qy.eager = chain.arg_key(&["with"]);
        qy.limited = chain.arg_key(&["limit"]);
        qy.batched = chain.inner_call(&["inArray"]);
        return Some(qy);
    }
    if ["insert", "update", "delete"].contains(&m0)
        && chain.has(&["values", "set", "where", "returning"])
        && ["db", "tx", "this.db", "database"].contains(&first_recv.as_str())
    {
        return Some(q(chain, "Drizzle", QueryKind::Write, false));
    }
    // Knex: `knex('users').where(..)`, `db('orders').insert(..)`, `knex.select('*').from('t')`.
    if let Kind::Call(rc) = ast.kind(chain.calls[0]) {
        let callee = ast.path_of(rc.callee).unwrap_or_default();
        let knexish = ["knex", "db", "trx", "k", "this.knex", "this.db"].contains(&callee.as_str())
            || imports.get(&callee).is_some_and(|q| q.starts_with("knex"))
            // `const pg = knex({ client: "pg" })` at the top of the file
            || ast.top_level_assignment(&callee, true).is_some_and(|(_, v)| {
                ast.call(ast.unwrap_expr(v))
                    .and_then(|c| ast.path_of(c.callee))
                    .is_some_and(|f| imports.get(&f).is_some_and(|q| q.starts_with("knex")))
            });
        if knexish
            && ast
                .positional(rc)
                .next()
                .is_some_and(|a| matches!(ast.kind(a), Kind::Str(_)))
            && chain.names.iter().skip(1).any(|n| KNEX_METHODS.contains(n))
            || knexish
                && chain.calls.len() == 1
                && ast
                    .parent(chain.calls[0])
                    .is_some_and(|p| matches!(ast.kind(p), Kind::Await(_)))
        {
            let kind = if chain.has(&[
                "insert",
                "update",
                "del",
                "delete",
                "upsert",
                "increment",
                "decrement",
            ]) {
                QueryKind::Write
            } else if chain.has(&["count", "sum", "max"]) {
                QueryKind::Count
            } else {
                QueryKind::Read
            };
            let mut qy = q(
                chain,
                "Knex",
                kind,
                kind == QueryKind::Read && !chain.has(&["first"]),
            );
            qy.limited = chain.has(&["limit", "first", "paginate"]);
            qy.batched = chain.has(&["whereIn"]);
            return Some(qy);
        }
    }
    // Raw SQL clients: pg, mysql2, knex.raw, sequelize.query, pg-promise, postgres.js.
    if let Some(recv) = ast.receiver(first) {
        if SQL_TEXT_METHODS_TS.contains(&m0)
            && is_sql_receiver(ast, recv)
            && ast.positional(first).next().is_some()
        {
            let arg = ast.positional(first).next();
            // GraphQL clients: `client.query({ query: GET_USER, variables })`
            if arg.is_some_and(|a| {
                matches!(ast.kind(a), Kind::Object { .. })
                    && ast.entry(a, "text").is_none()
                    && ast.entry(a, "sql").is_none()
            }) {
                return None;
            }
            // `res.query` / `req.query` are request data, not a database
            if ["req", "request", "ctx", "res", "reply", "router", "app"]
                .contains(&last_segment(&first_recv))
            {
                return None;
            }
            let mut qy = q(chain, "SQL client", QueryKind::Raw, true);
            qy.sql = arg;
            let text = arg.and_then(|a| sql_text(ast, a)).unwrap_or_default();
            qy.limited = has_limit(&text);
            qy.batched = batched_sql(&text);
            if is_write_sql(&text) {
                qy.kind = QueryKind::Write;
            }
            return Some(qy);
        }
    }
    // postgres.js / @vercel/postgres: await sql`SELECT ...`
    if outer.is_tagged
        && chain.calls.len() == 1
        && ast
            .parent(chain.calls[0])
            .is_some_and(|p| matches!(ast.kind(p), Kind::Await(_)))
    {
        let callee = ast.path_of(first.callee).unwrap_or_default();
        if (callee == "sql" || callee.ends_with(".sql"))
            && (imports.uses("postgres")
                || imports.uses("@vercel/postgres")
                || imports.uses("@neondatabase/serverless"))
        {
            let mut qy = q(chain, "postgres.js", QueryKind::Read, true);
            let text = first
                .args
                .first()
                .and_then(|a| sql_text(ast, a.value))
                .unwrap_or_default();
            qy.limited = has_limit(&text);
            qy.batched = batched_sql(&text);
            return Some(qy);
        }
    }
    None
}

fn rust(chain: &Chain, imports: &Imports) -> Option<Query> {
    let ast = chain.ast;
    let last = chain.last();
    let root_call = chain.calls[0];
    let root_callee = ast
        .call(root_call)
        .and_then(|c| ast.path_of(c.callee))
        .map(|p| imports.qualify_path(&p))
        .unwrap_or_default();
    let root_is_macro = ast.call(root_call).is_some_and(|c| c.is_macro);
    let root_last = last_segment(&root_callee);
    // sqlx: `sqlx::query_as::<_, User>("..").bind(id).fetch_one(&pool)`, `query!(..).fetch_all(..)`.
    if SQLX_TERMINAL.contains(&last)
        && SQLX_ROOTS.contains(&root_last)
        && (root_callee.starts_with("sqlx")
            || root_is_macro
            || imports.uses("sqlx")
            || root_callee == root_last)
    {
        let mut qy = q(
            chain,
            "sqlx",
            if last == "execute" {
                QueryKind::Write
            } else {
                QueryKind::Read
            },
            last == "fetch_all" || last == "fetch",
        );
        let sql = ast.call(root_call).and_then(|c| ast.positional(c).next());
        if !root_is_macro {
            qy.sql = sql;
        }
        let text = sql.and_then(|s| sql_text(ast, s)).unwrap_or_default();
        qy.limited = has_limit(&text);
        qy.batched = batched_sql(&text);
        if is_write_sql(&text) {
            qy.kind = QueryKind::Write;
        } else if last == "execute" && !text.is_empty() {
            qy.kind = QueryKind::Read;
        }
        return Some(qy);
    }
    // sea-orm: `user::Entity::find().filter(..).all(&db)`, `Post::find_by_id(id).one(db)`.
    if SEAORM_TERMINAL.contains(&last)
        && (SEAORM_ROOT.contains(&root_last) || chain.has(&["find_related", "find_also_related"]))
        && chain.calls.len() >= 2
    {
        let kind = match last {
            "count" => QueryKind::Count,
            "exec" | "exec_with_returning" => QueryKind::Write,
            _ => QueryKind::Read,
        };
        let mut qy = q(chain, "SeaORM", kind, last == "all" || last == "stream");
        qy.limited = chain.has(&["limit", "paginate", "cursor_by"]);
        qy.eager = chain.has(&["find_also_related", "find_with_related"]);
        qy.batched = chain.inner_call(&["is_in"]);
        return Some(qy);
    }
    // diesel: `users.filter(..).load::<User>(&mut conn)`, `diesel::insert_into(t).values(..).execute(conn)`.
    if DIESEL_TERMINAL.contains(&last) {
        let term = ast.call(chain.terminal())?;
        let conn_arg = term.args.len() == 1 && {
            let t = ast
                .path_of(ast.unwrap_expr(term.args[0].value))
                .unwrap_or_default()
                .to_ascii_lowercase();
            t.contains("conn")
                || t.contains("pool")
                || t == "db"
                || t.ends_with(".db")
                || t.contains("tx")
        };
        let diesel_chain = chain.has(DIESEL_CHAIN)
            || root_callee.starts_with("diesel")
            || ["insert_into", "update", "delete", "sql_query"].contains(&root_last);
        if conn_arg && (diesel_chain || last != "first" && last != "execute") {
            let write = chain.has(&["insert_into", "values", "set"])
                || ["insert_into", "update", "delete"].contains(&root_last);
            let mut qy = q(
                chain,
                "diesel",
                if write {
                    QueryKind::Write
                } else {
                    QueryKind::Read
                },
                ["load", "get_results", "load_iter"].contains(&last),
            );
            qy.limited = chain.has(&["limit", "paginate"]);
            qy.batched = chain.inner_call(&["eq_any", "any"]);
            qy.eager = chain.has(&["inner_join", "left_join", "left_outer_join", "belonging_to"]);
            if root_last == "sql_query" {
                qy.kind = QueryKind::Raw;
                qy.sql = ast.call(root_call).and_then(|c| ast.positional(c).next());
            }
            return Some(qy);
        }
    }
    // sea-orm active models: `model.insert(&db)`, `active.update(db)`.
    if ["insert", "update", "delete", "save"].contains(&last) && chain.calls.len() == 1 {
        let term = ast.call(chain.terminal())?;
        if term.args.len() == 1 {
            let t = ast
                .path_of(ast.unwrap_expr(term.args[0].value))
                .unwrap_or_default()
                .to_ascii_lowercase();
            if t == "db" || t.ends_with(".db") || t.contains("conn") || t == "txn" || t == "tx" {
                return Some(q(chain, "SeaORM", QueryKind::Write, false));
            }
        }
    }
    // tokio-postgres / deadpool / mysql_async: `client.query("..", &[&id])`.
    let first = ast.call(chain.calls[0])?;
    let m0 = chain.names[0];
    if let Some(recv) = ast.receiver(first) {
        if SQL_TEXT_METHODS_RS.contains(&m0) && !first.args.is_empty() && is_sql_receiver(ast, recv)
        {
            let sql = ast.positional(first).next();
            let text = sql.and_then(|s| sql_text(ast, s)).unwrap_or_default();
            let is_sql_arg = sql.is_some_and(|s| is_sql_text_expr(ast, s));
            if !is_sql_arg {
                return None;
            }
            let mut qy = q(
                chain,
                "tokio-postgres",
                QueryKind::Raw,
                m0 == "query" || m0 == "query_raw",
            );
            qy.sql = sql;
            qy.limited = has_limit(&text);
            qy.batched = batched_sql(&text);
            if is_write_sql(&text) {
                qy.kind = QueryKind::Write;
            }
            return Some(qy);
        }
    }
    None
}

/// Receivers of `.save()`/`.delete()` that are not rows: sessions, caches, files, images,
/// spreadsheets, storages, forms of other libraries.
const NOT_ROW_RECEIVERS: &[&str] = &[
    "session",
    "cache",
    "storage",
    "file",
    "image",
    "img",
    "thumbnail",
    "wb",
    "workbook",
    "fig",
    "figure",
    "plt",
    "pdf",
    "zip",
    "archive",
    "buffer",
    "writer",
    "canvas",
    "tokenizer",
    "config",
    "settings",
    "cookie",
    "cookies",
    "editor",
    "socket",
    "stream",
    "browser",
    "page",
    "localstorage",
    "sessionstorage",
    "store",
    "state",
    "this",
    "self",
    "super",
    "req",
    "request",
    "res",
    "response",
    "ctx",
    "context",
    "app",
    "router",
    "client",
    "redis",
    "queue",
];

/// Python modules whose model instances write on `.save()`/`.delete()`.
const PY_ROW_ORMS: &[&str] = &[
    "django",
    "peewee",
    "tortoise",
    "rest_framework",
    "mongoengine",
];
/// TypeScript modules whose documents/instances write on `.save()`.
const TS_ROW_ORMS: &[&str] = &["mongoose", "sequelize", "sequelize-typescript", "typeorm"];

/// Writes through a model instance or a unit of work, which [`query_call`] does not count as
/// queries: Django/Peewee/Tortoise `order.save()`, `order.delete()`, a ModelForm or DRF
/// serializer `form.save()`; SQLAlchemy `session.add(x)`, `session.add_all(xs)`,
/// `session.delete(x)`, `session.merge(x)` (staged until the session commits); Mongoose,
/// TypeORM Active Record and Sequelize `doc.save()`; Sequelize instance `update`, `destroy`,
/// `increment`, `decrement`, Mongoose `doc.deleteOne()`. `bound_by_query` says whether a
/// local name holds a row the function read or created (`const user = await User.findByPk(id)`),
/// which the JavaScript instance methods other than `save` need.
pub fn instance_write(
    ast: &Ast,
    imports: &Imports,
    call: NodeId,
    bound_by_query: &dyn Fn(&str) -> bool,
) -> Option<Query> {
    let c = ast.call(call)?;
    let name = ast.callee_name(c)?;
    let recv = ast.unwrap_expr(ast.receiver(c)?);
    let recv_path = ast.path_of(recv)?;
    let last = last_segment(&recv_path)
        .trim_start_matches('_')
        .to_ascii_lowercase();
    // `db.session.add(user)` names the row; other arguments are elided
    let arg = match ast.positional(c).next().map(|a| ast.unwrap_expr(a)) {
        Some(a) if c.args.len() == 1 => ast
            .path_of(a)
            .or_else(|| {
                ast.call(a)
                    .and_then(|ac| ast.path_of(ac.callee))
                    .map(|p| format!("{p}(…)"))
            })
            .unwrap_or_else(|| "…".to_string()),
        _ if c.args.is_empty() => String::new(),
        _ => "…".to_string(),
    };
    let display = |orm: &'static str| Query {
        orm,
        display: format!("{recv_path}.{name}({arg})"),
        kind: QueryKind::Write,
        many: false,
        limited: false,
        eager: false,
        batched: false,
        sql: None,
    };
    let not_row = |l: &str| {
        NOT_ROW_RECEIVERS.contains(&l)
            || [
                "session",
                "cache",
                "storage",
                "file",
                "image",
                "client",
                "form_data",
            ]
            .iter()
            .any(|s| l.ends_with(s))
    };
    match ast.lang {
        Lang::Python => {
            // SQLAlchemy unit of work: `db.session.add(order)`, `session.delete(row)`
            if matches!(name, "add" | "add_all" | "delete" | "merge")
                && last.ends_with("session")
                && ast.positional(c).next().is_some()
                && (imports.uses("sqlalchemy")
                    || imports.uses("flask_sqlalchemy")
                    || imports.uses("sqlmodel")
                    || recv_path.ends_with("db.session"))
            {
                return Some(display("SQLAlchemy"));
            }
            let row_orm = PY_ROW_ORMS.iter().any(|m| imports.uses(m))
                || imports
                    .modules()
                    .any(|m| m.ends_with("models") || m.contains(".models"));
            // `form.save(commit=False)` builds the row without writing it
            let no_commit = ast
                .kwarg(c, "commit")
                .is_some_and(|v| matches!(ast.kind(v), Kind::Bool(false)));
            if matches!(name, "save" | "delete" | "asave" | "adelete")
                && row_orm
                && !no_commit
                && ast.positional(c).next().is_none()
                && !c.args.iter().any(|a| a.spread)
                && !not_row(&last)
                && !is_capitalised(last_segment(&recv_path))
            {
                return Some(display("Django ORM"));
            }
            None
        }
        Lang::TypeScript => {
            if is_capitalised(last_segment(&recv_path)) || not_row(&last) {
                return None;
            }
            let options_only = c.args.len() <= 1
                && c.args
                    .iter()
                    .all(|a| matches!(ast.kind(ast.unwrap_expr(a.value)), Kind::Object { .. }));
            let root = recv_path.split('.').next().unwrap_or("");
            let bound = bound_by_query(root);
            let orm_file = TS_ROW_ORMS.iter().any(|m| imports.uses(m));
            if name == "save" && options_only && (bound || orm_file && !recv_path.contains('.')) {
                return Some(display(if imports.uses("mongoose") {
                    "Mongoose"
                } else {
                    "Active Record"
                }));
            }
            if bound
                && matches!(
                    name,
                    "update"
                        | "destroy"
                        | "increment"
                        | "decrement"
                        | "restore"
                        | "deleteOne"
                        | "updateOne"
                        | "remove"
                )
                && !recv_path.contains('.')
            {
                return Some(display("Active Record"));
            }
            None
        }
        Lang::Rust => None,
    }
}

/// What a write does to the rows it touches, for rules that ask whether running it again
/// would repair a half-done sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteEffect {
    /// Inserts rows (`create`, `bulk_create`, `createMany`, `INSERT`, `insert_into`).
    Create,
    /// Changes a value relative to the stored one (`F("stock") - 1`, `increment`,
    /// `{ increment: 1 }`, `$inc`, `SET n = n + 1`).
    Relative,
    /// Sets values (`update(status=..)`, `updateMany`, `bulk_update`, a row's `save()`).
    Set,
    /// Deletes rows.
    Delete,
    /// Inserts or updates by key, or inserts unless present (`update_or_create`,
    /// `get_or_create`, `upsert`, `findOrCreate`, `ON CONFLICT`, `ignore_conflicts=True`).
    Upsert,
}

const CREATE_CALLS: &[&str] = &[
    "create",
    "acreate",
    "bulk_create",
    "abulk_create",
    "createMany",
    "createManyAndReturn",
    "insert",
    "insert_many",
    "insertMany",
    "insert_into",
    "bulkCreate",
    "add",
    "add_all",
    "insertOne",
    "insert_one",
    "create_user",
    "create_superuser",
];
const DELETE_CALLS: &[&str] = &[
    "delete",
    "adelete",
    "deleteMany",
    "deleteOne",
    "destroy",
    "remove",
    "del",
    "softDelete",
    "delete_many",
    "delete_by_id",
    "findByIdAndDelete",
    "findOneAndDelete",
    "findByIdAndRemove",
];
const RELATIVE_CALLS: &[&str] = &["increment", "decrement", "incr", "decr"];
const UPSERT_CALL_NAMES: &[&str] = &[
    "update_or_create",
    "aupdate_or_create",
    "get_or_create",
    "aget_or_create",
    "upsert",
    "findOrCreate",
    "insertOrUpdate",
    "on_conflict",
    "onConflict",
    "on_conflict_do_nothing",
    "on_conflict_do_update",
    "do_update",
    "do_nothing",
    "orIgnore",
    "orUpdate",
];

/// What the write call `call` does, from its method names, its arguments (`F(..)`,
/// `{ increment: n }`, `$inc`, `ignore_conflicts=True`, `{ upsert: true }`) and its SQL text.
pub fn write_effect(ast: &Ast, call: NodeId) -> WriteEffect {
    let chain = ast.call_chain(call);
    let names: Vec<&str> = chain
        .iter()
        .filter_map(|&c| ast.call(c).and_then(|cc| ast.callee_name(cc)))
        .collect();
    let text = chain
        .iter()
        .find_map(|&c| {
            ast.call(c)
                .and_then(|cc| cc.args.first())
                .and_then(|a| sql_text(ast, a.value))
        })
        .unwrap_or_default();
    let t = text.trim_start();
    if names.iter().any(|n| UPSERT_CALL_NAMES.contains(n)) || t.contains("ON CONFLICT") {
        return WriteEffect::Upsert;
    }
    let relative_arg = ast.subtree(call).any(|n| match ast.kind(n) {
        Kind::Call(ic) => ast.callee_name(ic) == Some("F"),
        Kind::Object { entries, .. } => entries.iter().any(|e| {
            matches!(
                e.key.as_deref(),
                Some("increment" | "decrement" | "$inc" | "multiply" | "$push" | "$pull")
            )
        }),
        _ => false,
    });
    let kw = |name: &str| {
        chain.iter().any(|&c| {
            ast.call(c).is_some_and(|cc| {
                ast.kwarg(cc, name)
                    .is_some_and(|v| matches!(ast.kind(v), Kind::Bool(true)))
            })
        })
    };
    let option_true = |key: &str| {
        chain.iter().any(|&c| {
            ast.call(c).is_some_and(|cc| {
                cc.args.iter().any(|a| {
                    ast.entry(ast.unwrap_expr(a.value), key)
                        .is_some_and(|e| matches!(ast.kind(e.value), Kind::Bool(true)))
                })
            })
        })
    };
    if kw("ignore_conflicts")
        || kw("update_conflicts")
        || option_true("upsert")
        || option_true("ignoreDuplicates")
        || option_true("skipDuplicates")
    {
        return WriteEffect::Upsert;
    }
    if names.iter().any(|n| RELATIVE_CALLS.contains(n)) || relative_arg {
        return WriteEffect::Relative;
    }
    if t.starts_with("UPDATE") {
        // `SET stock = stock - $1`
        if let Some(set) = t.split(" SET ").nth(1) {
            let set = set.split(" WHERE ").next().unwrap_or(set);
            if set.split(',').any(|part| {
                part.split_once('=').is_some_and(|(col, val)| {
                    let col = col.trim();
                    !col.is_empty() && val.contains(col) && (val.contains('+') || val.contains('-'))
                })
            }) {
                return WriteEffect::Relative;
            }
        }
        return WriteEffect::Set;
    }
    if t.starts_with("INSERT") || t.starts_with("REPLACE") {
        return WriteEffect::Create;
    }
    if t.starts_with("DELETE") {
        return WriteEffect::Delete;
    }
    let last = names.last().copied().unwrap_or("");
    let first = names.first().copied().unwrap_or("");
    if names.iter().any(|n| CREATE_CALLS.contains(n)) && !names.contains(&"update") {
        return WriteEffect::Create;
    }
    if DELETE_CALLS.contains(&last) || DELETE_CALLS.contains(&first) {
        return WriteEffect::Delete;
    }
    WriteEffect::Set
}

/// SQLAlchemy/DB-API `session.commit()`, `db.session.commit()`, `conn.commit()`: what the
/// staged writes before it become durable at.
pub fn is_commit(ast: &Ast, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    ast.callee_name(c) == Some("commit")
        && c.args.is_empty()
        && ast.receiver(c).is_some_and(|r| {
            ast.path_of(ast.unwrap_expr(r)).is_some_and(|p| {
                let l = last_segment(&p).to_ascii_lowercase();
                l.ends_with("session") || l == "db" || l.ends_with("conn") || l == "connection"
            })
        })
}

/// The model, table or row a write goes to, as a reviewer names it: `Order` for
/// `Order.objects.create(..)`, `order` for `prisma.order.create(..)`, `orders` for
/// `knex('orders').insert(..)` or `INSERT INTO orders ..`, `order` for `order.save()`.
pub fn write_target(ast: &Ast, call: NodeId) -> String {
    let chain = ast.call_chain(call);
    let Some(&first) = chain.first() else {
        return String::new();
    };
    let Some(fc) = ast.call(first) else {
        return String::new();
    };
    // SQL text: the table after INSERT INTO / UPDATE / DELETE FROM
    for &c in &chain {
        if let Some(text) = ast
            .call(c)
            .and_then(|cc| cc.args.first())
            .and_then(|a| sql_text(ast, a.value))
        {
            if let Some(t) = sql_table(&text) {
                return t;
            }
        }
    }
    let callee = ast.path_of(fc.callee).unwrap_or_default();
    let method = ast.callee_name(fc).unwrap_or("");
    let arg_path = |c: &crate::ast::Call| {
        ast.positional(c)
            .next()
            .and_then(|a| ast.path_of(ast.chain_root(a)))
    };
    // SQLAlchemy `session.add(Ledger(..))`
    if matches!(method, "add" | "add_all" | "merge") {
        if let Some(Kind::Call(ctor)) = ast
            .positional(fc)
            .next()
            .map(|a| ast.kind(ast.unwrap_expr(a)))
        {
            if let Some(p) = ast.path_of(ctor.callee) {
                return p;
            }
        }
    }
    // knex('orders'), diesel insert_into(orders::table), drizzle db.insert(orders),
    // TypeORM manager.save(Order, ..)
    if let Some(s) = ast.positional(fc).next().and_then(|a| ast.plain_str(a)) {
        if ast.receiver(fc).is_none() {
            return s.to_string();
        }
    }
    if matches!(
        method,
        "insert_into" | "update" | "delete" | "insert" | "save" | "remove"
    ) && (ast.receiver(fc).is_none()
        || ["db", "tx", "manager", "this.db", "database"].contains(
            &ast.receiver(fc)
                .and_then(|r| ast.path_of(r))
                .unwrap_or_default()
                .as_str(),
        ))
    {
        if let Some(p) = arg_path(fc) {
            let seg = p.split("::").next().unwrap_or(&p).to_string();
            if !seg.is_empty() {
                return seg;
            }
        }
    }
    const GENERIC: &[&str] = &[
        "objects",
        "prisma",
        "db",
        "tx",
        "trx",
        "this",
        "self",
        "cls",
        "client",
        "ctx",
        "manager",
        "models",
        "knex",
        "session",
        "database",
        "entity",
        "Entity",
        "ActiveModel",
        "_default_manager",
        "query",
        "diesel",
        "sqlx",
    ];
    let segs: Vec<&str> = callee.split(['.', ':']).filter(|s| !s.is_empty()).collect();
    segs.iter()
        .take(segs.len().saturating_sub(1))
        .rev()
        .find(|s| !GENERIC.contains(s))
        .map(|s| s.to_string())
        .unwrap_or_else(|| callee.clone())
}

/// The table an INSERT/UPDATE/DELETE statement writes (uppercased text in, lowercase out).
fn sql_table(upper: &str) -> Option<String> {
    let t = upper.trim_start();
    let rest = t
        .strip_prefix("INSERT INTO")
        .or_else(|| t.strip_prefix("INSERT OR REPLACE INTO"))
        .or_else(|| t.strip_prefix("UPDATE"))
        .or_else(|| t.strip_prefix("DELETE FROM"))
        .or_else(|| t.strip_prefix("REPLACE INTO"))?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '"' | '`'))
        .filter(|c| !matches!(c, '"' | '`'))
        .collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// Whether an expression can be SQL text: a string, a formatted string, a name, a concatenation.
fn is_sql_text_expr(ast: &Ast, id: NodeId) -> bool {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Str(_) | Kind::Name(_) | Kind::Binary { .. } | Kind::Member { .. } => true,
        Kind::Call(c) => {
            c.is_macro
                || matches!(
                    ast.callee_name(c),
                    Some("text" | "format" | "sql" | "raw" | "as_str" | "to_string" | "join")
                )
        }
        _ => false,
    }
}

/// The static SQL text of an argument (plain or interpolated literal, `text("..")`, a
/// concatenation of literals), uppercased; `None` when it cannot be seen.
pub fn sql_text(ast: &Ast, id: NodeId) -> Option<String> {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Str(s) => Some(s.value.to_ascii_uppercase()),
        Kind::Binary { lhs, rhs, .. } => {
            let l = sql_text(ast, *lhs).unwrap_or_default();
            let r = sql_text(ast, *rhs).unwrap_or_default();
            Some(l + " " + &r)
        }
        Kind::Call(c) => ast.positional(c).next().and_then(|a| sql_text(ast, a)),
        _ => None,
    }
}

pub fn has_limit(upper_sql: &str) -> bool {
    upper_sql.contains(" LIMIT ")
        || upper_sql.contains("\nLIMIT ")
        || upper_sql.contains("LIMIT {}")
        || upper_sql.contains(" FETCH FIRST ")
        || upper_sql.contains(" TOP ")
        || upper_sql.ends_with("LIMIT 1")
        || upper_sql.contains("LIMIT $")
        || upper_sql.contains("LIMIT ?")
        || upper_sql.contains("LIMIT %S")
}

pub fn batched_sql(upper_sql: &str) -> bool {
    upper_sql.contains(" IN (")
        || upper_sql.contains(" IN(")
        || upper_sql.contains("= ANY(")
        || upper_sql.contains("=ANY(")
        || upper_sql.contains(" IN %S")
        || upper_sql.contains("UNNEST(")
}

pub fn is_write_sql(upper_sql: &str) -> bool {
    let t = upper_sql.trim_start();
    t.starts_with("INSERT")
        || t.starts_with("UPDATE")
        || t.starts_with("DELETE")
        || t.starts_with("UPSERT")
        || t.starts_with("REPLACE")
        || t.starts_with("MERGE")
}

/// Calls that write many rows at once (`bulk_create`, `createMany`, `executemany`): one per
/// chunk or per parent is the batching itself, not an N+1.
pub const BULK_CALLS: &[&str] = &[
    "bulk_create",
    "bulk_update",
    "abulk_create",
    "abulk_update",
    "bulk_insert_mappings",
    "bulk_update_mappings",
    "bulk_save_objects",
    "executemany",
    "execute_values",
    "execute_batch",
    "createMany",
    "createManyAndReturn",
    "insertMany",
    "insert_many",
    "bulkCreate",
    "bulkWrite",
    "copy_records_to_table",
];

/// Whether a query as displayed (`Product.objects.bulk_update(…)`) is a bulk write.
pub fn is_bulk_display(what: &str) -> bool {
    BULK_CALLS.iter().any(|b| displays_call(what, b))
}

/// `what` holds `.name(` or starts with `name(` (without making those strings).
fn displays_call(what: &str, name: &str) -> bool {
    let called = |rest: &str| rest.strip_prefix(name).is_some_and(|r| r.starts_with('('));
    called(what) || what.match_indices('.').any(|(i, _)| called(&what[i + 1..]))
}

/// Upserts: insert a row or update it when its key exists (`update_or_create`, Prisma and
/// Sequelize `upsert`, diesel `.on_conflict(..).do_update()`).
const UPSERT_CALLS: &[&str] = &[
    "update_or_create",
    "aupdate_or_create",
    "upsert",
    "insertOrUpdate",
    "do_update",
    "on_conflict_do_update",
];

/// Whether a query as displayed (`Listing.objects.update_or_create(…)`) is an upsert.
pub fn is_upsert_display(what: &str) -> bool {
    UPSERT_CALLS.iter().any(|b| displays_call(what, b))
}

/// Whether a query as displayed runs on a model held in a variable (`model.objects.filter(…)`,
/// `cls._default_manager.count()`): the function queries whatever model it is given.
pub fn is_variable_model_display(what: &str) -> bool {
    let mut parts = what.split('.');
    let (Some(first), Some(second)) = (parts.next(), parts.next()) else {
        return false;
    };
    first
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && matches!(second, "objects" | "_default_manager" | "_base_manager")
}

/// Django model methods a class may override with logic of its own. `bulk_update`,
/// `queryset.update()` and `queryset.delete()` never call the override, so a per-row
/// `row.save()`/`row.delete()` is how that logic runs for each row.
pub const ROW_WRITE_METHODS: &[&str] = &["save", "delete"];

/// Calls that open a transaction around a block or a callback: Django `with
/// transaction.atomic():`, SQLAlchemy `with session.begin():`, asyncpg `async with
/// conn.transaction():`, Sequelize/Knex/TypeORM/Drizzle `db.transaction(async (t) => ..)`,
/// Prisma `$transaction(async (tx) => ..)`.
pub const TRANSACTION_BLOCKS: &[&str] = &[
    "atomic",
    "begin",
    "begin_nested",
    "transaction",
    "$transaction",
];

/// Query-chain calls that lock the rows they read until the transaction ends.
pub const ROW_LOCK_CALLS: &[&str] = &[
    "select_for_update",
    "with_for_update",
    "for_update",
    "forUpdate",
    "setLock",
    "lockForUpdate",
];

/// Django queryset methods that return another lazy queryset.
pub const DJANGO_LAZY: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "annotate",
    "alias",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "distinct",
    "using",
    "none",
    "values",
    "values_list",
    "restrict",
];

/// Names of a DataLoader's batch function (graphene/strawberry `batch_load`, the JS
/// `dataloader` package's `batchLoadFn`): one call per batch of keys.
pub const DATALOADER_BATCH_FUNCTIONS: &[&str] = &[
    "batch_load",
    "batch_load_fn",
    "batchLoad",
    "batchLoadFn",
    "load_batch",
    "loadBatch",
];

/// Exceptions an ORM raises when a lookup finds no row (Django `Model.DoesNotExist`,
/// SQLAlchemy `NoResultFound`, TypeORM `EntityNotFoundError`, Prisma `NotFoundError`, Rails-like
/// `RecordNotFound`, diesel `NotFound`).
pub const NOT_FOUND_ERRORS: &[&str] = &[
    "DoesNotExist",
    "ObjectDoesNotExist",
    "NoResultFound",
    "EntityNotFoundError",
    "NotFoundError",
    "RecordNotFound",
];

/// Models of a framework registry that holds one row per model class of the project (Django's
/// `contenttypes` framework).
pub const MODEL_REGISTRY_MODELS: &[&str] = &["ContentType"];
