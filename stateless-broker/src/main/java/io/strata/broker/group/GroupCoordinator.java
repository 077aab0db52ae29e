package io.strata.broker.group;

import static io.strata.broker.config.GroupConfigKeys.*;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.BrokerConfigKeys;
import io.strata.broker.group.runtime.ShardRuntime;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.PartitionManager;
import io.strata.broker.topic.TopicService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's group coordinator: routes each group request to the {@link ShardRuntime} of the
 * {@code __consumer_offsets} partition the group hashes to, if this broker owns that partition
 * (NOT_COORDINATOR otherwise), creates the topic on the first request that needs it, and loads and
 * unloads shards as the {@link PartitionManager} starts and stops serving the topic's partitions.
 *
 * <p>Which broker coordinates a group is decided by partition ownership alone (ZooKeeper, through
 * the metadata cache), never assumed to be this broker: when ownership moves, the new owner loads
 * the shard by replay and the old one answers NOT_COORDINATOR.
 *
 * <p>Thread-safe and non-blocking. Lifecycle: register with {@link PartitionManager#addListener}
 * before the partition manager starts; {@link #close()} after it closed.
 */
public final class GroupCoordinator implements PartitionManager.PartitionListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

  /** Kafka's name for the internal topic: tools recognise it. */
  public static final String TOPIC = Topic.GROUP_METADATA_TOPIC_NAME;

  /** How long a FindCoordinator waits for the internal topic it caused to be created. */
  private static final long CREATE_WAIT_MS = 10_000;

  /** The coordinator's settings, read once from the broker's configuration. */
  public record Settings(
      int numPartitions,
      short replicationFactor,
      int segmentBytes,
      int minInsyncReplicas,
      GroupConfig group,
      ShardRuntime.Settings runtime) {

    /**
     * @throws ConfigException if the session timeout bounds are inverted
     */
    public static Settings from(BrokerConfig c) {
      int minSession = c.getInt(GROUP_MIN_SESSION_TIMEOUT_MS);
      int maxSession = c.getInt(GROUP_MAX_SESSION_TIMEOUT_MS);
      if (minSession > maxSession) {
        throw new ConfigException(
            GROUP_MIN_SESSION_TIMEOUT_MS
                + "="
                + minSession
                + " exceeds "
                + GROUP_MAX_SESSION_TIMEOUT_MS
                + "="
                + maxSession);
      }
      GroupConfig group =
          new GroupConfig(
              minSession,
              maxSession,
              c.getInt(GROUP_INITIAL_REBALANCE_DELAY_MS),
              c.getInt(GROUP_MAX_SIZE),
              GroupConfig.defaults().newMemberJoinTimeoutMs(),
              c.getInt(OFFSETS_RETENTION_MINUTES) * 60_000L,
              c.getLong(OFFSETS_RETENTION_CHECK_INTERVAL_MS),
              c.getInt(OFFSET_METADATA_MAX_BYTES));
      return new Settings(
          c.getInt(OFFSETS_TOPIC_NUM_PARTITIONS),
          c.getShort(OFFSETS_TOPIC_REPLICATION_FACTOR),
          c.getInt(OFFSETS_TOPIC_SEGMENT_BYTES),
          c.getInt(BrokerConfigKeys.MIN_INSYNC_REPLICAS),
          group,
          new ShardRuntime.Settings(
              c.getLong(OFFSETS_CHECKPOINT_INTERVAL_BYTES), 16L << 20, 512 * 1024, 8 << 20, 1000));
    }
  }

  private final Settings settings;
  private final MetadataCache cache;
  private final TopicService topics;
  private final Executor pool;
  private final Time time;
  // Session, rebalance and retention timeouts of every shard: one thread, tasks hop to shards.
  private final ScheduledThreadPoolExecutor timers;
  private final Map<Integer, ShardRuntime> shards = new ConcurrentHashMap<>();
  private final AtomicReference<CompletableFuture<Void>> creation = new AtomicReference<>();

  public GroupCoordinator(
      Settings settings, MetadataCache cache, TopicService topics, Executor pool, Time time) {
    this.settings = settings;
    this.cache = cache;
    this.topics = topics;
    this.pool = pool;
    this.time = time;
    this.timers =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "strata-group-timers");
              t.setDaemon(true);
              return t;
            });
    // Heartbeats reschedule session expiries constantly; drop cancelled ones from the queue.
    this.timers.setRemoveOnCancelPolicy(true);
  }

  public Settings settings() {
    return settings;
  }

  // ---------------------------------------------------------------- partition lifecycle

  @Override
  public void onServing(Partition partition) {
    if (!TOPIC.equals(partition.id().topic())) {
      return;
    }
    int index = partition.id().partition();
    ShardRuntime shard =
        new ShardRuntime(partition, pool, timers, settings.group(), settings.runtime(), time);
    ShardRuntime previous = shards.put(index, shard);
    if (previous != null) {
      previous.close();
    }
    shard.start();
  }

  @Override
  public void onStopping(Partition partition) {
    if (!TOPIC.equals(partition.id().topic())) {
      return;
    }
    ShardRuntime shard = shards.remove(partition.id().partition());
    if (shard != null) {
      log.info("Unloading group coordinator partition {}", partition.id().partition());
      shard.close();
    }
  }

  // ---------------------------------------------------------------- routing

  /** The internal topic as the metadata shows it, if it exists. */
  public Optional<TopicRecord> topic() {
    return cache.snapshot().topic(TOPIC);
  }

  /**
   * The {@code __consumer_offsets} partition of a group: {@code Utils.abs(groupId.hashCode()) %
   * partitions}, exactly as Kafka computes it, so tools that reason about it agree.
   */
  public static int partitionFor(String groupId, int partitions) {
    return Utils.abs(groupId.hashCode()) % partitions;
  }

  /**
   * The broker id that coordinates {@code key}'s group now, creating the internal topic first if it
   * does not exist yet (waiting a few seconds for it to be served).
   *
   * @return the owner, or empty if the partition has no live owner yet (COORDINATOR_NOT_AVAILABLE)
   */
  public CompletableFuture<Optional<Integer>> coordinatorFor(String key) {
    return ensureTopic()
        .thenApply(
            v -> {
              Optional<TopicRecord> t = topic();
              if (t.isEmpty()) {
                return Optional.empty();
              }
              int p = partitionFor(key, t.get().partitions());
              return cache.snapshot().liveOwner(t.get().logName(p)).map(o -> o.brokerId());
            });
  }

  private CompletableFuture<Void> ensureTopic() {
    if (topic().isPresent()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> running = creation.get();
    if (running != null && !running.isDone()) {
      return running;
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (!creation.compareAndSet(running, f)) {
      return creation.get();
    }
    int rf = settings.replicationFactor();
    Map<String, String> configs =
        Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.CLEANUP_POLICY_COMPACT,
            TopicConfig.SEGMENT_BYTES_CONFIG,
            String.valueOf(settings.segmentBytes()),
            TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
            String.valueOf(Math.min(rf, settings.minInsyncReplicas())));
    log.info(
        "Creating {} with {} partitions, replication factor {}",
        TOPIC,
        settings.numPartitions(),
        rf);
    topics
        .createInternal(TOPIC, settings.numPartitions(), rf, configs, CREATE_WAIT_MS)
        .whenComplete(
            (t, e) -> {
              Throwable cause = e == null ? null : Errors.maybeUnwrapException(e);
              if (cause != null && !(cause instanceof TopicExistsException)) {
                // Not fatal: requests answer COORDINATOR_NOT_AVAILABLE and clients retry.
                log.warn("Could not create {} yet: {}", TOPIC, cause.toString());
              }
              f.complete(null);
            });
    return f;
  }

  /**
   * Runs {@code op} on the shard of {@code groupId}'s partition.
   *
   * @return fails with COORDINATOR_NOT_AVAILABLE if the internal topic does not exist, with
   *     NOT_COORDINATOR if this broker does not own the partition, with
   *     COORDINATOR_LOAD_IN_PROGRESS while it loads
   */
  public <T> CompletableFuture<T> run(
      String groupId, BiConsumer<GroupShard, CompletableFuture<T>> op) {
    Optional<TopicRecord> t = topic();
    if (t.isEmpty()) {
      return CompletableFuture.failedFuture(
          new CoordinatorNotAvailableException(
              "The group coordinator is not available yet (" + TOPIC + " does not exist)."));
    }
    int p = partitionFor(groupId, t.get().partitions());
    ShardRuntime shard = shards.get(p);
    if (shard == null) {
      return CompletableFuture.failedFuture(
          new NotCoordinatorException(
              "This broker is not the coordinator of group "
                  + groupId
                  + " (partition "
                  + p
                  + " of "
                  + TOPIC
                  + ")."));
    }
    return shard.submit(op);
  }

  /** The shards this broker serves or loads now. */
  public List<ShardRuntime> shards() {
    return new ArrayList<>(shards.values());
  }

  @Override
  public void close() {
    shards.values().forEach(ShardRuntime::close);
    shards.clear();
    timers.shutdownNow();
    try {
      timers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
