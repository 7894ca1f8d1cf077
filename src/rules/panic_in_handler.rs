//! `panic-in-handler`: Rust request code that can panic: `.unwrap()`, `.expect(..)`, `panic!`,
//! `unreachable!`, `todo!`, `unimplemented!`, and indexing with request data, inside axum,
//! actix-web and rocket handlers and the project functions they call (one level, settled on the
//! project index by [`Condition::CalledByHandler`]).
//!
//! Stays clean: values proven not to fail ([`panics::proven_safe`]: literals, lock poisoning,
//! serialising own data...), values checked just before ([`panics::checked_before`]), test code,
//! start-up code (`main`, `#[launch]`, `LazyLock`/`OnceLock` initialisers) and helpers no handler
//! reaches.

use crate::ast::{Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::imports::function_name;
use crate::knowledge::lifecycle;
use crate::knowledge::panics::{self, Site};

pub const ID: &str = "panic-in-handler";

pub struct PanicInHandler;

impl Rule for PanicInHandler {
    fn id(&self) -> &'static str {
        ID
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call, KindTag::Index]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        if cx.ast.lang != Lang::Rust {
            return;
        }
        let ast = cx.ast;
        let what = match ast.kind(node) {
            Kind::Call(_) => match panics::site(ast, node) {
                Some(s) => What::Site(s),
                None => return,
            },
            Kind::Index { .. } => What::Index,
            _ => return,
        };
        if lifecycle::in_test_code(ast, node) || lifecycle::runs_once(ast, &[], node) {
            return;
        }
        if in_static_init(cx, node) {
            return;
        }
        // the named function the site is in (closures belong to theirs)
        let Some(owner) = ast
            .function_ancestors(node)
            .find(|&f| function_name(ast, f).is_some())
        else {
            return;
        };
        if lifecycle::is_startup_function(ast, owner) {
            return;
        }
        let handler = cx.facts.enclosing_handler(ast, node);
        match what {
            What::Index => {
                // indexing is reported in handlers only, with request data
                let Some(h) = handler else { return };
                if let Some(f) = index_finding(cx, node, h) {
                    cx.emit(f);
                }
            }
            What::Site(site) => {
                if let Site::Unwrap(_) = site {
                    if panics::proven_safe(ast, &cx.facts.imports, node) {
                        return;
                    }
                    let recv = ast.call(node).and_then(|c| ast.receiver(c));
                    if let Some(path) = recv.and_then(|r| panics::subject_path(ast, r)) {
                        if panics::checked_before(ast, owner, &path, node) {
                            return;
                        }
                    }
                    if guarded_by_condition(cx, node) {
                        return;
                    }
                }
                match handler {
                    Some(h) => {
                        if let Site::Unwrap(_) = site {
                            if !unwraps_request_data(cx, node, h) {
                                return;
                            }
                        }
                        let fw = framework(cx, h);
                        let f = cx
                            .finding(
                                cx.call_site(node),
                                format!(
                                    "{} in the {} handler `{}` {} and aborts the request instead of answering it; {}",
                                    shown(site),
                                    framework_name(fw),
                                    handler_name(cx, h),
                                    fails(site),
                                    fix(fw)
                                ),
                            )
                            .help(help(fw))
                            .label(cx.first_line(h), "the handler");
                        cx.emit(f);
                    }
                    None => {
                        let Some(args) = helper_args(cx, node, owner, site) else {
                            return;
                        };
                        let Some(name) = function_name(ast, owner) else {
                            return;
                        };
                        let class = cx
                            .facts
                            .functions_named(&name)
                            .find(|f| f.node == owner)
                            .map(|f| f.class.clone());
                        let Some(class) = class else { return };
                        let f = cx
                            .finding(
                                cx.call_site(node),
                                format!(
                                    "{} in `{name}` {} while a request is served ({{handler}}); return a `Result` from `{name}` and let the handler turn the error into a response with `?`",
                                    shown(site),
                                    fails(site)
                                ),
                            )
                            .help("propagate the error instead of panicking: make the function return `Result<_, E>` (`.ok_or(..)?`, `.map_err(..)?`) and map `E` to a 4xx response in the handler")
                            .condition(Condition::CalledByHandler { name, class, args });
                        cx.emit(f);
                    }
                }
            }
        }
    }
}

fn shown(site: Site) -> String {
    match site {
        Site::Unwrap(m) => format!("`.{m}()`"),
        Site::Macro(m) => format!("`{m}!`"),
    }
}

fn fails(site: Site) -> &'static str {
    match site {
        Site::Unwrap(_) => "panics on `None`/`Err`",
        Site::Macro("unreachable") => "panics if the case the code rules out comes",
        Site::Macro(_) => "panics whenever it runs",
    }
}

/// In a handler, an unwrap is reported when the value holds request data (a path, query, body
/// or header value, or something computed from one) or is the answer of a database query: the
/// client decides whether it is `None`/`Err`. Unwraps of the service's own data (rows it
/// stored, values it just built, configuration) are left to review.
fn unwraps_request_data(cx: &Ctx, node: NodeId, h: NodeId) -> bool {
    let ast = cx.ast;
    let Some(recv) = ast.call(node).and_then(|c| ast.receiver(c)) else {
        return false;
    };
    let request = ast.memo("panic-in-handler:request-names", h, || {
        panics::request_names(ast, h)
    });
    if panics::stored_key_lookup(ast, node, &request, &[]) {
        return false;
    }
    // the value, or the input of the call that made it (`find(id)`, `parse_from_str(raw, ..)`)
    if panics::inputs(ast, recv)
        .into_iter()
        .any(|i| panics::carries_request_data(ast, h, i, node, &request))
    {
        return true;
    }
    // a single-row fetch fails with "not found" for a key the client chose
    cx.facts
        .query(ast.unwrap_expr(recv))
        .is_some_and(|q| q.kind == crate::knowledge::orm::QueryKind::Read && !q.many)
}

/// For a site in a helper: the parameter positions whose values reach it (a handler must pass
/// request data there), `Some(vec![])` for a site that panics whatever it is given (`todo!`),
/// `None` when the helper's own data decides (not reported).
fn helper_args(cx: &Ctx, node: NodeId, owner: NodeId, site: Site) -> Option<Vec<usize>> {
    let ast = cx.ast;
    let params = ast.memo("panic-in-handler:helper-params", owner, || {
        panics::helper_params(ast, owner)
    });
    let names: std::collections::HashSet<String> = params.iter().map(|(n, _)| n.clone()).collect();
    let position = |n: &String| params.iter().find(|(p, _)| p == n).map(|(_, i)| *i);
    let mut args: Vec<usize> = match site {
        Site::Macro("todo" | "unimplemented") => return Some(Vec::new()),
        Site::Macro(_) => {
            // `match status { .. _ => panic!(..) }`: the branch a parameter decides
            let mut out = Vec::new();
            let mut child = node;
            for a in ast.ancestors(node) {
                if a == owner {
                    break;
                }
                let tested = match ast.kind(a) {
                    Kind::If { cond, .. } if !ast.contains(*cond, node) => Some(*cond),
                    Kind::Other if cx.text(a).starts_with("match") => ast
                        .children(a)
                        .next()
                        .filter(|&s| s != child && !ast.contains(s, node)),
                    _ => None,
                };
                if let Some(t) = tested.and_then(|t| panics::subject_path(ast, t)) {
                    let root = t.split('.').next().unwrap_or(&t).to_string();
                    out.extend(position(&root));
                }
                child = a;
            }
            out
        }
        Site::Unwrap(_) => {
            let recv = ast.call(node).and_then(|c| ast.receiver(c))?;
            let plain: Vec<String> = params.iter().map(|(n, _)| n.clone()).collect();
            if panics::stored_key_lookup(ast, node, &Default::default(), &plain) {
                return None;
            }
            if infrastructure_only(cx, node) {
                return None;
            }
            panics::inputs(ast, recv)
                .into_iter()
                .flat_map(|i| panics::seeds_reaching(ast, owner, i, &names))
                .filter_map(|n| position(&n))
                .collect()
        }
    };
    args.sort_unstable();
    args.dedup();
    (!args.is_empty()).then_some(args)
}

enum What {
    Site(Site),
    Index,
}

/// `static RE: Lazy<Regex> = ..`, `lazy_static! { .. }`, `thread_local! { .. }`: built once.
fn in_static_init(cx: &Ctx, node: NodeId) -> bool {
    cx.ast.ancestors(node).any(|a| match cx.ast.kind(a) {
        Kind::Call(c) if c.is_macro => matches!(
            cx.ast.callee_name(c),
            Some("lazy_static" | "thread_local" | "static_init")
        ),
        Kind::Assign {
            target,
            declared: true,
            ..
        } => {
            // a `static`/`const` item: its name is upper case
            matches!(cx.ast.kind(*target), Kind::Name(n)
                if n.len() > 1 && n.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        }
        _ => false,
    })
}

/// `if x.is_some() { x.unwrap() }`, `x.is_none() || x.unwrap() == y`,
/// `x.is_some() && x.unwrap() > 0`: the condition around the site tests the same value.
fn guarded_by_condition(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let Some(path) = ast
        .call(node)
        .and_then(|c| ast.receiver(c))
        .and_then(|r| panics::subject_path(ast, r))
    else {
        return false;
    };
    let mut child = node;
    for a in ast.ancestors(node) {
        let test = match ast.kind(a) {
            Kind::If { cond, .. } if *cond != child && !ast.contains(*cond, node) => Some(*cond),
            Kind::Binary {
                op: crate::ast::BinOp::And | crate::ast::BinOp::Or,
                lhs,
                rhs,
            } if *rhs == child || ast.contains(*rhs, node) => Some(*lhs),
            Kind::Function(_) => return false,
            _ => None,
        };
        if let Some(t) = test {
            if !ast.paths_in(&path, t).is_empty() {
                return true;
            }
        }
        child = a;
    }
    false
}

fn index_finding(cx: &Ctx, node: NodeId, handler: NodeId) -> Option<crate::engine::Finding> {
    let ast = cx.ast;
    let Kind::Index { object, index } = ast.kind(node) else {
        return None;
    };
    let (object, index) = (*object, *index);
    let names = ast.memo("panic-in-handler:request-names", handler, || {
        panics::request_names(ast, handler)
    });
    if names.is_empty() {
        return None;
    }
    let key_tainted = panics::carries_request_data(ast, handler, index, node, &names);
    let obj_tainted = panics::carries_request_data(ast, handler, object, node, &names);
    if !key_tainted && !obj_tainted {
        return None;
    }
    // `body["items"]`: a `serde_json::Value` answers a missing key or index with `Null`
    let value_like = |id: NodeId| {
        ast.subtree(id).any(|n| {
            matches!(ast.kind(n), Kind::Index { index, .. } if matches!(ast.kind(*index), Kind::Str(_)))
        }) || param_type_of(cx, handler, object).is_some_and(|t| t.contains("Value"))
    };
    let key = ast.unwrap_expr(index);
    let reported = match ast.kind(key) {
        Kind::Str(_) => {
            // a map: headers or a `HashMap` of the query panic on a missing key
            let headers = cx.text(object).contains("headers");
            let map = param_type_of(cx, handler, object)
                .is_some_and(|t| t.contains("HashMap") || t.contains("BTreeMap"));
            (headers || map) && !value_like(object)
        }
        _ => !value_like(node),
    };
    if !reported {
        return None;
    }
    // checked before: `if parts.len() < 2 { return .. }`, `map.contains_key(k)`
    if let Some(path) = panics::subject_path(ast, object) {
        if panics::checked_before(ast, handler, &path, node) {
            return None;
        }
    }
    let fw = framework(cx, handler);
    let shown: String = cx
        .text(node)
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    let why = if key_tainted {
        "indexes with a key from the request"
    } else {
        "indexes request data"
    };
    Some(
        cx.finding(
            cx.first_line(node),
            format!(
                "`{shown}` {why} in the {} handler `{}` and panics when the key is missing or out of range; use `.get(..)` and answer with an error response (`.get(i).ok_or(..)?`)",
                framework_name(fw),
                handler_name(cx, handler)
            ),
        )
        .help(help(fw))
        .label(cx.first_line(handler), "the handler"),
    )
}

/// The declared type of the handler parameter the expression starts from.
fn param_type_of(cx: &Ctx, handler: NodeId, expr: NodeId) -> Option<String> {
    let root = cx.ast.chain_root(expr);
    let Kind::Name(n) = cx.ast.kind(root) else {
        return None;
    };
    cx.ast.function(handler)?.params.iter().find_map(|p| {
        let binds = p.name == *n
            || p.name
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == n);
        binds.then(|| p.ty.clone()).flatten()
    })
}

/// The handler's framework: the one the file imports, else what recognised the handler.
fn framework(cx: &Ctx, h: NodeId) -> &'static str {
    let found = cx.facts.handlers.get(&h).copied().unwrap_or("HTTP");
    panics::framework(&cx.facts.imports, found)
}

/// The unwrapped value is a database load of many rows, a count or a write: it fails only when
/// the database does.
fn infrastructure_only(cx: &Ctx, node: NodeId) -> bool {
    let ast = cx.ast;
    let Some(recv) = ast.call(node).and_then(|c| ast.receiver(c)) else {
        return false;
    };
    let recv = ast.unwrap_expr(recv);
    cx.facts.query(recv).is_some_and(|q| {
        use crate::knowledge::orm::QueryKind;
        matches!(q.kind, QueryKind::Write | QueryKind::Count) || q.kind == QueryKind::Read && q.many
    })
}

fn handler_name(cx: &Ctx, h: NodeId) -> String {
    function_name(cx.ast, h).unwrap_or_else(|| "handler".into())
}

fn framework_name(fw: &str) -> &str {
    match fw {
        "project" | "HTTP" => "HTTP",
        other => other,
    }
}

/// The one-line fix named in the message, per framework.
fn fix(fw: &str) -> &'static str {
    match fw {
        "rocket" => "return `Result<_, Status>` (or a `Responder` error) and use `?` with `.ok_or(Status::BadRequest)`",
        "actix-web" => "return `Result<_, actix_web::Error>` and use `?` with `.map_err(actix_web::error::ErrorBadRequest)`",
        _ => "return `Result<_, AppError>` with an error type that implements `IntoResponse` and use `?` (or `.ok_or(StatusCode::BAD_REQUEST)?`)",
    }
}

fn help(fw: &str) -> &'static str {
    match fw {
        "rocket" => "Rocket turns a handler panic into a bare 500 and logs it as a crash; a `Result<T, Status>` (or a custom `Responder` error) lets the handler answer 400/404 for bad input: `let id: i64 = raw.parse().map_err(|_| Status::BadRequest)?;`",
        "actix-web" => "a panic in an actix-web handler drops the connection without a response and tears down the worker's state; return `Result<HttpResponse, actix_web::Error>`: `let id: i64 = raw.parse().map_err(actix_web::error::ErrorBadRequest)?;`",
        _ => "a panic in an axum handler drops the connection without a response (no 500 unless `CatchPanicLayer` is installed); return `Result<impl IntoResponse, AppError>` with `impl IntoResponse for AppError`, and write `let id: i64 = raw.parse().map_err(|_| AppError::BadRequest)?;`",
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::lines;

    #[test]
    fn reports_unwrap_in_axum_handler_not_safe_ones() {
        let src = r#"
use axum::{extract::Path, Json};
async fn get_order(Path(id): Path<String>, State(db): State<Db>) -> Json<Order> {
    let n: i64 = id.parse().unwrap();
    let re = Regex::new("^[a-z]+$").unwrap();
    let cache = CACHE.lock().unwrap();
    let body = serde_json::to_string(&n).unwrap();
    let v = n.checked_add(1).unwrap_or(0);
    Json(db.find(n).await.unwrap())
}
"#;
        assert_eq!(
            lines("panic-in-handler", "src/handlers.rs", src),
            vec![4, 9]
        );
    }

    #[test]
    fn not_in_tests_or_plain_functions() {
        let src = r#"
fn helper(x: Option<i32>) -> i32 { x.unwrap() }
#[cfg(test)]
mod tests {
    #[get("/x")]
    async fn t() { Some(1).unwrap(); }
}
"#;
        assert!(lines("panic-in-handler", "src/lib.rs", src).is_empty());
    }
}
