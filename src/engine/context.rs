//! What a rule sees while checking one file, and what it emits.

use std::collections::HashMap;

use crate::ast::{Ast, NodeId};
use crate::config::Config;
use crate::diagnostic::{Condition, Fix};
use crate::facts::FileFacts;
use crate::roles::Role;
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
    /// The path a value took, source first (SARIF `codeFlows`, numbered labels in text).
    pub steps: Vec<(Span, String)>,
    pub secret: Option<Span>,
    pub condition: Option<Condition>,
    /// The mechanical fix, where the edit is certain.
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(rule: &'static str, span: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            span,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            steps: Vec::new(),
            secret: None,
            condition: None,
            fix: None,
        }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push((span, message.into()));
        self
    }
    /// Adds the next step of the path a value took ("read here", "assigned to `email`",
    /// "written here"), source first.
    pub fn step(mut self, span: Span, message: impl Into<String>) -> Self {
        self.steps.push((span, message.into()));
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
    /// Attaches a fix (none: the finding has no certain edit).
    pub fn fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}

/// What a rule sees while checking a manifest or configuration file.
pub struct ManifestCtx<'a> {
    pub file: &'a SourceFile,
    pub manifest: &'a crate::manifest::Manifest,
    pub config: &'a Config,
    pub role: Role,
    pub(crate) rule: &'static str,
    pub(crate) out: Vec<Finding>,
}

impl ManifestCtx<'_> {
    /// Starts a finding for the current rule; pass it to [`ManifestCtx::emit`].
    pub fn finding(&self, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(self.rule, span, message)
    }
    pub fn emit(&mut self, f: Finding) {
        self.out.push(f);
    }
}

pub struct Ctx<'a> {
    pub ast: &'a Ast,
    pub file: &'a SourceFile,
    pub facts: &'a FileFacts,
    pub config: &'a Config,
    /// The file is test code (its role is [`Role::Test`]).
    pub is_test_file: bool,
    /// Where the file's code runs; rules only see files of the roles they report in.
    pub role: Role,
    pub(crate) rule: &'static str,
    pub(crate) out: Vec<Finding>,
    /// Findings of `out` by rule and span, to drop repeats.
    pub(crate) at: HashMap<(&'static str, Span), Vec<usize>>,
}

impl<'a> Ctx<'a> {
    /// Starts a finding for the current rule; pass it to [`Ctx::emit`].
    pub fn finding(&self, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(self.rule, span, message)
    }
    /// Adds a finding, unless the same rule already reported the same message with the same
    /// condition at the same place (two constructions bound to one name both reaching a use).
    pub fn emit(&mut self, f: Finding) {
        let same = self.at.get(&(f.rule, f.span)).is_some_and(|seen| {
            seen.iter().any(|&i| {
                let o = &self.out[i];
                o.message == f.message
                    && format!("{:?}", o.condition) == format!("{:?}", f.condition)
            })
        });
        if same {
            return;
        }
        self.at
            .entry((f.rule, f.span))
            .or_default()
            .push(self.out.len());
        self.out.push(f);
    }
    /// The source text of a node.
    pub fn text(&self, id: NodeId) -> &'a str {
        self.file.snippet(self.ast.span(id))
    }
    pub fn span(&self, id: NodeId) -> Span {
        self.ast.span(id)
    }
    /// Where a call "is" for a reviewer: for a method call in a chain split over lines
    /// (`repo\n  .createQueryBuilder()\n  .where(..)`), the line of the method name; else the
    /// call's first line.
    pub fn call_site(&self, call: NodeId) -> Span {
        let full = self.ast.span(call);
        if let Some(c) = self.ast.call(call) {
            if let crate::ast::Kind::Member { property, .. } = self.ast.kind(c.callee) {
                let m = self.ast.span(c.callee);
                let start = (m.end as usize).saturating_sub(property.len());
                let same_line =
                    self.file.line_index(start as u32) == self.file.line_index(full.start);
                if !same_line
                    && self.file.text.get(start..m.end as usize) == Some(property.as_str())
                {
                    let span = Span::new(start, full.end as usize);
                    let line = self.file.line_index(span.start);
                    let end = self.file.line_start(line) as usize + self.file.line_text(line).len();
                    return Span::new(
                        span.start as usize,
                        end.min(span.end as usize).max(span.start as usize),
                    );
                }
            }
        }
        self.first_line(call)
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
