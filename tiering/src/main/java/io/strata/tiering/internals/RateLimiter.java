package io.strata.tiering.internals;

import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Time;

/**
 * Bounds the bytes per second of all offloads of a process (a token bucket with no burst beyond one
 * chunk): each chunk reserves its bytes and learns how long to wait before it may go. Thread-safe.
 */
final class RateLimiter {
  private final long bytesPerSecond;
  private final Time time;
  private long nextFreeNanos;

  /**
   * @param bytesPerSecond 0 for unlimited
   */
  RateLimiter(long bytesPerSecond, Time time) {
    this.bytesPerSecond = bytesPerSecond;
    this.time = time;
  }

  /** Reserves {@code bytes}; returns the milliseconds to wait before sending them. */
  synchronized long reserve(long bytes) {
    if (bytesPerSecond <= 0) {
      return 0;
    }
    long now = time.nanoseconds();
    long start = Math.max(now, nextFreeNanos);
    nextFreeNanos = start + bytes * TimeUnit.SECONDS.toNanos(1) / bytesPerSecond;
    return TimeUnit.NANOSECONDS.toMillis(start - now);
  }
}
