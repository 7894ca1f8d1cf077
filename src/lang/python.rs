//! Python: tree-sitter-python, lowered into [`crate::ast`].
//!
//! The lowering walks the concrete tree once with a single [`TreeCursor`]; each node's children
//! are collected onto a shared scratch stack (`kids`) that is truncated back when the node is
//! done, so no per-node allocation happens for the walk itself. Recursion depth is counted and
//! capped (`max-nesting-depth`) so pathological input yields [`ParseError::TooDeep`] instead of
//! a stack overflow.

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Node as TsNode, Parser, Tree};

use super::{number_value, FieldWalk, Kid, Kids, ParseError};
use crate::ast::{
    Arg, Ast, BinOp, Builder, Call, Class, Decorator, Entry, Function, Import, Kind, Lang, Loop,
    LoopKind, NodeId, Param, Str, StrKind, UnOp,
};
use crate::source::Span;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(new_parser());
}

fn new_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("tree-sitter-python grammar matches the tree-sitter ABI");
    parser
}

fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(text, None))
}

/// Parses and lowers a Python file nested at most `max_depth` levels deep.
pub fn lower(text: &str, max_depth: usize) -> Result<Ast, ParseError> {
    lower_with(text, super::SLICING, max_depth)
}

/// Where a Python file may be cut without parsing it (see [`super::line_slices`]).
const CUTS: super::Cuts = super::Cuts {
    starts: b"_@",
    continues: &["else", "elif", "except", "finally"],
    attaches: &["@"],
};

fn lower_with(text: &str, slicing: super::Slicing, max_depth: usize) -> Result<Ast, ParseError> {
    if let Some(ranges) = super::line_slices(text, slicing, &CUTS) {
        if let Some(ast) = lower_slices(text, &ranges, max_depth)? {
            return Ok(ast);
        }
    }
    let no_tree = || ParseError::Syntax("tree-sitter produced no tree".to_string());
    let mut tree = parse(text).ok_or_else(no_tree)?;
    if let Some(ranges) = super::slices(tree.root_node(), text.len(), slicing) {
        drop(tree);
        if let Some(ast) = lower_slices(text, &ranges, max_depth)? {
            return Ok(ast);
        }
        tree = parse(text).ok_or_else(no_tree)?;
    }
    let root = tree.root_node();
    let mut lw = Lowerer {
        text,
        f: fields(),
        b: Builder::new(),
        kids: Kids::new(root),
        pool: Vec::new(),
        depth: 0,
        max_depth,
        too_deep: false,
    };
    let module = lw.b.open(Span::new(0, text.len()));
    let mut body = Vec::new();
    lw.block_into(root, &mut body);
    lw.b.close(module, Kind::Module(body));
    if lw.too_deep {
        return Err(ParseError::TooDeep(max_depth));
    }
    let mut ast = lw.b.finish(Lang::Python, root.has_error());
    ast.syntax_error = super::first_syntax_error(root, text);
    Ok(ast)
}

/// Lowers an error-free file a slice of top-level statements at a time (see
/// [`super::SLICING`]); `None` when a slice does not parse cleanly on its own.
fn lower_slices(
    text: &str,
    ranges: &[tree_sitter::Range],
    max_depth: usize,
) -> Result<Option<Ast>, ParseError> {
    let mut b = Builder::new();
    let module = b.open(Span::new(0, text.len()));
    let mut body = Vec::new();
    let mut pool = Vec::new();
    for &r in ranges {
        let Some(tree) = PARSER.with(|p| super::parse_range(&mut p.borrow_mut(), text, r)) else {
            return Ok(None);
        };
        let root = tree.root_node();
        if root.has_error() {
            return Ok(None);
        }
        let mut lw = Lowerer {
            text,
            f: fields(),
            b,
            kids: Kids::new(root),
            pool,
            depth: 0,
            max_depth,
            too_deep: false,
        };
        lw.block_into(root, &mut body);
        if lw.too_deep {
            return Err(ParseError::TooDeep(max_depth));
        }
        b = lw.b;
        pool = lw.pool;
    }
    b.close(module, Kind::Module(body));
    Ok(Some(b.finish(Lang::Python, false)))
}

/// Parse only (no lowering), for the parse-floor benchmark.
pub fn parse_only(text: &str) -> bool {
    parse(text).is_some()
}

/// Field ids of the grammar, resolved once.
struct Fields {
    alias: u16,
    alternative: u16,
    argument: u16,
    arguments: u16,
    attribute: u16,
    body: u16,
    condition: u16,
    consequence: u16,
    definition: u16,
    expression: u16,
    function: u16,
    key: u16,
    left: u16,
    module_name: u16,
    name: u16,
    object: u16,
    operator: u16,
    parameters: u16,
    return_type: u16,
    right: u16,
    subscript: u16,
    superclasses: u16,
    type_: u16,
    value: u16,
}

fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let lang: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        // A missing field maps to an id no child ever has (0 means "no field").
        let id = |name: &str| lang.field_id_for_name(name).map_or(u16::MAX, |f| f.get());
        Fields {
            alias: id("alias"),
            alternative: id("alternative"),
            argument: id("argument"),
            arguments: id("arguments"),
            attribute: id("attribute"),
            body: id("body"),
            condition: id("condition"),
            consequence: id("consequence"),
            definition: id("definition"),
            expression: id("expression"),
            function: id("function"),
            key: id("key"),
            left: id("left"),
            module_name: id("module_name"),
            name: id("name"),
            object: id("object"),
            operator: id("operator"),
            parameters: id("parameters"),
            return_type: id("return_type"),
            right: id("right"),
            subscript: id("subscript"),
            superclasses: id("superclasses"),
            type_: id("type"),
            value: id("value"),
        }
    })
}

/// The kind name of a node (see [`super::KindNames`]).
fn kind<'t>(n: TsNode<'t>) -> &'t str {
    static NAMES: OnceLock<super::KindNames> = OnceLock::new();
    NAMES
        .get_or_init(|| super::KindNames::new(&tree_sitter_python::LANGUAGE.into()))
        .of(n)
}

fn span(n: TsNode) -> Span {
    Span::new(n.start_byte(), n.end_byte())
}

/// Type annotations and dotted names as one line: whitespace runs collapse to one space
/// (none inside dotted names, see [`no_space`]).
pub(super) fn one_line(s: &str) -> String {
    if !s.contains(['\n', '\r', '\t', '\\']) && !s.contains("  ") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| c.is_whitespace() || c == '\\')
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Dotted paths (`app.get`, `.models`, `os.path`) without any whitespace or line continuation.
pub(super) fn no_space(s: &str) -> String {
    if !s.contains(|c: char| c.is_whitespace() || c == '\\') {
        return s.to_string();
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .collect()
}

/// Appends a string literal's content, resolving the common escapes (`\n`, `\t`, `\r`, `\\`,
/// `\'`, `\"`, line continuations) unless raw, and `{{`/`}}` in f-strings. Other escapes stay
/// as written.
pub(crate) fn push_content(out: &mut String, s: &str, raw: bool, fstr: bool) {
    let special = |c: char| (!raw && c == '\\') || (fstr && (c == '{' || c == '}'));
    if !s.contains(special) {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !raw => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some('\'') => out.push('\''),
                Some('"') => out.push('"'),
                Some('\n') => {}
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                }
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            },
            '{' | '}' if fstr => {
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
}

struct Lowerer<'t> {
    text: &'t str,
    f: &'static Fields,
    b: Builder,
    kids: Kids<'t>,
    /// Reusable id vectors for children that no kind field keeps.
    pool: Vec<Vec<NodeId>>,
    depth: usize,
    max_depth: usize,
    too_deep: bool,
}

impl<'t> FieldWalk<'t> for Lowerer<'t> {
    fn kids(&mut self) -> &mut Kids<'t> {
        &mut self.kids
    }

    /// Recovery `ERROR` children a specific lowering does not look at are lowered, so their
    /// contents are not lost.
    fn stray(&mut self, k: Kid<'t>) {
        self.expr(k.n);
    }
}

impl<'t> Lowerer<'t> {
    fn text(&self, n: TsNode) -> &'t str {
        self.text.get(n.byte_range()).unwrap_or("")
    }

    /// The first named, non-extra child.
    fn first_named(&mut self, n: TsNode<'t>) -> Option<TsNode<'t>> {
        let s = self.kids.push(n, true);
        let found = (self.kids.len() > s).then(|| self.kids.get(s).n);
        self.kids.truncate(s);
        found
    }

    /// `id`, or an empty `Other` leaf at the end of `n` for a child the parser did not find.
    fn or_missing(&mut self, id: Option<NodeId>, n: TsNode<'t>) -> NodeId {
        match id {
            Some(id) => id,
            None => self.missing(n),
        }
    }

    fn take_vec(&mut self) -> Vec<NodeId> {
        self.pool.pop().unwrap_or_default()
    }

    fn give_vec(&mut self, mut v: Vec<NodeId>) {
        v.clear();
        self.pool.push(v);
    }

    /// Lowers the statements (or any named children) of `n` into `out`.
    fn block_into(&mut self, n: TsNode<'t>, out: &mut Vec<NodeId>) {
        self.each_kid(n, true, |lw, k| lw.stmt(k.n, out));
    }

    /// Lowers one statement into a statement list: blocks and expression statements are
    /// flattened, `pass` dropped, `import a, b` gives one node per module, and a loop's `else`
    /// body follows the loop.
    fn stmt(&mut self, n: TsNode<'t>, out: &mut Vec<NodeId>) {
        match kind(n) {
            "comment" | "line_continuation" | "pass_statement" => {}
            "expression_statement" | "block" | "module" => {
                if self.enter() {
                    self.block_into(n, out);
                }
                self.depth -= 1;
            }
            "import_statement" => self.import(n, out),
            "for_statement" | "while_statement" => {
                if self.enter() {
                    self.loop_stmt(n, out);
                }
                self.depth -= 1;
            }
            _ => {
                let id = self.expr(n);
                out.push(id);
            }
        }
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

    /// Lowers `n` into exactly one node.
    fn expr(&mut self, n: TsNode<'t>) -> NodeId {
        let id = if self.enter() {
            self.expr_inner(n)
        } else {
            self.b.leaf(span(n), Kind::Other)
        };
        self.depth -= 1;
        id
    }

    fn expr_inner(&mut self, n: TsNode<'t>) -> NodeId {
        match kind(n) {
            "identifier" => {
                let name = self.text(n).to_string();
                self.b.leaf(span(n), Kind::Name(name))
            }
            "attribute" => self.member(n),
            "call" => self.call(n),
            "string" | "concatenated_string" => self.string(n),
            "integer" | "float" => {
                let value = number_value(self.text(n));
                self.b.leaf(span(n), Kind::Number(value))
            }
            "not_operator" | "unary_operator" => self.unary(n),
            "break_statement" => self.b.leaf(span(n), Kind::Break(None)),
            "continue_statement" => self.b.leaf(span(n), Kind::Continue),
            "true" => self.b.leaf(span(n), Kind::Bool(true)),
            "false" => self.b.leaf(span(n), Kind::Bool(false)),
            "none" => self.b.leaf(span(n), Kind::Null),
            "parenthesized_expression" => match self.first_named(n) {
                Some(inner) => self.expr(inner),
                None => self.b.leaf(span(n), Kind::Other),
            },
            "subscript" => self.index(n),
            "binary_operator" | "boolean_operator" => self.binary(n),
            "comparison_operator" => self.compare(n),
            "await" => self.await_expr(n),
            "dictionary" => self.dict(n),
            "list" | "tuple" | "set" | "expression_list" | "pattern_list" | "tuple_pattern"
            | "list_pattern" => self.array(n),
            "assignment" | "augmented_assignment" => self.assign(n),
            "named_expression" => self.walrus(n),
            "function_definition" => self.function(n, &[]),
            "lambda" => self.lambda(n),
            "class_definition" => self.class(n, &[]),
            "decorated_definition" => self.decorated(n),
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => self.comprehension(n),
            "with_statement" => self.with(n),
            "try_statement" => self.try_stmt(n),
            "if_statement" => self.if_stmt(n),
            "return_statement" => self.return_stmt(n),
            "import_from_statement" | "future_import_statement" => self.import_from(n),
            "import_statement"
            | "for_statement"
            | "while_statement"
            | "expression_statement"
            | "block" => {
                // Statement lists outside a statement list (only reachable in odd recovery
                // trees): keep them under one node.
                let id = self.b.open(span(n));
                let mut v = self.take_vec();
                self.stmt(n, &mut v);
                self.give_vec(v);
                self.b.close(id, Kind::Other)
            }
            _ => self.other(n),
        }
    }

    /// Anything not modelled: `Other` with its named children lowered.
    fn other(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        if n.named_child_count() > 0 {
            let mut v = self.take_vec();
            self.block_into(n, &mut v);
            self.give_vec(v);
        }
        self.b.close(id, Kind::Other)
    }

    fn missing(&mut self, n: TsNode<'t>) -> NodeId {
        self.b
            .leaf(Span::new(n.end_byte(), n.end_byte()), Kind::Other)
    }

    fn member(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut object = None;
        let mut property = String::new();
        self.each_field(n, |lw, k| {
            if k.field == f.object {
                object = Some(lw.expr(k.n));
            } else if k.field == f.attribute {
                property = lw.text(k.n).to_string();
            }
        });
        let object = self.or_missing(object, n);
        self.b.close(id, Kind::Member { object, property })
    }

    fn call(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut callee = None;
        let mut args = Vec::new();
        self.each_field(n, |lw, k| {
            if k.field == f.function {
                callee = Some(lw.expr(k.n));
            } else if k.field == f.arguments {
                if kind(k.n) == "argument_list" {
                    lw.args(k.n, &mut args);
                } else {
                    // `sum(x for x in y)`: the generator is the one argument.
                    let value = lw.expr(k.n);
                    args.push(Arg {
                        name: None,
                        value,
                        spread: false,
                    });
                }
            }
        });
        let callee = self.or_missing(callee, n);
        self.b.close(
            id,
            Kind::Call(Box::new(Call {
                callee,
                args,
                is_new: false,
                is_macro: false,
                is_tagged: false,
            })),
        )
    }

    fn args(&mut self, list: TsNode<'t>, args: &mut Vec<Arg>) {
        let f = self.f;
        self.each_kid(list, true, |lw, k| match kind(k.n) {
            "keyword_argument" => {
                let mut name = None;
                let mut value = None;
                lw.each_kid(k.n, false, |lw, kk| {
                    if kk.field == f.name {
                        name = Some(lw.text(kk.n).to_string());
                    } else if kk.field == f.value {
                        value = Some(lw.expr(kk.n));
                    }
                });
                let value = lw.or_missing(value, k.n);
                args.push(Arg {
                    name,
                    value,
                    spread: false,
                });
            }
            "list_splat" | "dictionary_splat" => {
                let value = match lw.first_named(k.n) {
                    Some(inner) => lw.expr(inner),
                    None => lw.missing(k.n),
                };
                args.push(Arg {
                    name: None,
                    value,
                    spread: true,
                });
            }
            _ => {
                let value = lw.expr(k.n);
                args.push(Arg {
                    name: None,
                    value,
                    spread: false,
                });
            }
        });
    }

    fn index(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut object = None;
        let mut index = None;
        self.each_field(n, |lw, k| {
            if k.field == f.value {
                object = Some(lw.expr(k.n));
            } else if k.field == f.subscript {
                // `a[x, y]`: the first subscript is the index, the others are extra children.
                let sub = lw.expr(k.n);
                index.get_or_insert(sub);
            }
        });
        let object = self.or_missing(object, n);
        let index = self.or_missing(index, n);
        self.b.close(id, Kind::Index { object, index })
    }

    fn binary(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut lhs = None;
        let mut rhs = None;
        let mut op = BinOp::Other;
        self.each_field(n, |lw, k| {
            if k.field == f.left {
                lhs = Some(lw.expr(k.n));
            } else if k.field == f.right {
                rhs = Some(lw.expr(k.n));
            } else if k.field == f.operator {
                op = match kind(k.n) {
                    "+" => BinOp::Add,
                    "%" => BinOp::Mod,
                    "and" => BinOp::And,
                    "or" => BinOp::Or,
                    _ => BinOp::Other,
                };
            }
        });
        let lhs = self.or_missing(lhs, n);
        let rhs = self.or_missing(rhs, n);
        self.b.close(id, Kind::Binary { op, lhs, rhs })
    }

    /// `a < b < c`: lhs is the first operand, rhs the second, further operands extra children.
    fn compare(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let mut lhs = None;
        let mut rhs = None;
        self.each_kid(n, true, |lw, k| {
            let x = lw.expr(k.n);
            if lhs.is_none() {
                lhs = Some(x);
            } else if rhs.is_none() {
                rhs = Some(x);
            }
        });
        let lhs = self.or_missing(lhs, n);
        let rhs = self.or_missing(rhs, n);
        self.b.close(
            id,
            Kind::Binary {
                op: BinOp::Compare,
                lhs,
                rhs,
            },
        )
    }

    /// `not x`, `-x`, `+x`, `~x`.
    fn unary(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut op = UnOp::Not;
        let mut operand = None;
        self.each_field(n, |lw, k| {
            if k.field == f.argument {
                operand = Some(lw.expr(k.n));
            } else if k.field == f.operator {
                op = match kind(k.n) {
                    "-" => UnOp::Neg,
                    _ => UnOp::Other,
                };
            }
        });
        let operand = self.or_missing(operand, n);
        self.b.close(id, Kind::Unary { op, operand })
    }

    fn await_expr(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let inner = match self.first_named(n) {
            Some(x) => self.expr(x),
            None => self.missing(n),
        };
        self.b.close(id, Kind::Await(inner))
    }

    fn array(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let mut items = Vec::new();
        self.each_kid(n, true, |lw, k| items.push(lw.expr(k.n)));
        self.b.close(id, Kind::Array(items))
    }

    fn dict(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut entries = Vec::new();
        self.each_kid(n, true, |lw, k| match kind(k.n) {
            "pair" => {
                let mut key_node = None;
                let mut value = None;
                lw.each_kid(k.n, false, |lw, kk| {
                    if kk.field == f.key {
                        key_node = Some(lw.expr(kk.n));
                    } else if kk.field == f.value {
                        value = Some(lw.expr(kk.n));
                    }
                });
                let value = lw.or_missing(value, k.n);
                let key = key_node.and_then(|kn| match lw.b.kind(kn) {
                    Kind::Str(st) if st.kind == StrKind::Plain => Some(st.value.clone()),
                    _ => None,
                });
                entries.push(Entry {
                    key,
                    key_node,
                    value,
                    span: span(k.n),
                });
            }
            "dictionary_splat" => {
                let value = match lw.first_named(k.n) {
                    Some(inner) => lw.expr(inner),
                    None => lw.missing(k.n),
                };
                entries.push(Entry {
                    key: None,
                    key_node: None,
                    value,
                    span: span(k.n),
                });
            }
            _ => {
                // Recovery leftovers: keep them as children.
                lw.expr(k.n);
            }
        });
        self.b.close(id, Kind::Object { ty: None, entries })
    }

    fn assign(&mut self, n: TsNode<'t>) -> NodeId {
        let augmented = kind(n) == "augmented_assignment";
        self.assign_of(n, self.f.left, self.f.right, augmented)
    }

    /// `(name := value)`
    fn walrus(&mut self, n: TsNode<'t>) -> NodeId {
        self.assign_of(n, self.f.name, self.f.value, false)
    }

    /// An `Assign` of the child in field `target` and the one in field `value`.
    fn assign_of(&mut self, n: TsNode<'t>, target: u16, value: u16, augmented: bool) -> NodeId {
        let id = self.b.open(span(n));
        let (mut t, mut v) = (None, None);
        self.each_field(n, |lw, k| {
            if k.field == target {
                t = Some(lw.expr(k.n));
            } else if k.field == value {
                v = Some(lw.expr(k.n));
            }
        });
        let target = self.or_missing(t, n);
        self.b.close(
            id,
            Kind::Assign {
                target,
                value: v,
                declared: false,
                augmented,
            },
        )
    }

    fn string(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let mut value = String::new();
        let mut parts = Vec::new();
        if kind(n) == "concatenated_string" {
            self.each_kid(n, true, |lw, k| {
                if kind(k.n) == "string" {
                    lw.string_part(k.n, &mut value, &mut parts);
                }
            });
        } else {
            self.string_part(n, &mut value, &mut parts);
        }
        // An f-string without any `{}` is as plain as any other literal.
        let kind = if parts.is_empty() {
            StrKind::Plain
        } else {
            StrKind::Interpolated
        };
        self.b
            .close(id, Kind::Str(Box::new(Str { value, kind, parts })))
    }

    /// One `string` node: appends its value, lowers its interpolations into `parts`.
    fn string_part(&mut self, n: TsNode<'t>, value: &mut String, parts: &mut Vec<NodeId>) {
        let f = self.f;
        let mut raw = false;
        let mut fstr = false;
        self.each_kid(n, true, |lw, k| match kind(k.n) {
            "string_start" => {
                for c in lw.text(k.n).bytes() {
                    match c {
                        b'r' | b'R' => raw = true,
                        b'f' | b'F' | b't' | b'T' => fstr = true,
                        _ => {}
                    }
                }
            }
            "string_content" => push_content(value, lw.text(k.n), raw, fstr),
            "interpolation" => {
                value.push_str("{}");
                lw.each_kid(k.n, false, |lw, kk| {
                    if kk.field == f.expression {
                        parts.push(lw.expr(kk.n));
                    } else if kind(kk.n) == "format_specifier" {
                        // `{x:>{width}}`: nested values are children, not parts.
                        lw.format_spec(kk.n);
                    }
                });
            }
            _ => {}
        });
    }

    fn format_spec(&mut self, n: TsNode<'t>) {
        let f = self.f;
        self.each_kid(n, true, |lw, k| {
            if kind(k.n) == "format_expression" {
                lw.each_kid(k.n, false, |lw, kk| {
                    if kk.field == f.expression {
                        lw.expr(kk.n);
                    }
                });
            }
        });
    }

    fn decorated(&mut self, n: TsNode<'t>) -> NodeId {
        let f = self.f;
        let mut decos = Vec::new();
        let mut def = None;
        self.each_kid(n, false, |_, k| {
            if k.field == f.definition {
                def = Some(k.n);
            } else if kind(k.n) == "decorator" {
                decos.push(k.n);
            }
        });
        match def {
            Some(d) if kind(d) == "function_definition" => self.function(d, &decos),
            Some(d) if kind(d) == "class_definition" => self.class(d, &decos),
            _ => self.other(n),
        }
    }

    /// Lowers decorators (as children of the node being built).
    fn decorators(&mut self, decos: &[TsNode<'t>]) -> Vec<Decorator> {
        let f = self.f;
        let mut out = Vec::with_capacity(decos.len());
        for &d in decos {
            let Some(expr) = self.first_named(d) else {
                continue;
            };
            let name = if kind(expr) == "call" {
                let mut callee = None;
                self.each_kid(expr, false, |_, k| {
                    if k.field == f.function && callee.is_none() {
                        callee = Some(k.n);
                    }
                });
                callee.map_or_else(String::new, |c| no_space(self.text(c)))
            } else {
                no_space(self.text(expr))
            };
            let node = self.expr(expr);
            out.push(Decorator {
                name,
                node: Some(node),
                args: String::new(),
                span: span(d),
            });
        }
        out
    }

    fn function(&mut self, n: TsNode<'t>, decos: &[TsNode<'t>]) -> NodeId {
        let id = self.b.open(span(n));
        let decorators = self.decorators(decos);
        let f = self.f;
        let mut first = true;
        let mut is_async = false;
        let mut name = None;
        let mut params = Vec::new();
        let mut returns = None;
        let mut body = Vec::new();
        let mut head_end = n.start_byte();
        self.each_field(n, |lw, k| {
            if std::mem::take(&mut first) {
                is_async = kind(k.n) == "async";
            }
            if k.field == f.name {
                name = Some(lw.text(k.n).to_string());
                head_end = head_end.max(k.n.end_byte());
            } else if k.field == f.parameters {
                lw.params(k.n, &mut params);
                head_end = head_end.max(k.n.end_byte());
            } else if k.field == f.return_type {
                returns = Some(one_line(lw.text(k.n)));
                head_end = head_end.max(k.n.end_byte());
            } else if k.field == f.body {
                lw.block_into(k.n, &mut body);
            }
        });
        let exported = name.as_deref().is_some_and(|n| !n.starts_with('_'));
        self.b.close(
            id,
            Kind::Function(Box::new(Function {
                name,
                is_async,
                params,
                decorators,
                returns,
                body,
                expr_body: None,
                exported,
                head: Span::new(n.start_byte(), head_end),
            })),
        )
    }

    fn lambda(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut params = Vec::new();
        let mut expr_body = None;
        let mut head_end = n.start_byte() + "lambda".len().min(n.end_byte() - n.start_byte());
        self.each_field(n, |lw, k| {
            if k.field == f.parameters {
                lw.params(k.n, &mut params);
                head_end = head_end.max(k.n.end_byte());
            } else if k.field == f.body {
                expr_body = Some(lw.expr(k.n));
            }
        });
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
                head: Span::new(n.start_byte(), head_end),
            })),
        )
    }

    /// `parameters` / `lambda_parameters`; defaults are lowered as children of the function.
    fn params(&mut self, n: TsNode<'t>, out: &mut Vec<Param>) {
        let f = self.f;
        self.each_kid(n, true, |lw, k| {
            let p = k.n;
            match kind(p) {
                "identifier"
                | "list_splat_pattern"
                | "dictionary_splat_pattern"
                | "tuple_pattern" => out.push(Param {
                    name: lw.param_name(p),
                    span: span(p),
                    ..Param::default()
                }),
                "typed_parameter" | "default_parameter" | "typed_default_parameter" => {
                    let mut param = Param {
                        span: span(p),
                        ..Param::default()
                    };
                    lw.each_kid(p, false, |lw, kk| {
                        if kk.field == f.type_ {
                            param.ty = Some(one_line(lw.text(kk.n)));
                        } else if kk.field == f.value {
                            param.default = Some(lw.expr(kk.n));
                        } else if (kk.field == f.name || kk.field == 0)
                            && kk.n.is_named()
                            && param.name.is_empty()
                        {
                            param.name = lw.param_name(kk.n);
                        }
                    });
                    out.push(param);
                }
                _ => {}
            }
        });
    }

    /// `x`, `*args` -> `args`, `**kw` -> `kw`.
    fn param_name(&self, p: TsNode) -> String {
        self.text(p)
            .trim_start_matches(|c: char| c == '*' || c.is_whitespace())
            .to_string()
    }

    fn class(&mut self, n: TsNode<'t>, decos: &[TsNode<'t>]) -> NodeId {
        let id = self.b.open(span(n));
        let decorators = self.decorators(decos);
        let f = self.f;
        let mut name = String::new();
        let mut bases = Vec::new();
        let mut body = Vec::new();
        self.each_field(n, |lw, k| {
            if k.field == f.name {
                name = lw.text(k.n).to_string();
            } else if k.field == f.superclasses {
                // Bases as written; keyword arguments (`metaclass=`) and splats are lowered as
                // children but are not bases.
                lw.each_kid(k.n, true, |lw, b| {
                    match kind(b.n) {
                        "keyword_argument" | "list_splat" | "dictionary_splat" => {}
                        _ => bases.push(one_line(lw.text(b.n))),
                    }
                    lw.expr(b.n);
                });
            } else if k.field == f.body {
                lw.block_into(k.n, &mut body);
            }
        });
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

    /// `for` and `while`. The loop node spans up to the end of the loop body; an `else:` body
    /// runs once, after the loop, so its statements follow the loop node in `out`.
    fn loop_stmt(&mut self, n: TsNode<'t>, out: &mut Vec<NodeId>) {
        let f = self.f;
        let loop_end = n
            .child_by_field_id(f.body)
            .map_or(n.end_byte(), |b| b.end_byte());
        let id = self.b.open(Span::new(n.start_byte(), loop_end));
        let is_for = kind(n) == "for_statement";
        let mut is_async = false;
        let mut bindings = Vec::new();
        let mut iter = None;
        let mut else_clause = None;
        let mut body = Vec::new();
        self.each_field(n, |lw, k| {
            if kind(k.n) == "async" {
                is_async = true;
            } else if k.field == f.left {
                lw.bindings(k.n, &mut bindings);
            } else if k.field == f.right {
                let x = lw.expr(k.n);
                iter.get_or_insert(x);
            } else if k.field == f.condition {
                lw.expr(k.n);
            } else if k.field == f.body {
                lw.block_into(k.n, &mut body);
            } else if k.field == f.alternative {
                else_clause = Some(k.n);
            }
        });
        let kind = if is_for {
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
                body,
                is_async,
            })),
        );
        out.push(id);
        if let Some(els) = else_clause {
            self.block_into(els, out);
        }
    }

    /// Names bound by a `for` target pattern (`order`, `k, v`, `(a, [b, *c])`). Iterative, so a
    /// pathological pattern cannot overflow the stack.
    fn bindings(&mut self, pattern: TsNode<'t>, out: &mut Vec<String>) {
        let mut stack = vec![pattern];
        while let Some(p) = stack.pop() {
            match kind(p) {
                "identifier" => out.push(self.text(p).to_string()),
                "pattern_list"
                | "tuple_pattern"
                | "list_pattern"
                | "list_splat_pattern"
                | "parenthesized_expression"
                | "tuple"
                | "list"
                | "expression_list"
                | "list_splat" => {
                    let at = stack.len();
                    self.each_kid(p, true, |_, k| stack.push(k.n));
                    stack[at..].reverse();
                }
                _ => {}
            }
        }
    }

    fn comprehension(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut bindings = Vec::new();
        let mut iter = None;
        let mut body = Vec::new();
        let mut is_async = false;
        self.each_field(n, |lw, k| {
            if k.field == f.body {
                // a dict comprehension's `key: value` pair is no node: both are the element
                if kind(k.n) == "pair" {
                    lw.each_kid(k.n, true, |lw, kv| body.push(lw.expr(kv.n)));
                } else {
                    body.push(lw.expr(k.n));
                }
                return;
            }
            match kind(k.n) {
                "for_in_clause" => lw.each_kid(k.n, false, |lw, kk| {
                    if kind(kk.n) == "async" {
                        is_async = true;
                    } else if kk.field == f.left {
                        lw.bindings(kk.n, &mut bindings);
                    } else if kk.field == f.right && kk.n.is_named() {
                        let x = lw.expr(kk.n);
                        iter.get_or_insert(x);
                    }
                }),
                "if_clause" => {
                    if let Some(cond) = lw.first_named(k.n) {
                        lw.expr(cond);
                    }
                }
                _ => {}
            }
        });
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

    fn with(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut items = Vec::new();
        let mut names = Vec::new();
        let mut body = Vec::new();
        let mut is_async = false;
        self.each_field(n, |lw, k| {
            if kind(k.n) == "async" {
                is_async = true;
            } else if k.field == f.body {
                lw.block_into(k.n, &mut body);
            } else if kind(k.n) == "with_clause" {
                lw.each_kid(k.n, false, |lw, item| {
                    if kind(item.n) != "with_item" {
                        return;
                    }
                    let Some(mut value) = lw.first_named(item.n) else {
                        return;
                    };
                    // `with a() as b`: the context expression is `a()`, bound to `b`.
                    let mut name = None;
                    if kind(value) == "as_pattern" {
                        let alias = value
                            .child_by_field_name("alias")
                            .map(|a| lw.text(a).trim())
                            .filter(|a| a.chars().all(|c| c.is_alphanumeric() || c == '_'));
                        name = alias.filter(|a| !a.is_empty()).map(str::to_string);
                        if let Some(ctx) = lw.first_named(value) {
                            value = ctx;
                        }
                    }
                    items.push(lw.expr(value));
                    names.push(name);
                });
            }
        });
        self.b.close(
            id,
            Kind::With {
                items,
                names,
                body,
                is_async,
            },
        )
    }

    fn try_stmt(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut body = Vec::new();
        let mut handlers = Vec::new();
        let mut finally = Vec::new();
        self.each_field(n, |lw, k| {
            if k.field == f.body {
                lw.block_into(k.n, &mut body);
                return;
            }
            match kind(k.n) {
                "except_clause" | "except_group_clause" => handlers.push(lw.catch(k.n)),
                // `else:` runs after the body when nothing was raised.
                "else_clause" => lw.block_into(k.n, &mut body),
                "finally_clause" => lw.block_into(k.n, &mut finally),
                _ => {}
            }
        });
        self.b.close(
            id,
            Kind::Try {
                body,
                handlers,
                finally,
            },
        )
    }

    fn catch(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut types = Vec::new();
        let mut binding = None;
        let mut body = Vec::new();
        self.each_field(n, |lw, k| {
            if k.field == f.alias {
                binding = Some(lw.text(k.n).to_string());
            } else if k.field == f.value {
                let mut t = k.n;
                // `except (A, B) as e` parses as an `as_pattern` value.
                if kind(t) == "as_pattern" {
                    lw.each_kid(k.n, false, |lw, pk| {
                        if pk.field == f.alias {
                            binding = Some(lw.text(pk.n).to_string());
                        } else if pk.n.is_named() && pk.field == 0 {
                            t = pk.n;
                        }
                    });
                }
                if kind(t) == "parenthesized_expression" {
                    t = lw.first_named(t).unwrap_or(t);
                }
                if kind(t) == "tuple" {
                    lw.each_kid(t, true, |lw, tk| types.push(one_line(lw.text(tk.n))));
                } else {
                    types.push(one_line(lw.text(t)));
                }
            } else if kind(k.n) == "block" {
                lw.block_into(k.n, &mut body);
            }
        });
        self.b.close(
            id,
            Kind::Catch {
                types,
                binding,
                body,
            },
        )
    }

    /// `if`/`elif`/`else`: each `elif` is an `If` nested in the previous one's `els`. Built
    /// iteratively so long `elif` chains do not recurse.
    fn if_stmt(&mut self, n: TsNode<'t>) -> NodeId {
        let f = self.f;
        let outer = self.b.open(span(n));
        let mut chain: Vec<(NodeId, NodeId, Vec<NodeId>)> = Vec::new();
        let mut els = Vec::new();
        let mut clause = n;
        let mut id = outer;
        let mut alternatives: Vec<TsNode<'t>> = Vec::new();
        self.each_kid(n, false, |_, k| {
            if k.field == f.alternative {
                alternatives.push(k.n);
            }
        });
        let mut alts = alternatives.into_iter();
        loop {
            // `clause` is the `if_statement` or an `elif_clause`: condition and consequence.
            let mut cond = None;
            let mut then = Vec::new();
            self.each_field(clause, |lw, k| {
                if k.field == f.condition {
                    cond = Some(lw.expr(k.n));
                } else if k.field == f.consequence {
                    lw.block_into(k.n, &mut then);
                }
            });
            let cond = self.or_missing(cond, clause);
            chain.push((id, cond, then));
            match alts.next() {
                Some(alt) if kind(alt) == "elif_clause" => {
                    clause = alt;
                    id = self.b.open(Span::new(alt.start_byte(), n.end_byte()));
                }
                Some(alt) => {
                    self.block_into(alt, &mut els);
                    // Anything after `else` (recovery only) stays inside too.
                    for rest in alts.by_ref() {
                        self.block_into(rest, &mut els);
                    }
                    break;
                }
                None => break,
            }
        }
        while let Some((id, cond, then)) = chain.pop() {
            self.b.close(id, Kind::If { cond, then, els });
            els = vec![id];
        }
        outer
    }

    fn return_stmt(&mut self, n: TsNode<'t>) -> NodeId {
        let id = self.b.open(span(n));
        let value = self.first_named(n).map(|v| self.expr(v));
        self.b.close(id, Kind::Return(value))
    }

    /// `import a.b as c, d`: one `Import` per module.
    fn import(&mut self, n: TsNode<'t>, out: &mut Vec<NodeId>) {
        let f = self.f;
        let mut modules = Vec::new();
        self.each_kid(n, false, |_, k| {
            if k.field == f.name {
                modules.push(k.n);
            }
        });
        for &k in &modules {
            let (module, alias) = self.import_name(k);
            let sp = if modules.len() == 1 { span(n) } else { span(k) };
            let alias = if alias.is_empty() {
                module.clone()
            } else {
                alias
            };
            let names = vec![(String::new(), alias)];
            out.push(
                self.b
                    .leaf(sp, Kind::Import(Box::new(Import { module, names }))),
            );
        }
    }

    /// `a.b` -> ("a.b", ""); `a.b as c` -> ("a.b", "c").
    fn import_name(&mut self, n: TsNode<'t>) -> (String, String) {
        if kind(n) != "aliased_import" {
            return (no_space(self.text(n)), String::new());
        }
        let f = self.f;
        let mut name = String::new();
        let mut alias = String::new();
        self.each_kid(n, false, |lw, k| {
            if k.field == f.name {
                name = no_space(lw.text(k.n));
            } else if k.field == f.alias {
                alias = lw.text(k.n).to_string();
            }
        });
        (name, alias)
    }

    /// `from x.y import a as b, c`, `from . import z`, `from x import *`,
    /// `from __future__ import annotations`.
    fn import_from(&mut self, n: TsNode<'t>) -> NodeId {
        let f = self.f;
        let mut module = if kind(n) == "future_import_statement" {
            "__future__".to_string()
        } else {
            String::new()
        };
        let mut names = Vec::new();
        self.each_kid(n, false, |lw, k| {
            if k.field == f.module_name {
                module = no_space(lw.text(k.n));
            } else if k.field == f.name {
                let (name, alias) = lw.import_name(k.n);
                let alias = if alias.is_empty() {
                    name.clone()
                } else {
                    alias
                };
                names.push((name, alias));
            } else if kind(k.n) == "wildcard_import" {
                names.push(("*".to_string(), "*".to_string()));
            }
        });
        self.b
            .leaf(span(n), Kind::Import(Box::new(Import { module, names })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::KindTag;
    use crate::lang::DEFAULT_MAX_DEPTH as MAX_DEPTH;

    fn lower(src: &str) -> Result<Ast, ParseError> {
        super::lower(src, MAX_DEPTH)
    }

    #[test]
    fn lowering_in_slices_gives_the_same_tree() {
        let sliced = super::super::assert_slicing_keeps_trees(&["py", "pyi"], lower, |t, s| {
            lower_with(t, s, MAX_DEPTH)
        });
        assert!(sliced > 50, "only {sliced} fixtures were lowered in slices");
        // and the slices did parse on their own (no fallback to the whole tree)
        let every = super::super::EVERY;
        let text = "import os\n\n@app.get('/')\ndef f():\n    return os.getcwd()\nx = f(); y = 2\n";
        let tree = parse(text).unwrap();
        let ranges = super::super::slices(tree.root_node(), text.len(), every).unwrap();
        assert_eq!(ranges.len(), 3);
        assert!(lower_slices(text, &ranges, MAX_DEPTH).unwrap().is_some());
        // cut from the text alone: not after a decorator, nor before `else`; a cut inside a
        // string leaves it unclosed in its slice, which then does not parse: lowered whole
        let text = "import os\n\n@app.get('/')\ndef f():\n    return 1\nif x:\n    pass\nelse:\n    pass\nDOC = '''\ndef g(): pass\n'''\n";
        let ranges = super::super::line_slices(text, every, &CUTS).unwrap();
        let starts: Vec<&str> = ranges
            .iter()
            .map(|r| text[r.start_byte..].lines().next().unwrap())
            .collect();
        assert_eq!(
            starts,
            [
                "import os",
                "@app.get('/')",
                "if x:",
                "DOC = '''",
                "def g(): pass"
            ]
        );
        assert!(lower_slices(text, &ranges, MAX_DEPTH).unwrap().is_none());
        let whole = lower(text).unwrap();
        let parts = lower_with(text, every, MAX_DEPTH).unwrap();
        assert_eq!(format!("{:?}", whole.nodes), format!("{:?}", parts.nodes));
        let clean = &text[..text.find("DOC").unwrap()];
        let ranges = super::super::line_slices(clean, every, &CUTS).unwrap();
        assert_eq!(ranges.len(), 3);
        assert!(lower_slices(clean, &ranges, MAX_DEPTH).unwrap().is_some());
    }

    fn lower_ok(src: &str) -> Ast {
        let ast = lower(src).expect("lowers");
        check_invariants(&ast);
        ast
    }

    /// Node ids a kind refers to.
    fn refs(kind: &Kind) -> Vec<NodeId> {
        match kind {
            Kind::Module(v) | Kind::Array(v) | Kind::Block(v) => v.clone(),
            Kind::Function(f) => {
                let mut v = f.body.clone();
                v.extend(f.expr_body);
                v.extend(f.params.iter().filter_map(|p| p.default));
                v.extend(f.decorators.iter().filter_map(|d| d.node));
                v
            }
            Kind::Class(c) => {
                let mut v = c.body.clone();
                v.extend(c.decorators.iter().filter_map(|d| d.node));
                v
            }
            Kind::Loop(l) => l.iter.into_iter().chain(l.body.iter().copied()).collect(),
            Kind::With { items, body, .. } => items.iter().chain(body).copied().collect(),
            Kind::Try {
                body,
                handlers,
                finally,
            } => body
                .iter()
                .chain(handlers)
                .chain(finally)
                .copied()
                .collect(),
            Kind::Catch { body, .. } => body.clone(),
            Kind::If { cond, then, els } => std::iter::once(*cond)
                .chain(then.iter().copied())
                .chain(els.iter().copied())
                .collect(),
            Kind::Return(r) => r.iter().copied().collect(),
            Kind::Assign { target, value, .. } => std::iter::once(*target)
                .chain(value.iter().copied())
                .collect(),
            Kind::Call(c) => std::iter::once(c.callee)
                .chain(c.args.iter().map(|a| a.value))
                .collect(),
            Kind::Member { object, .. } => vec![*object],
            Kind::Index { object, index } => vec![*object, *index],
            Kind::Str(s) => s.parts.clone(),
            Kind::Binary { lhs, rhs, .. } => vec![*lhs, *rhs],
            Kind::Await(x) | Kind::Question(x) => vec![*x],
            Kind::Unary { operand, .. } => vec![*operand],
            Kind::Break(v) => v.iter().copied().collect(),
            Kind::Object { entries, .. } => entries
                .iter()
                .flat_map(|e| e.key_node.into_iter().chain(std::iter::once(e.value)))
                .collect(),
            Kind::Name(_)
            | Kind::Number(_)
            | Kind::Bool(_)
            | Kind::Null
            | Kind::Import(_)
            | Kind::Continue
            | Kind::Other => {
                vec![]
            }
        }
    }

    /// Pre-order arena: parents before children, subtrees nested, referenced ids inside the
    /// referring node's subtree.
    fn check_invariants(ast: &Ast) {
        assert!(matches!(ast.kind(0), Kind::Module(_)));
        assert_eq!(ast.node(0).end as usize, ast.nodes.len());
        for (i, node) in ast.nodes.iter().enumerate() {
            let i = i as NodeId;
            assert!(node.end > i);
            if let Some(p) = ast.parent(i) {
                assert!(
                    p < i && ast.contains(p, i) && node.end <= ast.node(p).end,
                    "node {i}"
                );
            } else {
                assert_eq!(i, 0);
            }
            for r in refs(&node.kind) {
                assert!(
                    r != i && ast.contains(i, r),
                    "node {i} {:?} refers to {r} outside",
                    node.kind
                );
            }
        }
    }

    fn find(ast: &Ast, pred: impl Fn(NodeId) -> bool) -> Vec<NodeId> {
        (0..ast.nodes.len() as NodeId)
            .filter(|&i| pred(i))
            .collect()
    }

    fn calls_to(ast: &Ast, path: &str) -> Vec<NodeId> {
        find(ast, |i| {
            ast.call(i)
                .is_some_and(|c| ast.path_of(c.callee).as_deref() == Some(path))
        })
    }

    fn of_tag(ast: &Ast, tag: KindTag) -> Vec<NodeId> {
        find(ast, |i| ast.kind(i).tag() == tag)
    }

    fn text<'a>(src: &'a str, ast: &Ast, id: NodeId) -> &'a str {
        &src[ast.span(id).range()]
    }

    fn loop_of(ast: &Ast, id: NodeId) -> &Loop {
        match ast.kind(id) {
            Kind::Loop(l) => l,
            k => panic!("not a loop: {k:?}"),
        }
    }

    #[test]
    fn django_view_with_orm_loop() {
        let src = r#"from django.shortcuts import render
from .models import Order, Customer as Cust

def order_list(request):
    orders = Order.objects.filter(status="open").select_related("customer")
    for order in orders:
        # one query per order
        items = OrderItem.objects.filter(order=order)
        print(order.customer.name, len(items))
    else:
        done = True
    return render(request, "orders.html", {"orders": orders, 'count': len(orders), **extra})
"#;
        let ast = lower_ok(src);
        assert!(!ast.has_errors);
        assert_eq!(ast.lang, Lang::Python);

        let imports = of_tag(&ast, KindTag::Import);
        let Kind::Import(i) = ast.kind(imports[1]) else {
            unreachable!()
        };
        assert_eq!(i.module, ".models");
        assert_eq!(
            i.names,
            vec![
                ("Order".into(), "Order".into()),
                ("Customer".into(), "Cust".into())
            ]
        );

        let func = of_tag(&ast, KindTag::Function)[0];
        let f = ast.function(func).unwrap();
        assert_eq!(f.name.as_deref(), Some("order_list"));
        assert_eq!(f.params.len(), 1);
        assert_eq!(f.params[0].name, "request");
        // Assign, Loop, the loop's else statement, Return.
        assert_eq!(f.body.len(), 4);
        assert!(matches!(ast.kind(f.body[0]), Kind::Assign { .. }));
        assert!(matches!(ast.kind(f.body[2]), Kind::Assign { .. }));
        assert!(matches!(ast.kind(f.body[3]), Kind::Return(Some(_))));

        let lp = f.body[1];
        let l = loop_of(&ast, lp);
        assert_eq!(l.kind, LoopKind::For);
        assert_eq!(l.bindings, vec!["order"]);
        assert_eq!(ast.path_of(l.iter.unwrap()).as_deref(), Some("orders"));
        assert!(text(src, &ast, lp).ends_with("len(items))"));

        let filters = calls_to(&ast, "OrderItem.objects.filter");
        assert_eq!(filters.len(), 1);
        assert!(ast.contains(lp, filters[0]));
        let c = ast.call(filters[0]).unwrap();
        assert_eq!(
            ast.path_of(ast.kwarg(c, "order").unwrap()).as_deref(),
            Some("order")
        );
        assert_eq!(ast.enclosing_function(filters[0]), Some(func));

        // The first query is outside the loop and is a fluent chain rooted at `Order`.
        let sel = find(&ast, |i| {
            ast.call(i)
                .is_some_and(|c| ast.callee_name(c) == Some("select_related"))
        })[0];
        assert!(!ast.contains(lp, sel));
        assert_eq!(ast.call_chain(sel).len(), 2);
        assert_eq!(ast.path_of(ast.chain_root(sel)).as_deref(), Some("Order"));

        let render = ast.call(calls_to(&ast, "render")[0]).unwrap();
        let args: Vec<_> = ast.positional(render).collect();
        assert_eq!(ast.plain_str(args[1]), Some("orders.html"));
        let Kind::Object { entries, .. } = ast.kind(args[2]) else {
            panic!()
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].key.as_deref(), Some("orders"));
        assert_eq!(entries[1].key.as_deref(), Some("count"));
        assert!(entries[2].key.is_none() && entries[2].key_node.is_none());
        assert!(ast.entry(args[2], "count").is_some());
    }

    #[test]
    fn fastapi_async_endpoint() {
        let src = r#"
@app.get("/items/{item_id}", response_model=Item)
@requires_auth
async def read_item(
    item_id: int,
    q: str | None = None,
    *args,
    db: Session = Depends(get_db),
    **kwargs,
) -> Item:
    """Read one item."""
    item = await db.get(Item, item_id)
    return item

def _helper(x, /, y=1, *, z): pass
"#;
        let ast = lower_ok(src);
        assert!(!ast.has_errors);
        let funcs = of_tag(&ast, KindTag::Function);
        let id = funcs[0];
        let f = ast.function(id).unwrap();
        assert_eq!(f.name.as_deref(), Some("read_item"));
        assert!(f.is_async && f.exported);
        let names: Vec<_> = f.decorators.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["app.get", "requires_auth"]);
        let d0 = f.decorators[0].node.unwrap();
        assert!(ast.contains(id, d0));
        let dc = ast.call(d0).unwrap();
        assert_eq!(
            ast.plain_str(ast.positional(dc).next().unwrap()),
            Some("/items/{item_id}")
        );
        assert!(ast.kwarg(dc, "response_model").is_some());
        assert!(
            matches!(ast.kind(f.decorators[1].node.unwrap()), Kind::Name(n) if n == "requires_auth")
        );
        assert!(text(src, &ast, f.decorators[0].node.unwrap()).starts_with("app.get("));
        assert_eq!(&src[f.decorators[1].span.range()], "@requires_auth");

        // The span starts at `async def`, the head ends after the return annotation.
        assert!(text(src, &ast, id).starts_with("async def read_item("));
        let head = &src[f.head.range()];
        assert!(
            head.starts_with("async def read_item(") && head.ends_with(") -> Item"),
            "{head}"
        );
        assert_eq!(f.returns.as_deref(), Some("Item"));

        let params: Vec<_> = f
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.ty.as_deref()))
            .collect();
        assert_eq!(
            params,
            [
                ("item_id", Some("int")),
                ("q", Some("str | None")),
                ("args", None),
                ("db", Some("Session")),
                ("kwargs", None)
            ]
        );
        assert!(matches!(ast.kind(f.params[1].default.unwrap()), Kind::Null));
        let dep = ast.call(f.params[3].default.unwrap()).unwrap();
        assert_eq!(ast.callee_name(dep), Some("Depends"));

        assert_eq!(f.body.len(), 3);
        assert_eq!(ast.plain_str(f.body[0]), Some("Read one item."));
        let Kind::Assign { value: Some(v), .. } = ast.kind(f.body[1]) else {
            panic!()
        };
        let Kind::Await(inner) = ast.kind(*v) else {
            panic!()
        };
        assert_eq!(calls_to(&ast, "db.get"), vec![*inner]);

        let h = ast.function(funcs[1]).unwrap();
        assert!(!h.exported && !h.is_async && h.body.is_empty());
        let names: Vec<_> = h.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["x", "y", "z"]);
        assert_eq!(&src[h.head.range()], "def _helper(x, /, y=1, *, z)");
    }

    #[test]
    fn fstring_sql_and_formatting() {
        let src = r#"def get_user(cursor, user_id, name):
    cursor.execute(f"SELECT * FROM users WHERE id = {user_id} AND name = '{name!r:>{width}}'")
    cursor.execute("SELECT * FROM t WHERE id = %s" % user_id)
    cursor.execute("SELECT " 'a, b '
                   "FROM t WHERE id = %s", (user_id,))
    cursor.execute("SELECT " f"{cols} FROM t")
    q = """multi
line\tq""" + r"\d+\n" + b'\x00' + F'{{literal}} {x}' + rf"\w{y}"
"#;
        let ast = lower_ok(src);
        let execs = calls_to(&ast, "cursor.execute");
        assert_eq!(execs.len(), 4);

        let first = ast.positional(ast.call(execs[0]).unwrap()).next().unwrap();
        let s = ast.str_lit(first).unwrap();
        assert_eq!(s.kind, StrKind::Interpolated);
        assert_eq!(s.value, "SELECT * FROM users WHERE id = {} AND name = '{}'");
        let parts: Vec<_> = s.parts.iter().map(|&p| ast.path_of(p).unwrap()).collect();
        assert_eq!(parts, ["user_id", "name"]);
        // The nested format value is lowered too (a child, not a part).
        assert!(find(
            &ast,
            |i| matches!(ast.kind(i), Kind::Name(n) if n == "width")
        )
        .iter()
        .all(|&w| ast.contains(first, w)));

        let second = ast.positional(ast.call(execs[1]).unwrap()).next().unwrap();
        let Kind::Binary {
            op: BinOp::Mod,
            lhs,
            rhs,
        } = *ast.kind(second)
        else {
            panic!()
        };
        assert_eq!(ast.plain_str(lhs), Some("SELECT * FROM t WHERE id = %s"));
        assert_eq!(ast.path_of(rhs).as_deref(), Some("user_id"));

        let third: Vec<_> = ast.positional(ast.call(execs[2]).unwrap()).collect();
        assert_eq!(
            ast.plain_str(third[0]),
            Some("SELECT a, b FROM t WHERE id = %s")
        );
        assert!(matches!(ast.kind(third[1]), Kind::Array(v) if v.len() == 1));

        let fourth = ast.positional(ast.call(execs[3]).unwrap()).next().unwrap();
        let s = ast.str_lit(fourth).unwrap();
        assert_eq!(
            (s.kind, s.value.as_str(), s.parts.len()),
            (StrKind::Interpolated, "SELECT {} FROM t", 1)
        );

        let strs: Vec<_> = of_tag(&ast, KindTag::Str)
            .into_iter()
            .filter(|&i| text(src, &ast, i).len() < 30 && !text(src, &ast, i).contains("SELECT"))
            .map(|i| ast.str_lit(i).unwrap())
            .map(|s| (s.value.as_str(), s.kind))
            .collect();
        assert_eq!(
            strs,
            [
                ("multi\nline\tq", StrKind::Plain),
                (r"\d+\n", StrKind::Plain),
                (r"\x00", StrKind::Plain),
                ("{literal} {}", StrKind::Interpolated),
                (r"\w{}", StrKind::Interpolated),
            ]
        );
    }

    #[test]
    fn try_except_shapes() {
        let src = r#"
try:
    do()
except (ValueError, KeyError) as e:
    pass
except Exception:
    log.exception("boom")
except:
    pass
else:
    ok()
finally:
    cleanup()
"#;
        let ast = lower_ok(src);
        let t = of_tag(&ast, KindTag::Try)[0];
        let Kind::Try {
            body,
            handlers,
            finally,
        } = ast.kind(t)
        else {
            panic!()
        };
        assert_eq!(body.len(), 2);
        assert_eq!(finally.len(), 1);
        assert_eq!(handlers.len(), 3);
        let catches: Vec<_> = handlers
            .iter()
            .map(|&h| match ast.kind(h) {
                Kind::Catch {
                    types,
                    binding,
                    body,
                } => (types.clone(), binding.clone(), body.len()),
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            catches,
            [
                (
                    vec!["ValueError".to_string(), "KeyError".to_string()],
                    Some("e".to_string()),
                    0
                ),
                (vec!["Exception".to_string()], None, 1),
                (vec![], None, 0),
            ]
        );
        assert!(text(src, &ast, handlers[0]).starts_with("except (ValueError"));
    }

    #[test]
    fn comprehensions_with_queries() {
        let src = r#"
names = [u.profile.get_name() for u in User.objects.all() if u.is_active]
totals = {k: sum(x.amount for x in v) for k, v in groups.items()}
pairs = {(a, b) for a, [b, *rest] in rows for c in a}
"#;
        let ast = lower_ok(src);
        let loops = of_tag(&ast, KindTag::Loop);
        assert_eq!(loops.len(), 4);
        let l0 = loop_of(&ast, loops[0]);
        assert_eq!(l0.kind, LoopKind::Comprehension);
        assert_eq!(l0.bindings, ["u"]);
        let it = ast.call(l0.iter.unwrap()).unwrap();
        assert_eq!(ast.path_of(it.callee).as_deref(), Some("User.objects.all"));
        let get_name = find(&ast, |i| {
            ast.call(i)
                .is_some_and(|c| ast.callee_name(c) == Some("get_name"))
        });
        assert!(ast.contains(loops[0], get_name[0]));
        // The filter condition is inside too.
        let active = find(
            &ast,
            |i| matches!(ast.kind(i), Kind::Member { property, .. } if property == "is_active"),
        );
        assert!(ast.contains(loops[0], active[0]));

        let l1 = loop_of(&ast, loops[1]);
        assert_eq!(l1.bindings, ["k", "v"]);
        let sum = ast.call(calls_to(&ast, "sum")[0]).unwrap();
        assert_eq!(sum.args.len(), 1);
        assert_eq!(sum.args[0].value, loops[2]);
        let gen = loop_of(&ast, loops[2]);
        assert_eq!(
            (gen.kind, gen.bindings.clone()),
            (LoopKind::Comprehension, vec!["x".to_string()])
        );
        assert!(ast.contains(loops[1], loops[2]));

        let l3 = loop_of(&ast, loops[3]);
        assert_eq!(l3.bindings, ["a", "b", "rest", "c"]);
        assert_eq!(ast.path_of(l3.iter.unwrap()).as_deref(), Some("rows"));
    }

    #[test]
    fn loop_bodies_async_flags_unary_and_numbers() {
        let src = r#"async def f(xs, rows, n):
    async for x in xs:
        if not x:
            break
        g(x)
    for r in rows:
        continue
    while n < 10:
        n += 1
    ys = [y.id async for y in rows if -y.n]
    d = {k: v for k, v in rows}
    async with lock:
        pass
    with open(p) as fh:
        pass
    t = [30_000, 0x10, 1e3, 30.0, 0, 2j]
"#;
        let ast = lower_ok(src);
        let loops = of_tag(&ast, KindTag::Loop);
        assert_eq!(loops.len(), 5);
        let tags = |ids: &[NodeId]| ids.iter().map(|&i| ast.kind(i).tag()).collect::<Vec<_>>();

        let l = loop_of(&ast, loops[0]);
        assert!(l.is_async);
        assert_eq!(tags(&l.body), [KindTag::If, KindTag::Call]);
        let Kind::If { cond, then, .. } = ast.kind(l.body[0]) else {
            panic!()
        };
        let Kind::Unary { op, operand } = ast.kind(*cond) else {
            panic!("{:?}", ast.kind(*cond))
        };
        assert_eq!(*op, UnOp::Not);
        assert_eq!(ast.path_of(*operand).as_deref(), Some("x"));
        assert_eq!(tags(then), [KindTag::Break]);

        let l = loop_of(&ast, loops[1]);
        assert!(!l.is_async);
        assert_eq!(tags(&l.body), [KindTag::Continue]);
        let l = loop_of(&ast, loops[2]);
        assert_eq!(tags(&l.body), [KindTag::Assign]);
        // the `while` condition is a child of the loop, not in its body
        assert_eq!(ast.children(loops[2]).count(), 2);

        let l = loop_of(&ast, loops[3]);
        assert!(l.is_async && l.kind == LoopKind::Comprehension);
        assert_eq!(ast.path_of(l.body[0]).as_deref(), Some("y.id"));
        assert!(ast
            .children(loops[3])
            .any(|c| matches!(ast.kind(c), Kind::Unary { op: UnOp::Neg, .. })));
        let l = loop_of(&ast, loops[4]);
        assert!(!l.is_async);
        let kv: Vec<_> = l.body.iter().map(|&b| ast.path_of(b).unwrap()).collect();
        assert_eq!(kv, ["k", "v"]);

        let withs: Vec<bool> = of_tag(&ast, KindTag::With)
            .into_iter()
            .map(|w| matches!(ast.kind(w), Kind::With { is_async: true, .. }))
            .collect();
        assert_eq!(withs, [true, false]);

        let numbers = ast.numbers_from(src.find("t = ").unwrap());
        assert_eq!(
            numbers,
            [
                Some(30000.0),
                Some(16.0),
                Some(1000.0),
                Some(30.0),
                Some(0.0),
                None
            ]
        );
    }

    #[test]
    fn imports_with_aliases() {
        let src = r#"import os
import os.path as osp, json
from ..utils import helpers as h, tools
from . import views
from x import *
from app.models import (
    Order,
    Item as I,
)
from __future__ import annotations
"#;
        let ast = lower_ok(src);
        let imports: Vec<_> = of_tag(&ast, KindTag::Import)
            .into_iter()
            .map(|i| match ast.kind(i) {
                Kind::Import(im) => (im.module.clone(), im.names.clone()),
                _ => unreachable!(),
            })
            .collect();
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            imports,
            [
                ("os".to_string(), vec![s("", "os")]),
                ("os.path".to_string(), vec![s("", "osp")]),
                ("json".to_string(), vec![s("", "json")]),
                (
                    "..utils".to_string(),
                    vec![s("helpers", "h"), s("tools", "tools")]
                ),
                (".".to_string(), vec![s("views", "views")]),
                ("x".to_string(), vec![s("*", "*")]),
                (
                    "app.models".to_string(),
                    vec![s("Order", "Order"), s("Item", "I")]
                ),
                (
                    "__future__".to_string(),
                    vec![s("annotations", "annotations")]
                ),
            ]
        );
        let Kind::Module(body) = ast.kind(0) else {
            panic!()
        };
        assert_eq!(body.len(), 8);
    }

    #[test]
    fn with_statements() {
        let src = r#"
with transaction.atomic():
    order.save()
    Payment.objects.create(order=order)

async def f():
    async with session.begin() as s, lock:
        await s.flush()
    with (open("a") as fa, open("b") as fb):
        pass
"#;
        let ast = lower_ok(src);
        let withs = of_tag(&ast, KindTag::With);
        assert_eq!(withs.len(), 3);
        let Kind::With { items, body, .. } = ast.kind(withs[0]) else {
            panic!()
        };
        assert_eq!(items.len(), 1);
        assert_eq!(
            ast.path_of(ast.call(items[0]).unwrap().callee).as_deref(),
            Some("transaction.atomic")
        );
        assert_eq!(body.len(), 2);
        assert!(ast.contains(withs[0], calls_to(&ast, "Payment.objects.create")[0]));

        let Kind::With { items, body, .. } = ast.kind(withs[1]) else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            ast.path_of(ast.call(items[0]).unwrap().callee).as_deref(),
            Some("session.begin")
        );
        assert_eq!(ast.path_of(items[1]).as_deref(), Some("lock"));
        let Kind::With { names, .. } = ast.kind(withs[1]) else {
            panic!()
        };
        assert_eq!(names, &[Some("s".to_string()), None]);
        assert!(matches!(ast.kind(body[0]), Kind::Await(_)));

        let Kind::With { items, .. } = ast.kind(withs[2]) else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|&i| ast.call(i).is_some()));
        let Kind::With { names, .. } = ast.kind(withs[2]) else {
            panic!()
        };
        assert_eq!(names, &[Some("fa".to_string()), Some("fb".to_string())]);
    }

    #[test]
    fn lambdas() {
        let src = "key = lambda item, *, reverse=False: item.price * 2\nsorted(xs, key=lambda x: x.created_at)\nnoop = lambda: None\n";
        let ast = lower_ok(src);
        let funcs = of_tag(&ast, KindTag::Function);
        assert_eq!(funcs.len(), 3);
        let f = ast.function(funcs[0]).unwrap();
        assert!(f.name.is_none() && !f.exported && f.body.is_empty());
        let names: Vec<_> = f.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["item", "reverse"]);
        assert!(matches!(
            ast.kind(f.params[1].default.unwrap()),
            Kind::Bool(false)
        ));
        assert!(matches!(
            ast.kind(f.expr_body.unwrap()),
            Kind::Binary {
                op: BinOp::Other,
                ..
            }
        ));
        assert_eq!(&src[f.head.range()], "lambda item, *, reverse=False");
        let Kind::Assign { value, .. } = ast.kind(ast.parent(funcs[0]).unwrap()) else {
            panic!()
        };
        assert_eq!(*value, Some(funcs[0]));

        let sorted = ast.call(calls_to(&ast, "sorted")[0]).unwrap();
        assert_eq!(ast.kwarg(sorted, "key"), Some(funcs[1]));
        let g = ast.function(funcs[2]).unwrap();
        assert!(g.params.is_empty() && matches!(ast.kind(g.expr_body.unwrap()), Kind::Null));
        assert_eq!(&src[g.head.range()], "lambda");
    }

    #[test]
    fn classes_ifs_and_assignments() {
        let src = r#"
@method_decorator(login_required, name="dispatch")
class OrderView(mixins.LoginMixin, APIView, metaclass=Meta):
    queryset = Order.objects.all()
    count: int = 0

    def get(self, request, *a, **kw):
        if request.user.is_staff:
            x = 1
        elif (n := len(a)) > 2:
            x = 2
        elif a[0] == "x" == b:
            x = 3
        else:
            x = 4
            x += 1
        a, b = b, a
        self.total = total = 0
        return None
"#;
        let ast = lower_ok(src);
        let c = of_tag(&ast, KindTag::Class)[0];
        let Kind::Class(class) = ast.kind(c) else {
            panic!()
        };
        assert_eq!(class.name, "OrderView");
        assert_eq!(class.bases, ["mixins.LoginMixin", "APIView"]);
        assert_eq!(class.decorators[0].name, "method_decorator");
        assert!(text(src, &ast, c).starts_with("class OrderView"));
        assert_eq!(class.body.len(), 3);
        assert!(matches!(
            ast.kind(class.body[1]),
            Kind::Assign {
                value: Some(_),
                augmented: false,
                ..
            }
        ));
        check_ifs(src, &ast);
    }

    fn check_ifs(src: &str, ast: &Ast) {
        let ifs = of_tag(ast, KindTag::If);
        assert_eq!(ifs.len(), 3);
        let Kind::If { cond, then, els } = ast.kind(ifs[0]) else {
            panic!()
        };
        assert_eq!(ast.path_of(*cond).as_deref(), Some("request.user.is_staff"));
        assert_eq!(then.len(), 1);
        assert_eq!(els, &vec![ifs[1]]);
        let Kind::If { cond, els, .. } = ast.kind(ifs[1]) else {
            panic!()
        };
        assert!(text(src, ast, ifs[1]).starts_with("elif (n := len(a))"));
        let Kind::Binary {
            op: BinOp::Compare,
            lhs,
            ..
        } = *ast.kind(*cond)
        else {
            panic!()
        };
        assert!(matches!(ast.kind(lhs), Kind::Assign { .. }));
        assert_eq!(els, &vec![ifs[2]]);
        let Kind::If { cond, els, .. } = ast.kind(ifs[2]) else {
            panic!()
        };
        assert_eq!(ast.children(*cond).count(), 3);
        assert_eq!(els.len(), 2);
        assert!(matches!(
            ast.kind(els[1]),
            Kind::Assign {
                augmented: true,
                ..
            }
        ));

        let assigns: Vec<_> = of_tag(ast, KindTag::Assign)
            .into_iter()
            .filter(|&i| text(src, ast, i).starts_with("a, b"))
            .collect();
        let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = ast.kind(assigns[0])
        else {
            panic!()
        };
        assert!(matches!(ast.kind(*target), Kind::Array(v) if v.len() == 2));
        assert!(matches!(ast.kind(*v), Kind::Array(v) if v.len() == 2));
        let chained = of_tag(ast, KindTag::Assign)
            .into_iter()
            .find(|&i| text(src, ast, i).starts_with("self.total"))
            .unwrap();
        let Kind::Assign {
            target,
            value: Some(v),
            ..
        } = ast.kind(chained)
        else {
            panic!()
        };
        assert_eq!(ast.path_of(*target).as_deref(), Some("self.total"));
        assert!(matches!(ast.kind(*v), Kind::Assign { .. }));
    }

    #[test]
    fn unmodelled_syntax_keeps_nested_calls() {
        let src = r#"
def f(items):
    global CACHE
    assert check(items), msg(1)
    del cache[key()]
    raise HTTPException(status_code=404, detail=f"{items} missing")
    while not done():
        yield fetch(-1)
    match cmd:
        case {"op": op}:
            run(op)
    print(x if cond() else y[1:end()])
"#;
        let ast = lower_ok(src);
        assert!(!ast.has_errors);
        for name in [
            "check",
            "msg",
            "key",
            "HTTPException",
            "done",
            "fetch",
            "run",
            "cond",
            "end",
            "print",
        ] {
            assert_eq!(calls_to(&ast, name).len(), 1, "{name}");
        }
        let w = of_tag(&ast, KindTag::Loop)[0];
        let l = loop_of(&ast, w);
        assert_eq!((l.kind, l.iter), (LoopKind::While, None));
        assert!(ast.contains(w, calls_to(&ast, "done")[0]));
        assert!(ast.contains(w, calls_to(&ast, "fetch")[0]));
        let raise = ast.parent(calls_to(&ast, "HTTPException")[0]).unwrap();
        assert!(matches!(ast.kind(raise), Kind::Other));
        assert_eq!(ast.unwrap_expr(raise), calls_to(&ast, "HTTPException")[0]);
    }

    #[test]
    fn comments_are_not_nodes() {
        let src = "# top\nx = (  # why\n    1  # one\n)\n# end\n";
        let ast = lower_ok(src);
        let tags: Vec<_> = ast.nodes.iter().map(|n| n.kind.tag()).collect();
        assert_eq!(
            tags,
            [
                KindTag::Module,
                KindTag::Assign,
                KindTag::Name,
                KindTag::Number
            ]
        );
    }

    #[test]
    fn empty_and_broken_files() {
        let ast = lower_ok("");
        assert!(!ast.has_errors);
        assert_eq!(ast.nodes.len(), 1);
        assert!(matches!(ast.kind(0), Kind::Module(b) if b.is_empty()));

        let ast = lower_ok("   \n# only a comment\n");
        assert!(matches!(ast.kind(0), Kind::Module(b) if b.is_empty()));

        let src = "def f(:\n    x = \n    requests.get(url\nclass\n  ]]] lambda\nfor in:\n";
        let ast = lower_ok(src);
        assert!(ast.has_errors);

        let ast = lower_ok("if x:\n    y(\nelse:\n  z()\n\"unterminated\n");
        assert!(ast.has_errors);
        let ast = lower_ok("\u{feff}x = 'é😀'\n");
        assert!(ast
            .str_lit(of_tag(&ast, KindTag::Str)[0])
            .is_some_and(|s| s.value == "é😀"));
    }

    fn deep_cases() -> Vec<String> {
        let n = 10_000;
        vec![
            format!("{}{}", "[".repeat(n), "]".repeat(n)),
            format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("{}1{}", "f(".repeat(n), ")".repeat(n)),
            format!("x = {}1", "-".repeat(n)),
            format!("x = 1{}", " + 1".repeat(n)),
            format!("x = a{}", ".b".repeat(n)),
            format!("x = {}1{}", "{'a': ".repeat(n), "}".repeat(n)),
            format!("x = {}", "lambda: ".repeat(n)) + "1",
            format!("x = f'{}'", "{f'".repeat(50)),
            (0..1000)
                .map(|i| format!("{}if x:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(1000)
                + "pass\n",
        ]
    }

    #[test]
    fn too_deep_is_an_error_not_a_crash() {
        // Run on a thread with a typical worker stack (rayon's and the test harness's 2 MiB).
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                for (i, src) in deep_cases().iter().enumerate() {
                    assert!(parse_only(src));
                    match lower(src) {
                        Err(ParseError::TooDeep(d)) => assert_eq!(d, MAX_DEPTH),
                        // Inputs the grammar rejects early may stay shallow.
                        Ok(ast) => assert!(ast.has_errors, "case {i} lowered without error"),
                        Err(e) => panic!("case {i}: {e}"),
                    }
                }
                // Just under the limit lowers fine.
                let src = format!(
                    "x = {}1{}",
                    "[".repeat(MAX_DEPTH - 10),
                    "]".repeat(MAX_DEPTH - 10)
                );
                lower_ok(&src);
                let src = format!(
                    "x = {}1{}",
                    "f(".repeat(MAX_DEPTH / 4),
                    ")".repeat(MAX_DEPTH / 4)
                );
                lower_ok(&src);
                // Long `elif` chains and statement lists are not nesting.
                let mut src = "if a == 0:\n    f(0)\n".to_string();
                for i in 1..2000 {
                    src.push_str(&format!("elif a == {i}:\n    f({i})\n"));
                }
                src.push_str("else:\n    g()\n");
                let ast = lower_ok(&src);
                assert_eq!(of_tag(&ast, KindTag::If).len(), 2000);
                assert_eq!(calls_to(&ast, "f").len(), 2000);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn realistic_file() {
        let src = include_str!("testdata/python/views.py");
        let ast = lower_ok(src);
        assert!(!ast.has_errors);
        let funcs = of_tag(&ast, KindTag::Function);
        assert!(funcs.len() >= 5);
        // Every call keeps a callee and every function sits inside the module.
        for c in of_tag(&ast, KindTag::Call) {
            assert!(ast.contains(c, ast.call(c).unwrap().callee));
        }
        let create = calls_to(&ast, "Notification.objects.create");
        assert_eq!(create.len(), 1);
        let in_loop = ast
            .ancestors(create[0])
            .any(|a| matches!(ast.kind(a), Kind::Loop(l) if l.kind == LoopKind::For));
        assert!(in_loop);
    }

    /// Rough lowering-vs-parsing cost (debug build numbers are only indicative):
    /// `cargo test --lib lang::python::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let src = include_str!("testdata/python/views.py").repeat(200);
        let t = std::time::Instant::now();
        for _ in 0..5 {
            assert!(parse_only(&src));
        }
        let parse = t.elapsed();
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..5 {
            n += lower(&src).unwrap().nodes.len();
        }
        let lower = t.elapsed();
        println!(
            "parse {parse:?} lower {lower:?} ratio {:.2} ({n} nodes)",
            lower.as_secs_f64() / parse.as_secs_f64()
        );
    }
}
