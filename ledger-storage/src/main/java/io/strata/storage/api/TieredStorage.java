package io.strata.storage.api;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The tier as a {@link LogStore} sees it: reads of offloaded segments, removal of their objects,
 * and the lifecycle hook that starts and stops background offload. Implemented by the {@code
 * tiering} module ({@code io.strata.tiering.Tiering}); a store without a tier uses {@link #NONE}.
 *
 * <p>Segments reach the tier by the offload protocol on {@link PartitionLog#beginOffload} / {@link
 * PartitionLog#commitOffload}; this interface only reads what was committed.
 *
 * <p>Thread-safety: any thread. Futures complete on the tier's threads, never on the caller's log
 * executor, and never block it. Reads have their own timeout and fail with a retriable {@link
 * TierStoreException} when the tier is unreachable; they never return wrong data.
 */
public interface TieredStorage extends AutoCloseable {

  /** No tier: offloaded segments cannot be read, nothing is offloaded. */
  TieredStorage NONE = new TieredStorage() {};

  /** Whether a tier is configured (if not, {@link #NONE}). */
  default boolean enabled() {
    return false;
  }

  /**
   * Reads whole batches of an offloaded segment, starting with the batch holding {@code offset}, up
   * to {@code maxBytes} (at least one batch), below {@code highWatermark}. The caller releases the
   * result's records.
   */
  default CompletableFuture<LogReadResult> read(
      String logName,
      SegmentMetadata segment,
      long offset,
      int maxBytes,
      long highWatermark,
      long logStartOffset) {
    return CompletableFuture.failedFuture(notConfigured());
  }

  /**
   * The first record of an offloaded segment with timestamp at least {@code timestampMs} and offset
   * in {@code [startOffset, highWatermark)}; empty if none.
   */
  default CompletableFuture<Optional<TimestampOffset>> offsetForTimestamp(
      String logName,
      SegmentMetadata segment,
      long timestampMs,
      long startOffset,
      long highWatermark) {
    return CompletableFuture.failedFuture(notConfigured());
  }

  /**
   * Deletes every object of a segment (all offload attempts). Called after the segment left the
   * metadata; idempotent.
   */
  default CompletableFuture<Void> deleteSegment(String logName, long ledgerId) {
    return CompletableFuture.completedFuture(null);
  }

  /** Deletes every object of a log (after the log's metadata was deleted); idempotent. */
  default CompletableFuture<Void> deleteLog(String logName) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * The store opened {@code log} (this process now owns it): start offloading its sealed segments
   * when its config has {@code remote.storage.enable}. Must not block.
   */
  default void logOpened(PartitionLog log) {}

  /** The store closed {@code log} (or it was fenced): stop offloading it. Must not block. */
  default void logClosed(PartitionLog log) {}

  /** Stops background work and releases the tier store. Blocking; call it at shutdown. */
  @Override
  default void close() {}

  private static TierStoreException notConfigured() {
    return TierStoreException.failure("no tier store is configured (strata.tier.uri)", null);
  }
}
