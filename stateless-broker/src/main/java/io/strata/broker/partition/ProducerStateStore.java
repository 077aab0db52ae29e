package io.strata.broker.partition;

import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.metadata.ZkAsync;
import io.strata.broker.producer.ProducerSnapshot;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.storage.api.PartitionLog;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.utils.Time;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a partition's idempotent-producer state is kept between owners: a snapshot znode {@code
 * ROOT/producer-snapshots/LOG} ({@link ProducerSnapshot}, "SPS1"), written every {@code
 * strata.producer.snapshot.interval.bytes} of appends and on a graceful close; loading restores it
 * and replays only the batches after it. Non-blocking and thread-safe.
 */
final class ProducerStateStore {
  private static final Logger log = LoggerFactory.getLogger(ProducerStateStore.class);

  /** Snapshots stay below ZooKeeper's 1 MiB znode limit; beyond, loading replays more. */
  private static final int MAX_SNAPSHOT_BYTES = 900 * 1024;

  private final ZkAsync zk;
  private final String root;
  private final Time time;
  private final long expirationMs;

  ProducerStateStore(ZkAsync zk, String metadataRoot, Time time, long expirationMs) {
    this.zk = zk;
    this.root = metadataRoot + "/producer-snapshots";
    this.time = time;
    this.expirationMs = expirationMs;
  }

  CompletableFuture<Void> init() {
    return zk.ensure(root);
  }

  private String path(String logName) {
    return root + "/" + logName;
  }

  /** The producer state of a log just opened: its snapshot plus a replay of what follows. */
  CompletableFuture<ProducerStateManager> rebuild(String logName, PartitionLog plog) {
    ProducerStateManager producers = new ProducerStateManager();
    return zk.get(path(logName))
        .thenApply(v -> Optional.of(ProducerSnapshot.decode(v.data())))
        .exceptionally(
            t -> {
              if (!ZkAsync.is(t, Code.NONODE)) {
                log.warn("Ignoring unreadable producer snapshot of {}: {}", logName, t.toString());
              }
              return Optional.empty();
            })
        .thenCompose(
            snap -> {
              long from = plog.logStartOffset();
              if (snap.isPresent() && snap.get().nextOffset() >= from) {
                producers.restore(snap.get());
                from = snap.get().nextOffset();
              }
              return ProducerStateReplay.replay(plog, from, producers);
            })
        .thenApply(
            replayed -> {
              producers.removeExpired(time.milliseconds(), expirationMs);
              return producers;
            });
  }

  /** Saves a partition's producer state, on its executor so it matches an exact offset. */
  void snapshot(Partition partition) {
    partition
        .executor()
        .execute(
            () -> {
              partition.producers().removeExpired(time.milliseconds(), expirationMs);
              write(partition.id(), partition.producers().snapshot(partition.log().logEndOffset()));
            });
  }

  /** Writes a snapshot; failures are logged (the next load replays more), never thrown. */
  CompletableFuture<Void> write(TopicIdPartition id, ProducerSnapshot snap) {
    String path = path(TopicRecord.logName(id.topicId(), id.partition()));
    byte[] data = snap.encode();
    if (data.length > MAX_SNAPSHOT_BYTES) {
      log.warn(
          "Producer state of {} ({} producers) is too large to snapshot; loading it replays more",
          id.topicPartition(),
          snap.entries().size());
      return CompletableFuture.completedFuture(null);
    }
    return zk.set(path, data, -1)
        .thenApply(v -> (Void) null)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? zk.create(path, data, CreateMode.PERSISTENT).thenApply(p -> (Void) null)
                    : CompletableFuture.failedFuture(t))
        .exceptionally(
            t -> {
              log.warn(
                  "Could not save producer state of {}: {}", id.topicPartition(), t.toString());
              return null;
            });
  }

  /** Forgets a deleted log's snapshot. */
  CompletableFuture<Void> delete(String logName) {
    return zk.delete(path(logName), -1)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(t));
  }
}
