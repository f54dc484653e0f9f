//! The daily secret behind visitor hashes, shared by every instance through Redis.

use super::Store;

impl Store {
    /// The secret of `day`: `candidate` if no instance has set one yet, else theirs. It
    /// expires at `expire_at` (unix seconds), after which that day's hashes cannot be linked
    /// to anything.
    pub async fn day_secret(&self, day: &str, candidate: &str, expire_at: i64) -> Result<String, redis::RedisError> {
        let key = self.keys.day_secret(day);
        let (secret,): (String,) = redis::pipe()
            .cmd("SET")
            .arg(&key)
            .arg(candidate)
            .arg("NX")
            .arg("EXAT")
            .arg(expire_at)
            .ignore()
            .get(&key)
            .query_async(&mut self.conn())
            .await?;
        Ok(secret)
    }
}
