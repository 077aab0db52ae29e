package io.strata.broker.handlers;

import io.strata.broker.metadata.AssignmentStore;
import io.strata.broker.metadata.AssignmentStore.Assignment;
import io.strata.broker.metadata.ClusterMetadataStore.Ownership;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.MetadataCache.Snapshot;
import io.strata.broker.metadata.TopicRecord;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.ListPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.ListPartitionReassignmentsResponse;

/**
 * AlterPartitionReassignments and ListPartitionReassignments, Kafka's APIs for moving partitions,
 * so {@code strata partitions move} and Kafka's own {@code kafka-reassign-partitions} work. A
 * partition has one owner and its replicas live on bookies, so the first broker of the requested
 * replica list becomes the partition's owner; the move copies no data. The target is pinned: the
 * balancer leaves it there while that broker lives. A {@code null} replica list (cancel) unpins the
 * partition.
 */
public final class ReassignmentHandlers {
  private final MetadataCache cache;
  private final AssignmentStore assignments;

  ReassignmentHandlers(MetadataCache cache, AssignmentStore assignments) {
    this.cache = cache;
    this.assignments = assignments;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, this::alter);
    registry.register(ApiKeys.LIST_PARTITION_REASSIGNMENTS, this::list);
  }

  private CompletableFuture<AbstractResponse> alter(RequestContext ctx, AbstractRequest r) {
    AlterPartitionReassignmentsRequest request = (AlterPartitionReassignmentsRequest) r;
    Snapshot snap = cache.snapshot();
    List<CompletableFuture<ReassignableTopicResponse>> topics = new ArrayList<>();
    for (ReassignableTopic t : request.data().topics()) {
      List<CompletableFuture<ReassignablePartitionResponse>> parts = new ArrayList<>();
      Optional<TopicRecord> topic = snap.topic(t.name());
      for (ReassignablePartition p : t.partitions()) {
        parts.add(alterOne(snap, topic, p));
      }
      topics.add(
          TopicHandlers.allOf(parts)
              .thenApply(
                  l ->
                      new ReassignableTopicResponse()
                          .setName(t.name())
                          .setPartitions(new ArrayList<>(l))));
    }
    return TopicHandlers.allOf(topics)
        .thenApply(
            l ->
                new AlterPartitionReassignmentsResponse(
                    new AlterPartitionReassignmentsResponseData()
                        .setResponses(new ArrayList<>(l))));
  }

  private CompletableFuture<ReassignablePartitionResponse> alterOne(
      Snapshot snap, Optional<TopicRecord> topic, ReassignablePartition p) {
    ReassignablePartitionResponse res =
        new ReassignablePartitionResponse().setPartitionIndex(p.partitionIndex());
    if (topic.isEmpty()
        || p.partitionIndex() < 0
        || p.partitionIndex() >= topic.get().partitions()) {
      return CompletableFuture.completedFuture(
          res.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
    }
    String log = topic.get().logName(p.partitionIndex());
    Assignment next;
    if (p.replicas() == null) {
      Optional<Assignment> current = snap.assignment(log);
      if (current.isEmpty() || !current.get().pinned()) {
        return CompletableFuture.completedFuture(
            res.setErrorCode(Errors.NO_REASSIGNMENT_IN_PROGRESS.code())
                .setErrorMessage("The partition is not pinned by a reassignment."));
      }
      next = new Assignment(current.get().brokerId(), false);
    } else {
      if (p.replicas().isEmpty()) {
        return CompletableFuture.completedFuture(
            res.setErrorCode(Errors.INVALID_REPLICA_ASSIGNMENT.code())
                .setErrorMessage("Name the broker that should own the partition."));
      }
      int to = p.replicas().get(0);
      if (!snap.isLive(to)) {
        return CompletableFuture.completedFuture(
            res.setErrorCode(Errors.INVALID_REPLICA_ASSIGNMENT.code())
                .setErrorMessage("Broker " + to + " is not a live broker of this cluster."));
      }
      next = new Assignment(to, true);
    }
    return assignments
        .assign(log, next)
        .thenCompose(v -> cache.refreshAssignment(log))
        .handle(
            (v, t) -> {
              if (t != null) {
                ApiError e = BrokerErrors.toApiError(t, "moving " + log);
                res.setErrorCode(e.error().code()).setErrorMessage(e.message());
              }
              return res;
            });
  }

  private CompletableFuture<AbstractResponse> list(RequestContext ctx, AbstractRequest r) {
    ListPartitionReassignmentsRequest request = (ListPartitionReassignmentsRequest) r;
    Snapshot snap = cache.snapshot();
    List<OngoingTopicReassignment> out = new ArrayList<>();
    List<TopicRecord> wanted = new ArrayList<>();
    if (request.data().topics() == null) {
      snap.topicsByName().values().forEach(vt -> wanted.add(vt.topic()));
    } else {
      request.data().topics().forEach(t -> snap.topic(t.name()).ifPresent(wanted::add));
    }
    for (TopicRecord t : wanted) {
      List<OngoingPartitionReassignment> parts = new ArrayList<>();
      for (int p = 0; p < t.partitions(); p++) {
        String log = t.logName(p);
        Optional<Assignment> target = snap.assignment(log);
        Optional<Ownership> owner = snap.liveOwner(log);
        if (target.isPresent()
            && (owner.isEmpty() || owner.get().brokerId() != target.get().brokerId())) {
          int to = target.get().brokerId();
          List<Integer> removing = owner.map(o -> List.of(o.brokerId())).orElse(List.of());
          List<Integer> replicas = new ArrayList<>(removing);
          replicas.add(to);
          parts.add(
              new OngoingPartitionReassignment()
                  .setPartitionIndex(p)
                  .setReplicas(replicas)
                  .setAddingReplicas(List.of(to))
                  .setRemovingReplicas(removing));
        }
      }
      if (!parts.isEmpty()) {
        out.add(new OngoingTopicReassignment().setName(t.name()).setPartitions(parts));
      }
    }
    return CompletableFuture.completedFuture(
        new ListPartitionReassignmentsResponse(
            new ListPartitionReassignmentsResponseData().setTopics(out)));
  }
}
