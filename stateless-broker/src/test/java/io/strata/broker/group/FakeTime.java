package io.strata.broker.group;

import org.apache.kafka.common.utils.Time;

/** A clock that moves only when told to ({@link #sleep} advances it). Single-threaded tests. */
final class FakeTime implements Time {
  private long ms;

  FakeTime(long startMs) {
    this.ms = startMs;
  }

  @Override
  public long milliseconds() {
    return ms;
  }

  @Override
  public long nanoseconds() {
    return ms * 1_000_000L;
  }

  @Override
  public void sleep(long durationMs) {
    ms += durationMs;
  }
}
