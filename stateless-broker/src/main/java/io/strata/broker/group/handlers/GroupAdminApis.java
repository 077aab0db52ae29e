package io.strata.broker.group.handlers;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.runtime.ShardRuntime;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.CoordinatorLoadInProgressException;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResultCollection;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;

/**
 * ListGroups (every group this broker coordinates; Admin asks every broker), DescribeGroups and
 * DeleteGroups (each group at its coordinator).
 */
final class GroupAdminApis {
  private final GroupCoordinator coordinator;

  GroupAdminApis(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.LIST_GROUPS, this::listGroups);
    registry.register(ApiKeys.DESCRIBE_GROUPS, this::describeGroups);
    registry.register(ApiKeys.DELETE_GROUPS, this::deleteGroups);
  }

  private CompletableFuture<AbstractResponse> listGroups(RequestContext ctx, AbstractRequest r) {
    ListGroupsRequestData req = ((ListGroupsRequest) r).data();
    short version = ctx.apiVersion();
    Set<String> states = lower(version >= 4 ? req.statesFilter() : List.of());
    Set<String> types = lower(version >= 5 ? req.typesFilter() : List.of());
    List<CompletableFuture<List<ListedGroup>>> perShard = new ArrayList<>();
    List<Errors> errors = new ArrayList<>();
    for (ShardRuntime shard : coordinator.shards()) {
      perShard.add(
          shard
              .<List<ListedGroup>>submit((s, out) -> s.listGroups(states, types, out))
              .exceptionally(
                  t -> {
                    // A loading shard's groups are missing: say so, as Kafka does.
                    if (Errors.maybeUnwrapException(t)
                        instanceof CoordinatorLoadInProgressException) {
                      synchronized (errors) {
                        errors.add(Errors.COORDINATOR_LOAD_IN_PROGRESS);
                      }
                    }
                    return List.of();
                  }));
    }
    return CompletableFuture.allOf(perShard.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<ListedGroup> all = new ArrayList<>();
              perShard.forEach(f -> all.addAll(f.join()));
              Errors e;
              synchronized (errors) {
                e = errors.isEmpty() ? Errors.NONE : errors.get(0);
              }
              return new ListGroupsResponse(
                  new ListGroupsResponseData().setErrorCode(e.code()).setGroups(all));
            });
  }

  private static Set<String> lower(List<String> in) {
    Set<String> out = new HashSet<>();
    in.forEach(s -> out.add(s.toLowerCase(Locale.ROOT)));
    return out;
  }

  private CompletableFuture<AbstractResponse> describeGroups(
      RequestContext ctx, AbstractRequest r) {
    DescribeGroupsRequestData req = ((DescribeGroupsRequest) r).data();
    short version = ctx.apiVersion();
    List<CompletableFuture<DescribedGroup>> groups = new ArrayList<>();
    for (String id : req.groups()) {
      groups.add(
          coordinator
              .<List<DescribedGroup>>run(id, (shard, out) -> shard.describeGroups(List.of(id), out))
              .thenApply(list -> list.get(0))
              .exceptionally(
                  t ->
                      DescribeGroupsResponse.groupError(
                          id, GroupHandlers.error(t, "describing group " + id)))
              .thenApply(g -> forVersion(g, version)));
    }
    return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
        .thenApply(
            v ->
                new DescribeGroupsResponse(
                    new DescribeGroupsResponseData()
                        .setGroups(
                            new ArrayList<>(
                                groups.stream().map(CompletableFuture::join).toList()))));
  }

  private static DescribedGroup forVersion(DescribedGroup g, short version) {
    if (version < 6) {
      // Before v6 an unknown group is described as Dead without an error, and there is no
      // error message field.
      if (g.errorCode() == Errors.GROUP_ID_NOT_FOUND.code()) {
        g.setErrorCode(Errors.NONE.code());
      }
      g.setErrorMessage(null);
    }
    if (g.groupState() == null) {
      g.setGroupState("");
    }
    if (g.protocolType() == null) {
      g.setProtocolType("");
    }
    if (g.protocolData() == null) {
      g.setProtocolData("");
    }
    return g;
  }

  private CompletableFuture<AbstractResponse> deleteGroups(RequestContext ctx, AbstractRequest r) {
    DeleteGroupsRequestData req = ((DeleteGroupsRequest) r).data();
    short version = ctx.apiVersion();
    List<CompletableFuture<DeletableGroupResult>> results = new ArrayList<>();
    for (String id : req.groupsNames()) {
      results.add(
          coordinator
              .<List<DeletableGroupResult>>run(
                  id, (shard, out) -> shard.deleteGroups(List.of(id), out))
              .thenApply(list -> list.get(0))
              .exceptionally(
                  t ->
                      new DeletableGroupResult()
                          .setGroupId(id)
                          .setErrorCode(GroupHandlers.error(t, "deleting group " + id).code()))
              .thenApply(
                  res -> {
                    if (version >= 3 && res.errorCode() != Errors.NONE.code()) {
                      res.setErrorMessage(Errors.forCode(res.errorCode()).message());
                    }
                    return res;
                  }));
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              DeletableGroupResultCollection out = new DeletableGroupResultCollection();
              results.forEach(f -> out.add(f.join()));
              return new DeleteGroupsResponse(new DeleteGroupsResponseData().setResults(out));
            });
  }
}
