package io.strata.broker.handlers;

import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.PartitionManager;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

/**
 * Finds the partition a request names, by topic name or id, and says which Kafka error applies when
 * this broker cannot serve it: UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION for what does not
 * exist, NOT_LEADER_OR_FOLLOWER for what another broker serves (or nobody yet), so clients refresh
 * their metadata and retry.
 */
final class PartitionLookup {

  /** A lookup result: the partition, or the error to answer with. */
  record Found(Optional<TopicRecord> topic, Optional<Partition> partition, Errors error) {
    static Found error(Errors e) {
      return new Found(Optional.empty(), Optional.empty(), e);
    }
  }

  private final MetadataCache cache;
  private final PartitionManager partitions;

  PartitionLookup(MetadataCache cache, PartitionManager partitions) {
    this.cache = cache;
    this.partitions = partitions;
  }

  /** Looks up by id when {@code name} is null (request versions that carry topic ids). */
  Found find(String name, Uuid topicId, int partition) {
    Optional<TopicRecord> topic =
        name != null && !name.isEmpty()
            ? cache.snapshot().topic(name)
            : cache.snapshot().topic(topicId);
    if (topic.isEmpty()) {
      return Found.error(
          name != null && !name.isEmpty()
              ? Errors.UNKNOWN_TOPIC_OR_PARTITION
              : Errors.UNKNOWN_TOPIC_ID);
    }
    if (partition < 0 || partition >= topic.get().partitions()) {
      return new Found(topic, Optional.empty(), Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }
    Optional<Partition> p =
        partitions
            .get(new TopicPartition(topic.get().name(), partition))
            .filter(x -> !x.isClosed());
    return p.isPresent()
        ? new Found(topic, p, Errors.NONE)
        : new Found(topic, Optional.empty(), Errors.NOT_LEADER_OR_FOLLOWER);
  }

  /**
   * Checks a client's leader epoch against the partition's (KIP-320): older is FENCED_LEADER_EPOCH,
   * newer UNKNOWN_LEADER_EPOCH (this broker has not caught up), -1 skips.
   */
  static Errors checkLeaderEpoch(Partition p, int requestEpoch) {
    if (requestEpoch < 0 || requestEpoch == p.leaderEpoch()) {
      return Errors.NONE;
    }
    return requestEpoch < p.leaderEpoch()
        ? Errors.FENCED_LEADER_EPOCH
        : Errors.UNKNOWN_LEADER_EPOCH;
  }
}
