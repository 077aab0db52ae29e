package io.strata.it.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * {@code strata standalone} as a separate JVM (the test's own classpath), so a test can kill it
 * with SIGKILL like a power cut of the broker host.
 */
public final class StandaloneProcess implements AutoCloseable {
  private static final Pattern READY =
      Pattern.compile("Strata standalone ready: bootstrap=127\\.0\\.0\\.1:(\\d+)");

  private final StrataProcess process;
  private final int port;

  private StandaloneProcess(StrataProcess process) {
    this.process = process;
    this.port = Integer.parseInt(process.ready().group(1));
  }

  /** Starts one on {@code dataDir} and waits for its ready line (on an ephemeral port). */
  public static StandaloneProcess start(Path dataDir, int bookies, long timeoutMs)
      throws Exception {
    Path log = dataDir.resolveSibling(dataDir.getFileName() + "-" + System.nanoTime() + ".log");
    return new StandaloneProcess(
        StrataProcess.start(
            "standalone",
            log,
            READY,
            Duration.ofMillis(timeoutMs),
            "standalone",
            "--data-dir",
            dataDir.toString(),
            "--port",
            "0",
            "--bookies",
            String.valueOf(bookies)));
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or sealed. */
  public void kill9() throws InterruptedException {
    process.kill9();
  }

  /**
   * SIGTERM, then waits for the process to exit.
   *
   * @return true if it exited within {@code timeout}; otherwise it is killed and its log printed
   */
  public boolean stop(Duration timeout) {
    return process.stop(timeout);
  }

  /** Stops it (see {@link #stop}), allowing a minute. */
  @Override
  public void close() {
    process.close();
  }

  public Path log() {
    return process.log();
  }
}
