package io.strata.broker.group;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData.JoinGroupResponseMember;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * One classic group: its {@link GroupState}, generation, selected protocol, leader and members,
 * plus the bookkeeping of a rebalance in progress (members pending join, members still to sync).
 * The rules that move it between states live in {@link GroupMembership} and {@link Rebalancer};
 * this class keeps the group's invariants (a static instance id maps to one member; protocol votes
 * are counted).
 *
 * <p>Not thread-safe: owned by one shard and touched only on the shard's thread.
 */
public final class ClassicGroup {
  private final String groupId;
  private GroupState state;
  private GroupState previousState;
  private long stateTimestampMs;
  private int generationId;
  private String protocolType;
  private String protocolName;
  private String leaderId;
  private final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
  private final Map<String, String> staticMembers = new HashMap<>();
  private final Set<String> pendingJoinMembers = new HashSet<>();
  private final Set<String> pendingSyncMembers = new HashSet<>();
  private final Map<String, Integer> protocolVotes = new HashMap<>();
  private int awaitingJoinCount;
  // An initial rebalance is extended while new members keep arriving.
  private boolean newMemberAdded;

  ClassicGroup(String groupId, GroupState state, long nowMs) {
    this.groupId = Objects.requireNonNull(groupId, "groupId");
    this.state = state;
    this.stateTimestampMs = nowMs;
  }

  /** Rebuilds a group from its stored record (the coordinator loading its partition). */
  static ClassicGroup loaded(
      String groupId,
      int generationId,
      String protocolType,
      String protocolName,
      String leaderId,
      long stateTimestampMs,
      List<GroupMember> members) {
    ClassicGroup g =
        new ClassicGroup(
            groupId, members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE, stateTimestampMs);
    g.generationId = generationId;
    g.protocolType = protocolType == null || protocolType.isEmpty() ? null : protocolType;
    g.protocolName = protocolName;
    for (GroupMember m : members) {
      g.add(m, null);
    }
    g.leaderId = leaderId != null && g.members.containsKey(leaderId) ? leaderId : g.leaderId;
    return g;
  }

  public String groupId() {
    return groupId;
  }

  public GroupState state() {
    return state;
  }

  GroupState previousState() {
    return previousState;
  }

  public boolean is(GroupState s) {
    return state == s;
  }

  /** When the group entered its current state (what offset retention of an empty group uses). */
  public long stateTimestampMs() {
    return stateTimestampMs;
  }

  public int generationId() {
    return generationId;
  }

  public Optional<String> protocolType() {
    return Optional.ofNullable(protocolType);
  }

  public Optional<String> protocolName() {
    return Optional.ofNullable(protocolName);
  }

  public Optional<String> leaderId() {
    return Optional.ofNullable(leaderId);
  }

  public boolean isLeader(String memberId) {
    return memberId != null && memberId.equals(leaderId);
  }

  public boolean hasMember(String memberId) {
    return members.containsKey(memberId);
  }

  public GroupMember member(String memberId) {
    return members.get(memberId);
  }

  public Collection<GroupMember> members() {
    return members.values();
  }

  public int size() {
    return members.size();
  }

  /** True if the group has no members (state {@link GroupState#EMPTY} or Dead). */
  public boolean isEmpty() {
    return state == GroupState.EMPTY || state == GroupState.DEAD;
  }

  /**
   * Moves to {@code next}.
   *
   * @throws IllegalStateException if {@code next} does not allow the current state before it (a bug
   *     in the state machine, never a client error)
   */
  void transitionTo(GroupState next, long nowMs) {
    if (!next.validPreviousStates().contains(state)) {
      throw new IllegalStateException(
          "Group " + groupId + " cannot move from " + state + " to " + next);
    }
    previousState = state;
    state = next;
    stateTimestampMs = nowMs;
  }

  boolean canRebalance() {
    return GroupState.PREPARING_REBALANCE.validPreviousStates().contains(state);
  }

  /** Adds a member; the group takes the protocol type of its first member. */
  void add(GroupMember member, CompletableFuture<JoinGroupResponseData> joinFuture) {
    member
        .groupInstanceId()
        .ifPresent(
            id -> {
              if (staticMembers.containsKey(id)) {
                throw new IllegalStateException("Instance " + id + " is already in " + groupId);
              }
              staticMembers.put(id, member.memberId());
            });
    if (members.isEmpty()) {
      protocolType = member.protocolType();
    }
    if (leaderId == null) {
      leaderId = member.memberId();
    }
    members.put(member.memberId(), member);
    countVotes(member, 1);
    member.setAwaitingJoin(joinFuture);
    if (joinFuture != null) {
      awaitingJoinCount++;
    }
    pendingJoinMembers.remove(member.memberId());
  }

  /** Removes a member (its parked responses must have been completed by the caller). */
  void remove(String memberId) {
    GroupMember removed = members.remove(memberId);
    if (removed != null) {
      countVotes(removed, -1);
      if (removed.isAwaitingJoin()) {
        awaitingJoinCount--;
      }
      removed.groupInstanceId().ifPresent(staticMembers::remove);
    }
    if (memberId.equals(leaderId)) {
      Iterator<String> it = members.keySet().iterator();
      leaderId = it.hasNext() ? it.next() : null;
    }
    pendingJoinMembers.remove(memberId);
    pendingSyncMembers.remove(memberId);
  }

  /** Replaces a member's protocols and timeouts, and parks (or unparks) its join response. */
  void updateMember(
      GroupMember m,
      List<GroupMember.Protocol> protocols,
      int rebalanceTimeoutMs,
      int sessionTimeoutMs,
      CompletableFuture<JoinGroupResponseData> joinFuture) {
    countVotes(m, -1);
    m.update(protocols, rebalanceTimeoutMs, sessionTimeoutMs);
    countVotes(m, 1);
    if (joinFuture != null && !m.isAwaitingJoin()) {
      awaitingJoinCount++;
    } else if (joinFuture == null && m.isAwaitingJoin()) {
      awaitingJoinCount--;
    }
    m.setAwaitingJoin(joinFuture);
  }

  /**
   * A static member rejoined with an unknown member id: the old member id is fenced (its parked
   * responses answer FENCED_INSTANCE_ID) and the member continues under {@code newMemberId} with
   * its assignment.
   */
  GroupMember replaceStaticMember(String instanceId, String oldMemberId, String newMemberId) {
    GroupMember old = members.remove(oldMemberId);
    if (old == null) {
      throw new IllegalStateException("No member " + oldMemberId + " to replace in " + groupId);
    }
    completeJoin(old, GroupResponses.joinError(oldMemberId, Errors.FENCED_INSTANCE_ID));
    completeSync(old, GroupResponses.syncError(Errors.FENCED_INSTANCE_ID));
    GroupMember replacement = old.withMemberId(newMemberId);
    members.put(newMemberId, replacement);
    if (oldMemberId.equals(leaderId)) {
      leaderId = newMemberId;
    }
    staticMembers.put(instanceId, newMemberId);
    return replacement;
  }

  /**
   * Keeps the leader if it rejoined, else elects a member that did.
   *
   * @return false if no member rejoined (the join phase cannot complete yet)
   */
  boolean electJoinedLeader() {
    if (leaderId == null) {
      return false;
    }
    if (members.get(leaderId).isAwaitingJoin()) {
      return true;
    }
    for (GroupMember m : members.values()) {
      if (m.isAwaitingJoin()) {
        leaderId = m.memberId();
        return true;
      }
    }
    return false;
  }

  boolean isPendingMember(String memberId) {
    return pendingJoinMembers.contains(memberId);
  }

  boolean hasPendingMembers() {
    return !pendingJoinMembers.isEmpty();
  }

  void addPendingMember(String memberId) {
    pendingJoinMembers.add(memberId);
  }

  void removePendingMember(String memberId) {
    pendingJoinMembers.remove(memberId);
  }

  void addPendingSync(String memberId) {
    pendingSyncMembers.add(memberId);
  }

  boolean removePendingSync(String memberId) {
    return pendingSyncMembers.remove(memberId);
  }

  Set<String> pendingSyncMembers() {
    return pendingSyncMembers;
  }

  void clearPendingSync() {
    pendingSyncMembers.clear();
  }

  boolean hasStaticMember(String instanceId) {
    return staticMembers.containsKey(instanceId);
  }

  String staticMemberId(String instanceId) {
    return staticMembers.get(instanceId);
  }

  /** Every known member is parked in JoinGroup and no new member is between its two joins. */
  boolean allMembersJoined() {
    return members.size() == awaitingJoinCount && pendingJoinMembers.isEmpty();
  }

  int awaitingJoinCount() {
    return awaitingJoinCount;
  }

  boolean newMemberAdded() {
    return newMemberAdded;
  }

  void setNewMemberAdded(boolean v) {
    newMemberAdded = v;
  }

  /** The longest rebalance timeout among the members: how long a join phase may last. */
  int rebalanceTimeoutMs() {
    int max = 0;
    for (GroupMember m : members.values()) {
      max = Math.max(max, m.rebalanceTimeoutMs());
    }
    return max;
  }

  /** Kafka's member id form: {@code <client id or instance id>-<uuid>}. */
  static String newMemberId(String clientId, String instanceId) {
    return (instanceId != null ? instanceId : clientId) + "-" + UUID.randomUUID();
  }

  /**
   * Checks a request's member and instance ids.
   *
   * @return NONE, UNKNOWN_MEMBER_ID, or FENCED_INSTANCE_ID (a static member's old incarnation)
   */
  Errors validateMember(String memberId, String instanceId) {
    if (instanceId != null) {
      String current = staticMembers.get(instanceId);
      if (current == null) {
        return Errors.UNKNOWN_MEMBER_ID;
      }
      if (!current.equals(memberId)) {
        return Errors.FENCED_INSTANCE_ID;
      }
    }
    return members.containsKey(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
  }

  /** Whether a member offering {@code names} of {@code type} could join the group now. */
  boolean supportsProtocols(String type, Set<String> names) {
    if (state == GroupState.EMPTY) {
      return type != null && !type.isEmpty() && !names.isEmpty();
    }
    return Objects.equals(protocolType, type)
        && names.stream().anyMatch(n -> protocolVotes.getOrDefault(n, 0) == members.size());
  }

  /** The protocol every member supports that most members prefer. */
  String selectProtocol() {
    Set<String> candidates = new HashSet<>();
    protocolVotes.forEach(
        (name, count) -> {
          if (count == members.size()) {
            candidates.add(name);
          }
        });
    Map<String, Integer> votes = new HashMap<>();
    for (GroupMember m : members.values()) {
      votes.merge(m.vote(candidates), 1, Integer::sum);
    }
    return votes.entrySet().stream()
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey)
        .orElseThrow();
  }

  /** Starts the next generation: CompletingRebalance with a protocol, or Empty. */
  void initNextGeneration(long nowMs) {
    generationId++;
    if (!members.isEmpty()) {
      protocolName = selectProtocol();
      transitionTo(GroupState.COMPLETING_REBALANCE, nowMs);
    } else {
      protocolName = null;
      transitionTo(GroupState.EMPTY, nowMs);
    }
    pendingSyncMembers.clear();
  }

  /** The members as the leader's JoinGroup response lists them. */
  List<JoinGroupResponseMember> joinResponseMembers() {
    return members.values().stream()
        .map(
            m ->
                new JoinGroupResponseMember()
                    .setMemberId(m.memberId())
                    .setGroupInstanceId(m.groupInstanceId().orElse(null))
                    .setMetadata(m.metadata(protocolName)))
        .toList();
  }

  /** Completes a member's parked JoinGroup, if any; returns whether there was one. */
  boolean completeJoin(GroupMember m, JoinGroupResponseData response) {
    if (!m.isAwaitingJoin()) {
      return false;
    }
    CompletableFuture<JoinGroupResponseData> f = m.awaitingJoin();
    m.setAwaitingJoin(null);
    awaitingJoinCount--;
    f.complete(response);
    return true;
  }

  /** Completes a member's parked SyncGroup, if any; returns whether there was one. */
  boolean completeSync(GroupMember m, SyncGroupResponseData response) {
    if (!m.isAwaitingSync()) {
      return false;
    }
    CompletableFuture<SyncGroupResponseData> f = m.awaitingSync();
    m.setAwaitingSync(null);
    f.complete(response);
    return true;
  }

  /** The current assignment of every member, keyed by member id. */
  Map<String, byte[]> assignments() {
    Map<String, byte[]> out = new LinkedHashMap<>();
    members.values().forEach(m -> out.put(m.memberId(), m.assignment()));
    return out;
  }

  private void countVotes(GroupMember m, int delta) {
    for (GroupMember.Protocol p : m.protocols()) {
      protocolVotes.merge(p.name(), delta, Integer::sum);
    }
  }

  @Override
  public String toString() {
    return "ClassicGroup(" + groupId + ", " + state + ", generation " + generationId + ")";
  }
}
