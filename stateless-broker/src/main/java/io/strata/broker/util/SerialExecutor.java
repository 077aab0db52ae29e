package io.strata.broker.util;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: the single-writer executor of
 * one partition (BookKeeper's OrderedExecutor idea without a thread per key).
 *
 * <p>Thread-safe. A task that throws is logged and does not stop later tasks.
 */
public final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor pool;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  // Guarded by queue: true while a drain task is scheduled or running on the pool.
  private boolean draining;

  public SerialExecutor(Executor pool) {
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (queue) {
      queue.add(task);
      if (draining) {
        return;
      }
      draining = true;
    }
    pool.execute(this::drain);
  }

  private void drain() {
    // Bounded batches keep one busy partition from starving the others on the pool.
    for (int i = 0; i < 64; i++) {
      Runnable next;
      synchronized (queue) {
        next = queue.poll();
        if (next == null) {
          draining = false;
          return;
        }
      }
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        log.error("Task failed on a partition executor", e);
      }
    }
    pool.execute(this::drain);
  }
}
