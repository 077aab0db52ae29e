package io.strata.tiering.bench;

import io.netty.buffer.Unpooled;
import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.embedded.LocalStorageCluster;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.storage.testing.TestBatches;
import io.strata.tiering.TierConfig;
import io.strata.tiering.TierStores;
import io.strata.tiering.Tiering;
import io.strata.tiering.internals.OffloadHooks;
import io.strata.tiering.testing.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.utils.Time;

/**
 * Tiered-storage benchmark: 3 in-process bookies (journal fsync on, quorums 3/3/2), an in-process
 * S3 server (s3proxy, in-memory), one log. Prints a table:
 *
 * <ul>
 *   <li>catch-up read throughput of the whole log from the bookies, then (after offload and local
 *       retention) from the S3 tier with a cold block cache;
 *   <li>time to first byte of a read at a random offset of an offloaded segment, cold (no cached
 *       index or block) and warm;
 *   <li>tail produce latency (p50/p99, 16 KiB batches, 8 in flight) alone and while a full catch-up
 *       read from the tier runs beside it.
 * </ul>
 *
 * Environment: {@code BENCH_MB} (log size, 128), {@code BENCH_TTFB} (samples, 50), {@code
 * BENCH_TAIL_SECONDS} (10).
 */
public final class TierBench {
  private static final int BATCH_BYTES = 16 * 1024;

  public static void main(String[] args) throws Exception {
    int mb = Integer.parseInt(System.getenv().getOrDefault("BENCH_MB", "128"));
    int samples = Integer.parseInt(System.getenv().getOrDefault("BENCH_TTFB", "50"));
    int tailSeconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_TAIL_SECONDS", "10"));
    Path dir = Files.createTempDirectory("strata-tierbench-");
    List<String[]> rows = new ArrayList<>();
    try (LocalStorageCluster cluster = LocalStorageCluster.builder(dir).bookies(3).start();
        S3Server s3 = S3Server.start("bench")) {
      Map<String, Object> tp = new HashMap<>();
      tp.put(TierConfig.URI, s3.tierUri("bench", "strata"));
      tp.put(TierConfig.S3_ACCESS_KEY_ID, S3Server.ACCESS_KEY);
      tp.put(TierConfig.S3_SECRET_ACCESS_KEY, S3Server.SECRET_KEY);
      tp.put(TierConfig.OFFLOAD_INTERVAL_MS, 100L);
      tp.put(TierConfig.OFFLOAD_CONCURRENCY, 2);
      TierConfig tc = new TierConfig(tp);
      Tiering tier = Tiering.start(TierStores.open(tc), tc, Time.SYSTEM, OffloadHooks.NONE);
      Map<String, Object> sp = new HashMap<>();
      sp.put(LogStoreConfig.ZOOKEEPER_CONNECT, cluster.zkConnectString());
      sp.put(LogStoreConfig.BOOKKEEPER_METADATA_URI, cluster.metadataServiceUri());
      try (BookKeeperLogStore store =
          BookKeeperLogStore.start(new LogStoreConfig(sp), Time.SYSTEM, tier)) {
        Map<String, Object> lp = new HashMap<>();
        lp.put(LogConfig.SEGMENT_BYTES, 16 * 1024 * 1024);
        lp.put(LogConfig.RETENTION_MS, -1L);
        lp.put(LogConfig.REMOTE_STORAGE_ENABLE, false);
        lp.put(LogConfig.LOCAL_RETENTION_MS, 0L);
        PartitionLog log = store.open("history", new LogConfig(lp), 1).get(60, TimeUnit.SECONDS);
        long bytes = (long) mb * 1024 * 1024;
        int batches = (int) (bytes / BATCH_BYTES);
        System.out.printf("Writing %d MiB (%d batches of ~16 KiB) to 3 bookies...%n", mb, batches);
        appendWindow(log, batches, 64, null);
        log.roll().get(60, TimeUnit.SECONDS);
        long hw = log.highWatermark();

        store.dropCaches();
        double bookieMbs = catchUp(log, hw);
        rows.add(row("catch-up read, bookies", fmt(bookieMbs) + " MiB/s", mb + " MiB"));

        long t0 = System.nanoTime();
        lp.put(LogConfig.REMOTE_STORAGE_ENABLE, true);
        log.updateConfig(new LogConfig(lp));
        tier.offloader().trigger();
        while (!log.metadata().segments().stream()
            .filter(SegmentMetadata::isSealed)
            .allMatch(SegmentMetadata::isOffloaded)) {
          Thread.sleep(20);
        }
        double offloadSec = (System.nanoTime() - t0) / 1e9;
        rows.add(row("offload to S3 (2 at once)", fmt(mb / offloadSec) + " MiB/s", mb + " MiB"));
        log.applyRetention().get(60, TimeUnit.SECONDS);

        tier.blockCache().invalidateAll();
        double tierMbs = catchUp(log, hw);
        rows.add(row("catch-up read, S3 tier (cold)", fmt(tierMbs) + " MiB/s", mb + " MiB"));

        Random r = new Random(42);
        long[] cold = new long[samples];
        long[] warm = new long[samples];
        long[] offsets = new long[samples];
        for (int i = 0; i < samples; i++) {
          offsets[i] = (long) (r.nextDouble() * hw);
        }
        for (int i = 0; i < samples; i++) {
          tier.blockCache().invalidateAll();
          tier.dropIndexes();
          cold[i] = ttfb(log, offsets[i]);
        }
        for (int i = 0; i < samples; i++) {
          ttfb(log, offsets[i]);
          warm[i] = ttfb(log, offsets[i]);
        }
        rows.add(
            row(
                "time to first byte, cold",
                pct(cold, 50) + " / " + pct(cold, 99),
                samples + " random offsets, p50 / p99 ms"));
        rows.add(
            row(
                "time to first byte, warm",
                pct(warm, 50) + " / " + pct(warm, 99),
                samples + " random offsets, p50 / p99 ms"));

        PartitionLog tail =
            store
                .open("tail", new LogConfig(Map.of(LogConfig.RETENTION_MS, -1L)), 1)
                .get(60, TimeUnit.SECONDS);
        long[] alone = tailLatencies(tail, tailSeconds, null);
        rows.add(
            row(
                "tail produce alone",
                pct(alone, 50) + " / " + pct(alone, 99),
                "p50 / p99 ms, 8 in flight"));
        AtomicBoolean stop = new AtomicBoolean();
        Thread reader =
            new Thread(
                () -> {
                  try {
                    while (!stop.get()) {
                      tier.blockCache().invalidateAll();
                      catchUp(log, hw, stop);
                    }
                  } catch (Exception e) {
                    System.err.println("catch-up reader failed: " + e);
                  }
                },
                "bench-catch-up");
        reader.start();
        long[] busy = tailLatencies(tail, tailSeconds, null);
        stop.set(true);
        reader.join();
        rows.add(
            row(
                "tail produce + S3 catch-up",
                pct(busy, 50) + " / " + pct(busy, 99),
                "p50 / p99 ms, 8 in flight"));
      }
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.println();
    System.out.printf("%-32s %-20s %s%n", "measure", "value", "notes");
    for (String[] row : rows) {
      System.out.printf("%-32s %-20s %s%n", row[0], row[1], row[2]);
    }
  }

  private static String[] row(String a, String b, String c) {
    return new String[] {a, b, c};
  }

  private static String fmt(double d) {
    return String.format("%.1f", d);
  }

  private static String pct(long[] nanos, int p) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    int i = Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1);
    return String.format("%.1f", s[Math.max(0, i)] / 1e6);
  }

  private static void appendWindow(PartitionLog log, int n, int window, List<Long> latencies)
      throws Exception {
    byte[] batch = TestBatches.batch(15, 1050, System.currentTimeMillis(), 7);
    Semaphore inflight = new Semaphore(window);
    List<CompletableFuture<AppendResult>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      inflight.acquire();
      long start = System.nanoTime();
      CompletableFuture<AppendResult> f = log.append(Unpooled.wrappedBuffer(batch.clone()));
      f.whenComplete(
          (x, e) -> {
            if (latencies != null) {
              synchronized (latencies) {
                latencies.add(System.nanoTime() - start);
              }
            }
            inflight.release();
          });
      all.add(f);
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
  }

  private static long[] tailLatencies(PartitionLog log, int seconds, Object unused)
      throws Exception {
    List<Long> lat = new ArrayList<>();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      appendWindow(log, 200, 8, lat);
    }
    return lat.stream().mapToLong(Long::longValue).toArray();
  }

  private static double catchUp(PartitionLog log, long hw) throws Exception {
    return catchUp(log, hw, new AtomicBoolean());
  }

  private static double catchUp(PartitionLog log, long hw, AtomicBoolean stop) throws Exception {
    long t0 = System.nanoTime();
    long bytes = 0;
    long offset = log.logStartOffset();
    while (offset < hw && !stop.get()) {
      LogReadResult r = log.read(offset, 1024 * 1024).get(60, TimeUnit.SECONDS);
      try {
        bytes += r.records().readableBytes();
        offset = r.nextOffset();
      } finally {
        r.release();
      }
    }
    return bytes / (1024.0 * 1024) / ((System.nanoTime() - t0) / 1e9);
  }

  private static long ttfb(PartitionLog log, long offset) throws Exception {
    long t0 = System.nanoTime();
    LogReadResult r = log.read(offset, 1).get(60, TimeUnit.SECONDS);
    long t = System.nanoTime() - t0;
    r.release();
    return t;
  }
}
