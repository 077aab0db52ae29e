package io.strata.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a one-shot {@code strata} verb (such as {@code local-cluster up}) as its own JVM on the
 * test's classpath, as an operator would from a shell, and returns its exit status and output.
 */
public final class StrataCommand {
  private StrataCommand() {}

  /** What a run printed and returned. */
  public record Result(int exitCode, String out, String err) {
    /** Stdout's lines. */
    public List<String> outLines() {
      return out.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /**
   * Runs {@code strata args...} to completion.
   *
   * @param env extra environment variables
   * @throws IllegalStateException if it does not finish within {@code timeout} (it is killed)
   */
  public static Result run(Duration timeout, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("strata-cli-", ".out");
    Path err = Files.createTempFile("strata-cli-", ".err");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(StrataProcess.javaCommand("256m", List.of(args)))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException(
            "strata "
                + String.join(" ", args)
                + " did not finish within "
                + timeout
                + "\n--- stdout\n"
                + Files.readString(out)
                + "--- stderr\n"
                + Files.readString(err));
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
