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

  /**
   * Which offloaded segments leave the bookies ({@code local.retention.*}): walking the segments
   * still on the bookies oldest first, a SEALED segment with a committed tier copy goes if its
   * newest record is older than {@code now - localRetentionMs} ({@code >= 0}) or the bookie copies
   * without it still hold at least {@code localRetentionBytes} ({@code >= 0}); the walk stops at
   * the first segment that stays or is not offloaded, so the bookies always hold a suffix of the
   * log.
   */
  static List<SegmentMetadata> segmentsToMoveOffBookies(
      List<SegmentMetadata> segments,
      long localRetentionMs,
      long localRetentionBytes,
      long nowMs,
      long unsealedBytes) {
    long local = unsealedBytes;
    for (SegmentMetadata s : segments) {
      if (s.onBookies()) {
        local += s.sizeBytes();
      }
    }
    List<SegmentMetadata> out = new ArrayList<>();
    for (SegmentMetadata s : segments) {
      if (!s.onBookies()) {
        continue;
      }
      if (!s.isSealed() || !s.isOffloaded()) {
        break;
      }
      long newest = s.maxTimestamp() >= 0 ? s.maxTimestamp() : s.createdTimeMs();
      boolean expired = localRetentionMs >= 0 && newest < nowMs - localRetentionMs;
      boolean oversize = localRetentionBytes >= 0 && local - s.sizeBytes() >= localRetentionBytes;
      if (!(expired || oversize)) {
        break;
      }
      out.add(s);
      local -= s.sizeBytes();
    }
    return out;
  }
}
