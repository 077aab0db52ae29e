package io.strata.storage.internals;

import io.strata.storage.api.OffsetOutOfRangeException;
import io.strata.storage.api.RetentionResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * The trim and retention passes of one log ({@link io.strata.storage.api.PartitionLog#trimTo},
 * {@link io.strata.storage.api.PartitionLog#applyRetention}): a trim raises the log start offset by
 * compare-and-set; both then let {@link SegmentDeletion} remove the head segments that are below
 * the log start offset or (retention only) beyond {@code retention.ms/bytes}, and, for a log with
 * remote storage, move offloaded segments off the bookies ({@code local.retention.*}).
 *
 * <p>Lifecycle: one per log; the log checks that it is writable (not fenced, closing or closed)
 * before each pass. Failures come back mapped by the log's {@code onMetadataFailure} (which fences
 * the log on a fencing error).
 *
 * <p>Threading: confined to the log's executor; continuations hop back to it.
 */
final class LogTrimmer {
  private final BookKeeperPartitionLog owner;
  private final StoreContext ctx;
  private final ExecutorService executor;
  private final MetadataUpdater metadata;
  private final String name;

  LogTrimmer(
      BookKeeperPartitionLog owner,
      StoreContext ctx,
      ExecutorService executor,
      MetadataUpdater metadata) {
    this.owner = owner;
    this.ctx = ctx;
    this.executor = executor;
    this.metadata = metadata;
    this.name = owner.name();
  }

  /** See {@link io.strata.storage.api.PartitionLog#trimTo}. */
  CompletableFuture<Void> trimTo(long newLogStartOffset) {
    if (newLogStartOffset > owner.highWatermark()) {
      return CompletableFuture.failedFuture(
          new OffsetOutOfRangeException(
              "cannot trim "
                  + name
                  + " to "
                  + newLogStartOffset
                  + " above high watermark "
                  + owner.highWatermark()));
    }
    if (newLogStartOffset <= owner.logStartOffset()) {
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
              owner.advanceLogStartOffset(stored.logStartOffset());
              return deleteSegments(false);
            },
            executor)
        .handle(
            (r, e) -> {
              if (e != null) {
                throw owner.onMetadataFailure("trim " + name, e);
              }
              return null;
            });
  }

  /** See {@link io.strata.storage.api.PartitionLog#applyRetention}. */
  CompletableFuture<RetentionResult> applyRetention() {
    return deleteSegments(true)
        .handle(
            (r, e) -> {
              if (e != null) {
                throw owner.onMetadataFailure("apply retention to " + name, e);
              }
              return r;
            });
  }

  private CompletableFuture<RetentionResult> deleteSegments(boolean applyLimits) {
    CompletableFuture<RetentionResult> total =
        SegmentDeletion.run(
            name,
            ctx,
            metadata,
            executor,
            owner.config(),
            owner.logStartOffset(),
            applyLimits,
            unsealedBytes(),
            owner::advanceLogStartOffset,
            owner::deleteLedgers);
    if (!applyLimits || !owner.config().remoteStorageEnable() || !ctx.tier().enabled()) {
      return total;
    }
    return total.thenComposeAsync(
        r ->
            SegmentDeletion.moveOffBookies(
                    name,
                    ctx,
                    metadata,
                    executor,
                    owner.config(),
                    unsealedBytes(),
                    owner::deleteLedgers)
                .thenApply(moved -> r),
        executor);
  }

  /** Bytes in segments not sealed in the stored metadata (active and locally sealed). */
  private long unsealedBytes() {
    long b = 0;
    if (owner.active != null) {
      b += owner.active.idx.totalBytes();
    }
    if (owner.localSeal != null && owner.localSeal.sealed() != null) {
      b += owner.localSeal.sealed().sizeBytes();
    }
    return b;
  }
}
