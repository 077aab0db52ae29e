package io.strata.tiering.internals;

import java.util.Arrays;

/**
 * The index of one offloaded segment (its {@code .index} object, see {@link TierIndexCodec}): a
 * sparse offset index with one entry per about {@code strata.tier.index.interval.bytes} of the data
 * object (at batch boundaries), and a time index. Entry {@code i} covers the whole batches in bytes
 * {@code [position(i), end(i))} of the data object, offsets {@code [baseOffset(i), lastOffset(i)]}.
 *
 * <p>Immutable once built; thread-safe.
 */
public final class TierIndex {
  final long firstOffset;
  final long lastOffset;
  final long maxTimestamp;
  final long dataBytes;
  final long batchCount;
  final long[] baseOffsets;
  final long[] lastOffsets;
  final long[] maxTimestamps;
  final long[] positions;
  final long[] timeTimestamps;
  final long[] timeOffsets;

  TierIndex(
      long firstOffset,
      long lastOffset,
      long maxTimestamp,
      long dataBytes,
      long batchCount,
      long[] baseOffsets,
      long[] lastOffsets,
      long[] maxTimestamps,
      long[] positions,
      long[] timeTimestamps,
      long[] timeOffsets) {
    this.firstOffset = firstOffset;
    this.lastOffset = lastOffset;
    this.maxTimestamp = maxTimestamp;
    this.dataBytes = dataBytes;
    this.batchCount = batchCount;
    this.baseOffsets = baseOffsets;
    this.lastOffsets = lastOffsets;
    this.maxTimestamps = maxTimestamps;
    this.positions = positions;
    this.timeTimestamps = timeTimestamps;
    this.timeOffsets = timeOffsets;
  }

  public long firstOffset() {
    return firstOffset;
  }

  public long lastOffset() {
    return lastOffset;
  }

  public long maxTimestamp() {
    return maxTimestamp;
  }

  public long dataBytes() {
    return dataBytes;
  }

  public long batchCount() {
    return batchCount;
  }

  public int entryCount() {
    return positions.length;
  }

  public long baseOffset(int i) {
    return baseOffsets[i];
  }

  public long lastOffset(int i) {
    return lastOffsets[i];
  }

  public long maxTimestamp(int i) {
    return maxTimestamps[i];
  }

  public long position(int i) {
    return positions[i];
  }

  /** One past the last byte of entry {@code i}. */
  public long end(int i) {
    return i + 1 < positions.length ? positions[i + 1] : dataBytes;
  }

  public int timeEntryCount() {
    return timeTimestamps.length;
  }

  /** The entry holding {@code offset}, or -1 if outside the segment. */
  public int entryFor(long offset) {
    if (positions.length == 0 || offset < firstOffset || offset > lastOffset) {
      return -1;
    }
    int i = Arrays.binarySearch(lastOffsets, offset);
    return i >= 0 ? i : -i - 1;
  }

  /**
   * The first entry holding a record with timestamp at least {@code ts} (by the time index: the
   * first point where the running maximum timestamp reaches {@code ts}), or -1 if none.
   */
  public int firstEntryWithTimestampAtLeast(long ts) {
    int lo = 0;
    int hi = timeTimestamps.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (timeTimestamps[mid] >= ts) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found < 0 ? -1 : entryFor(timeOffsets[found]);
  }

  /** Heap footprint, the weight in the index cache. */
  public int weightBytes() {
    return 96 + positions.length * 32 + timeTimestamps.length * 16;
  }

  /** Builds an index batch by batch, in data order (the offloader). Not thread-safe. */
  public static final class Builder {
    private final int intervalBytes;
    private long firstOffset = -1;
    private long lastOffset = -1;
    private long maxTimestamp = -1;
    private long bytes;
    private long batches;
    private long entryStart = -1;
    private long[] base = new long[16];
    private long[] last = new long[16];
    private long[] maxTs = new long[16];
    private long[] pos = new long[16];
    private int count;
    private long[] timeTs = new long[16];
    private long[] timeOff = new long[16];
    private int timeCount;

    public Builder(int intervalBytes) {
      this.intervalBytes = intervalBytes;
    }

    /**
     * Adds the next batch.
     *
     * @throws IllegalArgumentException if its offsets do not follow the previous batch's densely
     */
    public void add(long baseOffset, long lastOffsetOfBatch, long batchMaxTimestamp, int size) {
      if (batches > 0 && baseOffset != lastOffset + 1) {
        throw new IllegalArgumentException(
            "batch at offset " + baseOffset + " does not follow offset " + lastOffset);
      }
      if (lastOffsetOfBatch < baseOffset || size <= 0) {
        throw new IllegalArgumentException("bad batch at offset " + baseOffset);
      }
      if (count == 0 || bytes - entryStart >= intervalBytes) {
        if (count == pos.length) {
          base = Arrays.copyOf(base, count * 2);
          last = Arrays.copyOf(last, count * 2);
          maxTs = Arrays.copyOf(maxTs, count * 2);
          pos = Arrays.copyOf(pos, count * 2);
        }
        base[count] = baseOffset;
        maxTs[count] = -1;
        pos[count] = bytes;
        entryStart = bytes;
        count++;
      }
      int e = count - 1;
      last[e] = lastOffsetOfBatch;
      if (batchMaxTimestamp > maxTimestamp) {
        // The running maximum rises inside entry e: one time-index point per entry at most.
        if (timeCount > 0 && timeOff[timeCount - 1] == base[e]) {
          timeTs[timeCount - 1] = batchMaxTimestamp;
        } else {
          if (timeCount == timeTs.length) {
            timeTs = Arrays.copyOf(timeTs, timeCount * 2);
            timeOff = Arrays.copyOf(timeOff, timeCount * 2);
          }
          timeTs[timeCount] = batchMaxTimestamp;
          timeOff[timeCount] = base[e];
          timeCount++;
        }
        maxTimestamp = batchMaxTimestamp;
      }
      maxTs[e] = Math.max(maxTs[e], batchMaxTimestamp);
      if (batches == 0) {
        firstOffset = baseOffset;
      }
      lastOffset = lastOffsetOfBatch;
      bytes += size;
      batches++;
    }

    public long bytes() {
      return bytes;
    }

    public long batches() {
      return batches;
    }

    public long lastOffset() {
      return lastOffset;
    }

    public TierIndex build() {
      return new TierIndex(
          firstOffset,
          lastOffset,
          maxTimestamp,
          bytes,
          batches,
          Arrays.copyOf(base, count),
          Arrays.copyOf(last, count),
          Arrays.copyOf(maxTs, count),
          Arrays.copyOf(pos, count),
          Arrays.copyOf(timeTs, timeCount),
          Arrays.copyOf(timeOff, timeCount));
    }
  }
}
