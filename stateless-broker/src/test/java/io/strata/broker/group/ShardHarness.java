package io.strata.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

/** A {@link GroupShard} on a fake clock, a manual timer and an in-memory sink, plus shortcuts. */
final class ShardHarness {
  static final int SESSION_MS = 10_000;
  static final int REBALANCE_MS = 30_000;

  final FakeTime time = new FakeTime(1_000_000L);
  final ManualTimer timer = new ManualTimer(time);
  final MemorySink sink = new MemorySink();
  final GroupConfig config;
  final GroupShard shard;

  ShardHarness() {
    this(GroupConfig.defaults());
  }

  ShardHarness(GroupConfig config) {
    this.config = config;
    this.shard = new GroupShard(config, time, timer, sink);
  }

  static byte[] subscription(String... topics) {
    ByteBuffer b = ConsumerProtocol.serializeSubscription(new Subscription(List.of(topics)));
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  static JoinGroupRequestData joinRequest(String group, String memberId, String instanceId) {
    return joinRequest(group, memberId, instanceId, Map.of("range", subscription("t")));
  }

  static JoinGroupRequestData joinRequest(
      String group, String memberId, String instanceId, Map<String, byte[]> protocols) {
    JoinGroupRequestProtocolCollection c = new JoinGroupRequestProtocolCollection();
    protocols.forEach(
        (name, meta) -> c.add(new JoinGroupRequestProtocol().setName(name).setMetadata(meta)));
    return new JoinGroupRequestData()
        .setGroupId(group)
        .setMemberId(memberId)
        .setGroupInstanceId(instanceId)
        .setSessionTimeoutMs(SESSION_MS)
        .setRebalanceTimeoutMs(REBALANCE_MS)
        .setProtocolType("consumer")
        .setProtocols(c);
  }

  CompletableFuture<JoinGroupResponseData> join(JoinGroupRequestData req, short version) {
    CompletableFuture<JoinGroupResponseData> f = new CompletableFuture<>();
    shard.joinGroup(new RequestInfo("client", "/127.0.0.1", version), req, f);
    return f;
  }

  CompletableFuture<JoinGroupResponseData> join(String group, String memberId) {
    return join(joinRequest(group, memberId, null), (short) 9);
  }

  /** A dynamic member's two-step first join (v4+); returns the parked second join. */
  CompletableFuture<JoinGroupResponseData> joinNew(String group) {
    JoinGroupResponseData first = join(group, "").join();
    if (first.errorCode() != Errors.MEMBER_ID_REQUIRED.code()) {
      throw new AssertionError(
          "expected MEMBER_ID_REQUIRED, got " + Errors.forCode(first.errorCode()));
    }
    return join(group, first.memberId());
  }

  CompletableFuture<SyncGroupResponseData> sync(
      String group, String memberId, int generation, Map<String, byte[]> assignment) {
    List<SyncGroupRequestAssignment> a = new ArrayList<>();
    assignment.forEach(
        (m, bytes) -> a.add(new SyncGroupRequestAssignment().setMemberId(m).setAssignment(bytes)));
    CompletableFuture<SyncGroupResponseData> f = new CompletableFuture<>();
    shard.syncGroup(
        new SyncGroupRequestData()
            .setGroupId(group)
            .setMemberId(memberId)
            .setGenerationId(generation)
            .setProtocolType("consumer")
            .setAssignments(a),
        f);
    return f;
  }

  CompletableFuture<SyncGroupResponseData> sync(
      String group, String memberId, String instanceId, int generation) {
    CompletableFuture<SyncGroupResponseData> f = new CompletableFuture<>();
    shard.syncGroup(
        new SyncGroupRequestData()
            .setGroupId(group)
            .setMemberId(memberId)
            .setGroupInstanceId(instanceId)
            .setGenerationId(generation),
        f);
    return f;
  }

  Errors heartbeat(String group, String memberId, int generation) {
    return heartbeat(group, memberId, null, generation);
  }

  Errors heartbeat(String group, String memberId, String instanceId, int generation) {
    CompletableFuture<HeartbeatResponseData> f = new CompletableFuture<>();
    shard.heartbeat(
        new HeartbeatRequestData()
            .setGroupId(group)
            .setMemberId(memberId)
            .setGroupInstanceId(instanceId)
            .setGenerationId(generation),
        f);
    return Errors.forCode(f.join().errorCode());
  }

  LeaveGroupResponseData leave(String group, String memberId) {
    CompletableFuture<LeaveGroupResponseData> f = new CompletableFuture<>();
    shard.leaveGroup(group, List.of(new MemberIdentity().setMemberId(memberId)), f);
    return f.join();
  }

  CompletableFuture<OffsetCommitResponseData> commit(
      String group, String memberId, int generation, String topic, int partition, long offset) {
    CompletableFuture<OffsetCommitResponseData> f = new CompletableFuture<>();
    shard.commitOffsets(
        new RequestInfo("client", "/127.0.0.1", (short) 9),
        new OffsetCommitRequestData()
            .setGroupId(group)
            .setMemberId(memberId)
            .setGenerationIdOrMemberEpoch(generation)
            .setTopics(
                List.of(
                    new OffsetCommitRequestTopic()
                        .setName(topic)
                        .setPartitions(
                            List.of(
                                new OffsetCommitRequestPartition()
                                    .setPartitionIndex(partition)
                                    .setCommittedOffset(offset)
                                    .setCommittedMetadata("meta-" + offset))))),
        f);
    return f;
  }

  static Errors commitError(OffsetCommitResponseData r) {
    return Errors.forCode(r.topics().get(0).partitions().get(0).errorCode());
  }

  /** The committed offset of one partition, or -1. */
  long committed(String group, String topic, int partition) {
    CompletableFuture<OffsetFetchResponseGroup> f = new CompletableFuture<>();
    shard.fetchOffsets(group, null, f);
    return f.join().topics().stream()
        .filter(t -> t.name().equals(topic))
        .flatMap(t -> t.partitions().stream())
        .filter(p -> p.partitionIndex() == partition)
        .mapToLong(p -> p.committedOffset())
        .findFirst()
        .orElse(-1L);
  }

  /**
   * Lets a join phase finish: advances the clock one initial-rebalance delay at a time (the delay
   * is extended while members keep arriving) until every future is done.
   */
  void settle(CompletableFuture<?>... futures) {
    for (int i = 0; i < 100; i++) {
      boolean all = true;
      for (CompletableFuture<?> f : futures) {
        all &= f.isDone();
      }
      if (all) {
        return;
      }
      timer.advance(config.initialRebalanceDelayMs());
    }
    throw new AssertionError("join phase did not complete");
  }

  /** Brings a one-member group to Stable; returns the member id. */
  String stableSingleMember(String group) {
    CompletableFuture<JoinGroupResponseData> joined = joinNew(group);
    settle(joined);
    JoinGroupResponseData j = joined.join();
    sync(group, j.memberId(), j.generationId(), Map.of(j.memberId(), new byte[] {1})).join();
    return j.memberId();
  }
}
