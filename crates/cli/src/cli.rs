//! The command line's grammar.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

/// Latch keeps your partner API tokens in the system keyring and hands them to scripts.
///
/// Secrets are stored in the OS keyring (Secret Service on Linux); everything else in
/// $LATCH_HOME (default ~/.local/share/latch). With no command, latch opens the window.
#[derive(Parser, Debug)]
#[command(name = "latch", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Print machine-readable JSON (on commands that print something).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List accounts: id, label, provider, status, time left on the token.
    #[command(
        after_help = "Examples:\n  latch accounts\n  latch --json accounts | jq -r '.[] | select(.status != \"valid\") | .id'\n  latch accounts | cut -f1        # piped: tab-separated rows, no header"
    )]
    Accounts,
    /// Create an account from flags; its secret comes from stdin or an environment variable.
    #[command(
        after_help = "Examples:\n  latch add wazzup --label Shop --client-id ID --email me@shop.example --secret-env WAZZUP_PASSWORD\n  latch add wordapp --label Robot --grant client-credentials --client-id KEY --secret-stdin\n  latch add oauth2 --label Acme --issuer https://auth.acme.example --client-id ID --secret-stdin\n  latch add green-api --label Shop --api-url URL --instance 1101000001 --secret-stdin\n  latch add                        # on a terminal: asks for what is missing\n  latch add wazzup --help          # only the flags Wazzup has"
    )]
    Add(Box<AddArgs>),
    /// Run the account's flow and store its tokens.
    #[command(
        after_help = "Examples:\n  latch connect wazzup-main\n  latch connect wazzup-main --no-browser    # print the address to open elsewhere\n  latch connect robot                       # client credentials: no browser at all"
    )]
    Connect(ConnectArgs),
    /// Print what an OAuth 2.0 server's metadata says (RFC 8414, or OpenID Connect discovery)
    /// and what `latch add oauth2 --issuer` would take from it.
    #[command(
        after_help = "Examples:\n  latch discover https://accounts.google.com\n  latch --json discover https://auth.acme.example | jq .token_endpoint"
    )]
    Discover(DiscoverArgs),
    /// Show one account as the window's Details do: its settings, its token's scope, times and
    /// claims (decoded; never the token itself), and its last hand-out.
    #[command(
        after_help = "Examples:\n  latch show wazzup-main\n  latch --json show acme | jq .details.id_token_claims"
    )]
    Show(AccountArg),
    /// Give an account a new label (its id stays): `latch rename wazzup-main "Wazzup prod"`.
    #[command(after_help = "Examples:\n  latch rename wazzup-main \"Wazzup production\"")]
    Rename(RenameArgs),
    /// Change an account's label or settings (`--set FIELD=VALUE`, the fields of `add`); asks
    /// before its secrets may go to a new server.
    #[command(
        after_help = "Examples:\n  latch edit acme --set scopes=\"openid profile\"\n  latch edit acme --set token_url=https://auth.acme.example/v2/token --yes\n  latch edit wazzup-main --label \"Wazzup production\"\n  latch edit robot --secret-stdin < new-secret.txt"
    )]
    Edit(EditArgs),
    /// Print the public key of a private_key_jwt account as a JWK, to register with the server
    /// (`--new` makes a new key pair).
    #[command(after_help = "Examples:\n  latch key acme --jwks > acme-jwks.json\n  latch key acme --new --yes")]
    Key(KeyArgs),
    /// GREEN-API: link a WhatsApp number to the instance with a code typed on the phone.
    #[command(
        after_help = "Examples:\n  latch link shop --phone \"+44 1234 567890\"\n  latch link shop --logout          # link another number"
    )]
    Link(LinkArgs),
    /// Print a valid access token, refreshing it first if it expires within a minute.
    #[command(
        after_help = "Examples:\n  curl -H \"Authorization: Bearer $(latch token wazzup-main)\" https://api.wazzup24.com/v3/channels\n  latch token acme --min-valid 10m\n  latch --json token acme | jq -r .expires_at"
    )]
    Token(TokenArgs),
    /// Print the headers an API request needs (`Authorization: Bearer <token>`; Wordapp adds
    /// X-Api-Version), refreshing first like `token`: `latch header ID | curl -H @- URL`.
    #[command(after_help = "Examples:\n  latch header wazzup-main | curl -H @- https://api.wazzup24.com/v3/channels")]
    Header(TokenArgs),
    /// Call the account's API, authenticated the way the provider wants it: `latch api ID
    /// /v2/channels`, `latch api ID POST /path --data @body.json`, `latch api GREEN
    /// getStateInstance`. A 401 makes Latch refresh once and retry once.
    #[command(
        after_help = "Examples:\n  latch api wazzup-main /v3/channels\n  latch api robot POST /v1/articles --data @article.json\n  latch api shop getStateInstance\n  latch api acme -i https://api.acme.example/me"
    )]
    Api(ApiArgs),
    /// Run a command with the accounts' credentials in its environment (e.g. WAZZUP_MAIN_TOKEN),
    /// and a local endpoint that hands it the current token for as long as it runs.
    #[command(
        after_help = "Examples:\n  latch exec wazzup-main -- ./sync.sh\n  latch exec wazzup-main=TOKEN acme -- python job.py"
    )]
    Exec(ExecArgs),
    /// Print the variables `exec` sets, for `eval` or a file (they are secrets).
    #[command(
        after_help = "Examples:\n  eval \"$(latch env wazzup-main)\"\n  latch env acme --format dotenv > .env.local"
    )]
    Env(EnvArgs),
    /// Every account with its state, time left, last refresh and last use; `--check` asks
    /// each provider whether the token still works. Exit 4 when an account needs a person.
    #[command(after_help = "Examples:\n  latch status\n  latch status --check || echo \"an account needs a person\"")]
    Status(StatusArgs),
    /// Refresh the account's token now.
    #[command(after_help = "Examples:\n  latch refresh acme")]
    Refresh(AccountArg),
    /// Who took which token: the hand-outs (token, header, the window's copy…), newest last.
    #[command(after_help = "Examples:\n  latch log\n  latch log wazzup-main --limit 10")]
    Log(LogArgs),
    /// Revoke the tokens at the provider (where it can) and delete them locally.
    #[command(after_help = "Examples:\n  latch revoke acme\n  latch revoke acme --yes")]
    Revoke(ConfirmArgs),
    /// Forget an account: delete its keyring entry and its settings. Sends nothing to the provider.
    /// An account in a shared store stays there for the other machines unless --delete-shared.
    #[command(
        after_help = "Examples:\n  latch remove old-shop\n  latch remove old-shop --yes\n  latch remove team-shop --delete-shared --yes   # also from Vault, for every machine"
    )]
    Remove(RemoveArgs),
    /// The OpenBao / HashiCorp Vault stores accounts can keep their secrets in, shared with
    /// servers and colleagues: add, list, log in, attach an account, remove.
    #[command(
        subcommand,
        after_help = "Examples:\n  latch store add team --address https://vault.example.com:8200\n  bao token create -policy=latch -field=token | latch store login team --token-stdin\n  latch edit wazzup-main --store team       # move an account's secrets there\n  latch store attach team wazzup-main       # on another machine: use it there too\n  latch store list"
    )]
    Store(StoreCommand),
    /// Write the accounts' settings (never a secret, never a token) as JSON a team can keep in
    /// git: `latch export > accounts.json`, or some of them by id.
    #[command(
        after_help = "Examples:\n  latch export -o team-accounts.json\n  latch export wazzup-main acme > two.json"
    )]
    Export(ExportArgs),
    /// Add the accounts of a file `latch export` wrote, asking for each one's secret.
    #[command(
        after_help = "Examples:\n  latch import team-accounts.json\n  printf '%s\\n' \"$SECRET_1\" \"$SECRET_2\" | latch import team-accounts.json"
    )]
    Import(ImportArgs),
    /// Run fake Wazzup, PayU, Wordapp, GREEN-API and OAuth 2.0 servers on 127.0.0.1 to try Latch.
    #[command(
        after_help = "Examples:\n  latch sandbox --add-accounts     # then: latch connect sandbox-wazzup\n  latch sandbox --any-port"
    )]
    Sandbox {
        /// Let the OS pick the ports instead of 8971-8975.
        #[arg(long)]
        any_port: bool,
        /// Also add the demo accounts the window's "Try the sandbox" adds, pointed at these fakes.
        #[arg(long)]
        add_accounts: bool,
    },
    /// Check what Latch depends on: the keyring, the data directory, the URL scheme, the sandbox's
    /// ports and the clock. Each line says what was found and what to do.
    #[command(after_help = "Examples:\n  latch doctor\n  latch --json doctor")]
    Doctor(DoctorArgs),
    /// Print the shell's completion script (bash, zsh, fish, elvish, powershell): commands, flags
    /// and the account ids of this computer, asked from `latch` as you type.
    #[command(
        after_help = "Examples:\n  echo 'source <(latch completions bash)' >> ~/.bashrc\n  latch completions fish > ~/.config/fish/completions/latch.fish\n  echo 'source <(latch completions zsh)' >> ~/.zshrc"
    )]
    Completions { shell: clap_complete::Shell },
}

/// The accounts whose id starts with what is typed, each with its label, for
/// the shell's completion (clap's dynamic completion: the shell runs
/// `latch` itself). Reads only the index, never the keyring; says nothing
/// when there is no data directory.
fn account_ids(typed: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let typed = typed.to_string_lossy();
    let Ok(latch) = latch_core::Latch::open(None) else {
        return Vec::new();
    };
    latch
        .accounts()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.id.as_str().starts_with(typed.as_ref()))
        .map(|a| CompletionCandidate::new(a.id.as_str()).help(Some(a.label.into())))
        .collect()
}

#[derive(Args, Debug)]
pub struct AccountArg {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
}

/// How long a token must stay valid: `90s`, `5m`, `1h`, or seconds.
pub fn duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write 90s, 5m or 1h"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("`{text}` is not a duration: write 90s, 5m or 1h")),
    };
    if seconds > 24 * 3600 {
        return Err(format!(
            "`{text}` is longer than a day; no token Latch knows lives that long"
        ));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// Refresh first unless the token stays valid this long (90s, 5m, 1h).
    #[arg(long, value_parser = duration, default_value = "60s", value_name = "DURATION")]
    pub min_valid: std::time::Duration,
    /// Refresh now, whatever the token's time left.
    #[arg(long, conflicts_with = "min_valid")]
    pub force_refresh: bool,
}

#[derive(Args, Debug)]
pub struct ApiArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// `[METHOD] PATH_OR_URL`: a path on the account's API (joined to its API base), a whole
    /// URL on one of the account's servers, or GREEN-API's method name. METHOD defaults to GET
    /// (POST with --data).
    #[arg(required = true, num_args = 1..=2, value_name = "[METHOD] PATH")]
    pub request: Vec<String>,
    /// The request body: text, `@FILE`, or `@-` for stdin. Sent as JSON unless -H sets a
    /// Content-Type.
    #[arg(long, short = 'd', value_name = "DATA")]
    pub data: Option<String>,
    /// An extra header, `Name: value` (repeatable). Latch sets the credential itself.
    #[arg(long = "header", short = 'H', value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Print the status line and the answer's headers before its body.
    #[arg(long, short = 'i')]
    pub include: bool,
    /// Refresh first unless the token stays valid this long.
    #[arg(long, value_parser = duration, default_value = "60s", value_name = "DURATION")]
    pub min_valid: std::time::Duration,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// `ACCOUNT` or `ACCOUNT=VAR` (VAR names the token's variable), one or more.
    #[arg(required = true, value_name = "ACCOUNT[=VAR]", add = ArgValueCompleter::new(account_ids))]
    pub accounts: Vec<String>,
    /// Each token stays valid at least this long when the command starts.
    #[arg(long, value_parser = duration, default_value = "5m", value_name = "DURATION")]
    pub min_valid: std::time::Duration,
    /// Run even inside another `latch exec` (its variables are replaced).
    #[arg(long)]
    pub nested: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EnvFormat {
    Sh,
    Dotenv,
    Json,
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    /// `ACCOUNT` or `ACCOUNT=VAR`, one or more.
    #[arg(required = true, value_name = "ACCOUNT[=VAR]", add = ArgValueCompleter::new(account_ids))]
    pub accounts: Vec<String>,
    /// `sh` (export lines for eval), `dotenv`, or `json`.
    #[arg(long, value_enum, default_value = "sh")]
    pub format: EnvFormat,
    /// Each token stays valid at least this long.
    #[arg(long, value_parser = duration, default_value = "5m", value_name = "DURATION")]
    pub min_valid: std::time::Duration,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Only these accounts (ids or labels); all by default.
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub accounts: Vec<String>,
    /// Ask each provider whether the token works (one test call per account); a dead token
    /// turns the account to "needs reconnect".
    #[arg(long)]
    pub check: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Check these ports instead of 8971-8975, in the fakes' order (tests).
    #[arg(long, hide = true, value_delimiter = ',', value_name = "PORT,...")]
    pub sandbox_ports: Option<Vec<u16>>,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    /// Only this account's hand-outs (its id or label; the id of a removed account works too).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: Option<String>,
    /// How many of the latest hand-outs to show.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct ConfirmArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// For an account in a shared store: delete its entry there too, so that every machine
    /// that uses it loses it.
    #[arg(long)]
    pub delete_shared: bool,
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Add (or change) a named OpenBao / Vault store: where it is, never its credential.
    Add(StoreAddArgs),
    /// The stores there are, and which accounts keep their secrets in each.
    List,
    /// Save the store's credential in the keyring: a token, or an AppRole's role id and secret id.
    /// On a server without a keyring, set VAULT_TOKEN (or VAULT_ROLE_ID and VAULT_SECRET_ID).
    Login(StoreLoginArgs),
    /// Add an account that another machine put in the store (its settings come from there).
    Attach {
        /// The store's name.
        store: String,
        /// The account's id.
        account: String,
    },
    /// Remove a store no account uses, and its saved credential. Nothing in Vault is touched.
    Remove {
        /// The store's name.
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct StoreAddArgs {
    /// A name for it: `--store NAME` and `vault:NAME` name it.
    pub name: String,
    /// The server: https://host:port (plain http only to 127.0.0.1). Default: VAULT_ADDR.
    #[arg(long)]
    pub address: Option<String>,
    /// The KV version 2 mount.
    #[arg(long, default_value = "secret")]
    pub mount: String,
    /// The path under the mount where Latch keeps its entries.
    #[arg(long, default_value = "latch")]
    pub prefix: String,
    /// The namespace (Vault Enterprise, OpenBao), where the server has them. Default: VAULT_NAMESPACE.
    #[arg(long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub login: StoreCredentialArgs,
}

#[derive(Args, Debug)]
pub struct StoreLoginArgs {
    /// The store's name.
    pub name: String,
    #[command(flatten)]
    pub login: StoreCredentialArgs,
}

#[derive(Args, Debug)]
pub struct StoreCredentialArgs {
    /// A Vault token from the first line of stdin, saved in the keyring.
    #[arg(long, conflicts_with = "role_id")]
    pub token_stdin: bool,
    /// An AppRole's role id; its secret id is the first line of stdin. Saved in the keyring.
    #[arg(long, value_name = "ROLE_ID")]
    pub role_id: Option<String>,
    /// Where the AppRole auth method is mounted.
    #[arg(long, default_value = "approle", requires = "role_id")]
    pub approle_mount: String,
}

#[derive(Args, Debug)]
pub struct RenameArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// The new label.
    pub label: String,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Only these accounts (ids or labels); all by default.
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub accounts: Vec<String>,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A file `latch export` wrote. What it cannot hold (each account's secret) is asked for:
    /// on a terminal with a prompt, else one line of stdin per value, in the file's order.
    pub file: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct EditArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// A new label.
    #[arg(long)]
    pub label: Option<String>,
    /// A field of the provider's form, by its name (e.g. token_url, base_url, scopes); an empty
    /// value clears an optional one. Repeatable. The secret is changed with --secret-stdin.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// A new secret from the first line of stdin (the client_secret; Wazzup: the partner
    /// password; GREEN-API: the apiTokenInstance). The tokens stay.
    #[arg(long, conflicts_with = "secret_env")]
    pub secret_stdin: bool,
    /// A new secret from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// OAuth 2.0 with private_key_jwt: a new private key (an unencrypted PEM) from this file.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["secret_stdin", "secret_env"])]
    pub private_key_file: Option<std::path::PathBuf>,
    /// Move the account's secrets to another store: a named Vault store (`team`, or
    /// `vault:team`), shared from then on, or `keyring`.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// Do not ask before sending the account's secrets to a new server (needed when stdin is
    /// not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// Print the sign-in URL instead of opening the browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the browser, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub timeout: u64,
    /// For the password grant: the username or e-mail (default: the account's).
    #[arg(long)]
    pub username: Option<String>,
    /// When the account's server changed since its secrets were stored: send them to the new
    /// server without asking (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// The WhatsApp number with its country code, e.g. "+44 1234 567890" (default: the account's).
    #[arg(long)]
    pub phone: Option<String>,
    /// When a number is linked already: log it out first, then link.
    #[arg(long)]
    pub logout: bool,
    /// Pause between two reads of the instance's state, in milliseconds (tests).
    #[arg(long, hide = true, value_name = "MS")]
    pub poll_ms: Option<u64>,
    /// The code's lifetime, in milliseconds, instead of GREEN-API's 2.5 minutes (tests).
    #[arg(long, hide = true, value_name = "MS")]
    pub lifetime_ms: Option<u64>,
}

/// The providers `add` takes, by the ids the core's registry gives them.
fn provider_ids() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        latch_core::providers::registry::ALL.map(|kind| clap::builder::PossibleValue::new(kind.id())),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GrantArg {
    AuthorizationCode,
    Password,
    ClientCredentials,
    /// RFC 8628: a code typed on the server's page (Other OAuth 2.0).
    DeviceCode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EnvironmentArg {
    Uat,
    Production,
}

#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// The server's issuer, e.g. https://auth.example.com (plain http only to 127.0.0.1).
    pub issuer: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClientAuthArg {
    /// The client secret in a Basic header (client_secret_basic).
    Basic,
    /// The client secret in the form body (client_secret_post).
    Body,
    /// An assertion signed with the client secret, which is never sent (client_secret_jwt).
    SecretJwt,
    /// An assertion signed with a private key (private_key_jwt): Latch makes the key pair
    /// unless --private-key-file gives one, and prints the public key to register.
    PrivateKeyJwt,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// wazzup, payu, green-api, wordapp or oauth2 (asked for on a terminal when left out).
    #[arg(value_parser = provider_ids())]
    pub provider: Option<String>,
    /// A name you will recognise (asked for on a terminal when left out).
    #[arg(long)]
    pub label: Option<String>,
    /// The account's id (default: made from the label).
    #[arg(long)]
    pub id: Option<String>,
    /// Keep the secrets in a named Vault store (`latch store add`), shared with other machines:
    /// `team` or `vault:team`. Default: the OS keyring.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// The client_id (Wazzup, PayU, Wordapp, OAuth 2.0).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Where the provider sends the browser back: http://127.0.0.1[:port]/path (Latch listens),
    /// app.latch.desktop:/oauth/callback/{account} (the window catches it; the default, {account}
    /// becoming the account's id), or your website (paste the URL).
    #[arg(long)]
    pub redirect_uri: Option<String>,
    /// Scopes, comma- or space-separated (Wazzup default: transport,crm).
    #[arg(long)]
    pub scopes: Option<String>,
    /// How the account gets its tokens.
    #[arg(long, value_enum)]
    pub grant: Option<GrantArg>,
    /// Wazzup or Wordapp server (default: the provider's).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Wazzup: the partner's login e-mail (the password is the secret).
    #[arg(long)]
    pub email: Option<String>,
    /// PayU environment (default: uat).
    #[arg(long, value_enum)]
    pub environment: Option<EnvironmentArg>,
    /// PayU: the accounts (token) server, instead of the environment's.
    #[arg(long)]
    pub accounts_url: Option<String>,
    /// PayU: the onboarding (consent) server, instead of the environment's.
    #[arg(long)]
    pub onboarding_url: Option<String>,
    /// PayU: your reseller id, sent on the consent page.
    #[arg(long)]
    pub reseller_id: Option<String>,
    /// Wordapp: the username or e-mail for the password grant.
    #[arg(long)]
    pub username: Option<String>,
    /// Wordapp: the X-Api-Version header value.
    #[arg(long)]
    pub api_version: Option<String>,
    /// OAuth 2.0: the server's issuer URL. Latch reads its metadata (RFC 8414, else OpenID
    /// Connect discovery) and fills in the endpoints, PKCE, client authentication and `iss`
    /// checking; flags given as well win.
    #[arg(long)]
    pub issuer: Option<String>,
    /// OAuth 2.0: the authorization endpoint.
    #[arg(long)]
    pub authorize_url: Option<String>,
    /// OAuth 2.0: the token endpoint.
    #[arg(long)]
    pub token_url: Option<String>,
    /// OAuth 2.0: the revocation endpoint (RFC 7009).
    #[arg(long)]
    pub revoke_url: Option<String>,
    /// OAuth 2.0: how the client authenticates (default: basic).
    #[arg(long, value_enum)]
    pub client_auth: Option<ClientAuthArg>,
    /// OAuth 2.0: turn PKCE off (on by default).
    #[arg(long)]
    pub no_pkce: bool,
    /// GREEN-API: the apiUrl from the console.
    #[arg(long)]
    pub api_url: Option<String>,
    /// GREEN-API: the idInstance.
    #[arg(long)]
    pub instance: Option<u64>,
    /// GREEN-API: the WhatsApp phone number to link.
    #[arg(long)]
    pub phone: Option<String>,
    /// Any field of the provider's connect form, by its name (`latch add <provider> --help`
    /// lists the flags; the window's form has the same fields). Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Read the account's secret from the first line of stdin (the client_secret; Wazzup: the
    /// partner password; GREEN-API: the apiTokenInstance).
    #[arg(long, conflicts_with = "secret_env")]
    pub secret_stdin: bool,
    /// Read the account's secret from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// OAuth 2.0 with private_key_jwt: the private key (an unencrypted PEM, EC P-256 or RSA)
    /// to copy into the keyring; without it Latch makes a key pair.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["secret_stdin", "secret_env"])]
    pub private_key_file: Option<std::path::PathBuf>,
}

/// `latch add <provider> --help`: the help of `add` with only the flags that
/// provider takes (its connect form's fields, as the core's catalogue has
/// them, and the ways to give its secret), and its `--set` field names.
/// `None` for a name that is no provider's.
pub fn add_help_for(provider: &str) -> Option<clap::Command> {
    use clap::CommandFactory;
    let kind = latch_core::model::ProviderKind::from_id(provider)?;
    let info = latch_core::providers::registry::entry(kind);
    let flags: Vec<String> = info.fields.iter().map(|f| f.flag()).collect();
    let has_secret = info
        .fields
        .iter()
        .any(|f| f.kind == latch_core::providers::catalogue::FieldKind::Secret);
    let always = ["label", "id", "store", "set", "help", "json", "version"];
    let secret = ["secret-stdin", "secret-env"];
    let add = Cli::command().find_subcommand("add")?.clone();
    let ids: Vec<String> = add.get_arguments().map(|a| a.get_id().to_string()).collect();
    let mut add = add
        .bin_name(format!("latch add {provider}"))
        .override_usage(format!("latch add {provider} [OPTIONS]"));
    for id in ids {
        let Some(arg) = add.get_arguments().find(|a| a.get_id() == id.as_str()) else {
            continue;
        };
        let long = arg.get_long().unwrap_or_default().to_owned();
        let shown = always.contains(&long.as_str())
            || flags.contains(&long)
            || (long == "no-pkce" && flags.iter().any(|f| f == "pkce"))
            || (has_secret && secret.contains(&long.as_str()))
            || (long == "private-key-file" && kind == latch_core::model::ProviderKind::Oauth2);
        if !shown || arg.is_positional() {
            add = add.mut_arg(id.as_str(), |a| a.hide(true));
        }
    }
    let names: Vec<&str> = info
        .fields
        .iter()
        .filter(|f| f.kind != latch_core::providers::catalogue::FieldKind::Secret)
        .map(|f| f.name)
        .collect();
    Some(
        add.about(format!("Create a {} account from flags.", info.name))
            .after_help(format!("Its fields for --set: {}.", names.join(", "))),
    )
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// The account's id (or its label).
    #[arg(add = ArgValueCompleter::new(account_ids))]
    pub account: String,
    /// Make a new key pair, replacing the one in the keyring: the server then refuses the
    /// account until it has the new public key.
    #[arg(long)]
    pub new: bool,
    /// Print a JWK Set (`{"keys": [...]}`), as a server's client registration takes it.
    #[arg(long)]
    pub jwks: bool,
    /// With --new: do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Issue 19: no command's help had an example.
    #[test]
    fn every_command_shows_examples_in_its_help() {
        let cli = super::Cli::command();
        for command in cli.get_subcommands() {
            let after = command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(
                after.starts_with("Examples:\n  latch")
                    || after.starts_with("Examples:\n  curl")
                    || after.starts_with("Examples:\n  eval")
                    || after.starts_with("Examples:\n  echo"),
                "`latch {} --help` has no examples",
                command.get_name()
            );
        }
    }

    #[test]
    fn each_provider_help_hides_the_flags_it_does_not_take() {
        for kind in latch_core::providers::registry::ALL {
            let mut help = super::add_help_for(kind.id()).expect("a provider's help");
            let text = help.render_help().to_string();
            assert!(
                text.contains("--label") && text.contains("--set"),
                "{}: {text}",
                kind.id()
            );
            let shown = text.lines().filter(|l| l.trim_start().starts_with("--")).count();
            assert!(shown < 20, "{} shows {shown} flags", kind.id());
        }
        assert!(super::add_help_for("nope").is_none());
    }
}
