//! The rule mechanism and the pipeline.
//!
//! Each file is read, parsed and lowered once ([`crate::lang`]), its facts are collected
//! ([`crate::facts`]), and one walk over the lowered tree hands every node to the rules that
//! declared its kind. Findings that depend on other files (a helper that queries, a project-wide
//! setting) carry a [`Condition`] that is resolved after all files are merged into the
//! [`ProjectIndex`], so no tree is kept in memory and no file is parsed twice.

mod context;
mod pipeline;
#[cfg(test)]
pub(crate) mod testing;

pub use context::{Ctx, Finding, ManifestCtx};
pub use pipeline::{
    is_project, lint_in_project, lint_paths, lint_source, FileOutcome, Options, Progress,
    ProgressHook, ProjectFacts,
};

use crate::ast::KindTag;

/// A lint rule. One module per rule in `src/rules/`, named after its id.
pub trait Rule: Send + Sync {
    /// The rule id, as in `rules/<id>.md`.
    fn id(&self) -> &'static str;
    /// The node kinds this rule wants to see.
    fn kinds(&self) -> &'static [KindTag];
    /// Called for every node of a declared kind, in pre-order.
    fn check(&self, cx: &mut Ctx, node: crate::ast::NodeId);
    /// Called once for every dependency manifest or configuration file
    /// ([`crate::manifest`]) of a role the rule reports in. Rules about source code leave it
    /// empty.
    fn check_manifest(&self, _cx: &mut ManifestCtx) {}
}

/// Rules bucketed by node kind, built once per run.
pub struct Dispatch {
    pub rules: Vec<&'static dyn Rule>,
    buckets: Vec<Vec<usize>>,
}

impl Dispatch {
    pub fn new(rules: Vec<&'static dyn Rule>) -> Dispatch {
        let mut buckets = vec![Vec::new(); KindTag::COUNT];
        for (i, r) in rules.iter().enumerate() {
            for k in r.kinds() {
                buckets[*k as usize].push(i);
            }
        }
        Dispatch { rules, buckets }
    }
    pub fn for_kind(&self, tag: KindTag) -> &[usize] {
        &self.buckets[tag as usize]
    }
}

pub use crate::diagnostic::Condition;
pub use crate::index::ProjectIndex;
