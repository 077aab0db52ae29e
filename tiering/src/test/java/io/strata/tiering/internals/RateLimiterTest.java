package io.strata.tiering.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.testing.ManualTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RateLimiterTest {

  @Test
  void chunksWaitSoThatTheRateHolds() {
    ManualTime time = new ManualTime();
    RateLimiter limiter = new RateLimiter(1_000_000, time);
    assertThat(limiter.reserve(500_000)).isZero();
    assertThat(limiter.reserve(500_000)).isEqualTo(500);
    assertThat(limiter.reserve(1_000_000)).isEqualTo(1000);
    time.advance(5000);
    assertThat(limiter.reserve(1_000_000)).isZero(); // idle time is not banked beyond one chunk
    assertThat(limiter.reserve(1)).isEqualTo(1000);
  }

  @Test
  void zeroMeansUnlimited() {
    RateLimiter limiter = new RateLimiter(0, new ManualTime());
    for (int i = 0; i < 100; i++) {
      assertThat(limiter.reserve(100 << 20)).isZero();
    }
  }
}
