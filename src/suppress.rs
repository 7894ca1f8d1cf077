//! Suppression comments, parsed once per file from the raw text (syn drops comments):
//!
//! - `# backlint: ignore[rule-id, other-id] reason` / `// backlint: ignore[...] reason` on the
//!   reported line, or alone on the line above: covers the whole statement below, also when it
//!   spans several lines.
//! - `backlint: ignore-file[rule-id] reason` in the first 20 lines: the whole file.
//!
//! A directive inside a string literal (or docstring) is not a directive. Unused suppressions
//! are reported as `unused-suppression` (info) so they do not rot.

use std::path::Path;

use crate::ast::Lang;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Position, SourceFile, Span};

#[derive(Clone, Debug)]
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
}

const MARKER: &str = "backlint:";

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
    if !file.text.contains(MARKER) {
        return out;
    }
    let comment = if lang == Lang::Python { "#" } else { "//" };
    for (idx, _) in file.text.match_indices(MARKER) {
        let line0 = file.line_index(idx as u32);
        let line_start = file.line_start(line0) as usize;
        let line = file.line_text(line0);
        let before = &file.text[line_start..idx];
        // The marker must follow the comment token, with only spaces between.
        let Some(cpos) = before.rfind(comment) else {
            continue;
        };
        if !before[cpos + comment.len()..].trim().is_empty() {
            continue;
        }
        let cabs = (line_start + cpos) as u32;
        let i = strings.partition_point(|s| s.start <= cabs);
        if i > 0 && cabs < strings[i - 1].end {
            continue;
        }
        let rest = &file.text[idx + MARKER.len()..line_start + line.len()];
        let rest = rest.trim_start();
        let (file_level, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("ignore") {
            (false, r)
        } else {
            continue;
        };
        let Some(r) = rest.strip_prefix('[') else {
            continue;
        };
        let Some(close) = r.find(']') else { continue };
        let rules: Vec<String> = r[..close]
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if rules.is_empty() {
            continue;
        }
        let reason = r[close + 1..]
            .trim()
            .trim_start_matches(['-', ':', '—'])
            .trim();
        let reason = (!reason.is_empty()).then(|| reason.to_string());
        let this_line = line0 as u32 + 1;
        let code_before = !before[..cpos].trim().is_empty();
        let (from, to) = if file_level {
            if this_line > 20 {
                continue;
            }
            (1, u32::MAX)
        } else if code_before {
            (this_line, statement_end(this_line).max(this_line))
        } else {
            // Alone on its line: covers the next code line's statement.
            let mut next = line0 + 1;
            while next < file.line_count() {
                let t = file.line_text(next).trim_start();
                if !t.is_empty()
                    && !t.starts_with(comment)
                    && !t.starts_with('@')
                    && !t.starts_with("#[")
                {
                    break;
                }
                if t.starts_with('@') || t.starts_with("#[") {
                    // a decorated definition: cover from the decorator
                    break;
                }
                next += 1;
            }
            let n = next as u32 + 1;
            (n, statement_end(n).max(n))
        };
        let used = vec![false; rules.len()];
        let span = Span::new(idx, line_start + line.len());
        out.push(Suppression {
            line: this_line,
            span,
            start: file.position(span.start),
            end: file.position(span.end),
            line_hash: String::new(),
            rules,
            reason,
            file_level,
            from,
            to,
            used,
        });
    }
    if !out.is_empty() {
        let hashes = crate::report::line_hash::line_hashes(&file.text);
        for s in &mut out {
            s.line_hash = hashes.get(s.line as usize - 1).cloned().unwrap_or_default();
        }
    }
    out
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
    for s in sups {
        for (rule, used) in s.rules.iter().zip(&s.used) {
            // A rule that is switched off cannot use its suppression: say nothing.
            let selected = (config.select.is_empty() || config.select.iter().any(|x| x == rule))
                && !config.ignore.iter().any(|x| x == rule);
            let message = if crate::registry::get(rule).is_none() && rule != "all" {
                match crate::registry::suggest(rule) {
                    Some(s) => {
                        format!("unknown rule `{rule}` in suppression (did you mean `{s}`?)")
                    }
                    None => format!("unknown rule `{rule}` in suppression"),
                }
            } else if !used && selected {
                format!("unused suppression: no `{rule}` finding here")
            } else if config.require_reason && s.reason.is_none() {
                format!("suppression of `{rule}` gives no reason")
            } else {
                continue;
            };
            out.push(make(path, s, message));
        }
    }
    out
}

pub const UNUSED: &str = "unused-suppression";

fn make(path: &Path, s: &Suppression, message: String) -> Diagnostic {
    let (start, end, hash) = (s.start, s.end, s.line_hash.clone());
    Diagnostic {
        rule: UNUSED,
        severity: Severity::Info,
        path: path.to_path_buf(),
        span: s.span,
        start,
        end,
        message: message.clone(),
        help: Some("remove the suppression, or fix the rule id".into()),
        labels: Vec::new(),
        fingerprint: format!("{UNUSED}:{}:{}", s.rules.join(","), message.len()),
        line_hash: hash,
        secret: None,
        condition: None,
    }
}
