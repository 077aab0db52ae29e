package io.strata.broker.producer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot of a partition's idempotent-producer state as of a log offset, so loading the
 * partition replays only the batches after it. Stored in ZooKeeper at {@code
 * ROOT/producer-snapshots/LOG}.
 *
 * <p>Format (big-endian), version 1:
 *
 * <pre>
 * +--------+---------+--------------+-------+----------------------------------------------+
 * | magic  | version | next offset  | count | count x entry                                |
 * | int32  | int16   | int64        | int32 |                                              |
 * | 0x53505331 "SPS1"                                                                      |
 * +--------+---------+--------------+-------+----------------------------------------------+
 * entry: producerId int64 | epoch int16 | firstSeq int32 | lastSeq int32 |
 *        firstOffset int64 | lastOffset int64 | lastTimestamp int64        (46 bytes)
 * </pre>
 *
 * <p>{@code next offset} is the first offset not covered: replay starts there. Each entry keeps the
 * producer's last batch, which is what duplicate detection and sequence checks need after a restart
 * (Kafka's snapshots keep the same).
 *
 * @param nextOffset first offset the snapshot does not cover
 * @param entries one per producer
 */
public record ProducerSnapshot(long nextOffset, List<Entry> entries) {

  public static final int MAGIC = 0x53505331;
  public static final short VERSION = 1;
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
  }

  /** Encoded size in bytes. */
  public int sizeInBytes() {
    return HEADER_BYTES + entries.size() * ENTRY_BYTES;
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
    if (version != VERSION) {
      throw new IllegalArgumentException(
          "Producer-state snapshot version " + version + " is not supported; this broker reads 1");
    }
    long next = b.getLong();
    int count = b.getInt();
    if (count < 0 || b.remaining() != (long) count * ENTRY_BYTES) {
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
    return new ProducerSnapshot(next, entries);
  }
}
