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
import io.strata.storage.api.OffsetOutOfRangeException;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.RetentionResult;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TimestampOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.bookkeeper.client.api.WriteHandle;
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
 * In SWITCHING, appends wait in {@link #queue} and keep their order. A switch stops the current
 * segment, lets its in-flight appends finish, seals it locally at its last acknowledged entry
 * (closing its ledger and completing its index ledger), creates the next segment's ledgers, and
 * stores both changes in one compare-and-set. Offsets assigned to appends that failed are reused:
 * the log end offset falls back to the high watermark before the next segment starts.
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

  /** An append accepted by {@link #append} and not yet assigned an offset. */
  private record PendingAppend(
      ByteBuf batch, RecordBatchHeader header, CompletableFuture<AppendResult> future) {}

  /** A segment sealed by this writer whose sealing is not stored yet (after a failed switch). */
  private record LocalSeal(
      long ledgerId, SegmentMetadata sealed, SegmentIndex idx, Set<Long> obsoleteLedgers) {}

  private final StoreContext ctx;
  private final String name;
  private final long epoch;
  private final ExecutorService executor;
  private final MetadataUpdater metadata;
  private final Consumer<BookKeeperPartitionLog> onClosed;
  private final CopyOnWriteArrayList<AppendListener> listeners = new CopyOnWriteArrayList<>();
  private final ArrayDeque<PendingAppend> queue = new ArrayDeque<>();
  private final LogReader reader;

  // Volatile: read by getters and by callers' threads; written on the executor only.
  private volatile LogConfig config;
  private volatile long logStartOffset;
  private volatile long highWatermark;
  private volatile long logEndOffset;
  private volatile State state;

  // Executor-confined.
  private ActiveSegment active;
  private LocalSeal localSeal;
  private CompletableFuture<Void> switchFuture;
  private boolean closing;
  private CompletableFuture<Void> closeFuture;
  private StorageException terminal;
  private boolean repairingIndex;

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
    return p.future;
  }

  private void enqueue(PendingAppend p) {
    if (closing || state == State.CLOSED) {
      fail(p, new LogClosedException("log " + name + " is closed"));
      return;
    }
    if (state == State.FENCED) {
      fail(p, terminal);
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
      if (shouldRoll(active, p.header.sizeInBytes())) {
        startSwitch(true);
        return;
      }
      queue.poll();
      assign(active, p);
    }
  }

  private boolean shouldRoll(ActiveSegment seg, int nextBatchBytes) {
    if (seg.assignedEntries == 0) {
      return false;
    }
    LogConfig c = config;
    return seg.assignedBytes + nextBatchBytes > c.segmentBytes()
        || ctx.time().milliseconds() - seg.meta.createdTimeMs() >= c.segmentMs();
  }

  private void assign(ActiveSegment seg, PendingAppend p) {
    long base = logEndOffset;
    long last = base + p.header.lastOffsetDelta();
    RecordBatchHeader.writeBaseOffset(p.batch, base);
    logEndOffset = last + 1;
    seg.assignedEntries++;
    seg.assignedBytes += p.header.sizeInBytes();
    seg.inFlight++;
    CompletableFuture<Long> add;
    try {
      // BookKeeper takes (and releases) the reference passed; ours stays for listeners.
      add = seg.data.appendAsync(p.batch.retainedDuplicate());
    } catch (RuntimeException e) {
      add = CompletableFuture.failedFuture(e);
    }
    add.whenCompleteAsync(
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
      fail(p, state == State.FENCED ? terminal : e);
    } catch (RuntimeException e) {
      log.error("Log {}: bug while completing an append", name, e);
      fail(p, Errors.map("append to " + name, e));
    }
  }

  private void acknowledged(
      ActiveSegment seg, PendingAppend p, long base, long last, long entryId) {
    int size = p.header.sizeInBytes();
    seg.idx.addEntry(base, last, size, p.header.maxTimestamp());
    highWatermark = last + 1;
    AppendResult result =
        new AppendResult(base, last, p.header.maxTimestamp(), seg.data.getId(), entryId);
    for (AppendListener l : listeners) {
      try {
        l.onAppend(this, result, p.batch);
      } catch (RuntimeException e) {
        log.warn("Log {}: append listener failed", name, e);
      }
    }
    p.batch.release();
    p.future.complete(result);
    seg.bytesSinceChunk += size;
    maybePersistIndexChunk(seg);
  }

  private void maybePersistIndexChunk(ActiveSegment seg) {
    int pending = seg.idx.entryCount() - seg.persistedEntries;
    if (seg.indexBroken
        || seg.stopped
        || pending == 0
        || (pending < ctx.indexes().chunkEntries()
            && seg.bytesSinceChunk < ctx.config().indexChunkBytes())) {
      return;
    }
    ByteBuf chunk =
        IndexChunkCodec.encode(
            ctx.allocator(), seg.idx, seg.persistedEntries, seg.idx.entryCount());
    seg.persistedEntries = seg.idx.entryCount();
    seg.bytesSinceChunk = 0;
    seg.lastChunk =
        seg.index
            .appendAsync(chunk)
            .whenCompleteAsync(
                (id, e) -> {
                  if (e != null && !seg.indexBroken) {
                    log.info("Log {}: index chunk append failed ({})", name, e.toString());
                    seg.indexBroken = true;
                  }
                },
                executor);
  }

  private void fail(PendingAppend p, StorageException e) {
    p.batch.release();
    p.future.completeExceptionally(e);
  }

  private void failQueue(StorageException e) {
    PendingAppend p;
    while ((p = queue.poll()) != null) {
      fail(p, e);
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
   * Starts (or joins) a switch: seal the current segment (if any) and, if {@code openNew}, open the
   * next. The future completes when the switch is done, normally also when no new segment could be
   * created (then the state is IDLE and queued appends failed).
   */
  private CompletableFuture<Void> startSwitch(boolean openNew) {
    if (switchFuture != null) {
      return switchFuture;
    }
    state = State.SWITCHING;
    CompletableFuture<Void> done = new CompletableFuture<>();
    switchFuture = done;
    armSwitchTimeout(done);
    ActiveSegment old = active;
    CompletableFuture<Void> drained =
        old == null ? CompletableFuture.completedFuture(null) : old.stop();
    // The next segment's ledgers are created while the old segment drains and seals.
    CompletableFuture<Created> created =
        openNew && !closing && state != State.FENCED
            ? createSegmentLedgers().handle((h, e) -> new Created(h, e))
            : CompletableFuture.completedFuture(new Created(null, null));
    drained
        .thenComposeAsync(
            v -> old == null ? CompletableFuture.completedFuture(null) : sealLocally(old), executor)
        .thenCombine(created, (v, c) -> c)
        .thenComposeAsync(this::commitSwitch, executor)
        .whenCompleteAsync(
            (v, e) -> {
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
            },
            executor);
    return done;
  }

  /**
   * Appends waiting behind a switch that cannot finish (ZooKeeper unreachable, bookies stalled)
   * fail retriably after the add timeout instead of waiting without bound; the switch itself goes
   * on and the log resumes when it completes.
   */
  private void armSwitchTimeout(CompletableFuture<Void> sw) {
    long timeoutMs = ctx.config().addTimeoutSec() * 1000L;
    CompletableFuture.delayedExecutor(timeoutMs, TimeUnit.MILLISECONDS, executor)
        .execute(
            () -> {
              if (switchFuture == sw && !sw.isDone()) {
                if (!queue.isEmpty()) {
                  log.warn("Log {}: segment switch still running after {} ms", name, timeoutMs);
                  failQueue(
                      new LogUnavailableException(
                          "log "
                              + name
                              + ": segment switch did not finish in "
                              + timeoutMs
                              + " ms"));
                }
                armSwitchTimeout(sw);
              }
            });
  }

  private record NewLedgers(WriteHandle data, WriteHandle index) {}

  private record Created(NewLedgers ledgers, Throwable error) {}

  private CompletableFuture<NewLedgers> createSegmentLedgers() {
    LogConfig c = config;
    CompletableFuture<WriteHandle> data = ctx.ledgers().create(name, Ledgers.Kind.DATA, c, epoch);
    CompletableFuture<WriteHandle> index = ctx.ledgers().create(name, Ledgers.Kind.INDEX, c, epoch);
    return data.thenCombine(index, NewLedgers::new)
        .whenComplete(
            (n, e) -> {
              if (e != null) {
                data.thenAccept(h -> ctx.ledgers().deleteQuietly(h.getId()));
                index.thenAccept(h -> ctx.ledgers().deleteQuietly(h.getId()));
              }
            });
  }

  /**
   * Seals a drained segment locally: closes its data ledger, completes (or rewrites) its index
   * ledger, and records the result in {@link #localSeal}. Never fails.
   */
  private CompletableFuture<Void> sealLocally(ActiveSegment seg) {
    active = null;
    // Failed appends gave their offsets back: continue right after the last acknowledged one.
    logEndOffset = highWatermark;
    SegmentIndex idx = seg.idx;
    Set<Long> obsolete = new HashSet<>();
    CompletableFuture<Void> dataClosed =
        seg.data.closeAsync().exceptionally(e -> null); // our metadata, not the ledger, is truth
    if (idx.entryCount() == 0) {
      idx.seal();
      localSeal =
          new LocalSeal(seg.data.getId(), null, idx, Set.of(seg.data.getId(), seg.index.getId()));
      ctx.ledgers().closeQuietly(seg.index);
      return dataClosed;
    }
    // Readable at once: until the seal is stored, reads of this segment use its in-memory index.
    localSeal =
        new LocalSeal(
            seg.data.getId(),
            seg.meta.seal(
                idx.lastOffset(idx.entryCount() - 1),
                idx.maxTimestamp(),
                idx.totalBytes(),
                idx.entryCount(),
                seg.index.getId()),
            idx,
            obsolete);
    CompletableFuture<Long> indexLedger =
        seg.lastChunk
            .handle((v, e) -> null)
            .thenComposeAsync(
                v -> {
                  if (seg.indexBroken) {
                    return CompletableFuture.failedFuture(
                        new IllegalStateException("index ledger broken"));
                  }
                  return ctx.indexes()
                      .appendChunks(seg.index, idx, seg.persistedEntries)
                      .thenCompose(x -> seg.index.closeAsync())
                      .thenApply(x -> seg.index.getId());
                },
                executor)
            .exceptionallyComposeAsync(
                e -> {
                  obsolete.add(seg.index.getId());
                  ctx.ledgers().closeQuietly(seg.index);
                  return ctx.indexes()
                      .write(name, config, epoch, idx)
                      .exceptionally(
                          e2 -> {
                            log.warn(
                                "Log {}: no index ledger for segment {} ({})",
                                name,
                                seg.data.getId(),
                                e2.toString());
                            return -1L;
                          });
                },
                executor);
    return dataClosed
        .thenCombine(indexLedger, (v, indexId) -> indexId)
        .thenAcceptAsync(
            indexId -> {
              idx.seal();
              ctx.indexes().put(seg.data.getId(), idx);
              SegmentMetadata sealed =
                  seg.meta.seal(
                      idx.lastOffset(idx.entryCount() - 1),
                      idx.maxTimestamp(),
                      idx.totalBytes(),
                      idx.entryCount(),
                      indexId);
              localSeal = new LocalSeal(seg.data.getId(), sealed, idx, obsolete);
            },
            executor);
  }

  /** Stores the local seal and the new segment (if any) in one compare-and-set. */
  private CompletableFuture<Void> commitSwitch(Created created) {
    LocalSeal seal = localSeal;
    NewLedgers next = created.ledgers();
    if (state == State.FENCED) {
      if (next != null) {
        deleteLedgers(Set.of(next.data().getId(), next.index().getId()));
      }
      return CompletableFuture.completedFuture(null);
    }
    long firstOffset = highWatermark;
    SegmentMetadata opened =
        next == null
            ? null
            : SegmentMetadata.open(
                next.data().getId(), next.index().getId(), firstOffset, ctx.time().milliseconds());
    if (seal == null && opened == null) {
      finishSwitchWithoutSegment(created.error());
      return CompletableFuture.completedFuture(null);
    }
    long sealedLedger = seal == null ? -1 : seal.ledgerId;
    List<SegmentMetadata> leftovers = new ArrayList<>();
    return metadata
        .update(
            m -> {
              List<SegmentMetadata> segs = new ArrayList<>();
              for (SegmentMetadata s : m.segments()) {
                if (s.ledgerId() != sealedLedger && !s.isSealed()) {
                  // An OPEN segment that is not ours: left by one of our own switches whose
                  // compare-and-set outcome was unknown (connection loss) and that we therefore
                  // treated as failed. Nothing was ever appended to it; drop it.
                  leftovers.add(s);
                } else if (s.ledgerId() != sealedLedger) {
                  segs.add(s);
                } else if (seal.sealed != null) {
                  segs.add(
                      s.seal(
                          seal.sealed.lastOffset(),
                          seal.sealed.maxTimestamp(),
                          seal.sealed.sizeBytes(),
                          seal.sealed.entryCount(),
                          seal.sealed.indexLedgerId()));
                }
              }
              if (opened != null) {
                segs.add(opened);
              }
              return m.withSegments(segs);
            })
        .handleAsync(
            (stored, err) -> {
              if (err != null) {
                if (next != null) {
                  next.data().closeAsync();
                  next.index().closeAsync();
                  deleteLedgers(Set.of(next.data().getId(), next.index().getId()));
                }
                StorageException e = Errors.map("store segment switch of " + name, err);
                if (e instanceof LogFencedException) {
                  if (seal != null && seal.sealed != null && !seal.obsoleteLedgers.isEmpty()) {
                    // We wrote a fresh index ledger for the seal; the new owner never saw it.
                    deleteLedgers(Set.of(seal.sealed.indexLedgerId()));
                  }
                  fenced(e);
                } else {
                  log.warn("Log {}: could not store segment switch: {}", name, e.toString());
                  finishSwitchWithoutSegment(e);
                }
                return null;
              }
              if (seal != null) {
                localSeal = null;
                deleteLedgers(seal.obsoleteLedgers);
              }
              for (SegmentMetadata s : leftovers) {
                if (stored.segments().stream().noneMatch(x -> x.ledgerId() == s.ledgerId())) {
                  deleteLedgers(Set.of(s.ledgerId(), s.indexLedgerId()));
                }
              }
              if (opened != null) {
                active = new ActiveSegment(opened, next.data(), next.index());
                logEndOffset = firstOffset;
                state = State.ACTIVE;
                repairMissingIndexes();
              } else {
                finishSwitchWithoutSegment(created.error());
              }
              return null;
            },
            executor);
  }

  private void finishSwitchWithoutSegment(Throwable cause) {
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

  private void deleteLedgers(Set<Long> ids) {
    for (long id : ids) {
      ctx.indexes().invalidate(id);
      ctx.ledgers().deleteQuietly(id);
    }
  }

  private void fenced(StorageException cause) {
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
    for (AppendListener l : listeners) {
      try {
        l.onClosed(this, terminal);
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
                      LogClosedException reason = new LogClosedException("log " + name + " closed");
                      for (AppendListener l : listeners) {
                        try {
                          l.onClosed(this, reason);
                        } catch (RuntimeException ex) {
                          log.warn("Log {}: listener failed", name, ex);
                        }
                      }
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

  /** Refs of the segments not (yet) stored as sealed: the locally sealed one, the open one. */
  private List<SegmentRef> unstoredRefs() {
    List<SegmentRef> refs = new ArrayList<>(2);
    LocalSeal seal = localSeal;
    if (seal != null && seal.sealed != null) {
      SegmentMetadata s = seal.sealed;
      refs.add(
          new SegmentRef(
              s.firstOffset(),
              s.lastOffset(),
              s.maxTimestamp(),
              () -> CompletableFuture.completedFuture(seal.idx),
              () -> ctx.ledgers().openForRead(s.ledgerId())));
    }
    ActiveSegment a = active;
    if (a != null && a.idx.entryCount() > 0) {
      refs.add(
          new SegmentRef(
              a.firstOffset(),
              a.idx.nextOffset() - 1,
              a.idx.maxTimestamp(),
              () -> CompletableFuture.completedFuture(a.idx),
              () -> CompletableFuture.completedFuture(a.data)));
    }
    return refs;
  }

  private List<SegmentRef> segmentRefs() {
    return reader.segmentRefs(metadata.current(), unstoredRefs());
  }

  @Override
  public CompletableFuture<LogReadResult> read(long offset, int maxBytes) {
    return onExecutor(
        () -> {
          if (state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          long start = logStartOffset;
          long hw = highWatermark;
          if (offset < start || offset > logEndOffset) {
            return CompletableFuture.failedFuture(
                new OffsetOutOfRangeException(
                    "offset "
                        + offset
                        + " outside ["
                        + start
                        + ", "
                        + logEndOffset
                        + "] of "
                        + name));
          }
          if (offset >= hw) {
            return CompletableFuture.completedFuture(
                new LogReadResult(ctx.allocator().buffer(0), offset, offset, 0, hw, start));
          }
          SegmentRef ref = LogReader.locate(segmentRefs(), offset);
          if (ref == null) {
            return CompletableFuture.failedFuture(
                new OffsetOutOfRangeException("offset " + offset + " of " + name + " not stored"));
          }
          return reader.read(ref, offset, maxBytes, hw, () -> logStartOffset);
        });
  }

  /**
   * Writes an index ledger for one sealed segment that has none (sealed while bookies were missing;
   * its index is scanned from the data ledger until then), then looks for the next.
   */
  private void repairMissingIndexes() {
    if (repairingIndex || state != State.ACTIVE) {
      return;
    }
    for (SegmentMetadata s : metadata.current().segments()) {
      if (s.isSealed() && s.onBookies() && s.entryCount() > 0 && s.indexLedgerId() < 0) {
        repairingIndex = true;
        long[] written = {-1};
        ctx.indexes()
            .get(s)
            .thenCompose(idx -> ctx.indexes().write(name, config, epoch, idx))
            .thenComposeAsync(
                id -> {
                  written[0] = id;
                  return metadata.update(m -> withIndexLedger(m, s.ledgerId(), id));
                },
                executor)
            .whenCompleteAsync(
                (stored, e) -> {
                  repairingIndex = false;
                  if (e != null) {
                    log.info(
                        "Log {}: index repair of segment {} failed: {}",
                        name,
                        s.ledgerId(),
                        e.toString());
                    ctx.ledgers().deleteQuietly(written[0]);
                    onMetadataFailure("repair index of " + name, e);
                  } else {
                    log.info("Log {}: wrote missing index of segment {}", name, s.ledgerId());
                    repairMissingIndexes();
                  }
                },
                executor);
        return;
      }
    }
  }

  private static LogMetadata withIndexLedger(LogMetadata m, long ledgerId, long indexId) {
    List<SegmentMetadata> segs = new ArrayList<>();
    boolean changed = false;
    for (SegmentMetadata s : m.segments()) {
      if (s.ledgerId() == ledgerId && s.indexLedgerId() < 0) {
        segs.add(s.withIndexLedgerId(indexId));
        changed = true;
      } else {
        segs.add(s);
      }
    }
    if (!changed) {
      throw new IllegalStateException("segment " + ledgerId + " no longer needs an index");
    }
    return m.withSegments(segs);
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
  // Offload (the tiering module drives it; see TieredStorage)

  @Override
  public CompletableFuture<SegmentMetadata> beginOffload(long ledgerId) {
    return changeSegment(
        ledgerId,
        "begin offload of",
        s -> {
          if (!s.isSealed() || !s.onBookies() || s.entryCount() == 0) {
            throw new IllegalStateException("segment " + ledgerId + " cannot be offloaded: " + s);
          }
          if (s.isOffloaded()) {
            throw new IllegalStateException("segment " + ledgerId + " is already offloaded");
          }
          return s.withOffloadStarted(s.offloadAttempt() + 1);
        });
  }

  @Override
  public CompletableFuture<SegmentMetadata> commitOffload(long ledgerId, int attempt) {
    return changeSegment(
        ledgerId,
        "commit offload of",
        s -> {
          if (s.isOffloaded() || s.offloadAttempt() != attempt) {
            throw new IllegalStateException(
                "segment "
                    + ledgerId
                    + " records "
                    + s.tierLocation()
                    + ", not attempt "
                    + attempt);
          }
          return s.withOffloadCommitted(attempt);
        });
  }

  /** One compare-and-set changing one segment (by ledger id, so it can be re-applied). */
  private CompletableFuture<SegmentMetadata> changeSegment(
      long ledgerId, String what, java.util.function.UnaryOperator<SegmentMetadata> change) {
    return onExecutor(
        () -> {
          if (state == State.FENCED) {
            return CompletableFuture.failedFuture(terminal);
          }
          if (closing || state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          return metadata
              .update(
                  m -> {
                    List<SegmentMetadata> segs = new ArrayList<>(m.segments().size());
                    boolean found = false;
                    for (SegmentMetadata s : m.segments()) {
                      if (s.ledgerId() == ledgerId) {
                        segs.add(change.apply(s));
                        found = true;
                      } else {
                        segs.add(s);
                      }
                    }
                    if (!found) {
                      throw new IllegalStateException("no segment " + ledgerId + " in " + name);
                    }
                    return m.withSegments(segs);
                  })
              .handle(
                  (stored, e) -> {
                    if (e != null) {
                      throw onMetadataFailure(what + " segment " + ledgerId + " of " + name, e);
                    }
                    for (SegmentMetadata s : stored.segments()) {
                      if (s.ledgerId() == ledgerId) {
                        return s;
                      }
                    }
                    throw new IllegalStateException("segment " + ledgerId + " vanished");
                  });
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Retention and trimming

  @Override
  public CompletableFuture<Void> trimTo(long newLogStartOffset) {
    return onExecutor(
        () -> {
          if (state == State.FENCED) {
            return CompletableFuture.failedFuture(terminal);
          }
          if (closing || state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          if (newLogStartOffset > highWatermark) {
            return CompletableFuture.failedFuture(
                new OffsetOutOfRangeException(
                    "cannot trim "
                        + name
                        + " to "
                        + newLogStartOffset
                        + " above high watermark "
                        + highWatermark));
          }
          if (newLogStartOffset <= logStartOffset) {
            return CompletableFuture.completedFuture(null);
          }
          return metadata
              .update(
                  m ->
                      m.logStartOffset() >= newLogStartOffset
                          ? m
                          : m.withLogStartOffset(newLogStartOffset))
              .thenComposeAsync(
                  stored -> {
                    logStartOffset = Math.max(logStartOffset, stored.logStartOffset());
                    return deleteSegments(false);
                  },
                  executor)
              .handle(
                  (r, e) -> {
                    if (e != null) {
                      throw onMetadataFailure("trim " + name, e);
                    }
                    return null;
                  });
        });
  }

  @Override
  public CompletableFuture<RetentionResult> applyRetention() {
    return onExecutor(
        () -> {
          if (state == State.FENCED) {
            return CompletableFuture.failedFuture(terminal);
          }
          if (closing || state == State.CLOSED) {
            return CompletableFuture.failedFuture(
                new LogClosedException("log " + name + " closed"));
          }
          return deleteSegments(true)
              .handle(
                  (r, e) -> {
                    if (e != null) {
                      throw onMetadataFailure("apply retention to " + name, e);
                    }
                    return r;
                  });
        });
  }

  private StorageException onMetadataFailure(String what, Throwable e) {
    StorageException se = Errors.map(what, e);
    if (se instanceof LogFencedException) {
      executor.execute(() -> fenced(se));
    }
    return se;
  }

  private CompletableFuture<RetentionResult> deleteSegments(boolean applyLimits) {
    CompletableFuture<RetentionResult> total =
        SegmentDeletion.run(
            name,
            ctx,
            metadata,
            executor,
            config,
            logStartOffset,
            applyLimits,
            unsealedBytes(),
            stored -> logStartOffset = Math.max(logStartOffset, stored),
            this::deleteLedgers);
    if (!applyLimits || !config.remoteStorageEnable() || !ctx.tier().enabled()) {
      return total;
    }
    return total.thenComposeAsync(
        r ->
            SegmentDeletion.moveOffBookies(
                    name, ctx, metadata, executor, config, unsealedBytes(), this::deleteLedgers)
                .thenApply(moved -> r),
        executor);
  }

  /** Bytes in segments not sealed in the stored metadata (active and locally sealed). */
  private long unsealedBytes() {
    long b = 0;
    if (active != null) {
      b += active.idx.totalBytes();
    }
    if (localSeal != null && localSeal.sealed != null) {
      b += localSeal.sealed.sizeBytes();
    }
    return b;
  }

  @Override
  public String toString() {
    return "PartitionLog[" + name + ", epoch " + epoch + ", " + state + "]";
  }
}
