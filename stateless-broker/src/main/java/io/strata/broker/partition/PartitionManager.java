package io.strata.broker.partition;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.TopicSettings;
import io.strata.broker.fetch.BatchCache;
import io.strata.broker.fetch.DelayedFetchQueue;
import io.strata.broker.metadata.ClusterMetadataStore;
import io.strata.broker.metadata.ClusterMetadataStore.Ownership;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.MetadataCache.Snapshot;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.metadata.ZkAsync;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.producer.ProducerSnapshot;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.broker.topic.PartitionDirectory;
import io.strata.broker.util.SerialExecutor;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogStore;
import io.strata.storage.api.PartitionLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
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

  /** Decides which partitions this broker should serve. */
  public interface AssignmentPolicy {
    boolean shouldOwn(TopicRecord topic, int partition, Snapshot view);
  }

  /** A standalone broker serves every partition. */
  public static final AssignmentPolicy OWN_EVERYTHING = (t, p, v) -> true;

  private final int brokerId;
  private final BrokerConfig config;
  private final ClusterMetadataStore store;
  private final MetadataCache cache;
  private final LogStore logs;
  private final ProducerIdManager producerIds;
  private final Time time;
  private final Executor pool;
  private final ScheduledExecutorService scheduler;
  private final AssignmentPolicy policy;
  private final String snapshotRoot;
  private final BatchCache<TopicIdPartition> tailCache;
  private final BatchCache<TopicIdPartition> catchupCache;
  private final DelayedFetchQueue<TopicIdPartition> delayedFetches;

  private final Map<String, Partition> online = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Partition>> loading = new ConcurrentHashMap<>();
  // Consecutive failed loads per log, for the retry backoff.
  private final Map<String, Integer> loadFailures = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Partition> byTopicPartition = new ConcurrentHashMap<>();
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
      AssignmentPolicy policy,
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
    this.policy = policy;
    this.snapshotRoot = metadataRoot + "/producer-snapshots";
    this.tailCache = new BatchCache<>(config.tailCacheBytes(), pool);
    this.catchupCache = new BatchCache<>(Math.max(16L << 20, config.tailCacheBytes() / 4), pool);
    this.delayedFetches = delayedFetches;
  }

  /** Starts reconciling on metadata changes and applying retention. */
  public CompletableFuture<Void> start() {
    cache.addListener(() -> reconcile());
    long interval = config.retentionCheckIntervalMs();
    scheduler.scheduleWithFixedDelay(
        this::applyRetention, interval, interval, TimeUnit.MILLISECONDS);
    // Ready means serving: wait for the partitions this broker owns to load (a failed load is
    // logged and retried by the next reconcile; it does not stop the broker).
    return store.zk().ensure(snapshotRoot).thenCompose(v -> reconcile()).exceptionally(t -> null);
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
    for (var vt : view.topicsByName().values()) {
      TopicRecord topic = vt.topic();
      TopicSettings settings = config.topicSettings(topic.configs());
      for (int p = 0; p < topic.partitions(); p++) {
        String name = topic.logName(p);
        Partition loaded = online.get(name);
        if (loaded != null) {
          if (!loaded.settings().equals(settings) && !sameSettings(loaded.settings(), settings)) {
            loaded.updateSettings(settings);
            loaded.log().updateConfig(logConfig(topic, settings));
          }
        } else if (policy.shouldOwn(topic, p, view)) {
          CompletableFuture<Partition> inProgress = loading.get(name);
          started.add(inProgress != null ? inProgress : load(topic, p));
        }
      }
    }
    return CompletableFuture.allOf(
        started.stream().map(f -> f.handle((x, t) -> null)).toArray(CompletableFuture[]::new));
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
                logs.open(name, logConfig(topic, settings), own.epoch())
                    .thenCompose(
                        plog ->
                            rebuildProducerState(name, plog)
                                .thenApply(
                                    producers ->
                                        new Partition(
                                            id,
                                            own.epoch(),
                                            plog,
                                            settings,
                                            new SerialExecutor(pool),
                                            producers,
                                            producerIds,
                                            time,
                                            tailCache,
                                            catchupCache,
                                            config.catchupReadaheadBytes(),
                                            (part, base, last, bytes) ->
                                                delayedFetches.onAppend(
                                                    part.id(), bytes.remaining()),
                                            config.producerSnapshotIntervalBytes(),
                                            this::snapshotProducers))))
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
              log.info(
                  "Serving {} at leader epoch {} (loaded in {} ms, {} producers)",
                  id.topicPartition(),
                  partition.leaderEpoch(),
                  time.milliseconds() - started,
                  partition.producers().size());
              cache.refreshOwner(name).whenComplete((v, e) -> f.complete(partition));
            });
    return f;
  }

  LogConfig logConfig(TopicRecord topic, TopicSettings s) {
    int rf = topic.replicationFactor();
    Map<String, Object> props = new HashMap<>();
    props.put(LogConfig.SEGMENT_BYTES, s.segmentBytes);
    props.put(LogConfig.SEGMENT_MS, s.segmentMs);
    props.put(LogConfig.RETENTION_MS, s.deletesByRetention() ? s.retentionMs : -1L);
    props.put(LogConfig.RETENTION_BYTES, s.deletesByRetention() ? s.retentionBytes : -1L);
    props.put(LogConfig.MAX_MESSAGE_BYTES, s.maxMessageBytes);
    props.put(LogConfig.ENSEMBLE_SIZE, rf);
    props.put(LogConfig.WRITE_QUORUM_SIZE, rf);
    props.put(LogConfig.ACK_QUORUM_SIZE, Math.min(rf, s.minInsyncReplicas));
    // Tiering (issue 7): the log offloads and trims its bookie copies itself.
    props.put(LogConfig.REMOTE_STORAGE_ENABLE, s.remoteStorageEnable);
    props.put(LogConfig.LOCAL_RETENTION_MS, s.deletesByRetention() ? s.localRetentionMs : -1L);
    props.put(
        LogConfig.LOCAL_RETENTION_BYTES, s.deletesByRetention() ? s.localRetentionBytes : -1L);
    return new LogConfig(props);
  }

  private CompletableFuture<ProducerStateManager> rebuildProducerState(
      String name, PartitionLog plog) {
    ProducerStateManager producers = new ProducerStateManager();
    return store
        .zk()
        .get(snapshotRoot + "/" + name)
        .thenApply(v -> Optional.of(ProducerSnapshot.decode(v.data())))
        .exceptionally(
            t -> {
              if (!ZkAsync.is(t, Code.NONODE)) {
                log.warn("Ignoring unreadable producer snapshot of {}: {}", name, t.toString());
              }
              return Optional.empty();
            })
        .thenCompose(
            snap -> {
              long from = plog.logStartOffset();
              if (snap.isPresent() && snap.get().nextOffset() >= from) {
                producers.restore(snap.get());
                from = snap.get().nextOffset();
              }
              return ProducerStateReplay.replay(plog, from, producers);
            })
        .thenApply(
            replayed -> {
              producers.removeExpired(time.milliseconds(), config.producerIdExpirationMs());
              return producers;
            });
  }

  /** Saves a partition's producer state (on its executor, so it matches an exact offset). */
  void snapshotProducers(Partition partition) {
    partition
        .executor()
        .execute(
            () -> {
              partition
                  .producers()
                  .removeExpired(time.milliseconds(), config.producerIdExpirationMs());
              ProducerSnapshot snap =
                  partition.producers().snapshot(partition.log().logEndOffset());
              writeSnapshot(partition.id(), snap);
            });
  }

  private CompletableFuture<Void> writeSnapshot(TopicIdPartition id, ProducerSnapshot snap) {
    String path = snapshotRoot + "/" + TopicRecord.logName(id.topicId(), id.partition());
    byte[] data = snap.encode();
    if (data.length > 900 * 1024) {
      log.warn(
          "Producer state of {} ({} producers) is too large to snapshot; loading it replays more",
          id.topicPartition(),
          snap.entries().size());
      return CompletableFuture.completedFuture(null);
    }
    return store
        .zk()
        .set(path, data, -1)
        .thenApply(v -> (Void) null)
        .exceptionallyCompose(
            t ->
                ZkAsync.is(t, Code.NONODE)
                    ? store.zk().create(path, data, CreateMode.PERSISTENT).thenApply(p -> null)
                    : CompletableFuture.failedFuture(t))
        .exceptionally(
            t -> {
              log.warn(
                  "Could not save producer state of {}: {}", id.topicPartition(), t.toString());
              return null;
            });
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
    List<CompletableFuture<?>> waits = new ArrayList<>();
    for (int p = 0; p < topic.partitions(); p++) {
      String name = topic.logName(p);
      if (online.containsKey(name)) {
        continue;
      }
      CompletableFuture<Partition> l = loading.get(name);
      if (l == null && policy.shouldOwn(topic, p, cache.snapshot()) && !closing) {
        l = load(topic, p);
      }
      if (l != null) {
        waits.add(l);
      }
    }
    return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
        .orTimeout(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS)
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

  @Override
  public CompletableFuture<Void> deleteLogs(TopicRecord topic) {
    List<CompletableFuture<Void>> deletions = new ArrayList<>();
    for (int p = 0; p < topic.partitions(); p++) {
      String name = topic.logName(p);
      Partition part = online.remove(name);
      CompletableFuture<Void> closed = CompletableFuture.completedFuture(null);
      if (part != null) {
        byTopicPartition.remove(part.id().topicPartition(), part);
        tailCache.invalidate(part.id());
        catchupCache.invalidate(part.id());
        delayedFetches.wakeAll(part.id());
        closed = part.markClosed().thenCompose(v -> part.log().close()).exceptionally(t -> null);
      }
      deletions.add(
          closed
              .thenCompose(v -> logs.delete(name))
              .thenCompose(v -> store.deleteOwnership(name))
              .thenCompose(v -> store.zk().delete(snapshotRoot + "/" + name, -1))
              .exceptionallyCompose(
                  t ->
                      ZkAsync.is(t, Code.NONODE)
                          ? CompletableFuture.completedFuture(null)
                          : CompletableFuture.failedFuture(t)));
    }
    return CompletableFuture.allOf(deletions.toArray(CompletableFuture[]::new));
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
        .thenCompose(snap -> writeSnapshot(p.id(), snap))
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

  /** Ownership of a partition as the metadata cache sees it (for tests and ops). */
  public Optional<Ownership> owner(String logName) {
    return Optional.ofNullable(cache.snapshot().owners().get(logName));
  }
}
