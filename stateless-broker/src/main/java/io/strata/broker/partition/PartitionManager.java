package io.strata.broker.partition;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.TopicSettings;
import io.strata.broker.fetch.BatchCache;
import io.strata.broker.fetch.DelayedFetchQueue;
import io.strata.broker.metadata.AssignmentStore.Assignment;
import io.strata.broker.metadata.ClusterMetadataStore;
import io.strata.broker.metadata.ClusterMetadataStore.Ownership;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.MetadataCache.Snapshot;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.producer.ProducerSnapshot;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.broker.topic.PartitionDirectory;
import io.strata.broker.util.SerialExecutor;
import io.strata.storage.api.LogNotFoundException;
import io.strata.storage.api.LogStore;
import io.strata.storage.api.PartitionLog;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions this broker serves. It reconciles what it should own (its {@link
 * AssignmentPolicy}) with what it has loaded after every metadata change: loading a partition
 * claims its ownership record with a new epoch, opens its log with recovery (fencing any previous
 * writer), rebuilds producer state from the last snapshot plus a bounded replay, and only then
 * serves it.
 *
 * <p>Thread-safe. Loading and closing run asynchronously; a partition is visible to requests only
 * once fully loaded.
 */
public final class PartitionManager implements PartitionDirectory, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PartitionManager.class);

  /**
   * Told when this broker starts and stops serving a partition (the group coordinator loads and
   * unloads its {@code __consumer_offsets} shards here). Called on the thread that finished the
   * load or began the close; implementations must not block.
   */
  public interface PartitionListener {
    /** {@code partition} is loaded and serving. */
    void onServing(Partition partition);

    /** {@code partition} is about to stop serving (it still accepts the appends in flight). */
    void onStopping(Partition partition);
  }

  private final int brokerId;
  private final BrokerConfig config;
  private final ClusterMetadataStore store;
  private final MetadataCache cache;
  private final LogStore logs;
  private final ProducerIdManager producerIds;
  private final Time time;
  private final Executor pool;
  private final ScheduledExecutorService scheduler;
  private final long handoffTimeoutMs;
  private final ProducerStateStore producerStates;
  private final BatchCache<TopicIdPartition> tailCache;
  private final BatchCache<TopicIdPartition> catchupCache;
  private final DelayedFetchQueue<TopicIdPartition> delayedFetches;

  private final Map<String, Partition> online = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Partition>> loading = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Void>> unloading = new ConcurrentHashMap<>();
  // Checks of CreateTopics/CreatePartitions waiting for partitions to be served.
  private final List<Runnable> servedWaiters = new CopyOnWriteArrayList<>();
  // When this broker first saw a partition targeted at it while another live broker owned it.
  private final Map<String, Long> assignedSince = new ConcurrentHashMap<>();
  // True while the ZooKeeper session is disconnected: no loads, appends refused.
  private volatile boolean suspended;
  // Consecutive failed loads per log, for the retry backoff.
  private final Map<String, Integer> loadFailures = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Partition> byTopicPartition = new ConcurrentHashMap<>();
  private final List<PartitionListener> listeners = new CopyOnWriteArrayList<>();
  // Set once by close(); read by reconcile to stop loading.
  private volatile boolean closing;

  public PartitionManager(
      int brokerId,
      BrokerConfig config,
      ClusterMetadataStore store,
      MetadataCache cache,
      LogStore logs,
      ProducerIdManager producerIds,
      Time time,
      Executor pool,
      ScheduledExecutorService scheduler,
      long handoffTimeoutMs,
      String metadataRoot,
      DelayedFetchQueue<TopicIdPartition> delayedFetches) {
    this.brokerId = brokerId;
    this.config = config;
    this.store = store;
    this.cache = cache;
    this.logs = logs;
    this.producerIds = producerIds;
    this.time = time;
    this.pool = pool;
    this.scheduler = scheduler;
    this.handoffTimeoutMs = handoffTimeoutMs;
    this.producerStates =
        new ProducerStateStore(store.zk(), metadataRoot, time, config.producerIdExpirationMs());
    this.tailCache = new BatchCache<>(config.tailCacheBytes());
    this.catchupCache = new BatchCache<>(Math.max(16L << 20, config.tailCacheBytes() / 4));
    this.delayedFetches = delayedFetches;
  }

  /** Starts reconciling on metadata changes and applying retention. */
  public CompletableFuture<Void> start() {
    cache.addListener(
        () -> {
          reconcile();
          notifyServedWaiters();
        });
    long interval = config.retentionCheckIntervalMs();
    scheduler.scheduleWithFixedDelay(
        this::applyRetention, interval, interval, TimeUnit.MILLISECONDS);
    // Ready means serving: wait for the partitions this broker owns to load (a failed load is
    // logged and retried by the next reconcile; it does not stop the broker).
    return producerStates.init().thenCompose(v -> reconcile()).exceptionally(t -> null);
  }

  /** Adds a listener for partitions starting and stopping being served (before {@link #start}). */
  public void addListener(PartitionListener listener) {
    listeners.add(listener);
  }

  /** The partition if this broker serves it now. */
  public Optional<Partition> get(TopicPartition tp) {
    return Optional.ofNullable(byTopicPartition.get(tp));
  }

  /** Every partition served now. */
  public List<Partition> online() {
    return List.copyOf(online.values());
  }

  /**
   * Loads what this broker should serve and is not serving; applies config changes.
   *
   * @return completes when the loads of every partition it should serve are done (successfully or
   *     not), including loads an earlier call started
   */
  public CompletableFuture<Void> reconcile() {
    if (closing) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<Partition>> started = new ArrayList<>();
    Snapshot view = cache.snapshot();
    Set<String> existing = new HashSet<>();
    for (var vt : view.topicsByName().values()) {
      TopicRecord topic = vt.topic();
      TopicSettings settings = config.topicSettings(topic.configs());
      for (int p = 0; p < topic.partitions(); p++) {
        String name = topic.logName(p);
        existing.add(name);
        Partition loaded = online.get(name);
        if (loaded != null) {
          reconcileLoaded(loaded, name, topic, settings, view);
        } else if (shouldOwn(name, view)) {
          CompletableFuture<Partition> inProgress = loading.get(name);
          started.add(inProgress != null ? inProgress : load(topic, p));
        }
      }
    }
    for (Map.Entry<String, Partition> e : online.entrySet()) {
      if (!existing.contains(e.getKey())) {
        // The topic was deleted (possibly through another broker): stop serving; the deleting
        // broker removes the log, which fences this writer anyway.
        unload(e.getValue(), false, "its topic was deleted");
      }
    }
    return CompletableFuture.allOf(
        started.stream().map(f -> f.handle((x, t) -> null)).toArray(CompletableFuture[]::new));
  }

  private void reconcileLoaded(
      Partition loaded, String name, TopicRecord topic, TopicSettings settings, Snapshot view) {
    if (!sameSettings(loaded.settings(), settings)) {
      loaded.updateSettings(settings);
      loaded.log().updateConfig(settings.logConfig(topic.replicationFactor()));
    }
    Ownership owner = view.owners().get(name);
    if (owner != null && owner.epoch() > loaded.leaderEpoch()) {
      unload(
          loaded, false, "broker " + owner.brokerId() + " took it over at epoch " + owner.epoch());
      return;
    }
    Optional<Assignment> target = view.assignment(name);
    if (target.isPresent() && target.get().brokerId() != brokerId) {
      unload(loaded, true, "it moves to broker " + target.get().brokerId());
    }
  }

  /**
   * Whether this broker should take a partition log over now: the controller targets it here, and
   * its owner released it, died, or is this broker (a restart), or a live owner has not handed it
   * over within {@code strata.partition.handoff.timeout.ms} (then fencing takes it).
   */
  private boolean shouldOwn(String name, Snapshot view) {
    Optional<Assignment> target = view.assignment(name);
    if (target.isEmpty() || target.get().brokerId() != brokerId || suspended) {
      assignedSince.remove(name);
      return false;
    }
    Ownership owner = view.owners().get(name);
    if (owner == null
        || owner.brokerId() < 0
        || owner.brokerId() == brokerId
        || !view.isLive(owner.brokerId())) {
      return true;
    }
    long since = assignedSince.computeIfAbsent(name, n -> time.milliseconds());
    if (time.milliseconds() - since >= handoffTimeoutMs) {
      log.warn(
          "Broker {} did not hand {} over within {} ms; taking it over (it will be fenced)",
          owner.brokerId(),
          name,
          handoffTimeoutMs);
      return true;
    }
    scheduler.schedule(() -> reconcile(), handoffTimeoutMs, TimeUnit.MILLISECONDS);
    return false;
  }

  /**
   * Stops serving a partition. With {@code release} (a move or a controlled shutdown) its ledger is
   * sealed, producer state saved and ownership released so the next owner starts at once; without
   * (fenced, deleted, session lost) the log is only closed here.
   */
  private CompletableFuture<Void> unload(Partition p, boolean release, String why) {
    String name = TopicRecord.logName(p.id().topicId(), p.id().partition());
    CompletableFuture<Void> inProgress = unloading.get(name);
    if (inProgress != null) {
      return inProgress;
    }
    log.info("Stopping serving {}: {}", p.id().topicPartition(), why);
    CompletableFuture<Void> f = new CompletableFuture<>();
    unloading.put(name, f);
    delayedFetches.wakeAll(p.id());
    (release ? closePartition(p) : dropPartition(p))
        .whenComplete(
            (v, t) -> {
              unloading.remove(name, f);
              f.complete(null);
              reconcile();
              notifyServedWaiters();
            });
    return f;
  }

  private CompletableFuture<Void> dropPartition(Partition p) {
    String name = TopicRecord.logName(p.id().topicId(), p.id().partition());
    listeners.forEach(l -> l.onStopping(p));
    return p.markClosed()
        .thenCompose(v -> p.log().close())
        .handle((v, t) -> null)
        .thenRun(
            () -> {
              online.remove(name, p);
              byTopicPartition.remove(p.id().topicPartition(), p);
              tailCache.invalidate(p.id());
              catchupCache.invalidate(p.id());
            });
  }

  /**
   * While the ZooKeeper session is disconnected, appends are refused (NOT_LEADER_OR_FOLLOWER): the
   * session may be expiring, after which another broker may take the partitions over. Reads of
   * acknowledged data continue.
   */
  public void suspend(boolean suspend) {
    this.suspended = suspend;
    online.values().forEach(p -> p.suspend(suspend));
    if (!suspend) {
      reconcile();
    }
  }

  /**
   * The ZooKeeper session expired: other brokers may own these partitions now. Stop serving all of
   * them without touching ownership; the broker then rejoins with a new session and takes back what
   * the controller assigns to it.
   */
  public CompletableFuture<Void> dropAll(String why) {
    List<CompletableFuture<Void>> drops = new ArrayList<>();
    for (Partition p : online.values()) {
      drops.add(unload(p, false, why));
    }
    return CompletableFuture.allOf(drops.toArray(CompletableFuture[]::new));
  }

  private static boolean sameSettings(TopicSettings a, TopicSettings b) {
    return a.overrides().equals(b.overrides());
  }

  private CompletableFuture<Partition> load(TopicRecord topic, int p) {
    String name = topic.logName(p);
    CompletableFuture<Partition> f = new CompletableFuture<>();
    if (loading.putIfAbsent(name, f) != null) {
      return loading.get(name);
    }
    TopicIdPartition id = new TopicIdPartition(topic.id(), p, topic.name());
    TopicSettings settings = config.topicSettings(topic.configs());
    long started = time.milliseconds();
    store
        .ownership(name)
        .thenCompose(prev -> store.claim(name, brokerId, prev))
        .thenCompose(
            own ->
                logs.open(name, settings.logConfig(topic.replicationFactor()), own.epoch())
                    .thenCompose(
                        plog ->
                            producerStates
                                .rebuild(name, plog)
                                .thenApply(
                                    producers ->
                                        newPartition(id, own.epoch(), plog, settings, producers))))
        .whenComplete(
            (partition, t) -> {
              loading.remove(name);
              if (t != null) {
                int attempt = loadFailures.merge(name, 1, Integer::sum);
                long backoffMs = Math.min(30_000L, 250L << Math.min(attempt - 1, 7));
                log.warn(
                    "Could not load partition {} (attempt {}), retrying in {} ms: {}",
                    id.topicPartition(),
                    attempt,
                    backoffMs,
                    t.toString());
                scheduler.schedule(() -> reconcile(), backoffMs, TimeUnit.MILLISECONDS);
                f.completeExceptionally(t);
                return;
              }
              loadFailures.remove(name);
              online.put(name, partition);
              byTopicPartition.put(id.topicPartition(), partition);
              listeners.forEach(l -> l.onServing(partition));
              log.info(
                  "Serving {} at leader epoch {} (loaded in {} ms, {} producers)",
                  id.topicPartition(),
                  partition.leaderEpoch(),
                  time.milliseconds() - started,
                  partition.producers().size());
              cache
                  .refreshOwner(name)
                  .whenComplete(
                      (v, e) -> {
                        f.complete(partition);
                        notifyServedWaiters();
                      });
            });
    return f;
  }

  private Partition newPartition(
      TopicIdPartition id,
      int epoch,
      PartitionLog plog,
      TopicSettings settings,
      ProducerStateManager producers) {
    Partition.AppendObserver observer =
        new Partition.AppendObserver() {
          @Override
          public void appended(Partition part, long base, long last, java.nio.ByteBuffer bytes) {
            delayedFetches.onAppend(part.id(), bytes.remaining());
          }

          @Override
          public void fenced(Partition part) {
            unload(part, false, "a newer owner fenced its log");
          }
        };
    return new Partition(
        id,
        epoch,
        plog,
        settings,
        new SerialExecutor(pool),
        producers,
        producerIds,
        time,
        tailCache,
        catchupCache,
        config.catchupReadaheadBytes(),
        observer,
        config.producerSnapshotIntervalBytes(),
        producerStates::snapshot);
  }

  private void applyRetention() {
    for (Partition p : online.values()) {
      if (!p.settings().deletesByRetention()) {
        continue;
      }
      p.log()
          .applyRetention()
          .whenComplete(
              (r, t) -> {
                if (t != null) {
                  log.warn("Retention of {} failed: {}", p.id().topicPartition(), t.toString());
                } else {
                  tailCache.invalidateBelow(p.id(), p.log().logStartOffset());
                  catchupCache.invalidateBelow(p.id(), p.log().logStartOffset());
                }
              });
    }
  }

  /** Drops cached batches below a partition's new log start (after DeleteRecords). */
  public void trimmed(Partition p) {
    tailCache.invalidateBelow(p.id(), p.log().logStartOffset());
    catchupCache.invalidateBelow(p.id(), p.log().logStartOffset());
  }

  @Override
  public CompletableFuture<Integer> writableBookies() {
    return logs.writableBookies();
  }

  @Override
  public CompletableFuture<Void> awaitServed(TopicRecord topic, long timeoutMs) {
    CompletableFuture<Void> served = new CompletableFuture<>();
    Runnable check =
        () -> {
          if (allServed(topic)) {
            served.complete(null);
          }
        };
    servedWaiters.add(check);
    check.run();
    return served
        .orTimeout(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS)
        .whenComplete((v, t) -> servedWaiters.remove(check))
        .exceptionallyCompose(
            t ->
                t instanceof TimeoutException
                    ? CompletableFuture.failedFuture(
                        new org.apache.kafka.common.errors.TimeoutException(
                            "Topic "
                                + topic.name()
                                + " was created but not all its partitions are served yet;"
                                + " they will be shortly."))
                    : CompletableFuture.failedFuture(t));
  }

  /** Every partition has a live owner, and those owned here are loaded. */
  private boolean allServed(TopicRecord topic) {
    Snapshot view = cache.snapshot();
    for (int p = 0; p < topic.partitions(); p++) {
      String name = topic.logName(p);
      Optional<Ownership> owner = view.liveOwner(name);
      if (owner.isEmpty() || (owner.get().brokerId() == brokerId && !online.containsKey(name))) {
        return false;
      }
    }
    return true;
  }

  private void notifyServedWaiters() {
    servedWaiters.forEach(Runnable::run);
  }

  @Override
  public CompletableFuture<Void> deleteLogs(TopicRecord topic) {
    List<CompletableFuture<Void>> deletions = new ArrayList<>();
    for (int p = 0; p < topic.partitions(); p++) {
      String name = topic.logName(p);
      Partition part = online.get(name);
      CompletableFuture<Void> dropped =
          part != null ? dropPartition(part) : CompletableFuture.completedFuture(null);
      deletions.add(
          dropped
              .thenCompose(
                  v ->
                      logs.delete(name)
                          .exceptionallyCompose(
                              t ->
                                  // Already gone: an earlier, interrupted deletion got this far.
                                  Errors.maybeUnwrapException(t) instanceof LogNotFoundException
                                      ? CompletableFuture.completedFuture(null)
                                      : CompletableFuture.failedFuture(t)))
              .thenCompose(v -> store.deleteOwnership(name))
              .thenCompose(v -> producerStates.delete(name)));
    }
    return CompletableFuture.allOf(deletions.toArray(CompletableFuture[]::new));
  }

  /**
   * Completes when this broker serves no partition any more (the controller moved them all away
   * during a controlled shutdown), or after {@code timeoutMs}.
   */
  public CompletableFuture<Void> awaitHandedOff(long timeoutMs) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable check =
        () -> {
          if (online.isEmpty() && unloading.isEmpty()) {
            done.complete(null);
          }
        };
    servedWaiters.add(check);
    check.run();
    return done.completeOnTimeout(null, timeoutMs, TimeUnit.MILLISECONDS)
        .whenComplete((v, t) -> servedWaiters.remove(check));
  }

  /**
   * Graceful hand-off of every partition: stop taking appends, let in-flight ones finish, save
   * producer state, seal the logs, release ownership.
   */
  @Override
  public void close() {
    closing = true;
    List<CompletableFuture<Void>> closes = new ArrayList<>();
    for (Partition p : online.values()) {
      closes.add(closePartition(p));
    }
    try {
      CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new))
          .get(config.shutdownTimeoutMs(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn(
          "Not every partition closed cleanly within {} ms: {}",
          config.shutdownTimeoutMs(),
          e.toString());
    }
    delayedFetches.close();
  }

  private CompletableFuture<Void> closePartition(Partition p) {
    String name = TopicRecord.logName(p.id().topicId(), p.id().partition());
    listeners.forEach(l -> l.onStopping(p));
    return p.markClosed()
        // Sealing lets in-flight appends finish; their acknowledgements are queued on the
        // partition's executor before the snapshot task below, so it covers every one of them.
        .thenCompose(v -> p.log().close())
        .thenCompose(
            v -> {
              CompletableFuture<ProducerSnapshot> snap = new CompletableFuture<>();
              p.executor()
                  .execute(() -> snap.complete(p.producers().snapshot(p.log().logEndOffset())));
              return snap;
            })
        .thenCompose(snap -> producerStates.write(p.id(), snap))
        .thenCompose(v -> store.ownership(name))
        .thenCompose(
            own ->
                own.filter(o -> o.brokerId() == brokerId && o.epoch() == p.leaderEpoch())
                    .map(o -> store.release(name, o))
                    .orElse(CompletableFuture.completedFuture(null)))
        .whenComplete(
            (v, t) -> {
              online.remove(name, p);
              byTopicPartition.remove(p.id().topicPartition(), p);
              if (t != null) {
                log.warn("Closing {} failed: {}", p.id().topicPartition(), t.toString());
              }
            });
  }
}
