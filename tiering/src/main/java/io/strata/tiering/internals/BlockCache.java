package io.strata.tiering.internals;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierStoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fixed-size blocks of tier objects ({@code strata.tier.block.bytes}, 1 MiB), each fetched by one
 * ranged GET and kept in a Caffeine cache weighed by bytes (separate from the broker's tail cache,
 * so catch-up reads from the tier never evict what tailing consumers need). Concurrent readers of a
 * block share one GET. A reader that moves through an object block after block gets the next {@code
 * readahead} blocks fetched before it asks.
 *
 * <p>Every GET has its own timeout and fails with a retriable {@link TierStoreException}; a failed
 * block is not cached. Thread-safe. Blocks are immutable heap arrays; the buffers handed out wrap
 * them (no copy) and need no release beyond the usual.
 */
public final class BlockCache {
  private record BlockKey(String object, long block) {}

  private final TierStore store;
  private final int blockBytes;
  private final int readahead;
  private final long timeoutMs;
  private final AsyncCache<BlockKey, byte[]> cache;
  // Last block each object was read at, to recognise sequential readers (bounded: cleared when
  // big).
  private final Map<String, Long> lastBlock = new ConcurrentHashMap<>();
  private final LongAdder gets = new LongAdder();
  private final LongAdder getBytes = new LongAdder();

  public BlockCache(
      TierStore store,
      int blockBytes,
      long cacheBytes,
      int readahead,
      long timeoutMs,
      Executor executor) {
    this.store = store;
    this.blockBytes = blockBytes;
    this.readahead = readahead;
    this.timeoutMs = timeoutMs;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(cacheBytes)
            .<BlockKey, byte[]>weigher((k, v) -> v.length + 64)
            .executor(executor)
            .buildAsync();
  }

  /**
   * Bytes {@code [position, position + length)} of {@code object}, whose total size is {@code
   * objectSize}. The caller releases the result.
   */
  public CompletableFuture<ByteBuf> read(
      String object, long objectSize, long position, int length) {
    if (length == 0) {
      return CompletableFuture.completedFuture(Unpooled.EMPTY_BUFFER);
    }
    long first = position / blockBytes;
    long last = (position + length - 1) / blockBytes;
    List<CompletableFuture<byte[]>> blocks = new ArrayList<>();
    for (long b = first; b <= last; b++) {
      blocks.add(block(object, objectSize, b));
    }
    Long previous = lastBlock.put(object, last);
    if (lastBlock.size() > 10_000) {
      lastBlock.clear();
    }
    if (readahead > 0 && previous != null && previous >= first - 1 && previous <= last) {
      // Sequential: fetch the next blocks now; a failure here is retried by the real read.
      long maxBlock = (objectSize - 1) / blockBytes;
      for (long b = last + 1; b <= Math.min(maxBlock, last + readahead); b++) {
        block(object, objectSize, b);
      }
    }
    return CompletableFuture.allOf(blocks.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              CompositeByteBuf out = Unpooled.compositeBuffer(blocks.size());
              long at = position;
              long end = position + length;
              for (int i = 0; i < blocks.size(); i++) {
                byte[] data = blocks.get(i).join();
                long blockStart = (first + i) * blockBytes;
                int from = (int) (at - blockStart);
                int to = (int) Math.min(data.length, end - blockStart);
                out.addComponent(true, Unpooled.wrappedBuffer(data, from, to - from));
                at = blockStart + to;
              }
              return out;
            });
  }

  private CompletableFuture<byte[]> block(String object, long objectSize, long block) {
    return cache.get(
        new BlockKey(object, block),
        (k, ex) -> {
          long start = block * blockBytes;
          int len = (int) Math.min(blockBytes, objectSize - start);
          gets.increment();
          getBytes.add(len);
          return store
              .get(object, start, len)
              .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
              .handle(
                  (buf, e) -> {
                    if (e != null) {
                      Throwable c =
                          e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                      if (c instanceof TimeoutException) {
                        throw TierStoreException.unavailable(
                            "read of " + object + " timed out after " + timeoutMs + " ms", c);
                      }
                      throw c instanceof RuntimeException r
                          ? r
                          : TierStoreException.unavailable("read of " + object, c);
                    }
                    try {
                      byte[] data = new byte[buf.readableBytes()];
                      buf.readBytes(data);
                      return data;
                    } finally {
                      buf.release();
                    }
                  });
        });
  }

  /** Drops every cached block of {@code object}. */
  public void invalidate(String object) {
    cache.synchronous().asMap().keySet().removeIf(k -> k.object().equals(object));
    lastBlock.remove(object);
  }

  public void invalidateAll() {
    cache.synchronous().invalidateAll();
    lastBlock.clear();
  }

  /** Ranged GETs issued so far (cache misses and read-ahead). */
  public long gets() {
    return gets.sum();
  }

  public long getBytes() {
    return getBytes.sum();
  }

  public long cachedBytes() {
    return cache.synchronous().policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }
}
