package io.strata.broker.topic;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.TopicConfigs;
import io.strata.broker.metadata.ClusterMetadataStore;
import io.strata.broker.metadata.ClusterMetadataStore.VersionedTopic;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.TopicRecord;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicDeletionDisabledException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.Topic;
import org.apache.zookeeper.KeeperException.Code;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, alters and deletes topics: validation with Kafka's errors, the ZooKeeper write, and
 * waiting until the change is served. Shared by CreateTopics, Metadata auto-creation,
 * CreatePartitions, the config APIs and DeleteTopics.
 *
 * <p>Thread-safe and non-blocking: every method returns a future that fails with a Kafka {@code
 * ApiException} for bad input.
 */
public final class TopicService {
  private static final Logger log = LoggerFactory.getLogger(TopicService.class);

  /** Configs of internal topics that would let retention delete a coordinator's state. */
  private static final java.util.List<String> INTERNAL_FIXED_CONFIGS =
      java.util.List.of(
          TopicConfig.CLEANUP_POLICY_CONFIG,
          TopicConfig.RETENTION_MS_CONFIG,
          TopicConfig.RETENTION_BYTES_CONFIG);

  /** Kafka's cap on partitions per CreateTopics/CreatePartitions is the int range; ours is sane. */
  public static final int MAX_PARTITIONS = 100_000;

  private final BrokerConfig config;
  private final ClusterMetadataStore store;
  private final MetadataCache cache;
  private final PartitionDirectory partitions;

  public TopicService(
      BrokerConfig config,
      ClusterMetadataStore store,
      MetadataCache cache,
      PartitionDirectory partitions) {
    this.config = config;
    this.store = store;
    this.cache = cache;
    this.partitions = partitions;
  }

  /**
   * Creates a topic.
   *
   * @param numPartitions -1 for the broker's {@code num.partitions}
   * @param replicationFactor -1 for {@code default.replication.factor}
   * @param configs topic config overrides
   * @param validateOnly check everything, write nothing
   * @param timeoutMs how long to wait for the partitions to be served (0: do not wait)
   * @return the topic as created (or as it would be)
   */
  public CompletableFuture<TopicRecord> create(
      String name,
      int numPartitions,
      int replicationFactor,
      Map<String, String> configs,
      boolean validateOnly,
      long timeoutMs) {
    return create(name, numPartitions, replicationFactor, configs, validateOnly, timeoutMs, false);
  }

  /**
   * Creates an internal topic (the group coordinator's {@code __consumer_offsets}), which clients
   * cannot create; otherwise as {@link #create}.
   */
  public CompletableFuture<TopicRecord> createInternal(
      String name,
      int numPartitions,
      int replicationFactor,
      Map<String, String> configs,
      long timeoutMs) {
    return create(name, numPartitions, replicationFactor, configs, false, timeoutMs, true);
  }

  private CompletableFuture<TopicRecord> create(
      String name,
      int numPartitions,
      int replicationFactor,
      Map<String, String> configs,
      boolean validateOnly,
      long timeoutMs,
      boolean internal) {
    TopicRecord topic;
    try {
      topic = validateNew(name, numPartitions, replicationFactor, configs, internal);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return partitions
        .writableBookies()
        .thenCompose(
            bookies -> {
              if (topic.replicationFactor() > bookies) {
                throw new InvalidReplicationFactorException(
                    "Replication factor "
                        + topic.replicationFactor()
                        + " is larger than the "
                        + bookies
                        + " bookie(s) available to store each write.");
              }
              if (validateOnly) {
                if (cache.snapshot().topic(name).isPresent()) {
                  return CompletableFuture.failedFuture(
                      new org.apache.kafka.common.errors.TopicExistsException(
                          "Topic '" + name + "' already exists."));
                }
                return CompletableFuture.completedFuture(topic);
              }
              return store
                  .createTopic(topic)
                  .thenCompose(vt -> cache.refreshTopic(name))
                  .thenCompose(
                      v -> {
                        log.info(
                            "Created topic {} ({}) with {} partitions, replication factor {}",
                            name,
                            topic.id(),
                            topic.partitions(),
                            topic.replicationFactor());
                        return timeoutMs > 0
                            ? partitions.awaitServed(topic, timeoutMs)
                            : CompletableFuture.completedFuture(null);
                      })
                  .thenApply(v -> topic);
            });
  }

  private TopicRecord validateNew(
      String name,
      int numPartitions,
      int replicationFactor,
      Map<String, String> configs,
      boolean internal) {
    Topic.validate(name); // InvalidTopicException naming what is wrong with the name
    if (!internal && Topic.isInternal(name)) {
      throw new InvalidTopicException(
          "Topic '" + name + "' is an internal topic name and cannot be created by clients.");
    }
    int parts = numPartitions == -1 ? config.numPartitions() : numPartitions;
    if (parts < 1 || parts > MAX_PARTITIONS) {
      throw new InvalidPartitionsException(
          "Number of partitions must be between 1 and " + MAX_PARTITIONS + "; got " + parts);
    }
    int rf = replicationFactor == -1 ? config.defaultReplicationFactor() : replicationFactor;
    if (rf < 1) {
      throw new InvalidReplicationFactorException(
          "Replication factor must be at least 1; got " + rf);
    }
    Map<String, String> clean = validateConfigs(configs);
    checkMinIsr(clean, rf, name);
    return new TopicRecord(name, Uuid.randomUuid(), parts, rf, clean);
  }

  /**
   * An explicit {@code min.insync.replicas} above the replication factor is an error; the broker's
   * default is capped at the replication factor instead, so RF-1 topics work on any cluster.
   */
  private static void checkMinIsr(Map<String, String> overrides, int rf, String topic) {
    String explicit = overrides.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
    int minIsr = explicit == null ? 0 : Integer.parseInt(explicit);
    if (minIsr > rf) {
      throw new InvalidConfigurationException(
          TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG
              + "="
              + minIsr
              + " exceeds the replication factor "
              + rf
              + " of topic "
              + topic
              + ": the ack quorum cannot be larger than the write quorum.");
    }
  }

  private static Map<String, String> validateConfigs(Map<String, String> configs) {
    try {
      return TopicConfigs.validate(configs);
    } catch (ConfigException e) {
      throw new InvalidConfigurationException(e.getMessage());
    }
  }

  /** Raises the partition count of a topic to {@code total}. */
  public CompletableFuture<TopicRecord> addPartitions(
      String name, int total, boolean validateOnly, long timeoutMs) {
    return update(
            name,
            t -> {
              if (Topic.isInternal(name)) {
                // A group's coordinator partition is hash % partitions: more would move groups.
                throw new InvalidPartitionsException(
                    "The partition count of internal topic " + name + " cannot change.");
              }
              if (total <= t.partitions()) {
                throw new InvalidPartitionsException(
                    "Topic "
                        + name
                        + " has "
                        + t.partitions()
                        + " partitions; the new count must be larger, got "
                        + total
                        + ".");
              }
              if (total > MAX_PARTITIONS) {
                throw new InvalidPartitionsException(
                    "Number of partitions must be at most " + MAX_PARTITIONS + "; got " + total);
              }
              return t.withPartitions(total);
            },
            validateOnly)
        .thenCompose(
            t ->
                validateOnly || timeoutMs <= 0
                    ? CompletableFuture.completedFuture(t)
                    : partitions.awaitServed(t, timeoutMs).thenApply(v -> t));
  }

  /**
   * Replaces a topic's config overrides with {@code change(current)}, validated (a compare-and-set,
   * retried if the topic changed meanwhile).
   */
  public CompletableFuture<TopicRecord> alterConfigs(
      String name, UnaryOperator<Map<String, String>> change, boolean validateOnly) {
    return update(
        name,
        t -> {
          Map<String, String> next = validateConfigs(change.apply(t.configs()));
          checkMinIsr(next, t.replicationFactor(), name);
          if (Topic.isInternal(name)) {
            for (String key : INTERNAL_FIXED_CONFIGS) {
              if (!java.util.Objects.equals(next.get(key), t.configs().get(key))) {
                throw new InvalidConfigurationException(
                    key
                        + " of internal topic "
                        + name
                        + " cannot be changed: its coordinator keeps its size bounded itself.");
              }
            }
          }
          return t.withConfigs(next);
        },
        validateOnly);
  }

  private CompletableFuture<TopicRecord> update(
      String name, UnaryOperator<TopicRecord> change, boolean validateOnly) {
    return store
        .topic(name)
        .thenCompose(
            opt -> {
              VersionedTopic vt =
                  opt.orElseThrow(
                      () ->
                          new UnknownTopicOrPartitionException(
                              "Topic '" + name + "' does not exist."));
              TopicRecord next = change.apply(vt.topic());
              if (validateOnly) {
                return CompletableFuture.completedFuture(next);
              }
              return store
                  .updateTopic(next, vt.version())
                  .thenCompose(v -> cache.refreshTopic(name))
                  .thenApply(v -> next)
                  .exceptionallyCompose(
                      t ->
                          io.strata.broker.metadata.ZkAsync.is(t, Code.BADVERSION)
                              ? update(name, change, false)
                              : CompletableFuture.failedFuture(t));
            });
  }

  /** Deletes a topic: its record at once, its logs right after (resumed after a crash). */
  public CompletableFuture<Uuid> delete(String name) {
    if (!config.deleteTopicEnable()) {
      return CompletableFuture.failedFuture(
          new TopicDeletionDisabledException(
              "Topic deletion is disabled (delete.topic.enable=false)."));
    }
    if (Topic.isInternal(name)) {
      return CompletableFuture.failedFuture(
          new InvalidTopicException("Internal topic '" + name + "' cannot be deleted."));
    }
    return store
        .topic(name)
        .thenCompose(
            opt -> {
              VersionedTopic vt =
                  opt.orElseThrow(
                      () ->
                          new UnknownTopicOrPartitionException(
                              "Topic '" + name + "' does not exist."));
              return store
                  .deleteTopic(vt)
                  .thenCompose(v -> cache.refreshTopic(name))
                  .thenCompose(v -> finishDeletion(vt.topic()))
                  .thenApply(v -> vt.topic().id());
            });
  }

  /** Deletes a deleted topic's logs and its pending-deletion marker. */
  public CompletableFuture<Void> finishDeletion(TopicRecord topic) {
    return partitions
        .deleteLogs(topic)
        .thenCompose(v -> store.completeDeletion(topic.id()))
        .thenRun(() -> log.info("Deleted topic {} ({}) and its logs", topic.name(), topic.id()));
  }

  /** Finishes deletions a crash interrupted; called at start-up. */
  public CompletableFuture<Void> resumeDeletions() {
    return store
        .pendingDeletions()
        .thenCompose(
            list ->
                CompletableFuture.allOf(
                    list.stream()
                        .map(
                            t ->
                                finishDeletion(t)
                                    .exceptionally(
                                        e -> {
                                          log.warn(
                                              "Could not finish deleting topic {}: {}",
                                              t.name(),
                                              e.toString());
                                          return null;
                                        }))
                        .toArray(CompletableFuture[]::new)));
  }
}
