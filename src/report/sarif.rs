//! sarif reporter (being written).
