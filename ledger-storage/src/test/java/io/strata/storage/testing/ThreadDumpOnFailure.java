package io.strata.storage.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Prints every thread's stack to stderr (which surefire keeps in the test's output file) when a
 * test fails, then lets the failure through. A storage test that fails by waiting too long, for an
 * append or a segment switch, is only diagnosable from what the threads were doing at that moment;
 * a rerun rarely reproduces it.
 *
 * <p>Registered for every test class of this module, and of the modules that use its test jar (the
 * in-process cluster harness), through {@code META-INF/services} and {@code
 * junit-platform.properties}.
 */
public final class ThreadDumpOnFailure implements TestExecutionExceptionHandler {

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    StringBuilder out = new StringBuilder();
    out.append("==== thread dump at the failure of ")
        .append(context.getDisplayName())
        .append(" (")
        .append(failure)
        .append(")\n");
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      out.append(format(t));
    }
    out.append("==== end of thread dump\n");
    System.err.print(out);
    throw failure;
  }

  /** Like {@link ThreadInfo#toString()}, which cuts stacks at eight frames, but with all frames. */
  private static String format(ThreadInfo t) {
    StringBuilder sb = new StringBuilder();
    sb.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
    if (t.getLockName() != null) {
      sb.append(" on ").append(t.getLockName());
    }
    if (t.getLockOwnerName() != null) {
      sb.append(" owned by \"").append(t.getLockOwnerName()).append('"');
    }
    sb.append('\n');
    for (StackTraceElement e : t.getStackTrace()) {
      sb.append("\tat ").append(e).append('\n');
    }
    for (var m : t.getLockedMonitors()) {
      sb.append("\t- locked ").append(m).append(" at frame ").append(m.getLockedStackDepth());
      sb.append('\n');
    }
    for (var s : t.getLockedSynchronizers()) {
      sb.append("\t- holds ").append(s).append('\n');
    }
    sb.append('\n');
    return sb.toString();
  }
}
