package io.strata.storage.internals;

import java.util.Arrays;

/**
 * Dense index of one segment: for entry {@code i} of the data ledger, the delta of its last offset
 * from the segment's first offset, its size in bytes and its max timestamp. Offsets are dense, so
 * entry {@code i}'s base offset is entry {@code i-1}'s last offset + 1.
 *
 * <p>Finding the entry of an offset is a binary search over the deltas in memory (one lookup);
 * finding the first entry with a timestamp at or above T is a binary search over the running
 * maximum of timestamps.
 *
 * <p>Thread-safety: while a segment is open, its index is appended to and read only on the log's
 * executor thread. Once sealed ({@link #seal()}), it is immutable and may be shared (index cache).
 */
public final class SegmentIndex {
  /** Bytes per entry in memory and in an index chunk. */
  public static final int ENTRY_BYTES = 16;

  private final long firstOffset;
  private int count;
  private int[] lastOffsetDelta;
  private int[] sizes;
  private long[] maxTimestamps;
  private long[] prefixMaxTimestamp;
  private long totalBytes;
  private boolean sealed;

  public SegmentIndex(long firstOffset, int expectedEntries) {
    this.firstOffset = firstOffset;
    int cap = Math.max(16, expectedEntries);
    lastOffsetDelta = new int[cap];
    sizes = new int[cap];
    maxTimestamps = new long[cap];
    prefixMaxTimestamp = new long[cap];
  }

  public long firstOffset() {
    return firstOffset;
  }

  public int entryCount() {
    return count;
  }

  public long totalBytes() {
    return totalBytes;
  }

  /** Appends entry {@code entryCount()}. */
  public void add(int lastOffsetDeltaFromFirst, int sizeBytes, long maxTimestamp) {
    if (sealed) {
      throw new IllegalStateException("index is sealed");
    }
    if (count > 0 && lastOffsetDeltaFromFirst <= lastOffsetDelta[count - 1]) {
      throw new IllegalArgumentException("offsets must increase");
    }
    if (count == lastOffsetDelta.length) {
      int cap = count * 2;
      lastOffsetDelta = Arrays.copyOf(lastOffsetDelta, cap);
      sizes = Arrays.copyOf(sizes, cap);
      maxTimestamps = Arrays.copyOf(maxTimestamps, cap);
      prefixMaxTimestamp = Arrays.copyOf(prefixMaxTimestamp, cap);
    }
    lastOffsetDelta[count] = lastOffsetDeltaFromFirst;
    sizes[count] = sizeBytes;
    maxTimestamps[count] = maxTimestamp;
    prefixMaxTimestamp[count] =
        count == 0 ? maxTimestamp : Math.max(prefixMaxTimestamp[count - 1], maxTimestamp);
    totalBytes += sizeBytes;
    count++;
  }

  /** Adds an entry given its absolute offsets. */
  public void addEntry(long baseOffset, long lastOffset, int sizeBytes, long maxTimestamp) {
    long expectedBase = count == 0 ? firstOffset : lastOffset(count - 1) + 1;
    if (baseOffset != expectedBase) {
      throw new IllegalArgumentException(
          "entry " + count + " has base offset " + baseOffset + ", expected " + expectedBase);
    }
    add(Math.toIntExact(lastOffset - firstOffset), sizeBytes, maxTimestamp);
  }

  /** Makes it immutable and trims its arrays. */
  public SegmentIndex seal() {
    if (!sealed) {
      lastOffsetDelta = Arrays.copyOf(lastOffsetDelta, count);
      sizes = Arrays.copyOf(sizes, count);
      maxTimestamps = Arrays.copyOf(maxTimestamps, count);
      prefixMaxTimestamp = Arrays.copyOf(prefixMaxTimestamp, count);
      sealed = true;
    }
    return this;
  }

  public long baseOffset(int entry) {
    return entry == 0 ? firstOffset : firstOffset + lastOffsetDelta[entry - 1] + 1L;
  }

  public long lastOffset(int entry) {
    return firstOffset + lastOffsetDelta[entry];
  }

  /** One past the last offset indexed. */
  public long nextOffset() {
    return count == 0 ? firstOffset : lastOffset(count - 1) + 1;
  }

  public int size(int entry) {
    return sizes[entry];
  }

  public long maxTimestamp(int entry) {
    return maxTimestamps[entry];
  }

  /** Largest timestamp in the segment, -1 if empty. */
  public long maxTimestamp() {
    return count == 0 ? -1 : prefixMaxTimestamp[count - 1];
  }

  /** The entry whose offsets contain {@code offset}, or -1 if outside the indexed range. */
  public int entryFor(long offset) {
    if (count == 0 || offset < firstOffset || offset > lastOffset(count - 1)) {
      return -1;
    }
    long delta = offset - firstOffset;
    int lo = 0;
    int hi = count - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (lastOffsetDelta[mid] >= delta) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** First entry at or after {@code from} whose max timestamp is at least {@code ts}, or -1. */
  public int firstEntryWithTimestampAtLeast(long ts, int from) {
    if (from >= count) {
      return -1;
    }
    if (from == 0) {
      if (prefixMaxTimestamp[count - 1] < ts) {
        return -1;
      }
      int lo = 0;
      int hi = count - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (prefixMaxTimestamp[mid] >= ts) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo;
    }
    for (int i = from; i < count; i++) {
      if (maxTimestamps[i] >= ts) {
        return i;
      }
    }
    return -1;
  }

  /** First entry holding the segment's largest timestamp, or -1 if empty. */
  public int entryWithMaxTimestamp() {
    return count == 0 ? -1 : firstEntryWithTimestampAtLeast(maxTimestamp(), 0);
  }

  /** Approximate heap footprint, the weight in the index cache. */
  public int weightBytes() {
    return 64 + lastOffsetDelta.length * 24;
  }
}
