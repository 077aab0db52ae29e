package io.strata.storage.internals;

import io.strata.storage.api.SegmentMetadata;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.WriteHandle;

/**
 * The segment a log currently appends to: its data and index ledger handles, its in-memory index of
 * acknowledged entries, and the bookkeeping of appends in flight and of index chunks persisted.
 *
 * <p>Lifecycle: writable until {@link #stop()} (roll, failure, close or fencing); then it drains
 * (in-flight appends complete or fail) and is sealed by the log. Confined to the log's executor.
 */
final class ActiveSegment {
  final SegmentMetadata meta;
  final WriteHandle data;
  final WriteHandle index;
  final SegmentIndex idx;

  /** Bytes/entries assigned to this segment (acknowledged or in flight). */
  long assignedBytes;

  int assignedEntries;
  int inFlight;

  /** No more appends are assigned here. */
  boolean stopped;

  /** An append failed: the ledger is unusable beyond the entries acknowledged before. */
  boolean failed;

  private CompletableFuture<Void> drained;

  /** Index entries handed to the index ledger (acked or in flight). */
  int persistedEntries;

  long bytesSinceChunk;

  /** An index chunk append failed: a fresh index ledger is written when sealing. */
  boolean indexBroken;

  CompletableFuture<?> lastChunk = CompletableFuture.completedFuture(null);

  ActiveSegment(SegmentMetadata meta, WriteHandle data, WriteHandle index) {
    this.meta = meta;
    this.data = data;
    this.index = index;
    this.idx = new SegmentIndex(meta.firstOffset(), 1024);
  }

  long firstOffset() {
    return meta.firstOffset();
  }

  /** Stops assignment; the future completes when no append is in flight any more. */
  CompletableFuture<Void> stop() {
    stopped = true;
    if (drained == null) {
      drained = new CompletableFuture<>();
      if (inFlight == 0) {
        drained.complete(null);
      }
    }
    return drained;
  }

  /** Called when an in-flight append completed (either way). */
  void completedOne() {
    inFlight--;
    if (inFlight == 0 && drained != null) {
      drained.complete(null);
    }
  }
}
