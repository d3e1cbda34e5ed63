//! `latch exec`'s token endpoint: while the child runs, it can ask for the
//! account's current credential at any time, so a process that outlives a
//! token (Wordapp kills the old one on every refresh) keeps working.
//!
//! `GET {LATCH_EXEC_URL}/token/{account}` with `Authorization: Bearer
//! {LATCH_EXEC_KEY}` answers the credential as plain text (refreshed first
//! unless it lives another `min_validity`). Everyone on the machine can
//! reach 127.0.0.1, so an answer needs all of:
//!
//! - the key: 32 random bytes, only in the child's environment (which only
//!   its user can read); compared in constant time;
//! - on Linux, a connection from a process of this user: the peer's socket
//!   is looked up in `/proc/net/tcp`, so a key that leaked (a child that put
//!   it in a `curl` argv, which `ps` shows) is of no use to another user;
//! - `Host: 127.0.0.1:PORT` and no `Origin`: a web page cannot use it through
//!   DNS rebinding, and a browser's request is refused outright;
//! - one of the accounts given to `exec`, nothing else.
//!
//! The endpoint lives exactly as long as the future it serves beside
//! ([`TokenEndpoint::serve_until`]): when the child exits, the port closes.

use crate::error::Error;
use crate::latch::Latch;
use crate::model::Account;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::future::Future;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The variable that holds the endpoint's address; its presence also says
/// "inside `latch exec`".
pub const URL_VAR: &str = "LATCH_EXEC_URL";
/// The variable that holds the endpoint's key.
pub const KEY_VAR: &str = "LATCH_EXEC_KEY";

const MAX_HEAD: usize = 8 * 1024;
const HEAD_TIMEOUT: Duration = Duration::from_secs(2);

pub struct TokenEndpoint {
    listener: TcpListener,
    port: u16,
    key: String,
}

impl TokenEndpoint {
    /// Listens on 127.0.0.1, on a port the OS picks, with a fresh key.
    pub async fn bind() -> Result<Self, Error> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::InvalidInput(format!("Latch could not open its token endpoint on 127.0.0.1 ({e}).")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::InvalidInput(format!("Latch could not open its token endpoint ({e}).")))?
            .port();
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::InvalidInput(format!("The system's random source failed ({e}).")))?;
        let key = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self { listener, port, key })
    }

    /// `http://127.0.0.1:PORT`, the child's [`URL_VAR`].
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The child's [`KEY_VAR`].
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Answers requests for `accounts` until `until` completes, and returns
    /// its output; the listener closes with `self`.
    pub async fn serve_until<F: Future>(
        &self,
        latch: &Latch,
        accounts: &[Account],
        min_validity: Duration,
        until: F,
    ) -> F::Output {
        let mut until = std::pin::pin!(until);
        let mut connections = FuturesUnordered::new();
        loop {
            tokio::select! {
                output = &mut until => return output,
                accepted = self.listener.accept() => {
                    if let Ok((stream, peer)) = accepted {
                        connections.push(self.answer(stream, peer.port(), latch, accounts, min_validity));
                    }
                }
                Some(()) = connections.next(), if !connections.is_empty() => {}
            }
        }
    }

    async fn answer(
        &self,
        mut stream: TcpStream,
        peer_port: u16,
        latch: &Latch,
        accounts: &[Account],
        min_validity: Duration,
    ) {
        let (status, body) = match self.judge(&mut stream, peer_port, accounts).await {
            Err(status) => (status, String::new()),
            Ok(account) => match credential(latch, account, min_validity).await {
                Ok(credential) => ("200 OK", credential),
                // The core's messages hold no secret.
                Err(e) => ("503 Service Unavailable", e.to_string()),
            },
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    /// The account a request may have, or the status that refuses it.
    async fn judge<'a>(
        &self,
        stream: &mut TcpStream,
        peer_port: u16,
        accounts: &'a [Account],
    ) -> Result<&'a Account, &'static str> {
        if peer_uid(peer_port, self.port).is_some_and(|uid| uid != own_uid()) {
            return Err("403 Forbidden");
        }
        let head = tokio::time::timeout(HEAD_TIMEOUT, read_head(stream))
            .await
            .map_err(|_| "408 Request Timeout")?
            .ok_or("400 Bad Request")?;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_))) || request.method != Some("GET") {
            return Err("400 Bad Request");
        }
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value)
        };
        if header("origin").is_some() || header("host") != Some(format!("127.0.0.1:{}", self.port).as_bytes()) {
            return Err("403 Forbidden");
        }
        let expected = format!("Bearer {}", self.key);
        let authorized = header("authorization").is_some_and(|got| bool::from(got.ct_eq(expected.as_bytes())));
        if !authorized {
            return Err("401 Unauthorized");
        }
        let id = request
            .path
            .unwrap_or_default()
            .strip_prefix("/token/")
            .unwrap_or_default();
        accounts.iter().find(|a| a.id.as_str() == id).ok_or("404 Not Found")
    }
}

/// The account's credential, as `exec` first handed it: the first of its
/// variables.
async fn credential(latch: &Latch, account: &Account, min_validity: Duration) -> Result<String, Error> {
    let vars = latch.credential_vars(account, min_validity).await?;
    Ok(vars.into_iter().next().map(|(_, value)| value).unwrap_or_default())
}

/// The request head, at most [`MAX_HEAD`] bytes; `None` when it is longer
/// or the connection closes first.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Some(head)
}

#[cfg(unix)]
fn own_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn own_uid() -> u32 {
    0
}

/// The uid owning the client end of a loopback connection from
/// `peer_port` to `our_port`, from `/proc/net/tcp`; `None` where there is
/// no such table (not Linux) or no such line.
fn peer_uid(peer_port: u16, our_port: u16) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    uid_in_table(&table, peer_port, our_port)
}

/// `/proc/net/tcp`'s line whose local end is 127.0.0.1:`peer_port` and whose
/// remote end is 127.0.0.1:`our_port`: its uid column.
fn uid_in_table(table: &str, peer_port: u16, our_port: u16) -> Option<u32> {
    let local = format!("0100007F:{peer_port:04X}");
    let remote = format!("0100007F:{our_port:04X}");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&local.as_str()) && fields.get(2) == Some(&remote.as_str()))
            .then(|| fields.get(7)?.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:9C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D431 0100007F:9C41 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:9C41 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    fn the_client_end_of_the_connection_names_its_user() {
        // 0x9C41 = 40001 (the endpoint), 0xD431 = 54321 (the client).
        assert_eq!(uid_in_table(TABLE, 54321, 40001), Some(1001));
        assert_eq!(uid_in_table(TABLE, 54322, 40001), None);
        assert_eq!(
            uid_in_table(TABLE, 40001, 54321),
            Some(0),
            "the other direction is the server's end"
        );
    }
}
