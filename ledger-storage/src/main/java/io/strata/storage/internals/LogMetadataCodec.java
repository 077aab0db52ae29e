package io.strata.storage.internals;

import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.SegmentState;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary form of {@link LogMetadata}, stored as the data of znode {@code <root>/logs/<name>}.
 * Big-endian throughout.
 *
 * <pre>
 * +--------+--------+--------+--------------+----------------+--------------+-----------+--------+
 * | magic  |version | flags  | writerEpoch  | logStartOffset | segmentCount | segment*  | crc32c |
 * | int32  | int16  | int16  | int64        | int64          | int32        |           | int32  |
 * |"STRL"  |  = 1   |  = 0   |              |                |              |           |        |
 * +--------+--------+--------+--------------+----------------+--------------+-----------+--------+
 *
 * segment:
 * +--------+--------+-------+-------------+------------+-------------+----------+------------+
 * | length |ledgerId| state | firstOffset | lastOffset | maxTimestamp| sizeBytes| entryCount |
 * | int16  | int64  | int8  | int64       | int64      | int64       | int64    | int64      |
 * +--------+--------+-------+-------------+------------+-------------+----------+------------+
 * +---------------+---------------+-------------------+---------------------+
 * | indexLedgerId | createdTimeMs | tierLocationLen   | tierLocation (UTF-8)|
 * | int64         | int64         | int16             | bytes               |
 * +---------------+---------------+-------------------+---------------------+
 * </pre>
 *
 * {@code length} counts the segment's bytes after the length field, so a later version may append
 * fields to a segment and an older reader skips them. {@code state}: 0 OPEN, 1 SEALED. The CRC32C
 * covers every byte before it. A reader rejects an unknown magic, a higher major version or a bad
 * CRC. Stateless; thread-safe.
 */
public final class LogMetadataCodec {
  public static final int MAGIC = 0x5354524C; // "STRL"
  public static final short VERSION = 1;
  private static final int SEGMENT_FIXED_BYTES = 8 + 1 + 8 * 7 + 2;

  private LogMetadataCodec() {}

  public static byte[] encode(LogMetadata m) {
    int size = 4 + 2 + 2 + 8 + 8 + 4 + 4;
    List<byte[]> tiers = new ArrayList<>(m.segments().size());
    for (SegmentMetadata s : m.segments()) {
      byte[] tier = s.tierLocation().getBytes(StandardCharsets.UTF_8);
      if (tier.length > Short.MAX_VALUE) {
        throw new IllegalArgumentException("tier location too long");
      }
      tiers.add(tier);
      size += 2 + SEGMENT_FIXED_BYTES + tier.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putInt(MAGIC).putShort(VERSION).putShort((short) 0);
    b.putLong(m.writerEpoch()).putLong(m.logStartOffset()).putInt(m.segments().size());
    for (int i = 0; i < m.segments().size(); i++) {
      SegmentMetadata s = m.segments().get(i);
      byte[] tier = tiers.get(i);
      b.putShort((short) (SEGMENT_FIXED_BYTES + tier.length));
      b.putLong(s.ledgerId()).put((byte) s.state().code());
      b.putLong(s.firstOffset()).putLong(s.lastOffset()).putLong(s.maxTimestamp());
      b.putLong(s.sizeBytes()).putLong(s.entryCount()).putLong(s.indexLedgerId());
      b.putLong(s.createdTimeMs()).putShort((short) tier.length).put(tier);
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /**
   * Decodes a stored record.
   *
   * @throws IllegalArgumentException if the bytes are not a valid record of a known version
   */
  public static LogMetadata decode(String name, byte[] data, int zkVersion) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      if (data.length < 32 || b.getInt() != MAGIC) {
        throw new IllegalArgumentException("not a Strata log metadata record (bad magic)");
      }
      short version = b.getShort();
      if (version != VERSION) {
        throw new IllegalArgumentException("unsupported log metadata version " + version);
      }
      b.getShort(); // flags
      CRC32C crc = new CRC32C();
      crc.update(data, 0, data.length - 4);
      if ((int) crc.getValue() != ByteBuffer.wrap(data, data.length - 4, 4).getInt()) {
        throw new IllegalArgumentException("log metadata CRC mismatch");
      }
      long epoch = b.getLong();
      long logStart = b.getLong();
      int count = b.getInt();
      if (count < 0 || count > data.length / SEGMENT_FIXED_BYTES) {
        throw new IllegalArgumentException("bad segment count " + count);
      }
      List<SegmentMetadata> segments = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int length = b.getShort() & 0xFFFF;
        int end = b.position() + length;
        long ledgerId = b.getLong();
        SegmentState state = SegmentState.fromCode(b.get());
        long first = b.getLong();
        long last = b.getLong();
        long maxTs = b.getLong();
        long size = b.getLong();
        long entries = b.getLong();
        long indexId = b.getLong();
        long created = b.getLong();
        byte[] tier = new byte[b.getShort() & 0xFFFF];
        b.get(tier);
        b.position(end);
        segments.add(
            new SegmentMetadata(
                ledgerId,
                state,
                first,
                last,
                maxTs,
                size,
                entries,
                indexId,
                created,
                new String(tier, StandardCharsets.UTF_8)));
      }
      return new LogMetadata(name, epoch, logStart, segments, zkVersion);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated log metadata record", e);
    }
  }
}
