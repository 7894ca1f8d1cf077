//! `sql-injection`: SQL text built from runtime data reaches a raw query API.

use crate::ast::{Kind, KindTag, Lang, NodeId};
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
        let dynamic = sql::dynamic_sql(cx.ast, sink.sql, node)
            .or_else(|| sql::appended_value(cx.ast, &sink, node));
        let Some(dynamic) = dynamic else { return };
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
        cx.emit(f);
    }
}
