//! The unified syntax tree every language is lowered into.
//!
//! Python and TypeScript/JavaScript (tree-sitter) and Rust (syn) are each lowered once per file
//! into this small, language-neutral tree, so a rule is written once and works in all three
//! languages. Nodes live in one arena in pre-order: a node's subtree is the index range
//! `id..node.end`, which makes "is inside" a range check and the engine's walk a plain loop.
//! Anything a lowerer does not model becomes `Kind::Other` with its children still lowered, so
//! calls and strings nested in unmodelled syntax are never lost.
//!
//! What rules need to know is a field or a kind, the same in every language, so no rule reads
//! it back from the source text: a loop's `body` (for a comprehension its element) and whether
//! it is `async for`/`for await` (`Loop::is_async`, also on `With`); unary operators
//! (`Kind::Unary`: `!x`, `not x`, `-x`, `typeof x`, `x++`), Rust's `x?` (`Kind::Question`),
//! `await` in all three languages (`Kind::Await`), `break`/`continue` (`Kind::Break`,
//! `Kind::Continue`, Python's included) and a number literal's value (`Kind::Number`, so
//! `timeout: 0` is visible). [`Ast::wrapped`] names the nodes that only wrap one expression
//! (`await`, `?`, one-child unmodelled nodes) for the walks that step over them.

use crate::source::Span;

pub type NodeId = u32;

/// The language family a file belongs to (JavaScript and TypeScript share rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Python,
    TypeScript,
    Rust,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::TypeScript => "typescript",
            Lang::Rust => "rust",
        }
    }
    /// Separator between path segments in a qualified name (`time.sleep`, `std::fs::read`).
    pub fn path_sep(self) -> &'static str {
        match self {
            Lang::Rust => "::",
            _ => ".",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
    pub parent: NodeId,
    /// One past the last node of this node's subtree.
    pub end: NodeId,
}

#[derive(Clone, Debug, Default)]
pub struct Param {
    pub name: String,
    /// The type annotation as written (`dict`, `Json<Value>`, `Request`), if any.
    pub ty: Option<String>,
    pub default: Option<NodeId>,
    /// Decorators on the parameter (NestJS `@Body()`), as written without `@`.
    pub decorators: Vec<String>,
    pub span: Span,
}

/// A decorator (Python/TS) or attribute (Rust): `@app.get("/x")`, `#[get("/x")]`.
#[derive(Clone, Debug)]
pub struct Decorator {
    /// The callee path as written, without arguments: `app.get`, `tracing::instrument`.
    pub name: String,
    /// The lowered call/expression for Python and TS decorators.
    pub node: Option<NodeId>,
    /// The raw argument text (Rust attributes; empty when none).
    pub args: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Function {
    /// `None` for lambdas, arrow functions and closures.
    pub name: Option<String>,
    pub is_async: bool,
    pub params: Vec<Param>,
    pub decorators: Vec<Decorator>,
    /// The return type as written, if any.
    pub returns: Option<String>,
    pub body: Vec<NodeId>,
    /// For an expression-bodied lambda/arrow/closure: the expression.
    pub expr_body: Option<NodeId>,
    /// Exported (`export function`, `pub fn`), for cross-file lookups.
    pub exported: bool,
    /// The span of the signature line(s), for reporting on the `def`/`fn` line.
    pub head: Span,
}

#[derive(Clone, Debug)]
pub struct Class {
    pub name: String,
    /// Base classes (Python), `extends`/`implements` (TS), the trait of an `impl` (Rust).
    pub bases: Vec<String>,
    pub decorators: Vec<Decorator>,
    pub body: Vec<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    For,
    While,
    /// list/set/dict comprehension or generator expression
    Comprehension,
}

#[derive(Clone, Debug)]
pub struct Loop {
    pub kind: LoopKind,
    /// Names bound per iteration (`for order in ...` -> `order`).
    pub bindings: Vec<String>,
    /// What is iterated (`for` loops and comprehensions).
    pub iter: Option<NodeId>,
    /// What runs every round: the body's statements; for a comprehension the element
    /// expression (a dict comprehension's key and value). A `while` condition and a C-style
    /// `for`'s header are children of the loop but not in `body`.
    pub body: Vec<NodeId>,
    /// `async for` (Python), `for await` (TypeScript).
    pub is_async: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrKind {
    /// A literal with no interpolation.
    Plain,
    /// f-string, template literal with `${}`, `format!`.
    Interpolated,
}

#[derive(Clone, Debug)]
pub struct Str {
    /// The literal text; for interpolated strings the static parts with `{}` where values go.
    pub value: String,
    pub kind: StrKind,
    /// The interpolated expressions.
    pub parts: Vec<NodeId>,
}

#[derive(Clone, Debug)]
pub struct Call {
    pub callee: NodeId,
    /// Positional and keyword arguments in order.
    pub args: Vec<Arg>,
    /// `new Foo()` (TS).
    pub is_new: bool,
    /// Rust macro call (`format!`, `sqlx::query!`); callee is the macro path without `!`.
    pub is_macro: bool,
    /// A tagged template (`sql\`...\``): the single argument is the template.
    pub is_tagged: bool,
}

impl Call {
    /// A plain call `callee(args)`: not `new`, not a macro, not a tagged template.
    pub fn plain(callee: NodeId, args: Vec<Arg>) -> Call {
        Call {
            callee,
            args,
            is_new: false,
            is_macro: false,
            is_tagged: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Arg {
    /// Keyword argument name (Python `timeout=`).
    pub name: Option<String>,
    pub value: NodeId,
    /// `*args`, `**kwargs`, `...spread`.
    pub spread: bool,
}

#[derive(Clone, Debug)]
pub struct Entry {
    /// The key when it is a plain name or a string literal.
    pub key: Option<String>,
    pub key_node: Option<NodeId>,
    pub value: NodeId,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Import {
    /// The module path: `os.path`, `@prisma/client`, `std::fs`.
    pub module: String,
    /// Imported names and their local alias: `from x import a as b` -> ("a", "b").
    /// A whole-module import (`import x as y`, `import * as y`, `const y = require('x')`,
    /// default imports) is ("", "y"); `use std::fs;` is ("", "fs").
    pub names: Vec<(String, String)>,
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `!x`, `not x`.
    Not,
    /// `-x`.
    Neg,
    /// `typeof x`.
    TypeOf,
    /// `x++`, `++x`.
    Incr,
    /// `x--`, `--x`.
    Decr,
    /// `+x`, `~x`, `void x`, `delete x`.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    /// `%` (also Python's printf-style formatting).
    Mod,
    And,
    Or,
    Compare,
    Other,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Module(Vec<NodeId>),
    Function(Box<Function>),
    Class(Box<Class>),
    Loop(Box<Loop>),
    /// Python `with`, also `async with`: the context expressions and the body.
    With {
        items: Vec<NodeId>,
        /// The name each item is bound to (`s` in `with Session() as s`), `None` without `as`
        /// or for a pattern.
        names: Vec<Option<String>>,
        body: Vec<NodeId>,
        is_async: bool,
    },
    /// `try`/`catch`/`except`: body, handlers (each a `Catch`), finally body.
    Try {
        body: Vec<NodeId>,
        handlers: Vec<NodeId>,
        finally: Vec<NodeId>,
    },
    /// One handler: the caught types as written, the bound name and the body.
    Catch {
        types: Vec<String>,
        binding: Option<String>,
        body: Vec<NodeId>,
    },
    If {
        cond: NodeId,
        then: Vec<NodeId>,
        els: Vec<NodeId>,
    },
    Return(Option<NodeId>),
    /// `break`; Rust `break value` has the value.
    Break(Option<NodeId>),
    Continue,
    /// `x = v`, `let x = v`, `const {a} = v`, `x += v`; target is the lowered left side.
    Assign {
        target: NodeId,
        value: Option<NodeId>,
        declared: bool,
        augmented: bool,
    },
    Call(Box<Call>),
    /// `a.b`, `a?.b`, Rust field access `a.b`; Rust `Type::assoc` paths are `Name`s.
    Member {
        object: NodeId,
        property: String,
    },
    Index {
        object: NodeId,
        index: NodeId,
    },
    /// An identifier or a path as written (`requests`, `std::fs::read`, `Order`).
    Name(String),
    Str(Box<Str>),
    /// A number literal's value (`0`, `30_000`, `0x10`, `1e3`, `30.0`, Rust `30u64`); `None`
    /// when it has none as an `f64` (Python `1j`).
    Number(Option<f64>),
    Bool(bool),
    /// `None`, `null`, `undefined`.
    Null,
    Binary {
        op: BinOp,
        lhs: NodeId,
        rhs: NodeId,
    },
    /// `await x`, Rust `x.await`.
    Await(NodeId),
    /// `!x`, `not x`, `-x`, `typeof x`, `x++`. Rust's `*x` and `&x` are not nodes: they
    /// stand for `x`.
    Unary {
        op: UnOp,
        operand: NodeId,
    },
    /// Rust `x?`.
    Question(NodeId),
    /// Object literal, dict, Rust struct literal (`Foo { a: 1 }`, name in `ty`).
    Object {
        ty: Option<String>,
        entries: Vec<Entry>,
    },
    /// List/array/tuple/set literal.
    Array(Vec<NodeId>),
    Import(Box<Import>),
    Block(Vec<NodeId>),
    /// Anything else; its children are in the arena all the same.
    Other,
}

/// A lowered file.
#[derive(Debug)]
pub struct Ast {
    pub lang: Lang,
    pub nodes: Vec<Node>,
    /// Set when the parser had to recover from syntax errors.
    pub has_errors: bool,
    /// Lookup tables built on first use (kept opaque here; see `lookup.rs`).
    pub(crate) tables: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
    /// The first syntax error the parser recovered from (tree-sitter ERROR or MISSING node).
    pub syntax_error: Option<SyntaxError>,
}

/// Where a tree-sitter parse first went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset.
    pub offset: u32,
    /// The token the parser had to invent (`)`, `;`), for a MISSING node.
    pub missing: Option<String>,
}

/// Kind tags, used by rules to declare what they want dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KindTag {
    Module,
    Function,
    Class,
    Loop,
    With,
    Try,
    Catch,
    If,
    Return,
    Break,
    Continue,
    Assign,
    Call,
    Member,
    Index,
    Name,
    Str,
    Number,
    Bool,
    Null,
    Binary,
    Await,
    Unary,
    Question,
    Object,
    Array,
    Import,
    Block,
    Other,
}

impl KindTag {
    pub const COUNT: usize = 29;
}

impl Kind {
    pub fn tag(&self) -> KindTag {
        match self {
            Kind::Module(_) => KindTag::Module,
            Kind::Function(_) => KindTag::Function,
            Kind::Class(_) => KindTag::Class,
            Kind::Loop(_) => KindTag::Loop,
            Kind::With { .. } => KindTag::With,
            Kind::Try { .. } => KindTag::Try,
            Kind::Catch { .. } => KindTag::Catch,
            Kind::If { .. } => KindTag::If,
            Kind::Return(_) => KindTag::Return,
            Kind::Break(_) => KindTag::Break,
            Kind::Continue => KindTag::Continue,
            Kind::Assign { .. } => KindTag::Assign,
            Kind::Call(_) => KindTag::Call,
            Kind::Member { .. } => KindTag::Member,
            Kind::Index { .. } => KindTag::Index,
            Kind::Name(_) => KindTag::Name,
            Kind::Str(_) => KindTag::Str,
            Kind::Number(_) => KindTag::Number,
            Kind::Bool(_) => KindTag::Bool,
            Kind::Null => KindTag::Null,
            Kind::Binary { .. } => KindTag::Binary,
            Kind::Await(_) => KindTag::Await,
            Kind::Unary { .. } => KindTag::Unary,
            Kind::Question(_) => KindTag::Question,
            Kind::Object { .. } => KindTag::Object,
            Kind::Array(_) => KindTag::Array,
            Kind::Import(_) => KindTag::Import,
            Kind::Block(_) => KindTag::Block,
            Kind::Other => KindTag::Other,
        }
    }
}

pub const ROOT: NodeId = 0;

impl Ast {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
    pub fn kind(&self, id: NodeId) -> &Kind {
        &self.nodes[id as usize].kind
    }
    pub fn span(&self, id: NodeId) -> Span {
        self.nodes[id as usize].span
    }
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        let p = self.nodes[id as usize].parent;
        (p != id).then_some(p)
    }
    /// Ancestors from the parent up to the root.
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.parent(id), move |&p| self.parent(p))
    }
    /// Every node of the subtree rooted at `id`, `id` included, in pre-order.
    pub fn subtree(&self, id: NodeId) -> std::ops::Range<NodeId> {
        id..self.nodes[id as usize].end
    }
    /// Direct children in order.
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let end = self.nodes[id as usize].end;
        let mut next = id + 1;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let c = next;
            next = self.nodes[c as usize].end;
            Some(c)
        })
    }
    pub fn contains(&self, outer: NodeId, inner: NodeId) -> bool {
        inner >= outer && inner < self.nodes[outer as usize].end
    }
    pub fn function(&self, id: NodeId) -> Option<&Function> {
        match self.kind(id) {
            Kind::Function(f) => Some(f),
            _ => None,
        }
    }
    pub fn call(&self, id: NodeId) -> Option<&Call> {
        match self.kind(id) {
            Kind::Call(c) => Some(c),
            _ => None,
        }
    }
    pub fn str_lit(&self, id: NodeId) -> Option<&Str> {
        match self.kind(id) {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    /// A plain (non-interpolated) string literal's value.
    pub fn plain_str(&self, id: NodeId) -> Option<&str> {
        match self.kind(id) {
            Kind::Str(s) if s.kind == StrKind::Plain => Some(&s.value),
            _ => None,
        }
    }
    /// The expression a wrapper node stands around: `await x`, Rust `x?`, or an unmodelled
    /// node with exactly one child (`raise x`, `yield x`, a spread, a recovery node).
    pub fn wrapped(&self, id: NodeId) -> Option<NodeId> {
        match self.kind(id) {
            Kind::Await(inner) | Kind::Question(inner) => Some(*inner),
            Kind::Other => {
                let mut ch = self.children(id);
                match (ch.next(), ch.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    /// Strips the wrappers of [`Ast::wrapped`] (`await`, Rust `?`, one-child unmodelled
    /// nodes); parentheses are no nodes of their own.
    pub fn unwrap_expr(&self, mut id: NodeId) -> NodeId {
        while let Some(inner) = self.wrapped(id) {
            id = inner;
        }
        id
    }
    /// The dotted/`::` path of a name or member chain as written: `app.get`, `std::fs::read`,
    /// `self.session.query`. `None` when the chain contains a call or other expression.
    pub fn path_of(&self, id: NodeId) -> Option<String> {
        // measure first, then write once: no allocation per segment
        let mut len = 0;
        let mut cur = id;
        loop {
            match self.kind(cur) {
                Kind::Name(n) => break len += n.len(),
                Kind::Member { object, property } => {
                    len += property.len() + 1;
                    cur = *object;
                }
                _ => return None,
            }
        }
        let mut out = String::with_capacity(len);
        self.write_path(id, &mut out);
        Some(out)
    }
    /// Appends the path of a name or member chain (known to be one) to `out`.
    fn write_path(&self, id: NodeId, out: &mut String) {
        match self.kind(id) {
            Kind::Name(n) => out.push_str(n),
            Kind::Member { object, property } => {
                self.write_path(*object, out);
                out.push('.');
                out.push_str(property);
            }
            _ => {}
        }
    }
    /// For a call: the name of the called function or method (`filter` in `a.b.filter(x)`,
    /// `read` in `std::fs::read(x)`).
    pub fn callee_name(&self, call: &Call) -> Option<&str> {
        match self.kind(call.callee) {
            Kind::Name(n) => Some(last_segment(n)),
            Kind::Member { property, .. } => Some(property),
            _ => None,
        }
    }
    /// For a method call `recv.m(..)`: the receiver.
    pub fn receiver(&self, call: &Call) -> Option<NodeId> {
        match self.kind(call.callee) {
            Kind::Member { object, .. } => Some(*object),
            _ => None,
        }
    }
    /// Keyword argument by name (Python `timeout=`).
    pub fn kwarg(&self, call: &Call, name: &str) -> Option<NodeId> {
        call.args
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .map(|a| a.value)
    }
    /// Positional arguments (keyword and spread arguments skipped).
    pub fn positional<'a>(&'a self, call: &'a Call) -> impl Iterator<Item = NodeId> + 'a {
        call.args
            .iter()
            .filter(|a| a.name.is_none() && !a.spread)
            .map(|a| a.value)
    }
    /// An object literal's entry by key.
    pub fn entry(&self, obj: NodeId, key: &str) -> Option<&Entry> {
        match self.kind(obj) {
            Kind::Object { entries, .. } => entries.iter().find(|e| e.key.as_deref() == Some(key)),
            _ => None,
        }
    }
    /// The chain of calls in a fluent expression, innermost receiver first:
    /// `a.b().c().d()` -> [b-call, c-call, d-call] for the outermost `d` call.
    pub fn call_chain(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = self.unwrap_expr(id);
        loop {
            match self.kind(cur) {
                Kind::Call(c) => {
                    out.push(cur);
                    match self.kind(c.callee) {
                        Kind::Member { object, .. } => cur = self.unwrap_expr(*object),
                        _ => break,
                    }
                }
                Kind::Member { object, .. } => cur = self.unwrap_expr(*object),
                _ => break,
            }
        }
        out.reverse();
        out
    }
    /// Whether `id` lies in one of the statements `stmts`.
    pub fn contains_any(&self, stmts: &[NodeId], id: NodeId) -> bool {
        stmts.iter().any(|&s| self.subtree(s).contains(&id))
    }

    /// The root of a fluent chain: `Order` in `Order.objects.filter(..).all()`.
    pub fn chain_root(&self, id: NodeId) -> NodeId {
        let mut cur = self.unwrap_expr(id);
        loop {
            match self.kind(cur) {
                Kind::Call(c) => cur = self.unwrap_expr(c.callee),
                Kind::Member { object, .. } => cur = self.unwrap_expr(*object),
                Kind::Index { object, .. } => cur = self.unwrap_expr(*object),
                _ => return cur,
            }
        }
    }
}

/// What follows the last `::` of a path (`read` in `std::fs::read`), the whole of it without
/// one: `rsplit("::")` without building a substring searcher for every call node.
fn last_segment(n: &str) -> &str {
    match n.as_bytes().windows(2).rposition(|w| w == b"::") {
        Some(i) => &n[i + 2..],
        None => n,
    }
}

/// Builds an [`Ast`] in pre-order. Lowerers call `open` before lowering a node's children and
/// `close` with its kind after.
pub struct Builder {
    nodes: Vec<Node>,
    stack: Vec<NodeId>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            nodes: Vec::with_capacity(1024),
            stack: Vec::with_capacity(64),
        }
    }
    pub fn open(&mut self, span: Span) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let parent = self.stack.last().copied().unwrap_or(id);
        self.nodes.push(Node {
            kind: Kind::Other,
            span,
            parent,
            end: id + 1,
        });
        self.stack.push(id);
        id
    }
    pub fn close(&mut self, id: NodeId, kind: Kind) -> NodeId {
        let top = self.stack.pop();
        debug_assert_eq!(top, Some(id), "unbalanced open/close");
        let end = self.nodes.len() as NodeId;
        let n = &mut self.nodes[id as usize];
        n.kind = kind;
        n.end = end;
        id
    }
    /// A node without children.
    pub fn leaf(&mut self, span: Span, kind: Kind) -> NodeId {
        let id = self.open(span);
        self.close(id, kind)
    }
    /// Adjust a node's span after the fact (e.g. a decorated definition).
    pub fn set_span(&mut self, id: NodeId, span: Span) {
        self.nodes[id as usize].span = span;
    }
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    pub fn kind(&self, id: NodeId) -> &Kind {
        &self.nodes[id as usize].kind
    }
    pub fn finish(self, lang: Lang, has_errors: bool) -> Ast {
        debug_assert!(self.stack.is_empty());
        Ast {
            lang,
            nodes: self.nodes,
            has_errors,
            syntax_error: None,
            tables: Default::default(),
        }
    }
}

#[cfg(test)]
impl Ast {
    /// The values of the number literals from byte `at` on, in order (for lowerer tests).
    pub(crate) fn numbers_from(&self, at: usize) -> Vec<Option<f64>> {
        self.nodes
            .iter()
            .filter(|n| n.span.start as usize >= at)
            .filter_map(|n| match n.kind {
                Kind::Number(v) => Some(v),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_segment_is_what_follows_the_last_double_colon() {
        for n in [
            "read",
            "std::fs::read",
            "a:::b",
            "a::",
            "::a",
            "a:b",
            "",
            ":",
        ] {
            assert_eq!(last_segment(n), n.rsplit("::").next().unwrap_or(n), "{n}");
        }
        assert_eq!(last_segment("std::fs::read"), "read");
    }

    #[test]
    fn builder_keeps_preorder_ranges() {
        let mut b = Builder::new();
        let m = b.open(Span::new(0, 10));
        let c = b.open(Span::new(0, 5));
        let n = b.leaf(Span::new(0, 1), Kind::Name("f".into()));
        b.close(
            c,
            Kind::Call(Box::new(Call {
                callee: n,
                args: vec![],
                is_new: false,
                is_macro: false,
                is_tagged: false,
            })),
        );
        let s = b.leaf(Span::new(6, 8), Kind::Number(Some(1.0)));
        b.close(m, Kind::Module(vec![c, s]));
        let ast = b.finish(Lang::Python, false);
        assert_eq!(ast.children(m).collect::<Vec<_>>(), vec![c, s]);
        assert!(ast.contains(c, n));
        assert!(!ast.contains(c, s));
        assert_eq!(ast.ancestors(n).collect::<Vec<_>>(), vec![c, m]);
        assert_eq!(ast.parent(m), None);
    }
}
