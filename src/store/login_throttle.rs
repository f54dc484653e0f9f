//! Failed admin logins per client, so that guessing the password is slow. Clients are
//! keyed hashes of their address; the counter expires a while after the first failure.

use super::Store;
use crate::error::Result;
use redis::AsyncCommands;
use std::time::Duration;

impl Store {
    /// Failed logins of `client` in its current window.
    pub async fn login_failures(&self, client: &str) -> Result<u64> {
        let count: Option<u64> = self.conn().get(self.keys.admin_login_failures(client)).await?;
        Ok(count.unwrap_or(0))
    }

    /// Counts a failed login; the window starts at the first failure and is not extended
    /// by later ones, so a client is locked out for at most `window`.
    pub async fn record_login_failure(&self, client: &str, window: Duration) -> Result<()> {
        let key = self.keys.admin_login_failures(client);
        let () = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("EX")
            .arg(window.as_secs())
            .arg("NX")
            .ignore()
            .incr(&key, 1)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Forgets a client's failures after a successful login.
    pub async fn clear_login_failures(&self, client: &str) -> Result<()> {
        let () = self.conn().del(self.keys.admin_login_failures(client)).await?;
        Ok(())
    }
}
