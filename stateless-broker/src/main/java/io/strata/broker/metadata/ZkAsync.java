package io.strata.broker.metadata;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * ZooKeeper's asynchronous calls as {@link CompletableFuture}s.
 *
 * <p>Futures complete on {@code executor}, never on ZooKeeper's event thread, so no dependent stage
 * can stall ZooKeeper's callbacks. Failures are {@link KeeperException}s with the path named.
 * Thread-safe.
 */
public final class ZkAsync {

  /** Data of a znode with the version a compare-and-set must name. */
  public record Versioned(byte[] data, int version) {}

  // Replaced when the broker's session expired and it reconnected with a new one.
  private volatile ZooKeeper zk;
  private final Executor executor;

  public ZkAsync(ZooKeeper zk, Executor executor) {
    this.zk = zk;
    this.executor = executor;
  }

  public ZooKeeper zooKeeper() {
    return zk;
  }

  /** Switches to a new session's handle (after the previous session expired). */
  public void replace(ZooKeeper next) {
    this.zk = next;
  }

  private <T> void complete(CompletableFuture<T> f, int rc, String path, T value) {
    executor.execute(
        () -> {
          if (rc == Code.OK.intValue()) {
            f.complete(value);
          } else {
            f.completeExceptionally(KeeperException.create(Code.get(rc), path));
          }
        });
  }

  /** Reads a znode; fails with {@code NoNodeException} if absent. */
  public CompletableFuture<Versioned> get(String path) {
    CompletableFuture<Versioned> f = new CompletableFuture<>();
    zk.getData(
        path,
        false,
        (rc, p, ctx, data, stat) ->
            complete(f, rc, p, rc == 0 ? new Versioned(data, stat.getVersion()) : null),
        null);
    return f;
  }

  /** Creates a znode with open ACLs; returns its path (with a sequence suffix if sequential). */
  public CompletableFuture<String> create(String path, byte[] data, CreateMode mode) {
    CompletableFuture<String> f = new CompletableFuture<>();
    zk.create(
        path,
        data,
        ZooDefs.Ids.OPEN_ACL_UNSAFE,
        mode,
        (rc, p, ctx, name) -> complete(f, rc, p, name),
        null);
    return f;
  }

  /** Creates a persistent znode unless it exists; never fails with {@code NodeExists}. */
  public CompletableFuture<Void> ensure(String path) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    zk.create(
        path,
        new byte[0],
        ZooDefs.Ids.OPEN_ACL_UNSAFE,
        CreateMode.PERSISTENT,
        (rc, p, ctx, name) -> complete(f, rc == Code.NODEEXISTS.intValue() ? 0 : rc, p, null),
        null);
    return f;
  }

  /** Compare-and-set: writes {@code data} if the znode is at {@code version}; returns the new. */
  public CompletableFuture<Integer> set(String path, byte[] data, int version) {
    CompletableFuture<Integer> f = new CompletableFuture<>();
    zk.setData(
        path,
        data,
        version,
        (rc, p, ctx, stat) -> complete(f, rc, p, rc == 0 ? stat.getVersion() : -1),
        null);
    return f;
  }

  /** Deletes a znode at {@code version} (-1 for any). */
  public CompletableFuture<Void> delete(String path, int version) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    zk.delete(path, version, (rc, p, ctx) -> complete(f, rc, p, null), null);
    return f;
  }

  /** Children names of a znode; fails with {@code NoNodeException} if absent. */
  public CompletableFuture<List<String>> children(String path) {
    CompletableFuture<List<String>> f = new CompletableFuture<>();
    zk.getChildren(path, false, (rc, p, ctx, kids) -> complete(f, rc, p, kids), null);
    return f;
  }

  /** Runs operations atomically; fails with the first failing operation's exception. */
  public CompletableFuture<List<OpResult>> multi(List<Op> ops) {
    CompletableFuture<List<OpResult>> f = new CompletableFuture<>();
    zk.multi(
        ops,
        (rc, p, ctx, results) -> {
          int code = rc;
          String failedPath = p;
          if (rc != 0 && results != null) {
            for (int i = 0; i < results.size(); i++) {
              if (results.get(i) instanceof OpResult.ErrorResult e
                  && e.getErr() != Code.RUNTIMEINCONSISTENCY.intValue()
                  && e.getErr() != 0) {
                code = e.getErr();
                failedPath = ops.get(i).getPath();
                break;
              }
            }
          }
          complete(f, code, failedPath, results);
        },
        null);
    return f;
  }

  /** Stat of a znode, or null if absent. */
  public CompletableFuture<Stat> exists(String path) {
    CompletableFuture<Stat> f = new CompletableFuture<>();
    zk.exists(
        path,
        false,
        (rc, p, ctx, stat) -> complete(f, rc == Code.NONODE.intValue() ? 0 : rc, p, stat),
        null);
    return f;
  }

  /** True if {@code t} (or its cause) is a ZooKeeper failure with {@code code}. */
  public static boolean is(Throwable t, Code code) {
    Throwable c = t;
    while (c != null) {
      if (c instanceof KeeperException k && k.code() == code) {
        return true;
      }
      c = c.getCause();
    }
    return false;
  }
}
