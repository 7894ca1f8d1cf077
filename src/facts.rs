//! Per-file facts, collected in one pass over a lowered file before the rules run: imports and
//! aliases, functions (and which of them run a database query), HTTP handlers, and project-wide
//! settings a file declares (DRF default pagination, an app-wide rate limiter).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::ast::{Ast, Kind, Lang, NodeId};
use crate::config::Config;
use crate::knowledge::{http, http_clients, lifecycle, loops, orm, pagination, relations};
use crate::source::{Position, SourceFile, Span};

/// Local name -> qualified name, from the file's imports.
#[derive(Debug, Default)]
pub struct Imports {
    map: HashMap<String, String>,
    /// ORM model classes defined in this file.
    models: HashSet<String>,
    /// Parameters and fields typed as an ORM repository (`private accounts: Repository<Account>`).
    repositories: HashSet<String>,
}

/// Types that make a parameter or field an ORM repository.
const REPOSITORY_TYPES: &[&str] = &[
    "Repository<",
    "MongoRepository<",
    "TreeRepository<",
    "EntityRepository<",
    "Model<",
];

/// Base classes, decorators and derives that make a class an ORM model.
const MODEL_MARKERS: &[&str] = &[
    "Model",
    "models.Model",
    "db.Model",
    "Base",
    "DeclarativeBase",
    "SQLModel",
    "Document",
    "Entity",
    "Table",
    "FromRow",
    "Queryable",
    "DeriveEntityModel",
    "Insertable",
    "Selectable",
];

impl Imports {
    pub fn is_repository(&self, name: &str) -> bool {
        self.repositories.contains(name)
    }
    pub fn is_model(&self, name: &str) -> bool {
        self.models.contains(name)
    }
    pub fn get(&self, local: &str) -> Option<&str> {
        self.map.get(local).map(String::as_str)
    }
    /// Every qualified name imported (module paths included).
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.map.values().map(String::as_str)
    }
    /// Whether any import comes from `module` or a submodule of it.
    pub fn uses(&self, module: &str) -> bool {
        self.map.values().any(|q| {
            q == module
                || q.strip_prefix(module).is_some_and(|r| {
                    r.starts_with('.') || r.starts_with("::") || r.starts_with('/')
                })
        })
    }
    /// The qualified name of a name or member chain, with its first segment resolved through
    /// the imports: `sleep` -> `time.sleep`, `r.get` (import requests as r) -> `requests.get`,
    /// `thread::sleep` (use std::thread) -> `std::thread::sleep`. Unimported names are returned
    /// as written.
    pub fn qualify(&self, ast: &Ast, expr: NodeId) -> Option<String> {
        let path = ast.path_of(expr)?;
        Some(self.qualify_path(&path))
    }
    pub fn qualify_path(&self, path: &str) -> String {
        let cut = path.find(['.', ':']).unwrap_or(path.len());
        let (head, rest) = path.split_at(cut);
        match self.map.get(head) {
            Some(q) => format!("{q}{rest}"),
            None => path.to_string(),
        }
    }
}

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
}

/// A call inside an HTTP handler whose result the handler sends to the client as it is
/// (`return this.usersService.findAll()`), for `unbounded-query` across files.
#[derive(Clone, Debug)]
pub struct ReturnedCall {
    /// The called function or method: `findAll`.
    pub name: String,
    /// The module the callee was imported from (`app.crud`, `../services/users`, `crate::db`).
    pub module: Option<String>,
    /// The receiver of a method call (`this.usersService`), or `class:Name` for `self.m()`.
    pub receiver: Option<String>,
    pub span: Span,
    /// The handler, as messages name it (`UsersController.findAll`).
    pub handler: String,
}

/// A query site recorded for the project index (positions, since file text is dropped).
#[derive(Clone, Debug)]
pub struct QuerySite {
    pub start: Position,
    pub end: Position,
    pub what: String,
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
    /// This file installs an app-wide rate limiter.
    pub global_rate_limit: bool,
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

/// A function's name: its own, or the variable an arrow function or lambda is assigned to
/// (`export const loadOrders = async (id) => ...`).
pub fn function_name(ast: &Ast, id: NodeId) -> Option<String> {
    let f = ast.function(id)?;
    if let Some(n) = &f.name {
        return Some(n.clone());
    }
    match ast.parent(id).map(|p| ast.kind(p)) {
        Some(Kind::Assign {
            target,
            value: Some(v),
            declared: true,
            ..
        }) if *v == id => match ast.kind(*target) {
            Kind::Name(n) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Collects a file's facts in one pass over its nodes.
pub fn collect(ast: &Ast, file: &SourceFile, config: &Config) -> FileFacts {
    let mut facts = FileFacts {
        lang: Some(ast.lang),
        module: module_path(&file.path),
        ..FileFacts::default()
    };
    // Imports first: everything else resolves names through them.
    for node in &ast.nodes {
        if let Kind::Import(imp) = &node.kind {
            let sep = ast.lang.path_sep();
            for (name, alias) in &imp.names {
                if name == "*" {
                    continue;
                }
                let (local, q) = if name.is_empty() && alias.contains('.') {
                    // Python `import os.path` binds `os`
                    let head = alias.split('.').next().unwrap_or(alias).to_string();
                    (head.clone(), head)
                } else if name.is_empty() || name == "default" {
                    (alias.clone(), imp.module.clone())
                } else if imp.module.is_empty() {
                    (alias.clone(), name.clone())
                } else if imp.module.ends_with('.') {
                    // Python `from . import crud`, `from .. import models`
                    (alias.clone(), format!("{}{name}", imp.module))
                } else {
                    (alias.clone(), format!("{}{sep}{name}", imp.module))
                };
                facts.imports.map.insert(local, q);
            }
        }
    }
    for node in &ast.nodes {
        if let Kind::Function(f) = &node.kind {
            for p in &f.params {
                if p.ty
                    .as_deref()
                    .is_some_and(|t| REPOSITORY_TYPES.iter().any(|r| t.starts_with(r)))
                {
                    facts.imports.repositories.insert(p.name.clone());
                }
            }
        }
    }
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
        let in_startup =
            startup_file || lifecycle::startup_context(ast, i as NodeId, |_| false).is_some();
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
            let marked = c
                .bases
                .iter()
                .any(|b| MODEL_MARKERS.contains(&b.as_str()) || b.ends_with(".Model"))
                || c.decorators.iter().any(|d| {
                    MODEL_MARKERS.contains(&d.name.as_str())
                        || d.name == "derive" && MODEL_MARKERS.iter().any(|m| d.args.contains(m))
                });
            if marked {
                facts.imports.models.insert(c.name.clone());
            }
            let rels = relations::lazy_relation_fields(ast, i as NodeId);
            if !rels.is_empty() {
                facts.model_relations.push((c.name.clone(), rels));
            }
            for (target, accessor) in relations::reverse_one_to_one(ast, i as NodeId) {
                facts.model_relations.push((target, vec![accessor]));
            }
        }
        // `const User = mongoose.model('User', schema)` / `model<IUser>('User', s)`
        if let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = &node.kind
        {
            if let (Kind::Name(n), Some(c)) = (ast.kind(*target), ast.call(ast.unwrap_expr(*v))) {
                if matches!(ast.callee_name(c), Some("model" | "define")) {
                    facts.imports.models.insert(n.clone());
                }
            }
        }
    }
    http::collect_registrations(ast, file, &mut facts);
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
                if let Some(fw) = http::handler_framework(ast, file, &facts, config, id) {
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
    facts.global_rate_limit = http::has_global_rate_limit(ast, &facts);
    facts.startup_names = lifecycle::registered_startup_names(ast);
    facts.returned_calls = pagination::returned_calls(ast, &facts);
    facts.models = crate::knowledge::growth::collect(ast, &file.text);
    facts.paged_models = facts
        .queries
        .iter()
        .filter_map(|(id, _)| crate::knowledge::growth::paged_model(ast, *id))
        .collect();
    facts.sql = crate::knowledge::sql::collect_facts(ast, &file.text, &facts.handlers);
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
