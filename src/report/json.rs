//! json reporter (being written).
