package io.strata.tiering.internals;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The binary form of a {@link TierIndex}: the {@code <log>/<ledgerId>-<attempt>.index} object next
 * to the segment's {@code .data} object (the segment's record batches, byte for byte, one after the
 * other). Big-endian; self-describing; pinned by {@code TierIndexCodecTest}'s golden bytes.
 *
 * <pre>
 * +--------+---------+--------+-------------+------------+--------------+-----------+------------+
 * | magic  | version | flags  | firstOffset | lastOffset | maxTimestamp | dataBytes | batchCount |
 * | int32  | int16   | int16  | int64       | int64      | int64        | int64     | int64      |
 * | "STTI" | = 1     | = 0    |             |            |              |           |            |
 * +--------+---------+--------+-------------+------------+--------------+-----------+------------+
 * | entryCount int32 | entryCount x offset entry                                                 |
 * |   offset entry:  | baseOffset int64 | lastOffset int64 | maxTimestamp int64 | position int64  |
 * | timeCount int32  | timeCount x time entry                                                    |
 * |   time entry:    | timestamp int64 | offset int64                                             |
 * | crc32c int32 (over every byte before it)                                                    |
 * +---------------------------------------------------------------------------------------------+
 * </pre>
 *
 * Offset entries: entry {@code i} covers the whole batches in bytes {@code [position_i,
 * position_{i+1})} of the data object (the last one up to {@code dataBytes}) and offsets {@code
 * [baseOffset_i, lastOffset_i]}; a new entry starts at the first batch boundary at least {@code
 * strata.tier.index.interval.bytes} (1 MiB) after the previous entry's start. Time entries: {@code
 * (timestamp, offset)} where the segment's running maximum timestamp rises to {@code timestamp}
 * within the entry starting at {@code offset} (at most one per offset entry, increasing), so the
 * first record at or after time T is in the offset entry of the first time entry with {@code
 * timestamp >= T}. A reader rejects another magic, a higher version or a bad CRC.
 */
public final class TierIndexCodec {
  public static final int MAGIC = 0x53545449; // "STTI"
  public static final short VERSION = 1;
  private static final int HEADER = 4 + 2 + 2 + 8 * 5 + 4;

  private TierIndexCodec() {}

  public static byte[] encode(TierIndex idx) {
    int n = idx.entryCount();
    int t = idx.timeEntryCount();
    ByteBuffer b = ByteBuffer.allocate(HEADER + n * 32 + 4 + t * 16 + 4);
    b.putInt(MAGIC).putShort(VERSION).putShort((short) 0);
    b.putLong(idx.firstOffset).putLong(idx.lastOffset).putLong(idx.maxTimestamp);
    b.putLong(idx.dataBytes).putLong(idx.batchCount);
    b.putInt(n);
    for (int i = 0; i < n; i++) {
      b.putLong(idx.baseOffsets[i])
          .putLong(idx.lastOffsets[i])
          .putLong(idx.maxTimestamps[i])
          .putLong(idx.positions[i]);
    }
    b.putInt(t);
    for (int i = 0; i < t; i++) {
      b.putLong(idx.timeTimestamps[i]).putLong(idx.timeOffsets[i]);
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /**
   * @throws IllegalArgumentException if the bytes are not a valid index of a known version
   */
  public static TierIndex decode(byte[] data) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      if (data.length < HEADER + 8 || b.getInt() != MAGIC) {
        throw new IllegalArgumentException("not a Strata tier index (bad magic)");
      }
      short version = b.getShort();
      if (version != VERSION) {
        throw new IllegalArgumentException("unsupported tier index version " + version);
      }
      b.getShort(); // flags
      CRC32C crc = new CRC32C();
      crc.update(data, 0, data.length - 4);
      if ((int) crc.getValue() != ByteBuffer.wrap(data, data.length - 4, 4).getInt()) {
        throw new IllegalArgumentException("tier index CRC mismatch");
      }
      long first = b.getLong();
      long last = b.getLong();
      long maxTs = b.getLong();
      long dataBytes = b.getLong();
      long batches = b.getLong();
      int n = b.getInt();
      if (n < 0 || n > (data.length - HEADER) / 32) {
        throw new IllegalArgumentException("bad entry count " + n);
      }
      long[] base = new long[n];
      long[] lastOffs = new long[n];
      long[] ts = new long[n];
      long[] pos = new long[n];
      for (int i = 0; i < n; i++) {
        base[i] = b.getLong();
        lastOffs[i] = b.getLong();
        ts[i] = b.getLong();
        pos[i] = b.getLong();
      }
      int t = b.getInt();
      if (t < 0 || t > n) {
        throw new IllegalArgumentException("bad time entry count " + t);
      }
      long[] timeTs = new long[t];
      long[] timeOff = new long[t];
      for (int i = 0; i < t; i++) {
        timeTs[i] = b.getLong();
        timeOff[i] = b.getLong();
      }
      if (b.remaining() != 4) {
        throw new IllegalArgumentException("trailing bytes in tier index");
      }
      return new TierIndex(
          first, last, maxTs, dataBytes, batches, base, lastOffs, ts, pos, timeTs, timeOff);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated tier index", e);
    }
  }
}
