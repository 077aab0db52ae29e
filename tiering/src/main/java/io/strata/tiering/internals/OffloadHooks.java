package io.strata.tiering.internals;

import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import java.util.concurrent.CompletableFuture;

/**
 * Points in an offload where tests inject faults: a hook that returns a future that never completes
 * freezes the offload there exactly as a crash of the process would (nothing after it runs, no
 * clean-up), one that fails makes the offload fail there. Production uses {@link #NONE}.
 */
public interface OffloadHooks {
  OffloadHooks NONE = new OffloadHooks() {};

  /** After the attempt was recorded in the metadata, before any byte is uploaded. */
  default CompletableFuture<Void> beforeUpload(PartitionLog log, SegmentMetadata segment) {
    return CompletableFuture.completedFuture(null);
  }

  /** After each chunk of the data object was read, {@code bytes} so far. */
  default CompletableFuture<Void> midUpload(PartitionLog log, SegmentMetadata segment, long bytes) {
    return CompletableFuture.completedFuture(null);
  }

  /** After both objects are uploaded, before the commit compare-and-set. */
  default CompletableFuture<Void> beforeCommit(PartitionLog log, SegmentMetadata segment) {
    return CompletableFuture.completedFuture(null);
  }
}
