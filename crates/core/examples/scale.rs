//! Benchmark row 4 (`scripts/bench`): 10,000 accounts under the scheduler,
//! against the fake OAuth 2.0 provider, with sped-up token lifetimes.
//!
//! Every account gets a real token set from the fake (password grant; the
//! fake rotates refresh tokens), with expiries staggered so that refreshes
//! spread over the first half of a lifetime. Then the scheduler runs, as it
//! does in the window, for about one and a half lifetimes, and this checks:
//!
//! - no token is seen expired: each refresh happens before the set it
//!   replaces expires, and at the end every set is valid;
//! - at most one refresh per token lifetime: no account is refreshed before
//!   45 % of its current token's life (half, less the jitter);
//! - no refresh fails, and the provider never has more than
//!   [`MAX_IN_FLIGHT`] requests from Latch in flight;
//! - the process uses next to no CPU while no refresh is due.
//!
//! Secrets go to a `MemoryStore`: the OS keyring is row 1's subject, and
//! gnome-keyring rewrites its whole file on every change, which at 10,000
//! entries measures gnome-keyring, not Latch. The index is the real file.
//!
//! Prints a human summary on stderr and one JSON line on stdout.
//! `--quick`: 1,000 accounts and 40 s tokens, for a smoke run.

use latch_core::Latch;
use latch_core::model::{
    Account, AccountId, AccountSecrets, AccountStatus, ClientAuth, Grant, OAuth2Settings, ProviderSettings,
};
use latch_core::scheduler::{self, BATCH, Event, MAX_IN_FLIGHT};
use latch_core::secret::{ClientSecret, Password};
use latch_core::store::{Index, MemoryStore, SecretStore};
use latch_core::{Engine, EngineConfig};
use latch_sandbox::{Sandbox, SandboxConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

struct Plan {
    accounts: usize,
    lifetime: i64,
    /// Seconds from the start before the first refresh is due: the idle period measured.
    idle_gap: i64,
}

fn now() -> i64 {
    latch_core::time::now()
}

/// User + system CPU time of this process, in milliseconds.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 1000.0 / 100.0 // USER_HZ is 100 on Linux
}

/// A number in 0..n from the OS's randomness (staggering, not security).
fn below(n: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("randomness");
    u64::from_le_bytes(bytes) % n.max(1)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let plan = if quick {
        Plan {
            accounts: 1_000,
            lifetime: 40,
            idle_gap: 8,
        }
    } else {
        Plan {
            accounts: 10_000,
            lifetime: 120,
            idle_gap: 20,
        }
    };
    let life = plan.lifetime;

    let sandbox = Sandbox::start(SandboxConfig::demo()).await.expect("the fakes start");
    let fake = sandbox.oauth2();
    fake.settings().expires_in = life as u64;
    let base = fake.base_url();
    let settings = OAuth2Settings {
        authorize_url: format!("{base}/authorize"),
        token_url: format!("{base}/token"),
        revoke_url: Some(format!("{base}/revoke")),
        client_id: "demo-oauth2-client".into(),
        client_auth: ClientAuth::Basic,
        redirect_uri: "http://127.0.0.1:8976/callback".into(),
        scopes: Vec::new(),
        pkce: false,
        grant: Grant::Password,
        issuer: None,
        require_iss: false,
        api_base: None,
        probe_url: None,
        device_authorization_url: None,
        introspection_url: None,
        jwks_uri: None,
        hand_out: Default::default(),
        requests: Default::default(),
    };

    // Real token sets from the fake, 16 grants at a time.
    eprintln!("scale: getting {} token sets from the fake", plan.accounts);
    let engine = Engine::new(EngineConfig::default()).expect("engine");
    let secrets = AccountSecrets {
        client_secret: Some(ClientSecret::new("demo-oauth2-secret")),
        ..AccountSecrets::default()
    };
    let created = now();
    let mut accounts: Vec<Account> = (0..plan.accounts)
        .map(|n| Account {
            id: AccountId::parse(&format!("scale-{n:05}")).expect("id"),
            label: format!("Scale {n:05}"),
            settings: ProviderSettings::Oauth2(settings.clone()),
            status: AccountStatus::Connected,
            token: None,
            created_at: created,
            sandbox: false,
            store: None,
        })
        .collect();
    let sets = {
        use futures_util::stream::{self, StreamExt};
        stream::iter(&accounts)
            .map(|account| engine.password(account, &secrets, "demo", Password::new("demo-password")))
            .buffered(16)
            .collect::<Vec<_>>()
            .await
    };

    // Staggered: the first refresh falls due `idle_gap` seconds from now, the
    // last half a lifetime from now.
    let memory = Arc::new(MemoryStore::new());
    let start = now();
    let spread = (life / 2 - life / 20 - plan.idle_gap).max(1) as u64;
    let mut expiry: HashMap<AccountId, (i64, i64)> = HashMap::new();
    for (account, set) in accounts.iter_mut().zip(sets) {
        let mut set = set.expect("the fake issues a token set");
        set.obtained_at = start - below(spread) as i64;
        set.expires_at = Some(set.obtained_at + life);
        account.token = Some(set.meta());
        expiry.insert(account.id.clone(), (set.obtained_at, set.obtained_at + life));
        memory
            .put(
                &account.id,
                &AccountSecrets {
                    tokens: Some(set),
                    ..secrets.clone()
                },
            )
            .expect("memory store");
    }
    let home = tempfile::tempdir().expect("home");
    let index_path = home.path().join(latch_core::store::index::FILE_NAME);
    Index {
        accounts,
        stores: Vec::new(),
    }
    .save(&index_path)
    .expect("index written");
    let index_bytes = std::fs::metadata(&index_path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "scale: {} accounts, index {:.1} MiB, tokens living {life} s, first due in ~{} s",
        plan.accounts,
        index_bytes as f64 / 1048576.0,
        plan.idle_gap
    );

    let latch = Arc::new(
        Latch::with_secrets(Some(home.path().to_owned()), memory.clone(), EngineConfig::default()).expect("latch"),
    );
    let requests_before = fake.count("oauth2.token");
    let events: Arc<Mutex<Vec<(i64, Event)>>> = Arc::default();
    let started = Instant::now();
    let scheduler = {
        let (latch, events) = (latch.clone(), events.clone());
        tokio::spawn(async move {
            let wake = Notify::new();
            scheduler::run(&latch, &wake, |event| {
                events.lock().unwrap().push((now(), event));
            })
            .await;
        })
    };

    // Idle: from when the first plan is surely made until just before the first due time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_from = cpu_ms();
    let idle_s = (plan.idle_gap - 4).max(1) as u64;
    tokio::time::sleep(Duration::from_secs(idle_s)).await;
    let idle_cpu = cpu_ms() - idle_from;
    let idle_events = events.lock().unwrap().len();

    // Load: until a lifetime and a half has passed since the start.
    let load_from = cpu_ms();
    let run_for = Duration::from_secs((life + life / 2 + 5) as u64);
    tokio::time::sleep(run_for.saturating_sub(started.elapsed())).await;
    let load_cpu = cpu_ms() - load_from;
    scheduler.abort();
    let seconds = started.elapsed().as_secs_f64();

    // Judge every event against the token set it replaced.
    let events = std::mem::take(&mut *events.lock().unwrap());
    let (mut refreshes, mut expired_seen, mut early, mut failures) = (0u64, 0u64, 0u64, 0u64);
    let mut per_second: HashMap<i64, u64> = HashMap::new();
    let mut by_account: HashMap<AccountId, Vec<i64>> = HashMap::new();
    for (at, event) in &events {
        match event {
            Event::Refreshed(id) => {
                refreshes += 1;
                *per_second.entry(*at).or_default() += 1;
                by_account.entry(id.clone()).or_default().push(*at);
            }
            Event::NeedsReconnect(id, reason) => {
                failures += 1;
                eprintln!("scale: {id} needs reconnecting: {reason}");
            }
            Event::Failed { account, error, .. } => {
                failures += 1;
                eprintln!("scale: refreshing {account} failed: {error}");
            }
        }
    }
    // Replay each account's refreshes: the set each one replaced was issued at
    // the previous refresh (or seeded), living `life` seconds.
    for (id, times) in &by_account {
        let (mut obtained, mut expires) = expiry[id];
        for &at in times {
            if at >= expires {
                expired_seen += 1;
            }
            // Half the life less at most 5 % jitter, in whole seconds.
            if at < obtained + life * 45 / 100 - 1 {
                early += 1;
            }
            obtained = at;
            expires = at + life;
        }
    }
    let end = now();
    let final_accounts = latch.accounts().expect("index loads");
    for account in &final_accounts {
        if account
            .token
            .as_ref()
            .and_then(|t| t.expires_at)
            .is_none_or(|e| e <= end)
        {
            expired_seen += 1;
        }
    }
    let provider_requests = fake.count("oauth2.token") - requests_before;
    let peak_per_second = per_second.values().copied().max().unwrap_or(0);
    let load_seconds = seconds - (2 + idle_s) as f64;
    let max_in_flight = fake.peak_in_flight();
    let cpu_ms_per_refresh = if refreshes > 0 {
        load_cpu / refreshes as f64
    } else {
        0.0
    };
    // "Near zero": under 1 % of one core while nothing is due.
    let idle_ok = idle_cpu <= idle_s as f64 * 1000.0 * 0.01 && idle_events == 0;
    let ok = expired_seen == 0
        && early == 0
        && failures == 0
        && max_in_flight <= MAX_IN_FLIGHT
        && idle_ok
        && refreshes as usize >= plan.accounts
        // Requests the fake saw = refreshes reported, but for the batch cut off at the end.
        && (refreshes..=refreshes + BATCH as u64).contains(&(provider_requests as u64));
    eprintln!(
        "scale: {refreshes} refreshes ({provider_requests} requests at the fake) in {seconds:.0} s, \
         peak {peak_per_second}/s, mean {:.0}/s under load; {expired_seen} seen expired, {early} early, \
         {failures} failed; at most {max_in_flight} in flight; CPU {cpu_ms_per_refresh:.2} ms per refresh, \
         {idle_cpu:.0} ms over {idle_s} s idle",
        refreshes as f64 / load_seconds
    );
    println!(
        "{}",
        serde_json::json!({
            "accounts": plan.accounts,
            "lifetime_s": life,
            "seconds": seconds,
            "refreshes": refreshes,
            "provider_requests": provider_requests,
            "refreshes_per_s": peak_per_second,
            "mean_refreshes_per_s": refreshes as f64 / load_seconds,
            "expired_seen": expired_seen,
            "early_refreshes": early,
            "failures": failures,
            "max_in_flight": max_in_flight,
            "bound": MAX_IN_FLIGHT,
            "cpu_ms_per_refresh": cpu_ms_per_refresh,
            "idle_cpu_ms": idle_cpu,
            "idle_s": idle_s,
            "index_bytes": index_bytes,
            "ok": ok,
        })
    );
    if !ok {
        std::process::exit(1);
    }
}
