package io.strata.storage.internals;

import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The tier offload steps of a log ({@link io.strata.storage.api.PartitionLog#beginOffload}, {@link
 * io.strata.storage.api.PartitionLog#commitOffload}; the tiering module drives them, see {@link
 * io.strata.storage.api.TieredStorage}) as metadata changes. Each step changes one segment, found
 * by ledger id so that {@link MetadataUpdater} can re-apply it to a fresher copy; a step that does
 * not apply to the segment throws {@link IllegalStateException}, which fails the compare-and-set.
 *
 * <p>Pure functions of the metadata; the log runs them on its executor, through its {@link
 * MetadataUpdater}.
 */
final class OffloadSteps {
  private OffloadSteps() {}

  /** Starts a new offload attempt of a sealed, non-empty segment still on the bookies. */
  static UnaryOperator<SegmentMetadata> begin(long ledgerId) {
    return s -> {
      if (!s.isSealed() || !s.onBookies() || s.entryCount() == 0) {
        throw new IllegalStateException("segment " + ledgerId + " cannot be offloaded: " + s);
      }
      if (s.isOffloaded()) {
        throw new IllegalStateException("segment " + ledgerId + " is already offloaded");
      }
      return s.withOffloadStarted(s.offloadAttempt() + 1);
    };
  }

  /** Records offload attempt {@code attempt} as committed, if it is still the one started. */
  static UnaryOperator<SegmentMetadata> commit(long ledgerId, int attempt) {
    return s -> {
      if (s.isOffloaded() || s.offloadAttempt() != attempt) {
        throw new IllegalStateException(
            "segment " + ledgerId + " records " + s.tierLocation() + ", not attempt " + attempt);
      }
      return s.withOffloadCommitted(attempt);
    };
  }

  /** {@code m} with {@code change} applied to segment {@code ledgerId} (which must exist). */
  static LogMetadata changeSegment(
      LogMetadata m, String name, long ledgerId, UnaryOperator<SegmentMetadata> change) {
    List<SegmentMetadata> segs = new ArrayList<>(m.segments().size());
    boolean found = false;
    for (SegmentMetadata s : m.segments()) {
      if (s.ledgerId() == ledgerId) {
        segs.add(change.apply(s));
        found = true;
      } else {
        segs.add(s);
      }
    }
    if (!found) {
      throw new IllegalStateException("no segment " + ledgerId + " in " + name);
    }
    return m.withSegments(segs);
  }

  /** Segment {@code ledgerId} of {@code stored}; throws if it is not there. */
  static SegmentMetadata segment(LogMetadata stored, long ledgerId) {
    for (SegmentMetadata s : stored.segments()) {
      if (s.ledgerId() == ledgerId) {
        return s;
      }
    }
    throw new IllegalStateException("segment " + ledgerId + " vanished");
  }
}
