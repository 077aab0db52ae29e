package io.strata.broker.group.runtime;

import io.netty.buffer.ByteBuf;
import io.strata.broker.group.GroupConfig;
import io.strata.broker.group.GroupShard;
import io.strata.broker.group.RecordSink;
import io.strata.broker.group.records.GroupRecord;
import io.strata.broker.group.records.GroupRecordBatches;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.Partition.ProduceResult;
import io.strata.broker.util.SerialExecutor;
import io.strata.storage.api.LogClosedException;
import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogReadResult;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.common.errors.CoordinatorLoadInProgressException;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link GroupShard} of one {@code __consumer_offsets} partition this broker owns: loads
 * it by replaying the partition, feeds it requests and timer expiries one at a time, writes its
 * records to the partition, and releases its responses once their records are durable (Kafka's
 * CoordinatorRuntime, in miniature).
 *
 * <p><b>Threading.</b> Everything that touches the shard runs on one {@link SerialExecutor} (the
 * single writer of the partition); requests arrive from event loops through {@link #submit}, which
 * only enqueues. Log appends and reads complete on the log's threads and hop back to the executor.
 * Nothing here blocks.
 *
 * <p><b>States.</b>
 *
 * <pre>
 *   LOADING ──replay reached the high watermark──▶ ACTIVE
 *   ACTIVE ──an append failed (bookies unavailable)──▶ LOADING (in-memory state discarded,
 *                                                      rebuilt from what the log really holds)
 *   any ──partition unloaded, or another owner fenced this one──▶ CLOSED (final)
 * </pre>
 *
 * Requests get COORDINATOR_LOAD_IN_PROGRESS while LOADING and NOT_COORDINATOR once CLOSED.
 *
 * <p><b>Writes.</b> Records of all operations queued on the executor are coalesced into one append
 * ({@link LogSink}). The shard applies its changes to memory at once and every response waits for
 * {@link RecordSink#barrier()}: a reader never sees state that is not yet durable.
 *
 * <p><b>Bounded replay (checkpoints).</b> When the bytes appended since the last checkpoint exceed
 * {@code max(checkpointIntervalBytes, 2 × size of the last checkpoint)}, the shard writes a
 * checkpoint: it appends its whole live state as ordinary records ({@link GroupShard#snapshot()}),
 * and once that is durable trims the log to the checkpoint's first offset. Sealed segments wholly
 * below it are deleted; to free space without a ledger per checkpoint, the log is rolled to a new
 * segment before a checkpoint once {@code rollBytes} were appended since the last roll. Replaying
 * from the log start therefore reads at most one checkpoint plus what was appended after it: about
 * {@code 3 × live state + checkpointIntervalBytes}. A crash before the trim only means the next
 * load replays more; the log stays correct because a checkpoint is just the current value of every
 * key.
 */
public final class ShardRuntime {
  private static final Logger log = LoggerFactory.getLogger(ShardRuntime.class);

  /** Where the shard is in its lifecycle (see the class comment). */
  public enum State {
    LOADING,
    ACTIVE,
    CLOSED
  }

  /** What the last load replayed and how long it took. */
  public record LoadStats(
      long records, long bytes, long millis, long replayCpuMillis, int groups, int offsets) {}

  /** Runtime knobs. */
  /**
   * Runtime knobs.
   *
   * @param checkpointIntervalBytes least bytes appended between checkpoints
   * @param rollBytes a checkpoint also starts a new segment once this much was appended since the
   *     last one, so trimming frees whole ledgers without creating one per checkpoint
   * @param maxBatchBytes largest record batch appended
   * @param readBytes bytes read per log read while loading
   * @param reloadBackoffMs pause before reloading after a failure
   */
  public record Settings(
      long checkpointIntervalBytes,
      long rollBytes,
      int maxBatchBytes,
      int readBytes,
      long reloadBackoffMs) {}

  private final Partition partition;
  private final SerialExecutor executor;
  private final ScheduledExecutorService scheduler;
  private final GroupConfig groupConfig;
  private final Settings settings;
  private final Time time;
  private final CompletableFuture<LoadStats> firstLoad = new CompletableFuture<>();
  // Written on the executor, read anywhere: requests are refused early when not ACTIVE.
  private volatile State state = State.LOADING;
  private volatile LoadStats lastLoad;
  // Executor only: the shard being loaded or served, null once closed or failed.
  private Incarnation current;

  public ShardRuntime(
      Partition partition,
      Executor pool,
      ScheduledExecutorService scheduler,
      GroupConfig groupConfig,
      Settings settings,
      Time time) {
    this.partition = partition;
    this.executor = new SerialExecutor(pool);
    this.scheduler = scheduler;
    this.groupConfig = groupConfig;
    this.settings = settings;
    this.time = time;
  }

  /** Starts loading; the future completes when the first load finished. */
  public CompletableFuture<LoadStats> start() {
    executor.execute(this::load);
    return firstLoad;
  }

  public State state() {
    return state;
  }

  public int partitionIndex() {
    return partition.id().partition();
  }

  /** The last completed load, or null. */
  public LoadStats lastLoad() {
    return lastLoad;
  }

  /**
   * Runs {@code op} on the shard's thread. Never throws; the future fails with
   * COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR if the shard is not serving.
   */
  public <T> CompletableFuture<T> submit(BiConsumer<GroupShard, CompletableFuture<T>> op) {
    CompletableFuture<T> out = new CompletableFuture<>();
    if (state != State.ACTIVE) {
      out.completeExceptionally(notServing());
      return out;
    }
    executor.execute(
        () -> {
          if (state != State.ACTIVE || current == null) {
            out.completeExceptionally(notServing());
            return;
          }
          try {
            op.accept(current.shard, out);
          } catch (RuntimeException e) {
            out.completeExceptionally(e);
          }
        });
    return out;
  }

  private RuntimeException notServing() {
    return state == State.LOADING
        ? new CoordinatorLoadInProgressException(
            "The group coordinator is loading partition " + partitionIndex() + "; retry shortly.")
        : new NotCoordinatorException(
            "This broker no longer coordinates the groups of __consumer_offsets partition "
                + partitionIndex()
                + ".");
  }

  /**
   * Stops serving (the partition is being unloaded): parked JoinGroup/SyncGroup requests answer
   * NOT_COORDINATOR, timers stop; appends already issued still complete and answer normally.
   */
  public CompletableFuture<Void> close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(
        () -> {
          state = State.CLOSED;
          Incarnation inc = current;
          current = null;
          if (inc != null) {
            inc.shard.unload(Errors.NOT_COORDINATOR);
          }
          firstLoad.completeExceptionally(notServing());
          done.complete(null);
        });
    return done;
  }

  // ---------------------------------------------------------------- loading

  /** One life of the shard: a fresh state machine, its sink and its timers. */
  private final class Incarnation {
    final LogSink sink = new LogSink(this);
    final ScheduledShardTimer timer = new ScheduledShardTimer(scheduler, executor);
    final GroupShard shard = new GroupShard(groupConfig, time, timer, sink);
    long records;
    long bytes;
    long unknown;
    long replayNanos;
  }

  private void load() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.LOADING;
    Incarnation inc = new Incarnation();
    current = inc;
    long start = partition.log().logStartOffset();
    long end = partition.log().highWatermark();
    long startedMs = time.milliseconds();
    log.info(
        "Loading group coordinator partition {} (offsets {} to {})", partitionIndex(), start, end);
    readFrom(inc, start, end, startedMs);
  }

  private void readFrom(Incarnation inc, long offset, long end, long startedMs) {
    if (offset >= end) {
      finishLoad(inc, startedMs);
      return;
    }
    CompletableFuture<LogReadResult> read;
    try {
      read = partition.log().read(offset, settings.readBytes());
    } catch (RuntimeException e) {
      read = CompletableFuture.failedFuture(e);
    }
    read.whenCompleteAsync(
        (res, t) -> {
          if (current != inc) {
            if (res != null) {
              res.release();
            }
            return;
          }
          if (t != null) {
            loadFailed(inc, t);
            return;
          }
          long next;
          try {
            ByteBuf buf = res.records();
            inc.bytes += buf.readableBytes();
            long t0 = System.nanoTime();
            next = replay(inc, buf.nioBuffer());
            inc.replayNanos += System.nanoTime() - t0;
          } catch (RuntimeException e) {
            loadFailed(inc, e);
            return;
          } finally {
            res.release();
          }
          if (next <= offset) {
            loadFailed(
                inc,
                new IllegalStateException(
                    "Reading partition "
                        + partitionIndex()
                        + " at "
                        + offset
                        + " made no progress"));
            return;
          }
          readFrom(inc, next, end, startedMs);
        },
        executor);
  }

  private long replay(Incarnation inc, ByteBuffer batches) {
    return GroupRecordBatches.forEach(
        batches,
        new GroupRecordBatches.Visitor() {
          @Override
          public void record(long offset, GroupRecord record) {
            inc.records++;
            inc.shard.replay(record);
          }

          @Override
          public void unknown(long offset, String why) {
            if (inc.unknown++ < 5) {
              log.warn(
                  "Skipping record at offset {} of __consumer_offsets-{}: {}",
                  offset,
                  partitionIndex(),
                  why);
            }
          }
        });
  }

  private void finishLoad(Incarnation inc, long startedMs) {
    inc.shard.onLoaded();
    LoadStats stats =
        new LoadStats(
            inc.records,
            inc.bytes,
            time.milliseconds() - startedMs,
            inc.replayNanos / 1_000_000,
            inc.shard.groupCount(),
            inc.shard.offsetCount());
    lastLoad = stats;
    state = State.ACTIVE;
    // A long replay is itself a reason to checkpoint: the next load will be short.
    inc.sink.bytesSinceCheckpoint = inc.bytes;
    log.info(
        "Group coordinator partition {} loaded in {} ms: {} records ({} bytes), {} groups, {}"
            + " offsets{}",
        partitionIndex(),
        stats.millis(),
        stats.records(),
        stats.bytes(),
        stats.groups(),
        stats.offsets(),
        inc.unknown > 0 ? ", " + inc.unknown + " unknown records skipped" : "");
    firstLoad.complete(stats);
    inc.sink.maybeCheckpoint();
  }

  private void loadFailed(Incarnation inc, Throwable t) {
    current = null;
    if (isGone(t)) {
      state = State.CLOSED;
      firstLoad.completeExceptionally(notServing());
      return;
    }
    log.warn(
        "Loading group coordinator partition {} failed; retrying in {} ms: {}",
        partitionIndex(),
        settings.reloadBackoffMs(),
        t.toString());
    inc.timer.cancelAll();
    scheduleReload();
  }

  private void scheduleReload() {
    scheduler.schedule(
        () -> executor.execute(this::load), settings.reloadBackoffMs(), TimeUnit.MILLISECONDS);
  }

  private boolean isGone(Throwable t) {
    Throwable c = Errors.maybeUnwrapException(t);
    return partition.isClosed()
        || state == State.CLOSED
        || c instanceof LogFencedException
        || c instanceof LogClosedException
        || c instanceof NotLeaderOrFollowerException;
  }

  // ---------------------------------------------------------------- writing

  /**
   * The shard's {@link RecordSink} on the partition log. Executor-confined. Records appended while
   * the executor is busy are coalesced into one append, issued by a flush task queued behind them.
   */
  private final class LogSink implements RecordSink {
    private final Incarnation inc;
    private List<GroupRecord> buffer = new ArrayList<>();
    private CompletableFuture<Void> bufferDone;
    private CompletableFuture<Void> lastIssued = CompletableFuture.completedFuture(null);
    private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    private final List<CompletableFuture<Void>> rawInFlight = new ArrayList<>();
    private RuntimeException failure;
    private long lastDurableEnd = -1;
    long bytesSinceCheckpoint;
    private long bytesSinceRoll;
    private long lastCheckpointBytes;
    private boolean checkpointing;

    LogSink(Incarnation inc) {
      this.inc = inc;
    }

    @Override
    public CompletableFuture<Void> append(List<GroupRecord> records) {
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      if (records.isEmpty()) {
        return barrier();
      }
      buffer.addAll(records);
      if (bufferDone == null) {
        bufferDone = new CompletableFuture<>();
        executor.execute(this::flush);
      }
      return bufferDone;
    }

    @Override
    public CompletableFuture<Void> barrier() {
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      return bufferDone != null ? bufferDone : lastIssued;
    }

    private void flush() {
      if (bufferDone == null) {
        return;
      }
      List<GroupRecord> records = buffer;
      CompletableFuture<Void> done = bufferDone;
      buffer = new ArrayList<>();
      bufferDone = null;
      if (failure != null) {
        done.completeExceptionally(failure);
        return;
      }
      issue(records, done, true);
    }

    /** Appends {@code records}; {@code done} completes when all are durable. */
    private CompletableFuture<Issued> issue(
        List<GroupRecord> records, CompletableFuture<Void> done, boolean countForCheckpoint) {
      List<ByteBuffer> batches;
      try {
        batches = GroupRecordBatches.encode(records, time.milliseconds(), settings.maxBatchBytes());
      } catch (RuntimeException e) {
        // A record that cannot be encoded (an oversized string) fails only its own requests.
        done.completeExceptionally(e);
        return CompletableFuture.failedFuture(e);
      }
      long bytes = 0;
      int lastCount = 0;
      List<CompletableFuture<ProduceResult>> appends = new ArrayList<>(batches.size());
      for (ByteBuffer b : batches) {
        bytes += b.remaining();
        lastCount = recordCount(b);
        appends.add(partition.append(b));
      }
      long appendedBytes = bytes;
      int countOfLast = lastCount;
      inFlight.add(done);
      lastIssued = done;
      CompletableFuture<Void> all =
          CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new));
      rawInFlight.add(all);
      CompletableFuture<Issued> results = new CompletableFuture<>();
      all.whenCompleteAsync(
          (v, t) -> {
            rawInFlight.remove(all);
            if (t != null) {
              fail(t);
              results.completeExceptionally(failure);
              return;
            }
            List<ProduceResult> rs = appends.stream().map(CompletableFuture::join).toList();
            if (failure != null) {
              // Durable, but an earlier append failed: the shard is being rebuilt from the log,
              // which may or may not show this; the client retries.
              done.completeExceptionally(failure);
              results.completeExceptionally(failure);
              return;
            }
            inFlight.remove(done);
            lastDurableEnd = rs.get(rs.size() - 1).baseOffset() + countOfLast;
            if (countForCheckpoint) {
              bytesSinceCheckpoint += appendedBytes;
            }
            bytesSinceRoll += appendedBytes;
            done.complete(null);
            results.complete(new Issued(rs, appendedBytes));
            maybeCheckpoint();
          },
          executor);
      return results;
    }

    private void fail(Throwable t) {
      if (failure != null) {
        return;
      }
      Throwable cause = Errors.maybeUnwrapException(t);
      boolean gone = isGone(cause);
      failure =
          new NotCoordinatorException(
              "The group coordinator of __consumer_offsets partition "
                  + partitionIndex()
                  + (gone ? " moved" : " is reloading after a failed write")
                  + ": "
                  + cause.getMessage());
      if (!gone) {
        log.warn(
            "Append to __consumer_offsets-{} failed; reloading its groups from the log",
            partitionIndex(),
            cause);
      }
      inFlight.forEach(f -> f.completeExceptionally(failure));
      inFlight.clear();
      if (bufferDone != null) {
        bufferDone.completeExceptionally(failure);
        bufferDone = null;
        buffer = new ArrayList<>();
      }
      if (current == inc) {
        current = null;
        inc.shard.unload(Errors.NOT_COORDINATOR);
        if (gone || state == State.CLOSED) {
          state = State.CLOSED;
        } else {
          state = State.LOADING;
          // Reload once every issued append has settled, so the replay sees the final log.
          CompletableFuture.allOf(rawInFlight.toArray(CompletableFuture[]::new))
              .handle((v, e) -> null)
              .thenRun(ShardRuntime.this::scheduleReload);
        }
      }
    }

    void maybeCheckpoint() {
      if (checkpointing
          || failure != null
          || current != inc
          || state != State.ACTIVE
          || bytesSinceCheckpoint
              < Math.max(settings.checkpointIntervalBytes(), 2 * lastCheckpointBytes)) {
        return;
      }
      checkpointing = true;
      flush();
      List<GroupRecord> snapshot = inc.shard.snapshot();
      long replayedBefore = bytesSinceCheckpoint;
      bytesSinceCheckpoint = 0;
      if (bytesSinceRoll >= settings.rollBytes()) {
        bytesSinceRoll = 0;
        partition
            .log()
            .roll()
            .whenComplete(
                (v, t) -> {
                  if (t != null) {
                    log.debug("Roll before checkpoint of partition {} failed", partitionIndex(), t);
                  }
                });
      }
      if (snapshot.isEmpty()) {
        barrier()
            .whenComplete(
                (v, t) -> {
                  if (t == null && lastDurableEnd >= 0) {
                    trim(lastDurableEnd, 0, replayedBefore);
                  } else {
                    checkpointing = false;
                  }
                });
        return;
      }
      CompletableFuture<Void> done = new CompletableFuture<>();
      issue(snapshot, done, false)
          .whenComplete(
              (issued, t) -> {
                if (t != null) {
                  checkpointing = false;
                  return;
                }
                lastCheckpointBytes = issued.bytes();
                trim(issued.results().get(0).baseOffset(), snapshot.size(), replayedBefore);
              });
    }

    private void trim(long offset, int records, long replacedBytes) {
      partition
          .log()
          .trimTo(offset)
          .whenCompleteAsync(
              (v, t) -> {
                checkpointing = false;
                if (t != null) {
                  log.warn(
                      "Trimming __consumer_offsets-{} to its checkpoint at {} failed: {}",
                      partitionIndex(),
                      offset,
                      t.toString());
                } else {
                  log.debug(
                      "Checkpointed __consumer_offsets-{}: {} records at offset {} replace {}"
                          + " bytes of history",
                      partitionIndex(),
                      records,
                      offset,
                      replacedBytes);
                }
              },
              executor);
    }
  }

  /** What an append wrote: one result per batch, and the bytes. */
  private record Issued(List<ProduceResult> results, long bytes) {}

  private static int recordCount(ByteBuffer batch) {
    MutableRecordBatch b =
        MemoryRecords.readableRecords(batch.duplicate()).batches().iterator().next();
    return (int) (b.lastOffset() - b.baseOffset() + 1);
  }
}
