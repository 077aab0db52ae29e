package io.strata.broker.group;

import java.util.List;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

/** Error responses of the membership APIs, shaped as Kafka's coordinator shapes them. */
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
}
