package io.strata.storage.testing;

import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.embedded.EmbeddedBookie;
import io.strata.storage.embedded.LocalStorageCluster;
import io.strata.storage.internals.BookKeeperLogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one {@link LocalStorageCluster} (ZooKeeper + bookies in a temporary directory)
 * per test class, plus one BookKeeper client shared by the stores the tests open (closing a client
 * costs about 2 s).
 *
 * <pre>{@code
 * @RegisterExtension static final StorageCluster cluster = StorageCluster.withBookies(3);
 * ...
 * LogStore store = cluster.newStore(time);   // closed by the extension after the class
 * }</pre>
 *
 * Use it as a static field. Every test class gets its own metadata root, so classes can share
 * nothing by accident.
 */
public final class StorageCluster implements BeforeAllCallback, AfterAllCallback {
  private final int bookies;
  private final EmbeddedBookie.Settings settings;
  private final Map<String, Object> storeOverrides = new HashMap<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Path dir;
  private LocalStorageCluster cluster;
  private BookKeeper sharedClient;

  private StorageCluster(int bookies, EmbeddedBookie.Settings settings) {
    this.bookies = bookies;
    this.settings = settings;
  }

  /** Bookies with default settings, except a 1 s garbage collection period. */
  public static StorageCluster withBookies(int bookies) {
    return new StorageCluster(bookies, EmbeddedBookie.Settings.defaults().withGcWaitTimeMs(1000));
  }

  /** Adds a setting to every store config this extension makes. */
  public StorageCluster storeConfig(String key, Object value) {
    storeOverrides.put(key, value);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("strata-storage-");
    cluster = LocalStorageCluster.builder(dir).bookies(bookies).bookieSettings(settings).start();
    sharedClient =
        BookKeeper.newBuilder(BookKeeperLogStore.clientConfiguration(storeConfig(Map.of())))
            .build();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    toClose.clear();
    if (sharedClient != null) {
      sharedClient.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  public LocalStorageCluster cluster() {
    return cluster;
  }

  /** The shared client; do not close it. */
  public BookKeeper bookKeeper() {
    return sharedClient;
  }

  /** Store settings for this cluster: small add timeouts, test overrides, then {@code extra}. */
  public LogStoreConfig storeConfig(Map<String, Object> extra) {
    Map<String, Object> props = new HashMap<>();
    props.put(LogStoreConfig.ZOOKEEPER_CONNECT, cluster.zkConnectString());
    props.put(LogStoreConfig.BOOKKEEPER_METADATA_URI, cluster.metadataServiceUri());
    props.put(LogStoreConfig.BOOKKEEPER_ADD_TIMEOUT_SEC, 10);
    props.put(LogStoreConfig.ZOOKEEPER_SESSION_TIMEOUT_MS, 10_000);
    props.put(LogStoreConfig.EXECUTOR_THREADS, 2);
    props.putAll(storeOverrides);
    props.putAll(extra);
    return new LogStoreConfig(props);
  }

  /** A store on the shared client, closed after the class (or earlier by the test). */
  public BookKeeperLogStore newStore(Time time) throws IOException {
    return newStore(time, Map.of());
  }

  public BookKeeperLogStore newStore(Time time, Map<String, Object> extra) throws IOException {
    BookKeeperLogStore store = BookKeeperLogStore.start(storeConfig(extra), time, sharedClient);
    toClose.add(store);
    return store;
  }

  /** A store on the shared client reading offloaded segments from {@code tier} (closed with it). */
  public BookKeeperLogStore newStore(Time time, io.strata.storage.api.TieredStorage tier)
      throws IOException {
    BookKeeperLogStore store =
        BookKeeperLogStore.start(storeConfig(Map.of()), time, sharedClient, tier);
    toClose.add(store);
    return store;
  }

  /** A store with its own BookKeeper client (as in production); closing it takes ~2 s. */
  public BookKeeperLogStore newStoreWithOwnClient(Time time) throws IOException {
    BookKeeperLogStore store = BookKeeperLogStore.start(storeConfig(Map.of()), time);
    toClose.add(store);
    return store;
  }
}
