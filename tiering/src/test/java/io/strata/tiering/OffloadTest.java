package io.strata.tiering;

import static io.strata.tiering.TierTestSupport.WAIT;
import static io.strata.tiering.TierTestSupport.append;
import static io.strata.tiering.TierTestSupport.assertCatchUp;
import static io.strata.tiering.TierTestSupport.assertNoLeak;
import static io.strata.tiering.TierTestSupport.assertReadsBack;
import static io.strata.tiering.TierTestSupport.assertTimestamps;
import static io.strata.tiering.TierTestSupport.awaitAllOffloaded;
import static io.strata.tiering.TierTestSupport.config;
import static io.strata.tiering.TierTestSupport.join;
import static io.strata.tiering.TierTestSupport.logConfig;
import static io.strata.tiering.TierTestSupport.sealed;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.SegmentState;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.StorageCluster;
import io.strata.tiering.TierTestSupport.Stored;
import io.strata.tiering.internals.ObjectNames;
import io.strata.tiering.internals.OffloadHooks;
import io.strata.tiering.store.LocalTierStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.utils.Time;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Offload against real bookies and a directory tier: the protocol, reads of tier-only segments,
 * crashes at each step, retention of tier objects.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OffloadTest {
  @RegisterExtension static final StorageCluster cluster = StorageCluster.withBookies(1);
  @TempDir Path dir;

  private Tiering tier(Path tierDir, OffloadHooks hooks) throws Exception {
    ExecutorService io = TierStores.ioPool("test-tier", 2);
    TierStore store = new LocalTierStore(tierDir, io, io);
    return Tiering.start(store, config(tierDir.toUri().toString(), Map.of()), Time.SYSTEM, hooks);
  }

  @Test
  void offloadedSegmentsAreReadFromTheTierByteForByteOnceTheBookieCopyIsGone() throws Exception {
    Tiering tier = tier(dir.resolve("tier"), OffloadHooks.NONE);
    BookKeeperLogStore store = cluster.newStore(Time.SYSTEM, tier);
    PartitionLog log = join(store.open("offload-read", logConfig(true, 0, -1), 1));
    List<Stored> batches = append(log, 120, 1_000_000, 1);
    join(log.roll());
    awaitAllOffloaded(log);
    assertNoLeak(tier.store(), log);

    join(log.applyRetention());
    List<SegmentMetadata> segs = sealed(log);
    assertThat(segs).hasSizeGreaterThan(3).allMatch(s -> s.state() == SegmentState.TIERED);
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              cluster.cluster().forceGarbageCollection();
              for (SegmentMetadata s : segs) {
                assertThat(cluster.cluster().anyBookieHasLedger(s.ledgerId()))
                    .as("ledger %d", s.ledgerId())
                    .isFalse();
              }
            });
    assertReadsBack(log, batches);
    assertCatchUp(log, batches);
    assertTimestamps(log, batches);

    // A new owner with cold caches reads the same bytes.
    join(log.close());
    Tiering tier2 = tier(dir.resolve("tier"), OffloadHooks.NONE);
    BookKeeperLogStore store2 = cluster.newStore(Time.SYSTEM, tier2);
    PartitionLog log2 = join(store2.open("offload-read", logConfig(true, 0, -1), 2));
    assertCatchUp(log2, batches);
    assertTimestamps(log2, batches);
    assertThat(log2.metadata().earliestLocalOffset()).isEqualTo(log2.highWatermark());
    assertThat(log2.metadata().latestTieredOffset()).isEqualTo(log2.highWatermark() - 1);
    assertThat(tier2.blockCache().gets()).isPositive();
  }

  enum Step {
    BEFORE_UPLOAD,
    MID_UPLOAD,
    BEFORE_COMMIT
  }

  /** Freezes the first offload at {@code step}, exactly as if the process died there. */
  private static final class CrashAt implements OffloadHooks {
    final Step step;
    final CountDownLatch reached = new CountDownLatch(1);
    final AtomicBoolean crashed = new AtomicBoolean();

    CrashAt(Step step) {
      this.step = step;
    }

    CompletableFuture<Void> at(Step s) {
      if (s == step && crashed.compareAndSet(false, true)) {
        reached.countDown();
        return new CompletableFuture<>(); // never completes: nothing after this point runs
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> beforeUpload(PartitionLog log, SegmentMetadata segment) {
      return at(Step.BEFORE_UPLOAD);
    }

    @Override
    public CompletableFuture<Void> midUpload(PartitionLog log, SegmentMetadata segment, long b) {
      return at(Step.MID_UPLOAD);
    }

    @Override
    public CompletableFuture<Void> beforeCommit(PartitionLog log, SegmentMetadata segment) {
      return at(Step.BEFORE_COMMIT);
    }
  }

  @ParameterizedTest
  @EnumSource(Step.class)
  void aCrashAtAnyStepLeavesReadableDataAndNoLeakAfterRecovery(Step step) throws Exception {
    String name = "crash-" + step.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    Path tierDir = dir.resolve("tier");
    CrashAt crash = new CrashAt(step);
    Tiering tier = tier(tierDir, crash);
    BookKeeperLogStore store = cluster.newStore(Time.SYSTEM, tier);
    PartitionLog log = join(store.open(name, logConfig(true, 0, -1), 1));
    List<Stored> batches = append(log, 60, 2_000_000, 2);
    join(log.roll());
    assertThat(crash.reached.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    // Frozen mid-offload: the attempt is recorded, nothing is committed, everything reads.
    SegmentMetadata first = sealed(log).get(0);
    assertThat(first.tierLocation()).isEqualTo("offloading:1");
    assertReadsBack(log, batches);
    if (step == Step.BEFORE_COMMIT) {
      assertThat(join(tier.store().list(ObjectNames.segmentPrefix(name, first.ledgerId()))))
          .extracting(TierObject::key)
          .containsExactly(
              ObjectNames.data(name, first.ledgerId(), 1),
              ObjectNames.index(name, first.ledgerId(), 1));
    }

    // Recovery: another owner (a new store, a higher epoch) takes the log over; the dead one's
    // offloader never resumes.
    Tiering tier2 = tier(tierDir, OffloadHooks.NONE);
    BookKeeperLogStore store2 = cluster.newStore(Time.SYSTEM, tier2);
    PartitionLog log2 = join(store2.open(name, logConfig(true, 0, -1), 2));
    awaitAllOffloaded(log2);
    SegmentMetadata retried =
        log2.metadata().segments().stream()
            .filter(s -> s.ledgerId() == first.ledgerId())
            .findFirst()
            .orElseThrow();
    assertThat(retried.tierLocation()).isEqualTo("offloaded:2");
    assertNoLeak(tier2.store(), log2);
    join(log2.applyRetention());
    assertThat(sealed(log2)).allMatch(s -> s.state() == SegmentState.TIERED);
    assertReadsBack(log2, batches);
  }

  @Test
  void retentionDeletesTheTierCopyAndDeletingTheLogDeletesEverything() throws Exception {
    ManualTime time = new ManualTime(System.currentTimeMillis());
    Tiering tier = tier(dir.resolve("tier"), OffloadHooks.NONE);
    BookKeeperLogStore store = cluster.newStore(time, tier);
    PartitionLog log = join(store.open("retained", logConfig(true, 0, 60_000), 1));
    append(log, 60, time.milliseconds() - 10_000, 3);
    join(log.roll());
    awaitAllOffloaded(log);
    join(log.applyRetention());
    List<SegmentMetadata> tiered = sealed(log);
    assertThat(tiered).allMatch(s -> s.state() == SegmentState.TIERED);
    assertThat(join(tier.store().list(ObjectNames.logPrefix("retained"))))
        .hasSize(2 * tiered.size());

    time.advance(120_000);
    var r = join(log.applyRetention());
    assertThat(r.deletedSegments()).isEqualTo(tiered.size());
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(join(tier.store().list(ObjectNames.logPrefix("retained")))).isEmpty());

    List<Stored> more = append(log, 40, time.milliseconds(), 4);
    join(log.roll());
    awaitAllOffloaded(log);
    assertReadsBack(log, more);
    join(store.delete("retained"));
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(join(tier.store().list(ObjectNames.logPrefix("retained")))).isEmpty());
  }

  @Test
  void nothingIsOffloadedWithoutRemoteStorageEnable() throws Exception {
    Tiering tier = tier(dir.resolve("tier"), OffloadHooks.NONE);
    BookKeeperLogStore store = cluster.newStore(Time.SYSTEM, tier);
    PartitionLog log = join(store.open("local-only", logConfig(false, 0, -1), 1));
    List<Stored> batches = append(log, 40, 3_000_000, 5);
    join(log.roll());
    Thread.sleep(500); // ten offload checks
    assertThat(sealed(log)).allMatch(s -> s.tierLocation().isEmpty());
    join(log.applyRetention());
    assertThat(sealed(log)).allMatch(SegmentMetadata::onBookies);
    assertReadsBack(log, batches);

    log.updateConfig(logConfig(true, -2, -1));
    awaitAllOffloaded(log);
    join(log.applyRetention()); // local.retention.ms -2 follows retention.ms = -1: keep
    assertThat(sealed(log)).allMatch(SegmentMetadata::onBookies);
  }
}
