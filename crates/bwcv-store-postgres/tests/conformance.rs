//! The bwcv-store conformance suite on PostgreSQL: a fresh schema per test
//! on the server named by `BWCV_TEST_POSTGRES_URL`.

mod common;

bwcv_store::conformance_tests!(common::fresh_store);
