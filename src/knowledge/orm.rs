//! Database calls (stub, being written).

use crate::ast::{Ast, NodeId};
use crate::config::Config;
use crate::facts::Imports;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    Read,
    Write,
    Count,
    Raw,
}

#[derive(Clone, Debug)]
pub struct Query {
    pub orm: &'static str,
    pub display: String,
    pub kind: QueryKind,
    pub many: bool,
    pub limited: bool,
    pub eager: bool,
    pub batched: bool,
}

pub fn query_call(_ast: &Ast, _imports: &Imports, _config: &Config, _call: NodeId) -> Option<Query> {
    None
}
