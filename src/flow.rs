//! Local data flow within one function: where a value came from ([`origin`]) and where it goes
//! ([`uses`]), through local variables, destructuring, field and index reads, `await`, `?`,
//! operators, string interpolation and container literals. Calls pass a value on only where
//! the caller's `through` says so (an accessor like `.get("k")` or `.trim()` does; a validator
//! does not); that decision is the rule's, from its knowledge tables.
//!
//! Both directions stay inside the function that holds the starting node (closures within it
//! included) and stop after [`MAX_HOPS`] assignments.

use crate::ast::{Ast, BinOp, Kind, NodeId, UnOp};

/// How many assignments a path may cross.
pub const MAX_HOPS: usize = 8;

/// How a value moved from one node to the next on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hop {
    /// Where the value was read (the source).
    Read,
    /// Assigned (or destructured) to the local `name` at this node (the assignment target).
    Assigned(String),
    /// Where the value was used (the sink side).
    Used,
}

/// One step of a path: the node and how the value got there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub node: NodeId,
    pub hop: Hop,
}

/// Whether the result of the call `call` carries the value that reaches it at `from` (its
/// receiver or one of its arguments).
pub type Through<'a> = dyn Fn(&Ast, NodeId, NodeId) -> bool + 'a;

/// Calls never pass a value on.
pub fn no_calls(_: &Ast, _: NodeId, _: NodeId) -> bool {
    false
}

/// Methods that hand on the value they are called on (accessors and conversions).
pub const ACCESSOR_METHODS: &[&str] = &[
    "get",
    "getlist",
    "pop",
    "items",
    "values",
    "keys",
    "copy",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "trim",
    "trimStart",
    "trimEnd",
    "toLowerCase",
    "toUpperCase",
    "toString",
    "to_string",
    "to_owned",
    "clone",
    "as_str",
    "as_ref",
    "into_inner",
    "unwrap",
    "expect",
    "unwrap_or_default",
    "split",
    "join",
    "decode",
    "encode",
    "format",
];

/// Common accessors and conversions pass a value on when called on it: `.get("k")`,
/// `.getlist("k")`, `.trim()`, `.lower()`, `.to_string()`, `.clone()`, `str(x)`, `String(x)`.
pub fn accessors(ast: &Ast, call: NodeId, from: NodeId) -> bool {
    const FUNCTIONS: &[&str] = &["str", "String", "int", "Number", "dict", "list", "Object"];
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(name) = ast.callee_name(c) else {
        return false;
    };
    match ast.receiver(c) {
        Some(r) => ast.unwrap_expr(r) == from && ACCESSOR_METHODS.contains(&name),
        None if c.is_macro => name == "format",
        None => FUNCTIONS.contains(&name),
    }
}

/// Climbs from `id` to the largest expression that still carries its value: member and index
/// reads on it, wrappers, operators, interpolation, container literals, and calls `through`
/// accepts. Stops below statements, assignments and calls that do not pass the value on.
pub fn carrier(ast: &Ast, id: NodeId, through: &Through) -> NodeId {
    let mut cur = id;
    while let Some(p) = ast.parent(cur) {
        let carries = carrier_step(ast, p, cur, through);
        if !carries {
            break;
        }
        cur = p;
    }
    cur
}

/// The locals an assignment binds: the target name, or each name of a destructuring pattern.
fn bound_names(ast: &Ast, target: NodeId) -> Vec<(String, NodeId)> {
    match ast.kind(target) {
        Kind::Name(n) => vec![(n.clone(), target)],
        Kind::Array(_) | Kind::Object { .. } => ast
            .subtree(target)
            .filter_map(|i| match ast.kind(i) {
                // in `{a: b}` the bound name is the entry's value, not its key
                Kind::Name(n) if !is_pattern_key(ast, i) => Some((n.clone(), i)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_pattern_key(ast: &Ast, id: NodeId) -> bool {
    ast.parent(id).is_some_and(|p| match ast.kind(p) {
        Kind::Object { entries, .. } => entries
            .iter()
            .any(|e| e.key_node == Some(id) && e.value != id),
        _ => false,
    })
}

/// If `expr` is the value of an assignment: the assignment.
fn assignment_of(ast: &Ast, expr: NodeId) -> Option<(NodeId, NodeId)> {
    let p = ast.parent(expr)?;
    match ast.kind(p) {
        Kind::Assign {
            target,
            value: Some(v),
            augmented: false,
            ..
        } if *v == expr => Some((p, *target)),
        _ => None,
    }
}

/// Whether the name node `id` is written rather than read (an assignment target or part of a
/// destructuring pattern).
fn is_written(ast: &Ast, id: NodeId) -> bool {
    let mut cur = id;
    while let Some(p) = ast.parent(cur) {
        match ast.kind(p) {
            Kind::Assign { target, .. } => return *target == cur,
            Kind::Array(_) | Kind::Object { .. } => cur = p,
            _ => return false,
        }
    }
    false
}

/// A use of a value: the largest expression carrying it (see [`carrier`]) and the path from
/// the source to it.
#[derive(Clone, Debug)]
pub struct Use {
    pub expr: NodeId,
    /// The read whose value `expr` carries (the source, or a read of the last local).
    pub from: NodeId,
    pub path: Vec<Step>,
}

/// Where the value read at `source` goes within its function: every expression that carries it
/// and is not itself assigned to a local (those locals are followed instead).
pub fn uses(ast: &Ast, source: NodeId, through: &Through) -> Vec<Use> {
    let scope = ast.enclosing_function(source).unwrap_or(crate::ast::ROOT);
    let mut out = Vec::new();
    let start = vec![Step {
        node: source,
        hop: Hop::Read,
    }];
    let mut seen = Vec::new();
    follow(ast, scope, source, start, through, &mut seen, &mut out);
    out
}

/// Where the local `name`, bound at `binding` (a parameter's position or an assignment), goes
/// within `scope`.
pub fn uses_of_name(
    ast: &Ast,
    name: &str,
    binding: NodeId,
    scope: NodeId,
    through: &Through,
) -> Vec<Use> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let path = vec![Step {
        node: binding,
        hop: Hop::Assigned(name.to_string()),
    }];
    reads(
        ast, scope, name, binding, &path, through, &mut seen, &mut out,
    );
    out
}

fn follow(
    ast: &Ast,
    scope: NodeId,
    from: NodeId,
    path: Vec<Step>,
    through: &Through,
    seen: &mut Vec<NodeId>,
    out: &mut Vec<Use>,
) {
    let top = carrier(ast, from, through);
    let used = |mut path: Vec<Step>, out: &mut Vec<Use>| {
        path.push(Step {
            node: top,
            hop: Hop::Used,
        });
        out.push(Use {
            expr: top,
            from,
            path,
        });
    };
    // iterated: `for row in rows` binds each element to `row`
    if let Some(lp) = ast.parent(top) {
        if let Kind::Loop(l) = ast.kind(lp) {
            if l.iter == Some(top) && !l.bindings.is_empty() {
                if seen.contains(&lp) || path.len() > MAX_HOPS {
                    return;
                }
                seen.push(lp);
                for name in &l.bindings {
                    let mut p = path.clone();
                    p.push(Step {
                        node: lp,
                        hop: Hop::Assigned(name.clone()),
                    });
                    for &read in ast.names_in(name, lp) {
                        if is_written(ast, read) || !l.body.iter().any(|&b| ast.contains(b, read)) {
                            continue;
                        }
                        follow(ast, scope, read, p.clone(), through, seen, out);
                    }
                }
                return;
            }
        }
    }
    let Some((assign, target)) = assignment_of(ast, top) else {
        used(path, out);
        return;
    };
    let names = bound_names(ast, target);
    // written into a field or an element (`user.email = v`, `row["k"] = v`): a use, at the value
    if names.is_empty() {
        used(path, out);
        return;
    }
    if seen.contains(&assign) || path.len() > MAX_HOPS {
        return;
    }
    seen.push(assign);
    for (name, at) in names {
        let mut p = path.clone();
        p.push(Step {
            node: at,
            hop: Hop::Assigned(name.clone()),
        });
        reads(ast, scope, &name, assign, &p, through, seen, out);
    }
}

#[allow(clippy::too_many_arguments)]
fn reads(
    ast: &Ast,
    scope: NodeId,
    name: &str,
    binding: NodeId,
    path: &[Step],
    through: &Through,
    seen: &mut Vec<NodeId>,
    out: &mut Vec<Use>,
) {
    let is_param = !matches!(ast.kind(binding), Kind::Assign { .. });
    for &read in ast.names_in(name, scope) {
        if read <= binding && !is_param || is_written(ast, read) {
            continue;
        }
        // the read must see this binding, not a later reassignment
        let seen_binding = ast.assignment_before(name, scope, read, false).map(|a| a.0);
        let sees = match seen_binding {
            Some(a) => a == binding || ast.contains(a, read),
            None => is_param,
        };
        if !sees {
            continue;
        }
        follow(ast, scope, read, path.to_vec(), through, seen, out);
    }
}

/// The path by which `expr` (read at `expr`) came from a node where `is_source` holds: `expr`
/// itself or something it carries, or, for a local, the value it was last assigned before
/// `expr` in its function, recursively. The path runs from the source to `expr`.
pub fn origin(
    ast: &Ast,
    expr: NodeId,
    is_source: &dyn Fn(NodeId) -> bool,
    through: &Through,
) -> Option<Vec<Step>> {
    origin_kept(ast, expr, is_source, through, &every_step)
}

/// Whether the value of `child` passes on to its parent `parent` as far as a rule cares,
/// beside the carrying [`carrier`] already checks: a rule about secrets says `token.id` is
/// not the token and `token is None` is a flag; one about request data keeps both. Also asked
/// for a name bound in a destructuring pattern (`child`) and the pattern node holding it
/// (`parent`, inside the assignment's target): `const { email } = body` binds `body.email`.
pub type Keeps<'a> = dyn Fn(&Ast, NodeId, NodeId) -> bool + 'a;

/// Every carrying step keeps the value.
pub fn every_step(_: &Ast, _: NodeId, _: NodeId) -> bool {
    true
}

/// Every carrying step except those that make a different value of it: a comparison or a
/// negation is a flag (`!err`, `token is None`), `typeof x` a type name, `-x` a number.
pub fn keeps_value(ast: &Ast, parent: NodeId, _child: NodeId) -> bool {
    match ast.kind(parent) {
        Kind::Binary { op, .. } => !matches!(op, BinOp::Compare | BinOp::Other),
        Kind::Unary { op, .. } => !matches!(op, UnOp::Not | UnOp::TypeOf | UnOp::Neg),
        _ => true,
    }
}

/// [`origin`], where every step from a read to the expression that holds it (at the use and
/// at each assignment on the way) must also satisfy `keeps`.
pub fn origin_kept(
    ast: &Ast,
    expr: NodeId,
    is_source: &dyn Fn(NodeId) -> bool,
    through: &Through,
    keeps: &Keeps,
) -> Option<Vec<Step>> {
    let scope = ast.enclosing_function(expr).unwrap_or(crate::ast::ROOT);
    let t = Trace {
        is_source,
        through,
        keeps,
    };
    let mut path = back(ast, scope, expr, &t, 0)?;
    path.push(Step {
        node: expr,
        hop: Hop::Used,
    });
    Some(path)
}

struct Trace<'a> {
    is_source: &'a dyn Fn(NodeId) -> bool,
    through: &'a Through<'a>,
    keeps: &'a Keeps<'a>,
}

fn back(ast: &Ast, scope: NodeId, expr: NodeId, t: &Trace, depth: usize) -> Option<Vec<Step>> {
    if depth > MAX_HOPS {
        return None;
    }
    for id in ast.subtree(expr) {
        // only nodes whose value reaches `expr`
        if carrier_within(ast, id, expr, t) {
            if (t.is_source)(id) {
                return Some(vec![Step {
                    node: id,
                    hop: Hop::Read,
                }]);
            }
            if let Kind::Name(n) = ast.kind(id) {
                if let Some((assign, value)) = ast.assignment_before(n, scope, id, false) {
                    if ast.contains(assign, id) {
                        continue;
                    }
                    let target = match ast.kind(assign) {
                        Kind::Assign { target, .. } => *target,
                        _ => assign,
                    };
                    // a destructuring pattern binds part of the value: the rule says whether
                    // the step from the pattern to the bound name keeps it
                    if !matches!(ast.kind(target), Kind::Name(_)) {
                        let picked = bound_names(ast, target)
                            .into_iter()
                            .find(|(name, _)| name == n)
                            .and_then(|(_, at)| ast.parent(at).map(|p| (p, at)));
                        if picked.is_some_and(|(p, at)| !(t.keeps)(ast, p, at)) {
                            continue;
                        }
                    }
                    if let Some(mut p) = back(ast, scope, value, t, depth + 1) {
                        p.push(Step {
                            node: target,
                            hop: Hop::Assigned(n.clone()),
                        });
                        return Some(p);
                    }
                }
            }
        }
    }
    None
}

/// Whether the value of `id` is carried up to `top` (which holds it).
fn carrier_within(ast: &Ast, id: NodeId, top: NodeId, t: &Trace) -> bool {
    let mut cur = id;
    while cur != top {
        let Some(p) = ast.parent(cur) else {
            return false;
        };
        if carrier_step(ast, p, cur, t.through) && (t.keeps)(ast, p, cur) {
            cur = p;
        } else {
            return false;
        }
    }
    true
}

/// Whether the parent `p` carries the value of its child `cur` (see [`carrier`]).
fn carrier_step(ast: &Ast, p: NodeId, cur: NodeId, through: &Through) -> bool {
    match ast.kind(p) {
        Kind::Member { object, .. } => *object == cur,
        Kind::Index { object, .. } => *object == cur,
        Kind::Await(_) | Kind::Question(_) | Kind::Unary { .. } | Kind::Binary { .. } => true,
        Kind::Str(_) | Kind::Array(_) => true,
        Kind::Object { entries, .. } => entries.iter().any(|e| e.value == cur),
        Kind::Call(c) => {
            // `recv.method(..)`: the callee member's parent is the call
            let via = if c.callee == cur {
                ast.receiver(c)
            } else {
                Some(cur)
            };
            via.is_some_and(|v| through(ast, p, ast.unwrap_expr(v)))
                && (c.callee == cur || c.args.iter().any(|a| a.value == cur))
        }
        Kind::Other => ast.wrapped(p) == Some(cur) || conditional_branch(ast, p, cur),
        _ => false,
    }
}

/// Whether `cur` is a branch (not the condition) of the conditional expression `p`:
/// `c ? a : b` (TypeScript), `a if c else b` (Python). Rust's `if` is a statement node.
pub fn conditional_branch(ast: &Ast, p: NodeId, cur: NodeId) -> bool {
    let mut kids = ast.children(p);
    let (Some(x), Some(y), Some(z), None) = (kids.next(), kids.next(), kids.next(), kids.next())
    else {
        return false;
    };
    match ast.lang {
        crate::ast::Lang::TypeScript => cur == y || cur == z,
        crate::ast::Lang::Python => cur == x || cur == z,
        crate::ast::Lang::Rust => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{parse, Dialect};

    fn find_call(ast: &Ast, text: &str, callee: &str) -> NodeId {
        (0..ast.nodes.len() as NodeId)
            .find(|&i| {
                ast.call(i).is_some_and(|c| {
                    let s = ast.span(c.callee);
                    &text[s.start as usize..s.end as usize] == callee
                })
            })
            .expect("call present")
    }

    fn named(ast: &Ast, id: NodeId) -> String {
        match ast.kind(id) {
            Kind::Name(n) => n.clone(),
            _ => String::new(),
        }
    }

    #[test]
    fn forward_through_locals_destructuring_and_fields() {
        let text = "async function h(req, res) {\n  const body = req.body;\n  const { email, name: who } = body;\n  const trimmed = email.trim();\n  await db.insert(trimmed);\n  log(who);\n  other(name);\n}\n";
        let ast = parse(Dialect::TypeScript, text).unwrap();
        let source = (0..ast.nodes.len() as NodeId)
            .find(|&i| ast.path_of(i).as_deref() == Some("req.body"))
            .unwrap();
        let found = uses(&ast, source, &accessors);
        let insert = find_call(&ast, text, "db.insert");
        let log = find_call(&ast, text, "log");
        let other = find_call(&ast, text, "other");
        let at = |call: NodeId| found.iter().find(|u| ast.parent(u.expr) == Some(call));
        let u = at(insert).expect("reaches the insert");
        let names: Vec<_> = u
            .path
            .iter()
            .filter_map(|s| match &s.hop {
                Hop::Assigned(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["body", "email", "trimmed"]);
        assert!(
            at(log).is_some(),
            "the renamed destructured field is followed"
        );
        assert!(at(other).is_none(), "a pattern key is not a bound name");
    }

    #[test]
    fn forward_stops_at_calls_that_do_not_pass_the_value() {
        let text = "def view(request):\n    data = request.POST\n    form = OrderForm(data)\n    clean = form.cleaned_data\n    save(clean)\n    save(data.get('x'))\n";
        let ast = parse(Dialect::Python, text).unwrap();
        let source = (0..ast.nodes.len() as NodeId)
            .find(|&i| ast.path_of(i).as_deref() == Some("request.POST"))
            .unwrap();
        let found = uses(&ast, source, &accessors);
        // `data` reaches `OrderForm(data)` (a use) and `save(data.get(..))`; `clean` is not
        // followed because `OrderForm(..)` does not pass the value on
        let used_in: Vec<String> = found
            .iter()
            .filter_map(|u| {
                let call = ast.parent(u.expr)?;
                let c = ast.call(call)?;
                Some(named(&ast, c.callee))
            })
            .collect();
        assert_eq!(used_in, ["OrderForm", "save"]);
    }

    #[test]
    fn forward_into_fields_and_loop_bindings() {
        let text = "def view(request):\n    data = request.POST\n    order.note = data['note']\n    for row in data['rows']:\n        save(row)\n";
        let ast = parse(Dialect::Python, text).unwrap();
        let source = (0..ast.nodes.len() as NodeId)
            .find(|&i| ast.path_of(i).as_deref() == Some("request.POST"))
            .unwrap();
        let found = uses(&ast, source, &accessors);
        // written into a field: a use at the value, whose parent is the assignment
        assert!(found.iter().any(|u| ast
            .parent(u.expr)
            .is_some_and(|p| matches!(ast.kind(p), Kind::Assign { .. }))));
        // iterated: followed through the loop binding to `save(row)`
        let save = find_call(&ast, text, "save");
        let u = found
            .iter()
            .find(|u| ast.parent(u.expr) == Some(save))
            .expect("reaches save(row)");
        assert!(u.path.iter().any(|s| s.hop == Hop::Assigned("row".into())));
        assert_eq!(named(&ast, u.from), "row");
    }

    #[test]
    fn reassignment_cuts_the_path() {
        let text = "def view(request):\n    x = request.GET\n    x = {}\n    save(x)\n";
        let ast = parse(Dialect::Python, text).unwrap();
        let source = (0..ast.nodes.len() as NodeId)
            .find(|&i| ast.path_of(i).as_deref() == Some("request.GET"))
            .unwrap();
        assert!(uses(&ast, source, &accessors).is_empty());
    }

    #[test]
    fn conditional_branches_carry_the_condition_does_not() {
        let text = "function h(err, res) {\n  const m = err instanceof AppError ? err.message : 'failed';\n  res.json({ m });\n  const k = err.code ? 'a' : 'b';\n  res.json({ k });\n}\n";
        let ast = parse(Dialect::TypeScript, text).unwrap();
        let is_err = |id: NodeId| {
            named(&ast, id) == "err"
                && !matches!(
                    ast.parent(id).map(|p| ast.kind(p)),
                    Some(Kind::Binary { .. })
                )
        };
        let json: Vec<NodeId> = (0..ast.nodes.len() as NodeId)
            .filter(|&i| {
                ast.call(i).is_some_and(|c| {
                    let s = ast.span(c.callee);
                    &text[s.start as usize..s.end as usize] == "res.json"
                })
            })
            .collect();
        let arg = |call: NodeId| ast.call(call).unwrap().args[0].value;
        assert!(origin(&ast, arg(json[0]), &is_err, &no_calls).is_some());
        assert!(origin(&ast, arg(json[1]), &is_err, &no_calls).is_none());

        let py = "def h(e):\n    m = str(e) if e else 'x'\n    k = 'a' if e.code else 'b'\n    send(m)\n    send(k)\n";
        let ast = parse(Dialect::Python, py).unwrap();
        let is_e = |id: NodeId| named(&ast, id) == "e";
        let sends: Vec<NodeId> = (0..ast.nodes.len() as NodeId)
            .filter(|&i| ast.call(i).is_some_and(|c| named(&ast, c.callee) == "send"))
            .collect();
        let arg = |call: NodeId| ast.call(call).unwrap().args[0].value;
        assert!(origin(&ast, arg(sends[0]), &is_e, &accessors).is_some());
        assert!(origin(&ast, arg(sends[1]), &is_e, &accessors).is_none());
    }

    #[test]
    fn backward_with_steps_the_rule_keeps() {
        let text =
            "def h(request):\n    data = request.get_json()\n    log(data.email)\n    log(data)\n";
        let ast = parse(Dialect::Python, text).unwrap();
        let logs: Vec<NodeId> = (0..ast.nodes.len() as NodeId)
            .filter(|&i| ast.call(i).is_some_and(|c| named(&ast, c.callee) == "log"))
            .collect();
        let is_request = |id: NodeId| named(&ast, id) == "request";
        // a property read is no step of the whole value for this rule (a method call is)
        let no_fields = |ast: &Ast, p: NodeId, _: NodeId| match ast.kind(p) {
            Kind::Member { .. } => ast
                .parent(p)
                .and_then(|g| ast.call(g))
                .is_some_and(|c| c.callee == p),
            _ => true,
        };
        let through = |ast: &Ast, call: NodeId, from: NodeId| {
            accessors(ast, call, from)
                || ast
                    .call(call)
                    .is_some_and(|c| ast.callee_name(c) == Some("get_json"))
        };
        let arg = |call: NodeId| ast.call(call).unwrap().args[0].value;
        assert!(origin(&ast, arg(logs[0]), &is_request, &through).is_some());
        assert!(origin_kept(&ast, arg(logs[0]), &is_request, &through, &no_fields).is_none());
        assert!(origin_kept(&ast, arg(logs[1]), &is_request, &through, &no_fields).is_some());
    }

    #[test]
    fn backward_to_the_source() {
        let text = "fn h(e: Error) -> Response {\n    let msg = e.to_string();\n    let body = format!(\"failed: {}\", msg);\n    respond(500, body)\n}\n";
        let ast = parse(Dialect::Rust, text).unwrap();
        let respond = find_call(&ast, text, "respond");
        let arg = ast.call(respond).unwrap().args[1].value;
        let is_e = |id: NodeId| named(&ast, id) == "e";
        let path = origin(&ast, arg, &is_e, &accessors).expect("traced to e");
        let names: Vec<_> = path
            .iter()
            .filter_map(|s| match &s.hop {
                Hop::Assigned(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["msg", "body"]);
        let is_x = |id: NodeId| named(&ast, id) == "x";
        assert!(origin(&ast, arg, &is_x, &accessors).is_none());
    }
}
