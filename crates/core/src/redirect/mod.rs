//! Catching the redirect that brings an authorization code back.
//!
//! Three ways in — a custom-scheme deep link (the Tauri layer), a loopback
//! listener ([`loopback`]), and a URL pasted by the person — and one way to
//! judge them: [`crate::flows::CallbackParams`] and the pending flows. The
//! way out, to the browser, is a private [`page`] that leads to the
//! provider, so the address never travels in a command line.

pub mod loopback;
pub mod page;
