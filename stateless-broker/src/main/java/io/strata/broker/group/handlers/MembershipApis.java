package io.strata.broker.group.handlers;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.GroupResponses;
import io.strata.broker.group.RequestInfo;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;

/** JoinGroup, SyncGroup, Heartbeat and LeaveGroup: wire versions in, coordinator calls out. */
final class MembershipApis {
  private final GroupCoordinator coordinator;

  MembershipApis(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.JOIN_GROUP, this::joinGroup);
    registry.register(ApiKeys.SYNC_GROUP, this::syncGroup);
    registry.register(ApiKeys.HEARTBEAT, this::heartbeat);
    registry.register(ApiKeys.LEAVE_GROUP, this::leaveGroup);
  }

  private CompletableFuture<AbstractResponse> joinGroup(RequestContext ctx, AbstractRequest r) {
    JoinGroupRequestData req = ((JoinGroupRequest) r).data();
    short version = ctx.apiVersion();
    RequestInfo info = GroupHandlers.info(ctx);
    return coordinator
        .<JoinGroupResponseData>run(req.groupId(), (shard, out) -> shard.joinGroup(info, req, out))
        .exceptionally(
            t ->
                GroupResponses.joinError(
                    req.memberId(), GroupHandlers.error(t, "joining group " + req.groupId())))
        .thenApply(
            d -> {
              if (version < 9) {
                d.setSkipAssignment(false); // absent before v9 (and never true for them)
              }
              return new JoinGroupResponse(d, version);
            });
  }

  private CompletableFuture<AbstractResponse> syncGroup(RequestContext ctx, AbstractRequest r) {
    SyncGroupRequest request = (SyncGroupRequest) r;
    SyncGroupRequestData req = request.data();
    if (!request.areMandatoryProtocolTypeAndNamePresent()) {
      // From v5 the client must echo the protocol type and name it joined with.
      return CompletableFuture.completedFuture(
          new SyncGroupResponse(GroupResponses.syncError(Errors.INCONSISTENT_GROUP_PROTOCOL)));
    }
    return coordinator
        .<SyncGroupResponseData>run(req.groupId(), (shard, out) -> shard.syncGroup(req, out))
        .exceptionally(
            t -> GroupResponses.syncError(GroupHandlers.error(t, "syncing group " + req.groupId())))
        .thenApply(SyncGroupResponse::new);
  }

  private CompletableFuture<AbstractResponse> heartbeat(RequestContext ctx, AbstractRequest r) {
    HeartbeatRequestData req = ((HeartbeatRequest) r).data();
    return coordinator
        .<HeartbeatResponseData>run(req.groupId(), (shard, out) -> shard.heartbeat(req, out))
        .exceptionally(
            t ->
                GroupResponses.heartbeat(
                    GroupHandlers.error(t, "heartbeat of group " + req.groupId())))
        .thenApply(HeartbeatResponse::new);
  }

  private CompletableFuture<AbstractResponse> leaveGroup(RequestContext ctx, AbstractRequest r) {
    LeaveGroupRequest request = (LeaveGroupRequest) r;
    String groupId = request.data().groupId();
    List<MemberIdentity> members = request.members();
    short version = ctx.apiVersion();
    return coordinator
        .<LeaveGroupResponseData>run(
            groupId, (shard, out) -> shard.leaveGroup(groupId, members, out))
        .exceptionally(
            t ->
                new LeaveGroupResponseData()
                    .setErrorCode(GroupHandlers.error(t, "leaving group " + groupId).code()))
        .thenApply(
            d ->
                new LeaveGroupResponse(
                    d.members(), Errors.forCode(d.errorCode()), d.throttleTimeMs(), version));
  }
}
