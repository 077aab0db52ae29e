package io.strata.broker.handlers;

import io.strata.broker.metadata.BrokerRegistration;
import io.strata.broker.metadata.ClusterMetadataStore.Ownership;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.MetadataCache.Snapshot;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.topic.TopicService;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBrokerCollection;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBrokerCollection;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopicCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;

/**
 * Metadata and DescribeCluster: which brokers exist, which topics, and who leads each partition.
 *
 * <p>Strata has no follower replicas: a partition's single owning broker is its leader, and its
 * replicas live on bookies, not brokers. Metadata therefore shows {@code replicas = isr = [owner]}
 * (so tools never report under-replicated partitions because of a bookie's absence), and the
 * owner's epoch as the leader epoch. The topic's replication factor (bookie write quorum) is
 * reported by CreateTopics and by {@code strata topics describe}.
 *
 * <p>Any broker can serve administrative requests, so each broker names itself controller.
 * Non-blocking; thread-safe.
 */
public final class ClusterHandlers {

  /** DescribeCluster's endpoint type for brokers (2 is controllers). */
  private static final byte BROKER_ENDPOINTS = 1;

  private final int brokerId;
  private final String clusterId;
  private final MetadataCache cache;
  private final TopicService topics;
  private final boolean autoCreate;
  private final long autoCreateWaitMs;

  public ClusterHandlers(
      int brokerId,
      String clusterId,
      MetadataCache cache,
      TopicService topics,
      boolean autoCreate,
      long autoCreateWaitMs) {
    this.brokerId = brokerId;
    this.clusterId = clusterId;
    this.cache = cache;
    this.topics = topics;
    this.autoCreate = autoCreate;
    this.autoCreateWaitMs = autoCreateWaitMs;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.METADATA, this::metadata);
    registry.register(ApiKeys.DESCRIBE_CLUSTER, this::describeCluster);
  }

  private CompletableFuture<AbstractResponse> metadata(RequestContext ctx, AbstractRequest r) {
    MetadataRequest request = (MetadataRequest) r;
    short version = ctx.apiVersion();
    Snapshot snap = cache.snapshot();
    List<MetadataRequestTopic> wanted = request.data().topics();

    List<CompletableFuture<Void>> creations = new ArrayList<>();
    if (wanted != null && autoCreate && request.allowAutoTopicCreation()) {
      for (MetadataRequestTopic t : wanted) {
        if (t.name() != null
            && snap.topic(t.name()).isEmpty()
            && Topic.isValid(t.name())
            && !Topic.isInternal(t.name())) {
          creations.add(
              topics
                  .create(t.name(), -1, -1, java.util.Map.of(), false, autoCreateWaitMs)
                  .handle((x, e) -> null));
        }
      }
    }
    return CompletableFuture.allOf(creations.toArray(CompletableFuture[]::new))
        .thenApply(v -> buildMetadata(ctx, version, cache.snapshot(), wanted));
  }

  private AbstractResponse buildMetadata(
      RequestContext ctx, short version, Snapshot snap, List<MetadataRequestTopic> wanted) {
    MetadataResponseData data = new MetadataResponseData();
    data.setClusterId(clusterId);
    data.setControllerId(brokerId);
    MetadataResponseBrokerCollection brokers = new MetadataResponseBrokerCollection();
    String listener = ctx.listener().value();
    for (BrokerRegistration b : snap.brokers()) {
      b.host(listener)
          .ifPresent(
              host ->
                  brokers.add(
                      new MetadataResponseBroker()
                          .setNodeId(b.id())
                          .setHost(host)
                          .setPort(b.port(listener))
                          .setRack(b.rack().orElse(null))));
    }
    data.setBrokers(brokers);

    MetadataResponseTopicCollection out = new MetadataResponseTopicCollection();
    if (wanted == null) {
      snap.topicsByName().values().stream()
          .map(vt -> vt.topic())
          .sorted((a, b) -> a.name().compareTo(b.name()))
          .forEach(t -> out.add(describe(t, snap)));
    } else {
      for (MetadataRequestTopic t : wanted) {
        out.add(describeRequested(t, snap));
      }
    }
    data.setTopics(out);
    return new MetadataResponse(data, version);
  }

  private MetadataResponseTopic describeRequested(MetadataRequestTopic t, Snapshot snap) {
    if (t.name() == null) {
      Uuid id = t.topicId();
      return snap.topic(id)
          .map(topic -> describe(topic, snap))
          .orElseGet(
              () ->
                  new MetadataResponseTopic()
                      .setTopicId(id)
                      .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
    }
    Optional<TopicRecord> topic = snap.topic(t.name());
    if (topic.isPresent()) {
      return describe(topic.get(), snap);
    }
    Errors error = Errors.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      Topic.validate(t.name());
    } catch (InvalidTopicException e) {
      error = Errors.INVALID_TOPIC_EXCEPTION;
    }
    return new MetadataResponseTopic().setName(t.name()).setErrorCode(error.code());
  }

  private static MetadataResponseTopic describe(TopicRecord topic, Snapshot snap) {
    List<MetadataResponsePartition> parts = new ArrayList<>(topic.partitions());
    for (int p = 0; p < topic.partitions(); p++) {
      Optional<Ownership> owner = snap.liveOwner(topic.logName(p));
      MetadataResponsePartition mp = new MetadataResponsePartition().setPartitionIndex(p);
      if (owner.isPresent()) {
        List<Integer> node = List.of(owner.get().brokerId());
        mp.setLeaderId(owner.get().brokerId())
            .setLeaderEpoch(owner.get().epoch())
            .setReplicaNodes(node)
            .setIsrNodes(node)
            .setOfflineReplicas(List.of());
      } else {
        mp.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code())
            .setLeaderId(-1)
            .setLeaderEpoch(-1)
            .setReplicaNodes(List.of())
            .setIsrNodes(List.of())
            .setOfflineReplicas(List.of());
      }
      parts.add(mp);
    }
    return new MetadataResponseTopic()
        .setName(topic.name())
        .setTopicId(topic.id())
        .setIsInternal(Topic.isInternal(topic.name()))
        .setPartitions(parts);
  }

  private CompletableFuture<AbstractResponse> describeCluster(
      RequestContext ctx, AbstractRequest r) {
    DescribeClusterRequest request = (DescribeClusterRequest) r;
    if (request.data().endpointType() != BROKER_ENDPOINTS) {
      // Strata has no separate controller endpoints; Kafka's brokers answer the same way.
      return CompletableFuture.completedFuture(
          new DescribeClusterResponse(
              new DescribeClusterResponseData()
                  .setErrorCode(Errors.MISMATCHED_ENDPOINT_TYPE.code())
                  .setErrorMessage("This endpoint serves broker endpoints only.")
                  .setEndpointType(request.data().endpointType())));
    }
    Snapshot snap = cache.snapshot();
    DescribeClusterBrokerCollection brokers = new DescribeClusterBrokerCollection();
    String listener = ctx.listener().value();
    for (BrokerRegistration b : snap.brokers()) {
      b.host(listener)
          .ifPresent(
              host ->
                  brokers.add(
                      new DescribeClusterBroker()
                          .setBrokerId(b.id())
                          .setHost(host)
                          .setPort(b.port(listener))
                          .setRack(b.rack().orElse(null))));
    }
    DescribeClusterResponseData data =
        new DescribeClusterResponseData()
            .setClusterId(clusterId)
            .setControllerId(brokerId)
            .setEndpointType(BROKER_ENDPOINTS)
            .setBrokers(brokers);
    return CompletableFuture.completedFuture(new DescribeClusterResponse(data));
  }
}
