package io.strata.tiering.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierUpload;
import io.strata.tiering.TierStores;
import io.strata.tiering.store.LocalTierStore;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class BlockCacheTest {
  @TempDir Path dir;

  private static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    b.release();
    return out;
  }

  @Test
  void rangesSpanBlocksAndSequentialReadersGetReadAhead() throws Exception {
    ExecutorService io = TierStores.ioPool("test-blocks", 2);
    try (TierStore store = new LocalTierStore(dir, io, io)) {
      byte[] content = new byte[100 * 1024];
      new Random(1).nextBytes(content);
      store
          .put(
              "o",
              new TierUpload() {
                boolean sent;

                @Override
                public long length() {
                  return content.length;
                }

                @Override
                public CompletableFuture<ByteBuf> next(int maxBytes) {
                  ByteBuf b = sent ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content);
                  sent = true;
                  return CompletableFuture.completedFuture(b);
                }
              })
          .get(10, TimeUnit.SECONDS);
      BlockCache cache = new BlockCache(store, 8192, 1 << 20, 2, 5000, io);

      // A range across three blocks, byte for byte.
      assertThat(bytes(cache.read("o", content.length, 5000, 12000).get(10, TimeUnit.SECONDS)))
          .isEqualTo(Arrays.copyOfRange(content, 5000, 17000));
      assertThat(cache.gets()).isEqualTo(3); // blocks 0, 1, 2

      // Sequential: the next read (block 3) brings blocks 4 and 5 ahead of time.
      assertThat(bytes(cache.read("o", content.length, 24576, 8192).get(10, TimeUnit.SECONDS)))
          .isEqualTo(Arrays.copyOfRange(content, 24576, 32768));
      Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> cache.gets() == 6);
      // Blocks 4 and 5 come from the cache; 6 and 7 are read ahead.
      assertThat(bytes(cache.read("o", content.length, 32768, 16384).get(10, TimeUnit.SECONDS)))
          .isEqualTo(Arrays.copyOfRange(content, 32768, 49152));
      Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> cache.gets() == 8);

      // A jump elsewhere is not sequential: exactly its block (the last, short one).
      long jump = cache.gets();
      int last = content.length - 100;
      assertThat(bytes(cache.read("o", content.length, last, 100).get(10, TimeUnit.SECONDS)))
          .isEqualTo(Arrays.copyOfRange(content, last, content.length));
      Thread.sleep(100);
      assertThat(cache.gets()).isEqualTo(jump + 1);
    }
  }
}
