package io.strata.broker.group;

import io.strata.broker.group.records.GroupRecord;
import io.strata.broker.group.records.GroupRecord.OffsetValue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartitionCollection;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopicCollection;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Committed offsets of one shard's groups: OffsetCommit, OffsetFetch, OffsetDelete, the offsets
 * side of DeleteGroups, and retention ({@code offsets.retention.minutes}).
 *
 * <p>Every change is a record: it is applied to memory with {@link #apply} (the same method the
 * loader replays the log with, so live state and replayed state cannot drift apart) and appended;
 * the response leaves once the record is durable.
 *
 * <p>Not thread-safe: runs on its shard's thread only.
 */
final class OffsetManager {
  private static final Logger log = LoggerFactory.getLogger(OffsetManager.class);

  private final Map<String, ClassicGroup> groups;
  private final Map<String, Map<TopicPartition, OffsetValue>> offsets = new HashMap<>();
  private final GroupConfig config;
  private final Time time;
  private final RecordSink sink;
  private final GroupMembership membership;

  OffsetManager(
      Map<String, ClassicGroup> groups,
      GroupConfig config,
      Time time,
      RecordSink sink,
      GroupMembership membership) {
    this.groups = groups;
    this.config = config;
    this.time = time;
    this.sink = sink;
    this.membership = membership;
  }

  /**
   * Commits offsets. The request's topics are named (the handler resolved topic ids); every
   * partition gets an error code.
   */
  void commit(
      RequestInfo ctx,
      OffsetCommitRequestData req,
      CompletableFuture<OffsetCommitResponseData> out) {
    ClassicGroup group = groups.get(req.groupId());
    boolean created = false;
    Errors error = Errors.NONE;
    if (req.groupId() == null || req.groupId().isEmpty()) {
      error = Errors.INVALID_GROUP_ID;
    } else if (group == null) {
      if (req.generationIdOrMemberEpoch() < 0) {
        // No group management (an admin client or assign()): a "simple" group is created.
        group = new ClassicGroup(req.groupId(), GroupState.EMPTY, time.milliseconds());
        groups.put(req.groupId(), group);
        created = true;
      } else {
        // From v9 the client understands GROUP_ID_NOT_FOUND; older ones expect this.
        error = ctx.apiVersion() >= 9 ? Errors.GROUP_ID_NOT_FOUND : Errors.ILLEGAL_GENERATION;
      }
    } else {
      error = validateCommit(group, req);
    }
    if (error == Errors.NONE) {
      membership.touch(group, req.memberId());
    }
    OffsetCommitResponseData resp = new OffsetCommitResponseData();
    List<GroupRecord> records = new ArrayList<>();
    long now = time.milliseconds();
    for (OffsetCommitRequestTopic t : req.topics()) {
      OffsetCommitResponseTopic rt = new OffsetCommitResponseTopic().setName(t.name());
      resp.topics().add(rt);
      for (OffsetCommitRequestPartition p : t.partitions()) {
        Errors pe = error;
        if (pe == Errors.NONE && tooLarge(p.committedMetadata())) {
          pe = Errors.OFFSET_METADATA_TOO_LARGE;
        }
        if (pe == Errors.NONE) {
          records.add(
              new GroupRecord.Offset(
                  req.groupId(),
                  t.name(),
                  p.partitionIndex(),
                  new OffsetValue(
                      p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now)));
        }
        rt.partitions()
            .add(
                new OffsetCommitResponsePartition()
                    .setPartitionIndex(p.partitionIndex())
                    .setErrorCode(pe.code()));
      }
    }
    if (records.isEmpty()) {
      if (created) {
        groups.remove(req.groupId());
      }
      reply(sink.barrier(), out, resp);
      return;
    }
    records.forEach(this::apply);
    reply(sink.append(records), out, resp);
  }

  private static Errors validateCommit(ClassicGroup group, OffsetCommitRequestData req) {
    if (group.is(GroupState.DEAD)) {
      return Errors.COORDINATOR_NOT_AVAILABLE;
    }
    int generation = req.generationIdOrMemberEpoch();
    String memberId = req.memberId() == null ? "" : req.memberId();
    if (generation < 0 && group.is(GroupState.EMPTY)) {
      return Errors.NONE; // an admin or simple consumer commits for an empty group
    }
    if (generation >= 0 || !memberId.isEmpty() || req.groupInstanceId() != null) {
      Errors e = group.validateMember(memberId, req.groupInstanceId());
      if (e != Errors.NONE) {
        return e;
      }
      if (generation != group.generationId()) {
        return Errors.ILLEGAL_GENERATION;
      }
    } else if (!group.is(GroupState.EMPTY)) {
      return Errors.UNKNOWN_MEMBER_ID;
    }
    if (group.is(GroupState.COMPLETING_REBALANCE)) {
      // The member has the new generation but not its assignment yet.
      return Errors.REBALANCE_IN_PROGRESS;
    }
    return Errors.NONE;
  }

  private boolean tooLarge(String metadata) {
    return metadata != null
        && metadata.getBytes(StandardCharsets.UTF_8).length > config.offsetMetadataMaxBytes();
  }

  /**
   * The committed offsets of a group: of the requested topics' partitions (-1 where none), or of
   * every partition when {@code topics} is null. An unknown group has no offsets.
   */
  OffsetFetchResponseGroup fetch(String groupId, List<OffsetFetchRequestTopics> topics) {
    OffsetFetchResponseGroup out = new OffsetFetchResponseGroup().setGroupId(groupId);
    Map<TopicPartition, OffsetValue> committed = offsets.getOrDefault(groupId, Map.of());
    if (topics == null) {
      Map<String, OffsetFetchResponseTopics> byTopic = new TreeMap<>();
      committed.forEach(
          (tp, v) ->
              byTopic
                  .computeIfAbsent(tp.topic(), n -> new OffsetFetchResponseTopics().setName(n))
                  .partitions()
                  .add(partition(tp.partition(), v)));
      out.setTopics(new ArrayList<>(byTopic.values()));
      return out;
    }
    for (OffsetFetchRequestTopics t : topics) {
      OffsetFetchResponseTopics rt = new OffsetFetchResponseTopics().setName(t.name());
      for (int p : t.partitionIndexes()) {
        rt.partitions().add(partition(p, committed.get(new TopicPartition(t.name(), p))));
      }
      out.topics().add(rt);
    }
    return out;
  }

  private static OffsetFetchResponsePartitions partition(int p, OffsetValue v) {
    return new OffsetFetchResponsePartitions()
        .setPartitionIndex(p)
        .setCommittedOffset(v == null ? -1L : v.offset())
        .setCommittedLeaderEpoch(v == null ? -1 : v.leaderEpoch())
        .setMetadata(v == null ? "" : v.metadata())
        .setErrorCode(Errors.NONE.code());
  }

  /** OffsetDelete: removes offsets of topics the group does not consume. */
  void delete(OffsetDeleteRequestData req, CompletableFuture<OffsetDeleteResponseData> out) {
    ClassicGroup group = groups.get(req.groupId());
    if (group == null || group.is(GroupState.DEAD)) {
      reply(sink.barrier(), out, error(Errors.GROUP_ID_NOT_FOUND));
      return;
    }
    boolean consumer = "consumer".equals(group.protocolType().orElse(null));
    if (!group.isEmpty() && !consumer) {
      reply(sink.barrier(), out, error(Errors.NON_EMPTY_GROUP));
      return;
    }
    Set<String> subscribed = group.isEmpty() ? Set.of() : subscribedTopics(group);
    Map<TopicPartition, OffsetValue> committed = offsets.getOrDefault(req.groupId(), Map.of());
    List<GroupRecord> records = new ArrayList<>();
    OffsetDeleteResponseTopicCollection topics = new OffsetDeleteResponseTopicCollection();
    for (OffsetDeleteRequestTopic t : req.topics()) {
      OffsetDeleteResponsePartitionCollection parts = new OffsetDeleteResponsePartitionCollection();
      for (OffsetDeleteRequestPartition p : t.partitions()) {
        Errors e = Errors.NONE;
        if (subscribed.contains(t.name())) {
          e = Errors.GROUP_SUBSCRIBED_TO_TOPIC;
        } else if (committed.containsKey(new TopicPartition(t.name(), p.partitionIndex()))) {
          records.add(new GroupRecord.Offset(req.groupId(), t.name(), p.partitionIndex(), null));
        }
        parts.add(
            new OffsetDeleteResponsePartition()
                .setPartitionIndex(p.partitionIndex())
                .setErrorCode(e.code()));
      }
      topics.add(new OffsetDeleteResponseTopic().setName(t.name()).setPartitions(parts));
    }
    OffsetDeleteResponseData resp = new OffsetDeleteResponseData().setTopics(topics);
    records.forEach(this::apply);
    reply(records.isEmpty() ? sink.barrier() : sink.append(records), out, resp);
  }

  private static OffsetDeleteResponseData error(Errors e) {
    return new OffsetDeleteResponseData().setErrorCode(e.code());
  }

  /** The topics the members of a consumer group subscribe to, from their subscriptions. */
  private static Set<String> subscribedTopics(ClassicGroup group) {
    Set<String> topics = new HashSet<>();
    String protocol = group.protocolName().orElse(null);
    for (GroupMember m : group.members()) {
      byte[] metadata = protocol == null ? new byte[0] : m.metadata(protocol);
      try {
        Subscription s = ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata));
        topics.addAll(s.topics());
      } catch (RuntimeException e) {
        log.debug("Unreadable subscription of {} in {}", m.memberId(), group.groupId(), e);
      }
    }
    return topics;
  }

  /** Tombstones for every offset of a group (DeleteGroups); applied to memory already. */
  List<GroupRecord> deleteAll(String groupId) {
    List<GroupRecord> records = new ArrayList<>();
    offsets
        .getOrDefault(groupId, Map.of())
        .keySet()
        .forEach(
            tp -> records.add(new GroupRecord.Offset(groupId, tp.topic(), tp.partition(), null)));
    records.forEach(this::apply);
    return records;
  }

  boolean hasOffsets(String groupId) {
    return offsets.containsKey(groupId);
  }

  /**
   * Retention: the offsets of an empty group expire {@code offsets.retention.minutes} after the
   * group became empty; those of a group that never had members (offsets committed by an admin or
   * an assign()-consumer) that long after their commit. Offsets of a group with members never
   * expire. A group left with neither members nor offsets is deleted.
   *
   * @return the tombstones, applied to memory already
   */
  List<GroupRecord> expire(long nowMs) {
    List<GroupRecord> records = new ArrayList<>();
    long retention = config.offsetsRetentionMs();
    for (ClassicGroup group : List.copyOf(groups.values())) {
      if (!group.is(GroupState.EMPTY) || group.hasPendingMembers()) {
        continue;
      }
      Map<TopicPartition, OffsetValue> committed = offsets.getOrDefault(group.groupId(), Map.of());
      boolean simple = group.protocolType().isEmpty();
      List<GroupRecord> expired = new ArrayList<>();
      committed.forEach(
          (tp, v) -> {
            long base = simple ? v.commitTimestampMs() : group.stateTimestampMs();
            if (nowMs - base >= retention) {
              expired.add(
                  new GroupRecord.Offset(group.groupId(), tp.topic(), tp.partition(), null));
            }
          });
      expired.forEach(this::apply);
      records.addAll(expired);
      if (!expired.isEmpty()) {
        log.info("Expired {} offsets of empty group {}", expired.size(), group.groupId());
      }
      if (!offsets.containsKey(group.groupId())) {
        records.add(new GroupRecord.Group(group.groupId(), null));
        groups.remove(group.groupId());
        log.info("Deleted empty group {} with no offsets left", group.groupId());
      }
    }
    return records;
  }

  /** Applies an offset record: the live path after a commit, and the loader's replay. */
  void apply(GroupRecord.Offset r) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    if (r.value() == null) {
      Map<TopicPartition, OffsetValue> m = offsets.get(r.groupId());
      if (m != null) {
        m.remove(tp);
        if (m.isEmpty()) {
          offsets.remove(r.groupId());
        }
      }
    } else {
      offsets.computeIfAbsent(r.groupId(), g -> new HashMap<>()).put(tp, r.value());
      groups.computeIfAbsent(
          r.groupId(), g -> new ClassicGroup(g, GroupState.EMPTY, r.value().commitTimestampMs()));
    }
  }

  private void apply(GroupRecord r) {
    apply((GroupRecord.Offset) r);
  }

  /** Every committed offset as records (a checkpoint of this shard). */
  void snapshot(List<GroupRecord> out) {
    offsets.forEach(
        (group, m) ->
            m.forEach(
                (tp, v) -> out.add(new GroupRecord.Offset(group, tp.topic(), tp.partition(), v))));
  }

  /** Number of committed offsets held (for checkpoint sizing and tests). */
  int size() {
    int n = 0;
    for (Map<TopicPartition, OffsetValue> m : offsets.values()) {
      n += m.size();
    }
    return n;
  }

  private static <T> void reply(
      CompletableFuture<Void> durable, CompletableFuture<T> out, T response) {
    durable.whenComplete(
        (v, t) -> {
          if (t != null) {
            out.completeExceptionally(t);
          } else {
            out.complete(response);
          }
        });
  }
}
