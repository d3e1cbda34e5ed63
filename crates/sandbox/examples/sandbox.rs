//! Starts every fake provider with the demo credentials and waits for Ctrl-C.
//!
//! `cargo run -p latch-sandbox --example sandbox`

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let sandbox = latch_sandbox::Sandbox::start(latch_sandbox::SandboxConfig::demo()).await?;
    println!("Latch sandbox: fake providers on 127.0.0.1 (demo credentials: see the latch-sandbox crate docs)");
    for (name, url) in sandbox.describe() {
        println!("  {name:<10} {url}");
    }
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    drop(sandbox);
    Ok(())
}
