//! The spool: batches that could not be written to Redis wait here, one file each, until
//! Redis is back. Files are written to a temporary name, synced and renamed, so a crash
//! leaves either a whole batch or none. Batches hold no IP address (visitors are hashed).

use crate::store::clicks::ClickBatch;
use std::io;
use std::path::{Path, PathBuf};

/// A folder of spooled batches, replayed oldest first.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn open(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        Ok(Spool { dir: dir.to_owned() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a batch durably.
    pub async fn save(&self, batch: &ClickBatch) -> io::Result<()> {
        let json = serde_json::to_vec(batch)?;
        let name = format!("{:020}-{}.json", crate::domain::click::now_ms(), batch.id);
        let temp = self.dir.join(format!(".{name}.tmp"));
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temp, dir.join(name))?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Spooled batch files, oldest first.
    pub async fn pending(&self) -> io::Result<Vec<PathBuf>> {
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        let mut files = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") && !entry.file_name().to_string_lossy().starts_with('.') {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    pub async fn load(&self, path: &Path) -> io::Result<ClickBatch> {
        let bytes = tokio::fs::read(path).await?;
        serde_json::from_slice(&bytes).map_err(io::Error::other)
    }

    pub async fn remove(&self, path: &Path) -> io::Result<()> {
        tokio::fs::remove_file(path).await
    }
}
