package io.strata.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proves the leak check every test class relies on would catch a leak. */
@Timeout(60)
class LeakDetectionTest {

  @Test
  void extensionIsActiveAtParanoidLevel() {
    assertThat(LeakDetection.isInstalled()).isTrue();
    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }

  @Test
  void aLeakedBufferIsReported() {
    leakOne();
    List<String> leaks = LeakDetection.collectLeaks();
    assertThat(leaks).anySatisfy(l -> assertThat(l).contains("LEAK"));
  }

  private static void leakOne() {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
    leaked.writeLong(42);
    // dropped without release()
  }
}
