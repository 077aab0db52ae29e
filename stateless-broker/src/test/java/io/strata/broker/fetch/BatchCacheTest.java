package io.strata.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.fetch.BatchCache.CachedBatch;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BatchCacheTest {

  private static ByteBuffer bytes(int size, int fill) {
    ByteBuffer b = ByteBuffer.allocate(size);
    for (int i = 0; i < size; i++) {
      b.put((byte) fill);
    }
    return b.flip();
  }

  @Test
  void readsConsecutiveBatchesFromTheOneHoldingTheOffset() {
    BatchCache<String> cache = new BatchCache<>(1 << 20);
    cache.put("p", 0, 9, bytes(100, 1));
    cache.put("p", 10, 19, bytes(100, 2));
    cache.put("p", 20, 29, bytes(100, 3));
    List<CachedBatch> got = cache.read("p", 15, 1000, 30);
    assertThat(got).extracting(CachedBatch::baseOffset).containsExactly(10L, 20L);
    assertThat(got.get(0).bytes().get(0)).isEqualTo((byte) 2);
    assertThat(got.get(0).bytes().isReadOnly()).isTrue();
  }

  @Test
  void respectsMaxBytesButAlwaysReturnsOneBatch() {
    BatchCache<String> cache = new BatchCache<>(1 << 20);
    cache.put("p", 0, 9, bytes(100, 1));
    cache.put("p", 10, 19, bytes(100, 2));
    assertThat(cache.read("p", 0, 10, 100)).hasSize(1);
    assertThat(cache.read("p", 0, 150, 100)).hasSize(1);
    assertThat(cache.read("p", 0, 200, 100)).hasSize(2);
  }

  @Test
  void stopsAtGapsAndAtTheHighWatermark() {
    BatchCache<String> cache = new BatchCache<>(1 << 20);
    cache.put("p", 0, 9, bytes(10, 1));
    cache.put("p", 20, 29, bytes(10, 2));
    assertThat(cache.read("p", 0, 1000, 100)).hasSize(1);
    assertThat(cache.read("p", 12, 1000, 100)).isEmpty();
    assertThat(cache.read("p", 0, 1000, 5)).isEmpty();
    assertThat(cache.read("other", 0, 1000, 100)).isEmpty();
  }

  @Test
  void evictsTheBatchesInsertedFirstAcrossPartitions() {
    int perEntry = 1000 + BatchCache.ENTRY_OVERHEAD;
    BatchCache<String> cache = new BatchCache<>(9L * perEntry);
    for (int i = 0; i < 100; i++) {
      cache.put(i % 2 == 0 ? "even" : "odd", i * 10L, i * 10L + 9, bytes(1000, i));
    }
    assertThat(cache.weightedSize()).isEqualTo(9L * perEntry);
    for (int i = 0; i < 100; i++) {
      String p = i % 2 == 0 ? "even" : "odd";
      assertThat(cache.read(p, i * 10L, 1, 10_000)).as("batch %d", i).hasSize(i >= 91 ? 1 : 0);
    }
  }

  @Test
  void keepsTheNewestRunOfAPartitionWhole() {
    BatchCache<String> cache = new BatchCache<>(5L * (100 + BatchCache.ENTRY_OVERHEAD));
    for (int i = 0; i < 20; i++) {
      cache.put("p", i * 10L, i * 10L + 9, bytes(100, i));
    }
    assertThat(cache.read("p", 150, 1 << 20, 1000)).hasSize(5);
    assertThat(cache.cachedUpTo("p", 153)).isEqualTo(200);
    assertThat(cache.cachedUpTo("p", 140)).as("evicted").isEqualTo(140);
    assertThat(cache.cachedUpTo("q", 7)).as("unknown partition").isEqualTo(7);
  }

  @Test
  void replacingAndInvalidatingUnchargeTheBytes() {
    BatchCache<String> cache = new BatchCache<>(1 << 20);
    cache.put("p", 0, 9, bytes(100, 1));
    cache.put("p", 0, 9, bytes(200, 2));
    cache.put("q", 0, 9, bytes(300, 3));
    assertThat(cache.weightedSize()).isEqualTo(500 + 2L * BatchCache.ENTRY_OVERHEAD);
    cache.invalidate("p");
    assertThat(cache.weightedSize()).isEqualTo(300 + BatchCache.ENTRY_OVERHEAD);
    cache.invalidateBelow("q", 10);
    assertThat(cache.weightedSize()).isZero();
  }

  @Test
  void aZeroCapacityCacheHoldsNothing() {
    BatchCache<String> cache = new BatchCache<>(0);
    cache.put("p", 0, 9, bytes(100, 1));
    assertThat(cache.read("p", 0, 100, 100)).isEmpty();
    assertThat(cache.weightedSize()).isZero();
  }

  @Test
  void invalidateBelowDropsTrimmedBatches() {
    BatchCache<String> cache = new BatchCache<>(1 << 20);
    cache.put("p", 0, 9, bytes(10, 1));
    cache.put("p", 10, 19, bytes(10, 2));
    cache.invalidateBelow("p", 10);
    assertThat(cache.read("p", 0, 100, 100)).isEmpty();
    assertThat(cache.read("p", 10, 100, 100)).hasSize(1);
    cache.invalidate("p");
    assertThat(cache.read("p", 10, 100, 100)).isEmpty();
  }
}
