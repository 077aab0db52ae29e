package io.strata.storage.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;

/** Real Kafka magic-v2 record batches, built with kafka-clients' {@code MemoryRecords.builder}. */
public final class TestBatches {
  private TestBatches() {}

  /**
   * A batch of {@code records} records with timestamps {@code firstTimestamp, +1, ...}, each value
   * about {@code valueBytes} bytes of pseudo-random content derived from {@code seed}. Base offset
   * 0 (the log writes its own).
   */
  public static byte[] batch(int records, int valueBytes, long firstTimestamp, long seed) {
    ByteBuffer buf = ByteBuffer.allocate(128 + records * (valueBytes + 64));
    MemoryRecordsBuilder b =
        MemoryRecords.builder(
            buf,
            RecordBatch.MAGIC_VALUE_V2,
            Compression.NONE,
            TimestampType.CREATE_TIME,
            0L,
            firstTimestamp);
    Random r = new Random(seed);
    for (int i = 0; i < records; i++) {
      byte[] value = new byte[valueBytes];
      r.nextBytes(value);
      b.append(firstTimestamp + i, ("k" + i).getBytes(StandardCharsets.UTF_8), value);
    }
    ByteBuffer out = b.build().buffer();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  /** {@code bytes} with its base offset (bytes 0..7) replaced, as the log stores it. */
  public static byte[] withBaseOffset(byte[] bytes, long baseOffset) {
    byte[] copy = bytes.clone();
    ByteBuffer.wrap(copy).putLong(0, baseOffset);
    return copy;
  }

  /** A Netty buffer over a copy of {@code bytes} (the log takes ownership of it). */
  public static ByteBuf buf(byte[] bytes) {
    return Unpooled.wrappedBuffer(bytes.clone());
  }

  /** The bytes of a buffer, without consuming or releasing it. */
  public static byte[] bytes(ByteBuf buf) {
    byte[] out = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), out);
    return out;
  }

  /** Number of records in a stored batch (lastOffsetDelta + 1). */
  public static int recordCount(byte[] batch) {
    return ByteBuffer.wrap(batch).getInt(23) + 1;
  }
}
