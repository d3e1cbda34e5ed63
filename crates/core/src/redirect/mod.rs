//! Catching the redirect that brings an authorization code back.
//!
//! Three ways in — a custom-scheme deep link (the Tauri layer), a loopback
//! listener ([`loopback`]), and a URL pasted by the person — and one way to
//! judge them: [`crate::flows::CallbackParams`] and the pending flows.

pub mod loopback;
