package io.strata.storage.internals;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.buffer.ByteBufAllocator;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.SegmentMetadata;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes of sealed segments: a Caffeine cache weighed by bytes, loaded on demand from the
 * segment's index ledger (or, if it has none, by scanning the data ledger's batch headers); and the
 * operations that read, scan and write index ledgers.
 *
 * <p>Futures complete on BookKeeper threads. Thread-safe: cached indexes are sealed (immutable); an
 * index being built by {@link #scan} or {@link #readChunks} is private to that operation.
 */
final class SegmentIndexes {
  private static final Logger log = LoggerFactory.getLogger(SegmentIndexes.class);
  private static final int SCAN_BATCH = 32;

  private final Ledgers ledgers;
  private final ByteBufAllocator alloc;
  private final int chunkEntries;
  private final AsyncCache<Long, SegmentIndex> cache;
  // Counters for tests and operators: how indexes were obtained.
  private final java.util.concurrent.atomic.LongAdder entriesScanned =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder chunksRead =
      new java.util.concurrent.atomic.LongAdder();

  SegmentIndexes(Ledgers ledgers, ByteBufAllocator alloc, int chunkEntries, long cacheBytes) {
    this.ledgers = ledgers;
    this.alloc = alloc;
    this.chunkEntries = chunkEntries;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(cacheBytes)
            .<Long, SegmentIndex>weigher((k, v) -> v.weightBytes())
            .executor(Runnable::run)
            .buildAsync();
  }

  /** The index of a sealed segment, from the cache or loaded. */
  CompletableFuture<SegmentIndex> get(SegmentMetadata seg) {
    return cache.get(seg.ledgerId(), (id, ex) -> load(seg));
  }

  void put(long dataLedgerId, SegmentIndex sealedIndex) {
    cache.put(dataLedgerId, CompletableFuture.completedFuture(sealedIndex));
  }

  void invalidate(long dataLedgerId) {
    cache.synchronous().invalidate(dataLedgerId);
  }

  void invalidateAll() {
    cache.synchronous().invalidateAll();
  }

  /** Whether the index of this segment is in memory (for tests). */
  boolean isCached(long dataLedgerId) {
    return cache.getIfPresent(dataLedgerId) != null;
  }

  private CompletableFuture<SegmentIndex> load(SegmentMetadata seg) {
    CompletableFuture<SegmentIndex> fromLedger =
        seg.indexLedgerId() < 0
            ? CompletableFuture.failedFuture(new IllegalStateException("no index ledger"))
            : ledgers
                .openForRead(seg.indexLedgerId())
                .thenCompose(h -> readChunks(h, seg.firstOffset()))
                .thenApply(
                    idx -> {
                      if (idx.entryCount() != seg.entryCount()) {
                        throw new IllegalStateException(
                            "index ledger covers " + idx.entryCount() + " of " + seg.entryCount());
                      }
                      return idx.seal();
                    });
    return fromLedger
        .exceptionallyCompose(
            e -> {
              if (seg.indexLedgerId() >= 0) {
                log.warn(
                    "Index ledger {} of segment {} unusable ({}); scanning the data ledger",
                    seg.indexLedgerId(),
                    seg.ledgerId(),
                    Errors.unwrap(e).toString());
              }
              SegmentIndex idx = new SegmentIndex(seg.firstOffset(), (int) seg.entryCount());
              return ledgers
                  .openForRead(seg.ledgerId())
                  .thenCompose(h -> scan(h, idx, seg.entryCount() - 1))
                  .thenApply(v -> idx.seal());
            })
        .thenApply(
            idx -> {
              if (idx.entryCount() > 0
                  && idx.lastOffset(idx.entryCount() - 1) != seg.lastOffset()) {
                throw new IllegalStateException(
                    "index of segment " + seg.ledgerId() + " ends at the wrong offset");
              }
              return idx;
            });
  }

  /** Reads every chunk of an index ledger (entries 0..LAC) into a new index. */
  CompletableFuture<SegmentIndex> readChunks(ReadHandle indexLedger, long firstOffset) {
    SegmentIndex idx = new SegmentIndex(firstOffset, 1024);
    long lac = indexLedger.getLastAddConfirmed();
    return readChunksFrom(indexLedger, idx, 0, lac).thenApply(v -> idx);
  }

  private CompletableFuture<Void> readChunksFrom(
      ReadHandle h, SegmentIndex idx, long from, long last) {
    if (from > last) {
      return CompletableFuture.completedFuture(null);
    }
    long to = Math.min(last, from + SCAN_BATCH - 1);
    return h.readAsync(from, to)
        .thenCompose(
            entries -> {
              try (LedgerEntries e = entries) {
                for (LedgerEntry entry : e) {
                  IndexChunkCodec.decodeInto(entry.getEntryBuffer(), idx);
                  chunksRead.increment();
                }
              }
              return readChunksFrom(h, idx, to + 1, last);
            });
  }

  /**
   * Appends to {@code idx} the headers of data entries {@code idx.entryCount() .. lastEntry},
   * reading them from the data ledger (bounded by the index chunk size after a take-over).
   */
  CompletableFuture<Void> scan(ReadHandle data, SegmentIndex idx, long lastEntry) {
    long from = idx.entryCount();
    if (from > lastEntry) {
      return CompletableFuture.completedFuture(null);
    }
    long to = Math.min(lastEntry, from + SCAN_BATCH - 1);
    return data.readAsync(from, to)
        .thenCompose(
            entries -> {
              try (LedgerEntries e = entries) {
                for (LedgerEntry entry : e) {
                  RecordBatchHeader h = RecordBatchHeader.read(entry.getEntryBuffer());
                  idx.addEntry(h.baseOffset(), h.lastOffset(), h.sizeInBytes(), h.maxTimestamp());
                  entriesScanned.increment();
                }
              }
              return scan(data, idx, lastEntry);
            });
  }

  /**
   * Writes a complete index to a new index ledger and closes it; returns its id. On failure the
   * ledger is deleted and the future fails.
   */
  CompletableFuture<Long> write(String logName, LogConfig config, long epoch, SegmentIndex idx) {
    return ledgers
        .create(logName, Ledgers.Kind.INDEX, config, epoch)
        .thenCompose(
            h ->
                appendChunks(h, idx, 0)
                    .thenCompose(v -> h.closeAsync())
                    .thenApply(v -> h.getId())
                    .whenComplete(
                        (id, e) -> {
                          if (e != null) {
                            ledgers.deleteQuietly(h.getId());
                          }
                        }));
  }

  /** Appends chunks for entries {@code from..idx.entryCount()-1}; completes when all are acked. */
  CompletableFuture<Void> appendChunks(WriteHandle h, SegmentIndex idx, int from) {
    int count = idx.entryCount();
    CompletableFuture<?> last = CompletableFuture.completedFuture(null);
    for (int i = from; i < count; i += chunkEntries) {
      last =
          h.appendAsync(IndexChunkCodec.encode(alloc, idx, i, Math.min(count, i + chunkEntries)));
    }
    return last.thenApply(v -> null);
  }

  /** Data entries read to build indexes (by scanning) since the store started. */
  long entriesScanned() {
    return entriesScanned.sum();
  }

  /** Index chunks read from index ledgers since the store started. */
  long chunksRead() {
    return chunksRead.sum();
  }

  int chunkEntries() {
    return chunkEntries;
  }
}
