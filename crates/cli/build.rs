//! Embeds when this `latch` was built (`LATCH_BUILT_AT`, Unix seconds), so
//! that `latch doctor` can tell a clock set before it. `SOURCE_DATE_EPOCH`
//! wins when set (reproducible builds). The script runs again only when the
//! CLI's own files change, so the time may be older than the binary: never
//! newer, which is the side a "the clock is behind" verdict must err on.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let built_at = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=LATCH_BUILT_AT={built_at}");
}
