package io.strata.broker.producer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot of a partition's idempotent-producer state as of a log offset, so loading the
 * partition replays only the batches after it. Stored in ZooKeeper at {@code
 * ROOT/producer-snapshots/LOG}.
 *
 * <p>Format (big-endian), version 2 (version 1 is the same without the expired list, and is still
 * read):
 *
 * <pre>
 * +--------+---------+--------------+-------+---------------+---------+-------------------+
 * | magic  | version | next offset  | count | count x entry | expired | expired x id      |
 * | int32  | int16   | int64        | int32 |               | int32   | int64             |
 * | 0x53505331 "SPS1"                                                                     |
 * +--------+---------+--------------+-------+---------------+---------+-------------------+
 * entry: producerId int64 | epoch int16 | firstSeq int32 | lastSeq int32 |
 *        firstOffset int64 | lastOffset int64 | lastTimestamp int64        (46 bytes)
 * </pre>
 *
 * <p>{@code next offset} is the first offset not covered: replay starts there. Each entry keeps the
 * producer's last batch, which is what duplicate detection and sequence checks need after a restart
 * (Kafka's snapshots keep the same). The expired ids are producers whose state expired here; they
 * may resume at any sequence (see {@link ProducerStateManager#check}).
 *
 * @param nextOffset first offset the snapshot does not cover
 * @param entries one per producer
 * @param expired ids of producers whose state expired on this partition, oldest first
 */
public record ProducerSnapshot(long nextOffset, List<Entry> entries, List<Long> expired) {

  public static final int MAGIC = 0x53505331;
  public static final short VERSION = 2;
  static final int HEADER_BYTES = 4 + 2 + 8 + 4;
  static final int ENTRY_BYTES = 8 + 2 + 4 + 4 + 8 + 8 + 8;

  /** One producer's last batch. */
  public record Entry(
      long producerId,
      short epoch,
      int firstSeq,
      int lastSeq,
      long firstOffset,
      long lastOffset,
      long lastTimestamp) {}

  public ProducerSnapshot {
    entries = List.copyOf(entries);
    expired = List.copyOf(expired);
  }

  /** Encoded size in bytes. */
  public int sizeInBytes() {
    return HEADER_BYTES + entries.size() * ENTRY_BYTES + 4 + expired.size() * 8;
  }

  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(sizeInBytes());
    b.putInt(MAGIC).putShort(VERSION).putLong(nextOffset).putInt(entries.size());
    for (Entry e : entries) {
      b.putLong(e.producerId())
          .putShort(e.epoch())
          .putInt(e.firstSeq())
          .putInt(e.lastSeq())
          .putLong(e.firstOffset())
          .putLong(e.lastOffset())
          .putLong(e.lastTimestamp());
    }
    b.putInt(expired.size());
    expired.forEach(b::putLong);
    return b.array();
  }

  /**
   * @throws IllegalArgumentException naming what is wrong, for bytes that are not a snapshot
   */
  public static ProducerSnapshot decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (bytes.length < HEADER_BYTES || b.getInt() != MAGIC) {
      throw new IllegalArgumentException("Not a producer-state snapshot (bad magic or length)");
    }
    short version = b.getShort();
    if (version != 1 && version != VERSION) {
      throw new IllegalArgumentException(
          "Producer-state snapshot version "
              + version
              + " is not supported; this broker reads 1 and 2");
    }
    long next = b.getLong();
    int count = b.getInt();
    long entryBytes = (long) count * ENTRY_BYTES;
    if (count < 0 || b.remaining() < entryBytes || (version == 1 && b.remaining() != entryBytes)) {
      throw new IllegalArgumentException(
          "Producer-state snapshot claims "
              + count
              + " entries but holds "
              + b.remaining()
              + " bytes");
    }
    List<Entry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entries.add(
          new Entry(
              b.getLong(),
              b.getShort(),
              b.getInt(),
              b.getInt(),
              b.getLong(),
              b.getLong(),
              b.getLong()));
    }
    List<Long> expired = new ArrayList<>();
    if (version >= 2) {
      int n = b.remaining() >= 4 ? b.getInt() : -1;
      if (n < 0 || b.remaining() != (long) n * 8) {
        throw new IllegalArgumentException(
            "Producer-state snapshot claims "
                + n
                + " expired producers but holds "
                + b.remaining()
                + " bytes for them");
      }
      for (int i = 0; i < n; i++) {
        expired.add(b.getLong());
      }
    }
    return new ProducerSnapshot(next, entries, expired);
  }
}
