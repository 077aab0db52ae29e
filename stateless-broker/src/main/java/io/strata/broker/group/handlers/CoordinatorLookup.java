package io.strata.broker.group.handlers;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.metadata.BrokerRegistration;
import io.strata.broker.metadata.MetadataCache;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;

/**
 * FindCoordinator: the owner of the {@code __consumer_offsets} partition a group hashes to. The
 * first lookup creates the topic. Batched keys from v4. Strata has no transaction or share-group
 * coordinator: those key types answer COORDINATOR_NOT_AVAILABLE with a message saying so.
 */
final class CoordinatorLookup {
  static final byte GROUP = 0;
  static final byte TRANSACTION = 1;
  static final byte SHARE = 2;

  private final GroupCoordinator coordinator;
  private final MetadataCache cache;

  CoordinatorLookup(GroupCoordinator coordinator, MetadataCache cache) {
    this.coordinator = coordinator;
    this.cache = cache;
  }

  void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.FIND_COORDINATOR, this::findCoordinator);
  }

  private CompletableFuture<AbstractResponse> findCoordinator(
      RequestContext ctx, AbstractRequest r) {
    FindCoordinatorRequestData data = ((FindCoordinatorRequest) r).data();
    short version = ctx.apiVersion();
    byte keyType = version >= 1 ? data.keyType() : GROUP;
    List<String> keys =
        version >= FindCoordinatorRequest.MIN_BATCHED_VERSION
            ? data.coordinatorKeys()
            : List.of(data.key());
    List<CompletableFuture<Coordinator>> found = new ArrayList<>();
    for (String key : keys) {
      found.add(find(ctx, keyType, key));
    }
    return CompletableFuture.allOf(found.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<Coordinator> cs = found.stream().map(CompletableFuture::join).toList();
              if (version >= FindCoordinatorRequest.MIN_BATCHED_VERSION) {
                return new FindCoordinatorResponse(
                    new FindCoordinatorResponseData().setCoordinators(new ArrayList<>(cs)));
              }
              Coordinator c = cs.get(0);
              FindCoordinatorResponseData d =
                  new FindCoordinatorResponseData()
                      .setErrorCode(c.errorCode())
                      .setNodeId(c.nodeId())
                      .setHost(c.host())
                      .setPort(c.port());
              if (version >= 1) {
                d.setErrorMessage(c.errorMessage());
              }
              return new FindCoordinatorResponse(d);
            });
  }

  private CompletableFuture<Coordinator> find(RequestContext ctx, byte keyType, String key) {
    if (keyType == TRANSACTION || keyType == SHARE) {
      return CompletableFuture.completedFuture(
          error(
              key,
              Errors.COORDINATOR_NOT_AVAILABLE,
              keyType == TRANSACTION
                  ? "Strata has no transaction coordinator: transactions are not supported yet."
                  : "Strata has no share-group coordinator: share groups are not supported."));
    }
    if (keyType != GROUP) {
      return CompletableFuture.completedFuture(
          error(key, Errors.INVALID_REQUEST, "Unknown coordinator key type " + keyType));
    }
    return coordinator
        .coordinatorFor(key)
        .thenApply(
            owner -> {
              Optional<BrokerRegistration> broker =
                  owner.flatMap(id -> cache.snapshot().broker(id));
              String listener = ctx.listener().value();
              if (broker.isEmpty() || broker.get().host(listener).isEmpty()) {
                return error(
                    key,
                    Errors.COORDINATOR_NOT_AVAILABLE,
                    "The coordinator of group " + key + " is not available yet.");
              }
              BrokerRegistration b = broker.get();
              return new Coordinator()
                  .setKey(key)
                  .setErrorCode(Errors.NONE.code())
                  .setNodeId(b.id())
                  .setHost(b.host(listener).get())
                  .setPort(b.port(listener));
            })
        .exceptionally(
            t -> {
              Errors e = GroupHandlers.error(t, "finding the coordinator of " + key);
              return error(key, e, null);
            });
  }

  private static Coordinator error(String key, Errors e, String message) {
    return new Coordinator()
        .setKey(key)
        .setErrorCode(e.code())
        .setErrorMessage(message != null ? message : e.message())
        .setNodeId(-1)
        .setHost("")
        .setPort(-1);
  }
}
