package io.strata.storage.internals;

import static io.strata.storage.internals.LogTestSupport.WAIT;
import static io.strata.storage.internals.LogTestSupport.appendMany;
import static io.strata.storage.internals.LogTestSupport.assertReadsAll;
import static io.strata.storage.internals.LogTestSupport.assertReadsBack;
import static io.strata.storage.internals.LogTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.strata.storage.api.AppendListener;
import io.strata.storage.api.AppendResult;
import io.strata.storage.api.BatchTooLargeException;
import io.strata.storage.api.CorruptBatchException;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.OffsetOutOfRangeException;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.TimestampOffset;
import io.strata.storage.internals.LogTestSupport.Acked;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import io.strata.storage.testing.TestBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionLogTest {
  @RegisterExtension static final StorageCluster cluster = StorageCluster.withBookies(3);

  private static LogConfig smallSegments(int bytes) {
    return new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, bytes));
  }

  @Test
  void appendsAndReadsAcrossManyRolls() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("rolls", smallSegments(8 * 1024), 1));
    Acked acked = new Acked();
    for (int round = 0; round < 6; round++) {
      appendMany(log, acked, 20, 1 + round % 3, 300, time.milliseconds(), round * 100L);
    }
    acked.assertDense(0);
    assertThat(log.highWatermark()).isEqualTo(acked.next()).isEqualTo(log.logEndOffset());
    LogMetadata meta = await(store.describe("rolls")).orElseThrow();
    assertThat(meta.segments().size()).isGreaterThan(10);
    assertThat(meta.segments().subList(0, meta.segments().size() - 1))
        .allMatch(SegmentMetadata::isSealed);

    // Every offset, including ones inside multi-record batches and inside closed segments.
    for (long offset = 0; offset < log.highWatermark(); offset++) {
      assertReadsBack(log, acked, offset);
    }
    assertReadsAll(log, acked, 0);

    // The indexes of closed segments come from their index ledgers once the cache is dropped.
    SegmentMetadata third = meta.segments().get(2);
    store.dropIndex(third.ledgerId());
    assertThat(store.isIndexCached(third.ledgerId())).isFalse();
    assertReadsBack(log, acked, third.firstOffset() + 1);
    assertThat(store.isIndexCached(third.ledgerId())).isTrue();
    await(log.close());
  }

  @Test
  void readsStopAtTheHighWatermarkAndRejectOffsetsOutOfRange() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("ranges", LogConfig.defaults(), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 3, 2, 10, 1000, 1);
    var empty = await(log.read(6, 1000));
    assertThat(empty.batchCount()).isZero();
    assertThat(empty.records().readableBytes()).isZero();
    empty.release();
    assertThat(log.read(7, 1000))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(OffsetOutOfRangeException.class);
    // maxBytes smaller than a batch still returns one whole batch; a large one returns all three.
    var all = await(log.read(1, 1 << 20));
    assertThat(all.batchCount()).isEqualTo(3);
    assertThat(all.firstOffset()).isZero();
    assertThat(all.nextOffset()).isEqualTo(6);
    all.release();
    await(log.close());
  }

  @Test
  void aNewStoreSeesEverythingAcknowledged() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore first = cluster.newStore(time);
    PartitionLog log = await(first.open("reopen", smallSegments(4 * 1024), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 30, 2, 200, time.milliseconds(), 7);
    await(log.close());
    LogMetadata closed = await(first.describe("reopen")).orElseThrow();
    assertThat(closed.segments()).allMatch(SegmentMetadata::isSealed);
    first.close();

    BookKeeperLogStore second = cluster.newStore(time);
    PartitionLog again = await(second.open("reopen", smallSegments(4 * 1024), 2));
    assertThat(again.highWatermark()).isEqualTo(acked.next());
    assertReadsAll(again, acked, 0);
    appendMany(again, acked, 5, 1, 100, time.milliseconds(), 99);
    acked.assertDense(0);
    assertReadsAll(again, acked, 0);
    await(again.close());
  }

  @Test
  void indexOfClosedSegmentsSurvivesRestartAndIsNotRebuiltByScanning() throws Exception {
    ManualTime time = new ManualTime();
    Map<String, Object> chunky = Map.of("strata.index.chunk.entries", 4);
    BookKeeperLogStore first = cluster.newStore(time, chunky);
    PartitionLog log = await(first.open("index-restart", smallSegments(16 * 1024), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 60, 3, 500, time.milliseconds(), 3);
    await(log.close());
    List<SegmentMetadata> segments =
        await(first.describe("index-restart")).orElseThrow().segments();
    first.close();
    assertThat(segments).allMatch(s -> s.indexLedgerId() >= 0);

    BookKeeperLogStore second = cluster.newStore(time, chunky);
    PartitionLog reopened = await(second.open("index-restart", smallSegments(16 * 1024), 2));
    // The take-over found every segment sealed: nothing to recover, nothing scanned.
    assertThat(second.indexStats().entriesScanned()).isZero();
    SegmentMetadata s = segments.get(1);
    assertThat(second.isIndexCached(s.ledgerId())).isFalse();
    assertReadsBack(reopened, acked, s.firstOffset() + 4);
    assertThat(second.isIndexCached(s.ledgerId())).isTrue();
    // The index came from the index ledger (chunks read), not from reading the data entries.
    assertThat(second.indexStats().chunksRead()).isPositive();
    assertThat(second.indexStats().entriesScanned()).isZero();
    assertReadsAll(reopened, acked, 0);
    await(reopened.close());
  }

  @Test
  void corruptBatchesAreRejectedAndNothingIsStored() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log =
        await(store.open("corrupt", new LogConfig(Map.of(LogConfig.MAX_MESSAGE_BYTES, 10_000)), 1));
    byte[] good = TestBatches.batch(3, 50, 1000, 1);

    byte[] badCrc = good.clone();
    badCrc[badCrc.length - 1] ^= 1;
    byte[] badMagic = good.clone();
    badMagic[16] = 1;
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 5);
    byte[] tiny = java.util.Arrays.copyOf(good, 20);
    for (byte[] bad : List.of(badCrc, badMagic, truncated, tiny)) {
      ByteBuf buf = TestBatches.buf(bad);
      assertThat(log.append(buf))
          .failsWithin(WAIT)
          .withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(CorruptBatchException.class);
      assertThat(buf.refCnt()).as("released").isZero();
    }
    ByteBuf big = TestBatches.buf(TestBatches.batch(3, 5000, 1000, 2));
    assertThat(log.append(big))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(BatchTooLargeException.class);
    assertThat(log.logEndOffset()).isZero();

    // A good batch still gets offset 0, so nothing of the bad ones was stored.
    AppendResult r = await(log.append(TestBatches.buf(good)));
    assertThat(r.baseOffset()).isZero();
    assertThat(r.lastOffset()).isEqualTo(2);
    await(log.close());
  }

  @Test
  void offsetForTimestampFindsTheFirstRecordAtOrAfter() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("timestamps", smallSegments(2 * 1024), 1));
    Acked acked = new Acked();
    // Batch i holds 4 records with timestamps 10_000 + 10 i + (0..3).
    for (int i = 0; i < 40; i++) {
      byte[] b = TestBatches.batch(4, 100, 10_000 + 10L * i, i);
      acked.add(await(log.append(TestBatches.buf(b))), b);
    }
    assertThat(await(store.describe("timestamps")).orElseThrow().segments().size())
        .isGreaterThan(3);
    // Timestamp 10_000 + 10*7 + 2 is record 2 of batch 7: offset 7*4 + 2.
    assertThat(await(log.offsetForTimestamp(10_072))).contains(new TimestampOffset(10_072, 30));
    // Between batches: 10_000 + 10*12 + 5 -> first record of batch 13.
    assertThat(await(log.offsetForTimestamp(10_125))).contains(new TimestampOffset(10_130, 52));
    assertThat(await(log.offsetForTimestamp(0))).contains(new TimestampOffset(10_000, 0));
    assertThat(await(log.offsetForTimestamp(99_999))).isEqualTo(Optional.empty());
    assertThat(await(log.offsetOfMaxTimestamp())).contains(new TimestampOffset(10_393, 159));
    await(log.close());
  }

  @Test
  void listenersSeeEveryAcknowledgedBatchInOrder() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("listeners", smallSegments(4096), 1));
    List<Long> seen = new ArrayList<>();
    List<byte[]> bytes = new ArrayList<>();
    log.addListener(
        new AppendListener() {
          @Override
          public void onAppend(PartitionLog l, AppendResult result, ByteBuf batch) {
            seen.add(result.baseOffset());
            bytes.add(TestBatches.bytes(batch));
          }
        });
    Acked acked = new Acked();
    appendMany(log, acked, 25, 2, 300, 1, 5);
    assertThat(seen).containsExactlyElementsOf(acked.batches.keySet());
    int i = 0;
    for (var e : acked.batches.entrySet()) {
      assertThat(bytes.get(i++)).isEqualTo(TestBatches.withBaseOffset(e.getValue(), e.getKey()));
    }
    await(log.close());
  }

  @Test
  void timeBasedRollUsesTheInjectedClock() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log =
        await(store.open("time-roll", new LogConfig(Map.of(LogConfig.SEGMENT_MS, 60_000L)), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 3, 1, 10, 1, 1);
    assertThat(log.metadata().segments()).hasSize(1);
    time.advance(60_000);
    appendMany(log, acked, 2, 1, 10, 1, 2);
    assertThat(log.metadata().segments()).hasSize(2);
    assertThat(log.metadata().segments().get(0).lastOffset()).isEqualTo(2);
    assertThat(log.metadata().segments().get(1).firstOffset()).isEqualTo(3);
    // An explicit roll of an empty segment is a no-op; of a non-empty one starts a new one.
    await(log.roll());
    assertThat(log.metadata().segments()).hasSize(3);
    await(log.roll());
    assertThat(log.metadata().segments()).hasSize(3);
    assertReadsAll(log, acked, 0);
    await(log.close());
  }

  @Test
  void tailReadsDuringRollsNeverFail() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("tail-reads", smallSegments(1500), 1));
    Acked acked = new Acked();
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicInteger reads =
        new java.util.concurrent.atomic.AtomicInteger();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get() && failure.get() == null) {
                long hw = log.highWatermark();
                if (hw == 0) {
                  continue;
                }
                try {
                  var r = log.read(hw - 1, 1).get(30, TimeUnit.SECONDS);
                  if (r.batchCount() != 1 || r.nextOffset() < hw) {
                    failure.set(new AssertionError("bad tail read at " + (hw - 1) + ": " + r));
                  }
                  r.release();
                  reads.incrementAndGet();
                } catch (Exception e) {
                  failure.set(e);
                }
              }
            });
    reader.start();
    try {
      for (int i = 0; i < 60; i++) {
        appendMany(log, acked, 1, 1, 500, i, i);
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertThat(failure.get()).isNull();
    assertThat(reads.get()).isPositive();
    assertThat(log.metadata().segments().size()).isGreaterThan(20);
    await(log.close());
  }

  @Test
  void manyConcurrentAppendersGetDenseOffsets() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("concurrent", smallSegments(32 * 1024), 1));
    Acked acked = new Acked();
    List<Thread> threads = new ArrayList<>();
    List<List<Object[]>> perThread = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      List<Object[]> mine = new ArrayList<>();
      perThread.add(mine);
      int seed = t;
      threads.add(
          new Thread(
              () -> {
                Random r = new Random(seed);
                for (int i = 0; i < 50; i++) {
                  byte[] b = TestBatches.batch(1 + r.nextInt(4), 100, i, r.nextLong());
                  mine.add(new Object[] {b, log.append(TestBatches.buf(b))});
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    for (List<Object[]> mine : perThread) {
      long previous = -1;
      for (Object[] o : mine) {
        @SuppressWarnings("unchecked")
        var f = (java.util.concurrent.CompletableFuture<AppendResult>) o[1];
        AppendResult r = await(f);
        assertThat(r.baseOffset())
            .as("one thread's appends keep their order")
            .isGreaterThan(previous);
        previous = r.baseOffset();
        acked.add(r, (byte[]) o[0]);
      }
    }
    assertThat(acked.batches.firstKey()).isZero();
    acked.assertDense(0);
    assertThat(acked.next()).isEqualTo(log.highWatermark());
    assertReadsAll(log, acked, 0);
    await(log.close());
  }
}
