package io.strata.broker.handlers;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.fetch.DelayedFetchQueue;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.handlers.GroupHandlers;
import io.strata.broker.metadata.AssignmentStore;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.partition.PartitionManager;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.topic.TopicService;
import io.strata.protocol.api.ApiRegistry;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.utils.Time;

/** Every API family the broker serves, registered in one place. */
public final class BrokerHandlers {
  /** How long Metadata waits for an auto-created topic's partitions to be served. */
  private static final long AUTO_CREATE_WAIT_MS = 10_000;

  private final ClusterHandlers cluster;
  private final TopicHandlers topics;
  private final ConfigHandlers configs;
  private final ProducerIdHandlers producerIds;
  private final ProduceHandler produce;
  private final FetchHandler fetch;
  private final OffsetHandlers offsets;
  private final ReassignmentHandlers reassignments;
  private final GroupHandlers groups;

  public BrokerHandlers(
      BrokerConfig config,
      int brokerId,
      String clusterId,
      MetadataCache cache,
      TopicService topicService,
      PartitionManager partitions,
      ProducerIdManager ids,
      AssignmentStore assignments,
      DelayedFetchQueue<TopicIdPartition> delayed,
      Time time,
      GroupCoordinator groupCoordinator) {
    PartitionLookup lookup = new PartitionLookup(cache, partitions);
    this.cluster =
        new ClusterHandlers(
            brokerId,
            clusterId,
            cache,
            topicService,
            config.autoCreateTopics(),
            AUTO_CREATE_WAIT_MS);
    this.topics = new TopicHandlers(config, topicService, cache);
    this.configs = new ConfigHandlers(config, brokerId, cache, topicService, partitions);
    this.producerIds = new ProducerIdHandlers(ids);
    this.produce = new ProduceHandler(lookup);
    this.fetch = new FetchHandler(lookup, delayed, time);
    this.offsets = new OffsetHandlers(lookup, partitions);
    this.reassignments = new ReassignmentHandlers(cache, assignments);
    this.groups = new GroupHandlers(groupCoordinator, cache);
  }

  public void register(ApiRegistry.Builder registry) {
    cluster.register(registry);
    topics.register(registry);
    configs.register(registry);
    producerIds.register(registry);
    produce.register(registry);
    fetch.register(registry);
    offsets.register(registry);
    reassignments.register(registry);
    groups.register(registry);
  }
}
