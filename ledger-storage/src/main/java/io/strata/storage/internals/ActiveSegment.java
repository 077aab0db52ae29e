package io.strata.storage.internals;

import io.netty.buffer.ByteBuf;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.SegmentMetadata;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment a log currently appends to: its data and index ledger handles, its in-memory index of
 * acknowledged entries, and the bookkeeping of appends in flight and of index chunks persisted.
 *
 * <p>Lifecycle: writable until {@link #stop()} (roll, failure, close or fencing); then it drains
 * (in-flight appends complete or fail) and is sealed by the log. Confined to the log's executor.
 */
final class ActiveSegment {
  private static final Logger log = LoggerFactory.getLogger(ActiveSegment.class);

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

  /**
   * Counts an append of {@code sizeInBytes} as assigned and in flight, and sends {@code batch} to
   * the data ledger. BookKeeper takes (and releases) a retained duplicate; the caller keeps its
   * reference (for listeners). Never throws: a rejected send is a failed future.
   */
  CompletableFuture<Long> send(ByteBuf batch, int sizeInBytes) {
    assignedEntries++;
    assignedBytes += sizeInBytes;
    inFlight++;
    try {
      return data.appendAsync(batch.retainedDuplicate());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Whether the segment is due to roll before an append of {@code nextBatchBytes}: it holds an
   * append already, and that one would take it past {@code segment.bytes} or it is {@code
   * segment.ms} old.
   */
  boolean shouldRoll(LogConfig c, Time time, int nextBatchBytes) {
    if (assignedEntries == 0) {
      return false;
    }
    return assignedBytes + nextBatchBytes > c.segmentBytes()
        || time.milliseconds() - meta.createdTimeMs() >= c.segmentMs();
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

  /**
   * Appends the index entries not yet handed to the index ledger as one chunk, once there are
   * {@code chunkEntries} of them or {@code indexChunkBytes} of data behind them, unless the segment
   * is stopped or its index ledger broken. A failed chunk append marks the index ledger broken (on
   * {@code executor}, the log's): the index ledger is then rewritten when sealing.
   */
  void maybePersistIndexChunk(StoreContext ctx, String name, Executor executor) {
    int pending = idx.entryCount() - persistedEntries;
    if (indexBroken
        || stopped
        || pending == 0
        || (pending < ctx.indexes().chunkEntries()
            && bytesSinceChunk < ctx.config().indexChunkBytes())) {
      return;
    }
    ByteBuf chunk =
        IndexChunkCodec.encode(ctx.allocator(), idx, persistedEntries, idx.entryCount());
    persistedEntries = idx.entryCount();
    bytesSinceChunk = 0;
    lastChunk =
        index
            .appendAsync(chunk)
            .whenCompleteAsync(
                (id, e) -> {
                  if (e != null && !indexBroken) {
                    log.info("Log {}: index chunk append failed ({})", name, e.toString());
                    indexBroken = true;
                  }
                },
                executor);
  }
}
