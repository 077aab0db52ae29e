package io.strata.broker.group.handlers;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.RequestInfo;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.MetadataCache.Snapshot;
import io.strata.broker.metadata.TopicRecord;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartition;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopic;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;

/**
 * OffsetCommit, OffsetFetch (one group before v8, many from v8) and OffsetDelete. Versions 10 of
 * OffsetCommit and OffsetFetch name topics by id: ids are resolved to names here (offsets are kept
 * by topic name, as Kafka keeps them) and answered by id; an unknown id is UNKNOWN_TOPIC_ID.
 */
final class OffsetApis {
  private final GroupCoordinator coordinator;
  private final MetadataCache cache;

  OffsetApis(GroupCoordinator coordinator, MetadataCache cache) {
    this.coordinator = coordinator;
    this.cache = cache;
  }

  void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.OFFSET_COMMIT, this::offsetCommit);
    registry.register(ApiKeys.OFFSET_FETCH, this::offsetFetch);
    registry.register(ApiKeys.OFFSET_DELETE, this::offsetDelete);
  }

  // ---------------------------------------------------------------- OffsetCommit

  private CompletableFuture<AbstractResponse> offsetCommit(RequestContext ctx, AbstractRequest r) {
    OffsetCommitRequestData req = ((OffsetCommitRequest) r).data();
    short version = ctx.apiVersion();
    boolean byId = OffsetCommitResponse.useTopicIds(version);
    Snapshot snap = cache.snapshot();
    // Errors decided here (unknown topics), keyed by the request topic's position.
    Map<Integer, Errors> topicErrors = new HashMap<>();
    List<OffsetCommitRequestTopic> known = new ArrayList<>();
    for (int i = 0; i < req.topics().size(); i++) {
      OffsetCommitRequestTopic t = req.topics().get(i);
      Optional<TopicRecord> topic = byId ? snap.topic(t.topicId()) : snap.topic(t.name());
      if (topic.isEmpty()) {
        topicErrors.put(i, byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        known.add(
            new OffsetCommitRequestTopic()
                .setName(topic.get().name())
                .setPartitions(t.partitions()));
      }
    }
    OffsetCommitRequestData named =
        new OffsetCommitRequestData()
            .setGroupId(req.groupId())
            .setGenerationIdOrMemberEpoch(req.generationIdOrMemberEpoch())
            .setMemberId(req.memberId())
            .setGroupInstanceId(req.groupInstanceId())
            .setTopics(known);
    RequestInfo info = GroupHandlers.info(ctx);
    CompletableFuture<Map<TopicPartition, Errors>> results =
        known.isEmpty()
            ? CompletableFuture.completedFuture(Map.of())
            : coordinator
                .<OffsetCommitResponseData>run(
                    req.groupId(), (shard, out) -> shard.commitOffsets(info, named, out))
                .thenApply(OffsetApis::byPartition)
                .exceptionally(
                    t -> {
                      Errors e = GroupHandlers.error(t, "committing offsets of " + req.groupId());
                      Map<TopicPartition, Errors> all = new HashMap<>();
                      for (OffsetCommitRequestTopic t2 : known) {
                        for (OffsetCommitRequestPartition p : t2.partitions()) {
                          all.put(new TopicPartition(t2.name(), p.partitionIndex()), e);
                        }
                      }
                      return all;
                    });
    return results.thenApply(
        errors -> {
          OffsetCommitResponseData out = new OffsetCommitResponseData();
          int k = 0;
          for (int i = 0; i < req.topics().size(); i++) {
            OffsetCommitRequestTopic t = req.topics().get(i);
            Errors topicError = topicErrors.get(i);
            String name = topicError == null ? known.get(k++).name() : t.name();
            OffsetCommitResponseTopic rt = new OffsetCommitResponseTopic();
            if (byId) {
              rt.setTopicId(t.topicId());
            } else {
              rt.setName(t.name());
            }
            for (OffsetCommitRequestPartition p : t.partitions()) {
              Errors e =
                  topicError != null
                      ? topicError
                      : errors.getOrDefault(
                          new TopicPartition(name, p.partitionIndex()),
                          Errors.UNKNOWN_SERVER_ERROR);
              rt.partitions()
                  .add(
                      new OffsetCommitResponsePartition()
                          .setPartitionIndex(p.partitionIndex())
                          .setErrorCode(e.code()));
            }
            out.topics().add(rt);
          }
          return new OffsetCommitResponse(out);
        });
  }

  private static Map<TopicPartition, Errors> byPartition(OffsetCommitResponseData d) {
    Map<TopicPartition, Errors> m = new HashMap<>();
    for (OffsetCommitResponseTopic t : d.topics()) {
      for (OffsetCommitResponsePartition p : t.partitions()) {
        m.put(new TopicPartition(t.name(), p.partitionIndex()), Errors.forCode(p.errorCode()));
      }
    }
    return m;
  }

  // ---------------------------------------------------------------- OffsetFetch

  private CompletableFuture<AbstractResponse> offsetFetch(RequestContext ctx, AbstractRequest r) {
    OffsetFetchRequest request = (OffsetFetchRequest) r;
    short version = ctx.apiVersion();
    boolean byId = OffsetFetchRequest.useTopicIds(version);
    Snapshot snap = cache.snapshot();
    List<CompletableFuture<OffsetFetchResponseGroup>> groups = new ArrayList<>();
    for (OffsetFetchRequestGroup g : request.groups()) {
      groups.add(fetchGroup(g, byId, snap));
    }
    return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<OffsetFetchResponseGroup> out =
                  groups.stream().map(CompletableFuture::join).toList();
              return version >= 8
                  ? new OffsetFetchResponse(
                      new OffsetFetchResponseData().setGroups(new ArrayList<>(out)), version)
                  : singleGroup(out.get(0), request.groups().get(0), version);
            });
  }

  private CompletableFuture<OffsetFetchResponseGroup> fetchGroup(
      OffsetFetchRequestGroup g, boolean byId, Snapshot snap) {
    List<OffsetFetchRequestTopics> named = null;
    Map<Uuid, String> idToName = new HashMap<>();
    List<OffsetFetchResponseTopics> unknownIds = new ArrayList<>();
    if (g.topics() != null) {
      named = new ArrayList<>();
      for (OffsetFetchRequestTopics t : g.topics()) {
        if (!byId) {
          named.add(t);
          continue;
        }
        Optional<TopicRecord> topic = snap.topic(t.topicId());
        if (topic.isEmpty()) {
          OffsetFetchResponseTopics rt = new OffsetFetchResponseTopics().setTopicId(t.topicId());
          for (int p : t.partitionIndexes()) {
            rt.partitions()
                .add(
                    new OffsetFetchResponsePartitions()
                        .setPartitionIndex(p)
                        .setCommittedOffset(-1)
                        .setMetadata("")
                        .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
          }
          unknownIds.add(rt);
        } else {
          idToName.put(t.topicId(), topic.get().name());
          named.add(
              new OffsetFetchRequestTopics()
                  .setName(topic.get().name())
                  .setPartitionIndexes(t.partitionIndexes()));
        }
      }
    }
    List<OffsetFetchRequestTopics> topics = named;
    String groupId = g.groupId();
    return coordinator
        .<OffsetFetchResponseGroup>run(
            groupId, (shard, out) -> shard.fetchOffsets(groupId, topics, out))
        .thenApply(
            resp -> {
              if (byId) {
                List<OffsetFetchResponseTopics> withIds = new ArrayList<>();
                for (OffsetFetchResponseTopics t : resp.topics()) {
                  // Offsets of a topic that no longer exists have no id to answer with.
                  snap.topic(t.name())
                      .ifPresent(rec -> withIds.add(t.setTopicId(rec.id()).setName("")));
                }
                withIds.addAll(unknownIds);
                resp.setTopics(withIds);
              }
              return resp;
            })
        .exceptionally(
            t ->
                new OffsetFetchResponseGroup()
                    .setGroupId(groupId)
                    .setErrorCode(GroupHandlers.error(t, "fetching offsets of " + groupId).code()));
  }

  /** The pre-v8 layout: one group's topics at the top level (and its error from v2). */
  private static OffsetFetchResponse singleGroup(
      OffsetFetchResponseGroup g, OffsetFetchRequestGroup requested, short version) {
    OffsetFetchResponseData d = new OffsetFetchResponseData();
    Errors groupError = Errors.forCode(g.errorCode());
    if (version >= 2) {
      d.setErrorCode(g.errorCode());
    }
    for (OffsetFetchResponseTopics t : g.topics()) {
      OffsetFetchResponseTopic rt = new OffsetFetchResponseTopic().setName(t.name());
      for (OffsetFetchResponsePartitions p : t.partitions()) {
        OffsetFetchResponsePartition rp =
            new OffsetFetchResponsePartition()
                .setPartitionIndex(p.partitionIndex())
                .setCommittedOffset(p.committedOffset())
                .setMetadata(p.metadata())
                .setErrorCode(p.errorCode());
        if (version >= 5) {
          rp.setCommittedLeaderEpoch(p.committedLeaderEpoch());
        }
        rt.partitions().add(rp);
      }
      d.topics().add(rt);
    }
    if (version < 2 && groupError != Errors.NONE && requested.topics() != null) {
      // v1 has no group-level error: every requested partition carries it.
      d.topics().clear();
      for (OffsetFetchRequestTopics t : requested.topics()) {
        OffsetFetchResponseTopic rt = new OffsetFetchResponseTopic().setName(t.name());
        for (int p : t.partitionIndexes()) {
          rt.partitions()
              .add(
                  new OffsetFetchResponsePartition()
                      .setPartitionIndex(p)
                      .setCommittedOffset(-1)
                      .setMetadata("")
                      .setErrorCode(groupError.code()));
        }
        d.topics().add(rt);
      }
    }
    return new OffsetFetchResponse(d, version);
  }

  // ---------------------------------------------------------------- OffsetDelete

  private CompletableFuture<AbstractResponse> offsetDelete(RequestContext ctx, AbstractRequest r) {
    OffsetDeleteRequestData req = ((OffsetDeleteRequest) r).data();
    return coordinator
        .<OffsetDeleteResponseData>run(req.groupId(), (shard, out) -> shard.deleteOffsets(req, out))
        .exceptionally(
            t ->
                new OffsetDeleteResponseData()
                    .setErrorCode(
                        GroupHandlers.error(t, "deleting offsets of " + req.groupId()).code()))
        .thenApply(OffsetDeleteResponse::new);
  }
}
