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
 * @param tierLocation the segment's offload state: {@code ""} (none), {@code "offloading:<n>"}
 *     (attempt {@code n} recorded, its objects may be partial: not readable from the tier) or
 *     {@code "offloaded:<n>"} (attempt {@code n} committed: its objects are complete). Object names
 *     derive from the log name, ledger id and attempt (see the tiering module's README).
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

  /** Offsets are final (SEALED or TIERED). */
  public boolean isSealed() {
    return state != SegmentState.OPEN;
  }

  /** Its data and index ledgers exist (OPEN or SEALED, not TIERED). */
  public boolean onBookies() {
    return state != SegmentState.TIERED;
  }

  static final String OFFLOADING = "offloading:";
  static final String OFFLOADED = "offloaded:";

  /** A tier copy is committed (attempt {@link #offloadAttempt()}). */
  public boolean isOffloaded() {
    return tierLocation.startsWith(OFFLOADED);
  }

  /** The offload attempt recorded in {@link #tierLocation()}, 0 if none. */
  public int offloadAttempt() {
    String n;
    if (tierLocation.startsWith(OFFLOADED)) {
      n = tierLocation.substring(OFFLOADED.length());
    } else if (tierLocation.startsWith(OFFLOADING)) {
      n = tierLocation.substring(OFFLOADING.length());
    } else {
      return 0;
    }
    try {
      return Integer.parseInt(n);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** This segment with offload attempt {@code attempt} recorded (not committed). */
  public SegmentMetadata withOffloadStarted(int attempt) {
    return withTierLocation(OFFLOADING + attempt);
  }

  /** This segment with offload attempt {@code attempt} committed. */
  public SegmentMetadata withOffloadCommitted(int attempt) {
    return withTierLocation(OFFLOADED + attempt);
  }

  public SegmentMetadata withTierLocation(String location) {
    return new SegmentMetadata(
        ledgerId,
        state,
        firstOffset,
        lastOffset,
        maxTimestamp,
        sizeBytes,
        entryCount,
        indexLedgerId,
        createdTimeMs,
        location);
  }

  /** This (offloaded) segment without its bookie copy. */
  public SegmentMetadata tiered() {
    if (!isOffloaded() || state != SegmentState.SEALED) {
      throw new IllegalStateException("segment " + ledgerId + " is not an offloaded sealed one");
    }
    return new SegmentMetadata(
        ledgerId,
        SegmentState.TIERED,
        firstOffset,
        lastOffset,
        maxTimestamp,
        sizeBytes,
        entryCount,
        indexLedgerId,
        createdTimeMs,
        tierLocation);
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
