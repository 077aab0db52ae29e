package io.strata.ops.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.broker.config.BrokerConfig;
import io.strata.storage.api.LogStoreConfig;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ComponentConfigTest {
  private static final Path EXAMPLES = Path.of("config");

  @Test
  void zooKeeperErrorsNameTheKey() {
    assertThatThrownBy(() -> new ZooKeeperServerConfig(Map.of("clientPort", "2181")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dataDir");
    assertThatThrownBy(
            () -> new ZooKeeperServerConfig(Map.of("dataDir", "zk", "clientPort", "70000")))
        .hasMessageContaining("clientPort");
  }

  @Test
  void bookieErrorsNameTheKey() {
    Map<String, String> ok =
        Map.of("bookie.id", "bookie-1", "bookie.data.dir", "b1", "zookeeper.connect", "h:1");
    assertThat(new BookieServerConfig(ok).port()).isEqualTo(3181);
    assertThatThrownBy(() -> new BookieServerConfig(with(ok, "bookie.id", "127.0.0.1:3181")))
        .hasMessageContaining("bookie.id");
    assertThatThrownBy(() -> new BookieServerConfig(with(ok, "bookie.port", "-1")))
        .hasMessageContaining("bookie.port");
    assertThatThrownBy(() -> new BookieServerConfig(with(ok, "bookie.journal.sync.data", "yes")))
        .hasMessageContaining("bookie.journal.sync.data");
    assertThatThrownBy(() -> new BookieServerConfig(with(ok, "zookeeper.connect", "")))
        .hasMessageContaining("zookeeper.connect")
        .hasMessageContaining("bookkeeper.metadata.service.uri");
  }

  /** Bookies and brokers configured with the same zookeeper.connect must meet in one place. */
  @Test
  void bookieDerivesTheBrokersMetadataServiceUri() {
    String connect = "10.0.0.1:2181,10.0.0.2:2181";
    BookieServerConfig bookie =
        new BookieServerConfig(
            Map.of("bookie.id", "b", "bookie.data.dir", "d", "zookeeper.connect", connect));
    LogStoreConfig broker = new LogStoreConfig(Map.of("zookeeper.connect", connect));
    assertThat(bookie.metadataServiceUri()).isEqualTo(broker.bookkeeperMetadataUri());
  }

  /** The examples in ops/config parse, and use no key their component does not know (typos). */
  @Test
  void exampleFilesAreValidAndUseOnlyKnownKeys() throws Exception {
    Map<String, String> zk = ConfigFiles.read(EXAMPLES.resolve("zookeeper.properties"));
    assertThat(new ZooKeeperServerConfig(zk).clientPort()).isEqualTo(2181);
    assertKnown(zk, ZooKeeperServerConfig.CONFIG_DEF);

    Map<String, String> bookie = ConfigFiles.read(EXAMPLES.resolve("bookie.properties"));
    assertThat(new BookieServerConfig(bookie).bookieId()).isEqualTo("bookie-1");
    assertKnown(bookie, BookieServerConfig.CONFIG_DEF);

    Map<String, String> broker = ConfigFiles.read(EXAMPLES.resolve("broker.properties"));
    BrokerConfig config = new BrokerConfig(broker);
    assertThat(config.brokerId()).isEqualTo(1);
    assertThat(config.zookeeperConnect()).isEqualTo("127.0.0.1:2181");
    assertKnown(broker, BrokerConfig.CONFIG_DEF);
  }

  @Test
  void loadNamesTheFileAndAppliesOverrides() throws Exception {
    Path file = EXAMPLES.resolve("zookeeper.properties");
    assertThat(
            ConfigFiles.load(file, Map.of("clientPort", "2200"), ZooKeeperServerConfig::new)
                .clientPort())
        .isEqualTo(2200);
    assertThatThrownBy(
            () -> ConfigFiles.load(file, Map.of("clientPort", "x"), ZooKeeperServerConfig::new))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("clientPort");
    assertThatThrownBy(
            () ->
                ConfigFiles.load(
                    EXAMPLES.resolve("missing.properties"), Map.of(), ZooKeeperServerConfig::new))
        .hasMessageContaining("missing.properties")
        .hasMessageContaining("not found");
  }

  private static void assertKnown(Map<String, String> props, ConfigDef def) {
    assertThat(def.names()).containsAll(props.keySet());
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> m = new java.util.HashMap<>(base);
    m.put(key, value);
    return m;
  }
}
