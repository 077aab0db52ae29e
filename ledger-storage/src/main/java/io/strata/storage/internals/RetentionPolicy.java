package io.strata.storage.internals;

import io.strata.storage.api.SegmentMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * Which segments retention deletes: a pure function of the segment list, so it is tested without a
 * cluster.
 *
 * <p>Only sealed segments at the head of the log are candidates, oldest first, stopping at the
 * first one that must stay (Kafka's rule: retention never leaves holes). A segment goes if any of:
 * it lies wholly below the log start offset; {@code retentionMs >= 0} and its newest record (its
 * max timestamp, or its creation time if it has none) is older than {@code now - retentionMs};
 * {@code retentionBytes >= 0} and the log without it is still at least {@code retentionBytes}.
 */
final class RetentionPolicy {
  private RetentionPolicy() {}

  static List<SegmentMetadata> segmentsToDelete(
      List<SegmentMetadata> segments,
      long logStartOffset,
      long retentionMs,
      long retentionBytes,
      long nowMs,
      long unsealedBytes) {
    long total = unsealedBytes;
    for (SegmentMetadata s : segments) {
      total += s.sizeBytes();
    }
    List<SegmentMetadata> doomed = new ArrayList<>();
    for (SegmentMetadata s : segments) {
      if (!s.isSealed()) {
        break;
      }
      boolean belowStart = s.lastOffset() < logStartOffset;
      long newest = s.maxTimestamp() >= 0 ? s.maxTimestamp() : s.createdTimeMs();
      boolean expired = retentionMs >= 0 && newest < nowMs - retentionMs;
      boolean oversize = retentionBytes >= 0 && total - s.sizeBytes() >= retentionBytes;
      if (!(belowStart || expired || oversize)) {
        break;
      }
      doomed.add(s);
      total -= s.sizeBytes();
    }
    return doomed;
  }
}
