//! Python: ruff's parser (`ruff_python_parser`), lowered into [`crate::ast`].
//!
//! Gives the tree the tree-sitter lowerer ([`super::python`]) gives, node for node: what is
//! modelled there is modelled here, unmodelled syntax is `Other` with the same children, and
//! spans are the same byte ranges (ruff leaves parentheses out of an expression's range, so the
//! few spans tree-sitter takes from a parenthesized child are widened here). ruff's parser is
//! about six times faster than tree-sitter-python's and recovers from syntax errors too.

use ruff_python_ast::{
    self as ast, Expr, InterpolatedStringElement, Parameters, PySourceType, Stmt,
};
use ruff_text_size::{Ranged, TextRange};

use super::python::{no_space, one_line};
use super::{number_value, ParseError};
use crate::ast::{
    Arg, Ast, BinOp, Builder, Call, Class, Decorator, Entry, Function, Import, Kind, Lang, Loop,
    LoopKind, NodeId, Param, Str, StrKind, SyntaxError, UnOp,
};
use crate::source::Span;

/// Parses and lowers a Python file nested at most `max_depth` levels deep.
pub fn lower(text: &str, max_depth: usize) -> Result<Ast, ParseError> {
    // ruff's parser grows its stack as deep as the brackets go (about 2 KiB per level): a few
    // MB of `((((` would take gigabytes, so such a file is refused before it is parsed
    if bracket_depth(text) > max_depth {
        return Err(ParseError::TooDeep(max_depth));
    }
    let parsed = ruff_python_parser::parse_unchecked_source(text, PySourceType::Python);
    let first_error = parsed
        .errors()
        .iter()
        .min_by_key(|e| e.location.start())
        .map(|e| SyntaxError {
            offset: e.location.start().to_u32(),
            missing: None,
        });
    let module = parsed.into_syntax();
    let mut lw = Lowerer {
        text,
        b: Builder::new(),
        depth: 0,
        max_depth,
        too_deep: false,
    };
    let root = lw.b.open(Span::new(0, text.len()));
    let mut body = Vec::new();
    lw.block_into(&module.body, &mut body);
    lw.b.close(root, Kind::Module(body));
    // ruff's tree is dropped recursively: one nested deeper than the lowering went (a type
    // annotation, a target, a pattern) is dropped on a stack of its own that fits it.
    if lw.too_deep || !shallow(&module.body, max_depth) {
        let size = (text.len().saturating_mul(512)).clamp(16 << 20, 4 << 30);
        stacker::grow(size, move || drop(module));
        return Err(ParseError::TooDeep(max_depth));
    }
    drop(module);
    let mut ast = lw.b.finish(Lang::Python, first_error.is_some());
    ast.syntax_error = first_error;
    Ok(ast)
}

/// How deep brackets nest in `text`, counted on every byte (strings and comments too, so it
/// can only overcount; a closing bracket with none open is ignored).
fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parse only (no lowering), for the parse-floor benchmark.
pub fn parse_only(text: &str) -> bool {
    let parsed = ruff_python_parser::parse_unchecked_source(text, PySourceType::Python);
    std::hint::black_box(parsed.syntax().body.len());
    true
}

/// Whether every part of the tree (also what the lowering does not read) nests at most
/// `max_depth` levels deep, counted without recursing deeper than that.
fn shallow(body: &[Stmt], max_depth: usize) -> bool {
    use ast::visitor::{self, Visitor};
    struct Depth {
        depth: usize,
        max: usize,
        over: bool,
    }
    impl<'a> Visitor<'a> for Depth {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            self.depth += 1;
            if self.depth > self.max {
                self.over = true;
            } else if !self.over {
                visitor::walk_stmt(self, s);
            }
            self.depth -= 1;
        }
        fn visit_expr(&mut self, e: &'a Expr) {
            self.depth += 1;
            if self.depth > self.max {
                self.over = true;
            } else if !self.over {
                visitor::walk_expr(self, e);
            }
            self.depth -= 1;
        }
        fn visit_pattern(&mut self, p: &'a ast::Pattern) {
            self.depth += 1;
            if self.depth > self.max {
                self.over = true;
            } else if !self.over {
                visitor::walk_pattern(self, p);
            }
            self.depth -= 1;
        }
    }
    let mut d = Depth {
        depth: 0,
        // Walks count a level or two more per construct than the lowering does.
        max: max_depth.saturating_mul(2),
        over: false,
    };
    d.visit_body(body);
    !d.over
}

fn span(r: TextRange) -> Span {
    Span::new(r.start().to_usize(), r.end().to_usize())
}

struct Lowerer<'s> {
    text: &'s str,
    b: Builder,
    depth: usize,
    max_depth: usize,
    too_deep: bool,
}

impl<'s> Lowerer<'s> {
    fn src(&self, r: TextRange) -> &'s str {
        self.text
            .get(r.start().to_usize()..r.end().to_usize())
            .unwrap_or("")
    }

    /// The end of `end` plus the `)` that close parentheses around the expression ending there
    /// (for a child that only parentheses, commas or the end of its parent can follow).
    fn close_parens(&self, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let (mut at, mut last) = (end, end);
        while at < bytes.len() {
            match bytes[at] {
                b')' => {
                    at += 1;
                    last = at;
                }
                b' ' | b'\t' | b'\n' | b'\r' | b'\\' | b'\x0c' => at += 1,
                _ => break,
            }
        }
        last
    }

    /// The start of `start` less the `(` that open parentheses around the expression there.
    fn open_parens(&self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        let (mut at, mut first) = (start, start);
        while at > 0 {
            match bytes[at - 1] {
                b'(' => {
                    at -= 1;
                    first = at;
                }
                b' ' | b'\t' | b'\n' | b'\r' | b'\\' | b'\x0c' => at -= 1,
                _ => break,
            }
        }
        first
    }

    /// The text of an expression with the parentheses around it (tree-sitter reads a
    /// parenthesized annotation with them).
    fn with_parens(&self, r: TextRange) -> &'s str {
        let bytes = self.text.as_bytes();
        let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\\' | b'\x0c');
        let (mut s, mut e) = (r.start().to_usize(), r.end().to_usize());
        loop {
            let mut s2 = s;
            while s2 > 0 && ws(bytes[s2 - 1]) {
                s2 -= 1;
            }
            let mut e2 = e;
            while e2 < bytes.len() && ws(bytes[e2]) {
                e2 += 1;
            }
            if s2 > 0 && bytes[s2 - 1] == b'(' && e2 < bytes.len() && bytes[e2] == b')' {
                (s, e) = (s2 - 1, e2 + 1);
            } else {
                break;
            }
        }
        self.text.get(s..e).unwrap_or("")
    }

    /// Where tree-sitter ends a statement: a compound statement ends with its last block,
    /// which takes in a comment after its last statement on the same line and the comment
    /// lines after it indented at least as deep as the block.
    fn stmt_end(&self, s: &Stmt) -> usize {
        let body: &[Stmt] = match s {
            Stmt::FunctionDef(f) => &f.body,
            Stmt::ClassDef(c) => &c.body,
            Stmt::With(w) => &w.body,
            Stmt::For(ast::StmtFor { body, orelse, .. })
            | Stmt::While(ast::StmtWhile { body, orelse, .. }) => {
                if orelse.is_empty() {
                    body
                } else {
                    orelse
                }
            }
            Stmt::If(i) => i.elif_else_clauses.last().map_or(&i.body, |c| &c.body),
            Stmt::Try(t) => {
                if !t.finalbody.is_empty() {
                    &t.finalbody
                } else if !t.orelse.is_empty() {
                    &t.orelse
                } else if let Some(ast::ExceptHandler::ExceptHandler(h)) = t.handlers.last() {
                    &h.body
                } else {
                    &t.body
                }
            }
            Stmt::Match(m) => match m.cases.last() {
                Some(c) => &c.body,
                None => return s.end().to_usize(),
            },
            _ => return s.end().to_usize(),
        };
        self.block_end(body, s.end().to_usize())
    }

    /// See [`Lowerer::stmt_end`].
    fn block_end(&self, body: &[Stmt], fallback: usize) -> usize {
        let (Some(first), Some(last)) = (body.first(), body.last()) else {
            return fallback;
        };
        let end = self.line_comment(self.stmt_end(last));
        match self.indent_at(first.start().to_usize()) {
            Some(indent) => self.comment_lines(end, indent),
            None => end,
        }
    }

    /// `end`, or the end of a comment that follows it on its line.
    fn line_comment(&self, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let (mut at, mut end) = (end, end);
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\x0c') {
            at += 1;
        }
        // `x = 1;`: the semicolon is part of the block
        if at < bytes.len() && bytes[at] == b';' {
            at += 1;
            end = at;
            while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\x0c') {
                at += 1;
            }
        }
        if at < bytes.len() && bytes[at] == b'#' {
            let stop = self.text[at..]
                .find('\n')
                .map_or(self.text.len(), |i| at + i);
            return at + self.text[at..stop].trim_end_matches('\r').len();
        }
        end
    }

    /// The indentation (a tab counts 8, as tree-sitter counts it) of a statement that starts a
    /// line; `None` when it follows other code on its line.
    fn indent_at(&self, pos: usize) -> Option<usize> {
        let line_start = self.text[..pos].rfind('\n').map_or(0, |i| i + 1);
        let mut col = 0;
        for b in self.text[line_start..pos].bytes() {
            match b {
                b' ' => col += 1,
                b'\t' => col += 8,
                b'\x0c' => col = 0,
                _ => return None,
            }
        }
        Some(col)
    }

    /// Past `end`: the comment lines (blank lines between) indented at least `indent` deep.
    fn comment_lines(&self, mut end: usize, indent: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut at = end;
        loop {
            let Some(nl) = self.text[at..].find('\n') else {
                return end;
            };
            at += nl + 1;
            let mut col = 0;
            while at < bytes.len() {
                match bytes[at] {
                    b' ' => col += 1,
                    b'\t' => col += 8,
                    b'\x0c' => col = 0,
                    _ => break,
                }
                at += 1;
            }
            match bytes.get(at) {
                Some(b'\n') | Some(b'\r') => continue,
                Some(b'#') if col >= indent => {
                    end = self.line_comment(at);
                    at = end;
                }
                _ => return end,
            }
        }
    }

    /// Where `prefix` (`*`, `**`) starts before `start`, over whitespace and `(`.
    fn prefixed(&self, start: usize, prefix: &str) -> usize {
        let before = &self.text[..start.min(self.text.len())];
        let trimmed = before.trim_end_matches(|c: char| c.is_whitespace() || c == '(' || c == '\\');
        match trimmed.strip_suffix(prefix) {
            Some(rest) => rest.len(),
            None => start,
        }
    }

    /// Where the `def`/`class` (or `async`) of a decorated definition starts.
    fn after_decorators(&self, decos: &[ast::Decorator], start: usize) -> usize {
        let Some(last) = decos.last() else {
            return start;
        };
        let bytes = self.text.as_bytes();
        let mut at = last.range.end().to_usize();
        while at < bytes.len() {
            match bytes[at] {
                b' ' | b'\t' | b'\n' | b'\r' | b'\\' | b'\x0c' => at += 1,
                b'#' => {
                    while at < bytes.len() && bytes[at] != b'\n' {
                        at += 1;
                    }
                }
                _ => break,
            }
        }
        at
    }

    /// Counts one level of nesting; false (and the error flag set) when too deep. The caller
    /// decrements `depth` whatever the answer.
    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.too_deep || self.depth > self.max_depth {
            self.too_deep = true;
            return false;
        }
        true
    }

    fn block_into(&mut self, stmts: &[Stmt], out: &mut Vec<NodeId>) {
        for s in stmts {
            self.stmt(s, out);
        }
    }

    /// One statement into a statement list: expression statements flattened (`a, b` gives two),
    /// `pass` dropped, `import a, b` one node per module, a loop's `else` body after the loop.
    fn stmt(&mut self, s: &Stmt, out: &mut Vec<NodeId>) {
        match s {
            Stmt::Pass(_) => {}
            Stmt::Expr(e) => {
                if self.enter() {
                    match &*e.value {
                        Expr::Tuple(t) if !t.parenthesized => {
                            for x in &t.elts {
                                let id = self.expr(x);
                                out.push(id);
                            }
                        }
                        x => {
                            let id = self.expr(x);
                            out.push(id);
                        }
                    }
                }
                self.depth -= 1;
            }
            Stmt::Import(i) => self.import(i, out),
            Stmt::For(_) | Stmt::While(_) => {
                if self.enter() {
                    self.loop_stmt(s, out);
                }
                self.depth -= 1;
            }
            _ => {
                let id = if self.enter() {
                    self.stmt_node(s)
                } else {
                    self.b.leaf(span(s.range()), Kind::Other)
                };
                self.depth -= 1;
                out.push(id);
            }
        }
    }

    fn stmt_node(&mut self, s: &Stmt) -> NodeId {
        let sp = span(s.range());
        match s {
            Stmt::FunctionDef(f) => self.function(f),
            Stmt::ClassDef(c) => self.class(c),
            Stmt::Return(r) => {
                let id = self.b.open(sp);
                let value = r.value.as_deref().map(|v| self.expr(v));
                self.b.close(id, Kind::Return(value))
            }
            Stmt::Delete(d) => {
                let id = self.b.open(sp);
                self.expressions(&d.targets);
                self.b.close(id, Kind::Other)
            }
            Stmt::TypeAlias(t) => {
                let id = self.b.open(sp);
                for x in [&*t.name, &*t.value] {
                    let ty = self.b.open(span(x.range()));
                    self.expr(x);
                    self.b.close(ty, Kind::Other);
                }
                self.b.close(id, Kind::Other)
            }
            Stmt::Assign(a) => self.assign_chain(sp, &a.targets, &a.value),
            Stmt::AugAssign(a) => {
                let id = self.b.open(sp);
                let target = self.expr(&a.target);
                let value = self.expr(&a.value);
                self.b.close(
                    id,
                    Kind::Assign {
                        target,
                        value: Some(value),
                        declared: false,
                        augmented: true,
                    },
                )
            }
            Stmt::AnnAssign(a) => {
                let id = self.b.open(sp);
                let target = self.expr(&a.target);
                let value = a.value.as_deref().map(|v| self.expr(v));
                self.b.close(
                    id,
                    Kind::Assign {
                        target,
                        value,
                        declared: false,
                        augmented: false,
                    },
                )
            }
            Stmt::If(i) => self.if_stmt(i, s),
            Stmt::With(w) => self.with(w),
            Stmt::Match(m) => self.match_stmt(m, s),
            Stmt::Raise(r) => {
                let id = self.b.open(sp);
                for x in [&r.exc, &r.cause].into_iter().flatten() {
                    self.expr(x);
                }
                self.b.close(id, Kind::Other)
            }
            Stmt::Try(t) => self.try_stmt(t, s),
            Stmt::Assert(a) => {
                let id = self.b.open(sp);
                self.expr(&a.test);
                if let Some(m) = &a.msg {
                    self.expr(m);
                }
                self.b.close(id, Kind::Other)
            }
            Stmt::ImportFrom(i) => self.import_from(i),
            Stmt::Global(ast::StmtGlobal { names, .. })
            | Stmt::Nonlocal(ast::StmtNonlocal { names, .. }) => {
                let id = self.b.open(sp);
                for n in names {
                    let name = self.src(n.range).to_string();
                    self.b.leaf(span(n.range), Kind::Name(name));
                }
                self.b.close(id, Kind::Other)
            }
            Stmt::Break(_) => self.b.leaf(sp, Kind::Break(None)),
            Stmt::Continue(_) => self.b.leaf(sp, Kind::Continue),
            // reached through `block_into` only
            Stmt::Expr(_) | Stmt::Pass(_) | Stmt::Import(_) | Stmt::For(_) | Stmt::While(_) => {
                let id = self.b.open(sp);
                let mut v = Vec::new();
                self.stmt(s, &mut v);
                self.b.close(id, Kind::Other)
            }
            Stmt::IpyEscapeCommand(_) => self.b.leaf(sp, Kind::Other),
        }
    }

    /// `del a, b` / tuple-like lists: one expression, or an `Array` of several.
    fn expressions(&mut self, xs: &[Expr]) {
        match xs {
            [] => {}
            [one] => {
                self.expr(one);
            }
            [first, .., last] => {
                let id = self
                    .b
                    .open(Span::new(first.start().to_usize(), last.end().to_usize()));
                let items = xs.iter().map(|x| self.expr(x)).collect();
                self.b.close(id, Kind::Array(items));
            }
        }
    }

    /// `a = b = v`: `Assign(a, Assign(b, v))`, as tree-sitter nests it.
    fn assign_chain(&mut self, sp: Span, targets: &[Expr], value: &Expr) -> NodeId {
        let id = self.b.open(sp);
        let (target, value) = match targets {
            [] => (
                self.b
                    .leaf(Span::new(sp.start as usize, sp.start as usize), Kind::Other),
                self.expr(value),
            ),
            [t] => (self.target(t), self.expr(value)),
            [t, rest @ ..] => {
                let target = self.target(t);
                let inner = if self.enter() {
                    let inner_span = Span::new(
                        self.open_parens(rest[0].start().to_usize()),
                        sp.end as usize,
                    );
                    self.assign_chain(inner_span, rest, value)
                } else {
                    self.b.leaf(span(value.range()), Kind::Other)
                };
                self.depth -= 1;
                (target, inner)
            }
        };
        self.b.close(
            id,
            Kind::Assign {
                target,
                value: Some(value),
                declared: false,
                augmented: false,
            },
        )
    }

    /// An assignment target: tree-sitter reads a parenthesized one (`(a[k]) = v`, not a tuple)
    /// as a one-element tuple pattern.
    fn target(&mut self, t: &Expr) -> NodeId {
        let wide = self.with_parens(t.range());
        if matches!(t, Expr::Tuple(_)) || wide.len() == self.src(t.range()).len() {
            return self.expr(t);
        }
        let start = wide.as_ptr() as usize - self.text.as_ptr() as usize;
        let id = self.b.open(Span::new(start, start + wide.len()));
        let inner = self.expr(t);
        self.b.close(id, Kind::Array(vec![inner]))
    }

    /// Lowers `e` into exactly one node.
    fn expr(&mut self, e: &Expr) -> NodeId {
        let id = if self.enter() {
            self.expr_inner(e)
        } else {
            self.b.leaf(span(e.range()), Kind::Other)
        };
        self.depth -= 1;
        id
    }

    fn expr_inner(&mut self, e: &Expr) -> NodeId {
        let sp = span(e.range());
        match e {
            Expr::Name(n) => {
                let name = self.src(n.range).to_string();
                self.b.leaf(sp, Kind::Name(name))
            }
            Expr::Attribute(a) => {
                let id = self.b.open(sp);
                let object = self.expr(&a.value);
                let property = self.src(a.attr.range).to_string();
                self.b.close(id, Kind::Member { object, property })
            }
            Expr::Call(c) => self.call(c),
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::FString(_)
            | Expr::TString(_) => self.string(e),
            Expr::NumberLiteral(n) => {
                let value = number_value(self.src(n.range));
                self.b.leaf(sp, Kind::Number(value))
            }
            Expr::UnaryOp(u) => {
                let id = self.b.open(sp);
                let op = match u.op {
                    ast::UnaryOp::Not => UnOp::Not,
                    ast::UnaryOp::USub => UnOp::Neg,
                    _ => UnOp::Other,
                };
                let operand = self.expr(&u.operand);
                self.b.close(id, Kind::Unary { op, operand })
            }
            Expr::BooleanLiteral(b) => self.b.leaf(sp, Kind::Bool(b.value)),
            Expr::NoneLiteral(_) => self.b.leaf(sp, Kind::Null),
            Expr::EllipsisLiteral(_) | Expr::IpyEscapeCommand(_) => self.b.leaf(sp, Kind::Other),
            Expr::Subscript(s) => {
                let id = self.b.open(sp);
                let object = self.expr(&s.value);
                let index = match &*s.slice {
                    // `a[x, y]`: the first is the index, the others are extra children
                    Expr::Tuple(t) if !t.parenthesized && !t.elts.is_empty() => {
                        let mut first = None;
                        for x in &t.elts {
                            let i = self.expr(x);
                            first.get_or_insert(i);
                        }
                        first.unwrap_or(object)
                    }
                    x => self.expr(x),
                };
                self.b.close(id, Kind::Index { object, index })
            }
            Expr::BinOp(b) => {
                let id = self.b.open(sp);
                let op = match b.op {
                    ast::Operator::Add => BinOp::Add,
                    ast::Operator::Mod => BinOp::Mod,
                    _ => BinOp::Other,
                };
                let lhs = self.expr(&b.left);
                let rhs = self.expr(&b.right);
                self.b.close(id, Kind::Binary { op, lhs, rhs })
            }
            Expr::BoolOp(b) => self.bool_op(sp, b),
            Expr::Compare(c) => {
                let id = self.b.open(sp);
                let lhs = self.expr(&c.left);
                let mut rhs = None;
                for x in c.comparators.iter() {
                    let r = self.expr(x);
                    rhs.get_or_insert(r);
                }
                let rhs = match rhs {
                    Some(r) => r,
                    None => self.missing(sp),
                };
                self.b.close(
                    id,
                    Kind::Binary {
                        op: BinOp::Compare,
                        lhs,
                        rhs,
                    },
                )
            }
            Expr::Await(a) => {
                let id = self.b.open(sp);
                let inner = self.expr(&a.value);
                self.b.close(id, Kind::Await(inner))
            }
            Expr::Dict(d) => self.dict(sp, d),
            Expr::List(ast::ExprList { elts, .. })
            | Expr::Set(ast::ExprSet { elts, .. })
            | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                let id = self.b.open(sp);
                let items = elts.iter().map(|x| self.expr(x)).collect();
                self.b.close(id, Kind::Array(items))
            }
            Expr::Named(n) => {
                let id = self.b.open(sp);
                let target = self.expr(&n.target);
                let value = self.expr(&n.value);
                self.b.close(
                    id,
                    Kind::Assign {
                        target,
                        value: Some(value),
                        declared: false,
                        augmented: false,
                    },
                )
            }
            Expr::Lambda(l) => self.lambda(l),
            Expr::ListComp(c) => self.comprehension(sp, &[&c.elt], &c.generators),
            Expr::SetComp(c) => self.comprehension(sp, &[&c.elt], &c.generators),
            Expr::Generator(c) => self.comprehension(sp, &[&c.elt], &c.generators),
            Expr::DictComp(c) => match &c.key {
                Some(k) => self.comprehension(sp, &[k, &c.value], &c.generators),
                None => self.comprehension(sp, &[&c.value], &c.generators),
            },
            Expr::If(i) => {
                let id = self.b.open(sp);
                self.expr(&i.body);
                self.expr(&i.test);
                self.expr(&i.orelse);
                self.b.close(id, Kind::Other)
            }
            Expr::Yield(y) => {
                let id = self.b.open(sp);
                if let Some(v) = &y.value {
                    self.expr(v);
                }
                self.b.close(id, Kind::Other)
            }
            Expr::YieldFrom(y) => {
                let id = self.b.open(sp);
                self.expr(&y.value);
                self.b.close(id, Kind::Other)
            }
            Expr::Starred(s) => {
                let id = self.b.open(sp);
                self.expr(&s.value);
                self.b.close(id, Kind::Other)
            }
            Expr::Slice(s) => {
                let id = self.b.open(sp);
                for x in [&s.lower, &s.upper, &s.step].into_iter().flatten() {
                    self.expr(x);
                }
                self.b.close(id, Kind::Other)
            }
        }
    }

    fn missing(&mut self, sp: Span) -> NodeId {
        self.b
            .leaf(Span::new(sp.end as usize, sp.end as usize), Kind::Other)
    }

    /// `a and b and c`: `Binary(Binary(a, b), c)`, as tree-sitter nests it.
    fn bool_op(&mut self, sp: Span, b: &ast::ExprBoolOp) -> NodeId {
        let op = match b.op {
            ast::BoolOp::And => BinOp::And,
            ast::BoolOp::Or => BinOp::Or,
        };
        let n = b.values.len();
        if n < 2 {
            let id = self.b.open(sp);
            for v in &b.values {
                self.expr(v);
            }
            return self.b.close(id, Kind::Other);
        }
        // open the n-1 nested nodes, outermost first
        let mut ids = Vec::with_capacity(n - 1);
        let mut extra = 0;
        for k in (1..n).rev() {
            let end = if k == n - 1 {
                sp.end as usize
            } else {
                self.close_parens(b.values[k].end().to_usize())
            };
            ids.push(self.b.open(Span::new(sp.start as usize, end)));
            if k < n - 1 {
                extra += 1;
                if !self.enter() {
                    // too deep: the error is reported, the tree is dropped
                }
            }
        }
        let mut lhs = self.expr(&b.values[0]);
        for (i, v) in b.values[1..].iter().enumerate() {
            let rhs = self.expr(v);
            let id = ids[n - 2 - i];
            lhs = self.b.close(id, Kind::Binary { op, lhs, rhs });
        }
        self.depth -= extra;
        lhs
    }

    fn call(&mut self, c: &ast::ExprCall) -> NodeId {
        let sp = span(c.range());
        let id = self.b.open(sp);
        let callee = self.expr(&c.func);
        let mut args = Vec::new();
        let a = &c.arguments;
        // `sum(x for x in y)`: the generator spans the call's parentheses
        if let ([Expr::Generator(g)], true) = (&*a.args, a.keywords.is_empty()) {
            if !g.parenthesized {
                let value = if self.enter() {
                    let gen_span = span(a.range);
                    self.comprehension(gen_span, &[&g.elt], &g.generators)
                } else {
                    self.b.leaf(span(a.range), Kind::Other)
                };
                self.depth -= 1;
                args.push(Arg {
                    name: None,
                    value,
                    spread: false,
                });
                return self
                    .b
                    .close(id, Kind::Call(Box::new(Call::plain(callee, args))));
            }
        }
        let (mut pos, mut kw) = (a.args.iter().peekable(), a.keywords.iter().peekable());
        loop {
            let take_pos = match (pos.peek(), kw.peek()) {
                (Some(p), Some(k)) => p.start() <= k.start(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_pos {
                let p = pos.next().unwrap();
                let arg = match p {
                    Expr::Starred(s) => Arg {
                        name: None,
                        value: self.expr(&s.value),
                        spread: true,
                    },
                    x => Arg {
                        name: None,
                        value: self.expr(x),
                        spread: false,
                    },
                };
                args.push(arg);
            } else {
                let k = kw.next().unwrap();
                let name = k.arg.as_ref().map(|n| self.src(n.range).to_string());
                let spread = name.is_none();
                let value = self.expr(&k.value);
                args.push(Arg {
                    name,
                    value,
                    spread,
                });
            }
        }
        self.b
            .close(id, Kind::Call(Box::new(Call::plain(callee, args))))
    }

    fn dict(&mut self, sp: Span, d: &ast::ExprDict) -> NodeId {
        let id = self.b.open(sp);
        let mut entries = Vec::with_capacity(d.items.len());
        for item in &d.items {
            let end = self.close_parens(item.value.end().to_usize());
            match &item.key {
                Some(k) => {
                    let start = self.open_parens(k.start().to_usize());
                    let key_node = self.expr(k);
                    let value = self.expr(&item.value);
                    let key = match self.b.kind(key_node) {
                        Kind::Str(st) if st.kind == StrKind::Plain => Some(st.value.clone()),
                        _ => None,
                    };
                    entries.push(Entry {
                        key,
                        key_node: Some(key_node),
                        value,
                        span: Span::new(start, end),
                    });
                }
                None => {
                    let start = self.prefixed(item.value.start().to_usize(), "**");
                    let value = self.expr(&item.value);
                    entries.push(Entry {
                        key: None,
                        key_node: None,
                        value,
                        span: Span::new(start, end),
                    });
                }
            }
        }
        self.b.close(id, Kind::Object { ty: None, entries })
    }

    /// A string, bytes, f-string or t-string literal, implicitly concatenated or not.
    fn string(&mut self, e: &Expr) -> NodeId {
        let id = self.b.open(span(e.range()));
        let mut value = String::new();
        let mut parts = Vec::new();
        match e {
            Expr::StringLiteral(s) => {
                for p in s.value.iter() {
                    self.literal_part(p.range, &mut value);
                }
            }
            Expr::BytesLiteral(s) => {
                for p in s.value.iter() {
                    self.literal_part(p.range, &mut value);
                }
            }
            Expr::FString(s) => {
                for p in s.value.iter() {
                    match p {
                        ast::FStringPart::Literal(l) => self.literal_part(l.range, &mut value),
                        ast::FStringPart::FString(f) => {
                            self.interpolated(f.range, &f.elements, &mut value, &mut parts)
                        }
                    }
                }
            }
            Expr::TString(s) => {
                for t in s.value.iter() {
                    self.interpolated(t.range, &t.elements, &mut value, &mut parts);
                }
            }
            _ => {}
        }
        let kind = if parts.is_empty() {
            StrKind::Plain
        } else {
            StrKind::Interpolated
        };
        self.b
            .close(id, Kind::Str(Box::new(Str { value, kind, parts })))
    }

    /// The prefix (`rb`, `f`) and the quote length of a literal part.
    fn opener(&self, r: TextRange) -> (&'s str, usize) {
        let t = self.src(r);
        let q = t.find(['\'', '"']).unwrap_or(t.len());
        let rest = &t[q..];
        let quote = if rest.starts_with("'''") || rest.starts_with("\"\"\"") {
            3
        } else {
            1
        };
        (&t[..q], quote)
    }

    fn literal_part(&mut self, r: TextRange, value: &mut String) {
        let t = self.src(r);
        let (prefix, quote) = self.opener(r);
        let raw = prefix.contains(['r', 'R']);
        let fstr = prefix.contains(['f', 'F', 't', 'T']);
        let from = prefix.len() + quote;
        let rest = t.get(from..).unwrap_or("");
        let q = &t[prefix.len()..(prefix.len() + quote).min(t.len())];
        let content = rest.strip_suffix(q).unwrap_or(rest);
        super::python::push_content(value, content, raw, fstr);
    }

    fn interpolated(
        &mut self,
        r: TextRange,
        elements: &ast::InterpolatedStringElements,
        value: &mut String,
        parts: &mut Vec<NodeId>,
    ) {
        let (prefix, _) = self.opener(r);
        let raw = prefix.contains(['r', 'R']);
        for el in elements {
            match el {
                InterpolatedStringElement::Literal(l) => {
                    super::python::push_content(value, self.src(l.range), raw, true)
                }
                InterpolatedStringElement::Interpolation(i) => {
                    value.push_str("{}");
                    parts.push(self.expr(&i.expression));
                    // `{x:>{width}}`: nested values are children, not parts
                    if let Some(spec) = &i.format_spec {
                        for s in &spec.elements {
                            if let InterpolatedStringElement::Interpolation(si) = s {
                                self.expr(&si.expression);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Lowers decorators (as children of the node being built).
    fn decorators(&mut self, decos: &[ast::Decorator]) -> Vec<Decorator> {
        let mut out = Vec::with_capacity(decos.len());
        for d in decos {
            let expr = &d.expression;
            let name = match expr {
                Expr::Call(c) => no_space(self.src(c.func.range())),
                x => no_space(self.src(x.range())),
            };
            let node = self.expr(expr);
            out.push(Decorator {
                name,
                node: Some(node),
                args: String::new(),
                span: Span::new(
                    d.range.start().to_usize(),
                    self.line_comment(d.range.end().to_usize()),
                ),
            });
        }
        out
    }

    fn function(&mut self, f: &ast::StmtFunctionDef) -> NodeId {
        let start = self.after_decorators(&f.decorator_list, f.range.start().to_usize());
        let id = self.b.open(Span::new(
            start,
            self.block_end(&f.body, f.range.end().to_usize()),
        ));
        let decorators = self.decorators(&f.decorator_list);
        let name = self.src(f.name.range).to_string();
        let mut head_end = f.name.range.end().to_usize();
        let mut params = Vec::new();
        self.params(&f.parameters, &mut params);
        head_end = head_end.max(f.parameters.range.end().to_usize());
        let returns = f.returns.as_deref().map(|r| {
            let t = self.with_parens(r.range());
            let end = t.as_ptr() as usize - self.text.as_ptr() as usize + t.len();
            head_end = head_end.max(end);
            one_line(t)
        });
        let mut body = Vec::new();
        self.block_into(&f.body, &mut body);
        let exported = !name.starts_with('_');
        self.b.close(
            id,
            Kind::Function(Box::new(Function {
                name: Some(name),
                is_async: f.is_async,
                params,
                decorators,
                returns,
                body,
                expr_body: None,
                exported,
                head: Span::new(start, head_end),
            })),
        )
    }

    fn lambda(&mut self, l: &ast::ExprLambda) -> NodeId {
        let sp = span(l.range);
        let id = self.b.open(sp);
        let start = sp.start as usize;
        let mut head_end = start + "lambda".len().min((sp.end - sp.start) as usize);
        let mut params = Vec::new();
        if let Some(p) = &l.parameters {
            self.params(p, &mut params);
            head_end = head_end.max(p.range.end().to_usize());
        }
        let expr_body = Some(self.expr(&l.body));
        self.b.close(
            id,
            Kind::Function(Box::new(Function {
                name: None,
                is_async: false,
                params,
                decorators: Vec::new(),
                returns: None,
                body: Vec::new(),
                expr_body,
                exported: false,
                head: Span::new(start, head_end),
            })),
        )
    }

    /// Parameters in source order; defaults are lowered as children of the function.
    fn params(&mut self, ps: &Parameters, out: &mut Vec<Param>) {
        let with_default = |lw: &mut Self, p: &ast::ParameterWithDefault, out: &mut Vec<Param>| {
            let ty = p
                .parameter
                .annotation
                .as_deref()
                .map(|a| one_line(lw.with_parens(a.range())));
            let default = p.default.as_deref().map(|d| lw.expr(d));
            let end = p.range.end().to_usize();
            out.push(Param {
                name: lw.src(p.parameter.name.range).to_string(),
                ty,
                default,
                decorators: Vec::new(),
                span: Span::new(p.range.start().to_usize(), end),
            });
        };
        let starred = |lw: &mut Self, p: &ast::Parameter, stars: &str, out: &mut Vec<Param>| {
            let start = lw.prefixed(p.range.start().to_usize(), stars);
            let start = start.min(p.range.start().to_usize());
            out.push(Param {
                name: lw.src(p.name.range).to_string(),
                ty: p
                    .annotation
                    .as_deref()
                    .map(|a| one_line(lw.with_parens(a.range()))),
                default: None,
                decorators: Vec::new(),
                span: Span::new(start, p.range.end().to_usize()),
            });
        };
        for p in ps.posonlyargs.iter().chain(ps.args.iter()) {
            with_default(self, p, out);
        }
        if let Some(v) = &ps.vararg {
            starred(self, v, "*", out);
        }
        for p in &ps.kwonlyargs {
            with_default(self, p, out);
        }
        if let Some(k) = &ps.kwarg {
            starred(self, k, "**", out);
        }
    }

    fn class(&mut self, c: &ast::StmtClassDef) -> NodeId {
        let start = self.after_decorators(&c.decorator_list, c.range.start().to_usize());
        let id = self.b.open(Span::new(
            start,
            self.block_end(&c.body, c.range.end().to_usize()),
        ));
        let decorators = self.decorators(&c.decorator_list);
        let name = self.src(c.name.range).to_string();
        let mut bases = Vec::new();
        if let Some(a) = &c.arguments {
            // bases as written; keyword arguments (`metaclass=`) and splats are lowered as
            // children but are not bases
            let (mut pos, mut kw) = (a.args.iter().peekable(), a.keywords.iter().peekable());
            loop {
                let take_pos = match (pos.peek(), kw.peek()) {
                    (Some(p), Some(k)) => p.start() <= k.start(),
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                if take_pos {
                    let p = pos.next().unwrap();
                    if !matches!(p, Expr::Starred(_)) {
                        bases.push(one_line(self.src(p.range())));
                    }
                    self.expr(p);
                } else {
                    let k = kw.next().unwrap();
                    let kid = if self.enter() {
                        let kid = self.b.open(span(k.range));
                        if let Some(n) = &k.arg {
                            let name = self.src(n.range).to_string();
                            self.b.leaf(span(n.range), Kind::Name(name));
                        }
                        self.expr(&k.value);
                        Some(kid)
                    } else {
                        None
                    };
                    if let Some(kid) = kid {
                        self.b.close(kid, Kind::Other);
                    }
                    self.depth -= 1;
                }
            }
        }
        let mut body = Vec::new();
        self.block_into(&c.body, &mut body);
        self.b.close(
            id,
            Kind::Class(Box::new(Class {
                name,
                bases,
                decorators,
                body,
            })),
        )
    }

    /// `for` and `while`: the loop node spans up to the end of the loop body; an `else:` body
    /// runs once, after the loop, so its statements follow the loop node in `out`.
    fn loop_stmt(&mut self, s: &Stmt, out: &mut Vec<NodeId>) {
        let (body, orelse) = match s {
            Stmt::For(f) => (&f.body, &f.orelse),
            Stmt::While(w) => (&w.body, &w.orelse),
            _ => return,
        };
        let end = self.block_end(body, s.end().to_usize());
        let id = self.b.open(Span::new(s.start().to_usize(), end));
        let mut bindings = Vec::new();
        let mut iter = None;
        let mut is_async = false;
        match s {
            Stmt::For(f) => {
                is_async = f.is_async;
                self.bindings(&f.target, &mut bindings);
                iter = Some(self.expr(&f.iter));
            }
            Stmt::While(w) => {
                self.expr(&w.test);
            }
            _ => {}
        }
        let mut lowered = Vec::new();
        self.block_into(body, &mut lowered);
        let kind = if matches!(s, Stmt::For(_)) {
            LoopKind::For
        } else {
            LoopKind::While
        };
        self.b.close(
            id,
            Kind::Loop(Box::new(Loop {
                kind,
                bindings,
                iter,
                body: lowered,
                is_async,
            })),
        );
        out.push(id);
        self.block_into(orelse, out);
    }

    /// Names bound by a target pattern (`order`, `k, v`, `(a, [b, *c])`), iteratively.
    fn bindings(&mut self, target: &Expr, out: &mut Vec<String>) {
        let mut stack = vec![target];
        while let Some(p) = stack.pop() {
            match p {
                Expr::Name(n) => out.push(self.src(n.range).to_string()),
                Expr::Tuple(ast::ExprTuple { elts, .. })
                | Expr::List(ast::ExprList { elts, .. }) => stack.extend(elts.iter().rev()),
                Expr::Starred(s) => stack.push(&s.value),
                _ => {}
            }
        }
    }

    fn comprehension(&mut self, sp: Span, elts: &[&Expr], gens: &[ast::Comprehension]) -> NodeId {
        let id = self.b.open(sp);
        let body = elts.iter().map(|x| self.expr(x)).collect();
        let mut bindings = Vec::new();
        let mut iter = None;
        let mut is_async = false;
        for g in gens {
            is_async |= g.is_async;
            self.bindings(&g.target, &mut bindings);
            let x = self.expr(&g.iter);
            iter.get_or_insert(x);
            for cond in &g.ifs {
                self.expr(cond);
            }
        }
        self.b.close(
            id,
            Kind::Loop(Box::new(Loop {
                kind: LoopKind::Comprehension,
                bindings,
                iter,
                body,
                is_async,
            })),
        )
    }

    fn with(&mut self, w: &ast::StmtWith) -> NodeId {
        let id = self.b.open(Span::new(
            w.range.start().to_usize(),
            self.block_end(&w.body, w.range.end().to_usize()),
        ));
        let mut items = Vec::new();
        let mut names = Vec::new();
        for item in &w.items {
            let name = match item.optional_vars.as_deref() {
                Some(Expr::Name(n)) => Some(self.src(n.range).to_string()),
                _ => None,
            };
            items.push(self.expr(&item.context_expr));
            names.push(name);
        }
        let mut body = Vec::new();
        self.block_into(&w.body, &mut body);
        self.b.close(
            id,
            Kind::With {
                items,
                names,
                body,
                is_async: w.is_async,
            },
        )
    }

    fn try_stmt(&mut self, t: &ast::StmtTry, s: &Stmt) -> NodeId {
        let id = self
            .b
            .open(Span::new(t.range.start().to_usize(), self.stmt_end(s)));
        let mut body = Vec::new();
        self.block_into(&t.body, &mut body);
        let mut handlers = Vec::new();
        for h in &t.handlers {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            handlers.push(self.catch(h));
        }
        // `else:` runs after the body when nothing was raised
        self.block_into(&t.orelse, &mut body);
        let mut finally = Vec::new();
        self.block_into(&t.finalbody, &mut finally);
        self.b.close(
            id,
            Kind::Try {
                body,
                handlers,
                finally,
            },
        )
    }

    fn catch(&mut self, h: &ast::ExceptHandlerExceptHandler) -> NodeId {
        let end = self.block_end(&h.body, h.range.end().to_usize());
        let id = self.b.open(Span::new(h.range.start().to_usize(), end));
        let mut types = Vec::new();
        match h.type_.as_deref() {
            Some(Expr::Tuple(t)) => {
                for x in &t.elts {
                    types.push(one_line(self.src(x.range())));
                }
            }
            Some(x) => types.push(one_line(self.src(x.range()))),
            None => {}
        }
        let binding = h.name.as_ref().map(|n| self.src(n.range).to_string());
        let mut body = Vec::new();
        self.block_into(&h.body, &mut body);
        self.b.close(
            id,
            Kind::Catch {
                types,
                binding,
                body,
            },
        )
    }

    /// `if`/`elif`/`else`: each `elif` is an `If` nested in the previous one's `els`.
    fn if_stmt(&mut self, i: &ast::StmtIf, s: &Stmt) -> NodeId {
        let end = self.stmt_end(s);
        let outer = self.b.open(Span::new(i.range.start().to_usize(), end));
        let mut chain: Vec<(NodeId, NodeId, Vec<NodeId>)> = Vec::new();
        let cond = self.expr(&i.test);
        let mut then = Vec::new();
        self.block_into(&i.body, &mut then);
        chain.push((outer, cond, then));
        let mut els = Vec::new();
        for clause in &i.elif_else_clauses {
            match &clause.test {
                Some(test) => {
                    let id = self.b.open(Span::new(clause.range.start().to_usize(), end));
                    let cond = self.expr(test);
                    let mut then = Vec::new();
                    self.block_into(&clause.body, &mut then);
                    chain.push((id, cond, then));
                }
                None => self.block_into(&clause.body, &mut els),
            }
        }
        while let Some((id, cond, then)) = chain.pop() {
            self.b.close(id, Kind::If { cond, then, els });
            els = vec![id];
        }
        outer
    }

    /// `match`: unmodelled, lowered as tree-sitter-python's nodes are: its subject, then per
    /// case the patterns (captures and dotted names as their names), the guard and the body.
    fn match_stmt(&mut self, m: &ast::StmtMatch, s: &Stmt) -> NodeId {
        let id = self
            .b
            .open(Span::new(m.range.start().to_usize(), self.stmt_end(s)));
        self.expr(&m.subject);
        for case in &m.cases {
            let end = self.block_end(&case.body, case.range.end().to_usize());
            let c = self.b.open(Span::new(case.range.start().to_usize(), end));
            self.case_pattern(&case.pattern);
            if let Some(g) = &case.guard {
                let start = self.prefixed(g.start().to_usize(), "if");
                let gid = self.b.open(Span::new(start, g.end().to_usize()));
                self.expr(g);
                self.b.close(gid, Kind::Other);
            }
            let mut v = Vec::new();
            self.block_into(&case.body, &mut v);
            self.b.close(c, Kind::Other);
        }
        self.b.close(id, Kind::Other)
    }

    /// tree-sitter's `case_pattern` wrapper around a pattern; a parenthesized one (not a
    /// sequence) it reads as a one-element tuple pattern of a `case_pattern`.
    fn case_pattern(&mut self, p: &ast::Pattern) {
        if !self.enter() {
            self.depth -= 1;
            return;
        }
        let t = self.with_parens(p.range());
        let start = t.as_ptr() as usize - self.text.as_ptr() as usize;
        let wide = Span::new(start, start + t.len());
        if wide != span(p.range()) {
            let id = self.b.open(wide);
            let tuple = self.b.open(wide);
            let inner = self.b.open(span(p.range()));
            self.pattern(p);
            self.b.close(inner, Kind::Other);
            self.b.close(tuple, Kind::Array(vec![inner]));
            self.b.close(id, Kind::Other);
        } else {
            let id = self.b.open(wide);
            self.pattern(p);
            self.b.close(id, Kind::Other);
        }
        self.depth -= 1;
    }

    fn dotted(&mut self, e: &Expr) {
        let id = self.b.open(span(e.range()));
        let mut segments = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::Attribute(a) => {
                    segments.push(a.attr.range);
                    cur = &a.value;
                }
                Expr::Name(n) => {
                    segments.push(n.range);
                    break;
                }
                _ => break,
            }
        }
        for r in segments.into_iter().rev() {
            let name = self.src(r).to_string();
            self.b.leaf(span(r), Kind::Name(name));
        }
        self.b.close(id, Kind::Other);
    }

    fn capture(&mut self, n: &ast::Identifier) {
        let id = self.b.open(span(n.range));
        let name = self.src(n.range).to_string();
        self.b.leaf(span(n.range), Kind::Name(name));
        self.b.close(id, Kind::Other);
    }

    fn pattern(&mut self, p: &ast::Pattern) {
        use ast::Pattern as P;
        if !self.enter() {
            self.depth -= 1;
            return;
        }
        let sp = span(p.range());
        match p {
            P::MatchValue(v) => match &*v.value {
                x @ (Expr::Attribute(_) | Expr::Name(_)) => self.dotted(x),
                // `case -1:` is the number alone
                Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub => {
                    self.expr(&u.operand);
                }
                x => {
                    self.expr(x);
                }
            },
            P::MatchSingleton(v) => {
                let kind = match v.value {
                    ast::Singleton::None => Kind::Null,
                    ast::Singleton::True => Kind::Bool(true),
                    ast::Singleton::False => Kind::Bool(false),
                };
                self.b.leaf(sp, kind);
            }
            P::MatchAs(a) => match (&a.pattern, &a.name) {
                (None, Some(n)) if n.id.as_str() != "_" => self.capture(n),
                (None, _) => {}
                (Some(inner), name) => {
                    let id = self.b.open(sp);
                    self.case_pattern(inner);
                    if let Some(n) = name {
                        let text = self.src(n.range).to_string();
                        self.b.leaf(span(n.range), Kind::Name(text));
                    }
                    self.b.close(id, Kind::Other);
                }
            },
            P::MatchOr(o) => {
                let id = self.b.open(sp);
                for x in &o.patterns {
                    self.pattern(x);
                }
                self.b.close(id, Kind::Other);
            }
            P::MatchSequence(q) => {
                let bracketed = self.src(q.range).starts_with(['[', '(']);
                let id = bracketed.then(|| self.b.open(sp));
                let mut items = Vec::new();
                for x in &q.patterns {
                    items.push(self.b.len() as NodeId);
                    self.case_pattern(x);
                }
                if let Some(id) = id {
                    self.b.close(id, Kind::Array(items));
                }
            }
            P::MatchStar(st) => {
                let id = self.b.open(sp);
                if let Some(n) = &st.name {
                    let text = self.src(n.range).to_string();
                    self.b.leaf(span(n.range), Kind::Name(text));
                }
                self.b.close(id, Kind::Other);
            }
            P::MatchMapping(m) => {
                let id = self.b.open(sp);
                for (k, v) in m.keys.iter().zip(&m.patterns) {
                    self.expr(k);
                    self.case_pattern(v);
                }
                if let Some(rest) = &m.rest {
                    let start = self.prefixed(rest.range.start().to_usize(), "**");
                    let rid = self.b.open(Span::new(start, rest.range.end().to_usize()));
                    let text = self.src(rest.range).to_string();
                    self.b.leaf(span(rest.range), Kind::Name(text));
                    self.b.close(rid, Kind::Other);
                }
                self.b.close(id, Kind::Other);
            }
            P::MatchClass(c) => {
                let id = self.b.open(sp);
                self.dotted(&c.cls);
                for x in &c.arguments.patterns {
                    self.case_pattern(x);
                }
                for k in &c.arguments.keywords {
                    let w = self.b.open(span(k.range));
                    let kid = self.b.open(span(k.range));
                    let text = self.src(k.attr.range).to_string();
                    self.b.leaf(span(k.attr.range), Kind::Name(text));
                    self.pattern(&k.pattern);
                    self.b.close(kid, Kind::Other);
                    self.b.close(w, Kind::Other);
                }
                self.b.close(id, Kind::Other);
            }
        }
        self.depth -= 1;
    }

    /// `import a.b as c, d`: one `Import` per module.
    fn import(&mut self, i: &ast::StmtImport, out: &mut Vec<NodeId>) {
        for a in &i.names {
            let module = no_space(self.src(a.name.range));
            let sp = if i.names.len() == 1 {
                span(i.range)
            } else {
                span(a.range)
            };
            let alias = match &a.asname {
                Some(n) => self.src(n.range).to_string(),
                None => module.clone(),
            };
            let names = vec![(String::new(), alias)];
            out.push(
                self.b
                    .leaf(sp, Kind::Import(Box::new(Import { module, names }))),
            );
        }
    }

    /// `from x.y import a as b, c`, `from . import z`, `from x import *`.
    fn import_from(&mut self, i: &ast::StmtImportFrom) -> NodeId {
        let mut module = ".".repeat(i.level as usize);
        if let Some(m) = &i.module {
            module.push_str(&no_space(self.src(m.range)));
        }
        let names = i
            .names
            .iter()
            .map(|a| {
                let name = no_space(self.src(a.name.range));
                let alias = match &a.asname {
                    Some(n) => self.src(n.range).to_string(),
                    None => name.clone(),
                };
                (name, alias)
            })
            .collect();
        self.b.leaf(
            span(i.range),
            Kind::Import(Box::new(Import { module, names })),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::DEFAULT_MAX_DEPTH as MAX_DEPTH;

    /// Both lowerers give the same nodes.
    fn same(src: &str) {
        let old = super::super::python::lower(src, MAX_DEPTH).expect("tree-sitter lowers");
        let new = lower(src, MAX_DEPTH).expect("ruff lowers");
        assert!(!old.has_errors && !new.has_errors, "{src}");
        assert_eq!(
            format!("{:?}", old.nodes),
            format!("{:?}", new.nodes),
            "{src}"
        );
    }

    #[test]
    fn tricky_constructs_lower_as_tree_sitter_lowers_them() {
        let cases = [
            "@app.get('/x')  # route\n@cache\nasync def f(a, /, b: (int | None) = 1, *args: int, c=2, **kw) -> (dict):\n    return a, b,\n    # trailing\n\n  # less indented\nx = 1\n",
            "class A(B, metaclass=M, *mixins, **opts):\n    x: int = 1\n    y: str\n    def g(self): return self.x  # same line\n",
            "a = b = c[1:2, ::3] = (d) = f(*xs, k=v, **kw)\n(e[k]) = 1\nx += 1; y = 2;\n",
            "s = f'{x!r:>{w}} {{lit}} {y=}' 'plain\\n'\nb = rb'\\x00' b'a' b'\\n'\nu = u'\\u00e9'\nt = '''multi\nline''' \"\"\"x\"\"\"\n",
            "v = [i async for i in g() if not i if i > -1] or {k: v for k, (v, *w) in d.items()}\nsum(x for x in y)\nz = (a for a in b)\n",
            "if a and b and (c or d) and e:\n    pass\nelif x < y < z:\n    f()\n# between\nelif y:\n    g()\nelse:\n    h()\n    # in else\n",
            "for i, (j, k) in enumerate(x):\n    continue\nelse:\n    done()\nwhile not ok:\n    break\n",
            "with a() as b, c as (d, e), f:\n    pass\nasync def h():\n    async with s() as t:\n        await t.x\n    async for q in r:\n        yield q\n    yield from w\n",
            "try:\n    x()\nexcept (A, B) as e:\n    raise C from e\nexcept D:\n    pass\nexcept:\n    pass\nelse:\n    y()\nfinally:\n    z()\n",
            "import a.b as c, d\nfrom . import x\nfrom ..m import (y as z, w)\nfrom __future__ import annotations\nfrom q import *\nglobal g\ndel a, b\nassert x, 'm'\nlambda: 0\nf = lambda a, *b, c=1, **d: a if b else c\nx = {'a': 1, **b, ('c'): (2)}\n...\n",
            "match cmd:\n    case Point(x=0, y=y) as p if p:\n        f()\n    case [a, *rest] | {'k': v, **kw}:\n        pass\n    case None | True | 'x' | -1:\n        pass\n    case _:\n        g()\n",
            "x = 0x10 + 1_000 + 1e3 + 2j + .5\ny = -x, +x, ~x, not x\nz = a @ b ** c // d % e\n",
        ];
        for src in cases {
            same(src);
        }
    }

    #[test]
    fn bracket_depth_counts_every_bracket() {
        assert_eq!(bracket_depth("f(g([1], {2: (3)}))"), 4);
        assert_eq!(bracket_depth(") ] } (x)"), 1);
        assert_eq!(bracket_depth("s = '((('  # ((\n"), 5);
        let nested = format!("x = {}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(lower(&nested, MAX_DEPTH).is_ok());
    }

    #[test]
    fn syntax_errors_and_deep_files() {
        let ast = lower("def f(:\n    x = \n", MAX_DEPTH).unwrap();
        assert!(ast.has_errors);
        assert!(ast.syntax_error.is_some());
        let ast = lower("x = 1\n", MAX_DEPTH).unwrap();
        assert!(!ast.has_errors && ast.syntax_error.is_none());
        // deep files: a notice, never a crash, also where the lowering does not look (an
        // annotation) and on a worker's stack
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let n = 100_000;
                for src in [
                    format!("x = {}1{}", "[".repeat(n), "]".repeat(n)),
                    format!("x: {}int{}", "list[".repeat(n), "]".repeat(n)),
                    format!("x = 1{}", " + 1".repeat(n)),
                    format!("x = {}", "lambda: ".repeat(n)) + "1",
                    // ruff makes no node for parentheses: refused before the parse
                    format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
                ] {
                    assert!(matches!(
                        lower(&src, MAX_DEPTH),
                        Err(ParseError::TooDeep(MAX_DEPTH))
                    ));
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
