//! `missing-timeout`: outbound HTTP requests and clients with no timeout.
//!
//! Which calls send a request or build a client, where each takes its timeout and what its
//! default is live in [`crate::knowledge::http_clients`]. This module decides where a finding
//! goes:
//! - a request function (`requests.get`, `fetch`, `axios.post`, `reqwest::get`): the call;
//! - a client built without a timeout (`axios.create`, `Client::new()`, a `Client::builder()`
//!   chain without `.timeout`): the construction, once. Its uses in the file are followed; the
//!   construction stays clean only when the client never leaves the file's view (not exported,
//!   returned, stored in a struct, passed or cloned) and every request made on it sets its own
//!   timeout;
//! - a `requests.Session` (no timeout setting of its own): each request on it without
//!   `timeout=`, unless the session mounts a custom adapter or wraps `request` (the usual ways to
//!   give it a default);
//! - libraries with a default timeout (httpx, aiohttp, ky, `reqwest::blocking`): only an
//!   explicitly disabled timeout (`timeout=None`, `timeout: false`, `.timeout(None)`).
//!
//! Test code is skipped: test clients talk to local servers.

use std::collections::HashMap;

use crate::ast::{Ast, BinOp, Kind, KindTag, Lang, NodeId, ROOT};
use crate::diagnostic::{Condition, Edit, Fix};
use crate::engine::{Ctx, Rule};
use crate::fix::edits;
use crate::knowledge::http_clients::{
    self, callee_of, chain_timeout, timeout_given, Api, Config, Given, Library, Role,
};
use crate::source::Span;

pub struct MissingTimeout;

impl Rule for MissingTimeout {
    fn id(&self) -> &'static str {
        "missing-timeout"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let Some(api) = http_clients::api(cx.ast, &cx.facts.imports, node) else {
            if session_factory(cx, node) && !cx.is_test_file {
                session(cx, node, &SESSION_FACTORY);
            }
            return;
        };
        if cx.is_test_file || in_test_code(cx.ast, node) {
            return;
        }
        if api.library.lang == Lang::TypeScript && is_browser_code(cx, node) {
            return;
        }
        if api.library.name == "fetch" && fetch_is_local(cx, node) {
            return;
        }
        match api.role {
            Role::Request => request(cx, node, api),
            Role::Session => session(cx, node, api),
            Role::Client => {
                let given = timeout_given(cx.ast, &cx.facts.imports, node, api.config, api.library);
                client(cx, node, node, api, given, None);
            }
            Role::Builder => builder(cx, node, api),
        }
    }
}

/// A call of a same-file helper that returns a `requests.Session` it built, as
/// [`session_factory`] recognises it.
const SESSION_FACTORY: Api = Api {
    path: "requests.Session",
    role: Role::Session,
    config: Config::Never,
    library: &http_clients::REQUESTS,
};

/// A call of a function of this file that builds a `requests.Session`, gives it no default
/// timeout and returns it (the common `requests_retry_session()` recipe): its result is
/// followed as a session.
fn session_factory(cx: &Ctx, call: NodeId) -> bool {
    let ast = cx.ast;
    if ast.lang != Lang::Python || !cx.facts.imports.uses("requests") {
        return false;
    }
    let name = match ast.call(call).map(|c| ast.kind(c.callee)) {
        Some(Kind::Name(n)) => n,
        Some(Kind::Member { object, property }) if matches!(ast.kind(*object), Kind::Name(o) if o == "self" || o == "cls") => {
            property
        }
        _ => return false,
    };
    let Some(f) = cx.facts.function_named(name) else {
        return false;
    };
    for id in ast.subtree(f.node) {
        let is_session = ast.call(id).is_some()
            && http_clients::api(ast, &cx.facts.imports, id)
                .is_some_and(|a| a.role == Role::Session && a.library.name == "requests");
        if !is_session {
            continue;
        }
        let bound = bind(cx, id);
        let returned = |n: NodeId| {
            ast.parent(n)
                .is_some_and(|p| matches!(ast.kind(p), Kind::Return(_)))
        };
        if bound
            .escape
            .is_some_and(|e| matches!(ast.kind(e), Kind::Return(_)))
        {
            return true; // `return requests.Session()`
        }
        let (Some(Binding::Name(n)), Some(assign)) = (&bound.binding, bound.assign) else {
            continue;
        };
        if !references(cx, &bound, n, assign).into_iter().any(returned) {
            continue;
        }
        return !track(cx, &bound, &http_clients::REQUESTS).configured;
    }
    false
}

/// The callee as written, for messages: `requests.post`, `r.get`, `axios.get`.
fn callee_text<'a>(cx: &Ctx<'a>, call: NodeId) -> &'a str {
    cx.ast
        .call(call)
        .map_or("", |_| cx.text(callee_of(cx.ast, call)))
}

/// The call whose callee is `m` (a member), looking through the `await` that
/// tree-sitter-typescript puts around the callee of `await x.get<T>(..)`.
fn call_of_callee(ast: &Ast, m: NodeId) -> Option<NodeId> {
    let mut cur = m;
    loop {
        let p = ast.parent(cur)?;
        match ast.kind(p) {
            Kind::Call(c) if c.callee == cur => return Some(p),
            Kind::Await(_) => cur = p,
            _ => return None,
        }
    }
}

fn with_setting(f: crate::engine::Finding, lib: &Library) -> crate::engine::Finding {
    match lib.project_setting {
        Some(s) => f.condition(Condition::UnlessProjectSetting(s)),
        None => f,
    }
}

fn disabled_message(what: &str, lib: &Library) -> String {
    match lib.default {
        Some(d) => format!(
            "`{what}` turns the timeout off (`{}` would otherwise apply its {d} default): a server that never answers holds this request forever",
            lib.name
        ),
        None => format!(
            "`{what}` turns the timeout off: a server that never answers holds this request forever"
        ),
    }
}

fn request(cx: &mut Ctx, node: NodeId, api: &Api) {
    let lib = api.library;
    if raced_against_deadline(cx.ast, node) {
        return;
    }
    let given = timeout_given(cx.ast, &cx.facts.imports, node, api.config, lib);
    let what = callee_text(cx, node);
    let message = match given {
        Given::Disabled => disabled_message(what, lib),
        Given::No if lib.default.is_none() => match (api.config, lib.name) {
            (Config::Never, _) => format!(
                "`{what}` builds a one-off client that has no timeout and cannot be given one: a server that never answers holds this request forever"
            ),
            (_, "needle") => format!(
                "`{what}` is called without `response_timeout`: needle only bounds connecting, so a server that accepts the connection and never answers holds this request forever"
            ),
            (_, "fetch") => format!(
                "`{what}` is called without a `signal`: nothing bounds how long this request waits for a slow or unresponsive server"
            ),
            (Config::Chain, _) => format!(
                "`{what}` sends a request without `.timeout(..)`: a server that stops answering holds it forever"
            ),
            (Config::Kwarg(_), _) => format!(
                "`{what}` is called without `timeout=`: a server that never answers blocks this call forever"
            ),
            _ => format!(
                "`{what}` is called without a `timeout`: {} waits forever by default",
                lib.name
            ),
        },
        _ => return,
    };
    let f = cx
        .finding(cx.first_line(node), message)
        .help(lib.fix)
        .fix(timeout_fix(cx, node, api.config, lib, given));
    let f = with_setting(f, lib);
    cx.emit(f);
}

fn session(cx: &mut Ctx, node: NodeId, api: &Api) {
    let lib = api.library;
    let bound = bind(cx, node);
    let ctor = callee_text(cx, node).to_string();
    // Sessions bound to one module-level name or one instance attribute all reach the same
    // uses, whatever their order: the first reports them (the others' findings would repeat).
    let shared = match &bound.binding {
        Some(Binding::Name(_)) => bound.scope == ROOT,
        Some(Binding::Attr(..)) => true,
        None => false,
    };
    let key = bound
        .binding
        .as_ref()
        .map(|b| format!("{}\0{b}\0{ctor}\0{}", bound.scope, lib.name));
    if let (true, Some(key)) = (shared, &key) {
        if cx.ast.first_of("mt:session", key.clone(), node) != node {
            return;
        }
    }
    // A later session bound to the same local name reaches a part of the uses an earlier one
    // reached: when that one had no timeout, its findings already cover these.
    if let (Some(Binding::Name(_)), Some(key)) = (&bound.binding, &key) {
        if cx.ast.first_known("mt:session-untimed", key).is_some() {
            return;
        }
    }
    let uses = track(cx, &bound, lib);
    if uses.configured {
        return;
    }
    if let Some(key) = key {
        cx.ast.first_of("mt:session-untimed", key, node);
    }
    for (call, given) in uses.requests {
        let what = callee_text(cx, call);
        let message = match given {
            Given::Disabled => disabled_message(what, lib),
            Given::No => format!(
                "`{what}` is called without `timeout=` on a session (`{ctor}()`), and a session has no default timeout: a server that never answers blocks this call forever"
            ),
            _ => continue,
        };
        let help = if lib.name == "requests" {
            "pass `timeout=` on every call (`session.get(url, timeout=10)`), or mount an `HTTPAdapter` subclass that sets a default timeout on the session"
        } else {
            lib.fix
        };
        let fix = method_config(cx, call, lib).and_then(|c| timeout_fix(cx, call, c, lib, given));
        let mut f = cx.finding(cx.first_line(call), message).help(help).fix(fix);
        if !cx.ast.contains(node, call) {
            f = f.label(cx.first_line(node), "session created here");
        }
        let f = with_setting(f, lib);
        cx.emit(f);
    }
}

/// A client built without a timeout (or with one) at `construction` (the expression that
/// yields the client); reported at `report_at`.
fn client(
    cx: &mut Ctx,
    report_at: NodeId,
    construction: NodeId,
    api: &Api,
    given: Given,
    note: Option<&str>,
) {
    let lib = api.library;
    let what = match cx.ast.lang {
        Lang::Rust => format!("{}()", callee_text(cx, report_at)),
        _ => callee_text(cx, report_at).to_string(),
    };
    if given == Given::Disabled {
        let fix = match api.role {
            Role::Builder => drop_disabled_chain(cx, report_at, lib),
            _ => timeout_fix(cx, construction, api.config, lib, Given::Disabled),
        };
        let f = cx
            .finding(cx.first_line(report_at), disabled_message(&what, lib))
            .help(lib.fix)
            .fix(fix);
        cx.emit(f);
        return;
    }
    let bound = bind(cx, construction);
    let uses = track(cx, &bound, lib);
    for &(call, g) in &uses.requests {
        if g == Given::Disabled {
            let msg = disabled_message(callee_text(cx, call), lib);
            let fix = method_config(cx, call, lib).and_then(|c| timeout_fix(cx, call, c, lib, g));
            let f = cx.finding(cx.first_line(call), msg).help(lib.fix).fix(fix);
            cx.emit(f);
        }
    }
    if given != Given::No || lib.default.is_some() || uses.configured {
        return;
    }
    let untimed = uses
        .requests
        .iter()
        .find(|(_, g)| *g == Given::No)
        .map(|(c, _)| *c);
    let visible = uses.escape.is_none() && !bound.exported && bound.binding.is_some()
        || bound.direct_use.is_some();
    if visible && !uses.requests.is_empty() && untimed.is_none() {
        return; // every request on it sets its own timeout
    }
    let through = match &bound.binding {
        Some(b) => format!("every request through `{b}`"),
        None => "every request made with it".to_string(),
    };
    let kind = match (api.role, cx.ast.lang) {
        (Role::Builder, _) => "builds a client without `.timeout(..)`",
        (_, Lang::TypeScript) => "creates an instance with no `timeout`",
        _ => "creates a client with no timeout",
    };
    let mut message =
        format!("`{what}` {kind}: {through} can wait forever on a server that stops answering");
    if let Some(n) = note {
        message.push_str(n);
    }
    let fix = match (api.role, cx.ast.lang) {
        (Role::Builder, _) => builder_fix(cx, report_at),
        (_, Lang::Rust) => client_new_fix(cx, report_at),
        _ if report_at == construction => timeout_fix(cx, construction, api.config, lib, Given::No),
        _ => None,
    };
    let mut f = cx
        .finding(cx.first_line(report_at), message)
        .help(lib.fix)
        .fix(fix);
    if let Some(u) = untimed.filter(|&u| !cx.ast.contains(u, report_at)) {
        f = f.label(cx.first_line(u), "request without its own timeout");
    } else if let Some(e) = uses.escape {
        if !cx.ast.contains(report_at, e) {
            f = f.label(cx.first_line(e), "the client is shared from here");
        }
    }
    let f = with_setting(f, lib);
    cx.emit(f);
}

fn builder(cx: &mut Ctx, node: NodeId, api: &Api) {
    let lib = api.library;
    let chain = chain_timeout(cx.ast, node, lib);
    const CONNECT_ONLY: &str =
        " (`.connect_timeout` only bounds connecting, not a response that never comes)";
    match chain.given {
        Given::Yes | Given::Unknown => return,
        Given::Disabled => return client(cx, node, chain.outer, api, Given::Disabled, None),
        Given::No => {}
    }
    let mut connect = chain.has("connect_timeout");
    if chain.has("build") {
        let note = connect.then_some(CONNECT_ONLY);
        return client(cx, node, chain.outer, api, Given::No, note);
    }
    // The builder is kept in a variable and configured on later lines.
    let bound = bind(cx, chain.outer);
    let (Some(Binding::Name(name)), Some(assign)) = (&bound.binding, bound.assign) else {
        return;
    };
    let mut built = None;
    for r in references(cx, &bound, name, assign) {
        let ch = chain_timeout(cx.ast, r, lib);
        match ch.given {
            Given::Yes | Given::Unknown => return,
            Given::Disabled => return client(cx, node, ch.outer, api, Given::Disabled, None),
            Given::No => {}
        }
        connect |= ch.has("connect_timeout");
        if ch.has("build") {
            built = Some(ch.outer);
        }
    }
    if let Some(outer) = built {
        client(
            cx,
            node,
            outer,
            api,
            Given::No,
            connect.then_some(CONNECT_ONLY),
        );
    }
}

/// The timeout a fix gives: 10 s (the order of what `requests`' own docs and most client
/// libraries' defaults use), in the unit each language's clients take.
const PY_TIMEOUT: &str = "10";

/// 10 s in milliseconds as the file can write it: `10_000` in TypeScript (compiled down for
/// old targets), `10000` in JavaScript, which older runtimes load without numeric separators.
fn js_timeout(cx: &Ctx) -> &'static str {
    match crate::lang::Dialect::from_path(&cx.file.path) {
        Some(crate::lang::Dialect::JavaScript) => "10000",
        _ => "10_000",
    }
}

/// The option a JavaScript client library takes a timeout in, as a fix writes it.
fn js_option(cx: &Ctx, lib: &Library) -> Option<(&'static str, String)> {
    let ms = js_timeout(cx);
    Some(match lib.name {
        "fetch" => ("signal", format!("AbortSignal.timeout({ms})")),
        "axios" | "@nestjs/axios" | "ky" => ("timeout", ms.to_string()),
        "got" => ("timeout", format!("{{ request: {ms} }}")),
        "needle" => ("response_timeout", ms.to_string()),
        _ => return None,
    })
}

/// Where a request method of a client takes its timeout (`session.get` -> `timeout=`).
fn method_config(cx: &Ctx, call: NodeId, lib: &Library) -> Option<Config> {
    let Kind::Member { property, .. } = cx.ast.kind(callee_of(cx.ast, call)) else {
        return None;
    };
    lib.methods
        .iter()
        .find(|(m, _)| m == property)
        .map(|(_, c)| *c)
}

/// The fix of a call that gives no timeout (`given` is `No`) or turns it off (`Disabled`),
/// where `config` says the call takes it: `timeout=10` for Python clients, a `signal` or
/// `timeout` option for JavaScript ones, `.timeout(10_000)` on a superagent request. Unsafe:
/// the value is a choice made for the code. `None` where the edit is not certain (options
/// built elsewhere, `**kwargs`, a spread, a comment where the edit goes).
fn timeout_fix(cx: &Ctx, call: NodeId, config: Config, lib: &Library, given: Given) -> Option<Fix> {
    let ast = cx.ast;
    let text = cx.file.text.as_str();
    let c = ast.call(call)?;
    match (ast.lang, config, given) {
        (Lang::Python, Config::Kwarg(_), Given::No) => {
            if !matches!(lib.name, "requests" | "urllib" | "http.client" | "urllib3") {
                return None;
            }
            let arg = format!("timeout={PY_TIMEOUT}");
            let edit = edits::append_arg(ast, text, call, &arg)?;
            Some(Fix::unsafe_(format!("Add `{arg}`"), vec![edit]))
        }
        (Lang::Python, Config::Kwarg(position), Given::Disabled) => {
            if lib.name == "aiohttp" {
                return None; // it takes a `ClientTimeout`, not a number
            }
            let value = ast
                .kwarg(c, "timeout")
                .or_else(|| position.and_then(|i| ast.positional(c).nth(i)))?;
            matches!(ast.kind(value), Kind::Null).then(|| {
                Fix::unsafe_(
                    format!("Set `timeout={PY_TIMEOUT}`"),
                    vec![Edit::replace(ast.span(value), PY_TIMEOUT)],
                )
            })
        }
        (Lang::TypeScript, Config::Options(i), _) => js_options_fix(cx, call, Some(i), lib, given),
        (Lang::TypeScript, Config::UrlOrOptions, _) => js_options_fix(cx, call, None, lib, given),
        (Lang::TypeScript, Config::Chain, Given::No) if lib.name == "superagent" => {
            // with a callback the request is sent at once: too late for `.timeout`
            if c.args
                .iter()
                .any(|a| a.spread || ast.function(a.value).is_some())
            {
                return None;
            }
            let method = format!("timeout({})", js_timeout(cx));
            let edit = edits::chain_after(ast, text, call, &method)?;
            Some(Fix::unsafe_(format!("Add `.{method}`"), vec![edit]))
        }
        _ => None,
    }
}

/// A JavaScript client's options: the argument at `at` (`None`: the first argument when it is
/// an object, else the second) gets the timeout option, as a new object argument or a new
/// property of the object literal written there; a turned-off value (`timeout: 0`, `signal:
/// undefined`) is replaced.
fn js_options_fix(
    cx: &Ctx,
    call: NodeId,
    at: Option<usize>,
    lib: &Library,
    given: Given,
) -> Option<Fix> {
    let ast = cx.ast;
    let text = cx.file.text.as_str();
    let c = ast.call(call)?;
    if c.args.iter().any(|a| a.spread) {
        return None;
    }
    let (key, value) = js_option(cx, lib)?;
    let entry = format!("{key}: {value}");
    let i = at.unwrap_or_else(|| {
        let first_is_object = c
            .args
            .first()
            .is_some_and(|a| matches!(ast.kind(a.value), Kind::Object { .. }));
        usize::from(!first_is_object)
    });
    let arg = c.args.get(i).map(|a| a.value);
    if given == Given::Disabled {
        let e = ast.entry(arg?, key)?;
        let off = match ast.kind(e.value) {
            Kind::Null | Kind::Bool(false) => true,
            Kind::Name(n) => n == "undefined",
            Kind::Number(Some(n)) => *n == 0.0,
            _ => false,
        };
        return off.then(|| {
            Fix::unsafe_(
                format!("Set `{entry}`"),
                vec![Edit::replace(ast.span(e.value), value.clone())],
            )
        });
    }
    if given != Given::No {
        return None;
    }
    let title = format!("Add `{entry}`");
    let edit = match arg {
        None if c.args.len() == i => edits::append_arg(ast, text, call, &format!("{{ {entry} }}"))?,
        // `axios.post(url)`: the body is left out before the config
        None if lib.name == "axios" && c.args.len() < i => {
            let fill = "undefined, ".repeat(i - c.args.len());
            edits::append_arg(ast, text, call, &format!("{fill}{{ {entry} }}"))?
        }
        Some(o) if matches!(ast.kind(o), Kind::Object { .. }) => {
            edits::add_entry(ast, text, o, &entry)?
        }
        // `needle.get(url, callback)`: the options go before the callback
        Some(f) if lib.name == "needle" && ast.function(f).is_some() => {
            Edit::insert(ast.span(f).start as usize, format!("{{ {entry} }}, "))
        }
        _ => return None,
    };
    Some(Fix::unsafe_(title, vec![edit]))
}

/// `Duration` as the file can name it: imported, or by its full path.
fn duration(cx: &Ctx) -> &'static str {
    match cx.facts.imports.get("Duration") {
        Some("std::time::Duration" | "core::time::Duration" | "tokio::time::Duration") => {
            "Duration::from_secs(10)"
        }
        _ => "std::time::Duration::from_secs(10)",
    }
}

/// `Client::builder()` -> `Client::builder().timeout(Duration::from_secs(10))`.
fn builder_fix(cx: &Ctx, builder: NodeId) -> Option<Fix> {
    let method = format!("timeout({})", duration(cx));
    let edit = edits::chain_after(cx.ast, &cx.file.text, builder, &method)?;
    Some(Fix::unsafe_(format!("Add `.{method}`"), vec![edit]))
}

/// `Client::new()` -> `Client::builder().timeout(..).build().expect(..)`: what `Client::new`
/// does (it panics when the client cannot be built), with a timeout.
fn client_new_fix(cx: &Ctx, call: NodeId) -> Option<Fix> {
    let ast = cx.ast;
    let text = cx.file.text.as_str();
    let c = ast.call(call)?;
    let Kind::Name(path) = ast.kind(c.callee) else {
        return None;
    };
    let name = path.rsplit("::").next()?;
    if !c.args.is_empty() || !matches!(name, "new" | "default") {
        return None;
    }
    let callee = ast.span(c.callee);
    // spans from a partly parsed file may not hold the name's text
    let name_at = (callee.end as usize).checked_sub(name.len())?;
    if text.get(name_at..callee.end as usize) != Some(name) {
        return None;
    }
    let close = callee.end as usize + text.get(callee.end as usize..)?.find(')')?;
    if close + 1 != ast.span(call).end as usize {
        return None;
    }
    let rest = format!(".timeout({}).build().expect(\"HTTP client\")", duration(cx));
    Some(Fix::unsafe_(
        format!("Build the client with `.timeout({})`", duration(cx)),
        vec![
            Edit::replace(Span::new(name_at, callee.end as usize), "builder"),
            Edit::insert(close + 1, rest),
        ],
    ))
}

/// `reqwest::blocking::Client::builder().timeout(None)`: drop `.timeout(None)`, so the 30 s
/// default applies.
fn drop_disabled_chain(cx: &Ctx, builder: NodeId, lib: &Library) -> Option<Fix> {
    let ast = cx.ast;
    lib.default?;
    let chain = chain_timeout(ast, builder, lib);
    let (_, call) = chain.methods.iter().find(|(m, _)| m == "timeout")?;
    let c = ast.call(*call)?;
    let receiver = ast.receiver(c)?;
    let arg = c.args.first()?.value;
    let none = matches!(ast.kind(arg), Kind::Null)
        || matches!(ast.kind(arg), Kind::Name(n) if n == "None");
    let (from, to) = (
        ast.span(receiver).end as usize,
        ast.span(*call).end as usize,
    );
    let gone = cx.file.text.get(from..to)?;
    if !none || !gone.trim_start().starts_with(".timeout(") || gone.contains("//") {
        return None;
    }
    Some(Fix::unsafe_(
        format!(
            "Remove `.timeout(None)` ({}'s {} default applies)",
            lib.name, lib.default?
        ),
        vec![Edit::delete(Span::new(from, to))],
    ))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Binding {
    /// A variable: `client`, `api`, `session`.
    Name(String),
    /// An attribute of the instance: `self.session`, `this.http`.
    Attr(String, String),
}

impl std::fmt::Display for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Binding::Name(n) => f.write_str(n),
            Binding::Attr(o, p) => write!(f, "{o}.{p}"),
        }
    }
}

/// Where a constructed client goes.
#[derive(Debug, Default)]
struct Bound {
    binding: Option<Binding>,
    /// Where references to the binding are looked for.
    scope: NodeId,
    /// The assignment (or `with`) that binds it.
    assign: Option<NodeId>,
    /// A method called right on the construction: `requests.Session().get(url)`.
    direct_use: Option<NodeId>,
    /// Put somewhere the file does not show (returned, passed, stored in a struct).
    escape: Option<NodeId>,
    exported: bool,
}

fn is_wrapper(ast: &Ast, id: NodeId) -> bool {
    ast.wrapped(id).is_some()
}

/// Follows a construction to the name it is bound to.
fn bind(cx: &Ctx, expr: NodeId) -> Bound {
    let ast = cx.ast;
    let mut cur = expr;
    while let Some(p) = ast.parent(cur) {
        // `session = session or requests.Session()`, `opts.client ?? axios.create()`
        let fallback =
            matches!(ast.kind(p), Kind::Binary { op: BinOp::Or, rhs, .. } if *rhs == cur);
        if is_wrapper(ast, p) || fallback {
            cur = p;
            continue;
        }
        // `.unwrap()`, `.expect(..)`, `.into()` on the client
        let unwrapped = match ast.kind(p) {
            Kind::Member { object, property }
                if *object == cur && matches!(property.as_str(), "unwrap" | "expect" | "into") =>
            {
                call_of_callee(ast, p)
            }
            _ => None,
        };
        match unwrapped {
            Some(call) => cur = call,
            None => break,
        }
    }
    let mut bound = Bound::default();
    let Some(p) = ast.parent(cur) else {
        return bound;
    };
    match ast.kind(p) {
        Kind::Assign {
            target,
            value: Some(v),
            ..
        } if *v == cur => {
            bound.assign = Some(p);
            let class = ast
                .ancestors(p)
                .find(|&a| matches!(ast.kind(a), Kind::Class(_)));
            match ast.kind(*target) {
                Kind::Name(n) => {
                    if ast
                        .parent(p)
                        .is_some_and(|pp| matches!(ast.kind(pp), Kind::Class(_)))
                    {
                        // a class field / class attribute: `this.http`, `self.session`
                        let this = if ast.lang == Lang::Python {
                            "self"
                        } else {
                            "this"
                        };
                        bound.binding = Some(Binding::Attr(this.into(), n.clone()));
                        bound.scope = ast.parent(p).unwrap_or(ROOT);
                    } else {
                        bound.binding = Some(Binding::Name(n.clone()));
                        bound.scope = ast.enclosing_function(p).unwrap_or(ROOT);
                        bound.exported = bound.scope == ROOT && exported_decl(cx, p);
                    }
                }
                Kind::Member { object, property } => match (ast.kind(*object), class) {
                    (Kind::Name(o), Some(class)) if o == "self" || o == "this" => {
                        bound.binding = Some(Binding::Attr(o.clone(), property.clone()));
                        bound.scope = class;
                    }
                    _ => bound.escape = Some(p),
                },
                _ => bound.escape = Some(p),
            }
        }
        Kind::Member { object, .. } if *object == cur && call_of_callee(ast, p).is_some() => {
            bound.direct_use = call_of_callee(ast, p);
        }
        Kind::With { items, .. } if items.contains(&cur) => match with_as_name(cx, cur) {
            Some(n) => {
                bound.binding = Some(Binding::Name(n));
                bound.scope = p;
                bound.assign = Some(cur);
            }
            None => bound.escape = Some(p),
        },
        _ => bound.escape = Some(p),
    }
    bound
}

/// The name a `with` item is bound to: `s` in `with requests.Session() as s:`.
fn with_as_name(cx: &Ctx, item: NodeId) -> Option<String> {
    let parent = cx.ast.parent(item)?;
    match cx.ast.kind(parent) {
        Kind::With { items, names, .. } => {
            let i = items.iter().position(|&x| x == item)?;
            names.get(i).cloned().flatten()
        }
        _ => None,
    }
}

/// `export const api = axios.create(..)`: the declaration's line starts with `export`.
fn exported_decl(cx: &Ctx, assign: NodeId) -> bool {
    if cx.ast.lang != Lang::TypeScript {
        return false;
    }
    let start = cx.ast.span(assign).start as usize;
    let line_start = cx.file.text[..start].rfind('\n').map_or(0, |i| i + 1);
    cx.file.text[line_start..start].contains("export")
}

/// References to a binding inside its scope, after the binding (for local variables), skipping
/// names shadowed by an inner function's parameter or assignment.
fn references(cx: &Ctx, bound: &Bound, binding_name: &str, assign: NodeId) -> Vec<NodeId> {
    let ast = cx.ast;
    let target = match ast.kind(assign) {
        Kind::Assign { target, .. } => Some(*target),
        _ => None,
    };
    let hits = match &bound.binding {
        Some(Binding::Name(_)) => ast.names_in(binding_name, bound.scope),
        Some(Binding::Attr(_, p)) => ast.self_members_in(p, bound.scope),
        None => &[],
    };
    // whether a function around a reference binds the name again, once per function
    let mut rebinds: HashMap<NodeId, bool> = HashMap::new();
    let mut out = Vec::new();
    for &id in hits {
        if target.is_some_and(|t| ast.contains(t, id)) {
            continue;
        }
        let after = match bound.binding {
            Some(Binding::Name(_)) => bound.scope == ROOT || id >= ast.node(assign).end,
            _ => true,
        };
        if after && !shadowed(cx, id, binding_name, bound, &mut rebinds) {
            out.push(id);
        }
    }
    out
}

fn shadowed(
    cx: &Ctx,
    r: NodeId,
    name: &str,
    bound: &Bound,
    rebinds: &mut HashMap<NodeId, bool>,
) -> bool {
    let ast = cx.ast;
    if !matches!(bound.binding, Some(Binding::Name(_))) {
        return false;
    }
    for f in ast.ancestors(r) {
        if f == bound.scope {
            break;
        }
        let Kind::Function(func) = ast.kind(f) else {
            continue;
        };
        if func.params.iter().any(|p| p.name == name) {
            return true;
        }
        let assigns = *rebinds.entry(f).or_insert_with(|| {
            ast.subtree(f).any(|i| match ast.kind(i) {
                Kind::Assign { target, .. } => {
                    Some(i) != bound.assign
                        && matches!(ast.kind(*target), Kind::Name(n) if n == name)
                }
                Kind::Loop(l) => l.bindings.iter().any(|b| b == name),
                Kind::With { items, .. } => items
                    .iter()
                    .any(|&it| with_as_name(cx, it).as_deref() == Some(name)),
                _ => false,
            })
        });
        if assigns {
            return true;
        }
    }
    false
}

#[derive(Debug, Default)]
struct Uses {
    /// Requests made on the client, and whether each sets a timeout.
    requests: Vec<(NodeId, Given)>,
    /// A reference that hands the client on (argument, return, struct field, clone).
    escape: Option<NodeId>,
    /// The instance gets a timeout after construction (`api.defaults.timeout = ..`, an
    /// interceptor that sets `config.timeout`, a session adapter or `request` wrapper).
    configured: bool,
}

/// What the file does with a bound client.
fn track(cx: &Ctx, bound: &Bound, lib: &Library) -> Uses {
    let ast = cx.ast;
    let imports = &cx.facts.imports;
    let mut uses = Uses {
        escape: bound.escape,
        ..Uses::default()
    };
    if let Some(call) = bound.direct_use {
        if let Some(u) = request_use(cx, call, lib) {
            uses.requests.push(u);
        }
        return uses;
    }
    let (Some(binding), Some(assign)) = (&bound.binding, bound.assign) else {
        return uses;
    };
    let name = match binding {
        Binding::Name(n) => n.as_str(),
        Binding::Attr(_, p) => p.as_str(),
    };
    for r in references(cx, bound, name, assign) {
        let Some(p) = ast.parent(r) else { continue };
        match ast.kind(p) {
            Kind::Member { object, property } if *object == r => {
                if let Some(call) = call_of_callee(ast, p) {
                    if let Some(u) = request_use(cx, call, lib) {
                        uses.requests.push(u);
                    } else if property == "clone" {
                        uses.escape.get_or_insert(r);
                    } else if property == "mount" && mounts_timeout_adapter(cx, call) {
                        uses.configured = true;
                    }
                    continue;
                }
                // `api.defaults.timeout = ..`, `session.request = partial(.., timeout=..)`
                let mut top = p;
                while let Some(up) = ast.parent(top) {
                    match ast.kind(up) {
                        Kind::Member { object, .. } if *object == top => top = up,
                        _ => break,
                    }
                }
                let top_prop = match ast.kind(top) {
                    Kind::Member { property, .. } => property.as_str(),
                    _ => "",
                };
                let parent = ast.parent(top);
                let assigned = parent.is_some_and(
                    |a| matches!(ast.kind(a), Kind::Assign { target, .. } if *target == top),
                );
                if assigned
                    && (lib.timeout.contains(&top_prop) && lib.name != "requests"
                        || lib.name == "requests" && top == p && property == "request")
                {
                    uses.configured = true;
                }
                // `api.interceptors.request.use((config) => { config.timeout = 5000; .. })`
                if let Some(c) = parent.filter(|&c| ast.call(c).is_some_and(|c| c.callee == top)) {
                    if sets_timeout_inside(ast, c, lib) {
                        uses.configured = true;
                    }
                }
            }
            // an axios/got instance called directly: `api({ url, method })`
            Kind::Call(c) if c.callee == r => {
                let g = timeout_given(ast, imports, p, Config::UrlOrOptions, lib);
                uses.requests.push((p, g));
            }
            Kind::Assign { target, .. } if *target == r => {}
            _ => {
                uses.escape.get_or_insert(r);
            }
        }
    }
    uses
}

/// A request method called on the client, and whether it sets its own timeout.
fn request_use(cx: &Ctx, call: NodeId, lib: &Library) -> Option<(NodeId, Given)> {
    let ast = cx.ast;
    let Kind::Member { property: name, .. } = ast.kind(callee_of(ast, call)) else {
        return None;
    };
    let (_, config) = lib.methods.iter().find(|(m, _)| *m == name)?;
    let g = timeout_given(ast, &cx.facts.imports, call, *config, lib);
    // `timeout(d, client.get(url).send())`: the deadline is outside the chain
    let outer = match config {
        Config::Chain => chain_timeout(ast, call, lib).outer,
        _ => call,
    };
    if g != Given::Yes && raced_against_deadline(ast, outer) {
        return Some((call, Given::Yes));
    }
    Some((call, g))
}

/// `session.mount("https://", TimeoutHTTPAdapter(timeout=5))`: any adapter but the plain
/// `requests` `HTTPAdapter` (which has no timeout) is taken to set one.
fn mounts_timeout_adapter(cx: &Ctx, call: NodeId) -> bool {
    let ast = cx.ast;
    let Some(c) = ast.call(call) else {
        return false;
    };
    let Some(mut adapter) = ast.kwarg(c, "adapter").or_else(|| ast.positional(c).nth(1)) else {
        return false;
    };
    // `adapter = HTTPAdapter(max_retries=retry)` a few lines above
    if let Kind::Name(n) = ast.kind(adapter) {
        let scope = ast.enclosing_function(call).unwrap_or(ROOT);
        let assigned = ast.subtree(scope).rev().find_map(|i| match ast.kind(i) {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } if i < call && matches!(ast.kind(*target), Kind::Name(t) if t == n) => Some(*v),
            _ => None,
        });
        match assigned {
            Some(v) => adapter = v,
            None => return true,
        }
    }
    match ast.call(adapter) {
        Some(a) => {
            if ast.kwarg(a, "timeout").is_some() {
                return true;
            }
            let q = cx.facts.imports.qualify(ast, a.callee).unwrap_or_default();
            !(q == "requests.adapters.HTTPAdapter" || q == "HTTPAdapter")
        }
        None => true,
    }
}

fn sets_timeout_inside(ast: &Ast, call: NodeId, lib: &Library) -> bool {
    ast.subtree(call).any(|i| match ast.kind(i) {
        Kind::Assign { target, .. } => matches!(ast.kind(*target),
            Kind::Member { property, .. } if lib.timeout.contains(&property.as_str())),
        _ => false,
    })
}

/// Browser code: a Next.js `"use client"` module, or a request to a relative URL (`/api/x`),
/// which only resolves against a page's origin (Node's `fetch` rejects it). A function that
/// makes one such request runs in a page, so its other requests (the presigned URL it was
/// just handed) are browser requests too. The rule is about backend services.
fn is_browser_code(cx: &Ctx, call: NodeId) -> bool {
    let head = cx.file.text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with("\"use client\"") || head.starts_with("'use client'") {
        return true;
    }
    let ast = cx.ast;
    if requests_relative_url(ast, call) {
        return true;
    }
    let Some(func) = ast.enclosing_function(call) else {
        return false;
    };
    // (`call` itself is not one: its URL is not relative)
    ast.verdict("mt:relative-request-in", func, || {
        let relative = ast.nodes_where("mt:relative-url-calls", |ast, id| {
            ast.call(id).is_some() && requests_relative_url(ast, id)
        });
        ast.within(func, &relative).iter().any(|&id| {
            http_clients::api(ast, &cx.facts.imports, id)
                .is_some_and(|a| a.role == Role::Request && a.library.lang == Lang::TypeScript)
        })
    })
}

/// A request call whose URL (its first argument) is relative to the page.
fn requests_relative_url(ast: &Ast, call: NodeId) -> bool {
    ast.call(call)
        .and_then(|c| c.args.first())
        .is_some_and(|a| relative_url(ast, a.value))
}

/// A root-relative URL: a literal (`"/api/orders"`, `` `/api/orders/${id}` ``), or one passed
/// through a one-argument path helper (`formatPath("/api/files")`, `withBase("/api/x")`) that
/// prefixes a base path: the file cannot show what the helper adds, and a helper that made it
/// absolute would take the host as well (`new URL(path, base)` takes two arguments).
fn relative_url(ast: &Ast, arg: NodeId) -> bool {
    let root_relative = |id: NodeId| {
        ast.str_lit(id)
            .is_some_and(|s| s.value.starts_with('/') && !s.value.starts_with("//"))
    };
    if root_relative(arg) {
        return true;
    }
    match ast.call(arg) {
        Some(c) if !c.is_new && !c.is_tagged && c.args.len() == 1 => {
            !c.args[0].spread && root_relative(c.args[0].value)
        }
        _ => false,
    }
}

/// The request is raced against a deadline, so its caller stops waiting: an element of
/// `Promise.race([request, timer])` next to a timer (`setTimeout`, `sleep`, `delay`), or the
/// awaited argument of a timeout wrapper (`tokio::time::timeout(d, fut)`,
/// `asyncio.wait_for(coro, 5)`, `withTimeout(fetch(url), 5000)`). Only the request's own
/// expression is followed: a request inside a callback (`setTimeout(() => fetch(url))`) is
/// not bounded by it.
fn raced_against_deadline(ast: &Ast, call: NodeId) -> bool {
    let mut cur = call;
    for a in ast.ancestors(call) {
        match ast.kind(a) {
            Kind::Function(_) | Kind::Module(_) | Kind::Block(_) | Kind::Assign { .. } => {
                return false;
            }
            Kind::Array(items) => {
                let race = ast.parent(a).and_then(|p| ast.call(p)).is_some_and(|c| {
                    ast.path_of(c.callee).as_deref() == Some("Promise.race")
                        && c.args.first().is_some_and(|x| x.value == a)
                });
                if race && items.iter().any(|&i| i != cur && is_timer(ast, i)) {
                    return true;
                }
            }
            Kind::Call(c) if c.args.iter().any(|x| x.value == cur) => {
                let name = ast.callee_name(c).unwrap_or("").to_ascii_lowercase();
                let deadline =
                    name == "wait_for" || name.contains("timeout") && !name.starts_with("set");
                if deadline {
                    return true;
                }
            }
            _ => {}
        }
        cur = a;
    }
    false
}

/// A promise that settles after a delay: its expression calls `setTimeout`, `sleep`, `delay`
/// or a `timeout` helper.
fn is_timer(ast: &Ast, expr: NodeId) -> bool {
    ast.subtree(expr).any(|id| {
        ast.call(id).is_some_and(|c| {
            let name = ast.callee_name(c).unwrap_or("").to_ascii_lowercase();
            ["timeout", "sleep", "delay", "wait"]
                .iter()
                .any(|t| name.contains(t))
        })
    })
}

/// `fetch` defined or received locally (a parameter, a variable, a function of the file): a
/// wrapper, not the global.
fn fetch_is_local(cx: &Ctx, call: NodeId) -> bool {
    let ast = cx.ast;
    let Kind::Name(n) = ast.kind(callee_of(ast, call)) else {
        return false;
    };
    if cx.facts.imports.get(n).is_some() {
        return false;
    }
    if cx.facts.function_named(n).is_some() {
        return true;
    }
    for f in ast.ancestors(call) {
        if let Kind::Function(func) = ast.kind(f) {
            if func
                .params
                .iter()
                .any(|p| &p.name == n || destructures(&p.name, n))
            {
                return true;
            }
        }
    }
    let scope = ast.enclosing_function(call).unwrap_or(ROOT);
    ast.declared_in(n, scope)
        || (scope != ROOT && ast.declared_in(n, ROOT) && ast.module_assigns_name(n))
}

/// A destructuring pattern that binds `name`: `{ fetch, options }`, `{ load: fetch }` (a
/// component's `fetch` prop), not `{ fetch: load }`.
fn destructures(pattern: &str, name: &str) -> bool {
    if !(pattern.starts_with('{') || pattern.starts_with('[')) {
        return false;
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut rest = pattern;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + name.len()..].trim_start();
        let whole =
            !before.is_some_and(ident) && !rest[i + name.len()..].chars().next().is_some_and(ident);
        if whole && !after.starts_with(':') {
            return true;
        }
        rest = &rest[i + name.len()..];
    }
    false
}

/// Inside a Rust `#[cfg(test)]` module or a `#[test]` function.
fn in_test_code(ast: &Ast, node: NodeId) -> bool {
    if ast.lang != Lang::Rust {
        return false;
    }
    ast.ancestors(node).any(|a| match ast.kind(a) {
        Kind::Class(c) => c
            .decorators
            .iter()
            .any(|d| d.name == "cfg" && d.args.contains("test")),
        Kind::Function(f) => f.decorators.iter().any(|d| {
            d.name == "test"
                || d.name.ends_with("::test")
                || d.name == "cfg" && d.args.contains("test")
        }),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::{lint_paths, Options};

    fn options() -> Options {
        let mut o = Options::default();
        o.config.select = vec!["missing-timeout".into()];
        o
    }

    /// Lines (1-based) reported in a snippet.
    fn lines(path: &str, src: &str) -> Vec<u32> {
        crate::engine::testing::lines_with("missing-timeout", path, src, &options())
    }

    #[test]
    fn python_aliases_and_keyword_forms() {
        let src = "\
import requests as r
from requests import get, Session
import urllib.request as ureq
from urllib import request as urlreq

def f(url, opts):
    r.get(url)
    get(url, verify=False)
    r.get(url, timeout=(3.05, 27))
    r.post(url, **opts)
    ureq.urlopen(url)
    urlreq.urlopen(url, timeout=None)
    urlreq.urlopen(url, timeout=5)
    cache = {}
    cache.get(url)
";
        assert_eq!(lines("svc.py", src), vec![7, 8, 11, 12]);
    }

    #[test]
    fn python_unimported_names_are_not_clients() {
        let src = "\
def f(requests, url):
    requests.get(url)
    self_requests = {}
    return self_requests.get(url)
";
        assert!(lines("svc.py", src).is_empty());
    }

    #[test]
    fn python_sessions_are_checked_per_call() {
        let src = "\
import requests
from requests.adapters import HTTPAdapter

class Billing:
    session = requests.Session()

    def charge(self, url):
        return self.session.post(url, json={})

class Mounted:
    def __init__(self):
        self.s = requests.Session()
        adapter = TimeoutAdapter(timeout=5)
        self.s.mount('https://', adapter)

    def go(self, url):
        return self.s.get(url)

class Plain:
    def __init__(self):
        self.s = requests.Session()
        self.s.timeout = 5

    def go(self, url):
        return self.s.get(url)
";
        // `session.timeout = ..` is ignored by requests: still reported.
        assert_eq!(lines("svc.py", src), vec![8, 25]);
    }

    #[test]
    fn python_openers_and_connections() {
        let src = "\
import urllib.request
from http.client import HTTPConnection

def f(url, host):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(url)
    opener.open(url, None, 10)
    conn = HTTPConnection(host, 80, 5)
    conn.request('GET', '/')
    conn2 = HTTPConnection(host)
    conn2.request('GET', '/')
";
        assert_eq!(lines("svc.py", src), vec![6, 10]);
    }

    #[test]
    fn python_module_session_shadowed_by_a_parameter_or_local() {
        let src = "\
import requests
session = requests.Session()

def a(session, pk):
    return session.get(Order, pk)

def b(pk):
    session = make_db_session()
    return session.get(Order, pk)

def c(url):
    return session.get(url)

def d(engine, pk):
    with Session(engine) as session:
        return session.get(Order, pk)

def e(sessions, pk):
    return [session.get(Order, pk) for session in sessions]
";
        assert_eq!(lines("svc.py", src), vec![12]);
    }

    #[test]
    fn python_httpx_and_aiohttp_defaults() {
        let src = "\
import aiohttp
import httpx

async def f(url):
    httpx.get(url)
    async with httpx.AsyncClient() as c:
        await c.get(url, timeout=None)
    client = httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))
    async with aiohttp.ClientSession() as s:
        await s.get(url)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout()) as s:
        await s.get(url)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as s:
        await s.get(url)
";
        assert_eq!(lines("svc.py", src), vec![7, 11]);
    }

    #[test]
    fn typescript_fetch_shapes() {
        let src = "\
import { fetch as undiciFetch } from 'undici';
export async function a(url: string, init: RequestInit) {
  await fetch(url);
  await fetch(url, init);
  await globalThis.fetch(url, { method: 'POST' });
  await undiciFetch(url);
  await fetch(url, { ...init });
  await fetch(url, { signal: req.signal });
  await fetch(url, { signal: undefined });
  const opts = { method: 'PUT' };
  opts.signal = AbortSignal.timeout(1000);
  await fetch(url, opts);
}
// a page's code: relative URLs, and the URL the app's own API hands back
export async function b(id: string) {
  const { url } = await (await fetch(`/api/orders/${id}/export`)).json();
  await fetch(url);
  await fetch(withBase('/api/orders'), { method: 'POST' });
}
export const c = (u: string) => fetch(join(u, '/v1/orders'));
";
        assert_eq!(lines("svc.ts", src), vec![3, 5, 6, 9, 20]);
    }

    #[test]
    fn typescript_local_fetch_is_a_wrapper() {
        let src = "\
async function fetch(url: string) { return undici.request(url, { headersTimeout: 5000 }); }
export const a = (url: string) => fetch(url);
";
        assert!(lines("svc.ts", src).is_empty());
        let param = "export async function b(fetch: typeof globalThis.fetch, url: string) { return fetch(url); }\n";
        assert!(lines("svc.ts", param).is_empty());
        let imported =
            "import { fetch } from './http';\nexport const c = (u: string) => fetch(u);\n";
        assert!(lines("svc.ts", imported).is_empty());
    }

    #[test]
    fn typescript_axios_shapes() {
        let src = "\
const axios = require('axios');
async function a(url, body, config) {
  await axios.get(url);
  await axios.get(url, config);
  await axios.delete(url, { timeout: 1000 });
  await axios.put(url, body);
  await axios.put(url, { timeout: 1000 });
  await axios.request({ url, method: 'GET' });
  await axios({ url, timeout: 2000 });
  await axios(url);
}
module.exports = { a };
";
        let generic = "import axios from 'axios';\nexport async function g(u: string) {\n  const { data } = await axios.get<{ id: string }>(u);\n  const r = await axios.post<R>(u, {}, { timeout: 5 });\n  return data;\n}\n";
        assert_eq!(lines("svc.ts", generic), vec![3]);
        // `axios.put(url, { timeout })`: the second argument is the body, not the config
        assert_eq!(lines("svc.js", src), vec![3, 6, 7, 8, 10]);
    }

    #[test]
    fn typescript_instances() {
        let src = "\
import axios from 'axios';
const shared = axios.create({ baseURL: 'https://a' });
const local = axios.create({ baseURL: 'https://b' });
export default axios.create({ baseURL: 'https://c' });
function make() {
  return axios.create({ baseURL: 'https://d' });
}
export async function go() {
  await shared.get('/x');
  await local.get('/y', { timeout: 500 });
  await local({ url: '/z', timeout: 500 });
  await make().get('/w');
}
";
        assert_eq!(lines("svc.ts", src), vec![2, 4, 6]);
    }

    #[test]
    fn project_wide_axios_default_and_socket_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("setup.ts"),
            "import axios from 'axios';\naxios.defaults.timeout = 5000;\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("client.ts"),
            "import axios from 'axios';\nexport const api = axios.create({ baseURL: 'x' });\nexport const g = (u: string) => axios.get(u);\nexport const f = (u: string) => fetch(u);\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("main.py"),
            "import socket\nsocket.setdefaulttimeout(10)\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("jobs.py"),
            "from urllib.request import urlopen\nimport requests\n\ndef f(u):\n    urlopen(u)\n    requests.get(u)\n",
        )
        .unwrap();
        let r = lint_paths(&[dir.path().to_path_buf()], &options());
        let mut got: Vec<_> = r
            .diagnostics
            .iter()
            .map(|d| {
                let name = d.path.file_name().unwrap().to_string_lossy().to_string();
                (name, d.start.line)
            })
            .collect();
        got.sort();
        // axios is covered by the default; fetch is not. urlopen uses the socket default;
        // requests does not.
        assert_eq!(
            got,
            vec![("client.ts".to_string(), 4), ("jobs.py".to_string(), 6)]
        );
    }

    #[test]
    fn destructured_fetch_is_a_prop() {
        assert!(super::destructures("{ fetch, options }", "fetch"));
        assert!(super::destructures("{ load: fetch }", "fetch"));
        assert!(!super::destructures("{ fetch: load }", "fetch"));
        assert!(!super::destructures("{ prefetch }", "fetch"));
        assert!(!super::destructures("fetcher", "fetch"));
    }

    #[test]
    fn needle_callbacks_and_project_default() {
        let dir = tempfile::tempdir().unwrap();
        let quotes = "const needle = require('needle');\nfunction a(u, cb) {\n  needle.get(u, cb);\n  needle.get(u, (e, r) => cb(r));\n  needle.post(u, {}, { response_timeout: 5 }, cb);\n}\nmodule.exports = { a };\n";
        std::fs::write(dir.path().join("quotes.js"), quotes).unwrap();
        let r = lint_paths(&[dir.path().to_path_buf()], &options());
        let got: Vec<u32> = r.diagnostics.iter().map(|d| d.start.line).collect();
        // a callback variable is not an options object we can read: unknown
        assert_eq!(got, vec![4]);
        std::fs::write(
            dir.path().join("setup.js"),
            "const needle = require('needle');\nneedle.defaults({ response_timeout: 10000 });\n",
        )
        .unwrap();
        let r = lint_paths(&[dir.path().to_path_buf()], &options());
        assert!(r.diagnostics.is_empty());
    }

    #[test]
    fn rust_clients_and_builders() {
        let src = "\
use reqwest::{Client, ClientBuilder};
use std::time::Duration;

async fn a(url: &str) -> reqwest::Result<()> {
    let shared = Client::new();
    let state = Arc::new(shared);
    let b = Client::builder().timeout(Duration::from_secs(5)).build()?;
    b.get(url).send().await?;
    let c = ClientBuilder::new().read_timeout(Duration::from_secs(5)).build()?;
    let d = Client::builder().build().expect(\"client\");
    d.get(url).timeout(Duration::from_secs(2)).send().await?;
    let e = Client::builder().build()?;
    e.get(url).send().await?;
    Ok(())
}
";
        assert_eq!(lines("src/a.rs", src), vec![5, 12]);
    }

    #[test]
    fn rust_non_reqwest_clients_and_tests_are_quiet() {
        let src = "\
use redis::Client;
use std::collections::HashMap;

fn a(map: &HashMap<String, String>) {
    let c = Client::open(\"redis://127.0.0.1\").unwrap();
    let _ = map.get(\"k\");
    let aws = aws_sdk_s3::Client::new(&config);
}

#[cfg(test)]
mod tests {
    #[test]
    fn t() {
        let c = reqwest::Client::new();
    }
}
";
        assert!(lines("src/a.rs", src).is_empty());
    }
    /// Each case's findings all have a fix; applied, they give `after`, which parses and is
    /// no longer reported.
    fn fixes_to(path: &str, before: &str, after: &str) {
        let (fixed, n, left) =
            crate::engine::testing::fix_all("missing-timeout", path, before, &options());
        let found = lines(path, before).len();
        assert!(found > 0, "{path}: nothing reported in:\n{before}");
        assert_eq!(n, found, "{path}: {n} of {found} findings fixed:\n{before}");
        assert_eq!(fixed, after, "{path}");
        assert!(
            left.is_empty(),
            "{path}: still reported on {left:?}:\n{fixed}"
        );
    }

    /// The findings of `src` have no fix.
    fn no_fix(path: &str, src: &str) {
        let report = crate::lint_source(std::path::Path::new(path), src, &options());
        assert!(
            !report.diagnostics.is_empty(),
            "{path}: nothing reported:\n{src}"
        );
        for d in &report.diagnostics {
            assert!(d.fix.is_none(), "{path}:{}: {:?}", d.start.line, d.fix);
        }
    }

    #[test]
    fn python_fixes_add_a_timeout_keyword() {
        let head =
            "import requests\nimport urllib.request\nfrom http.client import HTTPSConnection\n\n";
        let cases = [
            ("requests.get(url)", "requests.get(url, timeout=10)"),
            ("requests.get()", "requests.get(timeout=10)"),
            ("requests.get( )", "requests.get(timeout=10)"),
            (
                "requests.post(url, json={'a': 1},)",
                "requests.post(url, json={'a': 1}, timeout=10,)",
            ),
            (
                "requests.post(\n        url,\n        json=body\n    )",
                "requests.post(\n        url,\n        json=body,\n        timeout=10\n    )",
            ),
            (
                "requests.post(\n        url,\n        json={\n            'a': 1,\n        },\n    )",
                "requests.post(\n        url,\n        json={\n            'a': 1,\n        },\n        timeout=10,\n    )",
            ),
            (
                "requests.post(url,\n                  data=body)",
                "requests.post(url,\n                  data=body, timeout=10)",
            ),
            ("requests.get(url, timeout=None)", "requests.get(url, timeout=10)"),
            ("urllib.request.urlopen(req)", "urllib.request.urlopen(req, timeout=10)"),
            ("HTTPSConnection(host).request('GET', '/')", "HTTPSConnection(host, timeout=10).request('GET', '/')"),
        ];
        for (before, after) in cases {
            let src =
                |call: &str| format!("{head}def f(url, body, host, req):\n    return {call}\n");
            fixes_to("svc.py", &src(before), &src(after));
        }
        // sessions: each request gets its own
        fixes_to(
            "svc.py",
            "import requests\ns = requests.Session()\n\ndef f(u):\n    s.get(u)\n    s.post(u, data=1)\n",
            "import requests\ns = requests.Session()\n\ndef f(u):\n    s.get(u, timeout=10)\n    s.post(u, data=1, timeout=10)\n",
        );
        // httpx: only `timeout=None` is reported, and set
        fixes_to(
            "svc.py",
            "import httpx\nc = httpx.Client(base_url=B, timeout=None)\n",
            "import httpx\nc = httpx.Client(base_url=B, timeout=10)\n",
        );
        // CRLF files keep their line ends
        fixes_to(
            "svc.py",
            "import requests\r\nrequests.get(\r\n    url,\r\n)\r\n",
            "import requests\r\nrequests.get(\r\n    url,\r\n    timeout=10,\r\n)\r\n",
        );
    }

    #[test]
    fn python_shapes_without_a_certain_edit_have_no_fix() {
        for call in [
            "requests.get(url  # the endpoint\n    )",
            "requests.get(url for url in urls)",
        ] {
            no_fix(
                "svc.py",
                &format!("import requests\n\ndef f(url, urls, rest):\n    return {call}\n"),
            );
        }
        // aiohttp takes a `ClientTimeout`, not a number
        no_fix(
            "svc.py",
            "import aiohttp\nasync def f(u):\n    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout()) as s:\n        await s.get(u)\n",
        );
    }

    #[test]
    fn typescript_fixes_add_a_signal_or_a_timeout_option() {
        let cases = [
            (
                "await fetch(url);",
                "await fetch(url, { signal: AbortSignal.timeout(10_000) });",
            ),
            (
                "await fetch(url, { method: 'POST' });",
                "await fetch(url, { method: 'POST', signal: AbortSignal.timeout(10_000) });",
            ),
            (
                "await fetch(url, {});",
                "await fetch(url, { signal: AbortSignal.timeout(10_000) });",
            ),
            (
                "await fetch(url, {\n    method: 'POST',\n    body,\n  });",
                "await fetch(url, {\n    method: 'POST',\n    body,\n    signal: AbortSignal.timeout(10_000),\n  });",
            ),
            (
                "await fetch(url, { signal: undefined });",
                "await fetch(url, { signal: AbortSignal.timeout(10_000) });",
            ),
            ("await axios.get(url);", "await axios.get(url, { timeout: 10_000 });"),
            (
                "await axios.get<{ id: string }>(url);",
                "await axios.get<{ id: string }>(url, { timeout: 10_000 });",
            ),
            (
                "await axios.post(url, body);",
                "await axios.post(url, body, { timeout: 10_000 });",
            ),
            (
                "await axios.post(url);",
                "await axios.post(url, undefined, { timeout: 10_000 });",
            ),
            (
                "await axios.get(url, { headers });",
                "await axios.get(url, { headers, timeout: 10_000 });",
            ),
            (
                "await axios.get(url, { timeout: 0 });",
                "await axios.get(url, { timeout: 10_000 });",
            ),
            (
                "await axios({ url, method: 'GET' });",
                "await axios({ url, method: 'GET', timeout: 10_000 });",
            ),
            ("await axios(url);", "await axios(url, { timeout: 10_000 });"),
            (
                "export const api = axios.create({ baseURL: B });",
                "export const api = axios.create({ baseURL: B, timeout: 10_000 });",
            ),
            (
                "export const api = axios.create();",
                "export const api = axios.create({ timeout: 10_000 });",
            ),
            ("await got(url);", "await got(url, { timeout: { request: 10_000 } });"),
            (
                "needle.get(url, (err, res) => done(res));",
                "needle.get(url, { response_timeout: 10_000 }, (err, res) => done(res));",
            ),
            (
                "await superagent.get(url).set('A', b);",
                "await superagent.get(url).timeout(10_000).set('A', b);",
            ),
        ];
        let head = "import axios from 'axios';\nimport got from 'got';\nimport needle from 'needle';\nimport superagent from 'superagent';\n";
        for (before, after) in cases {
            let src = |stmt: &str| {
                format!("{head}export async function f(url: string, body: B, headers: H) {{\n  {stmt}\n}}\n")
            };
            // module-level statements stay at module level
            let src = |stmt: &str| {
                if stmt.starts_with("export") {
                    format!("{head}{stmt}\n")
                } else {
                    src(stmt)
                }
            };
            fixes_to("svc.ts", &src(before), &src(after));
        }
    }

    #[test]
    fn javascript_fixes_write_milliseconds_without_separators() {
        fixes_to(
            "svc.js",
            "const axios = require('axios');\nasync function a(url) {\n  await axios.get(url);\n  await fetch(url);\n}\nmodule.exports = { a };\n",
            "const axios = require('axios');\nasync function a(url) {\n  await axios.get(url, { timeout: 10000 });\n  await fetch(url, { signal: AbortSignal.timeout(10000) });\n}\nmodule.exports = { a };\n",
        );
    }

    #[test]
    fn typescript_shapes_without_a_certain_edit_have_no_fix() {
        for stmt in [
            // a variable's object is shared: the fix would change the other uses too
            "const opts = { method: 'PUT' };\n  await fetch(url, opts);",
            "await fetch(url as string, { method: 'POST' /* keep */ });",
            "await fetch(url as string);",
            "await axios.get(url, { ...base, headers });",
            "await fetch(url, { timeout: 0 });",
        ] {
            let src = format!("import axios from 'axios';\nexport async function f(url: string, base: B, headers: H) {{\n  {stmt}\n}}\n");
            let report = crate::lint_source(std::path::Path::new("svc.ts"), &src, &options());
            for d in &report.diagnostics {
                assert!(d.fix.is_none(), "{stmt}: {:?}", d.fix);
            }
        }
    }

    #[test]
    fn rust_fixes_give_the_builder_a_timeout() {
        fixes_to(
            "src/a.rs",
            "use reqwest::Client;\n\npub fn make() -> reqwest::Result<Client> {\n    Client::builder().user_agent(\"a\").build()\n}\n",
            "use reqwest::Client;\n\npub fn make() -> reqwest::Result<Client> {\n    Client::builder().timeout(std::time::Duration::from_secs(10)).user_agent(\"a\").build()\n}\n",
        );
        fixes_to(
            "src/a.rs",
            "use reqwest::Client;\nuse std::time::Duration;\n\npub fn make() -> Client {\n    Client::new()\n}\n",
            "use reqwest::Client;\nuse std::time::Duration;\n\npub fn make() -> Client {\n    Client::builder().timeout(Duration::from_secs(10)).build().expect(\"HTTP client\")\n}\n",
        );
        fixes_to(
            "src/a.rs",
            "pub fn make() -> reqwest::blocking::Client {\n    reqwest::blocking::Client::builder()\n        .timeout(None)\n        .build()\n        .unwrap()\n}\n",
            "pub fn make() -> reqwest::blocking::Client {\n    reqwest::blocking::Client::builder()\n        .build()\n        .unwrap()\n}\n",
        );
        // `reqwest::get` cannot take a timeout
        no_fix(
            "src/a.rs",
            "pub async fn f(u: &str) -> reqwest::Result<reqwest::Response> {\n    reqwest::get(u).await\n}\n",
        );
    }
}
