package io.strata.storage.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One entry of a segment's index ledger: the index records of a run of consecutive data entries. An
 * index ledger's chunks cover data entries 0, 1, 2, ... without gaps, in order. Big-endian.
 *
 * <pre>
 * +--------+---------+----------+--------------------+--------------+-------+----------------------+
 * | magic  | version | reserved | segmentFirstOffset | firstEntryId | count | count x record       |
 * | int32  | int8    | 3 bytes  | int64              | int64        | int32 |                      |
 * | "STXI" |  = 1    |  = 0     |                    |              |       |                      |
 * +--------+---------+----------+--------------------+--------------+-------+----------------------+
 * record (16 bytes): lastOffsetDelta int32 | sizeBytes int32 | maxTimestamp int64
 * </pre>
 *
 * BookKeeper's entry digest (CRC32C) protects the bytes. Stateless; thread-safe.
 */
public final class IndexChunkCodec {
  public static final int MAGIC = 0x53545849; // "STXI"
  public static final byte VERSION = 1;
  public static final int HEADER_BYTES = 28;

  private IndexChunkCodec() {}

  /** Encodes entries {@code [from, to)} of {@code index}. The caller owns the returned buffer. */
  public static ByteBuf encode(ByteBufAllocator alloc, SegmentIndex index, int from, int to) {
    int n = to - from;
    ByteBuf b = alloc.buffer(HEADER_BYTES + n * SegmentIndex.ENTRY_BYTES);
    b.writeInt(MAGIC).writeByte(VERSION).writeZero(3);
    b.writeLong(index.firstOffset()).writeLong(from).writeInt(n);
    for (int i = from; i < to; i++) {
      b.writeInt(Math.toIntExact(index.lastOffset(i) - index.firstOffset()));
      b.writeInt(index.size(i));
      b.writeLong(index.maxTimestamp(i));
    }
    return b;
  }

  /**
   * Appends the records of one chunk to {@code index}, checking it continues the index exactly.
   *
   * @throws IllegalArgumentException if the chunk is malformed or does not fit
   */
  public static void decodeInto(ByteBuf chunk, SegmentIndex index) {
    int start = chunk.readerIndex();
    if (chunk.readableBytes() < HEADER_BYTES || chunk.getInt(start) != MAGIC) {
      throw new IllegalArgumentException("not an index chunk");
    }
    if (chunk.getByte(start + 4) != VERSION) {
      throw new IllegalArgumentException("unsupported index chunk version");
    }
    long first = chunk.getLong(start + 8);
    long firstEntry = chunk.getLong(start + 16);
    int n = chunk.getInt(start + 24);
    if (first != index.firstOffset() || firstEntry != index.entryCount()) {
      throw new IllegalArgumentException(
          "index chunk for offset " + first + " entry " + firstEntry + " does not continue index");
    }
    if (chunk.readableBytes() != HEADER_BYTES + (long) n * SegmentIndex.ENTRY_BYTES) {
      throw new IllegalArgumentException("index chunk length mismatch");
    }
    int p = start + HEADER_BYTES;
    for (int i = 0; i < n; i++, p += SegmentIndex.ENTRY_BYTES) {
      index.add(chunk.getInt(p), chunk.getInt(p + 4), chunk.getLong(p + 8));
    }
  }
}
