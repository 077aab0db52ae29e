package io.strata.storage.internals;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.StorageErrorCode;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TimestampOffset;
import java.util.Optional;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;

/** Turns entries read from a data ledger into read results or timestamp look-ups. Stateless. */
final class EntryReads {
  private EntryReads() {}

  /**
   * Entries {@code first..last} of a segment, holding offsets {@code baseOffset..nextOffset-1} and
   * {@code bytes} bytes of batches.
   */
  record Range(long first, long last, long baseOffset, long nextOffset, long bytes) {
    int count() {
      return (int) (last - first + 1);
    }
  }

  /**
   * Builds a read result from entries (closing them), checking each entry's stored base offset
   * against the index. {@code entries} may be a non-empty prefix of {@code range} (a batched read
   * bounded by the bookie's frame size); the result then ends after the last entry read.
   */
  static LogReadResult toResult(
      String log,
      LedgerEntries entries,
      Range range,
      long highWatermark,
      long logStartOffset,
      ByteBufAllocator alloc) {
    CompositeByteBuf out = alloc.compositeBuffer(range.count());
    int n = 0;
    long expected = range.baseOffset();
    try (LedgerEntries e = entries) {
      for (LedgerEntry entry : e) {
        if (entry.getEntryId() != range.first() + n || n == range.count()) {
          throw new StorageException(
              StorageErrorCode.INTERNAL,
              "log " + log + " read entry " + entry.getEntryId() + " outside its range " + range);
        }
        RecordBatchHeader h = RecordBatchHeader.read(entry.getEntryBuffer());
        if (h.baseOffset() != expected) {
          throw new StorageException(
              StorageErrorCode.INTERNAL,
              "log "
                  + log
                  + " entry "
                  + entry.getEntryId()
                  + " of ledger "
                  + entry.getLedgerId()
                  + " has base offset "
                  + h.baseOffset()
                  + ", index says "
                  + expected);
        }
        expected = h.lastOffset() + 1;
        out.addComponent(true, entry.getEntryBuffer().retain());
        n++;
      }
      if (n == 0 || (n == range.count() && expected != range.nextOffset())) {
        throw new StorageException(
            StorageErrorCode.INTERNAL, "log " + log + " read ended at " + expected);
      }
    } catch (RuntimeException ex) {
      out.release();
      throw ex;
    }
    return new LogReadResult(out, range.baseOffset(), expected, n, highWatermark, logStartOffset);
  }

  /**
   * The first record of the (single) batch in {@code entries} with timestamp at least {@code ts}
   * and offset in {@code [start, hw)}. Closes the entries.
   */
  static Optional<TimestampOffset> firstRecordAtOrAfter(
      LedgerEntries entries, long ts, long start, long hw) {
    try (LedgerEntries e = entries) {
      for (LedgerEntry entry : e) {
        MemoryRecords records = MemoryRecords.readableRecords(entry.getEntryBuffer().nioBuffer());
        for (MutableRecordBatch batch : records.batches()) {
          for (Record r : batch) {
            if (r.timestamp() >= ts && r.offset() >= start && r.offset() < hw) {
              return Optional.of(new TimestampOffset(r.timestamp(), r.offset()));
            }
          }
        }
      }
    }
    return Optional.empty();
  }
}
