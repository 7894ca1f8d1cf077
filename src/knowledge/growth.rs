//! Which tables grow with the service's use, for `unbounded-query`.
//!
//! A list endpoint hurts when its table grows with what users do: the users (accounts, teams,
//! customers) themselves, and rows that belong to one of them (their orders, solves, uploads,
//! memberships). Reference tables that staff author (categories, challenges, pages, settings,
//! delivery methods) stay small however long the service runs, and so does one owner's share of
//! a table (a user's tokens, addresses, linked accounts) unless the code shows otherwise.
//!
//! The facts come from the model declarations the project index already reads: Django,
//! SQLAlchemy/SQLModel, Tortoise and Peewee classes; Sequelize classes and their `belongsTo`/
//! `hasMany` associations; diesel `table!` schemas. A model "belongs to a user" when it has a
//! required or cascading relation to a user-like model (Django `ForeignKey(User,
//! on_delete=CASCADE)`, SQLAlchemy `ForeignKey("users.id", ondelete="CASCADE")` or
//! `nullable=False`, Sequelize `belongsTo(UserModel)`, a non-null diesel `user_id`); an
//! optional link that survives the user (`ForeignKey("users.id")` on a nullable column, a
//! notification that may be addressed to someone) is a reference, not ownership.

use std::collections::{HashMap, HashSet};

use crate::ast::{Ast, BinOp, Kind, Lang, NodeId};

/// What the project declares about one model (a class, or an association naming it).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ModelFact {
    pub name: String,
    /// The declaring file's module (filled in by the project index).
    pub module: String,
    /// Other names the model is exported or used under (`export { Memory as MemoryModel }`).
    pub aliases: Vec<String>,
    pub bases: Vec<String>,
    /// A class (or schema table) definition, not only an association naming the model.
    pub defined: bool,
    /// The model is a user-like table itself (users, accounts, teams, customers).
    pub user_like: bool,
    /// Relations to a user-like model: every name a filter may use for it (`user`, `user_id`),
    /// and whether the row belongs to that user (required or deleted with it).
    pub owners: Vec<(Vec<String>, bool)>,
    /// Unique constraints, as field/column names.
    pub unique: Vec<Vec<String>>,
    /// The model records events (`Event`, `AuditLog`, `LoginHistory`): a row per thing that
    /// happens, so it grows with use whoever owns it.
    pub event_log: bool,
    /// Foreign-key fields to models that are not user-like (`challenge_id`).
    pub other_keys: Vec<String>,
}

/// Normalised stems of user-like model and table names.
const USER_LIKE: &[&str] = &[
    "user",
    "account",
    "team",
    "member",
    "customer",
    "person",
    "people",
    "profile",
    "organization",
    "organisation",
    "tenant",
    "player",
];

/// Last words of model names that record events.
const EVENT_WORDS: &[&str] = &[
    "event",
    "events",
    "log",
    "logs",
    "history",
    "activity",
    "activities",
    "audit",
];

/// `AuditLog`, `login_history`, `Event` -> an event log; `Catalog`, `Blog` are not.
pub fn is_event_log(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for ch in name.chars() {
        let boundary = ch == '_' || ch == '-' || ch.is_ascii_uppercase();
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        if ch != '_' && ch != '-' {
            cur.push(ch.to_ascii_lowercase());
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let last = words
        .iter()
        .rev()
        .find(|w| w.as_str() != "model" && w.as_str() != "entity");
    last.is_some_and(|w| EVENT_WORDS.contains(&w.as_str()))
}

/// Column stems that name the owner of a row even where the model is unknown.
const OWNER_COLUMNS: &[&str] = &["owner", "author", "creator", "createdby"];

/// `Users`, `UserModel`, `auth_user`, `users.id`, `settings.AUTH_USER_MODEL` -> user-like.
pub fn is_user_like(name: &str) -> bool {
    let n = name.trim_matches(|c| c == '"' || c == '\'');
    if n.ends_with("AUTH_USER_MODEL") || n == "get_user_model" || n.ends_with("get_user_model()") {
        return true;
    }
    // `users.id` (an SQL column), `auth.User`, `models.User`
    let n = n.strip_suffix(".id").unwrap_or(n);
    let n = n.rsplit(['.', ':']).next().unwrap_or(n);
    USER_LIKE.contains(&stem(n).as_str())
}

/// `UserModel` -> `user`, `auth_users` -> `user`, `People` -> `people`, `user_id` -> `user`.
fn stem(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let lower = lower
        .strip_prefix("auth_")
        .or_else(|| lower.strip_prefix("app_"))
        .unwrap_or(&lower);
    let mut s: String = lower.chars().filter(|c| *c != '_' && *c != '-').collect();
    for suffix in ["model", "entity", "table", "id"] {
        if s.len() > suffix.len() + 2 {
            if let Some(r) = s.strip_suffix(suffix) {
                s = r.to_string();
            }
        }
    }
    if let Some(r) = s.strip_suffix("ies") {
        s = format!("{r}y");
    } else if s.ends_with('s') && !s.ends_with("ss") && s.len() > 3 {
        s.pop();
    }
    s
}

/// A filter column that names a user-like owner (`user`, `UserId`, `author_id`, `account_id`).
pub fn is_owner_column(col: &str) -> bool {
    let s = stem(col.split("__").next().unwrap_or(col));
    USER_LIKE.contains(&s.as_str()) || OWNER_COLUMNS.contains(&s.as_str())
}

fn kwarg_str(ast: &Ast, c: &crate::ast::Call, name: &str) -> Option<String> {
    let v = ast.unwrap_expr(ast.kwarg(c, name)?);
    match ast.kind(v) {
        Kind::Str(s) => Some(s.value.clone()),
        _ => ast.path_of(v),
    }
}

fn kwarg_is(ast: &Ast, c: &crate::ast::Call, name: &str, want: bool) -> bool {
    ast.kwarg(c, name)
        .is_some_and(|v| matches!(ast.kind(ast.unwrap_expr(v)), Kind::Bool(b) if *b == want))
}

fn cascades(v: Option<String>) -> bool {
    v.is_some_and(|s| s.to_ascii_uppercase().ends_with("CASCADE"))
}

/// A relation declared by a field constructor: (target, owned) for Django/Tortoise/Peewee
/// relation fields and SQLAlchemy/SQLModel foreign-key columns.
fn relation(ast: &Ast, call: NodeId) -> Option<(String, bool)> {
    let c = ast.call(call)?;
    let ctor = ast.callee_name(c)?;
    match ctor {
        "ForeignKey"
            if ast.lang == Lang::Python
                && c.args
                    .iter()
                    .any(|a| a.name.as_deref() == Some("on_delete")) =>
        {
            // Django: required unless `null=True`; owned when deleted with the target
            let target = ast.positional(c).next()?;
            let target = match ast.kind(ast.unwrap_expr(target)) {
                Kind::Str(s) => s.value.clone(),
                _ => ast.path_of(target)?,
            };
            let owned = !kwarg_is(ast, c, "null", true) || cascades(kwarg_str(ast, c, "on_delete"));
            Some((target, owned))
        }
        "OneToOneField" | "ForeignKeyField" | "OneToOneField_" => {
            let target = ast.positional(c).next()?;
            let target = match ast.kind(ast.unwrap_expr(target)) {
                Kind::Str(s) => s.value.clone(),
                _ => ast.path_of(target)?,
            };
            let owned = !kwarg_is(ast, c, "null", true) || cascades(kwarg_str(ast, c, "on_delete"));
            Some((target, owned))
        }
        "Column" | "mapped_column" | "column_property" | "Field" => {
            // SQLAlchemy: `Column(Integer, ForeignKey("users.id", ondelete="CASCADE"),
            // nullable=False)`; SQLModel: `Field(foreign_key="user.id", ondelete="CASCADE")`
            let required =
                kwarg_is(ast, c, "nullable", false) || kwarg_is(ast, c, "primary_key", true);
            if let Some(t) = kwarg_str(ast, c, "foreign_key") {
                return Some((t, required || cascades(kwarg_str(ast, c, "ondelete"))));
            }
            for a in &c.args {
                let v = ast.unwrap_expr(a.value);
                if let Some((t, owned)) = relation(ast, v) {
                    return Some((t, owned || required));
                }
                if let Some(fk) = ast
                    .call(v)
                    .filter(|f| ast.callee_name(f) == Some("ForeignKey"))
                {
                    let t = match ast.kind(ast.unwrap_expr(ast.positional(fk).next()?)) {
                        Kind::Str(s) => s.value.clone(),
                        _ => continue,
                    };
                    return Some((t, required || cascades(kwarg_str(ast, fk, "ondelete"))));
                }
            }
            None
        }
        "ForeignKey" => {
            let t = match ast.kind(ast.unwrap_expr(ast.positional(c).next()?)) {
                Kind::Str(s) => s.value.clone(),
                _ => return None,
            };
            Some((t, cascades(kwarg_str(ast, c, "ondelete"))))
        }
        _ => None,
    }
}

/// Strings of a unique constraint: `UniqueConstraint("challenge_id", "user_id")`,
/// `UniqueConstraint(fields=["user", "slug"])`, `unique_together = ("user", "slug")`.
fn strings_in(ast: &Ast, id: NodeId) -> Vec<String> {
    ast.subtree(id)
        .filter_map(|n| match ast.kind(n) {
            Kind::Str(s) => Some(s.value.clone()),
            _ => None,
        })
        .collect()
}

/// Model facts of one file.
pub fn collect(ast: &Ast, text: &str) -> Vec<ModelFact> {
    let mut out = Vec::new();
    match ast.lang {
        Lang::Python => python_models(ast, text, &mut out),
        Lang::TypeScript => typescript_models(ast, text, &mut out),
        Lang::Rust => {
            if text.contains("table!") {
                diesel_tables(text, &mut out);
            }
        }
    }
    out
}

fn python_models(ast: &Ast, text: &str, out: &mut Vec<ModelFact>) {
    for id in 0..ast.nodes.len() as NodeId {
        let Kind::Class(c) = ast.kind(id) else {
            continue;
        };
        if c.bases.is_empty() {
            continue;
        }
        let mut m = ModelFact {
            name: c.name.clone(),
            bases: c
                .bases
                .iter()
                .map(|b| b.rsplit('.').next().unwrap_or(b).to_string())
                .collect(),
            ..Default::default()
        };
        m.event_log = is_event_log(&c.name);
        m.user_like = is_user_like(&c.name)
            || m.bases.iter().any(|b| {
                matches!(
                    b.as_str(),
                    "AbstractUser" | "AbstractBaseUser" | "UserMixin"
                )
            });
        let mut relations: Vec<(String, String)> = Vec::new(); // (field, target) of relationship()
        let mut any = false;
        for &stmt in &c.body {
            match ast.kind(stmt) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } => {
                    let Some(field) = ast.path_of(*target) else {
                        continue;
                    };
                    let v = ast.unwrap_expr(*v);
                    if field == "__tablename__" {
                        if let Kind::Str(s) = ast.kind(v) {
                            m.user_like |= is_user_like(&s.value);
                        }
                        continue;
                    }
                    if field == "__table_args__" || field == "unique_together" {
                        for n in ast.subtree(v) {
                            if let Some(call) = ast.call(n) {
                                if ast.callee_name(call) == Some("UniqueConstraint") {
                                    m.unique.push(strings_in(ast, n));
                                }
                            }
                        }
                        if field == "unique_together" {
                            m.unique.push(strings_in(ast, v));
                        }
                        continue;
                    }
                    let Some(call) = ast.call(v) else { continue };
                    let ctor = ast.callee_name(call).unwrap_or("");
                    if matches!(ctor, "relationship" | "Relationship" | "relation") {
                        if let Some(t) = ast.positional(call).next().and_then(|t| {
                            match ast.kind(ast.unwrap_expr(t)) {
                                Kind::Str(s) => Some(s.value.clone()),
                                _ => ast.path_of(t),
                            }
                        }) {
                            relations.push((field, t));
                        }
                        continue;
                    }
                    if let Some((target, owned)) = relation(ast, v) {
                        any = true;
                        // SQLAlchemy 2.0: `Mapped[int]` is NOT NULL, `Mapped[Optional[int]]` is not
                        let span = ast.span(stmt);
                        let decl = text
                            .get(span.start as usize..span.end as usize)
                            .unwrap_or("");
                        let owned = owned
                            || decl.contains("Mapped[")
                                && !decl.contains("Optional[")
                                && !decl.contains("None]")
                                && !decl.contains("| None");
                        if is_user_like(&target) {
                            let col = field.trim_end_matches("_id").to_string();
                            m.owners
                                .push((vec![col.clone(), format!("{col}_id"), field], owned));
                        } else {
                            m.other_keys.push(field.clone());
                            m.other_keys.push(format!("{field}_id"));
                        }
                    } else if matches!(
                        ctor,
                        "Column"
                            | "mapped_column"
                            | "Field"
                            | "CharField"
                            | "IntegerField"
                            | "TextField"
                    ) {
                        any = true;
                    }
                }
                Kind::Class(meta) if meta.name == "Meta" => {
                    for &s in &meta.body {
                        if let Kind::Assign {
                            target,
                            value: Some(v),
                            ..
                        } = ast.kind(s)
                        {
                            let name = ast.path_of(*target).unwrap_or_default();
                            if name == "unique_together" || name == "constraints" {
                                let strs = strings_in(ast, *v);
                                if !strs.is_empty() {
                                    m.unique.push(strs);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // `user = relationship("Users")`: another name for the user relation
        for (field, target) in relations {
            if is_user_like(&target) {
                let owned = m.owners.iter().any(|(_, o)| *o);
                if m.owners.is_empty() {
                    continue;
                }
                m.owners.push((vec![field], owned));
            }
        }
        m.defined = any
            || !m.owners.is_empty()
            || m.bases.iter().any(|b| {
                matches!(
                    b.as_str(),
                    "Model"
                        | "Base"
                        | "DeclarativeBase"
                        | "SQLModel"
                        | "AbstractUser"
                        | "AbstractBaseUser"
                )
            });
        // Subclasses of a project model (`class Fails(Submissions)`) are kept with their bases.
        out.push(m);
    }
}

/// Sequelize and TypeORM: `class Memory extends Model`, `@Entity() class Order`, exported
/// aliases, and associations (`MemoryModel.belongsTo(UserModel, {...})`,
/// `UserModel.hasMany(MemoryModel)`).
fn typescript_models(ast: &Ast, text: &str, out: &mut Vec<ModelFact>) {
    let mut aliases: Vec<(String, String)> = Vec::new();
    if text.contains(" as ") {
        static EXPORT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let re = EXPORT.get_or_init(|| regex::Regex::new(r"export\s*\{([^}]*)\}").expect("regex"));
        for c in re.captures_iter(text) {
            for part in c[1].split(',') {
                let mut it = part.split(" as ").map(str::trim);
                if let (Some(a), Some(b)) = (it.next(), it.next()) {
                    aliases.push((a.to_string(), b.to_string()));
                }
            }
        }
    }
    for id in 0..ast.nodes.len() as NodeId {
        match ast.kind(id) {
            Kind::Class(c) => {
                let model = c
                    .bases
                    .iter()
                    .any(|b| b == "Model" || b.starts_with("Model<"))
                    || c.decorators
                        .iter()
                        .any(|d| d.name == "Entity" || d.name == "Table");
                if !model {
                    continue;
                }
                let alias: Vec<String> = aliases
                    .iter()
                    .filter(|(a, _)| *a == c.name)
                    .map(|(_, b)| b.clone())
                    .collect();
                let span = ast.span(id);
                let body = text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                out.push(ModelFact {
                    name: c.name.clone(),
                    event_log: is_event_log(&c.name),
                    user_like: is_user_like(&c.name),
                    aliases: alias,
                    defined: true,
                    owners: typeorm_owners(body),
                    ..Default::default()
                });
            }
            Kind::Call(call) => {
                let Some(name) = ast.callee_name(call) else {
                    continue;
                };
                // `Upload.init({ customerId: { type: DataTypes.INTEGER, allowNull: false } })`
                if name == "init" {
                    let (Some(model), Some(attrs)) = (
                        ast.receiver(call).and_then(|r| ast.path_of(r)),
                        ast.positional(call).next().map(|a| ast.unwrap_expr(a)),
                    ) else {
                        continue;
                    };
                    let Kind::Object { entries, .. } = ast.kind(attrs) else {
                        continue;
                    };
                    let owners: Vec<(Vec<String>, bool)> = entries
                        .iter()
                        .filter_map(|e| {
                            let k = e.key.as_ref()?;
                            let key_like = k.ends_with("Id") || k.ends_with("_id");
                            (key_like && is_owner_column(k)).then(|| {
                                let optional = ast
                                    .entry(e.value, "allowNull")
                                    .is_some_and(|n| matches!(ast.kind(n.value), Kind::Bool(true)));
                                (vec![k.clone()], !optional)
                            })
                        })
                        .collect();
                    if !owners.is_empty() {
                        out.push(ModelFact {
                            name: model,
                            owners,
                            ..Default::default()
                        });
                    }
                    continue;
                }
                if !matches!(name, "belongsTo" | "hasMany" | "hasOne") {
                    continue;
                }
                let (Some(recv), Some(other)) = (
                    ast.receiver(call).and_then(|r| ast.path_of(r)),
                    ast.positional(call).next().and_then(|t| ast.path_of(t)),
                ) else {
                    continue;
                };
                let (child, parent) = if name == "belongsTo" {
                    (recv, other)
                } else {
                    (other, recv)
                };
                if !is_user_like(&parent) {
                    continue;
                }
                let opts = call.args.get(1).map(|a| ast.unwrap_expr(a.value));
                let set_null = opts.is_some_and(|o| {
                    ast.subtree(o).any(|n| matches!(ast.kind(n), Kind::Str(s) if s.value.eq_ignore_ascii_case("SET NULL")))
                });
                let fk = opts
                    .and_then(|o| ast.entry(o, "foreignKey"))
                    .and_then(|e| {
                        let v = ast.unwrap_expr(e.value);
                        match ast.kind(v) {
                            Kind::Str(s) => Some(s.value.clone()),
                            _ => ast.entry(v, "name").and_then(|n| match ast.kind(n.value) {
                                Kind::Str(s) => Some(s.value.clone()),
                                _ => None,
                            }),
                        }
                    })
                    .unwrap_or_else(|| {
                        let p = parent.strip_suffix("Model").unwrap_or(&parent);
                        format!("{p}Id")
                    });
                let short = parent.strip_suffix("Model").unwrap_or(&parent).to_string();
                out.push(ModelFact {
                    name: child,
                    owners: vec![(vec![fk, short], !set_null)],
                    ..Default::default()
                });
            }
            _ => {}
        }
    }
}

/// TypeORM relations and owner columns of an entity class, read from its text:
/// `@ManyToOne(() => User, { onDelete: "CASCADE" }) owner: User`, `@Column() customerId: number`.
fn typeorm_owners(body: &str) -> Vec<(Vec<String>, bool)> {
    static REL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static COL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let rel = REL.get_or_init(|| {
        regex::Regex::new(
            r"@(?:ManyToOne|OneToOne)\(\s*\(\)\s*=>\s*(\w+)([^@]*?)\)\s*(?:@\w+\([^)]*\)\s*)*(\w+)\s*[!?]?:",
        )
        .expect("regex")
    });
    let col = COL.get_or_init(|| {
        regex::Regex::new(r"@Column\(([^)]*)\)\s*(\w+)\s*([!?]?):").expect("regex")
    });
    let mut out = Vec::new();
    for c in rel.captures_iter(body) {
        if is_user_like(&c[1]) {
            let optional = c[2].contains("SET NULL") || c[2].contains("nullable: true");
            let field = c[3].to_string();
            out.push((vec![format!("{field}Id"), field], !optional));
        }
    }
    for c in col.captures_iter(body) {
        let name = &c[2];
        if (name.ends_with("Id") || name.ends_with("_id")) && is_owner_column(name) {
            let optional = c[1].contains("nullable: true") || &c[3] == "?";
            out.push((vec![name.to_string()], !optional));
        }
    }
    out
}

/// diesel `table! { posts (id) { id -> Int4, author_id -> Int4, .. } }` and
/// `joinable!(posts -> users (author_id))`.
fn diesel_tables(text: &str, out: &mut Vec<ModelFact>) {
    static TABLE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static COLUMN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static JOIN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        regex::Regex::new(r"table!\s*\{[^{]*?(\w+)\s*(?:\([^)]*\))?\s*\{([^}]*)\}").expect("regex")
    });
    let column =
        COLUMN.get_or_init(|| regex::Regex::new(r"(\w+)\s*->\s*(Nullable\s*<)?").expect("regex"));
    let join = JOIN.get_or_init(|| {
        regex::Regex::new(r"joinable!\s*\(\s*(\w+)\s*->\s*(\w+)\s*\(\s*(\w+)\s*\)").expect("regex")
    });
    let joins: Vec<(String, String, String)> = join
        .captures_iter(text)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
        .collect();
    for c in table.captures_iter(text) {
        let name = c[1].to_string();
        let mut m = ModelFact {
            event_log: is_event_log(&name),
            user_like: is_user_like(&name),
            name: name.clone(),
            defined: true,
            ..Default::default()
        };
        for col in column.captures_iter(&c[2]) {
            let cname = col[1].to_string();
            let required = col.get(2).is_none();
            let joined = joins.iter().find(|(t, _, k)| *t == name && *k == cname);
            let to_user = match joined {
                Some((_, target, _)) => is_user_like(target),
                None => cname.ends_with("_id") && is_owner_column(&cname),
            };
            if to_user {
                m.owners.push((vec![cname.clone()], required));
            } else if joined.is_some() {
                m.other_keys.push(cname);
            }
        }
        out.push(m);
    }
}

/// Model names queried with a limit or a paginator in this file: the project pages them.
pub fn paged_model(ast: &Ast, call: NodeId) -> Option<String> {
    let chain = ast.call_chain(call);
    let paged = chain.iter().any(|&c| {
        ast.call(c).and_then(|c| ast.callee_name(c)).is_some_and(|n| {
            matches!(n, "paginate" | "limit" | "take" | "slice" | "Paginator" | "paginate_queryset" | "fetch_page")
        })
    }) || chain.first().is_some_and(|&first| {
        ast.subtree(first).any(|n| {
            matches!(ast.kind(n), Kind::Str(s) if crate::knowledge::orm::has_limit(&s.value.to_ascii_uppercase()))
        })
    });
    if !paged {
        return None;
    }
    model_of(ast, call).map(|(m, _)| m)
}

/// The model a query reads, as written: `Solves.query..` -> `Solves`, `db.session.query(X)`,
/// `select(X)`, `XModel.findAll`, `posts::table.load`, `article::Entity::find()`, and the
/// table of raw SQL (`FROM orders`). The second value: a grouped subquery is the source.
pub fn model_of(ast: &Ast, call: NodeId) -> Option<(String, bool)> {
    let chain = ast.call_chain(call);
    let first = *chain.first()?;
    let c = ast.call(first)?;
    let name = ast.callee_name(c).unwrap_or("");
    let path = ast.path_of(c.callee).unwrap_or_default();
    // `db.session.query(X, ..)`, `select(X)`, `session.scalars(select(X))`
    if ast.lang == Lang::Python
        && matches!(name, "query" | "scalars" | "execute" | "select")
        && !path.ends_with(".objects.query")
    {
        let arg = ast.unwrap_expr(ast.positional(c).next()?);
        if let Some(&head) = ast.call_chain(arg).first() {
            if ast.call(head).and_then(|c| ast.callee_name(c)) == Some("select") {
                return model_of(ast, arg);
            }
        }
        if let Kind::Name(n) = ast.kind(arg) {
            if let Some((_, v)) = crate::knowledge::pagination::assigned_value(ast, n, arg) {
                if ast.call(ast.unwrap_expr(v)).is_some() {
                    return model_of(ast, ast.unwrap_expr(v));
                }
            }
        }
        let root = ast.chain_root(arg);
        let root_name = ast.path_of(root)?;
        let root_name = root_name
            .split('.')
            .next()
            .unwrap_or(&root_name)
            .to_string();
        // a column of a grouped subquery: `sub.columns.x`, `sub.c.x`
        if let Some((_, v)) = crate::knowledge::pagination::assigned_value(ast, &root_name, arg) {
            let grouped = ast.subtree(v).any(|n| {
                ast.call(n)
                    .and_then(|c| ast.callee_name(c))
                    .is_some_and(|m| m == "group_by")
            });
            return Some((root_name, grouped));
        }
        return Some((root_name, false));
    }
    if ast.lang == Lang::Rust {
        // raw SQL: the table after FROM
        if let Some(sql) = ast.subtree(first).find_map(|n| match ast.kind(n) {
            Kind::Str(s) if s.value.to_ascii_uppercase().contains(" FROM ") => {
                Some(s.value.clone())
            }
            _ => None,
        }) {
            return sql_table(&sql).map(|t| (t, false));
        }
        let root = ast.chain_root(call);
        let p = ast.path_of(root)?;
        let segs: Vec<&str> = p.split("::").collect();
        let t = match segs.as_slice() {
            [.., t, "table"] | [.., t, "Entity", _] | [.., t, "Entity"] => t.to_string(),
            [t] => t.to_string(),
            [.., t, _] => t.to_string(),
            _ => return None,
        };
        return Some((t, false));
    }
    if ast.lang == Lang::TypeScript {
        if let Some(sql) = ast.subtree(first).find_map(|n| match ast.kind(n) {
            Kind::Str(s) if s.value.to_ascii_uppercase().contains(" FROM ") => {
                Some(s.value.clone())
            }
            _ => None,
        }) {
            return sql_table(&sql).map(|t| (t, false));
        }
    }
    let root = ast.chain_root(call);
    let p = ast.path_of(root)?;
    let head = p.split(['.', ':']).next().unwrap_or(&p);
    if head == "this" || head == "self" {
        return None;
    }
    match ast.lang {
        // `prisma.account.findMany`: the member after the client
        Lang::TypeScript if p.contains('.') => {
            let segs: Vec<&str> = p.split('.').collect();
            Some((segs.get(1).copied().unwrap_or(head).to_string(), false))
        }
        _ => Some((head.to_string(), false)),
    }
}

fn sql_table(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.find(" FROM ")? + 6;
    let rest = sql[at..].trim_start();
    let t: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '"')
        .collect();
    let t = t
        .trim_matches('"')
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_string();
    (!t.is_empty()).then_some(t)
}

/// The columns a query pins to one value: Django/SQLAlchemy keyword filters (`user=..`,
/// `Q(user=..)`), comparisons (`Solves.user_id == uid`, `posts::author_id.eq(a)`), Prisma/
/// Sequelize `where: { userId }` keys, and `col = $1` in raw SQL.
pub fn pinned_columns(ast: &Ast, call: NodeId) -> Vec<String> {
    let mut out = Vec::new();
    let chain = ast.call_chain(call);
    for &link in &chain {
        let Some(c) = ast.call(link) else { continue };
        let name = ast.callee_name(c).unwrap_or("");
        // join conditions and column lists pin nothing
        if matches!(
            name,
            "join"
                | "outerjoin"
                | "join_from"
                | "select_from"
                | "options"
                | "add_columns"
                | "with_entities"
                | "order_by"
                | "group_by"
                | "having"
                | "values"
                | "only"
        ) {
            continue;
        }
        for a in &c.args {
            if a.spread {
                continue;
            }
            if let Some(k) = &a.name {
                if !k.ends_with("__in") && !is_list(ast, a.value) {
                    out.push(
                        k.trim_end_matches("__exact")
                            .trim_end_matches("__id")
                            .to_string(),
                    );
                }
            }
            for n in ast.subtree(a.value) {
                match ast.kind(n) {
                    Kind::Binary {
                        op: BinOp::Compare,
                        lhs,
                        ..
                    } => {
                        if let Kind::Member { property, .. } = ast.kind(ast.unwrap_expr(*lhs)) {
                            out.push(property.clone());
                        }
                    }
                    Kind::Call(inner) => {
                        let m = ast.callee_name(inner).unwrap_or("");
                        if m == "Q" {
                            out.extend(inner.args.iter().filter_map(|a| a.name.clone()));
                        }
                        if m == "eq" {
                            if let Some(p) = ast.receiver(inner).and_then(|r| ast.path_of(r)) {
                                out.push(p.rsplit(['.', ':']).next().unwrap_or(&p).to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            if ast.lang == Lang::TypeScript {
                let v = ast.unwrap_expr(a.value);
                let wh = ast.entry(v, "where").map(|e| ast.unwrap_expr(e.value));
                if let Some(Kind::Object { entries, .. }) = wh.map(|w| ast.kind(w)) {
                    for e in entries {
                        let is_in = ast.entry(e.value, "in").is_some() || is_list(ast, e.value);
                        if let (Some(k), false) = (&e.key, is_in) {
                            out.push(k.clone());
                        }
                    }
                }
            }
        }
        for a in &c.args {
            if let Kind::Str(s) = ast.kind(ast.unwrap_expr(a.value)) {
                out.extend(sql_pins(&s.value));
            }
        }
    }
    out
}

fn is_list(ast: &Ast, v: NodeId) -> bool {
    matches!(ast.kind(ast.unwrap_expr(v)), Kind::Array(_))
}

fn sql_pins(sql: &str) -> Vec<String> {
    static PIN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = PIN.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:WHERE|AND)\s+(?:\w+\.)?(\w+)\s*=\s*(?:\$\d+|\?|:\w+|%s)")
            .expect("regex")
    });
    re.captures_iter(sql).map(|c| c[1].to_string()).collect()
}

/// The function that lists the rows also adds rows of the same model, with no cap on how
/// many (`Blogs.objects.create(author=request.user, ..)` on POST and the list on GET): the
/// list grows with every use of this very endpoint. A count compared with a constant
/// (`if len(tickets) + n <= 5`) is a cap.
pub fn appended_uncapped(ast: &Ast, func: NodeId, model: &str) -> bool {
    let creates = ast.subtree(func).any(|n| {
        let Some(c) = ast.call(n) else { return false };
        let path = ast.path_of(c.callee).unwrap_or_default();
        let name = ast.callee_name(c).unwrap_or("");
        (path == format!("{model}.objects.create") || path == format!("{model}.create"))
            || (path == model && c.args.iter().any(|a| a.name.is_some()))
            || (name == "insert_into"
                && ast
                    .positional(c)
                    .next()
                    .and_then(|t| ast.path_of(t))
                    .is_some_and(|t| {
                        t.strip_prefix(model)
                            .is_some_and(|r| r.is_empty() || r.starts_with("::"))
                    }))
    });
    if !creates {
        return false;
    }
    let capped = ast.subtree(func).any(|n| {
        let Kind::Binary {
            op: BinOp::Compare,
            lhs,
            rhs,
        } = ast.kind(n)
        else {
            return false;
        };
        let counts = |side: NodeId| {
            ast.subtree(side).any(|m| match ast.kind(m) {
                Kind::Call(c) => matches!(ast.callee_name(c), Some("len" | "count")),
                Kind::Member { property, .. } => property == "length",
                _ => false,
            })
        };
        let constant = |side: NodeId| matches!(ast.kind(ast.unwrap_expr(side)), Kind::Number(_));
        (counts(*lhs) && constant(*rhs)) || (counts(*rhs) && constant(*lhs))
    });
    !capped
}

/// The model declarations of the whole project, by name, and the models it pages somewhere.
pub struct ModelTables<'a> {
    pub models: &'a HashMap<String, Vec<ModelFact>>,
    pub paged_models: &'a HashSet<String>,
}

/// Whether the listed model grows with the service's use, on the project's model tables.
/// `declared_in` tells whether a declaring module is the one the model is imported from;
/// `pins` are the columns the query pins to one value; `appended` says the listing function
/// itself adds rows of the model without a cap.
pub fn grows(
    index: &ModelTables,
    declared_in: &dyn Fn(&str) -> bool,
    model: &str,
    pins: &[String],
    appended: bool,
) -> bool {
    let facts = lineage(index, declared_in, model);
    let pinned_owner = |owner_names: &[String]| {
        pins.iter()
            .find(|p| owner_names.iter().any(|o| o == *p) || is_owner_column(p))
    };
    if facts.is_empty() {
        // Unknown model: nothing says what it holds; one owner's rows are still one owner's.
        return pinned_owner(&[]).is_none() || appended || index.paged_models.contains(model);
    }
    let user_like = facts.iter().any(|f| f.user_like);
    let owner_names: Vec<String> = facts
        .iter()
        .flat_map(|f| f.owners.iter().filter(|(_, owned)| *owned))
        .flat_map(|(names, _)| names.iter().cloned())
        .collect();
    let owned = !owner_names.is_empty();
    let defined = facts.iter().any(|f| f.defined);
    let events = facts.iter().any(|f| f.event_log);
    if events && !owned {
        return true;
    }
    if !user_like && !owned {
        // A reference table (or a model whose only link to users is an optional one).
        return !defined;
    }
    let Some(pin) = pinned_owner(&owner_names) else {
        return true;
    };
    // One owner's rows. Bounded per owner by a unique constraint over the owner and another
    // key (one solve per user and challenge).
    let unique_per_owner = facts.iter().any(|f| {
        f.unique.iter().any(|u| {
            u.iter().any(|c| c == pin || owner_names.contains(c))
                && u.iter()
                    .any(|c| facts.iter().any(|g| g.other_keys.contains(c)))
        })
    });
    if unique_per_owner {
        return false;
    }
    // The code shows one owner's rows can be many: the listing function adds rows without a
    // cap, or the project pages this model elsewhere.
    appended
        || facts.iter().any(|f| {
            index.paged_models.contains(&f.name)
                || f.aliases.iter().any(|a| index.paged_models.contains(a))
        })
}

/// The facts of a model and of its base classes (the project's own), by name or alias.
fn lineage<'a>(
    index: &ModelTables<'a>,
    declared_in: &dyn Fn(&str) -> bool,
    model: &str,
) -> Vec<&'a ModelFact> {
    let mut out: Vec<&ModelFact> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut todo = vec![model.to_string()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) || seen.len() > 8 {
            continue;
        }
        let mut found: Vec<&ModelFact> = index
            .models
            .get(&name)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        // by module, not by the order the files were merged in
        found.sort_by(|a, b| a.module.cmp(&b.module));
        if name == model {
            // The model's own declaration: the one in the module it is imported from, when
            // known; associations name the model wherever they are declared.
            let from_module: Vec<&ModelFact> = found
                .iter()
                .copied()
                .filter(|f| !f.defined || declared_in(&f.module))
                .collect();
            if !from_module.is_empty() {
                found = from_module;
            }
        }
        for f in found {
            todo.extend(f.bases.iter().cloned());
            todo.extend(f.aliases.iter().cloned());
            todo.push(f.name.clone());
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{parse, Dialect};

    #[test]
    fn user_like_owner_and_event_names() {
        for n in [
            "Users",
            "UserModel",
            "auth_user",
            "users.id",
            "settings.AUTH_USER_MODEL",
            "Team",
        ] {
            assert!(is_user_like(n), "{n}");
        }
        for n in [
            "Challenges",
            "Notifications",
            "Authority",
            "Delivery",
            "Catalog",
        ] {
            assert!(!is_user_like(n), "{n}");
        }
        for n in [
            "user_id",
            "UserId",
            "author_id",
            "account_id",
            "owner",
            "customerId",
        ] {
            assert!(is_owner_column(n), "{n}");
        }
        for n in ["published", "challenge_id", "authority", "status"] {
            assert!(!is_owner_column(n), "{n}");
        }
        assert!(is_event_log("AuditLog") && is_event_log("login_history") && is_event_log("Event"));
        assert!(
            !is_event_log("Catalog") && !is_event_log("Blog") && !is_event_log("Notifications")
        );
    }

    #[test]
    fn ownership_needs_a_required_or_cascading_relation() {
        let src = "class Solves(Submissions):\n    __table_args__ = (db.UniqueConstraint('challenge_id', 'user_id'),)\n    user_id = column_property(db.Column(db.Integer, db.ForeignKey('users.id', ondelete='CASCADE')))\n    challenge_id = db.Column(db.Integer, db.ForeignKey('challenges.id'))\n\nclass Notice(db.Model):\n    user_id = db.Column(db.Integer, db.ForeignKey('users.id'))\n\nclass Entry(models.Model):\n    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)\n\nclass Item(Base):\n    owner_id: Mapped[int] = mapped_column(ForeignKey('user.id'))\n    note_id: Mapped[Optional[int]] = mapped_column(ForeignKey('user.id'))\n";
        let ast = parse(Dialect::Python, src).unwrap();
        let models = collect(&ast, src);
        let get = |n: &str| models.iter().find(|m| m.name == n).unwrap();
        let solves = get("Solves");
        assert_eq!(solves.bases, vec!["Submissions"]);
        assert!(solves
            .owners
            .iter()
            .any(|(n, owned)| *owned && n.contains(&"user_id".to_string())));
        assert_eq!(
            solves.unique,
            vec![vec!["challenge_id".to_string(), "user_id".to_string()]]
        );
        assert!(solves.other_keys.contains(&"challenge_id".to_string()));
        assert!(get("Notice").owners.iter().all(|(_, owned)| !owned));
        assert!(get("Entry").owners.iter().all(|(_, owned)| *owned));
        let item = &get("Item").owners;
        assert!(item
            .iter()
            .any(|(n, o)| *o && n.contains(&"owner_id".to_string())));
        assert!(item
            .iter()
            .any(|(n, o)| !*o && n.contains(&"note_id".to_string())));
    }

    #[test]
    fn diesel_and_typeorm_schemas() {
        let rs = "diesel::table! {\n    posts (id) {\n        id -> Int4,\n        author_id -> Int4,\n        editor_id -> Nullable<Int4>,\n    }\n}\n";
        let mut out = Vec::new();
        diesel_tables(rs, &mut out);
        assert_eq!(out[0].name, "posts");
        assert_eq!(out[0].owners, vec![(vec!["author_id".to_string()], true)]);
        let ts = "@Entity()\nexport class Upload {\n  @ManyToOne(() => User, (u) => u.uploads, { onDelete: \"CASCADE\" })\n  @JoinColumn()\n  owner: User;\n  @Column({ nullable: true })\n  reviewerId?: number;\n}\n";
        let owners = typeorm_owners(ts);
        assert!(owners.contains(&(vec!["ownerId".to_string(), "owner".to_string()], true)));
        assert!(
            !owners
                .iter()
                .any(|(n, _)| n.contains(&"reviewerId".to_string()))
                || owners
                    .iter()
                    .any(|(n, o)| !*o && n.contains(&"reviewerId".to_string()))
        );
    }
}
