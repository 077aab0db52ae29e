package io.strata.ops.component;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.BookKeeperAdmin;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.bookkeeper.meta.zk.ZKMetadataDriverBase;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Format BookKeeper's metadata unless it is formatted": the step a bookie process takes before it
 * starts, so that the first bookie of a new cluster creates the metadata and every later start
 * finds it.
 *
 * <p>Formatted means {@code <ledgers root>/INSTANCEID} exists. {@link
 * BookKeeperAdmin#initNewCluster} creates the root, the registration paths and INSTANCEID in one
 * ZooKeeper multi-op, so INSTANCEID exists exactly when a format completed; the ledger layout it
 * writes afterwards is also created by any bookie or client that finds it missing. When several
 * bookies start at once, one format wins and the others see a lost race (the root exists, or their
 * multi-op fails) and then find INSTANCEID. Never deletes or rewrites anything.
 *
 * <p>Stateless and thread-safe; blocking (start-up only).
 */
public final class BookKeeperFormat {
  private static final Logger log = LoggerFactory.getLogger(BookKeeperFormat.class);

  /** What {@link #formatIfNeeded} did. */
  public enum Outcome {
    /** This call formatted the metadata. */
    FORMATTED,
    /** The metadata was formatted already (before, or concurrently by someone else). */
    ALREADY_FORMATTED
  }

  private BookKeeperFormat() {}

  /**
   * Formats the BookKeeper metadata at {@code metadataServiceUri} unless it is formatted.
   * Idempotent; safe to call from several processes at once.
   *
   * @param connectTimeout how long to wait for ZooKeeper to accept a session
   * @throws IOException if ZooKeeper cannot be reached in time
   * @throws IllegalStateException if the ledgers root exists but was not formatted by BookKeeper
   */
  public static Outcome formatIfNeeded(String metadataServiceUri, Duration connectTimeout)
      throws Exception {
    ServerConfiguration conf = new ServerConfiguration();
    conf.setMetadataServiceUri(metadataServiceUri);
    String servers = ZKMetadataDriverBase.resolveZkServers(conf);
    String root = ZKMetadataDriverBase.resolveZkLedgersRootPath(conf);
    String instanceId = root + "/INSTANCEID";
    ZooKeeper zk = connect(servers, connectTimeout);
    try {
      if (zk.exists(instanceId, false) != null) {
        return Outcome.ALREADY_FORMATTED;
      }
      log.info("Formatting BookKeeper metadata at {}", metadataServiceUri);
      createParents(zk, root);
      try {
        if (BookKeeperAdmin.initNewCluster(conf)) {
          log.info("Formatted BookKeeper metadata at {}", metadataServiceUri);
          return Outcome.FORMATTED;
        }
      } catch (Exception e) {
        // Another process's multi-op created the root between our check and ours.
        if (zk.exists(instanceId, false) == null) {
          throw e;
        }
      }
      if (zk.exists(instanceId, false) != null) {
        log.info("BookKeeper metadata at {} was formatted concurrently", metadataServiceUri);
        return Outcome.ALREADY_FORMATTED;
      }
      throw new IllegalStateException(
          "ZooKeeper "
              + servers
              + " has "
              + root
              + " but no "
              + instanceId
              + ": that path was not created by a BookKeeper format. Point"
              + " bookkeeper.metadata.service.uri elsewhere, or delete the path if nothing uses it.");
    } finally {
      zk.close();
    }
  }

  /** BookKeeper creates the root but not its parents (a chroot such as /strata/ledgers). */
  private static void createParents(ZooKeeper zk, String root)
      throws KeeperException, InterruptedException {
    int slash = 0;
    while ((slash = root.indexOf('/', slash + 1)) > 0) {
      try {
        zk.create(
            root.substring(0, slash),
            new byte[0],
            ZooDefs.Ids.OPEN_ACL_UNSAFE,
            CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // there already, or created concurrently: fine
      }
    }
  }

  private static ZooKeeper connect(String servers, Duration timeout)
      throws IOException, InterruptedException {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            servers,
            (int) Math.max(timeout.toMillis(), 4000),
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
            });
    if (!connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      zk.close();
      throw new IOException(
          "Could not reach ZooKeeper at "
              + servers
              + " within "
              + timeout.toSeconds()
              + " s: is it running, and is zookeeper.connect right?");
    }
    return zk;
  }
}
