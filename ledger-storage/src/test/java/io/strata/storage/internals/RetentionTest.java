package io.strata.storage.internals;

import static io.strata.storage.internals.LogTestSupport.WAIT;
import static io.strata.storage.internals.LogTestSupport.appendMany;
import static io.strata.storage.internals.LogTestSupport.assertReadsAll;
import static io.strata.storage.internals.LogTestSupport.assertReadsBack;
import static io.strata.storage.internals.LogTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.LogNotFoundException;
import io.strata.storage.api.OffsetOutOfRangeException;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.RetentionResult;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.internals.LogTestSupport.Acked;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.BKException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Retention and trimming delete whole ledgers: gone from BookKeeper's metadata and bookies. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RetentionTest {
  @RegisterExtension static final StorageCluster cluster = StorageCluster.withBookies(3);

  /** Data and index ledgers of these segments no longer exist, on the metadata and bookies. */
  private static void assertLedgersGone(List<SegmentMetadata> segments) {
    List<Long> ids = new ArrayList<>();
    for (SegmentMetadata s : segments) {
      ids.add(s.ledgerId());
      if (s.indexLedgerId() >= 0) {
        ids.add(s.indexLedgerId());
      }
    }
    long t0 = System.nanoTime();
    for (long id : ids) {
      Awaitility.await()
          .atMost(WAIT)
          .pollDelay(java.time.Duration.ZERO)
          .untilAsserted(
              () ->
                  assertThat(
                          cluster
                              .bookKeeper()
                              .newOpenLedgerOp()
                              .withLedgerId(id)
                              .withPassword(new byte[0])
                              .execute())
                      .failsWithin(WAIT)
                      .withThrowableOfType(ExecutionException.class)
                      .withCauseInstanceOf(BKException.class)
                      .satisfies(
                          e ->
                              assertThat(((BKException) e.getCause()).getCode())
                                  .isEqualTo(
                                      BKException.Code
                                          .NoSuchLedgerExistsOnMetadataServerException)));
    }
    long t1 = System.nanoTime();
    // The bookies' garbage collector (1 s period here, and nudged) drops the ledgers' data.
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(java.time.Duration.ofMillis(250))
        .until(
            () -> {
              for (long id : ids) {
                if (cluster.cluster().anyBookieHasLedger(id)) {
                  cluster.cluster().forceGarbageCollection();
                  return false;
                }
              }
              return true;
            });
    System.out.printf(
        "ledgers %s gone: metadata %d ms, bookies %d ms%n",
        ids, (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
  }

  @Test
  void retentionByTimeFollowsTheInjectedClock() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    LogConfig config =
        new LogConfig(Map.of(LogConfig.RETENTION_MS, 60_000L, LogConfig.SEGMENT_BYTES, 4096));
    PartitionLog log = await(store.open("by-time", config, 1));
    Acked acked = new Acked();
    long t0 = time.milliseconds();
    appendMany(log, acked, 20, 1, 300, t0, 1); // several segments with timestamps ~ t0
    await(log.roll());
    time.advance(30_000);
    appendMany(log, acked, 20, 1, 300, time.milliseconds(), 2);

    RetentionResult nothing = await(log.applyRetention());
    assertThat(nothing.deletedSegments()).isZero();

    time.advance(31_000); // the first batches' timestamps are now more than 60 s old
    List<SegmentMetadata> old =
        log.metadata().segments().stream()
            .filter(s -> s.isSealed() && s.maxTimestamp() < t0 + 1000)
            .toList();
    assertThat(old).isNotEmpty();
    RetentionResult result = await(log.applyRetention());
    assertThat(result.deletedSegments()).isEqualTo(old.size());
    assertThat(result.logStartOffset()).isEqualTo(old.get(old.size() - 1).lastOffset() + 1);
    assertThat(log.logStartOffset()).isEqualTo(result.logStartOffset());
    assertThat(await(store.describe("by-time")).orElseThrow().segments()).noneMatch(old::contains);
    assertLedgersGone(old);
    assertThat(log.read(0, 100))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(OffsetOutOfRangeException.class);
    assertReadsAll(log, acked, log.logStartOffset());
    await(log.close());
  }

  @Test
  void retentionByBytesKeepsTheNewestSegments() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    LogConfig config =
        new LogConfig(
            Map.of(
                LogConfig.RETENTION_BYTES, 10_000L,
                LogConfig.RETENTION_MS, -1L,
                LogConfig.SEGMENT_BYTES, 3000));
    PartitionLog log = await(store.open("by-bytes", config, 1));
    Acked acked = new Acked();
    appendMany(log, acked, 40, 1, 900, 1, 1);
    List<SegmentMetadata> before = log.metadata().segments();
    RetentionResult result = await(log.applyRetention());
    assertThat(result.deletedSegments()).isPositive();
    List<SegmentMetadata> after = await(store.describe("by-bytes")).orElseThrow().segments();
    // What is left is at least retention.bytes, and dropping one more segment would go below.
    long kept = 0;
    for (var e : acked.batches.tailMap(log.logStartOffset(), true).values()) {
      kept += e.length;
    }
    assertThat(kept).isGreaterThanOrEqualTo(10_000);
    assertThat(kept - after.get(0).sizeBytes()).isLessThan(10_000);
    assertLedgersGone(before.subList(0, result.deletedSegments()));
    assertReadsAll(log, acked, log.logStartOffset());
    await(log.close());
  }

  @Test
  void trimToAdvancesTheStartAndDeletesSegmentsBelowIt() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log =
        await(store.open("trim", new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, 2000)), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 30, 2, 300, 1, 1);
    List<SegmentMetadata> segments = log.metadata().segments();
    SegmentMetadata third = segments.get(2);
    long target = third.firstOffset() + 1; // inside the third segment
    assertThat(cluster.cluster().anyBookieHasLedger(segments.get(0).ledgerId())).isTrue();
    assertThat(cluster.cluster().anyBookieHasLedger(segments.get(0).indexLedgerId())).isTrue();
    await(log.trimTo(target));
    assertThat(log.logStartOffset()).isEqualTo(target);
    LogMetadata stored = await(store.describe("trim")).orElseThrow();
    assertThat(stored.logStartOffset()).isEqualTo(target);
    assertThat(stored.segments().get(0).ledgerId()).isEqualTo(third.ledgerId());
    assertLedgersGone(segments.subList(0, 2));
    assertThat(log.read(target - 1, 100))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(OffsetOutOfRangeException.class);
    assertReadsBack(log, acked, target);
    assertThat(log.trimTo(log.highWatermark() + 1))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(OffsetOutOfRangeException.class);
    await(log.trimTo(1)); // below the start: no-op
    assertThat(log.logStartOffset()).isEqualTo(target);

    // A new owner keeps the start offset.
    await(log.close());
    PartitionLog next = await(cluster.newStore(time).open("trim", log.config(), 2));
    assertThat(next.logStartOffset()).isEqualTo(target);
    await(next.close());
  }

  @Test
  void deleteRemovesMetadataAndEveryLedger() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log =
        await(store.open("doomed", new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, 2000)), 1));
    appendMany(log, new Acked(), 20, 1, 300, 1, 1);
    List<SegmentMetadata> segments = log.metadata().segments();
    await(store.delete("doomed"));
    assertThat(await(store.describe("doomed"))).isEmpty();
    assertLedgersGone(segments);
    assertThat(store.delete("doomed"))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogNotFoundException.class);
  }
}
