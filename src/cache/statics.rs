//! Serde helpers for the `&'static str` values some facts hold (setting names, CORS option
//! names): written as strings, read back as one leaked copy per distinct value.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serializer};

/// `&'static str`, spelled so that serde's derive does not take it as borrowed from the input
/// (which would make the type readable only from `'static` data).
pub type StaticStr = &'static str;

/// One `'static` copy of `s`, shared by every later call with the same text.
pub fn intern(s: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&known) = seen.get(s) {
        return known;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// One `'static` copy of a list of names.
fn intern_list(names: Vec<&'static str>) -> &'static [&'static str] {
    static SEEN: OnceLock<Mutex<HashSet<&'static [&'static str]>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&known) = seen.get(names.as_slice()) {
        return known;
    }
    let leaked: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    seen.insert(leaked);
    leaked
}

fn read_strs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
    let names: Vec<std::borrow::Cow<'de, str>> = Vec::deserialize(d)?;
    Ok(names.iter().map(|n| intern(n)).collect())
}

/// `#[serde(with = "crate::cache::statics::str")]` on a `&'static str`.
pub mod str {
    use super::*;

    pub fn serialize<S: Serializer>(s: &&'static str, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        Ok(intern(&s))
    }
}

/// `#[serde(with = "crate::cache::statics::strs")]` on a `Vec<&'static str>`.
pub mod strs {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[&'static str], ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
        read_strs(d)
    }
}

/// `#[serde(with = "crate::cache::statics::slice")]` on a `&'static [&'static str]`.
pub mod slice {
    use super::*;

    pub fn serialize<S: Serializer>(
        v: &&'static [&'static str],
        ser: S,
    ) -> Result<S::Ok, S::Error> {
        ser.collect_seq(v.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<&'static [&'static str], D::Error> {
        read_strs(d).map(intern_list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_copy_per_text() {
        let a = intern(&String::from("CORS_ALLOW_ALL_ORIGINS"));
        let b = intern("CORS_ALLOW_ALL_ORIGINS");
        assert!(std::ptr::eq(a, b));
        let l = intern_list(vec![a, "x"]);
        assert!(std::ptr::eq(l, intern_list(vec![b, "x"])));
    }
}
