//! The click recorder: redirects hand clicks to a bounded queue and never wait; one writer
//! task takes them off in batches and writes each batch in one Redis round trip. While a
//! batch is being applied, the writer builds the next, a few milliseconds' clicks at a time
//! as they queue, so the writer's work and Redis' work overlap, and the writer's comes in
//! short runs. While Redis is away, batches go to the disk spool and are replayed, once each,
//! when it is back. On shutdown the writer drains the queue before the process exits.

use super::spool::Spool;
use crate::domain::{ChannelRegistry, Click, ClickKind};
use crate::error::{AppError, Result};
use crate::store::Store;
use crate::store::clicks::{BatchEncoder, ClickBatch, WritePolicy, encode_batch_after};
use crate::store::held_counters::{HeldCounters, PendingSums};
use crate::store::sent_recently::SentRecently;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use typed_arena::Arena;

/// A batch being applied by its own task, and when it was sent. The writer keeps a share of
/// the batch so that it can spool it when the task fails or the shutdown drain runs out of
/// time. The task answers with the preview windows the batch opened.
type InFlight = (Arc<ClickBatch>, std::time::Instant, JoinHandle<Result<Vec<String>, redis::RedisError>>);

/// How often the spool is retried while it holds batches.
const REPLAY_EVERY: Duration = Duration::from_secs(1);

/// What happened to clicks so far, for logs, tests and metrics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Clicks handed to the recorder (dropped ones included), by who made them.
    pub people: AtomicU64,
    pub previews: AtomicU64,
    pub bots: AtomicU64,
    /// Share-button taps.
    pub intents: AtomicU64,
    /// Clicks the writer took off the queue; `queued() - dequeued` are waiting.
    pub dequeued: AtomicU64,
    /// Clicks written to Redis (directly or from the spool).
    pub recorded: AtomicU64,
    /// Clicks written to the spool.
    pub spooled: AtomicU64,
    /// Clicks lost: the queue was full, or the spool could not be written.
    pub dropped: AtomicU64,
    /// The most clicks seen waiting in the queue, since the last [`Counters::take_peak_queued`]:
    /// whether the writer keeps up (a batch or two) or falls behind (up to the capacity).
    peak_queued: AtomicU64,
}

impl Counters {
    /// The most clicks waiting in the queue since the last call.
    pub fn take_peak_queued(&self) -> u64 {
        self.peak_queued.swap(0, Ordering::Relaxed)
    }
}

impl Counters {
    /// Clicks handed to the recorder so far.
    pub fn queued(&self) -> u64 {
        [&self.people, &self.previews, &self.bots, &self.intents].iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Clicks waiting in the queue now (in memory: a SIGKILL loses them).
    pub fn queue_depth(&self) -> u64 {
        self.queued().saturating_sub(self.dequeued.load(Ordering::Relaxed))
    }

    fn handed_in(&self, kind: &ClickKind) {
        let counter = match kind {
            ClickKind::Person => &self.people,
            ClickKind::Preview(_) => &self.previews,
            ClickKind::Bot => &self.bots,
            ClickKind::Intent => &self.intents,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

enum Message {
    /// Not boxed: a box was a malloc on a worker and a free on the writer per click, and
    /// those contended for glibc's arena lock (docs/performance.md).
    Click(Click),
    Flush(Flush),
}

/// A flush waiting for its answer: Ok once everything queued before it is in Redis.
type Flush = oneshot::Sender<Result<(), String>>;

/// The handle redirects use.
pub struct Recorder {
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
    stop: CancellationToken,
    /// When the shutdown drain must end; set once, by `shutdown`.
    deadline: Arc<OnceLock<Instant>>,
    /// Cuts the writer's linger short when a flush is queued.
    flushing: Arc<Notify>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// What the writer needs.
pub struct RecorderSettings {
    pub queue_capacity: usize,
    pub batch_size: usize,
    /// How long a batch that is not full waits for more clicks.
    pub linger: Duration,
    /// How long counter sums are held before they are written (zero: with each batch).
    pub counters_every: Duration,
    pub policy: WritePolicy,
}

impl Recorder {
    /// Starts the writer task.
    pub fn start(store: Store, channels: Arc<ChannelRegistry>, spool: Spool, settings: RecorderSettings) -> Recorder {
        let (tx, rx) = mpsc::channel(settings.queue_capacity.max(1));
        let counters = Arc::new(Counters::default());
        let stop = CancellationToken::new();
        let deadline = Arc::new(OnceLock::new());
        let (held, incarnation, earlier) = held_counters(&store, &spool, &settings);
        let writer = Writer {
            store,
            channels,
            spool,
            policy: settings.policy,
            counters: counters.clone(),
            redis_ok: true,
            deadline: deadline.clone(),
            sent: SentRecently::default(),
            held,
            incarnation,
            earlier,
            in_flight: None,
        };
        let flushing = Arc::new(Notify::new());
        let linger = Linger { wait: settings.linger, flushing: flushing.clone() };
        let task = tokio::spawn(writer.run(rx, stop.clone(), settings.batch_size.max(1), linger));
        Recorder { tx, counters, stop, deadline, flushing, writer: Mutex::new(Some(task)) }
    }

    /// Queues a click without waiting. A full queue drops the click, and says so.
    pub fn record(&self, click: Click) {
        // Counted before the send, so the writer never takes off more than was handed in;
        // a dropped click counts as taken off, so the depth stays true.
        self.counters.handed_in(&click.kind);
        if self.tx.try_send(Message::Click(click)).is_ok() {
            let queued = (self.tx.max_capacity() - self.tx.capacity()) as u64;
            // Read first: a write on every request would bounce the counter between workers.
            if queued > self.counters.peak_queued.load(Ordering::Relaxed) {
                self.counters.peak_queued.fetch_max(queued, Ordering::Relaxed);
            }
        } else {
            self.counters.dequeued.fetch_add(1, Ordering::Relaxed);
            let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // One line per thousand drops: a flood must not also flood the log.
            if dropped % 1000 == 1 {
                tracing::error!(dropped, "click queue is full or closed; clicks are being dropped");
            }
        }
    }

    /// Waits until every click queued before this call is in Redis, the spool included.
    /// Errors while Redis is unreachable (the clicks are then safe in the spool).
    pub async fn flush(&self) -> Result<()> {
        let (ack, done) = oneshot::channel();
        self.tx.send(Message::Flush(ack)).await.map_err(|_| AppError::Internal("recorder stopped".into()))?;
        self.flushing.notify_one();
        done.await
            .map_err(|_| AppError::Internal("recorder stopped".into()))?
            .map_err(|e| AppError::Store(redis::RedisError::from((redis::ErrorKind::Io, "flush", e))))
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Stops the writer after it has written everything queued. Past `deadline`, what is
    /// left goes to the disk spool instead of Redis (a local write, so the exit stays
    /// prompt when Redis is slow), to be replayed by the next start.
    pub async fn shutdown(&self, deadline: Instant) {
        let _ = self.deadline.set(deadline);
        self.stop.cancel();
        if let Some(task) = self.writer.lock().await.take() {
            let _ = task.await;
        }
    }
}

/// The writer's held counter sums, with the pending hash that keeps them safe from a crash
/// (held_counters.rs); this process's name for that hash, if it has one; and the names
/// earlier processes noted, whose sums may still wait to be written. Sums are held only
/// where they can be kept safe: on a single Redis, with the spool folder taking the note.
fn held_counters(store: &Store, spool: &Spool, settings: &RecorderSettings) -> (HeldCounters, Option<String>, Vec<String>) {
    let mut every = settings.counters_every;
    if settings.policy.group_by_slot && !every.is_zero() {
        tracing::info!("on a Redis Cluster the day counters' sums are written with each batch (clicks.counters_every_ms applies to a single Redis)");
        every = Duration::ZERO;
    }
    let incarnation = (!every.is_zero()).then(|| nanoid::nanoid!(16, &crate::domain::code::ALPHABET));
    match spool.note_incarnation(incarnation.as_deref()) {
        Ok(earlier) => match incarnation {
            Some(id) => (HeldCounters::new(every).pending_in(store.keys().held_sums(&id)), Some(id), earlier),
            None => (HeldCounters::new(every), None, earlier),
        },
        Err(e) => {
            tracing::error!(error = %e, dir = %spool.dir().display(), "cannot note this process in the spool folder; counter sums are written with each batch");
            (HeldCounters::new(Duration::ZERO), None, Vec::new())
        }
    }
}

struct Writer {
    store: Store,
    channels: Arc<ChannelRegistry>,
    spool: Spool,
    policy: WritePolicy,
    counters: Arc<Counters>,
    /// False after a failed write: batches then go to the spool until a replay succeeds,
    /// so a Redis outage costs one timeout, not one per batch.
    redis_ok: bool,
    deadline: Arc<OnceLock<Instant>>,
    /// Expiries and trims already in Redis, left out of the next batches.
    sent: SentRecently,
    /// Counter sums not yet due to be written.
    held: HeldCounters,
    /// This process's name for its pending hash of held sums, if it has one.
    incarnation: Option<String>,
    /// Earlier processes whose held sums may still be in their pending hashes.
    earlier: Vec<String>,
    /// The batch being applied while the next one is built.
    in_flight: Option<InFlight>,
}

/// How the writer fills a batch that is not full.
struct Linger {
    wait: Duration,
    flushing: Arc<Notify>,
}

/// How often a batch being gathered takes what has queued and encodes it. Encoding a
/// batch at once, at the end of its linger, held a core for several milliseconds at
/// saturation, and request workers waited behind it (docs/performance.md).
const ENCODE_EVERY: Duration = Duration::from_millis(5);

/// Takes the clicks at the front of `messages`, up to `room` of them and up to the first
/// flush, which ends the batch and comes back with them. The rest stays for the next batch.
fn take_clicks(messages: &mut Vec<Message>, room: usize) -> (Vec<Click>, Option<Flush>) {
    let mut end = 0;
    let mut clicks = 0;
    for message in messages.iter() {
        match message {
            Message::Click(_) if clicks == room => break,
            Message::Click(_) => clicks += 1,
            Message::Flush(_) => {
                end += 1;
                break;
            }
        }
        end += 1;
    }
    let (mut taken, mut flush) = (Vec::with_capacity(clicks), None);
    for message in messages.drain(..end) {
        match message {
            Message::Click(click) => taken.push(click),
            Message::Flush(ack) => flush = Some(ack),
        }
    }
    (taken, flush)
}

/// The clicks of one batch, slice by slice: first what has queued, then what queues in
/// each slice (`ENCODE_EVERY`) of the linger, until the linger is over, the batch is full or
/// a flush comes, which ends the batch and comes with its last slice. Under load a batch of
/// more clicks sums more of them into each counter, and each click costs Redis less; the
/// writer sleeps meanwhile instead of waiting on the queue, so clicks queued then do not
/// wake it one by one.
struct Gathering<'l> {
    send_at: Instant,
    room: usize,
    /// None without a linger: the batch is what has queued.
    flushing: Option<&'l Notify>,
    first: bool,
    over: bool,
}

impl<'l> Gathering<'l> {
    fn new(batch_size: usize, linger: Option<&'l Linger>) -> Gathering<'l> {
        let wait = linger.map_or(Duration::ZERO, |linger| linger.wait);
        let flushing = linger.map(|linger| &*linger.flushing);
        Gathering { send_at: Instant::now() + wait, room: batch_size, flushing, first: true, over: false }
    }

    /// When the batch goes, at the latest.
    fn send_at(&self) -> Instant {
        self.send_at
    }

    /// The next slice's clicks, and the flush that ends the batch, if it came; None once the
    /// batch is complete.
    async fn next(&mut self, rx: &mut mpsc::Receiver<Message>, messages: &mut Vec<Message>) -> Option<(Vec<Click>, Option<Flush>)> {
        if self.over {
            return None;
        }
        if !std::mem::take(&mut self.first) {
            let flushing = self.flushing?;
            let now = Instant::now();
            if now >= self.send_at {
                return None;
            }
            tokio::select! {
                () = tokio::time::sleep_until(self.send_at.min(now + ENCODE_EVERY)) => {}
                () = flushing.notified() => {}
            }
            while messages.len() < self.room {
                match rx.try_recv() {
                    Ok(message) => messages.push(message),
                    Err(_) => break,
                }
            }
        }
        let (clicks, flush) = take_clicks(messages, self.room);
        self.room -= clicks.len();
        self.over = flush.is_some() || self.room == 0;
        Some((clicks, flush))
    }
}

/// Resolves when held counter sums fall due; never while none are held.
async fn held_due(due: Option<std::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(Instant::from_std(due)).await,
        None => std::future::pending().await,
    }
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Message>, stop: CancellationToken, batch_size: usize, linger: Linger) {
        let mut messages = Vec::with_capacity(batch_size);
        let mut replay = tokio::time::interval(REPLAY_EVERY);
        loop {
            // What a flush or a full batch left over starts the next batch.
            if !messages.is_empty() {
                self.take_batch(&mut rx, &mut messages, batch_size, Some(&linger)).await;
                continue;
            }
            tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                received = rx.recv_many(&mut messages, batch_size) => {
                    if received == 0 {
                        break;
                    }
                    self.take_batch(&mut rx, &mut messages, batch_size, Some(&linger)).await;
                }
                _ = replay.tick() => {
                    self.settle().await;
                    // A failure is retried on the next tick; the spool keeps the batches meanwhile.
                    let _ = self.replay_spool().await;
                }
                // Held counter sums fall due while no clicks come.
                () = held_due(self.held.next_due()) => self.write_held().await,
            }
        }
        rx.close();
        while !messages.is_empty() || rx.recv_many(&mut messages, batch_size).await > 0 {
            self.take_batch(&mut rx, &mut messages, batch_size, None).await;
        }
        self.held.release_all();
        self.write_held().await;
        self.settle().await;
        let replayed = match self.time_left() {
            Some(left) => tokio::time::timeout(left, self.replay_spool()).await.unwrap_or_else(|_| Err("out of time".into())),
            None => Err("out of time".into()),
        };
        if let Err(e) = replayed {
            tracing::warn!(error = %e, dir = %self.spool.dir().display(), "clicks stay in the spool until the next start");
        }
        tracing::info!(
            recorded = self.counters.recorded.load(Ordering::Relaxed),
            spooled = self.counters.spooled.load(Ordering::Relaxed),
            dropped = self.counters.dropped.load(Ordering::Relaxed),
            "click writer stopped"
        );
    }

    /// Time left for the shutdown drain: None once it is over, unbounded before shutdown.
    fn time_left(&self) -> Option<Duration> {
        match self.deadline.get() {
            None => Some(Duration::MAX),
            Some(deadline) => deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()),
        }
    }

    /// Gathers a batch from `messages` and, during the linger (none: no wait), from what
    /// queues, encoding its clicks as they come in slices (`ENCODE_EVERY`), and sends it. A
    /// flush ends the batch, and is answered once everything queued before it is in Redis.
    async fn take_batch(&mut self, rx: &mut mpsc::Receiver<Message>, messages: &mut Vec<Message>, batch_size: usize, linger: Option<&Linger>) {
        let (keys, policy, channels) = (self.store.keys().clone(), self.policy.clone(), Arc::clone(&self.channels));
        let mut gathering = Gathering::new(batch_size, linger);
        // The batch's clicks, where the encoder's borrows of them stay put as more arrive.
        let clicks = Arena::new();
        let mut batch = BatchEncoder::new(&keys, &policy, &mut self.sent, gathering.send_at().into_std());
        let mut flush = None;
        while let Some((taken, ended_by)) = gathering.next(rx, messages).await {
            self.counters.dequeued.fetch_add(taken.len() as u64, Ordering::Relaxed);
            for click in clicks.alloc_extend(taken).iter() {
                batch.add(click, &channels, &self.sent);
            }
            flush = ended_by;
        }
        if flush.is_some() {
            self.held.release_all();
        }
        self.send(batch).await;
        if let Some(ack) = flush {
            self.settle().await;
            let _ = ack.send(self.replay_spool().await);
        }
    }

    /// Sends a batch of no clicks for the held counter sums that are due.
    async fn write_held(&mut self) {
        let (keys, policy) = (self.store.keys().clone(), self.policy.clone());
        let batch = BatchEncoder::new(&keys, &policy, &mut self.sent, std::time::Instant::now());
        self.send(batch).await;
    }

    /// Finishes a batch and hands it to Redis (or to the spool while Redis is away), unless it
    /// has no clicks and no held sums are due.
    async fn send(&mut self, batch: BatchEncoder<'_>) {
        if batch.is_empty() && !self.held.any_due(std::time::Instant::now()) {
            return;
        }
        if !self.redis_ok {
            // Bound for the spool: holding the sums would save Redis nothing, and on disk
            // they are safe from a crash.
            self.held.release_all();
        }
        let id = nanoid::nanoid!(16, &crate::domain::code::ALPHABET);
        // Built while the previous batch is still being applied.
        let batch = Arc::new(batch.finish(&id, &mut self.sent, &mut self.held));
        self.settle().await;
        if self.redis_ok && self.time_left().is_some() {
            let (store, applying) = (self.store.clone(), batch.clone());
            // Before the task can send it: a window it opens is open from a little later.
            let sent_at = std::time::Instant::now();
            let task = tokio::spawn(async move { store.apply_batch(&applying).await });
            self.in_flight = Some((batch, sent_at, task));
        } else {
            self.sent.forget();
            self.spool(&batch).await;
        }
    }

    /// Waits for the batch in flight, if any, and counts it, or spools it when Redis failed it.
    async fn settle(&mut self) {
        let Some((batch, sent_at, mut task)) = self.in_flight.take() else {
            return;
        };
        // During the shutdown drain a slow Redis must not hold the exit past its bound; a
        // batch cut off may have been applied, and its marker makes the replay a no-op.
        let outcome = match self.time_left() {
            Some(left) => tokio::time::timeout(left, &mut task).await.ok(),
            None => None,
        };
        let failure = match outcome {
            Some(Ok(Ok(opened))) => {
                self.counters.recorded.fetch_add(batch.clicks as u64, Ordering::Relaxed);
                self.sent.windows_opened(opened, sent_at, self.policy.preview_window());
                return;
            }
            Some(Ok(Err(e))) => {
                self.redis_ok = false;
                format!("cannot write clicks to Redis: {e}")
            }
            Some(Err(e)) => format!("the task writing clicks failed: {e}"),
            None => {
                task.abort();
                "shutdown drain time is up".to_owned()
            }
        };
        tracing::warn!(error = %failure, clicks = batch.clicks, "spooling the clicks to disk");
        // The batch's own expiries and trims travel with it; whether those of earlier
        // batches took effect is unknown now, so later batches send them all again.
        self.sent.forget();
        self.spool(&batch).await;
    }

    async fn spool(&self, batch: &ClickBatch) {
        match self.spool.save(batch).await {
            Ok(()) => self.counters.spooled.fetch_add(batch.clicks as u64, Ordering::Relaxed),
            Err(e) => {
                tracing::error!(error = %e, clicks = batch.clicks, dir = %self.spool.dir().display(), "cannot spool clicks; they are lost");
                self.counters.dropped.fetch_add(batch.clicks as u64, Ordering::Relaxed)
            }
        };
    }

    /// Replays spooled batches oldest first; Ok once the spool is empty.
    async fn replay_spool(&mut self) -> Result<(), String> {
        let files = self.spool.pending().await.map_err(|e| e.to_string())?;
        for path in files {
            let batch = match self.spool.load(&path).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(error = %e, file = %path.display(), "unreadable spool file set aside");
                    let _ = tokio::fs::rename(&path, path.with_extension("bad")).await;
                    continue;
                }
            };
            let sent_at = std::time::Instant::now();
            match self.store.apply_batch(&batch).await {
                Ok(opened) => self.sent.windows_opened(opened, sent_at, self.policy.preview_window()),
                Err(e) => {
                    self.redis_ok = false;
                    return Err(format!("Redis is still unavailable: {e}"));
                }
            }
            self.counters.recorded.fetch_add(batch.clicks as u64, Ordering::Relaxed);
            if let Err(e) = self.spool.remove(&path).await {
                // Replaying it again later is harmless: the batch marker makes it a no-op.
                tracing::error!(error = %e, file = %path.display(), "cannot remove replayed spool file");
            }
            tracing::info!(clicks = batch.clicks, "replayed spooled clicks");
        }
        self.redis_ok = true;
        self.write_earlier_sums().await
    }

    /// Writes the counter sums earlier processes held and did not write (a crash), each
    /// process's in one batch that also deletes its pending hash, so at most once. After the
    /// spool: a spooled batch of such a process may still add to its pending hash, or take
    /// it whole.
    async fn write_earlier_sums(&mut self) -> Result<(), String> {
        if self.earlier.is_empty() {
            return Ok(());
        }
        while let Some(id) = self.earlier.last() {
            let key = self.store.keys().held_sums(id);
            let values = self.store.pending_sums(&key).await.map_err(|e| format!("Redis is still unavailable: {e}"))?;
            let pending = PendingSums::decode(values.iter().map(String::as_str));
            if !pending.is_empty() {
                let mut held = pending.into_held(key, std::time::Instant::now());
                let batch_id = nanoid::nanoid!(16, &crate::domain::code::ALPHABET);
                let batch = encode_batch_after(self.store.keys(), &self.policy, &self.channels, &batch_id, &[], &mut SentRecently::default(), &mut held);
                self.store.apply_batch(&batch).await.map_err(|e| format!("Redis is still unavailable: {e}"))?;
                tracing::warn!(process = %id, "wrote the counter sums an earlier process held when it stopped without a drain");
            }
            self.earlier.pop();
        }
        self.spool.keep_incarnation(self.incarnation.as_deref()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINGER: Duration = Duration::from_millis(20);

    fn click() -> Message {
        Message::Click(Click::sample(0))
    }

    /// Gathers a batch on a paused clock from `first`, with `later` sent at the given times
    /// (ms; a flush also notifies, as `Recorder::flush` does); returns how many clicks each
    /// slice took, whether a flush ended the batch, how long gathering took, and how many
    /// messages were left for the next batch.
    async fn gather_with(first: Vec<Message>, later: Vec<(u64, Message)>, batch_size: usize) -> (Vec<usize>, bool, Duration, usize) {
        let (tx, mut rx) = mpsc::channel(100);
        let linger = Linger { wait: LINGER, flushing: Arc::new(Notify::new()) };
        let (start, flushing) = (Instant::now(), linger.flushing.clone());
        tokio::spawn(async move {
            for (at_ms, message) in later {
                tokio::time::sleep_until(start + Duration::from_millis(at_ms)).await;
                let flush = matches!(message, Message::Flush(_));
                let _ = tx.send(message).await;
                if flush {
                    flushing.notify_one();
                }
            }
            // Keep the channel open past the linger.
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        let mut messages = first;
        let mut gathering = Gathering::new(batch_size, Some(&linger));
        let (mut slices, mut flushed) = (Vec::new(), false);
        while let Some((clicks, flush)) = gathering.next(&mut rx, &mut messages).await {
            slices.push(clicks.len());
            flushed = flush.is_some();
        }
        (slices, flushed, start.elapsed(), messages.len())
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_takes_the_clicks_of_the_linger_a_slice_at_a_time_and_then_goes() {
        let (slices, flushed, took, _) = gather_with(vec![click()], vec![(3, click()), (12, click()), (30, click())], 100).await;
        assert_eq!(ENCODE_EVERY, ms(5), "the slices below are 5 ms apart");
        assert_eq!(slices, [1, 1, 0, 1, 0], "at 0, 5, 10, 15 and 20 ms; the click at 30 ms waits for the next batch");
        assert_eq!((flushed, took), (false, LINGER));
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_takes_no_more_than_its_size_and_goes_once_full() {
        let (slices, _, took, _) = gather_with(vec![click()], vec![(1, click()), (2, click()), (3, click())], 3).await;
        assert_eq!((slices, took), (vec![1, 2], ENCODE_EVERY), "the click at 3 ms waits for the next batch");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_goes_at_once() {
        let (slices, _, took, left) = gather_with(vec![click(), click(), click()], vec![(1, click())], 2).await;
        assert_eq!((slices, took, left), (vec![2], Duration::ZERO, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_flush_ends_the_batch() {
        let (ack, _) = oneshot::channel();
        let (slices, flushed, took, _) = gather_with(vec![click()], vec![(3, Message::Flush(ack))], 100).await;
        assert_eq!((slices, flushed, took), (vec![1, 0], true, ms(3)), "a flush cuts the linger short");
        let (ack, _) = oneshot::channel();
        let (slices, flushed, took, left) = gather_with(vec![click(), Message::Flush(ack), click()], vec![(1, click())], 100).await;
        assert_eq!((slices, flushed, took), (vec![1], true, Duration::ZERO), "a flush already queued");
        assert_eq!(left, 1, "what came after the flush goes in the next batch");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_linger_a_batch_is_what_has_queued() {
        let (tx, mut rx) = mpsc::channel(100);
        tx.send(click()).await.expect("send");
        let mut messages = vec![click(), click()];
        let mut gathering = Gathering::new(100, None);
        let (clicks, flush) = gathering.next(&mut rx, &mut messages).await.expect("a slice");
        assert_eq!((clicks.len(), flush.is_some()), (2, false));
        assert!(gathering.next(&mut rx, &mut messages).await.is_none(), "the queued click waits for the next batch");
    }
}
