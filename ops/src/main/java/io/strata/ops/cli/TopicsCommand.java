package io.strata.ops.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code strata topics create|list|describe|delete|alter}, over the Kafka Admin API. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Create, list, describe, alter and delete topics.",
    subcommands = {
      TopicsCommand.Create.class,
      TopicsCommand.ListTopics.class,
      TopicsCommand.Describe.class,
      TopicsCommand.Delete.class,
      TopicsCommand.Alter.class
    })
final class TopicsCommand {

  /** Parses {@code key=value} pairs given to --config / --add-config. */
  static Map<String, String> parseConfigs(CommandSpec spec, List<String> pairs) {
    Map<String, String> out = new HashMap<>();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new ParameterException(
            spec.commandLine(), "'" + pair + "' is not KEY=VALUE, e.g. retention.ms=86400000");
      }
      out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return out;
  }

  abstract static class AdminVerb implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @Spec CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
      try (Admin client = admin.connect()) {
        return run(client, spec.commandLine().getOut());
      }
    }

    abstract int run(Admin client, PrintWriter out) throws Exception;

    long timeoutMs() {
      return admin.timeout.toMillis();
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
  static final class Create extends AdminVerb {
    @Option(names = "--topic", required = true, description = "Topic name.")
    String topic;

    @Option(
        names = "--partitions",
        description = "Number of partitions (default: the broker's num.partitions).")
    Integer partitions;

    @Option(
        names = "--replication-factor",
        description =
            "Bookies that store each write (BookKeeper write quorum; default: the broker's"
                + " default.replication.factor).")
    Short replicationFactor;

    @Option(
        names = "--config",
        paramLabel = "KEY=VALUE",
        description = "A topic config override; repeat for several.")
    List<String> configs = new ArrayList<>();

    @Option(names = "--validate-only", description = "Check the request without creating.")
    boolean validateOnly;

    @Option(names = "--if-not-exists", description = "Succeed if the topic already exists.")
    boolean ifNotExists;

    @Override
    int run(Admin client, PrintWriter out) throws Exception {
      NewTopic nt =
          new NewTopic(
                  topic, Optional.ofNullable(partitions), Optional.ofNullable(replicationFactor))
              .configs(parseConfigs(spec, configs));
      try {
        client
            .createTopics(List.of(nt), new CreateTopicsOptions().validateOnly(validateOnly))
            .all()
            .get(timeoutMs(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (ifNotExists
            && e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
          out.println("Topic " + topic + " already exists.");
          return 0;
        }
        throw e;
      }
      out.println(
          (validateOnly
              ? "Topic " + topic + " would be created."
              : "Created topic " + topic + "."));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List topic names.")
  static final class ListTopics extends AdminVerb {
    @Option(names = "--internal", description = "Include internal topics.")
    boolean internal;

    @Override
    int run(Admin client, PrintWriter out) throws Exception {
      Collection<TopicListing> listings =
          client
              .listTopics(
                  new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(internal))
              .listings()
              .get(timeoutMs(), TimeUnit.MILLISECONDS);
      listings.stream().map(TopicListing::name).sorted().forEach(out::println);
      return 0;
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Describe topics: id, partitions, owners and config overrides.")
  static final class Describe extends AdminVerb {
    @Option(names = "--topic", description = "Topic to describe (default: all).")
    List<String> topics = new ArrayList<>();

    @Override
    int run(Admin client, PrintWriter out) throws Exception {
      List<String> names = topics;
      if (names.isEmpty()) {
        names =
            client.listTopics().names().get(timeoutMs(), TimeUnit.MILLISECONDS).stream()
                .sorted()
                .toList();
      }
      if (names.isEmpty()) {
        return 0;
      }
      Map<String, TopicDescription> descriptions =
          client.describeTopics(names).allTopicNames().get(timeoutMs(), TimeUnit.MILLISECONDS);
      List<ConfigResource> resources =
          names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
      Map<ConfigResource, Config> configs =
          client.describeConfigs(resources).all().get(timeoutMs(), TimeUnit.MILLISECONDS);
      for (String name : names) {
        TopicDescription d = descriptions.get(name);
        Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
        String overrides =
            c.entries().stream()
                .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                .map(e -> e.name() + "=" + e.value())
                .sorted()
                .collect(Collectors.joining(","));
        out.printf(
            "Topic: %s\tTopicId: %s\tPartitionCount: %d\tConfigs: %s%n",
            name, d.topicId(), d.partitions().size(), overrides);
        for (TopicPartitionInfo p : d.partitions()) {
          out.printf(
              "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s%n",
              name, p.partition(), nodeId(p.leader()), ids(p.replicas()), ids(p.isr()));
        }
      }
      return 0;
    }

    private static String nodeId(Node n) {
      return n == null || n.isEmpty() ? "none" : String.valueOf(n.id());
    }

    private static String ids(List<Node> nodes) {
      return nodes.stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(","));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete topics.")
  static final class Delete extends AdminVerb {
    @Option(names = "--topic", required = true, description = "Topic to delete; repeatable.")
    List<String> topics;

    @Override
    int run(Admin client, PrintWriter out) throws Exception {
      client.deleteTopics(topics).all().get(timeoutMs(), TimeUnit.MILLISECONDS);
      topics.forEach(t -> out.println("Deleted topic " + t + "."));
      return 0;
    }
  }

  @Command(
      name = "alter",
      mixinStandardHelpOptions = true,
      description = "Add partitions or change config overrides of a topic.")
  static final class Alter extends AdminVerb {
    @Option(names = "--topic", required = true, description = "Topic to alter.")
    String topic;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Changes changes;

    static final class Changes {
      @Option(names = "--partitions", description = "New total number of partitions.")
      Integer partitions;

      @Option(
          names = "--add-config",
          paramLabel = "KEY=VALUE",
          description = "Set a config override; repeatable.")
      List<String> addConfigs = new ArrayList<>();

      @Option(
          names = "--delete-config",
          paramLabel = "KEY",
          description = "Remove a config override; repeatable.")
      List<String> deleteConfigs = new ArrayList<>();
    }

    @Override
    int run(Admin client, PrintWriter out) throws Exception {
      if (changes.partitions != null) {
        client
            .createPartitions(Map.of(topic, NewPartitions.increaseTo(changes.partitions)))
            .all()
            .get(timeoutMs(), TimeUnit.MILLISECONDS);
        out.println("Topic " + topic + " now has " + changes.partitions + " partitions.");
      }
      Map<String, String> set = parseConfigs(spec, changes.addConfigs);
      if (!set.isEmpty() || !changes.deleteConfigs.isEmpty()) {
        List<AlterConfigOp> ops = new ArrayList<>();
        new TreeMap<>(set)
            .forEach(
                (k, v) ->
                    ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        changes.deleteConfigs.forEach(
            k -> ops.add(new AlterConfigOp(new ConfigEntry(k, ""), AlterConfigOp.OpType.DELETE)));
        client
            .incrementalAlterConfigs(
                Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops))
            .all()
            .get(timeoutMs(), TimeUnit.MILLISECONDS);
        out.println("Updated configs of topic " + topic + ".");
      }
      return 0;
    }
  }
}
