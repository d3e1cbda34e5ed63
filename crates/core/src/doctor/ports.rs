//! The sandbox's ports: `latch sandbox` tries 8971–8975 first so that the
//! README's examples work as written, and puts a fake whose port another
//! program holds on a port the OS chooses. A taken port is therefore a
//! warning: the sandbox works, the examples' addresses do not.

use super::Check;
use std::net::{Ipv4Addr, TcpListener};

const CHECK: &str = "sandbox-ports";

pub(super) fn check(ports: &[(&str, u16)]) -> Check {
    let mut taken = Vec::new();
    let mut refused = Vec::new();
    for &(name, port) in ports {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(listener) => drop(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => taken.push((name, port)),
            Err(e) => refused.push(format!("{port} ({name}): {e}")),
        }
    }
    if taken.is_empty() && refused.is_empty() {
        return Check::ok(
            CHECK,
            format!("{} on 127.0.0.1 are free for `latch sandbox`", list(ports)),
        );
    }
    let mut found = Vec::new();
    let mut fixes = Vec::new();
    if !taken.is_empty() {
        let (one, these) = if taken.len() == 1 {
            ("Port", "that fake")
        } else {
            ("Ports", "those fakes")
        };
        found.push(format!(
            "{one} {} taken by another program, so `latch sandbox` puts {these} on a port the OS chooses \
             and the README's examples do not reach it",
            names(&taken)
        ));
        let see: Vec<String> = taken
            .iter()
            .map(|(_, port)| format!("`ss -ltnp 'sport = :{port}'`"))
            .collect();
        fixes.push(format!("see who holds it with {}", see.join(" and ")));
    }
    if !refused.is_empty() {
        found.push(format!("Latch cannot listen on {}", refused.join(", ")));
    }
    fixes.push("`latch sandbox --any-port` avoids the fixed ports altogether".into());
    Check::warn(CHECK, found.join("; "), fixes.join("; "))
}

/// "Ports 8971–8975" for a run of ports, else each by number.
fn list(ports: &[(&str, u16)]) -> String {
    let numbers: Vec<u16> = ports.iter().map(|&(_, port)| port).collect();
    match numbers.as_slice() {
        [] => "No ports".into(),
        [one] => format!("Port {one}"),
        [first, .., last] if numbers.windows(2).all(|w| w[1] == w[0] + 1) => format!("Ports {first}–{last}"),
        _ => {
            let all: Vec<String> = numbers.iter().map(u16::to_string).collect();
            format!("Ports {}", all.join(", "))
        }
    }
}

/// "8972 (the PayU fake's) is" / "8972 (PayU) and 8974 (GREEN-API) are".
fn names(taken: &[(&str, u16)]) -> String {
    let each: Vec<String> = taken.iter().map(|(name, port)| format!("{port} ({name})")).collect();
    match each.as_slice() {
        [one] => format!("{one} is"),
        [init @ .., last] => format!("{} and {last} are", init.join(", ")),
        [] => unreachable!("only called with taken ports"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn a_run_of_free_ports_reads_as_a_range_and_others_one_by_one() {
        assert_eq!(list(&[("a", 8971), ("b", 8972), ("c", 8973)]), "Ports 8971–8973");
        assert_eq!(list(&[("a", 9001), ("b", 8001)]), "Ports 9001, 8001");
        assert_eq!(list(&[("a", 9001)]), "Port 9001");
    }

    #[test]
    fn a_port_held_by_a_listener_is_named_with_how_to_see_who_holds_it() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        let check = check(&[("PayU", port)]);
        assert_eq!(check.status, Status::Warn);
        assert!(
            check.found.starts_with(&format!("Port {port} (PayU) is taken")),
            "{}",
            check.found
        );
        let fix = check.fix.unwrap();
        assert!(fix.contains(&format!("`ss -ltnp 'sport = :{port}'`")), "{fix}");
        assert!(fix.contains("latch sandbox --any-port"), "{fix}");
    }
}
