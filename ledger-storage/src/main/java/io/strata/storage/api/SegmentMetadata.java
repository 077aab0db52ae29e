package io.strata.storage.api;

/**
 * One segment (one BookKeeper ledger) of a log, as recorded in ZooKeeper.
 *
 * <p>For an {@code OPEN} segment only {@code ledgerId}, {@code indexLedgerId}, {@code firstOffset}
 * and {@code createdTimeMs} are meaningful: the rest is known only to its writer (in memory) or
 * after recovery. For a {@code SEALED} one every field is final.
 *
 * @param ledgerId the data ledger: entry {@code i} is the segment's {@code i}-th batch
 * @param state OPEN or SEALED
 * @param firstOffset the offset of the first record of the segment
 * @param lastOffset the offset of its last record ({@code firstOffset - 1} while unknown/empty)
 * @param maxTimestamp largest batch max-timestamp in it, -1 if none
 * @param sizeBytes total bytes of its batches
 * @param entryCount number of batches (entries 0..entryCount-1 of the data ledger)
 * @param indexLedgerId the companion index ledger, -1 if none (then the index is rebuilt by
 *     scanning the data ledger)
 * @param createdTimeMs when the segment was created (the log's clock)
 * @param tierLocation where a tiered copy lives; empty if none (reserved for the tiering module)
 */
public record SegmentMetadata(
    long ledgerId,
    SegmentState state,
    long firstOffset,
    long lastOffset,
    long maxTimestamp,
    long sizeBytes,
    long entryCount,
    long indexLedgerId,
    long createdTimeMs,
    String tierLocation) {

  public SegmentMetadata {
    if (tierLocation == null) {
      throw new IllegalArgumentException("tierLocation must not be null (use \"\")");
    }
  }

  /** A new, empty, open segment. */
  public static SegmentMetadata open(
      long ledgerId, long indexLedgerId, long firstOffset, long createdTimeMs) {
    return new SegmentMetadata(
        ledgerId,
        SegmentState.OPEN,
        firstOffset,
        firstOffset - 1,
        -1,
        0,
        0,
        indexLedgerId,
        createdTimeMs,
        "");
  }

  public boolean isSealed() {
    return state == SegmentState.SEALED;
  }

  /** This segment sealed with its final figures. */
  public SegmentMetadata seal(
      long lastOffset, long maxTimestamp, long sizeBytes, long entryCount, long indexLedgerId) {
    return new SegmentMetadata(
        ledgerId,
        SegmentState.SEALED,
        firstOffset,
        lastOffset,
        maxTimestamp,
        sizeBytes,
        entryCount,
        indexLedgerId,
        createdTimeMs,
        tierLocation);
  }

  public SegmentMetadata withIndexLedgerId(long id) {
    return new SegmentMetadata(
        ledgerId,
        state,
        firstOffset,
        lastOffset,
        maxTimestamp,
        sizeBytes,
        entryCount,
        id,
        createdTimeMs,
        tierLocation);
  }
}
