//! What a project's querying helper does with its queries, as far as a call site can settle it:
//! whether the helper only builds a lazy Django queryset for its caller, and which parameter
//! tests guard its queries (`if lines is None: lines = order.lines.all()`). Recorded per function
//! in the file facts and carried to the project index, so a call in another file is judged the
//! same way as a call of a helper in the same file. Also which method calls on a receiver of
//! unknown type may reach a project function ([`GENERIC_METHODS`], [`service_like`]).

use crate::ast::{Ast, Kind, NodeId};
use crate::imports::Imports;
use crate::knowledge::orm;

/// What the helper analysis reads from a file's facts (implemented by
/// [`crate::facts::FileFacts`]), so this module stands below the facts pass.
pub trait FileView {
    fn imports(&self) -> &Imports;
    /// The query a call runs, if the facts pass recognised one.
    fn query(&self, call: NodeId) -> Option<&orm::Query>;
    /// The node of the function of this file with that name.
    fn function_node(&self, name: &str) -> Option<NodeId>;
}

/// What a call site hands the helper and does with its result.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallArgs {
    /// Positional arguments in order: whether each is a value (not `None`/`null`).
    pub positional: Vec<bool>,
    /// Keyword arguments: name, and whether it is a value.
    pub named: Vec<(String, bool)>,
    /// A spread argument (`*args`, `...rest`): what is passed is not in sight.
    pub spread: bool,
    /// The caller never evaluates the result in the loop (`q |= helper(..)`, `Exists(..)`).
    pub result_unevaluated: bool,
    /// An argument is a one-element list (`allocate([line])`): a batch of one per item.
    pub single_item: bool,
}

/// A test of a parameter around a query of the helper.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParamGuard {
    pub param: String,
    /// Position among the parameters a caller passes (`self`/`cls` left out).
    pub index: usize,
    /// The query runs only when the parameter is missing (`if lines is None:`); otherwise only
    /// when it is given (`if (teamId && !id)`).
    pub runs_when_missing: bool,
    /// Left out, the parameter is None/undefined (it has no default value).
    pub no_default: bool,
}

/// What a helper does with its queries.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HelperShape {
    /// Every query only builds a lazy Django queryset that the helper returns or composes
    /// into another one (`Exists(..)`, `qs.filter(pk__in=..)`): nothing reaches the database
    /// until the caller evaluates the result.
    pub builds_only: bool,
    /// Every query is batched (`id__in=ids`, `{ in: ids }`, `= ANY($1)`) or a bulk write: the
    /// helper handles a whole group of keys per call.
    pub batched_only: bool,
    /// For each query of the helper, the parameter tests around it.
    pub guards: Vec<Vec<ParamGuard>>,
}

impl HelperShape {
    /// The call settles every query of the helper the other way: each sits under a test of a
    /// parameter that this call gives a value to (`if lines is None`) or leaves out
    /// (`if team_id and ..`).
    pub fn settled_by(&self, call: &CallArgs) -> bool {
        if call.spread || self.guards.is_empty() {
            return false;
        }
        let passed = |g: &ParamGuard| -> bool {
            match call.named.iter().find(|(n, _)| *n == g.param) {
                Some((_, value)) => *value,
                None => call.positional.get(g.index).copied().unwrap_or(false),
            }
        };
        self.guards.iter().all(|around| {
            around.iter().any(|g| {
                if g.runs_when_missing {
                    passed(g)
                } else {
                    !passed(g) && g.no_default
                }
            })
        })
    }

    /// The call does not run a query per item: the helper batches, the call settles its
    /// queries the other way, or it only gets a lazy queryset it never evaluates.
    pub fn idle_for(&self, call: &CallArgs) -> bool {
        self.batched_only && !call.single_item
            || self.settled_by(call)
            || self.builds_only && call.result_unevaluated
    }
}

/// The shape of the function at `func`, for the queries `facts` records in its body.
pub fn shape(ast: &Ast, text: &str, facts: &dyn FileView, func: NodeId) -> HelperShape {
    let queries: Vec<NodeId> = ast
        .subtree(func)
        .filter(|&q| facts.query(q).is_some())
        .collect();
    // straight-line code that composes querysets; a queryset handed to another function of
    // the project counts as run there, unless the helper declares it returns a queryset
    let scope = Scope {
        node: func,
        helper: true,
        handoff_runs: !returns_queryset(ast, func),
    };
    let builds_only = !queries.is_empty()
        && !ast
            .subtree(func)
            .any(|i| matches!(ast.kind(i), Kind::Loop(_)))
        && queries.iter().all(|&q| {
            facts.query(q).is_some_and(|x| x.orm == "Django ORM")
                && lazy_call(ast, q)
                && !evaluated(ast, facts, q, scope, 0)
        });
    let batched_only = !queries.is_empty()
        && queries.iter().all(|&q| {
            facts
                .query(q)
                .is_some_and(|x| x.batched || orm::is_bulk_display(&x.display))
        });
    let guards = queries
        .iter()
        .map(|&q| guards_around(ast, text, func, q))
        .collect();
    HelperShape {
        builds_only,
        batched_only,
        guards,
    }
}

/// What a call hands its callee; `result_unevaluated` is left for the caller to fill.
pub fn call_args(ast: &Ast, call: NodeId) -> CallArgs {
    let Some(c) = ast.call(call) else {
        return CallArgs {
            spread: true,
            ..CallArgs::default()
        };
    };
    let value = |v: NodeId| !matches!(ast.kind(ast.unwrap_expr(v)), Kind::Null);
    CallArgs {
        positional: c
            .args
            .iter()
            .filter(|a| a.name.is_none())
            .map(|a| value(a.value))
            .collect(),
        named: c
            .args
            .iter()
            .filter_map(|a| a.name.clone().map(|n| (n, value(a.value))))
            .collect(),
        spread: c.args.iter().any(|a| a.spread),
        result_unevaluated: false,
        single_item: c.args.iter().any(
            |a| matches!(ast.kind(ast.unwrap_expr(a.value)), Kind::Array(items) if items.len() == 1),
        ),
    }
}

/// The function's return annotation names a queryset (`-> QuerySet[Order]`,
/// `-> "ProductsQueryset"`).
fn returns_queryset(ast: &Ast, func: NodeId) -> bool {
    ast.function(func)
        .and_then(|f| f.returns.as_deref())
        .is_some_and(|r| r.to_ascii_lowercase().contains("queryset"))
}

/// Where [`evaluated`] looks for uses of a queryset.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    /// The loop, or the helper's function.
    pub node: NodeId,
    /// A helper's body: returning the queryset hands it to the caller unevaluated.
    pub helper: bool,
    /// Handing the queryset to another function of the project counts as evaluating it.
    pub handoff_runs: bool,
}

impl Scope {
    /// A loop body: a queryset handed to a function of the project is left to that function.
    pub fn per_item(node: NodeId) -> Scope {
        Scope {
            node,
            helper: false,
            handoff_runs: false,
        }
    }
}

/// The query call ends with a method that only builds a queryset (`filter`, `none`, `using`).
fn lazy_call(ast: &Ast, q: NodeId) -> bool {
    ast.call(q)
        .and_then(|c| ast.callee_name(c))
        .is_some_and(|m| orm::DJANGO_LAZY.contains(&m))
}

/// The tests of the function's parameters on the `then` side of the `if`s around `q`.
fn guards_around(ast: &Ast, text: &str, func: NodeId, q: NodeId) -> Vec<ParamGuard> {
    let Some(f) = ast.function(func) else {
        return Vec::new();
    };
    let params: Vec<&crate::ast::Param> = f
        .params
        .iter()
        .filter(|p| !matches!(p.name.as_str(), "self" | "cls" | "&self" | "&mut self"))
        .collect();
    let guard = |name: &str, runs_when_missing: bool| {
        let i = params.iter().position(|p| p.name == name)?;
        let no_default = params[i]
            .default
            .is_none_or(|d| matches!(ast.kind(ast.unwrap_expr(d)), Kind::Null));
        Some(ParamGuard {
            param: name.to_string(),
            index: i,
            runs_when_missing,
            no_default,
        })
    };
    let mut out = Vec::new();
    for a in ast.ancestors(q).take_while(|&a| a != func) {
        let Kind::If { cond, then, .. } = ast.kind(a) else {
            continue;
        };
        if !ast.contains_any(then, q) {
            continue;
        }
        let c = text
            .get(ast.span(*cond).range())
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let c = c.trim_start_matches('(').trim_end_matches(')');
        // runs only when the parameter is None/undefined
        let missing = c
            .strip_suffix(" is None")
            .or_else(|| c.strip_suffix(" === undefined"))
            .or_else(|| c.strip_suffix(" === null"))
            .or_else(|| c.strip_suffix(" == null"));
        if let Some(p) = missing {
            out.extend(guard(p, true));
            continue;
        }
        // runs only when the parameter is given (one conjunct)
        for x in c.split(" && ").flat_map(|x| x.split(" and ")) {
            let x = x.trim();
            let x = x.strip_suffix(" is not None").unwrap_or(x);
            out.extend(guard(x, false));
        }
    }
    out
}

/// Whether the queryset `expr` is evaluated within `scope` (a loop, or a helper's body):
/// iterated, passed to `list`/`len`/`bool`..., sliced or indexed, tested, read with `.count()`
/// or `.first()`, stored per key in a dict or list, or assigned to a variable that is. Composing
/// it into another query (`Exists(qs)`, `q |= qs`, `.filter(..)`, a form field's `queryset=`)
/// or storing it on an object does not evaluate it; handing it to a function of the project depends on the scope,
/// and so does returning it (a helper hands it to its caller).
pub fn evaluated(ast: &Ast, facts: &dyn FileView, expr: NodeId, scope: Scope, depth: u32) -> bool {
    if depth > 3 {
        return true;
    }
    let Some(p) = ast.parent(expr) else {
        return false;
    };
    match ast.kind(p) {
        // iterated by a `for`; the element of a comprehension is only collected
        Kind::Loop(l) => l.iter == Some(expr),
        Kind::Index { object, .. } => *object == expr,
        Kind::If { cond, .. } => *cond == expr,
        // `.filter(..)` on it builds another lazy queryset; `.count()`, `.first()` run it
        Kind::Member { property, .. } => {
            if orm::DJANGO_LAZY.contains(&property.as_str()) {
                ast.parent(p)
                    .is_some_and(|call| evaluated(ast, facts, call, scope, depth + 1))
            } else {
                true
            }
        }
        Kind::Return(_) => !scope.helper,
        Kind::Await(_) => true,
        Kind::Call(c) => {
            let name = ast.callee_name(c).unwrap_or("");
            if c.callee == expr {
                return true;
            }
            // composed into another query, or a form/serializer field's `queryset=`
            let lazy_consumer = matches!(
                name,
                "Exists"
                    | "Subquery"
                    | "Prefetch"
                    | "OuterRef"
                    | "Q"
                    | "filter"
                    | "exclude"
                    | "union"
                    | "intersection"
                    | "difference"
                    | "annotate"
            ) || c
                .args
                .iter()
                .any(|a| a.value == expr && a.name.as_deref() == Some("queryset"));
            // handed to a function of the project: what it does with it is not in sight; one
            // of this file declared to return a queryset refines it
            let local = facts.function_node(name);
            let project = local.is_some()
                || facts
                    .imports()
                    .get(name)
                    .is_some_and(|q| q.starts_with('.') || !q.contains('.'));
            let refines = local.is_some_and(|f| returns_queryset(ast, f));
            !(lazy_consumer || refines || project && !scope.handoff_runs)
        }
        Kind::Assign {
            target,
            value: Some(v),
            declared: _,
            augmented,
        } if *v == expr => {
            if *augmented {
                return false; // `q |= qs`
            }
            let n = match ast.kind(ast.unwrap_expr(*target)) {
                Kind::Name(n) => n,
                // one queryset per key of a dict or list: each is run when the entries are read
                Kind::Index { .. } => return true,
                _ => return false, // stored on an object (`field.queryset = qs`): built for later
            };
            // a later use of the variable inside the scope that evaluates it
            ast.subtree(scope.node).any(|i| {
                i > p
                    && matches!(ast.kind(i), Kind::Name(m) if m == n)
                    && ast.parent(i).is_some_and(
                        |pp| !matches!(ast.kind(pp), Kind::Assign { target, .. } if *target == i),
                    )
                    && evaluated(ast, facts, i, scope, depth + 1)
            })
        }
        _ => false,
    }
}

// Resolving a method call on a receiver of unknown type (`svc.load(x)`) to a project function.

/// Method names too common to resolve by name alone on an unknown receiver.
pub const GENERIC_METHODS: &[&str] = &[
    "get",
    "set",
    "put",
    "add",
    "append",
    "push",
    "pop",
    "insert",
    "remove",
    "delete",
    "update",
    "save",
    "create",
    "find",
    "findOne",
    "all",
    "filter",
    "map",
    "count",
    "first",
    "last",
    "keys",
    "values",
    "items",
    "has",
    "contains",
    "send",
    "emit",
    "log",
    "info",
    "debug",
    "warn",
    "warning",
    "error",
    "format",
    "join",
    "split",
    "clone",
    "len",
    "extend",
    "write",
    "read",
    "load",
    "fetch",
    "run",
    "call",
    "execute",
    "process",
    "handle",
    "apply",
    "validate",
    "serialize",
    "to_dict",
    "dict",
    "json",
    "parse",
    "render",
    "next",
    "close",
    "open",
    "lock",
    "unlock",
    "wait",
    "then",
    "catch",
    "finally",
    "exists",
    "query",
    "toString",
    "to_string",
    "unwrap",
    "expect",
    "into",
    "as_str",
    "iter",
    "collect",
    "setdefault",
    "discard",
    "sort",
    "reverse",
    "copy",
    "encode",
    "decode",
    "strip",
    "lower",
    "upper",
    "replace",
    "startswith",
    "endswith",
    "is_valid",
    "build",
    "new",
    "default",
    "from",
    "of",
    "resolve",
    "reject",
    "trim",
];

/// Receivers that are containers, loggers or request objects, never a project service.
pub const NOT_SERVICES: &[&str] = &[
    "cache", "map", "dict", "set", "list", "seen", "logger", "log", "console", "res", "req",
    "request", "response", "json", "math", "path", "os", "sys", "result", "results", "out",
    "output", "buffer", "counter", "counts", "totals", "queue", "stack", "params", "args",
    "kwargs", "headers", "context", "ctx", "config", "settings", "env", "metrics", "tracer",
    "span", "redis", "http", "axios", "fs", "stdout", "stderr", "writer", "reader", "promise",
];

/// A receiver named like a project service, repository or store (`orderService`, `repo`).
pub fn service_like(recv: &str) -> bool {
    let last = recv
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(recv)
        .to_ascii_lowercase();
    let last = last.trim_start_matches('_');
    [
        "service",
        "services",
        "svc",
        "repo",
        "repository",
        "repositories",
        "dao",
        "store",
        "manager",
        "gateway",
        "model",
        "models",
        "queries",
        "db",
        "database",
        "storage",
    ]
    .iter()
    .any(|s| last.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(param: &str, index: usize, runs_when_missing: bool) -> ParamGuard {
        ParamGuard {
            param: param.into(),
            index,
            runs_when_missing,
            no_default: true,
        }
    }

    #[test]
    fn a_call_settles_guarded_queries() {
        // `def lines_of(order, lines=None): if lines is None: lines = order.lines.all()`
        let shape = HelperShape {
            guards: vec![vec![guard("lines", 1, true)]],
            ..Default::default()
        };
        let with = CallArgs {
            positional: vec![true, true],
            ..Default::default()
        };
        let without = CallArgs {
            positional: vec![true],
            ..Default::default()
        };
        let keyword = CallArgs {
            positional: vec![true],
            named: vec![("lines".into(), true)],
            ..Default::default()
        };
        let null = CallArgs {
            positional: vec![true, false],
            ..Default::default()
        };
        assert!(shape.idle_for(&with));
        assert!(shape.idle_for(&keyword));
        assert!(!shape.idle_for(&without));
        assert!(!shape.idle_for(&null));
        let spread = CallArgs {
            spread: true,
            ..with
        };
        assert!(!shape.idle_for(&spread));
        // one unguarded query keeps the call reported
        let mixed = HelperShape {
            guards: vec![vec![guard("lines", 1, true)], vec![]],
            ..Default::default()
        };
        assert!(!mixed.idle_for(&keyword));
    }

    #[test]
    fn batched_helpers_and_lazy_builders() {
        let batched = HelperShape {
            batched_only: true,
            guards: vec![vec![]],
            ..Default::default()
        };
        assert!(batched.idle_for(&CallArgs::default()));
        let one = CallArgs {
            single_item: true,
            ..Default::default()
        };
        assert!(!batched.idle_for(&one));
        let builder = HelperShape {
            builds_only: true,
            guards: vec![vec![]],
            ..Default::default()
        };
        assert!(!builder.idle_for(&CallArgs::default()));
        let composed = CallArgs {
            result_unevaluated: true,
            ..Default::default()
        };
        assert!(builder.idle_for(&composed));
    }
}
