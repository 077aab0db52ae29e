package io.strata.storage.api;

import io.netty.buffer.ByteBuf;

/**
 * Observes a {@link PartitionLog}'s acknowledged appends (the broker's tail cache and delayed-fetch
 * wake-ups hang off this).
 *
 * <p>Threading: called on the log's executor thread, in offset order, after the append's ack quorum
 * and before the append's future completes. Must be quick and must not block; exceptions are logged
 * and ignored.
 */
public interface AppendListener {
  /**
   * A batch became durable and visible.
   *
   * @param log the log
   * @param result its offsets; {@code result.lastOffset() + 1} is the new high watermark
   * @param batch the stored bytes (base offset written in), readable from its reader index. Valid
   *     only during this call: a listener that keeps it must take its own reference ({@code
   *     batch.retainedDuplicate()}) and release that later. Do not modify it.
   */
  void onAppend(PartitionLog log, AppendResult result, ByteBuf batch);

  /** The log was fenced by a newer writer, or closed; no further appends will be reported. */
  default void onClosed(PartitionLog log, StorageException reason) {}
}
