package io.strata.broker.config;

import java.util.List;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidList;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The broker's own configuration keys, with Kafka's names where Kafka has the same setting. {@link
 * BrokerConfig} adds the protocol server's and the storage layer's keys to these.
 */
public final class BrokerConfigKeys {
  private BrokerConfigKeys() {}

  public static final String BROKER_ID = "broker.id";
  public static final String BROKER_RACK = "broker.rack";
  public static final String NUM_PARTITIONS = "num.partitions";
  public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable";
  public static final String DELETE_TOPIC_ENABLE = "delete.topic.enable";
  public static final String MESSAGE_MAX_BYTES = "message.max.bytes";
  public static final String LOG_RETENTION_MS = "log.retention.ms";
  public static final String LOG_RETENTION_MINUTES = "log.retention.minutes";
  public static final String LOG_RETENTION_HOURS = "log.retention.hours";
  public static final String LOG_RETENTION_BYTES = "log.retention.bytes";
  public static final String LOG_SEGMENT_BYTES = "log.segment.bytes";
  public static final String LOG_ROLL_MS = "log.roll.ms";
  public static final String LOG_ROLL_HOURS = "log.roll.hours";
  public static final String LOG_CLEANUP_POLICY = "log.cleanup.policy";
  public static final String LOG_MESSAGE_TIMESTAMP_TYPE = "log.message.timestamp.type";
  public static final String LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS =
      "log.message.timestamp.before.max.ms";
  public static final String LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS =
      "log.message.timestamp.after.max.ms";
  public static final String LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";
  public static final String LOG_LOCAL_RETENTION_MS = "log.local.retention.ms";
  public static final String LOG_LOCAL_RETENTION_BYTES = "log.local.retention.bytes";
  public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
  public static final String TAIL_CACHE_BYTES = "strata.cache.tail.bytes";
  public static final String CATCHUP_READAHEAD_BYTES = "strata.fetch.catchup.readahead.bytes";
  public static final String PRODUCER_SNAPSHOT_INTERVAL_BYTES =
      "strata.producer.snapshot.interval.bytes";
  public static final String SHUTDOWN_TIMEOUT_MS = "strata.shutdown.timeout.ms";
  public static final String CONTROLLER_BALANCE_INTERVAL_MS =
      "strata.controller.balance.interval.ms";
  public static final String CONTROLLER_MAX_MOVES = "strata.controller.max.moves";
  public static final String HANDOFF_TIMEOUT_MS = "strata.partition.handoff.timeout.ms";
  public static final String LOAD_REPORT_INTERVAL_MS = "strata.load.report.interval.ms";

  /** Defines the broker's keys on {@code def} and returns it. */
  public static ConfigDef define(ConfigDef def) {
    def.define(
        BROKER_ID,
        Type.INT,
        -1,
        Range.atLeast(-1),
        Importance.HIGH,
        "Id of this broker, as clients see it. -1 generates a unique id (1000 and up) from"
            + " ZooKeeper at each start; brokers are stateless, so a new id costs nothing.");
    def.define(
        BROKER_RACK,
        Type.STRING,
        null,
        Importance.LOW,
        "Rack of the broker, shown to clients in metadata.");
    def.define(
        NUM_PARTITIONS,
        Type.INT,
        1,
        Range.atLeast(1),
        Importance.MEDIUM,
        "Partitions of a topic created without a partition count (auto-created or -1).");
    def.define(
        DEFAULT_REPLICATION_FACTOR,
        Type.INT,
        3,
        Range.between(1, Short.MAX_VALUE),
        Importance.MEDIUM,
        "Replication factor of a topic created without one: the number of bookies each write"
            + " goes to (BookKeeper ensemble and write quorum). Must not exceed the live"
            + " bookies.");
    def.define(
        MIN_INSYNC_REPLICAS,
        Type.INT,
        2,
        Range.atLeast(1),
        Importance.HIGH,
        "Default ack quorum: bookies that must fsync a write before it is acknowledged. Capped"
            + " at the topic's replication factor.");
    def.define(
        AUTO_CREATE_TOPICS_ENABLE,
        Type.BOOLEAN,
        true,
        Importance.MEDIUM,
        "Create a topic, with the defaults above, when a client asks metadata for an unknown"
            + " one.");
    def.define(
        DELETE_TOPIC_ENABLE,
        Type.BOOLEAN,
        true,
        Importance.MEDIUM,
        "Allow DeleteTopics; when false it fails with TOPIC_DELETION_DISABLED.");
    def.define(
        MESSAGE_MAX_BYTES,
        Type.INT,
        1024 * 1024 + 12,
        Range.atLeast(0),
        Importance.MEDIUM,
        "Default "
            + TopicConfig.MAX_MESSAGE_BYTES_CONFIG
            + ": the largest batch a produce may"
            + " append.");
    def.define(
        LOG_RETENTION_MS,
        Type.LONG,
        null,
        Importance.MEDIUM,
        "Default retention.ms; when unset, log.retention.minutes, then log.retention.hours.");
    def.define(
        LOG_RETENTION_MINUTES,
        Type.INT,
        null,
        Importance.LOW,
        "Default retention in minutes, used when log.retention.ms is unset.");
    def.define(
        LOG_RETENTION_HOURS,
        Type.INT,
        168,
        Range.atLeast(-1),
        Importance.MEDIUM,
        "Default retention in hours, used when log.retention.ms and .minutes are unset.");
    def.define(
        LOG_RETENTION_BYTES,
        Type.LONG,
        -1L,
        Range.atLeast(-1),
        Importance.MEDIUM,
        "Default retention.bytes per partition; -1 for no limit.");
    def.define(
        LOG_SEGMENT_BYTES,
        Type.INT,
        1024 * 1024 * 1024,
        Range.atLeast(1024 * 1024),
        Importance.MEDIUM,
        "Default segment.bytes: size at which a segment's ledger is closed.");
    def.define(
        LOG_ROLL_MS,
        Type.LONG,
        null,
        Importance.LOW,
        "Default segment.ms; when unset, log.roll.hours.");
    def.define(
        LOG_ROLL_HOURS,
        Type.INT,
        168,
        Range.atLeast(1),
        Importance.MEDIUM,
        "Default segment age, in hours, at which a segment's ledger is closed.");
    def.define(
        LOG_CLEANUP_POLICY,
        Type.LIST,
        List.of(TopicConfigs.CLEANUP_DELETE),
        ValidList.in(TopicConfigs.CLEANUP_DELETE, TopicConfigs.CLEANUP_COMPACT),
        Importance.MEDIUM,
        "Default cleanup.policy.");
    def.define(
        LOG_MESSAGE_TIMESTAMP_TYPE,
        Type.STRING,
        "CreateTime",
        ValidString.in("CreateTime", "LogAppendTime"),
        Importance.MEDIUM,
        "Default message.timestamp.type.");
    def.define(
        LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS,
        Type.LONG,
        Long.MAX_VALUE,
        Range.atLeast(0),
        Importance.LOW,
        "Default message.timestamp.before.max.ms.");
    def.define(
        LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS,
        Type.LONG,
        3_600_000L,
        Range.atLeast(0),
        Importance.LOW,
        "Default message.timestamp.after.max.ms.");
    def.define(
        LOG_RETENTION_CHECK_INTERVAL_MS,
        Type.LONG,
        300_000L,
        Range.atLeast(1),
        Importance.MEDIUM,
        "How often each owned partition applies its retention.");
    def.define(
        LOG_LOCAL_RETENTION_MS,
        Type.LONG,
        TopicConfigs.LOCAL_RETENTION_FOLLOWS_TOTAL,
        Range.atLeast(-2),
        Importance.MEDIUM,
        "Default local.retention.ms (-2 follows retention.ms).");
    def.define(
        LOG_LOCAL_RETENTION_BYTES,
        Type.LONG,
        TopicConfigs.LOCAL_RETENTION_FOLLOWS_TOTAL,
        Range.atLeast(-2),
        Importance.MEDIUM,
        "Default local.retention.bytes (-2 follows retention.bytes).");
    def.define(
        PRODUCER_ID_EXPIRATION_MS,
        Type.INT,
        86_400_000,
        Range.atLeast(1),
        Importance.LOW,
        "How long a partition remembers an idempotent producer after its last write.");
    def.define(
        TAIL_CACHE_BYTES,
        Type.LONG,
        256L * 1024 * 1024,
        Range.atLeast(0),
        Importance.MEDIUM,
        "Memory for recently appended batches that tailing consumers read, in bytes. Catch-up"
            + " reads bypass it, so they cannot evict what tailing consumers need.");
    def.define(
        CATCHUP_READAHEAD_BYTES,
        Type.INT,
        4 * 1024 * 1024,
        Range.between(0, 64 * 1024 * 1024),
        Importance.LOW,
        "Bytes read from the bookies ahead of a consumer reading behind the tail; the next chunk is"
            + " read while it consumes this one (0 disables read-ahead).");
    def.define(
        PRODUCER_SNAPSHOT_INTERVAL_BYTES,
        Type.LONG,
        64L * 1024 * 1024,
        Range.atLeast(1024 * 1024),
        Importance.LOW,
        "Appended bytes between snapshots of a partition's idempotent-producer state; bounds the"
            + " replay when a broker loads the partition.");
    def.define(
        SHUTDOWN_TIMEOUT_MS,
        Type.LONG,
        30_000L,
        Range.atLeast(0),
        Importance.LOW,
        "How long a controlled shutdown waits for in-flight appends and seals before it gives"
            + " up.");
    def.define(
        CONTROLLER_BALANCE_INTERVAL_MS,
        Type.LONG,
        30_000L,
        Range.atLeast(100),
        Importance.MEDIUM,
        "How often the controller moves partitions toward an even load. Partitions of brokers"
            + " that left are reassigned at once, not on this schedule.");
    def.define(
        CONTROLLER_MAX_MOVES,
        Type.INT,
        5,
        Range.atLeast(0),
        Importance.MEDIUM,
        "Most partitions the controller moves per balancing round, so balancing never causes a"
            + " storm; 0 turns balancing off.");
    def.define(
        HANDOFF_TIMEOUT_MS,
        Type.LONG,
        30_000L,
        Range.atLeast(0),
        Importance.LOW,
        "How long a broker waits for a live owner to hand a partition over before taking it"
            + " over anyway (fencing the old owner).");
    def.define(
        LOAD_REPORT_INTERVAL_MS,
        Type.LONG,
        10_000L,
        Range.atLeast(100),
        Importance.LOW,
        "How often a broker publishes its per-partition traffic for the controller.");
    GroupConfigKeys.define(def);
    return def;
  }
}
