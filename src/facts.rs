//! Per-file facts, collected in one pass over a lowered file before the rules run: imports and
//! aliases, functions (and which of them run a database query), HTTP handlers, and project-wide
//! settings a file declares (DRF default pagination, an app-wide rate limiter).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::config::Config;
use crate::imports::{function_name, Imports};
use crate::knowledge::pagination::ReturnedCall;
use crate::knowledge::{http, http_clients, lifecycle, loops, orm, pagination, relations};
use crate::source::{Position, SourceFile, Span};

/// A function defined in a file, for one-level interprocedural rules.
#[derive(Clone, Debug)]
pub struct FnFact {
    pub name: String,
    /// The enclosing class / impl type, for methods.
    pub class: Option<String>,
    pub node: NodeId,
    pub exported: bool,
    /// The first query the function's body runs: where, and what (`Order.objects.filter`).
    pub query: Option<(Span, String)>,
    /// What the function does with its queries, for a call site to settle.
    pub shape: crate::knowledge::helpers::HelperShape,
}

/// A query site recorded for the project index (positions, since file text is dropped).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QuerySite {
    pub start: Position,
    pub end: Position,
    pub what: String,
    pub shape: crate::knowledge::helpers::HelperShape,
}

#[derive(Debug, Default)]
pub struct FileFacts {
    pub lang: Option<Lang>,
    /// Module path without extension, `/`-separated, `__init__`/`index`/`mod` dropped:
    /// `app/services/orders`.
    pub module: String,
    pub imports: Imports,
    pub functions: Vec<FnFact>,
    /// Function nodes that are HTTP handlers, with the framework.
    pub handlers: HashMap<NodeId, &'static str>,
    /// Names of functions registered as handlers by call in this file
    /// (`router.get("/", listUsers)`, axum `get(list_users)`).
    pub registered_handlers: HashSet<String>,
    /// This file sets DRF `DEFAULT_PAGINATION_CLASS`.
    pub default_pagination: bool,
    /// App-wide and path-scoped limiters and router mounts, for `missing-rate-limit`.
    pub rate_limit: crate::knowledge::rate_limit::RateLimitFacts,
    /// This file sets NestJS's `ValidationPipe` for the whole app.
    pub global_validation_pipe: bool,
    /// Handlers this file registers by name behind validating middleware.
    pub validated_routes: Vec<String>,
    /// Functions this file registers as start-up hooks (`app.on_startup.append(f)`).
    pub startup_names: Vec<String>,
    /// Project-wide settings this file makes (`axios.defaults.timeout = ..`), see
    /// [`http_clients::project_setting`].
    pub settings: Vec<&'static str>,
    /// Functions of this file whose body moves work off the event loop (`spawn_blocking`,
    /// `block_in_place`, `run_in_executor`...): a closure handed to them runs off the loop.
    pub offloaders: Vec<String>,
    /// Relation names this file eager-loads (`prefetch_related("lines__variant")` gives `lines`
    /// and `variant`): a related manager read elsewhere may be served from that cache.
    pub prefetched: Vec<String>,
    /// Python names declared `global`/`nonlocal` in this file.
    pub globals: Vec<String>,
    /// Functions whose result a memoised getter of this file keeps: they run once.
    pub once_callees: Vec<String>,
    /// Rust `macro_rules!` of this file and the functions and methods their bodies call.
    pub macros: Vec<(String, Vec<String>)>,
    /// Model classes of this file and their lazy relation fields (`Order` -> [`customer`]).
    pub model_relations: Vec<(String, Vec<String>)>,
    /// Calls whose result a handler of this file sends to the client.
    pub returned_calls: Vec<ReturnedCall>,
    /// Every call [`orm::query_call`] recognises, with its query, in node order: rules look
    /// them up with [`FileFacts::query`] instead of recognising each call again.
    pub queries: Vec<(NodeId, orm::Query)>,
    /// Model declarations of this file, for `unbounded-query` ([`crate::knowledge::growth`]).
    pub models: Vec<crate::knowledge::growth::ModelFact>,
    /// Models this file queries with a limit or a paginator.
    pub paged_models: Vec<String>,
    /// Call arguments, names handed around as values and validators, for `sql-injection`.
    pub sql: crate::knowledge::sql::SqlFacts,
    /// Functions of this file that do per-item external work (storage, HTTP, documents), see
    /// [`crate::knowledge::external`].
    pub external_work: Vec<String>,
    /// CORS settings and shared CORS options, for `permissive-cors`.
    pub cors: crate::knowledge::cors::CorsFacts,
    /// Module-level settings, star imports and configuration classes, for
    /// `debug-mode-enabled`.
    pub debug_settings: crate::knowledge::debug_mode::SettingsFacts,
    /// Calls whose decoded token a function of this file uses to authorise without verifying
    /// it, for `jwt-verification-disabled`.
    pub jwt_calls: Vec<crate::knowledge::jwt::AuthorisingCall>,
    /// Password hashing in the model layer and fast-hash helpers, for `plaintext-password`.
    pub passwords: crate::knowledge::passwords::PasswordFacts,
    /// Rust: calls this file's handlers make to project functions, and route registrations by
    /// name, for `panic-in-handler` ([`crate::knowledge::panics::handler_calls`]).
    pub handler_calls: Vec<ReturnedCall>,
    /// Functions this file calls inside a transaction, what its functions call, and whether it
    /// sets Django's `ATOMIC_REQUESTS`, for `missing-transaction`.
    pub transactions: crate::knowledge::transactions::TxnFacts,
    /// Structs whose derived `Debug` prints a secret and fields that hold ids, for
    /// `secret-in-log`.
    pub logging: crate::knowledge::logging::LogFacts,
    /// `functions` by name, in order.
    by_name: HashMap<String, Vec<usize>>,
}

impl FileFacts {
    /// Whether the facts pass recognised `call` as a database query.
    pub fn is_query_call(&self, call: NodeId) -> bool {
        self.query(call).is_some()
    }
    /// The query a call runs, as the facts pass recognised it.
    pub fn query(&self, call: NodeId) -> Option<&orm::Query> {
        self.queries
            .binary_search_by_key(&call, |(id, _)| *id)
            .ok()
            .map(|i| &self.queries[i].1)
    }
    pub fn is_handler(&self, func: NodeId) -> bool {
        self.handlers.contains_key(&func)
    }
    /// The handler enclosing a node (the innermost named function that is a handler, or a
    /// handler callback).
    pub fn enclosing_handler(&self, ast: &Ast, id: NodeId) -> Option<NodeId> {
        ast.function_ancestors(id)
            .find(|a| self.handlers.contains_key(a))
    }
    pub fn function_named(&self, name: &str) -> Option<&FnFact> {
        self.functions_named(name).next()
    }
    /// The functions of this file called `name` (methods of any class included), in order.
    pub fn functions_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a FnFact> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.functions[i])
    }
}

impl crate::knowledge::helpers::FileView for FileFacts {
    fn imports(&self) -> &Imports {
        &self.imports
    }
    fn query(&self, call: NodeId) -> Option<&orm::Query> {
        FileFacts::query(self, call)
    }
    fn function_node(&self, name: &str) -> Option<NodeId> {
        self.function_named(name).map(|f| f.node)
    }
}

/// Module path of a file for cross-file lookups.
pub fn module_path(path: &Path) -> String {
    let mut s = path.with_extension("").to_string_lossy().replace('\\', "/");
    for tail in ["/__init__", "/index", "/mod"] {
        if let Some(p) = s.strip_suffix(tail) {
            s = p.to_string();
        }
    }
    s.trim_start_matches("./").to_string()
}

/// Collects a file's facts in one pass over its nodes.
pub fn collect(ast: &Ast, file: &SourceFile, config: &Config) -> FileFacts {
    let mut facts = FileFacts {
        lang: Some(ast.lang),
        module: module_path(&file.path),
        ..FileFacts::default()
    };
    facts.imports = Imports::collect(ast);
    for (i, node) in ast.nodes.iter().enumerate() {
        if matches!(node.kind, Kind::Call(_))
            && crate::knowledge::blocking::is_offload_call(ast, &facts.imports, i as NodeId)
        {
            let named = ast
                .ancestors(i as NodeId)
                .find_map(|a| ast.function(a).and_then(|f| f.name.clone()));
            if let Some(name) = named {
                if !facts.offloaders.contains(&name) {
                    facts.offloaders.push(name);
                }
            }
        }
    }
    if ast.lang == Lang::Python && file.text.contains("global") {
        facts.globals = lifecycle::python_globals(&file.text);
    }
    facts.once_callees = lifecycle::memoised_initialisers(ast, &facts.globals);
    // functions that start-up code calls run once, while the service boots
    let startup_file = lifecycle::is_startup_file(&file.path);
    // whether a call is in start-up code depends only on the function around it: asked once
    // per function
    let mut startup_fn: HashMap<NodeId, bool> = HashMap::new();
    for (i, n) in ast.nodes.iter().enumerate() {
        let Kind::Call(c) = &n.kind else { continue };
        let Some(name) = ast.callee_name(c) else {
            continue;
        };
        // a function of the project by name (`setup_cache()`, `utils.download(..)` on an
        // imported module), not a method of some object (`client.get`, `this.repo.create`)
        let plain = match ast.kind(c.callee) {
            Kind::Name(_) => true,
            // a module of the project imported by a relative path (`import * as utils from
            // './utils'`, `from . import tasks`), not a library (`requests.get`)
            Kind::Member { object, .. } => matches!(ast.kind(*object), Kind::Name(o)
                if facts.imports.get(o).is_some_and(|q| q.starts_with('.'))),
            _ => false,
        };
        if !plain {
            continue;
        }
        let in_startup = startup_file
            || ast.enclosing_function(i as NodeId).is_some_and(|f| {
                *startup_fn.entry(f).or_insert_with(|| {
                    lifecycle::startup_context(ast, i as NodeId, |_| false).is_some()
                })
            });
        if in_startup && !facts.once_callees.iter().any(|o| o == name) {
            facts.once_callees.push(name.to_string());
        }
    }
    if ast.lang == Lang::Python {
        facts.prefetched = relations::prefetched_names(ast);
    }
    if ast.lang == Lang::Rust && file.text.contains("macro_rules!") {
        facts.macros = macro_calls(&file.text);
    }
    for (i, node) in ast.nodes.iter().enumerate() {
        if let Kind::Class(c) = &node.kind {
            let rels = relations::lazy_relation_fields(ast, i as NodeId);
            if !rels.is_empty() {
                facts.model_relations.push((c.name.clone(), rels));
            }
            for (target, accessor) in relations::reverse_one_to_one(ast, i as NodeId) {
                facts.model_relations.push((target, vec![accessor]));
            }
        }
    }
    facts.registered_handlers = http::registered_handlers(ast);
    for id in 0..ast.nodes.len() as NodeId {
        if matches!(ast.kind(id), Kind::Call(_) | Kind::Assign { .. }) {
            if let Some(s) = http_clients::project_setting(ast, &facts.imports, id) {
                if !facts.settings.contains(&s) {
                    facts.settings.push(s);
                }
            }
        }
        match ast.kind(id) {
            Kind::Function(f) => {
                if let Some(fw) =
                    http::handler_framework(ast, file, &facts.registered_handlers, config, id)
                {
                    facts.handlers.insert(id, fw);
                }
                if let Some(name) = &function_name(ast, id) {
                    let class = ast.ancestors(id).find_map(|a| match ast.kind(a) {
                        Kind::Class(c) => Some(c.name.clone()),
                        Kind::Function(_) => Some(String::new()),
                        _ => None,
                    });
                    if class.as_deref() == Some("") {
                        continue; // nested function: not callable from elsewhere
                    }
                    facts.functions.push(FnFact {
                        name: name.clone(),
                        class,
                        node: id,
                        exported: f.exported,
                        query: None,
                        shape: Default::default(),
                    });
                }
            }
            Kind::Call(_) => {
                if let Some(q) = orm::query_call(ast, &facts.imports, config, id) {
                    let display = q.display.clone();
                    facts.queries.push((id, q));
                    // Attribute the query to the innermost named function.
                    let owner = ast.ancestors(id).find(|&a| function_name(ast, a).is_some());
                    // A memoised helper (`@lru_cache`) does not query on every call.
                    let owner = owner.filter(|&o| !loops::is_memoized(ast, o));
                    if let Some(owner) = owner {
                        if let Some(ff) = facts.functions.iter_mut().rev().find(|f| f.node == owner)
                        {
                            if ff.query.is_none() {
                                ff.query = Some((ast.span(id), display));
                            }
                        }
                    }
                }
            }
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } => {
                if let Some(name) = ast.path_of(*target) {
                    if name == "REST_FRAMEWORK" || name.ends_with("DEFAULT_PAGINATION_CLASS") {
                        let has = name.ends_with("DEFAULT_PAGINATION_CLASS")
                            || ast
                                .entry(*v, "DEFAULT_PAGINATION_CLASS")
                                .is_some_and(|e| !matches!(ast.kind(e.value), Kind::Null));
                        facts.default_pagination |= has;
                    }
                }
            }
            _ => {}
        }
    }
    for (i, f) in facts.functions.iter().enumerate() {
        facts.by_name.entry(f.name.clone()).or_default().push(i);
    }
    let shapes: Vec<_> = facts
        .functions
        .iter()
        .map(|f| {
            f.query
                .is_some()
                .then(|| crate::knowledge::helpers::shape(ast, &file.text, &facts, f.node))
        })
        .collect();
    for (f, s) in facts.functions.iter_mut().zip(shapes) {
        f.shape = s.unwrap_or_default();
    }
    facts.rate_limit = crate::knowledge::rate_limit::collect_facts(ast, &facts.imports, &file.path);
    facts.global_validation_pipe = crate::knowledge::validation::global_validation_pipe(ast);
    facts.validated_routes = crate::knowledge::validation::validated_route_names(ast);
    facts.startup_names = lifecycle::registered_startup_names(ast);
    facts.returned_calls = pagination::returned_calls(ast, &facts.imports, &facts.handlers);
    facts.models = crate::knowledge::growth::collect(ast, &file.text);
    facts.paged_models = facts
        .queries
        .iter()
        .filter_map(|(id, _)| crate::knowledge::growth::paged_model(ast, *id))
        .collect();
    facts.sql = crate::knowledge::sql::collect_facts(ast, &file.text, &facts.handlers);
    facts.external_work = crate::knowledge::external::working_functions(ast, &facts.imports);
    facts.cors = crate::knowledge::cors::collect_facts(ast, file);
    facts.debug_settings = crate::knowledge::debug_mode::collect(ast);
    let jwt_calls =
        crate::knowledge::jwt::authorising_calls(ast, &facts.imports, &file.text, &|id| {
            facts.is_query_call(id)
        });
    facts.jwt_calls = jwt_calls;
    facts.passwords = crate::knowledge::passwords::collect_facts(ast, &facts.imports);
    if ast.lang == Lang::Rust {
        facts.handler_calls =
            crate::knowledge::panics::handler_calls(ast, &facts.imports, &facts.handlers);
    }
    let transactions =
        crate::knowledge::transactions::collect(ast, &facts.imports, &|id| facts.is_query_call(id));
    facts.transactions = transactions;
    facts.logging = crate::knowledge::logging::collect_facts(ast, &file.text);
    facts
}

/// `macro_rules! name { .. }` definitions and the names their bodies call (`.run(`, `spawn(`),
/// read from the text: syn keeps macro bodies as tokens.
fn macro_calls(text: &str) -> Vec<(String, Vec<String>)> {
    static DEF: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static CALL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let def = DEF.get_or_init(|| {
        regex::Regex::new(r"macro_rules!\s*([A-Za-z_][A-Za-z0-9_]*)\s*\{").expect("regex")
    });
    let call = CALL.get_or_init(|| {
        regex::Regex::new(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:::<[^>]*>)?\s*[(!]").expect("regex")
    });
    let mut out = Vec::new();
    for c in def.captures_iter(text) {
        let start = c.get(0).map_or(0, |m| m.end());
        let mut depth = 1usize;
        let mut end = text.len();
        for (i, ch) in text[start..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = start + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &text[start..end];
        let mut names: Vec<String> = call.captures_iter(body).map(|m| m[1].to_string()).collect();
        names.sort();
        names.dedup();
        out.push((c[1].to_string(), names));
    }
    out
}
