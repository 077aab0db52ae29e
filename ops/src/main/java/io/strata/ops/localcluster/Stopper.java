package io.strata.ops.localcluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stops processes: SIGTERM to all of them at once, then waits; whatever still runs after the grace
 * period gets SIGKILL. Blocking; stateless.
 */
final class Stopper {
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);
  private static final long POLL_MS = 50;

  private Stopper() {}

  /** A process to stop and the member it is. */
  record Target(Member member, ProcessHandle process) {}

  /** How a target ended. */
  enum Result {
    /** Exited after SIGTERM within the grace period. */
    STOPPED,
    /** Still ran after the grace period; SIGKILL ended it. */
    KILLED,
    /** Still ran even after SIGKILL (or could not be signalled). */
    STILL_RUNNING
  }

  record Outcome(Target target, Result result, Duration took) {}

  static List<Outcome> stop(List<Target> targets, Duration grace) throws InterruptedException {
    long start = System.nanoTime();
    for (Target t : targets) {
      t.process().destroy();
    }
    List<Outcome> out = new ArrayList<>();
    List<Target> left = waitForExit(targets, start + grace.toNanos(), start, Result.STOPPED, out);
    if (!left.isEmpty()) {
      for (Target t : left) {
        t.process().destroyForcibly();
      }
      left = waitForExit(left, System.nanoTime() + KILL_WAIT.toNanos(), start, Result.KILLED, out);
      for (Target t : left) {
        out.add(new Outcome(t, Result.STILL_RUNNING, since(start)));
      }
    }
    return out;
  }

  /** Waits until each target exits or the deadline passes; returns those still alive. */
  private static List<Target> waitForExit(
      List<Target> targets, long deadline, long start, Result whenGone, List<Outcome> out)
      throws InterruptedException {
    List<Target> alive = new ArrayList<>(targets);
    while (true) {
      alive.removeIf(
          t -> {
            if (PidFiles.alive(t.process())) {
              return false;
            }
            out.add(new Outcome(t, whenGone, since(start)));
            return true;
          });
      if (alive.isEmpty() || System.nanoTime() - deadline > 0) {
        return alive;
      }
      TimeUnit.MILLISECONDS.sleep(POLL_MS); // polling another process's liveness, not a test
    }
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }
}
