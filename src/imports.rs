//! What a file imports and defines that every later pass resolves names through: local name ->
//! qualified name, ORM model classes, repository-typed parameters; and function names. It sits
//! below `knowledge/`, which reads it, and `facts`, which stores it.

use foldhash::{HashMap, HashSet};
use std::path::Path;

use crate::ast::{Ast, Kind, NodeId};

/// Local name -> qualified name, from the file's imports.
#[derive(Debug, Default)]
pub struct Imports {
    map: HashMap<String, String>,
    /// ORM model classes defined in this file.
    models: HashSet<String>,
    /// Parameters and fields typed as an ORM repository (`private accounts: Repository<Account>`).
    repositories: HashSet<String>,
    /// Every module an import comes from, at each of its `.`, `::` and `/` boundaries
    /// (`django.db.models` -> `django`, `django.db`, `django.db.models`), for [`Imports::uses`].
    used: HashSet<String>,
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
    /// The imports of a file, the repositories its functions take and the ORM models it
    /// defines.
    pub fn collect(ast: &Ast) -> Imports {
        let mut imports = Imports::default();
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
                    imports.map.insert(local, q);
                }
            }
        }
        for q in imports.map.values() {
            for (i, _) in q.char_indices() {
                let r = &q[i..];
                if r.starts_with('.') || r.starts_with("::") || r.starts_with('/') {
                    imports.used.insert(q[..i].to_string());
                }
            }
            imports.used.insert(q.clone());
        }
        for node in &ast.nodes {
            if let Kind::Function(f) = &node.kind {
                for p in &f.params {
                    if p.ty
                        .as_deref()
                        .is_some_and(|t| REPOSITORY_TYPES.iter().any(|r| t.starts_with(r)))
                    {
                        imports.repositories.insert(p.name.clone());
                    }
                }
            }
        }
        for node in &ast.nodes {
            match &node.kind {
                Kind::Class(c) => {
                    let marked = c
                        .bases
                        .iter()
                        .any(|b| MODEL_MARKERS.contains(&b.as_str()) || b.ends_with(".Model"))
                        || c.decorators.iter().any(|d| {
                            MODEL_MARKERS.contains(&d.name.as_str())
                                || d.name == "derive"
                                    && MODEL_MARKERS.iter().any(|m| d.args.contains(m))
                        });
                    if marked {
                        imports.models.insert(c.name.clone());
                    }
                }
                // `const User = mongoose.model('User', schema)` / `model<IUser>('User', s)`
                Kind::Assign {
                    target,
                    value: Some(v),
                    ..
                } => {
                    if let (Kind::Name(n), Some(c)) =
                        (ast.kind(*target), ast.call(ast.unwrap_expr(*v)))
                    {
                        if matches!(ast.callee_name(c), Some("model" | "define")) {
                            imports.models.insert(n.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        imports
    }
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
        self.used.contains(module)
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
            Some(q) => {
                let mut out = String::with_capacity(q.len() + rest.len());
                out.push_str(q);
                out.push_str(rest);
                out
            }
            None => path.to_string(),
        }
    }
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

/// Turns an import's module text into `/`-separated path segments relative to the project.
pub(crate) fn normalise_module(from: &Path, m: &str) -> String {
    let from_dir = from
        .parent()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    if m.starts_with("./") || m.starts_with("../") {
        return join_relative(&from_dir, m);
    }
    if let Some(rest) = m.strip_prefix("crate::") {
        return rest.replace("::", "/");
    }
    if m.starts_with("super::") || m.starts_with("self::") {
        // `super` of `src/a/b.rs` is the module `a`, the file's own directory.
        let mut dir = from_dir;
        let mut rest = m;
        let mut first = !from.ends_with("mod.rs");
        loop {
            if let Some(r) = rest.strip_prefix("super::") {
                if !first {
                    dir = dir
                        .rsplit_once('/')
                        .map(|(d, _)| d.to_string())
                        .unwrap_or_default();
                }
                first = false;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("self::") {
                rest = r;
            } else {
                break;
            }
        }
        return format!("{dir}/{}", rest.replace("::", "/"));
    }
    if m.starts_with('.') {
        // Python relative import: one dot is the current package.
        let dots = m.chars().take_while(|&c| c == '.').count();
        let mut dir = from_dir;
        for _ in 1..dots {
            dir = dir
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
        }
        let rest = m[dots..].replace('.', "/");
        return if rest.is_empty() {
            dir
        } else {
            format!("{dir}/{rest}")
        };
    }
    let m = m
        .strip_prefix("@/")
        .or_else(|| m.strip_prefix("~/"))
        .unwrap_or(m);
    if m.contains('/') {
        m.to_string()
    } else {
        m.replace("::", "/").replace('.', "/")
    }
}

fn join_relative(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    for seg in rel.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    // `./services/orders.js` in ESM imports of a TS file
    for ext in [".js", ".ts", ".mjs", ".cjs"] {
        if let Some(s) = joined.strip_suffix(ext) {
            return s.to_string();
        }
    }
    joined
}

/// `a/b/c` ends with `b/c` on segment boundaries (a trailing `/index` or `/__init__` was
/// already dropped from module paths).
pub(crate) fn ends_with_segments(module: &str, want: &str) -> bool {
    let want = want.trim_matches('/');
    if want.is_empty() {
        return false;
    }
    let module = module.trim_start_matches("./");
    module == want
        || module.ends_with(&format!("/{want}"))
        || module.strip_prefix("src/").is_some_and(|m| m == want)
}
