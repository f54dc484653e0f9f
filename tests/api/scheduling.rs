//! sharetrail's scheduling hints reach its threads: the request workers ask for short time
//! slices, the runtime's threads (click writer, Redis connections) are `SCHED_BATCH`.

use crate::binary::Binary;
use crate::helpers::*;
use sharetrail::scheduling::{WORKER_SLICE_NS, kernel_keeps_custom_slices};
use std::path::Path;

const SCHED_OTHER: u64 = 0;
const SCHED_BATCH: u64 = 3;

/// Fields of a thread's /proc/…/sched (`policy`, `se.slice`); None once the thread is gone.
fn sched_fields<const N: usize>(task: &Path, names: [&str; N]) -> Option<[u64; N]> {
    let text = std::fs::read_to_string(task.join("sched")).ok()?;
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().parse().expect("a number"))
        })
    };
    let mut values = [0; N];
    for (value, name) in values.iter_mut().zip(names) {
        *value = field(name).unwrap_or_else(|| panic!("no {name} in {}", task.display()));
    }
    Some(values)
}

/// (name, policy, slice) of every thread of a process.
fn threads_of(pid: u32) -> Vec<(String, u64, u64)> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("threads")
        .filter_map(|task| {
            let task = task.ok()?.path();
            let name = std::fs::read_to_string(task.join("comm")).ok()?.trim().to_owned();
            let [policy, slice] = sched_fields(&task, ["policy", "se.slice"])?;
            Some((name, policy, slice))
        })
        .collect()
}

#[tokio::test]
async fn the_binary_marks_its_request_workers_and_its_background_threads() {
    let spool = tempfile::tempdir().expect("spool");
    let binary = Binary::start(&redis_server().url(), &unique_prefix(), spool.path()).await;
    let threads = threads_of(binary.child.id());
    let workers: Vec<_> = threads.iter().filter(|(name, ..)| name.starts_with("actix-server wo")).collect();
    let runtime: Vec<_> = threads.iter().filter(|(name, ..)| name.starts_with("tokio-rt")).collect();
    assert_eq!(workers.len(), 2, "{threads:?}");
    assert!(workers.iter().all(|(_, policy, _)| *policy == SCHED_OTHER), "{threads:?}");
    if kernel_keeps_custom_slices() {
        assert!(workers.iter().all(|(.., slice)| *slice == WORKER_SLICE_NS), "{threads:?}");
    }
    assert!(!runtime.is_empty() && runtime.iter().all(|(_, policy, _)| *policy == SCHED_BATCH), "{threads:?}");
    // The main thread, which accepts nothing and writes nothing, is left as it was.
    let main = threads.iter().find(|(name, ..)| name == "sharetrail").expect("main thread");
    assert_eq!(main.1, SCHED_OTHER);
}
