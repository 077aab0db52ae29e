package io.strata.broker.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;

/**
 * The broker's cluster metadata in ZooKeeper, under a root (default {@code /strata}):
 *
 * <pre>
 * ROOT/cluster-id                 {"version":1,"id":"..."}            created once
 * ROOT/brokers/ids/ID             BrokerRegistration JSON             ephemeral, per live broker
 * ROOT/brokers/seqid              (empty; its version generates ids)  persistent
 * ROOT/topics/NAME                TopicRecord JSON                    persistent, CAS-updated
 * ROOT/deleting-topics/TOPIC_ID   TopicRecord JSON                    until its logs are deleted
 * ROOT/producer-ids               {"version":1,"next":N}              CAS-allocated id blocks
 * ROOT/ownership/LOG              {"version":1,"broker":B,"epoch":E}  owner of a partition log
 * ROOT/logs/...                   partition logs (ledger-storage's layout)
 * </pre>
 *
 * <p>Every update is a versioned compare-and-set; a lost race fails with {@code BadVersion} and the
 * caller re-reads. All methods are non-blocking and thread-safe.
 */
public final class ClusterMetadataStore {

  /** Generated broker ids start above the range operators configure by hand, as in Kafka. */
  public static final int GENERATED_BROKER_ID_BASE = 1000;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ZkAsync zk;
  private final String root;

  public ClusterMetadataStore(ZkAsync zk, String root) {
    this.zk = zk;
    this.root = root;
  }

  public ZkAsync zk() {
    return zk;
  }

  String topicPath(String name) {
    return root + "/topics/" + name;
  }

  String brokerPath(int id) {
    return root + "/brokers/ids/" + id;
  }

  /** Creates the persistent paths this store uses (idempotent). */
  public CompletableFuture<Void> init() {
    return zk.ensure(root)
        .thenCompose(v -> zk.ensure(root + "/brokers"))
        .thenCompose(v -> zk.ensure(root + "/brokers/ids"))
        .thenCompose(v -> zk.ensure(root + "/brokers/seqid"))
        .thenCompose(v -> zk.ensure(root + "/topics"))
        .thenCompose(v -> zk.ensure(root + "/deleting-topics"))
        .thenCompose(v -> zk.ensure(root + "/ownership"));
  }

  /**
   * Who owns a partition log: the broker and the epoch it took it over with (the leader epoch
   * clients see). {@code brokerId} is -1 after a graceful release.
   */
  public record Ownership(int brokerId, int epoch, int version) {}

  private String ownershipPath(String logName) {
    return root + "/ownership/" + logName;
  }

  /** The ownership record of a partition log, if it was ever owned. */
  public CompletableFuture<Optional<Ownership>> ownership(String logName) {
    return zk.get(ownershipPath(logName))
        .thenApply(
            v -> {
              JsonNode n = json(v.data());
              return Optional.of(
                  new Ownership(n.path("broker").asInt(), n.path("epoch").asInt(), v.version()));
            })
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(Optional.empty())
                    : CompletableFuture.failedFuture(t));
  }

  /**
   * Takes a partition log over for {@code brokerId}: a compare-and-set that bumps the epoch, so
   * that of two brokers racing, one wins and the other fails with {@code BadVersion} or {@code
   * NodeExists}.
   *
   * @param expected the record read before deciding to take over, or empty if there was none
   * @return the new ownership
   */
  public CompletableFuture<Ownership> claim(
      String logName, int brokerId, Optional<Ownership> expected) {
    int epoch = expected.map(o -> o.epoch() + 1).orElse(0);
    byte[] data = ownershipJson(brokerId, epoch);
    if (expected.isEmpty()) {
      return zk.create(ownershipPath(logName), data, CreateMode.PERSISTENT)
          .thenApply(p -> new Ownership(brokerId, epoch, 0));
    }
    return zk.set(ownershipPath(logName), data, expected.get().version())
        .thenApply(v -> new Ownership(brokerId, epoch, v));
  }

  /** Marks a partition log unowned after a graceful hand-off; keeps the epoch. */
  public CompletableFuture<Void> release(String logName, Ownership held) {
    return zk.set(ownershipPath(logName), ownershipJson(-1, held.epoch()), held.version())
        .thenApply(v -> (Void) null);
  }

  /** Every ownership record, by log name. */
  public CompletableFuture<java.util.Map<String, Ownership>> allOwnerships() {
    return zk.children(root + "/ownership")
        .thenCompose(
            logs -> allOf(logs, l -> ownership(l).thenApply(o -> java.util.Map.entry(l, o))))
        .thenApply(
            entries -> {
              java.util.Map<String, Ownership> m = new java.util.HashMap<>();
              entries.forEach(e -> e.getValue().ifPresent(o -> m.put(e.getKey(), o)));
              return m;
            });
  }

  /** Forgets the ownership of a deleted partition log. */
  public CompletableFuture<Void> deleteOwnership(String logName) {
    return zk.delete(ownershipPath(logName), -1)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(t));
  }

  private static byte[] ownershipJson(int brokerId, int epoch) {
    return ("{\"version\":1,\"broker\":" + brokerId + ",\"epoch\":" + epoch + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The cluster id, created at the first start of the first broker. */
  public CompletableFuture<String> clusterId() {
    String path = root + "/cluster-id";
    String fresh = Uuid.randomUuid().toString();
    byte[] data = ("{\"version\":1,\"id\":\"" + fresh + "\"}").getBytes(StandardCharsets.UTF_8);
    return zk.create(path, data, CreateMode.PERSISTENT)
        .thenApply(p -> fresh)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NODEEXISTS)
                    ? zk.get(path).thenApply(v -> json(v.data()).path("id").asText())
                    : CompletableFuture.failedFuture(t));
  }

  /** A new broker id, unique in this cluster, from the version counter of {@code seqid}. */
  public CompletableFuture<Integer> generateBrokerId() {
    return zk.set(root + "/brokers/seqid", new byte[0], -1)
        .thenApply(version -> GENERATED_BROKER_ID_BASE + version);
  }

  /** Registers a live broker (ephemeral: it disappears with the broker's session). */
  public CompletableFuture<Void> registerBroker(BrokerRegistration b) {
    return zk.create(brokerPath(b.id()), b.toJson(), CreateMode.EPHEMERAL).thenApply(p -> null);
  }

  /** Removes this broker's registration (controlled shutdown). */
  public CompletableFuture<Void> unregisterBroker(int id) {
    return zk.delete(brokerPath(id), -1)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(t));
  }

  /** The brokers registered now, by id. */
  public CompletableFuture<List<BrokerRegistration>> liveBrokers() {
    return zk.children(root + "/brokers/ids")
        .thenCompose(
            ids ->
                allOf(
                    ids,
                    id ->
                        zk.get(brokerPath(Integer.parseInt(id)))
                            .thenApply(
                                v ->
                                    Optional.of(
                                        BrokerRegistration.fromJson(
                                            Integer.parseInt(id), v.data())))
                            .exceptionally(t -> Optional.empty())))
        .thenApply(
            list -> {
              List<BrokerRegistration> out = new ArrayList<>();
              list.forEach(o -> o.ifPresent(out::add));
              out.sort((a, b) -> Integer.compare(a.id(), b.id()));
              return out;
            });
  }

  /** A topic with the version a later update must name, or empty if absent. */
  public record VersionedTopic(TopicRecord topic, int version) {}

  /** Reads one topic. */
  public CompletableFuture<Optional<VersionedTopic>> topic(String name) {
    return zk.get(topicPath(name))
        .thenApply(
            v -> Optional.of(new VersionedTopic(TopicRecord.fromJson(name, v.data()), v.version())))
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(Optional.empty())
                    : CompletableFuture.failedFuture(t));
  }

  /** Every topic. */
  public CompletableFuture<List<VersionedTopic>> topics() {
    return zk.children(root + "/topics")
        .thenCompose(names -> allOf(names, this::topic))
        .thenApply(
            list -> {
              List<VersionedTopic> out = new ArrayList<>();
              list.forEach(o -> o.ifPresent(out::add));
              return out;
            });
  }

  /** Creates a topic; fails with {@link TopicExistsException} if the name is taken. */
  public CompletableFuture<VersionedTopic> createTopic(TopicRecord t) {
    return zk.create(topicPath(t.name()), t.toJson(), CreateMode.PERSISTENT)
        .thenApply(p -> new VersionedTopic(t, 0))
        .exceptionallyCompose(
            e ->
                ZkAsync.is(e, Code.NODEEXISTS)
                    ? CompletableFuture.failedFuture(
                        new TopicExistsException("Topic '" + t.name() + "' already exists."))
                    : CompletableFuture.failedFuture(e));
  }

  /**
   * Compare-and-set of a topic; fails with {@code BadVersion} if it changed since {@code version},
   * or {@link UnknownTopicOrPartitionException} if it was deleted.
   */
  public CompletableFuture<VersionedTopic> updateTopic(TopicRecord t, int version) {
    return zk.set(topicPath(t.name()), t.toJson(), version)
        .thenApply(v -> new VersionedTopic(t, v))
        .exceptionallyCompose(
            e ->
                ZkAsync.is(e, Code.NONODE)
                    ? CompletableFuture.failedFuture(unknownTopic(t.name()))
                    : CompletableFuture.failedFuture(e));
  }

  /**
   * Deletes a topic's record and, in the same transaction, leaves a marker so that its logs are
   * deleted even if this broker dies half way ({@link #pendingDeletions}).
   */
  public CompletableFuture<Void> deleteTopic(VersionedTopic vt) {
    TopicRecord t = vt.topic();
    return zk.multi(
            List.of(
                Op.delete(topicPath(t.name()), vt.version()),
                Op.create(
                    root + "/deleting-topics/" + t.id(),
                    t.toJson(),
                    org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT)))
        .thenApply(r -> (Void) null)
        .exceptionallyCompose(
            e ->
                ZkAsync.is(e, Code.NONODE)
                    ? CompletableFuture.failedFuture(unknownTopic(t.name()))
                    : CompletableFuture.failedFuture(e));
  }

  /** Topics deleted whose logs may still exist. */
  public CompletableFuture<List<TopicRecord>> pendingDeletions() {
    String dir = root + "/deleting-topics";
    return zk.children(dir)
        .thenCompose(
            ids ->
                allOf(
                    ids,
                    id ->
                        zk.get(dir + "/" + id)
                            .thenApply(
                                v -> {
                                  JsonNode n = json(v.data());
                                  return TopicRecord.fromJson(
                                      n.path("name").asText("(deleted)"), v.data());
                                })));
  }

  /** Forgets a deleted topic once all its logs are gone. */
  public CompletableFuture<Void> completeDeletion(Uuid topicId) {
    return zk.delete(root + "/deleting-topics/" + topicId, -1)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(t));
  }

  /**
   * Reserves {@code size} producer ids for this broker: a compare-and-set on the counter, retried
   * when another broker won the race.
   *
   * @return the first id of the block
   */
  public CompletableFuture<Long> allocateProducerIds(int size) {
    String path = root + "/producer-ids";
    return zk.get(path)
        .thenCompose(
            v -> {
              long next = json(v.data()).path("next").asLong();
              return zk.set(path, counter(next + size), v.version()).thenApply(x -> next);
            })
        .exceptionallyCompose(
            t -> {
              if (ZkAsync.is(t, Code.NONODE)) {
                return zk.create(path, counter(size), CreateMode.PERSISTENT)
                    .thenApply(p -> 0L)
                    .exceptionallyCompose(
                        t2 ->
                            ZkAsync.is(t2, Code.NODEEXISTS)
                                ? allocateProducerIds(size)
                                : CompletableFuture.failedFuture(t2));
              }
              if (ZkAsync.is(t, Code.BADVERSION)) {
                return allocateProducerIds(size);
              }
              return CompletableFuture.failedFuture(t);
            });
  }

  /** The first producer id not yet handed out by any broker. */
  public CompletableFuture<Long> producerIdHighWatermark() {
    return zk.get(root + "/producer-ids")
        .thenApply(v -> json(v.data()).path("next").asLong())
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? CompletableFuture.completedFuture(0L)
                    : CompletableFuture.failedFuture(t));
  }

  private static byte[] counter(long next) {
    return ("{\"version\":1,\"next\":" + next + "}").getBytes(StandardCharsets.UTF_8);
  }

  private static UnknownTopicOrPartitionException unknownTopic(String name) {
    return new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
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
