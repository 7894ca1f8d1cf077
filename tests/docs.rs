//! Registry, rule docs, rule modules and fixtures stay in sync.

use std::path::Path;

use backlint::{registry, rules};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_implemented_rule_has_docs_module_and_fixtures() {
    for rule in rules::all() {
        let id = rule.id();
        let meta = registry::get(id).unwrap_or_else(|| panic!("{id}: no rules/{id}.md"));
        let module = root()
            .join("src/rules")
            .join(format!("{}.rs", id.replace('-', "_")));
        assert!(module.exists(), "{id}: no {}", module.display());
        for lang in meta.languages {
            let dir = root().join("fixtures").join(id).join(lang);
            assert!(
                dir.is_dir(),
                "{id}: no fixtures for {lang} in {}",
                dir.display()
            );
            let annotated = walk(&dir).iter().any(|f| {
                std::fs::read_to_string(f).is_ok_and(|t| t.contains(&format!("expect: {id}")))
            });
            assert!(
                annotated,
                "{id}: fixtures for {lang} have no `expect: {id}`"
            );
        }
    }
}

#[test]
fn every_documented_rule_is_implemented_or_meta() {
    let implemented: Vec<_> = rules::all().iter().map(|r| r.id()).collect();
    for meta in registry::RULES {
        assert!(
            implemented.contains(&meta.id) || meta.category == "meta",
            "rules/{}.md documents a rule that has no implementation",
            meta.id
        );
    }
}

#[test]
fn rule_ids_come_from_the_catalog() {
    let catalog = std::fs::read_to_string(root().join("../shared/RULES.md")).unwrap_or_default();
    if catalog.is_empty() {
        return; // shared/ not beside the checkout
    }
    for meta in registry::RULES.iter().filter(|m| m.category != "meta") {
        assert!(
            catalog.contains(&format!("`{}`", meta.id)),
            "{} is not in RULES.md",
            meta.id
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn readme_lists_every_rule_with_its_summary() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for meta in registry::RULES.iter().filter(|m| m.category != "meta") {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", meta.id)))
            .unwrap_or_else(|| panic!("README has no row for {}", meta.id));
        assert!(
            row.contains(meta.summary),
            "README row for {} is out of date with rules/{}.md",
            meta.id,
            meta.id
        );
    }
}
