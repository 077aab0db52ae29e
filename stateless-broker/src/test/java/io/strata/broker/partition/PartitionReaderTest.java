package io.strata.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.strata.broker.fetch.BatchCache;
import io.strata.broker.fetch.BatchRecords;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The read-ahead logic of {@link PartitionReader} against an in-memory log (pure logic: which reads
 * reach the log, and that every fetch gets the right batches).
 */
@Timeout(10)
class PartitionReaderTest {
  private static final TopicIdPartition TP = new TopicIdPartition(Uuid.randomUuid(), 0, "t");
  private static final int BATCH_RECORDS = 10;
  private static final int BATCHES = 200;

  /** One batch per 10 offsets, ~1 KiB each. */
  private final List<ByteBuffer> batches = new ArrayList<>();

  /** Reads the log received: {offset, maxBytes}; completed by hand when {@link #manual}. */
  private final List<long[]> reads = new ArrayList<>();

  private final List<Runnable> held = new ArrayList<>();
  private boolean manual;

  PartitionReaderTest() {
    for (int b = 0; b < BATCHES; b++) {
      SimpleRecord[] rs = new SimpleRecord[BATCH_RECORDS];
      for (int i = 0; i < BATCH_RECORDS; i++) {
        rs[i] = new SimpleRecord(1000L, null, new byte[100]);
      }
      ByteBuffer buf =
          MemoryRecords.withRecords(
                  RecordBatch.MAGIC_VALUE_V2, (long) b * BATCH_RECORDS, Compression.NONE, rs)
              .buffer();
      batches.add(buf);
    }
  }

  private int batchSize() {
    return batches.get(0).remaining();
  }

  private PartitionLog log() {
    return (PartitionLog)
        Proxy.newProxyInstance(
            PartitionLog.class.getClassLoader(),
            new Class<?>[] {PartitionLog.class},
            (proxy, method, args) -> {
              if (!method.getName().equals("read")) {
                throw new UnsupportedOperationException(method.getName());
              }
              long offset = (Long) args[0];
              int maxBytes = (Integer) args[1];
              reads.add(new long[] {offset, maxBytes});
              CompletableFuture<LogReadResult> f = new CompletableFuture<>();
              Runnable answer = () -> f.complete(answer(offset, maxBytes));
              if (manual) {
                held.add(answer);
              } else {
                answer.run();
              }
              return f;
            });
  }

  private LogReadResult answer(long offset, int maxBytes) {
    int first = (int) (offset / BATCH_RECORDS);
    ByteBuffer out = ByteBuffer.allocate(maxBytes + batchSize());
    int b = first;
    while (b < BATCHES && (b == first || out.position() + batchSize() <= maxBytes)) {
      out.put(batches.get(b).duplicate());
      b++;
    }
    out.flip();
    return new LogReadResult(
        Unpooled.wrappedBuffer(out),
        (long) first * BATCH_RECORDS,
        (long) b * BATCH_RECORDS,
        b - first,
        (long) BATCHES * BATCH_RECORDS,
        0);
  }

  private PartitionReader reader(int readaheadBatches) {
    return new PartitionReader(
        TP,
        log(),
        new BatchCache<>(1 << 20),
        new BatchCache<>(1 << 20),
        readaheadBatches * batchSize());
  }

  /** What a consumer gets: the batches in one buffer. */
  private static MemoryRecords received(BaseRecords r) {
    return r instanceof BatchRecords b ? b.toMemoryRecords() : (MemoryRecords) r;
  }

  private static long firstOffset(BaseRecords r) {
    return received(r).batches().iterator().next().baseOffset();
  }

  private static long nextOffset(BaseRecords r) {
    long last = -1;
    for (RecordBatch b : received(r).batches()) {
      last = b.lastOffset();
    }
    return last + 1;
  }

  @Test
  void aSequentialConsumerWaitsForTheLogOnlyOnceAndGetsEveryBatchInOrder() {
    PartitionReader reader = reader(8);
    long hw = (long) BATCHES * BATCH_RECORDS;
    int fetch = 2 * batchSize();
    long offset = 0;
    int fetches = 0;
    while (offset < hw) {
      BaseRecords r = reader.read(offset, fetch, hw).join();
      assertThat(firstOffset(r)).isEqualTo(offset);
      offset = nextOffset(r);
      fetches++;
    }
    assertThat(fetches).isEqualTo(BATCHES / 2);
    // The first read takes the fetch plus 8 batches; after that, 8-batch chunks read ahead.
    assertThat(reads.get(0)).containsExactly(0, fetch + 8L * batchSize());
    for (long[] r : reads.subList(1, reads.size())) {
      assertThat(r[1]).isEqualTo(8L * batchSize());
    }
    assertThat(reads).hasSizeBetween(BATCHES / 8 - 1, BATCHES / 8 + 1);
  }

  @Test
  void aFetchForTheOffsetBeingReadAheadWaitsForThatReadInsteadOfReadingAgain() {
    PartitionReader reader = reader(4);
    long hw = (long) BATCHES * BATCH_RECORDS;
    int fetch = 2 * batchSize();
    BaseRecords first = reader.read(0, fetch, hw).join(); // offsets 0..19, 40 more read ahead
    assertThat(nextOffset(first)).isEqualTo(20);
    manual = true;
    // Starts on the chunk read ahead: the next chunk (from 60) is requested, not answered yet.
    assertThat(nextOffset(reader.read(20, fetch, hw).join())).isEqualTo(40);
    assertThat(nextOffset(reader.read(40, fetch, hw).join())).isEqualTo(60);
    assertThat(reads).hasSize(2);
    assertThat(reads.get(1)[0]).isEqualTo(60);
    CompletableFuture<BaseRecords> waiting = reader.read(60, fetch, hw);
    assertThat(waiting).isNotDone();
    assertThat(reads).as("no second read of the same entries").hasSize(2);
    held.remove(0).run();
    assertThat(firstOffset(waiting.join())).isEqualTo(60);
  }

  @Test
  void withoutReadAheadEveryFetchReadsTheLog() {
    PartitionReader reader = reader(0);
    long hw = (long) BATCHES * BATCH_RECORDS;
    for (long offset = 0; offset < 100; ) {
      offset = nextOffset(reader.read(offset, batchSize(), hw).join());
    }
    assertThat(reads).hasSize(10);
  }
}
