//! ORM model relations: which attributes of a model instance load another row the first time
//! they are read (Django `ForeignKey`/`OneToOneField`, SQLAlchemy `relationship()`, Peewee
//! `ForeignKeyField`), and which query-chain calls eager-load them instead.
//!
//! Recorded per model class in the file facts and merged into the project index, so a loop in
//! `views.py` over `Order.objects.all()` knows that `order.customer` is a lazy relation declared
//! in `models.py`.

use crate::ast::{Ast, Kind, NodeId};

/// Field constructors whose attribute loads the related row on first access.
const LAZY_RELATION_FIELDS: &[&str] = &[
    // Django
    "ForeignKey",
    "OneToOneField",
    "ParentalKey",
    "GenericForeignKey",
    // SQLAlchemy / Flask-SQLAlchemy / SQLModel
    "relationship",
    "relation",
    "Relationship",
    // Peewee, Tortoise
    "ForeignKeyField",
    "OneToOneField",
    "DeferredForeignKey",
];

/// SQLAlchemy `lazy=` strategies that do not run a query on attribute access (eager, disabled or
/// returning a query object).
const NOT_LAZY: &[&str] = &[
    "joined",
    "selectin",
    "subquery",
    "immediate",
    "raise",
    "raise_on_sql",
    "noload",
    "dynamic",
    "write_only",
    "False",
];

/// Query-chain calls (and loader options) that eager-load relations.
pub const EAGER_LOADERS: &[&str] = &[
    "select_related",
    "prefetch_related",
    "Prefetch",
    "joinedload",
    "selectinload",
    "subqueryload",
    "immediateload",
    "contains_eager",
    "prefetch",
    "fetch_related",
];

/// The lazy relation fields declared in a class body (`customer = models.ForeignKey(...)`,
/// `items: Mapped[list["Item"]] = relationship(...)`).
pub fn lazy_relation_fields(ast: &Ast, class: NodeId) -> Vec<String> {
    let Kind::Class(c) = ast.kind(class) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &stmt in &c.body {
        let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = ast.kind(stmt)
        else {
            continue;
        };
        let (Kind::Name(field), Some(call)) = (ast.kind(*target), ast.call(ast.unwrap_expr(*v)))
        else {
            continue;
        };
        let Some(ctor) = ast.callee_name(call) else {
            continue;
        };
        if !LAZY_RELATION_FIELDS.contains(&ctor) {
            continue;
        }
        let lazy = ast.kwarg(call, "lazy").map(|l| ast.unwrap_expr(l));
        let eager = lazy.is_some_and(|l| match ast.kind(l) {
            Kind::Str(s) => NOT_LAZY.contains(&s.value.as_str()),
            Kind::Bool(false) => true,
            _ => false,
        });
        if !eager {
            out.push(field.clone());
        }
    }
    out
}

/// Reverse one-to-one accessors a class body declares on other models: Django
/// `user = models.OneToOneField(User, related_name="profile")` makes `user.profile` load a row
/// (default accessor: the lowercased class name). Returns (target model, accessor).
pub fn reverse_one_to_one(ast: &Ast, class: NodeId) -> Vec<(String, String)> {
    let Kind::Class(c) = ast.kind(class) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &stmt in &c.body {
        let Kind::Assign { value: Some(v), .. } = ast.kind(stmt) else {
            continue;
        };
        let Some(call) = ast.call(ast.unwrap_expr(*v)) else {
            continue;
        };
        if ast.callee_name(call) != Some("OneToOneField") {
            continue;
        }
        let target = ast.positional(call).next().and_then(|t| match ast.kind(t) {
            Kind::Name(n) => Some(n.clone()),
            Kind::Str(s) => Some(s.value.rsplit('.').next().unwrap_or(&s.value).to_string()),
            _ => None,
        });
        let accessor = match ast.kwarg(call, "related_name").map(|r| ast.kind(r)) {
            Some(Kind::Str(s)) if s.value != "+" => s.value.clone(),
            Some(_) => continue,
            None => c.name.to_ascii_lowercase(),
        };
        if let Some(t) = target {
            out.push((t, accessor));
        }
    }
    out
}

/// Django relation fields that give the target model a reverse manager (`related_name`).
const REVERSE_MANAGER_FIELDS: &[&str] = &[
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
    "ParentalKey",
    "ParentalManyToManyField",
];

/// The model class of this file whose relation field is declared with
/// `related_name="<name>"`: the rows `parent.<name>.all()` yields. None unless exactly one.
pub fn related_name_owner(ast: &Ast, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for id in 0..ast.nodes.len() as NodeId {
        let Kind::Class(c) = ast.kind(id) else {
            continue;
        };
        for &stmt in &c.body {
            let Kind::Assign { value: Some(v), .. } = ast.kind(stmt) else {
                continue;
            };
            let Some(call) = ast.call(ast.unwrap_expr(*v)) else {
                continue;
            };
            if !ast
                .callee_name(call)
                .is_some_and(|n| REVERSE_MANAGER_FIELDS.contains(&n))
            {
                continue;
            }
            if ast
                .kwarg(call, "related_name")
                .and_then(|r| ast.str_lit(r))
                .is_some_and(|s| s.value == name)
            {
                if found.as_ref().is_some_and(|f| *f != c.name) {
                    return None;
                }
                found = Some(c.name.clone());
            }
        }
    }
    found
}

/// Calls that eager-load relations by name.
const PREFETCHERS: &[&str] = &[
    "prefetch_related",
    "select_related",
    "Prefetch",
    "prefetch_related_objects",
    "joinedload",
    "selectinload",
    "subqueryload",
    "contains_eager",
];

/// Every relation name a file eager-loads: the segments of the string arguments of
/// `prefetch_related`, `select_related`, `Prefetch`, `joinedload`...
pub fn prefetched_names(ast: &Ast) -> Vec<String> {
    prefetched_names_in(ast, 0..ast.nodes.len() as NodeId)
}

/// [`prefetched_names`] within some nodes (a query chain's subtree).
pub fn prefetched_names_in(ast: &Ast, nodes: std::ops::Range<NodeId>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in nodes {
        let Kind::Call(c) = ast.kind(i) else { continue };
        if !ast.callee_name(c).is_some_and(|n| PREFETCHERS.contains(&n)) {
            continue;
        }
        for a in &c.args {
            let Some(s) = ast.str_lit(a.value) else {
                continue;
            };
            for seg in s.value.split("__").flat_map(|p| p.split('.')) {
                if !seg.is_empty() && !out.iter().any(|o| o == seg) {
                    out.push(seg.to_string());
                }
            }
        }
    }
    out
}

/// [`prefetched_names_in`], also following a list handed over by name
/// (`prefetch_related(*FIELDS)`, `prefetch_related_objects(rows, *fields)`): the string
/// literals the list is given in the function around the call (or at module level), including
/// later `fields.extend([...])`/`append(..)`.
pub fn eager_names_in(ast: &Ast, nodes: std::ops::Range<NodeId>) -> Vec<String> {
    let mut out = prefetched_names_in(ast, nodes.clone());
    let mut add = |s: &str| {
        for seg in s.split("__").flat_map(|p| p.split('.')) {
            if !seg.is_empty() && !out.iter().any(|o| o == seg) {
                out.push(seg.to_string());
            }
        }
    };
    for i in nodes {
        let Kind::Call(c) = ast.kind(i) else { continue };
        if !ast.callee_name(c).is_some_and(|n| PREFETCHERS.contains(&n)) {
            continue;
        }
        for a in &c.args {
            if let Kind::Name(n) = ast.kind(ast.unwrap_expr(a.value)) {
                for s in list_strings(ast, n, i) {
                    add(&s);
                }
            }
        }
    }
    out
}

/// The string literals a list variable is given: its assignments and `extend`/`append`/
/// `insert` calls in the function around `at`, else at module level.
fn list_strings(ast: &Ast, name: &str, at: NodeId) -> Vec<String> {
    let collect = |scope: Option<NodeId>| {
        let range = match scope {
            Some(f) => ast.subtree(f),
            None => 0..ast.nodes.len() as NodeId,
        };
        let mut out = Vec::new();
        for id in range {
            if ast.enclosing_function(id) != scope {
                continue;
            }
            let values: Vec<NodeId> = match ast.kind(id) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } if matches!(ast.kind(ast.unwrap_expr(*target)), Kind::Name(t) if t == name) => {
                    vec![*v]
                }
                Kind::Call(c)
                    if matches!(ast.callee_name(c), Some("extend" | "append" | "insert"))
                        && ast
                            .receiver(c)
                            .is_some_and(|r| matches!(ast.kind(r), Kind::Name(t) if t == name)) =>
                {
                    c.args.iter().map(|a| a.value).collect()
                }
                _ => continue,
            };
            for v in values {
                for n in ast.subtree(v) {
                    if let Some(s) = ast.str_lit(n) {
                        out.push(s.value.clone());
                    }
                }
            }
        }
        out
    };
    let local = ast.enclosing_function(at).map(|f| collect(Some(f)));
    match local {
        Some(l) if !l.is_empty() => l,
        _ => collect(None),
    }
}

/// The relation a related-manager read reads, as a query is displayed
/// (`variant.channel_listings.all()` -> `channel_listings`): a Django `all`/`count`/`exists`
/// that a `prefetch_related` cache serves.
pub fn related_manager_display(what: &str) -> Option<&str> {
    let parts: Vec<&str> = what.split('.').collect();
    let [obj, rel, call] = parts.as_slice() else {
        return None;
    };
    let lower = obj
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    (lower
        && matches!(*call, "all()" | "count()" | "exists()")
        && !matches!(*rel, "objects" | "_default_manager" | "_base_manager")
        && rel.chars().all(|c| c.is_alphanumeric() || c == '_'))
    .then_some(*rel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{parse, Dialect};

    #[test]
    fn relation_fields_of_django_and_sqlalchemy_models() {
        let src = "class Order(Base):\n    __tablename__ = 'orders'\n    total = Column(Integer)\n    customer: Mapped['Customer'] = relationship(back_populates='orders')\n    lines = relationship('Line', lazy='selectin')\n    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)\n";
        let ast = parse(Dialect::Python, src).unwrap();
        let class = (0..ast.nodes.len() as NodeId)
            .find(|&i| matches!(ast.kind(i), Kind::Class(_)))
            .unwrap();
        assert_eq!(lazy_relation_fields(&ast, class), vec!["customer", "shop"]);
    }
}
