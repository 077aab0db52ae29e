package io.strata.storage.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.SegmentMetadata;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RetentionPolicyTest {
  private static SegmentMetadata sealed(long id, long first, long last, long ts, long size) {
    return SegmentMetadata.open(id, id + 100, first, 0).seal(last, ts, size, last - first + 1, 1);
  }

  private static final List<SegmentMetadata> LOG =
      List.of(
          sealed(1, 0, 9, 1_000, 100),
          sealed(2, 10, 19, 5_000, 100),
          sealed(3, 20, 29, 2_000, 100),
          SegmentMetadata.open(4, 104, 30, 9_000));

  @Test
  void byTimeStopsAtTheFirstSegmentToKeep() {
    // Segment 3 is old too, but segment 2 before it must stay: no holes.
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 0, 4_000, -1, 7_000, 50))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(1L);
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 0, 1_000, -1, 7_000, 50))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(1L, 2L, 3L);
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 0, -1, -1, 7_000, 50)).isEmpty();
  }

  @Test
  void byBytesKeepsAtLeastTheLimit() {
    // total = 300 + 50 unsealed
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 0, -1, 250, 0, 50))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(1L);
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 0, -1, 149, 0, 50))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(1L, 2L);
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 0, -1, 0, 0, 50)).hasSize(3);
  }

  @Test
  void segmentsBelowTheLogStartGo() {
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 20, -1, -1, 0, 0))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(1L, 2L);
    assertThat(RetentionPolicy.segmentsToDelete(LOG, 19, -1, -1, 0, 0))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(1L);
  }

  @Test
  void localRetentionMovesOnlyTheOffloadedHeadOffTheBookies() {
    List<SegmentMetadata> log =
        List.of(
            sealed(1, 0, 9, 1_000, 100).withOffloadCommitted(1).tiered(),
            sealed(2, 10, 19, 2_000, 100).withOffloadCommitted(1),
            sealed(3, 20, 29, 3_000, 100).withOffloadCommitted(2),
            sealed(4, 30, 39, 4_000, 100).withOffloadStarted(1),
            sealed(5, 40, 49, 5_000, 100).withOffloadCommitted(1),
            SegmentMetadata.open(6, 106, 50, 9_000));
    // By time: 2 and 3 are old and offloaded; 4 is not committed, so 5 stays behind it.
    assertThat(RetentionPolicy.segmentsToMoveOffBookies(log, 0, -1, 10_000, 0))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(2L, 3L);
    assertThat(RetentionPolicy.segmentsToMoveOffBookies(log, 7_500, -1, 10_000, 0))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(2L);
    // By bytes: 400 on the bookies (2..5) + 50 open; keep at least 300 there.
    assertThat(RetentionPolicy.segmentsToMoveOffBookies(log, -1, 300, 0, 50))
        .extracting(SegmentMetadata::ledgerId)
        .containsExactly(2L);
    assertThat(RetentionPolicy.segmentsToMoveOffBookies(log, -1, -1, 10_000, 0)).isEmpty();
  }
}
