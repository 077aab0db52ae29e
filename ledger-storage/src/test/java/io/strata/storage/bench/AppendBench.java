package io.strata.storage.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.embedded.EmbeddedBookie;
import io.strata.storage.embedded.LocalStorageCluster;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.storage.testing.TestBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Time;

/**
 * Append throughput and latency of one partition log on 3 in-process bookies with journal fsync on
 * (quorums 3/3/2), next to the disk's own fsync rate measured in the same run.
 *
 * <p>Run: {@code mvn -B -q -pl ledger-storage test-compile exec:exec} (see the module README).
 * Environment: {@code BENCH_APPENDS} (default 20000), {@code BENCH_INFLIGHT} (256), {@code
 * BENCH_BATCH_BYTES} (16384), {@code BENCH_FSYNCS} (1000).
 */
public final class AppendBench {
  private AppendBench() {}

  private static int env(String name, int dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
  }

  public static void main(String[] args) throws Exception {
    int appends = env("BENCH_APPENDS", 20_000);
    String inflightLevels = System.getenv().getOrDefault("BENCH_INFLIGHT", "16,64,256");
    int batchBytes = env("BENCH_BATCH_BYTES", 16 * 1024);
    int fsyncs = env("BENCH_FSYNCS", 1000);
    Path dir = Files.createTempDirectory("strata-bench-");
    try (LocalStorageCluster cluster =
        LocalStorageCluster.builder(dir)
            .bookies(3)
            .bookieSettings(EmbeddedBookie.Settings.defaults().withJournalSyncData(true))
            .start()) {
      double[] fsync = measureFsync(cluster.bookie(0).dir().resolve("journal"), fsyncs);
      LogStoreConfig config =
          new LogStoreConfig(
              Map.of(
                  LogStoreConfig.ZOOKEEPER_CONNECT, cluster.zkConnectString(),
                  LogStoreConfig.BOOKKEEPER_METADATA_URI, cluster.metadataServiceUri()));
      try (BookKeeperLogStore store = BookKeeperLogStore.start(config, Time.SYSTEM)) {
        LogConfig logConfig =
            new LogConfig(
                Map.of(
                    LogConfig.SEGMENT_BYTES, 128 * 1024 * 1024,
                    LogConfig.MAX_MESSAGE_BYTES, 4 * 1024 * 1024));
        PartitionLog log = store.open("bench", logConfig, 1).get(60, TimeUnit.SECONDS);
        byte[] batch = batchOf(batchBytes);
        run(log, batch, Math.min(2000, appends / 5), 64); // warm-up
        StringBuilder table = new StringBuilder();
        for (String level : inflightLevels.split(",")) {
          int inflight = Integer.parseInt(level.trim());
          Result r = run(log, batch, appends, inflight);
          table.append(row(r, batch.length, appends, inflight, fsync));
        }
        log.close().get(60, TimeUnit.SECONDS);
        System.out.println();
        System.out.println(
            "Strata append benchmark: 3 in-process bookies, journalSyncData=true, quorums 3/3/2,"
                + " batch "
                + batch.length
                + " bytes, "
                + appends
                + " appends per row");
        System.out.println(
            "| in flight | MB/s   | appends/s | p50 ms | p99 ms | failed | disk fsync/s (4 KiB)"
                + " | fsync mean ms |");
        System.out.println(
            "|-----------|--------|-----------|--------|--------|--------|---------------------"
                + "-|---------------|");
        System.out.print(table);
      }
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A real Kafka batch of about {@code target} bytes (records of 1000-byte values). */
  private static byte[] batchOf(int target) {
    int records = Math.max(1, target / 1030);
    int value = Math.max(1, (target - 61) / records - 30);
    return TestBatches.batch(records, value, System.currentTimeMillis(), 42);
  }

  /** Writes and forces 4 KiB {@code n} times; returns {fsyncs per second, mean latency ms}. */
  private static double[] measureFsync(Path journalDir, int n) throws IOException {
    Path file = journalDir.resolve("fsync-probe");
    ByteBuffer block = ByteBuffer.allocateDirect(4096);
    long start = System.nanoTime();
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int i = 0; i < n; i++) {
        block.clear();
        ch.write(block, (long) i * 4096);
        ch.force(false);
      }
    }
    double secs = (System.nanoTime() - start) / 1e9;
    Files.deleteIfExists(file);
    return new double[] {n / secs, secs * 1000 / n};
  }

  private record Result(double seconds, long[] latenciesNanos, long failures) {}

  private static Result run(PartitionLog log, byte[] batch, int n, int inflight)
      throws InterruptedException {
    Semaphore window = new Semaphore(inflight);
    CountDownLatch done = new CountDownLatch(n);
    long[] latencies = new long[n];
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      window.acquire();
      ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(batch.length);
      buf.writeBytes(batch);
      long t0 = System.nanoTime();
      int slot = i;
      log.append(buf)
          .whenComplete(
              (r, e) -> {
                latencies[slot] = System.nanoTime() - t0;
                if (e != null) {
                  failures.incrementAndGet();
                }
                window.release();
                done.countDown();
              });
    }
    done.await();
    return new Result((System.nanoTime() - start) / 1e9, latencies, failures.get());
  }

  private static String row(Result r, int batchBytes, int n, int inflight, double[] fsync) {
    long[] sorted = r.latenciesNanos.clone();
    Arrays.sort(sorted);
    double p50 = sorted[(int) (sorted.length * 0.50)] / 1e6;
    double p99 = sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.99)] / 1e6;
    double mbps = (double) batchBytes * n / r.seconds / (1024 * 1024);
    return String.format(
        "| %9d | %6.1f | %9.0f | %6.2f | %6.2f | %6d | %20.0f | %13.3f |%n",
        inflight, mbps, n / r.seconds, p50, p99, r.failures, fsync[0], fsync[1]);
  }
}
