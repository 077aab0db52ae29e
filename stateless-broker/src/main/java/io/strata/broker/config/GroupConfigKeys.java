package io.strata.broker.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The group coordinator's configuration keys, with Kafka's names and defaults except where a
 * comment says why. Defined as part of the broker's keys ({@link BrokerConfigKeys#define}).
 */
public final class GroupConfigKeys {
  private GroupConfigKeys() {}

  public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
  public static final String OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor";
  public static final String OFFSETS_TOPIC_SEGMENT_BYTES = "offsets.topic.segment.bytes";
  public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
  public static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS =
      "offsets.retention.check.interval.ms";
  public static final String OFFSET_METADATA_MAX_BYTES = "offset.metadata.max.bytes";
  public static final String GROUP_INITIAL_REBALANCE_DELAY_MS = "group.initial.rebalance.delay.ms";
  public static final String GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms";
  public static final String GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms";
  public static final String GROUP_MAX_SIZE = "group.max.size";
  public static final String OFFSETS_CHECKPOINT_INTERVAL_BYTES =
      "strata.offsets.checkpoint.interval.bytes";

  /** Defines the keys on {@code def} and returns it. */
  public static ConfigDef define(ConfigDef def) {
    def.define(
        OFFSETS_TOPIC_NUM_PARTITIONS,
        Type.INT,
        16,
        Range.between(1, 1000),
        Importance.HIGH,
        "Partitions of the internal __consumer_offsets topic, fixed when the first group"
            + " coordinator request creates it. A group's coordinator is the owner of partition"
            + " abs(hash(group id)) % partitions. Kafka's default is 50; Strata's is smaller"
            + " because every partition is a ledger with its own ownership record that a broker"
            + " opens (and recovers) at start, and 16 still spreads groups over brokers.");
    def.define(
        OFFSETS_TOPIC_REPLICATION_FACTOR,
        Type.SHORT,
        (short) 3,
        Range.atLeast(1),
        Importance.HIGH,
        "Replication factor of __consumer_offsets: the bookies each group record and committed"
            + " offset is written to. Creating the topic fails (and group requests answer"
            + " COORDINATOR_NOT_AVAILABLE) until that many bookies are writable.");
    def.define(
        OFFSETS_TOPIC_SEGMENT_BYTES,
        Type.INT,
        100 * 1024 * 1024,
        Range.atLeast(1024 * 1024),
        Importance.LOW,
        "segment.bytes of __consumer_offsets (Kafka's default).");
    def.define(
        OFFSETS_RETENTION_MINUTES,
        Type.INT,
        7 * 24 * 60,
        Range.atLeast(1),
        Importance.HIGH,
        "How long the committed offsets of a group without members are kept: from when the"
            + " group became empty, or, for offsets committed outside group management, from"
            + " the commit.");
    def.define(
        OFFSETS_RETENTION_CHECK_INTERVAL_MS,
        Type.LONG,
        600_000L,
        Range.atLeast(1),
        Importance.LOW,
        "How often each coordinator looks for expired offsets.");
    def.define(
        OFFSET_METADATA_MAX_BYTES,
        Type.INT,
        4096,
        Range.atLeast(0),
        Importance.LOW,
        "Largest metadata string a commit may carry (else OFFSET_METADATA_TOO_LARGE).");
    def.define(
        GROUP_INITIAL_REBALANCE_DELAY_MS,
        Type.INT,
        3000,
        Range.atLeast(0),
        Importance.MEDIUM,
        "How long a new group's first rebalance waits for more members (extended by this much"
            + " while members keep joining, up to the rebalance timeout).");
    def.define(
        GROUP_MIN_SESSION_TIMEOUT_MS,
        Type.INT,
        6000,
        Range.atLeast(1),
        Importance.MEDIUM,
        "Smallest session.timeout.ms a member may ask for (else INVALID_SESSION_TIMEOUT).");
    def.define(
        GROUP_MAX_SESSION_TIMEOUT_MS,
        Type.INT,
        1_800_000,
        Range.atLeast(1),
        Importance.MEDIUM,
        "Largest session.timeout.ms a member may ask for (else INVALID_SESSION_TIMEOUT).");
    def.define(
        GROUP_MAX_SIZE,
        Type.INT,
        Integer.MAX_VALUE,
        Range.atLeast(1),
        Importance.MEDIUM,
        "Most members a group may have (else GROUP_MAX_SIZE_REACHED).");
    def.define(
        OFFSETS_CHECKPOINT_INTERVAL_BYTES,
        Type.LONG,
        1024L * 1024,
        Range.atLeast(64 * 1024),
        Importance.LOW,
        "Least bytes a coordinator partition appends before it checkpoints: writes its whole live"
            + " state (groups and offsets) as records and trims the log before them, so that a"
            + " broker loading the partition replays at most about three times the live state"
            + " plus this much. A checkpoint also waits until twice the previous one's size was"
            + " appended, which caps the checkpoints' share of writes at a third.");
    return def;
  }
}
