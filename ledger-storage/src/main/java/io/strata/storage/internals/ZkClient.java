package io.strata.storage.internals;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous access to ZooKeeper that survives session expiry: when the session expires, a new
 * handle is created (Strata's metadata znodes are persistent, so nothing is lost with a session).
 *
 * <p>Futures complete on ZooKeeper's event thread: callers hop to their own executor before doing
 * anything more. Methods never block and never throw. Thread-safe.
 */
public final class ZkClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ZkClient.class);

  private final String connect;
  private final int sessionTimeoutMs;
  private final boolean owned;
  // Replaced (by the event thread of the expired handle) when the session expires.
  private volatile ZooKeeper zk;
  private volatile boolean closed;

  private ZkClient(String connect, int sessionTimeoutMs, ZooKeeper external) throws IOException {
    this.connect = connect;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.owned = external == null;
    this.zk = external != null ? external : newHandle();
  }

  /** Connects (in the background) to {@code connect}; the client owns and renews its handle. */
  public static ZkClient connect(String connect, int sessionTimeoutMs) throws IOException {
    return new ZkClient(connect, sessionTimeoutMs, null);
  }

  private ZooKeeper newHandle() throws IOException {
    return new ZooKeeper(connect, sessionTimeoutMs, new ExpiryWatcher());
  }

  private final class ExpiryWatcher implements Watcher {
    @Override
    public void process(WatchedEvent event) {
      if (event.getState() == Event.KeeperState.Expired && !closed) {
        log.warn("ZooKeeper session expired; opening a new one");
        try {
          ZooKeeper old = zk;
          zk = newHandle();
          old.close(0);
        } catch (IOException e) {
          log.error("Could not create a new ZooKeeper handle", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** The current handle (changes after a session expiry). */
  public ZooKeeper handle() {
    return zk;
  }

  /** Data and stat of {@code path}; null if it does not exist. */
  public CompletableFuture<Versioned> get(String path) {
    CompletableFuture<Versioned> f = new CompletableFuture<>();
    zk.getData(
        path,
        false,
        (rc, p, ctx, data, stat) -> {
          KeeperException.Code code = KeeperException.Code.get(rc);
          if (code == KeeperException.Code.OK) {
            f.complete(new Versioned(data, stat.getVersion()));
          } else if (code == KeeperException.Code.NONODE) {
            f.complete(null);
          } else {
            f.completeExceptionally(KeeperException.create(code, p));
          }
        },
        null);
    return f;
  }

  /** Children names of {@code path}; empty if it does not exist. */
  public CompletableFuture<List<String>> children(String path) {
    CompletableFuture<List<String>> f = new CompletableFuture<>();
    zk.getChildren(
        path,
        false,
        (rc, p, ctx, children) -> {
          KeeperException.Code code = KeeperException.Code.get(rc);
          if (code == KeeperException.Code.OK) {
            f.complete(children);
          } else if (code == KeeperException.Code.NONODE) {
            f.complete(List.of());
          } else {
            f.completeExceptionally(KeeperException.create(code, p));
          }
        },
        null);
    return f;
  }

  /**
   * Creates a persistent znode, creating missing parents (empty). Fails with {@code
   * NodeExistsException} if it exists. Returns the new version (0).
   */
  public CompletableFuture<Integer> create(String path, byte[] data) {
    CompletableFuture<Integer> f = new CompletableFuture<>();
    zk.create(
        path,
        data,
        ZooDefs.Ids.OPEN_ACL_UNSAFE,
        CreateMode.PERSISTENT,
        (rc, p, ctx, name) -> {
          KeeperException.Code code = KeeperException.Code.get(rc);
          if (code == KeeperException.Code.OK) {
            f.complete(0);
          } else if (code == KeeperException.Code.NONODE) {
            createParents(parent(path))
                .thenCompose(v -> create(path, data))
                .whenComplete(
                    (r, e) -> {
                      if (e != null) {
                        f.completeExceptionally(e);
                      } else {
                        f.complete(r);
                      }
                    });
          } else {
            f.completeExceptionally(KeeperException.create(code, p));
          }
        },
        null);
    return f;
  }

  private CompletableFuture<Void> createParents(String path) {
    if (path.isEmpty() || path.equals("/")) {
      return CompletableFuture.completedFuture(null);
    }
    return create(path, new byte[0])
        .handle(
            (r, e) -> {
              Throwable c =
                  e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
              if (c == null || c instanceof KeeperException.NodeExistsException) {
                return null;
              }
              throw new java.util.concurrent.CompletionException(c);
            });
  }

  private static String parent(String path) {
    int i = path.lastIndexOf('/');
    return i <= 0 ? "/" : path.substring(0, i);
  }

  /**
   * Compare-and-set: writes {@code data} if the znode's version is still {@code expectedVersion}.
   * Returns the new version; fails with {@code BadVersionException} / {@code NoNodeException}.
   */
  public CompletableFuture<Integer> set(String path, byte[] data, int expectedVersion) {
    CompletableFuture<Integer> f = new CompletableFuture<>();
    zk.setData(
        path,
        data,
        expectedVersion,
        (rc, p, ctx, stat) -> {
          KeeperException.Code code = KeeperException.Code.get(rc);
          if (code == KeeperException.Code.OK) {
            f.complete(stat.getVersion());
          } else {
            f.completeExceptionally(KeeperException.create(code, p));
          }
        },
        null);
    return f;
  }

  /** Deletes the znode if its version is {@code expectedVersion} (-1: any). */
  public CompletableFuture<Void> delete(String path, int expectedVersion) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    zk.delete(
        path,
        expectedVersion,
        (rc, p, ctx) -> {
          KeeperException.Code code = KeeperException.Code.get(rc);
          if (code == KeeperException.Code.OK) {
            f.complete(null);
          } else {
            f.completeExceptionally(KeeperException.create(code, p));
          }
        },
        null);
    return f;
  }

  /** Versioned znode data. */
  public record Versioned(byte[] data, int version) {}

  @Override
  public void close() {
    closed = true;
    if (owned) {
      try {
        zk.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
