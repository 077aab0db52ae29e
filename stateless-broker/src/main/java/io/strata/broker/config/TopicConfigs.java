package io.strata.broker.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidList;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The topic-level configuration keys Strata accepts, with Kafka's names and meanings.
 *
 * <p>Keys fall in two groups. <em>Effective</em> keys change what Strata does (retention, segment
 * roll, message size, timestamps, durability, tiering). <em>Compatibility</em> keys are Kafka topic
 * configs that describe how Kafka lays out local files or elects leaders; Strata validates and
 * stores them so that tools and frameworks that set them (Kafka Streams, Connect, Terraform
 * providers) keep working, and documents that they have no effect.
 *
 * <p>Defaults here are Kafka's; at run time a broker overlays its own {@code log.*} defaults (see
 * {@link BrokerConfig#topicDefaults()}). Thread-safe: immutable.
 */
public final class TopicConfigs {

  /** Value of {@code cleanup.policy} for time/size based deletion. */
  public static final String CLEANUP_DELETE = TopicConfig.CLEANUP_POLICY_DELETE;

  /** Value of {@code cleanup.policy} for compaction. */
  public static final String CLEANUP_COMPACT = TopicConfig.CLEANUP_POLICY_COMPACT;

  /** {@code local.retention.*} value meaning "follow retention.*", as in Kafka. */
  public static final long LOCAL_RETENTION_FOLLOWS_TOTAL = -2L;

  private static final String NO_EFFECT =
      " Accepted for compatibility with Kafka tools; it has no effect in Strata, whose segments are"
          + " BookKeeper ledgers rather than local files.";

  /** The keys that change Strata's behaviour. */
  public static final Set<String> EFFECTIVE_KEYS =
      Set.of(
          TopicConfig.CLEANUP_POLICY_CONFIG,
          TopicConfig.COMPRESSION_TYPE_CONFIG,
          TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
          TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
          TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
          TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
          TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
          TopicConfig.RETENTION_BYTES_CONFIG,
          TopicConfig.RETENTION_MS_CONFIG,
          TopicConfig.SEGMENT_BYTES_CONFIG,
          TopicConfig.SEGMENT_MS_CONFIG,
          TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG,
          TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG,
          TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG);

  /** Every topic-level key, with Kafka's defaults. */
  public static final ConfigDef CONFIG_DEF = buildConfigDef();

  private TopicConfigs() {}

  private static ConfigDef buildConfigDef() {
    ConfigDef def = new ConfigDef();
    def.define(
        TopicConfig.CLEANUP_POLICY_CONFIG,
        Type.LIST,
        List.of(CLEANUP_DELETE),
        ValidList.in(CLEANUP_DELETE, CLEANUP_COMPACT),
        Importance.MEDIUM,
        "'delete' removes whole segments past retention.ms / retention.bytes. 'compact' keeps every"
            + " record (Strata does not compact yet, so nothing is deleted) and requires record keys;"
            + " 'compact,delete' applies retention as 'delete' does.");
    def.define(
        TopicConfig.COMPRESSION_TYPE_CONFIG,
        Type.STRING,
        "producer",
        ValidString.in("producer"),
        Importance.MEDIUM,
        "Strata keeps each batch compressed as the producer sent it, so only 'producer' is"
            + " accepted.");
    def.define(
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        Type.INT,
        1024 * 1024 + 12,
        Range.atLeast(0),
        Importance.MEDIUM,
        "Largest record batch (after compression) a produce may append, in bytes; larger batches"
            + " get MESSAGE_TOO_LARGE.");
    def.define(
        TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
        Type.STRING,
        "CreateTime",
        ValidString.in("CreateTime", "LogAppendTime"),
        Importance.MEDIUM,
        "CreateTime keeps the producer's timestamps; LogAppendTime replaces them with the broker's"
            + " clock when the batch is appended.");
    def.define(
        TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
        Type.LONG,
        Long.MAX_VALUE,
        Range.atLeast(0),
        Importance.MEDIUM,
        "With CreateTime, how far a record's timestamp may lie before the broker's clock, in ms;"
            + " older records get INVALID_TIMESTAMP.");
    def.define(
        TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
        Type.LONG,
        3_600_000L,
        Range.atLeast(0),
        Importance.MEDIUM,
        "With CreateTime, how far a record's timestamp may lie after the broker's clock, in ms;"
            + " later records get INVALID_TIMESTAMP.");
    def.define(
        TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
        Type.INT,
        1,
        Range.atLeast(1),
        Importance.HIGH,
        "BookKeeper ack quorum: how many bookies must fsync a batch before a produce with acks=1"
            + " or acks=all is acknowledged. At most the replication factor.");
    def.define(
        TopicConfig.RETENTION_BYTES_CONFIG,
        Type.LONG,
        -1L,
        Range.atLeast(-1),
        Importance.MEDIUM,
        "Size a partition may keep before its oldest whole segments are deleted, in bytes;"
            + " -1 for no limit.");
    def.define(
        TopicConfig.RETENTION_MS_CONFIG,
        Type.LONG,
        7L * 24 * 3600 * 1000,
        Range.atLeast(-1),
        Importance.MEDIUM,
        "How long a segment is kept after its newest record, in ms; -1 for ever.");
    def.define(
        TopicConfig.SEGMENT_BYTES_CONFIG,
        Type.INT,
        1024 * 1024 * 1024,
        Range.atLeast(1024 * 1024),
        Importance.MEDIUM,
        "A segment (one BookKeeper ledger) is closed and a new one started at this size, in"
            + " bytes.");
    def.define(
        TopicConfig.SEGMENT_MS_CONFIG,
        Type.LONG,
        7L * 24 * 3600 * 1000,
        Range.atLeast(1),
        Importance.MEDIUM,
        "A segment is closed and a new one started once it is this old, in ms.");
    def.define(
        TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG,
        Type.BOOLEAN,
        false,
        Importance.MEDIUM,
        "Offload closed segments to the broker's tier store (S3, HDFS or a local directory).");
    def.define(
        TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG,
        Type.LONG,
        LOCAL_RETENTION_FOLLOWS_TOTAL,
        Range.atLeast(-2),
        Importance.MEDIUM,
        "How long an offloaded segment also stays on the bookies, in ms; -2 follows retention.ms.");
    def.define(
        TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG,
        Type.LONG,
        LOCAL_RETENTION_FOLLOWS_TOTAL,
        Range.atLeast(-2),
        Importance.MEDIUM,
        "How many bytes of offloaded segments also stay on the bookies; -2 follows"
            + " retention.bytes.");

    // Kafka topic configs about local files, cleaner tuning and leader election.
    defineNoEffect(def, TopicConfig.SEGMENT_JITTER_MS_CONFIG, Type.LONG, 0L, Range.atLeast(0));
    defineNoEffect(
        def, TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, Type.INT, 10 * 1024 * 1024, Range.atLeast(4));
    defineNoEffect(
        def,
        TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG,
        Type.LONG,
        Long.MAX_VALUE,
        Range.atLeast(1));
    defineNoEffect(def, TopicConfig.FLUSH_MS_CONFIG, Type.LONG, Long.MAX_VALUE, Range.atLeast(0));
    defineNoEffect(def, TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, Type.INT, 4096, Range.atLeast(0));
    defineNoEffect(
        def, TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, Type.LONG, 60000L, Range.atLeast(0));
    defineNoEffect(
        def, TopicConfig.DELETE_RETENTION_MS_CONFIG, Type.LONG, 86_400_000L, Range.atLeast(0));
    defineNoEffect(def, TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Type.LONG, 0L, Range.atLeast(0));
    defineNoEffect(
        def, TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, Type.LONG, Long.MAX_VALUE, Range.atLeast(1));
    defineNoEffect(
        def, TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, Type.DOUBLE, 0.5, Range.between(0, 1));
    defineNoEffect(
        def, TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, Type.BOOLEAN, false, null);
    defineNoEffect(def, TopicConfig.PREALLOCATE_CONFIG, Type.BOOLEAN, false, null);
    return def;
  }

  private static void defineNoEffect(
      ConfigDef def, String name, Type type, Object defaultValue, ConfigDef.Validator validator) {
    def.define(
        name, type, defaultValue, validator, Importance.LOW, "Kafka's " + name + "." + NO_EFFECT);
  }

  /**
   * Checks topic overrides as CreateTopics / AlterConfigs receive them.
   *
   * @return the overrides with names and values normalised (trimmed)
   * @throws ConfigException naming the key and what is wrong, for an unknown key or a bad value
   */
  public static Map<String, String> validate(Map<String, String> overrides) {
    Map<String, String> clean = new HashMap<>();
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      String name = e.getKey() == null ? "" : e.getKey().trim();
      if (!CONFIG_DEF.names().contains(name)) {
        throw new ConfigException(
            "Unknown topic config name: '"
                + name
                + "'. Strata accepts Kafka's topic configs: "
                + String.join(", ", CONFIG_DEF.names()));
      }
      if (e.getValue() == null) {
        throw new ConfigException(name, null, "a topic config override needs a value");
      }
      String value = e.getValue().trim();
      ConfigDef.ConfigKey key = CONFIG_DEF.configKeys().get(name);
      Object parsed = ConfigDef.parseType(name, value, key.type);
      if (key.validator != null) {
        key.validator.ensureValid(name, parsed);
      }
      clean.put(name, value);
    }
    return clean;
  }

  /** The cleanup policies named in a {@code cleanup.policy} value, lower-cased. */
  public static Set<String> cleanupPolicies(List<String> value) {
    return Set.copyOf(value.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).toList());
  }
}
