package io.strata.storage.api;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * The content of an object being uploaded, pulled chunk by chunk so that an object of any size
 * streams through bounded memory. A {@link TierStore} calls {@link #next} until it returns an empty
 * buffer, one call at a time (never concurrently), and never calls it again after a failure.
 *
 * <p>Ownership: each returned buffer belongs to the store, which releases it.
 */
public interface TierUpload {
  /** Total bytes the object will have, or -1 if unknown. */
  long length();

  /**
   * The next bytes, at most about {@code maxBytes} (more is allowed: whole record batches); an
   * empty buffer at the end. A failed future aborts the upload (nothing becomes visible).
   */
  CompletableFuture<ByteBuf> next(int maxBytes);
}
