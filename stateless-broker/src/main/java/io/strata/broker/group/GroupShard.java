package io.strata.broker.group;

import io.strata.broker.group.records.GroupRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinator's deterministic state machine for one {@code __consumer_offsets} partition:
 * the groups that hash to it, their members and their committed offsets.
 *
 * <p>Inputs are requests, timer expiries ({@link ShardTimer}) and, while loading, the partition's
 * records ({@link #replay}). Outputs are records ({@link RecordSink}) and responses, each of which
 * completes only after the records it depends on are durable. There is no I/O and no clock here
 * beyond the injected {@link Time}, so the whole protocol is tested with a fake clock, a manual
 * timer and an in-memory sink.
 *
 * <p>Not thread-safe: every method must be called on the shard's single thread (the {@code
 * ShardRuntime} guarantees it in production).
 */
public final class GroupShard {
  private static final Logger log = LoggerFactory.getLogger(GroupShard.class);
  static final String EXPIRY_KEY = "offsets-expiry";

  private final Map<String, ClassicGroup> groups = new HashMap<>();
  private final GroupConfig config;
  private final Time time;
  private final ShardTimer timer;
  private final RecordSink sink;
  private final GroupMembership membership;
  private final OffsetManager offsets;

  public GroupShard(GroupConfig config, Time time, ShardTimer timer, RecordSink sink) {
    this.config = config;
    this.time = time;
    this.timer = timer;
    this.sink = sink;
    this.membership = new GroupMembership(groups, config, time, timer, sink);
    this.offsets = new OffsetManager(groups, config, time, sink, membership);
  }

  // ---------------------------------------------------------------- loading

  /** Applies one record read from the partition (loading only; never writes). */
  public void replay(GroupRecord record) {
    if (record instanceof GroupRecord.Offset o) {
      offsets.apply(o);
    } else if (record instanceof GroupRecord.Group g) {
      if (g.value() == null) {
        groups.remove(g.groupId());
      } else {
        groups.put(g.groupId(), GroupRecords.load(g.groupId(), g.value(), time.milliseconds()));
      }
    }
  }

  /** Loading is over: members of loaded groups must heartbeat from now on; retention starts. */
  public void onLoaded() {
    groups.values().forEach(membership::onLoaded);
    scheduleExpiry();
  }

  /**
   * The shard stops serving: parked requests are answered with {@code error}, timers are cancelled,
   * every group becomes Dead.
   */
  public void unload(Errors error) {
    timer.cancelAll();
    membership.failAll(error);
  }

  /** All live state as records: replaying them into an empty shard rebuilds this one. */
  public List<GroupRecord> snapshot() {
    List<GroupRecord> out = new ArrayList<>();
    for (ClassicGroup g : groups.values()) {
      // Simple groups (never had members) exist through their offsets alone.
      if (g.protocolType().isPresent() || g.generationId() > 0) {
        out.add(GroupRecords.group(g, g.assignments()));
      }
    }
    offsets.snapshot(out);
    return out;
  }

  // ---------------------------------------------------------------- membership

  public void joinGroup(
      RequestInfo ctx, JoinGroupRequestData req, CompletableFuture<JoinGroupResponseData> out) {
    membership.joinGroup(ctx, req, out);
  }

  public void syncGroup(SyncGroupRequestData req, CompletableFuture<SyncGroupResponseData> out) {
    membership.syncGroup(req, out);
  }

  public void heartbeat(HeartbeatRequestData req, CompletableFuture<HeartbeatResponseData> out) {
    membership.heartbeat(req, out);
  }

  public void leaveGroup(
      String groupId, List<MemberIdentity> members, CompletableFuture<LeaveGroupResponseData> out) {
    membership.leaveGroup(groupId, members, out);
  }

  // ---------------------------------------------------------------- offsets

  public void commitOffsets(
      RequestInfo ctx,
      OffsetCommitRequestData req,
      CompletableFuture<OffsetCommitResponseData> out) {
    offsets.commit(ctx, req, out);
  }

  /**
   * @param topics null for every committed offset of the group
   */
  public void fetchOffsets(
      String groupId,
      List<OffsetFetchRequestTopics> topics,
      CompletableFuture<OffsetFetchResponseGroup> out) {
    ClassicGroup group = groups.get(groupId);
    OffsetFetchResponseGroup resp =
        group != null && group.is(GroupState.DEAD)
            ? new OffsetFetchResponseGroup()
                .setGroupId(groupId)
                .setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
            : offsets.fetch(groupId, topics);
    reply(sink.barrier(), out, resp);
  }

  public void deleteOffsets(
      OffsetDeleteRequestData req, CompletableFuture<OffsetDeleteResponseData> out) {
    offsets.delete(req, out);
  }

  // ---------------------------------------------------------------- administration

  /**
   * ListGroups for this shard.
   *
   * @param states lower-case state names to keep; empty keeps all
   * @param types lower-case group types to keep; empty keeps all (every group here is "classic")
   */
  public void listGroups(
      Set<String> states, Set<String> types, CompletableFuture<List<ListedGroup>> out) {
    List<ListedGroup> listed = new ArrayList<>();
    if (types.isEmpty() || types.contains("classic")) {
      for (ClassicGroup g : groups.values()) {
        if (g.is(GroupState.DEAD)
            || (!states.isEmpty() && !states.contains(g.state().lowerCaseName()))) {
          continue;
        }
        listed.add(
            new ListedGroup()
                .setGroupId(g.groupId())
                .setProtocolType(g.protocolType().orElse(""))
                .setGroupState(g.state().toString())
                .setGroupType("classic"));
      }
    }
    reply(sink.barrier(), out, listed);
  }

  /**
   * DescribeGroups for groups of this shard. An unknown group is described as Dead with
   * GROUP_ID_NOT_FOUND (the handler drops the error for versions before 6, as Kafka does).
   */
  public void describeGroups(List<String> groupIds, CompletableFuture<List<DescribedGroup>> out) {
    List<DescribedGroup> described = new ArrayList<>();
    for (String id : groupIds) {
      ClassicGroup g = groups.get(id);
      if (g == null || g.is(GroupState.DEAD)) {
        described.add(
            new DescribedGroup()
                .setGroupId(id)
                .setGroupState(GroupState.DEAD.toString())
                .setProtocolType("")
                .setProtocolData("")
                .setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                .setErrorMessage("Group " + id + " not found."));
        continue;
      }
      boolean stable = g.is(GroupState.STABLE);
      String protocol = g.protocolName().orElse("");
      List<DescribedGroupMember> members = new ArrayList<>();
      for (GroupMember m : g.members()) {
        members.add(
            new DescribedGroupMember()
                .setMemberId(m.memberId())
                .setGroupInstanceId(m.groupInstanceId().orElse(null))
                .setClientId(m.clientId())
                .setClientHost(m.clientHost())
                .setMemberMetadata(stable ? m.metadata(protocol) : new byte[0])
                .setMemberAssignment(stable ? m.assignment() : new byte[0]));
      }
      described.add(
          new DescribedGroup()
              .setGroupId(id)
              .setGroupState(g.state().toString())
              .setProtocolType(g.protocolType().orElse(""))
              .setProtocolData(stable ? protocol : "")
              .setMembers(members));
    }
    reply(sink.barrier(), out, described);
  }

  /** DeleteGroups for groups of this shard: only empty groups can go, with their offsets. */
  public void deleteGroups(
      List<String> groupIds, CompletableFuture<List<DeletableGroupResult>> out) {
    List<DeletableGroupResult> results = new ArrayList<>();
    List<GroupRecord> records = new ArrayList<>();
    for (String id : groupIds) {
      ClassicGroup g = groups.get(id);
      Errors e = Errors.NONE;
      if (g == null || g.is(GroupState.DEAD)) {
        e = Errors.GROUP_ID_NOT_FOUND;
      } else if (!g.isEmpty() || g.hasPendingMembers()) {
        e = Errors.NON_EMPTY_GROUP;
      } else {
        records.addAll(offsets.deleteAll(id));
        records.add(new GroupRecord.Group(id, null));
        membership.forget(g);
        groups.remove(id);
        g.transitionTo(GroupState.DEAD, time.milliseconds());
        log.info("Deleted group {}", id);
      }
      results.add(new DeletableGroupResult().setGroupId(id).setErrorCode(e.code()));
    }
    reply(records.isEmpty() ? sink.barrier() : sink.append(records), out, results);
  }

  // ---------------------------------------------------------------- retention

  private void scheduleExpiry() {
    timer.schedule(EXPIRY_KEY, config.offsetsRetentionCheckIntervalMs(), this::expireOffsets);
  }

  /** Runs retention now (also the timer's task); returns the number of tombstones written. */
  int expireOffsets() {
    List<GroupRecord> records = offsets.expire(time.milliseconds());
    if (!records.isEmpty()) {
      sink.append(records);
    }
    scheduleExpiry();
    return records.size();
  }

  // ---------------------------------------------------------------- for tests and ops

  /** The group, if this shard has it (tests and diagnostics). */
  public ClassicGroup group(String groupId) {
    return groups.get(groupId);
  }

  public int groupCount() {
    return groups.size();
  }

  public int offsetCount() {
    return offsets.size();
  }

  /** Lower-cases filters the way Kafka compares them. */
  public static String normalize(String s) {
    return s.toLowerCase(Locale.ROOT);
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
