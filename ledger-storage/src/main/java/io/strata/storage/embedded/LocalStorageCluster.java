package io.strata.storage.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.bookkeeper.client.BookKeeperAdmin;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ZooKeeper plus N bookies in one JVM, all under one base directory: {@code zookeeper/} and {@code
 * bookie-<i>/}. Used by every module's storage tests and by {@code strata standalone}.
 *
 * <p>On first start the BookKeeper cluster metadata is formatted ({@code
 * BookKeeperAdmin.initNewCluster}); a cluster started again on the same base directory keeps its
 * metadata and its bookies' data (bookies that existed before are started again).
 *
 * <p>Fault injection with real components: {@link #kill(int)} shuts a bookie down, {@link
 * #restart(int)} brings it back on the same directories, {@link #pause(int)} makes it stop reading
 * requests, {@link #addBookie()} adds a fresh one, {@link #expireSession(ZooKeeper)} really expires
 * a client's ZooKeeper session.
 *
 * <p>Thread-safety: methods are synchronized; all of them block. Not for use on event loops.
 */
public final class LocalStorageCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalStorageCluster.class);

  /** The ZooKeeper path under which BookKeeper keeps its metadata. */
  public static final String LEDGERS_ROOT = "/ledgers";

  private final Path baseDir;
  private final EmbeddedBookie.Settings settings;
  // Replaced by startZooKeeper() after stopZooKeeper().
  private volatile EmbeddedZooKeeper zookeeper;
  private final List<EmbeddedBookie> bookies = new ArrayList<>();

  private LocalStorageCluster(
      Path baseDir, EmbeddedBookie.Settings settings, EmbeddedZooKeeper zookeeper) {
    this.baseDir = baseDir;
    this.settings = settings;
    this.zookeeper = zookeeper;
  }

  public static Builder builder(Path baseDir) {
    return new Builder(baseDir);
  }

  /** Builds a {@link LocalStorageCluster}. */
  public static final class Builder {
    private final Path baseDir;
    private int bookies = 3;
    private int zkPort = 0;
    private EmbeddedBookie.Settings settings = EmbeddedBookie.Settings.defaults();

    private Builder(Path baseDir) {
      this.baseDir = baseDir;
    }

    /** How many bookies to have at least (existing ones in the base dir all start). Default 3. */
    public Builder bookies(int n) {
      this.bookies = n;
      return this;
    }

    /** ZooKeeper's port; 0 (default) for an ephemeral one. */
    public Builder zooKeeperPort(int port) {
      this.zkPort = port;
      return this;
    }

    public Builder bookieSettings(EmbeddedBookie.Settings s) {
      this.settings = s;
      return this;
    }

    /** Starts ZooKeeper, formats BookKeeper's metadata if needed and starts the bookies. */
    public LocalStorageCluster start() throws Exception {
      Files.createDirectories(baseDir);
      EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(baseDir.resolve("zookeeper"), zkPort);
      LocalStorageCluster cluster = new LocalStorageCluster(baseDir, settings, zk);
      try {
        cluster.format();
        int existing = cluster.existingBookieDirs();
        for (int i = 0; i < Math.max(bookies, existing); i++) {
          cluster.addBookie();
        }
      } catch (Exception e) {
        cluster.close();
        throw e;
      }
      return cluster;
    }
  }

  private void format() throws Exception {
    ServerConfiguration conf = new ServerConfiguration();
    conf.setMetadataServiceUri(metadataServiceUri());
    ZooKeeper zk = zookeeper.newClient(10_000);
    try {
      if (zk.exists(LEDGERS_ROOT, false) != null) {
        return;
      }
    } finally {
      zk.close();
    }
    if (!BookKeeperAdmin.initNewCluster(conf)) {
      throw new IOException("could not format BookKeeper metadata at " + metadataServiceUri());
    }
  }

  private int existingBookieDirs() throws IOException {
    try (Stream<Path> s = Files.list(baseDir)) {
      return (int) s.filter(p -> p.getFileName().toString().startsWith("bookie-")).count();
    }
  }

  /** Starts one more bookie (the next {@code bookie-<i>} directory) and returns its index. */
  public synchronized int addBookie() throws Exception {
    int i = bookies.size();
    EmbeddedBookie b =
        new EmbeddedBookie(
            "bookie-" + i, baseDir.resolve("bookie-" + i), metadataServiceUri(), 0, settings);
    b.start();
    bookies.add(b);
    return i;
  }

  /** Shuts bookie {@code i} down (its data stays on disk). */
  public synchronized void kill(int i) {
    bookies.get(i).stop();
  }

  /** Starts bookie {@code i} again on its directories; what it stored is still there. */
  public synchronized void restart(int i) throws Exception {
    EmbeddedBookie b = bookies.get(i);
    b.stop();
    b.start();
  }

  /** Bookie {@code i} stops reading requests (clients' writes to it hang) until resumed. */
  public synchronized void pause(int i) {
    bookies.get(i).pause();
  }

  public synchronized void resume(int i) {
    bookies.get(i).resume();
  }

  public synchronized EmbeddedBookie bookie(int i) {
    return bookies.get(i);
  }

  public synchronized int bookieCount() {
    return bookies.size();
  }

  /**
   * Whether any bookie that is running still stores the ledger (entries or index). Deleted ledgers
   * disappear from bookies when their garbage collector runs.
   */
  public synchronized boolean anyBookieHasLedger(long ledgerId) throws IOException {
    for (EmbeddedBookie b : bookies) {
      if (b.isRunning() && b.hasLedger(ledgerId)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Stops the ZooKeeper server (an outage: clients lose their connection, sessions survive if it
   * comes back within their timeout). Its data stays.
   */
  public synchronized void stopZooKeeper() {
    zookeeper.close();
  }

  /** Starts ZooKeeper again on the same port and data directory. */
  public synchronized void startZooKeeper() throws IOException {
    int port = zookeeper.port();
    zookeeper = EmbeddedZooKeeper.start(baseDir.resolve("zookeeper"), port);
  }

  /**
   * Asks every running bookie's garbage collector to run now (it also runs every {@code
   * gcWaitTimeMs}); deleted ledgers then leave their storage. Does not wait for it.
   */
  public synchronized void forceGarbageCollection() {
    for (EmbeddedBookie b : bookies) {
      if (b.isRunning()) {
        b.bookieServer().getBookie().getLedgerStorage().forceGC();
      }
    }
  }

  public EmbeddedZooKeeper zooKeeper() {
    return zookeeper;
  }

  public String zkConnectString() {
    return zookeeper.connectString();
  }

  /** BookKeeper's metadata service URI, e.g. {@code zk+hierarchical://127.0.0.1:1234/ledgers}. */
  public String metadataServiceUri() {
    return "zk+hierarchical://" + zookeeper.connectString() + LEDGERS_ROOT;
  }

  public Path baseDir() {
    return baseDir;
  }

  /**
   * Really expires the session of {@code zk}: opens a second handle with the same session id and
   * password, then closes it, which ends the session on the server. The owner of {@code zk} sees
   * {@code Expired} when it reconnects. Returns once {@code zk} has noticed (its state is no longer
   * alive), or after 30 s.
   */
  public void expireSession(ZooKeeper zk) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper twin =
        new ZooKeeper(
            zookeeper.connectString(),
            10_000,
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
            },
            zk.getSessionId(),
            zk.getSessionPasswd());
    try {
      if (!connected.await(30, TimeUnit.SECONDS)) {
        throw new IOException("twin handle did not connect");
      }
    } finally {
      twin.close();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (zk.getState().isAlive() && System.nanoTime() < deadline) {
      // The original handle learns of the expiry on its next reconnect; nudge it.
      try {
        zk.exists("/", false);
      } catch (Exception ignored) {
        // expected: connection loss / session expired
      }
      Thread.onSpinWait();
      TimeUnit.MILLISECONDS.sleep(20); // a poll interval in a blocking helper, not synchronisation
    }
  }

  /** Stops every bookie, then ZooKeeper. Data stays in the base directory. */
  @Override
  public synchronized void close() {
    for (EmbeddedBookie b : bookies) {
      try {
        b.stop();
      } catch (RuntimeException e) {
        log.warn("Failed to stop {}", b.bookieId(), e);
      }
    }
    zookeeper.close();
  }
}
