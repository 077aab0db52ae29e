package io.strata.storage.internals;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.RetentionResult;
import io.strata.storage.api.SegmentMetadata;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One retention or trim pass of a log: picks the head segments to delete ({@link RetentionPolicy}),
 * removes them and advances the log start offset in one compare-and-set, then deletes their data
 * and index ledgers (only once the metadata no longer references them).
 *
 * <p>Runs on the log's executor; the log passes what it knows and is told the new start offset.
 */
final class SegmentDeletion {
  private static final Logger log = LoggerFactory.getLogger(SegmentDeletion.class);

  private SegmentDeletion() {}

  /**
   * @param applyLimits whether retention.ms/retention.bytes apply (false: only segments wholly
   *     below the log start offset go, as after a trim)
   * @param unsealedBytes bytes of segments not stored as sealed (they count toward the size)
   * @param onLogStart called (on the executor) with the stored log start offset
   * @param deleteLedgers deletes ledgers (and drops them from caches)
   */
  static CompletableFuture<RetentionResult> run(
      String name,
      StoreContext ctx,
      MetadataUpdater metadata,
      Executor executor,
      LogConfig config,
      long logStartOffset,
      boolean applyLimits,
      long unsealedBytes,
      LongConsumer onLogStart,
      Consumer<Set<Long>> deleteLedgers) {
    List<SegmentMetadata> doomed =
        RetentionPolicy.segmentsToDelete(
            metadata.current().segments(),
            logStartOffset,
            applyLimits ? config.retentionMs() : -1,
            applyLimits ? config.retentionBytes() : -1,
            ctx.time().milliseconds(),
            unsealedBytes);
    if (doomed.isEmpty()) {
      return CompletableFuture.completedFuture(new RetentionResult(0, 0, logStartOffset));
    }
    Set<Long> ids = new HashSet<>();
    long bytes = 0;
    for (SegmentMetadata s : doomed) {
      ids.add(s.ledgerId());
      bytes += s.sizeBytes();
    }
    long newStart = Math.max(logStartOffset, doomed.get(doomed.size() - 1).lastOffset() + 1);
    long deletedBytes = bytes;
    // The segments as removed from the stored copy (their index ledger may have been replaced).
    List<SegmentMetadata> removed = new ArrayList<>();
    return metadata
        .update(
            m -> {
              removed.clear();
              List<SegmentMetadata> keep = new ArrayList<>();
              for (SegmentMetadata s : m.segments()) {
                if (!ids.contains(s.ledgerId())) {
                  keep.add(s);
                } else {
                  removed.add(s);
                }
              }
              return m.withSegments(keep)
                  .withLogStartOffset(Math.max(m.logStartOffset(), newStart));
            })
        .thenApplyAsync(
            stored -> {
              onLogStart.accept(stored.logStartOffset());
              for (SegmentMetadata s : removed) {
                if (s.onBookies()) {
                  deleteLedgers.accept(Set.of(s.ledgerId(), s.indexLedgerId()));
                } else {
                  ctx.indexes().invalidate(s.ledgerId());
                }
                if (!s.tierLocation().isEmpty()) {
                  // Every attempt's objects; a crash before this leaves objects of a ledger the
                  // metadata no longer names, which the tier's sweep removes when the log opens.
                  ctx.tier()
                      .deleteSegment(name, s.ledgerId())
                      .exceptionally(
                          t -> {
                            log.warn(
                                "Log {}: tier objects of segment {} not deleted yet: {}",
                                name,
                                s.ledgerId(),
                                t.toString());
                            return null;
                          });
                }
              }
              log.info(
                  "Log {}: deleted {} segments ({} bytes), log start offset {}",
                  name,
                  removed.size(),
                  deletedBytes,
                  stored.logStartOffset());
              return new RetentionResult(removed.size(), deletedBytes, stored.logStartOffset());
            },
            executor);
  }

  /**
   * Local retention: moves the offloaded head segments that {@link
   * RetentionPolicy#segmentsToMoveOffBookies} picks to TIERED in one compare-and-set, then deletes
   * their data and index ledgers (only once the metadata no longer needs them). Completes with the
   * number of segments moved.
   */
  static CompletableFuture<Integer> moveOffBookies(
      String name,
      StoreContext ctx,
      MetadataUpdater metadata,
      Executor executor,
      LogConfig config,
      long unsealedBytes,
      Consumer<Set<Long>> deleteLedgers) {
    List<SegmentMetadata> leaving =
        RetentionPolicy.segmentsToMoveOffBookies(
            metadata.current().segments(),
            config.effectiveLocalRetentionMs(),
            config.effectiveLocalRetentionBytes(),
            ctx.time().milliseconds(),
            unsealedBytes);
    if (leaving.isEmpty()) {
      return CompletableFuture.completedFuture(0);
    }
    Set<Long> ids = new HashSet<>();
    for (SegmentMetadata s : leaving) {
      ids.add(s.ledgerId());
    }
    List<SegmentMetadata> moved = new ArrayList<>();
    return metadata
        .update(
            m -> {
              moved.clear();
              List<SegmentMetadata> segs = new ArrayList<>();
              for (SegmentMetadata s : m.segments()) {
                if (ids.contains(s.ledgerId()) && s.onBookies() && s.isOffloaded()) {
                  segs.add(s.tiered());
                  moved.add(s);
                } else {
                  segs.add(s);
                }
              }
              return moved.isEmpty() ? m : m.withSegments(segs);
            })
        .thenApplyAsync(
            stored -> {
              long bytes = 0;
              for (SegmentMetadata s : moved) {
                deleteLedgers.accept(Set.of(s.ledgerId(), s.indexLedgerId()));
                bytes += s.sizeBytes();
              }
              if (!moved.isEmpty()) {
                log.info(
                    "Log {}: {} offloaded segments ({} bytes) left the bookies (local retention)",
                    name,
                    moved.size(),
                    bytes);
              }
              return moved.size();
            },
            executor);
  }
}
