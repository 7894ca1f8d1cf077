//! Per-item contexts (stub, being written).
