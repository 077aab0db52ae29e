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
                deleteLedgers.accept(Set.of(s.ledgerId(), s.indexLedgerId()));
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
}
