package io.strata.storage.internals;

import io.netty.buffer.PooledByteBufAllocator;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.LogNotFoundException;
import io.strata.storage.api.LogStore;
import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.TieredStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.kafka.common.utils.Time;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LogStore} on BookKeeper and ZooKeeper. One per process.
 *
 * <p>Owns (unless given shared ones) the BookKeeper client, a ZooKeeper client for log metadata
 * (renewed on session expiry), and the ordered executor: each log name maps to one of its threads,
 * which runs all of that log's state changes. Thread-safe.
 */
public final class BookKeeperLogStore implements LogStore {
  private static final Logger log = LoggerFactory.getLogger(BookKeeperLogStore.class);

  private final StoreContext ctx;
  private final ZkClient zk;
  private final BookKeeper bk;
  private final boolean ownsBookKeeper;
  private final ConcurrentHashMap<String, BookKeeperPartitionLog> open = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private BookKeeperLogStore(
      LogStoreConfig config,
      Time time,
      ZkClient zk,
      BookKeeper bk,
      boolean ownsBookKeeper,
      TieredStorage tier) {
    this.zk = zk;
    this.bk = bk;
    this.ownsBookKeeper = ownsBookKeeper;
    OrderedExecutor executor =
        OrderedExecutor.newBuilder()
            .name("strata-log")
            .numThreads(config.executorThreads())
            .build();
    Ledgers ledgers = new Ledgers(bk, config.ledgerPassword(), config.readHandleCacheSize());
    SegmentIndexes indexes =
        new SegmentIndexes(
            ledgers,
            PooledByteBufAllocator.DEFAULT,
            config.indexChunkEntries(),
            config.indexCacheBytes());
    this.ctx =
        new StoreContext(
            config,
            time,
            executor,
            new LogMetadataStore(zk, config.metadataRoot()),
            ledgers,
            indexes,
            PooledByteBufAllocator.DEFAULT,
            tier);
  }

  /**
   * Starts a store with its own BookKeeper client. Blocking (connects to ZooKeeper and reads the
   * bookie list): call it at start-up.
   */
  public static BookKeeperLogStore start(LogStoreConfig config, Time time) throws IOException {
    return start(config, time, TieredStorage.NONE);
  }

  /**
   * Starts a store with its own BookKeeper client and a tier: offloaded segments are read from it,
   * and it is told when logs open and close (to offload them in the background). The store closes
   * {@code tier} when it closes.
   */
  public static BookKeeperLogStore start(LogStoreConfig config, Time time, TieredStorage tier)
      throws IOException {
    ZkClient zk = ZkClient.connect(config.zookeeperConnect(), config.zookeeperSessionTimeoutMs());
    try {
      BookKeeper bk = BookKeeper.newBuilder(clientConfiguration(config)).build();
      return new BookKeeperLogStore(config, time, zk, bk, true, tier);
    } catch (Exception e) {
      zk.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("could not start the BookKeeper client", e);
    }
  }

  /**
   * Starts a store over a BookKeeper client shared with others (tests; several stores in one
   * process). The store does not close {@code bk}.
   */
  public static BookKeeperLogStore start(LogStoreConfig config, Time time, BookKeeper bk)
      throws IOException {
    return start(config, time, bk, TieredStorage.NONE);
  }

  /** As {@link #start(LogStoreConfig, Time, BookKeeper)}, with a tier the store closes. */
  public static BookKeeperLogStore start(
      LogStoreConfig config, Time time, BookKeeper bk, TieredStorage tier) throws IOException {
    ZkClient zk = ZkClient.connect(config.zookeeperConnect(), config.zookeeperSessionTimeoutMs());
    return new BookKeeperLogStore(config, time, zk, bk, false, tier);
  }

  /** The tier this store reads offloaded segments from ({@link TieredStorage#NONE} if none). */
  public TieredStorage tier() {
    return ctx.tier();
  }

  /** The BookKeeper client configuration derived from the store's settings. */
  public static ClientConfiguration clientConfiguration(LogStoreConfig config) {
    ClientConfiguration c = new ClientConfiguration();
    c.setMetadataServiceUri(config.bookkeeperMetadataUri());
    c.setThrottleValue(config.throttle());
    c.setAddEntryTimeout(config.addTimeoutSec());
    c.setReadEntryTimeout(config.readTimeoutSec());
    c.setZkTimeout(config.zookeeperSessionTimeoutMs());
    c.setNumWorkerThreads(Math.max(2, config.executorThreads()));
    // The v2 wire protocol (as Pulsar uses): no protobuf per add and read on client and bookie,
    // and the only one with batched reads (BP-62), which catch-up reads use. Fencing, recovery and
    // every call Strata makes work the same on it.
    c.setUseV2WireProtocol(true);
    c.setBatchReadEnabled(true);
    // A ledger's reads go to one bookie while it is available (when its ensemble equals its write
    // quorum, the default), as Pulsar does by default: consecutive catch-up reads then hit that
    // bookie's read-ahead cache instead of each bookie reading ahead entries another one serves.
    c.setStickyReadsEnabled(true);
    return c;
  }

  private ExecutorService executorFor(String logName) {
    return ctx.executor().chooseThread(logName);
  }

  @Override
  public CompletableFuture<Integer> writableBookies() {
    try {
      // The client API has no registration view; its one implementation does.
      return ((org.apache.bookkeeper.client.BookKeeper) bk)
          .getMetadataClientDriver()
          .getRegistrationClient()
          .getWritableBookies()
          .thenApply(v -> v.getValue().size());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.map("list writable bookies", e));
    }
  }

  @Override
  public CompletableFuture<PartitionLog> open(String logName, LogConfig config, long epoch) {
    try {
      LogMetadataStore.checkName(logName);
      if (closed) {
        return CompletableFuture.failedFuture(
            new io.strata.storage.api.LogClosedException("log store closed"));
      }
      ExecutorService executor = executorFor(logName);
      return CompletableFuture.supplyAsync(
              () ->
                  new TakeOver(ctx, logName, config, epoch, executor)
                      .run(
                          l -> {
                            open.remove(l.name(), l);
                            ctx.tier().logClosed(l);
                          }),
              executor)
          .thenCompose(f -> f)
          .thenApply(
              l -> {
                BookKeeperPartitionLog previous = open.put(logName, l);
                if (previous != null) {
                  ctx.tier().logClosed(previous);
                }
                ctx.tier().logOpened(l);
                return (PartitionLog) l;
              });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.map("open " + logName, e));
    }
  }

  @Override
  public CompletableFuture<Optional<LogMetadata>> describe(String logName) {
    try {
      LogMetadataStore.checkName(logName);
      return ctx.metadata()
          .read(logName)
          .handle(
              (m, e) -> {
                if (e != null) {
                  throw Errors.map("describe " + logName, e);
                }
                return m;
              });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.map("describe " + logName, e));
    }
  }

  /** Names of every log in the metadata. */
  public CompletableFuture<List<String>> list() {
    return ctx.metadata().list().thenApply(List::copyOf);
  }

  @Override
  public CompletableFuture<Void> delete(String logName) {
    try {
      LogMetadataStore.checkName(logName);
      BookKeeperPartitionLog local = open.get(logName);
      CompletableFuture<Void> closedLocal =
          local == null
              ? CompletableFuture.completedFuture(null)
              : local.close().exceptionally(e -> null);
      ExecutorService executor = executorFor(logName);
      return closedLocal.thenComposeAsync(v -> deleteOnce(logName, 0), executor);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.map("delete " + logName, e));
    }
  }

  private CompletableFuture<Void> deleteOnce(String logName, int attempt) {
    ExecutorService executor = executorFor(logName);
    return ctx.metadata()
        .read(logName)
        .thenComposeAsync(
            found -> {
              if (found.isEmpty()) {
                return CompletableFuture.<Void>failedFuture(
                    new LogNotFoundException("no log " + logName));
              }
              LogMetadata m = found.get();
              // Fence any live writer before the metadata disappears under it.
              List<CompletableFuture<?>> fences = new ArrayList<>();
              for (SegmentMetadata s : m.segments()) {
                if (!s.isSealed()) {
                  fences.add(
                      ctx.ledgers()
                          .recover(s.ledgerId())
                          .thenCompose(h -> h.closeAsync())
                          .exceptionally(e -> null));
                }
              }
              return CompletableFuture.allOf(fences.toArray(CompletableFuture[]::new))
                  .thenCompose(v -> ctx.metadata().delete(logName, m.zkVersion()))
                  .handleAsync(
                      (v, e) -> {
                        if (e == null) {
                          for (SegmentMetadata s : m.segments()) {
                            ctx.indexes().invalidate(s.ledgerId());
                            if (s.onBookies()) {
                              ctx.ledgers().deleteQuietly(s.ledgerId());
                              ctx.ledgers().deleteQuietly(s.indexLedgerId());
                            }
                          }
                          ctx.tier()
                              .deleteLog(logName)
                              .exceptionally(
                                  t -> {
                                    log.warn(
                                        "Log {}: tier objects not deleted (left as orphans): {}",
                                        logName,
                                        t.toString());
                                    return null;
                                  });
                          log.info("Deleted log {} ({} segments)", logName, m.segments().size());
                          return CompletableFuture.<Void>completedFuture(null);
                        }
                        if (attempt < 10
                            && (Errors.isKeeper(e, KeeperException.Code.BADVERSION)
                                || Errors.isKeeper(e, KeeperException.Code.NONODE))) {
                          return deleteOnce(logName, attempt + 1);
                        }
                        return CompletableFuture.<Void>failedFuture(
                            Errors.map("delete " + logName, e));
                      },
                      executor)
                  .thenCompose(f -> f);
            },
            executor);
  }

  /** The ZooKeeper handle used for log metadata (tests expire its session). */
  public ZooKeeper zooKeeper() {
    return zk.handle();
  }

  /** Whether a sealed segment's index is in the cache (tests). */
  public boolean isIndexCached(long dataLedgerId) {
    return ctx.indexes().isCached(dataLedgerId);
  }

  /** How this store obtained segment indexes: chunks read from index ledgers, entries scanned. */
  public record IndexStats(long chunksRead, long entriesScanned) {}

  public IndexStats indexStats() {
    return new IndexStats(ctx.indexes().chunksRead(), ctx.indexes().entriesScanned());
  }

  /** Drops every cached index and read handle (tests: force loads from the index ledgers). */
  public void dropCaches() {
    ctx.indexes().invalidateAll();
    ctx.ledgers().invalidateAll();
  }

  /** Drops a cached index (tests). */
  public void dropIndex(long dataLedgerId) {
    ctx.indexes().invalidate(dataLedgerId);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (BookKeeperPartitionLog l : open.values()) {
      closing.add(l.close());
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn("Not every log closed cleanly: {}", e.toString());
    }
    ctx.tier().close();
    ctx.ledgers().invalidateAll();
    ctx.executor().shutdown();
    try {
      if (!ctx.executor().awaitTermination(10, TimeUnit.SECONDS)) {
        ctx.executor().shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownsBookKeeper) {
      try {
        bk.close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        log.warn("Closing the BookKeeper client failed", e);
      }
    }
    zk.close();
  }
}
