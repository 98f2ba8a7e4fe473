//! Helpers shared by the integration tests: running the real validators.
