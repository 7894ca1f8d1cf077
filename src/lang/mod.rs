//! Parsing and lowering into [`crate::ast`]: ruff's parser for Python (tree-sitter-python's
//! lowerer is kept to compare them), tree-sitter for TypeScript/JavaScript, syn for Rust.

pub mod python;
pub mod python_ruff;
pub mod rust;
pub mod typescript;

use std::path::Path;

use crate::ast::{Ast, Lang, SyntaxError};

/// The grammar a file is parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Rust,
}

/// The file extensions backlint checks.
pub const EXTENSIONS: &[&str] = &[
    "py", "pyi", "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "rs",
];

/// The notice for a file named explicitly whose type backlint does not check.
pub fn unsupported_notice(path: &Path) -> String {
    let what = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("`.{ext}` files are not supported"),
        None => "no file extension".to_string(),
    };
    let known: Vec<String> = EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
    format!(
        "not checked: {what} (backlint checks {} and the manifests {})",
        known.join(" "),
        crate::manifest::NAMES
    )
}

impl Dialect {
    pub fn from_path(path: &Path) -> Option<Dialect> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "py" | "pyi" => Dialect::Python,
            "ts" | "mts" | "cts" => Dialect::TypeScript,
            "tsx" => Dialect::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Dialect::JavaScript,
            "rs" => Dialect::Rust,
            _ => return None,
        })
    }
    pub fn lang(self) -> Lang {
        match self {
            Dialect::Python => Lang::Python,
            Dialect::TypeScript | Dialect::Tsx | Dialect::JavaScript => Lang::TypeScript,
            Dialect::Rust => Lang::Rust,
        }
    }
}

/// Why a file could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("could not be parsed: {0}")]
    Syntax(String),
    #[error("skipped: nesting deeper than {0}; raise `max-nesting-depth` in backlint.toml")]
    TooDeep(usize),
}

/// Default `max-nesting-depth`: files whose syntax nests deeper are not analysed (a notice),
/// which keeps every recursive pass within its stack (see [`stack_size`]). The deepest of
/// 12,000 files of real services nests 96 levels (a 45-link method chain); 24 in Python.
pub const DEFAULT_MAX_DEPTH: usize = 400;

/// The stack a thread needs to check files nested up to `max_depth` deep. Lowering, facts,
/// rules and flow recurse along the tree: on generated worst cases (release build) a file at
/// the default limit takes at most ~620 KiB, ~1.5 KiB a level; this allows 8 KiB a level for
/// debug and sanitizer builds. syn's deeper recursion runs on a thread of its own (see
/// [`rust`]). 4.1 MiB at the default limit: the 8 MiB main thread needs no switch, and the
/// pipeline's worker threads are given this much (rayon's default is 2 MiB).
pub fn stack_size(max_depth: usize) -> usize {
    (1 << 20) + max_depth.saturating_mul(8 << 10)
}

/// Parses and lowers a file, with the default nesting limit.
pub fn parse(dialect: Dialect, text: &str) -> Result<Ast, ParseError> {
    parse_limited(dialect, text, DEFAULT_MAX_DEPTH)
}

/// Parses and lowers a file nested at most `max_depth` levels deep (`max-nesting-depth`).
pub fn parse_limited(dialect: Dialect, text: &str, max_depth: usize) -> Result<Ast, ParseError> {
    match dialect {
        Dialect::Python if ruff_python() => python_ruff::lower(text, max_depth),
        Dialect::Python => python::lower(text, max_depth),
        Dialect::TypeScript | Dialect::Tsx | Dialect::JavaScript => {
            typescript::lower(text, dialect, max_depth)
        }
        Dialect::Rust => rust::lower(text, max_depth),
    }
}

/// Whether Python is read with ruff's parser (the default) rather than tree-sitter-python
/// (`BACKLINT_PYTHON_PARSER=tree-sitter`, kept to compare the two).
pub fn ruff_python() -> bool {
    static RUFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *RUFF.get_or_init(|| {
        std::env::var("BACKLINT_PYTHON_PARSER").map_or(true, |v| v != "tree-sitter")
    })
}

/// Parse only (no lowering), for the parse-floor benchmark.
pub fn parse_only(dialect: Dialect, text: &str) -> bool {
    match dialect {
        Dialect::Python if ruff_python() => python_ruff::parse_only(text),
        Dialect::Python => python::parse_only(text),
        Dialect::TypeScript | Dialect::Tsx | Dialect::JavaScript => {
            typescript::parse_only(text, dialect)
        }
        Dialect::Rust => rust::parse_only(text),
    }
}

/// The value of a Python or JavaScript number literal as written: `0`, `30_000`, `0x10`,
/// `0o17`, `0b1`, `1e3`, `.5`, `30.0`, JavaScript `10n` and legacy octal `017`. `None` for an
/// imaginary literal (`1j`) or text that is not a number.
pub fn number_value(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_suffix(['n', 'l', 'L']).unwrap_or(t);
    if t.ends_with(['j', 'J']) {
        return None;
    }
    let digits: String = t.chars().filter(|&c| c != '_').collect();
    let radix = |prefix: &[&str], radix: u32| {
        prefix
            .iter()
            .find_map(|p| digits.strip_prefix(p))
            .map(|d| u128::from_str_radix(d, radix).ok().map(|v| v as f64))
    };
    if let Some(v) = radix(&["0x", "0X"], 16)
        .or_else(|| radix(&["0o", "0O"], 8))
        .or_else(|| radix(&["0b", "0B"], 2))
    {
        return v;
    }
    // `017`: legacy JavaScript octal (decimal when it has an 8 or a 9)
    if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = u128::from_str_radix(&digits, 8) {
            return Some(v as f64);
        }
    }
    digits.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A grammar's node kind names by kind id. `Node::kind` converts a C string on every call (a
/// tenth of the Python lowering's own cost); a lowerer reads the name from here instead.
pub(crate) struct KindNames(Vec<Box<str>>);

impl KindNames {
    pub fn new(lang: &tree_sitter::Language) -> KindNames {
        KindNames(
            (0..lang.node_kind_count() as u16)
                .map(|id| lang.node_kind_for_id(id).unwrap_or("").into())
                .collect(),
        )
    }

    /// What `n.kind()` gives (ERROR nodes, whose id is past the table, ask the node).
    pub fn of<'t>(&'t self, n: tree_sitter::Node<'t>) -> &'t str {
        match self.0.get(n.kind_id() as usize) {
            Some(name) => name,
            None => n.kind(),
        }
    }
}

/// A child of a tree-sitter node with its field id (0: none).
#[derive(Clone, Copy)]
pub(crate) struct Kid<'t> {
    pub n: tree_sitter::Node<'t>,
    pub field: u16,
}

/// The children of the nodes being lowered, on one scratch stack for the whole walk of a
/// tree-sitter tree: a node pushes its children, reads them while its own children push above
/// them, and truncates back when done, so the walk allocates nothing per node. One reusable
/// cursor reads the children.
pub(crate) struct Kids<'t> {
    cursor: tree_sitter::TreeCursor<'t>,
    stack: Vec<Kid<'t>>,
}

impl<'t> Kids<'t> {
    pub fn new(root: tree_sitter::Node<'t>) -> Self {
        Kids {
            cursor: root.walk(),
            stack: Vec::with_capacity(256),
        }
    }

    /// Pushes the children of `n` (only the named ones when `named`, then without field ids);
    /// comments and other extras are skipped, ERROR nodes kept. Returns the start index.
    pub fn push(&mut self, n: tree_sitter::Node<'t>, named: bool) -> usize {
        let start = self.stack.len();
        self.cursor.reset(n);
        if self.cursor.goto_first_child() {
            loop {
                let c = self.cursor.node();
                if (!c.is_extra() || c.is_error()) && (!named || c.is_named()) {
                    let field = match named {
                        true => 0,
                        false => self.cursor.field_id().map_or(0, |f| f.get()),
                    };
                    self.stack.push(Kid { n: c, field });
                }
                if !self.cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        start
    }

    pub fn len(&self) -> usize {
        self.stack.len()
    }

    pub fn get(&self, i: usize) -> Kid<'t> {
        self.stack[i]
    }

    pub fn range(&self, r: std::ops::Range<usize>) -> &[Kid<'t>] {
        &self.stack[r]
    }

    pub fn truncate(&mut self, start: usize) {
        self.stack.truncate(start);
    }

    /// The cursor, for walks of their own (it is reset before every use).
    pub fn cursor(&mut self) -> &mut tree_sitter::TreeCursor<'t> {
        &mut self.cursor
    }
}

/// The field-by-field walk shared by the tree-sitter lowerers: visit each child of a node in
/// source order, with its field id, and lower the ones the node's kind keeps.
pub(crate) trait FieldWalk<'t>: Sized {
    fn kids(&mut self) -> &mut Kids<'t>;

    /// Calls `visit` on each child of `n` in order (comments skipped; only the named children,
    /// without field ids, when `named`).
    fn each_kid(
        &mut self,
        n: tree_sitter::Node<'t>,
        named: bool,
        mut visit: impl FnMut(&mut Self, Kid<'t>),
    ) {
        let s = self.kids().push(n, named);
        let e = self.kids().len();
        for i in s..e {
            let k = self.kids().get(i);
            visit(self, k);
        }
        self.kids().truncate(s);
    }

    /// [`FieldWalk::each_kid`] over all the children, then [`FieldWalk::stray`] on each ERROR
    /// child without a field (recovery leftovers that no field lowering looks at).
    fn each_field(&mut self, n: tree_sitter::Node<'t>, mut visit: impl FnMut(&mut Self, Kid<'t>)) {
        let s = self.kids().push(n, false);
        let e = self.kids().len();
        for i in s..e {
            let k = self.kids().get(i);
            visit(self, k);
        }
        for i in s..e {
            let k = self.kids().get(i);
            if k.field == 0 && k.n.is_error() {
                self.stray(k);
            }
        }
        self.kids().truncate(s);
    }

    /// Lowers a recovery leftover found by [`FieldWalk::each_field`] (nothing by default).
    fn stray(&mut self, _k: Kid<'t>) {}

    /// [`FieldWalk::each_kid`] for a lowering that can fail: stops at the first error.
    fn try_each_kid<E>(
        &mut self,
        n: tree_sitter::Node<'t>,
        named: bool,
        mut visit: impl FnMut(&mut Self, Kid<'t>) -> Result<(), E>,
    ) -> Result<(), E> {
        let s = self.kids().push(n, named);
        let e = self.kids().len();
        let mut r = Ok(());
        for i in s..e {
            let k = self.kids().get(i);
            r = visit(self, k);
            if r.is_err() {
                break;
            }
        }
        self.kids().truncate(s);
        r
    }
}

/// When the lowerers parse a file in slices: from `from` bytes of source on, in slices of
/// about `bytes` found on its parsed tree ([`slices`]); from `cut_from` on, in slices of about
/// `cut_bytes` found in its text ([`line_slices`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slicing {
    pub from: usize,
    pub bytes: usize,
    pub cut_from: usize,
    pub cut_bytes: usize,
}

/// Slicing at every place it may cut, for tests that compare sliced and whole trees.
#[cfg(test)]
pub(crate) const EVERY: Slicing = Slicing {
    from: 0,
    bytes: 1,
    cut_from: 0,
    cut_bytes: 1,
};

/// A tree-sitter tree takes over 30 bytes per byte of source, the lowered tree about 15: for a
/// large file, the whole tree is parsed once to find its top-level statements, dropped, and
/// the statements parsed again and lowered a slice at a time, so the whole tree-sitter tree
/// never lives beside the lowered one. Costs a second parse, so only for large files.
/// Cutting the text costs nothing when the slices parse, so it starts at files of 64 KiB:
/// then no file's whole tree-sitter tree (or syn tree) is made, only slices of about 32 KiB.
pub(crate) const SLICING: Slicing = Slicing {
    from: 2 << 20,
    bytes: 256 << 10,
    cut_from: 64 << 10,
    cut_bytes: 32 << 10,
};

/// For a file of `text_len` bytes whose tree (`root`) parsed without errors, at least
/// `slicing.from` long: ranges of its top-level statements, about `slicing.bytes` each, each
/// starting a line; `None` when the file is to be lowered whole.
pub(crate) fn slices(
    root: tree_sitter::Node,
    text_len: usize,
    slicing: Slicing,
) -> Option<Vec<tree_sitter::Range>> {
    if text_len < slicing.from || root.has_error() {
        return None;
    }
    let mut out: Vec<tree_sitter::Range> = Vec::new();
    let mut cursor = root.walk();
    for c in root.children(&mut cursor) {
        let r = c.range();
        match out.last_mut() {
            Some(s)
                if c.start_position().column != 0 || s.end_byte - s.start_byte < slicing.bytes =>
            {
                s.end_byte = r.end_byte;
                s.end_point = r.end_point;
            }
            _ => out.push(r),
        }
    }
    (out.len() > 1).then_some(out)
}

/// Where a file may be cut into slices, from its text alone: before a line that starts at
/// column 0 with a word (or a decorator, attribute) that can begin a top-level statement,
/// unless the line before attaches to it (a decorator, an attribute, a doc comment).
pub(crate) struct Cuts {
    /// Besides letters, what such a line may start with.
    pub starts: &'static [u8],
    /// A line that starts with one of these continues the statement before it.
    pub continues: &'static [&'static str],
    /// A line that starts with one of these belongs to the line after it.
    pub attaches: &'static [&'static str],
}

/// For a file at least `slicing.cut_from` long: ranges of about `slicing.cut_bytes` each, ending where
/// `cuts` allows, found without parsing the file; `None` for fewer than two. A slice that
/// parses without errors on its own is a run of whole top-level statements (a cut inside a
/// string, a comment, brackets or a block leaves an unclosed one in the slice), so the
/// lowerers try these before they parse the whole file: then the whole tree-sitter tree never
/// lives at all. When some slice has an error, they parse the whole file as before.
pub(crate) fn line_slices(
    text: &str,
    slicing: Slicing,
    cuts: &Cuts,
) -> Option<Vec<tree_sitter::Range>> {
    if text.len() < slicing.cut_from {
        return None;
    }
    let out = cut_lines(text, (0, 0), text.len(), "", slicing.cut_bytes, cuts);
    (out.len() > 1).then_some(out)
}

/// Ranges of about `bytes` each that cover `text[from.0..to]` (`from` and `to` start lines;
/// `from.1` is the row of `from.0`), cut only before a line that starts with `indent`, then
/// with what `cuts` allows.
fn cut_lines(
    text: &str,
    from: (usize, usize),
    to: usize,
    indent: &str,
    bytes: usize,
    cuts: &Cuts,
) -> Vec<tree_sitter::Range> {
    let point = |row: usize, column: usize| tree_sitter::Point { row, column };
    let range = |from: usize, from_row: usize, to: usize, to_point: tree_sitter::Point| {
        tree_sitter::Range {
            start_byte: from,
            end_byte: to,
            start_point: point(from_row, 0),
            end_point: to_point,
        }
    };
    let mut out = Vec::new();
    let (mut from, mut from_row) = from;
    let (mut at, mut row) = (from, from_row);
    let mut attached = false;
    for line in text[from..to].split_inclusive('\n') {
        let stripped = line.strip_prefix(indent);
        let starts = stripped
            .and_then(|l| l.bytes().next())
            .is_some_and(|b| b.is_ascii_alphabetic() || cuts.starts.contains(&b));
        if at - from >= bytes
            && starts
            && !attached
            && !cuts.continues.iter().any(|w| {
                stripped
                    .and_then(|l| l.strip_prefix(w))
                    .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            })
        {
            out.push(range(from, from_row, at, point(row, 0)));
            (from, from_row) = (at, row);
        }
        attached = stripped.is_some_and(|l| cuts.attaches.iter().any(|a| l.starts_with(a)));
        at += line.len();
        row += usize::from(line.ends_with('\n'));
    }
    let column = to - text[..to].rfind('\n').map_or(0, |i| i + 1);
    out.push(range(from, from_row, to, point(row, column)));
    out
}

/// Most a wrapper may have around its body for [`line_wrapped`] (each slice of the body is
/// parsed with it).
const WRAPPER_ENDS: usize = 64 << 10;

/// [`wrapped`] from the text alone, without parsing the file: a file at least
/// `slicing.cut_from` long whose longest run of indented (or blank) lines holds at least half
/// of it, with at most [`WRAPPER_ENDS`] bytes before and after, and is followed by a line that
/// starts with `}` or `)`, is taken for the body of a wrapper; it is cut, like
/// [`line_slices`], before lines at its indentation. The lowerers check that each slice parses
/// cleanly inside the wrapper (else they parse the whole file).
pub(crate) fn line_wrapped(text: &str, slicing: Slicing, cuts: &Cuts) -> Option<Wrapped> {
    if text.len() < slicing.cut_from {
        return None;
    }
    // the longest run of indented lines: (start, its row, end, its row)
    let (mut best, mut run) = ((0, 0, 0, 0), None);
    let (mut at, mut row) = (0, 0);
    for line in text.split_inclusive('\n') {
        let indented = line.starts_with([' ', '\t']) || line.trim().is_empty();
        match (indented, run) {
            (true, None) => run = Some((at, row)),
            (false, Some((start, start_row))) => {
                if at - start > best.2 - best.0 {
                    best = (start, start_row, at, row);
                }
                run = None;
            }
            _ => {}
        }
        at += line.len();
        row += usize::from(line.ends_with('\n'));
    }
    let (start, start_row, end, end_row) = best;
    let body = end - start;
    if start == 0
        || 2 * body < text.len()
        || text.len() - body > WRAPPER_ENDS
        || !text[end..].starts_with(['}', ')'])
    {
        return None;
    }
    let first = text[start..end].lines().find(|l| !l.trim().is_empty())?;
    let indent = &first[..first.len() - first.trim_start().len()];
    let parts = cut_lines(
        text,
        (start, start_row),
        end,
        indent,
        slicing.cut_bytes,
        cuts,
    );
    if parts.len() < 2 {
        return None;
    }
    let point = |row, column| tree_sitter::Point { row, column };
    let whole = tree_sitter::Range {
        start_byte: 0,
        start_point: point(0, 0),
        end_byte: text.len(),
        end_point: point(row, text.len() - text.rfind('\n').map_or(0, |i| i + 1)),
    };
    Some(Wrapped {
        ranges: vec![whole],
        at: 0,
        head: tree_sitter::Range {
            end_byte: start,
            end_point: point(start_row, 0),
            ..whole
        },
        tail: tree_sitter::Range {
            start_byte: end,
            start_point: point(end_row, 0),
            ..whole
        },
        parts,
    })
}

/// Parses only `range` of `text` (then parses whole documents again).
pub(crate) fn parse_range(
    parser: &mut tree_sitter::Parser,
    text: &str,
    range: tree_sitter::Range,
) -> Option<tree_sitter::Tree> {
    parse_ranges(parser, text, &[range])
}

/// Parses only `ranges` of `text`, read as one text (then parses whole documents again).
pub(crate) fn parse_ranges(
    parser: &mut tree_sitter::Parser,
    text: &str,
    ranges: &[tree_sitter::Range],
) -> Option<tree_sitter::Tree> {
    parser.set_included_ranges(ranges).ok()?;
    let tree = parser.parse(text, None);
    let _ = parser.set_included_ranges(&[]);
    tree
}

/// A file that is mostly one wrapper function (`module.exports = function (app) { ... }`, an
/// IIFE, a UMD factory): it has a single top-level statement, so [`slices`] cannot cut it, but
/// the statements of the wrapper's body can be lowered a slice at a time. Each slice is parsed
/// inside the wrapper (`head`, the slice, `tail`), so it reads as it does in the whole file.
pub(crate) struct Wrapped {
    /// Top-level ranges as [`slices`] makes them; `ranges[at]` is the wrapper alone.
    pub ranges: Vec<tree_sitter::Range>,
    pub at: usize,
    /// The wrapper up to its body's `{` included, and from the body's `}` on (or up to a line
    /// inside the body and from one; the body is the block that holds the gap between them).
    pub head: tree_sitter::Range,
    pub tail: tree_sitter::Range,
    /// The body's statements, about `slicing.bytes` a slice.
    pub parts: Vec<tree_sitter::Range>,
}

/// For an error-free file at least `slicing.from` long whose largest top-level statement holds
/// a block (of kind `block`) of at least half the file, nested in it through each node's
/// largest child: that statement's place and its body's slices; `None` otherwise.
pub(crate) fn wrapped(
    root: tree_sitter::Node,
    text: &str,
    slicing: Slicing,
    block: u16,
) -> Option<Wrapped> {
    fn len(n: &tree_sitter::Node) -> usize {
        n.end_byte() - n.start_byte()
    }
    /// The largest child of `n`, if it holds at least half of the `whole` file.
    fn largest(n: tree_sitter::Node, whole: usize) -> Option<tree_sitter::Node> {
        let mut cursor = n.walk();
        let big = n.children(&mut cursor).max_by_key(len);
        big.filter(|c| 2 * len(c) >= whole)
    }
    if text.len() < slicing.from || root.has_error() {
        return None;
    }
    let wrapper = largest(root, text.len())?;
    let mut body = wrapper;
    for _ in 0..32 {
        if body.kind_id() == block {
            break;
        }
        body = largest(body, text.len())?;
    }
    let (open, close) = (body.start_byte(), body.end_byte().checked_sub(1)?);
    let bytes = text.as_bytes();
    if body.kind_id() != block || bytes.get(open) != Some(&b'{') || bytes.get(close) != Some(&b'}')
    {
        return None;
    }
    let point = |p: tree_sitter::Point, shift: isize| tree_sitter::Point {
        row: p.row,
        column: p.column.saturating_add_signed(shift),
    };
    // the parts cover the body between its braces with no gap (a part that ended in a line
    // comment would comment out the `}` after it)
    let (inside, end) = (
        point(body.start_position(), 1),
        point(body.end_position(), -1),
    );
    let mut starts = vec![(open + 1, inside)];
    let mut cursor = body.walk();
    for c in body.children(&mut cursor) {
        if c.start_byte() <= open || c.end_byte() > close {
            continue; // the braces
        }
        if c.start_byte() - starts[starts.len() - 1].0 >= slicing.bytes {
            starts.push((c.start_byte(), c.start_position()));
        }
    }
    starts.push((close, end));
    let parts: Vec<tree_sitter::Range> = starts
        .windows(2)
        .map(|w| tree_sitter::Range {
            start_byte: w[0].0,
            start_point: w[0].1,
            end_byte: w[1].0,
            end_point: w[1].1,
        })
        .filter(|r| r.end_byte > r.start_byte)
        .collect();
    if parts.len() < 2 {
        return None;
    }
    // the top-level statements as `slices` groups them, with a cut before and after the wrapper
    let mut ranges: Vec<tree_sitter::Range> = Vec::new();
    let mut at = 0;
    let mut cut = true;
    let mut cursor = root.walk();
    for c in root.children(&mut cursor) {
        let r = c.range();
        let is_wrapper = c == wrapper;
        match ranges.last_mut() {
            Some(s)
                if !cut
                    && !is_wrapper
                    && (c.start_position().column != 0
                        || s.end_byte - s.start_byte < slicing.bytes) =>
            {
                s.end_byte = r.end_byte;
                s.end_point = r.end_point;
            }
            _ => ranges.push(r),
        }
        if is_wrapper {
            at = ranges.len() - 1;
        }
        cut = is_wrapper;
    }
    let head = tree_sitter::Range {
        start_byte: wrapper.start_byte(),
        start_point: wrapper.start_position(),
        end_byte: open + 1,
        end_point: inside,
    };
    let tail = tree_sitter::Range {
        start_byte: close,
        start_point: end,
        end_byte: wrapper.end_byte(),
        end_point: wrapper.end_position(),
    };
    Some(Wrapped {
        ranges,
        at,
        head,
        tail,
        parts,
    })
}

/// The first ERROR or MISSING node of a tree-sitter tree, in source order, that is not a known
/// gap of the grammar (see [`grammar_lag`]). Only subtrees that hold an error are entered, so a
/// clean tree costs nothing.
pub fn first_syntax_error(root: tree_sitter::Node, text: &str) -> Option<SyntaxError> {
    if !root.has_error() {
        return None;
    }
    let mut cursor = root.walk();
    'next: loop {
        let node = cursor.node();
        let enter = if node.is_error() || node.is_missing() {
            if !grammar_lag(node, text) {
                return Some(SyntaxError {
                    offset: node.start_byte() as u32,
                    missing: node.is_missing().then(|| node.kind().to_string()),
                });
            }
            false
        } else {
            node.has_error()
        };
        if enter && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'next;
            }
            if !cursor.goto_parent() {
                return None;
            }
        }
    }
}

/// Valid code that tree-sitter-typescript 0.23 cannot read (TOOLCHAIN.md, gotcha 6), so no
/// syntax error to report: a tagged template with type arguments (styled-components'
/// ``styled.div<Props>`...` ``, read with a MISSING `!`), an escape that a tagged template
/// allows (``String.raw`\u00` ``), a bare `&` in JSX text.
fn grammar_lag(node: tree_sitter::Node, text: &str) -> bool {
    let from = |at: usize| text.get(at..).unwrap_or("");
    if node.is_missing() {
        return node.kind() == "!" && from(node.end_byte()).trim_start().starts_with('`');
    }
    match node.parent().map(|p| p.kind()) {
        Some("template_string") => true,
        Some("jsx_element") => from(node.start_byte()).starts_with('&'),
        _ => false,
    }
}

/// The fixture files with one of `exts`, for the lowerers' tests.
#[cfg(test)]
pub(crate) fn fixture_files(exts: &[&str]) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, exts, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        exts,
        &mut out,
    );
    out.sort();
    out
}

/// Lowering in slices (one per top-level statement here) gives the tree lowering whole gives,
/// for every fixture with one of `exts`; `lower` is `lower_with` at the default settings.
/// Returns how many fixtures were lowered in more than one slice.
#[cfg(test)]
pub(crate) fn assert_slicing_keeps_trees(
    exts: &[&str],
    lower: impl Fn(&str) -> Result<Ast, ParseError>,
    lower_with: impl Fn(&str, Slicing) -> Result<Ast, ParseError>,
) -> usize {
    let every = EVERY;
    let mut sliced = 0;
    for path in fixture_files(exts) {
        let text = std::fs::read_to_string(&path).expect("fixture is UTF-8");
        let (Ok(whole), Ok(parts)) = (lower(&text), lower_with(&text, every)) else {
            assert!(lower(&text).is_err() && lower_with(&text, every).is_err());
            continue;
        };
        assert_eq!(
            format!("{:?}", whole.nodes),
            format!("{:?}", parts.nodes),
            "{}",
            path.display()
        );
        assert_eq!(whole.has_errors, parts.has_errors);
        assert_eq!(whole.syntax_error, parts.syntax_error);
        sliced += usize::from(!whole.has_errors && whole.children(crate::ast::ROOT).count() > 1);
    }
    sliced
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(dialect: Dialect, src: &str) -> Option<(u32, Option<String>)> {
        parse(dialect, src)
            .unwrap()
            .syntax_error
            .map(|e| (e.offset, e.missing))
    }

    #[test]
    fn first_syntax_error_in_source_order() {
        assert_eq!(error_of(Dialect::Python, "def f():\n    return 1\n"), None);
        let py = "x = 1\ndef bad(x)\n    return x\ny = (\n";
        // ruff's parser: where the `:` is missing (tree-sitter: at the `def`, byte 6)
        assert_eq!(error_of(Dialect::Python, py), Some((16, None)));
        let ts = "const a = 1;\nif (a {\n  f();\n}\n";
        assert_eq!(
            error_of(Dialect::TypeScript, ts),
            Some((18, Some(")".to_string())))
        );
        assert_eq!(error_of(Dialect::JavaScript, "export const x = 1;\n"), None);
        // what the grammar cannot read is not a syntax error; a real one after it still is
        let lag = "const B = styled.span<{ y?: boolean }>`\n  color: red;\n`;\nconst r = String.raw`a\\u00 b`;\nif (r {}\n";
        assert_eq!(
            error_of(Dialect::TypeScript, lag),
            Some((lag.find("r {").unwrap() as u32 + 1, Some(")".to_string())))
        );
        let jsx = "export const A = () => <h3>Compliance & Legal</h3>;\n";
        assert_eq!(error_of(Dialect::Tsx, jsx), None);
    }

    #[test]
    fn line_wrapped_cuts_the_indented_body() {
        let every = EVERY;
        let cuts = Cuts {
            starts: b"_$",
            continues: &["else"],
            attaches: &["@"],
        };
        let text =
            "(function () {\n  a();\n  if (x) {\n    b();\n  }\n  else {}\n\n  c();\n})();\n";
        let w = line_wrapped(text, every, &cuts).unwrap();
        let of = |r: tree_sitter::Range| &text[r.start_byte..r.end_byte];
        assert_eq!(of(w.head), "(function () {\n");
        assert_eq!(of(w.tail), "})();\n");
        let parts: Vec<&str> = w.parts.iter().map(|&r| of(r)).collect();
        assert_eq!(
            parts,
            [
                "  a();\n",
                "  if (x) {\n    b();\n  }\n  else {}\n\n",
                "  c();\n"
            ]
        );
        assert_eq!((w.parts[2].start_point.row, w.tail.start_point.row), (7, 8));
        // no head, no closing line, or a body under half of the file: not a wrapper
        assert!(line_wrapped(&text[15..], every, &cuts).is_none());
        assert!(line_wrapped(&text[..text.len() - 6], every, &cuts).is_none());
        let long_tail = format!("{text}{}", "x();\n".repeat(20));
        assert!(line_wrapped(&long_tail, every, &cuts).is_none());
    }

    #[test]
    fn kind_names_are_node_kinds() {
        let text = "import os\n@app.get('/')\nasync def f(x: int = 1, *a, **k):\n    y = f'{x!r:>{w}}' 'b'\n    return [i async for i in g() if not i] or {1: -x}\nclass A(B, metaclass=M): pass\n)\n";
        let lang: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let names = KindNames::new(&lang);
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang).unwrap();
        let tree = parser.parse(text, None).unwrap();
        let (mut seen, mut cursor) = (0, tree.walk());
        'walk: loop {
            let n = cursor.node();
            assert_eq!(names.of(n), n.kind(), "{n:?}");
            seen += 1;
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        assert!(seen > 100, "{seen}");
        assert!(tree.root_node().has_error(), "an ERROR node is named too");
    }

    #[test]
    fn number_values() {
        let cases = [
            ("0", Some(0.0)),
            ("30_000", Some(30000.0)),
            ("0x10", Some(16.0)),
            ("0o17", Some(15.0)),
            ("0B101", Some(5.0)),
            ("1e3", Some(1000.0)),
            ("2.5E-1", Some(0.25)),
            (".5", Some(0.5)),
            ("30.0", Some(30.0)),
            ("10n", Some(10.0)),
            ("017", Some(15.0)),
            ("019", Some(19.0)),
            ("1j", None),
            ("nope", None),
        ];
        for (text, want) in cases {
            assert_eq!(number_value(text), want, "{text}");
        }
    }

    #[test]
    fn every_listed_extension_has_a_grammar() {
        for ext in EXTENSIONS {
            let path = format!("a.{ext}");
            assert!(Dialect::from_path(Path::new(&path)).is_some(), "{ext}");
        }
        assert!(Dialect::from_path(Path::new("views.txt")).is_none());
    }
}
