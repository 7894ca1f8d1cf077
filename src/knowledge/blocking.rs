//! Calls that block the thread they run on, with their async replacement, and the calls that
//! move blocking work off the event loop or the async runtime's worker threads.
//!
//! A call is matched on its qualified name (the file's imports resolve aliases:
//! `from time import sleep`, `import requests as r`, `import { readFileSync } from 'node:fs'`,
//! `const { execSync } = require('child_process')`, `use std::thread;`), or on a method called
//! on an object built by a blocking client's constructor (`requests.Session()`,
//! `subprocess.Popen(..)`, `std::process::Command::new(..)`), directly in the chain or through
//! a variable or `self.` field assigned in the same function or module. Synchronous database
//! queries that are not awaited (SQLAlchemy `Session`, DB-API cursors, Peewee; diesel) block as
//! well. The tables below are the knowledge; supporting a library is adding a row.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::config::Config;
use crate::imports::Imports;
use crate::knowledge::orm;
use crate::lookup::Binding;

/// A blocking call as the rule reports it.
#[derive(Clone, Debug)]
pub struct Blocking {
    /// The call as a reviewer reads it: `time.sleep`, `fs.readFileSync`, `std::fs::read`.
    pub display: String,
    /// What it waits for ("sleeps", "waits for an HTTP response").
    pub does: &'static str,
    /// The non-blocking replacement, as code.
    pub instead: String,
}

const SLEEPS: &str = "sleeps";
const HTTP: &str = "waits for an HTTP response";
const PROCESS: &str = "waits for a child process";
const FS: &str = "does synchronous file-system I/O";
const DNS: &str = "resolves a host name synchronously";
const TCP: &str = "opens a TCP connection synchronously";
const SOCKET: &str = "does synchronous socket I/O";
const SMTP: &str = "talks to a mail server synchronously";
const HASH: &str = "hashes on the event-loop thread (CPU-bound, tens to hundreds of ms)";
const KDF: &str = "runs a key derivation on the event-loop thread (CPU-bound)";
const ZLIB: &str = "compresses on the event-loop thread";
const DB: &str = "runs a synchronous database query";
const REDIS: &str = "does a synchronous Redis round trip";
const MONGO: &str = "does a synchronous MongoDB round trip";
const PY_HASH: &str =
    "hashes a password on the event-loop thread (CPU-bound, tens to hundreds of ms)";
const PY_KDF: &str = "runs a key derivation on the event-loop thread (CPU-bound)";
const BLOCK_ON: &str = "waits for a future synchronously (and panics inside a Tokio runtime)";
const REQWEST_BLOCKING: &str =
    "is reqwest's blocking client (it waits for responses on the calling thread)";

const HTTP_VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request",
];

const PY_HTTP_INSTEAD: &str =
    "an `httpx.AsyncClient` (`await client.get(...)`) or an `aiohttp.ClientSession`";
const PY_PROC_INSTEAD: &str =
    "`proc = await asyncio.create_subprocess_exec(...)` and `await proc.communicate()`";

/// Python: (module, functions, what it does, replacement). The qualified name is
/// `module.function`.
const PY_CALLS: &[(&str, &[&str], &str, &str)] = &[
    ("time", &["sleep"], SLEEPS, "`await asyncio.sleep(...)`"),
    ("requests", HTTP_VERBS, HTTP, PY_HTTP_INSTEAD),
    (
        "httpx",
        &[
            "get", "post", "put", "patch", "delete", "head", "options", "request", "stream",
        ],
        HTTP,
        "`httpx.AsyncClient` (`async with httpx.AsyncClient() as client: await client.get(...)`)",
    ),
    (
        "urllib.request",
        &["urlopen", "urlretrieve"],
        HTTP,
        PY_HTTP_INSTEAD,
    ),
    ("urllib3", &["request"], HTTP, PY_HTTP_INSTEAD),
    (
        "subprocess",
        &[
            "run",
            "call",
            "check_call",
            "check_output",
            "getoutput",
            "getstatusoutput",
        ],
        PROCESS,
        PY_PROC_INSTEAD,
    ),
    ("os", &["system", "popen"], PROCESS, PY_PROC_INSTEAD),
    (
        "socket",
        &["create_connection"],
        TCP,
        "`reader, writer = await asyncio.open_connection(host, port)`",
    ),
    (
        "socket",
        &[
            "gethostbyname",
            "gethostbyname_ex",
            "gethostbyaddr",
            "getaddrinfo",
        ],
        DNS,
        "`await loop.getaddrinfo(...)`",
    ),
    (
        "smtplib",
        &["SMTP", "SMTP_SSL"],
        SMTP,
        "`aiosmtplib` (`await aiosmtplib.send(message, hostname=...)`)",
    ),
    (
        "bcrypt",
        &["hashpw", "checkpw", "kdf"],
        PY_HASH,
        "`await asyncio.to_thread(bcrypt.checkpw, ...)` (or a plain `def` endpoint, run in the thread pool)",
    ),
    (
        "hashlib",
        &["pbkdf2_hmac", "scrypt"],
        PY_KDF,
        "`await asyncio.to_thread(hashlib.pbkdf2_hmac, ...)`",
    ),
];

/// A client whose methods block: (constructor, methods, what, replacement, deep). A deep
/// client's methods are called on objects reached from it (`client.shop.orders.find_one(..)`,
/// `db = client["shop"]`).
type ClientRow = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    bool,
);

const REDIS_COMMANDS: &[&str] = &[
    "get",
    "set",
    "setex",
    "setnx",
    "getset",
    "delete",
    "incr",
    "incrby",
    "decr",
    "expire",
    "exists",
    "ttl",
    "mget",
    "mset",
    "hget",
    "hset",
    "hgetall",
    "hmget",
    "hincrby",
    "hdel",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "lrange",
    "sadd",
    "srem",
    "smembers",
    "sismember",
    "zadd",
    "zrange",
    "zrangebyscore",
    "zrem",
    "zincrby",
    "publish",
    "keys",
    "scan",
    "eval",
    "ping",
];
const REDIS_INSTEAD: &str = "`redis.asyncio.Redis` (`await r.get(...)`), created once";
const MONGO_OPERATIONS: &[&str] = &[
    "find_one",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "count_documents",
    "estimated_document_count",
    "aggregate",
    "distinct",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
    "bulk_write",
    "create_index",
    "list_collection_names",
];
const MONGO_INSTEAD: &str = "motor's `AsyncIOMotorClient` (or PyMongo's `AsyncMongoClient`): `await collection.find_one(...)`";
const PY_HASH_INSTEAD: &str = "`await asyncio.to_thread(pwd_context.verify, ...)` (or a plain `def` endpoint, run in the thread pool)";

const PY_CLIENTS: &[ClientRow] = &[
    ("redis.Redis", REDIS_COMMANDS, REDIS, REDIS_INSTEAD, false),
    (
        "redis.StrictRedis",
        REDIS_COMMANDS,
        REDIS,
        REDIS_INSTEAD,
        false,
    ),
    (
        "redis.from_url",
        REDIS_COMMANDS,
        REDIS,
        REDIS_INSTEAD,
        false,
    ),
    (
        "redis.Redis.from_url",
        REDIS_COMMANDS,
        REDIS,
        REDIS_INSTEAD,
        false,
    ),
    (
        "pymongo.MongoClient",
        MONGO_OPERATIONS,
        MONGO,
        MONGO_INSTEAD,
        true,
    ),
    (
        "passlib.context.CryptContext",
        &["hash", "verify", "verify_and_update", "encrypt"],
        PY_HASH,
        PY_HASH_INSTEAD,
        false,
    ),
    (
        "argon2.PasswordHasher",
        &["hash", "verify"],
        PY_HASH,
        PY_HASH_INSTEAD,
        false,
    ),
    (
        "requests.Session",
        &[
            "get", "post", "put", "patch", "delete", "head", "options", "request", "send",
        ],
        HTTP,
        PY_HTTP_INSTEAD,
        false,
    ),
    (
        "requests.session",
        &[
            "get", "post", "put", "patch", "delete", "head", "options", "request", "send",
        ],
        HTTP,
        PY_HTTP_INSTEAD,
        false,
    ),
    (
        "httpx.Client",
        &[
            "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
        ],
        HTTP,
        "`httpx.AsyncClient`",
        false,
    ),
    (
        "urllib3.PoolManager",
        &["request", "urlopen"],
        HTTP,
        PY_HTTP_INSTEAD,
        false,
    ),
    (
        "subprocess.Popen",
        &["wait", "communicate"],
        PROCESS,
        PY_PROC_INSTEAD,
        false,
    ),
    (
        "socket.socket",
        &[
            "connect",
            "recv",
            "recv_into",
            "recvfrom",
            "sendall",
            "accept",
            "makefile",
        ],
        SOCKET,
        "asyncio streams (`await asyncio.open_connection(...)`) or `loop.sock_*` methods",
        false,
    ),
];

/// A Node module's synchronous functions: (modules without `node:`, functions with their
/// replacement (empty: every `*Sync` function, replaced per `template`, where `{base}` is the
/// name without `Sync`), what they do, template).
type TsRow = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

const TS_CALLS: &[TsRow] = &[
    (
        &["fs", "fs-extra", "graceful-fs", "original-fs"],
        &[(
            "existsSync",
            "`await fs.promises.access(...)` (or `stat`) from `fs/promises`",
        )],
        FS,
        "",
    ),
    (
        &["fs", "fs-extra", "graceful-fs", "original-fs"],
        &[],
        FS,
        "`await fs.promises.{base}(...)` (`{base}` from `fs/promises`)",
    ),
    (
        &["child_process"],
        &[
            (
                "execSync",
                "`await promisify(exec)(...)` from `child_process`",
            ),
            (
                "execFileSync",
                "`await promisify(execFile)(...)` from `child_process`",
            ),
            (
                "spawnSync",
                "`spawn(...)` and awaiting its `close` event (or `execa`)",
            ),
        ],
        PROCESS,
        "",
    ),
    (
        &["bcrypt", "bcryptjs", "bcrypt-nodejs"],
        &[
            ("hashSync", "`await bcrypt.hash(...)`"),
            ("compareSync", "`await bcrypt.compare(...)`"),
            // `genSaltSync` only draws random bytes (microseconds): not blocking work
        ],
        HASH,
        "",
    ),
    (
        &["crypto"],
        &[
            ("pbkdf2Sync", "`await promisify(crypto.pbkdf2)(...)`"),
            ("scryptSync", "`await promisify(crypto.scrypt)(...)`"),
            (
                "generateKeyPairSync",
                "`await promisify(crypto.generateKeyPair)(...)`",
            ),
        ],
        KDF,
        "",
    ),
    (
        &["zlib"],
        &[],
        ZLIB,
        "`await promisify(zlib.{base})(...)` (or a stream)",
    ),
    (
        &["execa"],
        &[
            ("sync", "`await execa(...)`"),
            ("commandSync", "`await execaCommand(...)`"),
            ("execaSync", "`await execa(...)`"),
            ("execaCommandSync", "`await execaCommand(...)`"),
        ],
        PROCESS,
        "",
    ),
];

const RS_FS_FNS: &[&str] = &[
    "read",
    "read_to_string",
    "write",
    "read_dir",
    "create_dir",
    "create_dir_all",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "copy",
    "rename",
    "metadata",
    "symlink_metadata",
    "canonicalize",
    "hard_link",
    "read_link",
    "set_permissions",
    "exists",
];

/// Rust: exact qualified paths (what, replacement; `{name}` is the last segment).
const RS_CALLS: &[(&str, &str, &str)] = &[
    (
        "std::thread::sleep",
        SLEEPS,
        "`tokio::time::sleep(..).await`",
    ),
    (
        "std::fs::File::open",
        FS,
        "`tokio::fs::File::open(..).await`",
    ),
    (
        "std::fs::File::create",
        FS,
        "`tokio::fs::File::create(..).await`",
    ),
    (
        "std::fs::File::create_new",
        FS,
        "`tokio::fs::File::create_new(..).await`",
    ),
    (
        "std::net::TcpStream::connect",
        TCP,
        "`tokio::net::TcpStream::connect(..).await`",
    ),
    (
        "std::net::TcpStream::connect_timeout",
        TCP,
        "`tokio::time::timeout(.., tokio::net::TcpStream::connect(..)).await`",
    ),
    (
        "std::net::ToSocketAddrs::to_socket_addrs",
        DNS,
        "`tokio::net::lookup_host(..).await`",
    ),
    (
        "futures::executor::block_on",
        BLOCK_ON,
        "`.await` on the future",
    ),
    (
        "async_std::task::block_on",
        BLOCK_ON,
        "`.await` on the future",
    ),
];

/// Rust path prefixes whose every call blocks: (prefix, what, replacement).
const RS_PREFIXES: &[(&str, &str, &str)] = &[
    (
        "reqwest::blocking::",
        REQWEST_BLOCKING,
        "the async `reqwest::Client` (`client.get(url).send().await`), built once and shared",
    ),
    (
        "ureq::",
        HTTP,
        "the async `reqwest::Client` (`client.get(url).send().await`)",
    ),
];
const UREQ_CALLS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "request",
    "request_url",
];

/// Rust builders whose terminal methods block: (constructor, methods, what, replacement).
const RS_CLIENTS: &[(&str, &[&str], &str, &str)] = &[
    (
        "std::process::Command::new",
        &["output", "status", "wait", "wait_with_output"],
        PROCESS,
        "`tokio::process::Command` (`Command::new(..).output().await`)",
    ),
    (
        "std::fs::OpenOptions::new",
        &["open"],
        FS,
        "`tokio::fs::OpenOptions` (`.open(..).await`)",
    ),
    (
        "std::fs::File::options",
        &["open"],
        FS,
        "`tokio::fs::OpenOptions` (`.open(..).await`)",
    ),
];

/// Python calls whose callable arguments run off the event loop.
pub const PY_OFFLOAD: &[&str] = &[
    "run_in_executor",
    "to_thread",
    "sync_to_async",
    "database_sync_to_async",
    "run_in_threadpool",
    "iterate_in_threadpool",
    "run_sync",
    "submit",
    "add_task",
    "deferToThread",
    "defer_to_thread",
    "start_new_thread",
    "Thread",
    "Process",
    "Timer",
];

/// Rust calls whose closures run on a blocking thread (or a thread of their own).
pub const RS_OFFLOAD: &[&str] = &[
    "spawn_blocking",
    "block_in_place",
    "unblock",
    "interact",
    "std::thread::spawn",
    "actix_web::web::block",
    "web::block",
    "rayon::spawn",
    "rayon::join",
    "rayon::scope",
    "rayon::spawn_fifo",
];

/// TypeScript/JavaScript: constructors that run code on another thread.
pub const TS_OFFLOAD: &[&str] = &["Worker", "Piscina", "workerpool.pool"];

fn last_segment(path: &str) -> &str {
    path.rsplit(['.', ':']).next().unwrap_or(path)
}

/// The blocking call `call` makes, if any. `text` is the file's source (for Python
/// `with X() as name` bindings).
pub fn blocking_call(
    ast: &Ast,
    imports: &Imports,
    config: &Config,
    text: &str,
    call: NodeId,
) -> Option<Blocking> {
    let c = ast.call(call)?;
    let found = match ast.lang {
        Lang::Python => python(ast, imports, text, call),
        Lang::TypeScript => typescript(ast, imports, call),
        Lang::Rust => rust(ast, imports, text, call),
    };
    if found.is_some() || c.is_macro {
        return found;
    }
    sync_query(ast, imports, config, call)
}

fn python(ast: &Ast, imports: &Imports, text: &str, call: NodeId) -> Option<Blocking> {
    let c = ast.call(call)?;
    let last = ast.callee_name(c)?;
    let module_fn = PY_CALL_NAMES.contains(last);
    if let Some(q) = module_fn.then(|| imports.qualify(ast, c.callee)).flatten() {
        for (module, fns, does, instead) in PY_CALLS {
            if let Some(name) = q.strip_prefix(module).and_then(|r| r.strip_prefix('.')) {
                if fns.contains(&name) {
                    return Some(Blocking {
                        display: q.clone(),
                        does,
                        instead: instead.to_string(),
                    });
                }
            }
        }
    }
    let method = last;
    // only files that import one of these clients pay for the variable lookup
    let candidate = PY_CLIENT_METHODS.contains(method)
        && PY_CLIENTS.iter().any(|(k, methods, ..)| {
            methods.contains(&method) && imports.uses(k.split('.').next().unwrap_or(k))
        });
    if !candidate {
        return None;
    }
    let direct = origin(ast, imports, text, call);
    let found = direct.as_deref().and_then(|ctor| {
        PY_CLIENTS
            .iter()
            .find(|(k, methods, ..)| *k == ctor && methods.contains(&method))
    });
    let found = found.or_else(|| {
        let ctor = root_origin(ast, imports, text, call)?;
        PY_CLIENTS
            .iter()
            .find(|(k, methods, _, _, deep)| *deep && *k == ctor && methods.contains(&method))
    });
    found.map(|(k, _, does, instead, _)| Blocking {
        display: format!("{k}(…).{method}"),
        does,
        instead: instead.to_string(),
    })
}

/// The constructor at the root of a receiver reached through attributes, indexing and method
/// calls: `client.shop.orders` / `client["shop"]` / `client.get_database("shop")` where
/// `client = MongoClient(..)`.
fn root_origin(ast: &Ast, imports: &Imports, text: &str, call: NodeId) -> Option<String> {
    let c = ast.call(call)?;
    let mut cur = ast.unwrap_expr(ast.receiver(c)?);
    loop {
        match ast.kind(cur) {
            Kind::Member { object, .. } | Kind::Index { object, .. } => {
                cur = ast.unwrap_expr(*object)
            }
            Kind::Call(inner) => match ast.kind(inner.callee) {
                Kind::Member { object, .. } => cur = ast.unwrap_expr(*object),
                Kind::Name(p) => return Some(imports.qualify_path(p)),
                _ => return None,
            },
            Kind::Name(n) => return bound_origin_depth(ast, imports, text, call, n, 2),
            _ => return None,
        }
    }
}

/// The module a TS callee resolves to, and the called name: `fs.readFileSync` ->
/// ("fs", "readFileSync"), also for `require('fs').readFileSync`.
fn ts_target(ast: &Ast, imports: &Imports, callee: NodeId) -> Option<(String, String)> {
    match ast.kind(callee) {
        Kind::Member { object, property } => {
            let object = ast.unwrap_expr(*object);
            if let Some(req) = ast.call(object) {
                if ast.path_of(req.callee).as_deref() == Some("require") {
                    let m = ast.positional(req).next().and_then(|a| ast.plain_str(a))?;
                    return Some((m.to_string(), property.clone()));
                }
                return None;
            }
            let q = imports.qualify(ast, object)?;
            Some((q, property.clone()))
        }
        Kind::Name(_) => {
            let q = imports.qualify(ast, callee)?;
            let (m, n) = q.rsplit_once('.')?;
            Some((m.to_string(), n.to_string()))
        }
        _ => None,
    }
}

fn typescript(ast: &Ast, imports: &Imports, call: NodeId) -> Option<Blocking> {
    let c = ast.call(call)?;
    if c.is_new {
        return None;
    }
    let last = ast.callee_name(c)?;
    if !last.ends_with("Sync") && last != "sync" {
        return None;
    }
    let (module, name) = ts_target(ast, imports, c.callee)?;
    let bare = module.strip_prefix("node:").unwrap_or(&module);
    for (modules, fns, does, template) in TS_CALLS {
        if !modules.contains(&bare) {
            continue;
        }
        let local = module_alias(ast, c.callee).unwrap_or_else(|| bare.to_string());
        if let Some((_, instead)) = fns.iter().find(|(f, _)| *f == name) {
            return Some(Blocking {
                display: format!("{local}.{name}"),
                does,
                instead: instead.to_string(),
            });
        }
        if fns.is_empty() && name.ends_with("Sync") && name.len() > 4 {
            let base = &name[..name.len() - 4];
            return Some(Blocking {
                display: format!("{local}.{name}"),
                does,
                instead: template.replace("{base}", base),
            });
        }
    }
    None
}

/// How the module is written at the call (`fs` in `fs.readFileSync`), for messages.
fn module_alias(ast: &Ast, callee: NodeId) -> Option<String> {
    match ast.kind(callee) {
        Kind::Member { object, .. } => ast.path_of(*object),
        _ => None,
    }
}

fn rust(ast: &Ast, imports: &Imports, text: &str, call: NodeId) -> Option<Blocking> {
    let c = ast.call(call)?;
    if c.is_macro {
        return None;
    }
    // paths (`std::fs::read`, `thread::sleep`); method calls are matched below
    let q = match ast.kind(c.callee) {
        Kind::Name(_) => imports.qualify(ast, c.callee),
        _ => None,
    };
    if let Some(q) = q {
        if let Some((_, does, instead)) = RS_CALLS.iter().find(|(p, ..)| *p == q) {
            return Some(Blocking {
                display: q,
                does,
                instead: instead.to_string(),
            });
        }
        if let Some(name) = q.strip_prefix("std::fs::") {
            if RS_FS_FNS.contains(&name) {
                return Some(Blocking {
                    display: q.clone(),
                    does: FS,
                    instead: format!("`tokio::fs::{name}(..).await`"),
                });
            }
        }
        for (prefix, does, instead) in RS_PREFIXES {
            if let Some(rest) = q.strip_prefix(prefix) {
                if *prefix == "ureq::" && !UREQ_CALLS.contains(&rest) {
                    continue;
                }
                return Some(Blocking {
                    display: q.clone(),
                    does,
                    instead: instead.to_string(),
                });
            }
        }
    }
    let method = ast.callee_name(c)?;
    if method == "block_on" && ast.receiver(c).is_some() {
        return Some(Blocking {
            display: format!(
                "{}.block_on",
                ast.path_of(ast.receiver(c)?)
                    .unwrap_or_else(|| "runtime".into())
            ),
            does: BLOCK_ON,
            instead: "`.await` on the future".into(),
        });
    }
    if !RS_CLIENTS
        .iter()
        .any(|(_, methods, ..)| methods.contains(&method))
    {
        return None;
    }
    let ctor = origin(ast, imports, text, call)?;
    RS_CLIENTS
        .iter()
        .find(|(k, methods, ..)| *k == ctor && methods.contains(&method))
        .map(|(k, _, does, instead)| Blocking {
            display: format!("{}(..).{method}", k),
            does,
            instead: instead.to_string(),
        })
}

/// Methods that end a synchronous query chain (SQLAlchemy's `Query`/`Session`, DB-API cursors,
/// Peewee); a cheap filter before the ORM recogniser.
const PY_SYNC_QUERY_METHODS: &[&str] = &[
    "all",
    "first",
    "one",
    "one_or_none",
    "scalar",
    "scalars",
    "scalar_one",
    "scalar_one_or_none",
    "get",
    "get_or_404",
    "first_or_404",
    "one_or_404",
    "count",
    "paginate",
    "filter",
    "filter_by",
    "order_by",
    "join",
    "outerjoin",
    "options",
    "distinct",
    "group_by",
    "offset",
    "limit",
    "yield_per",
    "query",
    "execute",
    "executemany",
    "executescript",
    "fetchone",
    "fetchall",
    "fetchmany",
    "fetch",
    "fetchrow",
    "fetchval",
    "fetch_one",
    "fetch_all",
    "fetch_val",
    "select",
    "get_or_none",
    "get_by_id",
    "create",
    "get_or_create",
    "update_or_create",
    "insert",
    "insert_many",
    "update",
    "delete",
    "delete_by_id",
    "bulk_create",
    "exists",
    "exclude",
    "annotate",
    "raw",
];
static PY_SYNC_QUERY_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PY_SYNC_QUERY_METHODS.iter().copied().collect());
/// Every function name of [`PY_CALLS`], for a cheap first test.
static PY_CALL_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    PY_CALLS
        .iter()
        .flat_map(|(_, fns, ..)| fns.iter().copied())
        .collect()
});
/// Every method name of [`PY_CLIENTS`].
static PY_CLIENT_METHODS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    PY_CLIENTS
        .iter()
        .flat_map(|(_, methods, ..)| methods.iter().copied())
        .collect()
});

/// diesel's terminal methods.
const RS_SYNC_QUERY_METHODS: &[&str] = &[
    "load",
    "get_result",
    "get_results",
    "first",
    "execute",
    "load_iter",
];

/// A synchronous database query that is not awaited: SQLAlchemy's sync `Session`, DB-API
/// cursors (psycopg2, pymysql, sqlite3), Peewee; diesel without `diesel-async`. Async drivers
/// (asyncpg, `AsyncSession`, Tortoise, motor, databases, sqlx, diesel-async) are awaited.
fn sync_query(ast: &Ast, imports: &Imports, config: &Config, call: NodeId) -> Option<Blocking> {
    let c = ast.call(call)?;
    let last = ast.callee_name(c)?;
    let terminal = match ast.lang {
        Lang::Python => PY_SYNC_QUERY_SET.contains(last),
        Lang::Rust => RS_SYNC_QUERY_METHODS.contains(&last),
        Lang::TypeScript => false,
    };
    if !terminal || awaited_somehow(ast, call) || async_chain(ast, call) {
        return None;
    }
    let q = orm::query_call(ast, imports, config, call)?;
    let (ok, instead) = match (ast.lang, q.orm) {
        (Lang::Python, "SQLAlchemy" | "SQL driver") => (
            true,
            "an async driver or session (`AsyncSession` with `await session.execute(...)`, asyncpg, psycopg's `AsyncConnection`), or a plain `def` endpoint that the framework runs in a thread pool",
        ),
        (Lang::Python, "Peewee/Tortoise") => (
            imports.uses("peewee") || imports.uses("playhouse"),
            "an async ORM (Tortoise, SQLAlchemy's `AsyncSession`) or `await asyncio.to_thread(...)`",
        ),
        (Lang::Rust, "diesel") => (
            !imports.uses("diesel_async"),
            "`diesel-async`, or run it in `tokio::task::spawn_blocking` / deadpool-diesel's `conn.interact(...)`",
        ),
        _ => (false, ""),
    };
    if !ok {
        return None;
    }
    Some(Blocking {
        display: q.display,
        does: DB,
        instead: instead.into(),
    })
}

/// A chain that already awaited its query (`(await session.scalars(stmt)).all()`), or whose
/// session is typed async (`session: AsyncSession`, `conn: AsyncConnection`).
fn async_chain(ast: &Ast, call: NodeId) -> bool {
    let chain = ast.call_chain(call);
    if chain.iter().any(|&c| {
        c != call
            && ast
                .parent(c)
                .is_some_and(|p| matches!(ast.kind(p), Kind::Await(_)))
    }) {
        return true;
    }
    let Some(root) = ast.path_of(ast.chain_root(call)) else {
        return false;
    };
    let root = root.strip_prefix("self.").unwrap_or(&root).to_string();
    ast.enclosing_function(call)
        .and_then(|f| ast.function(f))
        .is_some_and(|f| {
            f.params
                .iter()
                .any(|p| p.name == root && p.ty.as_deref().is_some_and(|t| t.contains("Async")))
        })
}

/// The call's value is awaited: directly, later through the variable it is assigned to, or by
/// being handed to another call (`asyncio.gather(...)`, `create_task(...)`).
fn awaited_somehow(ast: &Ast, call: NodeId) -> bool {
    let mut cur = call;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Await(_) => return true,
            // handed to another call: `asyncio.gather(conn.fetch(..))`, `create_task(..)`
            Kind::Call(c) if c.callee != cur => {
                return ast.lang != Lang::Rust
                    || c.is_macro
                    || ast
                        .callee_name(c)
                        .is_some_and(|n| n.contains("join") || n == "spawn");
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *v == cur => {
                let Some(name) = ast.path_of(*target) else {
                    return false;
                };
                let scope = ast.enclosing_function(p).unwrap_or(crate::ast::ROOT);
                // an `await` of it: above a use of the name, through wrappers only (once per
                // function and name)
                return ast.verdict_on("blocking:awaited", scope, &name, || {
                    awaited_name(ast, scope, &name)
                });
            }
            // `async with db.execute(..) as cursor:` (aiosqlite, asyncpg transactions)
            Kind::With {
                items,
                is_async: true,
                ..
            } if items.contains(&cur) => return true,
            // `?`, unmodelled wrappers, comprehensions and lists (then handed to `gather`)
            Kind::Question(_) | Kind::Other | Kind::Member { .. } | Kind::Array(_) => {}
            Kind::Loop(l) if l.kind == crate::ast::LoopKind::Comprehension => {}
            _ => return false,
        }
        cur = p;
    }
    false
}

/// Whether `name` is awaited in `scope`: an `await` whose operand, unwrapped, is `name`.
fn awaited_name(ast: &Ast, scope: NodeId, name: &str) -> bool {
    ast.paths_in(name, scope).iter().any(|&x| {
        let mut cur = x;
        while let Some(up) = ast.parent(cur).filter(|&up| ast.contains(scope, up)) {
            match ast.kind(up) {
                Kind::Await(inner) if *inner == cur => return true,
                _ if ast.wrapped(up).is_some() => cur = up,
                _ => return false,
            }
        }
        false
    })
}

/// Where the receiver of a method call comes from: the qualified constructor path of the chain
/// it starts with (`requests.Session()` in `requests.Session().get(..)`), or of the value a
/// variable/field was assigned (`session = requests.Session()`, `self.http = httpx.Client()`,
/// `let mut cmd = Command::new("git")`, `with requests.Session() as s:`).
pub fn origin(ast: &Ast, imports: &Imports, text: &str, call: NodeId) -> Option<String> {
    let c = ast.call(call)?;
    let mut cur = ast.unwrap_expr(ast.receiver(c)?);
    loop {
        match ast.kind(cur) {
            Kind::Call(inner) => {
                if let Some(p) = ast.path_of(inner.callee) {
                    return Some(imports.qualify_path(&p));
                }
                match ast.kind(inner.callee) {
                    Kind::Member { object, .. } => cur = ast.unwrap_expr(*object),
                    _ => return None,
                }
            }
            Kind::Name(_) | Kind::Member { .. } => {
                if let Some(var) = ast.path_of(cur) {
                    return bound_origin(ast, imports, text, call, &var);
                }
                match ast.kind(cur) {
                    Kind::Member { object, .. } => cur = ast.unwrap_expr(*object),
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

/// The constructor a value expression starts with: `Command::new("git").arg("x")` ->
/// `std::process::Command::new`.
fn expr_origin(ast: &Ast, imports: &Imports, expr: NodeId) -> Option<String> {
    let mut cur = ast.unwrap_expr(expr);
    loop {
        match ast.kind(cur) {
            Kind::Call(c) => {
                if let Some(p) = ast.path_of(c.callee) {
                    return Some(imports.qualify_path(&p));
                }
                match ast.kind(c.callee) {
                    Kind::Member { object, .. } => cur = ast.unwrap_expr(*object),
                    _ => return None,
                }
            }
            // `MongoClient(url).shop`, `MongoClient(url)["shop"]`
            Kind::Member { object, .. } | Kind::Index { object, .. }
                if ast.call(ast.unwrap_expr(*object)).is_some()
                    || !matches!(ast.kind(ast.unwrap_expr(*object)), Kind::Name(_)) =>
            {
                cur = ast.unwrap_expr(*object)
            }
            _ => return None,
        }
    }
}

/// The variable at the root of a value (`client` in `db = client.shop`), for deep clients.
fn expr_root_name(ast: &Ast, expr: NodeId) -> Option<String> {
    let mut cur = ast.unwrap_expr(expr);
    loop {
        match ast.kind(cur) {
            Kind::Member { object, .. } | Kind::Index { object, .. } => {
                cur = ast.unwrap_expr(*object)
            }
            Kind::Name(n) => return Some(n.clone()),
            _ => return None,
        }
    }
}

/// The constructor of the value bound to `var` where `call` can see it: an assignment in the
/// same function or at module level (any assignment in the file for `self.x`/`this.x` fields),
/// or a Python `with X(...) as var:`.
fn bound_origin(
    ast: &Ast,
    imports: &Imports,
    text: &str,
    call: NodeId,
    var: &str,
) -> Option<String> {
    bound_origin_depth(ast, imports, text, call, var, 0)
}

/// [`bound_origin`]; with `depth > 0`, a value taken from another variable (`db =
/// client.shop`) is followed to that variable's constructor.
fn bound_origin_depth(
    ast: &Ast,
    imports: &Imports,
    text: &str,
    call: NodeId,
    var: &str,
    depth: u8,
) -> Option<String> {
    let field = var.starts_with("self.") || var.starts_with("this.");
    let home = named_function(ast, call);
    // fields: any assignment in the file; names: in the same function or at module level
    let seen: Box<dyn Iterator<Item = Binding>> = if field {
        Box::new(ast.bindings_of(text, var))
    } else {
        Box::new(ast.bindings_seen_from(text, var, home))
    };
    for b in seen {
        match b {
            Binding::Assign { value: v, .. } => {
                if let Some(o) = expr_origin(ast, imports, v) {
                    return Some(o);
                }
                if depth > 0 {
                    if let Some(root) = expr_root_name(ast, v).filter(|r| r != var) {
                        if let Some(o) =
                            bound_origin_depth(ast, imports, text, call, &root, depth - 1)
                        {
                            return Some(o);
                        }
                    }
                }
            }
            Binding::WithItem(item) => {
                if let Some(o) = expr_origin(ast, imports, item) {
                    return Some(o);
                }
            }
        }
    }
    None
}

/// The innermost named function around a node (lambdas and closures skipped).
fn named_function(ast: &Ast, id: NodeId) -> Option<NodeId> {
    ast.ancestors(id)
        .find(|&a| ast.function(a).is_some_and(|f| f.name.is_some()))
}

/// Whether `call` runs its callable arguments off the event loop / async worker threads:
/// `loop.run_in_executor(None, fn)`, `asyncio.to_thread(fn)`, `sync_to_async(fn)`,
/// `run_in_threadpool(fn)`; `tokio::task::spawn_blocking(|| ..)`, `block_in_place`,
/// `std::thread::spawn`, actix `web::block`, deadpool `interact`; `new Worker(..)`.
pub fn is_offload_call(ast: &Ast, imports: &Imports, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let name = ast.callee_name(c).unwrap_or("");
    // cheap name test first: this runs for every call around every call in async code
    let maybe = match ast.lang {
        Lang::Python => return PY_OFFLOAD.contains(&name),
        Lang::TypeScript => TS_OFFLOAD
            .iter()
            .any(|o| o.rsplit('.').next() == Some(name)),
        Lang::Rust => matches!(
            name,
            "spawn_blocking"
                | "block_in_place"
                | "unblock"
                | "interact"
                | "spawn"
                | "block"
                | "join"
                | "scope"
                | "spawn_fifo"
        ),
    };
    if !maybe {
        return false;
    }
    let path = ast
        .path_of(c.callee)
        .map(|p| imports.qualify_path(&p))
        .unwrap_or_default();
    match ast.lang {
        Lang::Python => false,
        Lang::TypeScript => TS_OFFLOAD.contains(&name) || TS_OFFLOAD.contains(&path.as_str()),
        Lang::Rust => {
            RS_OFFLOAD.contains(&name)
                || RS_OFFLOAD.contains(&path.as_str())
                || path.ends_with("thread::spawn")
                || path.ends_with("web::block")
                || path.starts_with("rayon::")
                || name == "spawn"
                    && expr_origin(ast, imports, ast.receiver(c).unwrap_or(call))
                        .is_some_and(|o| o.ends_with("thread::Builder::new"))
        }
    }
}

/// A TypeScript/JavaScript file that runs in a worker thread (`parentPort`/`workerData` from
/// `worker_threads`, or a file named like a worker): its code is off the main event loop.
pub fn is_worker_file(path: &std::path::Path, imports: &Imports) -> bool {
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    stem.contains("worker")
        || ["parentPort", "workerData", "isMainThread"]
            .iter()
            .any(|n| {
                imports
                    .get(n)
                    .is_some_and(|q| q.trim_start_matches("node:").starts_with("worker_threads"))
            })
}

/// The last segment of a qualified name (`sleep` in `time.sleep`).
pub fn short(path: &str) -> &str {
    last_segment(path)
}
