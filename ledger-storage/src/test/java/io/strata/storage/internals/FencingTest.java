package io.strata.storage.internals;

import static io.strata.storage.internals.LogTestSupport.WAIT;
import static io.strata.storage.internals.LogTestSupport.appendMany;
import static io.strata.storage.internals.LogTestSupport.assertReadsAll;
import static io.strata.storage.internals.LogTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageErrorCode;
import io.strata.storage.internals.LogTestSupport.Acked;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import io.strata.storage.testing.TestBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FencingTest {
  @RegisterExtension
  static final StorageCluster cluster =
      StorageCluster.withBookies(3).storeConfig("strata.index.chunk.entries", 8);

  private static final LogConfig CONFIG = new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, 16 * 1024));

  @Test
  void takeOverFencesTheOldWriterAndKeepsEveryAcknowledgedBatch() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore storeA = cluster.newStore(time);
    BookKeeperLogStore storeB = cluster.newStore(time);
    PartitionLog a = await(storeA.open("fenced", CONFIG, 1));
    Acked acked = new Acked();
    appendMany(a, acked, 50, 2, 400, 1, 1); // several segments, the last one open

    // Appends in flight while B takes over: each either succeeds (and must stay readable) or
    // fails as fenced.
    List<byte[]> inflightBytes = new ArrayList<>();
    List<CompletableFuture<AppendResult>> inflight = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] b = TestBatches.batch(1, 300, 5, 1000 + i);
      inflightBytes.add(b);
      inflight.add(a.append(TestBatches.buf(b)));
    }
    PartitionLog b = await(storeB.open("fenced", CONFIG, 2));
    // Recovery read the persisted index chunks and scanned only the entries after them.
    assertThat(storeB.indexStats().chunksRead()).isPositive();
    assertThat(storeB.indexStats().entriesScanned()).isLessThanOrEqualTo(8 + 30);
    int fencedCount = 0;
    for (int i = 0; i < inflight.size(); i++) {
      try {
        acked.add(inflight.get(i).get(60, TimeUnit.SECONDS), inflightBytes.get(i));
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(LogFencedException.class);
        assertThat(((LogFencedException) e.getCause()).code()).isEqualTo(StorageErrorCode.FENCED);
        fencedCount++;
      }
    }
    // The old writer cannot append any more.
    assertThat(a.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 1))))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);
    assertThat(a.roll())
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);

    // B recovered at least everything A acknowledged; A's in-flight entries that reached the
    // bookies may have been recovered too (their producers saw an error and would retry).
    long recoveredEnd = b.highWatermark();
    assertThat(recoveredEnd).isGreaterThanOrEqualTo(acked.next());
    assertReadsAll(b, acked, 0);
    // Offsets continue densely after the recovered end; nothing is reused.
    AppendResult next = await(b.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 2))));
    assertThat(next.baseOffset()).isEqualTo(recoveredEnd);
    assertThat(fencedCount + (acked.batches.size() - 50)).isEqualTo(30);

    LogMetadata meta = await(storeB.describe("fenced")).orElseThrow();
    assertThat(meta.writerEpoch()).isEqualTo(2);
    List<SegmentMetadata> segs = meta.segments();
    assertThat(segs.subList(0, segs.size() - 1)).allMatch(SegmentMetadata::isSealed);
    assertThat(segs.get(segs.size() - 1).ledgerId()).isEqualTo(next.ledgerId());
    for (int i = 1; i < segs.size(); i++) {
      assertThat(segs.get(i).firstOffset()).isEqualTo(segs.get(i - 1).lastOffset() + 1);
    }
    await(b.close());
    await(a.close());
  }

  @Test
  void anOldOrEqualEpochCannotTakeOver() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("epochs", CONFIG, 5));
    await(log.close());
    for (long epoch : new long[] {4, 5}) {
      assertThat(store.open("epochs", CONFIG, epoch))
          .failsWithin(WAIT)
          .withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(LogFencedException.class);
    }
    PartitionLog newer = await(store.open("epochs", CONFIG, 6));
    assertThat(newer.epoch()).isEqualTo(6);
    await(newer.close());
  }

  @Test
  void anIdleOldWriterIsFencedByTheMetadataCompareAndSet() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore storeA = cluster.newStore(time);
    BookKeeperLogStore storeB = cluster.newStore(time);
    PartitionLog a = await(storeA.open("cas-fence", CONFIG, 1));
    Acked acked = new Acked();
    appendMany(a, acked, 5, 1, 100, 1, 1);
    PartitionLog b = await(storeB.open("cas-fence", CONFIG, 2));
    // A's trim is a pure metadata change: it loses the compare-and-set to the newer epoch.
    assertThat(a.trimTo(2))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);
    assertThat(a.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 1))))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);
    assertThat(b.logStartOffset()).isZero();
    assertReadsAll(b, acked, 0);
    await(b.close());
  }

  @Test
  void deletingALogFencesItsWriterElsewhere() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore storeA = cluster.newStore(time);
    BookKeeperLogStore storeB = cluster.newStore(time);
    PartitionLog a = await(storeA.open("deleted-live", CONFIG, 1));
    appendMany(a, new Acked(), 5, 1, 100, 1, 1);
    await(storeB.delete("deleted-live"));
    assertThat(await(storeB.describe("deleted-live"))).isEmpty();
    assertThat(a.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 1))))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);
    assertThat(a.roll())
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);
  }

  @Test
  void concurrentTakeOversLeaveExactlyOneWriter() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore seed = cluster.newStore(time);
    PartitionLog first = await(seed.open("race", CONFIG, 1));
    Acked acked = new Acked();
    appendMany(first, acked, 10, 1, 100, 1, 1);

    int n = 4;
    List<BookKeeperLogStore> stores = new ArrayList<>();
    List<CompletableFuture<PartitionLog>> opens = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      stores.add(cluster.newStore(time));
    }
    for (int i = 0; i < n; i++) {
      opens.add(stores.get(i).open("race", CONFIG, 10 + i));
    }
    List<PartitionLog> opened = new ArrayList<>();
    for (CompletableFuture<PartitionLog> f : opens) {
      try {
        opened.add(f.get(60, TimeUnit.SECONDS));
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(LogFencedException.class);
      }
    }
    LogMetadata meta = await(seed.describe("race")).orElseThrow();
    assertThat(meta.writerEpoch()).isEqualTo(10 + n - 1);
    // Exactly the instance with the highest epoch can append.
    int writers = 0;
    for (PartitionLog l : opened) {
      try {
        AppendResult r =
            l.append(TestBatches.buf(TestBatches.batch(1, 10, 1, l.epoch())))
                .get(60, TimeUnit.SECONDS);
        writers++;
        assertThat(l.epoch()).isEqualTo(10 + n - 1);
        assertThat(r.baseOffset()).isGreaterThanOrEqualTo(acked.next());
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(LogFencedException.class);
      }
    }
    assertThat(writers).isEqualTo(1);
    assertThat(first.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 1))))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogFencedException.class);
  }
}
