package io.strata.storage.internals;

import io.netty.buffer.ByteBuf;
import io.strata.storage.api.BatchTooLargeException;
import io.strata.storage.api.CorruptBatchException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Reads and validates the header of a Kafka magic-v2 record batch, the unit stored per BookKeeper
 * entry.
 *
 * <pre>
 *  offset size field
 *   0      8   baseOffset            written by the log; NOT covered by the CRC
 *   8      4   batchLength           bytes after this field (total size = batchLength + 12)
 *  12      4   partitionLeaderEpoch
 *  16      1   magic (= 2)
 *  17      4   crc (CRC32C of bytes 21..end)
 *  21      2   attributes
 *  23      4   lastOffsetDelta
 *  27      8   baseTimestamp
 *  35      8   maxTimestamp
 *  43      8   producerId
 *  51      2   producerEpoch
 *  53      4   baseSequence
 *  57      4   recordsCount
 *  61      ... records
 * </pre>
 *
 * All offsets are relative to the buffer's reader index. Stateless; thread-safe.
 */
public record RecordBatchHeader(
    long baseOffset, int sizeInBytes, int lastOffsetDelta, long maxTimestamp, int recordsCount) {
  public static final int HEADER_SIZE = 61;
  static final int BATCH_LENGTH_OFFSET = 8;
  static final int MAGIC_OFFSET = 16;
  static final int CRC_OFFSET = 17;
  static final int ATTRIBUTES_OFFSET = 21;
  static final int LAST_OFFSET_DELTA_OFFSET = 23;
  static final int MAX_TIMESTAMP_OFFSET = 35;
  static final int RECORDS_COUNT_OFFSET = 57;

  /** The last offset of the batch. */
  public long lastOffset() {
    return baseOffset + lastOffsetDelta;
  }

  /**
   * Validates the batch: length, magic, offsets and CRC32C. Does not change or release it.
   *
   * @throws CorruptBatchException if it is not a well-formed v2 batch
   * @throws BatchTooLargeException if larger than {@code maxBytes}
   */
  public static RecordBatchHeader validate(ByteBuf batch, int maxBytes) {
    int size = batch.readableBytes();
    if (size < HEADER_SIZE) {
      throw new CorruptBatchException(
          "record batch of " + size + " bytes is shorter than the " + HEADER_SIZE + "-byte header");
    }
    int start = batch.readerIndex();
    int batchLength = batch.getInt(start + BATCH_LENGTH_OFFSET);
    if ((long) batchLength + 12 != size) {
      throw new CorruptBatchException(
          "record batch length field says " + (batchLength + 12L) + " bytes, buffer has " + size);
    }
    byte magic = batch.getByte(start + MAGIC_OFFSET);
    if (magic != 2) {
      throw new CorruptBatchException("record batch magic " + magic + ", only magic 2 is stored");
    }
    if (size > maxBytes) {
      throw new BatchTooLargeException(
          "record batch of " + size + " bytes exceeds max.message.bytes=" + maxBytes);
    }
    long storedCrc = batch.getUnsignedInt(start + CRC_OFFSET);
    long computed = crc32c(batch, start + ATTRIBUTES_OFFSET, size - ATTRIBUTES_OFFSET);
    if (storedCrc != computed) {
      throw new CorruptBatchException(
          "record batch CRC32C mismatch: header " + storedCrc + ", computed " + computed);
    }
    RecordBatchHeader h = read(batch);
    if (h.lastOffsetDelta < 0 || h.recordsCount != h.lastOffsetDelta + 1) {
      throw new CorruptBatchException(
          "record batch has "
              + h.recordsCount
              + " records but lastOffsetDelta "
              + h.lastOffsetDelta
              + " (offsets must be dense)");
    }
    return h;
  }

  /** Reads the header fields without validating anything (for batches already stored). */
  public static RecordBatchHeader read(ByteBuf batch) {
    int start = batch.readerIndex();
    if (batch.readableBytes() < HEADER_SIZE) {
      throw new CorruptBatchException("stored entry shorter than a record batch header");
    }
    return new RecordBatchHeader(
        batch.getLong(start),
        batch.readableBytes(),
        batch.getInt(start + LAST_OFFSET_DELTA_OFFSET),
        batch.getLong(start + MAX_TIMESTAMP_OFFSET),
        batch.getInt(start + RECORDS_COUNT_OFFSET));
  }

  /** Writes the base offset into bytes 0..7 of the batch (the CRC does not cover them). */
  public static void writeBaseOffset(ByteBuf batch, long baseOffset) {
    batch.setLong(batch.readerIndex(), baseOffset);
  }

  static long crc32c(ByteBuf buf, int index, int length) {
    CRC32C crc = new CRC32C();
    if (buf.nioBufferCount() == 1) {
      ByteBuffer nio = buf.nioBuffer(index, length);
      crc.update(nio);
    } else {
      for (ByteBuffer nio : buf.nioBuffers(index, length)) {
        crc.update(nio);
      }
    }
    return crc.getValue();
  }
}
