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
    /// Opens (creating) the folder, and recovers the batch a crash left half-saved.
    pub fn open(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let spool = Spool { dir: dir.to_owned() };
        spool.recover_temporaries()?;
        Ok(spool)
    }

    /// A process killed between writing a batch and renaming it leaves a temporary file.
    /// When it holds a whole batch, the batch is kept (a replay of a batch that reached
    /// Redis anyway is a no-op); a torn one is set aside as `.bad`, never replayed.
    fn recover_temporaries(&self) -> io::Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let Some(batch_name) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else { continue };
            let whole = std::fs::read(&path).ok().is_some_and(|bytes| serde_json::from_slice::<ClickBatch>(&bytes).is_ok());
            if whole {
                tracing::warn!(file = batch_name, "recovered a spooled batch whose save was cut off");
                std::fs::rename(&path, self.dir.join(batch_name))?;
            } else {
                tracing::error!(file = batch_name, "a spooled batch was cut off mid-write; set aside as .bad");
                std::fs::rename(&path, self.dir.join(batch_name).with_extension("bad"))?;
            }
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Notes `current` as the process whose held counter sums are kept in Redis under its
    /// name (held_counters.rs), and returns the processes noted before it: their sums, if any
    /// are left, are for this process to write. Synced, like a spooled batch.
    pub fn note_incarnation(&self, current: Option<&str>) -> io::Result<Vec<String>> {
        let earlier = match std::fs::read_to_string(self.incarnations()) {
            Ok(text) => text.lines().map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        if current.is_some() || !earlier.is_empty() {
            let mut noted = earlier.clone();
            noted.extend(current.map(str::to_owned));
            self.write_incarnations(&noted)?;
        }
        Ok(earlier)
    }

    /// Forgets every process but `current`, once the earlier ones' sums are written.
    pub fn keep_incarnation(&self, current: Option<&str>) -> io::Result<()> {
        self.write_incarnations(&current.map(str::to_owned).into_iter().collect::<Vec<_>>())
    }

    fn incarnations(&self) -> PathBuf {
        self.dir.join("held-incarnations")
    }

    fn write_incarnations(&self, ids: &[String]) -> io::Result<()> {
        use std::io::Write;
        // Not `.….tmp`: that is a spooled batch's temporary name (recover_temporaries).
        let temp = self.dir.join("held-incarnations.new");
        let mut file = std::fs::File::create(&temp)?;
        for id in ids {
            writeln!(file, "{id}")?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, self.incarnations())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_temporary_batch_is_recovered_and_a_torn_one_set_aside() {
        let dir = tempfile_dir("recover");
        let batch = r#"{"id":"b1","clicks":2,"groups":[]}"#;
        std::fs::write(dir.join(".00000000000000000001-b1.json.tmp"), batch).expect("write");
        std::fs::write(dir.join(".00000000000000000002-b2.json.tmp"), &batch[..10]).expect("write");
        let spool = Spool::open(&dir).expect("opens");
        let names: Vec<String> = std::fs::read_dir(spool.dir()).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
        assert!(names.contains(&"00000000000000000001-b1.json".to_owned()), "{names:?}");
        assert!(names.contains(&"00000000000000000002-b2.bad".to_owned()), "{names:?}");
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn each_start_learns_the_processes_noted_before_it_until_their_sums_are_written() {
        let spool = Spool::open(&tempfile_dir("incarnations")).expect("opens");
        assert!(spool.note_incarnation(None).expect("notes").is_empty());
        assert!(std::fs::read_dir(spool.dir()).expect("dir").next().is_none(), "nothing to note, no file");
        assert!(spool.note_incarnation(Some("a")).expect("notes").is_empty());
        assert_eq!(spool.note_incarnation(Some("b")).expect("notes"), ["a"]);
        assert_eq!(spool.note_incarnation(None).expect("notes"), ["a", "b"], "a start that holds nothing still learns them");
        spool.keep_incarnation(None).expect("keeps");
        assert!(spool.note_incarnation(Some("c")).expect("notes").is_empty());
        spool.keep_incarnation(Some("c")).expect("keeps");
        assert_eq!(spool.note_incarnation(Some("d")).expect("notes"), ["c"]);
        assert!(Spool::open(spool.dir()).is_ok_and(|spool| spool.note_incarnation(None).is_ok_and(|earlier| earlier == ["c", "d"])), "not taken for a batch");
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sharetrail-spool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }
}
