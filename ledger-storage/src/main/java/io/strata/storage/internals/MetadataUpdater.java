package io.strata.storage.internals;

import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogMetadata;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises one writer's metadata changes and applies each as a versioned compare-and-set.
 *
 * <p>A change is a function from the current metadata to the next, written in terms of ledger ids
 * (not list positions) so that it can be re-applied to a fresher copy. On a version conflict the
 * znode is re-read: if its writer epoch is no longer ours (or the znode is gone) the writer is
 * fenced ({@link LogFencedException}); otherwise someone with the same epoch (an operator tool, the
 * tiering module setting a tier location) changed it, and the change is re-applied to what was
 * read. If ZooKeeper lost the connection mid-write (outcome unknown), the znode is re-read and
 * compared byte for byte with what was written.
 *
 * <p>Thread-safety: confined to the log's executor; every continuation hops back to it.
 */
final class MetadataUpdater {
  private static final Logger log = LoggerFactory.getLogger(MetadataUpdater.class);
  private static final int MAX_ATTEMPTS = 20;

  private final LogMetadataStore store;
  private final Executor executor;
  private final long epoch;
  // Volatile: PartitionLog.metadata() reads it from other threads (the tiering offloader).
  private volatile LogMetadata current;
  private CompletableFuture<LogMetadata> tail;

  MetadataUpdater(LogMetadataStore store, Executor executor, LogMetadata initial) {
    this.store = store;
    this.executor = executor;
    this.epoch = initial.writerEpoch();
    this.current = initial;
    this.tail = CompletableFuture.completedFuture(initial);
  }

  /** The metadata as last written or read by this writer. */
  LogMetadata current() {
    return current;
  }

  /**
   * Queues {@code change}; the future completes (on the executor) with the stored metadata, or
   * fails with LogFencedException / a mapped StorageException. A change returning its argument
   * unchanged writes nothing.
   */
  CompletableFuture<LogMetadata> update(UnaryOperator<LogMetadata> change) {
    CompletableFuture<LogMetadata> result =
        tail.handle((r, e) -> null).thenComposeAsync(v -> attempt(change, 0), executor);
    tail = result;
    return result;
  }

  private CompletableFuture<LogMetadata> attempt(UnaryOperator<LogMetadata> change, int attempt) {
    LogMetadata base = current;
    LogMetadata next;
    try {
      next = change.apply(base);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (next == base) {
      return CompletableFuture.completedFuture(base);
    }
    if (next.writerEpoch() != epoch) {
      return CompletableFuture.failedFuture(new IllegalStateException("change altered the epoch"));
    }
    return store
        .compareAndSet(next, base.zkVersion())
        .handleAsync(
            (stored, err) -> {
              if (err == null) {
                current = stored;
                return CompletableFuture.completedFuture(stored);
              }
              if (attempt >= MAX_ATTEMPTS) {
                return CompletableFuture.<LogMetadata>failedFuture(
                    Errors.map("metadata update of " + base.name(), err));
              }
              boolean conflict =
                  Errors.isKeeper(err, KeeperException.Code.BADVERSION)
                      || Errors.isKeeper(err, KeeperException.Code.NONODE);
              boolean uncertain = Errors.isUncertainZk(err);
              if (!conflict && !uncertain) {
                return CompletableFuture.<LogMetadata>failedFuture(
                    Errors.map("metadata update of " + base.name(), err));
              }
              return reread(base, next, change, attempt, uncertain);
            },
            executor)
        .thenCompose(f -> f);
  }

  private CompletableFuture<LogMetadata> reread(
      LogMetadata base,
      LogMetadata next,
      UnaryOperator<LogMetadata> change,
      int attempt,
      boolean uncertain) {
    byte[] written = LogMetadataCodec.encode(next);
    return store
        .readRaw(base.name())
        .handleAsync(
            (raw, err) -> {
              if (err != null) {
                if (Errors.isUncertainZk(err) && attempt < MAX_ATTEMPTS) {
                  // ZooKeeper is unreachable: back off a little before asking again.
                  return CompletableFuture.supplyAsync(
                          () -> null,
                          CompletableFuture.delayedExecutor(
                              50L * (attempt + 1), TimeUnit.MILLISECONDS, executor))
                      .thenCompose(v -> reread(base, next, change, attempt + 1, uncertain));
                }
                return CompletableFuture.<LogMetadata>failedFuture(
                    Errors.map("metadata read of " + base.name(), err));
              }
              if (raw == null) {
                return CompletableFuture.<LogMetadata>failedFuture(
                    new LogFencedException("log " + base.name() + " was deleted"));
              }
              if (uncertain && Arrays.equals(raw.data(), written)) {
                current = next.withZkVersion(raw.version());
                return CompletableFuture.completedFuture(current);
              }
              LogMetadata fresh = LogMetadataCodec.decode(base.name(), raw.data(), raw.version());
              if (fresh.writerEpoch() != epoch) {
                return CompletableFuture.<LogMetadata>failedFuture(
                    new LogFencedException(
                        "log "
                            + base.name()
                            + " was taken over: epoch "
                            + fresh.writerEpoch()
                            + " > "
                            + epoch));
              }
              log.info(
                  "Log {} metadata changed under its writer (version {} -> {}); re-applying",
                  base.name(),
                  base.zkVersion(),
                  fresh.zkVersion());
              current = fresh;
              return attempt(change, attempt + 1);
            },
            executor)
        .thenCompose(f -> f);
  }
}
