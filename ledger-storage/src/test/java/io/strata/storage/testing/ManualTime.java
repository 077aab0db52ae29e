package io.strata.storage.testing;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Time;

/**
 * A clock that moves only when told ({@link #advance}), for roll and retention tests. Implements
 * kafka-clients' {@link Time} (its {@code MockTime} lives in a test jar this build does not use).
 * Thread-safe.
 */
public final class ManualTime implements Time {
  private final AtomicLong nanos;

  public ManualTime(long startMs) {
    this.nanos = new AtomicLong(startMs * 1_000_000L);
  }

  public ManualTime() {
    this(1_700_000_000_000L);
  }

  public void advance(long ms) {
    nanos.addAndGet(ms * 1_000_000L);
  }

  @Override
  public long milliseconds() {
    return nanos.get() / 1_000_000L;
  }

  @Override
  public long nanoseconds() {
    return nanos.get();
  }

  @Override
  public void sleep(long ms) {
    advance(ms);
  }

  @Override
  public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) {
    if (!condition.get()) {
      throw new UnsupportedOperationException("ManualTime cannot wait");
    }
  }
}
