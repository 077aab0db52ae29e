package io.strata.tiering.internals;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageErrorCode;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierStoreException;
import io.strata.storage.api.TimestampOffset;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;

/**
 * Reads offloaded segments: the segment's index object is fetched once and cached (Caffeine,
 * weighed by bytes); data comes through the {@link BlockCache} (ranged GETs of whole blocks, read
 * ahead for sequential readers). Every batch returned is checked before it leaves: magic 2, its
 * CRC32C, and dense offsets matching the index; a mismatch fails the read (never wrong data).
 *
 * <p>Parsing runs on {@code executor} (the tier's own threads), never on a log's executor or an
 * event loop. Thread-safe.
 */
public final class TierSegmentReader {
  private final TierStore store;
  private final BlockCache blocks;
  private final Executor executor;
  private final long timeoutMs;
  private final AsyncCache<String, TierIndex> indexes;

  public TierSegmentReader(
      TierStore store, BlockCache blocks, long indexCacheBytes, long timeoutMs, Executor executor) {
    this.store = store;
    this.blocks = blocks;
    this.executor = executor;
    this.timeoutMs = timeoutMs;
    this.indexes =
        Caffeine.newBuilder()
            .maximumWeight(indexCacheBytes)
            .<String, TierIndex>weigher((k, v) -> v.weightBytes())
            .executor(executor)
            .buildAsync();
  }

  /** The segment's index, fetched once. */
  public CompletableFuture<TierIndex> index(String log, SegmentMetadata seg) {
    String key = ObjectNames.index(log, seg.ledgerId(), seg.offloadAttempt());
    return indexes.get(
        key,
        (k, ex) ->
            store
                .get(k, 0, -1)
                .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .handleAsync(
                    (buf, e) -> {
                      if (e != null) {
                        throw mapTimeout("index of segment " + seg.ledgerId() + " of " + log, e);
                      }
                      byte[] data;
                      try {
                        data = new byte[buf.readableBytes()];
                        buf.readBytes(data);
                      } finally {
                        buf.release();
                      }
                      TierIndex idx = TierIndexCodec.decode(data);
                      if (idx.firstOffset() != seg.firstOffset()
                          || idx.lastOffset() != seg.lastOffset()
                          || idx.dataBytes() != seg.sizeBytes()) {
                        throw TierStoreException.failure(
                            "tier index " + k + " does not describe segment " + seg, null);
                      }
                      return idx;
                    },
                    executor));
  }

  /** See {@link io.strata.storage.api.TieredStorage#read}. */
  public CompletableFuture<LogReadResult> read(
      String log, SegmentMetadata seg, long offset, int maxBytes, long hw, long logStart) {
    String dataKey = ObjectNames.data(log, seg.ledgerId(), seg.offloadAttempt());
    return index(log, seg)
        .thenCompose(
            idx -> {
              int i = idx.entryFor(offset);
              if (i < 0) {
                throw new StorageException(
                    StorageErrorCode.INTERNAL,
                    "offset " + offset + " is not in offloaded segment " + seg.ledgerId());
              }
              long from = idx.position(i);
              long to = Math.min(idx.dataBytes(), idx.end(i) + Math.max(0, maxBytes));
              return blocks
                  .read(dataKey, idx.dataBytes(), from, (int) (to - from))
                  .thenApplyAsync(
                      buf -> {
                        try {
                          return select(log, seg, buf, offset, maxBytes, hw, logStart);
                        } finally {
                          buf.release();
                        }
                      },
                      executor);
            });
  }

  private static LogReadResult select(
      String log,
      SegmentMetadata seg,
      ByteBuf buf,
      long offset,
      int maxBytes,
      long hw,
      long logStart) {
    int end = buf.writerIndex();
    int at = buf.readerIndex();
    int firstAt = -1;
    int taken = 0;
    int count = 0;
    long first = -1;
    long expected = -1;
    while (at < end) {
      int size = Batches.sizeAt(buf, at, end);
      if (size < 0 || at + size > end) {
        break; // the range ends inside this batch: it is for the next read
      }
      long base = Batches.baseOffset(buf, at);
      long last = Batches.lastOffset(buf, at);
      if (firstAt < 0) {
        if (last < offset) {
          at += size;
          continue;
        }
        if (base > offset) {
          throw corrupt(log, seg, "no batch holds offset " + offset + " (next starts at " + base);
        }
        firstAt = at;
        first = base;
      } else if (base != expected || taken + size > maxBytes) {
        if (base != expected) {
          throw corrupt(log, seg, "batch at " + base + " follows offset " + (expected - 1));
        }
        break;
      }
      if (last >= hw) {
        break;
      }
      expected = last + 1;
      taken += size;
      count++;
      at += size;
    }
    if (count == 0) {
      if (firstAt >= 0) {
        return new LogReadResult(Unpooled.EMPTY_BUFFER, offset, offset, 0, hw, logStart);
      }
      throw corrupt(log, seg, "offset " + offset + " not found in its index entry");
    }
    byte[] out = new byte[taken];
    buf.getBytes(firstAt, out);
    // Kafka's own check of every batch (magic, CRC32C over attributes..end): never wrong data.
    for (MutableRecordBatch b : MemoryRecords.readableRecords(ByteBuffer.wrap(out)).batches()) {
      try {
        b.ensureValid();
      } catch (RuntimeException e) {
        throw corrupt(log, seg, "batch at offset " + b.baseOffset() + ": " + e.getMessage());
      }
    }
    return new LogReadResult(Unpooled.wrappedBuffer(out), first, expected, count, hw, logStart);
  }

  /** See {@link io.strata.storage.api.TieredStorage#offsetForTimestamp}. */
  public CompletableFuture<Optional<TimestampOffset>> offsetForTimestamp(
      String log, SegmentMetadata seg, long ts, long start, long hw) {
    return index(log, seg)
        .thenCompose(
            idx -> {
              int k = idx.firstEntryWithTimestampAtLeast(ts);
              if (k < 0) {
                return CompletableFuture.completedFuture(Optional.<TimestampOffset>empty());
              }
              return searchFrom(log, seg, idx, k, ts, start, hw);
            });
  }

  private CompletableFuture<Optional<TimestampOffset>> searchFrom(
      String log, SegmentMetadata seg, TierIndex idx, int j, long ts, long start, long hw) {
    while (j < idx.entryCount() && (idx.maxTimestamp(j) < ts || idx.lastOffset(j) < start)) {
      j++;
    }
    if (j >= idx.entryCount() || idx.baseOffset(j) >= hw) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    int entry = j;
    String dataKey = ObjectNames.data(log, seg.ledgerId(), seg.offloadAttempt());
    long from = idx.position(entry);
    return blocks
        .read(dataKey, idx.dataBytes(), from, (int) (idx.end(entry) - from))
        .thenApplyAsync(
            buf -> {
              try {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), bytes);
                for (MutableRecordBatch b :
                    MemoryRecords.readableRecords(ByteBuffer.wrap(bytes)).batches()) {
                  if (b.maxTimestamp() < ts || b.lastOffset() < start) {
                    continue;
                  }
                  b.ensureValid();
                  for (Record r : b) {
                    if (r.timestamp() >= ts && r.offset() >= start && r.offset() < hw) {
                      return Optional.of(new TimestampOffset(r.timestamp(), r.offset()));
                    }
                  }
                }
                return Optional.<TimestampOffset>empty();
              } finally {
                buf.release();
              }
            },
            executor)
        .thenCompose(
            found ->
                found.isPresent()
                    ? CompletableFuture.completedFuture(found)
                    : searchFrom(log, seg, idx, entry + 1, ts, start, hw));
  }

  public void invalidateIndexes() {
    indexes.synchronous().invalidateAll();
  }

  /** Drops cached indexes and blocks of these objects (after a delete). */
  public void invalidate(String key) {
    indexes.synchronous().invalidate(key);
    blocks.invalidate(key);
  }

  private static StorageException corrupt(String log, SegmentMetadata seg, String what) {
    return TierStoreException.failure(
        "offloaded segment " + seg.ledgerId() + " of " + log + " is inconsistent: " + what, null);
  }

  private RuntimeException mapTimeout(String what, Throwable e) {
    Throwable c = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
    if (c instanceof TimeoutException) {
      return TierStoreException.unavailable(what + " timed out after " + timeoutMs + " ms", c);
    }
    return c instanceof RuntimeException r ? r : TierStoreException.unavailable(what, c);
  }
}
