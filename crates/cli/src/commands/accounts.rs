//! `latch accounts`: the list, soonest expiry first.

use crate::exit::Failure;
use crate::output::{account_json, expires_in, print_json, status};
use latch_core::Latch;

pub fn run(latch: &Latch, json: bool) -> Result<(), Failure> {
    let accounts = latch.accounts()?;
    let now = latch_core::time::now();
    if json {
        let rows: Vec<_> = accounts.iter().map(|a| account_json(a, now)).collect();
        print_json(&rows);
        return Ok(());
    }
    if accounts.is_empty() {
        eprintln!("No accounts yet: add one with `latch add <provider>`, or try `latch sandbox`.");
        return Ok(());
    }
    let rows: Vec<[String; 5]> = accounts
        .iter()
        .map(|a| {
            let left = match status(a, now) {
                "valid" | "expired" => expires_in(a.token.as_ref().and_then(|t| t.expires_at), now),
                _ => String::new(),
            };
            [
                a.id.to_string(),
                a.label.clone(),
                a.provider().display_name().to_owned(),
                status(a, now).to_owned(),
                left,
            ]
        })
        .collect();
    let header = ["ID", "LABEL", "PROVIDER", "STATUS", "EXPIRES IN"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", line.join("  ").trim_end());
    }
    Ok(())
}
