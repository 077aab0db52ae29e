package io.strata.broker.group;

import io.strata.broker.group.records.GroupRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a shard writes its records: the durable log of its {@code __consumer_offsets} partition in
 * production, an in-memory twin with programmable faults in tests.
 *
 * <p>Called only on the shard's thread. Returned futures complete on the shard's thread, in append
 * order; once one append fails, every later one fails too (the shard is then discarded and rebuilt
 * from what the log really holds).
 */
public interface RecordSink {

  /**
   * Appends records after everything appended before.
   *
   * @return completes when the records are durable (on the bookies' ack quorum), or fails with the
   *     Kafka error the waiting requests should get
   */
  CompletableFuture<Void> append(List<GroupRecord> records);

  /**
   * Completes when every record appended so far is durable; a response that depends on state
   * changed by earlier appends waits for this before it leaves.
   */
  CompletableFuture<Void> barrier();
}
