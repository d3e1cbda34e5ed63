//! Fetching a server's metadata from its issuer ([`crate::providers::discovery`]
//! builds the URLs and reads the answer).
//!
//! The RFC 8414 document first; only when the server answers it with an
//! error status (most often 404) is OpenID Connect's tried. A document that
//! comes back and is wrong (another issuer, an http endpoint) is refused at
//! once, not passed over for the other one: a server that lies in one place
//! is not trusted in the other. The request carries nothing secret, and goes
//! through the engine's one client: timeouts, the size cap, no redirects.

use super::Engine;
use crate::error::Error;
use crate::providers::discovery::{ServerMetadata, read_metadata, well_known_urls};

impl Engine {
    /// The metadata of the server whose issuer is `issuer`.
    pub async fn discover(&self, issuer: &str) -> Result<ServerMetadata, Error> {
        let issuer = issuer.trim();
        let mut statuses = Vec::new();
        for url in well_known_urls(issuer)? {
            let request = self.http.client().get(url.clone()).header("accept", "application/json");
            let answer = self.http.send(issuer, request).await?;
            if answer.is_success() {
                return read_metadata(issuer, &url, &answer);
            }
            statuses.push(format!("{url} answered HTTP {}", answer.status));
        }
        Err(Error::InvalidInput(format!(
            "{issuer} publishes no metadata Latch can find ({}); check the issuer URL, or enter the endpoints by hand.",
            statuses.join(", ")
        )))
    }
}
