package io.strata.broker.topic;

import io.strata.broker.metadata.TopicRecord;
import java.util.concurrent.CompletableFuture;

/**
 * What topic administration needs from the partition layer: how many bookies can take writes, when
 * a topic's partitions are being served, and removing a deleted topic's logs.
 */
public interface PartitionDirectory {

  /** Bookies that accept writes now (the most a replication factor can ask for). */
  CompletableFuture<Integer> writableBookies();

  /**
   * Completes when every partition of {@code topic} has a live owner serving it, or fails with a
   * {@code TimeoutException} after {@code timeoutMs}.
   */
  CompletableFuture<Void> awaitServed(TopicRecord topic, long timeoutMs);

  /**
   * Deletes every partition log of a deleted topic and its ownership records. Idempotent: a retry
   * after a crash finishes the job.
   */
  CompletableFuture<Void> deleteLogs(TopicRecord topic);
}
