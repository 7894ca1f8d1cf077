//! Calls that change something outside the process: database writes ([`orm::query_call`]
//! writes, raw `INSERT`/`UPDATE`/`DELETE`, commits, model `save()`, project functions named for a
//! write that are handed a connection), outbound requests that send data (the
//! [`http_clients`] POST/PUT/PATCH/DELETE calls, `fetch` with a non-GET `method`, Rust
//! `.post(..)...send()`), file writes, message-queue publishes and e-mail sends.
//!
//! Not writes here: reads and lookups, cache writes (a cache is best-effort by design), file
//! and temporary-object deletions (best-effort clean-up), and in-process channel sends
//! (`tx.send(..)` fails only when the receiver has gone, which a shutting-down task expects).
//! `swallowed-error` reads this: an error dropped around one of these loses data unseen.

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::config::Config;
use crate::imports::Imports;
use crate::knowledge::{http_clients, orm};

/// What a write changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Database,
    Network,
    File,
    Queue,
    Mail,
}

impl Effect {
    pub fn noun(self) -> &'static str {
        match self {
            Effect::Database => "a database write",
            Effect::Network => "an outbound request",
            Effect::File => "a file write",
            Effect::Queue => "a queue publish",
            Effect::Mail => "an e-mail send",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Write {
    pub effect: Effect,
    /// The call as a reviewer reads it (first line, shortened).
    pub what: String,
}

/// First words of project functions that write (`mark_read_by_post`, `delete_all_by_email`,
/// `accept_invite`, `createUser`), when they are handed a database connection. Undoing a
/// relation (`unfollow`, `unsubscribe`, `unblock`) is left out: the relation is often already
/// gone, and an error then is the expected answer, like a missing file on a best-effort delete.
const WRITE_VERBS: &[&str] = &[
    "save",
    "create",
    "insert",
    "update",
    "delete",
    "remove",
    "upsert",
    "mark",
    "set",
    "add",
    "clear",
    "clean",
    "purge",
    "accept",
    "activate",
    "deactivate",
    "block",
    "follow",
    "ban",
    "subscribe",
    "store",
    "persist",
    "write",
    "record",
    "increment",
    "decrement",
    "reset",
    "restore",
    "archive",
    "revoke",
    "approve",
    "reject",
    "assign",
    "link",
    "enable",
    "disable",
    "register",
    "bulk",
    "commit",
];

/// Names a database handle goes by when passed to a function (`conn`, `&mut context.pool()`,
/// `session=session`, `db`, `tx`).
const DB_HANDLES: &[&str] = &[
    "conn",
    "connection",
    "pool",
    "db",
    "session",
    "tx",
    "txn",
    "transaction",
    "executor",
    "trx",
    "prisma",
];

/// Python/TS/Rust callee names that send e-mail whatever they are called on.
const MAIL_CALLS: &[&str] = &[
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "send_email",
    "send_html_mail",
    "sendmail",
    "send_message",
    "sendMail",
    "sendEmail",
];

/// Calls that enqueue or publish whatever they are called on.
const QUEUE_CALLS: &[&str] = &[
    "delay",
    "apply_async",
    "send_task",
    "enqueue",
    "basic_publish",
    "sendToQueue",
    "lpush",
    "rpush",
    "xadd",
    "send_message_batch",
];

/// Receivers whose `send`/`publish`/`add`/`produce` sends a message or a mail (not an
/// in-process channel).
const SENDER_RECEIVERS: &[&str] = &[
    "mail",
    "mailer",
    "transport",
    "transporter",
    "smtp",
    "sgmail",
    "sendgrid",
    "ses",
    "sqs",
    "sns",
    "producer",
    "queue",
    "publisher",
    "kafka",
    "rabbit",
    "amqp",
    "pubsub",
    "topic",
    "exchange",
];

/// File-writing functions by the last segment of their path.
const FILE_CALLS: &[&str] = &[
    // Python
    "write_text",
    "write_bytes",
    "copyfile",
    "copy2",
    "copytree",
    "writelines",
    // TS/JS
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "createWriteStream",
    "copyFile",
    "copyFileSync",
    "writeJson",
    "writeJSON",
    "outputFile",
    "outputJson",
    // Rust
    "write_all",
    "sync_all",
];

/// Object-store uploads (boto3, AWS SDK v2, GCS, Azure, opendal).
const UPLOAD_CALLS: &[&str] = &[
    "put_object",
    "upload_file",
    "upload_fileobj",
    "putObject",
    "upload",
    "upload_blob",
    "upload_from_string",
    "upload_from_filename",
];

const HTTP_WRITE_VERBS: &[&str] = &["post", "put", "patch", "delete"];

/// The write a call makes, if it is one.
pub fn write_call(ast: &Ast, imports: &Imports, config: &Config, call: NodeId) -> Option<Write> {
    let c = ast.call(call)?;
    let name = ast.callee_name(c)?;
    let what = |ast: &Ast| shown(ast, call);
    // database, through the ORM tables; a JS chain ends at `.then`/`.catch`/`.finally`
    let query = if ast.lang == Lang::TypeScript && promise_handler_follows(ast, call) {
        orm::chain_query(ast, imports, config, call)
    } else {
        orm::query_call(ast, imports, config, call)
    };
    if let Some(q) = query {
        let write = match q.kind {
            orm::QueryKind::Write => true,
            orm::QueryKind::Raw => q
                .sql
                .and_then(|s| orm::sql_text(ast, s))
                .is_some_and(|t| orm::is_write_sql(&t.to_ascii_uppercase())),
            _ => false,
        };
        if write {
            return Some(Write {
                effect: Effect::Database,
                what: q.display,
            });
        }
        if matches!(q.kind, orm::QueryKind::Read | orm::QueryKind::Count) {
            return None;
        }
    }
    let recv = ast.receiver(c);
    let recv_last = recv
        .and_then(|r| receiver_name(ast, r))
        .map(|s| s.trim_start_matches('_').to_ascii_lowercase());
    let recv_is = |words: &[&str]| {
        recv_last
            .as_deref()
            .is_some_and(|r| words.iter().any(|w| r.contains(w)))
    };
    let cache_like = recv_is(&["cache", "redis", "memo", "storage_cache"]);
    let mk = |effect| {
        Some(Write {
            effect,
            what: what(ast),
        })
    };
    // commits and saves
    if matches!(name, "commit" | "flush") && recv.is_some_and(|r| orm::is_sql_receiver(ast, r)) {
        return mk(Effect::Database);
    }
    if name == "save" && !cache_like && recv.is_some() && !recv_is(&["session"])
        || name == "save" && recv_is(&["session"]) && ast.lang == Lang::Python
    {
        let what = what(ast);
        let file = c
            .args
            .iter()
            .any(|a| matches!(ast.kind(a.value), Kind::Str(_)) || a.name.as_deref() == Some("fp"));
        return Some(Write {
            effect: if file { Effect::File } else { Effect::Database },
            what,
        });
    }
    // mail and queues
    if MAIL_CALLS.contains(&name) {
        return mk(Effect::Mail);
    }
    // a Redis list, stream or channel is a queue, not a cache
    if QUEUE_CALLS.contains(&name) || name == "publish" && recv_is(&["redis"]) {
        return mk(Effect::Queue);
    }
    // a row deleting itself: Django `order.delete()`, Sequelize `row.destroy()`, Mongoose
    // `doc.remove()`, `deleteOne()`
    if matches!(name, "delete" | "destroy" | "remove" | "deleteOne")
        && c.args.is_empty()
        && ast.lang != Lang::Rust
        && recv.is_some_and(|r| {
            matches!(
                ast.kind(ast.unwrap_expr(r)),
                Kind::Name(_) | Kind::Member { .. }
            )
        })
        && !cache_like
        && !recv_is(&[
            "session", "file", "path", "tmp", "temp", "dir", "window", "storage", "el", "node",
            "cookie", "timer", "queue", "set", "map", "list", "params",
        ])
    {
        return mk(Effect::Database);
    }
    if matches!(
        name,
        "send" | "publish" | "produce" | "add" | "send_message" | "sendMessage" | "send_messages"
    ) && recv_is(SENDER_RECEIVERS)
        && !recv_is(&["tx", "sender", "chan"])
    {
        let mail = recv_is(&["mail", "smtp", "transport", "sgmail", "sendgrid", "ses"]);
        return mk(if mail { Effect::Mail } else { Effect::Queue });
    }
    if name == "send" && ast.lang == Lang::Python && recv_is(&["email", "message", "msg"]) {
        // Django `EmailMessage(..).send()`, `msg.send()`
        return mk(Effect::Mail);
    }
    // files
    if FILE_CALLS.contains(&name) || UPLOAD_CALLS.contains(&name) && recv.is_some() {
        return mk(Effect::File);
    }
    if let Some(w) = file_write(ast, imports, call, name) {
        return Some(w);
    }
    // outbound requests that send data
    if let Some(w) = http_write(ast, imports, call, name) {
        return Some(w);
    }
    // project functions that write, handed a connection
    if first_word(name).is_some_and(|w| WRITE_VERBS.contains(&w.as_str()))
        && !cache_like
        && c.args.iter().any(|a| is_db_handle(ast, a.value))
    {
        return mk(Effect::Database);
    }
    None
}

/// `open(p, "w")`, `json.dump(x, f)`, `shutil.move`, `os.replace`, `fs::write`,
/// `File::create`, `fs.rename`.
fn file_write(ast: &Ast, imports: &Imports, call: NodeId, name: &str) -> Option<Write> {
    let c = ast.call(call)?;
    let q = imports.qualify(ast, c.callee).unwrap_or_default();
    let q = q.as_str();
    let hit = match ast.lang {
        Lang::Python => {
            (name == "open" || q == "io.open" || q == "codecs.open")
                && open_mode(ast, c).is_some_and(|m| m.contains(['w', 'a', 'x', '+']))
                && !touched_only(ast, call)
                || matches!(
                    q,
                    "json.dump" | "pickle.dump" | "yaml.dump" | "yaml.safe_dump"
                ) && c.args.len() >= 2
                || matches!(
                    q,
                    "shutil.copy" | "shutil.move" | "os.rename" | "os.replace" | "os.write"
                )
        }
        Lang::TypeScript => {
            matches!(name, "rename" | "renameSync" | "copy")
                && (q.starts_with("fs") || q.contains("fs.") || q.starts_with("node:fs"))
        }
        Lang::Rust => {
            q.ends_with("fs::write")
                || q.ends_with("fs::rename")
                || q.ends_with("fs::copy")
                || q.ends_with("File::create")
        }
    };
    hit.then(|| Write {
        effect: Effect::File,
        what: shown(ast, call),
    })
}

/// `x.then(..)`, `x.catch(..)`, `x.finally(..)` follows the call `x`.
fn promise_handler_follows(ast: &Ast, call: NodeId) -> bool {
    ast.parent(call).is_some_and(|m| {
        matches!(ast.kind(m), Kind::Member { object, property }
            if *object == call && matches!(property.as_str(), "then" | "catch" | "finally"))
    })
}

/// `open(path, "a").close()`: creates an empty file, writes no data.
fn touched_only(ast: &Ast, call: NodeId) -> bool {
    ast.parent(call)
        .filter(|&m| matches!(ast.kind(m), Kind::Member { property, .. } if property == "close"))
        .is_some()
}

fn open_mode(ast: &Ast, c: &crate::ast::Call) -> Option<String> {
    let mode = ast.kwarg(c, "mode").or_else(|| ast.positional(c).nth(1))?;
    ast.plain_str(mode).map(str::to_string)
}

/// `requests.post(..)`, `httpx.put(..)`, `axios.delete(..)`, `fetch(url, { method: "POST" })`,
/// `client.post(url).json(&body).send()`.
fn http_write(ast: &Ast, imports: &Imports, call: NodeId, name: &str) -> Option<Write> {
    let c = ast.call(call)?;
    let hit = if let Some(api) = http_clients::api(ast, imports, call) {
        if api.role != http_clients::Role::Request {
            false
        } else {
            let last = api.path.rsplit(['.', ':']).next().unwrap_or(api.path);
            if HTTP_WRITE_VERBS.contains(&last) {
                true
            } else if api.library.name == "fetch" || last == "fetch" {
                ast.positional(c)
                    .nth(1)
                    .and_then(|init| ast.entry(init, "method"))
                    .and_then(|e| ast.plain_str(e.value))
                    .is_some_and(|m| {
                        !m.eq_ignore_ascii_case("get") && !m.eq_ignore_ascii_case("head")
                    })
            } else if last == "request" {
                ast.positional(c)
                    .next()
                    .and_then(|m| ast.plain_str(m))
                    .is_some_and(|m| HTTP_WRITE_VERBS.contains(&m.to_ascii_lowercase().as_str()))
            } else {
                false
            }
        }
    } else if HTTP_WRITE_VERBS.contains(&name) && ast.lang != Lang::Rust {
        // a method call on an HTTP client instance: `session.post`, `this.http.put`, `api.delete`
        let recv = ast.receiver(c).and_then(|r| receiver_name(ast, r));
        recv.is_some_and(|r| {
            let r = r.to_ascii_lowercase();
            (r.contains("http")
                || r.contains("axios")
                || r == "session"
                || r.ends_with("_session")
                || r.contains("webhook")
                || r == "api"
                || r.ends_with("api")
                || r == "client"
                || r.ends_with("apiclient")
                || r == "requests"
                || r == "got"
                || r == "ky")
                && !r.contains("cache")
        }) && c.args.first().is_some_and(|a| {
            // a URL first: a string, a template, or a url-named value
            matches!(ast.kind(a.value), Kind::Str(_))
                || ast
                    .path_of(a.value)
                    .is_some_and(|p| p.to_ascii_lowercase().contains("url"))
        })
    } else if ast.lang == Lang::Rust && name == "send" {
        // reqwest: `client.post(url).json(&body).send().await`
        ast.call_chain(call).iter().any(|&k| {
            ast.call(k)
                .and_then(|kc| ast.callee_name(kc))
                .is_some_and(|n| HTTP_WRITE_VERBS.contains(&n))
        })
    } else {
        false
    };
    hit.then(|| Write {
        effect: Effect::Network,
        what: shown(ast, call),
    })
}

/// `conn`, `&mut conn`, `&mut context.pool()`, `session=session`, `db.session`, `tx`.
fn is_db_handle(ast: &Ast, arg: NodeId) -> bool {
    let arg = ast.unwrap_expr(arg);
    let name = match ast.kind(arg) {
        Kind::Call(c) => {
            // `context.pool()`, `conn.into()`, `pool.get()`
            let n = ast.callee_name(c).unwrap_or("");
            if matches!(n, "pool" | "conn" | "connection" | "db") {
                return true;
            }
            if matches!(n, "into" | "as_mut" | "clone" | "get") {
                return ast.receiver(c).is_some_and(|r| is_db_handle(ast, r));
            }
            return false;
        }
        _ => match receiver_name(ast, arg) {
            Some(n) => n,
            None => return false,
        },
    };
    let n = name.trim_start_matches('_').to_ascii_lowercase();
    DB_HANDLES
        .iter()
        .any(|h| n == *h || n.ends_with(&format!("_{h}")))
        || n == "db_session"
        || n == "dbconn"
}

/// The last segment of a receiver as written: `mailer` in `self.mailer`, `session` in
/// `db.session`, `queue` in `this.emailQueue` (lower-cased by the caller).
fn receiver_name(ast: &Ast, id: NodeId) -> Option<&str> {
    let id = ast.unwrap_expr(id);
    match ast.kind(id) {
        Kind::Name(n) => Some(n.rsplit("::").next().unwrap_or(n)),
        Kind::Member { property, .. } => Some(property),
        Kind::Call(c) => {
            // `get_queue()`, `EmailMessage(..)`, `smtplib.SMTP(..)`
            ast.callee_name(c)
        }
        _ => None,
    }
}

/// The first word of a snake_case or camelCase name, lower-cased.
fn first_word(name: &str) -> Option<String> {
    let name = name.trim_start_matches('_');
    let end = name
        .char_indices()
        .skip(1)
        .find(|&(_, ch)| ch == '_' || ch.is_ascii_uppercase())
        .map_or(name.len(), |(i, _)| i);
    let w = &name[..end];
    (!w.is_empty()).then(|| w.to_ascii_lowercase())
}

/// A call's callee and a short argument list, as a reviewer reads it: `Order.objects.create(…)`.
fn shown(ast: &Ast, call: NodeId) -> String {
    let Some(c) = ast.call(call) else {
        return String::new();
    };
    let callee = ast.path_of(c.callee).unwrap_or_else(|| {
        ast.callee_name(c)
            .map(|n| format!("….{n}"))
            .unwrap_or_default()
    });
    if c.args.is_empty() {
        format!("{callee}()")
    } else {
        format!("{callee}(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::first_word;

    #[test]
    fn first_words() {
        assert_eq!(first_word("mark_read_by_post").as_deref(), Some("mark"));
        assert_eq!(first_word("createUser").as_deref(), Some("create"));
        assert_eq!(first_word("_save").as_deref(), Some("save"));
        assert_eq!(first_word("delete").as_deref(), Some("delete"));
    }
}
