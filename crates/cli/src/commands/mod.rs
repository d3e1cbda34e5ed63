//! One module per verb. A verb takes what it runs in as one value
//! ([`crate::env::Env`]: the opened Latch, the streams, the browser), so its
//! tests run it in-process. `completions`, `doctor` and `sandbox` print with
//! the process's own streams: they open no Latch, or stay until Ctrl-C.

pub mod accounts;
pub mod add;
pub mod api;
pub mod completions;
pub mod connect;
pub mod discover;
pub mod doctor;
pub mod edit;
pub mod environment;
pub mod exec;
pub mod key;
pub mod link;
pub mod log;
pub mod remove;
pub mod revoke;
pub mod sandbox;
pub mod show;
pub mod status;
pub mod store;
pub mod token;
pub mod transfer;
pub mod window;
