package io.strata.tiering.internals;

import io.strata.storage.api.LogClosedException;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offloads the sealed segments of the logs this process owns, in the background.
 *
 * <p>Per log (registered by {@link #logOpened}, dropped by {@link #logClosed} or when the log turns
 * out fenced or closed): first a <em>sweep</em> deletes every object under {@code <log>/} that is
 * not the committed data or index of a segment in the log's metadata (leftovers of crashed or
 * failed attempts, incomplete uploads, objects of segments retention removed before it deleted
 * them); then, while the log's config has {@code remote.storage.enable}, its oldest sealed segment
 * on the bookies without a committed tier copy is offloaded ({@link OffloadTask}), one at a time
 * per log, oldest first, so the tiered offsets always form a prefix. A failed offload is retried
 * after a backoff that doubles per failure (up to 64 times {@code
 * strata.tier.offload.retry.backoff.ms}).
 *
 * <p>Bounded: at most {@code concurrency} segments upload at once (over all logs), all through one
 * {@link RateLimiter}. Each log is checked every {@code interval} and as soon as an offload of it
 * or a slot frees up.
 *
 * <p>Threading: all state is confined to the single-threaded {@code scheduler}; tasks' I/O
 * completes on the store's and the log's threads and hops back. Nothing blocks.
 */
public final class Offloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Offloader.class);

  /** Per-log progress, for operators and tests. */
  public record Stats(
      long segmentsOffloaded, long bytesOffloaded, long failures, String lastError) {}

  private static final class LogState {
    final PartitionLog log;
    boolean swept;
    boolean busy;
    int failures;
    long retryAtMs;
    long segments;
    long bytes;
    long failed;
    String lastError = "";

    LogState(PartitionLog log) {
      this.log = log;
    }
  }

  private final TierStore store;
  private final TierSegmentReader reader;
  private final ScheduledExecutorService scheduler;
  private final Executor executor;
  private final Time time;
  private final RateLimiter limiter;
  private final OffloadHooks hooks;
  private final int concurrency;
  private final long backoffMs;
  private final int indexIntervalBytes;
  // Scheduler-confined.
  private final Map<PartitionLog, LogState> logs = new IdentityHashMap<>();
  private int running;
  private volatile boolean closed;
  private final AtomicLong totalSegments = new AtomicLong();

  public Offloader(
      TierStore store,
      TierSegmentReader reader,
      ScheduledExecutorService scheduler,
      Executor executor,
      Time time,
      long bytesPerSecond,
      int concurrency,
      long intervalMs,
      long backoffMs,
      int indexIntervalBytes,
      OffloadHooks hooks) {
    this.store = store;
    this.reader = reader;
    this.scheduler = scheduler;
    this.executor = executor;
    this.time = time;
    this.limiter = new RateLimiter(bytesPerSecond, time);
    this.hooks = hooks;
    this.concurrency = concurrency;
    this.backoffMs = backoffMs;
    this.indexIntervalBytes = indexIntervalBytes;
    scheduler.scheduleWithFixedDelay(this::scanAll, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  public void logOpened(PartitionLog plog) {
    submit(
        () -> {
          logs.put(plog, new LogState(plog));
          scanAll();
        });
  }

  public void logClosed(PartitionLog plog) {
    submit(() -> logs.remove(plog));
  }

  /** Checks every log now (after a config change, or from tests and the CLI path). */
  public void trigger() {
    submit(this::scanAll);
  }

  /** This log's offload progress since it opened here; empty if not registered. */
  public CompletableFuture<java.util.Optional<Stats>> stats(PartitionLog plog) {
    CompletableFuture<java.util.Optional<Stats>> f = new CompletableFuture<>();
    submit(
        () -> {
          LogState s = logs.get(plog);
          f.complete(
              java.util.Optional.ofNullable(s)
                  .map(x -> new Stats(x.segments, x.bytes, x.failed, x.lastError)));
        });
    return f;
  }

  /** Segments offloaded by this process. */
  public long segmentsOffloaded() {
    return totalSegments.get();
  }

  private void submit(Runnable r) {
    if (closed) {
      return;
    }
    try {
      scheduler.execute(
          () -> {
            try {
              r.run();
            } catch (RuntimeException e) {
              log.error("Offloader bug", e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void scanAll() {
    if (closed) {
      return;
    }
    for (LogState s : new ArrayList<>(logs.values())) {
      scan(s);
    }
  }

  private void scan(LogState s) {
    if (closed || s.busy || time.milliseconds() < s.retryAtMs || logs.get(s.log) != s) {
      return;
    }
    LogMetadata m = s.log.metadata();
    boolean enabled = s.log.config().remoteStorageEnable();
    if (!s.swept) {
      if (!enabled && m.segments().stream().allMatch(x -> x.tierLocation().isEmpty())) {
        return;
      }
      s.busy = true;
      sweep(s.log, m).whenCompleteAsync((v, e) -> finished(s, null, e, true), scheduler);
      return;
    }
    if (!enabled || running >= concurrency) {
      return;
    }
    SegmentMetadata next = null;
    for (SegmentMetadata seg : m.segments()) {
      if (seg.isSealed() && seg.onBookies() && seg.entryCount() > 0 && !seg.isOffloaded()) {
        next = seg;
        break;
      }
    }
    if (next == null) {
      return;
    }
    s.busy = true;
    running++;
    long size = next.sizeBytes();
    CompletableFuture<SegmentMetadata> task;
    try {
      task =
          new OffloadTask(
                  s.log, next.ledgerId(), store, limiter, hooks, indexIntervalBytes, executor)
              .run();
    } catch (RuntimeException e) {
      task = CompletableFuture.failedFuture(e);
    }
    task.whenCompleteAsync(
        (committed, e) -> {
          running--;
          if (e == null) {
            s.segments++;
            s.bytes += size;
            totalSegments.incrementAndGet();
            log.info(
                "Log {}: offloaded segment {} ({} bytes, offsets {}..{}) as attempt {}",
                s.log.name(),
                committed.ledgerId(),
                committed.sizeBytes(),
                committed.firstOffset(),
                committed.lastOffset(),
                committed.offloadAttempt());
          }
          finished(s, committed, e, false);
          scanAll();
        },
        scheduler);
  }

  private void finished(LogState s, SegmentMetadata committed, Throwable e, boolean sweep) {
    s.busy = false;
    if (e == null) {
      s.failures = 0;
      s.retryAtMs = 0;
      if (sweep) {
        s.swept = true;
      }
      scan(s);
      return;
    }
    Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (c instanceof LogFencedException || c instanceof LogClosedException) {
      logs.remove(s.log, s);
      return;
    }
    s.failures++;
    s.failed++;
    s.lastError = c.toString();
    long wait = backoffMs << Math.min(s.failures - 1, 6);
    s.retryAtMs = time.milliseconds() + wait;
    boolean retriable = c instanceof StorageException se && se.retriable();
    log.warn(
        "Log {}: {} failed ({} in a row{}), retrying in {} ms: {}",
        s.log.name(),
        sweep ? "tier sweep" : "offload",
        s.failures,
        retriable ? ", tier unavailable" : "",
        wait,
        c.toString());
    scheduler.schedule(() -> scan(s), wait, TimeUnit.MILLISECONDS);
  }

  /** Deletes every object of the log that no committed segment of {@code m} names. */
  private CompletableFuture<Void> sweep(PartitionLog plog, LogMetadata m) {
    Set<String> keep = new HashSet<>();
    for (SegmentMetadata seg : m.segments()) {
      if (seg.isOffloaded()) {
        keep.add(ObjectNames.data(plog.name(), seg.ledgerId(), seg.offloadAttempt()));
        keep.add(ObjectNames.index(plog.name(), seg.ledgerId(), seg.offloadAttempt()));
      }
    }
    return store
        .list(ObjectNames.logPrefix(plog.name()))
        .thenCompose(
            objects -> {
              List<CompletableFuture<Void>> deletes = new ArrayList<>();
              Set<String> seen = new HashSet<>();
              for (TierObject o : objects) {
                // delete(key) removes the object and any incomplete upload of the same key.
                if (!keep.contains(o.key()) && seen.add(o.key())) {
                  log.info(
                      "Log {}: deleting orphan tier object {}{}",
                      plog.name(),
                      o.key(),
                      o.incomplete() ? " (incomplete upload)" : "");
                  deletes.add(store.delete(o.key()));
                  reader.invalidate(o.key());
                }
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
            });
  }

  @Override
  public void close() {
    closed = true;
  }
}
