//! Conformance tests every backend runs (being written).
