package io.strata.storage.internals;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Taking a log over (one run of {@link io.strata.storage.api.LogStore#open}):
 *
 * <ol>
 *   <li>create the log's znode, or compare-and-set its writer epoch to ours (must be higher);
 *   <li>for each OPEN segment: recovery-open its data ledger (fences the previous writer) and its
 *       index ledger (fences the previous writer's index chunks), read the persisted index chunks,
 *       scan only the data entries after them, write a complete index to a new index ledger;
 *   <li>create the new segment's ledgers; one compare-and-set seals the recovered segments
 *       (removing empty ones) and adds the new OPEN segment after the last recovered offset;
 *   <li>delete the superseded index ledgers and empty segments' ledgers.
 * </ol>
 *
 * If no new ledger can be created (too few bookies), the recovered segments are still sealed and
 * the log opens IDLE: its first append retries creating a segment. Runs on the log's executor.
 */
final class TakeOver {
  private static final Logger log = LoggerFactory.getLogger(TakeOver.class);

  private final StoreContext ctx;
  private final String name;
  private final LogConfig config;
  private final long epoch;
  private final ExecutorService executor;

  /** A recovered OPEN segment: sealed (null if it held nothing), its index, ledgers to delete. */
  private record Recovered(
      SegmentMetadata open, SegmentMetadata sealed, SegmentIndex idx, Set<Long> obsolete) {}

  TakeOver(StoreContext ctx, String name, LogConfig config, long epoch, ExecutorService executor) {
    this.ctx = ctx;
    this.name = name;
    this.config = config;
    this.epoch = epoch;
    this.executor = executor;
  }

  CompletableFuture<BookKeeperPartitionLog> run(Consumer<BookKeeperPartitionLog> onClosed) {
    return claim()
        .thenComposeAsync(
            meta -> {
              MetadataUpdater updater = new MetadataUpdater(ctx.metadata(), executor, meta);
              return recoverAll(meta)
                  .thenComposeAsync(recovered -> commit(updater, recovered), executor)
                  .thenApplyAsync(
                      active ->
                          new BookKeeperPartitionLog(
                              ctx, config, updater, executor, active, onClosed),
                      executor);
            },
            executor);
  }

  /** Creates the znode or raises its epoch; fails with LogFencedException if not higher. */
  private CompletableFuture<LogMetadata> claim() {
    return ctx.metadata()
        .read(name)
        .thenComposeAsync(
            existing -> {
              if (existing.isEmpty()) {
                return ctx.metadata()
                    .create(new LogMetadata(name, epoch, 0, List.of(), -1))
                    .exceptionallyComposeAsync(
                        e ->
                            Errors.isKeeper(e, KeeperException.Code.NODEEXISTS)
                                ? claim()
                                : CompletableFuture.failedFuture(Errors.map("create " + name, e)),
                        executor);
              }
              LogMetadata m = existing.get();
              if (m.writerEpoch() >= epoch) {
                return CompletableFuture.failedFuture(
                    new LogFencedException(
                        "cannot take "
                            + name
                            + " over with epoch "
                            + epoch
                            + ": stored epoch is "
                            + m.writerEpoch()));
              }
              return ctx.metadata()
                  .compareAndSet(m.withEpoch(epoch), m.zkVersion())
                  .exceptionallyComposeAsync(
                      e ->
                          Errors.isKeeper(e, KeeperException.Code.BADVERSION)
                                  || Errors.isKeeper(e, KeeperException.Code.NONODE)
                              ? claim()
                              : CompletableFuture.failedFuture(
                                  Errors.map("claim " + name + " epoch " + epoch, e)),
                      executor);
            },
            executor);
  }

  private CompletableFuture<List<Recovered>> recoverAll(LogMetadata meta) {
    List<CompletableFuture<Recovered>> all = new ArrayList<>();
    for (SegmentMetadata s : meta.segments()) {
      if (!s.isSealed()) {
        all.add(recover(s));
      }
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<Recovered> out = new ArrayList<>();
              for (CompletableFuture<Recovered> f : all) {
                out.add(f.join());
              }
              return out;
            });
  }

  private CompletableFuture<Recovered> recover(SegmentMetadata seg) {
    CompletableFuture<ReadHandle> data =
        ctx.ledgers()
            .recover(seg.ledgerId())
            .exceptionallyCompose(
                e -> {
                  if (!Errors.isNoSuchLedger(e)) {
                    return CompletableFuture.failedFuture(e);
                  }
                  // Only an OPEN segment nothing was appended to can lose its ledger (a writer's
                  // switch whose outcome it could not know); treat it as empty.
                  log.warn(
                      "Log {}: ledger {} of an open segment is gone; dropping the segment",
                      name,
                      seg.ledgerId());
                  return CompletableFuture.completedFuture(null);
                });
    CompletableFuture<SegmentIndex> persisted =
        seg.indexLedgerId() < 0
            ? CompletableFuture.completedFuture(new SegmentIndex(seg.firstOffset(), 1024))
            : ctx.ledgers()
                .recover(seg.indexLedgerId())
                .thenCompose(
                    h ->
                        ctx.indexes()
                            .readChunks(h, seg.firstOffset())
                            .whenComplete((i, e) -> h.closeAsync()))
                .exceptionally(
                    e -> {
                      log.warn(
                          "Log {}: index ledger {} unreadable ({}); scanning segment {} fully",
                          name,
                          seg.indexLedgerId(),
                          Errors.unwrap(e).toString(),
                          seg.ledgerId());
                      return new SegmentIndex(seg.firstOffset(), 1024);
                    });
    Set<Long> obsolete = new HashSet<>();
    if (seg.indexLedgerId() >= 0) {
      obsolete.add(seg.indexLedgerId());
    }
    return data.thenCombine(persisted, (h, idx) -> new java.util.AbstractMap.SimpleEntry<>(h, idx))
        .thenCompose(
            pair -> {
              ReadHandle h = pair.getKey();
              SegmentIndex idx = pair.getValue();
              if (h == null) {
                obsolete.add(seg.ledgerId());
                return CompletableFuture.completedFuture(
                    new Recovered(
                        seg, null, new SegmentIndex(seg.firstOffset(), 1).seal(), obsolete));
              }
              long lac = h.getLastAddConfirmed();
              if (idx.entryCount() > lac + 1) {
                throw new IllegalStateException(
                    "index of " + seg.ledgerId() + " covers more entries than the ledger holds");
              }
              int persistedEntries = idx.entryCount();
              return ctx.indexes()
                  .scan(h, idx, lac)
                  .whenComplete((v, e) -> h.closeAsync())
                  .thenCompose(
                      v -> {
                        log.info(
                            "Log {}: recovered segment {}: {} entries ({} from index, {} scanned)",
                            name,
                            seg.ledgerId(),
                            idx.entryCount(),
                            persistedEntries,
                            idx.entryCount() - persistedEntries);
                        idx.seal();
                        if (idx.entryCount() == 0) {
                          obsolete.add(seg.ledgerId());
                          return CompletableFuture.completedFuture(
                              new Recovered(seg, null, idx, obsolete));
                        }
                        return ctx.indexes()
                            .write(name, config, epoch, idx)
                            .exceptionally(e -> -1L)
                            .thenApply(
                                indexId ->
                                    new Recovered(
                                        seg,
                                        seg.seal(
                                            idx.lastOffset(idx.entryCount() - 1),
                                            idx.maxTimestamp(),
                                            idx.totalBytes(),
                                            idx.entryCount(),
                                            indexId),
                                        idx,
                                        obsolete));
                      });
            });
  }

  private CompletableFuture<ActiveSegment> commit(
      MetadataUpdater updater, List<Recovered> recovered) {
    CompletableFuture<WriteHandle> data =
        ctx.ledgers().create(name, Ledgers.Kind.DATA, config, epoch);
    CompletableFuture<WriteHandle> index =
        ctx.ledgers().create(name, Ledgers.Kind.INDEX, config, epoch);
    Map<Long, Recovered> byLedger = new HashMap<>();
    for (Recovered r : recovered) {
      byLedger.put(r.open.ledgerId(), r);
    }
    long now = ctx.time().milliseconds();
    return data.thenCombine(index, (d, i) -> new WriteHandle[] {d, i})
        .handleAsync(
            (handles, createError) -> {
              if (createError != null) {
                log.warn("Log {}: no new segment yet: {}", name, createError.toString());
                data.thenAccept(h -> ctx.ledgers().deleteQuietly(h.getId()));
                index.thenAccept(h -> ctx.ledgers().deleteQuietly(h.getId()));
              }
              WriteHandle[] h = createError == null ? handles : null;
              SegmentMetadata[] opened = new SegmentMetadata[1];
              return updater
                  .update(
                      m -> {
                        List<SegmentMetadata> segs = new ArrayList<>();
                        for (SegmentMetadata s : m.segments()) {
                          Recovered r = byLedger.get(s.ledgerId());
                          if (r == null) {
                            segs.add(s);
                          } else if (r.sealed != null) {
                            segs.add(r.sealed);
                          }
                        }
                        LogMetadata sealedOnly = m.withSegments(segs);
                        if (h != null) {
                          opened[0] =
                              SegmentMetadata.open(
                                  h[0].getId(),
                                  h[1].getId(),
                                  sealedOnly.nextOffsetAfterSealed(),
                                  now);
                          segs.add(opened[0]);
                        }
                        return m.withSegments(segs);
                      })
                  .handleAsync(
                      (stored, err) -> {
                        if (err != null) {
                          if (h != null) {
                            ctx.ledgers().deleteQuietly(h[0].getId());
                            ctx.ledgers().deleteQuietly(h[1].getId());
                          }
                          for (Recovered r : recovered) {
                            if (r.sealed != null) {
                              ctx.ledgers().deleteQuietly(r.sealed.indexLedgerId());
                            }
                          }
                          throw Errors.map("take over " + name, err);
                        }
                        for (Recovered r : recovered) {
                          if (r.sealed != null) {
                            ctx.indexes().put(r.open.ledgerId(), r.idx);
                          }
                          for (long id : r.obsolete) {
                            ctx.ledgers().deleteQuietly(id);
                          }
                        }
                        return h == null ? null : new ActiveSegment(opened[0], h[0], h[1]);
                      },
                      executor);
            },
            executor)
        .thenCompose(f -> f);
  }
}
