//! Rust: parsed with syn (`span-locations` on) and lowered into [`crate::ast`].
//!
//! Spans come from proc-macro2 as (1-based line, 0-based char column) and are converted to byte
//! offsets in the original text with a line table built once per file. syn strips a leading BOM
//! and shebang line before parsing; their length is added back. syn's spans live in a per-thread
//! source map that is cleared after every file.
//!
//! Node spans are computed from tokens and from the children's spans after the children are
//! lowered (`Spanned::span()` re-tokenises the whole subtree and is far too slow to call per
//! node). "Transparent" expressions (parentheses, `&x`, `*x`, `x as T`, `let` in conditions) get
//! no node of their own: the inner expression's node stands for them.

use std::fmt::Write as _;

use proc_macro2::{Delimiter, LineColumn, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Block, Expr, ExprBinary, ExprCall, ExprClosure, ExprForLoop, ExprIf, ExprLit,
    ExprMethodCall, ExprStruct, FnArg, ImplItem, Item, ItemImpl, ItemUse, Lit, LitStr, Local,
    Macro, Member, Meta, Pat, PatType, Path, PathArguments, ReturnType, Signature, Stmt, TraitItem,
    Type, UseTree, Visibility,
};

use super::ParseError;
use crate::ast::{
    Arg, Ast, BinOp, Builder, Call, Class, Decorator, Entry, Function, Import, Kind, Lang, Loop,
    LoopKind, NodeId, Param, Str, StrKind, UnOp,
};
use crate::source::Span;

type P2Span = proc_macro2::Span;

/// The lowering recursion (expressions, statements, items, patterns) may go this many times
/// `max-nesting-depth` deep: a level of source nesting costs one to three levels here; long
/// left-nested chains (`a + b + c ...`, `x.a().b()...`) cost one level per link.
const LOWER_FACTOR: usize = 2;

/// Files whose parse nesting (see [`Nesting`]) is at most this are parsed on the calling
/// thread. syn's recursive descent takes up to ~20 KiB of stack per nesting level in debug
/// builds (far less in release), so deeper files (rare: real code stays under ~30) are parsed
/// on a thread of their own with a large stack, as are files whose lowering outgrows
/// `INLINE_STACK`.
const INLINE_DEPTH: usize = 32;
/// Stack the lowering may use on the calling thread before it is retried on a large stack.
const INLINE_STACK: usize = 512 << 10;
/// Stack of the thread used for deeply nested files (reserved, touched only as needed), per
/// level of `max-nesting-depth` (64 MiB at the default).
const DEEP_STACK_PER_LEVEL: usize = 160 << 10;
const DEEP_STACK_MIN: usize = 64 << 20;

const UTF8_BOM: &str = "\u{feff}";

/// Why lowering stopped.
enum Fail {
    Parse(ParseError),
    /// The stack budget of the calling thread ran out: retry on a large stack.
    NeedStack,
}

fn deep_stack(max_depth: usize) -> usize {
    max_depth
        .saturating_mul(DEEP_STACK_PER_LEVEL)
        .max(DEEP_STACK_MIN)
}

/// Parses and lowers a Rust file nested at most `max_depth` levels deep.
pub fn lower(text: &str, max_depth: usize) -> Result<Ast, ParseError> {
    let n = nesting(text.as_bytes(), max_depth);
    if n.tree > max_depth {
        return Err(ParseError::TooDeep(max_depth));
    }
    if n.parse <= INLINE_DEPTH {
        match lower_here(text, INLINE_STACK, max_depth) {
            Ok(ast) => return Ok(ast),
            Err(Fail::Parse(e)) => return Err(e),
            Err(Fail::NeedStack) => {}
        }
    }
    let stack = deep_stack(max_depth);
    let deep = on_deep_stack(stack, || lower_here(text, stack / 2, max_depth));
    match deep {
        Some(Ok(ast)) => Ok(ast),
        Some(Err(Fail::Parse(e))) => Err(e),
        Some(Err(Fail::NeedStack)) | None => Err(ParseError::TooDeep(max_depth)),
    }
}

/// Parse only (no lowering), for the parse-floor benchmark.
pub fn parse_only(text: &str) -> bool {
    let max_depth = super::DEFAULT_MAX_DEPTH;
    let n = nesting(text.as_bytes(), max_depth);
    if n.tree > max_depth {
        return false;
    }
    let parse = || {
        let ok = syn::parse_file(text).is_ok();
        proc_macro2::extra::invalidate_current_thread_spans();
        ok
    };
    if n.parse <= INLINE_DEPTH {
        parse()
    } else {
        on_deep_stack(deep_stack(max_depth), parse).unwrap_or(false)
    }
}

/// Runs `f` on a scoped thread with `stack` bytes of stack; `None` if no thread could be started.
fn on_deep_stack<T: Send>(stack: usize, f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("backlint-rust-deep".into())
            .stack_size(stack)
            .spawn_scoped(s, f)
            .ok()?;
        Some(
            handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    })
}

/// Parses and lowers on the current thread, using at most about `stack` bytes of stack for
/// the lowering.
fn lower_here(text: &str, stack: usize, max_depth: usize) -> Result<Ast, Fail> {
    let result = lower_parsed(text, stack, max_depth);
    // Spans are only meaningful while the source map holds this file; drop it either way.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// An address in the current stack frame.
#[inline(never)]
fn stack_pos() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Where a Rust file may be cut without parsing it (see [`super::line_slices`]): before an
/// item, not before `#!` (an inner attribute is only valid at the top of the whole file) nor
/// after an attribute or doc comment.
const CUTS: super::Cuts = super::Cuts {
    starts: b"_#",
    continues: &["#!", "where", "else", "for", "as"],
    attaches: &["#", "///", "/**"],
};

fn lower_parsed(text: &str, stack: usize, max_depth: usize) -> Result<Ast, Fail> {
    lower_sliced(text, stack, max_depth, super::SLICING)
}

fn lower_sliced(
    text: &str,
    stack: usize,
    max_depth: usize,
    slicing: super::Slicing,
) -> Result<Ast, Fail> {
    // A large file is parsed a slice of whole items at a time, so syn's token stream and tree
    // are never made for the whole file; if a slice does not parse on its own, the file is
    // parsed whole (which reports the error).
    let mut slices = super::line_slices(text, slicing, &CUTS)
        .map(|ranges| {
            ranges
                .into_iter()
                .map(|r| (r.start_byte, r.end_byte))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if !slices.is_empty() {
        match lower_items(text, &slices, stack, max_depth) {
            Err(Fail::Parse(ParseError::Syntax(_))) => {}
            done => return done,
        }
    }
    slices = vec![(0, text.len())];
    lower_items(text, &slices, stack, max_depth)
}

/// Parses each slice of `text` (ranges of whole items, the first one from the start) with syn
/// and lowers its items, each dropped once lowered: syn's tree and the lowered one do not
/// both grow to the whole file.
fn lower_items(
    text: &str,
    slices: &[(usize, usize)],
    stack: usize,
    max_depth: usize,
) -> Result<Ast, Fail> {
    let mut l: Option<Lowerer> = None;
    let mut items = Vec::new();
    for &(from, to) in slices {
        let part = &text[from..to];
        let file = match syn::parse_file(part) {
            Ok(f) => f,
            Err(e) => {
                let lc = e.span().start();
                let msg = format!("{}:{}: {e}", lc.line, lc.column + 1);
                return Err(Fail::Parse(ParseError::Syntax(msg)));
            }
        };
        // The text syn saw: without the BOM and without the shebang line (its newline is kept).
        let bom = if part.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        let skip = bom + file.shebang.as_ref().map_or(0, |s| s.len());
        let seen = part.get(skip..).unwrap_or("");
        let idx = LineIndex::new(seen, (from + skip) as u32);
        let l = match &mut l {
            Some(l) => {
                l.idx = idx;
                l
            }
            empty @ None => {
                let mut l = Lowerer {
                    b: Builder::new(),
                    idx,
                    src: text,
                    depth: 0,
                    depth_limit: max_depth.saturating_mul(LOWER_FACTOR),
                    stack_base: stack_pos(),
                    stack_budget: stack,
                    too_deep: false,
                    out_of_stack: false,
                    fixups: Vec::new(),
                };
                l.b.open(Span::new(0, text.len()));
                empty.insert(l)
            }
        };
        let mut rest = file.items.into_iter();
        for it in rest.by_ref() {
            l.item(&it, &mut items);
            if l.too_deep {
                // syn's tree may be deeper than its recursive drop can go: leak it instead
                // (pathological input only)
                std::mem::forget(it);
                break;
            }
        }
        if l.too_deep {
            std::mem::forget(rest);
            break;
        }
        if slices.len() > 1 {
            // this slice's spans are turned into numbers
            proc_macro2::extra::invalidate_current_thread_spans();
        }
    }
    let Some(mut l) = l else {
        return Err(Fail::Parse(ParseError::Syntax("nothing to parse".into())));
    };
    l.b.close(crate::ast::ROOT, Kind::Module(items));
    if l.out_of_stack {
        return Err(Fail::NeedStack);
    }
    if l.too_deep {
        // the pre-scan missed how deep this is (the items were leaked above)
        return Err(Fail::Parse(ParseError::TooDeep(max_depth)));
    }
    let fixups = std::mem::take(&mut l.fixups);
    let mut ast = l.b.finish(Lang::Rust, false);
    for (id, parts) in fixups {
        if let Kind::Str(s) = &mut ast.nodes[id as usize].kind {
            s.parts = parts;
        }
    }
    Ok(ast)
}

// ---------------------------------------------------------------------------------------------
// Nesting pre-scan

/// How deep a Rust file nests, estimated from its bytes before syn sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Nesting {
    /// How deep syn's recursive descent recurses: brackets, plus the prefix operators, generic
    /// `<`, closures, assignments, `else if` and `return`/`break` of one expression (syn
    /// recurses for each).
    parse: usize,
    /// How deep syn's tree (and its recursive drop) gets: `parse` plus the links of
    /// left-nested chains (`a + b + c`, `x.f().g()`, `y?`, `z as T`), which syn parses in a
    /// loop but nests in its tree. This is what `max-nesting-depth` limits.
    tree: usize,
}

/// Counters of one bracket level of [`nesting`].
#[derive(Clone, Copy, Default)]
struct Level {
    /// Unclosed generic `<` and closure or pattern `|` (until `;`, `=>` or the end of the
    /// statement: commas do not end them).
    angle: usize,
    /// Recursing operators in the current expression (until `,`, `;` or `=>`).
    rec: usize,
    /// Chain links in the current expression.
    chain: usize,
}

/// Estimates [`Nesting`] from the bytes: brackets, operators and keywords, with string, char
/// and byte literals, raw strings and comments skipped (roughly). An upper bound in practice;
/// stops early once over `max`.
fn nesting(b: &[u8], max: usize) -> Nesting {
    let n = b.len();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut out = Nesting::default();
    // the enclosing levels, and the sums of their counters
    let mut stack: Vec<Level> = Vec::new();
    let (mut outer_parse, mut outer_tree) = (0usize, 0usize);
    let mut cur = Level::default();
    let mut i = 0;
    while i < n {
        let c = b[i];
        // (recursing operators, chain links) this byte adds; `i` moves past what it read
        let mut add = (0usize, 0usize);
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut level = 0usize;
                while i < n {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < n && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            b'r' if (i == 0 || !ident(b[i - 1]) || raw_prefix(b, i))
                && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
            {
                let mut j = i + 1;
                while j < n && b[j] == b'#' {
                    j += 1;
                }
                if j < n && b[j] == b'"' {
                    let hashes = j - i - 1;
                    j += 1;
                    loop {
                        if j >= n {
                            // unterminated: syn's lexer rejects the file
                            return out;
                        }
                        if b[j] == b'"'
                            && b[j + 1..]
                                .iter()
                                .take(hashes)
                                .filter(|&&h| h == b'#')
                                .count()
                                == hashes
                        {
                            i = j + 1 + hashes;
                            break;
                        }
                        j += 1;
                    }
                    continue;
                }
                // `r#ident`
                i += 2;
                continue;
            }
            b'\'' => {
                // A char literal, or a lifetime/label.
                if b.get(i + 1) == Some(&b'\\') {
                    let mut j = i + 2;
                    while j < n && b[j] != b'\'' && b[j] != b'\n' {
                        j += 1;
                    }
                    i = j + 1;
                    continue;
                }
                if let Some(&c1) = b.get(i + 1) {
                    let len = utf8_len(c1);
                    if b.get(i + 1 + len) == Some(&b'\'') {
                        i += 2 + len;
                        continue;
                    }
                }
                // a lifetime: skip its name
                i += 1;
                while i < n && ident(b[i]) {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                outer_parse += cur.angle + cur.rec;
                outer_tree += cur.angle + cur.rec + cur.chain;
                stack.push(cur);
                cur = Level::default();
            }
            b')' | b']' | b'}' => {
                if let Some(up) = stack.pop() {
                    outer_parse -= up.angle + up.rec;
                    outer_tree -= up.angle + up.rec + up.chain;
                    cur = up;
                }
                if c == b'}' {
                    if statement_ends(b, i + 1) {
                        cur = Level::default();
                    }
                } else {
                    // a call or index: `f(x)(y)`, `a[0][1]` nest left
                    add = (0, 1);
                }
            }
            b';' => cur = Level::default(),
            b',' => {
                cur.rec = 0;
                cur.chain = 0;
            }
            b'=' if b.get(i + 1) == Some(&b'>') => {
                cur = Level::default();
                i += 1;
            }
            b':' if b.get(i + 1) == Some(&b':') => i += 1,
            b'<' => {
                if matches!(b.get(i + 1), Some(b'=' | b'<')) {
                    i += 1;
                    if b.get(i + 1) == Some(&b'=') {
                        i += 1;
                    }
                    add = (1, 0);
                } else {
                    cur.angle += 1;
                }
            }
            b'>' => {
                let run = b[i..].iter().take_while(|&&x| x == b'>').count();
                if b.get(i + run) == Some(&b'=') {
                    // `>=`, `>>=`
                    i += run;
                    add = (0, 1);
                } else {
                    cur.angle = cur.angle.saturating_sub(run);
                    i += run - 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'>') => {
                add = (1, 0);
                i += 1;
            }
            b'.' => {
                while b.get(i + 1) == Some(&b'.') || b.get(i + 1) == Some(&b'=') {
                    i += 1;
                }
                add = (0, 1);
            }
            // `==`, `!=`, `+=`...: one operator
            b'=' if b.get(i + 1) == Some(&b'=') => {
                add = (0, 1);
                i += 1;
            }
            b'|' if !matches!(b.get(i + 1), Some(b'|' | b'=')) => cur.angle += 1,
            _ if b"=!+-*/%^|&@".contains(&c) => {
                if b.get(i + 1) == Some(&b'=') || (c == b'|' && b.get(i + 1) == Some(&b'|')) {
                    // compound assignments (right-nested), `!=`, `||`
                    add = (1, 0);
                    i += 1;
                } else if b"+/%^".contains(&c) {
                    // binary only: a loop in syn
                    add = (0, 1);
                } else {
                    // prefix operators, closures, assignments, `x @ pat` (syn recurses)
                    add = (1, 0);
                }
            }
            b'?' => add = (0, 1),
            b'b' | b'c'
                if b.get(i + 1) == Some(&b'r') && matches!(b.get(i + 2), Some(b'"' | b'#')) =>
            {
                // `br"..."`: the `r` starts the raw string
                i += 1;
                continue;
            }
            _ if ident(c) => {
                let start = i;
                while i < n && ident(b[i]) {
                    i += 1;
                }
                match &b[start..i] {
                    b"else" | b"return" | b"break" | b"yield" | b"let" | b"move" | b"box" => {
                        cur.rec += 1
                    }
                    b"as" => cur.chain += 1,
                    _ => {}
                }
                let here = stack.len() + outer_tree + cur.angle + cur.rec + cur.chain;
                out.tree = out.tree.max(here);
                out.parse = out
                    .parse
                    .max(stack.len() + outer_parse + cur.angle + cur.rec);
                if out.tree > max {
                    return out;
                }
                continue;
            }
            _ => {}
        }
        cur.rec += add.0;
        cur.chain += add.1;
        out.parse = out
            .parse
            .max(stack.len() + outer_parse + cur.angle + cur.rec);
        out.tree = out
            .tree
            .max(stack.len() + outer_tree + cur.angle + cur.rec + cur.chain);
        if out.tree > max {
            return out;
        }
        i += 1;
    }
    out
}

/// After a `}`: whether a new statement or item starts (a keyword or name other than `else`
/// and `as`, or an attribute), which ends the expression the block was part of.
fn statement_ends(b: &[u8], mut i: usize) -> bool {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let Some(&c) = b.get(i) else {
        return true;
    };
    if c == b'#' {
        return true;
    }
    if !(c.is_ascii_alphabetic() || c == b'_' || c >= 0x80) {
        return false;
    }
    let word: &[u8] = &b[i..][..b[i..]
        .iter()
        .take_while(|&&x| x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80)
        .count()];
    word != b"else" && word != b"as"
}

/// `br"..."` / `cr"..."`: an `r` right after a `b`/`c` that starts a token.
fn raw_prefix(b: &[u8], i: usize) -> bool {
    i >= 1
        && matches!(b[i - 1], b'b' | b'c')
        && (i == 1 || !(b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b'_' || b[i - 2] >= 0x80))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

// ---------------------------------------------------------------------------------------------
// Positions

/// (line, char column) -> byte offset, for the text syn parsed.
struct LineIndex<'a> {
    text: &'a str,
    /// Bytes of the original text before `text` (BOM, shebang).
    base: u32,
    starts: Vec<u32>,
    ascii: Vec<bool>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str, base: u32) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        let mut ascii = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(0);
        let mut line_ascii = true;
        for (i, &c) in bytes.iter().enumerate() {
            if c == b'\n' {
                ascii.push(line_ascii);
                line_ascii = true;
                starts.push(i as u32 + 1);
            } else if c >= 0x80 {
                line_ascii = false;
            }
        }
        ascii.push(line_ascii);
        LineIndex {
            text,
            base,
            starts,
            ascii,
        }
    }

    fn offset(&self, lc: LineColumn) -> u32 {
        let line = lc.line.saturating_sub(1);
        let Some(&start) = self.starts.get(line) else {
            return self.base + self.text.len() as u32;
        };
        let off = if self.ascii[line] {
            (start as usize + lc.column).min(self.text.len())
        } else {
            let rest = &self.text[start as usize..];
            start as usize
                + rest
                    .char_indices()
                    .nth(lc.column)
                    .map_or(rest.len(), |(b, _)| b)
        };
        self.base + off as u32
    }
}

fn cover(a: Span, b: Span) -> Span {
    Span {
        start: a.start,
        end: b.end.max(a.start),
    }
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/// A path as written, segments joined with `::`, generic arguments dropped.
fn path_text(p: &Path) -> String {
    let mut s = String::new();
    for (i, seg) in p.segments.iter().enumerate() {
        if i > 0 {
            s.push_str("::");
        }
        let _ = write!(s, "{}", seg.ident);
    }
    s
}

fn last_segment(p: &Path) -> String {
    p.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn is_doc(a: &Attribute) -> bool {
    a.path().is_ident("doc")
}

fn is_exported(vis: &Visibility) -> bool {
    !matches!(vis, Visibility::Inherited)
}

fn vis_span(vis: &Visibility) -> Option<P2Span> {
    match vis {
        Visibility::Public(p) => Some(p.span),
        Visibility::Restricted(r) => Some(r.pub_token.span),
        _ => None,
    }
}

/// Writes tokens compactly: a space only between two word-like tokens (identifiers, literals),
/// so types read `Json<CreateUser>`, `Query<HashMap<String,String>>`, `&'a mut T`.
fn print_tokens(
    ts: TokenStream,
    out: &mut String,
    first: &mut Option<P2Span>,
    last: &mut Option<P2Span>,
    word: &mut bool,
) {
    for tt in ts {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                if first.is_none() {
                    *first = Some(g.span_open());
                }
                out.push_str(open);
                *word = false;
                print_tokens(g.stream(), out, first, last, word);
                out.push_str(close);
                *last = Some(g.span_close());
                *word = false;
            }
            TokenTree::Ident(i) => {
                if *word {
                    out.push(' ');
                }
                let _ = write!(out, "{i}");
                *word = true;
                first.get_or_insert(i.span());
                *last = Some(i.span());
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                *word = false;
                first.get_or_insert(p.span());
                *last = Some(p.span());
            }
            TokenTree::Literal(lit) => {
                if *word {
                    out.push(' ');
                }
                let _ = write!(out, "{lit}");
                *word = true;
                first.get_or_insert(lit.span());
                *last = Some(lit.span());
            }
        }
    }
}

fn is_punct(tt: &TokenTree, ch: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == ch)
}

/// Splits a token list at top-level `,` (and `;` when `semis`).
fn split_top(ts: TokenStream, semis: bool) -> Vec<Vec<TokenTree>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for tt in ts {
        if is_punct(&tt, ',') || (semis && is_punct(&tt, ';')) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(tt);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Index of the first top-level `sep` (`=` or `:`) that is a whole operator: not part of
/// `==`, `=>`, `<=`, `!=`, `::` and the like.
fn find_sep(toks: &[TokenTree], sep: char) -> Option<usize> {
    for (i, tt) in toks.iter().enumerate() {
        if let TokenTree::Punct(p) = tt {
            if p.as_char() != sep || p.spacing() == Spacing::Joint {
                continue;
            }
            let after_joint = i > 0
                && matches!(&toks[i - 1], TokenTree::Punct(q) if q.spacing() == Spacing::Joint);
            if !after_joint {
                return Some(i);
            }
        }
    }
    None
}

/// `user_id`, `user.id`, `"field name"`: a tracing field name before `=`.
fn field_name(toks: &[TokenTree]) -> Option<String> {
    let mut s = String::new();
    for tt in toks {
        match tt {
            TokenTree::Ident(i) => {
                let _ = write!(s, "{i}");
            }
            TokenTree::Punct(p) if p.as_char() == '.' => s.push('.'),
            TokenTree::Literal(l) => {
                let t = l.to_string();
                s.push_str(t.trim_matches('"'));
            }
            _ => return None,
        }
    }
    (!s.is_empty()).then_some(s)
}

fn strip_sigil(toks: &[TokenTree]) -> &[TokenTree] {
    match toks.first() {
        Some(TokenTree::Punct(p)) if matches!(p.as_char(), '%' | '?') && toks.len() > 1 => {
            &toks[1..]
        }
        _ => toks,
    }
}

fn parse_expr_tokens(toks: &[TokenTree]) -> Option<Expr> {
    if toks.is_empty() {
        return None;
    }
    syn::parse2::<Expr>(toks.iter().cloned().collect()).ok()
}

/// Macros whose first string-literal argument is a `format!` string.
fn is_format_macro(name: &str) -> bool {
    matches!(
        name,
        "format"
            | "format_args"
            | "print"
            | "println"
            | "eprint"
            | "eprintln"
            | "write"
            | "writeln"
            | "panic"
            | "unreachable"
            | "todo"
            | "unimplemented"
            | "anyhow"
            | "bail"
            | "eyre"
            | "info"
            | "warn"
            | "error"
            | "debug"
            | "trace"
    )
}

enum Hole {
    Next,
    Index(usize),
    Named(String),
}

/// Parses `format!` placeholders. Returns the static text with `{}` for each placeholder (and
/// `{{`/`}}` unescaped) and the placeholders in order.
fn format_holes(s: &str) -> (String, Vec<Hole>) {
    let mut out = String::with_capacity(s.len());
    let mut holes = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &s[i + 1..];
                let Some(close) = rest.find('}') else {
                    out.push_str(&s[i..]);
                    break;
                };
                let inner = &rest[..close];
                let arg = inner.split(':').next().unwrap_or("").trim();
                holes.push(if arg.is_empty() {
                    Hole::Next
                } else if let Ok(n) = arg.parse::<usize>() {
                    Hole::Index(n)
                } else {
                    Hole::Named(arg.to_string())
                });
                out.push_str("{}");
                // Skip past the closing brace.
                for (j, _) in chars.by_ref() {
                    if j == i + 1 + close {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    (out, holes)
}

// ---------------------------------------------------------------------------------------------
// Lowering

struct Lowerer<'a> {
    b: Builder,
    idx: LineIndex<'a>,
    /// The original text (for attribute argument text).
    src: &'a str,
    depth: usize,
    depth_limit: usize,
    /// `stack_pos()` when lowering started, and how far below it the lowering may go.
    stack_base: usize,
    stack_budget: usize,
    too_deep: bool,
    out_of_stack: bool,
    /// `format!` strings whose parts include arguments lowered after the string itself.
    fixups: Vec<(NodeId, Vec<NodeId>)>,
}

/// A macro argument before lowering: an optional `name =` and the expression.
type MacArg = (Option<String>, Expr);

impl Lowerer<'_> {
    // --- positions

    fn start(&self, s: P2Span) -> u32 {
        self.idx.offset(s.start())
    }
    fn end(&self, s: P2Span) -> u32 {
        self.idx.offset(s.end())
    }
    fn sp(&self, s: P2Span) -> Span {
        Span {
            start: self.start(s),
            end: self.end(s),
        }
    }
    fn sp2(&self, a: P2Span, b: P2Span) -> Span {
        let start = self.start(a);
        Span {
            start,
            end: self.end(b).max(start),
        }
    }
    fn to(&self, start: u32, b: P2Span) -> Span {
        Span {
            start,
            end: self.end(b).max(start),
        }
    }

    fn tokens_span(&self, ts: TokenStream) -> Span {
        let mut first = None;
        let mut last = None;
        for tt in ts {
            first.get_or_insert(tt.span());
            last = Some(tt.span());
        }
        match (first, last) {
            (Some(f), Some(l)) => self.sp2(f, l),
            _ => Span::default(),
        }
    }

    fn toks_span(&self, toks: &[TokenTree]) -> Span {
        match (toks.first(), toks.last()) {
            (Some(f), Some(l)) => self.sp2(f.span(), l.span()),
            _ => Span::default(),
        }
    }

    /// Compact token text and its span.
    fn tokens_text(&self, ts: TokenStream) -> (String, Span) {
        let mut out = String::new();
        let (mut first, mut last, mut word) = (None, None, false);
        print_tokens(ts, &mut out, &mut first, &mut last, &mut word);
        let span = match (first, last) {
            (Some(f), Some(l)) => self.sp2(f, l),
            _ => Span::default(),
        };
        (out, span)
    }

    fn type_text(&self, ty: &Type) -> (String, Span) {
        self.tokens_text(ty.to_token_stream())
    }

    fn path_span(&self, p: &Path) -> Span {
        let first = p
            .leading_colon
            .as_ref()
            .map(|c| c.spans[0])
            .or_else(|| p.segments.first().map(|s| s.ident.span()));
        let last = p.segments.last().map(|s| match &s.arguments {
            PathArguments::AngleBracketed(a) => a.gt_token.spans[0],
            PathArguments::Parenthesized(a) => a.paren_token.span.close(),
            PathArguments::None => s.ident.span(),
        });
        match (first, last) {
            (Some(f), Some(l)) => self.sp2(f, l),
            _ => Span::default(),
        }
    }

    /// Start of an item: its first outer non-doc attribute, else its visibility, else `kw`.
    fn item_start(&self, attrs: &[Attribute], vis: Option<&Visibility>, kw: P2Span) -> u32 {
        let outer = |a: &&Attribute| matches!(a.style, syn::AttrStyle::Outer) && !is_doc(a);
        if let Some(a) = attrs.iter().find(outer) {
            return self.start(a.pound_token.spans[0]);
        }
        self.start(vis.and_then(vis_span).unwrap_or(kw))
    }

    // --- builder

    fn open(&mut self) -> NodeId {
        self.b.open(Span::default())
    }
    fn close(&mut self, id: NodeId, span: Span, kind: Kind) -> NodeId {
        self.b.set_span(id, span);
        self.b.close(id, kind)
    }
    fn leaf(&mut self, span: Span, kind: Kind) -> NodeId {
        self.b.leaf(span, kind)
    }
    /// A node with children: `build` lowers them (they land inside the node) and returns the
    /// node's span and kind, known only then.
    fn node(&mut self, build: impl FnOnce(&mut Self) -> (Span, Kind)) -> (NodeId, Span) {
        let id = self.open();
        let (span, kind) = build(self);
        (self.close(id, span, kind), span)
    }

    /// Enters one level of recursion; false (and the file is rejected) past the depth limit or
    /// the stack budget.
    fn enter(&mut self) -> bool {
        if self.too_deep || self.out_of_stack {
            return false;
        }
        if self.depth >= self.depth_limit {
            self.too_deep = true;
            return false;
        }
        if self.stack_base.abs_diff(stack_pos()) > self.stack_budget {
            self.out_of_stack = true;
            return false;
        }
        self.depth += 1;
        true
    }

    // --- items

    fn item(&mut self, it: &Item, out: &mut Vec<NodeId>) {
        if !self.enter() {
            return;
        }
        self.item_inner(it, out);
        self.depth -= 1;
    }

    fn item_inner(&mut self, it: &Item, out: &mut Vec<NodeId>) {
        match it {
            Item::Fn(f) => {
                let id = self.function(&f.attrs, Some(&f.vis), &f.sig, &f.block);
                out.push(id);
            }
            Item::Impl(i) => out.push(self.impl_block(i)),
            Item::Mod(m) => {
                if let Some((brace, items)) = &m.content {
                    let (id, _) = self.node(|l| {
                        let decorators = l.decorators(&m.attrs);
                        let start = l.item_start(&m.attrs, Some(&m.vis), m.mod_token.span);
                        let mut body = Vec::with_capacity(items.len());
                        for it in items {
                            l.item(it, &mut body);
                        }
                        let span = l.to(start, brace.span.close());
                        (
                            span,
                            class_kind(m.ident.to_string(), vec![], decorators, body),
                        )
                    });
                    out.push(id);
                }
            }
            Item::Struct(s) => {
                let start = self.item_start(&s.attrs, Some(&s.vis), s.struct_token.span);
                let end = match (&s.semi_token, &s.fields) {
                    (Some(semi), _) => semi.spans[0],
                    (None, syn::Fields::Named(f)) => f.brace_token.span.close(),
                    (None, syn::Fields::Unnamed(f)) => f.paren_token.span.close(),
                    (None, syn::Fields::Unit) => s.ident.span(),
                };
                let span = self.to(start, end);
                out.push(self.plain_class(&s.attrs, &s.ident, span));
            }
            Item::Enum(e) => {
                let start = self.item_start(&e.attrs, Some(&e.vis), e.enum_token.span);
                let span = self.to(start, e.brace_token.span.close());
                out.push(self.plain_class(&e.attrs, &e.ident, span));
            }
            Item::Union(u) => {
                let start = self.item_start(&u.attrs, Some(&u.vis), u.union_token.span);
                let span = self.to(start, u.fields.brace_token.span.close());
                out.push(self.plain_class(&u.attrs, &u.ident, span));
            }
            Item::Trait(t) => {
                let (id, _) = self.node(|l| {
                    let decorators = l.decorators(&t.attrs);
                    let start = l.item_start(&t.attrs, Some(&t.vis), t.trait_token.span);
                    let mut body = Vec::new();
                    for ti in &t.items {
                        match ti {
                            TraitItem::Fn(f) => {
                                if let Some(block) = &f.default {
                                    body.push(l.function(&f.attrs, Some(&t.vis), &f.sig, block));
                                }
                            }
                            TraitItem::Const(c) => {
                                if let Some((_, e)) = &c.default {
                                    let start = l.item_start(&c.attrs, None, c.const_token.span);
                                    let span = l.to(start, c.semi_token.spans[0]);
                                    body.push(l.const_assign(&c.ident, e, span));
                                }
                            }
                            TraitItem::Macro(m) => body.push(l.mac(&m.mac).0),
                            _ => {}
                        }
                    }
                    let span = l.to(start, t.brace_token.span.close());
                    (
                        span,
                        class_kind(t.ident.to_string(), vec![], decorators, body),
                    )
                });
                out.push(id);
            }
            Item::Use(u) => self.use_item(u, out),
            Item::Const(c) => {
                let start = self.item_start(&c.attrs, Some(&c.vis), c.const_token.span);
                let span = self.to(start, c.semi_token.spans[0]);
                out.push(self.const_assign(&c.ident, &c.expr, span));
            }
            Item::Static(s) => {
                let start = self.item_start(&s.attrs, Some(&s.vis), s.static_token.span);
                let span = self.to(start, s.semi_token.spans[0]);
                out.push(self.const_assign(&s.ident, &s.expr, span));
            }
            Item::Macro(m) if !m.mac.path.is_ident("macro_rules") => out.push(self.mac(&m.mac).0),
            Item::ExternCrate(e) => {
                let start = self.item_start(&e.attrs, Some(&e.vis), e.extern_token.span);
                let span = self.to(start, e.semi_token.spans[0]);
                let module = e.ident.to_string();
                let alias = e
                    .rename
                    .as_ref()
                    .map_or_else(|| module.clone(), |(_, r)| r.to_string());
                out.push(self.leaf(
                    span,
                    Kind::Import(Box::new(Import {
                        module,
                        names: vec![(String::new(), alias)],
                    })),
                ));
            }
            _ => {}
        }
    }

    fn decorators(&self, attrs: &[Attribute]) -> Vec<Decorator> {
        let mut out = Vec::new();
        for a in attrs {
            if is_doc(a) {
                continue;
            }
            let args = match &a.meta {
                Meta::List(l) => {
                    let d = l.delimiter.span();
                    self.src_between(d.open(), d.close())
                }
                Meta::NameValue(nv) => {
                    self.src_between(nv.eq_token.spans[0], a.bracket_token.span.close())
                }
                Meta::Path(_) => String::new(),
            };
            out.push(Decorator {
                name: path_text(a.path()),
                node: None,
                args,
                span: self.sp2(a.pound_token.spans[0], a.bracket_token.span.close()),
            });
        }
        out
    }

    /// The source text strictly between two tokens, trimmed.
    fn src_between(&self, a: P2Span, b: P2Span) -> String {
        let s = self.end(a) as usize;
        let e = self.start(b) as usize;
        self.src.get(s..e).unwrap_or("").trim().to_string()
    }

    fn plain_class(&mut self, attrs: &[Attribute], ident: &syn::Ident, span: Span) -> NodeId {
        let decorators = self.decorators(attrs);
        let name = ident.to_string();
        self.leaf(
            span,
            Kind::Class(Box::new(Class {
                name,
                bases: vec![],
                decorators,
                body: vec![],
            })),
        )
    }

    fn const_assign(&mut self, ident: &syn::Ident, e: &Expr, span: Span) -> NodeId {
        self.node(|l| {
            let target = l.leaf(l.sp(ident.span()), Kind::Name(ident.to_string()));
            let (value, _) = l.expr(e);
            (
                span,
                Kind::Assign {
                    target,
                    value: Some(value),
                    declared: true,
                    augmented: false,
                },
            )
        })
        .0
    }

    fn impl_block(&mut self, i: &ItemImpl) -> NodeId {
        self.node(|l| {
            let decorators = l.decorators(&i.attrs);
            let kw = i.unsafety.as_ref().map_or(i.impl_token.span, |u| u.span);
            let start = l.item_start(&i.attrs, None, kw);
            let name = match &*i.self_ty {
                Type::Path(tp) if tp.qself.is_none() => path_text(&tp.path),
                other => l.type_text(other).0,
            };
            let bases = match &i.trait_ {
                Some((path, _)) => vec![l.tokens_text(path.to_token_stream()).0],
                None => vec![],
            };
            let mut body = Vec::with_capacity(i.items.len());
            for ii in &i.items {
                match ii {
                    ImplItem::Fn(f) => {
                        body.push(l.function(&f.attrs, Some(&f.vis), &f.sig, &f.block))
                    }
                    ImplItem::Const(c) => {
                        let start = l.item_start(&c.attrs, Some(&c.vis), c.const_token.span);
                        let span = l.to(start, c.semi_token.spans[0]);
                        body.push(l.const_assign(&c.ident, &c.expr, span));
                    }
                    ImplItem::Macro(m) => body.push(l.mac(&m.mac).0),
                    _ => {}
                }
            }
            let span = l.to(start, i.brace_token.span.close());
            (span, class_kind(name, bases, decorators, body))
        })
        .0
    }

    fn function(
        &mut self,
        attrs: &[Attribute],
        vis: Option<&Visibility>,
        sig: &Signature,
        block: &Block,
    ) -> NodeId {
        self.node(|l| {
            let decorators = l.decorators(attrs);
            let sig_start = sig
                .constness
                .as_ref()
                .map(|t| t.span)
                .or_else(|| sig.asyncness.as_ref().map(|t| t.span))
                .or(match &sig.safety {
                    syn::Safety::Unsafe(t) => Some(t.span),
                    syn::Safety::Safe(t) => Some(t.span),
                    _ => None,
                })
                .or_else(|| sig.abi.as_ref().map(|a| a.extern_token.span))
                .unwrap_or(sig.fn_token.span);
            let head_start = l.start(vis.and_then(vis_span).unwrap_or(sig_start));
            let params = sig.inputs.iter().map(|a| l.fn_arg(a)).collect();
            let (returns, head_end) = match &sig.output {
                ReturnType::Default => (None, l.end(sig.paren_token.span.close())),
                ReturnType::Type(_, ty) => {
                    let (t, s) = l.type_text(ty);
                    (Some(t), s.end)
                }
            };
            let body = l.stmts(&block.stmts);
            let start = l.item_start(attrs, None, vis.and_then(vis_span).unwrap_or(sig_start));
            let span = l.to(start, block.brace_token.span.close());
            let f = Function {
                name: Some(sig.ident.to_string()),
                is_async: sig.asyncness.is_some(),
                params,
                decorators,
                returns,
                body,
                expr_body: None,
                exported: vis.is_some_and(is_exported),
                head: Span {
                    start: head_start,
                    end: head_end.max(head_start),
                },
            };
            (span, Kind::Function(Box::new(f)))
        })
        .0
    }

    fn fn_arg(&self, a: &FnArg) -> Param {
        match a {
            FnArg::Receiver(r) => {
                let ty = match &r.kind {
                    syn::ReceiverKind::Reference(_, _, Some(_)) => Some("&mut Self".to_string()),
                    syn::ReceiverKind::Reference(..) => Some("&Self".to_string()),
                    syn::ReceiverKind::Typed(_, ty) => Some(self.type_text(ty).0),
                    _ => None,
                };
                let start = match &r.kind {
                    syn::ReceiverKind::Reference(and, ..) => and.spans[0],
                    _ => r.mutability.as_ref().map_or(r.self_token.span, |m| m.span),
                };
                Param {
                    name: "self".to_string(),
                    ty,
                    default: None,
                    decorators: vec![],
                    span: self.sp2(start, r.self_token.span),
                }
            }
            FnArg::Typed(pt) => self.pat_type_param(pt),
        }
    }

    fn pat_type_param(&self, pt: &PatType) -> Param {
        let (name, ns) = self.pat_text(&pt.pat);
        let (ty, ts) = self.type_text(&pt.ty);
        Param {
            name,
            ty: Some(ty),
            default: None,
            decorators: pt
                .attrs
                .iter()
                .filter(|a| !is_doc(a))
                .map(|a| path_text(a.path()))
                .collect(),
            span: cover(ns, ts),
        }
    }

    /// A parameter pattern as text: `req` for an identifier, `Json(body)` otherwise.
    fn pat_text(&self, p: &Pat) -> (String, Span) {
        match p {
            Pat::Ident(i) if i.subpat.is_none() => {
                let start = i
                    .by_ref
                    .as_ref()
                    .map(|r| r.span)
                    .or(i.mutability.as_ref().map(|m| m.span))
                    .unwrap_or(i.ident.span());
                (i.ident.to_string(), self.sp2(start, i.ident.span()))
            }
            other => self.tokens_text(other.to_token_stream()),
        }
    }

    fn use_item(&mut self, u: &ItemUse, out: &mut Vec<NodeId>) {
        let start = self.item_start(&u.attrs, Some(&u.vis), u.use_token.span);
        let span = self.to(start, u.semi_token.spans[0]);
        let mut leaves = Vec::new();
        let mut prefix = Vec::new();
        collect_use(&u.tree, &mut prefix, &mut leaves);
        for (module, name, alias) in leaves {
            out.push(self.leaf(
                span,
                Kind::Import(Box::new(Import {
                    module,
                    names: vec![(name, alias)],
                })),
            ));
        }
    }

    // --- statements

    fn stmts(&mut self, stmts: &[Stmt]) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(stmts.len());
        for s in stmts {
            match s {
                Stmt::Local(l) => out.push(self.local(l)),
                Stmt::Item(i) => self.item(i, &mut out),
                Stmt::Expr(e, _) => out.push(self.expr(e).0),
                Stmt::Macro(m) => out.push(self.mac(&m.mac).0),
            }
        }
        out
    }

    fn local(&mut self, loc: &Local) -> NodeId {
        self.node(|l| {
            let target = l.pat(&loc.pat);
            let value = loc.init.as_ref().map(|init| {
                let (v, _) = l.expr(&init.expr);
                if let Some((_, diverge)) = &init.diverge {
                    l.expr(diverge);
                }
                v
            });
            let span = l.sp2(loc.let_token.span, loc.semi_token.spans[0]);
            let kind = Kind::Assign {
                target,
                value,
                declared: true,
                augmented: false,
            };
            (span, kind)
        })
        .0
    }

    /// A binding pattern: identifiers become `Name`, tuples and slices `Array`, destructuring
    /// `Other` with the bound parts as children.
    fn pat(&mut self, p: &Pat) -> NodeId {
        if !self.enter() {
            return self.leaf(Span::default(), Kind::Other);
        }
        let id = self.pat_inner(p);
        self.depth -= 1;
        id
    }

    fn pat_inner(&mut self, p: &Pat) -> NodeId {
        match p {
            Pat::Ident(i) => self.leaf(self.sp(i.ident.span()), Kind::Name(i.ident.to_string())),
            Pat::Type(t) => self.pat(&t.pat),
            Pat::Paren(p) => self.pat(&p.pat),
            Pat::Reference(r) => self.pat(&r.pat),
            Pat::Tuple(t) => {
                let span = self.sp2(t.paren_token.span.open(), t.paren_token.span.close());
                self.node(|l| {
                    (
                        span,
                        Kind::Array(t.elems.iter().map(|e| l.pat(e)).collect()),
                    )
                })
                .0
            }
            Pat::Slice(s) => {
                let span = self.sp2(s.bracket_token.span.open(), s.bracket_token.span.close());
                self.node(|l| {
                    (
                        span,
                        Kind::Array(s.elems.iter().map(|e| l.pat(e)).collect()),
                    )
                })
                .0
            }
            Pat::TupleStruct(ts) => {
                let close = ts.paren_token.span.close();
                let span = cover(self.path_span(&ts.path), self.sp(close));
                self.node(|l| {
                    for e in &ts.elems {
                        l.pat(e);
                    }
                    (span, Kind::Other)
                })
                .0
            }
            Pat::Struct(s) => {
                let span = cover(self.path_span(&s.path), self.sp(s.brace_token.span.close()));
                self.node(|l| {
                    for f in &s.fields {
                        l.pat(&f.pat);
                    }
                    (span, Kind::Other)
                })
                .0
            }
            Pat::Path(p) => self.leaf(self.path_span(&p.path), Kind::Name(path_text(&p.path))),
            Pat::Wild(w) => self.leaf(self.sp(w.underscore_token.spans[0]), Kind::Other),
            other => {
                let span = self.tokens_span(other.to_token_stream());
                self.leaf(span, Kind::Other)
            }
        }
    }

    // --- expressions

    /// Lowers an expression; returns its node and its full syntactic span (which, for
    /// transparent wrappers such as `&x` or `(x)`, is wider than the node's).
    fn expr(&mut self, e: &Expr) -> (NodeId, Span) {
        if !self.enter() {
            return (self.leaf(Span::default(), Kind::Other), Span::default());
        }
        let r = self.expr_inner(e);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: &Expr) -> (NodeId, Span) {
        match e {
            Expr::Array(a) => {
                let span = self.sp2(a.bracket_token.span.open(), a.bracket_token.span.close());
                self.seq(a.elems.iter(), span, Kind::Array)
            }
            Expr::Tuple(t) => {
                let span = self.sp2(t.paren_token.span.open(), t.paren_token.span.close());
                self.seq(t.elems.iter(), span, Kind::Array)
            }
            Expr::Assign(a) => self.node(|l| {
                let (target, ls) = l.expr(&a.left);
                let (value, rs) = l.expr(&a.right);
                let kind = Kind::Assign {
                    target,
                    value: Some(value),
                    declared: false,
                    augmented: false,
                };
                (cover(ls, rs), kind)
            }),
            Expr::Async(a) => self.node(|l| {
                let head_end = a.capture.as_ref().map_or(a.async_token.span, |m| m.span);
                let head = l.sp2(a.async_token.span, head_end);
                let body = l.stmts(&a.block.stmts);
                let span = l.sp2(a.async_token.span, a.block.brace_token.span.close());
                let f = Function {
                    name: None,
                    is_async: true,
                    params: vec![],
                    decorators: vec![],
                    returns: None,
                    body,
                    expr_body: None,
                    exported: false,
                    head,
                };
                (span, Kind::Function(Box::new(f)))
            }),
            Expr::Await(a) => self.node(|l| {
                let (inner, is) = l.expr(&a.base);
                (l.to(is.start, a.await_token.span), Kind::Await(inner))
            }),
            Expr::Binary(b) => self.binary(b),
            Expr::Block(b) => {
                let start = b
                    .label
                    .as_ref()
                    .map_or(b.block.brace_token.span.open(), |l| l.name.apostrophe);
                self.block(start, &b.block)
            }
            Expr::Unsafe(u) => self.block(u.unsafe_token.span, &u.block),
            Expr::Const(c) => self.block(c.const_token.span, &c.block),
            Expr::TryBlock(t) => self.block(t.try_token.span, &t.block),
            Expr::Break(b) => self.node(|l| {
                let mut span = l.sp(b.break_token.span);
                if let Some(lb) = &b.label {
                    span.end = l.end(lb.ident.span()).max(span.start);
                }
                let value = b.expr.as_ref().map(|v| {
                    let (v, vs) = l.expr(v);
                    span.end = vs.end.max(span.start);
                    v
                });
                (span, Kind::Break(value))
            }),
            Expr::Continue(c) => {
                let span = match &c.label {
                    Some(l) => self.sp2(c.continue_token.span, l.ident.span()),
                    None => self.sp(c.continue_token.span),
                };
                (self.leaf(span, Kind::Continue), span)
            }
            Expr::Return(r) => self.node(|l| {
                let mut span = l.sp(r.return_token.span);
                let value = r.expr.as_ref().map(|v| {
                    let (v, vs) = l.expr(v);
                    span.end = vs.end.max(span.start);
                    v
                });
                (span, Kind::Return(value))
            }),
            Expr::Yield(y) => self.node(|l| {
                let mut span = l.sp(y.yield_token.span);
                if let Some(v) = &y.expr {
                    span.end = l.expr(v).1.end.max(span.start);
                }
                (span, Kind::Other)
            }),
            Expr::Call(c) => self.call(c),
            Expr::MethodCall(m) => self.method_call(m),
            Expr::Closure(c) => self.closure(c),
            Expr::Field(f) => self.node(|l| {
                let (object, os) = l.expr(&f.base);
                let (property, end) = match &f.member {
                    Member::Named(i) => (i.to_string(), i.span()),
                    Member::Unnamed(ix) => (ix.index.to_string(), ix.span),
                };
                (l.to(os.start, end), Kind::Member { object, property })
            }),
            Expr::Index(ix) => self.node(|l| {
                let (object, os) = l.expr(&ix.expr);
                let (index, _) = l.expr(&ix.index);
                let span = l.to(os.start, ix.bracket_token.span.close());
                (span, Kind::Index { object, index })
            }),
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => self.node(|l| {
                let kw = w
                    .label
                    .as_ref()
                    .map_or(w.while_token.span, |lb| lb.name.apostrophe);
                let mut bindings = Vec::new();
                if let Expr::Let(lt) = &*w.cond {
                    pat_idents(&lt.pat, &mut bindings);
                }
                l.expr(&w.cond);
                let body = l.stmts(&w.body.stmts);
                let span = l.sp2(kw, w.body.brace_token.span.close());
                let lp = Loop {
                    kind: LoopKind::While,
                    bindings,
                    iter: None,
                    body,
                    is_async: false,
                };
                (span, Kind::Loop(Box::new(lp)))
            }),
            Expr::Loop(lp) => self.node(|l| {
                let kw = lp
                    .label
                    .as_ref()
                    .map_or(lp.loop_token.span, |lb| lb.name.apostrophe);
                let body = l.stmts(&lp.body.stmts);
                let span = l.sp2(kw, lp.body.brace_token.span.close());
                let lp = Loop {
                    kind: LoopKind::While,
                    bindings: vec![],
                    iter: None,
                    body,
                    is_async: false,
                };
                (span, Kind::Loop(Box::new(lp)))
            }),
            Expr::If(i) => self.if_expr(i),
            Expr::Match(m) => self.node(|l| {
                l.expr(&m.expr);
                for arm in &m.arms {
                    if let Pat::Guard(g) = &arm.pat {
                        l.expr(&g.guard);
                    }
                    l.expr(&arm.body);
                }
                (
                    l.sp2(m.match_token.span, m.brace_token.span.close()),
                    Kind::Other,
                )
            }),
            Expr::Lit(l) => self.lit(&l.lit),
            Expr::Macro(m) => self.mac(&m.mac),
            Expr::Path(p) => {
                let mut span = self.path_span(&p.path);
                if let Some(q) = &p.qself {
                    span.start = self.start(q.lt_token.spans[0]);
                }
                let kind = Kind::Name(path_text(&p.path));
                (self.leaf(span, kind), span)
            }
            Expr::Struct(s) => self.struct_lit(s),
            Expr::Try(t) => self.node(|l| {
                let (inner, is) = l.expr(&t.expr);
                (
                    l.to(is.start, t.question_token.spans[0]),
                    Kind::Question(inner),
                )
            }),
            Expr::Range(r) => self.node(|l| {
                let (lim_first, lim_last) = match &r.limits {
                    syn::RangeLimits::HalfOpen(t) => (t.spans[0], t.spans[1]),
                    syn::RangeLimits::Closed(t) => (t.spans[0], t.spans[2]),
                };
                let mut span = l.sp2(lim_first, lim_last);
                if let Some(s) = &r.start {
                    span.start = l.expr(s).1.start;
                }
                if let Some(e) = &r.end {
                    span.end = l.expr(e).1.end.max(span.start);
                }
                (span, Kind::Other)
            }),
            Expr::Repeat(r) => self.node(|l| {
                l.expr(&r.expr);
                l.expr(&r.len);
                let span = l.sp2(r.bracket_token.span.open(), r.bracket_token.span.close());
                (span, Kind::Other)
            }),
            Expr::Unary(u) => {
                let (op, token) = match &u.op {
                    syn::UnOp::Deref(t) => (None, t.spans[0]),
                    syn::UnOp::Not(t) => (Some(UnOp::Not), t.spans[0]),
                    syn::UnOp::Neg(t) => (Some(UnOp::Neg), t.spans[0]),
                    _ => return self.expr(&u.expr),
                };
                let Some(op) = op else {
                    // `*x` stands for `x`
                    let (id, is) = self.expr(&u.expr);
                    let span = Span {
                        start: self.start(token),
                        end: is.end,
                    };
                    return (id, span);
                };
                self.node(|l| {
                    let (operand, is) = l.expr(&u.expr);
                    let start = l.start(token);
                    let span = Span {
                        start,
                        end: is.end.max(start),
                    };
                    (span, Kind::Unary { op, operand })
                })
            }
            // Transparent wrappers.
            Expr::Paren(p) => {
                let (id, _) = self.expr(&p.expr);
                (
                    id,
                    self.sp2(p.paren_token.span.open(), p.paren_token.span.close()),
                )
            }
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Reference(r) => {
                let (id, is) = self.expr(&r.expr);
                let start = self.start(r.and_token.spans[0]);
                (
                    id,
                    Span {
                        start,
                        end: is.end.max(start),
                    },
                )
            }
            Expr::RawAddr(r) => {
                let (id, is) = self.expr(&r.expr);
                let start = self.start(r.and_token.spans[0]);
                (
                    id,
                    Span {
                        start,
                        end: is.end.max(start),
                    },
                )
            }
            Expr::Cast(c) => self.expr(&c.expr),
            Expr::Let(l) => {
                let (id, is) = self.expr(&l.expr);
                let start = self.start(l.let_token.span);
                (
                    id,
                    Span {
                        start,
                        end: is.end.max(start),
                    },
                )
            }
            Expr::Infer(i) => {
                let span = self.sp(i.underscore_token.spans[0]);
                (self.leaf(span, Kind::Other), span)
            }
            Expr::Verbatim(ts) => {
                let span = self.tokens_span(ts.clone());
                (self.leaf(span, Kind::Other), span)
            }
            _ => (self.leaf(Span::default(), Kind::Other), Span::default()),
        }
    }

    fn seq<'e>(
        &mut self,
        elems: impl Iterator<Item = &'e Expr>,
        span: Span,
        kind: fn(Vec<NodeId>) -> Kind,
    ) -> (NodeId, Span) {
        self.node(|l| (span, kind(elems.map(|e| l.expr(e).0).collect())))
    }

    fn block(&mut self, start: P2Span, b: &Block) -> (NodeId, Span) {
        self.node(|l| {
            let stmts = l.stmts(&b.stmts);
            (l.sp2(start, b.brace_token.span.close()), Kind::Block(stmts))
        })
    }

    fn binary(&mut self, b: &ExprBinary) -> (NodeId, Span) {
        use syn::BinOp as B;
        self.node(|l| {
            let (lhs, ls) = l.expr(&b.left);
            let (rhs, rs) = l.expr(&b.right);
            let span = cover(ls, rs);
            let op = match b.op {
                B::AddAssign(_)
                | B::SubAssign(_)
                | B::MulAssign(_)
                | B::DivAssign(_)
                | B::RemAssign(_)
                | B::BitXorAssign(_)
                | B::BitAndAssign(_)
                | B::BitOrAssign(_)
                | B::ShlAssign(_)
                | B::ShrAssign(_) => {
                    let kind = Kind::Assign {
                        target: lhs,
                        value: Some(rhs),
                        declared: false,
                        augmented: true,
                    };
                    return (span, kind);
                }
                B::Add(_) => BinOp::Add,
                B::Rem(_) => BinOp::Mod,
                B::And(_) => BinOp::And,
                B::Or(_) => BinOp::Or,
                B::Eq(_) | B::Lt(_) | B::Le(_) | B::Ne(_) | B::Ge(_) | B::Gt(_) => BinOp::Compare,
                _ => BinOp::Other,
            };
            (span, Kind::Binary { op, lhs, rhs })
        })
    }

    fn call(&mut self, c: &ExprCall) -> (NodeId, Span) {
        self.node(|l| {
            let (callee, cs) = l.expr(&c.func);
            let args = l.args(&c.args);
            let span = l.to(cs.start, c.paren_token.span.close());
            (span, Kind::Call(Box::new(Call::plain(callee, args))))
        })
    }

    fn method_call(&mut self, m: &ExprMethodCall) -> (NodeId, Span) {
        self.node(|l| {
            let (callee, ms) = l.node(|l| {
                let (object, rs) = l.expr(&m.receiver);
                let property = m.method.to_string();
                (
                    l.to(rs.start, m.method.span()),
                    Kind::Member { object, property },
                )
            });
            let args = l.args(&m.args);
            let span = l.to(ms.start, m.paren_token.span.close());
            (span, Kind::Call(Box::new(Call::plain(callee, args))))
        })
    }

    fn args(&mut self, args: &Punctuated<Expr, syn::Token![,]>) -> Vec<Arg> {
        args.iter()
            .map(|a| Arg {
                name: None,
                value: self.expr(a).0,
                spread: false,
            })
            .collect()
    }

    fn closure(&mut self, c: &ExprClosure) -> (NodeId, Span) {
        self.node(|l| {
            let first = c
                .lifetimes
                .as_ref()
                .map(|l| l.for_token.span)
                .or_else(|| c.constness.as_ref().map(|t| t.span))
                .or_else(|| c.asyncness.as_ref().map(|t| t.span))
                .or_else(|| c.capture.as_ref().map(|t| t.span))
                .unwrap_or(c.inputs_begin.spans[0]);
            let start = l.start(first);
            let params = c
                .inputs
                .iter()
                .map(|p| match p {
                    Pat::Type(pt) => l.pat_type_param(pt),
                    other => {
                        let (name, span) = l.pat_text(other);
                        Param {
                            name,
                            ty: None,
                            default: None,
                            decorators: vec![],
                            span,
                        }
                    }
                })
                .collect();
            let (returns, head) = match &c.output {
                ReturnType::Type(_, ty) => {
                    let (t, s) = l.type_text(ty);
                    (
                        Some(t),
                        Span {
                            start,
                            end: s.end.max(start),
                        },
                    )
                }
                ReturnType::Default => (None, l.to(start, c.inputs_end.spans[0])),
            };
            let (body, expr_body, end) = match &*c.body {
                Expr::Block(b) if b.label.is_none() => {
                    let body = l.stmts(&b.block.stmts);
                    (body, None, l.end(b.block.brace_token.span.close()))
                }
                other => {
                    let (e, es) = l.expr(other);
                    (vec![], Some(e), es.end)
                }
            };
            let span = Span {
                start,
                end: end.max(start),
            };
            let f = Function {
                name: None,
                is_async: c.asyncness.is_some(),
                params,
                decorators: vec![],
                returns,
                body,
                expr_body,
                exported: false,
                head,
            };
            (span, Kind::Function(Box::new(f)))
        })
    }

    fn for_loop(&mut self, f: &ExprForLoop) -> (NodeId, Span) {
        self.node(|l| {
            let kw = f
                .label
                .as_ref()
                .map_or(f.for_token.span, |l| l.name.apostrophe);
            let mut bindings = Vec::new();
            pat_idents(&f.pat, &mut bindings);
            let (iter, _) = l.expr(&f.expr);
            let body = l.stmts(&f.body.stmts);
            let span = l.sp2(kw, f.body.brace_token.span.close());
            let lp = Loop {
                kind: LoopKind::For,
                bindings,
                iter: Some(iter),
                body,
                is_async: false,
            };
            (span, Kind::Loop(Box::new(lp)))
        })
    }

    fn if_expr(&mut self, i: &ExprIf) -> (NodeId, Span) {
        self.node(|l| {
            let (cond, _) = l.expr(&i.cond);
            let then = l.stmts(&i.then_branch.stmts);
            let mut end = l.end(i.then_branch.brace_token.span.close());
            let els = match &i.else_branch {
                None => vec![],
                Some((_, e)) => match &**e {
                    Expr::Block(b) if b.label.is_none() => {
                        end = l.end(b.block.brace_token.span.close());
                        l.stmts(&b.block.stmts)
                    }
                    other => {
                        let (e, es) = l.expr(other);
                        end = es.end;
                        vec![e]
                    }
                },
            };
            let start = l.start(i.if_token.span);
            let span = Span {
                start,
                end: end.max(start),
            };
            (span, Kind::If { cond, then, els })
        })
    }

    fn struct_lit(&mut self, s: &ExprStruct) -> (NodeId, Span) {
        self.node(|l| {
            let mut entries = Vec::with_capacity(s.fields.len() + 1);
            for fv in &s.fields {
                let (key, kspan) = match &fv.member {
                    Member::Named(i) => (i.to_string(), i.span()),
                    Member::Unnamed(ix) => (ix.index.to_string(), ix.span),
                };
                let kstart = l.start(kspan);
                let (value, vs) = l.expr(&fv.expr);
                entries.push(Entry {
                    key: Some(key),
                    key_node: None,
                    value,
                    span: Span {
                        start: kstart,
                        end: vs.end.max(kstart),
                    },
                });
            }
            if let Some(rest) = &s.rest {
                let (value, vs) = l.expr(rest);
                entries.push(Entry {
                    key: None,
                    key_node: None,
                    value,
                    span: vs,
                });
            }
            let span = cover(l.path_span(&s.path), l.sp(s.brace_token.span.close()));
            (
                span,
                Kind::Object {
                    ty: Some(path_text(&s.path)),
                    entries,
                },
            )
        })
    }

    fn lit(&mut self, l: &Lit) -> (NodeId, Span) {
        let span = self.sp(l.span());
        let plain = |value: String| {
            Kind::Str(Box::new(Str {
                value,
                kind: StrKind::Plain,
                parts: vec![],
            }))
        };
        let kind = match l {
            Lit::Str(s) => plain(s.value()),
            Lit::ByteStr(b) => plain(String::from_utf8_lossy(&b.value()).into_owned()),
            Lit::CStr(c) => plain(c.value().to_string_lossy().into_owned()),
            Lit::Int(i) => Kind::Number(i.base10_digits().parse().ok()),
            Lit::Float(f) => Kind::Number(f.base10_digits().parse().ok()),
            Lit::Byte(b) => Kind::Number(Some(f64::from(b.value()))),
            Lit::Bool(b) => Kind::Bool(b.value),
            _ => Kind::Other,
        };
        (self.leaf(span, kind), span)
    }

    // --- macros

    fn mac(&mut self, m: &Macro) -> (NodeId, Span) {
        let pspan = self.path_span(&m.path);
        let span = self.to(pspan.start, m.delimiter.span().close());
        if !self.enter() {
            return (self.leaf(span, Kind::Other), span);
        }
        let r = self.mac_inner(m, pspan, span);
        self.depth -= 1;
        r
    }

    fn mac_inner(&mut self, m: &Macro, pspan: Span, span: Span) -> (NodeId, Span) {
        let last = last_segment(&m.path);
        if last == "vec" {
            return self.node(|l| {
                let pieces = l.macro_pieces(m);
                (
                    span,
                    Kind::Array(pieces.into_iter().map(|(_, e)| l.expr(&e).0).collect()),
                )
            });
        }
        self.node(|l| {
            let callee = l.leaf(pspan, Kind::Name(path_text(&m.path)));
            let args = if last == "json" {
                let toks: Vec<TokenTree> = m.tokens.clone().into_iter().collect();
                if toks.is_empty() {
                    vec![]
                } else {
                    vec![Arg {
                        name: None,
                        value: l.json_value(&toks),
                        spread: false,
                    }]
                }
            } else {
                l.macro_args(m, &last)
            };
            let call = Call {
                is_macro: true,
                ..Call::plain(callee, args)
            };
            (span, Kind::Call(Box::new(call)))
        })
    }

    /// The macro body as comma-separated expressions (`name = value` pairs named); when it does
    /// not parse as such (`user_id = %id`, `x; n`, `static ref X: T = v;`), piece by piece.
    fn macro_pieces(&self, m: &Macro) -> Vec<MacArg> {
        if let Ok(list) = m.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated) {
            return list
                .into_iter()
                .map(|e| match e {
                    Expr::Assign(a) => match &*a.left {
                        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                            (Some(path_text(&p.path)), *a.right)
                        }
                        _ => (None, Expr::Assign(a)),
                    },
                    e => (None, e),
                })
                .collect();
        }
        let mut out = Vec::new();
        for piece in split_top(m.tokens.clone(), true) {
            if let Some(e) = parse_expr_tokens(strip_sigil(&piece)) {
                out.push((None, e));
                continue;
            }
            let Some(at) = find_sep(&piece, '=').or_else(|| find_sep(&piece, ':')) else {
                continue;
            };
            if let Some(e) = parse_expr_tokens(strip_sigil(&piece[at + 1..])) {
                out.push((field_name(&piece[..at]), e));
            }
        }
        out
    }

    fn macro_args(&mut self, m: &Macro, last: &str) -> Vec<Arg> {
        let pieces = self.macro_pieces(m);
        let fmt_at = if is_format_macro(last) {
            let skip = usize::from(last == "write" || last == "writeln");
            pieces
                .iter()
                .enumerate()
                .skip(skip)
                .find(|(_, (name, e))| {
                    name.is_none()
                        && matches!(
                            e,
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(_),
                                ..
                            })
                        )
                })
                .map(|(i, _)| i)
        } else {
            None
        };
        let mut args = Vec::with_capacity(pieces.len());
        let mut fmt: Option<(NodeId, Vec<Hole>, Vec<NodeId>)> = None;
        for (i, (name, e)) in pieces.iter().enumerate() {
            let value = match e {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) if Some(i) == fmt_at => {
                    let (id, holes, captures) = self.format_str(s, &pieces[i + 1..]);
                    fmt = Some((id, holes, captures));
                    id
                }
                _ => self.expr(e).0,
            };
            args.push(Arg {
                name: name.clone(),
                value,
                spread: false,
            });
        }
        if let (Some((str_id, holes, captures)), Some(at)) = (fmt, fmt_at) {
            let rest = &args[at + 1..];
            if !rest.is_empty() {
                let positional: Vec<NodeId> = rest
                    .iter()
                    .filter(|a| a.name.is_none())
                    .map(|a| a.value)
                    .collect();
                let mut parts = Vec::with_capacity(holes.len() + rest.len());
                let mut used = vec![false; rest.len()];
                let mut next = 0;
                let mut captures = captures.into_iter();
                for h in &holes {
                    let found = match h {
                        Hole::Next => {
                            next += 1;
                            positional.get(next - 1).copied()
                        }
                        Hole::Index(n) => positional.get(*n).copied(),
                        Hole::Named(n) => {
                            match rest.iter().find(|a| a.name.as_deref() == Some(n)) {
                                Some(a) => Some(a.value),
                                None => captures.next(),
                            }
                        }
                    };
                    if let Some(id) = found {
                        if let Some(k) = rest.iter().position(|a| a.value == id) {
                            used[k] = true;
                        }
                        parts.push(id);
                    }
                }
                for (k, a) in rest.iter().enumerate() {
                    if !used[k] {
                        parts.push(a.value);
                    }
                }
                self.fixups.push((str_id, parts));
            }
        }
        args
    }

    /// Lowers a `format!` string. Inline captures (`{user_id}`) become `Name` children; the
    /// parts referring to later arguments are filled in after those are lowered.
    fn format_str(&mut self, s: &LitStr, rest: &[MacArg]) -> (NodeId, Vec<Hole>, Vec<NodeId>) {
        let span = self.sp(s.span());
        let raw = s.value();
        let (value, holes) = format_holes(&raw);
        if holes.is_empty() {
            let kind = Kind::Str(Box::new(Str {
                value: raw,
                kind: StrKind::Plain,
                parts: vec![],
            }));
            return (self.leaf(span, kind), holes, vec![]);
        }
        let id = self.open();
        let mut captures = Vec::new();
        for h in &holes {
            if let Hole::Named(n) = h {
                if !rest
                    .iter()
                    .any(|(name, _)| name.as_deref() == Some(n.as_str()))
                {
                    captures.push(self.leaf(span, Kind::Name(n.clone())));
                }
            }
        }
        let kind = Kind::Str(Box::new(Str {
            value,
            kind: StrKind::Interpolated,
            parts: captures.clone(),
        }));
        (self.close(id, span, kind), holes, captures)
    }

    /// `json!` bodies: `{ "key": value, .. }` -> Object, `[..]` -> Array, `null`, else an
    /// expression.
    fn json_value(&mut self, toks: &[TokenTree]) -> NodeId {
        if !self.enter() {
            return self.leaf(Span::default(), Kind::Other);
        }
        let id = self.json_inner(toks);
        self.depth -= 1;
        id
    }

    fn json_inner(&mut self, toks: &[TokenTree]) -> NodeId {
        if let [tt] = toks {
            match tt {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    let span = self.sp(g.span());
                    return self
                        .node(|l| {
                            let mut entries = Vec::new();
                            for piece in split_top(g.stream(), false) {
                                let Some(at) = find_sep(&piece, ':') else {
                                    continue;
                                };
                                entries.push(Entry {
                                    key: json_key(&piece[..at]),
                                    key_node: None,
                                    value: l.json_value(&piece[at + 1..]),
                                    span: l.toks_span(&piece),
                                });
                            }
                            (span, Kind::Object { ty: None, entries })
                        })
                        .0;
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
                    let span = self.sp(g.span());
                    let pieces = split_top(g.stream(), false);
                    return self
                        .node(|l| {
                            (
                                span,
                                Kind::Array(pieces.iter().map(|p| l.json_value(p)).collect()),
                            )
                        })
                        .0;
                }
                TokenTree::Ident(i) if i == "null" => {
                    return self.leaf(self.sp(i.span()), Kind::Null)
                }
                _ => {}
            }
        }
        match parse_expr_tokens(toks) {
            Some(e) => self.expr(&e).0,
            None => self.leaf(self.toks_span(toks), Kind::Other),
        }
    }
}

/// A `json!` object key: a string literal or a bare identifier.
fn json_key(toks: &[TokenTree]) -> Option<String> {
    match toks {
        [TokenTree::Literal(l)] => match syn::parse2::<Lit>(TokenTree::Literal(l.clone()).into()) {
            Ok(Lit::Str(s)) => Some(s.value()),
            _ => None,
        },
        [TokenTree::Ident(i)] => Some(i.to_string()),
        _ => None,
    }
}

fn class_kind(
    name: String,
    bases: Vec<String>,
    decorators: Vec<Decorator>,
    body: Vec<NodeId>,
) -> Kind {
    Kind::Class(Box::new(Class {
        name,
        bases,
        decorators,
        body,
    }))
}

/// Identifiers bound by a pattern (`_` and paths skipped).
fn pat_idents(p: &Pat, out: &mut Vec<String>) {
    match p {
        Pat::Ident(i) => {
            out.push(i.ident.to_string());
            if let Some((_, sub)) = &i.subpat {
                pat_idents(sub, out);
            }
        }
        Pat::Type(t) => pat_idents(&t.pat, out),
        Pat::Paren(p) => pat_idents(&p.pat, out),
        Pat::Reference(r) => pat_idents(&r.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|e| pat_idents(e, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|e| pat_idents(e, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|e| pat_idents(e, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pat_idents(&f.pat, out)),
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                pat_idents(first, out);
            }
        }
        Pat::Guard(g) => pat_idents(&g.pat, out),
        _ => {}
    }
}

/// Flattens a `use` tree into (module, name, alias) leaves.
fn collect_use(t: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<(String, String, String)>) {
    match t {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            collect_use(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => use_leaf(prefix, n.ident.to_string(), None, out),
        UseTree::Rename(r) => {
            use_leaf(prefix, r.ident.to_string(), Some(r.rename.to_string()), out)
        }
        UseTree::Glob(_) => out.push((prefix.join("::"), "*".to_string(), "*".to_string())),
        UseTree::Group(g) => {
            for it in &g.items {
                collect_use(it, prefix, out);
            }
        }
    }
}

fn use_leaf(
    prefix: &[String],
    name: String,
    alias: Option<String>,
    out: &mut Vec<(String, String, String)>,
) {
    if name == "self" {
        // `use a::b::{self}` is `use a::b;`.
        if let Some((last, rest)) = prefix.split_last() {
            if rest.is_empty() {
                out.push((
                    last.clone(),
                    String::new(),
                    alias.unwrap_or_else(|| last.clone()),
                ));
            } else {
                out.push((
                    rest.join("::"),
                    last.clone(),
                    alias.unwrap_or_else(|| last.clone()),
                ));
            }
        }
    } else if prefix.is_empty() {
        // `use serde;` / `use serde as s;`: a whole-crate import.
        let alias = alias.unwrap_or_else(|| name.clone());
        out.push((name, String::new(), alias));
    } else {
        let alias = alias.unwrap_or_else(|| name.clone());
        out.push((prefix.join("::"), name, alias));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{KindTag, NodeId, ROOT};
    use crate::lang::DEFAULT_MAX_DEPTH as MAX_DEPTH;

    fn lower(src: &str) -> Result<Ast, ParseError> {
        super::lower(src, MAX_DEPTH)
    }

    /// Lowering in slices of whole items (cut at every line where a slice may start) gives the
    /// tree lowering whole gives, for every Rust fixture; a cut inside an item, a string or
    /// after an attribute makes the file parse whole.
    #[test]
    fn lowering_in_slices_gives_the_same_tree() {
        let every = crate::lang::EVERY;
        let whole_only = crate::lang::Slicing {
            from: usize::MAX,
            bytes: 1,
            cut_from: usize::MAX,
            cut_bytes: 1,
        };
        let sliced = |text: &str| {
            let r = lower_sliced(text, INLINE_STACK, MAX_DEPTH, every);
            proc_macro2::extra::invalidate_current_thread_spans();
            r
        };
        let mut cut = 0;
        for path in crate::lang::fixture_files(&["rs"]) {
            let text = std::fs::read_to_string(&path).unwrap();
            let whole = lower_sliced(&text, INLINE_STACK, MAX_DEPTH, whole_only);
            proc_macro2::extra::invalidate_current_thread_spans();
            match (whole, sliced(&text)) {
                (Ok(w), Ok(p)) => {
                    assert_eq!(
                        format!("{:?}", w.nodes),
                        format!("{:?}", p.nodes),
                        "{}",
                        path.display()
                    );
                }
                (Err(_), Err(_)) => {}
                _ => panic!("{}: one way lowers, the other not", path.display()),
            }
            let ranges = crate::lang::line_slices(&text, every, &CUTS);
            let items: Vec<(usize, usize)> = ranges
                .into_iter()
                .flatten()
                .map(|r| (r.start_byte, r.end_byte))
                .collect();
            if items.len() > 1 && lower_items(&text, &items, INLINE_STACK, MAX_DEPTH).is_ok() {
                cut += 1;
            }
            proc_macro2::extra::invalidate_current_thread_spans();
        }
        assert!(cut > 30, "only {cut} fixtures were lowered in slices");
        // a cut inside a raw string, or between an attribute and its item, is not taken
        let text = "#[derive(Debug)]\nstruct A;\nconst S: &str = r#\"\nfn not_code() {}\n\"#;\nfn f() {}\n";
        let ranges = crate::lang::line_slices(text, every, &CUTS).unwrap();
        let starts: Vec<&str> = ranges
            .iter()
            .map(|r| text[r.start_byte..].lines().next().unwrap())
            .collect();
        assert_eq!(
            starts,
            [
                "#[derive(Debug)]",
                "const S: &str = r#\"",
                "fn not_code() {}",
                "fn f() {}"
            ]
        );
        let items: Vec<(usize, usize)> =
            ranges.iter().map(|r| (r.start_byte, r.end_byte)).collect();
        assert!(matches!(
            lower_items(text, &items, INLINE_STACK, MAX_DEPTH),
            Err(Fail::Parse(ParseError::Syntax(_)))
        ));
        proc_macro2::extra::invalidate_current_thread_spans();
        let whole = lower_sliced(text, INLINE_STACK, MAX_DEPTH, whole_only)
            .ok()
            .unwrap();
        proc_macro2::extra::invalidate_current_thread_spans();
        let parts = sliced(text).ok().unwrap();
        assert_eq!(format!("{:?}", whole.nodes), format!("{:?}", parts.nodes));
    }

    fn lower_ok(src: &str) -> Ast {
        match lower(src) {
            Ok(ast) => ast,
            Err(e) => panic!("lowering failed: {e}"),
        }
    }

    /// An indented outline of the tree, for failure messages.
    fn dump(ast: &Ast, src: &str) -> String {
        let mut out = String::new();
        for id in ast.subtree(ROOT) {
            let depth = ast.ancestors(id).count();
            let text = src.get(ast.span(id).range()).unwrap_or("<bad span>");
            let text: String = text.chars().take(50).collect::<String>().replace('\n', " ");
            let kind = format!("{:?}", ast.kind(id));
            let kind: String = kind.chars().take(140).collect();
            let _ = writeln!(out, "{}{id} {kind} | {text}", "  ".repeat(depth));
        }
        out
    }

    fn text<'s>(ast: &Ast, src: &'s str, id: NodeId) -> &'s str {
        &src[ast.span(id).range()]
    }

    fn find(ast: &Ast, pred: impl Fn(&Kind) -> bool) -> Vec<NodeId> {
        (0..ast.nodes.len() as NodeId)
            .filter(|&id| pred(ast.kind(id)))
            .collect()
    }

    /// Calls whose callee is the name or method `name`.
    fn calls_to(ast: &Ast, name: &str) -> Vec<NodeId> {
        find(ast, |k| matches!(k, Kind::Call(_)))
            .into_iter()
            .filter(|&id| {
                let c = ast.call(id).unwrap();
                ast.path_of(c.callee).as_deref() == Some(name)
                    || matches!(ast.kind(c.callee), Kind::Member { property, .. } if property == name)
            })
            .collect()
    }

    fn function<'a>(ast: &'a Ast, name: &str) -> (NodeId, &'a Function) {
        let id = find(
            ast,
            |k| matches!(k, Kind::Function(f) if f.name.as_deref() == Some(name)),
        )[0];
        (id, ast.function(id).unwrap())
    }

    fn check_tree(ast: &Ast) {
        assert_eq!(ast.lang, Lang::Rust);
        assert!(!ast.has_errors);
        assert!(matches!(ast.kind(ROOT), Kind::Module(_)));
        for (i, n) in ast.nodes.iter().enumerate() {
            assert!(n.end as usize > i && n.end as usize <= ast.nodes.len());
            if i > 0 {
                assert!(ast.contains(n.parent, i as NodeId));
            }
        }
    }

    #[test]
    fn loop_bodies_question_unary_and_numbers() {
        let src = r#"async fn f(ids: &[i64], mut rx: Rx) -> Result<(), E> {
    for id in ids {
        let row = q(id).await?;
        if !row.ok { break; }
        continue;
    }
    while let Some(x) = rx.recv().await { -x; }
    let v = 'outer: loop { break 'outer 30u64; };
    let t = [30_000, 0x10, 1e3, 2.5f32, b'a'];
    Ok(())
}
"#;
        let ast = lower_ok(src);
        let loops = find(&ast, |k| matches!(k, Kind::Loop(_)));
        let lp = |i: usize| match ast.kind(loops[i]) {
            Kind::Loop(l) => &**l,
            _ => unreachable!(),
        };
        let tags = |ids: &[NodeId]| ids.iter().map(|&i| ast.kind(i).tag()).collect::<Vec<_>>();
        assert_eq!(loops.len(), 3);
        assert!((0..3).all(|i| !lp(i).is_async));
        assert_eq!(
            tags(&lp(0).body),
            [KindTag::Assign, KindTag::If, KindTag::Continue]
        );
        let Kind::Assign { value: Some(v), .. } = ast.kind(lp(0).body[0]) else {
            panic!()
        };
        let Kind::Question(awaited) = ast.kind(*v) else {
            panic!("{:?}", ast.kind(*v))
        };
        let Kind::Await(call) = ast.kind(*awaited) else {
            panic!()
        };
        assert_eq!(calls_to(&ast, "q"), [*call]);
        assert_eq!(ast.unwrap_expr(*v), *call);
        let Kind::If { cond, then, .. } = ast.kind(lp(0).body[1]) else {
            panic!()
        };
        assert!(matches!(ast.kind(*cond), Kind::Unary { op: UnOp::Not, .. }));
        assert_eq!(tags(then), [KindTag::Break]);
        assert_eq!(tags(&lp(1).body), [KindTag::Unary]);
        let Kind::Break(Some(value)) = ast.kind(lp(2).body[0]) else {
            panic!("{:?}", ast.kind(lp(2).body[0]))
        };
        assert!(matches!(ast.kind(*value), Kind::Number(Some(n)) if *n == 30.0));
        let numbers = ast.numbers_from(src.find("let t").unwrap());
        assert_eq!(
            numbers,
            [
                Some(30000.0),
                Some(16.0),
                Some(1000.0),
                Some(2.5),
                Some(97.0)
            ]
        );
    }

    const AXUM: &str = r#"
use axum::extract::{Query, State};
use std::collections::HashMap;

pub async fn list_users(
    State(pool): State<PgPool>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<User>>, AppError> {
    let ids: Vec<i64> = q.get("ids").map(|s| parse_ids(s)).unwrap_or_default();
    let mut users = Vec::new();
    for id in ids {
        let u = sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await?;
        users.push(u);
    }
    Ok(Json(users))
}
"#;

    #[test]
    fn axum_handler() {
        let ast = lower_ok(AXUM);
        check_tree(&ast);
        let (fid, f) = function(&ast, "list_users");
        assert!(f.is_async && f.exported, "{}", dump(&ast, AXUM));
        let params: Vec<(&str, Option<&str>)> = f
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.ty.as_deref()))
            .collect();
        assert_eq!(
            params,
            vec![
                ("State(pool)", Some("State<PgPool>")),
                ("Query(q)", Some("Query<HashMap<String,String>>"))
            ]
        );
        assert_eq!(
            &AXUM[f.params[0].span.range()],
            "State(pool): State<PgPool>"
        );
        assert_eq!(
            f.returns.as_deref(),
            Some("Result<Json<Vec<User>>,AppError>")
        );
        assert!(text(&ast, AXUM, fid).starts_with("pub async fn list_users("));
        assert!(AXUM[f.head.range()].ends_with("AppError>"));
        assert_eq!(f.body.len(), 4);

        let lp = find(&ast, |k| matches!(k, Kind::Loop(_)))[0];
        let Kind::Loop(l) = ast.kind(lp) else {
            unreachable!()
        };
        assert_eq!(l.kind, LoopKind::For);
        assert_eq!(l.bindings, vec!["id".to_string()]);
        assert!(matches!(ast.kind(l.iter.unwrap()), Kind::Name(n) if n == "ids"));

        let q = calls_to(&ast, "sqlx::query_as");
        assert_eq!(q.len(), 1, "{}", dump(&ast, AXUM));
        assert!(ast.contains(lp, q[0]));
        let qc = ast.call(q[0]).unwrap();
        assert_eq!(
            ast.plain_str(qc.args[0].value),
            Some("SELECT * FROM users WHERE id = $1")
        );
        assert_eq!(
            text(&ast, AXUM, q[0]),
            r#"sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1")"#
        );

        // `let u = ....await?;` -> Assign(Name u, Other(Await(Call fetch_one)))
        let fetch = calls_to(&ast, "fetch_one")[0];
        let assign = ast
            .ancestors(fetch)
            .find(|&a| matches!(ast.kind(a), Kind::Assign { .. }))
            .unwrap();
        let Kind::Assign {
            target,
            value,
            declared,
            ..
        } = ast.kind(assign)
        else {
            unreachable!()
        };
        assert!(*declared);
        assert!(matches!(ast.kind(*target), Kind::Name(n) if n == "u"));
        assert_eq!(ast.unwrap_expr(value.unwrap()), fetch);
        let chain: Vec<_> = ast
            .call_chain(value.unwrap())
            .iter()
            .map(|&c| ast.callee_name(ast.call(c).unwrap()).unwrap().to_string())
            .collect();
        assert_eq!(
            chain,
            vec![
                "sqlx::query_as".rsplit("::").next().unwrap(),
                "bind",
                "fetch_one"
            ]
        );
        assert_eq!(ast.enclosing_function(fetch), Some(fid));
        let await_id = find(&ast, |k| matches!(k, Kind::Await(_)))[0];
        assert!(text(&ast, AXUM, await_id).ends_with(".fetch_one(&pool)\n            .await"));

        // the closure inside `.map(|s| ...)`
        let closure = find(&ast, |k| matches!(k, Kind::Function(f) if f.name.is_none()))[0];
        let cf = ast.function(closure).unwrap();
        assert_eq!(cf.params[0].name, "s");
        assert!(matches!(ast.kind(cf.expr_body.unwrap()), Kind::Call(_)));
        assert_eq!(text(&ast, AXUM, closure), "|s| parse_ids(s)");

        let imports = find(&ast, |k| matches!(k, Kind::Import(_)));
        assert_eq!(imports.len(), 3);
    }

    #[test]
    fn sql_format_and_inline_capture() {
        let src = r#"
async fn find(pool: &PgPool, name: &str) {
    let rows = sqlx::query(&format!("SELECT * FROM users WHERE name = '{}'", name))
        .fetch_all(pool)
        .await;
    let q = format!("SELECT * FROM t WHERE id = {user_id} AND x = {:?} {n}", flag, n = limit);
    let plain = format!("no placeholders {{here}}");
}
"#;
        let ast = lower_ok(src);
        check_tree(&ast);
        let q = calls_to(&ast, "sqlx::query")[0];
        let qc = ast.call(q).unwrap();
        let fmt = qc.args[0].value;
        let fc = ast.call(fmt).unwrap();
        assert!(fc.is_macro);
        assert_eq!(ast.path_of(fc.callee).as_deref(), Some("format"));
        assert_eq!(
            text(&ast, src, fmt),
            r#"format!("SELECT * FROM users WHERE name = '{}'", name)"#
        );
        let s = ast.str_lit(fc.args[0].value).unwrap();
        assert_eq!(s.kind, StrKind::Interpolated);
        assert_eq!(s.value, "SELECT * FROM users WHERE name = '{}'");
        assert_eq!(s.parts, vec![fc.args[1].value]);
        assert!(matches!(ast.kind(s.parts[0]), Kind::Name(n) if n == "name"));

        let calls = calls_to(&ast, "format");
        let second = ast.call(calls[1]).unwrap();
        assert_eq!(second.args.len(), 3, "{}", dump(&ast, src));
        assert_eq!(second.args[2].name.as_deref(), Some("n"));
        let sid = second.args[0].value;
        let s = ast.str_lit(sid).unwrap();
        assert_eq!(s.kind, StrKind::Interpolated);
        assert_eq!(s.value, "SELECT * FROM t WHERE id = {} AND x = {} {}");
        // {user_id} is an inline capture (a child of the string), {:?} is `flag`, {n} is `limit`.
        assert_eq!(s.parts.len(), 3);
        assert!(matches!(ast.kind(s.parts[0]), Kind::Name(n) if n == "user_id"));
        assert_eq!(ast.parent(s.parts[0]), Some(sid));
        assert_eq!(ast.span(s.parts[0]), ast.span(sid));
        assert_eq!(s.parts[1], second.args[1].value);
        assert_eq!(s.parts[2], second.args[2].value);
        assert!(matches!(ast.kind(s.parts[2]), Kind::Name(n) if n == "limit"));

        let third = ast.call(calls[2]).unwrap();
        let s = ast.str_lit(third.args[0].value).unwrap();
        assert_eq!(s.kind, StrKind::Plain);
        assert_eq!(s.value, "no placeholders {{here}}");
    }

    #[test]
    fn actix_route_and_attributes() {
        let src = r#"
/// Gets a user.
#[get("/users/{id}")]
#[tracing::instrument(skip(pool), fields(user_id = %id))]
async fn get_user(path: web::Path<u32>, mut req: HttpRequest) -> impl Responder {
    let id = path.into_inner();
    tracing::info!(user_id = %id, "logged in");
    info!(?req, target: "app", "user {} logged in", id);
    HttpResponse::Ok().json(json!({ "id": id, "tags": ["a", id], "none": null }))
}

#[derive(Debug, Deserialize)]
pub struct CreateUser { name: String }
"#;
        let ast = lower_ok(src);
        check_tree(&ast);
        let (fid, f) = function(&ast, "get_user");
        assert!(f.is_async && !f.exported);
        let decos: Vec<(&str, &str)> = f
            .decorators
            .iter()
            .map(|d| (d.name.as_str(), d.args.as_str()))
            .collect();
        assert_eq!(
            decos,
            vec![
                ("get", r#""/users/{id}""#),
                ("tracing::instrument", "skip(pool), fields(user_id = %id)")
            ]
        );
        assert_eq!(
            &src[f.decorators[0].span.range()],
            r#"#[get("/users/{id}")]"#
        );
        assert!(text(&ast, src, fid).starts_with("#[get("));
        assert_eq!(f.params[0].name, "path");
        assert_eq!(f.params[0].ty.as_deref(), Some("web::Path<u32>"));
        assert_eq!(f.params[1].name, "req");
        assert_eq!(&src[f.params[1].span.range()], "mut req: HttpRequest");
        assert_eq!(f.returns.as_deref(), Some("impl Responder"));
        assert_eq!(
            &src[f.head.range()],
            "async fn get_user(path: web::Path<u32>, mut req: HttpRequest) -> impl Responder"
        );

        let info = calls_to(&ast, "tracing::info")[0];
        let ic = ast.call(info).unwrap();
        assert!(ic.is_macro);
        assert_eq!(ic.args.len(), 2, "{}", dump(&ast, src));
        assert_eq!(ic.args[0].name.as_deref(), Some("user_id"));
        assert!(matches!(ast.kind(ic.args[0].value), Kind::Name(n) if n == "id"));
        assert_eq!(ast.plain_str(ic.args[1].value), Some("logged in"));
        assert_eq!(
            text(&ast, src, info),
            r#"tracing::info!(user_id = %id, "logged in")"#
        );

        let info2 = calls_to(&ast, "info")[0];
        let ic = ast.call(info2).unwrap();
        assert_eq!(ic.args.len(), 4, "{}", dump(&ast, src));
        assert_eq!(ic.args[0].name, None);
        assert!(matches!(ast.kind(ic.args[0].value), Kind::Name(n) if n == "req"));
        assert_eq!(ic.args[1].name.as_deref(), Some("target"));
        let s = ast.str_lit(ic.args[2].value).unwrap();
        assert_eq!(s.kind, StrKind::Interpolated);
        assert_eq!(s.parts, vec![ic.args[3].value]);

        let json = calls_to(&ast, "json")
            .into_iter()
            .find(|&c| ast.call(c).unwrap().is_macro)
            .unwrap();
        let jc = ast.call(json).unwrap();
        let obj = jc.args[0].value;
        assert!(
            matches!(ast.kind(ast.entry(obj, "id").unwrap().value), Kind::Name(n) if n == "id")
        );
        assert!(
            matches!(ast.kind(ast.entry(obj, "tags").unwrap().value), Kind::Array(v) if v.len() == 2)
        );
        assert!(matches!(
            ast.kind(ast.entry(obj, "none").unwrap().value),
            Kind::Null
        ));
        assert_eq!(
            text(&ast, src, obj),
            r#"{ "id": id, "tags": ["a", id], "none": null }"#
        );

        let class = find(&ast, |k| matches!(k, Kind::Class(_)))[0];
        let Kind::Class(c) = ast.kind(class) else {
            unreachable!()
        };
        assert_eq!(c.name, "CreateUser");
        assert_eq!(c.decorators[0].name, "derive");
        assert_eq!(c.decorators[0].args, "Debug, Deserialize");
        assert_eq!(
            text(&ast, src, class),
            "#[derive(Debug, Deserialize)]\npub struct CreateUser { name: String }"
        );
    }

    #[test]
    fn reqwest_builder_chain_and_blocking_sleep() {
        let src = r#"
use std::thread::sleep;
use reqwest::{blocking, Client as Http};
use std::io::{self, Write as _};
use serde;
use tokio::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    std::thread::sleep(Duration::from_millis(100));
    let handle = async move { sleep(Duration::from_secs(1)); };
    let mut total = 0;
    total += 1;
    total = total + 2 % 3;
    Ok(())
}
"#;
        let ast = lower_ok(src);
        check_tree(&ast);
        let imports: Vec<(String, Vec<(String, String)>)> =
            find(&ast, |k| matches!(k, Kind::Import(_)))
                .into_iter()
                .map(|id| match ast.kind(id) {
                    Kind::Import(i) => (i.module.clone(), i.names.clone()),
                    _ => unreachable!(),
                })
                .collect();
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            imports,
            vec![
                ("std::thread".to_string(), vec![s("sleep", "sleep")]),
                ("reqwest".to_string(), vec![s("blocking", "blocking")]),
                ("reqwest".to_string(), vec![s("Client", "Http")]),
                ("std".to_string(), vec![s("io", "io")]),
                ("std::io".to_string(), vec![s("Write", "_")]),
                ("serde".to_string(), vec![s("", "serde")]),
                ("tokio".to_string(), vec![s("*", "*")]),
            ]
        );

        let (main_id, main) = function(&ast, "main");
        assert_eq!(main.decorators[0].name, "tokio::main");
        assert_eq!(main.decorators[0].args, "");
        assert_eq!(main.returns.as_deref(), Some("anyhow::Result<()>"));

        let build = calls_to(&ast, "build")[0];
        let assign = ast.parent(ast.parent(build).unwrap()).unwrap();
        let Kind::Assign {
            target,
            value,
            declared: true,
            augmented: false,
        } = ast.kind(assign)
        else {
            panic!("{}", dump(&ast, src))
        };
        assert!(matches!(ast.kind(*target), Kind::Name(n) if n == "client"));
        let chain = ast.call_chain(value.unwrap());
        let names: Vec<&str> = chain
            .iter()
            .map(|&c| ast.callee_name(ast.call(c).unwrap()).unwrap())
            .collect();
        assert_eq!(names, vec!["builder", "timeout", "build"]);
        assert_eq!(
            ast.path_of(ast.call(chain[0]).unwrap().callee).as_deref(),
            Some("reqwest::Client::builder")
        );
        assert!(
            matches!(ast.kind(ast.chain_root(value.unwrap())), Kind::Name(n) if n == "reqwest::Client::builder")
        );
        let timeout = ast.call(chain[1]).unwrap();
        assert_eq!(
            text(&ast, src, timeout.callee),
            "reqwest::Client::builder().timeout"
        );
        assert_eq!(
            text(&ast, src, chain[2]),
            "reqwest::Client::builder().timeout(Duration::from_secs(5)).build()"
        );
        assert_eq!(
            text(&ast, src, value.unwrap()),
            "reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?"
        );

        let sleep = calls_to(&ast, "std::thread::sleep")[0];
        assert_eq!(ast.enclosing_function(sleep), Some(main_id));
        assert!(main.is_async);

        // the async block is an anonymous async function
        let bare_sleep = calls_to(&ast, "sleep")
            .into_iter()
            .find(|&c| c != sleep)
            .unwrap();
        let block = ast.enclosing_function(bare_sleep).unwrap();
        let bf = ast.function(block).unwrap();
        assert!(bf.is_async && bf.name.is_none() && bf.params.is_empty());
        assert_eq!(
            text(&ast, src, block),
            "async move { sleep(Duration::from_secs(1)); }"
        );

        let aug = find(&ast, |k| {
            matches!(
                k,
                Kind::Assign {
                    augmented: true,
                    ..
                }
            )
        });
        assert_eq!(aug.len(), 1);
        assert_eq!(text(&ast, src, aug[0]), "total += 1");
        let plain = find(&ast, |k| {
            matches!(
                k,
                Kind::Assign {
                    declared: false,
                    augmented: false,
                    ..
                }
            )
        });
        assert_eq!(text(&ast, src, plain[0]), "total = total + 2 % 3");
        assert_eq!(
            find(&ast, |k| matches!(k, Kind::Binary { op: BinOp::Add, .. })).len(),
            1
        );
        assert_eq!(
            find(&ast, |k| matches!(k, Kind::Binary { op: BinOp::Mod, .. })).len(),
            1
        );
    }

    #[test]
    fn modules_impls_and_control_flow() {
        let src = r#"
pub struct UserService { db: PgPool }

#[async_trait]
impl Handler for UserService {
    pub async fn create(&self, Json(body): Json<CreateUser>) -> Result<User, AppError> {
        let Json(b2) = other else { return Err(AppError::Bad) };
        if let Some(u) = self.cache.get(&body.name) {
            return Ok(u.clone());
        } else if body.name.is_empty() {
            panic!("empty");
        } else {
            log(body.name.len());
        }
        let user = User { name: body.name.clone(), ..Default::default() };
        match self.db.insert(&user).await {
            Ok(v) if v.ok => v,
            Err(e) => return Err(e.into()),
        };
        let items = vec![1, 2, 3];
        let first = items[0];
        let t = (a, b).0;
        while let Some(x) = stack.pop() { count += x; }
        loop { break; }
        Ok(user)
    }
}

trait Repo {
    fn find(&self) -> u32 { helper() }
    fn abstract_one(&self);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn t() { assert!(true); }
}
"#;
        let ast = lower_ok(src);
        check_tree(&ast);
        let classes: Vec<&Class> = find(&ast, |k| matches!(k, Kind::Class(_)))
            .into_iter()
            .map(|id| match ast.kind(id) {
                Kind::Class(c) => &**c,
                _ => unreachable!(),
            })
            .collect();
        let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["UserService", "UserService", "Repo", "tests"]);
        assert_eq!(classes[1].bases, vec!["Handler".to_string()]);
        assert_eq!(classes[1].decorators[0].name, "async_trait");
        assert_eq!(classes[1].body.len(), 1);
        assert_eq!(classes[2].body.len(), 1);
        assert_eq!(classes[3].decorators[0].name, "cfg");
        assert_eq!(classes[3].decorators[0].args, "test");
        assert_eq!(classes[3].body.len(), 2);

        let (_, create) = function(&ast, "create");
        assert!(create.exported && create.is_async);
        assert_eq!(create.params[0].name, "self");
        assert_eq!(create.params[0].ty.as_deref(), Some("&Self"));
        assert_eq!(create.params[1].name, "Json(body)");
        assert_eq!(create.params[1].ty.as_deref(), Some("Json<CreateUser>"));

        // let-else: the target is the destructuring pattern, the else block a child
        let let_else = create.body[0];
        let Kind::Assign { target, .. } = ast.kind(let_else) else {
            panic!("{}", dump(&ast, src))
        };
        assert!(matches!(ast.kind(*target), Kind::Other));
        assert!(matches!(ast.kind(*target + 1), Kind::Name(n) if n == "b2"));
        assert_eq!(text(&ast, src, *target), "Json(b2)");
        assert_eq!(find(&ast, |k| matches!(k, Kind::Return(_))).len(), 3);

        let ifs = find(&ast, |k| matches!(k, Kind::If { .. }));
        assert_eq!(ifs.len(), 2);
        let Kind::If { cond, then, els } = ast.kind(ifs[0]) else {
            unreachable!()
        };
        assert_eq!(text(&ast, src, *cond), "self.cache.get(&body.name)");
        assert_eq!(then.len(), 1);
        assert_eq!(els, &vec![ifs[1]]);
        let Kind::If { els, .. } = ast.kind(ifs[1]) else {
            unreachable!()
        };
        assert!(matches!(ast.kind(els[0]), Kind::Call(_)));

        let obj = find(&ast, |k| matches!(k, Kind::Object { .. }))[0];
        let Kind::Object { ty, entries } = ast.kind(obj) else {
            unreachable!()
        };
        assert_eq!(ty.as_deref(), Some("User"));
        assert_eq!(entries[0].key.as_deref(), Some("name"));
        assert_eq!(entries[1].key, None);
        assert_eq!(
            text(&ast, src, obj),
            "User { name: body.name.clone(), ..Default::default() }"
        );

        // match: scrutinee, guard and arm bodies lowered
        assert_eq!(calls_to(&ast, "insert").len(), 1);
        let guard = find(
            &ast,
            |k| matches!(k, Kind::Member { property, .. } if property == "ok"),
        );
        assert_eq!(guard.len(), 1);

        let arr = find(&ast, |k| matches!(k, Kind::Array(v) if v.len() == 3))[0];
        assert_eq!(text(&ast, src, arr), "vec![1, 2, 3]");
        let idx = find(&ast, |k| matches!(k, Kind::Index { .. }))[0];
        assert_eq!(text(&ast, src, idx), "items[0]");
        let tuple_field = find(
            &ast,
            |k| matches!(k, Kind::Member { property, .. } if property == "0"),
        )[0];
        assert_eq!(text(&ast, src, tuple_field), "(a, b).0");

        let loops: Vec<&Loop> = find(&ast, |k| matches!(k, Kind::Loop(_)))
            .into_iter()
            .map(|id| match ast.kind(id) {
                Kind::Loop(l) => &**l,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(loops.len(), 2);
        assert!(loops.iter().all(|l| l.kind == LoopKind::While));
        assert_eq!(loops[0].bindings, vec!["x".to_string()]);

        let assert_call = calls_to(&ast, "assert")[0];
        assert!(ast.call(assert_call).unwrap().is_macro);
        assert!(matches!(
            ast.kind(ast.call(assert_call).unwrap().args[0].value),
            Kind::Bool(true)
        ));
    }

    #[test]
    fn consts_statics_and_lazy_static() {
        let src = r#"
const API_KEY: &str = "sk_live_123";
pub static TIMEOUT: u64 = 30;
lazy_static! {
    static ref RE: Regex = Regex::new("^[a-z]+$").unwrap();
}
"#;
        let ast = lower_ok(src);
        check_tree(&ast);
        let assigns = find(&ast, |k| matches!(k, Kind::Assign { declared: true, .. }));
        assert_eq!(assigns.len(), 2);
        let Kind::Assign { target, value, .. } = ast.kind(assigns[0]) else {
            unreachable!()
        };
        assert!(matches!(ast.kind(*target), Kind::Name(n) if n == "API_KEY"));
        assert_eq!(ast.plain_str(value.unwrap()), Some("sk_live_123"));
        assert_eq!(
            text(&ast, src, assigns[0]),
            r#"const API_KEY: &str = "sk_live_123";"#
        );
        let new = calls_to(&ast, "Regex::new");
        assert_eq!(new.len(), 1, "{}", dump(&ast, src));
        assert!(ast.contains(calls_to(&ast, "lazy_static")[0], new[0]));
    }

    #[test]
    fn non_ascii_spans_are_byte_offsets() {
        let src = "fn main() {\n    let s = \"héllo wörld 😀\"; let t = 'é'; foo(bar.baz(1), s);\n    /* ü */ qux(\"ß\");\n}\n";
        let ast = lower_ok(src);
        check_tree(&ast);
        let foo = calls_to(&ast, "foo")[0];
        assert_eq!(text(&ast, src, foo), "foo(bar.baz(1), s)");
        let baz = calls_to(&ast, "baz")[0];
        assert_eq!(text(&ast, src, ast.call(baz).unwrap().callee), "bar.baz");
        let s = find(&ast, |k| matches!(k, Kind::Str(_)))[0];
        assert_eq!(text(&ast, src, s), "\"héllo wörld 😀\"");
        assert_eq!(ast.plain_str(s), Some("héllo wörld 😀"));
        let qux = calls_to(&ast, "qux")[0];
        assert_eq!(text(&ast, src, qux), "qux(\"ß\")");
    }

    #[test]
    fn bom_and_shebang_offsets() {
        let src = "\u{feff}fn main() { call_me(\"ä\"); }\n";
        let ast = lower_ok(src);
        let c = calls_to(&ast, "call_me")[0];
        assert_eq!(text(&ast, src, c), "call_me(\"ä\")");
        let (fid, _) = function(&ast, "main");
        assert_eq!(text(&ast, src, fid), "fn main() { call_me(\"ä\"); }");

        let src = "\u{feff}#!/usr/bin/env run-cargo-script\nfn main() { x(); }\n";
        let ast = lower_ok(src);
        assert_eq!(text(&ast, src, calls_to(&ast, "x")[0]), "x()");
    }

    /// Shapes syn recurses on (or nests its tree for) that brackets alone do not show.
    fn deep_shapes(n: usize) -> Vec<String> {
        let body = |e: String| format!("fn main() {{ let x = {e}; }}");
        vec![
            format!("fn f(x: {}u8{}) {{}}", "Vec<".repeat(n), ">".repeat(n)),
            format!("type T = {}u8{};", "A<B, ".repeat(n), ">".repeat(n)),
            format!("fn f(x: {}u8) {{}}", "&".repeat(n)),
            format!("fn f() -> {}u8 {{}}", "impl Fn() -> ".repeat(n)),
            body("|| ".repeat(n) + "1"),
            body("move |a, b| ".repeat(n) + "1"),
            body("a = ".repeat(n) + "1"),
            body("a += ".repeat(n) + "1"),
            body("if a { 1 }".to_string() + &" else if a { 1 }".repeat(n) + " else { 2 }"),
            body("return ".repeat(n) + "1"),
            body("-".repeat(n) + "1"),
            body("a".to_string() + &" + a".repeat(n)),
            body("a".to_string() + &".b()".repeat(n)),
            body("a".to_string() + &"?".repeat(n)),
            body("a".to_string() + &" as u8".repeat(n)),
            body("a".to_string() + &"[0]".repeat(n)),
            body("a".to_string() + &" && a".repeat(n)),
            body("{ a }".to_string() + &" as u8".repeat(n)),
            format!("fn f(x: [u8; 1{}]) {{}}", " + 1".repeat(n)),
            format!("fn f() {{ let {}x = 1; }}", "a @ ".repeat(n)),
        ]
    }

    #[test]
    fn nesting_prescan_catches_what_syn_recurses_on() {
        // 100k levels would overflow syn's parser or its drop on any stack: each is rejected
        // before syn sees it, on the test thread's 2 MiB stack.
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                for (i, src) in deep_shapes(100_000).iter().enumerate() {
                    let n = nesting(src.as_bytes(), MAX_DEPTH);
                    assert!(n.tree > MAX_DEPTH, "shape {i}: {n:?}");
                    assert!(matches!(lower(src), Err(ParseError::TooDeep(MAX_DEPTH))));
                }
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
        // Shallow versions parse inline and lower.
        for (i, src) in deep_shapes(3).iter().enumerate() {
            let n = nesting(src.as_bytes(), MAX_DEPTH);
            assert!(n.parse <= INLINE_DEPTH, "shape {i}: {n:?}");
            assert!(lower(src).is_ok(), "shape {i}");
        }
        // Real code stays shallow: statements, items and commas end the count.
        let n = nesting(AXUM.as_bytes(), MAX_DEPTH);
        assert!(n.tree < 20 && n.parse < 20, "{n:?}");
        let many = "fn f() { if a < b { x(); } if c.d() && !e { y(); } let z = w.iter().map(|v| v + 1).collect::<Vec<_>>(); }\n".repeat(2000);
        let n = nesting(many.as_bytes(), MAX_DEPTH);
        assert!(n.tree < 20, "{n:?}");
        let table = format!(
            "const T: &[(u8, &str)] = &[{}];",
            "(1, \"a\"), ".repeat(100_000)
        );
        assert!(nesting(table.as_bytes(), MAX_DEPTH).tree < 10);
        let path = format!("use {}x;", "a::".repeat(100_000));
        assert!(nesting(path.as_bytes(), MAX_DEPTH).tree < 10);
    }

    #[test]
    fn syntax_errors_and_deep_nesting_are_errors() {
        match lower("fn main( {\n    let x = ;\n") {
            Err(ParseError::Syntax(msg)) => assert!(msg.contains(':'), "{msg}"),
            other => panic!("expected a syntax error, got {other:?}"),
        }
        assert!(!parse_only("fn main( {"));
        assert!(parse_only(AXUM));

        let deep = format!(
            "fn main() {{ let x = {}1{}; }}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(matches!(lower(&deep), Err(ParseError::TooDeep(_))));
        assert!(!parse_only(&deep));
        let deep = format!("fn main() {{ let x = {}1; }}", "!".repeat(10_000));
        assert!(matches!(lower(&deep), Err(ParseError::TooDeep(_))));
        let deep = format!(
            "fn main() {{ let x = {}; }}",
            "vec![".repeat(5_000) + &"]".repeat(5_000)
        );
        assert!(matches!(lower(&deep), Err(ParseError::TooDeep(_))));

        // Brackets in strings, chars and comments do not count.
        let fine = format!(
            "fn main() {{ let s = \"{0}\"; let r = r#\"{0}\"#; let c = '('; // {0}\n /* {0} */ f(s, 'a'); }}",
            "(".repeat(1_000)
        );
        let ast = lower_ok(&fine);
        assert_eq!(calls_to(&ast, "f").len(), 1);
    }

    #[test]
    fn nesting_just_under_the_limit_is_lowered() {
        // Runs on the default 2 MiB test thread in a debug build.
        let n = MAX_DEPTH - 10;
        let src = format!(
            "fn main() {{ let x = {}1{}; }}",
            "f(".repeat(n),
            ")".repeat(n)
        );
        let ast = lower_ok(&src);
        assert_eq!(calls_to(&ast, "f").len(), n);
        let src = format!(
            "fn main() {{ let x = {}1{}; }}",
            "(".repeat(n),
            ")".repeat(n)
        );
        lower_ok(&src);
        let src = format!(
            "fn main() {{ let x = {}1{}; }}",
            "[".repeat(n),
            "]".repeat(n)
        );
        lower_ok(&src);
        let src = format!("fn main() {{ {}{} }}", "{ ".repeat(n), "}".repeat(n));
        assert!(lower(&src).is_ok() || matches!(lower(&src), Err(ParseError::TooDeep(_))));
        // Long flat chains are fine for syn's parser; they are deep for the lowering.
        let src = format!("fn main() {{ let x = a{}; }}", " + a".repeat(300));
        lower_ok(&src);
        let src = format!("fn main() {{ let x = a{}; }}", " + a".repeat(5_000));
        assert!(matches!(lower(&src), Err(ParseError::TooDeep(_))));
        let src = format!("fn main() {{ let x = a{}; }}", ".b()".repeat(5_000));
        assert!(matches!(lower(&src), Err(ParseError::TooDeep(_))));
    }

    #[test]
    fn closures_generic_impls_and_inner_attributes() {
        let src = r#"
impl<T: Clone> Repo<T> {
    fn names(&self, users: &[User]) -> Vec<String> {
        #![allow(unused)]
        users.iter().map(|u| u.name.clone()).collect()
    }
    fn spawn(&self) {
        tokio::spawn(async move |x: u32| -> u32 { x });
        let f = move || { work(); };
    }
}
"#;
        let ast = lower_ok(src);
        check_tree(&ast);
        let class = find(&ast, |k| matches!(k, Kind::Class(_)))[0];
        let Kind::Class(c) = ast.kind(class) else {
            unreachable!()
        };
        assert_eq!(c.name, "Repo");
        assert_eq!(text(&ast, src, class), src.trim());

        let (fid, f) = function(&ast, "names");
        assert!(text(&ast, src, fid).starts_with("fn names("));
        assert_eq!(f.decorators[0].name, "allow");
        assert_eq!(f.params[1].ty.as_deref(), Some("&[User]"));

        let map = calls_to(&ast, "map")[0];
        let mc = ast.call(map).unwrap();
        let closure = mc.args[0].value;
        let cf = ast.function(closure).unwrap();
        assert!(cf.name.is_none() && !cf.is_async);
        assert_eq!(cf.params[0].name, "u");
        assert_eq!(&src[cf.head.range()], "|u|");
        let body = cf.expr_body.unwrap();
        assert_eq!(text(&ast, src, body), "u.name.clone()");
        assert_eq!(
            ast.path_of(ast.call(body).unwrap().callee).as_deref(),
            Some("u.name.clone")
        );
        assert_eq!(ast.enclosing_function(body), Some(closure));
        let collect = calls_to(&ast, "collect")[0];
        let chain: Vec<_> = ast
            .call_chain(collect)
            .iter()
            .map(|&c| ast.callee_name(ast.call(c).unwrap()).unwrap().to_string())
            .collect();
        assert_eq!(chain, vec!["iter", "map", "collect"]);

        let spawn = calls_to(&ast, "tokio::spawn")[0];
        let ac = ast.call(spawn).unwrap().args[0].value;
        let af = ast.function(ac).unwrap();
        assert!(af.is_async);
        assert_eq!(af.params[0].ty.as_deref(), Some("u32"));
        assert_eq!(af.returns.as_deref(), Some("u32"));
        assert_eq!(af.body.len(), 1);
        assert_eq!(&src[af.head.range()], "async move |x: u32| -> u32");

        let work = calls_to(&ast, "work")[0];
        let mv = ast.enclosing_function(work).unwrap();
        assert_eq!(text(&ast, src, mv), "move || { work(); }");
    }
}
