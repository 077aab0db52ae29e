package io.strata.broker.group.records;

import io.strata.broker.group.records.GroupRecordCodec.UnknownRecordException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Packs group records into Kafka record batches for the log, and reads them back. Batches are
 * uncompressed magic v2 with CreateTime timestamps and no producer id, so the broker's ordinary
 * validation accepts them.
 *
 * <p>Stateless and thread-safe.
 */
public final class GroupRecordBatches {

  /** What a replay sees for each record of a batch. */
  public interface Visitor {
    void record(long offset, GroupRecord record);

    /** A record that is not a group record this version understands. */
    void unknown(long offset, String why);
  }

  private GroupRecordBatches() {}

  /**
   * Encodes records into batches of at most about {@code maxBatchBytes} each (a single record
   * larger than that gets a batch of its own), in order.
   *
   * @return heap buffers, each holding one batch; the caller owns them
   */
  public static List<ByteBuffer> encode(
      List<GroupRecord> records, long timestampMs, int maxBatchBytes) {
    int n = records.size();
    byte[][] keys = new byte[n][];
    byte[][] values = new byte[n][];
    int[] sizes = new int[n];
    for (int i = 0; i < n; i++) {
      keys[i] = GroupRecordCodec.key(records.get(i));
      values[i] = GroupRecordCodec.value(records.get(i));
      // Upper bound of a record's size in a v2 batch: varint headers plus key and value.
      sizes[i] = keys[i].length + (values[i] == null ? 0 : values[i].length) + 24;
    }
    List<ByteBuffer> out = new ArrayList<>();
    int i = 0;
    while (i < n) {
      int end = i;
      int bytes = 0;
      while (end < n && (end == i || bytes + sizes[end] <= maxBatchBytes)) {
        bytes += sizes[end++];
      }
      MemoryRecordsBuilder builder =
          MemoryRecords.builder(
              ByteBuffer.allocate(bytes + 64), Compression.NONE, TimestampType.CREATE_TIME, 0L);
      for (; i < end; i++) {
        builder.append(timestampMs, keys[i], values[i]);
      }
      out.add(builder.build().buffer());
    }
    return out;
  }

  /**
   * Visits every record of the batches in {@code buffer} (as the log returns them), in order.
   * Control batches are skipped.
   *
   * @return the offset after the last batch visited, or -1 if there was none
   * @throws IllegalArgumentException if a known record is malformed (a corrupt log)
   */
  public static long forEach(ByteBuffer buffer, Visitor visitor) {
    long next = -1;
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(buffer).batches()) {
      next = batch.nextOffset();
      if (batch.isControlBatch()) {
        continue;
      }
      try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
        while (it.hasNext()) {
          Record r = it.next();
          try {
            visitor.record(r.offset(), GroupRecordCodec.decode(r.key(), r.value()));
          } catch (UnknownRecordException e) {
            visitor.unknown(r.offset(), e.getMessage());
          }
        }
      }
    }
    return next;
  }
}
