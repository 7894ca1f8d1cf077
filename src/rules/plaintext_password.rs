//! `plaintext-password`: a user's password stored or compared as typed, or hashed with a fast
//! general-purpose digest.
//!
//! Four shapes, each needing a password on one side ([`passwords::is_password_name`] names it;
//! the value's origin is read by [`passwords::Scope`]):
//! - a fast hash (`hashlib.md5`, `createHash("sha256").update(..)`, `Sha256::digest`) whose
//!   input holds a password, directly or through a project function that returns a fast hash
//!   of its parameter (`security.hash(req.body.password)`, resolved on the project index);
//! - a write of a plaintext password to a user's password field: an ORM create/update, a model
//!   constructor, `user.password = ..`, a Rust insertable struct, diesel `.set(password.eq(..))`,
//!   raw SQL `INSERT`/`UPDATE` binding it;
//! - a lookup by the plaintext password (`filter(password=..)`, `findOne({ where: { password } })`,
//!   `WHERE password = ?`);
//! - a comparison of a stored password (`user.password`) with a plaintext one.
//!
//! Writes and lookups through the model layer are dropped when the project's models hash
//! passwords as they are set (a validator, setter or save hook; see
//! [`passwords::PasswordFacts`]). Both sides from the request (`password == confirm`) is a
//! confirmation check, not a comparison with what is stored.

use crate::ast::{Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::knowledge::passwords::{self, Scope, Stack, Use};
use crate::knowledge::{lifecycle, sql};

pub struct PlaintextPassword;

impl Rule for PlaintextPassword {
    fn id(&self) -> &'static str {
        "plaintext-password"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[
            KindTag::Call,
            KindTag::Binary,
            KindTag::Assign,
            KindTag::Object,
        ]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        match cx.ast.kind(node) {
            Kind::Call(_) => {
                let _ = fast_hash(cx, node)
                    || compare(cx, node)
                    || orm_write(cx, node)
                    || diesel_column(cx, node)
                    || raw_sql(cx, node)
                    || hashing_helper(cx, node);
            }
            Kind::Binary { .. } => {
                compare(cx, node);
            }
            Kind::Assign { .. } => attribute_store(cx, node),
            Kind::Object { .. } => struct_literal(cx, node),
            _ => {}
        }
    }
}

fn scope<'a>(cx: &Ctx<'a>) -> Scope<'a> {
    Scope {
        ast: cx.ast,
        imports: &cx.facts.imports,
        handlers: &cx.facts.handlers,
    }
}

fn stack(cx: &Ctx) -> Stack {
    Stack::of(cx.ast.lang, &cx.facts.imports)
}

fn help(cx: &Ctx) -> String {
    let s = stack(cx);
    format!(
        "store only a slow, salted hash: {}; check a login with {}",
        s.store(),
        s.verify()
    )
}

fn in_tests(cx: &Ctx, node: NodeId) -> bool {
    lifecycle::in_test_code(cx.ast, node)
}

/// `hashlib.md5(password.encode())`, `createHash("sha256").update(password)`,
/// `Sha256::digest(form.password.as_bytes())`.
fn fast_hash(cx: &mut Ctx, node: NodeId) -> bool {
    let Some(h) = passwords::fast_hash(cx.ast, &cx.facts.imports, node) else {
        return false;
    };
    let Some(input) = h.input else {
        return true;
    };
    let Some(what) = scope(cx).password_in(input, &cx.file.text) else {
        return true;
    };
    if h.algo == "SHA-1" && pwned_range_check(cx) || part_of_kdf(cx, node) {
        return true;
    }
    if in_tests(cx, node) {
        return true;
    }
    let message = format!(
        "password `{what}` is hashed with {}, a fast hash that is cheap to brute-force: use {} instead",
        h.algo,
        stack(cx).short()
    );
    let f = cx.finding(cx.call_site(node), message).help(help(cx));
    cx.emit(f);
    true
}

/// The Have I Been Pwned range API takes the first five hex digits of a SHA-1 of the password:
/// that SHA-1 is the protocol, not storage.
fn pwned_range_check(cx: &Ctx) -> bool {
    let text = &cx.file.text;
    cx.ast
        .verdict("plaintext-password:pwned", crate::ast::ROOT, || {
            text.contains("pwnedpasswords") || text.contains("haveibeenpwned")
        })
}

/// A digest that is one step of a password hasher: inside a hasher class (a Django
/// `PasswordHasher` subclass, a passlib handler) or in a function that also runs a KDF
/// (`pbkdf2_hmac(.., sha256(pw).digest(), ..)`, a legacy scheme re-wrapped in PBKDF2).
fn part_of_kdf(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let in_hasher_class = ast.ancestors(node).any(|a| match ast.kind(a) {
        Kind::Class(c) => {
            c.name.ends_with("Hasher")
                || c.bases
                    .iter()
                    .any(|b| b.ends_with("Hasher") || b.ends_with("Handler"))
        }
        _ => false,
    });
    if in_hasher_class {
        return true;
    }
    let Some(f) = ast.function_ancestors(node).last() else {
        return false;
    };
    ast.verdict("plaintext-password:kdf", f, || {
        ast.subtree(f).any(|n| {
            ast.call(n).is_some_and(|c| {
                let name = ast.callee_name(c).unwrap_or("").to_ascii_lowercase();
                [
                    "pbkdf2",
                    "scrypt",
                    "argon2",
                    "bcrypt",
                    "hashpw",
                    "hkdf",
                    "hash_password",
                ]
                .iter()
                .any(|k| name.contains(k))
            })
        })
    })
}

/// `user.password == password`, `compare_digest(row["password"], form.password.data)`.
fn compare(cx: &mut Ctx, node: NodeId) -> bool {
    let sides = passwords::equality_sides(cx.ast, &cx.file.text, node)
        .or_else(|| passwords::equality_helper_args(cx.ast, &cx.file.text, node));
    let Some((a, b)) = sides else {
        return false;
    };
    let sc = scope(cx);
    let text = &cx.file.text;
    let pair = match (sc.stored(a, text), sc.stored(b, text)) {
        (Some(s), None) => sc.plaintext(b, text).map(|p| (s, p)),
        (None, Some(s)) => sc.plaintext(a, text).map(|p| (s, p)),
        _ => None,
    };
    let Some((stored, plain)) = pair else {
        // a constant-time comparison function is nothing else
        return matches!(cx.ast.kind(node), Kind::Call(_));
    };
    if in_tests(cx, node) {
        return true;
    }
    let message = format!(
        "`{stored}` is compared with the plaintext password `{plain}`, so passwords are stored unhashed: store a hash with {} and verify it with its check function",
        stack(cx).short()
    );
    let f = cx.finding(cx.first_line(node), message).help(help(cx));
    cx.emit(f);
    true
}

/// `User.objects.create(password=request.POST["password"])`, `prisma.user.create({ data: {
/// password } })`, `new User({ password: req.body.password })`, `filter(password=..)`.
fn orm_write(cx: &mut Ctx, node: NodeId) -> bool {
    let Some(write) = passwords::user_write(cx.ast, &cx.facts.imports, node) else {
        return false;
    };
    let (how, store) = (write.how, write.shown.as_str());
    let sc = scope(cx);
    let mut found = Vec::new();
    for (key, value, under_where) in passwords::password_entries(cx.ast, node) {
        if let Some(plain) = sc.plaintext(value, &cx.file.text) {
            let how = if under_where { Use::Lookup } else { how };
            found.push((key, plain, how));
        }
    }
    if found.is_empty() {
        return false;
    }
    if in_tests(cx, node) || how == Use::Store && rehashed_after(cx, node) {
        return true;
    }
    let django_create = stack(cx) == Stack::Django
        && cx.ast.call(node).and_then(|c| cx.ast.callee_name(c)) == Some("create");
    for (key, plain, how) in found {
        let message = match how {
            Use::Store if django_create => format!(
                "plaintext password `{plain}` is stored in `{store}`: `objects.create` does not hash it; use `objects.create_user(..)` or `make_password(..)`"
            ),
            Use::Store => format!(
                "plaintext password `{plain}` is stored in `{store}`: hash it first with {}",
                stack(cx).short()
            ),
            Use::Lookup => format!(
                "`{store}` is looked up by the plaintext password `{plain}`, so passwords are stored unhashed: store a hash with {} and verify it with its check function",
                stack(cx).short()
            ),
        };
        let f = cx
            .finding(cx.first_line(key), message)
            .help(help(cx))
            .label(cx.call_site(node), "written or queried here")
            .condition(Condition::UnlessModelHashesPasswords {
                model: write.model.clone(),
                constructor: write.constructor,
            });
        cx.emit(f);
    }
    true
}

/// `user = User.objects.create(.., password=raw); user.set_password(raw); user.save()`: the
/// record built by the write gets a hashed password before the function ends.
fn rehashed_after(cx: &Ctx, call: NodeId) -> bool {
    let ast = cx.ast;
    let Some(asg) = ast
        .ancestors(call)
        .take(3)
        .find(|&a| matches!(ast.kind(a), Kind::Assign { .. }))
    else {
        return false;
    };
    let Kind::Assign { target, .. } = ast.kind(asg) else {
        return false;
    };
    let Kind::Name(var) = ast.kind(ast.unwrap_expr(*target)) else {
        return false;
    };
    let Some(f) = ast.enclosing_function(call) else {
        return false;
    };
    let end = ast.node(f).end;
    ["set_password", "setPassword", "set_unusable_password"]
        .iter()
        .flat_map(|m| ast.calls_named(m).iter())
        .any(|&c| {
            c > call
                && c < end
                && ast.call(c).and_then(|cc| ast.receiver(cc)).is_some_and(
                    |r| matches!(ast.kind(ast.unwrap_expr(r)), Kind::Name(n) if n == var),
                )
        })
}

/// `user.password = request.form["password"]`, `self.password = password` in a model,
/// `users[name] = {"password": password, ..}` (an in-memory user table).
fn attribute_store(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    let Kind::Assign {
        target,
        value: Some(value),
        augmented: false,
        ..
    } = ast.kind(node)
    else {
        return;
    };
    let t = ast.unwrap_expr(*target);
    let (obj, key) = match ast.kind(t) {
        Kind::Member { object, property } => (*object, property.as_str()),
        Kind::Index { object, index } => (*object, ast.plain_str(*index).unwrap_or("")),
        _ => return,
    };
    let sc = scope(cx);
    let text = &cx.file.text;
    let (plain, at, model) = if passwords::is_password_name(key) {
        // the target is a stored user record
        if sc.stored(t, text).is_none() {
            return;
        }
        let Some(model) = user_record(cx, obj) else {
            return;
        };
        // a model's own setter or constructor (`self.password = password`): what its callers
        // pass decides, and they usually pass a hash
        if self_rooted(cx, obj) && own_param(cx, *value) {
            return;
        }
        let Some(plain) = sc.plaintext(*value, text) else {
            return;
        };
        (plain, node, model)
    } else {
        // a whole record with its password: `USERS[name] = {"password": password}`
        let Kind::Object { entries, .. } = ast.kind(ast.unwrap_expr(*value)) else {
            return;
        };
        let Some(model) = user_record(cx, obj) else {
            return;
        };
        let found = entries.iter().find_map(|e| {
            if !e.key.as_deref().is_some_and(passwords::is_password_name) {
                return None;
            }
            let p = sc.plaintext(e.value, text)?;
            Some((p, e.key_node.unwrap_or(e.value)))
        });
        let Some((plain, at)) = found else { return };
        (plain, at, model)
    };
    if in_tests(cx, node) {
        return;
    }
    let target_text: String = cx.text(t).chars().take(60).collect();
    let message = format!(
        "plaintext password `{plain}` is stored in `{target_text}`: hash it first with {}",
        stack(cx).short()
    );
    let f = cx
        .finding(cx.first_line(at), message)
        .help(help(cx))
        .condition(Condition::UnlessModelHashesPasswords {
            model,
            constructor: false,
        });
    cx.emit(f);
}

/// The model of a user record written to: a named user record or `self` in a user model
/// ([`Scope::record_model`]), not a row of unknown kind.
fn user_record(cx: &Ctx, obj: NodeId) -> Option<String> {
    scope(cx).record_model(obj).filter(|m| m != "?")
}

/// Whether an object is `self`/`this`.
fn self_rooted(cx: &Ctx, obj: NodeId) -> bool {
    matches!(cx.ast.kind(cx.ast.unwrap_expr(obj)), Kind::Name(n) if n == "self" || n == "this")
}

/// Whether a value is a parameter of the method around it, passed on as it is.
fn own_param(cx: &Ctx, value: NodeId) -> bool {
    let ast = cx.ast;
    let v = passwords::unwrap_value(ast, value);
    let Kind::Name(n) = ast.kind(v) else {
        return false;
    };
    let Some(f) = ast.enclosing_function(v) else {
        return false;
    };
    let in_class = ast
        .ancestors(f)
        .any(|a| matches!(ast.kind(a), Kind::Class(_)));
    in_class
        && ast
            .function(f)
            .is_some_and(|func| func.params.iter().any(|p| &p.name == n))
}

/// Rust: `NewUser { password: form.password.clone(), .. }`, sea-orm
/// `user::ActiveModel { password: Set(..), .. }`.
fn struct_literal(cx: &mut Ctx, node: NodeId) {
    let ast = cx.ast;
    if ast.lang != Lang::Rust {
        return;
    }
    let Kind::Object {
        ty: Some(ty),
        entries,
    } = ast.kind(node)
    else {
        return;
    };
    if !passwords::is_user_store_name(ty, Lang::Rust) && ty != "Self" {
        return;
    }
    // the type's own constructor (`fn new(password: String) -> Self { Self { password } }`)
    let own_type = ty == "Self"
        || ast.ancestors(node).any(|a| match ast.kind(a) {
            Kind::Class(c) => c.name == *ty,
            _ => false,
        });
    let sc = scope(cx);
    let mut found = Vec::new();
    for e in entries {
        if !e.key.as_deref().is_some_and(passwords::is_password_name) {
            continue;
        }
        if own_type && own_param(cx, e.value) {
            continue;
        }
        if let Some(plain) = sc.plaintext(e.value, &cx.file.text) {
            found.push((e.key_node.unwrap_or(e.value), plain));
        }
    }
    if found.is_empty() || in_tests(cx, node) {
        return;
    }
    for (at, plain) in found {
        let message = format!(
            "plaintext password `{plain}` is stored in `{ty}`: hash it first with {}",
            stack(cx).short()
        );
        let f = cx.finding(cx.first_line(at), message).help(help(cx));
        cx.emit(f);
    }
}

/// diesel: `users::password.eq(&form.password)` inside `.values(..)`/`.set(..)` (a store) or
/// `.filter(..)` (a lookup).
fn diesel_column(cx: &mut Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    if ast.lang != Lang::Rust {
        return false;
    }
    let Some(c) = ast.call(node) else {
        return false;
    };
    let Kind::Member { object, property } = ast.kind(c.callee) else {
        return false;
    };
    if property != "eq" {
        return false;
    }
    let Some(column) = ast.path_of(ast.unwrap_expr(*object)) else {
        return false;
    };
    let col = column.rsplit("::").next().unwrap_or(&column);
    if !passwords::is_password_name(col) {
        return false;
    }
    let Some(arg) = ast.positional(c).next() else {
        return false;
    };
    let Some(plain) = scope(cx).plaintext(arg, &cx.file.text) else {
        return false;
    };
    let how = ast.ancestors(node).take(6).find_map(|a| {
        let ac = ast.call(a)?;
        match ast.callee_name(ac)? {
            "values" | "set" => Some(Use::Store),
            "filter" | "or_filter" | "find" => Some(Use::Lookup),
            _ => None,
        }
    });
    let Some(how) = how else { return true };
    if in_tests(cx, node) {
        return true;
    }
    let message = match how {
        Use::Store => format!(
            "plaintext password `{plain}` is written to `{column}`: hash it first with {}",
            stack(cx).short()
        ),
        Use::Lookup => format!(
            "rows are looked up by the plaintext password `{plain}` in `{column}`, so passwords are stored unhashed: store a hash with {} and verify it with its check function",
            stack(cx).short()
        ),
    };
    let f = cx.finding(cx.first_line(node), message).help(help(cx));
    cx.emit(f);
    true
}

/// Raw SQL naming a password column with a plaintext password bound, interpolated or
/// concatenated: `INSERT INTO users (.., password) VALUES (%s, %s)`, `WHERE password = ?`.
fn raw_sql(cx: &mut Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let Some(c) = ast.call(node) else {
        return false;
    };
    let (sql_arg, api) = if let Some(s) = sql::sink(ast, &cx.facts.imports, node) {
        (s.sql, s.api)
    } else if c.is_macro || c.is_tagged {
        // `sqlx::query!("..", a, b)`, prisma.$queryRaw`..${x}`, sql`..`
        let path = ast.path_of(c.callee).unwrap_or_default();
        let last = path.rsplit([':', '.']).next().unwrap_or(&path);
        let ok = if c.is_macro {
            matches!(last, "query" | "query_as" | "query_scalar" | "execute")
        } else {
            matches!(last, "$queryRaw" | "$executeRaw" | "sql" | "query")
        };
        let Some(first) = ast.positional(c).next() else {
            return false;
        };
        if !ok {
            return false;
        }
        (first, path)
    } else {
        return false;
    };
    // the SQL text, through one local
    let mut sql_expr = ast.unwrap_expr(sql_arg);
    if let Kind::Name(n) = ast.kind(sql_expr) {
        let scope_fn = ast.enclosing_function(node).unwrap_or(crate::ast::ROOT);
        if let Some((_, v)) = ast.assignment_before(n, scope_fn, node, true) {
            sql_expr = ast.unwrap_expr(v);
        }
    }
    let mut sql_text = String::new();
    for n in ast.subtree(sql_expr) {
        if let Kind::Str(s) = ast.kind(n) {
            sql_text.push_str(&s.value);
            sql_text.push(' ');
        }
    }
    let Some((how, fast)) = passwords::sql_password_use(&sql_text) else {
        return false;
    };
    // the values: the other arguments, `.bind(..)` calls on the chain, values in the text
    let sc = scope(cx);
    let text = &cx.file.text;
    let mut candidates: Vec<NodeId> = Vec::new();
    let flatten = |v: NodeId, out: &mut Vec<NodeId>| {
        let v = ast.unwrap_expr(v);
        match ast.kind(v) {
            Kind::Array(items) => out.extend(items.iter().copied()),
            Kind::Object { entries, .. } => out.extend(entries.iter().map(|e| e.value)),
            _ => out.push(v),
        }
    };
    for a in &c.args {
        if a.value != sql_arg {
            flatten(a.value, &mut candidates);
        }
    }
    // `session.execute(text(".."), {"pw": pw})`
    if let Some(p) = ast.parent(node).and_then(|p| ast.call(p).map(|pc| (p, pc))) {
        if p.1.args.iter().any(|a| a.value == node) {
            for a in &p.1.args {
                if a.value != node {
                    flatten(a.value, &mut candidates);
                }
            }
        }
    }
    let mut cur = node;
    for _ in 0..12 {
        let Some(m) = ast.parent(cur) else { break };
        let Kind::Member { property, .. } = ast.kind(m) else {
            break;
        };
        let Some(up) = ast.parent(m) else { break };
        let Some(uc) = ast.call(up) else { break };
        if property == "bind" {
            candidates.extend(ast.positional(uc));
        }
        cur = up;
    }
    sql_values(ast, sql_expr, 0, &mut candidates);
    let Some(plain) = candidates.iter().find_map(|&v| sc.plaintext(v, text)) else {
        return false;
    };
    if in_tests(cx, node) {
        return true;
    }
    let api: String = api.chars().take(40).collect();
    let message = match (fast, how) {
        (Some(algo), _) => format!(
            "password `{plain}` is hashed with {algo} in the SQL run by `{api}`, a fast hash that is cheap to brute-force: hash it in the application with {}",
            stack(cx).short()
        ),
        (None, Use::Store) => format!(
            "plaintext password `{plain}` is written to the password column by `{api}`: hash it first with {}",
            stack(cx).short()
        ),
        (None, Use::Lookup) => format!(
            "the password column is compared with the plaintext password `{plain}` in the SQL run by `{api}`, so passwords are stored unhashed: store a hash with {} and verify it with its check function",
            stack(cx).short()
        ),
    };
    let f = cx.finding(cx.call_site(node), message).help(help(cx));
    cx.emit(f);
    true
}

/// The values put into SQL text: operands of `+`/`%`, interpolated parts, `.format(..)` and
/// `format!` arguments. A value wrapped in another call (`hash(password)`) is that call.
fn sql_values(ast: &crate::ast::Ast, id: NodeId, depth: u8, out: &mut Vec<NodeId>) {
    let id = ast.unwrap_expr(id);
    if depth > 8 {
        return;
    }
    match ast.kind(id) {
        Kind::Str(s) => {
            for &p in &s.parts {
                sql_values(ast, p, depth + 1, out);
            }
        }
        Kind::Binary { lhs, rhs, .. } => {
            sql_values(ast, *lhs, depth + 1, out);
            sql_values(ast, *rhs, depth + 1, out);
        }
        Kind::Array(items) => {
            for &i in items {
                sql_values(ast, i, depth + 1, out);
            }
        }
        Kind::Call(c) if c.is_macro || ast.callee_name(c) == Some("format") => {
            for a in &c.args {
                sql_values(ast, a.value, depth + 1, out);
            }
        }
        _ => out.push(id),
    }
}

/// A call of a project function that returns a fast hash of its argument, given a password:
/// `security.hash(req.body.password)` where `hash = (data) => createHash("md5")..`. Settled on
/// the project index.
fn hashing_helper(cx: &mut Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let Some(c) = ast.call(node) else {
        return false;
    };
    if c.is_macro || c.is_new || c.args.is_empty() {
        return false;
    }
    let (module, name) = match ast.kind(c.callee) {
        Kind::Name(n) if !n.contains("::") => {
            if cx.facts.functions_named(n).any(|f| f.class.is_none()) {
                (None, n.clone())
            } else {
                match ast.import_binding(n) {
                    Some((m, orig)) if !orig.is_empty() && orig != "default" && orig != "*" => {
                        (Some(m.to_string()), orig.to_string())
                    }
                    _ => return false,
                }
            }
        }
        // Rust: `util::sha256_hex(..)`, `crate::auth::digest(..)`
        Kind::Name(n) => {
            let q = cx.facts.imports.qualify_path(n);
            let Some((m, f)) = q.rsplit_once("::") else {
                return false;
            };
            if m == "Self" || m == "self" || f.chars().next().is_some_and(|c| c.is_uppercase()) {
                return false;
            }
            (Some(m.to_string()), f.to_string())
        }
        Kind::Member { object, property } => {
            let Kind::Name(o) = ast.kind(ast.unwrap_expr(*object)) else {
                return false;
            };
            match ast.import_binding(o) {
                // `import * as security from "../lib/insecurity"`, `from app import crypto`
                Some((m, orig)) if orig.is_empty() || orig == "*" || orig == "default" => {
                    (Some(m.to_string()), property.clone())
                }
                Some((m, orig)) if ast.lang == Lang::Python => {
                    (Some(format!("{m}.{orig}")), property.clone())
                }
                _ => return false,
            }
        }
        _ => return false,
    };
    let sc = scope(cx);
    let Some((arg, what)) = ast
        .positional(c)
        .enumerate()
        .find_map(|(i, a)| sc.password_in(a, &cx.file.text).map(|w| (i, w)))
    else {
        return false;
    };
    if in_tests(cx, node) {
        return true;
    }
    let message = format!(
        "password `{what}` is hashed with {{algo}} by `{name}`, a fast hash that is cheap to brute-force: use {} instead",
        stack(cx).short()
    );
    let f = cx
        .finding(cx.call_site(node), message)
        .help(help(cx))
        .condition(Condition::FastHashHelper { module, name, arg });
    cx.emit(f);
    true
}
