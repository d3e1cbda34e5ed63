//! Integration tests of the fake providers, over real HTTP with reqwest (no Latch code).
//! One binary with a module per fake keeps linking cheap.

mod faults;
mod green_api;
mod harness;
mod oauth2;
mod payu;
mod wazzup;
mod wordapp;
