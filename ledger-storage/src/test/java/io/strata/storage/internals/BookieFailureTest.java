package io.strata.storage.internals;

import static io.strata.storage.internals.LogTestSupport.WAIT;
import static io.strata.storage.internals.LogTestSupport.appendMany;
import static io.strata.storage.internals.LogTestSupport.assertReadsAll;
import static io.strata.storage.internals.LogTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogUnavailableException;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.StorageException;
import io.strata.storage.internals.LogTestSupport.Acked;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import io.strata.storage.testing.TestBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.LedgerMetadata;
import org.apache.bookkeeper.net.BookieId;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Real bookies killed and restarted under a writer: 4 bookies, quorums 3/3/2. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BookieFailureTest {
  @RegisterExtension
  static final StorageCluster cluster =
      StorageCluster.withBookies(4).storeConfig("bookkeeper.add.entry.timeout.seconds", 5);

  private static final LogConfig CONFIG = LogConfig.withQuorums(3, 3, 2);

  @AfterEach
  void restartEveryBookie() throws Exception {
    for (int i = 0; i < cluster.cluster().bookieCount(); i++) {
      if (!cluster.cluster().bookie(i).isRunning()) {
        cluster.cluster().restart(i);
      }
    }
  }

  private static int bookieIndex(BookieId id) {
    return Integer.parseInt(id.toString().substring("bookie-".length()));
  }

  /**
   * Reads stick to one bookie of the ensemble (sticky reads); whichever bookie that is, reads go on
   * from the others when it dies.
   */
  @Test
  void readsGoOnWhenAnyBookieOfTheEnsembleDies() throws Exception {
    BookKeeperLogStore store = cluster.newStore(new ManualTime());
    PartitionLog log = await(store.open("sticky", CONFIG, 1));
    Acked acked = new Acked();
    AppendResult first = appendMany(log, acked, 40, 2, 1000, 1, 3).get(0);
    assertReadsAll(log, acked, 0);
    LedgerMetadata meta = await(cluster.bookKeeper().getLedgerMetadata(first.ledgerId()));
    for (BookieId b : meta.getAllEnsembles().get(0L)) {
      int i = bookieIndex(b);
      cluster.cluster().kill(i);
      assertReadsAll(log, acked, 0);
      cluster.cluster().restart(i);
    }
    await(log.close());
  }

  @Test
  void aBookieKilledMidStreamIsReplacedByTheSpare() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("spare", CONFIG, 1));
    Acked acked = new Acked();
    AppendResult first = appendMany(log, acked, 5, 1, 1000, 1, 1).get(0);
    LedgerMetadata before = await(cluster.bookKeeper().getLedgerMetadata(first.ledgerId()));
    List<BookieId> ensemble = before.getAllEnsembles().get(0L);
    int victim = bookieIndex(ensemble.get(0));

    List<byte[]> batches = new ArrayList<>();
    List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      byte[] b = TestBatches.batch(2, 1000, 10 + i, 100 + i);
      batches.add(b);
      futures.add(log.append(TestBatches.buf(b)));
      if (i == 20) {
        cluster.cluster().kill(victim);
      }
    }
    for (int i = 0; i < futures.size(); i++) {
      acked.add(await(futures.get(i)), batches.get(i));
    }
    appendMany(log, acked, 10, 1, 1000, 100, 500);
    acked.assertDense(0);

    LedgerMetadata after = await(cluster.bookKeeper().getLedgerMetadata(first.ledgerId()));
    assertThat(after.getAllEnsembles()).hasSizeGreaterThan(1);
    assertThat(after.getAllEnsembles().lastEntry().getValue()).doesNotContain(ensemble.get(0));
    assertThat(log.metadata().segments()).as("same segment, no roll").hasSize(1);
    assertReadsAll(log, acked, 0);
    await(log.close());
  }

  @Test
  void tooFewBookiesFailAppendsRetriablyAndNothingHalfWrittenBecomesVisible() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("too-few", CONFIG, 1));
    Acked acked = new Acked();
    appendMany(log, acked, 10, 3, 500, 1, 1);
    long hwBefore = log.highWatermark();

    cluster.cluster().kill(0);
    cluster.cluster().kill(1);
    cluster.cluster().kill(2);
    List<CompletableFuture<AppendResult>> failing = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      failing.add(log.append(TestBatches.buf(TestBatches.batch(1, 500, 50, 200 + i))));
    }
    for (CompletableFuture<AppendResult> f : failing) {
      assertThat(f)
          .failsWithin(WAIT)
          .withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(LogUnavailableException.class)
          .satisfies(e -> assertThat(((StorageException) e.getCause()).retriable()).isTrue());
    }
    assertThat(log.highWatermark()).isEqualTo(hwBefore);
    // While bookies are missing, new appends keep failing fast and retriably.
    assertThat(log.append(TestBatches.buf(TestBatches.batch(1, 10, 60, 1))))
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LogUnavailableException.class);

    cluster.cluster().restart(0);
    cluster.cluster().restart(1);
    cluster.cluster().restart(2);
    // Appends succeed again (on a new ledger) once the client sees the bookies.
    byte[] next = TestBatches.batch(2, 500, 70, 300);
    AppendResult[] result = new AppendResult[1];
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(java.time.Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              result[0] = log.append(TestBatches.buf(next)).get(30, TimeUnit.SECONDS);
              return true;
            });
    // The failed appends' offsets were given back: dense, never visible twice.
    assertThat(result[0].baseOffset()).isEqualTo(hwBefore);
    acked.add(result[0], next);
    appendMany(log, acked, 5, 1, 100, 80, 400);
    acked.assertDense(0);
    assertReadsAll(log, acked, 0);
    assertThat(log.metadata().segments().size()).isGreaterThanOrEqualTo(2);
    // The segment sealed while bookies were missing got no index ledger then; it gets one now.
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                log.metadata().segments().stream()
                    .allMatch(s -> !s.isSealed() || s.indexLedgerId() >= 0));

    // A new owner sees exactly the acknowledged batches too.
    BookKeeperLogStore other = cluster.newStore(time);
    PartitionLog taken = await(other.open("too-few", CONFIG, 2));
    assertThat(taken.highWatermark()).isEqualTo(acked.next());
    assertReadsAll(taken, acked, 0);
    await(taken.close());
  }

  @Test
  void aPausedBookieDoesNotStopTheLog() throws Exception {
    ManualTime time = new ManualTime();
    BookKeeperLogStore store = cluster.newStore(time);
    PartitionLog log = await(store.open("paused", CONFIG, 1));
    Acked acked = new Acked();
    AppendResult first = appendMany(log, acked, 3, 1, 100, 1, 1).get(0);
    LedgerMetadata md = await(cluster.bookKeeper().getLedgerMetadata(first.ledgerId()));
    int victim = bookieIndex(md.getAllEnsembles().get(0L).get(1));
    BookieId stalled = md.getAllEnsembles().get(0L).get(1);
    cluster.cluster().pause(victim);
    try {
      // Ack quorum 2 of 3 is still met, so appends complete at once...
      appendMany(log, acked, 20, 1, 100, 10, 10);
      // ...and once the stalled bookie's adds time out (5 s here) the spare replaces it.
      long[] seed = {100};
      Awaitility.await()
          .atMost(WAIT)
          .pollInterval(java.time.Duration.ofMillis(500))
          .until(
              () -> {
                appendMany(log, acked, 1, 1, 100, 20, seed[0]++);
                LedgerMetadata now =
                    await(cluster.bookKeeper().getLedgerMetadata(first.ledgerId()));
                return !now.getAllEnsembles().lastEntry().getValue().contains(stalled);
              });
    } finally {
      cluster.cluster().resume(victim);
    }
    appendMany(log, acked, 5, 1, 100, 50, 50);
    acked.assertDense(0);
    assertReadsAll(log, acked, 0);
    await(log.close());
  }
}
