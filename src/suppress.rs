//! Suppression comments, parsed once per file from the raw text (syn drops comments):
//!
//! - `# backlint: ignore[rule-id, other-id] reason` / `// backlint: ignore[...] reason` /
//!   `/* backlint: ignore[...] reason */` on the reported line, or alone on the line above:
//!   covers the whole statement below, also when it spans several lines.
//! - `backlint: ignore-file[rule-id] reason` in the first 20 lines: the whole file.
//!
//! A directive inside a string literal (or docstring) is not a directive. Unused suppressions
//! are reported as `unused-suppression` (info) so they do not rot, and so are malformed ones (a
//! bare `backlint: ignore` with no rule id, rule ids without brackets, an unknown directive):
//! they suppress nothing.

use std::path::Path;

use crate::ast::Lang;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::source::{Position, SourceFile, Span};

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// 1-based line of the comment.
    pub line: u32,
    pub span: Span,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub file_level: bool,
    /// Lines covered (inclusive).
    pub from: u32,
    pub to: u32,
    /// Which of `rules` suppressed something.
    pub used: Vec<bool>,
    /// Where the comment is, resolved while the file's text is at hand.
    pub start: Position,
    pub end: Position,
    /// GitHub's `primaryLocationLineHash` of the comment's line.
    pub line_hash: String,
    /// Why the directive is malformed, and how to write it: it suppresses nothing and is
    /// reported.
    pub problem: Option<(String, String)>,
    /// The edit that deletes the comment (its line when it is alone on it); `None` when it
    /// cannot be deleted on its own (a line of a longer block comment, code after it).
    pub remove: Option<Edit>,
    /// Per rule id, the edit that deletes it (and a comma) from the list; empty with one id.
    pub remove_rule: Vec<Edit>,
}

const MARKER: &str = "backlint:";

/// Lines a file-level directive may stand on.
const FILE_LEVEL_LINES: u32 = 20;

/// A well-formed directive: file level, rule ids, reason.
type Directive = (bool, Vec<String>, Option<String>);

/// A directive that suppresses nothing: the message and how to write it.
type Malformed = (String, String);

/// Whether `text` may hold a suppression comment (it has the marker somewhere): a file
/// without one needs no suppression work at all.
pub fn may_have_directives(text: &str) -> bool {
    text.contains(MARKER)
}

/// Finds the suppressions in a file. `strings` are the file's string literals, sorted and not
/// overlapping; `statement_end(line)` gives the last line of the statement that starts on
/// `line`.
pub fn parse(
    file: &SourceFile,
    lang: Lang,
    strings: &[Span],
    statement_end: impl Fn(u32) -> u32,
) -> Vec<Suppression> {
    let mut out = Vec::new();
    if !may_have_directives(&file.text) {
        return out;
    }
    let text = file.text.as_str();
    let mut blocks = BlockComments::default();
    // Searches ahead, remembered so that many directives in a row stay linear: the last `*/`
    // found (or none to the end), and the last run of comment lines skipped.
    let mut last_close: Option<Option<usize>> = None;
    let mut last_skip = (usize::MAX, 0);
    for (idx, _) in text.match_indices(MARKER) {
        let line0 = file.line_index(idx as u32);
        let line_start = file.line_start(line0) as usize;
        let line_end = line_start + file.line_text(line0).len();
        blocks.advance(text, line_start);
        let Some((opener, block)) = comment_opener(text, line_start, idx, lang, &blocks) else {
            continue;
        };
        // a marker inside a string literal is text, not a comment
        let at = opener as u32;
        let i = strings.partition_point(|s| s.start <= at);
        if i > 0 && at < strings[i - 1].end {
            continue;
        }
        // A block comment ends at `*/`; an unclosed one at the end of the file.
        let close = block.then(|| {
            let hit = match last_close {
                Some(Some(c)) if c >= idx => Some(c),
                Some(None) => None,
                _ => text[idx..].find("*/").map(|i| idx + i),
            };
            last_close = Some(hit);
            hit.unwrap_or(text.len())
        });
        let end = close.map_or(line_end, |c| c.min(line_end));
        let parsed = match directive(text[idx + MARKER.len()..end].trim()) {
            None => continue,
            Some(d) => d,
        };
        let span = Span::new(idx, end);
        let this_line = line0 as u32 + 1;
        let opener_line = file.line_index(opener as u32);
        let code_before = !text[file.line_start(opener_line) as usize..opener]
            .trim()
            .is_empty();
        let mut sup = Suppression {
            line: this_line,
            span,
            start: file.position(span.start),
            end: file.position(span.end),
            line_hash: String::new(),
            rules: Vec::new(),
            reason: None,
            file_level: false,
            from: 0,
            to: 0,
            used: Vec::new(),
            problem: None,
            remove: None,
            remove_rule: Vec::new(),
        };
        let (file_level, rules, reason) = match parsed {
            Ok(d) => d,
            Err(problem) => {
                sup.problem = Some(problem);
                out.push(sup);
                continue;
            }
        };
        let (from, to) = if file_level {
            if this_line > FILE_LEVEL_LINES {
                sup.problem = Some((
                    format!(
                        "misplaced suppression: `backlint: ignore-file` works in the first \
                         {FILE_LEVEL_LINES} lines of a file; on line {this_line} it suppresses \
                         nothing"
                    ),
                    "move it to the top of the file, or use `backlint: ignore[rule-id]` above \
                     the line"
                        .into(),
                ));
                out.push(sup);
                continue;
            }
            (1, u32::MAX)
        } else if code_before {
            let n = opener_line as u32 + 1;
            (n, statement_end(n).max(n))
        } else {
            // The comment's last line: code after a block comment's `*/` is what it covers.
            let last = close.map_or(line0, |c| file.line_index(c.min(text.len()) as u32));
            let after = close.map_or("", |c| {
                let rest = &text[(c + 2).min(text.len())..];
                rest.split('\n').next().unwrap_or("")
            });
            let n = if after.trim().is_empty() {
                let from = last + 1;
                if !(last_skip.0..=last_skip.1).contains(&from) {
                    last_skip = (from, next_code_line(file, from, lang));
                }
                last_skip.1 as u32 + 1
            } else {
                last as u32 + 1
            };
            (n, statement_end(n).max(n))
        };
        sup.remove = removal(text, line_start, line_end, opener, close, code_before).map(|span| {
            let mut e = Edit::delete(span);
            e.start = file.position(span.start);
            e.end = file.position(span.end);
            e
        });
        sup.remove_rule = rule_removals(text, idx, end, rules.len())
            .into_iter()
            .map(|span| {
                let mut e = Edit::delete(span);
                e.start = file.position(span.start);
                e.end = file.position(span.end);
                e
            })
            .collect();
        sup.used = vec![false; rules.len()];
        sup.rules = rules;
        sup.reason = reason;
        sup.file_level = file_level;
        sup.from = from;
        sup.to = to;
        out.push(sup);
    }
    if !out.is_empty() {
        let hashes = crate::report::line_hash::line_hashes(&file.text);
        for s in &mut out {
            s.line_hash = hashes.get(s.line as usize - 1).cloned().unwrap_or_default();
        }
    }
    out
}

/// What to delete to remove a whole suppression comment: its line when it stands alone, else
/// the comment and the blanks before it. `None` for a comment opened on an earlier line or
/// closed on a later one, or with code after it.
fn removal(
    text: &str,
    line_start: usize,
    line_end: usize,
    opener: usize,
    close: Option<usize>,
    code_before: bool,
) -> Option<Span> {
    if opener < line_start {
        return None;
    }
    let comment_end = match close {
        Some(c) if c + 2 <= line_end => c + 2,
        Some(_) => return None,
        None => line_end,
    };
    if !text[comment_end..line_end].trim().is_empty() {
        return None;
    }
    if code_before {
        let blanks = text[line_start..opener].trim_end_matches([' ', '\t']).len();
        return Some(Span::new(line_start + blanks, line_end));
    }
    let next = text[line_end..]
        .find('\n')
        .map_or(text.len(), |i| line_end + i + 1);
    Some(Span::new(line_start, next))
}

/// For a directive `backlint: ignore[a, b, c]` whose text runs from `marker` to `end`: per
/// rule id, the span that removes it and one comma from the list (`a, ` for all but the last,
/// `, c` for the last). Empty for a single id, or when the ids are not where they are expected.
fn rule_removals(text: &str, marker: usize, end: usize, count: usize) -> Vec<Span> {
    let body = &text[marker..end];
    let (Some(open), Some(close)) = (body.find('['), body.find(']')) else {
        return Vec::new();
    };
    if count < 2 || close < open {
        return Vec::new();
    }
    let inner_at = marker + open + 1;
    let mut ids = Vec::new();
    let mut at = inner_at;
    for part in body[open + 1..close].split(',') {
        let lead = part.len() - part.trim_start().len();
        let id = part.trim();
        if !id.is_empty() {
            ids.push(Span::new(at + lead, at + lead + id.len()));
        }
        at += part.len() + 1;
    }
    if ids.len() != count {
        return Vec::new();
    }
    (0..count)
        .map(|k| match k + 1 < count {
            true => Span::new(ids[k].start as usize, ids[k + 1].start as usize),
            false => Span::new(ids[k - 1].end as usize, ids[k].end as usize),
        })
        .collect()
}

/// The last `/*` and `*/` before a point of the text, found in one pass over the file (the
/// markers are visited in order).
#[derive(Default)]
struct BlockComments {
    pos: usize,
    open: Option<usize>,
    close: Option<usize>,
}

impl BlockComments {
    fn advance(&mut self, text: &str, to: usize) {
        if to <= self.pos {
            return;
        }
        let seg = &text[self.pos..to];
        if let Some(i) = seg.rfind("/*") {
            self.open = Some(self.pos + i);
        }
        if let Some(i) = seg.rfind("*/") {
            self.close = Some(self.pos + i);
        }
        self.pos = to;
    }
    /// The opener of a block comment still open at the point advanced to.
    fn open(&self) -> Option<usize> {
        match (self.open, self.close) {
            (Some(o), Some(c)) if c > o => None,
            (o, _) => o,
        }
    }
}

/// Where the comment holding the marker at `idx` starts, and whether it is a block comment:
/// the marker must follow the comment token with only spaces between (`/**` and `///` too), or
/// start a line inside a block comment (`* backlint: ...`).
fn comment_opener(
    text: &str,
    line_start: usize,
    idx: usize,
    lang: Lang,
    blocks: &BlockComments,
) -> Option<(usize, bool)> {
    let before = &text[line_start..idx];
    if lang == Lang::Python {
        let c = before.rfind('#')?;
        return before[c + 1..]
            .trim()
            .is_empty()
            .then_some((line_start + c, false));
    }
    let only = |s: &str, extra: &[char]| s.chars().all(|c| c.is_whitespace() || extra.contains(&c));
    if let Some(c) = before.rfind("//") {
        if only(&before[c + 2..], &['/']) {
            return Some((line_start + c, false));
        }
    }
    if let Some(c) = before.rfind("/*") {
        if only(&before[c + 2..], &['*', '!']) {
            return Some((line_start + c, true));
        }
    }
    if only(before, &['*']) {
        return blocks.open().map(|o| (o, true));
    }
    None
}

/// Parses what follows `backlint:`. `None`: not a directive (free text such as
/// `# backlint: checked in CI`); `Err`: a malformed directive: what is wrong, how to write it.
fn directive(body: &str) -> Option<Result<Directive, Malformed>> {
    let word_end = body
        .find(|c: char| c == '[' || c == ':' || c == ',' || c.is_whitespace())
        .unwrap_or(body.len());
    let (word, rest) = body.split_at(word_end);
    let bad =
        |what: String, fix: String| Some(Err((format!("malformed suppression: {what}"), fix)));
    let name_them = format!("name the rules it covers: `backlint: {word}[rule-id] reason`");
    let file_level = match word {
        "ignore" => false,
        "ignore-file" => true,
        _ => {
            let looks_like = rest.starts_with('[')
                || word.starts_with("ignore")
                || strsim::jaro_winkler(word, "ignore") > 0.85;
            if !looks_like {
                return None;
            }
            return bad(
                format!("unknown directive `backlint: {word}`"),
                "write `backlint: ignore[rule-id] reason` (or `ignore-file[rule-id]` near the top)"
                    .into(),
            );
        }
    };
    let Some(inner) = rest.trim_start().strip_prefix('[') else {
        let first = rest
            .trim_start_matches(|c: char| c == ':' || c.is_whitespace())
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()
            .unwrap_or("");
        if crate::registry::get(first).is_some() {
            return bad(
                format!(
                    "rule ids go in brackets, so `backlint: {word} {first}` suppresses nothing"
                ),
                format!("write `backlint: {word}[{first}] reason`"),
            );
        }
        return bad(
            format!("`backlint: {word}` names no rule, so it suppresses nothing"),
            name_them,
        );
    };
    let Some(close) = inner.find(']') else {
        return bad(format!("unclosed `[` after `backlint: {word}`"), name_them);
    };
    let rules: Vec<String> = inner[..close]
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if rules.is_empty() {
        return bad(
            format!("`backlint: {word}[]` names no rule, so it suppresses nothing"),
            name_them,
        );
    }
    let reason = inner[close + 1..]
        .trim()
        .trim_start_matches(['-', ':', '—'])
        .trim();
    let reason = (!reason.is_empty()).then(|| reason.to_string());
    Some(Ok((file_level, rules, reason)))
}

/// The first line (0-based) from `line` on that holds code (or a decorator or attribute):
/// blank lines and comments are passed over.
fn next_code_line(file: &SourceFile, mut line: usize, lang: Lang) -> usize {
    let comment = if lang == Lang::Python { "#" } else { "//" };
    while line < file.line_count() {
        let raw = file.line_text(line);
        let t = raw.trim_start();
        if t.is_empty() || (t.starts_with(comment) && !t.starts_with("#[")) {
            line += 1;
            continue;
        }
        if lang != Lang::Python && t.starts_with("/*") {
            let open = file.line_start(line) as usize + (raw.len() - t.len());
            let Some(i) = file.text[open..].find("*/") else {
                return file.line_count();
            };
            let close = open + i + 2;
            let close_line = file.line_index(close as u32);
            if file.line_text(close_line)[close - file.line_start(close_line) as usize..]
                .trim()
                .is_empty()
            {
                line = close_line + 1;
                continue;
            }
            return close_line;
        }
        return line;
    }
    line
}

/// Whether a suppression covers the diagnostic; marks the suppression used.
pub fn covers(sups: &mut [Suppression], lines: &Lines, d: &Diagnostic) -> bool {
    let line = d.start.line;
    let near = lines.short.get(&line).map_or(&[][..], Vec::as_slice);
    // the suppressions covering the line, in order: the first that names the rule is used
    let (mut a, mut b) = (near.iter().peekable(), lines.long.iter().peekable());
    loop {
        let i = match (a.peek(), b.peek()) {
            (Some(&&x), Some(&&y)) if x < y => a.next(),
            (_, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => return false,
        };
        let s = &mut sups[*i.expect("peeked")];
        if line < s.from || line > s.to {
            continue;
        }
        if let Some(i) = s.rules.iter().position(|r| r == d.rule || r == "all") {
            s.used[i] = true;
            return true;
        }
    }
}

/// The suppressions of a file by the lines they cover, for [`covers`].
#[derive(Debug, Default)]
pub struct Lines {
    /// Line -> suppressions covering a few lines each.
    short: std::collections::HashMap<u32, Vec<usize>>,
    /// Suppressions covering many lines (a whole function, the file).
    long: Vec<usize>,
}

impl Lines {
    pub fn new(sups: &[Suppression]) -> Lines {
        let mut lines = Lines::default();
        for (i, s) in sups.iter().enumerate() {
            if s.to.saturating_sub(s.from) < 64 {
                for l in s.from..=s.to {
                    lines.short.entry(l).or_default().push(i);
                }
            } else {
                lines.long.push(i);
            }
        }
        lines
    }
}

/// `unused-suppression` diagnostics for suppressions that matched nothing, and for those
/// without a reason when reasons are required.
pub fn unused(sups: &[Suppression], path: &Path, config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if config.ignore.iter().any(|i| i == UNUSED)
        || !(config.select.is_empty() || config.select.iter().any(|s| s == UNUSED))
    {
        return out;
    }
    let selected = |rule: &String| {
        (config.select.is_empty() || config.select.iter().any(|x| x == rule))
            && !config.ignore.iter().any(|x| x == rule)
    };
    let known = |rule: &String| crate::registry::get(rule).is_some() || rule == "all";
    for s in sups {
        if let Some((message, fix)) = &s.problem {
            out.push(make(path, s, message.clone(), fix));
            continue;
        }
        // every id is reported unused: each note's fix deletes the comment (the same edit)
        let all_unused = s
            .rules
            .iter()
            .zip(&s.used)
            .all(|(r, used)| !used && selected(r) && known(r));
        for (k, (rule, used)) in s.rules.iter().zip(&s.used).enumerate() {
            // A rule that is switched off cannot use its suppression: say nothing.
            let selected = selected(rule);
            let message = if crate::registry::get(rule).is_none() && rule != "all" {
                match crate::registry::suggest(rule) {
                    Some(s) => {
                        format!("unknown rule `{rule}` in suppression (did you mean `{s}`?)")
                    }
                    None => format!("unknown rule `{rule}` in suppression"),
                }
            } else if !used && selected {
                let message = format!("unused suppression: no `{rule}` finding here");
                let remove = match all_unused || s.rules.len() == 1 {
                    true => s
                        .remove
                        .clone()
                        .map(|e| (e, "Remove the unused suppression".into())),
                    false => s
                        .remove_rule
                        .get(k)
                        .map(|e| (e.clone(), format!("Remove `{rule}` from the suppression"))),
                };
                let mut d = make(
                    path,
                    s,
                    message,
                    "remove the suppression, or fix the rule id",
                );
                d.fix = remove.map(|(e, title)| Fix::safe(title, vec![e]));
                out.push(d);
                continue;
            } else if config.require_reason && s.reason.is_none() {
                format!("suppression of `{rule}` gives no reason")
            } else {
                continue;
            };
            out.push(make(
                path,
                s,
                message,
                "remove the suppression, or fix the rule id",
            ));
        }
    }
    out
}

pub const UNUSED: &str = "unused-suppression";

fn make(path: &Path, s: &Suppression, message: String, help: &str) -> Diagnostic {
    let (start, end, hash) = (s.start, s.end, s.line_hash.clone());
    Diagnostic {
        rule: UNUSED,
        severity: Severity::Info,
        path: path.to_path_buf(),
        span: s.span,
        start,
        end,
        message: message.clone(),
        help: Some(help.into()),
        labels: Vec::new(),
        flow: Vec::new(),
        fingerprint: format!("{UNUSED}:{}:{}", s.rules.join(","), message.len()),
        line_hash: hash,
        secret: None,
        condition: None,
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testing::fix_all;

    fn fixes_to(path: &str, before: &str, after: &str) {
        let (fixed, n, left) = fix_all(UNUSED_RULE, path, before, &crate::Options::default());
        assert!(n > 0, "{path}: no fix applied:\n{before}");
        assert_eq!(fixed, after, "{path}");
        assert!(
            left.is_empty(),
            "{path}: still reported on {left:?}:\n{fixed}"
        );
    }

    const UNUSED_RULE: &str = super::UNUSED;

    #[test]
    fn unused_suppressions_are_removed() {
        // alone on its line: the line goes
        fixes_to(
            "a.py",
            "def f():\n    # backlint: ignore[sql-injection] reviewed\n    return 1\n",
            "def f():\n    return 1\n",
        );
        // after code: the comment and the blanks before it
        fixes_to(
            "a.py",
            "x = 1  # backlint: ignore[sql-injection]\r\ny = 2\r\n",
            "x = 1\r\ny = 2\r\n",
        );
        fixes_to(
            "a.ts",
            "const x = 1; /* backlint: ignore[sql-injection] */\n// backlint: ignore[missing-timeout, sql-injection] old\nconst y = 2;\n",
            "const x = 1;\nconst y = 2;\n",
        );
        // one id of several unused: only it goes
        let used = "import requests\n\ndef f(u):\n    # backlint: ignore[sql-injection, missing-timeout] the proxy bounds it\n    return requests.get(u)\n";
        fixes_to(
            "a.py",
            used,
            &used.replace("[sql-injection, missing-timeout]", "[missing-timeout]"),
        );
        fixes_to(
            "a.py",
            &used.replace(
                "[sql-injection, missing-timeout]",
                "[missing-timeout,sql-injection]",
            ),
            used.replace("[sql-injection, missing-timeout]", "[missing-timeout]")
                .as_str(),
        );
        fixes_to(
            "requirements.txt",
            "flask==3.0.0  # backlint: ignore[deprecated-dependency]\n",
            "flask==3.0.0\n",
        );
    }

    #[test]
    fn malformed_unknown_and_block_lines_are_not_removed() {
        for (path, src) in [
            ("a.py", "x = 1  # backlint: ignore\n"),
            ("a.py", "x = 1  # backlint: ignore[sql-injektion]\n"),
            (
                "a.ts",
                "/**\n * backlint: ignore[sql-injection] old\n */\nconst y = 2;\n",
            ),
            (
                "a.ts",
                "/* backlint: ignore[sql-injection] */ const y = 2;\n",
            ),
        ] {
            let r = crate::lint_source(std::path::Path::new(path), src, &crate::Options::default());
            assert!(!r.diagnostics.is_empty(), "{src}");
            assert!(
                r.diagnostics.iter().all(|d| d.fix.is_none()),
                "{src}: {:?}",
                r.diagnostics
            );
        }
    }
}
