package io.strata.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaked a Netty buffer. Netty's leak detector (level paranoid, set here
 * too in case the JVM flag is missing) logs each leak at ERROR on {@code
 * io.netty.util.ResourceLeakDetector}; an appender on that logger collects the reports, and after
 * the class the extension forces collection and detection and asserts none arrived. The reports go
 * to the failing assertion, not the console.
 *
 * <p>Registered for every test class through JUnit's extension auto-detection.
 */
public final class LeakDetection implements BeforeAllCallback, AfterAllCallback {

  private static final String LEAK_LOGGER = "io.netty.util.ResourceLeakDetector";
  private static final List<String> leaks = new ArrayList<>();
  private static boolean installed;

  @Override
  public void beforeAll(ExtensionContext context) {
    install();
    synchronized (leaks) {
      leaks.clear();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> found = collectLeaks();
    assertThat(found)
        .as("Netty buffer leaks reported while running %s", context.getDisplayName())
        .isEmpty();
  }

  /** Whether the extension has run for some test class (auto-detection works). */
  public static synchronized boolean isInstalled() {
    return installed;
  }

  /** Installs the appender and sets the level to paranoid; idempotent. */
  public static synchronized void install() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    if (installed) {
      return;
    }
    LoggerContext lc = (LoggerContext) LogManager.getContext(false);
    Configuration cfg = lc.getConfiguration();
    AbstractAppender appender =
        new AbstractAppender("strata-leaks", null, null, true, Property.EMPTY_ARRAY) {
          @Override
          public void append(LogEvent event) {
            synchronized (leaks) {
              leaks.add(event.getMessage().getFormattedMessage());
            }
          }
        };
    appender.start();
    cfg.addAppender(appender);
    LoggerConfig loggerConfig = new LoggerConfig(LEAK_LOGGER, Level.ERROR, false);
    loggerConfig.addAppender(appender, Level.ERROR, null);
    cfg.addLogger(LEAK_LOGGER, loggerConfig);
    lc.updateLoggers();
    installed = true;
  }

  /**
   * Runs a GC and waits until the JVM's reference handler has enqueued what it cleared: Netty's
   * leak detector sees a leaked buffer only once its weak reference is enqueued, which happens on
   * another thread after the GC; polling before that (a busy machine) finds nothing.
   */
  private static void gcAndWaitForReferenceProcessing() {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
    System.gc();
    try {
      // Bounded: if this GC did not clear the sentinel, the next round's GC will.
      queue.remove(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Reference.reachabilityFence(sentinel);
  }

  /**
   * Makes the detector report what has leaked so far: collects garbage, then allocates tracked
   * buffers (at paranoid level every allocation drains the detector's queue of collected, never
   * released buffers). Returns and forgets the reports.
   */
  public static List<String> collectLeaks() {
    for (int round = 0; round < 4; round++) {
      gcAndWaitForReferenceProcessing();
      for (int i = 0; i < 64; i++) {
        ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        a.release();
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
        b.release();
        ByteBuf c = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
        c.release();
      }
    }
    synchronized (leaks) {
      List<String> copy = new ArrayList<>(leaks);
      leaks.clear();
      return copy;
    }
  }
}
