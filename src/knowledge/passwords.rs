//! Passwords: which names hold a user's password (not its hash, not a credential the service
//! uses to reach another system), which calls hash with a fast general-purpose digest, where a
//! password value comes from (the request or the caller: plaintext; a record: what is stored),
//! which writes put a value into a user's password field or column, and which password KDF each
//! stack should use instead. `plaintext-password` reads these tables.
//!
//! | stack | fast hashes recognised | KDF named in the fix |
//! |---|---|---|
//! | Python | `hashlib.md5/sha1/sha2xx/sha3_*/blake2*` (one-shot, `hashlib.new`, `.update()`), PyCryptodome `MD5/SHA*.new` | Django `make_password`/`check_password`; argon2-cffi `PasswordHasher`, passlib `CryptContext` |
//! | TS/JS | `crypto.createHash(..).update(..)`, `crypto.hash`, `crypto.subtle.digest`, `md5`/`sha1`/`js-sha256`/`crypto-js`/`@noble/hashes` digests | `argon2` / `bcrypt` npm packages |
//! | Rust | `md5::compute`, `Sha1/Sha256/Sha512/Md5/Blake2*::digest`, `.update()` on `::new()`, `sha256::digest`, `blake3::hash`, `openssl::sha`, `ring::digest::digest` | `argon2` + `password-hash`, `bcrypt` crates |
//!
//! Plaintext means "taken from the request or the caller as typed": a request read whose key is
//! a password name (`request.POST["password"]`, `req.body.password`, `form.password.data`,
//! `payload.password` of a handler's extractor), or a password-named variable or parameter that
//! was not assigned a hashing call. What a record stores (`user.password`, `row["password"]`)
//! is the other side of a comparison. A password hashed by the model layer (SQLAlchemy
//! `@validates("password")`, a property setter, Sequelize `setDataValue` in a setter, Mongoose
//! `pre("save")`, TypeORM `@BeforeInsert`) is a project fact ([`PasswordFacts`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ast::{Ast, BinOp, Kind, Lang, NodeId, StrKind};
use crate::imports::Imports;
use crate::knowledge::secrets::{name_words, SHORT_LEADS, SHORT_TERMS};

// --- names ------------------------------------------------------------------------------------

/// Words that name a password.
const TERMS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "pass",
    "pw",
    "pword",
];
/// Words after the term that keep the meaning (`password_confirm`, `new_password2`).
const KEEP_AFTER: &[&str] = &[
    "value",
    "val",
    "str",
    "string",
    "raw",
    "plain",
    "plaintext",
    "text",
    "clear",
    "cleartext",
    "input",
    "confirm",
    "confirmation",
    "again",
    "repeat",
    "repeated",
    "new",
    "old",
    "current",
    "given",
    "entered",
    "provided",
    "typed",
    "attempt",
    "candidate",
    "check",
    "verify",
    "bytes",
    "b",
    "utf",
];

/// Words before the term that make the name something else: a hash of the password, a flag or
/// function about passwords, or a credential the service uses to reach another system (its
/// value must stay readable, so a KDF is no fix for it).
const NEGATE_BEFORE: &[&str] = &[
    // a hash, not the password
    "hashed",
    "hash",
    "encrypted",
    "encoded",
    "crypted",
    "salted",
    "digest",
    "hmac",
    "derived",
    "enc",
    // flags, actions, policies
    "check",
    "validate",
    "verify",
    "is",
    "has",
    "show",
    "hide",
    "toggle",
    "min",
    "max",
    "require",
    "requires",
    "allow",
    "enable",
    "use",
    "forgot",
    "reset",
    "change",
    "update",
    "set",
    "get",
    "no",
    "without",
    "invalid",
    "wrong",
    "weak",
    "strong",
    "expired",
    // credentials of other systems
    "smtp",
    "email",
    "mail",
    "imap",
    "pop",
    "db",
    "database",
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "rabbit",
    "rabbitmq",
    "amqp",
    "broker",
    "kafka",
    "ldap",
    "bind",
    "proxy",
    "ftp",
    "sftp",
    "ssh",
    "vnc",
    "rdp",
    "wifi",
    "keystore",
    "truststore",
    "key",
    "cert",
    "certificate",
    "pfx",
    "jks",
    "api",
    "service",
    "bot",
    "client",
    "sasl",
    "jdbc",
    "datasource",
    "conn",
    "connection",
    "remote",
    "upstream",
    "basic",
    "http",
    "napalm",
    "snmp",
    "router",
    "device",
    "vault",
    "registry",
    "docker",
    "git",
    "elastic",
    "sentry",
    "sql",
    "oracle",
    "mssql",
    "storage",
    "s3",
    "sip",
    "xmpp",
    "irc",
    "turn",
    "stun",
];

/// Whether `name` (an identifier, key, column or field) holds a user's password as typed:
/// `password`, `new_password`, `passwordConfirm`, `userPassword`, `pwd`, but not
/// `password_hash`, `hashed_password`, `reset_password_token`, `is_password_set` or
/// `smtp_password`.
pub fn is_password_name(name: &str) -> bool {
    let name = name.trim_matches(|c: char| c == '"' || c == '\'' || c == '`');
    if name.is_empty() || name.len() > 64 {
        return false;
    }
    let has_term = name.as_bytes().windows(2).any(|w| {
        w[0].eq_ignore_ascii_case(&b'p')
            && (w[1].eq_ignore_ascii_case(&b'a') || w[1].eq_ignore_ascii_case(&b'w'))
    });
    if !has_term {
        return false;
    }
    let words = name_words(name);
    let Some(at) = words.iter().rposition(|w| TERMS.contains(&w.as_str())) else {
        return false;
    };
    let after_ok = words[at + 1..]
        .iter()
        .all(|w| KEEP_AFTER.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit()));
    if !after_ok {
        return false;
    }
    let before = &words[..at];
    if before.iter().any(|w| NEGATE_BEFORE.contains(&w.as_str())) {
        return false;
    }
    if SHORT_TERMS.contains(&words[at].as_str()) {
        return before.iter().all(|w| SHORT_LEADS.contains(&w.as_str()));
    }
    true
}

/// Words of model, table and repository names that hold user accounts.
const USER_WORDS: &[&str] = &[
    "user",
    "users",
    "account",
    "accounts",
    "member",
    "members",
    "customer",
    "customers",
    "admin",
    "admins",
    "administrator",
    "person",
    "people",
    "profile",
    "profiles",
    "player",
    "players",
    "employee",
    "employees",
    "staff",
    "student",
    "students",
    "patient",
    "patients",
    "owner",
    "owners",
    "subscriber",
    "subscribers",
    "author",
    "authors",
    "login",
    "logins",
    "auth",
    "credential",
    "credentials",
    "identity",
    "identities",
    "operator",
    "operators",
    "principal",
    "teacher",
    "teachers",
    "seller",
    "buyer",
    "tenant",
    "tenants",
    "principal",
];

/// Words that make a user-named type a request or response shape rather than a stored record
/// (`UserCreate`, `LoginRequest`, `UserDto`, `UserResponse`).
const SHAPE_WORDS: &[&str] = &[
    "create",
    "creation",
    "in",
    "input",
    "request",
    "req",
    "form",
    "schema",
    "dto",
    "payload",
    "body",
    "base",
    "update",
    "out",
    "response",
    "public",
    "read",
    "serializer",
    "params",
    "args",
    "query",
    "view",
    "props",
    "data",
    "info",
    "result",
    "event",
];

/// Last words of layers above the store (`usersService`, `userApi`): a service method may hash
/// before it writes.
const LAYER_WORDS: &[&str] = &[
    "service",
    "services",
    "controller",
    "handler",
    "client",
    "api",
    "manager",
    "helper",
    "provider",
    "resolver",
    "gateway",
    "facade",
    "usecase",
    "sdk",
    "action",
    "actions",
    "mutation",
    "mutations",
    "hook",
    "hooks",
    "util",
    "utils",
];

/// Identity providers and backends that hash what they are given (Auth0 management
/// `users.create`, PocketBase `pb.collection("users").create`, Strapi, Directus, Supabase).
const HASHING_BACKENDS: &[&str] = &[
    "auth0",
    "management",
    "managementClient",
    "clerk",
    "clerkClient",
    "supabase",
    "firebase",
    "firebaseAdmin",
    "cognito",
    "okta",
    "keycloak",
    "kcAdminClient",
    "workos",
    "stytch",
    "kratos",
    "ory",
    "zitadel",
    "logto",
    "descope",
    "appwrite",
    "strapi",
    "directus",
    "pocketbase",
    "pb",
];

/// Whether a model, table, repository or collection name holds user accounts: `User`,
/// `auth_user`, `prisma.user`, `this.usersRepository`, `"users"`, `AppUser`, `CustomerModel`.
pub fn is_user_store_name(name: &str, lang: Lang) -> bool {
    let words = name_words(name.trim_matches(|c: char| c == '"' || c == '\'' || c == '`'));
    if !words.iter().any(|w| USER_WORDS.contains(&w.as_str()))
        || words
            .last()
            .is_some_and(|w| LAYER_WORDS.contains(&w.as_str()))
    {
        return false;
    }
    // Rust insertables are often named `CreateUser`/`UpdateUser`: only the shapes of a request
    // or a response are excluded there
    let shape = |w: &String| match lang {
        Lang::Rust => matches!(
            w.as_str(),
            "request"
                | "req"
                | "form"
                | "payload"
                | "body"
                | "input"
                | "dto"
                | "response"
                | "out"
                | "params"
                | "query"
                | "login"
                | "credentials"
        ),
        _ => SHAPE_WORDS.contains(&w.as_str()),
    };
    !words.iter().any(shape)
}

/// Configuration roots: a password read from them is a credential of another system.
fn is_config_root(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "settings"
            | "config"
            | "conf"
            | "cfg"
            | "configuration"
            | "options"
            | "opts"
            | "env"
            | "environ"
            | "os"
            | "process"
            | "app"
            | "current_app"
            | "secrets"
            | "vault"
            | "args"
            | "argv"
            | "cli"
            | "flags"
    ) || lower.ends_with("config")
        || lower.ends_with("settings")
        || lower.ends_with("options")
}

// --- fast hashes ------------------------------------------------------------------------------

/// A call that hashes data with a fast general-purpose digest.
#[derive(Clone, Debug)]
pub struct FastHash {
    /// As a reader knows it: `MD5`, `SHA-1`, `SHA-256`.
    pub algo: String,
    /// The data hashed (`None` for a constructor fed later with `.update()`).
    pub input: Option<NodeId>,
}

/// Digest names (lowercase, `-`/`_` removed) that are fast general-purpose hashes.
const FAST_ALGOS: &[&str] = &[
    "md5",
    "md4",
    "sha",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha512224",
    "sha512256",
    "sha3224",
    "sha3256",
    "sha3384",
    "sha3512",
    "keccak256",
    "shake128",
    "shake256",
    "blake2b",
    "blake2s",
    "blake2b512",
    "blake2s256",
    "blake3",
    "ripemd160",
    "rmd160",
    "ripemd",
    "whirlpool",
    "sm3",
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The reader's name of a digest: `sha256` -> `SHA-256`, `md5` -> `MD5`.
fn display_algo(s: &str) -> Option<String> {
    let k = squash(s);
    if !FAST_ALGOS.contains(&k.as_str()) {
        return None;
    }
    Some(match k.as_str() {
        "md5" | "md4" => k.to_ascii_uppercase(),
        "sha" | "sha1" => "SHA-1".to_string(),
        k if k.starts_with("sha3") => format!("SHA3-{}", &k[4..]),
        k if k.starts_with("sha") => format!("SHA-{}", &k[3..]),
        k => k.to_ascii_uppercase(),
    })
}

/// Python `hashlib` constructors.
const HASHLIB: &[&str] = &[
    "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384",
    "sha3_512", "blake2b", "blake2s",
];
/// npm packages whose default or named exports digest their argument.
const NPM_DIGESTS: &[&str] = &[
    "md5",
    "blueimp-md5",
    "js-md5",
    "md5-hex",
    "sha1",
    "js-sha1",
    "js-sha256",
    "js-sha512",
    "sha256",
    "sha.js",
    "hash.js",
    "crypto-js",
    "@noble/hashes",
    "hasha",
];
/// Rust digest types (`Sha256::digest(x)`, `Sha256::new()`).
const RS_DIGEST_TYPES: &[&str] = &[
    "Md5",
    "Md4",
    "Sha1",
    "Sha224",
    "Sha256",
    "Sha384",
    "Sha512",
    "Sha512_224",
    "Sha512_256",
    "Sha3_224",
    "Sha3_256",
    "Sha3_384",
    "Sha3_512",
    "Keccak256",
    "Blake2b",
    "Blake2s",
    "Blake2b512",
    "Blake2s256",
    "Ripemd160",
    "Whirlpool",
    "Sm3",
];

/// Methods that feed data to an incremental hasher.
const FEED_METHODS: &[&str] = &[
    "update",
    "input",
    "consume",
    "chain_update",
    "chain",
    "write",
];

/// The fast hash a call computes, if any: a one-shot digest of its argument, a hasher
/// constructor, or `.update(x)` on a hasher built in the same chain or bound to a variable.
pub fn fast_hash(ast: &Ast, imports: &Imports, call: NodeId) -> Option<FastHash> {
    let c = ast.call(call)?;
    if c.is_macro || c.is_tagged {
        return None;
    }
    // `.update(x)` on a hasher
    if let Kind::Member { object, property } = ast.kind(c.callee) {
        if FEED_METHODS.contains(&property.as_str()) {
            let recv = ast.unwrap_expr(*object);
            let ctor = match ast.kind(recv) {
                Kind::Call(_) => hasher_ctor(ast, imports, recv),
                Kind::Name(n) => {
                    let scope = ast.enclosing_function(call).unwrap_or(crate::ast::ROOT);
                    ast.assignment_before(n, scope, call, true)
                        .and_then(|(_, v)| hasher_ctor(ast, imports, ast.unwrap_expr(v)))
                }
                _ => None,
            };
            if let Some(algo) = ctor {
                let input = ast.positional(c).next()?;
                return Some(FastHash {
                    algo,
                    input: Some(input),
                });
            }
        }
    }
    one_shot(ast, imports, call)
}

/// A one-shot digest call (`hashlib.md5(x)`, `md5(x)`, `Sha256::digest(x)`), or a hasher
/// constructor with its first input (`hashlib.sha256(x)` is both).
fn one_shot(ast: &Ast, imports: &Imports, call: NodeId) -> Option<FastHash> {
    let c = ast.call(call)?;
    let path = ast.path_of(c.callee)?;
    let first = ast.positional(c).next();
    match ast.lang {
        Lang::Python => {
            let q = imports.qualify_path(&path);
            if let Some(alg) = q.strip_prefix("hashlib.") {
                if HASHLIB.contains(&alg) {
                    let input = first
                        .or_else(|| ast.kwarg(c, "string"))
                        .or_else(|| ast.kwarg(c, "data"));
                    return Some(FastHash {
                        algo: display_algo(alg)?,
                        input,
                    });
                }
                if alg == "new" {
                    let name = ast.plain_str(first?)?;
                    let algo = display_algo(name)?;
                    let input = ast.positional(c).nth(1).or_else(|| ast.kwarg(c, "data"));
                    return Some(FastHash { algo, input });
                }
            }
            // PyCryptodome: `MD5.new(x)`, `SHA256.new(x)`
            if let Some(rest) = q
                .strip_prefix("Crypto.Hash.")
                .or_else(|| q.strip_prefix("Cryptodome.Hash."))
            {
                let alg = rest.strip_suffix(".new")?;
                return Some(FastHash {
                    algo: display_algo(alg)?,
                    input: first.or_else(|| ast.kwarg(c, "data")),
                });
            }
            None
        }
        Lang::TypeScript => {
            let q = imports.qualify_path(&path);
            let last = path.rsplit('.').next().unwrap_or(&path);
            // `crypto.hash("sha256", data)` (Node 21+), `crypto.subtle.digest("SHA-256", data)`
            if q.ends_with("crypto.hash") || q.ends_with("subtle.digest") {
                let algo = display_algo(ast.plain_str(first?)?)?;
                return Some(FastHash {
                    algo,
                    input: ast.positional(c).nth(1),
                });
            }
            if last == "createHash" {
                return hasher_ctor(ast, imports, call).map(|algo| FastHash { algo, input: None });
            }
            // npm digests: `md5(x)`, `sha256(x)`, `CryptoJS.SHA256(x)`, `sha256(utf8ToBytes(x))`
            let head = path.split('.').next().unwrap_or(&path);
            let (module, name) = ast.import_binding(head)?;
            let from_digest_package = NPM_DIGESTS.iter().any(|m| {
                module
                    .strip_prefix(m)
                    .is_some_and(|r| r.is_empty() || r.starts_with('/'))
            });
            if !from_digest_package {
                return None;
            }
            let func = if path.contains('.') {
                last
            } else if name.is_empty() || name == "default" {
                // `import md5 from "md5"`, `import SHA256 from "crypto-js/sha256"`
                module.rsplit('/').next().unwrap_or(module)
            } else {
                name
            };
            Some(FastHash {
                algo: display_algo(func)?,
                input: first,
            })
        }
        Lang::Rust => {
            let segs: Vec<&str> = path.split("::").collect();
            let n = segs.len();
            let (ty, f) = match n {
                0 | 1 => return None,
                _ => (segs[n - 2], segs[n - 1]),
            };
            let algo = match (ty, f) {
                ("md5", "compute") => "MD5".to_string(),
                ("blake3", "hash") => "BLAKE3".to_string(),
                ("sha256", "digest") => "SHA-256".to_string(),
                ("sha", "sha1" | "sha224" | "sha256" | "sha384" | "sha512") => display_algo(f)?,
                ("digest", "digest") if segs.contains(&"ring") || imports.uses("ring") => {
                    let alg = ast.path_of(ast.unwrap_expr(first?))?;
                    let alg = alg.rsplit("::").next().unwrap_or(&alg);
                    let algo = display_algo(alg.split('_').next().unwrap_or(alg))?;
                    return Some(FastHash {
                        algo,
                        input: ast.positional(c).nth(1),
                    });
                }
                (t, "digest" | "new_with_prefix") if RS_DIGEST_TYPES.contains(&t) => {
                    display_algo(t)?
                }
                // sha1_smol: `Sha1::from(x)`
                ("Sha1", "from") => "SHA-1".to_string(),
                _ => return None,
            };
            Some(FastHash { algo, input: first })
        }
    }
}

/// The digest a hasher constructor makes: `crypto.createHash("md5")`, `hashlib.sha256()`,
/// `Sha256::new()`, `md5::Context::new()`, `blake3::Hasher::new()`.
fn hasher_ctor(ast: &Ast, imports: &Imports, call: NodeId) -> Option<String> {
    let c = ast.call(call)?;
    let path = ast.path_of(c.callee)?;
    match ast.lang {
        Lang::TypeScript => {
            let last = path.rsplit('.').next().unwrap_or(&path);
            if last != "createHash" {
                return None;
            }
            let q = imports.qualify_path(&path);
            let from_crypto = q.contains("crypto") || path == "createHash";
            if !from_crypto {
                return None;
            }
            display_algo(ast.plain_str(ast.positional(c).next()?)?)
        }
        Lang::Python => one_shot(ast, imports, call).map(|h| h.algo),
        Lang::Rust => {
            let segs: Vec<&str> = path.split("::").collect();
            let n = segs.len();
            if n < 2 || !matches!(segs[n - 1], "new" | "default") {
                return None;
            }
            match segs[n - 2] {
                t if RS_DIGEST_TYPES.contains(&t) => display_algo(t),
                "Context" if segs.contains(&"md5") || n == 2 && imports.uses("md5") => {
                    Some("MD5".to_string())
                }
                "Hasher" if segs.contains(&"blake3") => Some("BLAKE3".to_string()),
                _ => None,
            }
        }
    }
}

// --- value origins ----------------------------------------------------------------------------

/// Method calls and wrappers that pass the password through unchanged.
const PASS_THROUGH_METHODS: &[&str] = &[
    "strip",
    "trim",
    "trimStart",
    "trimEnd",
    "encode",
    "decode",
    "clone",
    "to_string",
    "to_owned",
    "into",
    "as_str",
    "as_bytes",
    "as_ref",
    "to_vec",
    "into_bytes",
    "toString",
    "valueOf",
    "unwrap",
    "unwrap_or_default",
    "expose_secret",
    "get_secret_value",
    "normalize",
];
const PASS_THROUGH_FUNCTIONS: &[&str] = &[
    "str",
    "bytes",
    "String",
    "Buffer.from",
    "String::from",
    "Some",
    "Set",
    "ActiveValue::Set",
    "utf8ToBytes",
    "force_bytes",
    "force_str",
    "smart_bytes",
];

/// Strips `await`, `?`, `.strip()`, `.encode()`, `str(..)`, `Buffer.from(..)`, `x or ""`.
pub fn unwrap_value(ast: &Ast, mut id: NodeId) -> NodeId {
    for _ in 0..8 {
        id = ast.unwrap_expr(id);
        match ast.kind(id) {
            Kind::Call(c) => {
                // `new TextEncoder().encode(x)`
                if ast.callee_name(c) == Some("encode")
                    && ast.receiver(c).is_some_and(|r| {
                        ast.call(ast.unwrap_expr(r))
                            .is_some_and(|rc| ast.callee_name(rc) == Some("TextEncoder"))
                    })
                {
                    if let Some(a) = ast.positional(c).next() {
                        id = a;
                        continue;
                    }
                }
                if let Kind::Member { object, property } = ast.kind(c.callee) {
                    if PASS_THROUGH_METHODS.contains(&property.as_str()) && c.args.len() <= 1 {
                        id = *object;
                        continue;
                    }
                }
                let path = ast.path_of(c.callee).unwrap_or_default();
                if PASS_THROUGH_FUNCTIONS.contains(&path.as_str()) {
                    if let Some(a) = ast.positional(c).next() {
                        id = a;
                        continue;
                    }
                }
                return id;
            }
            // `x or ""`, `x || ""`, `x ?? ""`
            Kind::Binary {
                op: BinOp::Or,
                lhs,
                rhs,
            } if matches!(ast.kind(*rhs), Kind::Str(_) | Kind::Null) => id = *lhs,
            // TS `x as string`, `x!`
            Kind::Other => match ast.children(id).next() {
                Some(first) if ast.span(first).start == ast.span(id).start => id = first,
                _ => return id,
            },
            _ => return id,
        }
    }
    id
}

/// The key a member, subscript or `.get("key")` call reads: (object, key).
fn keyed(ast: &Ast, id: NodeId) -> Option<(NodeId, &str)> {
    match ast.kind(id) {
        Kind::Member { object, property } => Some((*object, property.as_str())),
        Kind::Index { object, index } => Some((*object, ast.plain_str(*index)?)),
        Kind::Call(c) if matches!(ast.callee_name(c), Some("get" | "getlist" | "get_one")) => {
            let key = ast.plain_str(ast.positional(c).next()?)?;
            Some((ast.receiver(c)?, key))
        }
        _ => None,
    }
}

/// Request objects and the parts of them that carry what the client sent.
const REQUEST_OBJECTS: &[&str] = &["request", "req", "ctx", "context", "c", "event", "r"];
const REQUEST_PARTS: &[&str] = &[
    "post",
    "req",
    "POST",
    "GET",
    "form",
    "json",
    "data",
    "args",
    "values",
    "body",
    "query",
    "params",
    "get_json",
    "json_body",
    "request",
    "cleaned_data",
    "validated_data",
    "initial_data",
    "payload",
    "input",
];
/// Last words of variable names that hold what the client sent.
const INPUT_WORDS: &[&str] = &[
    "body",
    "data",
    "payload",
    "form",
    "input",
    "inputs",
    "dto",
    "params",
    "args",
    "credentials",
    "creds",
    "json",
    "values",
    "fields",
    "request",
    "req",
    "in",
    "signup",
    "register",
    "registration",
    "submission",
    "attrs",
    "cleaned",
    "validated",
    "login",
];

/// The root of a member/subscript/call chain and the segments read on the way, root first:
/// `request.POST.get("password")` -> (`request`, [`POST`, `get`]).
fn chain_of(ast: &Ast, id: NodeId) -> (NodeId, Vec<&str>) {
    let mut segs = Vec::new();
    let mut cur = ast.unwrap_expr(id);
    for _ in 0..16 {
        match ast.kind(cur) {
            Kind::Member { object, property } => {
                segs.push(property.as_str());
                cur = ast.unwrap_expr(*object);
            }
            Kind::Index { object, .. } => cur = ast.unwrap_expr(*object),
            Kind::Call(c) => match ast.kind(c.callee) {
                Kind::Member { object, property } => {
                    segs.push(property.as_str());
                    cur = ast.unwrap_expr(*object);
                }
                // `json.loads(request.body)`, `JSON.parse(body)`: the argument
                _ => match ast.positional(c).next() {
                    Some(a) if matches!(ast.callee_name(c), Some("loads" | "parse")) => {
                        cur = ast.unwrap_expr(a)
                    }
                    _ => break,
                },
            },
            _ => break,
        }
    }
    segs.reverse();
    (cur, segs)
}

/// What reading a password from an expression's object tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    /// Request data, a handler's input, a form: the password as typed.
    Input,
    /// A record, a model instance, a row: the password as stored.
    Record,
    /// Configuration, the environment, or something unknown.
    Other,
}

/// A parameter's bound names: `Json(payload)` -> `payload`, `{ body }` -> `body`.
fn param_binds(p: &str, name: &str) -> bool {
    p == name
        || p.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == name)
            && (p.contains('(') || p.contains('{') || p.contains('['))
}

/// The enclosing function that declares `name` as a parameter, if any.
fn param_owner(ast: &Ast, name: &str, at: NodeId) -> Option<(NodeId, usize)> {
    ast.function_ancestors(at).find_map(|f| {
        let func = ast.function(f)?;
        let i = func
            .params
            .iter()
            .position(|p| param_binds(&p.name, name))?;
        Some((f, i))
    })
}

/// Reading context: the tree, the file's text and imports, and its handlers.
pub struct Scope<'a> {
    pub ast: &'a Ast,
    pub imports: &'a Imports,
    pub handlers: &'a HashMap<NodeId, &'static str>,
}

impl Scope<'_> {
    /// Who holds the object a password is read from.
    fn holder(&self, object: NodeId, at: NodeId, depth: u8) -> Holder {
        let ast = self.ast;
        let (root, segs) = chain_of(ast, object);
        let Kind::Name(root_name) = ast.kind(root) else {
            return Holder::Other;
        };
        let root_name = root_name.as_str();
        let first = segs.first().copied();
        if matches!(root_name, "self" | "this") {
            // `self.request.POST`, `self.cleaned_data` (a Django form), `this.form.value`
            return match first {
                Some("request" | "req" | "cleaned_data" | "validated_data" | "initial_data") => {
                    Holder::Input
                }
                Some("form" | "body" | "payload" | "input") if segs.len() > 1 => Holder::Input,
                Some(f) if is_user_store_name(f, ast.lang) => Holder::Record,
                Some(_) => Holder::Other,
                None => Holder::Record,
            };
        }
        if REQUEST_OBJECTS.contains(&root_name) {
            if first.is_some_and(|f| REQUEST_PARTS.contains(&f)) {
                return Holder::Input;
            }
            // `request.user.password`, `ctx.state.user.password`: the signed-in user's record
            if matches!(root_name, "request" | "req" | "ctx") {
                return if segs.iter().any(|s| is_user_store_name(s, ast.lang)) {
                    Holder::Record
                } else {
                    Holder::Other
                };
            }
        }
        // an imported module or constant: `constants.DEFAULT_PASSWORD`
        if segs.is_empty() && ast.import_binding(root_name).is_some()
            || !segs.is_empty()
                && ast
                    .import_binding(root_name)
                    .is_some_and(|(_, n)| n.is_empty())
        {
            return Holder::Other;
        }
        if is_config_root(root_name) && !self.is_handler_param(root_name, at) {
            return Holder::Other;
        }
        // a local: what it was assigned decides
        if depth < 3 {
            let scope = ast.enclosing_function(at).unwrap_or(crate::ast::ROOT);
            if let Some((asg, v)) = assigned_before(ast, root_name, scope, at, false) {
                let destructured = matches!(ast.kind(asg), Kind::Assign { target, .. }
                    if !matches!(ast.kind(*target), Kind::Name(_)));
                let v = unwrap_value(ast, v);
                if destructured || !matches!(ast.kind(v), Kind::Object { .. }) {
                    match self.value_holder(v, at, depth + 1) {
                        Holder::Other => {}
                        h => return h,
                    }
                }
            }
        }
        if let Some((f, i)) = param_owner(ast, root_name, at) {
            let func = ast.function(f);
            let ty = func
                .and_then(|func| func.params.get(i))
                .and_then(|p| p.ty.as_deref())
                .unwrap_or("");
            if is_input_type(ty) {
                return Holder::Input;
            }
            // shared application state and injected services, not what the client sent
            let t = ty.trim_start_matches('&');
            if ["State<", "Data<", "web::Data<", "Extension<", "Arc<"]
                .iter()
                .any(|p| t.starts_with(p))
            {
                return Holder::Other;
            }
            if is_user_store_name(ty, ast.lang) || is_user_store_name(root_name, ast.lang) {
                return Holder::Record;
            }
            if self.handlers.contains_key(&f) || input_named(root_name) {
                return Holder::Input;
            }
            return Holder::Other;
        }
        if input_named(root_name) {
            return Holder::Input;
        }
        Holder::Record
    }

    fn is_handler_param(&self, name: &str, at: NodeId) -> bool {
        param_owner(self.ast, name, at).is_some_and(|(f, _)| self.handlers.contains_key(&f))
    }

    /// What a value assigned to a local holds (`data = request.get_json()`,
    /// `user = User.query.get(id)`).
    fn value_holder(&self, v: NodeId, at: NodeId, depth: u8) -> Holder {
        let ast = self.ast;
        let v = ast.unwrap_expr(v);
        match ast.kind(v) {
            Kind::Name(_) | Kind::Member { .. } | Kind::Index { .. } => self.holder(v, at, depth),
            Kind::Call(c) => {
                let (root, segs) = chain_of(ast, v);
                let root_name = match ast.kind(root) {
                    Kind::Name(n) => n.as_str(),
                    _ => "",
                };
                if REQUEST_OBJECTS.contains(&root_name)
                    && segs.first().is_some_and(|f| REQUEST_PARTS.contains(f))
                    || matches!(ast.callee_name(c), Some("get_json" | "json" | "formData"))
                        && REQUEST_OBJECTS.contains(&root_name)
                {
                    return Holder::Input;
                }
                if matches!(ast.callee_name(c), Some("loads" | "parse")) {
                    return self.holder(v, at, depth);
                }
                // constructors and queries: a record
                let callee = ast.path_of(c.callee).unwrap_or_default();
                if is_user_store_name(&callee, ast.lang)
                    || segs.iter().any(|s| is_user_store_name(s, ast.lang))
                    || is_user_store_name(root_name, ast.lang)
                {
                    return Holder::Record;
                }
                Holder::Other
            }
            _ => Holder::Other,
        }
    }

    /// A plaintext password: request data or a password-named variable or parameter that no
    /// hashing call produced. Returns the expression as a reader would name it.
    pub fn plaintext(&self, id: NodeId, text: &str) -> Option<String> {
        self.plaintext_at(id, text, 0)
    }

    fn plaintext_at(&self, id: NodeId, text: &str, depth: u8) -> Option<String> {
        let ast = self.ast;
        let v = unwrap_value(ast, id);
        let shown = || snippet(text, ast, v);
        match ast.kind(v) {
            Kind::Name(n) => {
                if !is_password_name(n) || n == "pwd" && self.imports.get("pwd").is_some() {
                    return None;
                }
                self.name_is_plain(n, v, text, depth).then(shown)
            }
            // WTForms: `form.password.data`
            Kind::Member { object, property } if property == "data" => {
                let (obj, key) = keyed(ast, ast.unwrap_expr(*object))?;
                (is_password_name(key) && self.holder(obj, v, depth) == Holder::Input).then(shown)
            }
            _ => {
                let (obj, key) = keyed(ast, v)?;
                (is_password_name(key) && self.holder(obj, v, depth) == Holder::Input).then(shown)
            }
        }
    }

    /// Whether a password-named variable holds the password as typed at `at`.
    fn name_is_plain(&self, name: &str, at: NodeId, text: &str, depth: u8) -> bool {
        let ast = self.ast;
        for f in ast.function_ancestors(at) {
            if let Some((asg, value)) = assigned_before(ast, name, f, at, false) {
                let Kind::Assign { target, .. } = ast.kind(asg) else {
                    return false;
                };
                if !matches!(ast.kind(*target), Kind::Name(_)) {
                    // `const { password } = req.body`
                    return self.value_holder(value, at, depth + 1) == Holder::Input;
                }
                if depth >= 3 {
                    return false;
                }
                if self.plaintext_at(value, text, depth + 1).is_some() {
                    return true;
                }
                // `const currentPassword = req.query.current`: the name says what it holds
                let v = unwrap_value(ast, value);
                if let Some((obj, _)) = keyed(ast, v) {
                    if self.holder(obj, v, depth + 1) == Holder::Input {
                        return true;
                    }
                }
                return prompted(ast, v);
            }
            if let Some(func) = ast.function(f) {
                if func.params.iter().any(|p| param_binds(&p.name, name)) {
                    return true;
                }
            }
        }
        false
    }

    /// A password as a record stores it: `user.password`, `row["password"]`, `User.password`
    /// (a model column), `users[name]["password"]`.
    pub fn stored(&self, id: NodeId, text: &str) -> Option<String> {
        let ast = self.ast;
        let v = unwrap_value(ast, id);
        let (obj, key) = keyed(ast, v)?;
        if !is_password_name(key) {
            return None;
        }
        (self.holder(obj, v, 0) == Holder::Record && self.record_model(obj).is_some())
            .then(|| snippet(text, ast, v))
    }

    /// The model of a record a password is read from or written to (as a [`model_key`]):
    /// named like a user (`user`, `self.account`, `request.user`, `USERS`), `self`/`this` in a
    /// model or user class, a row (`row`, `record`, `existing`) or a local loaded by a query
    /// (`found = repo.findOne(..)`; `?` when the model is not named).
    pub fn record_model(&self, obj: NodeId) -> Option<String> {
        let ast = self.ast;
        let lang = ast.lang;
        let mut cur = ast.unwrap_expr(obj);
        for _ in 0..16 {
            match ast.kind(cur) {
                Kind::Member { object, property } => {
                    if is_user_store_name(property, lang) {
                        return Some(model_key(property));
                    }
                    cur = ast.unwrap_expr(*object);
                }
                Kind::Index { object, .. } => cur = ast.unwrap_expr(*object),
                Kind::Name(n) if n == "self" || n == "this" => {
                    let class = ast.ancestors(cur).find_map(|a| match ast.kind(a) {
                        Kind::Class(c) => Some(c),
                        _ => None,
                    })?;
                    let user = is_user_store_name(&class.name, lang)
                        || self.imports.is_model(&class.name)
                            && !class.name.ends_with("Form")
                            && !class.name.ends_with("Serializer");
                    return user.then(|| model_key(&class.name));
                }
                Kind::Name(n) => {
                    // a local: the model it was built or loaded from
                    let scope = ast.enclosing_function(cur).unwrap_or(crate::ast::ROOT);
                    let assigned = assigned_before(ast, n, scope, cur, true).map(|(_, v)| v);
                    if let Some(m) = assigned.and_then(|v| self.loaded_model(v)) {
                        return Some(m);
                    }
                    if is_user_store_name(n, lang) {
                        return Some(format!("~{}", model_key(n)));
                    }
                    let words = name_words(n);
                    let row = words.iter().any(|w| {
                        matches!(
                            w.as_str(),
                            "row"
                                | "record"
                                | "rec"
                                | "doc"
                                | "entry"
                                | "found"
                                | "existing"
                                | "stored"
                                | "instance"
                                | "obj"
                        )
                    });
                    if row {
                        return Some("?".to_string());
                    }
                    // a local loaded by a query
                    let (_, segs) = chain_of(ast, assigned?);
                    let loaded = segs.iter().any(|s| {
                        let s = s.to_ascii_lowercase();
                        [
                            "fetch", "find", "get", "query", "select", "first", "one", "load",
                            "lookup",
                        ]
                        .iter()
                        .any(|p| s.starts_with(p))
                    });
                    return loaded.then(|| "?".to_string());
                }
                _ => return None,
            }
        }
        None
    }

    /// The user model a value was constructed or loaded from: `new UserEntity()`,
    /// `User.objects.get(..)`, `session.get(Operator, id)`, `await prisma.user.findUnique(..)`
    /// (a [`model_key`]; `~` first when only a lower-case name says it).
    fn loaded_model(&self, v: NodeId) -> Option<String> {
        let ast = self.ast;
        let lang = ast.lang;
        let v = ast.unwrap_expr(v);
        let c = ast.call(v)?;
        let mut names: Vec<String> = Vec::new();
        if let Some(p) = ast.path_of(c.callee) {
            names.extend(
                p.split(['.', ':'])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
        }
        let (root, segs) = chain_of(ast, v);
        if let Kind::Name(r) = ast.kind(root) {
            names.push(r.clone());
        }
        names.extend(segs.iter().map(|s| s.to_string()));
        for cc in ast.call_chain(v) {
            if let Some(a) = ast.call(cc).and_then(|c| ast.positional(c).next()) {
                if let Some(p) = ast.path_of(ast.unwrap_expr(a)) {
                    names.push(p);
                }
            }
        }
        let exact = names.iter().find(|n| {
            n.chars().next().is_some_and(|ch| ch.is_ascii_uppercase())
                && (is_user_store_name(n, lang) || self.imports.is_model(n))
        });
        if let Some(e) = exact {
            return Some(model_key(e));
        }
        names
            .iter()
            .find(|n| is_user_store_name(n, lang))
            .map(|n| format!("~{}", model_key(n)))
    }

    /// Whether an expression holds a password in any form (for what is hashed): a
    /// password-named variable, key or field, also inside a concatenation or interpolation
    /// with other values (`salt + password`, `f"{password}{salt}"`). A stored password mixed
    /// with other values is left out: that is a token derived from the stored hash
    /// (`sha256(f"{user.id}{user.password}{ts}")`), not the password.
    pub fn password_in(&self, id: NodeId, text: &str) -> Option<String> {
        let ast = self.ast;
        let v = unwrap_value(ast, id);
        if let Some(s) = self.plaintext(v, text) {
            return Some(s);
        }
        match ast.kind(v) {
            Kind::Name(n) if is_password_name(n) => {
                if n == "pwd" && self.imports.get("pwd").is_some() {
                    return None;
                }
                // assigned a hash: not the password any more
                let assigned = ast
                    .function_ancestors(v)
                    .find_map(|f| assigned_before(ast, n, f, v, true));
                match assigned {
                    Some((_, val)) if self.hashed(val) => None,
                    _ => Some(n.clone()),
                }
            }
            Kind::Binary {
                op: BinOp::Add | BinOp::Mod,
                lhs,
                rhs,
            } => self.mixed_part(&[*lhs, *rhs], text),
            Kind::Str(s) if s.kind == StrKind::Interpolated => self.mixed_part(&s.parts, text),
            Kind::Call(c) if c.is_macro && ast.callee_name(c) == Some("format") => {
                let parts: Vec<NodeId> = c.args.iter().map(|a| a.value).collect();
                self.mixed_part(&parts, text)
            }
            _ => {
                let (obj, key) = keyed(ast, v)?;
                if !is_password_name(key) || self.holder(obj, v, 0) == Holder::Other {
                    return None;
                }
                Some(snippet(text, ast, v))
            }
        }
    }

    /// Whether a value is the result of a hashing call (a KDF or a fast hash).
    fn hashed(&self, v: NodeId) -> bool {
        let v = unwrap_value(self.ast, v);
        self.ast.subtree(v).any(|n| {
            matches!(self.ast.kind(n), Kind::Call(_))
                && (is_hashing_call(self.ast, n) || fast_hash(self.ast, self.imports, n).is_some())
        })
    }

    fn mixed_part(&self, parts: &[NodeId], text: &str) -> Option<String> {
        parts.iter().find_map(|&p| {
            let p = unwrap_value(self.ast, p);
            match self.ast.kind(p) {
                Kind::Binary { .. } | Kind::Str(_) => self.password_in(p, text),
                Kind::Call(c) if c.is_macro => self.password_in(p, text),
                _ => self.plaintext(p, text).or_else(|| match self.ast.kind(p) {
                    Kind::Name(n) if is_password_name(n) => Some(n.clone()),
                    _ => None,
                }),
            }
        })
    }
}

/// The last assignment to `name` in `scope` before `at`, leaving out the one `at` is part of
/// (`password = md5(password.encode())` reads the earlier `password`).
pub fn assigned_before(
    ast: &Ast,
    name: &str,
    scope: NodeId,
    at: NodeId,
    direct: bool,
) -> Option<(NodeId, NodeId)> {
    let mut at = at;
    for _ in 0..4 {
        let (asg, v) = ast.assignment_before(name, scope, at, direct)?;
        if !ast.contains(asg, at) {
            return Some((asg, v));
        }
        at = asg;
    }
    None
}

/// A value typed at a prompt: `getpass()`, `input(..)`, `rpassword::read_password()`.
fn prompted(ast: &Ast, v: NodeId) -> bool {
    ast.call(v).is_some_and(|c| {
        matches!(
            ast.callee_name(c),
            Some("getpass" | "input" | "prompt" | "read_password" | "prompt_password" | "password")
        )
    })
}

/// Parameter types that carry what the client sent: `Json<Login>`, `web::Form<..>`,
/// `OAuth2PasswordRequestForm`, `UserCreate`, `LoginDto`, `z.infer<typeof loginSchema>`.
fn is_input_type(ty: &str) -> bool {
    if ty.is_empty() {
        return false;
    }
    let t = ty.trim_start_matches('&');
    if [
        "Json<",
        "Form<",
        "Query<",
        "web::Json<",
        "web::Form<",
        "web::Query<",
    ]
    .iter()
    .any(|p| t.starts_with(p))
    {
        return true;
    }
    let words = name_words(t);
    words.last().is_some_and(|w| {
        matches!(
            w.as_str(),
            "dto"
                | "input"
                | "request"
                | "form"
                | "payload"
                | "body"
                | "create"
                | "in"
                | "credentials"
                | "schema"
                | "args"
                | "params"
                | "register"
                | "signup"
                | "registration"
                | "login"
        )
    }) || words.iter().any(|w| w == "infer")
}

fn input_named(name: &str) -> bool {
    let words = name_words(name);
    words
        .last()
        .is_some_and(|w| INPUT_WORDS.contains(&w.as_str()))
}

fn snippet(text: &str, ast: &Ast, id: NodeId) -> String {
    let s = ast.span(id);
    let t = text.get(s.start as usize..s.end as usize).unwrap_or("");
    let first = t.lines().next().unwrap_or("").trim();
    let mut out: String = first.chars().take(60).collect();
    if out.len() < first.len() {
        out.push('…');
    }
    out
}

// --- hashing calls ----------------------------------------------------------------------------

/// Whether a call's name says it hashes or encrypts (`make_password`, `bcrypt.hash`,
/// `hash_password`, `argon2.hash`, `encrypt`): its result is not the plaintext.
pub fn is_hashing_call(ast: &Ast, call: NodeId) -> bool {
    let Some(c) = ast.call(call) else {
        return false;
    };
    let name = ast.callee_name(c).unwrap_or("").to_ascii_lowercase();
    let path = ast
        .path_of(c.callee)
        .unwrap_or_default()
        .to_ascii_lowercase();
    [
        "hash",
        "crypt",
        "kdf",
        "argon",
        "scrypt",
        "pbkdf",
        "digest",
        "make_password",
    ]
    .iter()
    .any(|w| name.contains(w) || path.contains(w))
}

// --- writes -----------------------------------------------------------------------------------

/// What a call does with a password field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Writes it (create, update, insert, constructor of a user model).
    Store,
    /// Finds a row by it (`filter(password=..)`, `findOne({ where: { password } })`).
    Lookup,
}

const PY_STORE: &[&str] = &[
    "create",
    "update",
    "get_or_create",
    "update_or_create",
    "values",
    "insert",
    "replace",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "find_one_and_update",
];
const PY_LOOKUP: &[&str] = &[
    "filter",
    "filter_by",
    "get",
    "exclude",
    "get_or_none",
    "get_object_or_404",
    "find_one",
    "find",
    "count_documents",
];
const TS_STORE: &[&str] = &[
    "create",
    "createMany",
    "update",
    "updateMany",
    "upsert",
    "insert",
    "insertOne",
    "insertMany",
    "save",
    "build",
    "updateOne",
    "findOneAndUpdate",
    "findByIdAndUpdate",
    "replaceOne",
    "bulkCreate",
    "values",
    "set",
];
const TS_LOOKUP: &[&str] = &[
    "findOne",
    "findFirst",
    "findUnique",
    "findFirstOrThrow",
    "findUniqueOrThrow",
    "find",
    "findAll",
    "findMany",
    "findBy",
    "findOneBy",
    "findOneOrFail",
    "where",
    "count",
    "exists",
    "first",
];
/// Object keys whose value is the row written or matched (`data`, `where`, `$set`).
const NESTED_KEYS: &[&str] = &[
    "data",
    "where",
    "$set",
    "values",
    "create",
    "update",
    "defaults",
    "set",
    "$setOnInsert",
];

/// The user store a call writes to or reads from, and how, when it is an ORM or driver call
/// on a user-like model, table, repository or collection: `User.objects.create(..)`,
/// `prisma.user.create(..)`, `this.usersRepository.save(..)`, `db.collection("users")
/// .insertOne(..)`, `new User({..})`, `User(..)`.
pub fn user_write(ast: &Ast, imports: &Imports, call: NodeId) -> Option<UserWrite> {
    let c = ast.call(call)?;
    if c.is_macro || c.is_tagged {
        return None;
    }
    let lang = ast.lang;
    let method = ast.callee_name(c)?;
    // constructors: `User(..)`, `new User({..})`
    if let Kind::Name(n) = ast.kind(c.callee) {
        let is_class = n.chars().next().is_some_and(|ch| ch.is_ascii_uppercase());
        let ctor = match lang {
            Lang::Python => is_class,
            Lang::TypeScript => c.is_new,
            Lang::Rust => false,
        };
        if ctor && is_user_store_name(n, lang) {
            return Some(UserWrite {
                how: Use::Store,
                model: model_key(n),
                shown: n.clone(),
                constructor: true,
            });
        }
        if lang == Lang::Python && n == "get_object_or_404" {
            let model = ast.path_of(ast.positional(c).next()?)?;
            return is_user_store_name(&model, lang).then(|| UserWrite {
                how: Use::Lookup,
                model: model_key(&model),
                shown: model,
                constructor: false,
            });
        }
        return None;
    }
    let kind = match lang {
        Lang::Python if PY_STORE.contains(&method) => Use::Store,
        Lang::Python if PY_LOOKUP.contains(&method) => Use::Lookup,
        Lang::TypeScript if TS_STORE.contains(&method) => Use::Store,
        Lang::TypeScript if TS_LOOKUP.contains(&method) => Use::Lookup,
        _ => return None,
    };
    // who is written to: names, string arguments and first arguments along the chain
    let recv = ast.receiver(c)?;
    let mut ids: Vec<String> = Vec::new();
    let mut cur = ast.unwrap_expr(recv);
    for _ in 0..12 {
        match ast.kind(cur) {
            Kind::Member { object, property } => {
                ids.push(property.clone());
                cur = ast.unwrap_expr(*object);
            }
            Kind::Call(cc) => {
                if let Some(a) = ast.positional(cc).next() {
                    let a = ast.unwrap_expr(a);
                    if let Some(s) = ast.plain_str(a) {
                        ids.push(s.to_string());
                    } else if let Some(p) = ast.path_of(a) {
                        ids.push(p);
                    }
                }
                cur = ast.unwrap_expr(cc.callee);
            }
            Kind::Name(n) => {
                ids.push(n.clone());
                break;
            }
            _ => break,
        }
    }
    // `request.POST.get(..)`, `os.environ.get(..)`: not a store; an identity provider hashes
    if ids.iter().any(|i| {
        REQUEST_OBJECTS.contains(&i.as_str())
            || is_config_root(i)
            || HASHING_BACKENDS.contains(&i.as_str())
    }) {
        return None;
    }
    let store = ids
        .iter()
        .find(|i| !i.contains('.') && is_user_store_name(i, lang) || imports.is_model(i))?;
    // Python managers and query sets need a model root: `User.objects`, `User.query`,
    // `session.query(User)`, `insert(users)`; plain methods on a user object
    // (`user.update(..)` of a dict, `profile.get(..)`) are not writes
    if lang == Lang::Python {
        let root = ids.last().map(String::as_str).unwrap_or("");
        let model_root = root
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_uppercase())
            || ids.iter().any(|i| i == "objects" || i == "query")
            || ids.len() >= 2 && store != root;
        if !model_root {
            return None;
        }
    }
    let shown = ast
        .path_of(ast.unwrap_expr(recv))
        .filter(|p| p.len() <= 40)
        .unwrap_or_else(|| store.clone());
    let exact = store
        .chars()
        .next()
        .is_some_and(|ch| ch.is_ascii_uppercase())
        || ids.iter().any(|i| i == "objects" || i == "query")
        || ids.len() >= 2 && ids.last().is_some_and(|r| r == "prisma");
    let model = if exact {
        model_key(store)
    } else {
        format!("~{}", model_key(store))
    };
    Some(UserWrite {
        how: kind,
        model,
        shown,
        constructor: false,
    })
}

/// A write to (or lookup in) a user store, see [`user_write`].
#[derive(Clone, Debug)]
pub struct UserWrite {
    pub how: Use,
    /// The user-like model, table or repository as a [`model_key`]; `~` first when only a
    /// lower-case name says it (`this.usersRepository`, `db.collection("users")`).
    pub model: String,
    /// As a reader names the store: `prisma.user`, `User.objects`, `this.usersRepository`.
    pub shown: String,
    /// The model's constructor (`User(..)`, `new User({..})`).
    pub constructor: bool,
}

/// The password entries of a write's arguments: keyword arguments (`password=..`), object
/// entries (`{ password }`, nested under `data`, `where`, `$set`, `defaults`), and objects built
/// in a local first (`const user = { name, password }; users.insertOne(user)`).
/// (entry key node or value, value, the entry sits under `where`)
pub fn password_entries(ast: &Ast, call: NodeId) -> Vec<(NodeId, NodeId, bool)> {
    let mut out = Vec::new();
    let Some(c) = ast.call(call) else {
        return out;
    };
    for a in &c.args {
        if let Some(name) = &a.name {
            if is_password_name(name) {
                out.push((a.value, a.value, false));
            } else if name == "defaults" {
                object_entries(ast, a.value, false, 0, &mut out);
            }
            continue;
        }
        let mut v = ast.unwrap_expr(a.value);
        if let Kind::Name(n) = ast.kind(v) {
            // `const user = { name, password }; users.insertOne(user)`, also from a callback
            if let Some((_, val)) = ast
                .function_ancestors(call)
                .find_map(|f| assigned_before(ast, n, f, call, true))
            {
                v = ast.unwrap_expr(val);
            }
        }
        object_entries(ast, v, false, 0, &mut out);
    }
    out
}

fn object_entries(
    ast: &Ast,
    obj: NodeId,
    under_where: bool,
    depth: u8,
    out: &mut Vec<(NodeId, NodeId, bool)>,
) {
    let Kind::Object { entries, .. } = ast.kind(obj) else {
        return;
    };
    for e in entries {
        let Some(k) = e.key.as_deref() else { continue };
        if is_password_name(k) {
            out.push((e.key_node.unwrap_or(e.value), e.value, under_where));
        } else if depth < 3 && NESTED_KEYS.contains(&k) {
            let w = under_where || k == "where";
            object_entries(ast, ast.unwrap_expr(e.value), w, depth + 1, out);
        }
    }
}

// --- comparisons ------------------------------------------------------------------------------

/// Constant-time comparison functions (they still compare plaintext when given plaintext).
const COMPARE_FUNCTIONS: &[&str] = &[
    "compare_digest",
    "constant_time_compare",
    "safe_str_cmp",
    "timingSafeEqual",
    "safeCompare",
    "tsscmp",
    "secureCompare",
    "constant_time_eq",
    "verify_slices_are_equal",
    "ct_eq",
];

/// The two sides of an equality test: `a == b`, `a !== b`, `compare_digest(a, b)`,
/// `a.ct_eq(b)`. `text` is the file's text (the operator is read from it).
pub fn equality_sides(ast: &Ast, text: &str, id: NodeId) -> Option<(NodeId, NodeId)> {
    match ast.kind(id) {
        Kind::Binary {
            op: BinOp::Compare,
            lhs,
            rhs,
        } => {
            let between = text
                .get(ast.span(*lhs).end as usize..ast.span(*rhs).start as usize)?
                .trim();
            matches!(between, "==" | "!=" | "===" | "!==").then_some((*lhs, *rhs))
        }
        Kind::Call(c) => {
            let name = ast.callee_name(c)?;
            if !COMPARE_FUNCTIONS.contains(&name) {
                return None;
            }
            let mut pos = ast.positional(c);
            match (pos.next(), pos.next()) {
                (Some(a), Some(b)) => Some((a, b)),
                (Some(b), None) => Some((ast.receiver(c)?, b)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// For a call of a function of this file that only tests two of its parameters for equality
/// (`const comparePassword = (fromDB, fromUser) => fromDB === fromUser`): the two arguments.
pub fn equality_helper_args(ast: &Ast, text: &str, call: NodeId) -> Option<(NodeId, NodeId)> {
    let c = ast.call(call)?;
    let Kind::Name(name) = ast.kind(c.callee) else {
        return None;
    };
    if c.args.len() < 2 {
        return None;
    }
    let func = ast.function_ancestors(call).find_map(|f| {
        let (_, v) = assigned_before(ast, name, f, call, true)?;
        let v = ast.unwrap_expr(v);
        ast.function(v).map(|_| v)
    })?;
    let f = ast.function(func)?;
    let returned = match (f.expr_body, f.body.as_slice()) {
        (Some(e), _) => e,
        (None, [only]) => match ast.kind(*only) {
            Kind::Return(Some(e)) => *e,
            _ => return None,
        },
        (None, [first, ..]) => match ast.kind(*first) {
            Kind::Return(Some(e)) => *e,
            _ => return None,
        },
        _ => return None,
    };
    let (l, r) = equality_sides(ast, text, ast.unwrap_expr(returned))?;
    let pos = |id: NodeId| match ast.kind(ast.unwrap_expr(id)) {
        Kind::Name(n) => f.params.iter().position(|p| &p.name == n),
        _ => None,
    };
    let (i, j) = (pos(l)?, pos(r)?);
    let args: Vec<NodeId> = ast.positional(c).collect();
    Some((*args.get(i)?, *args.get(j)?))
}

// --- raw SQL ----------------------------------------------------------------------------------

/// How a SQL statement uses a password column, if it names one: `INSERT INTO users (.., password)`
/// and `UPDATE users SET password = ..` store, `WHERE password = ..` looks up. A statement that
/// hashes in the database (`crypt(..)`) is left alone; one that hashes with `MD5(..)`/`SHA1(..)`
/// /`SHA2(..)`/`PASSWORD(..)` returns that digest.
pub fn sql_password_use(sql: &str) -> Option<(Use, Option<&'static str>)> {
    let lower = sql.to_ascii_lowercase();
    let names_column = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| !w.is_empty() && is_password_name(w) && w != "pass" && w != "pw");
    if !names_column {
        return None;
    }
    if !(lower.contains("select")
        || lower.contains("insert")
        || lower.contains("update")
        || lower.contains("where"))
    {
        return None;
    }
    if lower.contains("crypt(") || lower.contains("digest(") {
        return None;
    }
    let fast = [
        ("md5(", "MD5"),
        ("sha1(", "SHA-1"),
        ("sha2(", "SHA-2"),
        ("sha256(", "SHA-256"),
        ("password(", "MySQL PASSWORD()"),
    ]
    .iter()
    .find(|(f, _)| lower.contains(f))
    .map(|(_, d)| *d);
    let store = lower.trim_start().starts_with("insert")
        || lower.trim_start().starts_with("update")
        || lower.trim_start().starts_with("replace");
    Some((if store { Use::Store } else { Use::Lookup }, fast))
}

// --- the fix per stack ------------------------------------------------------------------------

/// The password KDF a file's stack should use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Django,
    Python,
    Node,
    Rust,
}

impl Stack {
    pub fn of(lang: Lang, imports: &Imports) -> Stack {
        match lang {
            Lang::Python if imports.uses("django") || imports.uses("rest_framework") => {
                Stack::Django
            }
            Lang::Python => Stack::Python,
            Lang::TypeScript => Stack::Node,
            Lang::Rust => Stack::Rust,
        }
    }
    /// The KDF, in a few words.
    pub fn short(self) -> &'static str {
        match self {
            Stack::Django => "Django's `make_password`",
            Stack::Python => "argon2-cffi's `PasswordHasher` or passlib",
            Stack::Node => "the `argon2` or `bcrypt` package",
            Stack::Rust => "the `argon2` (`password-hash`) or `bcrypt` crate",
        }
    }
    /// How to store a password.
    pub fn store(self) -> &'static str {
        match self {
            Stack::Django => "Django's `make_password(pw)` (or `user.set_password(pw)`, `User.objects.create_user(..)`)",
            Stack::Python => "argon2-cffi's `PasswordHasher().hash(pw)` or a passlib `CryptContext(schemes=[\"argon2\", \"bcrypt\"])`",
            Stack::Node => "`await argon2.hash(pw)` (the `argon2` package) or `await bcrypt.hash(pw, 12)` (`bcrypt`)",
            Stack::Rust => "the `argon2` crate through `password-hash` (`Argon2::default().hash_password(pw, &salt)`) or `bcrypt::hash`",
        }
    }
    /// How to check a password against its stored hash.
    pub fn verify(self) -> &'static str {
        match self {
            Stack::Django => "Django's `check_password(pw, user.password)` (or `user.check_password(pw)`)",
            Stack::Python => "argon2-cffi's `PasswordHasher().verify(hash, pw)` or passlib's `CryptContext.verify`",
            Stack::Node => "`argon2.verify(hash, pw)` or `bcrypt.compare(pw, hash)`",
            Stack::Rust => "`Argon2::default().verify_password(pw, &PasswordHash::new(&hash)?)` or `bcrypt::verify`",
        }
    }
}

// --- project facts ----------------------------------------------------------------------------

/// What a file tells about passwords that other files need.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct PasswordFacts {
    /// Models whose layer hashes passwords as they are set (a validator, setter or save hook),
    /// as [`model_key`]s (`*`: a hook whose model is not known): plaintext written to such a
    /// model's field is hashed on the way.
    pub hashing_models: Vec<String>,
    /// Models whose constructor hashes the password it is given (`User(email, password=pw)`
    /// with `__init__` calling `self.set_password(pw)`): only constructing them is safe.
    pub ctor_hashing_models: Vec<String>,
    /// User-like classes and their bases, as [`model_key`]s (`Admins(Users)`): a subclass
    /// inherits its base's hooks.
    pub model_bases: Vec<(String, Vec<String>)>,
    /// Functions returning a fast hash of one of their parameters (a parameter not named like
    /// a password: `hash = (data) => createHash("md5").update(data).digest("hex")`):
    /// (name, parameter position, digest).
    pub fast_hashers: Vec<(String, usize, String)>,
}

/// Decorators and hook registrations that run when a model field is set or saved.
const HOOK_DECORATORS: &[&str] = &[
    "validates",
    "listens_for",
    "receiver",
    "BeforeInsert",
    "BeforeUpdate",
    "BeforeCreate",
    "BeforeSave",
    "BeforeUpsert",
    "pre",
    "pre_save",
    "before_insert",
    "before_update",
];
const HOOK_METHODS: &[&str] = &[
    "__setattr__",
    "save",
    "beforeCreate",
    "beforeSave",
    "beforeUpdate",
    "beforeInsert",
    "beforeBulkCreate",
    "before_save",
    "before_create",
    "pre_save",
    "set",
];
const HOOK_REGISTRATIONS: &[&str] = &[
    "pre",
    "beforeCreate",
    "beforeSave",
    "beforeUpdate",
    "beforeBulkCreate",
    "beforeBulkUpdate",
    "beforeUpsert",
    "addHook",
    "hook",
    "$use",
    "$extends",
    "listens_for",
    "listen",
];

/// Collects a file's password facts in one pass over its nodes.
pub fn collect_facts(ast: &Ast, imports: &Imports) -> PasswordFacts {
    let mut facts = PasswordFacts::default();
    // (class, method) of methods that assign a hashed password to `self`/`this`
    let mut hashing_methods: Vec<(NodeId, String)> = Vec::new();
    for id in 0..ast.nodes.len() as NodeId {
        match ast.kind(id) {
            // Sequelize `set(v) { this.setDataValue("password", hash(v)) }`
            Kind::Call(c) if ast.callee_name(c) == Some("setDataValue") => {
                let mut pos = ast.positional(c);
                if let (Some(k), Some(v)) = (pos.next(), pos.next()) {
                    if ast.plain_str(k).is_some_and(is_password_name) && hashes_in(ast, v) {
                        add_model(&mut facts, hook_model(ast, id));
                    }
                }
            }
            Kind::Call(_) => {
                if let Some(h) = fast_hash(ast, imports, id) {
                    if let Some(entry) = fast_hasher(ast, id, &h) {
                        if !facts.fast_hashers.contains(&entry) {
                            facts.fast_hashers.push(entry);
                        }
                    }
                }
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } => {
                let key = keyed(ast, ast.unwrap_expr(*target)).map(|(_, k)| k);
                if key.is_some_and(is_password_name) && hashes_in(ast, *v) {
                    if ast.function_ancestors(id).any(|f| is_hook(ast, f)) {
                        add_model(&mut facts, hook_model(ast, id));
                    } else if let Some(f) = ast.enclosing_function(id) {
                        let method = ast.function(f).and_then(|func| func.name.clone());
                        let class = ast
                            .parent(f)
                            .filter(|&p| matches!(ast.kind(p), Kind::Class(_)));
                        if let (Some(m), Some(c)) = (method, class) {
                            hashing_methods.push((c, m));
                        }
                    }
                }
            }
            Kind::Class(c) if !c.bases.is_empty() && is_user_store_name(&c.name, ast.lang) => {
                let bases = c.bases.iter().map(|b| model_key(b)).collect();
                facts.model_bases.push((model_key(&c.name), bases));
            }
            Kind::Function(f) => {
                // `@validates("password")` returning a hash, `@password.setter`
                let validates = f.decorators.iter().any(|d| {
                    let last = d.name.rsplit('.').next().unwrap_or(&d.name);
                    last == "validates"
                        && d.node.is_some_and(|n| {
                            ast.call(n).is_some_and(|c| {
                                ast.positional(c)
                                    .any(|a| ast.plain_str(a).is_some_and(is_password_name))
                            })
                        })
                        || d.name.strip_suffix(".setter").is_some_and(is_password_name)
                });
                let setter = f.name.as_deref().is_some_and(is_password_name)
                    && ast.lang == Lang::TypeScript
                    && ast
                        .parent(id)
                        .is_some_and(|p| matches!(ast.kind(p), Kind::Class(_)));
                if (validates || setter) && f.body.iter().any(|&s| hashes_in(ast, s)) {
                    add_model(&mut facts, hook_model(ast, id));
                }
            }
            _ => {}
        }
    }
    // a constructor that hashes, itself or through a hashing method of its class
    for (class, _) in &hashing_methods {
        let Kind::Class(c) = ast.kind(*class) else {
            continue;
        };
        let key = model_key(&c.name);
        if facts.ctor_hashing_models.contains(&key) {
            continue;
        }
        let ctor = c.body.iter().copied().find(|&m| {
            ast.function(m)
                .and_then(|f| f.name.as_deref())
                .is_some_and(|n| n == "__init__" || n == "constructor" || n == "new")
        });
        let Some(ctor) = ctor else { continue };
        let hashes = ast.subtree(ctor).any(|n| {
            if n == ctor {
                return hashing_methods.iter().any(|(k, m)| {
                    k == class
                        && ast.function(ctor).and_then(|f| f.name.as_deref()) == Some(m.as_str())
                });
            }
            let Some(call) = ast.call(n) else {
                return false;
            };
            let Kind::Member { object, property } = ast.kind(call.callee) else {
                return false;
            };
            matches!(ast.kind(*object), Kind::Name(o) if o == "self" || o == "this")
                && hashing_methods
                    .iter()
                    .any(|(k, m)| k == class && m == property)
        });
        if hashes {
            facts.ctor_hashing_models.push(key);
        }
    }
    facts
}

fn add_model(facts: &mut PasswordFacts, model: String) {
    if !facts.hashing_models.contains(&model) {
        facts.hashing_models.push(model);
    }
}

/// A model, table, repository or collection name reduced to what they share: `User`,
/// `UserModel`, `users`, `usersRepository`, `UserSchema`, `prisma.user` -> `user`.
pub fn model_key(name: &str) -> String {
    let last = name
        .rsplit(['.', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or(name);
    let mut s: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    for suffix in [
        "repository",
        "repo",
        "schema",
        "model",
        "entity",
        "collection",
        "table",
        "col",
        "doc",
        "document",
        "service",
        "dao",
    ] {
        if s.len() > suffix.len() + 2 {
            if let Some(r) = s.strip_suffix(suffix) {
                s = r.to_string();
            }
        }
    }
    if let Some(r) = s.strip_suffix("ies") {
        s = format!("{r}y");
    } else if s.len() > 3 && s.ends_with('s') && !s.ends_with("ss") {
        s.pop();
    }
    s
}

/// The model a hook at `id` belongs to: the class around it, the model a Sequelize
/// `define("User", ..)`/`User.init(..)` or a Mongoose `UserSchema.pre(..)` configures, the
/// `sender=` of a Django signal; `*` when none is named.
fn hook_model(ast: &Ast, id: NodeId) -> String {
    for a in ast.ancestors(id) {
        match ast.kind(a) {
            Kind::Class(c) => return model_key(&c.name),
            Kind::Function(f) => {
                for d in &f.decorators {
                    let sender = d
                        .node
                        .and_then(|n| ast.call(n))
                        .and_then(|c| ast.kwarg(c, "sender"))
                        .and_then(|s| ast.path_of(s));
                    if let Some(s) = sender {
                        return model_key(&s);
                    }
                }
            }
            Kind::Call(c) => {
                let name = ast.callee_name(c).unwrap_or("");
                if name == "define" {
                    if let Some(m) = ast.positional(c).next().and_then(|a| ast.plain_str(a)) {
                        return model_key(m);
                    }
                }
                if name == "init" || HOOK_REGISTRATIONS.contains(&name) {
                    if let Some(r) = ast
                        .receiver(c)
                        .and_then(|r| ast.path_of(ast.unwrap_expr(r)))
                    {
                        if is_user_store_name(&r, ast.lang) || r.ends_with("Schema") {
                            return model_key(&r);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    "*".to_string()
}

/// Whether a subtree calls something that hashes.
fn hashes_in(ast: &Ast, id: NodeId) -> bool {
    ast.subtree(id)
        .any(|n| matches!(ast.kind(n), Kind::Call(_)) && is_hashing_call(ast, n))
}

/// Whether a function runs when a model field is set or a row saved.
fn is_hook(ast: &Ast, f: NodeId) -> bool {
    let Some(func) = ast.function(f) else {
        return false;
    };
    if func.decorators.iter().any(|d| {
        let last = d.name.rsplit('.').next().unwrap_or(&d.name);
        HOOK_DECORATORS.contains(&last) || last == "setter"
    }) {
        return true;
    }
    let in_class = ast
        .ancestors(f)
        .any(|a| matches!(ast.kind(a), Kind::Class(_)));
    if func.name.as_deref().is_some_and(|n| {
        HOOK_METHODS.contains(&n) && (in_class || n == "set" || n.starts_with("before"))
    }) {
        return true;
    }
    // a callback handed to `schema.pre("save", ..)`, `User.beforeCreate(..)`, or an entry
    // `hooks: { beforeCreate: .. }`
    ast.ancestors(f).take(3).any(|a| match ast.kind(a) {
        Kind::Call(c) => ast
            .callee_name(c)
            .is_some_and(|n| HOOK_REGISTRATIONS.contains(&n)),
        Kind::Object { entries, .. } => entries.iter().any(|e| {
            ast.contains(e.value, f) && e.key.as_deref().is_some_and(|k| HOOK_METHODS.contains(&k))
        }),
        _ => false,
    })
}

/// `(name, parameter, digest)` when the fast hash `call` hashes a parameter of a named,
/// top-level function and the function returns the digest.
fn fast_hasher(ast: &Ast, call: NodeId, h: &FastHash) -> Option<(String, usize, String)> {
    let input = unwrap_value(ast, h.input?);
    let Kind::Name(n) = ast.kind(input) else {
        return None;
    };
    let f = ast.enclosing_function(call)?;
    let func = ast.function(f)?;
    let i = func.params.iter().position(|p| &p.name == n)?;
    if is_password_name(n) {
        return None; // reported inside the function itself
    }
    if ast.function_ancestors(f).next().is_some() {
        return None; // nested: not callable from elsewhere
    }
    // Rust: the tail expression of the body is returned
    let tail = ast.lang == Lang::Rust && func.body.last().is_some_and(|&t| ast.contains(t, call));
    let returned = tail
        || func.expr_body.is_some_and(|b| ast.contains(b, call))
        || ast
            .ancestors(call)
            .take_while(|&a| a != f)
            .any(|a| matches!(ast.kind(a), Kind::Return(_)));
    if !returned {
        return None;
    }
    let name = crate::imports::function_name(ast, f)?;
    Some((name, i, h.algo.clone()))
}

/// A fast-hash wrapper of the project, by name.
#[derive(Clone, Debug)]
pub struct FastHasher {
    pub path: PathBuf,
    pub module: String,
    pub param: usize,
    pub algo: String,
}

/// The project's password facts merged.
#[derive(Debug, Default)]
pub struct PasswordIndex {
    /// Models whose layer hashes passwords as they are set ([`model_key`]s, `*`: unknown).
    pub hashing_models: std::collections::HashSet<String>,
    /// Models whose constructor hashes the password it is given.
    pub ctor_hashing_models: std::collections::HashSet<String>,
    /// User-like model -> its bases.
    pub model_bases: HashMap<String, Vec<String>>,
    pub fast_hashers: HashMap<String, Vec<FastHasher>>,
}

impl PasswordIndex {
    pub fn add(&mut self, path: &Path, module: &str, facts: PasswordFacts) {
        self.hashing_models.extend(facts.hashing_models);
        self.ctor_hashing_models.extend(facts.ctor_hashing_models);
        for (m, bases) in facts.model_bases {
            self.model_bases.entry(m).or_default().extend(bases);
        }
        for (name, param, algo) in facts.fast_hashers {
            self.fast_hashers.entry(name).or_default().push(FastHasher {
                path: path.to_path_buf(),
                module: module.to_string(),
                param,
                algo,
            });
        }
    }

    /// Whether the model layer hashes the passwords written to `model` ([`model_key`]; a key
    /// starting with `~` was guessed from a variable name: a hashing model whose key contains it
    /// or is contained in it counts, `newUser` for `UserEntity`), when set on a record or, with
    /// `constructor`, given to the model's constructor.
    pub fn model_hashes(&self, model: &str, constructor: bool) -> bool {
        if self.hashing_models.contains("*") {
            return true;
        }
        if let Some(guess) = model.strip_prefix('~') {
            let near = |h: &String| guess.contains(h.as_str()) || h.contains(guess);
            return self.hashing_models.iter().any(near)
                || constructor && self.ctor_hashing_models.iter().any(near);
        }
        let mut seen = vec![model];
        let mut i = 0;
        while i < seen.len() && i < 16 {
            let m = seen[i];
            if self.hashing_models.contains(m)
                || constructor && self.ctor_hashing_models.contains(m)
            {
                return true;
            }
            for b in self.model_bases.get(m).into_iter().flatten() {
                if !seen.contains(&b.as_str()) {
                    seen.push(b);
                }
            }
            i += 1;
        }
        false
    }

    /// The digest of the project function `name` that a call in `from` resolves to (imported
    /// from `module`, or defined in `from` itself when `module` is `None`), when it returns a
    /// fast hash of its parameter `arg`.
    pub fn fast_hasher(
        &self,
        from: &Path,
        module: Option<&str>,
        name: &str,
        arg: usize,
    ) -> Option<&FastHasher> {
        let found = self.fast_hashers.get(name)?;
        found
            .iter()
            .filter(|h| {
                h.param == arg
                    && match module {
                        None => h.path == from,
                        Some(m) => crate::imports::ends_with_segments(
                            &h.module,
                            &crate::imports::normalise_module(from, m),
                        ),
                    }
            })
            .min_by(|a, b| a.path.cmp(&b.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_names() {
        for yes in [
            "password",
            "new_password",
            "newPassword",
            "password_confirm",
            "password2",
            "userPassword",
            "pwd",
            "passwd",
            "pass",
            "user_pass",
            "raw_password",
            "clearTextPassword",
            "PASSWORD",
            "current_password",
        ] {
            assert!(is_password_name(yes), "{yes}");
        }
        for no in [
            "password_hash",
            "hashed_password",
            "passwordHash",
            "reset_password_token",
            "passwordResetToken",
            "password_changed_at",
            "is_password_set",
            "smtp_password",
            "EMAIL_HOST_PASSWORD",
            "db_password",
            "first_pass",
            "pass_count",
            "bypass",
            "min_password_length",
            "check_password",
            "encrypted_password",
            "password_digest",
            "master_password_hash",
        ] {
            assert!(!is_password_name(no), "{no}");
        }
    }

    #[test]
    fn user_stores() {
        for yes in [
            "User",
            "users",
            "AppUser",
            "prisma.user",
            "usersRepository",
            "CustomerModel",
        ] {
            assert!(is_user_store_name(yes, Lang::TypeScript), "{yes}");
        }
        for no in [
            "UserCreate",
            "LoginRequest",
            "UserDto",
            "Order",
            "UserResponse",
        ] {
            assert!(!is_user_store_name(no, Lang::TypeScript), "{no}");
        }
        assert!(is_user_store_name("NewUser", Lang::Rust));
        assert!(is_user_store_name("CreateUser", Lang::Rust));
    }

    #[test]
    fn sql_columns() {
        assert_eq!(
            sql_password_use("INSERT INTO users (name, password) VALUES (%s, %s)"),
            Some((Use::Store, None))
        );
        assert_eq!(
            sql_password_use("SELECT * FROM users WHERE name = ? AND password = MD5(?)"),
            Some((Use::Lookup, Some("MD5")))
        );
        assert_eq!(
            sql_password_use("SELECT id, password_hash FROM users WHERE email = $1"),
            None
        );
        assert_eq!(
            sql_password_use("UPDATE users SET password = crypt($1, gen_salt('bf'))"),
            None
        );
    }
}
