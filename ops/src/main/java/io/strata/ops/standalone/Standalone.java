package io.strata.ops.standalone;

import io.strata.broker.Broker;
import io.strata.broker.config.BrokerConfig;
import io.strata.storage.embedded.EmbeddedBookie;
import io.strata.storage.embedded.LocalStorageCluster;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.utils.Time;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ZooKeeper, bookies and one broker in this JVM, on one data directory ({@code strata standalone},
 * and the integration tests). The tier store is {@code DATA_DIR/tier} unless {@code
 * strata.tier.uri} is overridden.
 *
 * <p>A file lock on the data directory guarantees one instance per directory; that is what makes it
 * safe, at start, to remove the previous instance's broker registration that ZooKeeper restored
 * from disk (its process is gone, or the lock would be held), instead of waiting a session timeout
 * for it to expire.
 */
public final class Standalone implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Standalone.class);

  private final FileChannel lockChannel;
  private final FileLock lock;
  private final LocalStorageCluster storage;
  private final Broker broker;

  private Standalone(
      FileChannel lockChannel, FileLock lock, LocalStorageCluster storage, Broker broker) {
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.storage = storage;
    this.broker = broker;
  }

  /**
   * Starts everything; blocks until the broker serves.
   *
   * @param dataDir created if missing
   * @param port Kafka listener port on 127.0.0.1, 0 for any free one
   * @param bookies number of bookies
   * @param overrides broker properties that win over the standalone defaults
   * @throws IllegalStateException if another instance holds the data dir
   */
  public static Standalone start(Path dataDir, int port, int bookies, Map<String, String> overrides)
      throws Exception {
    return start(dataDir, port, bookies, overrides, EmbeddedBookie.Settings.defaults());
  }

  /** As {@link #start(Path, int, int, Map)}, with bookie settings (tests shorten GC, say). */
  public static Standalone start(
      Path dataDir,
      int port,
      int bookies,
      Map<String, String> overrides,
      EmbeddedBookie.Settings bookieSettings)
      throws Exception {
    Files.createDirectories(dataDir);
    FileChannel channel =
        FileChannel.open(
            dataDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = channel.tryLock();
    if (lock == null) {
      channel.close();
      throw new IllegalStateException(
          "Another Strata standalone is using " + dataDir.toAbsolutePath() + "; stop it first.");
    }
    LocalStorageCluster storage = null;
    Broker broker = null;
    try {
      storage =
          LocalStorageCluster.builder(dataDir.resolve("storage"))
              .bookies(bookies)
              .bookieSettings(bookieSettings)
              .start();
      Map<String, Object> props = new HashMap<>();
      props.put("broker.id", "0");
      props.put("listeners", "PLAINTEXT://127.0.0.1:" + port);
      props.put("zookeeper.connect", storage.zkConnectString());
      props.put("bookkeeper.metadata.service.uri", storage.metadataServiceUri());
      props.put("default.replication.factor", String.valueOf(Math.min(bookies, 3)));
      props.put("min.insync.replicas", String.valueOf(Math.min(bookies, 2)));
      props.put("offsets.topic.replication.factor", String.valueOf(Math.min(bookies, 3)));
      // The tier defaults to a directory beside the bookies; topics still offload only with
      // remote.storage.enable=true (`strata standalone --tier URI` overrides the location).
      props.put("strata.tier.uri", dataDir.resolve("tier").toAbsolutePath().toUri().toString());
      props.putAll(overrides);
      BrokerConfig config = new BrokerConfig(props);
      removeStaleRegistration(storage, config);
      broker = new Broker(config, BrokerConfig::openLogStore, Time.SYSTEM);
      broker.start();
      return new Standalone(channel, lock, storage, broker);
    } catch (Exception | Error e) {
      if (broker != null) {
        broker.close();
      }
      if (storage != null) {
        storage.close();
      }
      lock.release();
      channel.close();
      throw e;
    }
  }

  private static void removeStaleRegistration(LocalStorageCluster storage, BrokerConfig config)
      throws Exception {
    ZooKeeper zk = storage.zooKeeper().newClient(10_000);
    try {
      String path = config.metadataRoot() + "/brokers/ids/" + config.brokerId();
      if (zk.exists(path, false) != null) {
        zk.delete(path, -1);
        log.info("Removed the registration left by the previous run of this standalone");
      }
    } finally {
      zk.close();
    }
  }

  public Broker broker() {
    return broker;
  }

  public LocalStorageCluster storage() {
    return storage;
  }

  /** Stops the broker (sealing every ledger), then the bookies and ZooKeeper. Idempotent. */
  @Override
  public synchronized void close() {
    broker.close();
    storage.close();
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      log.debug("Releasing the data-dir lock failed", e);
    }
  }
}
