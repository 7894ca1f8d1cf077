//! text reporter (being written).
