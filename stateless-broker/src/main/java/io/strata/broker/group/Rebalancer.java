package io.strata.broker.group;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rebalance side of the classic group protocol of one shard: starting a rebalance, ending a
 * join phase (a new generation, or an empty group), handing out or withdrawing an assignment, and
 * the timeouts that drive groups through {@link GroupState} when members go quiet. {@link
 * GroupMembership} answers the requests and calls in here; nothing here answers a request except by
 * completing the JoinGroup/SyncGroup responses parked on members.
 *
 * <p>Timeouts, keyed in the shard's {@link ShardTimer}: {@link #joinKey} (the initial rebalance
 * delay, or the rebalance timeout of a join phase), {@link #syncKey} (members that got their
 * JoinGroup response must send SyncGroup within the rebalance timeout), {@link #heartbeatKey} (a
 * member's session timeout; it also bounds pending members and new members parked in JoinGroup).
 *
 * <p>Durability: a join phase that leaves the group empty writes the group's record (through the
 * {@link RecordSink}); the responses completed here leave through {@link RecordSink#barrier()} (see
 * {@link GroupMembership}).
 *
 * <p>Not thread-safe: runs on its shard's thread only.
 */
final class Rebalancer {
  private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);

  private final Map<String, ClassicGroup> groups;
  private final GroupConfig config;
  private final Time time;
  private final ShardTimer timer;
  private final RecordSink sink;

  Rebalancer(
      Map<String, ClassicGroup> groups,
      GroupConfig config,
      Time time,
      ShardTimer timer,
      RecordSink sink) {
    this.groups = groups;
    this.config = config;
    this.time = time;
    this.timer = timer;
    this.sink = sink;
  }

  // ---------------------------------------------------------------- join phase

  void maybePrepareRebalanceOrCompleteJoin(ClassicGroup group, String reason) {
    if (group.canRebalance()) {
      prepareRebalance(group, reason);
    } else {
      maybeCompleteJoinPhase(group);
    }
  }

  void maybeCompleteJoinPhase(ClassicGroup group) {
    if (group.is(GroupState.PREPARING_REBALANCE)
        && group.previousState() != GroupState.EMPTY
        && group.allMembersJoined()) {
      completeJoin(group);
    }
  }

  void prepareRebalance(ClassicGroup group, String reason) {
    if (group.is(GroupState.COMPLETING_REBALANCE)) {
      // Parked SyncGroups must rejoin: their generation is over before it started.
      group.members().forEach(m -> m.setAssignment(GroupMember.EMPTY_ASSIGNMENT));
      propagateAssignment(group, Errors.REBALANCE_IN_PROGRESS);
    }
    group.clearPendingSync();
    timer.cancel(syncKey(group.groupId()));
    boolean initial = group.is(GroupState.EMPTY);
    group.transitionTo(GroupState.PREPARING_REBALANCE, time.milliseconds());
    log.info(
        "Preparing to rebalance group {} (generation {}): {}",
        group.groupId(),
        group.generationId(),
        reason);
    if (initial) {
      // A new group waits group.initial.rebalance.delay.ms (extended while members keep coming)
      // so that a fleet starting together gets one rebalance, not one per member.
      int delay = config.initialRebalanceDelayMs();
      int remaining = Math.max(group.rebalanceTimeoutMs() - delay, 0);
      timer.schedule(
          joinKey(group.groupId()),
          delay,
          () -> tryCompleteInitialRebalance(group.groupId(), delay, remaining));
    } else if (group.allMembersJoined()) {
      completeJoin(group);
    } else {
      timer.schedule(
          joinKey(group.groupId()),
          group.rebalanceTimeoutMs(),
          () -> completeJoin(group.groupId()));
    }
  }

  private void tryCompleteInitialRebalance(String groupId, int delayMs, int remainingMs) {
    ClassicGroup group = groups.get(groupId);
    if (group == null || !group.is(GroupState.PREPARING_REBALANCE)) {
      return;
    }
    if (group.newMemberAdded() && remainingMs != 0) {
      group.setNewMemberAdded(false);
      int nextDelay = Math.min(config.initialRebalanceDelayMs(), remainingMs);
      int nextRemaining = Math.max(remainingMs - delayMs, 0);
      timer.schedule(
          joinKey(groupId),
          nextDelay,
          () -> tryCompleteInitialRebalance(groupId, nextDelay, nextRemaining));
    } else {
      completeJoin(group);
    }
  }

  private void completeJoin(String groupId) {
    ClassicGroup group = groups.get(groupId);
    if (group != null && group.is(GroupState.PREPARING_REBALANCE)) {
      completeJoin(group);
    }
  }

  /**
   * Ends a join phase: dynamic members that did not rejoin are removed, the generation advances,
   * and the parked JoinGroups are answered (the leader's with every member's metadata).
   */
  private void completeJoin(ClassicGroup group) {
    timer.cancel(joinKey(group.groupId()));
    List<GroupMember> gone = new ArrayList<>();
    for (GroupMember m : group.members()) {
      if (!m.isAwaitingJoin() && !m.isStatic()) {
        gone.add(m);
      }
    }
    for (GroupMember m : gone) {
      group.remove(m.memberId());
      timer.cancel(heartbeatKey(group.groupId(), m.memberId()));
    }
    if (!gone.isEmpty()) {
      log.info("Group {} removed members that did not rejoin: {}", group.groupId(), gone);
    }
    if (group.is(GroupState.DEAD)) {
      return;
    }
    if (!group.electJoinedLeader() && group.size() > 0) {
      // Only static members that have not rejoined remain: wait for them, or for their sessions.
      timer.schedule(
          joinKey(group.groupId()),
          group.rebalanceTimeoutMs(),
          () -> completeJoin(group.groupId()));
      return;
    }
    group.initNextGeneration(time.milliseconds());
    if (group.is(GroupState.EMPTY)) {
      log.info("Group {} is empty at generation {}", group.groupId(), group.generationId());
      sink.append(List.of(GroupRecords.group(group, Map.of())));
      return;
    }
    log.info(
        "Group {} starts generation {} with {} members (protocol {})",
        group.groupId(),
        group.generationId(),
        group.size(),
        group.protocolName().orElse(""));
    for (GroupMember m : group.members()) {
      group.completeJoin(
          m, GroupResponses.joinResponse(group, m, group.isLeader(m.memberId()), false));
      scheduleHeartbeat(group, m, m.sessionTimeoutMs());
      m.setNew(false);
      group.addPendingSync(m.memberId());
    }
    int generation = group.generationId();
    timer.schedule(
        syncKey(group.groupId()),
        group.rebalanceTimeoutMs(),
        () -> expirePendingSync(group.groupId(), generation));
  }

  // ---------------------------------------------------------------- sync phase

  /** Answers every parked SyncGroup: with its assignment, or with {@code error}. */
  void propagateAssignment(ClassicGroup group, Errors error) {
    for (GroupMember m : group.members()) {
      if (group.completeSync(m, GroupResponses.syncResponse(group, m, error))) {
        scheduleHeartbeat(group, m, m.sessionTimeoutMs());
      }
    }
  }

  private void expirePendingSync(String groupId, int generation) {
    ClassicGroup group = groups.get(groupId);
    if (group == null
        || group.generationId() != generation
        || !(group.is(GroupState.COMPLETING_REBALANCE) || group.is(GroupState.STABLE))
        || group.pendingSyncMembers().isEmpty()) {
      return;
    }
    Set<String> missing = new HashSet<>(group.pendingSyncMembers());
    for (String id : missing) {
      GroupMember m = group.member(id);
      if (m != null) {
        group.completeSync(m, GroupResponses.syncError(Errors.UNKNOWN_MEMBER_ID));
      }
      group.remove(id);
      timer.cancel(heartbeatKey(groupId, id));
    }
    prepareRebalance(group, "members " + missing + " did not send SyncGroup in time");
  }

  // ---------------------------------------------------------------- session timeouts

  /** (Re)starts the session timeout of member {@code m}: it is removed if it stays quiet. */
  void scheduleHeartbeat(ClassicGroup group, GroupMember m, long timeoutMs) {
    scheduleHeartbeat(group.groupId(), m.memberId(), timeoutMs);
  }

  /** (Re)starts the session timeout of a member or pending member. */
  void scheduleHeartbeat(String groupId, String memberId, long timeoutMs) {
    timer.schedule(
        heartbeatKey(groupId, memberId), timeoutMs, () -> expireHeartbeat(groupId, memberId));
  }

  private void expireHeartbeat(String groupId, String memberId) {
    ClassicGroup group = groups.get(groupId);
    if (group == null || group.is(GroupState.DEAD)) {
      return;
    }
    if (group.isPendingMember(memberId)) {
      log.info("Pending member {} of group {} timed out", memberId, groupId);
      group.removePendingMember(memberId);
      if (group.is(GroupState.PREPARING_REBALANCE) && group.allMembersJoined()) {
        completeJoin(group);
      }
      return;
    }
    GroupMember m = group.member(memberId);
    if (m == null || m.hasSatisfiedHeartbeat()) {
      return;
    }
    log.info(
        "Member {} of group {} missed its session timeout of {} ms; removing it",
        memberId,
        groupId,
        m.sessionTimeoutMs());
    removeMember(group, m);
  }

  private void removeMember(ClassicGroup group, GroupMember m) {
    // A member removed while parked in JoinGroup gets UNKNOWN_MEMBER_ID so that it rejoins.
    group.completeJoin(m, GroupResponses.joinError("", Errors.UNKNOWN_MEMBER_ID));
    group.completeSync(m, GroupResponses.syncError(Errors.UNKNOWN_MEMBER_ID));
    group.remove(m.memberId());
    if (group.is(GroupState.STABLE) || group.is(GroupState.COMPLETING_REBALANCE)) {
      maybePrepareRebalanceOrCompleteJoin(group, "member " + m.memberId() + " left");
    } else if (group.is(GroupState.PREPARING_REBALANCE) && group.allMembersJoined()) {
      completeJoin(group);
    }
  }

  // ---------------------------------------------------------------- timer keys

  static String heartbeatKey(String groupId, String memberId) {
    return "heartbeat-" + groupId + "-" + memberId;
  }

  static String joinKey(String groupId) {
    return "join-" + groupId;
  }

  static String syncKey(String groupId) {
    return "sync-" + groupId;
  }
}
