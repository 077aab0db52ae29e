package io.strata.storage.internals;

import static io.strata.storage.internals.LogTestSupport.appendMany;
import static io.strata.storage.internals.LogTestSupport.assertReadsAll;
import static io.strata.storage.internals.LogTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.internals.LogTestSupport.Acked;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Compare-and-set of log metadata under concurrent changes and ZooKeeper session loss. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetadataCasTest {
  @RegisterExtension
  static final StorageCluster cluster =
      StorageCluster.withBookies(3).storeConfig("bookkeeper.add.entry.timeout.seconds", 3);

  @Test
  void sameEpochChangesMadeConcurrentlyAreReappliedNotLost() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("cas", LogConfig.defaults(), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 3, 1, 10, 1, 1);
    await(log.roll());
    appendMany(log, acked, 3, 1, 10, 1, 2);

    // Another component with the same epoch (as the tiering module will) changes the znode
    // directly: it records a tier location for the sealed segment.
    ZooKeeper zk = cluster.cluster().zooKeeper().newClient(10_000);
    String path = "/strata/logs/cas";
    Stat stat = new Stat();
    LogMetadata m =
        LogMetadataCodec.decode("cas", zk.getData(path, false, stat), stat.getVersion());
    List<SegmentMetadata> segs = new ArrayList<>(m.segments());
    SegmentMetadata s0 = segs.get(0);
    segs.set(
        0,
        new SegmentMetadata(
            s0.ledgerId(),
            s0.state(),
            s0.firstOffset(),
            s0.lastOffset(),
            s0.maxTimestamp(),
            s0.sizeBytes(),
            s0.entryCount(),
            s0.indexLedgerId(),
            s0.createdTimeMs(),
            "file:///tier/cas/0"));
    zk.setData(path, LogMetadataCodec.encode(m.withSegments(segs)), stat.getVersion());
    zk.close();

    // The writer's next changes (a roll, a trim) lose their first compare-and-set, re-read,
    // re-apply and keep the other component's change.
    await(log.roll());
    await(log.trimTo(1));
    LogMetadata after = await(store.describe("cas")).orElseThrow();
    assertThat(after.segments().get(0).tierLocation()).isEqualTo("file:///tier/cas/0");
    assertThat(after.segments()).hasSize(3);
    assertThat(after.logStartOffset()).isEqualTo(1);
    assertThat(log.logStartOffset()).isEqualTo(1);
    await(log.close());
  }

  @Test
  void manyQueuedChangesOfOneWriterAllLand() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("queued", LogConfig.defaults(), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 20, 1, 10, 1, 1);
    List<CompletableFuture<Void>> trims = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      trims.add(log.trimTo(i));
      if (i % 5 == 0) {
        trims.add(log.roll());
        appendMany(log, acked, 1, 1, 10, 1, 100 + i);
      }
    }
    for (CompletableFuture<Void> f : trims) {
      await(f);
    }
    LogMetadata after = await(store.describe("queued")).orElseThrow();
    assertThat(after.logStartOffset()).isEqualTo(20);
    assertThat(log.logStartOffset()).isEqualTo(20);
    assertReadsAll(log, acked, 20);
    await(log.close());
  }

  @Test
  void aZooKeeperOutageStopsOnlyMetadataChanges() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("zk-outage", LogConfig.defaults(), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 5, 1, 10, 1, 1);
    cluster.cluster().stopZooKeeper();
    try {
      // Appends to the open ledger need no metadata: they keep working.
      appendMany(log, acked, 5, 1, 10, 1, 2);
      // A roll needs ZooKeeper: it cannot finish; appends queued behind it fail retriably
      // after the add timeout (3 s here) instead of waiting without bound.
      log.roll();
      CompletableFuture<io.strata.storage.api.AppendResult> queued =
          log.append(
              io.strata.storage.testing.TestBatches.buf(
                  io.strata.storage.testing.TestBatches.batch(1, 10, 1, 3)));
      assertThat(queued)
          .failsWithin(java.time.Duration.ofSeconds(8))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .havingCause()
          .isInstanceOf(io.strata.storage.api.LogUnavailableException.class);
    } finally {
      cluster.cluster().startZooKeeper();
    }
    // Once ZooKeeper is back the log rolls and appends again; offsets stay dense.
    org.awaitility.Awaitility.await()
        .atMost(LogTestSupport.WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              acked.add(
                  log.append(
                          io.strata.storage.testing.TestBatches.buf(
                              io.strata.storage.testing.TestBatches.batch(1, 10, 1, 4)))
                      .get(30, TimeUnit.SECONDS),
                  io.strata.storage.testing.TestBatches.batch(1, 10, 1, 4));
              return true;
            });
    appendMany(log, acked, 3, 1, 10, 1, 5);
    acked.assertDense(0);
    assertReadsAll(log, acked, 0);
    await(log.close());
    // A new owner finds a consistent log (no dangling open segment from the outage).
    PartitionLog next = await(cluster.newStore(time).open("zk-outage", LogConfig.defaults(), 2));
    assertThat(next.highWatermark()).isEqualTo(acked.next());
    assertReadsAll(next, acked, 0);
    await(next.close());
  }

  @Test
  void expiredZooKeeperSessionIsReplacedAndTheWriterCarriesOn() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("expiry", LogConfig.defaults(), 1));
    Acked acked = new Acked();
    appendMany(log, acked, 5, 1, 10, 1, 1);
    ZooKeeper before = store.zooKeeper();
    cluster.cluster().expireSession(before);
    org.awaitility.Awaitility.await()
        .atMost(LogTestSupport.WAIT)
        .until(() -> store.zooKeeper() != before && store.zooKeeper().getState().isConnected());
    await(log.roll());
    appendMany(log, acked, 5, 1, 10, 1, 2);
    assertThat(await(store.describe("expiry")).orElseThrow().segments()).hasSize(2);
    assertReadsAll(log, acked, 0);
    await(log.close());
  }
}
