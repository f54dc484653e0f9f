//! Scheduling hints for sharetrail's own threads, so that a reader's redirect does not wait
//! behind background work when the machine is busy.
//!
//! - A request worker asks Linux for short time slices (`sched_setattr` with a 0.1 ms
//!   `sched_runtime`; honoured by the EEVDF scheduler from Linux 6.12, ignored before). A
//!   worker woken by a request then preempts a thread that runs longer, such as the click
//!   writer encoding a batch, instead of waiting for that thread's slice to end. At
//!   saturation, a worker that has already had its share of the core still waits (traced
//!   in docs/performance.md, eighth sitting), so the hint shortens the tail of a busy
//!   machine, not of a saturated one.
//! - A background thread (the click writer, the Redis connections, reloads, the spool) is
//!   `SCHED_BATCH`: its wake-ups do not preempt a worker.
//!
//! Neither changes a thread's share of the CPU or its nice value, so under saturation the
//! writer still gets its turn and clicks do not pile up in the queue (lowering its priority
//! did: docs/performance.md). Measured with `scripts/bench` (64 connections paced 1 ms apart,
//! three alternating runs each): p99 3.5–3.8 ms without the hints, 2.9–3.0 ms with them; the
//! saturated p99 and the throughput did not change. A thread an operator gave another policy
//! (`chrt`) keeps it; a hint the kernel refuses (another OS, a seccomp profile) is logged at
//! debug level and otherwise ignored.

/// The time slice a request worker asks for: the smallest Linux accepts.
pub const WORKER_SLICE_NS: u64 = 100_000;

/// Whether the running kernel keeps a requested slice: Linux 6.12 and later do.
pub fn kernel_keeps_custom_slices() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(['.', '-']).map(|part| part.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (6, 12)
}

/// Marks the calling thread as a request worker (see the module's documentation).
pub fn request_worker() {
    if let Err(e) = imp::set_slice(WORKER_SLICE_NS) {
        tracing::debug!(error = %e, "request worker: the kernel refused a short time slice");
    }
}

/// Marks the calling thread as a background thread (see the module's documentation).
pub fn background() {
    if let Err(e) = imp::set_batch() {
        tracing::debug!(error = %e, "background thread: the kernel refused SCHED_BATCH");
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;

    /// `struct sched_attr` of `sched_setattr(2)`, the version-1 layout (56 bytes).
    #[repr(C)]
    #[derive(Default, Debug)]
    pub(super) struct SchedAttr {
        pub size: u32,
        pub policy: u32,
        pub flags: u64,
        pub nice: i32,
        pub priority: u32,
        pub runtime: u64,
        pub deadline: u64,
        pub period: u64,
        pub util_min: u32,
        pub util_max: u32,
    }

    /// The calling thread's attributes.
    pub(super) fn get() -> io::Result<SchedAttr> {
        let mut attr = SchedAttr::default();
        let size = std::mem::size_of::<SchedAttr>() as libc::c_uint;
        // SAFETY: `attr` is a valid, writable `sched_attr` of `size` bytes; pid 0 is this thread.
        let done = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &mut attr as *mut SchedAttr, size, 0) };
        if done == 0 { Ok(attr) } else { Err(io::Error::last_os_error()) }
    }

    /// The calling thread's attributes if its policy is the ordinary one; None if an
    /// operator chose another (e.g. with chrt), which then stands.
    fn ordinary() -> io::Result<Option<SchedAttr>> {
        get().map(|attr| (attr.policy == libc::SCHED_OTHER as u32).then_some(attr))
    }

    /// Keeps the policy (if ordinary) and the nice value; asks for `slice_ns` slices.
    pub(super) fn set_slice(slice_ns: u64) -> io::Result<()> {
        let Some(mut attr) = ordinary()? else { return Ok(()) };
        attr.size = std::mem::size_of::<SchedAttr>() as u32;
        attr.flags = 0;
        attr.runtime = slice_ns;
        // SAFETY: `attr` is a valid `sched_attr` of `attr.size` bytes; pid 0 is this thread.
        let done = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) };
        if done == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    }

    /// `SCHED_BATCH` for the calling thread if its policy is ordinary; its nice value stays.
    pub(super) fn set_batch() -> io::Result<()> {
        if ordinary()?.is_none() {
            return Ok(());
        }
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a valid `sched_param`; pid 0 is the calling thread.
        let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
        if done == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    pub(super) fn set_slice(_slice_ns: u64) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    pub(super) fn set_batch() -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Runs `mark` on a thread of its own (so the test thread keeps its attributes) and
    /// returns that thread's attributes afterwards.
    fn after(mark: fn()) -> imp::SchedAttr {
        std::thread::spawn(move || {
            // A nice value an operator might have set, which the marks must keep.
            // SAFETY: gettid has no preconditions; setpriority gets this thread's id.
            let set = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 3) };
            assert_eq!(set, 0, "setpriority: {}", std::io::Error::last_os_error());
            mark();
            imp::get().expect("sched_getattr")
        })
        .join()
        .expect("thread")
    }

    #[test]
    fn a_background_thread_is_sched_batch_and_keeps_its_nice_value() {
        let attr = after(background);
        assert_eq!(attr.policy, libc::SCHED_BATCH as u32);
        assert_eq!(attr.nice, 3);
    }

    #[test]
    fn a_request_worker_stays_an_ordinary_thread_and_asks_for_short_slices() {
        let attr = after(request_worker);
        assert_eq!(attr.policy, libc::SCHED_OTHER as u32);
        assert_eq!(attr.nice, 3);
        if kernel_keeps_custom_slices() {
            assert_eq!(attr.runtime, WORKER_SLICE_NS);
        }
    }

    #[test]
    fn a_thread_under_another_policy_keeps_it() {
        let attr = after(|| {
            background();
            request_worker();
        });
        assert_eq!(attr.policy, libc::SCHED_BATCH as u32);
        assert_ne!(attr.runtime, WORKER_SLICE_NS);
        let attr = after(|| {
            let param = libc::sched_param { sched_priority: 0 };
            // SAFETY: a valid `sched_param` for the calling thread (pid 0).
            assert_eq!(unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) }, 0);
            background();
        });
        assert_eq!(attr.policy, libc::SCHED_IDLE as u32);
    }
}
