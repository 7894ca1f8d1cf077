//! Per-file lookup tables, built from a lowered file on first use and kept with its [`Ast`], so
//! a rule that asks per node where a name is assigned, declared or imported, or who calls a
//! function, does not rescan the whole file each time (that made a run quadratic in the size
//! of a file). Each table answers exactly what the scan it replaces answered.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use crate::ast::{Ast, Kind, Lang, NodeId, ROOT};

#[derive(Debug, Default)]
pub struct Lookup {
    assigned: OnceLock<HashMap<String, Vec<Assignment>>>,
    top_assigned: OnceLock<HashMap<String, Vec<Assignment>>>,
    module_items: OnceLock<ModuleItems>,
    declared: OnceLock<HashMap<String, Vec<NodeId>>>,
    calls: OnceLock<HashMap<String, Vec<NodeId>>>,
    imports: OnceLock<HashMap<String, (String, String)>>,
    bindings: OnceLock<HashMap<String, Bindings>>,
    globals: OnceLock<HashSet<String>>,
    depends: OnceLock<HashMap<String, String>>,
    assigns_by_path: OnceLock<HashMap<String, Vec<NodeId>>>,
    unwrapped_targets: OnceLock<HashMap<String, Vec<NodeId>>>,
    names: OnceLock<HashMap<String, Vec<NodeId>>>,
    paths: OnceLock<HashMap<String, Vec<NodeId>>>,
    self_members: OnceLock<HashMap<String, Vec<NodeId>>>,
    function_of: OnceLock<Vec<NodeId>>,
    frame_of: OnceLock<Vec<NodeId>>,
    marked: Mutex<HashMap<&'static str, Arc<[NodeId]>>>,
    memos: Mutex<HashMap<(&'static str, NodeId), HashMap<String, Memo>>>,
    firsts: Mutex<HashMap<(&'static str, String), NodeId>>,
}

type Memo = Arc<dyn std::any::Any + Send + Sync>;

impl Lookup {
    /// For each node, its innermost enclosing function (`NodeId::MAX`: none), in one pass
    /// (a parent comes before its children).
    pub(crate) fn function_of(&self, ast: &Ast) -> &[NodeId] {
        self.function_of
            .get_or_init(|| nearest(ast, |k| matches!(k, Kind::Function(_))))
    }

    /// For each node, its innermost enclosing loop or function (`NodeId::MAX`: none).
    fn frame_of(&self, ast: &Ast) -> &[NodeId] {
        self.frame_of
            .get_or_init(|| nearest(ast, |k| matches!(k, Kind::Function(_) | Kind::Loop(_))))
    }
}

/// For each node, its nearest proper ancestor whose kind passes `pick` (`NodeId::MAX`: none).
fn nearest(ast: &Ast, pick: impl Fn(&Kind) -> bool) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::with_capacity(ast.nodes.len());
    for (id, n) in ast.nodes.iter().enumerate() {
        let p = n.parent as usize;
        let f = if p == id {
            NodeId::MAX
        } else if pick(&ast.nodes[p].kind) {
            n.parent
        } else {
            out[p]
        };
        out.push(f);
    }
    out
}

impl Ast {
    /// The enclosing functions of `id`, innermost first.
    pub fn function_ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let table = self.lookup.function_of(self);
        let first = table[id as usize];
        std::iter::successors((first != NodeId::MAX).then_some(first), move |&f| {
            let up = table[f as usize];
            (up != NodeId::MAX).then_some(up)
        })
    }

    /// The enclosing loops and functions of `id`, innermost first.
    pub fn loop_and_function_ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let table = self.lookup.frame_of(self);
        let first = table[id as usize];
        std::iter::successors((first != NodeId::MAX).then_some(first), move |&f| {
            let up = table[f as usize];
            (up != NodeId::MAX).then_some(up)
        })
    }
}

/// A plain assignment (`x = v`, `let x = v`, `a, b = v`).
#[derive(Clone, Copy, Debug)]
pub struct Assignment {
    pub node: NodeId,
    pub value: NodeId,
    /// The target is the name itself, not a tuple or object pattern around it.
    pub direct: bool,
    pub augmented: bool,
}

/// Where a path (`client`, `self.session`) gets a value: an assignment to it, or a Python
/// `with .. as name` item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Assign { node: NodeId, value: NodeId },
    WithItem(NodeId),
}

#[derive(Clone, Copy, Debug)]
struct Bound {
    /// The node a scan in source order meets it at (the assignment, or the `with`).
    at: NodeId,
    binding: Binding,
    /// The innermost function with a name of its own around an assignment.
    owner: Option<NodeId>,
}

#[derive(Debug, Default)]
struct Bindings {
    all: Vec<Bound>,
    /// `with` items, and assignments outside every named function.
    anywhere: Vec<Bound>,
}

#[derive(Debug, Default)]
struct ModuleItems {
    /// Targets of module-level assignments as [`Ast::path_of`] gives them after
    /// [`Ast::unwrap_expr`] (`pool`, `module.exports.db`).
    paths: HashSet<String>,
    /// Module-level assignments whose target is a plain name.
    names: HashSet<String>,
}

impl Ast {
    /// The last plain assignment binding `name` in `[scope, at)` (`scope` is a function or the
    /// module and holds `at`); `direct` leaves out tuple and object patterns.
    pub fn assignment_before(
        &self,
        name: &str,
        scope: NodeId,
        at: NodeId,
        direct: bool,
    ) -> Option<(NodeId, NodeId)> {
        let table = self.lookup.assigned.get_or_init(|| assigned(self));
        let list = table.get(name)?;
        let end = list.partition_point(|a| a.node < at);
        list[..end]
            .iter()
            .rev()
            .take_while(|a| a.node >= scope)
            .find(|a| a.direct || !direct)
            .map(|a| (a.node, a.value))
    }

    /// The last assignment to the plain name `name` among the module's direct children
    /// (augmented ones too unless `plain`).
    pub fn top_level_assignment(&self, name: &str, plain: bool) -> Option<(NodeId, NodeId)> {
        let table = self.lookup.top_assigned.get_or_init(|| top_assigned(self));
        table
            .get(name)?
            .iter()
            .rev()
            .find(|a| !(plain && a.augmented))
            .map(|a| (a.node, a.value))
    }

    /// Whether a statement of the module assigns `path` (its target unwrapped, as
    /// [`Ast::path_of`] writes it).
    pub fn module_assigns_path(&self, path: &str) -> bool {
        self.module_items().paths.contains(path)
    }

    /// Whether a statement of the module assigns the plain name `name`.
    pub fn module_assigns_name(&self, name: &str) -> bool {
        self.module_items().names.contains(name)
    }

    fn module_items(&self) -> &ModuleItems {
        self.lookup.module_items.get_or_init(|| {
            let mut m = ModuleItems::default();
            if let Kind::Module(items) = self.kind(ROOT) {
                for &i in items {
                    if let Kind::Assign { target, .. } = self.kind(i) {
                        if let Some(p) = self.path_of(self.unwrap_expr(*target)) {
                            m.paths.insert(p);
                        }
                        if let Kind::Name(n) = self.kind(*target) {
                            m.names.insert(n.clone());
                        }
                    }
                }
            }
            m
        })
    }

    /// Whether `name` is declared (`const`, `let`, `var`, Rust `let`) anywhere in `scope`.
    pub fn declared_in(&self, name: &str, scope: NodeId) -> bool {
        let table = self.lookup.declared.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if let Kind::Assign {
                    target,
                    declared: true,
                    ..
                } = &n.kind
                {
                    if let Kind::Name(name) = self.kind(*target) {
                        t.entry(name.clone()).or_default().push(id as NodeId);
                    }
                }
            }
            t
        });
        let Some(list) = table.get(name) else {
            return false;
        };
        let range = self.subtree(scope);
        let i = list.partition_point(|&n| n < range.start);
        list.get(i).is_some_and(|&n| n < range.end)
    }

    /// Calls whose callee is the name `name` (as written, `a::b` included; a dotted name also
    /// under its last segment) or a member `..name`, in source order.
    pub fn calls_named(&self, name: &str) -> &[NodeId] {
        let table = self.lookup.calls.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                let Kind::Call(c) = &n.kind else { continue };
                let key = match self.kind(c.callee) {
                    Kind::Name(n) => {
                        if let Some((_, last)) = n.rsplit_once('.') {
                            t.entry(last.to_string()).or_default().push(id as NodeId);
                        }
                        n
                    }
                    Kind::Member { property, .. } => property,
                    _ => continue,
                };
                t.entry(key.clone()).or_default().push(id as NodeId);
            }
            t
        });
        table.get(name).map_or(&[], Vec::as_slice)
    }

    /// The module-level import that binds `local`: (module, imported name as written).
    pub fn import_binding(&self, local: &str) -> Option<(&str, &str)> {
        let table = self.lookup.imports.get_or_init(|| {
            let mut t = HashMap::new();
            for s in self.children(ROOT) {
                if let Kind::Import(imp) = self.kind(s) {
                    for (name, alias) in &imp.names {
                        t.entry(alias.clone())
                            .or_insert_with(|| (imp.module.clone(), name.clone()));
                    }
                }
            }
            t
        });
        table.get(local).map(|(m, n)| (m.as_str(), n.as_str()))
    }

    /// Every assignment to the path `var` (`client`, `self.session`) and, in Python, every
    /// `with .. as var` item, in source order. `text` is the file's text.
    pub fn bindings_of<'a>(&'a self, text: &str, var: &str) -> impl Iterator<Item = Binding> + 'a {
        self.bindings_table(text)
            .get(var)
            .into_iter()
            .flat_map(|b| b.all.iter().map(|b| b.binding))
    }

    /// [`Ast::bindings_of`] without the assignments made inside a named function other than
    /// `home` (the innermost named function around the use; `None` at module level).
    pub fn bindings_seen_from<'a>(
        &'a self,
        text: &str,
        var: &str,
        home: Option<NodeId>,
    ) -> impl Iterator<Item = Binding> + 'a {
        let b = self.bindings_table(text).get(var);
        let all: &[Bound] = b.map_or(&[], |b| b.all.as_slice());
        let local: &[Bound] = match home {
            Some(h) => {
                let range = self.subtree(h);
                let from = all.partition_point(|x| x.at < range.start);
                let to = all.partition_point(|x| x.at < range.end);
                &all[from..to]
            }
            None => &[],
        };
        let mut local = local
            .iter()
            .filter(move |x| matches!(x.binding, Binding::Assign { .. }) && x.owner == home)
            .peekable();
        let mut anywhere = b
            .map_or(&[][..], |b| b.anywhere.as_slice())
            .iter()
            .peekable();
        // the two lists merged in source order
        std::iter::from_fn(move || {
            let next = match (local.peek(), anywhere.peek()) {
                (Some(l), Some(a)) if l.at < a.at => local.next(),
                (_, Some(_)) => anywhere.next(),
                (Some(_), None) => local.next(),
                (None, None) => None,
            };
            next.map(|x| x.binding)
        })
    }

    fn bindings_table(&self, text: &str) -> &HashMap<String, Bindings> {
        self.lookup.bindings.get_or_init(|| bindings(self, text))
    }

    /// Names a Python `global` statement of this file declares (`global a, b`), read from the
    /// statement's text. `text` is the file's text.
    pub fn declared_global(&self, text: &str, name: &str) -> bool {
        let set = self.lookup.globals.get_or_init(|| {
            let mut s = HashSet::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if !matches!(n.kind, Kind::Other) {
                    continue;
                }
                let span = self.span(id as NodeId);
                let t = text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                if let Some(rest) = t.strip_prefix("global ") {
                    s.extend(rest.split(',').map(|g| g.trim().to_string()));
                }
            }
            s
        });
        set.contains(name)
    }

    /// The first `Depends(..)`/`Security(..)`/`before_request(..)` call whose first argument
    /// names `name` (its last segment): the called name.
    pub fn dependency_call(&self, name: &str) -> Option<&str> {
        let table = self.lookup.depends.get_or_init(|| {
            let mut t = HashMap::new();
            for n in &self.nodes {
                let Kind::Call(c) = &n.kind else { continue };
                let callee = self.callee_name(c).unwrap_or("");
                if !matches!(
                    callee,
                    "Depends" | "Security" | "before_request" | "before_app_request"
                ) {
                    continue;
                }
                let Some(path) = self.positional(c).next().and_then(|a| self.path_of(a)) else {
                    continue;
                };
                let last = path.rsplit('.').next().unwrap_or(&path).to_string();
                t.entry(last).or_insert_with(|| callee.to_string());
            }
            t
        });
        table.get(name).map(String::as_str)
    }
}

impl Ast {
    /// The nodes for which `pred` holds, in source order; computed once per file and `key`
    /// (one key per predicate).
    pub fn nodes_where(&self, key: &'static str, pred: fn(&Ast, NodeId) -> bool) -> Arc<[NodeId]> {
        if let Some(v) = self
            .lookup
            .marked
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned())
        {
            return v;
        }
        let v: Arc<[NodeId]> = (0..self.nodes.len() as NodeId)
            .filter(|&id| pred(self, id))
            .collect();
        if let Ok(mut m) = self.lookup.marked.lock() {
            m.insert(key, v.clone());
        }
        v
    }

    /// `f()`, something about `node` that depends on nothing else, computed once per file and
    /// `key` (for a rule that would otherwise work it out again for every node inside `node`;
    /// one type per key).
    pub fn memo<T: std::any::Any + Send + Sync>(
        &self,
        key: &'static str,
        node: NodeId,
        f: impl FnOnce() -> T,
    ) -> Arc<T> {
        self.memo_on(key, node, "", f)
    }

    /// [`Ast::memo`] about `node` and a name or path `text`.
    pub fn memo_on<T: std::any::Any + Send + Sync>(
        &self,
        key: &'static str,
        node: NodeId,
        text: &str,
        f: impl FnOnce() -> T,
    ) -> Arc<T> {
        let known = self
            .lookup
            .memos
            .lock()
            .ok()
            .and_then(|m| m.get(&(key, node)).and_then(|t| t.get(text)).cloned())
            .and_then(|v| v.downcast::<T>().ok());
        if let Some(v) = known {
            return v;
        }
        let v = Arc::new(f());
        if let Ok(mut m) = self.lookup.memos.lock() {
            m.entry((key, node))
                .or_default()
                .insert(text.to_string(), v.clone());
        }
        v
    }

    /// [`Ast::memo`] for a yes/no verdict.
    pub fn verdict(&self, key: &'static str, node: NodeId, f: impl FnOnce() -> bool) -> bool {
        *self.memo_on(key, node, "", f)
    }

    /// [`Ast::memo_on`] for a yes/no verdict.
    pub fn verdict_on(
        &self,
        key: &'static str,
        node: NodeId,
        text: &str,
        f: impl FnOnce() -> bool,
    ) -> bool {
        *self.memo_on(key, node, text, f)
    }

    /// Assignments within `root`'s subtree whose target, unwrapped ([`Ast::unwrap_expr`]),
    /// is the path `path` as [`Ast::path_of`] writes it, in source order.
    pub fn assigns_unwrapped(&self, path: &str, root: NodeId) -> &[NodeId] {
        let table = self.lookup.unwrapped_targets.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if let Kind::Assign { target, .. } = &n.kind {
                    if let Some(p) = self.path_of(self.unwrap_expr(*target)) {
                        t.entry(p).or_default().push(id as NodeId);
                    }
                }
            }
            t
        });
        table.get(path).map_or(&[], |l| self.within(root, l))
    }

    /// The names and member chains within `root`'s subtree whose path ([`Ast::path_of`]) is
    /// `path`, in source order.
    pub fn paths_in(&self, path: &str, root: NodeId) -> &[NodeId] {
        let table = self.lookup.paths.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if matches!(n.kind, Kind::Name(_) | Kind::Member { .. }) {
                    if let Some(p) = self.path_of(id as NodeId) {
                        t.entry(p).or_default().push(id as NodeId);
                    }
                }
            }
            t
        });
        table.get(path).map_or(&[], |l| self.within(root, l))
    }

    /// The first node (in the order of the calls) given for `key` and `text`: rules that
    /// visit nodes in source order use it to act once for many nodes that would all do the
    /// same thing.
    pub fn first_of(&self, key: &'static str, text: String, node: NodeId) -> NodeId {
        match self.lookup.firsts.lock() {
            Ok(mut m) => *m.entry((key, text)).or_insert(node),
            Err(_) => node,
        }
    }

    /// The node [`Ast::first_of`] recorded for `key` and `text`, if any.
    pub fn first_known(&self, key: &'static str, text: &str) -> Option<NodeId> {
        self.lookup
            .firsts
            .lock()
            .ok()
            .and_then(|m| m.get(&(key, text.to_string())).copied())
    }

    /// The nodes of `nodes` (sorted) inside `root`'s subtree (`root` included).
    pub fn within<'a>(&self, root: NodeId, nodes: &'a [NodeId]) -> &'a [NodeId] {
        let range = self.subtree(root);
        let from = nodes.partition_point(|&n| n < range.start);
        let to = nodes.partition_point(|&n| n < range.end);
        &nodes[from..to]
    }

    /// Whether a node of `root`'s subtree (`root` included) is one of `nodes` (sorted).
    pub fn subtree_holds(&self, root: NodeId, nodes: &[NodeId]) -> bool {
        let range = self.subtree(root);
        let i = nodes.partition_point(|&n| n < range.start);
        nodes.get(i).is_some_and(|&n| n < range.end)
    }

    /// The `Name` nodes spelt `name` within `root`'s subtree, in source order.
    pub fn names_in(&self, name: &str, root: NodeId) -> &[NodeId] {
        let table = self.lookup.names.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if let Kind::Name(name) = &n.kind {
                    t.entry(name.clone()).or_default().push(id as NodeId);
                }
            }
            t
        });
        table.get(name).map_or(&[], |l| self.within(root, l))
    }

    /// The nodes of `root`'s subtree that hold a `Name` spelt as one of `names`: the names and
    /// their ancestors up to `root`, sorted. A scan of the subtree for a node built around one
    /// of the names (a call on it, a `return` of it) needs to look only at these.
    pub fn holders_of(&self, names: &[&str], root: NodeId) -> Vec<NodeId> {
        let mut seen = HashSet::new();
        for name in names {
            for &n in self.names_in(name, root) {
                let mut cur = n;
                while seen.insert(cur) && cur != root {
                    match self.parent(cur) {
                        Some(p) => cur = p,
                        None => break,
                    }
                }
            }
        }
        let mut out: Vec<NodeId> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// The members `self.property`, `this.property`, `cls.property` within `root`'s subtree,
    /// in source order.
    pub fn self_members_in(&self, property: &str, root: NodeId) -> &[NodeId] {
        let table = self.lookup.self_members.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if let Kind::Member { object, property } = &n.kind {
                    if matches!(self.kind(*object), Kind::Name(o) if o == "self" || o == "this" || o == "cls")
                    {
                        t.entry(property.clone()).or_default().push(id as NodeId);
                    }
                }
            }
            t
        });
        table.get(property).map_or(&[], |l| self.within(root, l))
    }

    /// Assignments (with or without a value) whose target is the path `path` as
    /// [`Ast::path_of`] writes it, within `root`'s subtree, in source order.
    pub fn assignments_to_path_in(&self, path: &str, root: NodeId) -> &[NodeId] {
        let table = self.lookup.assigns_by_path.get_or_init(|| {
            let mut t: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, n) in self.nodes.iter().enumerate() {
                if let Kind::Assign { target, .. } = &n.kind {
                    if let Some(p) = self.path_of(*target) {
                        t.entry(p).or_default().push(id as NodeId);
                    }
                }
            }
            t
        });
        let Some(list) = table.get(path) else {
            return &[];
        };
        let range = self.subtree(root);
        let from = list.partition_point(|&n| n < range.start);
        let to = list.partition_point(|&n| n < range.end);
        &list[from..to]
    }
}

fn assigned(ast: &Ast) -> HashMap<String, Vec<Assignment>> {
    let mut t: HashMap<String, Vec<Assignment>> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    for (id, n) in ast.nodes.iter().enumerate() {
        let Kind::Assign {
            target,
            value: Some(v),
            augmented: false,
            ..
        } = &n.kind
        else {
            continue;
        };
        let a = |direct| Assignment {
            node: id as NodeId,
            value: *v,
            direct,
            augmented: false,
        };
        match ast.kind(*target) {
            Kind::Name(name) => t.entry(name.clone()).or_default().push(a(true)),
            Kind::Array(_) | Kind::Object { .. } => {
                names.clear();
                for i in ast.subtree(*target) {
                    if let Kind::Name(name) = ast.kind(i) {
                        if !names.contains(&name.as_str()) {
                            names.push(name);
                        }
                    }
                }
                for name in &names {
                    t.entry((*name).to_string()).or_default().push(a(false));
                }
            }
            _ => {}
        }
    }
    t
}

fn top_assigned(ast: &Ast) -> HashMap<String, Vec<Assignment>> {
    let mut t: HashMap<String, Vec<Assignment>> = HashMap::new();
    for id in ast.children(ROOT) {
        if let Kind::Assign {
            target,
            value: Some(v),
            augmented,
            ..
        } = ast.kind(id)
        {
            if let Kind::Name(name) = ast.kind(*target) {
                t.entry(name.clone()).or_default().push(Assignment {
                    node: id,
                    value: *v,
                    direct: true,
                    augmented: *augmented,
                });
            }
        }
    }
    t
}

fn bindings(ast: &Ast, text: &str) -> HashMap<String, Bindings> {
    let mut t: HashMap<String, Bindings> = HashMap::new();
    let named = |id: NodeId| {
        ast.ancestors(id)
            .find(|&a| ast.function(a).is_some_and(|f| f.name.is_some()))
    };
    for (id, n) in ast.nodes.iter().enumerate() {
        let id = id as NodeId;
        match &n.kind {
            Kind::Assign {
                target,
                value: Some(v),
                ..
            } => {
                if let Some(p) = ast.path_of(*target) {
                    let b = Bound {
                        at: id,
                        binding: Binding::Assign {
                            node: id,
                            value: *v,
                        },
                        owner: named(id),
                    };
                    let e = t.entry(p).or_default();
                    e.all.push(b);
                    if b.owner.is_none() {
                        e.anywhere.push(b);
                    }
                }
            }
            Kind::With { items, .. } if ast.lang == Lang::Python => {
                for &item in items {
                    let end = ast.span(item).end as usize;
                    let after = text.get(end..).unwrap_or("").trim_start();
                    let Some(rest) = after.strip_prefix("as") else {
                        continue;
                    };
                    let name: String = rest
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                        .collect();
                    let b = Bound {
                        at: id,
                        binding: Binding::WithItem(item),
                        owner: None,
                    };
                    let e = t.entry(name).or_default();
                    e.all.push(b);
                    e.anywhere.push(b);
                }
            }
            _ => {}
        }
    }
    t
}
