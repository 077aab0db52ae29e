package io.strata.broker.config;

import io.strata.storage.api.LogConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.TimestampType;

/**
 * The effective configuration of one topic: the broker's defaults overlaid with the topic's
 * overrides, read once into typed fields. Immutable and thread-safe; a config change builds a new
 * instance.
 */
public final class TopicSettings {
  private final Map<String, String> overrides;
  private final AbstractConfig config;

  public final Set<String> cleanupPolicies;
  public final int maxMessageBytes;
  public final TimestampType timestampType;
  public final long timestampBeforeMaxMs;
  public final long timestampAfterMaxMs;
  public final int minInsyncReplicas;
  public final long retentionBytes;
  public final long retentionMs;
  public final int segmentBytes;
  public final long segmentMs;
  public final boolean remoteStorageEnable;
  public final long localRetentionMs;
  public final long localRetentionBytes;

  /**
   * @param brokerDefaults topic-level values the broker sets (keys are topic config names)
   * @param overrides the topic's own overrides, already validated by {@link TopicConfigs#validate}
   */
  public TopicSettings(Map<String, ?> brokerDefaults, Map<String, String> overrides) {
    this.overrides = Map.copyOf(overrides);
    Map<String, Object> merged = new HashMap<>(brokerDefaults);
    merged.putAll(overrides);
    this.config = new AbstractConfig(TopicConfigs.CONFIG_DEF, merged, false);
    this.cleanupPolicies =
        TopicConfigs.cleanupPolicies(config.getList(TopicConfig.CLEANUP_POLICY_CONFIG));
    this.maxMessageBytes = config.getInt(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    this.timestampType =
        "LogAppendTime".equals(config.getString(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG))
            ? TimestampType.LOG_APPEND_TIME
            : TimestampType.CREATE_TIME;
    this.timestampBeforeMaxMs = config.getLong(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG);
    this.timestampAfterMaxMs = config.getLong(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG);
    this.minInsyncReplicas = config.getInt(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
    this.retentionBytes = config.getLong(TopicConfig.RETENTION_BYTES_CONFIG);
    this.retentionMs = config.getLong(TopicConfig.RETENTION_MS_CONFIG);
    this.segmentBytes = config.getInt(TopicConfig.SEGMENT_BYTES_CONFIG);
    this.segmentMs = config.getLong(TopicConfig.SEGMENT_MS_CONFIG);
    this.remoteStorageEnable = config.getBoolean(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG);
    this.localRetentionMs = config.getLong(TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG);
    this.localRetentionBytes = config.getLong(TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG);
  }

  /** The topic's own overrides (names to string values). */
  public Map<String, String> overrides() {
    return overrides;
  }

  /** Every key with its effective value, as DescribeConfigs shows it. */
  public Map<String, ?> values() {
    return config.values();
  }

  /** True if records need keys (compacted topics, as in Kafka). */
  public boolean requiresKeys() {
    return cleanupPolicies.contains(TopicConfigs.CLEANUP_COMPACT);
  }

  /**
   * True if retention deletes old segments. A compact-only topic keeps everything: Strata does not
   * compact yet, and deleting by time would break the compaction contract.
   */
  public boolean deletesByRetention() {
    return cleanupPolicies.contains(TopicConfigs.CLEANUP_DELETE);
  }

  /**
   * The partition log's configuration for this topic: replication factor → ensemble and write
   * quorum, {@code min.insync.replicas} → ack quorum, retention and tiering as the log applies
   * them.
   */
  public LogConfig logConfig(int rf) {
    Map<String, Object> props = new HashMap<>();
    props.put(LogConfig.SEGMENT_BYTES, segmentBytes);
    props.put(LogConfig.SEGMENT_MS, segmentMs);
    props.put(LogConfig.RETENTION_MS, deletesByRetention() ? retentionMs : -1L);
    props.put(LogConfig.RETENTION_BYTES, deletesByRetention() ? retentionBytes : -1L);
    props.put(LogConfig.MAX_MESSAGE_BYTES, maxMessageBytes);
    props.put(LogConfig.ENSEMBLE_SIZE, rf);
    props.put(LogConfig.WRITE_QUORUM_SIZE, rf);
    props.put(LogConfig.ACK_QUORUM_SIZE, Math.min(rf, minInsyncReplicas));
    // Tiering (issue 7): the log offloads and trims its bookie copies itself.
    props.put(LogConfig.REMOTE_STORAGE_ENABLE, remoteStorageEnable);
    props.put(LogConfig.LOCAL_RETENTION_MS, deletesByRetention() ? localRetentionMs : -1L);
    props.put(LogConfig.LOCAL_RETENTION_BYTES, deletesByRetention() ? localRetentionBytes : -1L);
    return new LogConfig(props);
  }
}
