package io.strata.broker.fetch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;

/**
 * Record batches of many partitions in memory, bounded by bytes (Caffeine, W-TinyLFU, so a burst of
 * one-off entries cannot flush the frequently read ones).
 *
 * <p>The broker keeps two: the <em>tail cache</em>, filled by the write path after BookKeeper's
 * acknowledgement and read by consumers at the tail, and the <em>catch-up cache</em>, filled by
 * read-ahead of consumers reading older data. Catch-up reads never touch the tail cache, so a
 * consumer replaying from offset 0 cannot evict what tailing consumers need.
 *
 * <p>Batches are immutable heap buffers (read-only views are handed out), so an entry evicted while
 * a response is being written stays valid. Thread-safe.
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

  private record Key<P>(P partition, long baseOffset) {}

  private final Cache<Key<P>, CachedBatch> cache;
  private final Map<P, ConcurrentSkipListMap<Long, CachedBatch>> byPartition =
      new ConcurrentHashMap<>();

  /**
   * @param maxBytes capacity; 0 disables the cache
   * @param executor runs Caffeine's maintenance (never a Netty event loop)
   */
  public BatchCache(long maxBytes, Executor executor) {
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((Key<P> k, CachedBatch b) -> b.size() + 64)
            .executor(executor)
            .removalListener(this::onRemoval)
            .build();
  }

  private void onRemoval(Key<P> key, CachedBatch batch, RemovalCause cause) {
    if (key == null || batch == null || cause == RemovalCause.REPLACED) {
      return;
    }
    ConcurrentSkipListMap<Long, CachedBatch> m = byPartition.get(key.partition());
    if (m != null) {
      m.remove(key.baseOffset(), batch);
    }
  }

  /** Adds a batch; {@code bytes} must not be modified afterwards. */
  public void put(P partition, long baseOffset, long lastOffset, ByteBuffer bytes) {
    CachedBatch b = new CachedBatch(baseOffset, lastOffset, bytes.asReadOnlyBuffer());
    byPartition.computeIfAbsent(partition, p -> new ConcurrentSkipListMap<>()).put(baseOffset, b);
    cache.put(new Key<>(partition, baseOffset), b);
  }

  /**
   * Consecutive cached batches starting with the one that holds {@code offset}, up to {@code
   * maxBytes} (always at least one batch if the first is cached), stopping at the first gap or at
   * {@code limitOffset} (exclusive; the high watermark).
   *
   * @return the batches, empty if the batch holding {@code offset} is not cached
   */
  public List<CachedBatch> read(P partition, long offset, int maxBytes, long limitOffset) {
    ConcurrentSkipListMap<Long, CachedBatch> m = byPartition.get(partition);
    if (m == null) {
      return List.of();
    }
    Map.Entry<Long, CachedBatch> first = m.floorEntry(offset);
    if (first == null || first.getValue().lastOffset() < offset) {
      return List.of();
    }
    List<CachedBatch> out = new ArrayList<>();
    long next = first.getKey();
    int bytes = 0;
    for (CachedBatch b : m.tailMap(first.getKey(), true).values()) {
      if (b.baseOffset() != next || b.lastOffset() >= limitOffset) {
        break;
      }
      if (!out.isEmpty() && bytes + b.size() > maxBytes) {
        break;
      }
      out.add(new CachedBatch(b.baseOffset(), b.lastOffset(), b.bytes().duplicate()));
      bytes += b.size();
      next = b.lastOffset() + 1;
    }
    if (!out.isEmpty()) {
      cache.getIfPresent(new Key<>(partition, out.get(0).baseOffset())); // records the access
    }
    return out;
  }

  /** Drops every batch of a partition (partition unloaded, deleted or trimmed). */
  public void invalidate(P partition) {
    ConcurrentSkipListMap<Long, CachedBatch> m = byPartition.remove(partition);
    if (m != null) {
      m.keySet().forEach(off -> cache.invalidate(new Key<>(partition, off)));
    }
  }

  /** Drops batches of a partition below {@code offset} (DeleteRecords, retention). */
  public void invalidateBelow(P partition, long offset) {
    ConcurrentSkipListMap<Long, CachedBatch> m = byPartition.get(partition);
    if (m != null) {
      for (CachedBatch b : m.headMap(offset).values()) {
        if (b.lastOffset() < offset) {
          cache.invalidate(new Key<>(partition, b.baseOffset()));
          m.remove(b.baseOffset(), b);
        }
      }
    }
  }

  /** Bytes held now (approximate; for metrics and tests). */
  public long weightedSize() {
    cache.cleanUp();
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
  }
}
