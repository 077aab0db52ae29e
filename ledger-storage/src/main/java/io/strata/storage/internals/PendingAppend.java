package io.strata.storage.internals;

import io.netty.buffer.ByteBuf;
import io.strata.storage.api.AppendResult;
import io.strata.storage.api.StorageException;
import java.util.concurrent.CompletableFuture;

/**
 * An append accepted by {@link BookKeeperPartitionLog#append} and not yet completed: queued until
 * it is assigned its offsets, then in flight to the active segment's data ledger.
 *
 * <p>Buffer ownership: holds the caller's reference to {@code batch} and releases it exactly once,
 * when the append completes ({@link #complete}, after the listeners saw it, or {@link #fail}).
 *
 * <p>Threading: confined to the log's executor once accepted.
 */
record PendingAppend(
    ByteBuf batch, RecordBatchHeader header, CompletableFuture<AppendResult> future) {

  /** Releases the batch and completes the append with {@code result}. */
  void complete(AppendResult result) {
    batch.release();
    future.complete(result);
  }

  /** Releases the batch and fails the append with {@code e}. */
  void fail(StorageException e) {
    batch.release();
    future.completeExceptionally(e);
  }
}
