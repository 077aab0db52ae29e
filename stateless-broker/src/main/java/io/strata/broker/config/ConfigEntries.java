package io.strata.broker.config;

import static io.strata.broker.config.BrokerConfigKeys.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

/**
 * Config values as DescribeConfigs and CreateTopics report them: value, where it came from, type
 * and documentation.
 */
public final class ConfigEntries {
  private ConfigEntries() {}

  /** One reported config. */
  public record Entry(
      String name,
      String value,
      ConfigSource source,
      ConfigType type,
      String documentation,
      boolean readOnly,
      boolean sensitive) {}

  /** The broker key(s) that set the default of each topic key, in Kafka's precedence. */
  private static final Map<String, List<String>> BROKER_KEYS_OF_TOPIC_KEY =
      Map.ofEntries(
          Map.entry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, List.of(MESSAGE_MAX_BYTES)),
          Map.entry(
              TopicConfig.RETENTION_MS_CONFIG,
              List.of(LOG_RETENTION_MS, LOG_RETENTION_MINUTES, LOG_RETENTION_HOURS)),
          Map.entry(TopicConfig.RETENTION_BYTES_CONFIG, List.of(LOG_RETENTION_BYTES)),
          Map.entry(TopicConfig.SEGMENT_BYTES_CONFIG, List.of(LOG_SEGMENT_BYTES)),
          Map.entry(TopicConfig.SEGMENT_MS_CONFIG, List.of(LOG_ROLL_MS, LOG_ROLL_HOURS)),
          Map.entry(TopicConfig.CLEANUP_POLICY_CONFIG, List.of(LOG_CLEANUP_POLICY)),
          Map.entry(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, List.of(LOG_MESSAGE_TIMESTAMP_TYPE)),
          Map.entry(
              TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
              List.of(LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS)),
          Map.entry(
              TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
              List.of(LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS)),
          Map.entry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, List.of(MIN_INSYNC_REPLICAS)),
          Map.entry(TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, List.of(LOG_LOCAL_RETENTION_MS)),
          Map.entry(
              TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, List.of(LOG_LOCAL_RETENTION_BYTES)));

  /** Every topic config with its effective value and source. */
  public static List<Entry> topic(BrokerConfig broker, Map<String, String> overrides) {
    TopicSettings settings = broker.topicSettings(overrides);
    Map<String, ?> values = settings.values();
    List<Entry> out = new ArrayList<>();
    for (ConfigDef.ConfigKey key : TopicConfigs.CONFIG_DEF.configKeys().values()) {
      ConfigSource source;
      if (overrides.containsKey(key.name)) {
        source = ConfigSource.TOPIC_CONFIG;
      } else if (BROKER_KEYS_OF_TOPIC_KEY.getOrDefault(key.name, List.of()).stream()
          .anyMatch(k -> broker.originals().containsKey(k))) {
        source = ConfigSource.STATIC_BROKER_CONFIG;
      } else {
        source = ConfigSource.DEFAULT_CONFIG;
      }
      out.add(
          new Entry(
              key.name,
              ConfigDef.convertToString(values.get(key.name), key.type),
              source,
              typeOf(key.type),
              key.documentation,
              false,
              false));
    }
    return out;
  }

  /**
   * Every broker config with its value. All are read-only: Strata has no dynamic broker configs;
   * change the properties file and restart (brokers are stateless, so a restart moves no data).
   */
  public static List<Entry> broker(BrokerConfig broker) {
    List<Entry> out = new ArrayList<>();
    Map<String, ?> values = broker.values();
    for (ConfigDef.ConfigKey key : BrokerConfig.CONFIG_DEF.configKeys().values()) {
      boolean sensitive = key.type == ConfigDef.Type.PASSWORD;
      out.add(
          new Entry(
              key.name,
              sensitive ? null : ConfigDef.convertToString(values.get(key.name), key.type),
              broker.originals().containsKey(key.name)
                  ? ConfigSource.STATIC_BROKER_CONFIG
                  : ConfigSource.DEFAULT_CONFIG,
              typeOf(key.type),
              key.documentation,
              true,
              sensitive));
    }
    return out;
  }

  private static ConfigType typeOf(ConfigDef.Type t) {
    return switch (t) {
      case BOOLEAN -> ConfigType.BOOLEAN;
      case STRING -> ConfigType.STRING;
      case INT -> ConfigType.INT;
      case SHORT -> ConfigType.SHORT;
      case LONG -> ConfigType.LONG;
      case DOUBLE -> ConfigType.DOUBLE;
      case LIST -> ConfigType.LIST;
      case CLASS -> ConfigType.CLASS;
      case PASSWORD -> ConfigType.PASSWORD;
    };
  }
}
