//! `missing-input-validation`: request data reaches a database, the file system, a process or
//! an outbound request without being validated at the boundary.
//!
//! Per function, the rule gathers what it reads from the request ([`validation::source`]:
//! `req.body`, `request.form`, `await request.json()`, ...; and for typed-parameter frameworks
//! the parameters that accept anything, [`validation::param_sources`]), grouped by what was
//! read (`req.body` and `req.params` are two groups: two fixes). Each group is followed with
//! [`crate::flow::uses`] through locals, destructuring, accessors and model constructors to
//! where it ends up. A group is clean when the route validates (middleware, Fastify `schema`,
//! decorators), when the whole value goes through a validator (schema `parse`, a form, a
//! serializer, a pydantic model, marshmallow `load`, serde `from_value`), or, use by use, when
//! the field or local that reaches the sink was checked first (a type, length, range,
//! membership or pattern check, a named `validate_*` function) or converted (`int(..)`,
//! `Number(..)`). What is left is reported once per group, where it is read, with the path to
//! the first sink it reaches.
//!
//! Not reported: data that only decides a branch, is rendered, logged or returned; text-only
//! sources (form fields, Django `GET`/`POST`, route parameters) used as values in an ORM read,
//! which the ORM binds and types (they are reported when written, put into raw SQL, used as a
//! path, a command or a URL).

use crate::ast::{Ast, BinOp, Kind, KindTag, NodeId, UnOp};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::flow::{self, Hop, Use};
use crate::knowledge::validation::{self, Shape, SinkKind, Source, Stack};

pub struct MissingInputValidation;

impl Rule for MissingInputValidation {
    fn id(&self) -> &'static str {
        "missing-input-validation"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Function]
    }
    fn check(&self, cx: &mut Ctx, func: NodeId) {
        let groups = groups(cx, func);
        if groups.is_empty() {
            return;
        }
        if validation::route_validated(cx.ast, func) {
            return;
        }
        for g in groups {
            if let Some(hit) = evaluate(cx, func, &g) {
                report(cx, func, &g, hit);
            }
        }
    }
}

/// What one function reads from one request part.
struct Group {
    root: String,
    shape: Shape,
    stack: Stack,
    /// Expression sources, in source order.
    reads: Vec<NodeId>,
    /// A handler parameter that accepts anything (name, NestJS DTO).
    param: Option<(String, bool)>,
}

fn groups(cx: &Ctx, func: NodeId) -> Vec<Group> {
    let ast = cx.ast;
    let mut out: Vec<Group> = Vec::new();
    let cands = ast.nodes_where("miv-sources", validation::maybe_source);
    for &id in ast.within(func, &cands) {
        let Some((src, owner)) = validation::source(ast, &cx.facts.imports, id) else {
            continue;
        };
        if owner != func {
            continue;
        }
        let Source {
            node,
            root,
            shape,
            stack,
        } = src;
        match out.iter_mut().find(|g| g.root == root) {
            Some(g) => g.reads.push(node),
            None => out.push(Group {
                root,
                shape,
                stack,
                reads: vec![node],
                param: None,
            }),
        }
    }
    if let Some(fw) = cx.facts.handlers.get(&func) {
        for p in validation::param_sources(ast, func, fw) {
            out.push(Group {
                root: p.root,
                shape: p.shape,
                stack: p.stack,
                reads: Vec::new(),
                param: Some((p.name, p.dto)),
            });
        }
    }
    out
}

/// Where a group's data does harm unvalidated.
struct Hit {
    /// The read (or the function, for a parameter source).
    read: NodeId,
    /// The query as a reviewer reads it, for database sinks.
    display: Option<String>,
    path: Vec<flow::Step>,
    sink: NodeId,
    kind: SinkKind,
}

fn evaluate(cx: &Ctx, func: NodeId, g: &Group) -> Option<Hit> {
    let ast = cx.ast;
    let imports = &cx.facts.imports;
    let through =
        |ast: &Ast, call: NodeId, from: NodeId| validation::carries(ast, imports, call, from);
    let mut all: Vec<(NodeId, Use)> = Vec::new();
    for &r in &g.reads {
        for u in flow::uses(ast, r, &through) {
            all.push((r, u));
        }
    }
    if let Some((name, _)) = &g.param {
        for u in flow::uses_of_name(ast, name, func, func, &through) {
            all.push((func, u));
        }
    }
    // the whole value validated once clears the group
    for (r, u) in &all {
        if let Some((call, arg)) = consumer(ast, u.expr) {
            if validation::validates(ast, imports, call, arg) && whole(ast, *r, u) {
                return None;
            }
        }
    }
    let lenient = validates_by_hand(cx, func);
    let mut checked_fields: Vec<String> = Vec::new();
    for &r in &g.reads {
        if let Some(f) = field_of_read(ast, r) {
            if check_context(cx, r, lenient) {
                checked_fields.push(f);
            }
        }
    }
    let query = |id: NodeId| {
        cx.facts
            .query(id)
            .map(|q| (q.kind, q.orm, q.display.clone(), q.sql))
    };
    let mut best: Option<Hit> = None;
    for (r, u) in all {
        let Some(s) = sink_of(cx, func, &u, &query) else {
            continue;
        };
        let field = field(ast, r, &u);
        if !harmful(g, &s, field.is_none() && whole(ast, r, &u)) {
            continue;
        }
        // a path or query value under a fixed host is no server-side request forgery
        if s.kind == SinkKind::Outbound && fixed_host(ast, &u) {
            continue;
        }
        // a free-text form field stored as text: nothing to validate but its length
        if g.shape == Shape::Text
            && s.kind == SinkKind::Write
            && field.as_deref().is_some_and(free_text)
        {
            continue;
        }
        // a route parameter stored as one column's value: the router matched one URL segment,
        // the ORM binds it as text; a missing row is a 404 or a constraint error, not an attack
        if s.kind == SinkKind::Write && field.is_some() && validation::route_segment(&g.root) {
            continue;
        }
        let (kind, sink) = (s.kind.clone(), s.call);
        let display = s.orm.as_ref().map(|o| o.1.clone());
        if let Some(f) = &field {
            if checked_fields.contains(f) {
                continue;
            }
        }
        if locals_checked(cx, func, r, &u, field.as_deref(), sink, lenient) {
            continue;
        }
        let read = if g.param.is_some() { func } else { r };
        let better = best.as_ref().is_none_or(|b| read < b.read);
        if better {
            best = Some(Hit {
                read,
                display,
                path: u.path,
                sink,
                kind,
            });
        }
    }
    best
}

/// The call a use ends in, and the node of the value there (an argument or the receiver).
fn consumer(ast: &Ast, expr: NodeId) -> Option<(NodeId, NodeId)> {
    let p = ast.parent(expr)?;
    // `order.save()` on a local: the name is the receiver
    if let Kind::Member { object, .. } = ast.kind(p) {
        if *object == expr {
            let g = ast.parent(p)?;
            return ast
                .call(g)
                .is_some_and(|c| c.callee == p)
                .then_some((g, expr));
        }
    }
    let c = ast.call(p)?;
    if c.callee == expr {
        // `value.method(..)`: the receiver
        let r = ast.receiver(c)?;
        return Some((p, ast.unwrap_expr(r)));
    }
    c.args.iter().any(|a| a.value == expr).then_some((p, expr))
}

/// Whether the use carries the whole value read (not one field of it): `schema.parse(req.body)`,
/// `data = request.get_json(); Schema().load(data)`.
fn whole(ast: &Ast, read: NodeId, u: &Use) -> bool {
    // every hop hands the value on as it is: assignments of the bare value, then the bare read
    for s in &u.path {
        if let Hop::Assigned(_) = s.hop {
            let Some(assign) = ast.parent(s.node) else {
                return false;
            };
            match ast.kind(assign) {
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } if *target == s.node => {
                    let v = ast.unwrap_expr(*v);
                    if !(v == read || matches!(ast.kind(v), Kind::Name(_))) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }
    ast.unwrap_expr(u.expr) == u.from || u.expr == read
}

/// The field a read picks: `req.body.email`, `data["email"]`, `request.form.get("email")`.
fn field_of_read(ast: &Ast, read: NodeId) -> Option<String> {
    let mut cur = read;
    // step over `await`
    while let Some(p) = ast.parent(cur) {
        if matches!(ast.kind(p), Kind::Await(_) | Kind::Question(_)) {
            cur = p;
        } else {
            break;
        }
    }
    let p = ast.parent(cur)?;
    match ast.kind(p) {
        Kind::Member { object, property } if *object == cur => {
            // `request.form.get("email")`: the member is the callee
            if let Some(c) = ast.parent(p).and_then(|g| ast.call(g)) {
                if c.callee == p {
                    if matches!(property.as_str(), "get" | "getlist" | "pop" | "get_all") {
                        return c
                            .args
                            .first()
                            .and_then(|a| validation::key_of(ast, a.value));
                    }
                    return None;
                }
            }
            Some(property.clone())
        }
        Kind::Index { object, index } if *object == cur => validation::key_of(ast, *index),
        _ => None,
    }
}

/// The field of the request a use carries, when it carries one.
fn field(ast: &Ast, read: NodeId, u: &Use) -> Option<String> {
    if let Some(f) = field_of_read(ast, read) {
        return Some(f);
    }
    for s in &u.path {
        if let Hop::Assigned(n) = &s.hop {
            let destructured = ast
                .parent(s.node)
                .is_some_and(|p| matches!(ast.kind(p), Kind::Object { .. } | Kind::Array(_)));
            if destructured {
                return Some(n.clone());
            }
        }
    }
    if u.from != read {
        return field_of_read(ast, u.from);
    }
    None
}

/// Whether a local on the use's path was checked before the sink: the local itself (`email`
/// bound from a field), or the use's field read from it (`data.get("qty")` when `data` holds
/// the whole body). A check of a local holding the whole body (`if not data: abort(400)`)
/// checks none of its fields.
fn locals_checked(
    cx: &Ctx,
    func: NodeId,
    read: NodeId,
    u: &Use,
    field: Option<&str>,
    sink: NodeId,
    lenient: bool,
) -> bool {
    let ast = cx.ast;
    let mut whole_so_far = field_of_read(ast, read).is_none();
    for s in &u.path {
        let Hop::Assigned(n) = &s.hop else { continue };
        let bare = ast.parent(s.node).is_some_and(|a| match ast.kind(a) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if *target == s.node => {
                let v = ast.unwrap_expr(*v);
                v == read || matches!(ast.kind(v), Kind::Name(_))
            }
            _ => false,
        });
        let bound_whole = whole_so_far && (bare || s.node == func);
        for &m in ast.names_in(n, func).iter().take_while(|&&m| m < sink) {
            if !check_context(cx, m, lenient) {
                continue;
            }
            match field_of_read(ast, m) {
                None if !bound_whole => return true,
                Some(k) if Some(k.as_str()) == field => return true,
                _ => {}
            }
        }
        whole_so_far = bound_whole;
    }
    false
}

/// Whether data reaching `s` does harm unvalidated. Writes, raw SQL, paths, commands and URLs
/// always; a read only where a client-sent object becomes query operators (Mongo, Prisma
/// `where` objects) or the whole value is the filter (`User.find(req.query)`): SQL ORMs bind
/// and type a scalar lookup value. Values that only pick the rows a write touches count as
/// reads.
fn harmful(g: &Group, s: &validation::Sink, whole: bool) -> bool {
    let read = s.kind == SinkKind::Read || s.kind == SinkKind::Write && s.filter;
    if !read {
        return true;
    }
    if g.shape == Shape::Text || s.typed {
        return false;
    }
    let orm = s.orm.as_ref().map_or("", |o| o.0);
    whole && s.kind == SinkKind::Read
        || matches!(orm, "Mongoose" | "Prisma" | "MongoDB" | "PyMongo" | "Motor")
}

/// Whether the URL the value goes into starts with a literal host or path
/// (`` `https://api.example.com/quotes/${id}` ``, `"/v1/items/" + id`), on the way from the read
/// to the request.
fn fixed_host(ast: &Ast, u: &Use) -> bool {
    let mut exprs = vec![u.expr];
    for s in &u.path {
        if let Hop::Assigned(_) = s.hop {
            if let Some(a) = ast.parent(s.node) {
                if let Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } = ast.kind(a)
                {
                    if *target == s.node {
                        exprs.push(*v);
                    }
                }
            }
        }
    }
    let names: Vec<&str> = u
        .path
        .iter()
        .filter_map(|s| match &s.hop {
            Hop::Assigned(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    exprs
        .into_iter()
        .any(|e| literal_host(ast, e) || configured_host(ast, e, u.from, &names))
}

/// `` `${QUOTES_URL}/${symbol}` ``: the URL starts with a value that is not the request's
/// (a constant, the environment, configuration), followed by a path.
fn configured_host(ast: &Ast, e: NodeId, read: NodeId, names: &[&str]) -> bool {
    let e = ast.unwrap_expr(e);
    let Kind::Str(s) = ast.kind(e) else {
        return false;
    };
    let Some(&first) = s.parts.first() else {
        return false;
    };
    let carries_request = ast.contains(first, read)
        || ast
            .subtree(first)
            .any(|i| matches!(ast.kind(i), Kind::Name(n) if names.contains(&n.as_str())));
    !carries_request && s.value.starts_with("{}/")
}

fn literal_host(ast: &Ast, e: NodeId) -> bool {
    let fixed = |text: &str| match text.split_once("://") {
        Some((_, rest)) => rest.find('/').is_some_and(|i| i > 0),
        None => text.starts_with('/'),
    };
    let e = ast.unwrap_expr(e);
    match ast.kind(e) {
        Kind::Str(s) => {
            let prefix = s.value.split("{}").next().unwrap_or("");
            s.value.contains("{}") && fixed(prefix)
        }
        Kind::Binary { lhs, .. } => match ast.kind(ast.unwrap_expr(*lhs)) {
            Kind::Str(s) => fixed(&s.value),
            Kind::Binary { .. } => literal_host(ast, *lhs),
            _ => false,
        },
        Kind::Call(c) if c.is_macro => c.args.first().is_some_and(|a| {
            literal_host(ast, a.value)
                || ast
                    .plain_str(a.value)
                    .is_some_and(|t| t.contains("{}") && fixed(t.split("{}").next().unwrap_or("")))
        }),
        _ => false,
    }
}

/// Free-text fields: a name, a title, a message. As form text stored in a text column there is
/// nothing to validate but its length.
fn free_text(field: &str) -> bool {
    let last = field
        .rsplit(['_', '-'])
        .next()
        .unwrap_or(field)
        .to_ascii_lowercase();
    matches!(
        last.as_str(),
        "name"
            | "title"
            | "description"
            | "content"
            | "message"
            | "comment"
            | "text"
            | "bio"
            | "note"
            | "notes"
            | "subject"
            | "summary"
            | "label"
            | "caption"
            | "nickname"
            | "firstname"
            | "lastname"
            | "displayname"
            | "affiliation"
            | "password"
            | "passphrase"
    )
}

/// Whether the function validates by hand: it answers bad input with a 4xx (`return {..},
/// 400`, `abort(400)`, `res.status(400)`, `HttpResponseBadRequest`, `raise ValidationError`)
/// or collects errors (`errors.append(..)`). There, a value tested in a condition counts as
/// checked, even by presence only.
fn validates_by_hand(cx: &Ctx, func: NodeId) -> bool {
    let ast = cx.ast;
    ast.verdict("miv-by-hand", func, || {
        ast.subtree(func).any(|id| match ast.kind(id) {
            Kind::Number(Some(n)) => {
                (400.0..500.0).contains(n) && *n != 401.0 && *n != 403.0 && *n != 404.0 && {
                    let t = cx.text(ast.parent(id).unwrap_or(id));
                    !t.contains("==") && !t.contains("!=")
                }
            }
            Kind::Name(n) => matches!(
                n.as_str(),
                "HttpResponseBadRequest"
                    | "ValidationError"
                    | "BadRequest"
                    | "HTTP_400_BAD_REQUEST"
                    | "BAD_REQUEST"
                    | "StatusCode::BAD_REQUEST"
                    | "StatusCode::UNPROCESSABLE_ENTITY"
                    | "BadRequestException"
                    | "UnprocessableEntityException"
            ),
            Kind::Member { property, .. } => matches!(
                property.as_str(),
                "BAD_REQUEST" | "UNPROCESSABLE_ENTITY" | "HTTP_400_BAD_REQUEST"
            ),
            Kind::Call(c) => {
                matches!(ast.callee_name(c), Some("append" | "push"))
                    && ast
                        .receiver(c)
                        .and_then(|r| ast.path_of(r))
                        .is_some_and(|p| p.to_ascii_lowercase().ends_with("errors"))
            }
            _ => false,
        })
    })
}

/// Whether the value at `id` is tested: an argument or receiver of a check (`isinstance`,
/// `validate_email`, `re.match`, `x.isdigit()`, `ALLOWED.includes(x)`, `Array.isArray`), a
/// `typeof` test, a length or range comparison with a number, or a membership test.
fn check_context(cx: &Ctx, id: NodeId, lenient: bool) -> bool {
    strong_check(cx, id) || lenient && in_condition(cx.ast, id)
}

/// Whether `id` is part of the condition of an `if`/`while` (or a ternary's test), within its
/// statement.
fn in_condition(ast: &Ast, id: NodeId) -> bool {
    let mut cur = id;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::If { cond, .. } => return *cond == cur,
            Kind::Loop(_)
            | Kind::Function(_)
            | Kind::Block(_)
            | Kind::Module(_)
            | Kind::Return(_)
            | Kind::Try { .. }
            | Kind::Class(_) => return false,
            Kind::Assign { target, .. } if *target == cur => return false,
            _ => {}
        }
        cur = p;
    }
    false
}

fn strong_check(cx: &Ctx, id: NodeId) -> bool {
    let ast = cx.ast;
    let mut cur = id;
    for _ in 0..8 {
        let Some(p) = ast.parent(cur) else {
            return false;
        };
        match ast.kind(p) {
            Kind::Call(c) => {
                let name = ast.callee_name(c).unwrap_or("");
                if validation::is_check_name(name)
                    && name != "len"
                    && name != "all"
                    && name != "any"
                {
                    return true;
                }
                if validation::validates(ast, &cx.facts.imports, p, cur) {
                    return true;
                }
                // `data.get("qty")` hands the value on to what tests it
                if validation::carries(ast, &cx.facts.imports, p, cur) {
                    cur = p;
                    continue;
                }
                // `len(x) > 100`, `x.length > 100`: climb to the comparison
                if name == "len" || name == "length" || name == "count" {
                    cur = p;
                    continue;
                }
                return false;
            }
            Kind::Binary {
                op: BinOp::Compare,
                lhs,
                rhs,
            } => {
                let other = if *lhs == cur { *rhs } else { *lhs };
                let op = operator(cx, *lhs, *rhs);
                let typed = ast.subtree(p).any(|i| {
                    matches!(
                        ast.kind(i),
                        Kind::Unary {
                            op: UnOp::TypeOf,
                            ..
                        }
                    )
                });
                return typed
                    || matches!(op.as_str(), "in" | "not in" | "instanceof")
                    || matches!(op.as_str(), "<" | ">" | "<=" | ">=")
                        && (matches!(ast.kind(other), Kind::Number(_))
                            || is_length(ast, cur)
                            || matches!(ast.kind(other), Kind::Name(n) if n.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
            }
            Kind::Member { object, property } if *object == cur => {
                if property == "length" {
                    cur = p;
                    continue;
                }
                cur = p;
            }
            Kind::Index { object, .. } if *object == cur => cur = p,
            Kind::Await(_) | Kind::Question(_) => cur = p,
            Kind::Unary {
                op: UnOp::TypeOf, ..
            } => cur = p,
            _ => return false,
        }
    }
    false
}

fn is_length(ast: &Ast, id: NodeId) -> bool {
    match ast.kind(id) {
        Kind::Member { property, .. } => property == "length",
        Kind::Call(c) => matches!(ast.callee_name(c), Some("len" | "count")),
        _ => false,
    }
}

/// The comparison operator between two operands, read from the text between them.
fn operator(cx: &Ctx, lhs: NodeId, rhs: NodeId) -> String {
    let a = cx.ast.span(lhs).end as usize;
    let b = cx.ast.span(rhs).start as usize;
    let t = cx.file.text.get(a..b).unwrap_or("");
    let t = t.trim_matches(|c: char| c.is_whitespace() || c == ')' || c == '(');
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The harm a use does: the sink call it reaches, directly, through an object the data was
/// put into that is then saved (`user.email = v; user.save()`, `Object.assign(user, body)`).
fn sink_of(
    cx: &Ctx,
    func: NodeId,
    u: &Use,
    query: &dyn Fn(NodeId) -> Option<validation::QueryInfo>,
) -> Option<validation::Sink> {
    let ast = cx.ast;
    let imports = &cx.facts.imports;
    if let Some((call, arg)) = consumer(ast, u.expr) {
        if validation::validates(ast, imports, call, arg) {
            return None;
        }
        if let Some(s) = validation::sink(ast, imports, call, arg, u.from, query) {
            return Some(s);
        }
    }
    // put into an object that is saved afterwards
    let target = written_into(ast, u.expr)?;
    let name = match ast.kind(ast.unwrap_expr(target)) {
        Kind::Name(n) => n.clone(),
        _ => return None,
    };
    let after = ast.span(u.expr).end;
    for &n in ast.names_in(&name, func) {
        if ast.span(n).start < after {
            continue;
        }
        let Some((call, arg)) = consumer(ast, n) else {
            continue;
        };
        if let Some(s) = validation::sink(ast, imports, call, arg, n, query) {
            if s.kind == SinkKind::Write && !s.filter {
                return Some(s);
            }
        }
    }
    // a loaded row changed and the session committed: `db.session.commit()`
    ast.calls_named("commit")
        .iter()
        .find(|&&c| {
            ast.contains(func, c)
                && ast.span(c).start >= after
                && ast
                    .call(c)
                    .and_then(|c| ast.receiver(c))
                    .and_then(|r| ast.path_of(r))
                    .is_some_and(|p| {
                        p.ends_with("session") || p == "db" || p.ends_with(".db") || p == "conn"
                    })
        })
        .map(|&c| validation::Sink {
            kind: SinkKind::Write,
            call: c,
            orm: None,
            filter: false,
            typed: false,
        })
}

/// `obj.field = value` (the value's assignment target object), `Object.assign(obj, value)`,
/// `setattr(obj, k, value)`, `_.merge(obj, value)`: the object the value is put into.
fn written_into(ast: &Ast, expr: NodeId) -> Option<NodeId> {
    let p = ast.parent(expr)?;
    match ast.kind(p) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } if *v == expr => match ast.kind(*target) {
            Kind::Member { object, .. } | Kind::Index { object, .. } => Some(*object),
            _ => None,
        },
        _ => {
            // the call itself when it passes the value on (`Object.assign` is a carrier)
            let call = if ast.call(expr).is_some() { expr } else { p };
            let c = ast.call(call)?;
            let name = ast.callee_name(c)?;
            let path = ast.path_of(c.callee).unwrap_or_default();
            let mass = matches!(
                path.as_str(),
                "Object.assign" | "_.merge" | "_.assign" | "_.extend" | "lodash.merge" | "setattr"
            ) || name == "set" && ast.receiver(c).is_some();
            if !mass {
                return None;
            }
            if name == "set" {
                return ast.receiver(c);
            }
            let first = c.args.first()?.value;
            (first != expr && !ast.contains(first, expr)).then_some(first)
        }
    }
}

fn report(cx: &mut Ctx, func: NodeId, g: &Group, hit: Hit) {
    let ast = cx.ast;
    let verb = hit.kind.verb();
    let sink_text = hit
        .display
        .clone()
        .unwrap_or_else(|| sink_display(cx, hit.sink));
    let message = format!(
        "`{}` is {verb} (`{sink_text}`) without validation: {}",
        g.root,
        g.stack.fix()
    );
    let span = if g.param.is_some() {
        ast.function(func).map_or(cx.first_line(func), |f| f.head)
    } else {
        cx.first_line(hit.read)
    };
    let mut f = cx.finding(span, message).help(help(g.stack));
    for s in &hit.path {
        match &s.hop {
            Hop::Read => {
                f = f.step(cx.first_line(s.node), "read here");
            }
            Hop::Assigned(_) if s.node == func => {}
            Hop::Assigned(n) => {
                f = f.step(cx.first_line(s.node), format!("assigned to `{n}`"));
            }
            Hop::Used => {}
        }
    }
    if g.param.is_some() {
        // the parameter itself is where the data comes in
        let head = ast.function(func).map_or(cx.first_line(func), |f| f.head);
        f.steps.insert(0, (head, "received here".to_string()));
    }
    f = f.step(cx.call_site(hit.sink), format!("{verb} here"));
    if let Some((_, true)) = &g.param {
        f = f.condition(Condition::NoGlobalValidationPipe);
    }
    if let Some(c) = unless_validated_route(cx, func) {
        f = match f.condition.take() {
            Some(prev) => f.condition(Condition::All(vec![prev, c])),
            None => f.condition(c),
        };
    }
    cx.emit(f);
}

/// A handler defined here and registered by name elsewhere (`router.post("/", validate(s),
/// orders.create)`): settled on the project index.
fn unless_validated_route(cx: &Ctx, func: NodeId) -> Option<Condition> {
    let name = crate::imports::function_name(cx.ast, func)?;
    Some(Condition::UnlessValidatedRoute(name))
}

fn sink_display(cx: &Ctx, sink: NodeId) -> String {
    let ast = cx.ast;
    let Some(c) = ast.call(sink) else {
        return cx.text(sink).lines().next().unwrap_or("").to_string();
    };
    let callee = cx.text(c.callee);
    let callee: String = callee.split_whitespace().collect::<Vec<_>>().join("");
    let callee = if callee.len() > 50 {
        let cut = callee
            .char_indices()
            .map(|(i, _)| i)
            .take_while(|&i| i <= 50)
            .last()
            .unwrap_or(0);
        format!("…{}", &callee[cut..])
    } else {
        callee
    };
    format!("{callee}(…)")
}

fn help(stack: Stack) -> &'static str {
    match stack {
        Stack::Express | Stack::Koa | Stack::NextJs | Stack::Fastify => {
            "validate at the boundary: `const input = CreateOrder.parse(req.body)` (zod), a joi/yup schema, express-validator or celebrate middleware, or a Fastify route `schema`; then use only `input`"
        }
        Stack::Hapi => {
            "validate on the route: `options: { validate: { payload: Joi.object({..}), query: .., params: .. } }`; hapi rejects what does not fit before the handler runs"
        }
        Stack::NestJs => {
            "declare a DTO class with class-validator decorators for the parameter and enable `app.useGlobalPipes(new ValidationPipe({ whitelist: true }))`"
        }
        Stack::Flask | Stack::Aiohttp => {
            "validate at the boundary: `data = OrderSchema().load(request.get_json())` (marshmallow) or `OrderIn.model_validate(request.get_json())` (pydantic); then use only `data`"
        }
        Stack::Django | Stack::Drf => {
            "validate at the boundary: `form = OrderForm(request.POST)` / `serializer = OrderSerializer(data=request.data)`, then `is_valid()` and use `cleaned_data` / `validated_data`"
        }
        Stack::FastApi => {
            "declare the body as a pydantic model (`order: OrderIn`) so FastAPI validates it before the handler runs"
        }
        Stack::Axum | Stack::Actix | Stack::Rocket => {
            "deserialize into a typed struct (`#[derive(Deserialize, Validate)] struct CreateOrder {..}`) and call `validate()`; serde rejects what does not fit"
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    const RULE: &str = "missing-input-validation";

    #[test]
    fn flask_json_into_a_model() {
        let src = "from flask import request\nfrom app import db\nfrom app.models import User\n\n@app.route('/users', methods=['POST'])\ndef create():\n    data = request.get_json()\n    user = User(name=data['name'], email=data['email'])\n    db.session.add(user)\n    db.session.commit()\n    return {'id': user.id}\n";
        assert_eq!(lines(RULE, "app/views.py", src), vec![7]);
    }

    #[test]
    fn marshmallow_load_clears() {
        let src = "from flask import request\nfrom app import db\n\n@app.route('/users', methods=['POST'])\ndef create():\n    data = request.get_json()\n    user = UserSchema().load(data)\n    db.session.add(user)\n    return {}\n";
        assert!(lines(RULE, "app/views.py", src).is_empty());
    }

    #[test]
    fn express_body_into_create() {
        let src = "import { Order } from '../models/order';\nrouter.post('/orders', async (req, res) => {\n  const { item, qty } = req.body;\n  const order = await Order.create({ item, qty });\n  res.json(order);\n});\n";
        assert_eq!(lines(RULE, "src/routes/orders.ts", src), vec![3]);
    }

    #[test]
    fn zod_parse_clears() {
        let src = "router.post('/orders', async (req, res) => {\n  const input = OrderSchema.parse(req.body);\n  const order = await Order.create(input);\n  res.json(order);\n});\n";
        assert!(lines(RULE, "src/routes/orders.ts", src).is_empty());
    }

    #[test]
    fn axum_json_value() {
        let src = "async fn create(State(pool): State<PgPool>, Json(body): Json<Value>) -> impl IntoResponse {\n    let name = body[\"name\"].as_str().unwrap_or_default();\n    sqlx::query(\"INSERT INTO items (name) VALUES ($1)\").bind(name).execute(&pool).await.unwrap();\n    StatusCode::CREATED\n}\n";
        assert_eq!(lines(RULE, "src/handlers.rs", src), vec![1]);
    }
}
