package io.strata.broker.partition;

import io.strata.broker.fetch.BatchCache.CachedBatch;
import io.strata.broker.fetch.Batches;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Rebuilds idempotent-producer state by reading the log from an offset to its end, one batch header
 * at a time. Bounded by the snapshot interval: loading starts from the last snapshot.
 */
final class ProducerStateReplay {
  private static final int READ_BYTES = 4 * 1024 * 1024;

  private ProducerStateReplay() {}

  /**
   * @return the number of batches replayed
   */
  static CompletableFuture<Long> replay(PartitionLog log, long from, ProducerStateManager state) {
    return step(log, Math.max(from, log.logStartOffset()), state, 0L);
  }

  private static CompletableFuture<Long> step(
      PartitionLog log, long offset, ProducerStateManager state, long replayed) {
    if (offset >= log.highWatermark()) {
      return CompletableFuture.completedFuture(replayed);
    }
    return log.read(offset, READ_BYTES)
        .thenCompose(
            (LogReadResult read) -> {
              long count = replayed;
              long next;
              try {
                for (CachedBatch b : Batches.split(read.records())) {
                  ByteBuffer h = b.bytes();
                  long pid = h.getLong(Batches.PRODUCER_ID);
                  if (pid != RecordBatch.NO_PRODUCER_ID && b.lastOffset() >= offset) {
                    int baseSeq = h.getInt(Batches.BASE_SEQUENCE);
                    int lastSeq =
                        baseSeq == RecordBatch.NO_SEQUENCE
                            ? baseSeq
                            : DefaultRecordBatch.incrementSequence(
                                baseSeq, (int) (b.lastOffset() - b.baseOffset()));
                    state.replay(
                        pid,
                        h.getShort(Batches.PRODUCER_EPOCH),
                        baseSeq,
                        lastSeq,
                        b.baseOffset(),
                        b.lastOffset(),
                        h.getLong(Batches.MAX_TIMESTAMP));
                  }
                  count++;
                }
                next = read.nextOffset();
              } finally {
                read.release();
              }
              if (next <= offset) {
                return CompletableFuture.completedFuture(count);
              }
              return step(log, next, state, count);
            });
  }
}
