package io.strata.ops.localcluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts a member as its own JVM running {@code strata <verb> --config FILE}, detached from the
 * command that starts it: a new session ({@code setsid}, where installed) so a Ctrl-C or hang-up of
 * the terminal does not reach it, stdin from {@code /dev/null}, stdout and stderr appended to its
 * log file (never a pipe that dies with the parent).
 *
 * <p>The JVM gets the classpath and Java of the current one (so the launched code is the code that
 * runs {@code up}), the flags of {@code ops/bin/strata} (keep the two in step), the role's heap
 * size, then {@code STRATA_JVM_OPTS} from the environment, which wins. Stateless.
 */
final class Launcher {

  /** Flags of {@code ops/bin/strata} other than heap sizes; see DEPENDENCIES.md for each. */
  private static final List<String> JVM_FLAGS =
      List.of(
          "-Djava.net.preferIPv4Stack=true",
          "--add-opens",
          "java.base/java.io=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.nio=ALL-UNNAMED",
          "--add-opens",
          "java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.lang=ALL-UNNAMED",
          "-Dlog4j2.configurationFile=log4j2-strata.xml");

  /**
   * A system property naming the member's config file, early on the command line (before the long
   * classpath) so that tools which truncate command lines still see which member a process is.
   */
  static final String MEMBER_MARKER = "-Dstrata.local-cluster.member=";

  private Launcher() {}

  /** The command line that runs {@code role} on {@code configFile}. */
  static List<String> command(Role role, Path configFile) {
    List<String> cmd = new ArrayList<>();
    setsid().ifPresent(cmd::add);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(MEMBER_MARKER + configFile);
    cmd.addAll(role.heapOptions());
    cmd.addAll(JVM_FLAGS);
    String extra = System.getenv("STRATA_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.strata.ops.cli.StrataCli");
    cmd.add(role.verb());
    cmd.add("--config");
    cmd.add(configFile.toString());
    return cmd;
  }

  /** util-linux's {@code setsid} on the PATH, if any. */
  private static Optional<String> setsid() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, "setsid");
      if (f.canExecute()) {
        return Optional.of(f.getAbsolutePath());
      }
    }
    return Optional.empty();
  }

  /**
   * Appends a header line to {@code log}, then starts the member with its output appended there.
   *
   * @param workDir the process's working directory
   * @return the started process (its pid is the JVM's: setsid execs it in place)
   */
  static Process start(Role role, Path configFile, Path log, Path workDir) throws IOException {
    Files.createDirectories(log.getParent());
    Files.writeString(
        log,
        "=== " + Instant.now() + " strata local-cluster up: starting " + configFile + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(command(role, configFile));
    pb.directory(workDir.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }
}
