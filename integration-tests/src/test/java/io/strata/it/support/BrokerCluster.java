package io.strata.it.support;

import io.strata.broker.Broker;
import io.strata.broker.config.BrokerConfig;
import io.strata.storage.embedded.EmbeddedBookie;
import io.strata.storage.embedded.LocalStorageCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: ZooKeeper and bookies in-process plus several real {@link Broker}s in the same
 * JVM, each with its own ZooKeeper session, BookKeeper client and listener, with short controller
 * intervals so tests see balancing and failover quickly.
 */
public final class BrokerCluster implements BeforeAllCallback, AfterAllCallback {
  private final int bookies;
  private final int initialBrokers;
  private final Map<String, String> overrides = new HashMap<>();
  private final List<Broker> brokers = new ArrayList<>();
  // Listener ports of every broker started, kept after it stops (clients skip dead ones).
  private final List<Integer> ports = new ArrayList<>();
  private final List<AutoCloseable> clients = new ArrayList<>();
  private Path dir;
  private LocalStorageCluster storage;
  private int nextId = 1;

  private BrokerCluster(int brokers, int bookies) {
    this.initialBrokers = brokers;
    this.bookies = bookies;
  }

  public static BrokerCluster of(int brokers, int bookies) {
    return new BrokerCluster(brokers, bookies);
  }

  public BrokerCluster broker(String key, String value) {
    overrides.put(key, value);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("strata-cluster-");
    storage =
        LocalStorageCluster.builder(dir.resolve("storage"))
            .bookies(bookies)
            .bookieSettings(EmbeddedBookie.Settings.defaults().withGcWaitTimeMs(1000))
            .start();
    for (int i = 0; i < initialBrokers; i++) {
      startBroker();
    }
  }

  /** Starts one more broker (the next id) and returns it once it serves. */
  public synchronized Broker startBroker() throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put("broker.id", String.valueOf(nextId++));
    props.put("listeners", "PLAINTEXT://127.0.0.1:0");
    props.put("zookeeper.connect", storage.zkConnectString());
    props.put("zookeeper.session.timeout.ms", "6000");
    props.put("bookkeeper.metadata.service.uri", storage.metadataServiceUri());
    props.put("default.replication.factor", String.valueOf(Math.min(bookies, 3)));
    props.put("min.insync.replicas", String.valueOf(Math.min(bookies, 2)));
    props.put("strata.controller.balance.interval.ms", "500");
    props.put("strata.controller.max.moves", "2");
    props.put("strata.partition.handoff.timeout.ms", "10000");
    props.put("strata.load.report.interval.ms", "1000");
    props.put("strata.shutdown.timeout.ms", "20000");
    props.putAll(overrides);
    Broker b = new Broker(new BrokerConfig(props), BrokerConfig::openLogStore, Time.SYSTEM);
    b.start();
    brokers.add(b);
    ports.add(b.boundPort());
    return b;
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    for (AutoCloseable c : clients) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    for (Broker b : brokers) {
      b.close();
    }
    if (storage != null) {
      storage.close();
    }
    TempDirs.deleteRecursively(dir);
  }

  public List<Broker> brokers() {
    return List.copyOf(brokers);
  }

  public LocalStorageCluster storage() {
    return storage;
  }

  /** Bootstrap list of every broker started (stopped ones included: clients skip them). */
  public String bootstrap() {
    StringBuilder b = new StringBuilder();
    for (int port : ports) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append("127.0.0.1:").append(port);
    }
    return b.toString();
  }

  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
    Admin a = Admin.create(p);
    clients.add(a);
    return a;
  }

  public <T extends AutoCloseable> T track(T client) {
    clients.add(client);
    return client;
  }
}
