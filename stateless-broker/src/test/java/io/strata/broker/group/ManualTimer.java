package io.strata.broker.group;

import java.util.HashMap;
import java.util.Map;

/** A {@link ShardTimer} driven by a {@link FakeTime}: {@link #advance} runs what falls due. */
final class ManualTimer implements ShardTimer {
  private record Task(long deadline, long seq, Runnable task) {}

  final FakeTime time;
  private final Map<String, Task> tasks = new HashMap<>();
  private long seq;

  ManualTimer(FakeTime time) {
    this.time = time;
  }

  @Override
  public void schedule(String key, long delayMs, Runnable task) {
    tasks.put(key, new Task(time.milliseconds() + delayMs, seq++, task));
  }

  @Override
  public void cancel(String key) {
    tasks.remove(key);
  }

  @Override
  public void cancelAll() {
    tasks.clear();
  }

  boolean isScheduled(String key) {
    return tasks.containsKey(key);
  }

  /** Moves the clock forward by {@code ms}, running due tasks in deadline order at their time. */
  void advance(long ms) {
    long end = time.milliseconds() + ms;
    while (true) {
      Map.Entry<String, Task> next = null;
      for (Map.Entry<String, Task> e : tasks.entrySet()) {
        Task t = e.getValue();
        if (t.deadline() <= end
            && (next == null
                || t.deadline() < next.getValue().deadline()
                || (t.deadline() == next.getValue().deadline()
                    && t.seq() < next.getValue().seq()))) {
          next = e;
        }
      }
      if (next == null) {
        break;
      }
      tasks.remove(next.getKey());
      long at = next.getValue().deadline();
      if (at > time.milliseconds()) {
        time.sleep(at - time.milliseconds());
      }
      next.getValue().task().run();
    }
    if (end > time.milliseconds()) {
      time.sleep(end - time.milliseconds());
    }
  }
}
