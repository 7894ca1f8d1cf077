//! Findings as rules emit them and reporters read them. Secrets are redacted here, before any
//! reporter sees a diagnostic: a rule marks the secret's span with [`Diagnostic::secret`] and
//! the engine masks it in the message and in the source text kept for rendering.

use std::path::PathBuf;

use serde::Serialize;

use crate::source::{Position, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" | "note" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// A secondary location: in the same file (`path` is `None`) or in another file of the project.
#[derive(Clone, Debug, Serialize)]
pub struct Label {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(skip)]
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

/// A finding that only holds if something about the whole project is true; resolved by the
/// engine once every file's facts are merged into the project index.
#[derive(Clone, Debug)]
pub enum Condition {
    /// Holds if the called function (resolved through the file's imports) runs a query.
    /// The engine adds the helper's query as a related label and fills `{query}` in the message.
    CalleeQueries {
        module: Option<String>,
        name: String,
        method_of: Option<String>,
    },
    /// Holds if the model class `model` (imported from `module`) declares `field` as a lazy
    /// relation (Django `ForeignKey`, SQLAlchemy `relationship()`), in any file of the project.
    LazyRelation {
        module: Option<String>,
        model: String,
        field: String,
    },
    /// Holds unless the project sets a default pagination class (DRF settings).
    NoDefaultPagination,
    /// Holds unless the project installs an app-wide rate limiter.
    NoGlobalRateLimit,
}

#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub path: PathBuf,
    #[serde(skip)]
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// Line-shift tolerant identity used by `--baseline` (rule + normalised line text +
    /// occurrence).
    pub fingerprint: String,
    /// GitHub's `primaryLocationLineHash` for the start line.
    #[serde(skip)]
    pub line_hash: String,
    /// Span of a secret to mask in every output.
    #[serde(skip)]
    pub secret: Option<Span>,
    #[serde(skip)]
    pub condition: Option<Condition>,
}

/// Masks a secret for display: keeps a short prefix that identifies the kind of credential
/// (`AKIA`, `ghp_`, `sk_live_`) and replaces the rest, keeping the length.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    secret
        .chars()
        .enumerate()
        .map(|(i, c)| if i < keep || c == '\n' { c } else { '*' })
        .collect()
}

/// Masks a secret in place in a text, byte-length preserving so spans stay valid.
pub fn redact_in(text: &mut String, span: Span) {
    let Some(secret) = text.get(span.range()) else {
        return;
    };
    let masked: String = secret
        .char_indices()
        .flat_map(|(i, c)| {
            let keep = i < 4 && secret.len() >= 16 || c == '\n';
            let w = c.len_utf8();
            let ch = if keep { Some(c) } else { None };
            ch.into_iter()
                .chain(std::iter::repeat_n('*', if keep { 0 } else { w }))
        })
        .collect();
    text.replace_range(span.range(), &masked);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_length_and_prefix() {
        assert_eq!(redact("AKIAABCDEFGHIJKLMNOP"), "AKIA****************");
        assert_eq!(redact("hunter2"), "*******");
        let mut t = String::from("k = \"sk_live_abcdefghijklmnop\"\n");
        let s = t.find("sk_").unwrap();
        redact_in(&mut t, Span::new(s, s + 24));
        assert_eq!(t, "k = \"sk_l********************\"\n");
    }
}
