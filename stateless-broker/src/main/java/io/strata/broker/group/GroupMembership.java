package io.strata.broker.group;

import static io.strata.broker.group.Rebalancer.heartbeatKey;
import static io.strata.broker.group.Rebalancer.joinKey;
import static io.strata.broker.group.Rebalancer.syncKey;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classic group protocol of one shard: JoinGroup, SyncGroup, Heartbeat and LeaveGroup. The
 * rebalance side (starting a rebalance, ending a join phase, handing out an assignment) and the
 * session, rebalance and sync timeouts that drive groups through {@link GroupState} when members go
 * quiet are in {@link Rebalancer}, which this class calls. Follows the semantics of Kafka's classic
 * group coordinator (generation ids, the MEMBER_ID_REQUIRED first join, static membership, the
 * delayed initial rebalance, protocol selection by vote); assignment stays client-side, in the
 * leader.
 *
 * <p>Durability: a group's record is written when a generation's assignment arrives (the SyncGroup
 * responses leave only once it is durable), when a join phase leaves the group empty (in {@link
 * Rebalancer}), and when a static member is replaced without a rebalance. Every response waits for
 * {@link RecordSink#barrier()}, so none reports state that a coordinator failover could lose.
 *
 * <p>Not thread-safe: runs on its shard's thread only.
 */
final class GroupMembership {
  private static final Logger log = LoggerFactory.getLogger(GroupMembership.class);

  private final Map<String, ClassicGroup> groups;
  private final GroupConfig config;
  private final Time time;
  private final ShardTimer timer;
  private final RecordSink sink;
  private final Rebalancer rebalancer;

  GroupMembership(
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
    this.rebalancer = new Rebalancer(groups, config, time, timer, sink);
  }

  // ---------------------------------------------------------------- JoinGroup

  void joinGroup(
      RequestInfo ctx, JoinGroupRequestData req, CompletableFuture<JoinGroupResponseData> out) {
    String memberId = req.memberId() == null ? "" : req.memberId();
    if (req.groupId() == null || req.groupId().isEmpty()) {
      reply(out, GroupResponses.joinError(memberId, Errors.INVALID_GROUP_ID));
      return;
    }
    if (req.sessionTimeoutMs() < config.minSessionTimeoutMs()
        || req.sessionTimeoutMs() > config.maxSessionTimeoutMs()) {
      reply(out, GroupResponses.joinError(memberId, Errors.INVALID_SESSION_TIMEOUT));
      return;
    }
    boolean unknownMember = memberId.isEmpty();
    ClassicGroup group = groups.get(req.groupId());
    boolean created = false;
    if (group == null) {
      if (!unknownMember) {
        reply(out, GroupResponses.joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
        return;
      }
      group = new ClassicGroup(req.groupId(), GroupState.EMPTY, time.milliseconds());
      groups.put(req.groupId(), group);
      created = true;
    }
    // The parked response goes out through the barrier when the group decides it.
    CompletableFuture<JoinGroupResponseData> parked = new CompletableFuture<>();
    parked.thenAccept(resp -> reply(out, resp));
    if (!acceptJoiningMember(group, memberId)) {
      parked.complete(
          GroupResponses.joinError(
              JoinGroupRequest.UNKNOWN_MEMBER_ID, Errors.GROUP_MAX_SIZE_REACHED));
    } else if (unknownMember) {
      joinNewMember(ctx, req, group, parked);
    } else {
      joinExistingMember(ctx, req, group, parked);
    }
    if (created && group.size() == 0 && !group.hasPendingMembers()) {
      // A join that was refused leaves no trace of a group that did not exist.
      groups.remove(req.groupId(), group);
    }
  }

  private boolean acceptJoiningMember(ClassicGroup group, String memberId) {
    return switch (group.state()) {
      case EMPTY, DEAD -> true;
      case PREPARING_REBALANCE ->
          (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin())
              || group.awaitingJoinCount() < config.maxSize();
      case COMPLETING_REBALANCE, STABLE ->
          group.hasMember(memberId) || group.size() < config.maxSize();
    };
  }

  private void joinNewMember(
      RequestInfo ctx,
      JoinGroupRequestData req,
      ClassicGroup group,
      CompletableFuture<JoinGroupResponseData> parked) {
    if (group.is(GroupState.DEAD)) {
      parked.complete(GroupResponses.joinError("", Errors.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(req.protocolType(), protocolNames(req))) {
      parked.complete(GroupResponses.joinError("", Errors.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    String instanceId = req.groupInstanceId();
    String newMemberId = ClassicGroup.newMemberId(ctx.clientId(), instanceId);
    if (instanceId != null) {
      String existing = group.staticMemberId(instanceId);
      if (existing != null) {
        log.info(
            "Static member {} of group {} rejoined with an unknown member id in state {};"
                + " it replaces member {}",
            instanceId,
            group.groupId(),
            group.state(),
            existing);
        updateStaticMember(ctx, req, group, existing, newMemberId, parked);
      } else {
        addMemberThenRebalanceOrCompleteJoin(ctx, req, group, newMemberId, parked);
      }
    } else if (JoinGroupRequest.requiresKnownMemberId(ctx.apiVersion())) {
      // KIP-394: the member must come back with the id we give it, so a client that retries a
      // timed-out first join never leaves a ghost member behind.
      group.addPendingMember(newMemberId);
      rebalancer.scheduleHeartbeat(group.groupId(), newMemberId, req.sessionTimeoutMs());
      parked.complete(GroupResponses.joinError(newMemberId, Errors.MEMBER_ID_REQUIRED));
    } else {
      addMemberThenRebalanceOrCompleteJoin(ctx, req, group, newMemberId, parked);
    }
  }

  private void joinExistingMember(
      RequestInfo ctx,
      JoinGroupRequestData req,
      ClassicGroup group,
      CompletableFuture<JoinGroupResponseData> parked) {
    String memberId = req.memberId();
    if (group.is(GroupState.DEAD)) {
      parked.complete(GroupResponses.joinError(memberId, Errors.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(req.protocolType(), protocolNames(req))) {
      parked.complete(GroupResponses.joinError(memberId, Errors.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.isPendingMember(memberId)) {
      if (req.groupInstanceId() != null) {
        // A pending member is always dynamic; a static id here is a confused client.
        parked.complete(GroupResponses.joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
        return;
      }
      addMemberThenRebalanceOrCompleteJoin(ctx, req, group, memberId, parked);
      return;
    }
    Errors invalid = group.validateMember(memberId, req.groupInstanceId());
    if (invalid != Errors.NONE) {
      parked.complete(GroupResponses.joinError(memberId, invalid));
      return;
    }
    GroupMember member = group.member(memberId);
    List<GroupMember.Protocol> protocols = protocols(req);
    switch (group.state()) {
      case PREPARING_REBALANCE ->
          updateMemberThenRebalanceOrCompleteJoin(req, group, member, parked);
      case COMPLETING_REBALANCE -> {
        if (member.matches(protocols)) {
          // It missed its JoinGroup response: give it the current generation again.
          parked.complete(
              GroupResponses.joinResponse(group, member, group.isLeader(memberId), false));
        } else {
          updateMemberThenRebalanceOrCompleteJoin(req, group, member, parked);
        }
      }
      case STABLE -> {
        if (group.isLeader(memberId) || !member.matches(protocols)) {
          // The leader rejoining forces a rebalance: that is how it reacts to metadata changes.
          updateMemberThenRebalanceOrCompleteJoin(req, group, member, parked);
        } else {
          parked.complete(GroupResponses.joinResponse(group, member, false, false));
        }
      }
      default -> {
        log.warn(
            "Member {} rejoined group {} in unexpected state {}",
            memberId,
            group.groupId(),
            group.state());
        parked.complete(GroupResponses.joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
      }
    }
  }

  private void addMemberThenRebalanceOrCompleteJoin(
      RequestInfo ctx,
      JoinGroupRequestData req,
      ClassicGroup group,
      String memberId,
      CompletableFuture<JoinGroupResponseData> parked) {
    GroupMember member =
        new GroupMember(
            memberId,
            req.groupInstanceId(),
            ctx.clientId(),
            ctx.clientHost(),
            rebalanceTimeout(req),
            req.sessionTimeoutMs(),
            req.protocolType(),
            protocols(req),
            null);
    member.setNew(true);
    if (group.is(GroupState.PREPARING_REBALANCE) && group.previousState() == GroupState.EMPTY) {
      group.setNewMemberAdded(true);
    }
    group.add(member, parked);
    // A new member parked in JoinGroup cannot heartbeat; this bounds how long a vanished one stays.
    rebalancer.scheduleHeartbeat(group, member, config.newMemberJoinTimeoutMs());
    rebalancer.maybePrepareRebalanceOrCompleteJoin(group, "member " + memberId + " joined");
  }

  private void updateMemberThenRebalanceOrCompleteJoin(
      JoinGroupRequestData req,
      ClassicGroup group,
      GroupMember member,
      CompletableFuture<JoinGroupResponseData> parked) {
    group.updateMember(
        member, protocols(req), rebalanceTimeout(req), req.sessionTimeoutMs(), parked);
    rebalancer.maybePrepareRebalanceOrCompleteJoin(
        group, "member " + member.memberId() + " rejoined");
  }

  private void updateStaticMember(
      RequestInfo ctx,
      JoinGroupRequestData req,
      ClassicGroup group,
      String oldMemberId,
      String newMemberId,
      CompletableFuture<JoinGroupResponseData> parked) {
    String previousLeader = group.leaderId().orElse("");
    timer.cancel(heartbeatKey(group.groupId(), oldMemberId));
    GroupMember member = group.replaceStaticMember(req.groupInstanceId(), oldMemberId, newMemberId);
    rebalancer.scheduleHeartbeat(group, member, member.sessionTimeoutMs());
    group.updateMember(
        member, protocols(req), rebalanceTimeout(req), req.sessionTimeoutMs(), parked);
    switch (group.state()) {
      case STABLE -> {
        if (group.protocolName().orElse("").equals(group.selectProtocol())) {
          // Same protocol: the member gets its assignment back without a rebalance, once the
          // new member id is durable (an old one would be fenced after a failover otherwise).
          sink.append(List.of(GroupRecords.group(group, group.assignments())))
              .thenRun(
                  () -> {
                    boolean leader = group.isLeader(newMemberId);
                    boolean skip =
                        leader && JoinGroupRequest.supportsSkippingAssignment(ctx.apiVersion());
                    JoinGroupResponseData resp =
                        GroupResponses.joinResponse(group, member, skip, skip);
                    if (!skip) {
                      resp.setLeader(previousLeader);
                    }
                    group.completeJoin(member, resp);
                  });
        } else {
          rebalancer.maybePrepareRebalanceOrCompleteJoin(
              group, "static member " + req.groupInstanceId() + " changed its protocols");
        }
      }
      // The leader may already hold the old member id in its assignment: rebalance.
      case COMPLETING_REBALANCE ->
          rebalancer.prepareRebalance(
              group, "static member " + req.groupInstanceId() + " rejoined");
      case PREPARING_REBALANCE -> rebalancer.maybeCompleteJoinPhase(group);
      default ->
          throw new IllegalStateException(
              "Static member rejoined group " + group.groupId() + " in state " + group.state());
    }
  }

  // ---------------------------------------------------------------- SyncGroup

  void syncGroup(SyncGroupRequestData req, CompletableFuture<SyncGroupResponseData> out) {
    ClassicGroup group = groups.get(req.groupId());
    if (group == null || group.is(GroupState.EMPTY)) {
      reply(out, GroupResponses.syncError(Errors.UNKNOWN_MEMBER_ID));
      return;
    }
    if (group.is(GroupState.DEAD)) {
      reply(out, GroupResponses.syncError(Errors.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    Errors invalid = group.validateMember(req.memberId(), req.groupInstanceId());
    if (invalid == Errors.NONE && req.generationId() != group.generationId()) {
      invalid = Errors.ILLEGAL_GENERATION;
    }
    if (invalid == Errors.NONE
        && (inconsistent(req.protocolType(), group.protocolType().orElse(null))
            || inconsistent(req.protocolName(), group.protocolName().orElse(null)))) {
      invalid = Errors.INCONSISTENT_GROUP_PROTOCOL;
    }
    if (invalid != Errors.NONE) {
      reply(out, GroupResponses.syncError(invalid));
      return;
    }
    switch (group.state()) {
      case PREPARING_REBALANCE ->
          reply(out, GroupResponses.syncError(Errors.REBALANCE_IN_PROGRESS));
      case COMPLETING_REBALANCE -> {
        GroupMember member = group.member(req.memberId());
        CompletableFuture<SyncGroupResponseData> parked = new CompletableFuture<>();
        parked.thenAccept(resp -> reply(out, resp));
        member.setAwaitingSync(parked);
        removePendingSync(group, req.memberId());
        if (group.isLeader(req.memberId())) {
          storeAssignment(group, req);
        }
      }
      case STABLE -> {
        removePendingSync(group, req.memberId());
        reply(out, GroupResponses.syncResponse(group, group.member(req.memberId()), Errors.NONE));
      }
      default -> throw new IllegalStateException("SyncGroup in state " + group.state());
    }
  }

  private void storeAssignment(ClassicGroup group, SyncGroupRequestData req) {
    Map<String, byte[]> assignment = new HashMap<>();
    for (SyncGroupRequestAssignment a : req.assignments()) {
      assignment.put(a.memberId(), a.assignment());
    }
    for (GroupMember m : group.members()) {
      assignment.putIfAbsent(m.memberId(), GroupMember.EMPTY_ASSIGNMENT);
    }
    int generation = req.generationId();
    log.info(
        "Group {} got its generation {} assignment from leader {}",
        group.groupId(),
        generation,
        req.memberId());
    sink.append(List.of(GroupRecords.group(group, assignment)))
        .thenRun(
            () -> {
              // Members may have come and gone while the record was being written.
              if (group.is(GroupState.COMPLETING_REBALANCE) && group.generationId() == generation) {
                group
                    .members()
                    .forEach(
                        m ->
                            m.setAssignment(
                                assignment.getOrDefault(
                                    m.memberId(), GroupMember.EMPTY_ASSIGNMENT)));
                rebalancer.propagateAssignment(group, Errors.NONE);
                group.transitionTo(GroupState.STABLE, time.milliseconds());
              }
            });
  }

  private void removePendingSync(ClassicGroup group, String memberId) {
    group.removePendingSync(memberId);
    if (group.pendingSyncMembers().isEmpty()) {
      timer.cancel(syncKey(group.groupId()));
    }
  }

  // ---------------------------------------------------------------- Heartbeat

  void heartbeat(HeartbeatRequestData req, CompletableFuture<HeartbeatResponseData> out) {
    ClassicGroup group = groups.get(req.groupId());
    Errors error;
    if (group == null) {
      error = Errors.UNKNOWN_MEMBER_ID;
    } else if (group.is(GroupState.DEAD)) {
      error = Errors.COORDINATOR_NOT_AVAILABLE;
    } else {
      error = group.validateMember(req.memberId(), req.groupInstanceId());
      if (error == Errors.NONE && req.generationId() != group.generationId()) {
        error = Errors.ILLEGAL_GENERATION;
      }
      if (error == Errors.NONE) {
        GroupMember m = group.member(req.memberId());
        switch (group.state()) {
          case EMPTY -> error = Errors.UNKNOWN_MEMBER_ID;
          case PREPARING_REBALANCE -> {
            rebalancer.scheduleHeartbeat(group, m, m.sessionTimeoutMs());
            error = Errors.REBALANCE_IN_PROGRESS;
          }
          default -> rebalancer.scheduleHeartbeat(group, m, m.sessionTimeoutMs());
        }
      }
    }
    reply(out, GroupResponses.heartbeat(error));
  }

  /** An offset commit of a live member also counts as a sign of life (as in Kafka). */
  void touch(ClassicGroup group, String memberId) {
    GroupMember m = group.member(memberId);
    if (m != null && (group.is(GroupState.STABLE) || group.is(GroupState.PREPARING_REBALANCE))) {
      rebalancer.scheduleHeartbeat(group, m, m.sessionTimeoutMs());
    }
  }

  // ---------------------------------------------------------------- LeaveGroup

  void leaveGroup(
      String groupId, List<MemberIdentity> leaving, CompletableFuture<LeaveGroupResponseData> out) {
    ClassicGroup group = groups.get(groupId);
    if (group == null) {
      reply(out, new LeaveGroupResponseData().setErrorCode(Errors.UNKNOWN_MEMBER_ID.code()));
      return;
    }
    if (group.is(GroupState.DEAD)) {
      reply(
          out, new LeaveGroupResponseData().setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()));
      return;
    }
    List<MemberResponse> responses = new ArrayList<>();
    boolean anyLeft = false;
    for (MemberIdentity who : leaving) {
      Errors error = Errors.NONE;
      String memberId = who.memberId() == null ? "" : who.memberId();
      if (memberId.isEmpty()) {
        // Admin removal of a static member by instance id (KIP-345).
        if (who.groupInstanceId() != null && group.hasStaticMember(who.groupInstanceId())) {
          leave(group, group.staticMemberId(who.groupInstanceId()), who.reason());
        } else {
          error = Errors.UNKNOWN_MEMBER_ID;
        }
      } else if (group.isPendingMember(memberId)) {
        group.removePendingMember(memberId);
        timer.cancel(heartbeatKey(groupId, memberId));
      } else {
        error = group.validateMember(memberId, who.groupInstanceId());
        if (error == Errors.NONE) {
          leave(group, memberId, who.reason());
        }
      }
      anyLeft |= error == Errors.NONE;
      responses.add(
          new MemberResponse()
              .setMemberId(memberId)
              .setGroupInstanceId(who.groupInstanceId())
              .setErrorCode(error.code()));
    }
    if (anyLeft) {
      switch (group.state()) {
        case STABLE, COMPLETING_REBALANCE ->
            rebalancer.maybePrepareRebalanceOrCompleteJoin(
                group, "members left: " + responses.size());
        case PREPARING_REBALANCE -> rebalancer.maybeCompleteJoinPhase(group);
        default -> {}
      }
    }
    reply(out, new LeaveGroupResponseData().setMembers(responses));
  }

  private void leave(ClassicGroup group, String memberId, String reason) {
    GroupMember m = group.member(memberId);
    timer.cancel(heartbeatKey(group.groupId(), memberId));
    log.info(
        "Member {} left group {} (reason: {})",
        memberId,
        group.groupId(),
        reason == null ? "not given" : reason);
    group.completeJoin(m, GroupResponses.joinError("", Errors.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Schedules the timeouts of groups rebuilt from the log (their members must heartbeat). */
  void onLoaded(ClassicGroup group) {
    for (GroupMember m : group.members()) {
      rebalancer.scheduleHeartbeat(group, m, m.sessionTimeoutMs());
    }
  }

  /**
   * The shard stops serving: every parked request is answered with {@code error} (the client looks
   * for the coordinator again) and every group becomes Dead.
   */
  void failAll(Errors error) {
    for (ClassicGroup group : groups.values()) {
      for (GroupMember m : List.copyOf(group.members())) {
        group.completeJoin(m, GroupResponses.joinError(m.memberId(), error));
        group.completeSync(m, GroupResponses.syncError(error));
      }
      if (!group.is(GroupState.DEAD)) {
        group.transitionTo(GroupState.DEAD, time.milliseconds());
      }
    }
  }

  /** Cancels the timeouts of a group that is being deleted. */
  void forget(ClassicGroup group) {
    timer.cancel(joinKey(group.groupId()));
    timer.cancel(syncKey(group.groupId()));
    for (GroupMember m : group.members()) {
      timer.cancel(heartbeatKey(group.groupId(), m.memberId()));
    }
  }

  // ---------------------------------------------------------------- helpers

  private <T> void reply(CompletableFuture<T> out, T response) {
    sink.barrier()
        .whenComplete(
            (v, t) -> {
              if (t != null) {
                out.completeExceptionally(t);
              } else {
                out.complete(response);
              }
            });
  }

  private static boolean inconsistent(String requested, String current) {
    return requested != null && current != null && !requested.equals(current);
  }

  private static int rebalanceTimeout(JoinGroupRequestData req) {
    // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout then.
    return req.rebalanceTimeoutMs() > 0 ? req.rebalanceTimeoutMs() : req.sessionTimeoutMs();
  }

  private static List<GroupMember.Protocol> protocols(JoinGroupRequestData req) {
    List<GroupMember.Protocol> out = new ArrayList<>();
    for (JoinGroupRequestProtocol p : req.protocols()) {
      out.add(new GroupMember.Protocol(p.name(), p.metadata()));
    }
    return out;
  }

  private static Set<String> protocolNames(JoinGroupRequestData req) {
    Set<String> names = new HashSet<>();
    req.protocols().forEach(p -> names.add(p.name()));
    return names;
  }
}
