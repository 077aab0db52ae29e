package io.strata.storage.internals;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.LogUnavailableException;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageException;
import io.strata.storage.internals.BookKeeperPartitionLog.State;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment switch of a {@link BookKeeperPartitionLog} (roll, failure recovery, close): stops the
 * current segment, lets its in-flight appends finish, seals it locally at its last acknowledged
 * entry (closing its ledger and completing its index ledger), creates the next segment's ledgers
 * meanwhile, and stores both changes in one compare-and-set.
 *
 * <p>Lifecycle: one instance per switch, made and started by {@code
 * BookKeeperPartitionLog.startSwitch}. {@link #done} completes when the switch is over, normally
 * also when no new segment could be created (the log is then IDLE and its queued appends failed);
 * it never completes exceptionally.
 *
 * <p>Threading: runs on the log's executor; every continuation hops back there before touching the
 * log. It reads and writes the log's executor-confined {@code active}, {@code localSeal} and {@code
 * switchFuture}; the log's state changes go through the log's own methods.
 */
final class SegmentSwitch {
  private static final Logger log = LoggerFactory.getLogger(SegmentSwitch.class);

  /** A segment sealed by this writer whose sealing is not stored yet (after a failed switch). */
  record LocalSeal(
      long ledgerId, SegmentMetadata sealed, SegmentIndex idx, Set<Long> obsoleteLedgers) {}

  private record NewLedgers(WriteHandle data, WriteHandle index) {}

  private record Created(NewLedgers ledgers, Throwable error) {}

  private final BookKeeperPartitionLog owner;
  private final StoreContext ctx;
  private final String name;
  private final ExecutorService executor;
  private final MetadataUpdater metadata;
  private final ActiveSegment old;
  private final boolean openNew;

  /** Completes (normally) when the switch is over. */
  final CompletableFuture<Void> done = new CompletableFuture<>();

  /**
   * @param old the segment to seal, or null if none is active
   * @param openNew whether to open a next segment
   */
  SegmentSwitch(
      BookKeeperPartitionLog owner,
      StoreContext ctx,
      ExecutorService executor,
      MetadataUpdater metadata,
      ActiveSegment old,
      boolean openNew) {
    this.owner = owner;
    this.ctx = ctx;
    this.name = owner.name();
    this.executor = executor;
    this.metadata = metadata;
    this.old = old;
    this.openNew = openNew;
  }

  /** Arms the switch timeout and starts the switch; its end is reported to the log. */
  void start() {
    armTimeout();
    CompletableFuture<Void> drained =
        old == null ? CompletableFuture.completedFuture(null) : old.stop();
    // The next segment's ledgers are created while the old segment drains and seals.
    CompletableFuture<Created> created =
        openNew
            ? createSegmentLedgers().handle((h, e) -> new Created(h, e))
            : CompletableFuture.completedFuture(new Created(null, null));
    drained
        .thenComposeAsync(
            v -> old == null ? CompletableFuture.completedFuture(null) : sealLocally(old), executor)
        .thenCombine(created, (v, c) -> c)
        .thenComposeAsync(this::commit, executor)
        .whenCompleteAsync((v, e) -> owner.switchEnded(done, e), executor);
  }

  /**
   * Appends waiting behind a switch that cannot finish (ZooKeeper unreachable, bookies stalled)
   * fail retriably after the add timeout instead of waiting without bound; the switch itself goes
   * on and the log resumes when it completes.
   */
  private void armTimeout() {
    long timeoutMs = ctx.config().addTimeoutSec() * 1000L;
    CompletableFuture.delayedExecutor(timeoutMs, TimeUnit.MILLISECONDS, executor)
        .execute(
            () -> {
              if (owner.switchFuture == done && !done.isDone()) {
                log.warn("Log {}: segment switch still running after {} ms", name, timeoutMs);
                if (owner.hasQueuedAppends()) {
                  owner.failQueue(
                      new LogUnavailableException(
                          "log "
                              + name
                              + ": segment switch did not finish in "
                              + timeoutMs
                              + " ms"));
                }
                armTimeout();
              }
            });
  }

  private CompletableFuture<NewLedgers> createSegmentLedgers() {
    LogConfig c = owner.config();
    long epoch = owner.epoch();
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
   * ledger, and records the result in the log's {@code localSeal}. Never fails.
   */
  private CompletableFuture<Void> sealLocally(ActiveSegment seg) {
    owner.detachActive();
    SegmentIndex idx = seg.idx;
    Set<Long> obsolete = new HashSet<>();
    // Our metadata, not the ledger, is the truth: a close that fails or never finishes (BookKeeper
    // retrying its metadata write, a client bug) must not hold the switch and its queued appends.
    CompletableFuture<Void> dataClosed = bounded(seg.data.closeAsync()).exceptionally(e -> null);
    if (idx.entryCount() == 0) {
      idx.seal();
      owner.localSeal =
          new LocalSeal(seg.data.getId(), null, idx, Set.of(seg.data.getId(), seg.index.getId()));
      ctx.ledgers().closeQuietly(seg.index);
      return dataClosed;
    }
    // Readable at once: until the seal is stored, reads of this segment use its in-memory index.
    owner.localSeal =
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
                      .thenCompose(x -> bounded(seg.index.closeAsync()))
                      .thenApply(x -> seg.index.getId());
                },
                executor)
            .exceptionallyComposeAsync(
                e -> {
                  obsolete.add(seg.index.getId());
                  ctx.ledgers().closeQuietly(seg.index);
                  return ctx.indexes()
                      .write(name, owner.config(), owner.epoch(), idx)
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
              owner.localSeal = new LocalSeal(seg.data.getId(), sealed, idx, obsolete);
            },
            executor);
  }

  /** {@code f}, failed with a TimeoutException if it is not done within the add timeout. */
  private <T> CompletableFuture<T> bounded(CompletableFuture<T> f) {
    return f.orTimeout(ctx.config().addTimeoutSec(), TimeUnit.SECONDS);
  }

  /** Stores the local seal and the new segment (if any) in one compare-and-set. */
  private CompletableFuture<Void> commit(Created created) {
    LocalSeal seal = owner.localSeal;
    NewLedgers next = created.ledgers();
    if (owner.state() == State.FENCED) {
      if (next != null) {
        owner.deleteLedgers(Set.of(next.data().getId(), next.index().getId()));
      }
      return CompletableFuture.completedFuture(null);
    }
    long firstOffset = owner.highWatermark();
    SegmentMetadata opened =
        next == null
            ? null
            : SegmentMetadata.open(
                next.data().getId(), next.index().getId(), firstOffset, ctx.time().milliseconds());
    if (seal == null && opened == null) {
      owner.finishSwitchWithoutSegment(created.error());
      return CompletableFuture.completedFuture(null);
    }
    List<SegmentMetadata> leftovers = new ArrayList<>();
    return metadata
        .update(m -> switched(m, seal, opened, leftovers))
        .handleAsync(
            (stored, err) -> {
              if (err != null) {
                if (next != null) {
                  next.data().closeAsync();
                  next.index().closeAsync();
                  owner.deleteLedgers(Set.of(next.data().getId(), next.index().getId()));
                }
                StorageException e = Errors.map("store segment switch of " + name, err);
                if (e instanceof LogFencedException) {
                  if (seal != null && seal.sealed != null && !seal.obsoleteLedgers.isEmpty()) {
                    // We wrote a fresh index ledger for the seal; the new owner never saw it.
                    owner.deleteLedgers(Set.of(seal.sealed.indexLedgerId()));
                  }
                  owner.fenced(e);
                } else {
                  log.warn("Log {}: could not store segment switch: {}", name, e.toString());
                  owner.finishSwitchWithoutSegment(e);
                }
                return null;
              }
              if (seal != null) {
                owner.localSeal = null;
                owner.deleteLedgers(seal.obsoleteLedgers);
              }
              for (SegmentMetadata s : leftovers) {
                if (stored.segments().stream().noneMatch(x -> x.ledgerId() == s.ledgerId())) {
                  owner.deleteLedgers(Set.of(s.ledgerId(), s.indexLedgerId()));
                }
              }
              if (opened != null) {
                owner.activate(new ActiveSegment(opened, next.data(), next.index()));
              } else {
                owner.finishSwitchWithoutSegment(created.error());
              }
              return null;
            },
            executor);
  }

  /**
   * The metadata change of a switch, re-applicable to a fresher copy: the sealed segment (if any)
   * gets its seal (or goes, if it holds no entry), OPEN segments that are not ours are dropped and
   * collected in {@code leftovers}, and {@code opened} (if any) is added at the end.
   */
  private static LogMetadata switched(
      LogMetadata m, LocalSeal seal, SegmentMetadata opened, List<SegmentMetadata> leftovers) {
    long sealedLedger = seal == null ? -1 : seal.ledgerId;
    leftovers.clear(); // re-applied after a compare-and-set conflict: collect afresh
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
  }
}
