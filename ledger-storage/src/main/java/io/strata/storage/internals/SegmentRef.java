package io.strata.storage.internals;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.bookkeeper.client.api.ReadHandle;

/**
 * A readable segment as a reader sees it: its acknowledged offset range, its largest timestamp, and
 * where its index and entries come from (the cache and shared read handles for stored segments; the
 * writer's in-memory index and write handle for the open one).
 */
record SegmentRef(
    long firstOffset,
    long lastOffset,
    long maxTimestamp,
    Supplier<CompletableFuture<SegmentIndex>> index,
    Supplier<CompletableFuture<? extends ReadHandle>> handle) {}
