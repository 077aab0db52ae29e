package io.strata.broker.group;

import io.strata.broker.group.records.GroupRecord;
import io.strata.broker.group.records.GroupRecord.GroupValue;
import io.strata.broker.group.records.GroupRecord.MemberValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Converts between a live {@link ClassicGroup} and its stored {@link GroupRecord.Group}. */
final class GroupRecords {
  private GroupRecords() {}

  /** The record of {@code group} with {@code assignments} (member id to assignment bytes). */
  static GroupRecord.Group group(ClassicGroup group, Map<String, byte[]> assignments) {
    String protocol = group.protocolName().orElse(null);
    List<MemberValue> members = new ArrayList<>(group.size());
    for (GroupMember m : group.members()) {
      members.add(
          new MemberValue(
              m.memberId(),
              m.groupInstanceId().orElse(null),
              m.clientId(),
              m.clientHost(),
              m.rebalanceTimeoutMs(),
              m.sessionTimeoutMs(),
              protocol == null ? new byte[0] : m.metadata(protocol),
              assignments.getOrDefault(m.memberId(), GroupMember.EMPTY_ASSIGNMENT)));
    }
    return new GroupRecord.Group(
        group.groupId(),
        new GroupValue(
            group.protocolType().orElse(null),
            group.generationId(),
            protocol,
            group.leaderId().orElse(null),
            group.stateTimestampMs(),
            members));
  }

  /** Rebuilds a group from its record: Stable with its members, or Empty. */
  static ClassicGroup load(String groupId, GroupValue v, long nowMs) {
    List<GroupMember> members = new ArrayList<>(v.members().size());
    for (MemberValue m : v.members()) {
      members.add(
          new GroupMember(
              m.memberId(),
              m.groupInstanceId(),
              m.clientId(),
              m.clientHost(),
              m.rebalanceTimeoutMs(),
              m.sessionTimeoutMs(),
              v.protocolType(),
              List.of(
                  new GroupMember.Protocol(
                      v.protocolName() == null ? "" : v.protocolName(), m.subscription())),
              m.assignment()));
    }
    return ClassicGroup.loaded(
        groupId,
        v.generation(),
        v.protocolType(),
        members.isEmpty() ? null : v.protocolName(),
        v.leader(),
        v.stateTimestampMs() < 0 ? nowMs : v.stateTimestampMs(),
        members);
  }
}
