package io.strata.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.broker.fetch.BatchCache.CachedBatch;
import java.nio.ByteBuffer;
import java.time.Duration;
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
    BatchCache<String> cache = new BatchCache<>(1 << 20, Runnable::run);
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
    BatchCache<String> cache = new BatchCache<>(1 << 20, Runnable::run);
    cache.put("p", 0, 9, bytes(100, 1));
    cache.put("p", 10, 19, bytes(100, 2));
    assertThat(cache.read("p", 0, 10, 100)).hasSize(1);
    assertThat(cache.read("p", 0, 150, 100)).hasSize(1);
    assertThat(cache.read("p", 0, 200, 100)).hasSize(2);
  }

  @Test
  void stopsAtGapsAndAtTheHighWatermark() {
    BatchCache<String> cache = new BatchCache<>(1 << 20, Runnable::run);
    cache.put("p", 0, 9, bytes(10, 1));
    cache.put("p", 20, 29, bytes(10, 2));
    assertThat(cache.read("p", 0, 1000, 100)).hasSize(1);
    assertThat(cache.read("p", 12, 1000, 100)).isEmpty();
    assertThat(cache.read("p", 0, 1000, 5)).isEmpty();
    assertThat(cache.read("other", 0, 1000, 100)).isEmpty();
  }

  @Test
  void evictsByBytesAndForgetsEvictedOffsets() {
    BatchCache<String> cache = new BatchCache<>(10_000, Runnable::run);
    for (int i = 0; i < 100; i++) {
      cache.put("p", i * 10L, i * 10L + 9, bytes(1000, i));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(cache.weightedSize()).isLessThanOrEqualTo(10_000));
    int cached = 0;
    for (int i = 0; i < 100; i++) {
      if (!cache.read("p", i * 10L, 1, 10_000).isEmpty()) {
        cached++;
      }
    }
    assertThat(cached).isBetween(1, 10);
  }

  @Test
  void invalidateBelowDropsTrimmedBatches() {
    BatchCache<String> cache = new BatchCache<>(1 << 20, Runnable::run);
    cache.put("p", 0, 9, bytes(10, 1));
    cache.put("p", 10, 19, bytes(10, 2));
    cache.invalidateBelow("p", 10);
    assertThat(cache.read("p", 0, 100, 100)).isEmpty();
    assertThat(cache.read("p", 10, 100, 100)).hasSize(1);
    cache.invalidate("p");
    assertThat(cache.read("p", 10, 100, 100)).isEmpty();
  }
}
