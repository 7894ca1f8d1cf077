//! typescript lowering (stub, being written).

use super::{Dialect, ParseError};
use crate::ast::{Ast, Builder, Lang};

pub fn lower(_text: &str, _dialect: Dialect) -> Result<Ast, ParseError> {
    Ok(Builder::new().finish(Lang::TypeScript, false))
}

pub fn parse_only(_text: &str, _dialect: Dialect) -> bool {
    true
}
