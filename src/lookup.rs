//! Per-file lookup tables, built from a lowered file on first use and kept with its [`Ast`].
//!
//! A rule that asks, for every call, where a name was assigned, who calls a function, which
//! loop or function is around a node, or what the function around it does with a variable,
//! would otherwise rescan the file or the function each time: a run became quadratic in the
//! size of a file (a generated 2 MB file took minutes). Each table answers exactly what the
//! scan it replaces answered; lists of nodes are in source (pre-)order, so "the nodes of this
//! subtree" is a range found by bisection ([`Ast::within`]).
//!
//! Rules also keep per-file answers here ([`Ast::memo`], [`Ast::verdict`]): a verdict about a
//! loop, worked out once rather than again for every call inside the loop.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::any::Any;
use std::sync::{Arc, Mutex, OnceLock};

use crate::ast::{Ast, Kind, Lang, NodeId, ROOT};

/// Nodes by a name or path, each list in source order.
type Table = HashMap<String, Vec<NodeId>>;
/// A per-file answer of any type.
type Memo = Arc<dyn Any + Send + Sync>;
/// Answers by (key, node), then by name or path.
type Memos = HashMap<(&'static str, NodeId), HashMap<String, Memo>>;

#[derive(Debug, Default)]
pub struct Lookup {
    function_of: OnceLock<Vec<NodeId>>,
    frame_of: OnceLock<Vec<NodeId>>,
    names: OnceLock<Table>,
    paths: OnceLock<Table>,
    self_members: OnceLock<Table>,
    calls: OnceLock<Table>,
    assigned: OnceLock<HashMap<String, Vec<Assignment>>>,
    top_assigned: OnceLock<HashMap<String, Vec<Assignment>>>,
    targets: OnceLock<Table>,
    unwrapped_targets: OnceLock<Table>,
    declared: OnceLock<Table>,
    module_items: OnceLock<ModuleItems>,
    bindings: OnceLock<HashMap<String, Bindings>>,
    imports: OnceLock<HashMap<String, (String, String)>>,
    globals: OnceLock<HashSet<String>>,
    depends: OnceLock<HashMap<String, String>>,
    marked: Mutex<HashMap<&'static str, Arc<[NodeId]>>>,
    memos: Mutex<Memos>,
    firsts: Mutex<HashMap<(&'static str, String), NodeId>>,
}

/// A plain assignment (`x = v`, `let x = v`, `a, b = v`).
#[derive(Clone, Copy, Debug)]
struct Assignment {
    node: NodeId,
    value: NodeId,
    /// The target is the name itself, not a tuple or object pattern around it.
    direct: bool,
    augmented: bool,
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

/// The tables of `ast`, made on first use. [`Ast`] keeps them as an opaque box so that the tree
/// does not depend on this module.
fn tables(ast: &Ast) -> &Lookup {
    ast.tables
        .get_or_init(|| Box::new(Lookup::default()))
        .downcast_ref::<Lookup>()
        .expect("the lookup box holds the lookup tables")
}

impl Ast {
    /// The innermost enclosing function (lambdas and closures included).
    pub fn enclosing_function(&self, id: NodeId) -> Option<NodeId> {
        let f = tables(self).function_of(self)[id as usize];
        (f != NodeId::MAX).then_some(f)
    }
}

impl Lookup {
    /// For each node, its innermost enclosing function (`NodeId::MAX`: none).
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

// --- ancestors --------------------------------------------------------------------------------

impl Ast {
    /// The enclosing functions of `id`, innermost first.
    pub fn function_ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        chain(tables(self).function_of(self), id)
    }

    /// The enclosing loops and functions of `id`, innermost first.
    pub fn loop_and_function_ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        chain(tables(self).frame_of(self), id)
    }
}

fn chain(table: &[NodeId], id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    let up = move |n: NodeId| Some(table[n as usize]).filter(|&u| u != NodeId::MAX);
    std::iter::successors(up(id), move |&n| up(n))
}

/// For each node, its nearest proper ancestor whose kind passes `pick` (`NodeId::MAX`: none),
/// in one pass (a parent comes before its children).
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

// --- names, paths and calls -------------------------------------------------------------------

impl Ast {
    /// The nodes of `nodes` (sorted) inside `root`'s subtree (`root` included).
    pub fn within<'a>(&self, root: NodeId, nodes: &'a [NodeId]) -> &'a [NodeId] {
        let range = self.subtree(root);
        let from = nodes.partition_point(|&n| n < range.start);
        let to = nodes.partition_point(|&n| n < range.end);
        &nodes[from..to]
    }

    /// Whether a node of `root`'s subtree (`root` included) is one of `nodes` (sorted).
    pub fn subtree_holds(&self, root: NodeId, nodes: &[NodeId]) -> bool {
        !self.within(root, nodes).is_empty()
    }

    /// The `Name` nodes spelt `name` within `root`'s subtree.
    pub fn names_in(&self, name: &str, root: NodeId) -> &[NodeId] {
        let table = tables(self).names.get_or_init(|| {
            index(self, |_, k, out| match k {
                Kind::Name(n) => {
                    out.push_str(n);
                    true
                }
                _ => false,
            })
        });
        table.get(name).map_or(&[], |l| self.within(root, l))
    }

    /// The names and member chains within `root`'s subtree whose path ([`Ast::path_of`]) is
    /// `path`.
    pub fn paths_in(&self, path: &str, root: NodeId) -> &[NodeId] {
        let table = tables(self).paths.get_or_init(|| {
            index(self, |id, k, out| match k {
                Kind::Name(_) | Kind::Member { .. } => path_into(self, id, out),
                _ => false,
            })
        });
        table.get(path).map_or(&[], |l| self.within(root, l))
    }

    /// The members `self.property`, `this.property`, `cls.property` within `root`'s subtree.
    pub fn self_members_in(&self, property: &str, root: NodeId) -> &[NodeId] {
        let table = tables(self).self_members.get_or_init(|| {
            index(self, |_, k, out| match k {
                Kind::Member { object, property }
                    if matches!(self.kind(*object), Kind::Name(o) if o == "self" || o == "this" || o == "cls") =>
                {
                    out.push_str(property);
                    true
                }
                _ => false,
            })
        });
        table.get(property).map_or(&[], |l| self.within(root, l))
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

    /// Calls whose callee is the name `name` (as written, `a::b` included; a dotted name also
    /// under its last segment) or a member `..name`, in source order.
    pub fn calls_named(&self, name: &str) -> &[NodeId] {
        let table = tables(self).calls.get_or_init(|| {
            let mut t = Table::new();
            for (id, n) in self.nodes.iter().enumerate() {
                let Kind::Call(c) = &n.kind else { continue };
                let mut add = |key: &str| match t.get_mut(key) {
                    Some(list) => list.push(id as NodeId),
                    None => {
                        t.insert(key.to_string(), vec![id as NodeId]);
                    }
                };
                match self.kind(c.callee) {
                    Kind::Name(n) => {
                        if let Some((_, last)) = n.rsplit_once('.') {
                            add(last);
                        }
                        add(n);
                    }
                    Kind::Member { property, .. } => add(property),
                    _ => continue,
                };
            }
            t
        });
        table.get(name).map_or(&[], Vec::as_slice)
    }

    /// The first `Depends(..)`/`Security(..)`/`before_request(..)` call whose first argument
    /// names `name` (its last segment): the called name.
    pub fn dependency_call(&self, name: &str) -> Option<&str> {
        let table = tables(self).depends.get_or_init(|| {
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

// --- assignments, declarations and imports ----------------------------------------------------

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
        let table = tables(self).assigned.get_or_init(|| assigned(self));
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
        let table = tables(self).top_assigned.get_or_init(|| top_assigned(self));
        table
            .get(name)?
            .iter()
            .rev()
            .find(|a| !(plain && a.augmented))
            .map(|a| (a.node, a.value))
    }

    /// Assignments (with or without a value) within `root`'s subtree whose target is the path
    /// `path` as [`Ast::path_of`] writes it.
    pub fn assignments_to_path_in(&self, path: &str, root: NodeId) -> &[NodeId] {
        let table = tables(self).targets.get_or_init(|| {
            index(self, |_, k, out| match k {
                Kind::Assign { target, .. } => path_into(self, *target, out),
                _ => false,
            })
        });
        table.get(path).map_or(&[], |l| self.within(root, l))
    }

    /// Assignments within `root`'s subtree whose target, unwrapped ([`Ast::unwrap_expr`]), is
    /// the path `path`.
    pub fn assigns_unwrapped(&self, path: &str, root: NodeId) -> &[NodeId] {
        let table = tables(self).unwrapped_targets.get_or_init(|| {
            index(self, |_, k, out| match k {
                Kind::Assign { target, .. } => path_into(self, self.unwrap_expr(*target), out),
                _ => false,
            })
        });
        table.get(path).map_or(&[], |l| self.within(root, l))
    }

    /// Whether `name` is declared (`const`, `let`, `var`, Rust `let`) anywhere in `scope`.
    pub fn declared_in(&self, name: &str, scope: NodeId) -> bool {
        let table = tables(self).declared.get_or_init(|| {
            index(self, |_, k, out| match k {
                Kind::Assign {
                    target,
                    declared: true,
                    ..
                } => match self.kind(*target) {
                    Kind::Name(n) => {
                        out.push_str(n);
                        true
                    }
                    _ => false,
                },
                _ => false,
            })
        });
        table
            .get(name)
            .is_some_and(|l| self.subtree_holds(scope, l))
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
        tables(self).module_items.get_or_init(|| {
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
        tables(self).bindings.get_or_init(|| bindings(self, text))
    }

    /// Whether a Python `global` statement of this file declares `name` (`global a, b`), read
    /// from the statement's text. `text` is the file's text.
    pub fn declared_global(&self, text: &str, name: &str) -> bool {
        let set = tables(self).globals.get_or_init(|| {
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

    /// The module-level import that binds `local`: (module, imported name as written).
    pub fn import_binding(&self, local: &str) -> Option<(&str, &str)> {
        let table = tables(self).imports.get_or_init(|| {
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
}

// --- per-file answers of the rules ------------------------------------------------------------

impl Ast {
    /// The nodes for which `pred` holds, in source order; computed once per file and `key`
    /// (one key per predicate).
    pub fn nodes_where(&self, key: &'static str, pred: fn(&Ast, NodeId) -> bool) -> Arc<[NodeId]> {
        let known = tables(self)
            .marked
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned());
        if let Some(v) = known {
            return v;
        }
        let v: Arc<[NodeId]> = (0..self.nodes.len() as NodeId)
            .filter(|&id| pred(self, id))
            .collect();
        if let Ok(mut m) = tables(self).marked.lock() {
            m.insert(key, v.clone());
        }
        v
    }

    /// `f()`, something about `node` that depends on nothing else, computed once per file and
    /// `key` (for a rule that would otherwise work it out again for every node inside `node`;
    /// one type per key).
    pub fn memo<T: Any + Send + Sync>(
        &self,
        key: &'static str,
        node: NodeId,
        f: impl FnOnce() -> T,
    ) -> Arc<T> {
        self.memo_on(key, node, "", f)
    }

    /// [`Ast::memo`] about `node` and a name or path `text`.
    pub fn memo_on<T: Any + Send + Sync>(
        &self,
        key: &'static str,
        node: NodeId,
        text: &str,
        f: impl FnOnce() -> T,
    ) -> Arc<T> {
        let known = tables(self)
            .memos
            .lock()
            .ok()
            .and_then(|m| m.get(&(key, node)).and_then(|t| t.get(text)).cloned())
            .and_then(|v| v.downcast::<T>().ok());
        if let Some(v) = known {
            return v;
        }
        let v = Arc::new(f());
        if let Ok(mut m) = tables(self).memos.lock() {
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

    /// The first node (in the order of the calls) given for `key` and `text`: rules that
    /// visit nodes in source order use it to act once for many nodes that would all do the
    /// same thing.
    pub fn first_of(&self, key: &'static str, text: String, node: NodeId) -> NodeId {
        match tables(self).firsts.lock() {
            Ok(mut m) => *m.entry((key, text)).or_insert(node),
            Err(_) => node,
        }
    }

    /// The node [`Ast::first_of`] recorded for `key` and `text`, if any.
    pub fn first_known(&self, key: &'static str, text: &str) -> Option<NodeId> {
        tables(self)
            .firsts
            .lock()
            .ok()
            .and_then(|m| m.get(&(key, text.to_string())).copied())
    }
}

// --- building the tables ----------------------------------------------------------------------

/// Every node `key` gives a name or path to, by that name or path. `key` writes the name into
/// an empty buffer and says whether the node has one: a name met before allocates nothing
/// (building a table allocated a string per node, a tenth of the facts pass).
fn index(ast: &Ast, key: impl Fn(NodeId, &Kind, &mut String) -> bool) -> Table {
    let mut t = Table::new();
    let mut buf = String::new();
    for (id, n) in ast.nodes.iter().enumerate() {
        buf.clear();
        if key(id as NodeId, &n.kind, &mut buf) {
            match t.get_mut(buf.as_str()) {
                Some(list) => list.push(id as NodeId),
                None => {
                    t.insert(buf.clone(), vec![id as NodeId]);
                }
            }
        }
    }
    t
}

/// Appends [`Ast::path_of`] of `id` to `out`; false (`out` then holds a part) when it has none.
fn path_into(ast: &Ast, id: NodeId, out: &mut String) -> bool {
    match ast.kind(id) {
        Kind::Name(n) => {
            out.push_str(n);
            true
        }
        Kind::Member { object, property } => {
            if !path_into(ast, *object, out) {
                return false;
            }
            out.push('.');
            out.push_str(property);
            true
        }
        _ => false,
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
        ast.function_ancestors(id)
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

#[cfg(test)]
mod tests {
    use crate::ast::{Ast, Kind, NodeId, ROOT};
    use crate::lang::{parse, Dialect};

    const PY: &str = "\
import requests as r
from db import conn

QUERY = 'SELECT 1'
a, b = 1, 2

def f(x):
    q = 'x'
    if x:
        q = x
        global G
    for i in range(3):
        q = q + i
        g(q)
    def inner():
        q = 2
        return q
    return r.get(q)

def g(y):
    s = conn.cursor()
    with open(y) as fh:
        s.execute(fh.read())
    return g(y)
";

    const TS: &str = "\
import axios from 'axios';
const api = axios.create();
export function load(id: string) {
  let url = '/a';
  if (id) { url = '/b' + id; }
  const { data, status } = await api.get(url);
  return [data, status, load(id)];
}
app.get('/x', async (req, res) => {
  const url = req.query.u;
  res.json(await api.get(url));
});
";

    fn asts() -> Vec<Ast> {
        vec![
            parse(Dialect::Python, PY).unwrap(),
            parse(Dialect::TypeScript, TS).unwrap(),
        ]
    }

    fn all(ast: &Ast) -> std::ops::Range<NodeId> {
        0..ast.nodes.len() as NodeId
    }

    /// Every table against the scan it replaces, on every node and name of two files.
    #[test]
    fn tables_answer_what_a_scan_answers() {
        for ast in asts() {
            let names: Vec<String> = all(&ast)
                .filter_map(|i| match ast.kind(i) {
                    Kind::Name(n) => Some(n.clone()),
                    _ => None,
                })
                .chain(["self.x".to_string(), "nothing".to_string()])
                .collect();
            let scopes: Vec<NodeId> = std::iter::once(ROOT)
                .chain(all(&ast).filter(|&i| ast.function(i).is_some()))
                .collect();
            for id in all(&ast) {
                assert_eq!(
                    ast.enclosing_function(id),
                    ast.ancestors(id)
                        .find(|&a| matches!(ast.kind(a), Kind::Function(_)))
                );
                assert_eq!(
                    ast.loop_and_function_ancestors(id).collect::<Vec<_>>(),
                    ast.ancestors(id)
                        .filter(|&a| matches!(ast.kind(a), Kind::Function(_) | Kind::Loop(_)))
                        .collect::<Vec<_>>()
                );
            }
            for name in &names {
                for &scope in &scopes {
                    let scan: Vec<NodeId> = ast
                        .subtree(scope)
                        .filter(|&i| matches!(ast.kind(i), Kind::Name(n) if n == name))
                        .collect();
                    assert_eq!(ast.names_in(name, scope), scan.as_slice());
                    let scan: Vec<NodeId> = ast
                        .subtree(scope)
                        .filter(|&i| {
                            matches!(ast.kind(i), Kind::Name(_) | Kind::Member { .. })
                                && ast.path_of(i).as_deref() == Some(name.as_str())
                        })
                        .collect();
                    assert_eq!(ast.paths_in(name, scope), scan.as_slice());
                    let declared = ast.subtree(scope).any(|i| {
                        matches!(ast.kind(i), Kind::Assign { target, declared: true, .. }
                            if matches!(ast.kind(*target), Kind::Name(t) if t == name))
                    });
                    assert_eq!(ast.declared_in(name, scope), declared);
                    let holders: Vec<NodeId> = ast
                        .subtree(scope)
                        .filter(|&i| {
                            ast.subtree(i)
                                .any(|j| matches!(ast.kind(j), Kind::Name(n) if n == name))
                        })
                        .collect();
                    assert_eq!(ast.holders_of(&[name], scope), holders);
                    for at in ast.subtree(scope) {
                        let mut last = None;
                        for i in ast.subtree(scope).take_while(|&i| i < at) {
                            if let Kind::Assign {
                                target,
                                value: Some(v),
                                augmented: false,
                                ..
                            } = ast.kind(i)
                            {
                                if matches!(ast.kind(*target), Kind::Name(t) if t == name) {
                                    last = Some((i, *v));
                                }
                            }
                        }
                        assert_eq!(ast.assignment_before(name, scope, at, true), last);
                    }
                }
                let calls: Vec<NodeId> = all(&ast)
                    .filter(|&i| {
                        ast.call(i).is_some_and(|c| match ast.kind(c.callee) {
                            Kind::Name(n) => n == name,
                            Kind::Member { property, .. } => property == name,
                            _ => false,
                        })
                    })
                    .collect();
                assert_eq!(ast.calls_named(name), calls.as_slice());
            }
        }
    }

    #[test]
    fn memos_are_computed_once_per_key_node_and_text() {
        let ast = &asts()[0];
        let mut runs = 0;
        for _ in 0..3 {
            ast.verdict_on("test", 1, "a", || {
                runs += 1;
                true
            });
        }
        assert!(!ast.verdict_on("test", 1, "b", || false));
        assert!(*ast.memo("other", 1, || true));
        assert_eq!(runs, 1);
        assert_eq!(ast.first_of("k", "x".into(), 5), 5);
        assert_eq!(ast.first_of("k", "x".into(), 9), 5);
        assert_eq!(ast.first_known("k", "x"), Some(5));
        assert_eq!(ast.first_known("k", "y"), None);
    }
}
