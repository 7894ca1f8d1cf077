//! github reporter (being written).
