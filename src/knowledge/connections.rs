//! Database connections, pools and clients: which calls create one (expensive: a TCP and TLS
//! handshake, authentication, and for pools and clients a set of connections and background
//! tasks), which calls only borrow one from a pool created earlier (cheap), which calls close
//! one, and which calls keep one for the application's lifetime (app state).
//!
//! Constructors are matched on qualified names (imports resolve aliases), so `pool.connect()`
//! (a checkout) is never confused with `psycopg2.connect(..)` or `mongoose.connect(..)`.
//! SQLite (`sqlite3.connect`, `better-sqlite3`, rusqlite, `SqlitePool`) is deliberately absent:
//! opening a local file has no network handshake, and a connection per request is the pattern
//! its documentation recommends for threaded servers.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::imports::Imports;

/// A connection, pool or client construction.
#[derive(Clone, Debug)]
pub struct Constructor {
    /// The call as a reviewer reads it: `psycopg2.connect(…)`, `new Pool(…)`,
    /// `PgPoolOptions::new()….connect(…)`.
    pub display: String,
    /// What it creates: "PostgreSQL connection", "connection pool", "Prisma client".
    pub what: &'static str,
    /// The fix for that library.
    pub fix: &'static str,
}

const PY_PG_FIX: &str = "create a pool once at start-up (`psycopg_pool.ConnectionPool`, `psycopg2.pool.ThreadedConnectionPool`) and borrow a connection per request (`with pool.connection() as conn:` / `pool.getconn()` + `pool.putconn(conn)`)";
const PY_ASYNCPG_FIX: &str = "create the pool once in the app's `lifespan`/`on_startup` (`app.state.pool = await asyncpg.create_pool(...)`) and borrow per request with `async with pool.acquire() as conn:`";
const PY_ENGINE_FIX: &str = "create the engine once at module level (it owns the connection pool) and open a session per request, e.g. a `Depends(get_db)` that yields `SessionLocal()`";
const PY_MYSQL_FIX: &str = "create a pool once at start-up (`aiomysql.create_pool`, `mysql.connector.pooling.MySQLConnectionPool`, a SQLAlchemy engine) and borrow a connection per request";
const PY_MONGO_FIX: &str = "create one client at start-up (module level or `lifespan`) and reuse it: it keeps its own connection pool";
const PY_REDIS_FIX: &str = "create one client (or a `ConnectionPool`) at start-up and share it";
const PY_DATABASES_FIX: &str =
    "create the `Database` once at module level and `await database.connect()` in the lifespan";
const PY_ORACLE_FIX: &str =
    "create a pool once at start-up (`oracledb.create_pool`) and `pool.acquire()` per request";

/// Python: (qualified constructor, what, fix).
pub const PY_CONSTRUCTORS: &[(&str, &str, &str)] = &[
    ("psycopg2.connect", "PostgreSQL connection", PY_PG_FIX),
    ("psycopg.connect", "PostgreSQL connection", PY_PG_FIX),
    ("psycopg.Connection.connect", "PostgreSQL connection", PY_PG_FIX),
    ("psycopg.AsyncConnection.connect", "PostgreSQL connection", "create a `psycopg_pool.AsyncConnectionPool` once in the lifespan and `async with pool.connection() as conn:` per request"),
    ("psycopg2.pool.SimpleConnectionPool", "connection pool", PY_PG_FIX),
    ("psycopg2.pool.ThreadedConnectionPool", "connection pool", PY_PG_FIX),
    ("psycopg_pool.ConnectionPool", "connection pool", PY_PG_FIX),
    ("psycopg_pool.AsyncConnectionPool", "connection pool", PY_ASYNCPG_FIX),
    ("asyncpg.connect", "PostgreSQL connection", PY_ASYNCPG_FIX),
    ("asyncpg.create_pool", "connection pool", PY_ASYNCPG_FIX),
    ("aiopg.connect", "PostgreSQL connection", PY_ASYNCPG_FIX),
    ("aiopg.create_pool", "connection pool", PY_ASYNCPG_FIX),
    ("pymysql.connect", "MySQL connection", PY_MYSQL_FIX),
    ("MySQLdb.connect", "MySQL connection", PY_MYSQL_FIX),
    ("mysql.connector.connect", "MySQL connection", PY_MYSQL_FIX),
    ("mariadb.connect", "MariaDB connection", PY_MYSQL_FIX),
    ("aiomysql.connect", "MySQL connection", PY_MYSQL_FIX),
    ("aiomysql.create_pool", "connection pool", PY_MYSQL_FIX),
    ("sqlalchemy.create_engine", "SQLAlchemy engine and its connection pool", PY_ENGINE_FIX),
    ("sqlmodel.create_engine", "SQLAlchemy engine and its connection pool", PY_ENGINE_FIX),
    ("sqlalchemy.ext.asyncio.create_async_engine", "SQLAlchemy engine and its connection pool", "create the async engine once at module level and open an `AsyncSession` per request (`async_sessionmaker(engine)`)"),
    ("pymongo.MongoClient", "MongoDB client", PY_MONGO_FIX),
    ("motor.motor_asyncio.AsyncIOMotorClient", "MongoDB client", PY_MONGO_FIX),
    ("motor.motor_tornado.MotorClient", "MongoDB client", PY_MONGO_FIX),
    ("mongoengine.connect", "MongoDB connection", PY_MONGO_FIX),
    ("redis.Redis", "Redis client", PY_REDIS_FIX),
    ("redis.StrictRedis", "Redis client", PY_REDIS_FIX),
    ("redis.from_url", "Redis client", PY_REDIS_FIX),
    ("redis.Redis.from_url", "Redis client", PY_REDIS_FIX),
    ("redis.ConnectionPool", "Redis connection pool", PY_REDIS_FIX),
    ("redis.asyncio.Redis", "Redis client", PY_REDIS_FIX),
    ("redis.asyncio.from_url", "Redis client", PY_REDIS_FIX),
    ("redis.asyncio.Redis.from_url", "Redis client", PY_REDIS_FIX),
    ("redis.asyncio.ConnectionPool", "Redis connection pool", PY_REDIS_FIX),
    ("aioredis.from_url", "Redis client", PY_REDIS_FIX),
    ("aioredis.Redis", "Redis client", PY_REDIS_FIX),
    ("databases.Database", "database client", PY_DATABASES_FIX),
    ("pyodbc.connect", "ODBC connection", "enable pyodbc pooling and keep a pool created at start-up, or use a SQLAlchemy engine created once"),
    ("oracledb.connect", "Oracle connection", PY_ORACLE_FIX),
    ("oracledb.create_pool", "connection pool", PY_ORACLE_FIX),
    ("cx_Oracle.connect", "Oracle connection", PY_ORACLE_FIX),
    ("peewee.PostgresqlDatabase", "Peewee database", "declare the `Database` once at module level and `db.connect(reuse_if_open=True)` per request (or `playhouse.pool.PooledPostgresqlDatabase`)"),
    ("peewee.MySQLDatabase", "Peewee database", "declare the `Database` once at module level (or use `playhouse.pool.PooledMySQLDatabase`)"),
];

const TS_PG_FIX: &str = "create one `Pool` at module level (or in a provider) and run `pool.query(...)` per request, or `const client = await pool.connect()` ... `client.release()`";
const TS_MYSQL_FIX: &str = "create one pool at module level (`mysql.createPool(...)`) and use `pool.query(...)` / `pool.getConnection()` per request";
const TS_PRISMA_FIX: &str = "instantiate `PrismaClient` once in a shared module (`export const prisma = globalThis.prisma ?? new PrismaClient()`) and import it";
const TS_MONGOOSE_FIX: &str = "call `mongoose.connect(...)` once at start-up (or cache the connection promise in a module/global variable) and use the models per request";
const TS_MONGO_FIX: &str = "create and `connect()` one `MongoClient` at start-up (or cache its promise in a module/global variable) and reuse it";
const TS_TYPEORM_FIX: &str = "initialise one `DataSource` at start-up (or register `TypeOrmModule.forRoot(...)` in NestJS) and use its repositories per request";
const TS_SEQUELIZE_FIX: &str =
    "create one `Sequelize` instance in a shared module; it owns the connection pool";
const TS_KNEX_FIX: &str =
    "create one `knex({...})` instance in a shared module; it owns the connection pool";
const TS_REDIS_FIX: &str = "create one Redis client at start-up and share it";
const TS_MSSQL_FIX: &str = "create one `ConnectionPool` at start-up, `await pool.connect()` once, and use `pool.request()` per request";

/// TypeScript/JavaScript: (modules, exported names ("" = the default export), needs `new`,
/// what, fix).
pub type TsConstructor = (
    &'static [&'static str],
    &'static [&'static str],
    bool,
    &'static str,
    &'static str,
);

pub const TS_CONSTRUCTORS: &[TsConstructor] = &[
    (&["pg"], &["Pool"], true, "PostgreSQL pool", TS_PG_FIX),
    (&["pg"], &["Client"], true, "PostgreSQL connection", TS_PG_FIX),
    (&["pg-pool"], &["", "Pool"], true, "PostgreSQL pool", TS_PG_FIX),
    (
        &["mysql", "mysql2", "mysql2/promise"],
        &["createConnection"],
        false,
        "MySQL connection",
        TS_MYSQL_FIX,
    ),
    (
        &["mysql", "mysql2", "mysql2/promise"],
        &["createPool", "createPoolCluster"],
        false,
        "MySQL pool",
        TS_MYSQL_FIX,
    ),
    (
        &["mongoose"],
        &["connect", "createConnection"],
        false,
        "MongoDB connection",
        TS_MONGOOSE_FIX,
    ),
    (&["mongodb"], &["MongoClient"], true, "MongoDB client", TS_MONGO_FIX),
    (
        &["mongodb"],
        &["MongoClient.connect"],
        false,
        "MongoDB client",
        TS_MONGO_FIX,
    ),
    (
        &["typeorm"],
        &["createConnection", "createConnections"],
        false,
        "TypeORM connection",
        TS_TYPEORM_FIX,
    ),
    (&["typeorm"], &["DataSource"], true, "TypeORM data source", TS_TYPEORM_FIX),
    (
        &["sequelize", "sequelize-typescript"],
        &["Sequelize"],
        true,
        "Sequelize instance and its pool",
        TS_SEQUELIZE_FIX,
    ),
    (&["knex"], &["", "knex", "Knex"], false, "Knex instance and its pool", TS_KNEX_FIX),
    (&["ioredis"], &["", "Redis", "Cluster"], true, "Redis client", TS_REDIS_FIX),
    (
        &["redis", "@redis/client"],
        &["createClient", "createCluster"],
        false,
        "Redis client",
        TS_REDIS_FIX,
    ),
    (&["postgres"], &[""], false, "PostgreSQL pool", "create one `postgres(url)` instance in a shared module and import it"),
    (&["mssql"], &["connect"], false, "SQL Server pool", TS_MSSQL_FIX),
    (&["mssql"], &["ConnectionPool"], true, "SQL Server pool", TS_MSSQL_FIX),
    (
        &["oracledb"],
        &["getConnection", "createPool"],
        false,
        "Oracle connection",
        "create a pool once at start-up (`oracledb.createPool`) and `pool.getConnection()` per request",
    ),
    (
        &["@mikro-orm/core", "@mikro-orm/postgresql", "@mikro-orm/mysql"],
        &["MikroORM.init"],
        false,
        "MikroORM instance",
        "initialise MikroORM once at start-up and fork its `EntityManager` per request (`orm.em.fork()`)",
    ),
];

const RS_SQLX_FIX: &str = "build the pool once in `main` and share it (axum `State`/`Extension`, actix `web::Data`, rocket `State`/`rocket_db_pools`); handlers borrow it by reference";
const RS_DIESEL_FIX: &str =
    "create an r2d2/deadpool/bb8 pool once at start-up and `pool.get()` a connection per request";
const RS_POOL_FIX: &str =
    "build the pool once at start-up, keep it in the app state, and `pool.get()` per request";
const RS_SEAORM_FIX: &str = "connect once in `main` and share the `DatabaseConnection` (it is a pool) through the app state";
const RS_TOKIO_PG_FIX: &str = "create a deadpool-postgres or bb8-postgres pool once at start-up and `pool.get().await` per request";

/// Rust: (type, associated functions, what, fix). Matched on the last two segments of the
/// qualified path (`sqlx::postgres::PgPool::connect`).
pub const RS_CONSTRUCTORS: &[(&str, &[&str], &str, &str)] = &[
    (
        "PgPool",
        &["connect", "connect_with", "connect_lazy", "connect_lazy_with"],
        "PostgreSQL pool",
        RS_SQLX_FIX,
    ),
    (
        "MySqlPool",
        &["connect", "connect_with", "connect_lazy", "connect_lazy_with"],
        "MySQL pool",
        RS_SQLX_FIX,
    ),
    (
        "AnyPool",
        &["connect", "connect_with", "connect_lazy", "connect_lazy_with"],
        "connection pool",
        RS_SQLX_FIX,
    ),
    (
        "PgConnection",
        &["connect", "connect_with", "establish"],
        "PostgreSQL connection",
        RS_DIESEL_FIX,
    ),
    (
        "MySqlConnection",
        &["connect", "connect_with"],
        "MySQL connection",
        RS_SQLX_FIX,
    ),
    ("MysqlConnection", &["establish"], "MySQL connection", RS_DIESEL_FIX),
    (
        "AsyncPgConnection",
        &["establish"],
        "PostgreSQL connection",
        "create a `deadpool`/`bb8` pool of `AsyncPgConnection`s once at start-up and `pool.get().await` per request",
    ),
    (
        "AsyncMysqlConnection",
        &["establish"],
        "MySQL connection",
        "create a `deadpool`/`bb8` pool once at start-up and `pool.get().await` per request",
    ),
];

/// Rust pool-option builders: (type, terminal methods). `PgPoolOptions::new().max_connections(5)
/// .connect(url)` is reported at the chain.
pub const RS_POOL_BUILDERS: &[(&str, &[&str])] = &[
    (
        "PgPoolOptions",
        &[
            "connect",
            "connect_with",
            "connect_lazy",
            "connect_lazy_with",
        ],
    ),
    (
        "MySqlPoolOptions",
        &[
            "connect",
            "connect_with",
            "connect_lazy",
            "connect_lazy_with",
        ],
    ),
    (
        "PoolOptions",
        &[
            "connect",
            "connect_with",
            "connect_lazy",
            "connect_lazy_with",
        ],
    ),
    (
        "AnyPoolOptions",
        &[
            "connect",
            "connect_with",
            "connect_lazy",
            "connect_lazy_with",
        ],
    ),
];

/// Rust: exact qualified paths (what, fix).
pub const RS_PATHS: &[(&str, &str, &str)] = &[
    (
        "tokio_postgres::connect",
        "PostgreSQL connection",
        RS_TOKIO_PG_FIX,
    ),
    (
        "postgres::Client::connect",
        "PostgreSQL connection",
        RS_TOKIO_PG_FIX,
    ),
    (
        "sea_orm::Database::connect",
        "SeaORM connection pool",
        RS_SEAORM_FIX,
    ),
    ("r2d2::Pool::new", "connection pool", RS_POOL_FIX),
    ("diesel::r2d2::Pool::new", "connection pool", RS_POOL_FIX),
    ("bb8::Pool::new", "connection pool", RS_POOL_FIX),
    ("mysql_async::Pool::new", "MySQL pool", RS_POOL_FIX),
    ("mysql_async::Pool::from_url", "MySQL pool", RS_POOL_FIX),
    ("mysql::Pool::new", "MySQL pool", RS_POOL_FIX),
    (
        "mongodb::Client::with_uri_str",
        "MongoDB client",
        "create one `mongodb::Client` in `main` and share it (it pools connections)",
    ),
    (
        "mongodb::Client::with_options",
        "MongoDB client",
        "create one `mongodb::Client` in `main` and share it (it pools connections)",
    ),
    (
        "redis::Client::open",
        "Redis client",
        "open one `redis::Client` (or a `ConnectionManager`/pool) at start-up and share it",
    ),
];

/// Crates whose `Pool::builder()...build(..)` creates a pool.
const RS_POOL_CRATES: &[&str] = &[
    "r2d2",
    "bb8",
    "deadpool",
    "deadpool_postgres",
    "deadpool_diesel",
    "deadpool_redis",
    "diesel::r2d2",
];

/// Borrowing from a pool created earlier: cheap, and what a handler should do. Listed for
/// documentation and for [`is_checkout`]; never reported.
pub const CHECKOUTS: &[&str] = &[
    // Python
    "getconn",
    "acquire",
    "connection",
    "connect",
    "begin",
    "Session",
    "SessionLocal",
    "AsyncSession",
    "async_session",
    "get_db",
    "get_session",
    // TypeScript
    "getConnection",
    "createQueryRunner",
    "fork",
    "$transaction",
    "request",
    // Rust
    "get",
    "get_owned",
    "get_conn",
    "acquire_owned",
    "begin_transaction",
];

/// Methods that make a connection long-lived: it listens for events or notifications.
pub const LISTEN_METHODS: &[&str] = &[
    "on",
    "once",
    "addListener",
    "subscribe",
    "psubscribe",
    "listen",
    "watch",
    "add_listener",
    "into_stream",
];

/// Methods that close a connection, pool or client.
pub const DISPOSE_METHODS: &[&str] = &[
    "close",
    "end",
    "disconnect",
    "$disconnect",
    "quit",
    "dispose",
    "destroy",
    "release",
    "terminate",
    "shutdown",
    "close_all",
    "closeall",
];

/// Calls that keep a value for the application's lifetime (app state, dependency injection).
pub const APP_STATE_CALLS: &[&str] = &[
    "decorate",
    "set",
    "manage",
    "app_data",
    "with_state",
    "Extension",
    "layer",
    "provide",
    "register",
    "add_extension",
    "setdefault",
    "Data::new",
    "web::Data::new",
    "Arc::new",
    "Mutex::new",
    "RwLock::new",
];

fn last_two(path: &str) -> (&str, &str) {
    let mut it = path.rsplit("::");
    let last = it.next().unwrap_or("");
    let ty = it.next().unwrap_or("");
    // `Pool::<Postgres>::connect`: drop the generic arguments
    (ty.split('<').next().unwrap_or(ty), last)
}

/// The connection, pool or client `call` creates, if any.
pub fn constructor(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Constructor> {
    let c = ast.call(call)?;
    if c.is_macro || !maybe_constructor(ast, imports, call) {
        return None;
    }
    match ast.lang {
        Lang::Python => {
            // `redis.Redis(connection_pool=POOL)`: a cheap handle over a shared pool
            if ast.kwarg(c, "connection_pool").is_some() {
                return None;
            }
            let q = imports.qualify(ast, c.callee)?;
            PY_CONSTRUCTORS
                .iter()
                .find(|(p, ..)| *p == q)
                .map(|(_, what, fix)| Constructor {
                    display: format!("{q}(…)"),
                    what,
                    fix,
                })
        }
        Lang::TypeScript => typescript(ast, imports, call),
        Lang::Rust => rust(ast, imports, call),
    }
}

const RS_CONSTRUCTOR_FNS: &[&str] = &[
    "connect",
    "connect_with",
    "connect_lazy",
    "connect_lazy_with",
    "establish",
    "new",
    "from_url",
    "with_uri_str",
    "with_options",
    "open",
    "build",
    "build_unchecked",
    "create_pool",
];

/// A cheap test on the called name before any path is built: every call of a file goes through
/// [`constructor`].
fn maybe_constructor(ast: &Ast, imports: &Imports, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(last) = ast.callee_name(c) else {
        // `require('knex')({...})`
        return ast.lang == Lang::TypeScript;
    };
    match ast.lang {
        Lang::Python => PY_LAST_NAMES.contains(last),
        Lang::TypeScript => {
            last == "PrismaClient"
                || TS_LAST_NAMES.contains(last)
                || matches!(ast.kind(c.callee), Kind::Name(n) if imports.get(n).is_some())
        }
        Lang::Rust => RS_CONSTRUCTOR_FNS.contains(&last),
    }
}

/// The last segments of the Python constructors (`connect`, `MongoClient`, `create_engine`).
static PY_LAST_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    PY_CONSTRUCTORS
        .iter()
        .map(|(p, ..)| p.rsplit('.').next().unwrap_or(p))
        .collect()
});
/// The last segments of the TypeScript constructors (`Pool`, `createConnection`, `connect`).
static TS_LAST_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    TS_CONSTRUCTORS
        .iter()
        .flat_map(|(_, names, ..)| names.iter().map(|n| n.rsplit('.').next().unwrap_or(n)))
        .filter(|n| !n.is_empty())
        .collect()
});

fn typescript(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Constructor> {
    let c = ast.call(call)?;
    let written = ast.path_of(c.callee);
    // `require('knex')({...})`
    let q = match &written {
        // only imported names: a local `const knex = Knex(cfg)` called as `knex('users')` is a
        // query, not a construction
        Some(p) => {
            let head = p.split('.').next().unwrap_or(p);
            if imports.get(head).is_none() && !(c.is_new && p.ends_with("PrismaClient")) {
                return None;
            }
            imports.qualify_path(p)
        }
        None => {
            let req = ast.call(ast.unwrap_expr(c.callee))?;
            if ast.path_of(req.callee).as_deref() != Some("require") {
                return None;
            }
            ast.positional(req)
                .next()
                .and_then(|a| ast.plain_str(a))?
                .to_string()
        }
    };
    let shown = written.unwrap_or_else(|| q.clone());
    let display = if c.is_new {
        format!("new {shown}(…)")
    } else {
        format!("{shown}(…)")
    };
    if c.is_new && q.rsplit(['.', '/']).next() == Some("PrismaClient") {
        return Some(Constructor {
            display,
            what: "Prisma client and its connection pool",
            fix: TS_PRISMA_FIX,
        });
    }
    let q = q.strip_prefix("node:").unwrap_or(&q);
    for (modules, names, needs_new, what, fix) in TS_CONSTRUCTORS {
        if *needs_new != c.is_new {
            continue;
        }
        for m in *modules {
            let Some(rest) = q.strip_prefix(m) else {
                continue;
            };
            let name = if rest.is_empty() {
                ""
            } else if let Some(n) = rest.strip_prefix('.') {
                n
            } else {
                continue;
            };
            // `knex('users')`: the instance called as a query builder
            let config_arg = ast
                .positional(c)
                .next()
                .is_none_or(|a| ast.str_lit(ast.unwrap_expr(a)).is_none());
            if names.contains(&name) && (config_arg || *m != "knex") {
                return Some(Constructor { display, what, fix });
            }
        }
    }
    None
}

fn rust(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Constructor> {
    let c = ast.call(call)?;
    if let Some(q) = imports.qualify(ast, c.callee) {
        if let Some((_, what, fix)) = RS_PATHS.iter().find(|(p, ..)| *p == q) {
            return Some(Constructor {
                display: format!("{q}(…)"),
                what,
                fix,
            });
        }
        let (ty, f) = last_two(&q);
        if let Some((_, _, what, fix)) = RS_CONSTRUCTORS
            .iter()
            .find(|(t, fns, ..)| *t == ty && fns.contains(&f))
        {
            return Some(Constructor {
                display: format!("{ty}::{f}(…)"),
                what,
                fix,
            });
        }
        // `Pool::<Postgres>::connect(..)` (generic arguments are not part of the path)
        if ty == "Pool"
            && [
                "connect",
                "connect_with",
                "connect_lazy",
                "connect_lazy_with",
            ]
            .contains(&f)
            && (q.starts_with("sqlx") || imports.uses("sqlx"))
        {
            return Some(Constructor {
                display: format!("Pool::{f}(…)"),
                what: "connection pool",
                fix: RS_SQLX_FIX,
            });
        }
        if ty == "Database"
            && f == "connect"
            && (q.starts_with("sea_orm") || imports.uses("sea_orm"))
        {
            return Some(Constructor {
                display: "Database::connect(…)".into(),
                what: "SeaORM connection pool",
                fix: RS_SEAORM_FIX,
            });
        }
        return None;
    }
    // Builder chains: `PgPoolOptions::new().max_connections(5).connect(&url)`,
    // `Pool::builder().max_size(15).build(manager)`, `cfg.create_pool(..)`.
    let method = ast.callee_name(c)?;
    let chain = ast.call_chain(call);
    let root = chain.first().and_then(|&r| ast.call(r))?;
    let root_path = ast
        .path_of(root.callee)
        .map(|p| imports.qualify_path(&p))
        .unwrap_or_default();
    let (ty, f) = last_two(&root_path);
    if f == "new"
        && RS_POOL_BUILDERS
            .iter()
            .any(|(t, terms)| *t == ty && terms.contains(&method))
    {
        return Some(Constructor {
            display: format!("{ty}::new()….{method}(…)"),
            what: "connection pool",
            fix: RS_SQLX_FIX,
        });
    }
    if ty == "Pool"
        && f == "builder"
        && matches!(method, "build" | "build_unchecked")
        && (RS_POOL_CRATES.iter().any(|k| root_path.starts_with(k))
            || RS_POOL_CRATES.iter().any(|k| imports.uses(k)))
    {
        return Some(Constructor {
            display: format!("Pool::builder()….{method}(…)"),
            what: "connection pool",
            fix: RS_POOL_FIX,
        });
    }
    if method == "create_pool"
        && [
            "deadpool_postgres",
            "deadpool_redis",
            "deadpool_diesel",
            "deadpool",
        ]
        .iter()
        .any(|k| imports.uses(k))
    {
        return Some(Constructor {
            display: format!(
                "{}.create_pool(…)",
                ast.path_of(ast.receiver(c)?)
                    .unwrap_or_else(|| "config".into())
            ),
            what: "connection pool",
            fix: RS_POOL_FIX,
        });
    }
    None
}

/// Whether `call` borrows from an existing pool/engine (`pool.connect()`, `pool.acquire()`,
/// `pool.get()`, `engine.connect()`, `SessionLocal()`) rather than creating a connection.
pub fn is_checkout(ast: &Ast, imports: &Imports, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    constructor(ast, imports, call).is_none()
        && ast.callee_name(c).is_some_and(|n| CHECKOUTS.contains(&n))
}

/// Whether `call` is a dispose call on `var` (`conn.close()`, `await client.end()`).
pub fn is_dispose_of(ast: &Ast, call: NodeId, var: &str) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    ast.callee_name(c)
        .is_some_and(|n| DISPOSE_METHODS.contains(&n))
        && ast
            .receiver(c)
            .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
            .as_deref()
            == Some(var)
}

/// Whether `call` keeps its arguments for the app's lifetime (`fastify.decorate('db', pool)`,
/// `.manage(pool)`, `web::Data::new(pool)`, `.with_state(state)`).
pub fn is_app_state_call(ast: &Ast, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let name = ast.callee_name(c).unwrap_or("");
    let path = ast.path_of(c.callee).unwrap_or_default();
    APP_STATE_CALLS.contains(&name)
        || APP_STATE_CALLS.contains(&path.as_str())
        || path.ends_with("Data::new")
}
