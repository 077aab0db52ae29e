package io.strata.ops.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata partitions move}: hands a partition to another broker; no data is copied. */
@Command(
    name = "partitions",
    mixinStandardHelpOptions = true,
    description = "Move partitions between brokers.",
    subcommands = {PartitionsCommand.Move.class})
final class PartitionsCommand {

  @Command(
      name = "move",
      mixinStandardHelpOptions = true,
      description = {
        "Make BROKER the owner of a partition. The old owner seals the partition's current"
            + " ledger and hands it over; the new one takes over with a higher leader epoch. No"
            + " record is copied, so the move takes as long for an empty partition as for a"
            + " large one.",
        "The partition stays on BROKER (the balancer leaves it) while BROKER lives."
      })
  static final class Move implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @Spec CommandSpec spec;

    @Option(names = "--topic", required = true, description = "Topic of the partition.")
    String topic;

    @Option(names = "--partition", required = true, description = "Partition number.")
    int partition;

    @Option(
        names = "--to",
        required = true,
        paramLabel = "BROKER",
        description = "Target broker id.")
    int to;

    @Option(
        names = "--no-wait",
        description = "Return once the move is requested instead of when the target serves it.")
    boolean noWait;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      long timeout = admin.timeout.toMillis();
      TopicPartition tp = new TopicPartition(topic, partition);
      try (Admin client = admin.connect()) {
        int from = leader(client, timeout);
        if (from == to) {
          out.printf("%s is already owned by broker %d.%n", tp, to);
          return 0;
        }
        long started = System.nanoTime();
        client
            .alterPartitionReassignments(
                Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(to)))))
            .all()
            .get(timeout, TimeUnit.MILLISECONDS);
        if (noWait) {
          out.printf("Requested the move of %s from broker %d to broker %d.%n", tp, from, to);
          return 0;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        while (leader(client, timeout) != to) {
          if (System.nanoTime() > deadline) {
            spec.commandLine()
                .getErr()
                .printf(
                    "strata: %s is not served by broker %d after %s; the move goes on; check"
                        + " 'strata cluster status'.%n",
                    tp, to, Duration.ofMillis(timeout));
            return StrataCli.EXIT_FAILURE;
          }
          Thread.sleep(50); // the CLI polls the cluster's metadata; this is not synchronisation
        }
        out.printf(
            "Moved %s from broker %d to broker %d in %d ms (no data copied).%n",
            tp, from, to, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return 0;
      }
    }

    private int leader(Admin client, long timeout) throws Exception {
      TopicDescription d =
          client
              .describeTopics(Set.of(topic))
              .allTopicNames()
              .get(timeout, TimeUnit.MILLISECONDS)
              .get(topic);
      if (partition < 0 || partition >= d.partitions().size()) {
        throw new IllegalArgumentException(
            "topic " + topic + " has partitions 0.." + (d.partitions().size() - 1));
      }
      TopicPartitionInfo p = d.partitions().get(partition);
      return p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
    }
  }
}
