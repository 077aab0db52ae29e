package io.strata.storage.api;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Per-log settings. Kafka's topic keys keep Kafka's meaning; the BookKeeper quorum keys are
 * Strata's. Immutable; values are read once into final fields and cross-checked.
 */
public final class LogConfig extends AbstractConfig {
  public static final String SEGMENT_BYTES = "segment.bytes";
  public static final String SEGMENT_MS = "segment.ms";
  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String ENSEMBLE_SIZE = "bookkeeper.ensemble.size";
  public static final String WRITE_QUORUM_SIZE = "bookkeeper.write.quorum.size";
  public static final String ACK_QUORUM_SIZE = "bookkeeper.ack.quorum.size";
  public static final String REMOTE_STORAGE_ENABLE = "remote.storage.enable";
  public static final String LOCAL_RETENTION_MS = "local.retention.ms";
  public static final String LOCAL_RETENTION_BYTES = "local.retention.bytes";

  /** {@code local.retention.*} value meaning "follow retention.*", as in Kafka. */
  public static final long FOLLOW_TOTAL_RETENTION = -2L;

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              SEGMENT_BYTES,
              Type.INT,
              1024 * 1024 * 1024,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Roll to a new segment (ledger) once the current one holds this many bytes.")
          .define(
              SEGMENT_MS,
              Type.LONG,
              7L * 24 * 60 * 60 * 1000,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Roll to a new segment once the current one is this old (checked on append).")
          .define(
              RETENTION_MS,
              Type.LONG,
              7L * 24 * 60 * 60 * 1000,
              Range.atLeast(-1),
              Importance.MEDIUM,
              "Delete sealed segments whose newest record is older than this; -1 keeps them.")
          .define(
              RETENTION_BYTES,
              Type.LONG,
              -1L,
              Range.atLeast(-1),
              Importance.MEDIUM,
              "Delete the oldest sealed segments while the log is larger than this; -1: no limit.")
          .define(
              MAX_MESSAGE_BYTES,
              Type.INT,
              1024 * 1024 + 12,
              Range.between(61, 5 * 1024 * 1024 - 1024),
              Importance.MEDIUM,
              "Largest record batch accepted (bookies' 5 MiB frame limit bounds it).")
          .define(
              ENSEMBLE_SIZE,
              Type.INT,
              3,
              Range.atLeast(1),
              Importance.HIGH,
              "Bookies each new ledger of the log is striped over.")
          .define(
              WRITE_QUORUM_SIZE,
              Type.INT,
              3,
              Range.atLeast(1),
              Importance.HIGH,
              "Bookies each entry is written to.")
          .define(
              ACK_QUORUM_SIZE,
              Type.INT,
              2,
              Range.atLeast(1),
              Importance.HIGH,
              "Bookies that must have fsync'd an entry before an append is acknowledged.")
          .define(
              REMOTE_STORAGE_ENABLE,
              Type.BOOLEAN,
              false,
              Importance.MEDIUM,
              "Offload sealed segments to the store's tier (if it has one).")
          .define(
              LOCAL_RETENTION_MS,
              Type.LONG,
              FOLLOW_TOTAL_RETENTION,
              Range.atLeast(-2),
              Importance.MEDIUM,
              "How long an offloaded segment also stays on the bookies (by its newest record);"
                  + " -2 follows retention.ms, -1 keeps it.")
          .define(
              LOCAL_RETENTION_BYTES,
              Type.LONG,
              FOLLOW_TOTAL_RETENTION,
              Range.atLeast(-2),
              Importance.MEDIUM,
              "Bytes the log may keep on the bookies before its oldest offloaded segments leave"
                  + " them; -2 follows retention.bytes, -1 no limit.");

  private final int segmentBytes;
  private final long segmentMs;
  private final long retentionMs;
  private final long retentionBytes;
  private final int maxMessageBytes;
  private final int ensembleSize;
  private final int writeQuorumSize;
  private final int ackQuorumSize;
  private final boolean remoteStorageEnable;
  private final long localRetentionMs;
  private final long localRetentionBytes;

  public LogConfig(Map<String, ?> props) {
    super(CONFIG_DEF, props, false);
    segmentBytes = getInt(SEGMENT_BYTES);
    segmentMs = getLong(SEGMENT_MS);
    retentionMs = getLong(RETENTION_MS);
    retentionBytes = getLong(RETENTION_BYTES);
    maxMessageBytes = getInt(MAX_MESSAGE_BYTES);
    ensembleSize = getInt(ENSEMBLE_SIZE);
    writeQuorumSize = getInt(WRITE_QUORUM_SIZE);
    ackQuorumSize = getInt(ACK_QUORUM_SIZE);
    remoteStorageEnable = getBoolean(REMOTE_STORAGE_ENABLE);
    localRetentionMs = getLong(LOCAL_RETENTION_MS);
    localRetentionBytes = getLong(LOCAL_RETENTION_BYTES);
    if (writeQuorumSize > ensembleSize) {
      throw new ConfigException(WRITE_QUORUM_SIZE, writeQuorumSize, "must be <= " + ENSEMBLE_SIZE);
    }
    if (ackQuorumSize > writeQuorumSize) {
      throw new ConfigException(ACK_QUORUM_SIZE, ackQuorumSize, "must be <= " + WRITE_QUORUM_SIZE);
    }
  }

  /** All defaults (3/3/2 quorums, 1 GiB / 7 day segments, 7 day retention). */
  public static LogConfig defaults() {
    return new LogConfig(Map.of());
  }

  /** Defaults with quorums {@code e/w/a}, e.g. 1/1/1 for a one-bookie setup. */
  public static LogConfig withQuorums(int ensemble, int write, int ack) {
    return new LogConfig(
        Map.of(ENSEMBLE_SIZE, ensemble, WRITE_QUORUM_SIZE, write, ACK_QUORUM_SIZE, ack));
  }

  public int segmentBytes() {
    return segmentBytes;
  }

  public long segmentMs() {
    return segmentMs;
  }

  public long retentionMs() {
    return retentionMs;
  }

  public long retentionBytes() {
    return retentionBytes;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  public int ensembleSize() {
    return ensembleSize;
  }

  public int writeQuorumSize() {
    return writeQuorumSize;
  }

  public int ackQuorumSize() {
    return ackQuorumSize;
  }

  public boolean remoteStorageEnable() {
    return remoteStorageEnable;
  }

  /** {@code local.retention.ms} as configured (-2: follow {@code retention.ms}). */
  public long localRetentionMs() {
    return localRetentionMs;
  }

  /** {@code local.retention.bytes} as configured (-2: follow {@code retention.bytes}). */
  public long localRetentionBytes() {
    return localRetentionBytes;
  }

  /** The effective local retention in ms: -1 keeps offloaded segments on the bookies. */
  public long effectiveLocalRetentionMs() {
    return localRetentionMs == FOLLOW_TOTAL_RETENTION ? retentionMs : localRetentionMs;
  }

  /** The effective local retention in bytes: -1 for no limit. */
  public long effectiveLocalRetentionBytes() {
    return localRetentionBytes == FOLLOW_TOTAL_RETENTION ? retentionBytes : localRetentionBytes;
  }
}
