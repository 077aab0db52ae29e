package io.strata.broker.producer;

import io.strata.broker.metadata.ClusterMetadataStore;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out producer ids for InitProducerId from blocks reserved in ZooKeeper, so ids are unique
 * across brokers and never reused, even after restarts.
 *
 * <p>Also answers whether an id was ever handed out by any broker, so that a batch claiming an id
 * that was never issued gets UNKNOWN_PRODUCER_ID. Thread-safe.
 */
public final class ProducerIdManager {
  /** Ids reserved per ZooKeeper round trip. */
  public static final int BLOCK_SIZE = 1000;

  private final ClusterMetadataStore store;
  // Guarded by this.
  private long next;
  private long blockEnd;
  private CompletableFuture<Void> refill;
  private volatile long knownHighWatermark;

  public ProducerIdManager(ClusterMetadataStore store) {
    this.store = store;
  }

  /** A new producer id. */
  public synchronized CompletableFuture<Long> nextId() {
    if (next < blockEnd) {
      return CompletableFuture.completedFuture(next++);
    }
    if (refill == null) {
      refill =
          store
              .allocateProducerIds(BLOCK_SIZE)
              .thenAccept(
                  start -> {
                    synchronized (this) {
                      next = start;
                      blockEnd = start + BLOCK_SIZE;
                      refill = null;
                      knownHighWatermark = Math.max(knownHighWatermark, blockEnd);
                    }
                  })
              .whenComplete(
                  (v, t) -> {
                    if (t != null) {
                      synchronized (this) {
                        refill = null;
                      }
                    }
                  });
    }
    return refill.thenCompose(v -> nextId());
  }

  /** True if some broker of this cluster has handed out {@code producerId}. */
  public CompletableFuture<Boolean> wasIssued(long producerId) {
    if (producerId < knownHighWatermark) {
      return CompletableFuture.completedFuture(true);
    }
    return store
        .producerIdHighWatermark()
        .thenApply(
            hw -> {
              knownHighWatermark = Math.max(knownHighWatermark, hw);
              return producerId < hw;
            });
  }
}
