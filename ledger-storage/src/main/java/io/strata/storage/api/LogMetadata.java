package io.strata.storage.api;

import java.util.List;

/**
 * A log's metadata: one znode, {@code <root>/logs/<name>}, changed only by versioned
 * compare-and-set. Immutable.
 *
 * @param name the log's name
 * @param writerEpoch epoch of the writer that owns (or last owned) the log
 * @param logStartOffset first offset readable
 * @param segments segments in offset order; at most the last one is OPEN
 * @param zkVersion the znode version this was read at / written as (-1 when not stored yet); not
 *     part of the stored bytes
 */
public record LogMetadata(
    String name,
    long writerEpoch,
    long logStartOffset,
    List<SegmentMetadata> segments,
    int zkVersion) {

  public LogMetadata {
    segments = List.copyOf(segments);
  }

  public LogMetadata withSegments(List<SegmentMetadata> newSegments) {
    return new LogMetadata(name, writerEpoch, logStartOffset, newSegments, zkVersion);
  }

  public LogMetadata withLogStartOffset(long offset) {
    return new LogMetadata(name, writerEpoch, offset, segments, zkVersion);
  }

  public LogMetadata withEpoch(long epoch) {
    return new LogMetadata(name, epoch, logStartOffset, segments, zkVersion);
  }

  public LogMetadata withZkVersion(int version) {
    return new LogMetadata(name, writerEpoch, logStartOffset, segments, version);
  }

  /**
   * The first offset whose segment still has its bookie copy (Kafka's local log start offset):
   * after the TIERED segments, never below the log start offset.
   */
  public long earliestLocalOffset() {
    long first = nextOffsetAfterSealed();
    for (SegmentMetadata s : segments) {
      if (s.onBookies()) {
        first = s.firstOffset();
        break;
      }
    }
    return Math.max(first, logStartOffset);
  }

  /** The last offset of the last segment with a committed tier copy, -1 if none. */
  public long latestTieredOffset() {
    long last = -1;
    for (SegmentMetadata s : segments) {
      if (s.isOffloaded() && s.lastOffset() >= logStartOffset) {
        last = Math.max(last, s.lastOffset());
      }
    }
    return last;
  }

  /** One past the last offset of the last sealed segment (or the first offset of an open one). */
  public long nextOffsetAfterSealed() {
    long next = logStartOffset;
    for (SegmentMetadata s : segments) {
      next = Math.max(next, s.isSealed() ? s.lastOffset() + 1 : s.firstOffset());
    }
    return next;
  }
}
