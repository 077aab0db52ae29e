package io.strata.broker.partition;

import io.netty.buffer.Unpooled;
import io.strata.broker.config.TopicSettings;
import io.strata.broker.fetch.BatchCache;
import io.strata.broker.produce.BatchValidator;
import io.strata.broker.produce.BatchValidator.ValidatedBatch;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.producer.ProducerSnapshot;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.broker.producer.ProducerStateManager.AppendedOffsets;
import io.strata.broker.producer.ProducerStateManager.BatchMetadata;
import io.strata.broker.producer.ProducerStateManager.Check;
import io.strata.broker.util.SerialExecutor;
import io.strata.storage.api.AppendResult;
import io.strata.storage.api.PartitionLog;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.Time;

/**
 * One partition this broker owns: its log, its idempotent-producer state, and the epoch it was
 * taken over with (the leader epoch clients see).
 *
 * <p>Threading: appends are validated, checked against producer state and handed to the log on the
 * partition's {@link SerialExecutor}, so offsets and producer sequences are decided by one writer;
 * the log's acknowledgements come back to the same executor in log order. Reads run on any thread
 * (the log and caches are thread-safe). Nothing here blocks.
 */
public final class Partition {

  /** The result of a successful produce to this partition. */
  public record ProduceResult(long baseOffset, long logAppendTimeMs, long logStartOffset) {}

  /** Records read for a fetch, with the partition's offsets at the time of the read. */
  public record ReadResult(
      BaseRecords records, long highWatermark, long logStartOffset, long lastStableOffset) {}

  /** Where appends tell the broker's caches and waiters about new data. */
  public interface AppendObserver {
    void appended(Partition partition, long baseOffset, long lastOffset, ByteBuffer batch);

    /** A newer owner fenced this partition's log: stop serving it. */
    default void fenced(Partition partition) {}
  }

  private final TopicIdPartition id;
  private final int leaderEpoch;
  private final PartitionLog log;
  private final SerialExecutor executor;
  private final ProducerStateManager producers;
  private final ProducerIdManager producerIds;
  private final Time time;
  private final BatchCache<TopicIdPartition> tailCache;
  private final PartitionReader reader;
  private final AppendObserver observer;
  private volatile TopicSettings settings;
  // Touched only on the executor: bytes appended since the last producer-state snapshot.
  private long bytesSinceSnapshot;
  private final long snapshotIntervalBytes;
  private final Consumer<Partition> snapshotter;
  // Set on the executor when the partition stops serving; read anywhere.
  private volatile boolean closed;
  // Set while the broker's ZooKeeper session is disconnected: appends are refused.
  private volatile boolean suspended;
  // Bytes appended and read, for the load the broker reports to the controller.
  private final java.util.concurrent.atomic.LongAdder bytesIn =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder bytesOut =
      new java.util.concurrent.atomic.LongAdder();

  Partition(
      TopicIdPartition id,
      int leaderEpoch,
      PartitionLog log,
      TopicSettings settings,
      SerialExecutor executor,
      ProducerStateManager producers,
      ProducerIdManager producerIds,
      Time time,
      BatchCache<TopicIdPartition> tailCache,
      BatchCache<TopicIdPartition> catchupCache,
      int readaheadBytes,
      AppendObserver observer,
      long snapshotIntervalBytes,
      Consumer<Partition> snapshotter) {
    this.id = id;
    this.leaderEpoch = leaderEpoch;
    this.log = log;
    this.settings = settings;
    this.executor = executor;
    this.producers = producers;
    this.producerIds = producerIds;
    this.time = time;
    this.tailCache = tailCache;
    this.reader = new PartitionReader(id, log, tailCache, catchupCache, readaheadBytes);
    this.observer = observer;
    this.snapshotIntervalBytes = snapshotIntervalBytes;
    this.snapshotter = snapshotter;
  }

  public TopicIdPartition id() {
    return id;
  }

  public int leaderEpoch() {
    return leaderEpoch;
  }

  public PartitionLog log() {
    return log;
  }

  public TopicSettings settings() {
    return settings;
  }

  SerialExecutor executor() {
    return executor;
  }

  ProducerStateManager producers() {
    return producers;
  }

  void updateSettings(TopicSettings next) {
    this.settings = next;
  }

  /**
   * Appends one partition's records of a produce request.
   *
   * @param records the request's buffer for this partition; this method owns it from now on
   * @return the offsets, or a failed future with the Kafka error (validation, producer state,
   *     {@link NotLeaderOrFollowerException} if the partition stopped being served, or the storage
   *     failure, which the broker's error choke point maps)
   */
  public CompletableFuture<ProduceResult> append(ByteBuffer records) {
    CompletableFuture<ProduceResult> result = new CompletableFuture<>();
    executor.execute(() -> appendOnExecutor(records, result));
    return result;
  }

  private void appendOnExecutor(ByteBuffer records, CompletableFuture<ProduceResult> result) {
    if (closed || suspended) {
      result.completeExceptionally(notServed());
      return;
    }
    ValidatedBatch batch;
    try {
      batch = BatchValidator.validate(records, settings, time.milliseconds(), leaderEpoch);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    if (!batch.idempotent()) {
      appendToLog(batch, null, result);
      return;
    }
    CompletableFuture<Boolean> issued = producerIds.wasIssued(batch.producerId());
    if (issued.isDone() && issued.join()) {
      checkAndAppend(batch, result);
    } else {
      // A producer id above what this broker has seen: look it up, then continue in order.
      issued.whenComplete(
          (ok, t) ->
              executor.execute(
                  () -> {
                    if (t != null) {
                      result.completeExceptionally(t);
                    } else if (!ok) {
                      result.completeExceptionally(
                          new UnknownProducerIdException(
                              "Producer id "
                                  + batch.producerId()
                                  + " was never issued by this cluster; call InitProducerId."));
                    } else {
                      checkAndAppend(batch, result);
                    }
                  }));
    }
  }

  private void checkAndAppend(ValidatedBatch batch, CompletableFuture<ProduceResult> result) {
    if (closed) {
      result.completeExceptionally(notServed());
      return;
    }
    Check check =
        producers.check(
            batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.lastSequence());
    if (check.duplicateOf() != null) {
      check
          .duplicateOf()
          .outcome()
          .whenComplete(
              (offsets, t) -> {
                if (t != null) {
                  result.completeExceptionally(t);
                } else {
                  result.complete(
                      new ProduceResult(
                          offsets.firstOffset(), offsets.logAppendTime(), log.logStartOffset()));
                }
              });
      return;
    }
    if (!check.accepted()) {
      result.completeExceptionally(check.error().exception(check.message()));
      return;
    }
    BatchMetadata meta =
        producers.onAppendStarted(
            batch.producerId(),
            batch.producerEpoch(),
            batch.baseSequence(),
            batch.lastSequence(),
            batch.maxTimestamp());
    appendToLog(batch, meta, result);
  }

  private void appendToLog(
      ValidatedBatch batch, BatchMetadata meta, CompletableFuture<ProduceResult> result) {
    ByteBuffer bytes = batch.buffer();
    CompletableFuture<AppendResult> appended;
    try {
      appended = log.append(Unpooled.wrappedBuffer(bytes));
    } catch (RuntimeException e) {
      appended = CompletableFuture.failedFuture(e);
    }
    appended.whenCompleteAsync(
        (ar, t) -> {
          if (t != null) {
            if (meta != null) {
              producers.onAppendFailed(meta, t);
            }
            if (org.apache.kafka.common.protocol.Errors.maybeUnwrapException(t)
                instanceof io.strata.storage.api.LogFencedException) {
              observer.fenced(this);
            }
            result.completeExceptionally(t);
            return;
          }
          if (meta != null) {
            producers.onAppended(
                batch.producerId(),
                batch.producerEpoch(),
                meta,
                new AppendedOffsets(ar.baseOffset(), ar.lastOffset(), batch.logAppendTimeMs()));
          }
          bytes.putLong(bytes.position(), ar.baseOffset());
          tailCache.put(id, ar.baseOffset(), ar.lastOffset(), bytes);
          observer.appended(this, ar.baseOffset(), ar.lastOffset(), bytes);
          result.complete(
              new ProduceResult(ar.baseOffset(), batch.logAppendTimeMs(), log.logStartOffset()));
          bytesSinceSnapshot += bytes.remaining();
          bytesIn.add(bytes.remaining());
          if (bytesSinceSnapshot >= snapshotIntervalBytes) {
            bytesSinceSnapshot = 0;
            snapshotter.accept(this);
          }
        },
        executor);
  }

  /**
   * Reads whole batches starting with the one holding {@code offset}, up to {@code maxBytes} but at
   * least one batch, never above the high watermark: from the tail cache when the offset is recent,
   * otherwise from the log with read-ahead into the catch-up cache ({@link PartitionReader}).
   *
   * @return the records (empty at the high watermark), or {@link OffsetOutOfRangeException}
   */
  public CompletableFuture<ReadResult> read(long offset, int maxBytes) {
    long hw = log.highWatermark();
    long start = log.logStartOffset();
    if (offset < start || offset > hw) {
      return CompletableFuture.failedFuture(
          new OffsetOutOfRangeException(
              "Offset "
                  + offset
                  + " is outside the range ["
                  + start
                  + ", "
                  + hw
                  + "] of "
                  + id.topicPartition()));
    }
    if (offset == hw) {
      return CompletableFuture.completedFuture(new ReadResult(MemoryRecords.EMPTY, hw, start, hw));
    }
    return reader
        .read(offset, maxBytes, hw)
        .thenApply(
            records -> {
              bytesOut.add(records.sizeInBytes());
              return new ReadResult(
                  records, log.highWatermark(), log.logStartOffset(), log.highWatermark());
            });
  }

  /** The producers this partition remembers (acknowledged batches), for DescribeProducers. */
  public CompletableFuture<List<ProducerSnapshot.Entry>> describeProducers() {
    CompletableFuture<List<ProducerSnapshot.Entry>> f = new CompletableFuture<>();
    executor.execute(() -> f.complete(producers.snapshot(log.logEndOffset()).entries()));
    return f;
  }

  /** Stops serving (the executor then fails new appends with NOT_LEADER_OR_FOLLOWER). */
  CompletableFuture<Void> markClosed() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(
        () -> {
          closed = true;
          done.complete(null);
        });
    return done;
  }

  public boolean isClosed() {
    return closed;
  }

  void suspend(boolean suspend) {
    this.suspended = suspend;
  }

  /** Bytes appended since the partition was loaded. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** Bytes returned to fetches since the partition was loaded. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  private NotLeaderOrFollowerException notServed() {
    return new NotLeaderOrFollowerException(
        "This broker no longer serves " + id.topicPartition() + "; refresh metadata.");
  }
}
