package io.strata.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-running {@code strata} verb ({@code standalone}, {@code zookeeper}, {@code bookie}, {@code
 * broker}) as a separate JVM on the test's classpath, so a test can stop it with SIGTERM or kill it
 * with SIGKILL like a crash of its host. Stdout and stderr go to one log file; {@link #start} waits
 * for the ready line there.
 */
public final class StrataProcess implements AutoCloseable {
  private static final long POLL_MS = 50;

  private final String name;
  private final Process process;
  private final Path log;
  private final Matcher ready;

  private StrataProcess(String name, Process process, Path log, Matcher ready) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.ready = ready;
  }

  /**
   * {@code java ... io.strata.ops.cli.StrataCli args}, with the flags of {@code ops/bin/strata}.
   */
  public static List<String> javaCommand(String maxHeap, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-Xmx" + maxHeap,
            "-Djava.net.preferIPv4Stack=true",
            "--add-opens",
            "java.base/java.io=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.nio=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.lang=ALL-UNNAMED",
            "-Dlog4j2.configurationFile=log4j2-strata.xml",
            "-cp",
            System.getProperty("java.class.path"),
            "io.strata.ops.cli.StrataCli"));
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Starts {@code strata args...} and waits until a line of its output matches {@code ready}.
   *
   * @param log where stdout and stderr go (appended)
   * @throws IllegalStateException if it exits or is not ready in time (it is killed then)
   */
  public static StrataProcess start(
      String name, Path log, Pattern ready, Duration timeout, String... args) throws IOException {
    Files.createDirectories(log.getParent());
    long offset = Files.exists(log) ? Files.size(log) : 0;
    Process p =
        new ProcessBuilder(javaCommand("1g", List.of(args)))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() - deadline < 0) {
        for (String line : linesSince(log, offset)) {
          Matcher m = ready.matcher(line);
          if (m.find()) {
            return new StrataProcess(name, p, log, m);
          }
        }
        if (!p.isAlive()) {
          throw new IllegalStateException(
              name + " exited with " + p.exitValue() + " before it was ready; log:\n" + tail(log));
        }
        TimeUnit.MILLISECONDS.sleep(POLL_MS); // polling a log file for a deadline loop
      }
      throw new IllegalStateException(
          name + " was not ready within " + timeout + "; log:\n" + tail(log));
    } catch (InterruptedException | RuntimeException e) {
      p.destroyForcibly();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
  }

  /** The ready line's match (its groups hold ports, ids). */
  public Matcher ready() {
    return ready;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
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
  public boolean stop(Duration timeout) {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
      System.out.println(name + " did not stop within " + timeout + " of SIGTERM; its log:");
      System.out.println(tail(log));
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
    stop(Duration.ofSeconds(60));
  }

  /** The log's lines after byte {@code offset}. */
  public static List<String> linesSince(Path file, long offset) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    byte[] all = Files.readAllBytes(file);
    if (all.length <= offset) {
      return List.of();
    }
    String text = new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8);
    // Only complete lines: the last one may still be being written.
    int end = text.lastIndexOf('\n');
    return end < 0 ? List.of() : text.substring(0, end).lines().toList();
  }

  /** The last 80 lines of a log, without stack frames. */
  public static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(
          "\n",
          lines.stream()
              .skip(Math.max(0, lines.size() - 80))
              .filter(l -> !l.startsWith("\tat "))
              .toList());
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
