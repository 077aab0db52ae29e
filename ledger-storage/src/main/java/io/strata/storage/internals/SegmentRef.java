package io.strata.storage.internals;

import io.strata.storage.api.SegmentMetadata;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.bookkeeper.client.api.ReadHandle;

/**
 * A readable segment as a reader sees it: its acknowledged offset range, its largest timestamp, and
 * where its index and entries come from (the cache and shared read handles for stored segments; the
 * writer's in-memory index and write handle for the open one), or, for a segment whose bookie copy
 * is gone, the tier ({@code tiered} non-null; {@code index} and {@code handle} are then unused).
 */
record SegmentRef(
    long firstOffset,
    long lastOffset,
    long maxTimestamp,
    Supplier<CompletableFuture<SegmentIndex>> index,
    Supplier<CompletableFuture<? extends ReadHandle>> handle,
    SegmentMetadata tiered) {

  SegmentRef(
      long firstOffset,
      long lastOffset,
      long maxTimestamp,
      Supplier<CompletableFuture<SegmentIndex>> index,
      Supplier<CompletableFuture<? extends ReadHandle>> handle) {
    this(firstOffset, lastOffset, maxTimestamp, index, handle, null);
  }

  /** A segment read from the tier only. */
  static SegmentRef inTier(SegmentMetadata s) {
    return new SegmentRef(s.firstOffset(), s.lastOffset(), s.maxTimestamp(), null, null, s);
  }
}
