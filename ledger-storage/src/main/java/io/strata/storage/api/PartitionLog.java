package io.strata.storage.api;

import io.netty.buffer.ByteBuf;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The writable (owned) view of one partition's log: an ordered list of segments, each a BookKeeper
 * ledger whose entries are whole Kafka record batches.
 *
 * <p>Thread-safety: every method may be called from any thread. All state changes run on the log's
 * own executor thread (single writer); futures complete there. Methods returning a future never
 * throw. The offset getters read volatile fields and never block.
 *
 * <p>Lifecycle: live from {@link LogStore#open} until {@link #close()}, or until it is fenced by a
 * newer writer (then every append fails with {@link LogFencedException}; reads of acknowledged data
 * keep working until closed).
 */
public interface PartitionLog {
  String name();

  /** The writer epoch this instance took the log over with. */
  long epoch();

  /**
   * Appends one Kafka magic-v2 record batch.
   *
   * <p>Ownership: takes {@code batch} (its readable bytes are the batch) and releases it in every
   * case, success or failure. The caller must not touch it afterwards.
   *
   * <p>Validation (before anything is stored): length field consistent with the buffer, magic 2,
   * CRC32C over attributes..end, size within {@code max.message.bytes}; else fails with {@link
   * CorruptBatchException} / {@link BatchTooLargeException}.
   *
   * <p>Ordering: offsets are assigned densely in call order (the order calls reach the log's
   * executor); the base offset is written into the batch header. Many appends may be in flight;
   * futures complete in offset order once BookKeeper reports the ack quorum (bookies fsync before
   * acknowledging).
   *
   * <p>Failure: {@link LogFencedException} if a newer writer took over; {@link
   * LogUnavailableException} (retriable) if too few bookies are reachable — the batch is then not
   * visible and its offsets are reused by the next successful append — or if it waited behind a
   * segment switch that could not finish within the add timeout (ZooKeeper unreachable); {@link
   * LogClosedException} after {@link #close()}.
   */
  CompletableFuture<AppendResult> append(ByteBuf batch);

  /**
   * Reads whole batches, starting with the batch that contains {@code offset}, up to {@code
   * maxBytes} but always at least one whole batch if any is available, never above the high
   * watermark, and from one segment only.
   *
   * <p>Cost: one in-memory index lookup (the segment's index is cached, loaded from its index
   * ledger on a miss) plus one ranged read of the entries from the bookies.
   *
   * <p>Ownership: the caller releases the returned {@link LogReadResult#records()}.
   *
   * <p>Fails with {@link OffsetOutOfRangeException} if {@code offset < logStartOffset()} or {@code
   * offset > logEndOffset()}; returns an empty result if {@code offset >= highWatermark()}.
   */
  CompletableFuture<LogReadResult> read(long offset, int maxBytes);

  /** First readable offset. */
  long logStartOffset();

  /** One past the last acknowledged (durable, readable) offset. */
  long highWatermark();

  /** One past the last assigned offset (acknowledged or in flight). */
  long logEndOffset();

  /**
   * The first record (in offset order) whose timestamp is at least {@code timestampMs}, below the
   * high watermark (Kafka's ListOffsets semantics); empty if none.
   */
  CompletableFuture<Optional<TimestampOffset>> offsetForTimestamp(long timestampMs);

  /** The first record with the largest timestamp in the log (ListOffsets MAX_TIMESTAMP). */
  CompletableFuture<Optional<TimestampOffset>> offsetOfMaxTimestamp();

  /**
   * Seals the current segment and starts a new one (no-op if the current one is empty). Appends
   * arriving meanwhile wait and keep their order.
   */
  CompletableFuture<Void> roll();

  /**
   * Advances the log start offset to {@code newLogStartOffset} (DeleteRecords) and deletes the
   * segments entirely below it. No-op if not above the current start; fails with {@link
   * OffsetOutOfRangeException} if above the high watermark.
   */
  CompletableFuture<Void> trimTo(long newLogStartOffset);

  /**
   * Applies {@code retention.ms} (against the injected clock and the segments' max timestamps) and
   * {@code retention.bytes}, and drops segments below the log start offset: advances the log start
   * offset by compare-and-set, then deletes the ledgers no longer referenced. Whole sealed segments
   * only; the open segment is never deleted.
   */
  CompletableFuture<RetentionResult> applyRetention();

  /** Replaces the configuration; segment and retention limits apply from the next check. */
  void updateConfig(LogConfig config);

  LogConfig config();

  void addListener(AppendListener listener);

  void removeListener(AppendListener listener);

  /**
   * Offload, step 1: records the next offload attempt of a sealed segment on the bookies by
   * compare-and-set ({@code tierLocation = "offloading:<n>"}, {@code n} one more than any attempt
   * recorded before), before anything is uploaded; the attempt's object names derive from it.
   * Returns the segment as stored. Fails if the segment is gone, open, or already offloaded ({@link
   * StorageException} INTERNAL), or with {@link LogFencedException} / {@link LogClosedException}.
   */
  CompletableFuture<SegmentMetadata> beginOffload(long ledgerId);

  /**
   * Offload, last step: commits attempt {@code attempt} of a segment ({@code tierLocation =
   * "offloaded:<n>"}) by compare-and-set, once its objects are completely uploaded; from then on
   * the segment may be read from the tier and local retention may delete its bookie copy. Fails
   * (changing nothing) if the segment's recorded attempt is no longer {@code attempt}.
   */
  CompletableFuture<SegmentMetadata> commitOffload(long ledgerId, int attempt);

  /** The metadata as this writer last stored it. */
  LogMetadata metadata();

  /**
   * Graceful close: stops accepting appends (queued ones fail with {@link LogClosedException}),
   * lets in-flight ones finish, seals the open segment in metadata (so the next owner needs no
   * recovery). Idempotent. Completes normally also if the log had been fenced.
   */
  CompletableFuture<Void> close();
}
