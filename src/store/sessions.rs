//! Admin sessions, server-side: a random 256-bit id in the cookie, and in Redis, under
//! the id's digest, the session's CSRF token. The TTL slides with use, and logout deletes
//! the key, so a stolen cookie stops working at once on every instance.

use super::Store;
use crate::error::Result;
use redis::AsyncCommands;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// A session id as found in (or sent in) the cookie.
pub struct SessionId(SecretString);

impl SessionId {
    fn generate() -> SessionId {
        SessionId(SecretString::from(random_hex()))
    }

    /// Takes a cookie's value; anything but 64 hex characters is no session.
    pub fn parse(raw: &str) -> Option<SessionId> {
        let valid = raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| SessionId(SecretString::from(raw.to_owned())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.expose().as_bytes()))
    }
}

/// A live session: its id and the CSRF token its forms must carry.
pub struct Session {
    pub id: SessionId,
    pub csrf: SecretString,
}

/// 256 random bits, hex.
pub fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Store {
    /// Starts a session with a fresh id (never one the client chose: no fixation).
    pub async fn create_session(&self, ttl: Duration, now_ms: i64) -> Result<Session> {
        let session = Session { id: SessionId::generate(), csrf: SecretString::from(random_hex()) };
        let key = self.keys.admin_session(&session.id.digest());
        let () = redis::pipe()
            .atomic()
            .hset_multiple(&key, &[("csrf", session.csrf.expose_secret().to_owned()), ("created", now_ms.to_string())])
            .ignore()
            .expire(&key, ttl.as_secs() as i64)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(session)
    }

    /// The session of `id` if it is live, and its TTL renewed (a sliding expiry).
    pub async fn touch_session(&self, id: SessionId, ttl: Duration) -> Result<Option<Session>> {
        let key = self.keys.admin_session(&id.digest());
        let (csrf, _): (Option<String>, bool) = redis::pipe()
            .hget(&key, "csrf")
            .expire(&key, ttl.as_secs() as i64)
            .query_async(&mut self.conn())
            .await?;
        Ok(csrf.map(|csrf| Session { id, csrf: SecretString::from(csrf) }))
    }

    /// Ends a session on every instance.
    pub async fn delete_session(&self, id: &SessionId) -> Result<()> {
        let () = self.conn().del(self.keys.admin_session(&id.digest())).await?;
        Ok(())
    }
}
