package io.strata.storage.internals;

import io.netty.buffer.ByteBuf;
import io.strata.storage.api.AppendListener;
import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogClosedException;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.LogUnavailableException;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.RetentionResult;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TimestampOffset;
import io.strata.storage.internals.SegmentSwitch.LocalSeal;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owned, writable log of one partition on BookKeeper.
 *
 * <p><b>Threading.</b> Single writer: every state change runs on one thread of the store's ordered
 * executor ({@link #executor}), chosen by the log's name. Public methods hop there; BookKeeper and
 * ZooKeeper callbacks hop back there before touching state. Only the offset getters read {@code
 * volatile} fields from other threads. Nothing here blocks.
 *
 * <p><b>States</b> (field {@link #state}):
 *
 * <pre>
 *   ACTIVE ──roll/size/time/append failure──▶ SWITCHING ──new segment stored──▶ ACTIVE
 *                                               │ no bookies / ZooKeeper trouble
 *                                               ▼
 *                                              IDLE ──next append──▶ SWITCHING
 *   any ──newer epoch (BK -101 or CAS lost)──▶ FENCED      any ──close()──▶ CLOSED
 * </pre>
 *
 * In SWITCHING, appends wait in {@link #queue} and keep their order. A switch ({@link
 * SegmentSwitch}, one per switch) stops the current segment, lets its in-flight appends finish,
 * seals it locally at its last acknowledged entry (closing its ledger and completing its index
 * ledger), creates the next segment's ledgers, and stores both changes in one compare-and-set.
 * Offsets assigned to appends that failed are reused: the log end offset falls back to the high
 * watermark before the next segment starts.
 *
 * <p><b>Collaborators</b> (package-private, on the same executor): {@link PendingAppend} (one
 * queued or in-flight append), {@link ActiveSegment} (the open segment), {@link SegmentSwitch} (one
 * segment switch), {@link LogReader} (reads), {@link LogTrimmer} and {@link SegmentDeletion} (trim
 * and retention), {@link OffloadSteps} (the tier offload compare-and-sets), {@link IndexRepair}
 * (index ledgers of segments sealed without one), {@link MetadataUpdater} (every metadata change).
 * The state transitions stay here.
 */
public final class BookKeeperPartitionLog implements PartitionLog {
  private static final Logger log = LoggerFactory.getLogger(BookKeeperPartitionLog.class);

  enum State {
    ACTIVE,
    SWITCHING,
    IDLE,
    FENCED,
    CLOSED
  }

  private final StoreContext ctx;
  private final String name;
  private final long epoch;
  private final ExecutorService executor;
  private final MetadataUpdater metadata;
  private final Consumer<BookKeeperPartitionLog> onClosed;
  private final CopyOnWriteArrayList<AppendListener> listeners = new CopyOnWriteArrayList<>();
  private final ArrayDeque<PendingAppend> queue = new ArrayDeque<>();
  private final LogReader reader;
  private final IndexRepair indexRepair;
  private final LogTrimmer trimmer;

  // Volatile: read by getters and by callers' threads; written on the executor only.
  private volatile LogConfig config;
  private volatile long logStartOffset;
  private volatile long highWatermark;
  private volatile long logEndOffset;
  private volatile State state;

  // Executor-confined. Package-private: the running SegmentSwitch reads and writes them too,
  // LogTrimmer reads them.
  ActiveSegment active;
  LocalSeal localSeal;
  CompletableFuture<Void> switchFuture;

  // Executor-confined.
  private boolean closing;
  private CompletableFuture<Void> closeFuture;
  private StorageException terminal;

  BookKeeperPartitionLog(
      StoreContext ctx,
      LogConfig config,
      MetadataUpdater metadata,
      ExecutorService executor,
      ActiveSegment active,
      Consumer<BookKeeperPartitionLog> onClosed) {
    this.ctx = ctx;
    LogMetadata stored = metadata.current();
    this.name = stored.name();
    this.epoch = stored.writerEpoch();
    this.config = config;
    this.executor = executor;
    this.onClosed = onClosed;
    this.metadata = metadata;
    this.reader = new LogReader(name, ctx, executor);
    this.indexRepair = new IndexRepair(this, ctx, executor, metadata);
    this.trimmer = new LogTrimmer(this, ctx, executor, metadata);
    this.logStartOffset = stored.logStartOffset();
    long next = active != null ? active.firstOffset() : stored.nextOffsetAfterSealed();
    this.highWatermark = next;
    this.logEndOffset = next;
    this.active = active;
    this.state = active != null ? State.ACTIVE : State.IDLE;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long epoch() {
    return epoch;
  }

  @Override
  public long logStartOffset() {
    return logStartOffset;
  }

  @Override
  public long highWatermark() {
    return highWatermark;
  }

  @Override
  public long logEndOffset() {
    return logEndOffset;
  }

  @Override
  public LogConfig config() {
    return config;
  }

  @Override
  public void updateConfig(LogConfig newConfig) {
    this.config = newConfig;
  }

  @Override
  public void addListener(AppendListener l) {
    listeners.add(l);
  }

  @Override
  public void removeListener(AppendListener l) {
    listeners.remove(l);
  }

  @Override
  public LogMetadata metadata() {
    return metadata.current();
  }

  State state() {
    return state;
  }

  /** Runs {@code task} on the log's executor and returns its future (never throws). */
  private <T> CompletableFuture<T> onExecutor(Supplier<CompletableFuture<T>> task) {
    try {
      return CompletableFuture.supplyAsync(task, executor).thenCompose(f -> f);
    } catch (RuntimeException e) { // rejected: the store is closed
      return CompletableFuture.failedFuture(new LogClosedException("log store closed", e));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Append

  @Override
  public CompletableFuture<AppendResult> append(ByteBuf batch) {
    RecordBatchHeader header;
    try {
      header = RecordBatchHeader.validate(batch, config.maxMessageBytes());
    } catch (StorageException e) {
      batch.release();
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      batch.release();
      return CompletableFuture.failedFuture(Errors.map("append to " + name, e));
    }
    PendingAppend p = new PendingAppend(batch, header, new CompletableFuture<>());
    try {
      executor.execute(() -> enqueue(p));
    } catch (RuntimeException e) {
      batch.release();
      return CompletableFuture.failedFuture(new LogClosedException("log store closed", e));
    }
    return p.future();
  }

  private void enqueue(PendingAppend p) {
    if (closing || state == State.CLOSED) {
      p.fail(new LogClosedException("log " + name + " is closed"));
      return;
    }
    if (state == State.FENCED) {
      p.fail(terminal);
      return;
    }
    queue.add(p);
    if (state == State.ACTIVE) {
      drainQueue();
    } else if (state == State.IDLE) {
      startSwitch(true);
    }
  }

  /** Assigns queued appends to the active segment, in order, until a roll is due. */
  private void drainQueue() {
    while (state == State.ACTIVE && !queue.isEmpty()) {
      PendingAppend p = queue.peek();
      if (active.shouldRoll(config, ctx.time(), p.header().sizeInBytes())) {
        startSwitch(true);
        return;
      }
      queue.poll();
      assign(active, p);
    }
  }

  private void assign(ActiveSegment seg, PendingAppend p) {
    long base = logEndOffset;
    long last = base + p.header().lastOffsetDelta();
    RecordBatchHeader.writeBaseOffset(p.batch(), base);
    logEndOffset = last + 1;
    seg.send(p.batch(), p.header().sizeInBytes())
        .whenCompleteAsync(
            (entryId, err) -> onAddComplete(seg, p, base, last, entryId, err), executor);
  }

  private void onAddComplete(
      ActiveSegment seg, PendingAppend p, long base, long last, Long entryId, Throwable err) {
    seg.completedOne();
    try {
      if (err == null && !seg.failed && state != State.FENCED) {
        if (entryId != seg.idx.entryCount()) {
          err = new IllegalStateException("entry " + entryId + " acked out of order");
        } else {
          acknowledged(seg, p, base, last, entryId);
          return;
        }
      }
      if (err == null) {
        // Acked after an earlier entry of the segment failed: the segment is sealed at the
        // earlier failure, so this entry will never be visible. Report it as failed.
        err = new LogUnavailableException("segment " + seg.data.getId() + " failed before this");
      }
      StorageException e = Errors.map("append to " + name, err);
      if (e instanceof LogFencedException) {
        fenced(e);
      } else if (!seg.failed) {
        log.warn("Log {}: append to ledger {} failed ({}); sealing it", name, seg.data.getId(), e);
        seg.failed = true;
        if (active == seg) {
          startSwitch(true);
        }
      }
      p.fail(state == State.FENCED ? terminal : e);
    } catch (RuntimeException e) {
      log.error("Log {}: bug while completing an append", name, e);
      p.fail(Errors.map("append to " + name, e));
    }
  }

  private void acknowledged(
      ActiveSegment seg, PendingAppend p, long base, long last, long entryId) {
    int size = p.header().sizeInBytes();
    seg.idx.addEntry(base, last, size, p.header().maxTimestamp());
    highWatermark = last + 1;
    AppendResult result =
        new AppendResult(base, last, p.header().maxTimestamp(), seg.data.getId(), entryId);
    for (AppendListener l : listeners) {
      try {
        l.onAppend(this, result, p.batch());
      } catch (RuntimeException e) {
        log.warn("Log {}: append listener failed", name, e);
      }
    }
    p.complete(result);
    seg.bytesSinceChunk += size;
    seg.maybePersistIndexChunk(ctx, name, executor);
  }

  void failQueue(StorageException e) {
    PendingAppend p;
    while ((p = queue.poll()) != null) {
      p.fail(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Switching segments: roll, failure recovery, close

  @Override
  public CompletableFuture<Void> roll() {
    return onExecutor(
        () -> {
          if (closing || state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          if (state == State.FENCED) {
            return CompletableFuture.failedFuture(terminal);
          }
          if (state == State.ACTIVE && active.assignedEntries == 0) {
            return CompletableFuture.completedFuture(null);
          }
          return startSwitch(true);
        });
  }

  /**
   * Starts (or joins) a switch ({@link SegmentSwitch}): seal the current segment (if any) and, if
   * {@code openNew}, open the next. The future completes when the switch is done, normally also
   * when no new segment could be created (then the state is IDLE and queued appends failed).
   */
  private CompletableFuture<Void> startSwitch(boolean openNew) {
    if (switchFuture != null) {
      return switchFuture;
    }
    boolean openSegment = openNew && !closing && state != State.FENCED;
    state = State.SWITCHING;
    SegmentSwitch sw = new SegmentSwitch(this, ctx, executor, metadata, active, openSegment);
    switchFuture = sw.done;
    sw.start();
    return sw.done;
  }

  /**
   * SWITCHING ends (on the executor): after an unexpected failure of the switch the log goes IDLE
   * and its queued appends fail; if a segment is active, the queue drains into it.
   */
  void switchEnded(CompletableFuture<Void> done, Throwable e) {
    if (e != null) {
      log.error("Log {}: segment switch failed unexpectedly", name, e);
      if (state == State.SWITCHING) {
        state = State.IDLE;
      }
      failQueue(Errors.map("switch segment of " + name, e));
    }
    switchFuture = null;
    done.complete(null);
    if (state == State.ACTIVE) {
      drainQueue();
    }
  }

  /** A switch took the active segment to seal it. */
  void detachActive() {
    active = null;
    // Failed appends gave their offsets back: continue right after the last acknowledged one.
    logEndOffset = highWatermark;
  }

  /** SWITCHING ──new segment stored──▶ ACTIVE. */
  void activate(ActiveSegment next) {
    active = next;
    logEndOffset = next.firstOffset();
    state = State.ACTIVE;
    indexRepair.run();
  }

  /** SWITCHING ──no segment──▶ IDLE (not from FENCED or CLOSED); queued appends fail. */
  void finishSwitchWithoutSegment(Throwable cause) {
    if (state == State.FENCED || state == State.CLOSED) {
      return;
    }
    state = State.IDLE;
    if (cause != null || !queue.isEmpty()) {
      failQueue(
          cause == null
              ? new LogUnavailableException("log " + name + " has no writable segment")
              : Errors.map("open a new segment of " + name, cause));
    }
  }

  boolean hasQueuedAppends() {
    return !queue.isEmpty();
  }

  void deleteLedgers(Set<Long> ids) {
    for (long id : ids) {
      ctx.indexes().invalidate(id);
      ctx.ledgers().deleteQuietly(id);
    }
  }

  void fenced(StorageException cause) {
    if (state == State.FENCED || state == State.CLOSED) {
      return;
    }
    log.info("Log {} (epoch {}) fenced: {}", name, epoch, cause.getMessage());
    terminal =
        cause instanceof LogFencedException
            ? cause
            : new LogFencedException("log " + name + " fenced", cause);
    state = State.FENCED;
    failQueue(terminal);
    if (active != null) {
      active.stop();
      active.failed = true;
      ctx.ledgers().closeQuietly(active.index);
    }
    notifyClosed(terminal);
  }

  private void notifyClosed(StorageException reason) {
    for (AppendListener l : listeners) {
      try {
        l.onClosed(this, reason);
      } catch (RuntimeException e) {
        log.warn("Log {}: listener failed", name, e);
      }
    }
  }

  @Override
  public CompletableFuture<Void> close() {
    return onExecutor(
        () -> {
          if (closeFuture != null) {
            return closeFuture;
          }
          closing = true;
          closeFuture = new CompletableFuture<>();
          failQueue(new LogClosedException("log " + name + " is closing"));
          CompletableFuture<Void> running =
              switchFuture == null ? CompletableFuture.completedFuture(null) : switchFuture;
          running
              .thenComposeAsync(
                  v ->
                      state == State.FENCED || (active == null && localSeal == null)
                          ? CompletableFuture.<Void>completedFuture(null)
                          : startSwitch(false),
                  executor)
              .whenCompleteAsync(
                  (v, e) -> {
                    if (localSeal != null && state != State.FENCED) {
                      log.warn(
                          "Log {}: closed without storing its seal; next owner recovers", name);
                    }
                    State was = state;
                    state = State.CLOSED;
                    if (was != State.FENCED) {
                      notifyClosed(new LogClosedException("log " + name + " closed"));
                    }
                    onClosed.accept(this);
                    closeFuture.complete(null);
                  },
                  executor);
          return closeFuture;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  private List<SegmentRef> segmentRefs() {
    return reader.segmentRefs(metadata.current(), localSeal, active);
  }

  @Override
  public CompletableFuture<LogReadResult> read(long offset, int maxBytes) {
    return onExecutor(
        () -> {
          if (state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          return reader.read(
              this::segmentRefs,
              offset,
              maxBytes,
              logStartOffset,
              highWatermark,
              logEndOffset,
              () -> logStartOffset);
        });
  }

  @Override
  public CompletableFuture<Optional<TimestampOffset>> offsetForTimestamp(long timestampMs) {
    return onExecutor(
        () -> reader.searchTimestamp(segmentRefs(), timestampMs, logStartOffset, highWatermark));
  }

  @Override
  public CompletableFuture<Optional<TimestampOffset>> offsetOfMaxTimestamp() {
    return onExecutor(
        () -> reader.searchMaxTimestamp(segmentRefs(), logStartOffset, highWatermark));
  }

  // ---------------------------------------------------------------------------------------------
  // Offload (the tiering module drives it; see TieredStorage and OffloadSteps)

  @Override
  public CompletableFuture<SegmentMetadata> beginOffload(long ledgerId) {
    return changeSegment(ledgerId, "begin offload of", OffloadSteps.begin(ledgerId));
  }

  @Override
  public CompletableFuture<SegmentMetadata> commitOffload(long ledgerId, int attempt) {
    return changeSegment(ledgerId, "commit offload of", OffloadSteps.commit(ledgerId, attempt));
  }

  /** One compare-and-set changing one segment (by ledger id, so it can be re-applied). */
  private CompletableFuture<SegmentMetadata> changeSegment(
      long ledgerId, String what, UnaryOperator<SegmentMetadata> change) {
    return whileWritable(
        () ->
            metadata
                .update(m -> OffloadSteps.changeSegment(m, name, ledgerId, change))
                .handle(
                    (stored, e) -> {
                      if (e != null) {
                        throw onMetadataFailure(what + " segment " + ledgerId + " of " + name, e);
                      }
                      return OffloadSteps.segment(stored, ledgerId);
                    }));
  }

  // ---------------------------------------------------------------------------------------------
  // Retention and trimming

  /**
   * Like {@link #onExecutor}, but fails at once with the fencing cause if the log is fenced, or
   * with {@link LogClosedException} if it is closing or closed.
   */
  private <T> CompletableFuture<T> whileWritable(Supplier<CompletableFuture<T>> task) {
    return onExecutor(
        () -> {
          if (state == State.FENCED) {
            return CompletableFuture.failedFuture(terminal);
          }
          if (closing || state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          return task.get();
        });
  }

  @Override
  public CompletableFuture<Void> trimTo(long newLogStartOffset) {
    return whileWritable(() -> trimmer.trimTo(newLogStartOffset));
  }

  @Override
  public CompletableFuture<RetentionResult> applyRetention() {
    return whileWritable(trimmer::applyRetention);
  }

  /** Raises the log start offset to {@code stored} (as stored), never lowering it. */
  void advanceLogStartOffset(long stored) {
    logStartOffset = Math.max(logStartOffset, stored);
  }

  /**
   * Maps a failed metadata step to the exception to fail it with; a fencing error also fences the
   * log (on the executor).
   */
  StorageException onMetadataFailure(String what, Throwable e) {
    StorageException se = Errors.map(what, e);
    if (se instanceof LogFencedException) {
      executor.execute(() -> fenced(se));
    }
    return se;
  }

  @Override
  public String toString() {
    return "PartitionLog[" + name + ", epoch " + epoch + ", " + state + "]";
  }
}
