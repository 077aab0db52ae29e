package io.strata.tiering;

import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TieredStorage;
import io.strata.storage.api.TimestampOffset;
import io.strata.tiering.internals.BlockCache;
import io.strata.tiering.internals.ObjectNames;
import io.strata.tiering.internals.OffloadHooks;
import io.strata.tiering.internals.Offloader;
import io.strata.tiering.internals.TierSegmentReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tier of a log store: a {@link TierStore} (S3, HDFS or a directory), the reader of offloaded
 * segments (index cache, block cache with read-ahead) and the background {@link Offloader}. Give it
 * to {@code BookKeeperLogStore.start(config, time, tiering)}; the store then reads TIERED segments
 * through it, tells it when logs open and close (that is the whole start/stop hook: the broker
 * calls nothing), and closes it.
 *
 * <pre>{@code
 * Tiering tier = Tiering.start(new TierConfig(props), Time.SYSTEM);
 * LogStore store = BookKeeperLogStore.start(storeConfig, Time.SYSTEM, tier);
 * }</pre>
 *
 * <p>Threads: {@code strata-tier-offload} (1, the offloader's state), {@code strata-tier} ({@code
 * strata.tier.io.threads}: decoding reads, continuations), plus the store's own (S3's Netty
 * threads, the directory/HDFS store's I/O pool). Thread-safe.
 */
public final class Tiering implements TieredStorage {
  private static final Logger log = LoggerFactory.getLogger(Tiering.class);

  private final TierStore store;
  private final TierConfig config;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService workers;
  private final BlockCache blocks;
  private final TierSegmentReader reader;
  private final Offloader offloader;

  private Tiering(TierStore store, TierConfig config, Time time, OffloadHooks hooks) {
    this.store = store;
    this.config = config;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "strata-tier-offload");
              t.setDaemon(true);
              return t;
            });
    this.workers = TierStores.ioPool("strata-tier", config.ioThreads());
    this.blocks =
        new BlockCache(
            store,
            config.blockBytes(),
            config.blockCacheBytes(),
            config.readaheadBlocks(),
            config.readTimeoutMs(),
            workers);
    this.reader =
        new TierSegmentReader(
            store, blocks, config.indexCacheBytes(), config.readTimeoutMs(), workers);
    this.offloader =
        new Offloader(
            store,
            reader,
            scheduler,
            workers,
            time,
            config.offloadBytesPerSecond(),
            config.offloadConcurrency(),
            config.offloadIntervalMs(),
            config.offloadRetryBackoffMs(),
            config.indexIntervalBytes(),
            hooks);
  }

  /**
   * Opens the store {@code config.uri()} names (which must be set) and starts the offloader.
   * Blocking (HDFS connects); call it at start-up.
   */
  public static Tiering start(TierConfig config, Time time) throws IOException {
    if (!config.enabled()) {
      throw new IllegalArgumentException(TierConfig.URI + " is not set");
    }
    TierStore store = TierStores.open(config);
    log.info("Tier store: {}", store.describe());
    return new Tiering(store, config, time, OffloadHooks.NONE);
  }

  /** A tier over an open store (tests; fault injection through {@code hooks}). Closes the store. */
  public static Tiering start(TierStore store, TierConfig config, Time time, OffloadHooks hooks) {
    return new Tiering(store, config, time, hooks);
  }

  /**
   * The tier a broker config asks for: {@link TieredStorage#NONE} when {@code strata.tier.uri} is
   * empty.
   */
  public static TieredStorage fromConfig(TierConfig config, Time time) throws IOException {
    return config.enabled() ? start(config, time) : TieredStorage.NONE;
  }

  public TierStore store() {
    return store;
  }

  public TierConfig config() {
    return config;
  }

  public Offloader offloader() {
    return offloader;
  }

  public BlockCache blockCache() {
    return blocks;
  }

  /** Drops every cached segment index (benchmarks: cold reads). */
  public void dropIndexes() {
    reader.invalidateIndexes();
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public CompletableFuture<LogReadResult> read(
      String logName,
      SegmentMetadata segment,
      long offset,
      int maxBytes,
      long highWatermark,
      long logStartOffset) {
    // Hop off the caller's thread (a log's executor) first: even issuing a request may cost
    // (signing, a first credentials look-up).
    return CompletableFuture.supplyAsync(
            () -> reader.read(logName, segment, offset, maxBytes, highWatermark, logStartOffset),
            workers)
        .thenCompose(f -> f);
  }

  @Override
  public CompletableFuture<Optional<TimestampOffset>> offsetForTimestamp(
      String logName,
      SegmentMetadata segment,
      long timestampMs,
      long startOffset,
      long highWatermark) {
    return CompletableFuture.supplyAsync(
            () ->
                reader.offsetForTimestamp(
                    logName, segment, timestampMs, startOffset, highWatermark),
            workers)
        .thenCompose(f -> f);
  }

  @Override
  public CompletableFuture<Void> deleteSegment(String logName, long ledgerId) {
    return deletePrefix(ObjectNames.segmentPrefix(logName, ledgerId));
  }

  @Override
  public CompletableFuture<Void> deleteLog(String logName) {
    return deletePrefix(ObjectNames.logPrefix(logName));
  }

  private CompletableFuture<Void> deletePrefix(String prefix) {
    return store
        .list(prefix)
        .thenCompose(
            objects -> {
              List<CompletableFuture<Void>> deletes = new ArrayList<>();
              java.util.Set<String> seen = new java.util.HashSet<>();
              for (TierObject o : objects) {
                if (seen.add(o.key())) {
                  reader.invalidate(o.key());
                  deletes.add(store.delete(o.key()));
                }
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
            });
  }

  @Override
  public void logOpened(PartitionLog log) {
    offloader.logOpened(log);
  }

  @Override
  public void logClosed(PartitionLog log) {
    offloader.logClosed(log);
  }

  @Override
  public void close() {
    offloader.close();
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
    workers.shutdown();
  }
}
