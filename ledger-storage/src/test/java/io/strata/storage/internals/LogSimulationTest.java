package io.strata.storage.internals;

import static io.strata.storage.internals.LogTestSupport.WAIT;
import static io.strata.storage.internals.LogTestSupport.assertReadsAll;
import static io.strata.storage.internals.LogTestSupport.assertReadsBack;
import static io.strata.storage.internals.LogTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.LogUnavailableException;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.internals.LogTestSupport.Acked;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import io.strata.storage.testing.TestBatches;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seeded random interleaving of append, roll, take-over (with appends in flight), trim, retention
 * and store restart, with the log's invariants checked after every step:
 *
 * <ul>
 *   <li>offsets are dense from the log start offset; log start and high watermark never go back;
 *   <li>every acknowledged batch at or above the log start offset reads back byte for byte;
 *   <li>at most one writer: every superseded instance's appends fail with LogFencedException and
 *       change nothing.
 * </ul>
 *
 * Re-run a failure with {@code -Dstrata.sim.seed=<seed printed>}; {@code -Dstrata.sim.steps=N}
 * changes the length (default 60).
 */
@Tag("slow")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LogSimulationTest {
  @RegisterExtension
  static final StorageCluster cluster =
      StorageCluster.withBookies(4)
          .storeConfig("strata.index.chunk.entries", 5)
          .storeConfig("bookkeeper.add.entry.timeout.seconds", 5);

  private static final String LOG = "sim";

  private final ManualTime time = new ManualTime();
  private final Acked acked = new Acked();
  private final List<PartitionLog> superseded = new ArrayList<>();
  private BookKeeperLogStore store;
  private PartitionLog log;
  private long epoch;
  private long lastStart;
  private long lastHw;

  @Test
  void randomInterleavingKeepsTheInvariants() throws Exception {
    long seed = Long.getLong("strata.sim.seed", System.nanoTime());
    int steps = Integer.getInteger("strata.sim.steps", 60);
    System.out.println("LogSimulationTest seed=" + seed + " (-Dstrata.sim.seed=" + seed + ")");
    Random random = new Random(seed);
    LogConfig config = new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, 6 * 1024));
    store = cluster.newStore(time);
    log = await(store.open(LOG, config, ++epoch));
    for (int step = 0; step < steps; step++) {
      int dice = random.nextInt(100);
      String op;
      if (dice < 42) {
        op = "append";
        append(random, 1 + random.nextInt(8));
      } else if (dice < 50) {
        op = "roll";
        await(log.roll());
      } else if (dice < 62) {
        op = "take-over";
        takeOver(random, config);
      } else if (dice < 72) {
        long target =
            log.logStartOffset()
                + (long) (random.nextDouble() * (log.highWatermark() - log.logStartOffset() + 1));
        op = "trim to " + target;
        await(log.trimTo(target));
      } else if (dice < 77) {
        op = "retention";
        log.updateConfig(
            new LogConfig(
                Map.of(LogConfig.SEGMENT_BYTES, 6 * 1024, LogConfig.RETENTION_BYTES, 20_000L)));
        await(log.applyRetention());
        log.updateConfig(config);
      } else if (dice < 83) {
        op = "bookie outage";
        bookieOutage(random);
      } else {
        op = "restart store";
        await(log.close());
        store.close();
        store = cluster.newStore(time);
        log = await(store.open(LOG, config, ++epoch));
      }
      time.advance(random.nextInt(1000));
      System.out.println(
          "step "
              + step
              + ": "
              + op
              + " -> start "
              + log.logStartOffset()
              + ", hw "
              + log.highWatermark()
              + ", segments "
              + log.metadata().segments().size());
      checkInvariants(random);
    }
    await(log.close());
    store.close();
  }

  private void append(Random random, int n) throws Exception {
    List<byte[]> batches = new ArrayList<>();
    List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b =
          TestBatches.batch(
              1 + random.nextInt(4),
              50 + random.nextInt(600),
              time.milliseconds(),
              random.nextLong());
      batches.add(b);
      futures.add(log.append(TestBatches.buf(b)));
    }
    for (int i = 0; i < n; i++) {
      acked.add(await(futures.get(i)), batches.get(i));
    }
  }

  /**
   * Two of the four bookies die (quorums 3/3/2 cannot form an ensemble): appends either made it
   * before or fail retriably; once the bookies are back, appends succeed again.
   */
  private void bookieOutage(Random random) throws Exception {
    int n = cluster.cluster().bookieCount();
    int a = random.nextInt(n);
    int b = (a + 1 + random.nextInt(n - 1)) % n;
    cluster.cluster().kill(a);
    cluster.cluster().kill(b);
    try {
      List<byte[]> batches = new ArrayList<>();
      List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(5); i++) {
        byte[] batch =
            TestBatches.batch(1 + random.nextInt(3), 200, time.milliseconds(), random.nextLong());
        batches.add(batch);
        futures.add(log.append(TestBatches.buf(batch)));
      }
      for (int i = 0; i < futures.size(); i++) {
        try {
          acked.add(futures.get(i).get(60, TimeUnit.SECONDS), batches.get(i));
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(LogUnavailableException.class);
        }
      }
    } finally {
      cluster.cluster().restart(a);
      cluster.cluster().restart(b);
    }
    byte[] batch = TestBatches.batch(1, 100, time.milliseconds(), random.nextLong());
    AppendResult[] result = new AppendResult[1];
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(ExecutionException.class)
        .until(
            () -> {
              result[0] = log.append(TestBatches.buf(batch)).get(30, TimeUnit.SECONDS);
              return true;
            });
    acked.add(result[0], batch);
  }

  /** A new store takes the log over while the current writer has appends in flight. */
  private void takeOver(Random random, LogConfig config) throws Exception {
    int inflight = random.nextInt(6);
    List<byte[]> batches = new ArrayList<>();
    List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
    for (int i = 0; i < inflight; i++) {
      byte[] b =
          TestBatches.batch(1 + random.nextInt(3), 100, time.milliseconds(), random.nextLong());
      batches.add(b);
      futures.add(log.append(TestBatches.buf(b)));
    }
    BookKeeperLogStore next = cluster.newStore(time);
    PartitionLog taken = await(next.open(LOG, config, ++epoch));
    List<byte[]> failed = new ArrayList<>();
    for (int i = 0; i < inflight; i++) {
      try {
        acked.add(futures.get(i).get(60, TimeUnit.SECONDS), batches.get(i));
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(LogFencedException.class);
        failed.add(batches.get(i));
      }
    }
    // Failed-as-fenced appends that reached the bookies may have been recovered: they are the
    // failed ones, in order, right after the acknowledged ones.
    long offset = acked.next();
    int f = 0;
    while (offset < taken.highWatermark()) {
      LogReadResult r = await(taken.read(offset, 1));
      try {
        assertThat(f).as("recovered more batches than were in flight").isLessThan(failed.size());
        assertThat(TestBatches.bytes(r.records()))
            .isEqualTo(TestBatches.withBaseOffset(failed.get(f), offset));
        acked.batches.put(offset, failed.get(f));
        offset = r.nextOffset();
        f++;
      } finally {
        r.release();
      }
    }
    superseded.add(log);
    store = next;
    log = taken;
  }

  private void checkInvariants(Random random) throws Exception {
    long start = log.logStartOffset();
    long hw = log.highWatermark();
    assertThat(start).as("log start never goes back").isGreaterThanOrEqualTo(lastStart);
    assertThat(hw).as("high watermark never goes back").isGreaterThanOrEqualTo(lastHw);
    assertThat(hw).isEqualTo(acked.next()).isEqualTo(log.logEndOffset());
    acked.assertDense(0);
    assertThat(await(store.describe(LOG)).orElseThrow().writerEpoch()).isEqualTo(epoch);
    if (start < hw) {
      assertReadsBack(log, acked, start);
      assertReadsBack(log, acked, start + (long) (random.nextDouble() * (hw - start)));
    }
    assertReadsAll(log, acked, start);
    if (!superseded.isEmpty()) {
      PartitionLog old = superseded.get(random.nextInt(superseded.size()));
      assertThat(old.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 1))))
          .failsWithin(WAIT)
          .withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(LogFencedException.class);
      assertThat(log.highWatermark()).isEqualTo(hw);
    }
    lastStart = start;
    lastHw = hw;
  }
}
