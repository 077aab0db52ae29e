package io.strata.broker.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.producer.ProducerStateManager.AppendedOffsets;
import io.strata.broker.producer.ProducerStateManager.BatchMetadata;
import io.strata.broker.producer.ProducerStateManager.Check;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProducerStateManagerTest {
  private final ProducerStateManager state = new ProducerStateManager();

  private BatchMetadata appendAndAck(long pid, short epoch, int first, int last, long offset) {
    assertThat(state.check(pid, epoch, first, last).accepted()).isTrue();
    BatchMetadata meta = state.onAppendStarted(pid, epoch, first, last, 1000L);
    state.onAppended(pid, epoch, meta, new AppendedOffsets(offset, offset + last - first, -1));
    return meta;
  }

  @Test
  void anUnknownProducerMustStartAtSequenceZero() {
    Check later = state.check(7, (short) 0, 42, 45);
    assertThat(later.error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(later.message()).contains("Producer 7").contains("sequence 42");
    assertThat(state.check(7, (short) 3, 0, 41).accepted()).as("any epoch, from 0").isTrue();
  }

  @Test
  void aBatchOvertakingOneInFlightWaitsAndFollowsItOnceWritten() {
    // The first batch is refused elsewhere (the partition was moving); the second arrives first.
    assertThat(state.check(7, (short) 0, 10, 19).error())
        .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    appendAndAck(7, (short) 0, 0, 9, 0);
    assertThat(state.check(7, (short) 0, 10, 19).accepted()).isTrue();
  }

  @Test
  void aProducerWhoseStateExpiredMayResumeAtAnySequenceAcrossASnapshot() {
    appendAndAck(7, (short) 0, 0, 9, 0);
    assertThat(state.removeExpired(1000L + 60_000, 60_000)).isEqualTo(1);
    assertThat(state.committedProducers()).isEmpty();
    assertThat(state.check(7, (short) 0, 10, 19).accepted()).isTrue();

    ProducerStateManager moved = new ProducerStateManager();
    moved.restore(ProducerSnapshot.decode(state.snapshot(10).encode()));
    assertThat(moved.check(7, (short) 0, 10, 19).accepted()).isTrue();
    assertThat(moved.check(8, (short) 0, 10, 19).error())
        .as("a producer never seen here")
        .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);

    // Once it wrote again it is a live producer, checked by sequence.
    appendAndAck(7, (short) 0, 10, 19, 10);
    assertThat(state.check(7, (short) 0, 30, 39).error())
        .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(state.snapshot(20).expired()).isEmpty();
  }

  @Test
  void onlyTheNewestExpiredProducersAreRemembered() {
    int n = ProducerStateManager.MAX_EXPIRED_PRODUCERS + 1;
    for (int pid = 1; pid <= n; pid++) {
      appendAndAck(pid, (short) 0, 0, 0, pid);
    }
    assertThat(state.removeExpired(1000L + 60_000, 60_000)).isEqualTo(n);
    assertThat(state.snapshot(n).expired()).hasSize(ProducerStateManager.MAX_EXPIRED_PRODUCERS);
    assertThat(state.check(n, (short) 0, 1, 1).accepted()).isTrue();
    assertThat(state.check(1, (short) 0, 1, 1).error())
        .as("the oldest one is forgotten")
        .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
  }

  @Test
  void inSequenceBatchesAreAcceptedAndGapsRejected() {
    appendAndAck(7, (short) 0, 0, 9, 0);
    assertThat(state.check(7, (short) 0, 10, 19).accepted()).isTrue();
    Check gap = state.check(7, (short) 0, 11, 19);
    assertThat(gap.error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(gap.message()).contains("11").contains("9");
  }

  @Test
  void retryOfAnAcknowledgedBatchIsADuplicateWithTheOriginalOffsets() {
    appendAndAck(7, (short) 0, 0, 9, 100);
    appendAndAck(7, (short) 0, 10, 19, 110);
    Check dup = state.check(7, (short) 0, 0, 9);
    assertThat(dup.accepted()).isFalse();
    assertThat(dup.error()).isEqualTo(Errors.NONE);
    assertThat(dup.duplicateOf().outcome().join().firstOffset()).isEqualTo(100);
  }

  @Test
  void onlyTheLastFiveBatchesAreRemembered() {
    for (int i = 0; i < 6; i++) {
      appendAndAck(7, (short) 0, i * 10, i * 10 + 9, i * 10);
    }
    Check oldest = state.check(7, (short) 0, 0, 9);
    assertThat(oldest.error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(state.check(7, (short) 0, 10, 19).duplicateOf()).isNotNull();
  }

  @Test
  void retryOfAnInFlightBatchFollowsTheOriginal() {
    appendAndAck(7, (short) 0, 0, 9, 0);
    assertThat(state.check(7, (short) 0, 10, 19).accepted()).isTrue();
    BatchMetadata inFlight = state.onAppendStarted(7, (short) 0, 10, 19, 1000L);
    // Pipelined: the next batch is checked against the one still in flight.
    assertThat(state.check(7, (short) 0, 20, 29).accepted()).isTrue();
    Check retry = state.check(7, (short) 0, 10, 19);
    assertThat(retry.duplicateOf()).isSameAs(inFlight);
    assertThat(retry.duplicateOf().outcome()).isNotDone();
    state.onAppended(7, (short) 0, inFlight, new AppendedOffsets(10, 19, -1));
    assertThat(retry.duplicateOf().outcome().join().firstOffset()).isEqualTo(10);
  }

  @Test
  void failedAppendResetsInFlightStateToAcknowledged() {
    appendAndAck(7, (short) 0, 0, 9, 0);
    BatchMetadata failed = state.onAppendStarted(7, (short) 0, 10, 19, 1000L);
    state.onAppendFailed(failed, new RuntimeException("bookies down"));
    assertThat(failed.outcome()).isCompletedExceptionally();
    // The producer retries the failed batch: it must be accepted again, not seen as a duplicate.
    Check retry = state.check(7, (short) 0, 10, 19);
    assertThat(retry.accepted()).isTrue();
  }

  @Test
  void olderEpochIsFencedAndNewEpochMustStartAtZero() {
    appendAndAck(7, (short) 3, 0, 9, 0);
    assertThat(state.check(7, (short) 2, 10, 19).error()).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
    assertThat(state.check(7, (short) 4, 5, 9).error())
        .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assertThat(state.check(7, (short) 4, 0, 9).accepted()).isTrue();
  }

  @Test
  void sequenceWrapsAroundAtIntMax() {
    state.replay(7, (short) 0, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0, 1, 1000L);
    assertThat(state.check(7, (short) 0, 0, 4).accepted()).isTrue();
  }

  @Test
  void replayRebuildsDuplicateDetection() {
    state.replay(9, (short) 1, 0, 4, 50, 54, 1000L);
    assertThat(state.check(9, (short) 1, 0, 4).duplicateOf().outcome().join().firstOffset())
        .isEqualTo(50);
    assertThat(state.check(9, (short) 1, 5, 9).accepted()).isTrue();
    assertThat(state.committedProducers()).hasSize(1);
  }

  @Test
  void expiredProducersAreDroppedButNotWhileInFlight() {
    appendAndAck(7, (short) 0, 0, 9, 0);
    appendAndAck(8, (short) 0, 0, 9, 10);
    state.onAppendStarted(8, (short) 0, 10, 19, 1000L);
    assertThat(state.removeExpired(1000L + 60_000, 60_000)).isEqualTo(1);
    assertThat(state.committedProducers()).extracting(e -> e.producerId()).containsExactly(8L);
  }

  @Test
  void snapshotAndRestoreKeepDuplicateDetectionOfTheLastBatch() {
    appendAndAck(7, (short) 1, 0, 9, 100);
    appendAndAck(7, (short) 1, 10, 19, 110);
    state.onAppendStarted(8, (short) 0, 0, 4, 1000L); // in flight: not in the snapshot
    ProducerSnapshot snap = state.snapshot(120);
    assertThat(snap.entries()).hasSize(1);

    ProducerStateManager restored = new ProducerStateManager();
    restored.restore(ProducerSnapshot.decode(snap.encode()));
    assertThat(restored.check(7, (short) 1, 10, 19).duplicateOf().outcome().join().firstOffset())
        .isEqualTo(110);
    assertThat(restored.check(7, (short) 1, 20, 29).accepted()).isTrue();
    assertThat(restored.check(7, (short) 1, 25, 29).error())
        .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
  }
}
