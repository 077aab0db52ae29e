package io.strata.broker.cluster;

import io.strata.broker.metadata.AssignmentStore;
import io.strata.broker.metadata.AssignmentStore.LoadReport;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.PartitionManager;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Time;

/**
 * Publishes this broker's measured traffic per partition (bytes/s in and out over the last
 * interval) for the controller's load-based balancing. Runs on the scheduler thread.
 */
public final class LoadReporter implements AutoCloseable {
  private final int brokerId;
  private final PartitionManager partitions;
  private final AssignmentStore assignments;
  private final Time time;
  private final Map<Partition, long[]> last = new HashMap<>();
  private long lastMs;
  private ScheduledFuture<?> task;

  public LoadReporter(
      int brokerId, PartitionManager partitions, AssignmentStore assignments, Time time) {
    this.brokerId = brokerId;
    this.partitions = partitions;
    this.assignments = assignments;
    this.time = time;
  }

  public void start(ScheduledExecutorService scheduler, long intervalMs) {
    lastMs = time.milliseconds();
    task =
        scheduler.scheduleWithFixedDelay(
            this::report, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  void report() {
    long now = time.milliseconds();
    double seconds = Math.max(0.001, (now - lastMs) / 1000.0);
    Map<String, Double> in = new HashMap<>();
    Map<String, Double> out = new HashMap<>();
    Map<Partition, long[]> next = new HashMap<>();
    for (Partition p : partitions.online()) {
      long[] prev = last.getOrDefault(p, new long[] {0, 0});
      long bi = p.bytesIn();
      long bo = p.bytesOut();
      String log = TopicRecord.logName(p.id().topicId(), p.id().partition());
      in.put(log, (bi - prev[0]) / seconds);
      out.put(log, (bo - prev[1]) / seconds);
      next.put(p, new long[] {bi, bo});
    }
    last.clear();
    last.putAll(next);
    lastMs = now;
    assignments.reportLoad(brokerId, new LoadReport(in, out));
  }

  @Override
  public void close() {
    if (task != null) {
      task.cancel(false);
    }
  }
}
