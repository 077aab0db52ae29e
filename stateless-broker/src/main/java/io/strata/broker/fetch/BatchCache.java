package io.strata.broker.fetch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Record batches of many partitions in memory, bounded by bytes, evicting the batch inserted first
 * (FIFO across all partitions).
 *
 * <p>The broker keeps two: the <em>tail cache</em>, filled by the write path after BookKeeper's
 * acknowledgement and read by consumers at the tail, and the <em>catch-up cache</em>, filled by
 * read-ahead of consumers reading older data. Catch-up reads never touch the tail cache, so a
 * consumer replaying from offset 0 cannot evict what tailing consumers need.
 *
 * <p>Both are read mostly once, soon after insertion and in offset order, so insertion order is the
 * right eviction order: the newest batches of every partition stay, and what stays of a partition
 * is one contiguous run up to its newest batch, which a consumer reads with few large fetches. (A
 * frequency-based policy such as Caffeine's W-TinyLFU keeps old batches that happened to be read
 * twice and drops new ones, leaving holes that cut fetches short.)
 *
 * <p>Batches are immutable heap buffers (read-only views are handed out), so an entry evicted while
 * a response is being written stays valid. Thread-safe and lock-free; nothing blocks.
 *
 * @param <P> the partition key
 */
public final class BatchCache<P> {

  /** One cached batch: its offsets and bytes (a read-only view, position 0). */
  public record CachedBatch(long baseOffset, long lastOffset, ByteBuffer bytes) {
    public int size() {
      return bytes.remaining();
    }
  }

  /** Bytes charged per entry on top of its batch (keys, nodes, the view). */
  static final int ENTRY_OVERHEAD = 64;

  // An entry is charged while it is in its partition's map; byAge only orders eviction.
  private static final class Entry {
    final ConcurrentSkipListMap<Long, Entry> map;
    final long seq;
    final CachedBatch batch;

    Entry(ConcurrentSkipListMap<Long, Entry> map, long seq, CachedBatch batch) {
      this.map = map;
      this.seq = seq;
      this.batch = batch;
    }

    long weight() {
      return batch.size() + ENTRY_OVERHEAD;
    }
  }

  private final long maxBytes;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong nextSeq = new AtomicLong();
  // Every entry by insertion order: the first one is evicted first.
  private final ConcurrentSkipListMap<Long, Entry> byAge = new ConcurrentSkipListMap<>();
  private final Map<P, ConcurrentSkipListMap<Long, Entry>> byPartition = new ConcurrentHashMap<>();

  /**
   * @param maxBytes capacity (batch bytes plus {@value #ENTRY_OVERHEAD} per batch); 0 disables the
   *     cache
   */
  public BatchCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Adds a batch; {@code bytes} must not be modified afterwards. */
  public void put(P partition, long baseOffset, long lastOffset, ByteBuffer bytes) {
    if (maxBytes <= 0) {
      return;
    }
    ConcurrentSkipListMap<Long, Entry> m =
        byPartition.computeIfAbsent(partition, p -> new ConcurrentSkipListMap<>());
    Entry e =
        new Entry(
            m,
            nextSeq.getAndIncrement(),
            new CachedBatch(baseOffset, lastOffset, bytes.asReadOnlyBuffer()));
    if (e.weight() > maxBytes) {
      return;
    }
    Entry old = m.put(baseOffset, e);
    this.bytes.addAndGet(e.weight());
    if (old != null) {
      byAge.remove(old.seq, old);
      this.bytes.addAndGet(-old.weight());
    }
    byAge.put(e.seq, e);
    evict();
  }

  private void evict() {
    while (bytes.get() > maxBytes) {
      Map.Entry<Long, Entry> oldest = byAge.pollFirstEntry();
      if (oldest == null) {
        return;
      }
      unlink(oldest.getValue());
    }
  }

  /** Removes {@code e} from its partition's map (if still there) and uncharges it. */
  private void unlink(Entry e) {
    if (e.map.remove(e.batch.baseOffset(), e)) {
      bytes.addAndGet(-e.weight());
    }
  }

  /**
   * Consecutive cached batches starting with the one that holds {@code offset}, up to {@code
   * maxBytes} (always at least one batch if the first is cached), stopping at the first gap or at
   * {@code limitOffset} (exclusive; the high watermark).
   *
   * @return the batches, empty if the batch holding {@code offset} is not cached
   */
  public List<CachedBatch> read(P partition, long offset, int maxBytes, long limitOffset) {
    ConcurrentSkipListMap<Long, Entry> m = byPartition.get(partition);
    if (m == null) {
      return List.of();
    }
    Map.Entry<Long, Entry> first = m.floorEntry(offset);
    if (first == null || first.getValue().batch.lastOffset() < offset) {
      return List.of();
    }
    List<CachedBatch> out = new ArrayList<>();
    long next = first.getKey();
    int total = 0;
    for (Entry e : m.tailMap(first.getKey(), true).values()) {
      CachedBatch b = e.batch;
      if (b.baseOffset() != next || b.lastOffset() >= limitOffset) {
        break;
      }
      if (!out.isEmpty() && total + b.size() > maxBytes) {
        break;
      }
      out.add(new CachedBatch(b.baseOffset(), b.lastOffset(), b.bytes().duplicate()));
      total += b.size();
      next = b.lastOffset() + 1;
    }
    return out;
  }

  /**
   * The offset after the contiguous run of cached batches that starts with the one holding {@code
   * offset}, or {@code offset} itself if that one is not cached.
   */
  public long cachedUpTo(P partition, long offset) {
    ConcurrentSkipListMap<Long, Entry> m = byPartition.get(partition);
    if (m == null) {
      return offset;
    }
    Map.Entry<Long, Entry> first = m.floorEntry(offset);
    if (first == null || first.getValue().batch.lastOffset() < offset) {
      return offset;
    }
    long next = first.getKey();
    for (Entry e : m.tailMap(first.getKey(), true).values()) {
      if (e.batch.baseOffset() != next) {
        break;
      }
      next = e.batch.lastOffset() + 1;
    }
    return next;
  }

  /** Drops every batch of a partition (partition unloaded, deleted or trimmed). */
  public void invalidate(P partition) {
    ConcurrentSkipListMap<Long, Entry> m = byPartition.remove(partition);
    if (m != null) {
      for (Entry e : m.values()) {
        byAge.remove(e.seq, e);
        unlink(e);
      }
    }
  }

  /** Drops batches of a partition below {@code offset} (DeleteRecords, retention). */
  public void invalidateBelow(P partition, long offset) {
    ConcurrentSkipListMap<Long, Entry> m = byPartition.get(partition);
    if (m != null) {
      for (Entry e : m.headMap(offset).values()) {
        if (e.batch.lastOffset() < offset) {
          byAge.remove(e.seq, e);
          unlink(e);
        }
      }
    }
  }

  /** Bytes held now, batches plus per-entry overhead (for metrics and tests). */
  public long weightedSize() {
    return bytes.get();
  }
}
