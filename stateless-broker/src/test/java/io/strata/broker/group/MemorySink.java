package io.strata.broker.group;

import io.strata.broker.group.records.GroupRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An in-memory {@link RecordSink}: durable at once by default; with {@link #hold()} appends wait
 * until {@link #flush()} or {@link #fail}, so tests see what waits for durability.
 */
final class MemorySink implements RecordSink {
  private record Pending(List<GroupRecord> records, CompletableFuture<Void> done) {}

  /** Every record made durable, in order. */
  final List<GroupRecord> durable = new ArrayList<>();

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private boolean holding;
  private Throwable failed;

  void hold() {
    holding = true;
  }

  /** Makes every held append durable, in order, and stops holding. */
  void flush() {
    holding = false;
    while (!pending.isEmpty()) {
      Pending p = pending.poll();
      durable.addAll(p.records());
      p.done().complete(null);
    }
  }

  /** Fails every held append and every later one. */
  void fail(Throwable t) {
    failed = t;
    holding = false;
    while (!pending.isEmpty()) {
      pending.poll().done().completeExceptionally(t);
    }
  }

  int pendingCount() {
    return pending.size();
  }

  @Override
  public CompletableFuture<Void> append(List<GroupRecord> records) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (failed != null) {
      done.completeExceptionally(failed);
    } else if (holding) {
      pending.add(new Pending(List.copyOf(records), done));
    } else {
      durable.addAll(records);
      done.complete(null);
    }
    return done;
  }

  @Override
  public CompletableFuture<Void> barrier() {
    if (failed != null) {
      return CompletableFuture.failedFuture(failed);
    }
    return pending.isEmpty() ? CompletableFuture.completedFuture(null) : pending.peekLast().done();
  }
}
