package io.strata.broker.config;

import static io.strata.broker.config.BrokerConfigKeys.*;

import io.strata.protocol.api.ProtocolConfig;
import io.strata.storage.api.LogStore;
import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.api.TieredStorage;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.tiering.TierConfig;
import io.strata.tiering.Tiering;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.utils.Time;

/**
 * A broker's configuration: Kafka-style properties, read once into typed values and checked.
 *
 * <p>Combines the keys of the protocol server ({@link ProtocolConfig}), the broker ({@link
 * BrokerConfigKeys}) and the storage layer. Unknown keys are logged once at WARN, as Kafka does, so
 * a Kafka {@code server.properties} can be reused. Immutable and thread-safe.
 */
public final class BrokerConfig extends AbstractConfig {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BrokerConfig.class);

  /** Every broker key; the reference page is generated from it. */
  public static final ConfigDef CONFIG_DEF = buildConfigDef();

  private static ConfigDef buildConfigDef() {
    ConfigDef def = new ConfigDef(ProtocolConfig.configDef());
    LogStoreConfig.CONFIG_DEF.configKeys().values().forEach(def::define);
    TierConfig.CONFIG_DEF.configKeys().values().forEach(def::define);
    return BrokerConfigKeys.define(def);
  }

  private final ProtocolConfig protocol;
  private final LogStoreConfig storage;
  private final TierConfig tier;
  private final Map<String, Object> topicDefaults;

  /**
   * @throws ConfigException naming the key and what is wrong
   */
  public BrokerConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
    this.protocol = new ProtocolConfig(props);
    Map<String, Object> storageProps = new HashMap<>();
    props.forEach((k, v) -> storageProps.put(String.valueOf(k), v));
    this.storage = new LogStoreConfig(storageProps);
    this.tier = new TierConfig(storageProps);
    this.topicDefaults = Map.copyOf(buildTopicDefaults());
    checkCrossFieldRules();
    for (Object key : props.keySet()) {
      if (!CONFIG_DEF.names().contains(String.valueOf(key))) {
        log.warn("Ignoring unknown broker config '{}' (see docs/configuration.md)", key);
      }
    }
  }

  private Map<String, Object> buildTopicDefaults() {
    Map<String, Object> d = new HashMap<>();
    d.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, getInt(MESSAGE_MAX_BYTES));
    d.put(TopicConfig.RETENTION_MS_CONFIG, retentionMs());
    d.put(TopicConfig.RETENTION_BYTES_CONFIG, getLong(LOG_RETENTION_BYTES));
    d.put(TopicConfig.SEGMENT_BYTES_CONFIG, getInt(LOG_SEGMENT_BYTES));
    Long rollMs = getLong(LOG_ROLL_MS);
    d.put(
        TopicConfig.SEGMENT_MS_CONFIG,
        rollMs != null ? rollMs : getInt(LOG_ROLL_HOURS) * 3_600_000L);
    d.put(TopicConfig.CLEANUP_POLICY_CONFIG, getList(LOG_CLEANUP_POLICY));
    d.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, getString(LOG_MESSAGE_TIMESTAMP_TYPE));
    d.put(
        TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
        getLong(LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS));
    d.put(
        TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
        getLong(LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS));
    d.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, getInt(MIN_INSYNC_REPLICAS));
    d.put(TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, getLong(LOG_LOCAL_RETENTION_MS));
    d.put(TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, getLong(LOG_LOCAL_RETENTION_BYTES));
    return d;
  }

  /** Kafka's precedence: log.retention.ms, then .minutes, then .hours; negative means forever. */
  private long retentionMs() {
    Long ms = getLong(LOG_RETENTION_MS);
    if (ms != null) {
      return ms < 0 ? -1L : ms;
    }
    Integer minutes = getInt(LOG_RETENTION_MINUTES);
    if (minutes != null) {
      return minutes < 0 ? -1L : minutes * 60_000L;
    }
    int hours = getInt(LOG_RETENTION_HOURS);
    return hours < 0 ? -1L : hours * 3_600_000L;
  }

  private void checkCrossFieldRules() {
    if (getInt(MIN_INSYNC_REPLICAS) > getInt(DEFAULT_REPLICATION_FACTOR)) {
      throw new ConfigException(
          MIN_INSYNC_REPLICAS
              + "="
              + getInt(MIN_INSYNC_REPLICAS)
              + " exceeds "
              + DEFAULT_REPLICATION_FACTOR
              + "="
              + getInt(DEFAULT_REPLICATION_FACTOR)
              + ": the ack quorum cannot be larger than the write quorum. Lower "
              + MIN_INSYNC_REPLICAS
              + " or raise "
              + DEFAULT_REPLICATION_FACTOR
              + ".");
    }
    if (protocol.advertisedListeners().stream()
        .anyMatch(e -> e.host() == null || e.host().isEmpty() || "0.0.0.0".equals(e.host()))) {
      throw new ConfigException(
          ProtocolConfig.ADVERTISED_LISTENERS_CONFIG
              + " must name a host clients can reach, not 0.0.0.0 or an empty host");
    }
  }

  /** The protocol server's part. */
  public ProtocolConfig protocol() {
    return protocol;
  }

  /** Configured broker id, or -1 to generate one. */
  public int brokerId() {
    return getInt(BROKER_ID);
  }

  public Optional<String> rack() {
    return Optional.ofNullable(getString(BROKER_RACK));
  }

  /** The storage layer's part. */
  public LogStoreConfig storage() {
    return storage;
  }

  public String zookeeperConnect() {
    return storage.zookeeperConnect();
  }

  public int zookeeperSessionTimeoutMs() {
    return storage.zookeeperSessionTimeoutMs();
  }

  /** ZooKeeper path under which all of Strata's metadata lives. */
  public String metadataRoot() {
    return storage.metadataRoot();
  }

  /** The tier's part ({@code strata.tier.*}). */
  public TierConfig tier() {
    return tier;
  }

  /**
   * Starts the BookKeeper-backed log store this config describes, with its tier when {@code
   * strata.tier.uri} is set (blocking; start-up only). The store owns and closes the tier, and
   * tells it when logs open and close, which starts and stops their offload.
   */
  public static LogStore openLogStore(BrokerConfig config) throws java.io.IOException {
    TieredStorage tier = Tiering.fromConfig(config.tier(), Time.SYSTEM);
    try {
      return BookKeeperLogStore.start(config.storage(), Time.SYSTEM, tier);
    } catch (java.io.IOException | RuntimeException e) {
      tier.close();
      throw e;
    }
  }

  public int numPartitions() {
    return getInt(NUM_PARTITIONS);
  }

  public int defaultReplicationFactor() {
    return getInt(DEFAULT_REPLICATION_FACTOR);
  }

  public boolean autoCreateTopics() {
    return getBoolean(AUTO_CREATE_TOPICS_ENABLE);
  }

  public boolean deleteTopicEnable() {
    return getBoolean(DELETE_TOPIC_ENABLE);
  }

  public long retentionCheckIntervalMs() {
    return getLong(LOG_RETENTION_CHECK_INTERVAL_MS);
  }

  public int producerIdExpirationMs() {
    return getInt(PRODUCER_ID_EXPIRATION_MS);
  }

  public long tailCacheBytes() {
    return getLong(TAIL_CACHE_BYTES);
  }

  public int catchupReadaheadBytes() {
    return getInt(CATCHUP_READAHEAD_BYTES);
  }

  public long producerSnapshotIntervalBytes() {
    return getLong(PRODUCER_SNAPSHOT_INTERVAL_BYTES);
  }

  public long shutdownTimeoutMs() {
    return getLong(SHUTDOWN_TIMEOUT_MS);
  }

  public long controllerBalanceIntervalMs() {
    return getLong(CONTROLLER_BALANCE_INTERVAL_MS);
  }

  public int controllerMaxMoves() {
    return getInt(CONTROLLER_MAX_MOVES);
  }

  public long handoffTimeoutMs() {
    return getLong(HANDOFF_TIMEOUT_MS);
  }

  public long loadReportIntervalMs() {
    return getLong(LOAD_REPORT_INTERVAL_MS);
  }

  /** Topic-level defaults this broker applies, keyed by topic config name. */
  public Map<String, Object> topicDefaults() {
    return topicDefaults;
  }

  /** The effective settings of a topic with these overrides. */
  public TopicSettings topicSettings(Map<String, String> overrides) {
    return new TopicSettings(topicDefaults, overrides);
  }
}
