//! `sql-injection`: SQL text built from runtime data reaches a raw query API.

use crate::ast::{Kind, KindTag, Lang, NodeId};
use crate::diagnostic::Condition;
use crate::engine::{Ctx, Rule};
use crate::knowledge::sql;

pub struct SqlInjection;

impl Rule for SqlInjection {
    fn id(&self) -> &'static str {
        "sql-injection"
    }
    fn kinds(&self) -> &'static [KindTag] {
        &[KindTag::Call]
    }
    fn check(&self, cx: &mut Ctx, node: NodeId) {
        let Some(sink) = sql::sink(cx.ast, &cx.facts.imports, node) else {
            return;
        };
        // `session.execute(text(f"..."))`: reported once, at the inner `text(...)`
        let inner = cx.ast.unwrap_expr(sink.sql);
        if cx.ast.call(inner).is_some() && sql::sink(cx.ast, &cx.facts.imports, inner).is_some() {
            return;
        }
        let strict = sql::Trace::strict(cx.ast, &cx.file.text);
        let dynamic = strict
            .dynamic_sql(sink.sql, node)
            .or_else(|| strict.appended_value(&sink, node));
        let Some(dynamic) = dynamic else { return };
        // The values' origin decides. Parameters of this function and values that passed a
        // project guard are safe when the project shows it: every call passes constants, the
        // guard tests an anchored allow-list regex. Anything else is reported as it stands.
        let lenient = sql::Trace::lenient(cx.ast, &cx.file.text, &cx.facts.handlers);
        let unknown = lenient
            .dynamic_sql(sink.sql, node)
            .or_else(|| lenient.appended_value(&sink, node));
        let (dynamic, condition) = match unknown {
            Some(d) => (d, None),
            None => {
                let accepted = lenient.accepted();
                let params: Vec<(String, usize, String)> = accepted
                    .params
                    .iter()
                    .filter_map(|&(func, idx)| {
                        let f = cx.ast.function(func)?;
                        Some((
                            sql::callable_name(cx.ast, func)?,
                            sql::caller_position(cx.ast, func, idx)?,
                            f.params.get(idx)?.name.clone(),
                        ))
                    })
                    .collect();
                if params.len() < accepted.params.len()
                    || params.is_empty() && accepted.validators.is_empty()
                {
                    (dynamic, None)
                } else {
                    let c = Condition::UnlessSafeSources {
                        params,
                        validators: accepted.validators,
                    };
                    (dynamic, Some(c))
                }
            }
        };
        // an inline `format!` capture spans its whole literal: name the captured variable
        let value = match cx.ast.kind(dynamic.value) {
            Kind::Name(n) => n.as_str(),
            _ => cx.text(dynamic.value).lines().next().unwrap_or("").trim(),
        };
        let value: String = value.chars().take(60).collect();
        let message = format!(
            "`{value}` is put into SQL text with {} and run by `{}`",
            dynamic.how, sink.api
        );
        let help = match cx.ast.lang {
            Lang::Python => "pass values as query parameters: `cursor.execute(\"... WHERE id = %s\", [value])` (or `text(\"... :id\")` with `{\"id\": value}`)",
            Lang::TypeScript => "pass values as parameters: `pool.query(\"... WHERE id = $1\", [value])`, or use a tagged template such as prisma.$queryRaw`... ${value}`",
            Lang::Rust => "bind values instead of formatting them: `sqlx::query(\"... WHERE id = $1\").bind(value)`, or the checked `sqlx::query!` macro",
        };
        let mut f = cx.finding(cx.call_site(node), message).help(help);
        f = f.label(cx.span(dynamic.value), "runtime value interpolated here");
        if let Some(b) = dynamic.built_at {
            f = f.label(cx.first_line(b), "SQL text built here");
        }
        if let Some(c) = condition {
            f = f.condition(c);
        }
        cx.emit(f);
    }
}
