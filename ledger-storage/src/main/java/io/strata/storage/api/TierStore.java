package io.strata.storage.api;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An object store for offloaded segments: S3 (any S3-compatible service), HDFS or a local
 * directory. Implementations live in the {@code tiering} module, so this module never sees their
 * client libraries.
 *
 * <p>Keys are {@code /}-separated relative names ({@code <log>/<ledgerId>-<attempt>.data}); the
 * store maps them under its own root (bucket and prefix, or directory).
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently. Methods never throw:
 * they return futures failed with a {@link TierStoreException} ({@code retriable()} tells whether
 * trying again may help). Futures complete on the store's own threads; chain heavy work onto your
 * executor. No method blocks the caller.
 */
public interface TierStore extends AutoCloseable {

  /**
   * Writes object {@code key} with the bytes {@code content} yields (streamed; large objects go up
   * in parts). Atomic: until the future completes successfully the object is not visible to {@link
   * #get} or {@link #list} as complete, and a failed or abandoned upload never becomes visible
   * (leftovers show up in {@link #list} as {@link TierObject#incomplete()}). Replaces an existing
   * object of the same key.
   */
  CompletableFuture<Void> put(String key, TierUpload content);

  /**
   * Reads {@code length} bytes of {@code key} from {@code position} (a ranged read; {@code length <
   * 0} reads to the end of the object). Fails with {@link StorageErrorCode#TIER_NOT_FOUND} if there
   * is no such object, or with {@link StorageErrorCode#TIER_FAILURE} if the range extends past its
   * end.
   *
   * <p>Ownership: the caller releases the returned buffer.
   */
  CompletableFuture<ByteBuf> get(String key, long position, int length);

  /**
   * Removes every trace of {@code key}: the object and any incomplete upload of it. Idempotent: an
   * absent key is not an error.
   */
  CompletableFuture<Void> delete(String key);

  /** Every object (and incomplete upload) whose key starts with {@code prefix}, in key order. */
  CompletableFuture<List<TierObject>> list(String prefix);

  /** Where the store is, for logs and operators (never includes credentials). */
  String describe();

  /** Releases clients and threads. Blocking; call it at shutdown. */
  @Override
  void close();
}
