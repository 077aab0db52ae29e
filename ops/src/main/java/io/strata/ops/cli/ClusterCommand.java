package io.strata.ops.cli;

import java.io.PrintWriter;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code strata cluster status}: brokers, who owns which partitions, balance, moves. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Inspect a running cluster.",
    subcommands = {ClusterCommand.Status.class})
final class ClusterCommand {

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "Brokers, the controller, partitions owned per broker (the balance) and partition"
              + " moves in progress.")
  static final class Status implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      long timeout = admin.timeout.toMillis();
      try (Admin client = admin.connect()) {
        DescribeClusterResult cluster = client.describeCluster();
        Collection<Node> nodes = cluster.nodes().get(timeout, TimeUnit.MILLISECONDS);
        String clusterId = cluster.clusterId().get(timeout, TimeUnit.MILLISECONDS);
        Set<String> names =
            client
                .listTopics(new ListTopicsOptions().listInternal(true))
                .names()
                .get(timeout, TimeUnit.MILLISECONDS);
        Map<String, TopicDescription> topics =
            names.isEmpty()
                ? Map.of()
                : client.describeTopics(names).allTopicNames().get(timeout, TimeUnit.MILLISECONDS);
        Map<TopicPartition, PartitionReassignment> moves =
            client.listPartitionReassignments().reassignments().get(timeout, TimeUnit.MILLISECONDS);

        Map<Integer, Map<String, List<Integer>>> owned = new TreeMap<>();
        nodes.forEach(n -> owned.put(n.id(), new TreeMap<>()));
        int unowned = 0;
        int total = 0;
        for (TopicDescription d : topics.values()) {
          for (TopicPartitionInfo p : d.partitions()) {
            total++;
            if (p.leader() == null || p.leader().isEmpty()) {
              unowned++;
              continue;
            }
            owned
                .computeIfAbsent(p.leader().id(), k -> new TreeMap<>())
                .computeIfAbsent(d.name(), k -> new java.util.ArrayList<>())
                .add(p.partition());
          }
        }
        out.printf(
            "Cluster %s: %d broker(s), %d topic(s), %d partition(s)%n",
            clusterId, nodes.size(), topics.size(), total);
        out.printf("%-8s %-22s %10s  %s%n", "BROKER", "ADDRESS", "PARTITIONS", "OWNS");
        Map<Integer, Node> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        int max = 0;
        int min = Integer.MAX_VALUE;
        for (Map.Entry<Integer, Map<String, List<Integer>>> e : owned.entrySet()) {
          int count = e.getValue().values().stream().mapToInt(List::size).sum();
          max = Math.max(max, count);
          min = Math.min(min, count);
          Node n = byId.get(e.getKey());
          String owns =
              e.getValue().entrySet().stream()
                  .map(t -> t.getKey() + t.getValue())
                  .collect(Collectors.joining(" "));
          out.printf(
              "%-8d %-22s %10d  %s%n",
              e.getKey(), n == null ? "(gone)" : n.host() + ":" + n.port(), count, owns);
        }
        out.printf(
            "Balance: %d to %d partitions per broker%s%n",
            min == Integer.MAX_VALUE ? 0 : min,
            max,
            unowned > 0 ? "; " + unowned + " partition(s) without a live owner" : "");
        if (moves.isEmpty()) {
          out.println("Moves in progress: none");
        } else {
          out.println("Moves in progress:");
          moves.forEach(
              (tp, r) ->
                  out.printf("  %s: %s -> %s%n", tp, r.removingReplicas(), r.addingReplicas()));
        }
        return unowned > 0 ? StrataCli.EXIT_FAILURE : 0;
      }
    }
  }
}
