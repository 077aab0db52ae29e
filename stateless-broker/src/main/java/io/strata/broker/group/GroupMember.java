package io.strata.broker.group;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;

/**
 * One member of a classic group: its identity, timeouts, the protocols it offered in its last
 * JoinGroup, its assignment, and the JoinGroup/SyncGroup responses parked for it.
 *
 * <p>Not thread-safe: owned by its group's shard and touched only on the shard's thread.
 */
public final class GroupMember {

  /** A protocol a member supports, with its metadata (a consumer's subscription). */
  public record Protocol(String name, byte[] metadata) {
    public Protocol {
      Objects.requireNonNull(name, "name");
      metadata = metadata == null ? new byte[0] : metadata;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Protocol p && p.name.equals(name) && Arrays.equals(p.metadata, metadata);
    }

    @Override
    public int hashCode() {
      return 31 * name.hashCode() + Arrays.hashCode(metadata);
    }

    @Override
    public String toString() {
      return name + "(" + metadata.length + " bytes)";
    }
  }

  static final byte[] EMPTY_ASSIGNMENT = new byte[0];

  private final String memberId;
  private final String groupInstanceId;
  private final String clientId;
  private final String clientHost;
  private final String protocolType;
  private int rebalanceTimeoutMs;
  private int sessionTimeoutMs;
  private List<Protocol> protocols;
  private byte[] assignment = EMPTY_ASSIGNMENT;
  // Set while a JoinGroup/SyncGroup response is parked for this member.
  private CompletableFuture<JoinGroupResponseData> awaitingJoin;
  private CompletableFuture<SyncGroupResponseData> awaitingSync;
  // True from the first JoinGroup until the join phase that admits the member completes.
  private boolean isNew;

  GroupMember(
      String memberId,
      String groupInstanceId,
      String clientId,
      String clientHost,
      int rebalanceTimeoutMs,
      int sessionTimeoutMs,
      String protocolType,
      List<Protocol> protocols,
      byte[] assignment) {
    this.memberId = Objects.requireNonNull(memberId, "memberId");
    this.groupInstanceId = groupInstanceId;
    this.clientId = clientId;
    this.clientHost = clientHost;
    this.rebalanceTimeoutMs = rebalanceTimeoutMs;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.protocolType = protocolType;
    this.protocols = List.copyOf(protocols);
    this.assignment = assignment == null ? EMPTY_ASSIGNMENT : assignment;
  }

  /** A copy under a new member id (a static member that rejoined with an unknown member id). */
  GroupMember withMemberId(String newMemberId) {
    return new GroupMember(
        newMemberId,
        groupInstanceId,
        clientId,
        clientHost,
        rebalanceTimeoutMs,
        sessionTimeoutMs,
        protocolType,
        protocols,
        assignment);
  }

  public String memberId() {
    return memberId;
  }

  public Optional<String> groupInstanceId() {
    return Optional.ofNullable(groupInstanceId);
  }

  public boolean isStatic() {
    return groupInstanceId != null;
  }

  public String clientId() {
    return clientId;
  }

  public String clientHost() {
    return clientHost;
  }

  public String protocolType() {
    return protocolType;
  }

  public int rebalanceTimeoutMs() {
    return rebalanceTimeoutMs;
  }

  public int sessionTimeoutMs() {
    return sessionTimeoutMs;
  }

  public List<Protocol> protocols() {
    return protocols;
  }

  public byte[] assignment() {
    return assignment;
  }

  void setAssignment(byte[] assignment) {
    this.assignment = assignment == null ? EMPTY_ASSIGNMENT : assignment;
  }

  void update(List<Protocol> protocols, int rebalanceTimeoutMs, int sessionTimeoutMs) {
    this.protocols = List.copyOf(protocols);
    this.rebalanceTimeoutMs = rebalanceTimeoutMs;
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  /** The metadata this member sent for {@code protocolName}, or empty bytes if it has none. */
  public byte[] metadata(String protocolName) {
    for (Protocol p : protocols) {
      if (p.name().equals(protocolName)) {
        return p.metadata();
      }
    }
    return new byte[0];
  }

  boolean supports(String protocolName) {
    return protocols.stream().anyMatch(p -> p.name().equals(protocolName));
  }

  /** True if {@code other} is exactly the list of protocols (names, order and metadata) it has. */
  boolean matches(List<Protocol> other) {
    return protocols.equals(other);
  }

  /** This member's preferred protocol among {@code candidates} (its own order decides). */
  String vote(Set<String> candidates) {
    for (Protocol p : protocols) {
      if (candidates.contains(p.name())) {
        return p.name();
      }
    }
    throw new IllegalStateException("Member " + memberId + " supports none of " + candidates);
  }

  boolean isAwaitingJoin() {
    return awaitingJoin != null;
  }

  boolean isAwaitingSync() {
    return awaitingSync != null;
  }

  CompletableFuture<JoinGroupResponseData> awaitingJoin() {
    return awaitingJoin;
  }

  void setAwaitingJoin(CompletableFuture<JoinGroupResponseData> f) {
    this.awaitingJoin = f;
  }

  CompletableFuture<SyncGroupResponseData> awaitingSync() {
    return awaitingSync;
  }

  void setAwaitingSync(CompletableFuture<SyncGroupResponseData> f) {
    this.awaitingSync = f;
  }

  boolean isNew() {
    return isNew;
  }

  void setNew(boolean isNew) {
    this.isNew = isNew;
  }

  /**
   * Whether a missed heartbeat is forgiven: a known member parked in a rebalance cannot heartbeat.
   * A new member is not forgiven, so one that vanished during its first join is removed.
   */
  boolean hasSatisfiedHeartbeat() {
    return !isNew && (isAwaitingJoin() || isAwaitingSync());
  }

  @Override
  public String toString() {
    return "GroupMember(" + memberId + (isStatic() ? ", instance " + groupInstanceId : "") + ")";
  }
}
