//! What a rule sees while checking one file, and what it emits.

use crate::ast::{Ast, NodeId};
use crate::config::Config;
use crate::diagnostic::Condition;
use crate::facts::FileFacts;
use crate::source::{SourceFile, Span};

/// A finding as a rule emits it; the engine turns it into a [`crate::diagnostic::Diagnostic`].
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static str,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// Secondary locations in the same file.
    pub labels: Vec<(Span, String)>,
    pub secret: Option<Span>,
    pub condition: Option<Condition>,
}

impl Finding {
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push((span, message.into()));
        self
    }
    pub fn secret(mut self, span: Span) -> Self {
        self.secret = Some(span);
        self
    }
    pub fn condition(mut self, c: Condition) -> Self {
        self.condition = Some(c);
        self
    }
}

pub struct Ctx<'a> {
    pub ast: &'a Ast,
    pub file: &'a SourceFile,
    pub facts: &'a FileFacts,
    pub config: &'a Config,
    /// The file matches the configured test-path globs.
    pub is_test_file: bool,
    pub(crate) rule: &'static str,
    pub(crate) out: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    /// Starts a finding for the current rule; pass it to [`Ctx::emit`].
    pub fn finding(&self, span: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule: self.rule,
            span,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            secret: None,
            condition: None,
        }
    }
    pub fn emit(&mut self, f: Finding) {
        self.out.push(f);
    }
    /// The source text of a node.
    pub fn text(&self, id: NodeId) -> &'a str {
        self.file.snippet(self.ast.span(id))
    }
    pub fn span(&self, id: NodeId) -> Span {
        self.ast.span(id)
    }
    /// The span of a node's first line only (for long constructs).
    pub fn first_line(&self, id: NodeId) -> Span {
        let s = self.ast.span(id);
        let line = self.file.line_index(s.start);
        let end = self.file.line_start(line) as usize + self.file.line_text(line).len();
        Span::new(
            s.start as usize,
            end.min(s.end as usize).max(s.start as usize),
        )
    }
}
