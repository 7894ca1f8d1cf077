//! TOML (`Cargo.toml`, `pyproject.toml`, `Pipfile`, `Rocket.toml`) into a [`Value`] tree with
//! `toml`'s spanned document parser.

use toml::de::{DeTable, DeValue};

use super::{Data, Entry, ParseError, Value};
use crate::source::Span;

pub fn parse(text: &str) -> Result<Value, ParseError> {
    let doc = DeTable::parse(text).map_err(|e| ParseError {
        message: e.message().trim().to_string(),
        offset: e.span().map_or(0, |s| s.start),
    })?;
    let span = doc.span();
    Ok(table(doc.get_ref(), Span::new(span.start, span.end)))
}

fn table(t: &DeTable, span: Span) -> Value {
    let mut entries: Vec<Entry> = t
        .iter()
        .map(|(k, v)| {
            let ks = k.span();
            let vs = v.span();
            Entry {
                key: k.get_ref().to_string(),
                key_span: Span::new(ks.start, ks.end),
                value: value(v.get_ref(), Span::new(vs.start, vs.end)),
            }
        })
        .collect();
    entries.sort_by_key(|e| e.key_span.start);
    Value {
        span,
        data: Data::Table(entries),
    }
}

fn value(v: &DeValue, span: Span) -> Value {
    let data = match v {
        DeValue::String(s) => Data::Str(s.to_string()),
        DeValue::Boolean(b) => Data::Bool(*b),
        DeValue::Integer(i) => Data::Other(i.as_str().to_string()),
        DeValue::Float(f) => Data::Other(f.as_str().to_string()),
        DeValue::Datetime(d) => Data::Other(d.to_string()),
        DeValue::Array(a) => Data::Array(
            a.iter()
                .map(|i| {
                    let s = i.span();
                    value(i.get_ref(), Span::new(s.start, s.end))
                })
                .collect(),
        ),
        DeValue::Table(t) => return table(t, span),
    };
    Value { span, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_point_at_their_line_also_in_headers() {
        let text = "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\nfailure = { version = \"0.1\" }\n\n[dependencies.tempdir]\nversion = \"0.3\"\n\n[target.'cfg(unix)'.dependencies]\nnet2 = \"0.2\"\n";
        let v = parse(text).unwrap();
        let deps = v.get("dependencies").unwrap();
        for (k, want) in [
            ("failure", "failure"),
            ("tempdir", "tempdir"),
            ("serde", "serde"),
        ] {
            let e = deps.entry(k).unwrap();
            assert_eq!(&text[e.key_span.range()], want);
        }
        let t = v.at(&["target", "cfg(unix)", "dependencies"]).unwrap();
        let e = t.entry("net2").unwrap();
        assert_eq!(&text[e.key_span.range()], "net2");
        assert_eq!(
            deps.get("failure")
                .unwrap()
                .get("version")
                .unwrap()
                .as_str(),
            Some("0.1")
        );
    }
}
