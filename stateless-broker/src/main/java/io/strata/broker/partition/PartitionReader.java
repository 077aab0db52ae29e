package io.strata.broker.partition;

import io.strata.broker.fetch.BatchCache;
import io.strata.broker.fetch.BatchCache.CachedBatch;
import io.strata.broker.fetch.BatchRecords;
import io.strata.broker.fetch.Batches;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a partition's fetches get their batches: the tail cache for recent data, the catch-up cache
 * for what was read ahead, otherwise the log (BookKeeper).
 *
 * <p>A consumer reading behind the tail reads sequentially, so its reads are double-buffered: a
 * read from the log fetches {@code readaheadBytes} more than the fetch asked for and keeps what the
 * fetch does not take in the catch-up cache; when the consumer starts on the newest chunk read
 * ahead, the next chunk is read from the bookies while it consumes this one. A sequential consumer
 * therefore waits for a bookie only on its first fetch, and its throughput is no longer one bookie
 * round trip per fetch. One read-ahead is in flight per partition at a time; a fetch for the offset
 * it is reading waits for it instead of reading the same entries again. Consumers that jump around
 * just read from the log, as without read-ahead.
 *
 * <p>Thread-safe; nothing blocks (the lock guards a few fields, never I/O).
 */
final class PartitionReader {
  private static final Logger log = LoggerFactory.getLogger(PartitionReader.class);

  private final TopicIdPartition id;
  private final PartitionLog partitionLog;
  private final BatchCache<TopicIdPartition> tailCache;
  private final BatchCache<TopicIdPartition> catchupCache;
  private final int readaheadBytes;

  private final Object lock = new Object();
  // Guarded by lock: the read-ahead in flight (null if none) and the offset it starts at.
  private CompletableFuture<Void> ahead;
  private long aheadFrom = -1;
  // A fetch whose batches reach this offset starts the next read-ahead (the first offset of the
  // newest chunk read ahead); Long.MAX_VALUE while there is none.
  private volatile long trigger = Long.MAX_VALUE;

  PartitionReader(
      TopicIdPartition id,
      PartitionLog partitionLog,
      BatchCache<TopicIdPartition> tailCache,
      BatchCache<TopicIdPartition> catchupCache,
      int readaheadBytes) {
    this.id = id;
    this.partitionLog = partitionLog;
    this.tailCache = tailCache;
    this.catchupCache = catchupCache;
    this.readaheadBytes = readaheadBytes;
  }

  /**
   * Whole batches starting with the one holding {@code offset}, up to {@code maxBytes} but at least
   * one, below {@code highWatermark} (which must be above {@code offset}).
   */
  CompletableFuture<BaseRecords> read(long offset, int maxBytes, long highWatermark) {
    List<CachedBatch> cached = tailCache.read(id, offset, maxBytes, highWatermark);
    if (!cached.isEmpty()) {
      return CompletableFuture.completedFuture(BatchRecords.of(cached));
    }
    BaseRecords ahead = fromCatchupCache(offset, maxBytes, highWatermark);
    if (ahead != null) {
      return CompletableFuture.completedFuture(ahead);
    }
    CompletableFuture<Void> pending;
    synchronized (lock) {
      pending = this.ahead != null && aheadFrom == offset ? this.ahead : null;
    }
    if (pending == null) {
      return fromLog(offset, maxBytes, highWatermark);
    }
    return pending.thenCompose(
        v -> {
          BaseRecords landed = fromCatchupCache(offset, maxBytes, highWatermark);
          return landed != null
              ? CompletableFuture.completedFuture(landed)
              : fromLog(offset, maxBytes, highWatermark);
        });
  }

  private BaseRecords fromCatchupCache(long offset, int maxBytes, long highWatermark) {
    List<CachedBatch> cached = catchupCache.read(id, offset, maxBytes, highWatermark);
    if (cached.isEmpty()) {
      return null;
    }
    readAhead(cached.get(cached.size() - 1).lastOffset() + 1, highWatermark);
    return BatchRecords.of(cached);
  }

  private CompletableFuture<BaseRecords> fromLog(long offset, int maxBytes, long highWatermark) {
    return partitionLog
        .read(offset, maxBytes + readaheadBytes)
        .thenApply(
            read -> {
              byte[] heap = copy(read);
              List<CachedBatch> batches = Batches.split(ByteBuffer.wrap(heap));
              // The first maxBytes (at least one batch) answer this fetch; the rest is read-ahead
              // for this consumer's next fetches, kept apart from the tail cache.
              int bytes = 0;
              int answer = 0;
              for (CachedBatch b : batches) {
                if (answer > 0 && bytes + b.size() > maxBytes) {
                  break;
                }
                bytes += b.size();
                answer++;
              }
              List<CachedBatch> rest = batches.subList(answer, batches.size());
              if (!rest.isEmpty()) {
                trigger = cacheAhead(rest);
              }
              // The answer is the first `bytes` of the heap copy: served as they are, not copied
              // again. Only the read-ahead part is cached, so the response aliases no cache entry.
              return MemoryRecords.readableRecords(ByteBuffer.wrap(heap, 0, bytes));
            });
  }

  /**
   * Starts reading the next chunk if a fetch that ended before {@code next} reached the newest
   * chunk read ahead and no read-ahead is in flight.
   */
  private void readAhead(long next, long highWatermark) {
    if (readaheadBytes == 0 || next < trigger || next >= highWatermark) {
      return;
    }
    long from;
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (lock) {
      if (ahead != null) {
        return;
      }
      from = catchupCache.cachedUpTo(id, next);
      if (from >= highWatermark || !tailCache.read(id, from, 1, highWatermark).isEmpty()) {
        return;
      }
      ahead = done;
      aheadFrom = from;
      trigger = Long.MAX_VALUE;
    }
    partitionLog
        .read(from, readaheadBytes)
        .whenComplete(
            (read, t) -> {
              long nextTrigger = Long.MAX_VALUE;
              if (t == null) {
                nextTrigger = cacheAhead(Batches.split(ByteBuffer.wrap(copy(read))));
              } else {
                log.debug("Read-ahead of {} from offset {} failed: {}", id, from, t.toString());
              }
              synchronized (lock) {
                ahead = null;
                aheadFrom = -1;
                trigger = nextTrigger;
              }
              done.complete(null);
            });
  }

  /**
   * Keeps batches read ahead in the catch-up cache.
   *
   * @return the first one's base offset (the next read-ahead trigger), or Long.MAX_VALUE if none
   */
  private long cacheAhead(List<CachedBatch> batches) {
    for (CachedBatch b : batches) {
      catchupCache.put(id, b.baseOffset(), b.lastOffset(), b.bytes());
    }
    return batches.isEmpty() ? Long.MAX_VALUE : batches.get(0).baseOffset();
  }

  /** The read's bytes on the heap; releases the read. */
  private static byte[] copy(LogReadResult read) {
    try {
      byte[] heap = new byte[read.records().readableBytes()];
      read.records().getBytes(read.records().readerIndex(), heap);
      return heap;
    } finally {
      read.release();
    }
  }
}
