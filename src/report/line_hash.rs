//! line_hash reporter (being written).
