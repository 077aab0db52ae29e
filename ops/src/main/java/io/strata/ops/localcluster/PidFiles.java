package io.strata.ops.localcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * {@code DIR/pids/NAME.pid}: the pid of a running member, one decimal number and a newline, so
 * {@code kill $(cat DIR/pids/broker-1.pid)} works.
 *
 * <p>A pid file can outlive its process (kill -9, a reboot) and the pid can be reused by an
 * unrelated process. So a pid counts as the member's only while that process is alive and its
 * command line names the member's config file; where the operating system does not tell a process's
 * arguments, the pid file is trusted.
 */
final class PidFiles {
  private PidFiles() {}

  static void write(Path pidFile, long pid) throws IOException {
    Files.createDirectories(pidFile.getParent());
    Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
    Files.writeString(tmp, pid + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, pidFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The recorded pid, if the file exists and holds one. */
  static Optional<Long> read(Path pidFile) throws IOException {
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  static void delete(Path pidFile) throws IOException {
    Files.deleteIfExists(pidFile);
  }

  /** The process recorded in {@code pidFile} if it is alive and runs {@code configFile}. */
  static Optional<ProcessHandle> running(Path pidFile, Path configFile) throws IOException {
    Optional<Long> pid = read(pidFile);
    if (pid.isEmpty()) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid.get()).filter(PidFiles::alive).filter(p -> runs(p, configFile));
  }

  /**
   * Whether {@code p} still runs. A process that exited but was not reaped yet (a zombie: its
   * parent is gone and init reaps lazily) counts as gone, which the JDK does not do by itself.
   */
  static boolean alive(ProcessHandle p) {
    if (!p.isAlive()) {
      return false;
    }
    Path stat = Path.of("/proc", String.valueOf(p.pid()), "stat");
    try {
      String s = Files.readString(stat, StandardCharsets.US_ASCII);
      int end = s.lastIndexOf(')'); // the command name in parentheses may contain anything
      char state = end >= 0 && end + 2 < s.length() ? s.charAt(end + 2) : '?';
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return !Files.isDirectory(Path.of("/proc")) && p.isAlive();
    }
  }

  /**
   * Whether {@code p}'s command line names {@code configFile} (true if it cannot be told). Reads
   * {@code /proc/PID/cmdline} where there is one: the JDK cuts its own view of a command line at
   * 4096 bytes on Linux, which a long classpath exceeds; elsewhere the marker that {@link Launcher}
   * puts before the classpath is within that limit.
   */
  static boolean runs(ProcessHandle p, Path configFile) {
    String wanted = configFile.toString();
    Path proc = Path.of("/proc", String.valueOf(p.pid()), "cmdline");
    if (Files.isReadable(proc)) {
      try {
        String cmdline = Files.readString(proc, StandardCharsets.UTF_8);
        return List.of(cmdline.split("\0")).contains(wanted)
            || cmdline.contains(Launcher.MEMBER_MARKER + wanted);
      } catch (IOException e) {
        // gone meanwhile, or unreadable: fall through
      }
    }
    return p.info().commandLine().map(c -> c.contains(wanted)).orElse(true);
  }
}
