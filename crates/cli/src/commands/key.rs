//! `latch key`: the public key of a `private_key_jwt` account, as the JWK
//! the server is given (`--jwks`: as a JWK Set); `--new` makes a new key
//! pair. The private key never leaves the keyring.

use crate::cli::KeyArgs;
use crate::env::Env;
use crate::exit::Failure;
use std::io::Write;

pub fn run(env: &mut Env, args: KeyArgs) -> Result<(), Failure> {
    let account = env.latch.find(&args.account)?;
    let jwk = if args.new {
        let question = format!(
            "Make a new key pair for {}? The server refuses the account until it has the new public key.",
            account.id
        );
        if !env.confirm(&question, args.yes)? {
            return Err(Failure::usage("the key was not changed"));
        }
        env.latch.new_key(&account)?
    } else {
        env.latch.public_key(&account)?.ok_or_else(|| {
            Failure::usage(format!(
                "{} keeps no private key: only an OAuth 2.0 account with private_key_jwt has one (`latch key {} --new` makes one)",
                account.id, account.id
            ))
        })?
    };
    let shown = if args.jwks {
        serde_json::json!({ "keys": [jwk] })
    } else {
        jwk
    };
    env.print_json(&shown)?;
    if args.new && !env.json {
        writeln!(
            env.stderr,
            "Register this public key with the server in place of the old one."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, add_demo, env, fixed_urls, parsed, wordapp_robot};

    /// A client-credentials Other OAuth 2.0 account with private_key_jwt,
    /// whose key pair Latch made.
    fn private_key_jwt(home: &Home) -> latch_core::Account {
        let mut draft = latch_sandbox::demo::oauth2(
            &fixed_urls(),
            &latch_sandbox::DemoCredentials::default(),
            latch_sandbox::harness::SCHEME_REDIRECT,
            "private_key_jwt",
            true,
            latch_core::model::Grant::ClientCredentials,
        );
        draft.secret = None;
        add_demo(&home.latch, draft, "pk")
    }

    #[test]
    fn prints_the_public_jwk_and_a_new_key_changes_it() {
        let home = Home::new();
        let account = private_key_jwt(&home);
        let (mut e, out) = env(&home.latch, false, "", false);
        run(&mut e, parsed!(Key, &["key", "pk"])).unwrap();
        let first: serde_json::Value = serde_json::from_str(&out.stdout.text()).unwrap();
        assert_eq!(first["kty"], "EC");
        assert!(first.get("d").is_none(), "no private part");
        assert_eq!(Some(&first), home.latch.public_key(&account).unwrap().as_ref());

        let (mut e, out) = env(&home.latch, false, "", false);
        let refused = run(&mut e, parsed!(Key, &["key", "pk", "--new"])).unwrap_err();
        assert!(refused.message.contains("--yes"), "{}", refused.message);
        assert!(out.stdout.text().is_empty());
        assert_eq!(
            Some(&first),
            home.latch.public_key(&account).unwrap().as_ref(),
            "unchanged"
        );

        let (mut e, out) = env(&home.latch, false, "", false);
        run(&mut e, parsed!(Key, &["key", "pk", "--new", "--yes", "--jwks"])).unwrap();
        let set: serde_json::Value = serde_json::from_str(&out.stdout.text()).unwrap();
        assert_ne!(set["keys"][0]["x"], first["x"], "a new key");
        assert_eq!(Some(&set["keys"][0]), home.latch.public_key(&account).unwrap().as_ref());
    }

    #[test]
    fn an_account_without_a_key_says_so() {
        let home = Home::new();
        add_demo(&home.latch, wordapp_robot(), "robot");
        let (mut e, _) = env(&home.latch, false, "", false);
        let refused = run(&mut e, parsed!(Key, &["key", "robot"])).unwrap_err();
        assert!(refused.message.contains("keeps no private key"), "{}", refused.message);
    }
}
