package io.strata.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code strata standalone} as a separate JVM (the test's own classpath), so a test can kill it
 * with SIGKILL like a power cut of the broker host.
 */
public final class StandaloneProcess implements AutoCloseable {
  private static final Pattern READY =
      Pattern.compile("Strata standalone ready: bootstrap=127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final int port;
  private final Path log;

  private StandaloneProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts one on {@code dataDir} and waits for its ready line (on an ephemeral port). */
  public static StandaloneProcess start(Path dataDir, int bookies, long timeoutMs)
      throws Exception {
    Path log = dataDir.resolveSibling(dataDir.getFileName() + "-" + System.nanoTime() + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-Xmx1g",
            "-Djava.net.preferIPv4Stack=true",
            "--add-opens",
            "java.base/java.io=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.nio=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED",
            "-Dlog4j2.configurationFile=log4j2-strata.xml",
            "-cp",
            System.getProperty("java.class.path"),
            "io.strata.ops.cli.StrataCli",
            "standalone",
            "--data-dir",
            dataDir.toString(),
            "--port",
            "0",
            "--bookies",
            String.valueOf(bookies)));
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  Matcher m = READY.matcher(line);
                  if (m.find()) {
                    ready.complete(Integer.parseInt(m.group(1)));
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(new IllegalStateException("standalone exited"));
            },
            "standalone-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      int port = ready.get(timeoutMs, TimeUnit.MILLISECONDS);
      return new StandaloneProcess(p, port, log);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "standalone did not become ready; its log is " + log + ": " + e, e);
    }
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or sealed. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGTERM, then waits for the process to exit.
   *
   * @return true if it exited within {@code timeout}; otherwise it is killed and its log printed
   */
  public boolean stop(java.time.Duration timeout) {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
      System.out.println("standalone did not stop within " + timeout + " of SIGTERM; its log:");
      try {
        List<String> lines = java.nio.file.Files.readAllLines(log);
        lines.stream()
            .skip(Math.max(0, lines.size() - 80))
            .filter(l -> !l.startsWith("\tat "))
            .forEach(System.out::println);
      } catch (IOException e) {
        System.out.println("(unreadable: " + e + ")");
      }
      process.destroyForcibly();
      return false;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops it (see {@link #stop}), allowing a minute. */
  @Override
  public void close() {
    stop(java.time.Duration.ofSeconds(60));
  }

  public Path log() {
    return log;
  }
}
