package io.strata.broker.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;

/**
 * Where partitions should live, who decides, and what load each broker reports:
 *
 * <pre>
 * ROOT/assignment/LOG     {"version":1,"broker":B,"pinned":false}   the controller's target owner
 * ROOT/controller         {"version":1,"broker":B}                  ephemeral, the elected controller
 * ROOT/load/ID            {"version":1,"bytesIn":{LOG:rate},"bytesOut":{LOG:rate}}  ephemeral
 * </pre>
 *
 * <p>An assignment is a target: the broker it names takes the partition over (bumping the epoch in
 * the ownership record) once the previous owner released it or died. {@code pinned} assignments
 * come from an operator's move and are left alone by the balancer while their broker lives.
 * Non-blocking and thread-safe.
 */
public final class AssignmentStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A partition log's target owner. */
  public record Assignment(int brokerId, boolean pinned) {}

  /** A broker's measured traffic per partition log, in bytes per second. */
  public record LoadReport(Map<String, Double> bytesIn, Map<String, Double> bytesOut) {
    public LoadReport {
      bytesIn = Map.copyOf(bytesIn);
      bytesOut = Map.copyOf(bytesOut);
    }

    public double total(String log) {
      return bytesIn.getOrDefault(log, 0.0) + bytesOut.getOrDefault(log, 0.0);
    }
  }

  private final ZkAsync zk;
  private final String root;

  public AssignmentStore(ZkAsync zk, String root) {
    this.zk = zk;
    this.root = root;
  }

  /** Creates the persistent paths (idempotent). */
  public CompletableFuture<Void> init() {
    return zk.ensure(root + "/assignment").thenCompose(v -> zk.ensure(root + "/load"));
  }

  String assignmentPath(String log) {
    return root + "/assignment/" + log;
  }

  /** The target owner of a partition log, if one was assigned. */
  public CompletableFuture<Optional<Assignment>> assignment(String log) {
    return zk.get(assignmentPath(log))
        .thenApply(v -> Optional.of(parseAssignment(v.data())))
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(Optional.empty())
                    : CompletableFuture.failedFuture(t));
  }

  /** Every assignment, by log name. */
  public CompletableFuture<Map<String, Assignment>> all() {
    return zk.children(root + "/assignment")
        .thenCompose(logs -> allOf(logs, l -> assignment(l).thenApply(a -> Map.entry(l, a))))
        .thenApply(
            entries -> {
              Map<String, Assignment> m = new HashMap<>();
              entries.forEach(e -> e.getValue().ifPresent(a -> m.put(e.getKey(), a)));
              return m;
            });
  }

  /** Sets a partition log's target owner (last writer wins; only the controller writes). */
  public CompletableFuture<Void> assign(String log, Assignment a) {
    byte[] data = toJson(a);
    return zk.set(assignmentPath(log), data, -1)
        .thenApply(v -> (Void) null)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? zk.create(assignmentPath(log), data, CreateMode.PERSISTENT)
                        .thenApply(p -> (Void) null)
                        .exceptionallyCompose(
                            t2 ->
                                ZkAsync.is(t2, Code.NODEEXISTS)
                                    ? assign(log, a)
                                    : CompletableFuture.failedFuture(t2))
                    : CompletableFuture.failedFuture(t));
  }

  /** Forgets the assignment of a deleted partition log. */
  public CompletableFuture<Void> unassign(String log) {
    return zk.delete(assignmentPath(log), -1)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(t));
  }

  /**
   * Tries to become the controller: creates the ephemeral controller znode.
   *
   * @return true if this broker is now the controller, false if another one is
   */
  public CompletableFuture<Boolean> tryBecomeController(int brokerId) {
    byte[] data = ("{\"version\":1,\"broker\":" + brokerId + "}").getBytes();
    return zk.create(root + "/controller", data, CreateMode.EPHEMERAL)
        .thenApply(p -> true)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NODEEXISTS)
                    ? CompletableFuture.completedFuture(false)
                    : CompletableFuture.failedFuture(t));
  }

  /** The current controller, if any. */
  public CompletableFuture<Optional<Integer>> controller() {
    return zk.get(root + "/controller")
        .thenApply(v -> Optional.of(json(v.data()).path("broker").asInt()))
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(Optional.<Integer>empty())
                    : CompletableFuture.failedFuture(t));
  }

  /** Steps down as controller (controlled shutdown), if this broker holds the role. */
  public CompletableFuture<Void> resignController(int brokerId) {
    return controller()
        .thenCompose(
            c ->
                c.isPresent() && c.get() == brokerId
                    ? zk.delete(root + "/controller", -1)
                    : CompletableFuture.<Void>completedFuture(null))
        .exceptionally(t -> null);
  }

  /** Publishes this broker's load (ephemeral: gone with the broker). */
  public CompletableFuture<Void> reportLoad(int brokerId, LoadReport load) {
    String path = root + "/load/" + brokerId;
    byte[] data = toJson(load);
    return zk.set(path, data, -1)
        .thenApply(v -> (Void) null)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? zk.create(path, data, CreateMode.EPHEMERAL)
                        .thenApply(p -> (Void) null)
                        .exceptionally(t2 -> null)
                    : CompletableFuture.failedFuture(t));
  }

  /** The load every live broker reported, by broker id. */
  public CompletableFuture<Map<Integer, LoadReport>> loads() {
    return zk.children(root + "/load")
        .thenCompose(
            ids ->
                allOf(
                    ids,
                    id ->
                        zk.get(root + "/load/" + id)
                            .thenApply(
                                v ->
                                    Optional.of(
                                        Map.entry(Integer.parseInt(id), parseLoad(v.data()))))
                            .exceptionally(t -> Optional.empty())))
        .thenApply(
            list -> {
              Map<Integer, LoadReport> m = new HashMap<>();
              list.forEach(o -> o.ifPresent(e -> m.put(e.getKey(), e.getValue())));
              return m;
            });
  }

  static Assignment parseAssignment(byte[] data) {
    JsonNode n = json(data);
    return new Assignment(n.path("broker").asInt(-1), n.path("pinned").asBoolean(false));
  }

  private static byte[] toJson(Assignment a) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", 1);
    n.put("broker", a.brokerId());
    n.put("pinned", a.pinned());
    return write(n);
  }

  private static byte[] toJson(LoadReport load) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", 1);
    ObjectNode in = n.putObject("bytesIn");
    load.bytesIn().forEach(in::put);
    ObjectNode out = n.putObject("bytesOut");
    load.bytesOut().forEach(out::put);
    return write(n);
  }

  private static LoadReport parseLoad(byte[] data) {
    JsonNode n = json(data);
    Map<String, Double> in = new HashMap<>();
    n.path("bytesIn").properties().forEach(e -> in.put(e.getKey(), e.getValue().asDouble()));
    Map<String, Double> out = new HashMap<>();
    n.path("bytesOut").properties().forEach(e -> out.put(e.getKey(), e.getValue().asDouble()));
    return new LoadReport(in, out);
  }

  private static byte[] write(ObjectNode n) {
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode json(byte[] data) {
    try {
      return JSON.readTree(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <A, B> CompletableFuture<List<B>> allOf(
      List<A> items, Function<A, CompletableFuture<B>> fn) {
    List<CompletableFuture<B>> futures = items.stream().map(fn).toList();
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
  }
}
