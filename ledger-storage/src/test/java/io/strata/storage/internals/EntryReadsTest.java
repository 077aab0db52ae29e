package io.strata.storage.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.impl.LedgerEntriesImpl;
import org.apache.bookkeeper.client.impl.LedgerEntryImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Read results built from (batched) entry reads, including a prefix of the requested range. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EntryReadsTest {
  private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  /** Entries 5..7 of a segment: batches of 3 records each, offsets 100..108. */
  private static final EntryReads.Range RANGE = new EntryReads.Range(5, 7, 100, 109, 3 * 64);

  private static ByteBuf batch(long baseOffset, int records) {
    ByteBuf b = ALLOC.buffer(64);
    b.writeZero(64);
    b.setLong(0, baseOffset);
    b.setInt(8, 64 - 12);
    b.setByte(16, 2);
    b.setInt(RecordBatchHeader.LAST_OFFSET_DELTA_OFFSET, records - 1);
    b.setInt(RecordBatchHeader.RECORDS_COUNT_OFFSET, records);
    return b;
  }

  private static LedgerEntries entries(long firstEntry, int count) {
    List<LedgerEntry> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ByteBuf b = batch(100 + 3L * i, 3);
      list.add(LedgerEntryImpl.create(9, firstEntry + i, b.readableBytes(), b));
    }
    return LedgerEntriesImpl.create(list);
  }

  @Test
  void wholeRangeEndsAtTheRangesNextOffset() {
    LogReadResult r = EntryReads.toResult("log", entries(5, 3), RANGE, 200, 0, ALLOC);
    try {
      assertThat(r.firstOffset()).isEqualTo(100);
      assertThat(r.nextOffset()).isEqualTo(109);
      assertThat(r.batchCount()).isEqualTo(3);
      assertThat(r.records().readableBytes()).isEqualTo(3 * 64);
    } finally {
      r.release();
    }
  }

  @Test
  void aPrefixOfTheRangeEndsAfterItsLastEntry() {
    LogReadResult r = EntryReads.toResult("log", entries(5, 2), RANGE, 200, 0, ALLOC);
    try {
      assertThat(r.nextOffset()).isEqualTo(106);
      assertThat(r.batchCount()).isEqualTo(2);
      assertThat(r.records().readableBytes()).isEqualTo(2 * 64);
    } finally {
      r.release();
    }
  }

  @Test
  void entriesOutsideTheRangeAreAnError() {
    assertThatThrownBy(() -> EntryReads.toResult("log", entries(6, 2), RANGE, 200, 0, ALLOC))
        .isInstanceOf(StorageException.class);
  }
}
