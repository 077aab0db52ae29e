package io.strata.storage.api;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The durable partition logs of one process: owns the shared BookKeeper client, ZooKeeper handle
 * and the ordered executor the logs run on. Open it once per process ({@code
 * io.strata.storage.internals.BookKeeperLogStore#start}).
 *
 * <p>Thread-safety: all methods may be called from any thread. Methods returning a future never
 * throw; they return a failed future (with a {@link StorageException}). Futures complete on the
 * log's executor thread: chain with {@code *Async(..., yourExecutor)} for anything heavy.
 */
public interface LogStore extends AutoCloseable {

  /**
   * Takes a log over, creating it if absent.
   *
   * <ol>
   *   <li>compare-and-sets the log's writer epoch in ZooKeeper to {@code epoch}, which must be
   *       strictly greater than the stored one, else fails with {@link LogFencedException};
   *   <li>opens every OPEN segment's ledgers with recovery (fencing the previous writer in
   *       BookKeeper), finds its real last offset, writes a complete index for it;
   *   <li>seals those segments and adds a new OPEN segment (a new ledger) in one compare-and-set.
   * </ol>
   *
   * <p>Every batch the previous writer had acknowledged stays readable and offsets continue
   * densely. If the same store already has this log open, that instance gets fenced.
   */
  CompletableFuture<PartitionLog> open(String logName, LogConfig config, long epoch);

  /**
   * Deletes a log: fences any writer (recovery-opens its open ledgers), deletes the metadata znode,
   * then deletes every data and index ledger (best effort: a ledger that fails to delete stays an
   * orphan, recognisable by its custom metadata). Fails with {@link LogNotFoundException} if there
   * is no such log.
   */
  CompletableFuture<Void> delete(String logName);

  /** The log's stored metadata, read-only (for operators and tests); empty if no such log. */
  CompletableFuture<Optional<LogMetadata>> describe(String logName);

  /**
   * Closes every log this store has open (gracefully, as {@link PartitionLog#close()}), then the
   * BookKeeper client and ZooKeeper handle it owns. Blocking; call it at shutdown, not on an event
   * loop.
   */
  /**
   * The number of bookies that accept writes now (registered and not read-only): the largest
   * ensemble a new ledger can have.
   */
  CompletableFuture<Integer> writableBookies();

  @Override
  void close();
}
