package io.strata.tiering;

import static io.strata.tiering.TierTestSupport.WAIT;
import static io.strata.tiering.TierTestSupport.append;
import static io.strata.tiering.TierTestSupport.assertCatchUp;
import static io.strata.tiering.TierTestSupport.assertNoLeak;
import static io.strata.tiering.TierTestSupport.assertReadsBack;
import static io.strata.tiering.TierTestSupport.awaitAllOffloaded;
import static io.strata.tiering.TierTestSupport.config;
import static io.strata.tiering.TierTestSupport.join;
import static io.strata.tiering.TierTestSupport.sealed;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.SegmentState;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TierObject;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.storage.testing.StorageCluster;
import io.strata.tiering.TierTestSupport.Stored;
import io.strata.tiering.internals.ObjectNames;
import io.strata.tiering.internals.OffloadHooks;
import io.strata.tiering.testing.S3Server;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.utils.Time;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Offload to a real S3 API (s3proxy): an outage, and a crash in the middle of a multipart upload.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class S3OffloadTest {
  @RegisterExtension static final StorageCluster cluster = StorageCluster.withBookies(1);
  static S3Server s3;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3Server.start("tier");
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }

  private static Tiering tier(String prefix, OffloadHooks hooks) throws Exception {
    TierConfig c =
        config(
            s3.tierUri("tier", prefix),
            Map.of(
                TierConfig.S3_ACCESS_KEY_ID,
                S3Server.ACCESS_KEY,
                TierConfig.S3_SECRET_ACCESS_KEY,
                S3Server.SECRET_KEY,
                TierConfig.S3_PART_BYTES,
                5 * 1024 * 1024,
                TierConfig.READ_TIMEOUT_MS,
                3000));
    return Tiering.start(TierStores.open(c), c, Time.SYSTEM, hooks);
  }

  @Test
  void anOutageMakesOffloadRetryAndTierReadsFailRetriablyWhileAppendsAndTailReadsGoOn()
      throws Exception {
    Tiering tier = tier("outage", OffloadHooks.NONE);
    BookKeeperLogStore store = cluster.newStore(Time.SYSTEM, tier);
    PartitionLog log = join(store.open("outage", TierTestSupport.logConfig(true, 0, -1), 1));
    List<Stored> old = append(log, 60, 1_000_000, 1);
    join(log.roll());
    awaitAllOffloaded(log);
    join(log.applyRetention());
    assertThat(sealed(log)).allMatch(s -> s.state() == SegmentState.TIERED);

    s3.stop();
    try {
      tier.blockCache().invalidateAll();
      ExecutionException failed =
          org.junit.jupiter.api.Assertions.assertThrows(
              ExecutionException.class, () -> join(log.read(old.get(5).baseOffset(), 1000)));
      assertThat(failed.getCause())
          .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.retriable()).isTrue());

      // Tail traffic is unaffected; new segments wait for the tier.
      List<Stored> fresh = append(log, 60, 2_000_000, 2);
      join(log.roll());
      assertReadsBack(log, fresh);
      Awaitility.await()
          .atMost(WAIT)
          .until(() -> join(tier.offloader().stats(log)).orElseThrow().failures() >= 2);
      assertThat(sealed(log).stream().filter(s -> !s.isOffloaded())).isNotEmpty();
    } finally {
      s3.start();
    }
    awaitAllOffloaded(log);
    assertNoLeak(tier.store(), log);
    join(log.applyRetention());
    assertCatchUp(log, old);
  }

  @Test
  void aCrashMidMultipartUploadLeavesAnIncompleteUploadThatRecoveryAborts() throws Exception {
    AtomicBoolean crashed = new AtomicBoolean();
    CountDownLatch reached = new CountDownLatch(1);
    OffloadHooks crashAfterAPart =
        new OffloadHooks() {
          @Override
          public CompletableFuture<Void> midUpload(PartitionLog log, SegmentMetadata seg, long b) {
            if (b > 6 * 1024 * 1024 && crashed.compareAndSet(false, true)) {
              reached.countDown();
              return new CompletableFuture<>(); // the process "dies" with one part uploaded
            }
            return CompletableFuture.completedFuture(null);
          }
        };
    Tiering tier = tier("crash", crashAfterAPart);
    BookKeeperLogStore store = cluster.newStore(Time.SYSTEM, tier);
    Map<String, Object> big = new HashMap<>(TierTestSupport.logConfig(true, 0, -1).originals());
    big.put(LogConfig.SEGMENT_BYTES, 8 * 1024 * 1024);
    PartitionLog log = join(store.open("multipart", new LogConfig(big), 1));
    List<Stored> batches = append(log, 3600, 5_000_000, 3); // ~8.3 MiB: one full segment
    join(log.roll());
    assertThat(reached.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                join(tier.store().list(ObjectNames.logPrefix("multipart"))).stream()
                    .anyMatch(TierObject::incomplete));

    Tiering tier2 = tier("crash", OffloadHooks.NONE);
    BookKeeperLogStore store2 = cluster.newStore(Time.SYSTEM, tier2);
    PartitionLog log2 = join(store2.open("multipart", new LogConfig(big), 2));
    awaitAllOffloaded(log2);
    assertNoLeak(tier2.store(), log2);
    join(log2.applyRetention());
    LogReadResult r = join(log2.read(batches.get(3000).baseOffset(), 1));
    try {
      assertThat(io.strata.storage.testing.TestBatches.bytes(r.records()))
          .isEqualTo(batches.get(3000).bytes());
    } finally {
      r.release();
    }
    assertCatchUp(log2, batches);
  }
}
