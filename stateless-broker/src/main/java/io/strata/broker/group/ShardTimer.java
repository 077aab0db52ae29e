package io.strata.broker.group;

/**
 * Delayed tasks of one shard (session, rebalance and sync timeouts, offset expiry), keyed so a
 * later schedule with the same key replaces the earlier one.
 *
 * <p>Called only on the shard's thread; tasks run on the shard's thread. A task cancelled or
 * replaced before it runs never runs. Tests use a manual implementation driven by a fake clock.
 */
public interface ShardTimer {

  /** Runs {@code task} after {@code delayMs}, replacing any task scheduled under {@code key}. */
  void schedule(String key, long delayMs, Runnable task);

  /** Cancels the task under {@code key}, if any. */
  void cancel(String key);

  /** Cancels every task (the shard is unloading). */
  void cancelAll();
}
