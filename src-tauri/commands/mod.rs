//! The commands the window may call, grouped by what they act on. Each is
//! granted to the window by name in `capabilities/main.json`.

mod accounts;
mod connect;
mod link;
mod sandbox;
mod tokens;
mod window;

pub use accounts::*;
pub use connect::*;
pub use link::*;
pub use sandbox::*;
pub use tokens::*;
pub use window::*;
