package io.strata.storage.embedded;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A real, single-node ZooKeeper server in this JVM, listening on 127.0.0.1.
 *
 * <p>Lifecycle: {@link #start(Path, int)} creates and starts it; {@link #close()} stops it. Data
 * (snapshots and transaction logs) lives under the given directory, so a server started again on
 * the same directory sees the same tree. Port 0 picks an ephemeral port; {@link #port()} tells
 * which.
 *
 * <p>Thread-safety: start/close are not meant to race each other; the accessors are safe from any
 * thread. The blocking helpers here are for tests and the standalone command only.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  /** ZooKeeper tick; sessions may time out after 2 ticks at the least. */
  public static final int TICK_TIME_MS = 500;

  private final Path dataDir;
  private final ZooKeeperServer server;
  private final ServerCnxnFactory factory;
  private final int port;

  private EmbeddedZooKeeper(Path dataDir, ZooKeeperServer server, ServerCnxnFactory factory) {
    this.dataDir = dataDir;
    this.server = server;
    this.factory = factory;
    this.port = factory.getLocalPort();
  }

  /**
   * Starts a server keeping its data in {@code dataDir} (created if missing).
   *
   * @param port the port to listen on, 0 for an ephemeral one
   */
  public static EmbeddedZooKeeper start(Path dataDir, int port) throws IOException {
    Files.createDirectories(dataDir);
    File snap = dataDir.resolve("snapshot").toFile();
    File log = dataDir.resolve("txnlog").toFile();
    ZooKeeperServer server = new ZooKeeperServer(snap, log, TICK_TIME_MS);
    ServerCnxnFactory factory = ServerCnxnFactory.createFactory();
    factory.configure(new InetSocketAddress("127.0.0.1", port), 1000);
    try {
      factory.startup(server);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      factory.shutdown();
      throw new IOException("interrupted while starting ZooKeeper", e);
    }
    return new EmbeddedZooKeeper(dataDir, server, factory);
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:port}. */
  public String connectString() {
    return "127.0.0.1:" + port();
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * Opens a client and waits until it is connected. Blocking; for tests and tools. The caller
   * closes it.
   */
  public ZooKeeper newClient(int sessionTimeoutMs) throws IOException {
    return connect(connectString(), sessionTimeoutMs);
  }

  static ZooKeeper connect(String connect, int sessionTimeoutMs) throws IOException {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            connect,
            sessionTimeoutMs,
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
            });
    try {
      if (!connected.await(30, TimeUnit.SECONDS)) {
        zk.close();
        throw new IOException("could not connect to ZooKeeper at " + connect);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting to ZooKeeper", e);
    }
    return zk;
  }

  /** Stops the server; its data stays in {@link #dataDir()}. Idempotent. */
  @Override
  public void close() {
    factory.shutdown();
    server.shutdown(true);
  }
}
