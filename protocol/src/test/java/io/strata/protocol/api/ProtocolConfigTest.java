package io.strata.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProtocolConfigTest {

  @Test
  void defaults() {
    ProtocolConfig c = new ProtocolConfig(Map.of());
    assertThat(c.listeners())
        .containsExactly(new Endpoint("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", 9092));
    assertThat(c.advertisedListeners()).isEqualTo(c.listeners());
    assertThat(c.socketRequestMaxBytes()).isEqualTo(100 * 1024 * 1024);
    assertThat(c.connectionsMaxIdleMs()).isEqualTo(600_000L);
    assertThat(c.maxInflightRequests()).isEqualTo(100);
    assertThat(c.maxInflightBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(c.networkThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(c.sendBufferBytes()).isEqualTo(102_400);
    assertThat(c.receiveBufferBytes()).isEqualTo(102_400);
  }

  @Test
  void namedListenersThroughTheProtocolMap() {
    ProtocolConfig c =
        new ProtocolConfig(
            Map.of(
                "listeners", "internal://:0, EXTERNAL://[::1]:9093",
                "listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
                "advertised.listeners", "EXTERNAL://broker.example.com:19093"));
    assertThat(c.listeners())
        .containsExactly(
            new Endpoint("INTERNAL", SecurityProtocol.PLAINTEXT, "", 0),
            new Endpoint("EXTERNAL", SecurityProtocol.PLAINTEXT, "::1", 9093));
    assertThat(c.advertisedListeners())
        .containsExactly(
            new Endpoint("EXTERNAL", SecurityProtocol.PLAINTEXT, "broker.example.com", 19093));
  }

  @Test
  void securityProtocolsOtherThanPlaintextAreRejectedClearly() {
    assertThatThrownBy(() -> new ProtocolConfig(Map.of("listeners", "SSL://127.0.0.1:9093")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SSL")
        .hasMessageContaining("does not serve yet");
    assertThatThrownBy(
            () -> new ProtocolConfig(Map.of("listeners", "SASL_PLAINTEXT://127.0.0.1:9093")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SASL_PLAINTEXT");
  }

  @Test
  void badListenersAreRejected() {
    for (String bad :
        new String[] {
          "127.0.0.1:9092",
          "PLAINTEXT://127.0.0.1",
          "PLAINTEXT://127.0.0.1:70000",
          "UNMAPPED://127.0.0.1:9092",
          "PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093",
          ""
        }) {
      assertThatThrownBy(() -> new ProtocolConfig(Map.of("listeners", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class);
    }
  }

  @Test
  void advertisedListenersMustNameAListenerAndBeRoutable() {
    assertThatThrownBy(
            () ->
                new ProtocolConfig(
                    Map.of(
                        "listeners", "PLAINTEXT://127.0.0.1:0",
                        "advertised.listeners", "SSL://host:9093")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not one of listeners");
    assertThatThrownBy(() -> new ProtocolConfig(Map.of("listeners", "PLAINTEXT://0.0.0.0:9092")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("0.0.0.0");
  }

  @Test
  void numericValidators() {
    assertThat(new ProtocolConfig(Map.of("connections.max.idle.ms", "-1")).connectionsMaxIdleMs())
        .isEqualTo(-1L);
    for (Map<String, String> bad :
        java.util.List.of(
            Map.of("connections.max.idle.ms", "0"),
            Map.of("socket.request.max.bytes", "0"),
            Map.of("strata.connection.max.inflight.requests", "0"),
            Map.of("strata.connection.max.inflight.bytes", "0"),
            Map.of("strata.network.threads", "-1"))) {
      assertThatThrownBy(() -> new ProtocolConfig(bad))
          .as(bad.toString())
          .isInstanceOf(ConfigException.class);
    }
  }

  @Test
  void referenceTablesListEveryKeyWithItsDoc() {
    String markdown = ProtocolConfig.toMarkdownTable();
    String html = ProtocolConfig.toHtmlTable();
    ConfigDef def = ProtocolConfig.configDef();
    assertThat(def.names()).hasSize(11);
    for (ConfigDef.ConfigKey key : def.configKeys().values()) {
      assertThat(key.documentation).as(key.name).isNotBlank();
      assertThat(markdown).contains("| `" + key.name + "` |");
      assertThat(html).contains(key.name);
    }
    assertThat(markdown).startsWith("| Name | Description | Type | Default | Valid values |");
  }
}
