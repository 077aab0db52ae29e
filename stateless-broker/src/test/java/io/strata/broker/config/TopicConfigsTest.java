package io.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TopicConfigsTest {

  @Test
  void unknownKeysAndBadValuesAreRejectedWithTheKeyNamed() {
    assertThatThrownBy(() -> TopicConfigs.validate(Map.of("retention.msec", "5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("retention.msec");
    assertThatThrownBy(() -> TopicConfigs.validate(Map.of("retention.ms", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("retention.ms");
    assertThatThrownBy(() -> TopicConfigs.validate(Map.of("cleanup.policy", "shred")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cleanup.policy");
    assertThatThrownBy(() -> TopicConfigs.validate(Map.of("segment.bytes", "100")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("segment.bytes");
    assertThatThrownBy(() -> TopicConfigs.validate(Map.of("compression.type", "gzip")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("compression.type");
  }

  @Test
  void overridesWinOverBrokerDefaults() {
    Map<String, String> overrides =
        TopicConfigs.validate(
            Map.of(
                "retention.ms", " 60000 ",
                "message.timestamp.type", "LogAppendTime",
                "cleanup.policy", "compact,delete"));
    TopicSettings s =
        new TopicSettings(Map.of("retention.ms", "1", "segment.ms", "5000"), overrides);
    assertThat(s.retentionMs).isEqualTo(60000L);
    assertThat(s.segmentMs).isEqualTo(5000L);
    assertThat(s.timestampType).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(s.requiresKeys()).isTrue();
    assertThat(s.deletesByRetention()).isTrue();
    assertThat(
            new TopicSettings(Map.of(), Map.of("cleanup.policy", "compact")).deletesByRetention())
        .isFalse();
  }

  @Test
  void compatibilityKeysAreAcceptedButDocumentedAsWithoutEffect() {
    assertThat(TopicConfigs.validate(Map.of("unclean.leader.election.enable", "true")))
        .containsEntry("unclean.leader.election.enable", "true");
    assertThat(TopicConfigs.CONFIG_DEF.configKeys().get("preallocate").documentation)
        .contains("no effect");
  }
}
