//! The project index: every file's facts merged, for one-level interprocedural rules and
//! project-wide settings.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::facts::QuerySite;
pub(crate) use crate::imports::{ends_with_segments, normalise_module};
use crate::source::Position;

/// A project function that runs a query.
#[derive(Clone, Debug)]
pub struct QueryingFn {
    /// Shared by the functions of a file.
    pub path: Arc<Path>,
    /// See [`crate::facts::module_path`].
    pub module: Arc<str>,
    pub class: Option<String>,
    pub site: QuerySite,
}

/// A call whose result a handler sends to the client (see [`crate::knowledge::pagination::ReturnedCall`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ReturnedCallSite {
    pub path: PathBuf,
    pub module: Option<String>,
    pub receiver: Option<String>,
    pub start: Position,
    pub end: Position,
    pub handler: String,
}

#[derive(Debug, Default)]
pub struct ProjectIndex {
    /// Function name -> the project's functions of that name that run a query.
    pub querying: HashMap<String, Vec<QueryingFn>>,
    /// Function name -> how many functions of that name the project defines.
    pub defined: HashMap<String, usize>,
    /// Some file sets DRF `DEFAULT_PAGINATION_CLASS`.
    pub default_pagination: bool,
    /// App-wide and path-scoped limiters and router mounts, for `missing-rate-limit`.
    pub rate_limit: crate::knowledge::rate_limit::RateLimitIndex,
    /// Some file sets NestJS's `ValidationPipe` for the whole app.
    pub global_validation_pipe: bool,
    /// Handlers registered by name behind validating middleware.
    pub validated_routes: HashSet<String>,
    /// Project-wide settings some file makes (`axios.defaults.timeout = ..`).
    pub settings: HashSet<&'static str>,
    /// Model class name -> (module, lazy relation fields) for every class of that name.
    pub model_relations: HashMap<String, Vec<(String, Vec<String>)>>,
    /// Callee name -> the handler calls whose result is sent to the client.
    pub returned: HashMap<String, Vec<ReturnedCallSite>>,
    /// Callee name -> calls whose result (a decoded token) authorises the caller unverified.
    pub jwt_callers: HashMap<String, Vec<ReturnedCallSite>>,
    /// Functions whose body moves work off the event loop (`DbConn::run` calling
    /// `block_in_place`).
    pub offloaders: HashSet<String>,
    /// Rust macros and the names their bodies call.
    pub macros: HashMap<String, Vec<String>>,
    /// Functions a memoised getter calls to fill its cache: they run once per process.
    pub once_callees: HashSet<String>,
    /// Relation names some file of the project eager-loads.
    pub prefetched: HashSet<String>,
    /// Model name (and each alias) -> what the project declares about it.
    pub models: HashMap<String, Vec<crate::knowledge::growth::ModelFact>>,
    /// Models the project queries with a limit or a paginator somewhere.
    pub paged_models: HashSet<String>,
    /// What calls pass and which functions validate, for `sql-injection`.
    pub sql: crate::knowledge::sql::SqlIndex,
    /// (class, method) for the write methods a class defines itself (Django `save`/`delete`).
    pub model_methods: HashSet<(String, String)>,
    /// Functions that do per-item external work (storage, HTTP, documents): name -> modules.
    pub external_work: HashMap<String, Vec<String>>,
    /// CORS settings and shared CORS options, for `permissive-cors`.
    pub cors: crate::knowledge::cors::CorsIndex,
    /// Python modules' settings and star imports, for `debug-mode-enabled`.
    pub module_settings: Vec<crate::knowledge::debug_mode::SettingsPart>,
    /// Password hashing in the model layer and fast-hash helpers, for `plaintext-password`.
    pub passwords: crate::knowledge::passwords::PasswordIndex,
    /// Callee name -> calls HTTP handlers make to it, and route registrations naming it
    /// (`handler` empty), for `panic-in-handler`.
    pub handler_calls: HashMap<String, Vec<ReturnedCallSite>>,
    /// Functions some file calls inside a transaction, for `missing-transaction` (by
    /// [`ProjectIndex::txn_names`] id).
    txn_callees: HashSet<u32>,
    /// Function name -> the project functions it calls, each once (ids).
    calls_from: HashMap<u32, Vec<u32>>,
    /// The names of the two above.
    txn_names: HashMap<String, u32>,
    /// [`crate::knowledge::transactions::closure`] of the two above, made on first use.
    in_transaction: std::sync::OnceLock<HashSet<u32>>,
    /// Some file sets Django's `ATOMIC_REQUESTS = True`.
    pub atomic_requests: bool,
    /// Structs whose derived `Debug` prints a secret and fields that hold ids, for
    /// `secret-in-log`.
    pub logging: crate::knowledge::logging::LogIndex,
}

/// What one file contributes to the index.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct IndexPart {
    pub path: PathBuf,
    pub module: String,
    /// (name, class, query site if the function queries)
    pub functions: Vec<(String, Option<String>, Option<QuerySite>)>,
    pub default_pagination: bool,
    pub rate_limit: crate::knowledge::rate_limit::RateLimitFacts,
    pub global_validation_pipe: bool,
    pub validated_routes: Vec<String>,
    #[serde(with = "crate::cache::statics::strs")]
    pub settings: Vec<&'static str>,
    /// (model class, lazy relation fields)
    pub model_relations: Vec<(String, Vec<String>)>,
    /// (callee name, site) for every call a handler of the file sends to the client.
    pub returned: Vec<(String, ReturnedCallSite)>,
    /// (callee name, site) for every call whose decoded token a function of the file uses to
    /// authorise without verifying it (`handler` holds the caller).
    pub jwt_callers: Vec<(String, ReturnedCallSite)>,
    pub offloaders: Vec<String>,
    pub macros: Vec<(String, Vec<String>)>,
    pub once_callees: Vec<String>,
    pub prefetched: Vec<String>,
    /// Rust: files of child modules declared `#[cfg(test)] mod x;` in this file.
    pub test_modules: Vec<PathBuf>,
    pub models: Vec<crate::knowledge::growth::ModelFact>,
    pub paged_models: Vec<String>,
    /// Call arguments, names used as values and validators, for `sql-injection`.
    pub sql: crate::knowledge::sql::SqlFacts,
    /// Functions of the file that do per-item external work.
    pub external_work: Vec<String>,
    pub cors: crate::knowledge::cors::CorsFacts,
    /// Python: the module's settings and star imports, for `debug-mode-enabled`.
    pub module_settings: Option<crate::knowledge::debug_mode::SettingsPart>,
    /// Password facts, for `plaintext-password`.
    pub passwords: crate::knowledge::passwords::PasswordFacts,
    /// (callee name, site) for every call a handler of the file makes to a project function,
    /// and every function the file registers as a route by name.
    pub handler_calls: Vec<(String, ReturnedCallSite)>,
    /// Functions the file calls inside a transaction, what its functions call, and whether it
    /// sets `ATOMIC_REQUESTS`.
    pub transactions: crate::knowledge::transactions::TxnFacts,
    /// Structs whose derived `Debug` prints a secret and fields that hold ids, for
    /// `secret-in-log`.
    pub logging: crate::knowledge::logging::LogFacts,
}

impl ProjectIndex {
    /// Whether a closure handed to `name` (a function, or a macro as `name!`) runs off the
    /// event loop: the project's `name` moves work off it, or the macro calls such a function.
    pub fn offloads(&self, name: &str) -> bool {
        match name.strip_suffix('!') {
            Some(m) => self.macros.get(m).is_some_and(|calls| {
                calls.iter().any(|c| {
                    self.offloaders.contains(c)
                        || ["spawn_blocking", "block_in_place"].contains(&c.as_str())
                })
            }),
            None => self.offloaders.contains(name),
        }
    }

    /// Merges a file's part. The lists of the index mostly hold one or two items each, so
    /// they grow without spare room while small ([`push_small`]): the index is most of what
    /// a run keeps until its end.
    pub fn add(&mut self, part: IndexPart) {
        self.offloaders.extend(part.offloaders);
        self.macros.extend(part.macros);
        self.once_callees.extend(part.once_callees);
        self.prefetched.extend(part.prefetched);
        self.paged_models.extend(part.paged_models);
        for mut m in part.models {
            m.module = part.module.clone();
            for alias in &m.aliases {
                push_small(self.models.entry(alias.clone()).or_default(), m.clone());
            }
            push_small(self.models.entry(m.name.clone()).or_default(), m);
        }
        self.sql.add(part.sql);
        for name in part.external_work {
            push_small(
                self.external_work.entry(name).or_default(),
                part.module.clone(),
            );
        }
        self.cors.add(&part.path, &part.module, part.cors);
        self.module_settings.extend(part.module_settings);
        self.passwords.add(&part.path, &part.module, part.passwords);
        for name in part.transactions.called {
            let id = self.txn_id(name);
            self.txn_callees.insert(id);
        }
        for (f, callees) in part.transactions.edges {
            let f = self.txn_id(f);
            for c in callees {
                let c = self.txn_id(c);
                let list = self.calls_from.entry(f).or_default();
                if !list.contains(&c) {
                    push_small(list, c);
                }
            }
        }
        self.atomic_requests |= part.transactions.atomic_requests;
        self.logging.add(part.logging);
        self.default_pagination |= part.default_pagination;
        self.rate_limit.add(&part.module, part.rate_limit);
        self.global_validation_pipe |= part.global_validation_pipe;
        self.validated_routes.extend(part.validated_routes);
        self.settings.extend(part.settings);
        for (model, fields) in part.model_relations {
            push_small(
                self.model_relations.entry(model).or_default(),
                (part.module.clone(), fields),
            );
        }
        for (name, site) in part.returned {
            push_small(self.returned.entry(name).or_default(), site);
        }
        for (name, site) in part.jwt_callers {
            push_small(self.jwt_callers.entry(name).or_default(), site);
        }
        for (name, site) in part.handler_calls {
            push_small(self.handler_calls.entry(name).or_default(), site);
        }
        let (path, module): (Arc<Path>, Arc<str>) = (part.path.into(), part.module.into());
        for (name, class, site) in part.functions {
            *self.defined.entry(name.clone()).or_default() += 1;
            if let Some(c) = &class {
                if crate::knowledge::orm::ROW_WRITE_METHODS.contains(&name.as_str()) {
                    self.model_methods.insert((c.clone(), name.clone()));
                }
            }
            if let Some(site) = site {
                let f = QueryingFn {
                    path: path.clone(),
                    module: module.clone(),
                    class,
                    site,
                };
                push_small(self.querying.entry(name).or_default(), f);
            }
        }
    }

    /// Whether the project function `name` runs inside a transaction: some file calls it in
    /// one, or it is called by a function that does ([`crate::knowledge::transactions::closure`]).
    pub fn runs_in_transaction(&self, name: &str) -> bool {
        let Some(id) = self.txn_names.get(name) else {
            return false;
        };
        self.in_transaction
            .get_or_init(|| {
                crate::knowledge::transactions::closure(&self.txn_callees, &self.calls_from)
            })
            .contains(id)
    }

    /// The id of a name of [`ProjectIndex::calls_from`].
    fn txn_id(&mut self, name: String) -> u32 {
        let next = self.txn_names.len() as u32;
        *self.txn_names.entry(name).or_insert(next)
    }

    /// A handler call that sends the result of function `name` (a method of `class`), defined
    /// in the file at `path`, to the client. Imported callees must come from that file's
    /// module; method calls need a receiver that names the class (`this.usersService` for
    /// `UsersService`) or a name no other function of the project has.
    pub fn handler_returning(
        &self,
        path: &Path,
        name: &str,
        class: Option<&str>,
    ) -> Option<&ReturnedCallSite> {
        self.call_of(&self.returned, path, name, class)
    }

    /// A call that uses the result of function `name` (a method of `class`, defined in the
    /// file at `path`) to authorise the caller without verifying the token, matched as in
    /// [`ProjectIndex::handler_returning`].
    pub fn authorising_caller(
        &self,
        path: &Path,
        name: &str,
        class: Option<&str>,
    ) -> Option<&ReturnedCallSite> {
        self.call_of(&self.jwt_callers, path, name, class)
    }

    /// A handler call of function `name` (a method of `class`, defined in the file at `path`),
    /// matched as in [`ProjectIndex::handler_returning`]:
    /// the function runs while a request is served.
    /// `args`: only a call that passes request data as one of these arguments counts (the
    /// call site lists them after the caller, see [`crate::knowledge::panics::handler_calls`]).
    pub fn handler_calling(
        &self,
        path: &Path,
        name: &str,
        class: Option<&str>,
        args: &[usize],
    ) -> Option<&ReturnedCallSite> {
        self.calls_of(&self.handler_calls, path, name, class, |s| {
            crate::knowledge::panics::passes_request_data(&s.handler, args)
        })
    }

    fn call_of<'a>(
        &self,
        calls: &'a HashMap<String, Vec<ReturnedCallSite>>,
        path: &Path,
        name: &str,
        class: Option<&str>,
    ) -> Option<&'a ReturnedCallSite> {
        self.calls_of(calls, path, name, class, |_| true)
    }

    /// The first call of `calls` (by path and line) that resolves to function `name` of the
    /// file at `path` and that `keep` accepts.
    fn calls_of<'a>(
        &self,
        calls: &'a HashMap<String, Vec<ReturnedCallSite>>,
        path: &Path,
        name: &str,
        class: Option<&str>,
        keep: impl Fn(&ReturnedCallSite) -> bool,
    ) -> Option<&'a ReturnedCallSite> {
        let module = crate::facts::module_path(path);
        let unique = self.defined.get(name).copied() == Some(1);
        calls
            .get(name)?
            .iter()
            .filter(|s| match (&s.module, &s.receiver) {
                (Some(m), _) => ends_with_segments(&module, &normalise_module(&s.path, m)),
                (None, Some(r)) => match (r.strip_prefix("class:"), r.strip_prefix("type:")) {
                    (Some(c), _) => class == Some(c) && s.path == path,
                    (_, Some(t)) => class == Some(t),
                    _ => {
                        class.is_some_and(|c| {
                            crate::knowledge::pagination::receiver_names_class(r, c)
                        }) || unique
                    }
                },
                (None, None) => s.path == path || unique && class.is_none(),
            })
            .filter(|s| keep(s))
            .min_by(|a, b| (&a.path, a.start.line).cmp(&(&b.path, b.start.line)))
    }

    /// The querying function a call resolves to, if any.
    ///
    /// `module` is the import the callee's name came from (`app.services.orders`,
    /// `./services/orders`, `crate::db::users`), resolved relative to `from`. Without a module
    /// (a method call such as `self.repo.orders_for(u)`), the name must be unambiguous: every
    /// function of that name in the project queries.
    ///
    /// `method_of` (the receiver as written, `this.orderService`) picks, among same-named
    /// methods, the one whose class the receiver names (`OrderService`).
    pub fn querying_callee(
        &self,
        from: &Path,
        module: Option<&str>,
        name: &str,
        method_of: Option<&str>,
    ) -> Option<&QueryingFn> {
        let candidates = self.querying.get(name)?;
        if let (None, Some(recv)) = (module, method_of) {
            let recv = recv.rsplit(['.', ':']).next().unwrap_or(recv);
            let recv: String = recv
                .chars()
                .filter(|c| *c != '_')
                .collect::<String>()
                .to_ascii_lowercase();
            if recv.len() >= 4 {
                if let Some(c) = first(candidates.iter().filter(|c| {
                    c.class
                        .as_deref()
                        .is_some_and(|k| k.to_ascii_lowercase() == recv)
                })) {
                    return Some(c);
                }
            }
        }
        match module {
            Some(m) => {
                let want = normalise_module(from, m);
                first(
                    candidates
                        .iter()
                        .filter(|c| ends_with_segments(&c.module, &want)),
                )
            }
            None => {
                let defined = self.defined.get(name).copied().unwrap_or(0);
                (defined == candidates.len())
                    .then(|| first(candidates.iter()))
                    .flatten()
            }
        }
    }
}

/// The first of `fns` by place in the project (path, line, column), whatever order the files
/// were merged in: the same call resolves to the same function however the run was made.
fn first<'a>(fns: impl Iterator<Item = &'a QueryingFn>) -> Option<&'a QueryingFn> {
    fns.min_by(|a, b| {
        (&a.path, a.site.start.line, a.site.start.column).cmp(&(
            &b.path,
            b.site.start.line,
            b.site.start.column,
        ))
    })
}

impl ProjectIndex {
    /// Whether `model` (imported from `module`, when known) declares `field` as a lazy relation.
    pub fn is_lazy_relation(
        &self,
        from: &Path,
        module: Option<&str>,
        model: &str,
        field: &str,
    ) -> bool {
        let Some(defs) = self.model_relations.get(model) else {
            return false;
        };
        let declared_in = declared_in(from, module);
        defs.iter()
            .any(|(m, fields)| declared_in(m) && fields.iter().any(|f| f == field))
    }

    /// Whether the project function `name`, imported from `module` in file `from`, does per-item
    /// external work ([`crate::knowledge::external`]). A scoped path (`@acme/lib/upload`, a
    /// workspace package or a path alias) also matches by its tail (`lib/upload`), and a module
    /// that is a folder by the files in it (methods of the classes a package exports). Without a
    /// module, every function of that name must do such work.
    pub fn does_external_work(&self, from: &Path, module: Option<&str>, name: &str) -> bool {
        let Some(modules) = self.external_work.get(name) else {
            return false;
        };
        let Some(m) = module else {
            return self.defined.get(name).copied().unwrap_or(0) == modules.len();
        };
        let want = normalise_module(from, m);
        let tail = want
            .strip_prefix('@')
            .and_then(|r| r.split_once('/'))
            .map(|(_, t)| t.to_string());
        let folder = |c: &str, w: &str| {
            let w = w.trim_matches('/');
            !w.is_empty() && (c.starts_with(&format!("{w}/")) || c.contains(&format!("/{w}/")))
        };
        modules.iter().any(|c| {
            [Some(want.as_str()), tail.as_deref()]
                .into_iter()
                .flatten()
                .any(|w| ends_with_segments(c, w) || folder(c, w))
        })
    }

    /// What `growth::grows` reads from the index.
    pub fn model_tables(&self) -> crate::knowledge::growth::ModelTables<'_> {
        crate::knowledge::growth::ModelTables {
            models: &self.models,
            paged_models: &self.paged_models,
        }
    }
}

/// Appends to a list that mostly holds one or two items: while it is small it grows by one
/// (a `Vec` otherwise makes room for four at its first push).
fn push_small<T>(list: &mut Vec<T>, item: T) {
    if list.len() == list.capacity() && list.len() < 8 {
        list.reserve_exact(1);
    }
    list.push(item);
}

/// Whether a declaring module (`app/orders/models`) is the one a name imported from `module` in
/// file `from` comes from (or its `models` submodule); anything matches when `module` is unknown.
pub fn declared_in(from: &Path, module: Option<&str>) -> impl Fn(&str) -> bool {
    let want = module.map(|m| normalise_module(from, m));
    move |declared: &str| {
        want.as_deref().is_none_or(|w| {
            ends_with_segments(declared, w) || ends_with_segments(declared, &format!("{w}/models"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_resolve_across_languages() {
        let f = Path::new("app/api/views.py");
        assert!(ends_with_segments(
            "app/services/orders",
            &normalise_module(f, "app.services.orders")
        ));
        assert!(ends_with_segments(
            "app/api/helpers",
            &normalise_module(f, ".helpers")
        ));
        assert!(ends_with_segments(
            "app/services",
            &normalise_module(f, "..services")
        ));
        let t = Path::new("src/routes/users.ts");
        assert!(ends_with_segments(
            "src/services/users",
            &normalise_module(t, "../services/users")
        ));
        assert!(ends_with_segments(
            "src/services/users",
            &normalise_module(t, "../services/users.js")
        ));
        let r = Path::new("src/handlers/users.rs");
        assert!(ends_with_segments(
            "src/db/users",
            &normalise_module(r, "crate::db::users")
        ));
        assert!(ends_with_segments(
            "src/db",
            &normalise_module(r, "super::super::db")
        ));
        assert!(!ends_with_segments("src/notdb/users", "db/users"));
    }

    #[test]
    fn external_work_resolves_workspace_packages_and_folders() {
        let mut index = ProjectIndex::default();
        for (module, name) in [
            ("packages/lib/upload/get-file", "getFile"),
            ("server/storage/files/BaseStorage", "storeFromUrl"),
            ("app/media/storage", "read_object"),
        ] {
            *index.defined.entry(name.to_string()).or_default() += 1;
            index
                .external_work
                .entry(name.to_string())
                .or_default()
                .push(module.to_string());
        }
        let ts = Path::new("packages/ee/sign.ts");
        // a workspace package matches by its tail
        assert!(index.does_external_work(ts, Some("@acme/lib/upload/get-file"), "getFile"));
        assert!(!index.does_external_work(ts, Some("@acme/lib/other"), "getFile"));
        // a module that is a folder: the classes its files define
        let task = Path::new("server/tasks/Upload.ts");
        assert!(index.does_external_work(task, Some("@server/storage/files"), "storeFromUrl"));
        let py = Path::new("app/media/thumbs.py");
        assert!(index.does_external_work(py, Some(".storage"), "read_object"));
        assert!(!index.does_external_work(py, Some(".other"), "read_object"));
        // without a module, every function of the name must do such work
        assert!(index.does_external_work(py, None, "read_object"));
        *index.defined.entry("read_object".to_string()).or_default() += 1;
        assert!(!index.does_external_work(py, None, "read_object"));
    }
}
