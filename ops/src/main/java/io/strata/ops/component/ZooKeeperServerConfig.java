package io.strata.ops.component;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of {@code strata zookeeper}: a single-node ZooKeeper server on 127.0.0.1 for a
 * one-host cluster. The keys are ZooKeeper's own names (as in Kafka's {@code
 * config/zookeeper.properties}). Unknown keys are logged and ignored, like the broker's.
 *
 * <p>Immutable and thread-safe.
 */
public final class ZooKeeperServerConfig extends AbstractConfig {
  public static final String DATA_DIR = "dataDir";
  public static final String CLIENT_PORT = "clientPort";

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              DATA_DIR,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Directory of ZooKeeper's snapshots and transaction log (created if missing); a"
                  + " relative path is relative to the working directory. Restarting on the same"
                  + " directory keeps every znode, so the cluster's metadata.")
          .define(
              CLIENT_PORT,
              Type.INT,
              2181,
              Range.between(0, 65535),
              Importance.HIGH,
              "Port for clients (brokers, bookies) on 127.0.0.1; 0 picks a free one, printed in"
                  + " the ready line.");

  private final Path dataDir;
  private final int clientPort;

  /**
   * @throws ConfigException naming the key and what is wrong
   */
  public ZooKeeperServerConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
    this.dataDir = Path.of(getString(DATA_DIR));
    this.clientPort = getInt(CLIENT_PORT);
    ConfigFiles.warnUnknown("zookeeper", CONFIG_DEF, props);
  }

  public Path dataDir() {
    return dataDir;
  }

  public int clientPort() {
    return clientPort;
  }
}
