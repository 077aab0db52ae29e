package io.strata.broker.metadata;

import io.strata.broker.metadata.AssignmentStore.Assignment;
import io.strata.broker.metadata.ClusterMetadataStore.Ownership;
import io.strata.broker.metadata.ClusterMetadataStore.VersionedTopic;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.Uuid;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's in-memory view of topics, live brokers and partition owners, kept up to date from
 * ZooKeeper by one persistent recursive watch: each change re-reads only the znode that changed.
 * Readers see an immutable {@link Snapshot}; nothing here blocks a caller.
 *
 * <p>Thread-safe: updates are serialised by a lock around the snapshot swap; listeners run on the
 * thread that completed the update, after each change. The store's {@link ZkAsync} must complete on
 * a single thread: ZooKeeper answers one session's requests in order, so reads of the same znode
 * are then applied in the order they were issued and an older read never wins.
 */
public final class MetadataCache {
  private static final Logger log = LoggerFactory.getLogger(MetadataCache.class);

  /** An immutable view of the cluster. */
  public record Snapshot(
      Map<String, VersionedTopic> topicsByName,
      Map<Uuid, VersionedTopic> topicsById,
      List<BrokerRegistration> brokers,
      Map<String, Ownership> owners,
      Map<String, Assignment> assignments,
      Optional<Integer> controller) {

    static final Snapshot EMPTY =
        new Snapshot(Map.of(), Map.of(), List.of(), Map.of(), Map.of(), Optional.empty());

    public Optional<TopicRecord> topic(String name) {
      VersionedTopic vt = topicsByName.get(name);
      return vt == null ? Optional.empty() : Optional.of(vt.topic());
    }

    public Optional<TopicRecord> topic(Uuid id) {
      VersionedTopic vt = topicsById.get(id);
      return vt == null ? Optional.empty() : Optional.of(vt.topic());
    }

    public Optional<BrokerRegistration> broker(int id) {
      return brokers.stream().filter(b -> b.id() == id).findFirst();
    }

    /** True if broker {@code id} is registered now. */
    public boolean isLive(int id) {
      return broker(id).isPresent();
    }

    /** The controller's target owner of a partition log, if assigned. */
    public Optional<Assignment> assignment(String logName) {
      return Optional.ofNullable(assignments.get(logName));
    }

    /** The owner of a partition log, if it has a live one. */
    public Optional<Ownership> liveOwner(String logName) {
      Ownership o = owners.get(logName);
      return o != null && o.brokerId() >= 0 && broker(o.brokerId()).isPresent()
          ? Optional.of(o)
          : Optional.empty();
    }

    Snapshot withTopic(String name, Optional<VersionedTopic> vt) {
      Map<String, VersionedTopic> byName = new HashMap<>(topicsByName);
      Map<Uuid, VersionedTopic> byId = new HashMap<>(topicsById);
      VersionedTopic old = byName.remove(name);
      if (old != null) {
        byId.remove(old.topic().id());
      }
      vt.ifPresent(
          t -> {
            byName.put(name, t);
            byId.put(t.topic().id(), t);
          });
      return new Snapshot(
          Map.copyOf(byName), Map.copyOf(byId), brokers, owners, assignments, controller);
    }

    Snapshot withOwner(String logName, Optional<Ownership> o) {
      Map<String, Ownership> m = new HashMap<>(owners);
      if (o.isPresent()) {
        m.put(logName, o.get());
      } else {
        m.remove(logName);
      }
      return new Snapshot(
          topicsByName, topicsById, brokers, Map.copyOf(m), assignments, controller);
    }

    Snapshot withAssignment(String logName, Optional<Assignment> a) {
      Map<String, Assignment> m = new HashMap<>(assignments);
      if (a.isPresent()) {
        m.put(logName, a.get());
      } else {
        m.remove(logName);
      }
      return new Snapshot(topicsByName, topicsById, brokers, owners, Map.copyOf(m), controller);
    }

    Snapshot withController(Optional<Integer> c) {
      return new Snapshot(topicsByName, topicsById, brokers, owners, assignments, c);
    }
  }

  private final ClusterMetadataStore store;
  private final AssignmentStore assignments;
  private final String root;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  public MetadataCache(ClusterMetadataStore store, AssignmentStore assignments, String root) {
    this.store = store;
    this.assignments = assignments;
    this.root = root;
  }

  /** Watches for changes, then loads the whole view once. */
  public CompletableFuture<Void> start() {
    CompletableFuture<Void> watching = new CompletableFuture<>();
    store
        .zk()
        .zooKeeper()
        .addWatch(
            root,
            event -> {
              if (event.getType() != EventType.None && event.getPath() != null) {
                onChange(event.getPath());
              }
            },
            AddWatchMode.PERSISTENT_RECURSIVE,
            (rc, path, ctx) -> {
              if (rc == 0) {
                watching.complete(null);
              } else {
                watching.completeExceptionally(
                    KeeperException.create(KeeperException.Code.get(rc), path));
              }
            },
            null);
    return watching.thenCompose(v -> reloadAll());
  }

  private void onChange(String path) {
    String topics = root + "/topics/";
    String owners = root + "/ownership/";
    String assigned = root + "/assignment/";
    if (path.startsWith(topics)) {
      refreshTopic(path.substring(topics.length()));
    } else if (path.startsWith(owners)) {
      refreshOwner(path.substring(owners.length()));
    } else if (path.startsWith(assigned)) {
      refreshAssignment(path.substring(assigned.length()));
    } else if (path.equals(root + "/controller")) {
      refreshController();
    } else if (path.startsWith(root + "/brokers/ids")) {
      refreshBrokers();
    }
  }

  /** Re-reads everything (start-up, or after a ZooKeeper session was re-established). */
  public CompletableFuture<Void> reloadAll() {
    CompletableFuture<List<VersionedTopic>> topics = store.topics();
    CompletableFuture<List<BrokerRegistration>> brokers = store.liveBrokers();
    CompletableFuture<Map<String, Ownership>> owners = store.allOwnerships();
    CompletableFuture<Map<String, Assignment>> targets = assignments.all();
    CompletableFuture<Optional<Integer>> controller = assignments.controller();
    return CompletableFuture.allOf(topics, brokers, owners, targets, controller)
        .thenRun(
            () -> {
              Map<String, VersionedTopic> byName = new HashMap<>();
              Map<Uuid, VersionedTopic> byId = new HashMap<>();
              for (VersionedTopic vt : topics.join()) {
                byName.put(vt.topic().name(), vt);
                byId.put(vt.topic().id(), vt);
              }
              update(
                  s ->
                      new Snapshot(
                          Map.copyOf(byName),
                          Map.copyOf(byId),
                          List.copyOf(brokers.join()),
                          Map.copyOf(owners.join()),
                          Map.copyOf(targets.join()),
                          controller.join()));
            });
  }

  /** Re-reads one topic; the future completes once the view shows what ZooKeeper holds. */
  public CompletableFuture<Void> refreshTopic(String name) {
    return store
        .topic(name)
        .thenAccept(vt -> update(s -> s.withTopic(name, vt)))
        .exceptionally(t -> warn("topic " + name, t));
  }

  /** Re-reads the owner of one partition log. */
  public CompletableFuture<Void> refreshOwner(String logName) {
    return store
        .ownership(logName)
        .thenAccept(o -> update(s -> s.withOwner(logName, o)))
        .exceptionally(t -> warn("owner of " + logName, t));
  }

  /** Re-reads the assignment of one partition log. */
  public CompletableFuture<Void> refreshAssignment(String logName) {
    return assignments
        .assignment(logName)
        .thenAccept(a -> update(s -> s.withAssignment(logName, a)))
        .exceptionally(t -> warn("assignment of " + logName, t));
  }

  /** Re-reads who the controller is. */
  public CompletableFuture<Void> refreshController() {
    return assignments
        .controller()
        .thenAccept(c -> update(s -> s.withController(c)))
        .exceptionally(t -> warn("the controller", t));
  }

  /** Re-reads the live brokers. */
  public CompletableFuture<Void> refreshBrokers() {
    return store
        .liveBrokers()
        .thenAccept(
            b ->
                update(
                    s ->
                        new Snapshot(
                            s.topicsByName(),
                            s.topicsById(),
                            List.copyOf(b),
                            s.owners(),
                            s.assignments(),
                            s.controller())))
        .exceptionally(t -> warn("live brokers", t));
  }

  private Void warn(String what, Throwable t) {
    log.warn("Could not read {} from ZooKeeper: {}", what, t.toString());
    return null;
  }

  private void update(UnaryOperator<Snapshot> change) {
    boolean changed;
    synchronized (this) {
      Snapshot prev = snapshot;
      Snapshot next = change.apply(prev);
      snapshot = next;
      changed = !next.equals(prev);
    }
    if (changed) {
      for (Runnable l : listeners) {
        try {
          l.run();
        } catch (RuntimeException e) {
          log.error("Metadata listener failed", e);
        }
      }
    }
  }

  /** The current view. */
  public Snapshot snapshot() {
    return snapshot;
  }

  /** Runs {@code listener} after every change of the view. */
  public void addListener(Runnable listener) {
    listeners.add(listener);
  }
}
