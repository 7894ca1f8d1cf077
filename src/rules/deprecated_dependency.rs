//! `deprecated-dependency`: a manifest declares a library its maintainers deprecated or
//! abandoned, from the shipped list ([`crate::knowledge::deprecated`]). The finding points at
//! the dependency's line and names the replacement; the help gives the maintainers' reason and
//! where they said it. Names are compared as each registry compares them, so a package whose
//! name merely contains a listed one (`request-ip`, `@types/request`, `uuid` beside
//! `node-uuid`) is a different package and stays clean; so do comments and scripts that
//! mention a listed name, `peerDependencies`, and versions a version-bounded entry spares.

use crate::engine::{ManifestCtx, Rule};
use crate::knowledge::deprecated::{self, Status};
use crate::manifest::deps::{self, Ecosystem};

pub const ID: &str = "deprecated-dependency";

pub struct DeprecatedDependency;

impl Rule for DeprecatedDependency {
    fn id(&self) -> &'static str {
        ID
    }
    fn kinds(&self) -> &'static [crate::ast::KindTag] {
        &[]
    }
    fn check(&self, _cx: &mut crate::engine::Ctx, _node: crate::ast::NodeId) {}

    fn check_manifest(&self, cx: &mut ManifestCtx) {
        for d in deps::dependencies(cx.manifest) {
            let Some(e) = deprecated::lookup(d.ecosystem, &d.name, d.version.as_deref()) else {
                continue;
            };
            let mut what = match &d.alias {
                Some(a) => format!("`{a}` (the package `{}`)", d.name),
                None => format!("`{}`", d.name),
            };
            // only some versions are abandoned: say which one is declared
            if let (Some(_), Some(v)) = (&e.before, &d.version) {
                what = format!("{what} {}", v.trim());
            }
            let message = match e.status {
                Status::Renamed => format!(
                    "{what} {}: depend on {} instead.",
                    e.status.phrase(),
                    e.replacement
                ),
                Status::Maintenance => format!(
                    "{what} {}: plan a move to {}.",
                    e.status.phrase(),
                    e.replacement
                ),
                _ => format!(
                    "{what} {}: replace it with {}.",
                    e.status.phrase(),
                    e.replacement
                ),
            };
            let registry = d.ecosystem.registry();
            let evidence = match (&e.advisory, d.ecosystem) {
                (Some(id), Ecosystem::Crates) => format!("{id}, {}", e.source),
                _ => e.source.clone(),
            };
            let help = format!(
                "{} ({registry}; {evidence}). Declared in `{}`.",
                capitalise(&e.reason),
                d.section
            );
            let f = cx.finding(d.span, message).help(help);
            cx.emit(f);
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
