package io.strata.broker.fetch;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Long-poll fetches parked until enough bytes are appended to their partitions or their {@code
 * max.wait.ms} passes (Kafka's delayed-fetch purgatory).
 *
 * <p>A waiter counts the bytes appended to any of its partitions after it was parked and wakes once
 * they reach its {@code min.bytes}, or at its deadline, whichever comes first, exactly once. Waking
 * runs the waiter's callback on {@code executor}, never on the appending thread or the timer
 * thread. Thread-safe.
 *
 * @param <P> the partition key
 */
public final class DelayedFetchQueue<P> implements AutoCloseable {

  /** A parked fetch. */
  public final class Waiter {
    private final Collection<P> partitions;
    private final long minBytes;
    private final Runnable onWake;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile Timeout timeout;

    Waiter(Collection<P> partitions, long minBytes, Runnable onWake) {
      this.partitions = List.copyOf(partitions);
      this.minBytes = minBytes;
      this.onWake = onWake;
    }

    void onAppend(int bytes) {
      if (appended.addAndGet(bytes) >= minBytes) {
        wake();
      }
    }

    /** Wakes the waiter now (idempotent): deadline, appends, or the broker giving up on it. */
    public void wake() {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      Timeout t = timeout;
      if (t != null) {
        t.cancel();
      }
      for (P p : partitions) {
        Set<Waiter> set = waiters.get(p);
        if (set != null) {
          set.remove(this);
        }
      }
      executor.execute(onWake);
    }
  }

  private final Map<P, Set<Waiter>> waiters = new ConcurrentHashMap<>();
  private final HashedWheelTimer timer;
  private final Executor executor;

  /**
   * @param executor runs the callbacks of woken fetches
   */
  public DelayedFetchQueue(Executor executor) {
    this.executor = executor;
    this.timer =
        new HashedWheelTimer(
            r -> {
              Thread t = new Thread(r, "strata-delayed-fetch-timer");
              t.setDaemon(true);
              return t;
            },
            5,
            TimeUnit.MILLISECONDS);
  }

  /**
   * Parks a fetch.
   *
   * @param partitions the partitions whose appends count
   * @param minBytes bytes that must be appended before it wakes
   * @param maxWaitMs the latest it wakes
   * @param onWake what to run when it wakes
   * @return the parked waiter (its {@link Waiter#wake()} forces an early wake)
   */
  public Waiter park(Collection<P> partitions, long minBytes, long maxWaitMs, Runnable onWake) {
    Waiter w = new Waiter(partitions, Math.max(1, minBytes), onWake);
    for (P p : partitions) {
      waiters.computeIfAbsent(p, k -> ConcurrentHashMap.newKeySet()).add(w);
    }
    w.timeout = timer.newTimeout(t -> w.wake(), Math.max(0, maxWaitMs), TimeUnit.MILLISECONDS);
    if (w.done.get()) {
      w.timeout.cancel();
    }
    return w;
  }

  /** Tells parked fetches of {@code partition} that {@code bytes} were appended. */
  public void onAppend(P partition, int bytes) {
    Set<Waiter> set = waiters.get(partition);
    if (set != null && !set.isEmpty()) {
      for (Waiter w : set) {
        w.onAppend(bytes);
      }
    }
  }

  /** Wakes every fetch parked on {@code partition} (it moved, or was deleted). */
  public void wakeAll(P partition) {
    Set<Waiter> set = waiters.get(partition);
    if (set != null) {
      List.copyOf(set).forEach(Waiter::wake);
    }
  }

  /** Number of parked fetches (for metrics and tests). */
  public int parked() {
    return (int) waiters.values().stream().flatMap(Set::stream).distinct().count();
  }

  @Override
  public void close() {
    waiters.values().forEach(s -> List.copyOf(s).forEach(Waiter::wake));
    timer.stop();
  }
}
