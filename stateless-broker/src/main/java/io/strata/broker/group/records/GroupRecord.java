package io.strata.broker.group.records;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A record of the group coordinator's log ({@code __consumer_offsets}): a committed offset or a
 * group's metadata, or a tombstone of either (a null value). The byte layout is in {@link
 * GroupRecordCodec}.
 */
public sealed interface GroupRecord permits GroupRecord.Offset, GroupRecord.Group {

  /** The group the record belongs to (it decides the partition). */
  String groupId();

  /** True if this record deletes its key. */
  boolean isTombstone();

  /** A committed offset of one partition, or its deletion ({@code value == null}). */
  record Offset(String groupId, String topic, int partition, OffsetValue value)
      implements GroupRecord {
    public Offset {
      Objects.requireNonNull(groupId, "groupId");
      Objects.requireNonNull(topic, "topic");
    }

    @Override
    public boolean isTombstone() {
      return value == null;
    }
  }

  /** A group's metadata, or its deletion ({@code value == null}). */
  record Group(String groupId, GroupValue value) implements GroupRecord {
    public Group {
      Objects.requireNonNull(groupId, "groupId");
    }

    @Override
    public boolean isTombstone() {
      return value == null;
    }
  }

  /**
   * A committed offset.
   *
   * @param leaderEpoch -1 if the client sent none
   * @param metadata the client's string, never null (Kafka stores null as "")
   */
  record OffsetValue(long offset, int leaderEpoch, String metadata, long commitTimestampMs) {
    public OffsetValue {
      metadata = metadata == null ? "" : metadata;
    }
  }

  /**
   * What survives of a group across coordinator moves: generation, protocol, leader and members
   * with their assignments. Rebalance bookkeeping (parked requests, pending members) does not.
   *
   * @param protocolType null for a group that never had members
   * @param protocolName null while the group has no members
   * @param stateTimestampMs when the group entered its current state (-1 unknown)
   */
  record GroupValue(
      String protocolType,
      int generation,
      String protocolName,
      String leader,
      long stateTimestampMs,
      List<MemberValue> members) {
    public GroupValue {
      members = List.copyOf(members);
    }
  }

  /** A member as stored: its subscription for the selected protocol and its assignment. */
  record MemberValue(
      String memberId,
      String groupInstanceId,
      String clientId,
      String clientHost,
      int rebalanceTimeoutMs,
      int sessionTimeoutMs,
      byte[] subscription,
      byte[] assignment) {
    public MemberValue {
      Objects.requireNonNull(memberId, "memberId");
      clientId = clientId == null ? "" : clientId;
      clientHost = clientHost == null ? "" : clientHost;
      subscription = subscription == null ? new byte[0] : subscription;
      assignment = assignment == null ? new byte[0] : assignment;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof MemberValue m
          && m.memberId.equals(memberId)
          && Objects.equals(m.groupInstanceId, groupInstanceId)
          && m.clientId.equals(clientId)
          && m.clientHost.equals(clientHost)
          && m.rebalanceTimeoutMs == rebalanceTimeoutMs
          && m.sessionTimeoutMs == sessionTimeoutMs
          && Arrays.equals(m.subscription, subscription)
          && Arrays.equals(m.assignment, assignment);
    }

    @Override
    public int hashCode() {
      return Objects.hash(memberId, groupInstanceId, clientId, clientHost)
          + 31 * Arrays.hashCode(subscription)
          + 17 * Arrays.hashCode(assignment);
    }

    @Override
    public String toString() {
      return "MemberValue(" + memberId + ", instance " + groupInstanceId + ")";
    }
  }
}
