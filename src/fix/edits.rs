//! Edits on the lowered tree for the rules' fixes: add an argument to a call, a property to an
//! object literal, a method to a chain, `await` before an expression, a Python import. Each
//! returns `None` when the source is not in a shape it can edit with certainty (a comment
//! where the edit goes, a cast around the last argument, an unparenthesised generator): no
//! fix is better than a wrong one. Edits insert generated text only, never text copied from
//! the file (so a fix never carries a secret).

use crate::ast::{Ast, Kind, Lang, LoopKind, NodeId};
use crate::diagnostic::Edit;
use crate::source::Span;

/// The offset of the `)` that closes a call.
fn close_paren(ast: &Ast, text: &str, call: NodeId) -> Option<usize> {
    let end = ast.span(call).end as usize;
    (end > 0 && text.as_bytes().get(end - 1) == Some(&b')')).then(|| end - 1)
}

/// The leading whitespace of the line holding `at`.
fn indent_at(text: &str, at: usize) -> &str {
    if !text.is_char_boundary(at) {
        return "";
    }
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The newline the file uses around `at`.
fn newline_near(text: &str, at: usize) -> &'static str {
    if !text.is_char_boundary(at) {
        return "\n";
    }
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    if text[..end].ends_with('\r') {
        "\r\n"
    } else {
        "\n"
    }
}

/// Adds `item` after the last item of a bracketed list (`last`: the span of its last item,
/// `None` when it is empty) that opens at `open` and closes at `close` (the offsets of its
/// brackets). An empty list becomes `(item)` (`{ item }` with `pad`); a list laid out one item
/// per line keeps that layout and its trailing comma. `None` when anything but blanks and one
/// comma follows the last item (a comment, a cast the tree does not show).
fn append_item(
    text: &str,
    open: usize,
    close: usize,
    last: Option<Span>,
    item: &str,
    pad: bool,
) -> Option<Edit> {
    let Some(last) = last else {
        let inner = text.get(open + 1..close)?;
        if !inner.trim().is_empty() {
            return None;
        }
        let new = if pad {
            format!(" {item} ")
        } else {
            item.to_string()
        };
        return Some(Edit::replace(Span::new(open + 1, close), new));
    };
    let end = last.end as usize;
    let tail = text.get(end..close)?;
    let comma = tail.find(',');
    let blank = |s: &str| s.chars().all(char::is_whitespace);
    match comma {
        Some(c) if !blank(&tail[..c]) || !blank(&tail[c + 1..]) => return None,
        None if !blank(tail) => return None,
        _ => {}
    }
    // one item per line, the bracket on a line of its own
    let exploded = tail.contains('\n');
    let nl = newline_near(text, end);
    let indent = indent_at(text, last.start as usize);
    Some(match (comma, exploded) {
        (Some(c), true) => Edit::insert(end + c + 1, format!("{nl}{indent}{item},")),
        (Some(c), false) => Edit::insert(end + c + 1, format!(" {item},")),
        (None, true) => Edit::insert(end, format!(",{nl}{indent}{item}")),
        (None, false) => Edit::insert(end, format!(", {item}")),
    })
}

/// The edit that adds `arg` as the last argument of `call`: `f(a)` -> `f(a, arg)`, `f()` ->
/// `f(arg)`. `None` for a call with a spread argument or a bare generator argument, or one
/// whose argument list it cannot read with certainty.
pub fn append_arg(ast: &Ast, text: &str, call: NodeId, arg: &str) -> Option<Edit> {
    let c = ast.call(call)?;
    if c.is_macro || c.is_tagged || c.args.iter().any(|a| a.spread) {
        return None;
    }
    let close = close_paren(ast, text, call)?;
    let last = c
        .args
        .iter()
        .map(|a| ast.span(a.value))
        .max_by_key(|s| s.end);
    if let [only] = c.args.as_slice() {
        // `f(x for x in xs)`: another argument needs the generator in parentheses
        let bare_generator = matches!(ast.kind(only.value), Kind::Loop(l) if l.kind == LoopKind::Comprehension)
            && !matches!(
                text.as_bytes().get(ast.span(only.value).start as usize),
                Some(b'(' | b'[' | b'{')
            );
        if bare_generator {
            return None;
        }
    }
    let open = match last {
        Some(_) => 0,
        None => {
            let before = text[..close].trim_end();
            before.ends_with('(').then(|| before.len() - 1)?
        }
    };
    append_item(text, open, close, last, arg, false)
}

/// The edit that adds `entry` (`key: value`) to an object literal: `{ a: 1 }` ->
/// `{ a: 1, entry }`, `{}` -> `{ entry }`. `None` when the literal has a spread or computed key.
pub fn add_entry(ast: &Ast, text: &str, obj: NodeId, entry: &str) -> Option<Edit> {
    let Kind::Object { entries, ty: None } = ast.kind(obj) else {
        return None;
    };
    if entries.iter().any(|e| e.key.is_none()) {
        return None;
    }
    let span = ast.span(obj);
    let (open, close) = (span.start as usize, (span.end as usize).checked_sub(1)?);
    let b = text.as_bytes();
    if b.get(open) != Some(&b'{') || b.get(close) != Some(&b'}') || close <= open {
        return None;
    }
    let last = entries.iter().map(|e| e.span).max_by_key(|s| s.end);
    append_item(text, open, close, last, entry, true)
}

/// The edit that adds `.method` to a chain right after `expr` (`Client::builder()` ->
/// `Client::builder().timeout(d)`).
pub fn chain_after(ast: &Ast, text: &str, expr: NodeId, method: &str) -> Option<Edit> {
    let end = close_paren(ast, text, expr)? + 1;
    Some(Edit::insert(end, format!(".{method}")))
}

/// The edits that put `await` before the call `call`, in parentheses where the call is the
/// object of a member access, an index or a call (`(await f()).x`).
pub fn await_before(ast: &Ast, call: NodeId) -> Vec<Edit> {
    let span = ast.span(call);
    let tight = ast.parent(call).is_some_and(|p| match ast.kind(p) {
        Kind::Member { object, .. } | Kind::Index { object, .. } => *object == call,
        Kind::Call(c) => c.callee == call,
        _ => false,
    });
    if tight {
        vec![
            Edit::insert(span.start as usize, "(await "),
            Edit::insert(span.end as usize, ")"),
        ]
    } else {
        vec![Edit::insert(span.start as usize, "await ")]
    }
}

/// The name to call a module by in a Python file, and the edit that imports it when the
/// module has no top-level `import module` (or `import module as alias`): the import goes after
/// the imports at the top of the file (after its docstring and `from __future__` imports).
/// `None` when there is no certain place for it.
pub fn python_module(ast: &Ast, text: &str, module: &str) -> Option<(String, Option<Edit>)> {
    if ast.lang != Lang::Python {
        return None;
    }
    let Kind::Module(stmts) = ast.kind(crate::ast::ROOT) else {
        return None;
    };
    for &s in stmts {
        if let Kind::Import(imp) = ast.kind(s) {
            // `import module` binds the name `module`, `import module as m` binds `m`
            let whole = imp.names.iter().find(|(n, _)| n.is_empty());
            if let (true, Some((_, alias))) = (imp.module == module, whole) {
                return Some((alias.clone(), None));
            }
        }
    }
    // the docstring and `from __future__` imports come first; then the leading imports
    let mut after: Option<NodeId> = None;
    let mut rest = stmts.iter().peekable();
    if let Some(&&first) = rest.peek() {
        if ast.plain_str(first).is_some() {
            after = Some(first);
            rest.next();
        }
    }
    while let Some(&&s) = rest.peek() {
        match ast.kind(s) {
            Kind::Import(_) => {
                after = Some(s);
                rest.next();
            }
            _ => break,
        }
    }
    let nl = newline_near(text, 0);
    let line = format!("import {module}{nl}");
    let at = match after {
        // the start of the line after the statement
        Some(s) => {
            let end = ast.span(s).end as usize;
            match text[end..].find('\n') {
                Some(i) if text[end..end + i].trim().is_empty() => end + i + 1,
                Some(_) => return None, // `import os; x = 1`, a trailing comment
                None => {
                    let edit = Edit::insert(text.len(), format!("{nl}{line}"));
                    return Some((module.into(), Some(edit)));
                }
            }
        }
        None => match rest.peek() {
            Some(&&s) => {
                let start = ast.span(s).start as usize;
                let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                if !text[line_start..start].trim().is_empty() {
                    return None;
                }
                line_start
            }
            None => return None,
        },
    };
    Some((module.into(), Some(Edit::insert(at, line))))
}
