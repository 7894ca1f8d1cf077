//! JSON (`package.json`) into a [`Value`] tree, with `jsonc-parser` (it keeps byte ranges).
//! npm reads strict JSON; comments and trailing commas are tolerated here rather than
//! reported, as they do not change what a manifest declares.

use jsonc_parser::ast;

use super::{Data, Entry, ParseError, Value};
use crate::source::Span;

pub fn parse(text: &str) -> Result<Value, ParseError> {
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
        .map_err(|e| ParseError {
            message: e.kind().to_string(),
            offset: e.range().start,
        })?;
    match parsed.value {
        Some(v) => Ok(lower(&v)),
        None => Err(ParseError {
            message: "the file holds no JSON value".into(),
            offset: 0,
        }),
    }
}

fn span(r: jsonc_parser::common::Range) -> Span {
    Span::new(r.start, r.end)
}

fn lower(v: &ast::Value) -> Value {
    match v {
        ast::Value::Object(o) => Value {
            span: span(o.range),
            data: Data::Table(
                o.properties
                    .iter()
                    .map(|p| {
                        let (key, key_span) = match &p.name {
                            ast::ObjectPropName::String(s) => (s.value.to_string(), span(s.range)),
                            ast::ObjectPropName::Word(w) => (w.value.to_string(), span(w.range)),
                        };
                        Entry {
                            key,
                            key_span,
                            value: lower(&p.value),
                        }
                    })
                    .collect(),
            ),
        },
        ast::Value::Array(a) => Value {
            span: span(a.range),
            data: Data::Array(a.elements.iter().map(lower).collect()),
        },
        ast::Value::StringLit(s) => Value {
            span: span(s.range),
            data: Data::Str(s.value.to_string()),
        },
        ast::Value::BooleanLit(b) => Value {
            span: span(b.range),
            data: Data::Bool(b.value),
        },
        ast::Value::NumberLit(n) => Value {
            span: span(n.range),
            data: Data::Other(n.value.to_string()),
        },
        ast::Value::NullKeyword(n) => Value {
            span: span(n.range),
            data: Data::Other("null".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_place() {
        let text = "{\n  \"dependencies\": {\n    \"request\": \"^2.88.0\"\n  }\n}\n";
        let v = parse(text).unwrap();
        let e = v.get("dependencies").unwrap().entry("request").unwrap();
        assert_eq!(&text[e.key_span.range()], "\"request\"");
        assert_eq!(e.value.as_str(), Some("^2.88.0"));
    }
}
