package io.strata.broker.fetch;

import io.netty.buffer.ByteBuf;
import io.strata.broker.fetch.BatchCache.CachedBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits stored record batches (magic v2, one after another) into {@link CachedBatch}es by their
 * headers, without parsing records. The storage layer has already validated every batch.
 *
 * <pre>
 * offset  0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch | 16 magic |
 *        17 crc | 21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64 |
 *        35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 |
 *        53 baseSequence int32 | 57 recordCount int32 | 61 records...
 * </pre>
 */
public final class Batches {
  public static final int BASE_OFFSET = 0;
  public static final int LENGTH = 8;
  public static final int LOG_OVERHEAD = 12;
  public static final int LAST_OFFSET_DELTA = 23;
  public static final int MAX_TIMESTAMP = 35;
  public static final int PRODUCER_ID = 43;
  public static final int PRODUCER_EPOCH = 51;
  public static final int BASE_SEQUENCE = 53;
  public static final int RECORD_COUNT = 57;
  public static final int HEADER_SIZE = 61;

  private Batches() {}

  /**
   * Copies {@code buf}'s readable bytes to the heap and splits them into batches. Does not release
   * {@code buf}.
   *
   * @throws IllegalStateException if the bytes do not end on a batch boundary
   */
  public static List<CachedBatch> split(ByteBuf buf) {
    byte[] bytes = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), bytes);
    return split(ByteBuffer.wrap(bytes));
  }

  /** Splits heap bytes into batches (views sharing {@code all}). */
  public static List<CachedBatch> split(ByteBuffer all) {
    List<CachedBatch> out = new ArrayList<>();
    int pos = all.position();
    int end = all.limit();
    while (pos < end) {
      if (end - pos < HEADER_SIZE) {
        throw new IllegalStateException("Truncated batch header at byte " + pos);
      }
      int size = LOG_OVERHEAD + all.getInt(pos + LENGTH);
      if (size < HEADER_SIZE || size > end - pos) {
        throw new IllegalStateException("Batch at byte " + pos + " claims " + size + " bytes");
      }
      long base = all.getLong(pos + BASE_OFFSET);
      long last = base + all.getInt(pos + LAST_OFFSET_DELTA);
      ByteBuffer slice = all.duplicate();
      slice.position(pos).limit(pos + size);
      out.add(new CachedBatch(base, last, slice.slice().asReadOnlyBuffer()));
      pos += size;
    }
    return out;
  }
}
