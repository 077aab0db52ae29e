package io.strata.broker.group;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

/** Responses of the membership APIs, shaped as Kafka's coordinator shapes them. */
public final class GroupResponses {
  private GroupResponses() {}

  public static JoinGroupResponseData joinError(String memberId, Errors error) {
    return new JoinGroupResponseData()
        .setMemberId(memberId == null ? "" : memberId)
        .setErrorCode(error.code())
        .setGenerationId(-1)
        .setProtocolType(null)
        .setProtocolName(null)
        .setLeader("")
        .setMembers(List.of());
  }

  public static SyncGroupResponseData syncError(Errors error) {
    return new SyncGroupResponseData()
        .setErrorCode(error.code())
        .setProtocolType(null)
        .setProtocolName(null)
        .setAssignment(new byte[0]);
  }

  public static HeartbeatResponseData heartbeat(Errors error) {
    return new HeartbeatResponseData().setErrorCode(error.code());
  }

  /** A successful JoinGroup response: the group's current generation as {@code m} sees it. */
  static JoinGroupResponseData joinResponse(
      ClassicGroup group, GroupMember m, boolean withMembers, boolean skipAssignment) {
    return new JoinGroupResponseData()
        .setErrorCode(Errors.NONE.code())
        .setMemberId(m.memberId())
        .setGenerationId(group.generationId())
        .setProtocolType(group.protocolType().orElse(null))
        .setProtocolName(group.protocolName().orElse(null))
        .setLeader(group.leaderId().orElse(""))
        .setSkipAssignment(skipAssignment)
        .setMembers(withMembers ? new ArrayList<>(group.joinResponseMembers()) : List.of());
  }

  /** {@code m}'s assignment in the group's current generation, or the error {@code e}. */
  static SyncGroupResponseData syncResponse(ClassicGroup group, GroupMember m, Errors e) {
    if (e != Errors.NONE) {
      return GroupResponses.syncError(e);
    }
    return new SyncGroupResponseData()
        .setErrorCode(Errors.NONE.code())
        .setProtocolType(group.protocolType().orElse(null))
        .setProtocolName(group.protocolName().orElse(null))
        .setAssignment(m.assignment());
  }
}
