package io.strata.tiering.store;

import io.netty.buffer.ByteBuf;
import io.strata.storage.api.TierUpload;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Pulls a {@link TierUpload} chunk by chunk and hands each to a blocking writer. Stateless. */
final class Uploads {
  private Uploads() {}

  /** Writes one chunk (blocking I/O); must not release it. */
  @FunctionalInterface
  interface ChunkWriter {
    void write(ByteBuf chunk) throws IOException;
  }

  /**
   * Pulls chunks of at most {@code chunkBytes} until the end, writing each on {@code io}; releases
   * every chunk. Completes when all are written, or fails with the first failure.
   */
  static CompletableFuture<Void> drain(
      TierUpload content, int chunkBytes, Executor io, ChunkWriter writer) {
    CompletableFuture<ByteBuf> next;
    try {
      next = content.next(chunkBytes);
    } catch (RuntimeException e) {
      next = CompletableFuture.failedFuture(e);
    }
    return next.thenComposeAsync(
        chunk -> {
          try {
            if (!chunk.isReadable()) {
              return CompletableFuture.completedFuture(null);
            }
            writer.write(chunk);
          } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
          } finally {
            chunk.release();
          }
          return drain(content, chunkBytes, io, writer);
        },
        io);
  }
}
