package io.strata.broker.group.handlers;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.RequestInfo;
import io.strata.broker.handlers.BrokerErrors;
import io.strata.broker.metadata.MetadataCache;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import org.apache.kafka.common.protocol.Errors;

/**
 * The consumer-group APIs, registered in one place: FindCoordinator, the membership APIs
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), the offset APIs (OffsetCommit, OffsetFetch,
 * OffsetDelete) and the administrative ones (ListGroups, DescribeGroups, DeleteGroups), over every
 * version kafka-clients knows.
 *
 * <p>Handlers translate between wire versions and the coordinator's version-free calls, and only
 * set response fields the request's version has (a non-default value in a missing field would fail
 * serialization). They never block: each returns the coordinator's future.
 */
public final class GroupHandlers {
  private final CoordinatorLookup lookup;
  private final MembershipApis membership;
  private final OffsetApis offsets;
  private final GroupAdminApis admin;

  public GroupHandlers(GroupCoordinator coordinator, MetadataCache cache) {
    this.lookup = new CoordinatorLookup(coordinator, cache);
    this.membership = new MembershipApis(coordinator);
    this.offsets = new OffsetApis(coordinator, cache);
    this.admin = new GroupAdminApis(coordinator);
  }

  public void register(ApiRegistry.Builder registry) {
    lookup.register(registry);
    membership.register(registry);
    offsets.register(registry);
    admin.register(registry);
  }

  static RequestInfo info(RequestContext ctx) {
    return new RequestInfo(
        ctx.clientId() == null ? "" : ctx.clientId(),
        ctx.clientAddress().toString(),
        ctx.apiVersion());
  }

  /** The Kafka error for a failed coordinator call (through the broker's one choke point). */
  static Errors error(Throwable t, String what) {
    return BrokerErrors.toApiError(t, what).error();
  }
}
