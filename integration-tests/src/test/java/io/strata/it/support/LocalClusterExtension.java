package io.strata.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a fresh directory per test for {@code strata local-cluster}, helpers to run
 * {@code up} and {@code down} as an operator would (each its own JVM), and a safety net: after each
 * test every process of the cluster is killed (by its pid file, and any other process whose command
 * line names the directory), then the directory is deleted. A failed test prints the tail of each
 * member's log.
 *
 * <pre>
 * {@code @RegisterExtension final LocalClusterExtension cluster = new LocalClusterExtension();}
 * </pre>
 */
public final class LocalClusterExtension
    implements BeforeEachCallback, AfterTestExecutionCallback, AfterEachCallback {
  public static final Pattern READY =
      Pattern.compile("^Strata local cluster ready: bootstrap=(\\S+)$");

  /**
   * JVM flags for the members of clusters started by tests: C1 only and the serial collector start
   * a JVM with less CPU on a small shared machine.
   */
  private static final Map<String, String> ENV =
      Map.of("STRATA_JVM_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");

  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(4);

  private Path dir;

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("strata-local-cluster-").toRealPath();
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      dumpLogs();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<Long> killed = killEverything();
    if (!killed.isEmpty()) {
      System.out.println("Killed processes the test left behind: " + killed);
    }
    TempDirs.deleteRecursively(dir);
  }

  public Path dir() {
    return dir;
  }

  /** Runs {@code strata local-cluster args... --dir DIR}. */
  public StrataCommand.Result run(String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("local-cluster"));
    all.addAll(Arrays.asList(args));
    all.add("--dir");
    all.add(dir.toString());
    return StrataCommand.run(COMMAND_TIMEOUT, ENV, all.toArray(String[]::new));
  }

  /**
   * Runs {@code up} with {@code args}, asserts it succeeded with exactly the ready line on stdout,
   * and returns the bootstrap addresses it printed.
   */
  public List<String> up(String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("up"));
    all.addAll(Arrays.asList(args));
    StrataCommand.Result r = run(all.toArray(String[]::new));
    assertThat(r.exitCode()).as("exit status of up; %s", r).isZero();
    assertThat(r.outLines()).as("stdout of up").hasSize(1);
    Matcher m = READY.matcher(r.outLines().get(0));
    assertThat(m.matches()).as("ready line %s", r.outLines().get(0)).isTrue();
    return List.of(m.group(1).split(","));
  }

  /** Runs {@code down} and asserts it succeeded. */
  public StrataCommand.Result down() throws IOException, InterruptedException {
    StrataCommand.Result r = run("down");
    assertThat(r.exitCode()).as("exit status of down; %s", r).isZero();
    return r;
  }

  public Path pidFile(String name) {
    return dir.resolve("pids").resolve(name + ".pid");
  }

  /** The pid in {@code DIR/pids/NAME.pid}. */
  public long pid(String name) throws IOException {
    return Long.parseLong(Files.readString(pidFile(name)).trim());
  }

  /** Every pid file's name (without .pid) and pid, sorted by name. */
  public Map<String, Long> pids() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    Path pids = dir.resolve("pids");
    if (!Files.isDirectory(pids)) {
      return out;
    }
    try (Stream<Path> files = Files.list(pids)) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".pid")) {
          out.put(n.substring(0, n.length() - 4), Long.parseLong(Files.readString(f).trim()));
        }
      }
    }
    return out;
  }

  /** Whether {@code pid} runs (an exited process that nobody reaped yet counts as gone). */
  public static boolean alive(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !h.get().isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Pids of live processes whose command line mentions this cluster's directory. */
  public List<Long> processesOfThisCluster() {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String n = p.getFileName().toString();
        if (!n.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmdline = Files.readString(p.resolve("cmdline"), StandardCharsets.UTF_8);
          long pid = Long.parseLong(n);
          if (cmdline.contains(dir.toString())
              && pid != ProcessHandle.current().pid()
              && alive(pid)) {
            out.add(pid);
          }
        } catch (IOException | RuntimeException e) {
          // gone meanwhile
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private List<Long> killEverything() throws IOException, InterruptedException {
    List<Long> victims = new ArrayList<>();
    for (long pid : pids().values()) {
      if (alive(pid)) {
        victims.add(pid);
      }
    }
    for (long pid : processesOfThisCluster()) {
      if (!victims.contains(pid)) {
        victims.add(pid);
      }
    }
    for (long pid : victims) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (victims.stream().anyMatch(LocalClusterExtension::alive)
        && System.nanoTime() < deadline) {
      Thread.sleep(50); // waiting for SIGKILLed processes to vanish, not synchronisation
    }
    return victims;
  }

  private void dumpLogs() {
    Path logs = dir.resolve("logs");
    if (!Files.isDirectory(logs)) {
      return;
    }
    try (Stream<Path> files = Files.list(logs)) {
      for (Path log : files.sorted().toList()) {
        System.out.println("===== " + log);
        System.out.println(StrataProcess.tail(log));
      }
    } catch (IOException e) {
      System.out.println("(logs unreadable: " + e + ")");
    }
  }
}
