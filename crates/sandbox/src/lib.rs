//! Fake providers (being built).
