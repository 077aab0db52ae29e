package io.strata.broker.group.runtime;

import io.strata.broker.group.ShardTimer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ShardTimer} on a shared scheduler thread: a due task hops onto the shard's executor and
 * runs there only if it is still the task registered under its key (so a heartbeat that arrived
 * while the expiry was in flight wins).
 *
 * <p>{@link #schedule}, {@link #cancel} and {@link #cancelAll} must be called on the shard's
 * executor, which is also where tasks run; the key map is confined to it.
 */
final class ScheduledShardTimer implements ShardTimer {
  private static final class Entry {
    ScheduledFuture<?> future;
  }

  private final ScheduledExecutorService scheduler;
  private final Executor shardExecutor;
  private final Map<String, Entry> tasks = new HashMap<>();

  ScheduledShardTimer(ScheduledExecutorService scheduler, Executor shardExecutor) {
    this.scheduler = scheduler;
    this.shardExecutor = shardExecutor;
  }

  @Override
  public void schedule(String key, long delayMs, Runnable task) {
    Entry entry = new Entry();
    Entry previous = tasks.put(key, entry);
    if (previous != null) {
      previous.future.cancel(false);
    }
    entry.future =
        scheduler.schedule(
            () ->
                shardExecutor.execute(
                    () -> {
                      if (tasks.get(key) == entry) {
                        tasks.remove(key);
                        task.run();
                      }
                    }),
            Math.max(0, delayMs),
            TimeUnit.MILLISECONDS);
  }

  @Override
  public void cancel(String key) {
    Entry e = tasks.remove(key);
    if (e != null) {
      e.future.cancel(false);
    }
  }

  @Override
  public void cancelAll() {
    tasks.values().forEach(e -> e.future.cancel(false));
    tasks.clear();
  }

  int size() {
    return tasks.size();
  }
}
