package io.strata.ops.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a started component in the foreground: prints its ready line on stdout, then waits until
 * SIGTERM or Ctrl-C (a JVM shutdown hook closes the component cleanly) or until the component stops
 * on its own (then the verb fails, so a supervisor sees the process end).
 */
final class Foreground {
  private static final Logger log = LoggerFactory.getLogger(Foreground.class);
  private static final Duration CHECK_EVERY = Duration.ofSeconds(1);

  private Foreground() {}

  /**
   * Blocks the calling (main) thread for the component's lifetime.
   *
   * @param name for log lines, e.g. "bookie bookie-1"
   * @param alive polled every second; false means the component died by itself
   * @return the verb's exit status: 0 when stopped by a signal, 1 when the component died
   */
  static int serve(
      PrintWriter out,
      String readyLine,
      String name,
      AutoCloseable component,
      BooleanSupplier alive)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    Thread hook =
        new Thread(
            () -> {
              stopping.set(true);
              log.info("Stopping {}", name);
              try {
                component.close();
                log.info("Strata {} stopped", name);
              } catch (Exception e) {
                log.warn("Stopping {} failed", name, e);
              }
              stopped.countDown();
            },
            "strata-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.println(readyLine);
    out.flush();
    while (!stopped.await(CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
      if (!stopping.get() && !alive.getAsBoolean()) {
        log.error("Strata {} stopped by itself; exiting", name);
        return StrataCli.EXIT_FAILURE;
      }
    }
    return 0;
  }
}
