package io.strata.ops.localcluster;

import io.strata.ops.component.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code strata local-cluster up|down|status}: ZooKeeper, bookies and brokers as separate processes
 * on 127.0.0.1, all files under one directory ({@link ClusterLayout}).
 *
 * <p>{@code up} starts, in order, ZooKeeper, then every bookie, then every broker, each tier only
 * once the previous one printed its ready lines; members already running (their pid file names a
 * live process of that member) are left alone, so {@code up} also restarts just what died. On a
 * failure or a deadline it stops what it started and says which member failed and where its log is.
 * The members outlive the command. {@code down} stops brokers, then bookies, then ZooKeeper, by
 * their pid files. A lock file ({@code DIR/.lock}) keeps two commands off one directory.
 *
 * <p>Blocking; for the CLI. Not thread-safe except for {@link Up#abort()}, the shutdown hook.
 */
public final class LocalCluster {
  private static final Pattern BOOTSTRAP = Pattern.compile("bootstrap=(\\S+)");
  private static final Duration ABORT_GRACE = Duration.ofSeconds(30);
  private static final long POLL_MS = 100;
  private static final int LOG_TAIL_LINES = 20;

  private LocalCluster() {}

  /** What {@link #up} did. */
  public record UpResult(List<String> bootstrap, List<Member> started, List<Member> running) {}

  /**
   * Starts what is not running; returns once every member is ready.
   *
   * @param brokers wanted brokers, 0 to keep the directory's (1 for a new cluster)
   * @param bookies wanted bookies, 0 to keep the directory's (3 for a new cluster)
   * @param firstPort lowest port for new members, 0 for any free ones
   * @param timeout for all members to become ready
   * @param progress one line per member started or found running (stderr)
   * @throws LocalClusterException if a member fails or is not ready in time (after stopping what
   *     this call started), or the directory is in use or holds another shape of cluster
   */
  public static UpResult up(
      Path dir, int brokers, int bookies, int firstPort, Duration timeout, PrintWriter progress)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path real = dir.toRealPath();
    DataDirLock lock = lock(real);
    try {
      ClusterLayout layout = ClusterLayout.create(real, brokers, bookies, firstPort);
      Up up = new Up(layout, progress, System.nanoTime() + timeout.toNanos(), timeout);
      Thread hook = new Thread(up::abort, "strata-local-cluster-abort");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        return up.run();
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // The JVM is shutting down: the hook runs (or ran) and stops what was started.
        }
      }
    } finally {
      lock.close();
    }
  }

  /**
   * Stops every member that has a pid file: brokers, then bookies, then ZooKeeper; each tier gets
   * SIGTERM, and SIGKILL for what still runs after {@code grace}. Removes the pid files of what
   * stopped (and stale ones).
   *
   * @param report one line per member, then a summary (stdout)
   * @return true if nothing is left running
   */
  public static boolean down(Path dir, Duration grace, PrintWriter report)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(dir)) {
      throw new LocalClusterException("No local cluster in " + dir + ": no such directory.");
    }
    Path real = dir.toRealPath();
    if (!ClusterLayout.exists(real)) {
      throw new LocalClusterException(
          "No local cluster in " + real + " (no config/zookeeper.properties).");
    }
    DataDirLock lock = lock(real);
    try {
      int stopped = 0;
      boolean allGone = true;
      List<Role> order = new ArrayList<>(Arrays.asList(Role.values()));
      java.util.Collections.reverse(order);
      for (Role role : order) {
        List<Stopper.Target> targets = new ArrayList<>();
        for (Path pidFile : pidFiles(real, role)) {
          String name = baseName(pidFile);
          Member m = new Member(role, name, 0, "");
          Path config = real.resolve("config").resolve(name + ".properties");
          Optional<Long> pid = PidFiles.read(pidFile);
          Optional<ProcessHandle> alive = pid.flatMap(ProcessHandle::of).filter(PidFiles::alive);
          if (alive.isEmpty()) {
            report.println(name + " was not running" + pid.map(p -> " (pid " + p + ")").orElse(""));
            PidFiles.delete(pidFile);
          } else if (!PidFiles.runs(alive.get(), config)) {
            report.println(
                name
                    + ": pid "
                    + pid.get()
                    + " is now another program, not "
                    + name
                    + "; left it alone");
            PidFiles.delete(pidFile);
          } else {
            targets.add(new Stopper.Target(m, alive.get()));
          }
        }
        for (Stopper.Outcome o : Stopper.stop(targets, grace)) {
          String name = o.target().member().name();
          long pid = o.target().process().pid();
          switch (o.result()) {
            case STOPPED ->
                report.printf(
                    Locale.ROOT, "Stopped %s (pid %d) in %.1f s%n", name, pid, seconds(o.took()));
            case KILLED ->
                report.printf(
                    Locale.ROOT,
                    "Killed %s (pid %d): still running %d s after SIGTERM%n",
                    name,
                    pid,
                    grace.toSeconds());
            case STILL_RUNNING ->
                report.printf(
                    Locale.ROOT, "Could not stop %s (pid %d), even with SIGKILL%n", name, pid);
          }
          if (o.result() == Stopper.Result.STILL_RUNNING) {
            allGone = false;
          } else {
            stopped++;
            PidFiles.delete(real.resolve("pids").resolve(name + ".pid"));
          }
        }
      }
      report.println(
          stopped == 0
              ? "Strata local cluster in " + real + ": nothing was running"
              : "Strata local cluster stopped: "
                  + stopped
                  + (stopped == 1 ? " process" : " processes")
                  + " in "
                  + real);
      report.flush();
      return allGone;
    } finally {
      lock.close();
    }
  }

  /** One line per member: name, pid or "-", state, address, log file. */
  public static void status(Path dir, PrintWriter out) throws IOException {
    ClusterLayout layout = ClusterLayout.read(Files.isDirectory(dir) ? dir.toRealPath() : dir);
    out.printf(Locale.ROOT, "%-12s %-8s %-8s %-22s %s%n", "NAME", "PID", "STATE", "ADDRESS", "LOG");
    for (Member m : layout.members()) {
      Optional<ProcessHandle> p = PidFiles.running(layout.pidFile(m), layout.configFile(m));
      out.printf(
          Locale.ROOT,
          "%-12s %-8s %-8s %-22s %s%n",
          m.name(),
          p.map(h -> String.valueOf(h.pid())).orElse("-"),
          p.isPresent() ? "running" : "stopped",
          m.address(),
          layout.logFile(m));
    }
    out.flush();
  }

  private static DataDirLock lock(Path dir) throws IOException {
    try {
      return DataDirLock.acquire(dir, "is another `strata local-cluster` command running on it?");
    } catch (IllegalStateException e) {
      throw new LocalClusterException(e.getMessage());
    }
  }

  private static List<Path> pidFiles(Path dir, Role role) throws IOException {
    Path pids = dir.resolve("pids");
    if (!Files.isDirectory(pids)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(pids)) {
      return files
          .filter(
              f -> {
                String n = f.getFileName().toString();
                return n.endsWith(".pid")
                    && (n.equals(role.verb() + ".pid") || n.startsWith(role.verb() + "-"));
              })
          .sorted()
          .toList();
    }
  }

  private static String baseName(Path pidFile) {
    String n = pidFile.getFileName().toString();
    return n.substring(0, n.length() - ".pid".length());
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }

  /** One run of {@code up}. */
  static final class Up {
    private final ClusterLayout layout;
    private final PrintWriter progress;
    private final long deadline;
    private final Duration timeout;
    // Guarded by this: what this run started, and whether the shutdown hook took over.
    private final List<Starting> started = new ArrayList<>();
    private boolean aborted;
    private boolean done;

    Up(ClusterLayout layout, PrintWriter progress, long deadline, Duration timeout) {
      this.layout = layout;
      this.progress = progress;
      this.deadline = deadline;
      this.timeout = timeout;
    }

    /** A member this run launched. */
    private record Starting(Member member, Process process, long logOffset) {}

    UpResult run() throws IOException, InterruptedException {
      List<Member> running = new ArrayList<>();
      List<String> bootstrap = new ArrayList<>();
      for (Role role : Role.values()) {
        List<Starting> tier = new ArrayList<>();
        for (Member m : layout.members(role)) {
          Optional<ProcessHandle> p = PidFiles.running(layout.pidFile(m), layout.configFile(m));
          if (p.isPresent()) {
            progress.println(
                "strata: " + m.name() + " is running already (pid " + p.get().pid() + ")");
            running.add(m);
          } else {
            tier.add(start(m));
          }
        }
        List<String> readyLines = awaitReady(tier);
        if (role == Role.BROKER) {
          for (Member m : layout.brokers()) {
            int i = indexOf(tier, m);
            bootstrap.add(i < 0 ? m.address() : bootstrapOf(readyLines.get(i), m));
          }
        }
      }
      List<Member> startedMembers;
      synchronized (this) {
        done = true;
        startedMembers = started.stream().map(Starting::member).toList();
      }
      return new UpResult(bootstrap, startedMembers, running);
    }

    private Starting start(Member m) throws IOException {
      Path log = layout.logFile(m);
      long offset = Files.exists(log) ? Files.size(log) : 0;
      synchronized (this) {
        if (aborted) {
          throw new LocalClusterException("interrupted; stopped what was started");
        }
        PidFiles.delete(layout.pidFile(m));
        Process p = Launcher.start(m.role(), layout.configFile(m), log, layout.dir());
        PidFiles.write(layout.pidFile(m), p.pid());
        Starting s = new Starting(m, p, offset);
        started.add(s);
        progress.println("strata: started " + m.name() + " (pid " + p.pid() + "), log " + log);
        progress.flush();
        return s;
      }
    }

    /** Waits for each member's ready line; returns them in order. */
    private List<String> awaitReady(List<Starting> tier) throws IOException, InterruptedException {
      String[] lines = new String[tier.size()];
      int ready = 0;
      while (ready < tier.size()) {
        ready = 0;
        for (int i = 0; i < tier.size(); i++) {
          Starting s = tier.get(i);
          if (lines[i] == null) {
            lines[i] = readyLine(s).orElse(null);
          }
          if (lines[i] != null) {
            ready++;
          } else if (!s.process().isAlive()) {
            fail(s, "exited with status " + s.process().exitValue() + " before it was ready");
          }
        }
        if (ready < tier.size()) {
          if (System.nanoTime() - deadline > 0) {
            Starting late =
                tier.stream().filter(s -> lines[tier.indexOf(s)] == null).findFirst().orElseThrow();
            fail(late, "was not ready within " + timeout.toSeconds() + " s");
          }
          TimeUnit.MILLISECONDS.sleep(POLL_MS); // polling a log file, not synchronisation
        }
      }
      return List.of(lines);
    }

    /** The member's ready line, if it printed it since it was started. */
    private Optional<String> readyLine(Starting s) throws IOException {
      String prefix = s.member().role().readyPrefix();
      List<String> lines = linesSince(layout.logFile(s.member()), s.logOffset());
      // The last line may still be being written; only whole lines count.
      for (String line : lines.subList(0, Math.max(0, lines.size() - 1))) {
        if (line.startsWith(prefix)) {
          return Optional.of(line);
        }
      }
      return Optional.empty();
    }

    private void fail(Starting s, String why) throws InterruptedException, IOException {
      Path log = layout.logFile(s.member());
      List<String> lines = new ArrayList<>(linesSince(log, s.logOffset()));
      while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
        lines.remove(lines.size() - 1);
      }
      List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
      List<String> stoppedNames = abortStarted();
      StringBuilder msg = new StringBuilder();
      msg.append(s.member().name())
          .append(" failed to start: it ")
          .append(why)
          .append(".\nIts log: ")
          .append(log);
      if (!tail.isEmpty()) {
        msg.append("\nLast lines of that log:\n  ").append(String.join("\n  ", tail));
      }
      if (!stoppedNames.isEmpty()) {
        msg.append("\nStopped what this command had started: ")
            .append(String.join(", ", stoppedNames));
      }
      throw new LocalClusterException(msg.toString());
    }

    /** The shutdown hook: stops what this run started unless it completed. */
    void abort() {
      try {
        abortStarted();
      } catch (InterruptedException | IOException e) {
        // The JVM is exiting; nothing more to do.
      }
    }

    /**
     * Stops (brokers first) and forgets what this run started; returns the names of those that were
     * still running.
     */
    private List<String> abortStarted() throws InterruptedException, IOException {
      List<Starting> toStop;
      synchronized (this) {
        if (done || aborted) {
          return List.of();
        }
        aborted = true;
        toStop = new ArrayList<>(started);
      }
      java.util.Collections.reverse(toStop);
      List<String> names = new ArrayList<>();
      for (Role role : new Role[] {Role.BROKER, Role.BOOKIE, Role.ZOOKEEPER}) {
        List<Stopper.Target> targets = new ArrayList<>();
        for (Starting s : toStop) {
          if (s.member().role() == role) {
            PidFiles.delete(layout.pidFile(s.member()));
            if (s.process().isAlive()) {
              targets.add(new Stopper.Target(s.member(), s.process().toHandle()));
              names.add(s.member().name());
            }
          }
        }
        Stopper.stop(targets, ABORT_GRACE);
      }
      return names;
    }

    private static int indexOf(List<Starting> tier, Member m) {
      for (int i = 0; i < tier.size(); i++) {
        if (tier.get(i).member().equals(m)) {
          return i;
        }
      }
      return -1;
    }

    private static String bootstrapOf(String readyLine, Member m) {
      Matcher matcher = BOOTSTRAP.matcher(readyLine);
      return matcher.find() ? matcher.group(1) : m.address();
    }
  }

  /**
   * The lines of {@code file} after byte {@code offset} (UTF-8, at most the last 8 MiB); the last
   * element is what follows the last newline, often empty.
   */
  static List<String> linesSince(Path file, long offset) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      if (length <= offset) {
        return List.of();
      }
      byte[] bytes = new byte[(int) Math.min(length - offset, 8L * 1024 * 1024)];
      f.seek(length - bytes.length);
      f.readFully(bytes);
      return List.of(new String(bytes, StandardCharsets.UTF_8).split("\n", -1));
    }
  }
}
