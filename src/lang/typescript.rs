//! TypeScript, TSX and JavaScript: tree-sitter parsing and lowering into [`crate::ast`].
//!
//! `.ts` files use the TypeScript grammar (the TSX grammar misreads `<T>expr` casts), `.tsx`
//! the TSX grammar and JavaScript (JSX included) the JavaScript grammar. tree-sitter's `Parser`
//! needs `&mut`, so each thread keeps one parser per dialect.
//!
//! The lowerer walks the tree once with a single reusable `TreeCursor`: a node's children are
//! copied, with their field ids, onto a shared scratch stack, so field lookups are a short scan
//! and the recursion never allocates a cursor. Field ids, the kind ids compared on hot paths
//! and a dispatch table (kind id -> lowering function) are resolved once per grammar, so no
//! kind string is fetched or compared for most nodes. Strings are only allocated for what the
//! AST stores (names, literals, types). Recursion is bounded by an explicit depth counter
//! (`max-nesting-depth`).
//!
//! Syntax errors never fail the lowering: tree-sitter-typescript lags the language, so ERROR
//! nodes are lowered as `Other` with their children and `Ast::has_errors` is set.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use tree_sitter::{Language, Node, Parser, Tree};

use super::{number_value, Dialect, FieldWalk, Kids, ParseError};
use crate::ast::{
    Arg, Ast, BinOp, Builder, Call, Class, Decorator, Entry, Function, Import, Kind, Lang, Loop,
    LoopKind, NodeId, Param, Str, StrKind, UnOp,
};
use crate::source::Span;

type R<T> = Result<T, ParseError>;

/// Field id for a field the grammar does not have (never equal to a child's field id).
const NO_FIELD: u16 = u16::MAX;

macro_rules! fields {
    ($($field:ident = $name:literal),* $(,)?) => {
        /// Field ids of one grammar, resolved once.
        #[derive(Clone, Copy)]
        struct Fields {
            $($field: u16,)*
        }
        impl Fields {
            fn new(lang: &Language) -> Fields {
                Fields { $($field: lang.field_id_for_name($name).map_or(NO_FIELD, |f| f.get()),)* }
            }
        }
    };
}

/// Kind id for a kind the grammar does not have (never equal to a node's kind id).
const NO_KIND: u16 = u16::MAX - 1;

macro_rules! kinds {
    ($($kind:ident = $name:literal $named:literal),* $(,)?) => {
        /// Ids of the node kinds compared on hot paths (comparing ids avoids fetching and
        /// comparing kind strings).
        #[derive(Clone, Copy)]
        struct Kinds {
            $($kind: u16,)*
        }
        impl Kinds {
            fn new(lang: &Language) -> Kinds {
                Kinds {
                    $($kind: match lang.id_for_node_kind($name, $named) {
                        0 => NO_KIND,
                        id => id,
                    },)*
                }
            }
        }
    };
}

kinds! {
    statement_block = "statement_block" true,
    expression_statement = "expression_statement" true,
    lexical_declaration = "lexical_declaration" true,
    variable_declaration = "variable_declaration" true,
    export_statement = "export_statement" true,
    decorator = "decorator" true,
    async_kw = "async" false,
    template_string = "template_string" true,
    template_substitution = "template_substitution" true,
    spread_element = "spread_element" true,
    pair = "pair" true,
    shorthand_property_identifier = "shorthand_property_identifier" true,
    method_definition = "method_definition" true,
    type_arguments = "type_arguments" true,
    type_annotation = "type_annotation" true,
}

fields! {
    name = "name",
    body = "body",
    parameters = "parameters",
    parameter = "parameter",
    return_type = "return_type",
    value = "value",
    pattern = "pattern",
    ty = "type",
    decorator = "decorator",
    left = "left",
    argument = "argument",
    right = "right",
    operator = "operator",
    function = "function",
    arguments = "arguments",
    constructor = "constructor",
    object = "object",
    property = "property",
    index = "index",
    key = "key",
    condition = "condition",
    consequence = "consequence",
    alternative = "alternative",
    handler = "handler",
    finalizer = "finalizer",
    declaration = "declaration",
    source = "source",
    alias = "alias",
}

/// What the lowerer needs to know about one grammar, resolved once per process.
struct Grammar {
    fields: Fields,
    kinds: Kinds,
    /// The lowering function of each node kind, indexed by kind id.
    handlers: Vec<Handler>,
}

impl Grammar {
    fn new(lang: &Language) -> Grammar {
        let handlers = (0..lang.node_kind_count() as u16)
            .map(|id| match lang.node_kind_for_id(id) {
                Some(name) if lang.node_kind_is_named(id) => handler(name),
                _ => skip as Handler,
            })
            .collect();
        Grammar {
            fields: Fields::new(lang),
            kinds: Kinds::new(lang),
            handlers,
        }
    }
}

static GRAMMARS: [OnceLock<Grammar>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

thread_local! {
    /// One parser per dialect (TypeScript, TSX, JavaScript) per thread.
    static PARSERS: RefCell<[Option<Parser>; 3]> = const { RefCell::new([None, None, None]) };
}

fn grammar(slot: usize) -> Language {
    match slot {
        0 => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        1 => tree_sitter_typescript::LANGUAGE_TSX.into(),
        _ => tree_sitter_javascript::LANGUAGE.into(),
    }
}

fn parse_tree(text: &str, dialect: Dialect) -> R<(Tree, &'static Grammar)> {
    let tables = grammar_of(dialect)?;
    let tree = with_parser(dialect, |parser| parser.parse(text, None))?
        .ok_or_else(|| ParseError::Syntax("the parser produced no tree".into()))?;
    Ok((tree, tables))
}

/// The tables of a dialect's grammar.
fn grammar_of(dialect: Dialect) -> R<&'static Grammar> {
    let idx = match dialect {
        Dialect::TypeScript => 0,
        Dialect::Tsx => 1,
        Dialect::JavaScript => 2,
        other => {
            return Err(ParseError::Syntax(format!(
                "{other:?} is not a TypeScript/JavaScript dialect"
            )))
        }
    };
    Ok(GRAMMARS[idx].get_or_init(|| Grammar::new(&grammar(idx))))
}

/// Runs `f` with this thread's parser for `dialect`.
fn with_parser<T>(dialect: Dialect, f: impl FnOnce(&mut Parser) -> T) -> R<T> {
    let idx = match dialect {
        Dialect::TypeScript => 0,
        Dialect::Tsx => 1,
        Dialect::JavaScript => 2,
        other => {
            return Err(ParseError::Syntax(format!(
                "{other:?} is not a TypeScript/JavaScript dialect"
            )))
        }
    };
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = match &mut parsers[idx] {
            Some(parser) => parser,
            empty @ None => {
                let mut parser = Parser::new();
                parser
                    .set_language(&grammar(idx))
                    .map_err(|e| ParseError::Syntax(e.to_string()))?;
                empty.insert(parser)
            }
        };
        Ok(f(parser))
    })
}

/// Parses and lowers a TypeScript, TSX or JavaScript file nested at most `max_depth` levels
/// deep.
pub fn lower(text: &str, dialect: Dialect, max_depth: usize) -> Result<Ast, ParseError> {
    lower_with(text, dialect, super::SLICING, max_depth)
}

/// Where a TypeScript or JavaScript file may be cut without parsing it (see
/// [`super::line_slices`]).
const CUTS: super::Cuts = super::Cuts {
    starts: b"_$@",
    continues: &[
        "else",
        "catch",
        "finally",
        "while",
        "as",
        "satisfies",
        "in",
        "instanceof",
        "of",
        "extends",
        "implements",
    ],
    attaches: &["@"],
};

fn lower_with(
    text: &str,
    dialect: Dialect,
    slicing: super::Slicing,
    max_depth: usize,
) -> Result<Ast, ParseError> {
    if let Some(ranges) = super::line_slices(text, slicing, &CUTS) {
        if let Some(ast) = lower_slices(text, dialect, grammar_of(dialect)?, &ranges, max_depth)? {
            return Ok(ast);
        }
    }
    if let Some(w) = super::line_wrapped(text, slicing, &CUTS) {
        let cut = Cut::new(dialect, &w);
        let grammar = grammar_of(dialect)?;
        if let Some(ast) = lower_cut(text, dialect, grammar, &w.ranges, Some(&cut), max_depth)? {
            return Ok(ast);
        }
    }
    let (tree, grammar) = parse_tree(text, dialect)?;
    let root = tree.root_node();
    let wrapped = super::wrapped(root, text, slicing, grammar.kinds.statement_block);
    let cut = wrapped.as_ref().map(|w| Cut::new(dialect, w));
    let ranges = match &wrapped {
        Some(w) => Some(w.ranges.clone()),
        None => super::slices(root, text.len(), slicing),
    };
    if let Some(ranges) = ranges {
        drop(tree);
        if let Some(ast) = lower_cut(text, dialect, grammar, &ranges, cut.as_ref(), max_depth)? {
            return Ok(ast);
        }
        let (tree, grammar) = parse_tree(text, dialect)?;
        return lower_tree(text, &tree, grammar, max_depth);
    }
    lower_tree(text, &tree, grammar, max_depth)
}

/// The body of a wrapper function lowered a slice of statements at a time (see
/// [`super::wrapped`]).
struct Cut<'w> {
    dialect: Dialect,
    /// Which top-level range is the wrapper.
    at: usize,
    w: &'w super::Wrapped,
    /// Set when a slice of the body did not parse cleanly.
    failed: std::cell::Cell<bool>,
}

impl<'w> Cut<'w> {
    fn new(dialect: Dialect, w: &'w super::Wrapped) -> Self {
        Cut {
            dialect,
            at: w.at,
            w,
            failed: std::cell::Cell::new(false),
        }
    }

    /// The wrapper's body in a tree parsed from its head and tail (and a slice between): the
    /// block that holds the gap between them.
    fn body<'t>(&self, root: Node<'t>, block: u16) -> Option<Node<'t>> {
        let at = self.w.head.end_byte.saturating_sub(1);
        root.named_descendant_for_byte_range(at, self.w.tail.start_byte)
            .filter(|b| b.kind_id() == block)
    }
}

/// Lowers an error-free file a slice of top-level statements at a time (see
/// [`super::SLICING`]); `None` when a slice does not parse cleanly on its own.
fn lower_slices(
    text: &str,
    dialect: Dialect,
    grammar: &'static Grammar,
    ranges: &[tree_sitter::Range],
    max_depth: usize,
) -> R<Option<Ast>> {
    lower_cut(text, dialect, grammar, ranges, None, max_depth)
}

/// [`lower_slices`], with the body of the wrapper at `cut.at` (if any) lowered in slices too.
fn lower_cut(
    text: &str,
    dialect: Dialect,
    grammar: &'static Grammar,
    ranges: &[tree_sitter::Range],
    cut: Option<&Cut>,
    max_depth: usize,
) -> R<Option<Ast>> {
    let mut b = Builder::new();
    let module = b.open(Span::new(0, text.len()));
    let mut body = Vec::new();
    for (i, &r) in ranges.iter().enumerate() {
        // the wrapper is parsed with an empty body, which `Lx::cut_body` fills
        let cut = cut.filter(|c| c.at == i);
        let parse = |p: &mut Parser| match cut {
            Some(c) => super::parse_ranges(p, text, &[c.w.head, c.w.tail]),
            None => super::parse_range(p, text, r),
        };
        let Some(tree) = with_parser(dialect, parse)? else {
            return Ok(None);
        };
        let root = tree.root_node();
        if root.has_error() {
            return Ok(None);
        }
        let cut = match cut {
            Some(c) => match c.body(root, grammar.kinds.statement_block) {
                Some(body) => Some((c, body.start_byte())),
                None => return Ok(None),
            },
            None => None,
        };
        let mut lx = Lx {
            text,
            f: grammar.fields,
            k: grammar.kinds,
            handlers: &grammar.handlers,
            b,
            depth: 0,
            max_depth,
            kids: Kids::new(root),
            cut,
        };
        let stmts = lx.stmts_of(root);
        if cut.is_some_and(|(c, _)| c.failed.get() || lx.cut.is_some()) {
            return Ok(None);
        }
        body.extend(stmts?);
        b = lx.b;
    }
    b.close(module, Kind::Module(body));
    Ok(Some(b.finish(Lang::TypeScript, false)))
}

fn lower_tree(
    text: &str,
    tree: &Tree,
    grammar: &'static Grammar,
    max_depth: usize,
) -> Result<Ast, ParseError> {
    let root = tree.root_node();
    let mut lx = Lx {
        text,
        f: grammar.fields,
        k: grammar.kinds,
        handlers: &grammar.handlers,
        b: Builder::new(),
        depth: 0,
        max_depth,
        kids: Kids::new(root),
        cut: None,
    };
    let id = lx.b.open(Span::new(0, text.len()));
    let body = lx.stmts_of(root)?;
    lx.b.close(id, Kind::Module(body));
    let mut ast = lx.b.finish(Lang::TypeScript, root.has_error());
    ast.syntax_error = super::first_syntax_error(root, text);
    Ok(ast)
}

/// Parses without lowering (the parse-floor benchmark). `false` when no tree was produced.
pub fn parse_only(text: &str, dialect: Dialect) -> bool {
    parse_tree(text, dialect).is_ok()
}

fn span(n: Node) -> Span {
    Span::new(n.start_byte(), n.end_byte())
}

/// Comments (and other extras, never ERROR nodes).
fn is_comment(n: Node) -> bool {
    n.is_extra() && !n.is_error()
}

fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function"
            | "function_declaration"
            | "generator_function_declaration"
            | "method_definition"
    )
}

fn is_class(kind: &str) -> bool {
    matches!(
        kind,
        "class_declaration" | "class" | "abstract_class_declaration"
    )
}

/// A type annotation's text without the leading `:`.
fn type_text(t: &str) -> String {
    t.strip_prefix(':').unwrap_or(t).trim().to_owned()
}

/// A string literal's content: quotes stripped, escapes decoded.
fn string_value(raw: &str) -> String {
    let mut s = raw;
    if let Some(q) = s.chars().next().filter(|c| matches!(c, '\'' | '"' | '`')) {
        s = &s[1..];
        s = s.strip_suffix(q).unwrap_or(s);
    }
    let mut out = String::with_capacity(s.len());
    decode_into(s, &mut out);
    out
}

fn hex_value(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Appends `s` to `out` with JavaScript escape sequences decoded.
fn decode_into(s: &str, out: &mut String) {
    if !s.contains('\\') {
        out.push_str(s);
        return;
    }
    let mut rest = s;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        let Some(c) = rest.chars().next() else {
            out.push('\\');
            return;
        };
        rest = &rest[c.len_utf8()..];
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0' => out.push('\0'),
            // Line continuations.
            '\n' | '\u{2028}' | '\u{2029}' => {}
            '\r' => rest = rest.strip_prefix('\n').unwrap_or(rest),
            'x' => match rest.get(..2).and_then(hex_value).and_then(char::from_u32) {
                Some(ch) => {
                    out.push(ch);
                    rest = &rest[2..];
                }
                None => out.push('x'),
            },
            'u' => {
                let (code, len) = if let Some(braced) = rest.strip_prefix('{') {
                    match braced.find('}') {
                        Some(end) => (hex_value(&braced[..end]), end + 2),
                        None => (None, 0),
                    }
                } else {
                    (rest.get(..4).and_then(hex_value), 4)
                };
                let Some(mut code) = code else {
                    out.push('u');
                    continue;
                };
                rest = &rest[len..];
                // A surrogate pair written as two escapes.
                if (0xD800..0xDC00).contains(&code) {
                    if let Some(low) = rest
                        .strip_prefix("\\u")
                        .and_then(|r| r.get(..4))
                        .and_then(hex_value)
                        .filter(|l| (0xDC00..0xE000).contains(l))
                    {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        rest = &rest[6..];
                    }
                }
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            other => out.push(other),
        }
    }
    out.push_str(rest);
}

type Handler = for<'x> fn(&mut Lx<'x>, Node<'x>) -> R<Option<NodeId>>;

fn skip(_: &mut Lx, _: Node) -> R<Option<NodeId>> {
    Ok(None)
}

/// The lowering function for a named node kind, looked up once per kind id (see
/// [`Grammar`]). Dispatching through plain function pointers also keeps the recursive path's
/// stack frames small (in debug builds every arm of a large match gets its own temporaries).
fn handler(kind: &str) -> Handler {
    match kind {
        "identifier"
        | "property_identifier"
        | "shorthand_property_identifier"
        | "shorthand_property_identifier_pattern"
        | "private_property_identifier"
        | "this"
        | "super"
        | "import"
        | "meta_property" => |lx, n| Ok(Some(lx.name_leaf(n))),
        "number" => |lx, n| {
            let value = number_value(lx.text(n));
            Ok(Some(lx.b.leaf(span(n), Kind::Number(value))))
        },
        "unary_expression" | "update_expression" => |lx, n| lx.unary(n).map(Some),
        "break_statement" => |lx, n| Ok(Some(lx.b.leaf(span(n), Kind::Break(None)))),
        "continue_statement" => |lx, n| Ok(Some(lx.b.leaf(span(n), Kind::Continue))),
        "true" => |lx, n| Ok(Some(lx.b.leaf(span(n), Kind::Bool(true)))),
        "false" => |lx, n| Ok(Some(lx.b.leaf(span(n), Kind::Bool(false)))),
        "null" | "undefined" => |lx, n| Ok(Some(lx.b.leaf(span(n), Kind::Null))),
        "string" => |lx, n| Ok(Some(lx.string(n))),
        "template_string" => |lx, n| lx.template(n).map(Some),
        // Wrappers lowered as their inner expression.
        "parenthesized_expression"
        | "as_expression"
        | "satisfies_expression"
        | "non_null_expression"
        | "type_assertion"
        | "instantiation_expression"
        | "jsx_expression" => |lx, n| match lx.inner(n) {
            // With a syntax error inside, keep everything (as `Other`).
            _ if n.has_error() => lx.generic(n).map(Some),
            Some(inner) => lx.expr(inner),
            None => Ok(None),
        },
        "call_expression" => |lx, n| lx.call(n).map(Some),
        "new_expression" => |lx, n| lx.new_expr(n).map(Some),
        "await_expression" => |lx, n| lx.await_expr(n).map(Some),
        "member_expression" => |lx, n| lx.member(n).map(Some),
        "subscript_expression" => |lx, n| lx.subscript(n).map(Some),
        "binary_expression" => |lx, n| lx.binary(n).map(Some),
        "assignment_expression" | "augmented_assignment_expression" => {
            |lx, n| lx.assignment(n).map(Some)
        }
        "object" => |lx, n| lx.object(n).map(Some),
        "array" => |lx, n| lx.array(n).map(Some),
        "object_pattern" | "array_pattern" => |lx, n| lx.pattern(n).map(Some),
        "statement_block" => |lx, n| lx.block(n).map(Some),
        "if_statement" => |lx, n| lx.if_stmt(n).map(Some),
        "for_statement" => |lx, n| lx.for_stmt(n).map(Some),
        "for_in_statement" => |lx, n| lx.for_in(n).map(Some),
        "while_statement" | "do_statement" => |lx, n| lx.while_stmt(n).map(Some),
        "try_statement" => |lx, n| lx.try_stmt(n).map(Some),
        "return_statement" => |lx, n| lx.return_stmt(n).map(Some),
        "import_statement" => |lx, n| Ok(Some(lx.import(n))),
        "jsx_element" | "jsx_self_closing_element" => |lx, n| lx.jsx(n).map(Some),
        "internal_module" | "module" => |lx, n| lx.namespace(n).map(Some),
        "enum_declaration" => |lx, n| lx.enum_decl(n).map(Some),
        "regex" | "debugger_statement" => |lx, n| Ok(Some(lx.other_leaf(span(n)))),
        "lexical_declaration"
        | "variable_declaration"
        | "export_statement"
        | "expression_statement" => |lx, n| lx.wrapped_stmt(n).map(Some),
        k if is_function(k) => |lx, n| lx.function(n, false, 0..0).map(Some),
        k if is_class(k) => |lx, n| lx.class(n, 0..0).map(Some),
        // Types, comments and other syntax without runtime behaviour.
        "comment"
        | "html_comment"
        | "hash_bang_line"
        | "empty_statement"
        | "type_annotation"
        | "type_arguments"
        | "type_parameters"
        | "interface_declaration"
        | "type_alias_declaration"
        | "ambient_declaration"
        | "function_signature"
        | "abstract_method_signature"
        | "method_signature"
        | "index_signature"
        | "accessibility_modifier"
        | "override_modifier"
        | "statement_identifier"
        | "jsx_text"
        | "jsx_closing_element"
        | "html_character_reference" => skip as Handler,
        _ => |lx, n| lx.generic(n).map(Some),
    }
}

struct Lx<'a> {
    text: &'a str,
    f: Fields,
    k: Kinds,
    handlers: &'static [Handler],
    b: Builder,
    depth: usize,
    max_depth: usize,
    /// Scratch stack of children; each lowering function pushes its node's children, reads
    /// them by index while recursing (which pushes above them) and truncates back.
    kids: Kids<'a>,
    /// A wrapper's body still to lower in slices, and where it starts (taken when met).
    cut: Option<(&'a Cut<'a>, usize)>,
}

impl<'a> FieldWalk<'a> for Lx<'a> {
    fn kids(&mut self) -> &mut Kids<'a> {
        &mut self.kids
    }
}

impl<'a> Lx<'a> {
    fn text(&self, n: Node) -> &'a str {
        &self.text[n.byte_range()]
    }

    /// Pushes the children of `n` (comments skipped) with their field ids and returns their
    /// index range, for lowerings that hand a range of them on (decorators).
    fn push_kids(&mut self, n: Node<'a>) -> (usize, usize) {
        let start = self.kids.push(n, false);
        (start, self.kids.len())
    }

    /// [`Lx::push_kids`] for the named children only (no field ids).
    fn push_named(&mut self, n: Node<'a>) -> (usize, usize) {
        let start = self.kids.push(n, true);
        (start, self.kids.len())
    }

    fn find(&self, s: usize, e: usize, field: u16) -> Option<Node<'a>> {
        self.kids
            .range(s..e)
            .iter()
            .find(|k| k.field == field)
            .map(|k| k.n)
    }

    /// The first named child that is not a comment, a type or an ERROR (the expression inside
    /// a parenthesis, `as`, `!`, `<T>x`, `satisfies`, spread, `await`, `${}`...).
    fn inner(&mut self, n: Node<'a>) -> Option<Node<'a>> {
        let cur = self.kids.cursor();
        cur.reset(n);
        if !cur.goto_first_child() {
            return None;
        }
        loop {
            let c = cur.node();
            let kind = c.kind_id();
            if c.is_named()
                && !is_comment(c)
                && !c.is_error()
                && kind != self.k.type_arguments
                && kind != self.k.type_annotation
            {
                return Some(c);
            }
            if !cur.goto_next_sibling() {
                return None;
            }
        }
    }

    /// Lowers the ERROR children of a node whose lowering reads fields (they would be lost
    /// otherwise). Only looks at the children when the subtree has an error.
    fn errors(&mut self, n: Node<'a>) -> R<()> {
        if !n.has_error() {
            return Ok(());
        }
        self.try_each_kid(n, true, |lx, k| {
            if k.n.is_error() {
                lx.expr(k.n)?;
            }
            Ok(())
        })
    }

    fn name_leaf(&mut self, n: Node<'a>) -> NodeId {
        let name = self.text(n).to_owned();
        self.b.leaf(span(n), Kind::Name(name))
    }

    fn other_leaf(&mut self, at: Span) -> NodeId {
        self.b.leaf(at, Kind::Other)
    }

    /// Lowers an expression that a kind's field requires; missing or unlowerable ones (syntax
    /// errors) become an `Other` leaf.
    fn req(&mut self, n: Option<Node<'a>>, at: Node<'a>) -> R<NodeId> {
        let id = match n {
            Some(n) => self.expr(n)?,
            None => None,
        };
        Ok(match id {
            Some(id) => id,
            None => self.other_leaf(span(n.unwrap_or(at))),
        })
    }

    // ---- statements ----

    /// The statements of a block-like node (program, statement_block).
    fn stmts_of(&mut self, n: Node<'a>) -> R<Vec<NodeId>> {
        if let Some((cut, at)) = self.cut {
            if n.start_byte() == at && n.kind_id() == self.k.statement_block {
                self.cut = None;
                return self.cut_body(cut, at);
            }
        }
        let mut out = Vec::new();
        self.try_each_kid(n, true, |lx, k| lx.stmt(k.n, &mut out))?;
        Ok(out)
    }

    /// The statements of a wrapper's body (starting at `at`), a slice at a time, each parsed
    /// inside the wrapper: a slice's own statements, and those in the wrapper's head with the
    /// first, in its tail with the last. Sets `cut.failed` (and gives up) when a slice does not
    /// parse cleanly or a statement crosses its ends.
    fn cut_body(&mut self, cut: &Cut, at: usize) -> R<Vec<NodeId>> {
        let mut out = Vec::new();
        let (head, tail) = (cut.w.head, cut.w.tail);
        let last = cut.w.parts.len().saturating_sub(1);
        for (i, &part) in cut.w.parts.iter().enumerate() {
            let tree = with_parser(cut.dialect, |p| {
                super::parse_ranges(p, self.text, &[head, part, tail])
            })?;
            let block = tree
                .as_ref()
                .map(|t| t.root_node())
                .filter(|root| !root.has_error())
                .and_then(|root| cut.body(root, self.k.statement_block))
                .filter(|b| b.start_byte() == at);
            let Some(block) = block else {
                cut.failed.set(true);
                return Err(ParseError::Syntax("a slice did not parse".into()));
            };
            let mut lx = Lx {
                text: self.text,
                f: self.f,
                k: self.k,
                handlers: self.handlers,
                b: std::mem::take(&mut self.b),
                depth: self.depth,
                max_depth: self.max_depth,
                kids: Kids::new(block),
                cut: None,
            };
            let r = lx.try_each_kid(block, true, |lx, k| {
                let (s, e) = (k.n.start_byte(), k.n.end_byte());
                let lower = if e <= part.start_byte {
                    i == 0
                } else if s >= part.end_byte {
                    i == last
                } else if s >= part.start_byte && e <= part.end_byte {
                    true
                } else {
                    cut.failed.set(true);
                    return Err(ParseError::Syntax("a statement crosses a slice".into()));
                };
                match lower {
                    true => lx.stmt(k.n, &mut out),
                    false => Ok(()),
                }
            });
            self.b = lx.b;
            r?;
        }
        Ok(out)
    }

    /// The body of an `if`/loop/`else`: a block's statements, or the single statement.
    fn body_of(&mut self, n: Node<'a>) -> R<Vec<NodeId>> {
        if n.kind_id() == self.k.statement_block {
            self.stmts_of(n)
        } else {
            let mut out = Vec::new();
            self.stmt(n, &mut out)?;
            Ok(out)
        }
    }

    /// Lowers a statement, pushing the resulting node(s) (a declaration with several
    /// declarators, or a `require`, gives several).
    fn stmt(&mut self, n: Node<'a>, out: &mut Vec<NodeId>) -> R<()> {
        let kind = n.kind_id();
        match kind {
            _ if kind == self.k.expression_statement => {
                self.try_each_kid(n, true, |lx, k| {
                    out.extend(lx.expr(k.n)?);
                    Ok(())
                })?;
            }
            _ if kind == self.k.lexical_declaration || kind == self.k.variable_declaration => {
                self.enter()?;
                self.declaration(n, false, out)?;
                self.depth -= 1;
            }
            _ if kind == self.k.export_statement => {
                self.enter()?;
                self.export(n, out)?;
                self.depth -= 1;
            }
            _ => out.extend(self.expr(n)?),
        }
        Ok(())
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(ParseError::TooDeep(self.max_depth));
        }
        Ok(())
    }

    /// Lowers any node; `None` for what is not lowered (types, comments, punctuation).
    fn expr(&mut self, n: Node<'a>) -> R<Option<NodeId>> {
        self.enter()?;
        let r = self.dispatch(n);
        self.depth -= 1;
        r
    }

    /// Punctuation and keywords (`function`, `class`, `import` tokens included) are skipped;
    /// ERROR nodes (whose id is outside the table) are lowered generically.
    fn dispatch(&mut self, n: Node<'a>) -> R<Option<NodeId>> {
        match self.handlers.get(n.kind_id() as usize) {
            Some(h) => h(self, n),
            None => self.generic(n).map(Some),
        }
    }

    /// Anything not modelled: `Other` with its named children lowered.
    fn generic(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let mut sink = Vec::new();
        self.try_each_kid(n, true, |lx, k| {
            lx.stmt(k.n, &mut sink)?;
            sink.clear();
            Ok(())
        })?;
        Ok(self.b.close(id, Kind::Other))
    }

    /// A statement met where a single node is expected (syntax-error recovery).
    fn wrapped_stmt(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let mut sink = Vec::new();
        self.stmt(n, &mut sink)?;
        Ok(self.b.close(id, Kind::Other))
    }

    fn block(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let body = self.stmts_of(n)?;
        Ok(self.b.close(id, Kind::Block(body)))
    }

    /// `namespace X { ... }`: `Other` with the body's statements.
    fn namespace(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        if let Some(body) = n.child_by_field_id(self.f.body) {
            self.stmts_of(body)?;
        }
        Ok(self.b.close(id, Kind::Other))
    }

    /// `enum E { A = f() }`: `Other` with the member values.
    fn enum_decl(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        if let Some(body) = n.child_by_field_id(self.f.body) {
            let value = self.f.value;
            self.try_each_kid(body, true, |lx, k| {
                if let Some(v) = k.n.child_by_field_id(value) {
                    lx.expr(v)?;
                }
                Ok(())
            })?;
        }
        Ok(self.b.close(id, Kind::Other))
    }

    fn if_stmt(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let cond = n.child_by_field_id(self.f.condition);
        let cond = self.req(cond, n)?;
        let then = match n.child_by_field_id(self.f.consequence) {
            Some(c) => self.body_of(c)?,
            None => Vec::new(),
        };
        let els = match n.child_by_field_id(self.f.alternative) {
            Some(alt) => match self.inner(alt) {
                Some(st) => self.body_of(st)?,
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        self.errors(n)?;
        Ok(self.b.close(id, Kind::If { cond, then, els }))
    }

    fn return_stmt(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let value = match self.inner(n) {
            Some(v) => self.expr(v)?,
            None => None,
        };
        self.errors(n)?;
        Ok(self.b.close(id, Kind::Return(value)))
    }

    /// `for (init; cond; update)`: init, condition, update and body lowered as children.
    fn for_stmt(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut sink = Vec::new();
        let mut body = Vec::new();
        self.try_each_kid(n, false, |lx, k| {
            if k.field == f.body {
                body = lx.body_of(k.n)?;
            } else if k.n.is_named() {
                lx.stmt(k.n, &mut sink)?;
                sink.clear();
            }
            Ok(())
        })?;
        let lp = Loop {
            kind: LoopKind::For,
            bindings: Vec::new(),
            iter: None,
            body,
            is_async: false,
        };
        Ok(self.b.close(id, Kind::Loop(Box::new(lp))))
    }

    /// `for (const x of xs)`, `for await (...)`, `for (k in o)`.
    fn for_in(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let mut bindings = Vec::new();
        if let Some(left) = n.child_by_field_id(self.f.left) {
            self.bindings(left, &mut bindings, 0)?;
        }
        let iter = match n.child_by_field_id(self.f.right) {
            Some(r) => self.expr(r)?,
            None => None,
        };
        let body = match n.child_by_field_id(self.f.body) {
            Some(b) => self.body_of(b)?,
            None => Vec::new(),
        };
        self.errors(n)?;
        let lp = Loop {
            kind: LoopKind::For,
            bindings,
            iter,
            body,
            is_async: self.for_await(n),
        };
        Ok(self.b.close(id, Kind::Loop(Box::new(lp))))
    }

    /// Names bound by a pattern (`x`, `[k, v]`, `{ id, user: { name } }`).
    fn bindings(&mut self, n: Node<'a>, out: &mut Vec<String>, depth: usize) -> R<()> {
        if depth > self.max_depth {
            return Err(ParseError::TooDeep(self.max_depth));
        }
        match n.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                out.push(self.text(n).to_owned())
            }
            "object_pattern" | "array_pattern" | "rest_pattern" | "parenthesized_expression" => {
                self.try_each_kid(n, true, |lx, k| lx.bindings(k.n, out, depth + 1))?;
            }
            "pair_pattern" => {
                if let Some(v) = n.child_by_field_id(self.f.value) {
                    self.bindings(v, out, depth + 1)?;
                }
            }
            "assignment_pattern" | "object_assignment_pattern" => {
                if let Some(l) = n.child_by_field_id(self.f.left) {
                    self.bindings(l, out, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `while (c) body` and `do body while (c)`, children in source order.
    fn while_stmt(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut body = Vec::new();
        self.try_each_kid(n, false, |lx, k| {
            if k.field == f.body {
                body = lx.body_of(k.n)?;
            } else if k.field == f.condition || k.n.is_error() {
                lx.expr(k.n)?;
            }
            Ok(())
        })?;
        let lp = Loop {
            kind: LoopKind::While,
            bindings: Vec::new(),
            iter: None,
            body,
            is_async: false,
        };
        Ok(self.b.close(id, Kind::Loop(Box::new(lp))))
    }

    /// `for await (...)`: the `await` token before the header's `(`.
    fn for_await(&mut self, n: Node<'a>) -> bool {
        let cur = self.kids.cursor();
        cur.reset(n);
        if !cur.goto_first_child() {
            return false;
        }
        while cur.goto_next_sibling() {
            match cur.node().kind() {
                "await" => return true,
                "(" => return false,
                _ => {}
            }
        }
        false
    }

    /// `!x`, `-x`, `typeof x`, `void x`, `x++`, `--x`.
    fn unary(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let (s, e) = self.push_kids(n);
        let argument = self.find(s, e, self.f.argument);
        let op = match self.find(s, e, self.f.operator).map(|o| o.kind()) {
            Some("!") => UnOp::Not,
            Some("-") => UnOp::Neg,
            Some("typeof") => UnOp::TypeOf,
            Some("++") => UnOp::Incr,
            Some("--") => UnOp::Decr,
            _ => UnOp::Other,
        };
        self.kids.truncate(s);
        let operand = self.req(argument, n)?;
        self.errors(n)?;
        Ok(self.b.close(id, Kind::Unary { op, operand }))
    }

    fn try_stmt(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let body = match n.child_by_field_id(self.f.body) {
            Some(b) => self.stmts_of(b)?,
            None => Vec::new(),
        };
        let mut handlers = Vec::new();
        if let Some(h) = n.child_by_field_id(self.f.handler) {
            let cid = self.b.open(span(h));
            let binding = h
                .child_by_field_id(self.f.parameter)
                .map(|p| self.text(p).to_owned());
            let body = match h.child_by_field_id(self.f.body) {
                Some(b) => self.stmts_of(b)?,
                None => Vec::new(),
            };
            self.errors(h)?;
            handlers.push(self.b.close(
                cid,
                Kind::Catch {
                    types: Vec::new(),
                    binding,
                    body,
                },
            ));
        }
        let finally = match n
            .child_by_field_id(self.f.finalizer)
            .and_then(|f| f.child_by_field_id(self.f.body))
        {
            Some(b) => self.stmts_of(b)?,
            None => Vec::new(),
        };
        self.errors(n)?;
        Ok(self.b.close(
            id,
            Kind::Try {
                body,
                handlers,
                finally,
            },
        ))
    }

    // ---- declarations ----

    /// `const|let|var` with one `Assign` per declarator (plus an `Import` before a `require`).
    fn declaration(&mut self, n: Node<'a>, exported: bool, out: &mut Vec<NodeId>) -> R<()> {
        let (s, e) = self.push_named(n);
        let count = self
            .kids
            .range(s..e)
            .iter()
            .filter(|k| k.n.kind() == "variable_declarator")
            .count();
        for i in s..e {
            let k = self.kids.get(i).n;
            if k.kind() == "variable_declarator" {
                let at = if count == 1 { span(n) } else { span(k) };
                self.declarator(k, at, exported, out)?;
            } else {
                out.extend(self.expr(k)?);
            }
        }
        self.kids.truncate(s);
        Ok(())
    }

    fn declarator(
        &mut self,
        d: Node<'a>,
        at: Span,
        exported: bool,
        out: &mut Vec<NodeId>,
    ) -> R<()> {
        let name = d.child_by_field_id(self.f.name);
        let value = d.child_by_field_id(self.f.value);
        if let (Some(name), Some(value)) = (name, value) {
            if let Some(import) = self.require_import(name, value) {
                out.push(self.b.leaf(at, Kind::Import(Box::new(import))));
            }
        }
        let id = self.b.open(at);
        let target = match name {
            Some(p) => self.pattern(p)?,
            None => self.other_leaf(span(d)),
        };
        let value = match value {
            Some(v) => self.value(v, exported)?,
            None => None,
        };
        self.errors(d)?;
        out.push(self.b.close(
            id,
            Kind::Assign {
                target,
                value,
                declared: true,
                augmented: false,
            },
        ));
        Ok(())
    }

    /// An assigned value; functions get `exported` (`export const h = () => {}`).
    fn value(&mut self, v: Node<'a>, exported: bool) -> R<Option<NodeId>> {
        if exported && is_function(v.kind()) {
            self.function(v, true, 0..0).map(Some)
        } else {
            self.expr(v)
        }
    }

    /// `const x = require('m')`, `const { a, b: c } = require('m')`,
    /// `const f = require('m').f`.
    fn require_import(&mut self, name: Node<'a>, value: Node<'a>) -> Option<Import> {
        let (call, member) = match value.kind() {
            "call_expression" => (value, None),
            "member_expression" => {
                let obj = value.child_by_field_id(self.f.object)?;
                let prop = value.child_by_field_id(self.f.property)?;
                (obj, Some(self.text(prop)))
            }
            _ => return None,
        };
        if call.kind() != "call_expression" {
            return None;
        }
        let callee = call.child_by_field_id(self.f.function)?;
        if callee.kind() != "identifier" || self.text(callee) != "require" {
            return None;
        }
        let args = call.child_by_field_id(self.f.arguments)?;
        let arg = self.inner(args)?;
        if arg.kind() != "string" {
            return None;
        }
        let module = string_value(self.text(arg));
        let mut names = Vec::new();
        match (name.kind(), member) {
            ("identifier", Some(m)) => names.push((m.to_owned(), self.text(name).to_owned())),
            ("identifier", None) => names.push((String::new(), self.text(name).to_owned())),
            ("object_pattern", None) => {
                let f = self.f;
                self.each_kid(name, true, |lx, k| {
                    let k = k.n;
                    match k.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let t = lx.text(k).to_owned();
                            names.push((t.clone(), t));
                        }
                        "pair_pattern" => {
                            let key = k.child_by_field_id(f.key);
                            let val = k.child_by_field_id(f.value);
                            if let (Some(key), Some(val)) = (key, val) {
                                let key = match key.kind() {
                                    "string" => string_value(lx.text(key)),
                                    _ => lx.text(key).to_owned(),
                                };
                                names.push((key, lx.text(val).to_owned()));
                            }
                        }
                        "object_assignment_pattern" => {
                            if let Some(l) = k.child_by_field_id(f.left) {
                                let t = lx.text(l).to_owned();
                                names.push((t.clone(), t));
                            }
                        }
                        _ => {}
                    }
                });
            }
            _ => {}
        }
        Some(Import { module, names })
    }

    /// A binding or assignment target: names, destructuring patterns (as `Object`/`Array`),
    /// member and index expressions.
    fn pattern(&mut self, n: Node<'a>) -> R<NodeId> {
        self.enter()?;
        let id = match n.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => self.name_leaf(n),
            "object_pattern" => self.object_pattern(n)?,
            "array_pattern" => {
                let id = self.b.open(span(n));
                let mut items = Vec::new();
                self.try_each_kid(n, true, |lx, k| {
                    items.push(lx.pattern(k.n)?);
                    Ok(())
                })?;
                self.b.close(id, Kind::Array(items))
            }
            // `a = 1`: the target; the default is lowered right after it (an extra child of
            // the enclosing pattern).
            "assignment_pattern" | "object_assignment_pattern" => {
                let left = n.child_by_field_id(self.f.left);
                let target = match left {
                    Some(l) => self.pattern(l)?,
                    None => self.other_leaf(span(n)),
                };
                if let Some(r) = n.child_by_field_id(self.f.right) {
                    self.expr(r)?;
                }
                target
            }
            "rest_pattern" => match self.inner(n) {
                Some(inner) => self.pattern(inner)?,
                None => self.other_leaf(span(n)),
            },
            _ => self.req(Some(n), n)?,
        };
        self.depth -= 1;
        Ok(id)
    }

    fn object_pattern(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let f = self.f;
        let mut entries = Vec::new();
        self.try_each_kid(n, true, |lx, k| {
            let k = k.n;
            let at = span(k);
            match k.kind() {
                "shorthand_property_identifier_pattern" => {
                    let value = lx.name_leaf(k);
                    let key = Some(lx.text(k).to_owned());
                    entries.push(Entry {
                        key,
                        key_node: None,
                        value,
                        span: at,
                    });
                }
                "object_assignment_pattern" => {
                    let key = k.child_by_field_id(f.left).map(|l| lx.text(l).to_owned());
                    let value = lx.pattern(k)?;
                    entries.push(Entry {
                        key,
                        key_node: None,
                        value,
                        span: at,
                    });
                }
                "pair_pattern" => {
                    let (key, key_node) = match k.child_by_field_id(f.key) {
                        Some(key) => lx.prop_key(key)?,
                        None => (None, None),
                    };
                    let value = match k.child_by_field_id(f.value) {
                        Some(v) => lx.pattern(v)?,
                        None => lx.other_leaf(at),
                    };
                    entries.push(Entry {
                        key,
                        key_node,
                        value,
                        span: at,
                    });
                }
                "rest_pattern" => {
                    let value = lx.pattern(k)?;
                    entries.push(Entry {
                        key: None,
                        key_node: None,
                        value,
                        span: at,
                    });
                }
                _ => {
                    lx.expr(k)?;
                }
            }
            Ok(())
        })?;
        Ok(self.b.close(id, Kind::Object { ty: None, entries }))
    }

    /// A property key: its text for names, numbers and strings; strings and computed keys
    /// are also lowered (`key_node`).
    fn prop_key(&mut self, key: Node<'a>) -> R<(Option<String>, Option<NodeId>)> {
        Ok(match key.kind() {
            "string" => (Some(string_value(self.text(key))), Some(self.string(key))),
            "computed_property_name" => match self.inner(key) {
                Some(inner) => {
                    let text = (inner.kind() == "string").then(|| string_value(self.text(inner)));
                    (text, self.expr(inner)?)
                }
                None => (None, None),
            },
            _ => (Some(self.text(key).to_owned()), None),
        })
    }

    /// `export ...`: the declaration lowered with `exported` set; `export { a }` and
    /// re-exports are `Other` leaves.
    fn export(&mut self, n: Node<'a>, out: &mut Vec<NodeId>) -> R<()> {
        let (s, e) = self.push_kids(n);
        let f = self.f;
        let decos = self.decorator_range(s, e);
        let decl = self.find(s, e, f.declaration);
        let value = self.find(s, e, f.value);
        match decl.or(value) {
            Some(d) if is_function(d.kind()) => out.push(self.function(d, true, decos)?),
            Some(d) if is_class(d.kind()) => out.push(self.class(d, decos)?),
            Some(d) if matches!(d.kind(), "lexical_declaration" | "variable_declaration") => {
                self.declaration(d, true, out)?
            }
            Some(d) => out.extend(self.expr(d)?),
            None => {
                // `export = x` has its expression as an unnamed-field child.
                let inner = self
                    .kids
                    .range(s..e)
                    .iter()
                    .find(|k| k.n.is_named() && k.field != f.decorator && k.field != f.source)
                    .map(|k| k.n);
                match inner {
                    Some(x) if x.kind() != "export_clause" && x.kind() != "namespace_export" => {
                        out.extend(self.expr(x)?)
                    }
                    _ => out.push(self.other_leaf(span(n))),
                }
            }
        }
        self.kids.truncate(s);
        Ok(())
    }

    /// The index range of the `decorator` children among kids `s..e`.
    fn decorator_range(&self, s: usize, e: usize) -> Range<usize> {
        let mut first = None;
        let mut last = s;
        for i in s..e {
            if self.kids.get(i).n.kind() == "decorator" {
                first.get_or_insert(i);
                last = i + 1;
            }
        }
        first.map_or(0..0, |f| f..last)
    }

    fn import(&mut self, n: Node<'a>) -> NodeId {
        let mut module = None;
        let mut names = Vec::new();
        let source = self.f.source;
        self.each_kid(n, false, |lx, k| {
            if k.field == source {
                module = Some(string_value(lx.text(k.n)));
                return;
            }
            match k.n.kind() {
                "import_clause" => lx.import_clause(k.n, &mut names),
                // TS `import fs = require('fs')`.
                "import_require_clause" => {
                    if let Some(src) = k.n.child_by_field_id(source) {
                        module = Some(string_value(lx.text(src)));
                    }
                    if let Some(id) = lx.inner(k.n).filter(|c| c.kind() == "identifier") {
                        names.push((String::new(), lx.text(id).to_owned()));
                    }
                }
                _ => {}
            }
        });
        match module {
            Some(module) => self
                .b
                .leaf(span(n), Kind::Import(Box::new(Import { module, names }))),
            None => self.other_leaf(span(n)),
        }
    }

    fn import_clause(&mut self, n: Node<'a>, names: &mut Vec<(String, String)>) {
        let f = self.f;
        self.each_kid(n, true, |lx, k| match k.n.kind() {
            "identifier" => names.push(("default".to_owned(), lx.text(k.n).to_owned())),
            "namespace_import" => {
                if let Some(id) = lx.inner(k.n) {
                    names.push((String::new(), lx.text(id).to_owned()));
                }
            }
            "named_imports" => lx.each_kid(k.n, true, |lx, spec| {
                let spec = spec.n;
                if spec.kind() != "import_specifier" {
                    return;
                }
                let Some(name) = spec.child_by_field_id(f.name) else {
                    return;
                };
                let name = match name.kind() {
                    "string" => string_value(lx.text(name)),
                    _ => lx.text(name).to_owned(),
                };
                let alias = match spec.child_by_field_id(f.alias) {
                    Some(a) => lx.text(a).to_owned(),
                    None => name.clone(),
                };
                names.push((name, alias));
            }),
            _ => {}
        });
    }

    // ---- functions and classes ----

    /// A decorator: its callee path as the name and the lowered expression.
    fn decorator(&mut self, d: Node<'a>) -> R<Decorator> {
        let inner = self.inner(d);
        let name = self.decorator_name(inner).to_owned();
        let node = match inner {
            Some(c) => self.expr(c)?,
            None => None,
        };
        Ok(Decorator {
            name,
            node,
            args: String::new(),
            span: span(d),
        })
    }

    fn decorator_name(&self, inner: Option<Node<'a>>) -> &'a str {
        match inner {
            Some(c) if c.kind() == "call_expression" => c
                .child_by_field_id(self.f.function)
                .map_or("", |f| self.text(f)),
            Some(c) => self.text(c),
            None => "",
        }
    }

    /// Functions, arrows, methods. `decos` are decorators preceding the node among the
    /// parent's kids (TS class members, `@Dec export class`).
    fn function(&mut self, n: Node<'a>, exported: bool, decos: Range<usize>) -> R<NodeId> {
        self.enter()?;
        let f = self.f;
        let start = match decos.clone().next() {
            Some(d) => self.kids.get(d).n.start_byte().min(n.start_byte()),
            None => n.start_byte(),
        };
        let id = self.b.open(Span::new(start, n.end_byte()));
        let (mut name, mut params, mut ret, mut body) = (None, None, None, None);
        let mut is_async = false;
        let mut head_start = None;
        let mut decorators = Vec::new();
        for i in decos {
            let d = self.kids.get(i).n;
            if d.kind() == "decorator" {
                decorators.push(self.decorator(d)?);
            }
        }
        let k_ = self.k;
        self.try_each_kid(n, false, |lx, k| {
            if k.n.kind_id() == k_.decorator {
                decorators.push(lx.decorator(k.n)?);
                return Ok(());
            }
            head_start.get_or_insert(k.n.start_byte());
            if k.field == f.name {
                name = Some(k.n);
            } else if k.field == f.parameters || k.field == f.parameter {
                params = Some(k.n);
            } else if k.field == f.return_type {
                ret = Some(k.n);
            } else if k.field == f.body {
                body = Some(k.n);
            } else if k.n.kind_id() == k_.async_kw {
                is_async = true;
            } else if k.n.is_error() {
                lx.expr(k.n)?;
            }
            Ok(())
        })?;
        let params_v = match params {
            Some(p) => self.params(p)?,
            None => Vec::new(),
        };
        let (body_v, expr_body) = match body {
            Some(b) if b.kind_id() == self.k.statement_block => (self.stmts_of(b)?, None),
            Some(b) => (Vec::new(), self.expr(b)?),
            None => (Vec::new(), None),
        };
        let head_end = ret.or(params).map_or(n.end_byte(), |x| x.end_byte());
        self.depth -= 1;
        let func = Function {
            name: name.map(|nm| match nm.kind() {
                "string" => string_value(self.text(nm)),
                _ => self.text(nm).to_owned(),
            }),
            is_async,
            params: params_v,
            decorators,
            returns: ret.map(|r| type_text(self.text(r))),
            body: body_v,
            expr_body,
            exported,
            head: Span::new(head_start.unwrap_or(start), head_end),
        };
        Ok(self.b.close(id, Kind::Function(Box::new(func))))
    }

    fn params(&mut self, p: Node<'a>) -> R<Vec<Param>> {
        if p.kind() != "formal_parameters" {
            // `x => ...`
            let name = self.text(p).to_owned();
            return Ok(vec![Param {
                name,
                span: span(p),
                ..Param::default()
            }]);
        }
        let f = self.f;
        let mut out = Vec::with_capacity(p.named_child_count());
        self.try_each_kid(p, true, |lx, k| {
            let k = k.n;
            if k.is_error() {
                lx.expr(k)?;
                return Ok(());
            }
            let mut param = Param {
                span: span(k),
                ..Param::default()
            };
            match k.kind() {
                "required_parameter" | "optional_parameter" => {
                    lx.try_each_kid(k, false, |lx, c| {
                        if c.field == f.pattern || c.field == f.name {
                            param.name = lx.pattern_name(c.n);
                        } else if c.field == f.ty {
                            param.ty = Some(type_text(lx.text(c.n)));
                        } else if c.field == f.value {
                            param.default = lx.expr(c.n)?;
                        } else if c.n.kind() == "decorator" {
                            let inner = lx.inner(c.n);
                            param.decorators.push(lx.decorator_name(inner).to_owned());
                        }
                        Ok(())
                    })?;
                }
                "assignment_pattern" => {
                    if let Some(l) = k.child_by_field_id(f.left) {
                        param.name = lx.pattern_name(l);
                    }
                    if let Some(r) = k.child_by_field_id(f.right) {
                        param.default = lx.expr(r)?;
                    }
                }
                _ => param.name = lx.pattern_name(k),
            }
            out.push(param);
            Ok(())
        })?;
        Ok(out)
    }

    /// A parameter's name: the identifier, the rest parameter's name, or the pattern text.
    fn pattern_name(&mut self, n: Node<'a>) -> String {
        let n = match n.kind() {
            "rest_pattern" => self.inner(n).unwrap_or(n),
            _ => n,
        };
        self.text(n).to_owned()
    }

    fn class(&mut self, n: Node<'a>, decos: Range<usize>) -> R<NodeId> {
        self.enter()?;
        let start = match decos.clone().next() {
            Some(d) => self.kids.get(d).n.start_byte().min(n.start_byte()),
            None => n.start_byte(),
        };
        let id = self.b.open(Span::new(start, n.end_byte()));
        let mut decorators = Vec::new();
        for i in decos {
            let d = self.kids.get(i).n;
            if d.kind() == "decorator" {
                decorators.push(self.decorator(d)?);
            }
        }
        let name_field = self.f.name;
        let mut name = String::new();
        let mut bases = Vec::new();
        let mut body = Vec::new();
        self.try_each_kid(n, false, |lx, k| {
            match k.n.kind() {
                "decorator" => decorators.push(lx.decorator(k.n)?),
                "class_heritage" => lx.heritage(k.n, &mut bases),
                "class_body" => body = lx.class_body(k.n)?,
                _ if k.field == name_field => name = lx.text(k.n).to_owned(),
                _ if k.n.is_error() => {
                    lx.expr(k.n)?;
                }
                _ => {}
            }
            Ok(())
        })?;
        self.depth -= 1;
        let class = Class {
            name,
            bases,
            decorators,
            body,
        };
        Ok(self.b.close(id, Kind::Class(Box::new(class))))
    }

    /// `extends A implements B, C` (TS) or `extends expr` (JS).
    fn heritage(&mut self, h: Node<'a>, out: &mut Vec<String>) {
        let value = self.f.value;
        self.each_kid(h, true, |lx, k| match k.n.kind() {
            "extends_clause" => lx.each_kid(k.n, false, |lx, c| {
                if c.field == value {
                    out.push(lx.text(c.n).to_owned());
                }
            }),
            "implements_clause" => {
                lx.each_kid(k.n, true, |lx, t| out.push(lx.text(t.n).to_owned()))
            }
            _ => out.push(lx.text(k.n).to_owned()),
        });
    }

    fn class_body(&mut self, n: Node<'a>) -> R<Vec<NodeId>> {
        let (s, e) = self.push_named(n);
        let mut out = Vec::new();
        // TS puts member decorators before the member, as children of the class body.
        let mut pending: Option<usize> = None;
        for i in s..e {
            let k = self.kids.get(i).n;
            if k.kind() == "decorator" {
                pending.get_or_insert(i);
                continue;
            }
            let decos = pending.take().map_or(0..0, |d| d..i);
            match k.kind() {
                "method_definition" => out.push(self.function(k, false, decos)?),
                "public_field_definition" | "field_definition" => out.push(self.field(k, decos)?),
                _ => out.extend(self.expr(k)?),
            }
        }
        self.kids.truncate(s);
        Ok(out)
    }

    /// A class field: `Assign { target: Name(field), value, declared: true }`; decorator
    /// expressions are lowered as extra children.
    fn field(&mut self, n: Node<'a>, decos: Range<usize>) -> R<NodeId> {
        let id = self.b.open(span(n));
        for i in decos {
            let d = self.kids.get(i).n;
            if let Some(inner) = self.inner(d) {
                self.expr(inner)?;
            }
        }
        let f = self.f;
        let (mut name, mut value) = (None, None);
        self.try_each_kid(n, false, |lx, k| {
            if k.n.kind() == "decorator" {
                if let Some(inner) = lx.inner(k.n) {
                    lx.expr(inner)?;
                }
            } else if k.field == f.name || k.field == f.property {
                name = Some(k.n);
            } else if k.field == f.value {
                value = Some(k.n);
            } else if k.n.is_error() {
                lx.expr(k.n)?;
            }
            Ok(())
        })?;
        let target = match name {
            Some(nm) => self.name_leaf(nm),
            None => self.other_leaf(span(n)),
        };
        let value = match value {
            Some(v) => self.expr(v)?,
            None => None,
        };
        Ok(self.b.close(
            id,
            Kind::Assign {
                target,
                value,
                declared: true,
                augmented: false,
            },
        ))
    }

    // ---- expressions ----

    fn string(&mut self, n: Node<'a>) -> NodeId {
        let value = string_value(self.text(n));
        let s = Str {
            value,
            kind: StrKind::Plain,
            parts: Vec::new(),
        };
        self.b.leaf(span(n), Kind::Str(Box::new(s)))
    }

    /// A template literal: static text with `{}` for each `${...}`, the substitutions lowered.
    fn template(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let text = self.text;
        let end = if n.end_byte() > n.start_byte() + 1 && text[..n.end_byte()].ends_with('`') {
            n.end_byte() - 1
        } else {
            n.end_byte()
        };
        let mut pos = (n.start_byte() + 1).min(end);
        let mut value = String::with_capacity(end - pos);
        let mut parts = Vec::new();
        let mut interpolated = false;
        let substitution = self.k.template_substitution;
        self.try_each_kid(n, true, |lx, k| {
            let k = k.n;
            if k.kind_id() != substitution {
                return Ok(());
            }
            interpolated = true;
            decode_into(&text[pos..k.start_byte().max(pos)], &mut value);
            value.push_str("{}");
            pos = k.end_byte().min(end).max(pos);
            if let Some(inner) = lx.inner(k) {
                parts.extend(lx.expr(inner)?);
            }
            Ok(())
        })?;
        decode_into(&text[pos..end], &mut value);
        let kind = if interpolated {
            StrKind::Interpolated
        } else {
            StrKind::Plain
        };
        Ok(self
            .b
            .close(id, Kind::Str(Box::new(Str { value, kind, parts }))))
    }

    fn call(&mut self, n: Node<'a>) -> R<NodeId> {
        // tree-sitter-typescript 0.23 parses `await a.b<T>(x)` as `(await a.b)<T>(x)`:
        // lower it as `await (a.b<T>(x))`.
        let function = n.child_by_field_id(self.f.function);
        if let Some(aw) = function.filter(|f| f.kind() == "await_expression") {
            if let Some(inner) = aw.named_child(0) {
                let outer = self.b.open(span(n));
                let call =
                    self.call_with_callee(n, inner, Span::new(inner.start_byte(), n.end_byte()))?;
                return Ok(self.b.close(outer, Kind::Await(call)));
            }
        }
        self.call_with_callee(n, function.unwrap_or(n), span(n))
    }

    fn call_with_callee(&mut self, n: Node<'a>, callee_node: Node<'a>, sp: Span) -> R<NodeId> {
        let id = self.b.open(sp);
        let callee = if callee_node == n {
            self.req(None, n)?
        } else {
            self.req(Some(callee_node), n)?
        };
        let (args, is_tagged) = match n.child_by_field_id(self.f.arguments) {
            Some(a) if a.kind_id() == self.k.template_string => {
                let value = self.template(a)?;
                (
                    vec![Arg {
                        name: None,
                        value,
                        spread: false,
                    }],
                    true,
                )
            }
            Some(a) => (self.args(a)?, false),
            None => (Vec::new(), false),
        };
        self.errors(n)?;
        let call = Call {
            callee,
            args,
            is_new: false,
            is_macro: false,
            is_tagged,
        };
        Ok(self.b.close(id, Kind::Call(Box::new(call))))
    }

    fn new_expr(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let callee = n.child_by_field_id(self.f.constructor);
        let callee = self.req(callee, n)?;
        let args = match n.child_by_field_id(self.f.arguments) {
            Some(a) => self.args(a)?,
            None => Vec::new(),
        };
        self.errors(n)?;
        let call = Call {
            callee,
            args,
            is_new: true,
            is_macro: false,
            is_tagged: false,
        };
        Ok(self.b.close(id, Kind::Call(Box::new(call))))
    }

    fn args(&mut self, a: Node<'a>) -> R<Vec<Arg>> {
        let mut out = Vec::with_capacity(a.named_child_count());
        let spread = self.k.spread_element;
        self.try_each_kid(a, true, |lx, k| {
            let k = k.n;
            if k.kind_id() == spread {
                let inner = lx.inner(k);
                let value = lx.req(inner, k)?;
                out.push(Arg {
                    name: None,
                    value,
                    spread: true,
                });
            } else if let Some(value) = lx.expr(k)? {
                out.push(Arg {
                    name: None,
                    value,
                    spread: false,
                });
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn await_expr(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let inner = self.inner(n);
        let inner = self.req(inner, n)?;
        self.errors(n)?;
        Ok(self.b.close(id, Kind::Await(inner)))
    }

    fn member(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let object = n.child_by_field_id(self.f.object);
        let object = self.req(object, n)?;
        let property = n
            .child_by_field_id(self.f.property)
            .map_or("", |p| self.text(p))
            .to_owned();
        self.errors(n)?;
        Ok(self.b.close(id, Kind::Member { object, property }))
    }

    fn subscript(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let object = n.child_by_field_id(self.f.object);
        let object = self.req(object, n)?;
        let index = n.child_by_field_id(self.f.index);
        let index = self.req(index, n)?;
        self.errors(n)?;
        Ok(self.b.close(id, Kind::Index { object, index }))
    }

    fn binary(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let (s, e) = self.push_kids(n);
        let left = self.find(s, e, self.f.left);
        let right = self.find(s, e, self.f.right);
        let op = match self.find(s, e, self.f.operator).map(|o| o.kind()) {
            Some("+") => BinOp::Add,
            Some("%") => BinOp::Mod,
            Some("&&" | "??") => BinOp::And,
            Some("||") => BinOp::Or,
            Some("==" | "===" | "!=" | "!==" | "<" | ">" | "<=" | ">=" | "instanceof" | "in") => {
                BinOp::Compare
            }
            _ => BinOp::Other,
        };
        self.kids.truncate(s);
        let lhs = self.req(left, n)?;
        let rhs = self.req(right, n)?;
        self.errors(n)?;
        Ok(self.b.close(id, Kind::Binary { op, lhs, rhs }))
    }

    /// `x = v`, `x += v`; functions assigned to `module.exports`/`exports.x` are exported.
    fn assignment(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let left = n.child_by_field_id(self.f.left);
        let right = n.child_by_field_id(self.f.right);
        let target = match left {
            Some(l) => self.pattern(l)?,
            None => self.other_leaf(span(n)),
        };
        let exported = left.is_some_and(|l| {
            let t = self.text(l);
            t.starts_with("module.exports") || t.starts_with("exports.")
        });
        let value = match right {
            Some(r) => self.value(r, exported)?,
            None => None,
        };
        let augmented = n.kind() == "augmented_assignment_expression";
        self.errors(n)?;
        Ok(self.b.close(
            id,
            Kind::Assign {
                target,
                value,
                declared: false,
                augmented,
            },
        ))
    }

    fn object(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let mut entries = Vec::with_capacity(n.named_child_count() / 2);
        let (f, kinds) = (self.f, self.k);
        self.try_each_kid(n, true, |lx, k| {
            let k = k.n;
            let at = span(k);
            let kind = k.kind_id();
            match kind {
                _ if kind == kinds.pair => {
                    let (key, key_node) = match k.child_by_field_id(f.key) {
                        Some(key) => lx.prop_key(key)?,
                        None => (None, None),
                    };
                    let value = k.child_by_field_id(f.value);
                    let value = lx.req(value, k)?;
                    entries.push(Entry {
                        key,
                        key_node,
                        value,
                        span: at,
                    });
                }
                _ if kind == kinds.shorthand_property_identifier => {
                    let value = lx.name_leaf(k);
                    let key = Some(lx.text(k).to_owned());
                    entries.push(Entry {
                        key,
                        key_node: None,
                        value,
                        span: at,
                    });
                }
                _ if kind == kinds.method_definition => {
                    let key = k.child_by_field_id(f.name).and_then(|nm| match nm.kind() {
                        "computed_property_name" => None,
                        "string" => Some(string_value(lx.text(nm))),
                        _ => Some(lx.text(nm).to_owned()),
                    });
                    let value = lx.function(k, false, 0..0)?;
                    entries.push(Entry {
                        key,
                        key_node: None,
                        value,
                        span: at,
                    });
                }
                _ if kind == kinds.spread_element => {
                    let inner = lx.inner(k);
                    let value = lx.req(inner, k)?;
                    entries.push(Entry {
                        key: None,
                        key_node: None,
                        value,
                        span: at,
                    });
                }
                _ => {
                    lx.expr(k)?;
                }
            }
            Ok(())
        })?;
        Ok(self.b.close(id, Kind::Object { ty: None, entries }))
    }

    fn array(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        let mut items = Vec::with_capacity(n.named_child_count());
        self.try_each_kid(n, true, |lx, k| {
            items.extend(lx.expr(k.n)?);
            Ok(())
        })?;
        Ok(self.b.close(id, Kind::Array(items)))
    }

    /// JSX elements: `Other` with attribute values, `{...}` expressions and child elements.
    fn jsx(&mut self, n: Node<'a>) -> R<NodeId> {
        let id = self.b.open(span(n));
        self.jsx_parts(n)?;
        Ok(self.b.close(id, Kind::Other))
    }

    fn jsx_parts(&mut self, n: Node<'a>) -> R<()> {
        let name = self.f.name;
        self.try_each_kid(n, false, |lx, k| {
            if !k.n.is_named() || k.field == name {
                return Ok(());
            }
            match k.n.kind() {
                "jsx_opening_element" | "jsx_attribute" => lx.jsx_parts(k.n)?,
                "jsx_closing_element"
                | "jsx_text"
                | "html_character_reference"
                | "jsx_namespace_name"
                | "identifier"
                | "property_identifier"
                | "member_expression"
                | "nested_identifier" => {}
                _ => {
                    lx.expr(k.n)?;
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::KindTag;
    use crate::lang::DEFAULT_MAX_DEPTH as MAX_DEPTH;

    fn lower(src: &str, dialect: Dialect) -> Result<Ast, ParseError> {
        super::lower(src, dialect, MAX_DEPTH)
    }

    #[test]
    fn lowering_in_slices_gives_the_same_tree() {
        let mut sliced = 0;
        for (ext, dialect) in [
            ("ts", Dialect::TypeScript),
            ("tsx", Dialect::Tsx),
            ("js", Dialect::JavaScript),
        ] {
            sliced += super::super::assert_slicing_keeps_trees(
                &[ext],
                |t| lower(t, dialect),
                |t, s| lower_with(t, dialect, s, MAX_DEPTH),
            );
        }
        assert!(sliced > 50, "only {sliced} fixtures were lowered in slices");
        // and the slices did parse on their own (no fallback to the whole tree)
        let every = super::super::EVERY;
        let text =
            "import x from 'y';\nexport function f() {\n  return x;\n}\nconst a = 1; const b = 2\n";
        let (tree, grammar) = parse_tree(text, Dialect::TypeScript).unwrap();
        let ranges = super::super::slices(tree.root_node(), text.len(), every).unwrap();
        assert_eq!(ranges.len(), 3);
        let ast = lower_slices(text, Dialect::TypeScript, grammar, &ranges, MAX_DEPTH).unwrap();
        assert_eq!(ast.unwrap().children(crate::ast::ROOT).count(), 4);
    }

    /// Every fixture that parses inside a wrapper function: lowering the wrapper's body in
    /// slices (one statement each), found on the tree and (body indented) in the text, gives
    /// the tree lowering it whole gives.
    #[test]
    fn wrapper_body_in_slices_gives_the_same_tree() {
        let every = super::super::EVERY;
        let wrappers = [
            ("(function () {\n", "\n})();\n"),
            ("const x = 1;\nmodule.exports = (app) => {\n", "\n};\nx;\n"),
            (
                "(function (root, f) { f(root); })(this, async function () { 'use strict';\n",
                "\n  return 1; });\n",
            ),
        ];
        let (mut cut, mut fell_back) = ([0, 0], [0, 0]);
        for (ext, dialect) in [
            ("ts", Dialect::TypeScript),
            ("tsx", Dialect::Tsx),
            ("js", Dialect::JavaScript),
        ] {
            for path in super::super::fixture_files(&[ext]) {
                let text = std::fs::read_to_string(&path).unwrap();
                let indented: String = text.lines().map(|l| format!("  {l}\n")).collect();
                for (open, close) in wrappers {
                    for (by_text, body) in [(false, &text), (true, &indented)] {
                        let text = format!("{open}{body}{close}");
                        let whole = lower(&text, dialect);
                        if whole.as_ref().map_or(true, |a| a.has_errors) {
                            continue;
                        }
                        let (tree, grammar) = parse_tree(&text, dialect).unwrap();
                        let block = grammar.kinds.statement_block;
                        let w = match by_text {
                            true => super::super::line_wrapped(&text, every, &CUTS),
                            false => super::super::wrapped(tree.root_node(), &text, every, block),
                        };
                        drop(tree);
                        let Some(w) = w else {
                            continue;
                        };
                        let c = Cut::new(dialect, &w);
                        let r = lower_cut(&text, dialect, grammar, &w.ranges, Some(&c), MAX_DEPTH);
                        match r.unwrap() {
                            Some(parts) => {
                                assert_eq!(
                                    format!("{:?}", whole.unwrap().nodes),
                                    format!("{:?}", parts.nodes),
                                    "{} in {open}",
                                    path.display()
                                );
                                cut[usize::from(by_text)] += 1;
                            }
                            None => fell_back[usize::from(by_text)] += 1,
                        }
                        // and through the entry point
                        let sliced = lower_with(&text, dialect, every, MAX_DEPTH).unwrap();
                        assert_eq!(
                            format!("{:?}", lower(&text, dialect).unwrap().nodes),
                            format!("{:?}", sliced.nodes)
                        );
                    }
                }
            }
        }
        for i in 0..2 {
            assert!(
                cut[i] > 100 && fell_back[i] * 10 < cut[i],
                "{cut:?} cut, {fell_back:?} fell back"
            );
        }
    }

    fn ts(src: &str) -> Ast {
        checked(src, Dialect::TypeScript)
    }

    /// Lowers and checks the arena invariants: pre-order ranges, and every id a kind refers
    /// to lies inside that node's subtree.
    fn checked(src: &str, dialect: Dialect) -> Ast {
        let ast = lower(src, dialect).expect("lowers");
        assert!(matches!(ast.kind(0), Kind::Module(_)));
        assert_eq!(ast.lang, Lang::TypeScript);
        for (i, node) in ast.nodes.iter().enumerate() {
            let id = i as NodeId;
            assert!(node.end > id && node.end as usize <= ast.nodes.len());
            assert!(node.span.end as usize <= src.len());
            if id != 0 {
                let p = node.parent;
                assert!(
                    p < id && ast.contains(p, id),
                    "node {id} outside its parent {p}"
                );
            }
            let mut refs: Vec<NodeId> = Vec::new();
            match &node.kind {
                Kind::Module(v) | Kind::Block(v) | Kind::Array(v) => refs.extend(v),
                Kind::Function(f) => {
                    refs.extend(&f.body);
                    refs.extend(f.expr_body);
                    refs.extend(f.params.iter().filter_map(|p| p.default));
                    refs.extend(f.decorators.iter().filter_map(|d| d.node));
                }
                Kind::Class(c) => {
                    refs.extend(&c.body);
                    refs.extend(c.decorators.iter().filter_map(|d| d.node));
                }
                Kind::Loop(l) => refs.extend(l.iter.iter().chain(&l.body)),
                Kind::With { items, body, .. } => refs.extend(items.iter().chain(body)),
                Kind::Try {
                    body,
                    handlers,
                    finally,
                } => refs.extend(body.iter().chain(handlers).chain(finally)),
                Kind::Catch { body, .. } => refs.extend(body),
                Kind::If { cond, then, els } => {
                    refs.push(*cond);
                    refs.extend(then.iter().chain(els));
                }
                Kind::Return(v) => refs.extend(v),
                Kind::Assign { target, value, .. } => {
                    refs.push(*target);
                    refs.extend(value);
                }
                Kind::Call(c) => {
                    refs.push(c.callee);
                    refs.extend(c.args.iter().map(|a| a.value));
                }
                Kind::Member { object, .. } => refs.push(*object),
                Kind::Index { object, index } => refs.extend([*object, *index]),
                Kind::Str(s) => refs.extend(&s.parts),
                Kind::Binary { lhs, rhs, .. } => refs.extend([*lhs, *rhs]),
                Kind::Await(x) | Kind::Question(x) => refs.push(*x),
                Kind::Unary { operand, .. } => refs.push(*operand),
                Kind::Break(v) => refs.extend(v),
                Kind::Object { entries, .. } => {
                    for e in entries {
                        refs.push(e.value);
                        refs.extend(e.key_node);
                    }
                }
                _ => {}
            }
            for r in refs {
                assert!(
                    r != id && ast.contains(id, r),
                    "node {id} refers to {r} outside it"
                );
            }
        }
        ast
    }

    fn all(ast: &Ast, tag: KindTag) -> Vec<NodeId> {
        (0..ast.nodes.len() as NodeId)
            .filter(|&i| ast.kind(i).tag() == tag)
            .collect()
    }

    /// The callee paths of every call, in order.
    fn callees(ast: &Ast) -> Vec<String> {
        all(ast, KindTag::Call)
            .into_iter()
            .map(|c| {
                ast.path_of(ast.call(c).unwrap().callee)
                    .unwrap_or_else(|| "?".into())
            })
            .collect()
    }

    fn call_named<'t>(ast: &'t Ast, path: &str) -> (NodeId, &'t Call) {
        all(ast, KindTag::Call)
            .into_iter()
            .map(|c| (c, ast.call(c).unwrap()))
            .find(|(_, c)| ast.path_of(c.callee).as_deref() == Some(path))
            .unwrap_or_else(|| panic!("no call to {path}: {:?}", callees(ast)))
    }

    fn functions(ast: &Ast) -> Vec<&Function> {
        all(ast, KindTag::Function)
            .into_iter()
            .map(|f| ast.function(f).unwrap())
            .collect()
    }

    fn imports(ast: &Ast) -> Vec<&Import> {
        all(ast, KindTag::Import)
            .into_iter()
            .map(|i| match ast.kind(i) {
                Kind::Import(imp) => &**imp,
                _ => unreachable!(),
            })
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn empty_file_lowers() {
        for d in [Dialect::TypeScript, Dialect::Tsx, Dialect::JavaScript] {
            let ast = checked("", d);
            assert_eq!(ast.nodes.len(), 1);
            assert!(matches!(ast.kind(0), Kind::Module(b) if b.is_empty()));
            assert!(!ast.has_errors);
            assert!(parse_only("", d));
        }
        let ast = ts("// only a comment\n/* and another */\n");
        assert_eq!(ast.nodes.len(), 1);
    }

    #[test]
    fn express_route() {
        let src = "import express from 'express';
const router = express.Router();
router.get('/users/:id', async (req, res) => {
  const user = await prisma.user.findUnique({ where: { id: req.params.id } });
  res.json(user);
});
";
        let ast = ts(src);
        assert_eq!(
            callees(&ast),
            [
                "express.Router",
                "router.get",
                "prisma.user.findUnique",
                "res.json"
            ]
        );
        let (_, get) = call_named(&ast, "router.get");
        assert_eq!(get.args.len(), 2);
        assert_eq!(ast.plain_str(get.args[0].value), Some("/users/:id"));
        let handler = ast
            .function(get.args[1].value)
            .expect("handler is a function");
        assert!(handler.is_async);
        assert_eq!(handler.name, None);
        let names: Vec<_> = handler.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["req", "res"]);
        assert_eq!(handler.body.len(), 2);
        assert_eq!(&src[handler.head.range()], "async (req, res)");

        // `const user = await ...` is a declared Assign of an Await of the call.
        let Kind::Assign {
            target,
            value: Some(value),
            declared: true,
            augmented: false,
        } = ast.kind(handler.body[0])
        else {
            panic!("{:?}", ast.kind(handler.body[0]));
        };
        assert_eq!(ast.path_of(*target).as_deref(), Some("user"));
        let Kind::Await(inner) = ast.kind(*value) else {
            panic!()
        };
        let (find_id, find) = call_named(&ast, "prisma.user.findUnique");
        assert_eq!(*inner, find_id);
        let obj = find.args[0].value;
        let where_ = ast.entry(obj, "where").expect("where entry").value;
        let id = ast.entry(where_, "id").expect("id entry").value;
        assert_eq!(ast.path_of(id).as_deref(), Some("req.params.id"));
        assert_eq!(ast.enclosing_function(find_id), Some(get.args[1].value));
        assert_eq!(imports(&ast)[0].names, pairs(&[("default", "express")]));
    }

    #[test]
    fn nestjs_controller() {
        let src = "import { Controller, Get, Post, Body, Param } from '@nestjs/common';

@Controller('users')
export class UsersController extends BaseController implements OnModuleInit {
  private readonly cache = new Map<string, User>();

  constructor(private readonly usersService: UsersService) {
    super();
  }

  @Get(':id')
  async findOne(@Param('id') id: string): Promise<User> {
    return this.usersService.findOne(id);
  }

  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateUserDto, retries = 3) {
    return this.usersService.create(dto);
  }
}
";
        let ast = ts(src);
        let class_id = all(&ast, KindTag::Class)[0];
        let Kind::Class(class) = ast.kind(class_id) else {
            panic!()
        };
        assert_eq!(class.name, "UsersController");
        assert_eq!(class.bases, ["BaseController", "OnModuleInit"]);
        assert_eq!(class.decorators.len(), 1);
        assert_eq!(class.decorators[0].name, "Controller");
        let deco = class.decorators[0].node.expect("decorator node");
        assert_eq!(
            ast.plain_str(ast.call(deco).unwrap().args[0].value),
            Some("users")
        );
        assert!(src[ast.span(class_id).range()].starts_with("@Controller('users')"));
        assert_eq!(class.body.len(), 4);

        // The field: `cache = new Map()`.
        let Kind::Assign {
            target,
            value: Some(v),
            declared: true,
            ..
        } = ast.kind(class.body[0])
        else {
            panic!()
        };
        assert_eq!(ast.path_of(*target).as_deref(), Some("cache"));
        assert!(ast.call(*v).unwrap().is_new);

        let fns = functions(&ast);
        let ctor = fns
            .iter()
            .find(|f| f.name.as_deref() == Some("constructor"))
            .unwrap();
        assert_eq!(ctor.params[0].name, "usersService");
        assert_eq!(ctor.params[0].ty.as_deref(), Some("UsersService"));

        let find = fns
            .iter()
            .find(|f| f.name.as_deref() == Some("findOne"))
            .unwrap();
        assert!(find.is_async);
        assert_eq!(find.decorators.len(), 1);
        assert_eq!(find.decorators[0].name, "Get");
        assert_eq!(find.decorators[0].args, "");
        let get = ast.call(find.decorators[0].node.unwrap()).unwrap();
        assert_eq!(ast.plain_str(get.args[0].value), Some(":id"));
        assert_eq!(find.params[0].name, "id");
        assert_eq!(find.params[0].ty.as_deref(), Some("string"));
        assert_eq!(find.params[0].decorators, ["Param"]);
        assert_eq!(find.returns.as_deref(), Some("Promise<User>"));
        assert_eq!(
            &src[find.head.range()],
            "async findOne(@Param('id') id: string): Promise<User>"
        );

        let create = fns
            .iter()
            .find(|f| f.name.as_deref() == Some("create"))
            .unwrap();
        assert!(!create.is_async);
        let names: Vec<_> = create.decorators.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Post", "HttpCode"]);
        assert_eq!(create.params[0].decorators, ["Body"]);
        assert_eq!(create.params[0].ty.as_deref(), Some("CreateUserDto"));
        assert_eq!(create.params[1].name, "retries");
        assert!(matches!(
            ast.kind(create.params[1].default.unwrap()),
            Kind::Number(Some(3.0))
        ));
        assert!(callees(&ast).contains(&"this.usersService.create".to_string()));
        assert!(callees(&ast).contains(&"super".to_string()));
    }

    #[test]
    fn promise_all_map_with_template_sql() {
        let src = "const rows = await Promise.all(ids.map(async (id) => db.query(`SELECT * FROM t WHERE id = ${id}`)));";
        let ast = ts(src);
        assert_eq!(callees(&ast), ["Promise.all", "ids.map", "db.query"]);
        let (_, map) = call_named(&ast, "ids.map");
        let cb = ast.function(map.args[0].value).expect("callback");
        assert!(cb.is_async);
        assert!(cb.body.is_empty());
        let (q_id, q) = call_named(&ast, "db.query");
        assert_eq!(cb.expr_body, Some(q_id));
        let s = ast.str_lit(q.args[0].value).unwrap();
        assert_eq!(s.kind, StrKind::Interpolated);
        assert_eq!(s.value, "SELECT * FROM t WHERE id = {}");
        assert_eq!(s.parts.len(), 1);
        assert_eq!(ast.path_of(s.parts[0]).as_deref(), Some("id"));
        // No loop: per-item callbacks stay calls.
        assert!(all(&ast, KindTag::Loop).is_empty());
    }

    #[test]
    fn tagged_template() {
        let src =
            "const r = await prisma.$queryRaw`SELECT * FROM users WHERE id = ${x} AND n = ${y.z}`;
const plain = `no ${'substitution'} here`;
const none = `just text\\n`;";
        let ast = ts(src);
        let (_, c) = call_named(&ast, "prisma.$queryRaw");
        assert!(c.is_tagged);
        assert!(!c.is_new);
        assert_eq!(c.args.len(), 1);
        let s = ast.str_lit(c.args[0].value).unwrap();
        assert_eq!(s.kind, StrKind::Interpolated);
        assert_eq!(s.parts.len(), 2);
        assert_eq!(s.value, "SELECT * FROM users WHERE id = {} AND n = {}");
        let strs: Vec<_> = all(&ast, KindTag::Str)
            .into_iter()
            .map(|i| ast.str_lit(i).unwrap())
            .map(|s| (s.value.as_str(), s.kind))
            .collect();
        assert!(strs.contains(&("no {} here", StrKind::Interpolated)));
        assert!(strs.contains(&("substitution", StrKind::Plain)));
        assert!(strs.contains(&("just text\n", StrKind::Plain)));
    }

    #[test]
    fn commonjs_require() {
        let src = "const { Pool } = require('pg');
const { a, b: c, d = 1 } = require('m');
const express = require('express');
const join = require('path').join;
const app = express();
";
        let ast = checked(src, Dialect::JavaScript);
        let imps = imports(&ast);
        assert_eq!(imps.len(), 4);
        assert_eq!(imps[0].module, "pg");
        assert_eq!(imps[0].names, pairs(&[("Pool", "Pool")]));
        assert_eq!(imps[1].names, pairs(&[("a", "a"), ("b", "c"), ("d", "d")]));
        assert_eq!(imps[2].names, pairs(&[("", "express")]));
        assert_eq!(imps[3].module, "path");
        assert_eq!(imps[3].names, pairs(&[("join", "join")]));
        // The Assign is kept after the Import, its target a destructuring Object.
        let Kind::Module(body) = ast.kind(0) else {
            panic!()
        };
        assert!(matches!(ast.kind(body[0]), Kind::Import(_)));
        let Kind::Assign {
            target,
            value: Some(v),
            declared: true,
            ..
        } = ast.kind(body[1])
        else {
            panic!()
        };
        assert!(ast.entry(*target, "Pool").is_some());
        assert_eq!(
            ast.path_of(ast.call(*v).unwrap().callee).as_deref(),
            Some("require")
        );
    }

    #[test]
    fn es_imports() {
        let src = "import axios from 'axios';
import * as fs from \"fs\";
import def, { a, b as c } from 'm';
import type { T } from './types';
import 'reflect-metadata';
import cp = require('child_process');
export { a as z };
export * from './x';
";
        let ast = ts(src);
        let imps = imports(&ast);
        assert_eq!(imps[0].module, "axios");
        assert_eq!(imps[0].names, pairs(&[("default", "axios")]));
        assert_eq!(imps[1].module, "fs");
        assert_eq!(imps[1].names, pairs(&[("", "fs")]));
        assert_eq!(
            imps[2].names,
            pairs(&[("default", "def"), ("a", "a"), ("b", "c")])
        );
        assert_eq!(imps[3].module, "./types");
        assert_eq!(imps[4].module, "reflect-metadata");
        assert!(imps[4].names.is_empty());
        assert_eq!(imps[5].module, "child_process");
        assert_eq!(imps[5].names, pairs(&[("", "cp")]));
        assert_eq!(imps.len(), 6);
        assert!(!ast.has_errors);
    }

    #[test]
    fn loops() {
        let src = "async function process(orders: Order[]) {
  for (const o of orders) { await Order.findById(o.id); }
  for await (const [k, { v, w: [x] }] of stream) {}
  for (key in obj) console.log(key);
  for (let i = 0; i < n; i++) { fetch(urls[i]); }
  while (more) { more = await next(); }
  do { i-- } while (i > 0);
}";
        let ast = ts(src);
        let loops: Vec<_> = all(&ast, KindTag::Loop)
            .into_iter()
            .map(|l| match ast.kind(l) {
                Kind::Loop(lp) => (l, &**lp),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(loops.len(), 6);
        let (l0, first) = loops[0];
        assert_eq!(first.kind, LoopKind::For);
        assert_eq!(first.bindings, ["o"]);
        assert_eq!(ast.path_of(first.iter.unwrap()).as_deref(), Some("orders"));
        let (find_id, _) = call_named(&ast, "Order.findById");
        assert!(ast.contains(l0, find_id));
        assert_eq!(loops[1].1.bindings, ["k", "v", "x"]);
        assert_eq!(loops[2].1.bindings, ["key"]);
        let (log, _) = call_named(&ast, "console.log");
        assert!(ast.contains(loops[2].0, log));
        assert!(loops[3].1.bindings.is_empty());
        assert!(loops[3].1.iter.is_none());
        let (fetch, _) = call_named(&ast, "fetch");
        assert!(ast.contains(loops[3].0, fetch));
        assert_eq!(loops[4].1.kind, LoopKind::While);
        assert_eq!(loops[5].1.kind, LoopKind::While);
        let (next, _) = call_named(&ast, "next");
        assert!(ast.contains(loops[4].0, next));
        let f = functions(&ast)[0];
        assert_eq!(f.name.as_deref(), Some("process"));
        assert_eq!(f.params[0].ty.as_deref(), Some("Order[]"));
        assert_eq!(f.body.len(), 6);
    }

    #[test]
    fn loop_bodies_async_flags_unary_and_numbers() {
        let src = "async function f(xs, n) {
  for await (const x of xs) { if (!x) break; g(x); }
  for (const x of xs) h(x);
  for (let i = 0; i < 3; i++) { continue; }
  while (n < 10) n--;
  do { h(); } while (typeof y === 'undefined');
  const t = [30_000, 0x10, 1e3, .5, 10n, 0, -1];
}";
        let ast = ts(src);
        let loops = all(&ast, KindTag::Loop);
        let lp = |i: usize| match ast.kind(loops[i]) {
            Kind::Loop(l) => &**l,
            _ => unreachable!(),
        };
        let tags = |ids: &[NodeId]| ids.iter().map(|&i| ast.kind(i).tag()).collect::<Vec<_>>();
        assert_eq!(loops.len(), 5);
        assert!(lp(0).is_async && !lp(1).is_async);
        assert_eq!(tags(&lp(0).body), [KindTag::If, KindTag::Call]);
        let Kind::If { cond, then, .. } = ast.kind(lp(0).body[0]) else {
            panic!()
        };
        assert!(matches!(ast.kind(*cond), Kind::Unary { op: UnOp::Not, .. }));
        assert_eq!(tags(then), [KindTag::Break]);
        assert_eq!(tags(&lp(1).body), [KindTag::Call]);
        assert_eq!(tags(&lp(2).body), [KindTag::Continue]);
        // the header's `i++` is a child of the loop, not in its body
        let incr = ast.children(loops[2]).find(|&c| {
            !lp(2).body.contains(&c) && matches!(ast.kind(c), Kind::Unary { op: UnOp::Incr, .. })
        });
        assert!(incr.is_some());
        let Kind::Unary {
            op: UnOp::Decr,
            operand,
        } = ast.kind(lp(3).body[0])
        else {
            panic!("{:?}", ast.kind(lp(3).body[0]))
        };
        assert_eq!(ast.path_of(*operand).as_deref(), Some("n"));
        // `do .. while`: the body first, then the condition
        assert_eq!(tags(&lp(4).body), [KindTag::Call]);
        let cond = ast.children(loops[4]).last().unwrap();
        let Kind::Binary { lhs, .. } = ast.kind(cond) else {
            panic!()
        };
        assert!(matches!(
            ast.kind(*lhs),
            Kind::Unary {
                op: UnOp::TypeOf,
                ..
            }
        ));
        let numbers = ast.numbers_from(src.find("const t").unwrap());
        assert_eq!(
            numbers,
            [
                Some(30000.0),
                Some(16.0),
                Some(1000.0),
                Some(0.5),
                Some(10.0),
                Some(0.0),
                Some(1.0)
            ]
        );
    }

    #[test]
    fn try_catch() {
        let src = "try { await a(); } catch {} 
try { b(); } catch (err: unknown) { log(err); } finally { c(); }";
        let ast = ts(src);
        let tries = all(&ast, KindTag::Try);
        assert_eq!(tries.len(), 2);
        let Kind::Try {
            body,
            handlers,
            finally,
        } = ast.kind(tries[0])
        else {
            panic!()
        };
        assert_eq!(body.len(), 1);
        assert!(finally.is_empty());
        let Kind::Catch {
            types,
            binding,
            body,
        } = ast.kind(handlers[0])
        else {
            panic!()
        };
        assert!(types.is_empty() && binding.is_none() && body.is_empty());
        let Kind::Try {
            handlers, finally, ..
        } = ast.kind(tries[1])
        else {
            panic!()
        };
        let Kind::Catch { binding, body, .. } = ast.kind(handlers[0]) else {
            panic!()
        };
        assert_eq!(binding.as_deref(), Some("err"));
        assert_eq!(body.len(), 1);
        assert_eq!(finally.len(), 1);
        assert_eq!(
            ast.path_of(ast.call(finally[0]).unwrap().callee).as_deref(),
            Some("c")
        );
    }

    #[test]
    fn if_else_chain_and_binary_ops() {
        let src = "if (a === 1 && b) { x(); } else if (c || d ?? e) { y(); } else z();
const s = 'id=' + id; const m = 'x' % 2; const o = a - b;";
        let ast = ts(src);
        let Kind::Module(body) = ast.kind(0) else {
            panic!()
        };
        let Kind::If { cond, then, els } = ast.kind(body[0]) else {
            panic!()
        };
        assert!(matches!(
            ast.kind(*cond),
            Kind::Binary { op: BinOp::And, .. }
        ));
        assert_eq!(then.len(), 1);
        assert_eq!(els.len(), 1);
        let Kind::If { cond, els, .. } = ast.kind(els[0]) else {
            panic!()
        };
        assert!(matches!(
            ast.kind(*cond),
            Kind::Binary { op: BinOp::And, .. }
        ));
        assert_eq!(
            ast.path_of(ast.call(els[0]).unwrap().callee).as_deref(),
            Some("z")
        );
        let ops: Vec<_> = all(&ast, KindTag::Binary)
            .into_iter()
            .map(|b| match ast.kind(b) {
                Kind::Binary { op, .. } => *op,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            ops,
            [
                BinOp::And,
                BinOp::Compare,
                BinOp::And,
                BinOp::Or,
                BinOp::Add,
                BinOp::Mod,
                BinOp::Other
            ]
        );
    }

    #[test]
    fn tsx_with_jsx() {
        let src = "import React from 'react';
export default function UserList({ users }: Props) {
  const [items, setItems] = useState<User[]>([]);
  useEffect(() => { fetch(`/api/users?page=${page}`).then(r => r.json()); }, []);
  return (
    <ul className={cx('list')}>
      {users.map(u => <li key={u.id} onClick={() => remove(u.id)}>{u.name}</li>)}
      <Footer {...props} />
    </ul>
  );
}";
        let ast = checked(src, Dialect::Tsx);
        assert!(!ast.has_errors);
        let cs = callees(&ast);
        for c in [
            "useState",
            "useEffect",
            "fetch",
            "r.json",
            "cx",
            "users.map",
            "remove",
        ] {
            assert!(cs.contains(&c.to_string()), "{c} missing from {cs:?}");
        }
        let f = functions(&ast)[0];
        assert_eq!(f.name.as_deref(), Some("UserList"));
        assert!(f.exported);
        assert_eq!(f.params[0].name, "{ users }");
        assert_eq!(f.params[0].ty.as_deref(), Some("Props"));
        // `const [items, setItems] = ...` targets an Array pattern.
        let Kind::Assign { target, .. } = ast.kind(f.body[0]) else {
            panic!()
        };
        assert!(matches!(ast.kind(*target), Kind::Array(v) if v.len() == 2));
        // The JSX tree is `Other`, not names.
        let names: Vec<_> = all(&ast, KindTag::Name)
            .into_iter()
            .filter_map(|n| match ast.kind(n) {
                Kind::Name(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        assert!(!names.contains(&"ul") && !names.contains(&"Footer"));
        assert!(!names.contains(&"className"));
    }

    #[test]
    fn ts_angle_bracket_cast_and_wrappers() {
        let src = "const foo = <Foo>bar;
const v = (x as unknown as Y).run()!;
const w = obj!.prop satisfies T;
const g = fn<string>;";
        let ast = ts(src);
        assert!(
            !ast.has_errors,
            "the TypeScript grammar reads <Foo>bar as a cast"
        );
        let Kind::Module(body) = ast.kind(0) else {
            panic!()
        };
        let Kind::Assign { value: Some(v), .. } = ast.kind(body[0]) else {
            panic!()
        };
        assert_eq!(ast.path_of(*v).as_deref(), Some("bar"));
        assert_eq!(callees(&ast), ["x.run"]);
        let Kind::Assign { value: Some(v), .. } = ast.kind(body[2]) else {
            panic!()
        };
        assert_eq!(ast.path_of(*v).as_deref(), Some("obj.prop"));
        let Kind::Assign { value: Some(v), .. } = ast.kind(body[3]) else {
            panic!()
        };
        assert_eq!(ast.path_of(*v).as_deref(), Some("fn"));
    }

    #[test]
    fn javascript_file() {
        let src = "'use strict';
const db = require('./db');
class UserRepo extends Base {
  table = 'users';
  static #count = 0;
  @log async find(id, opts = {}, ...rest) { return db.query('SELECT * FROM users WHERE id = ' + id); }
}
module.exports.handler = async function handler(event) {
  const repo = new UserRepo();
  return repo.find(event.id);
};
exports.other = async (e) => e;
const obj = { a, 'b-c': 1, [k]: 2, m() { return 1; }, ...rest };
obj.count += 1;
items[0] = null;
";
        let ast = checked(src, Dialect::JavaScript);
        assert!(!ast.has_errors);
        let Kind::Class(class) = ast.kind(all(&ast, KindTag::Class)[0]) else {
            panic!()
        };
        assert_eq!(class.name, "UserRepo");
        assert_eq!(class.bases, ["Base"]);
        assert_eq!(class.body.len(), 3);
        let fns = functions(&ast);
        let find = fns
            .iter()
            .find(|f| f.name.as_deref() == Some("find"))
            .unwrap();
        assert!(find.is_async);
        assert_eq!(find.decorators[0].name, "log");
        let params: Vec<_> = find.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(params, ["id", "opts", "rest"]);
        assert!(matches!(
            ast.kind(find.params[1].default.unwrap()),
            Kind::Object { .. }
        ));
        let (_, q) = call_named(&ast, "db.query");
        assert!(matches!(
            ast.kind(q.args[0].value),
            Kind::Binary { op: BinOp::Add, .. }
        ));
        let handler = fns
            .iter()
            .find(|f| f.name.as_deref() == Some("handler"))
            .unwrap();
        assert!(handler.exported && handler.is_async);
        assert!(fns.iter().filter(|f| f.exported).count() == 2);
        let (_, new) = call_named(&ast, "UserRepo");
        assert!(new.is_new);

        let obj = all(&ast, KindTag::Object)
            .into_iter()
            .find(|&o| ast.entry(o, "b-c").is_some())
            .unwrap();
        let Kind::Object { ty: None, entries } = ast.kind(obj) else {
            panic!()
        };
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_deref()).collect();
        assert_eq!(keys, [Some("a"), Some("b-c"), None, Some("m"), None]);
        assert!(matches!(ast.kind(entries[0].value), Kind::Name(n) if n == "a"));
        assert!(ast.str_lit(entries[1].key_node.unwrap()).is_some());
        assert!(entries[2].key_node.is_some());
        assert!(ast.function(entries[3].value).is_some());

        let assigns: Vec<_> = all(&ast, KindTag::Assign)
            .into_iter()
            .filter_map(|a| match ast.kind(a) {
                Kind::Assign {
                    target,
                    declared: false,
                    augmented,
                    ..
                } => Some((ast.kind(*target).tag(), *augmented)),
                _ => None,
            })
            .collect();
        assert!(assigns.contains(&(KindTag::Member, true)));
        assert!(assigns.contains(&(KindTag::Index, false)));
        let strs: Vec<_> = all(&ast, KindTag::Str)
            .into_iter()
            .filter_map(|s| ast.plain_str(s))
            .collect();
        assert!(strs.contains(&"use strict") && strs.contains(&"users"));
    }

    #[test]
    fn exports() {
        let src = "export const getUser = async (id: string) => db.find(id);
export function helper() {}
function local() {}
export default class Service {}
export async function* stream() {}
";
        let ast = ts(src);
        let fns = functions(&ast);
        let flags: Vec<_> = fns
            .iter()
            .map(|f| (f.name.as_deref(), f.exported))
            .collect();
        assert_eq!(
            flags,
            [
                (None, true),
                (Some("helper"), true),
                (Some("local"), false),
                (Some("stream"), true)
            ]
        );
        let Kind::Module(body) = ast.kind(0) else {
            panic!()
        };
        assert_eq!(body.len(), 5);
        let Kind::Assign {
            target,
            declared: true,
            ..
        } = ast.kind(body[0])
        else {
            panic!()
        };
        assert_eq!(ast.path_of(*target).as_deref(), Some("getUser"));
        assert!(matches!(ast.kind(body[3]), Kind::Class(c) if c.name == "Service"));

        let src = "export default async (req, res) => { res.send(1); };";
        let ast = checked(src, Dialect::JavaScript);
        let f = functions(&ast)[0];
        assert!(f.exported && f.is_async && f.name.is_none());
    }

    #[test]
    fn strings_decode_escapes() {
        let src = r#"const a = 'it\'s'; const b = "tab\there\u0041\u{1F600}\x41\\"; const c = "\ud83d\ude00";"#;
        let ast = ts(src);
        let strs: Vec<_> = all(&ast, KindTag::Str)
            .into_iter()
            .filter_map(|s| ast.plain_str(s))
            .collect();
        assert_eq!(strs, ["it's", "tab\thereA\u{1F600}A\\", "\u{1F600}"]);
    }

    #[test]
    fn syntax_errors_are_lowered() {
        let src = "const y = ;
fetch(url);
const x = foo(a b(c));
if (x y()) { z(); }
function q(a, b c()) { }
function f( { return db.query(x); }";
        let ast = ts(src);
        assert!(ast.has_errors);
        let cs = callees(&ast);
        for c in ["fetch", "foo", "b", "y", "z", "c"] {
            assert!(cs.contains(&c.to_string()), "{c} missing from {cs:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10000) + &"]".repeat(10000);
        for d in [Dialect::TypeScript, Dialect::Tsx, Dialect::JavaScript] {
            assert!(matches!(
                lower(&deep, d),
                Err(ParseError::TooDeep(MAX_DEPTH))
            ));
        }
        // Other pathological shapes, in a thread with the default 2 MiB stack.
        let inputs = vec![
            "(".repeat(10000) + "x" + &")".repeat(10000),
            "{a:".repeat(5000) + "1" + &"}".repeat(5000),
            "f(".repeat(5000) + &")".repeat(5000),
            "x=>".repeat(5000) + "1",
            "`${".repeat(3000) + &"}`".repeat(3000),
            "if(a){".repeat(5000) + &"}".repeat(5000),
            "{".repeat(10000) + &"}".repeat(10000),
            "const [".to_string() + &"[".repeat(5000) + &"]".repeat(5000) + "] = x;",
            "for (const ".to_string() + &"[".repeat(5000) + &"]".repeat(5000) + " of x) {}",
            "<a>".repeat(3000) + &"</a>".repeat(3000),
            "a.b(".repeat(3000) + &")".repeat(3000),
            "!".repeat(10000) + "x",
            "a+".repeat(10000) + "a",
            "class A { m() { ".repeat(2000) + &"} }".repeat(2000),
            "async function f() { await g(() => { ".repeat(2000) + &"}) }".repeat(2000),
        ];
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                for src in &inputs {
                    for d in [Dialect::TypeScript, Dialect::JavaScript] {
                        match lower(src, d) {
                            Ok(_) | Err(ParseError::TooDeep(_)) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn nesting_below_the_limit_lowers() {
        // Realistic deep nesting: 40 nested callbacks.
        let n = 40;
        let src = "app.get('/', async (req, res) => { ".repeat(n) + &"}); ".repeat(n);
        let ast = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || lower(&src, Dialect::TypeScript).map(|a| a.nodes.len()))
            .unwrap()
            .join()
            .unwrap();
        assert!(ast.is_ok());
    }

    #[test]
    fn parsers_are_per_dialect() {
        // Alternating dialects on one thread reuses the right grammar each time.
        assert!(
            !lower("const x = <Foo>bar;", Dialect::TypeScript)
                .unwrap()
                .has_errors
        );
        assert!(
            !lower("const x = <div>{y}</div>;", Dialect::Tsx)
                .unwrap()
                .has_errors
        );
        assert!(
            !lower("const x = <div>{y}</div>;", Dialect::JavaScript)
                .unwrap()
                .has_errors
        );
        assert!(
            !lower("const x = <Foo>bar;", Dialect::TypeScript)
                .unwrap()
                .has_errors
        );
        assert!(lower("x", Dialect::Python).is_err());
    }
}
