//! HTTP handlers (stub, being written).

use crate::ast::{Ast, NodeId};
use crate::config::Config;
use crate::facts::FileFacts;
use crate::source::SourceFile;

pub fn collect_registrations(_ast: &Ast, _file: &SourceFile, _facts: &mut FileFacts) {}

pub fn handler_framework(_ast: &Ast, _file: &SourceFile, _facts: &FileFacts, _config: &Config, _func: NodeId) -> Option<&'static str> {
    None
}

pub fn has_global_rate_limit(_ast: &Ast, _facts: &FileFacts) -> bool {
    false
}
