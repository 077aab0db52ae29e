package io.strata.ops.cli;

import io.strata.tiering.TierStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code strata tier status|offload}: where partitions keep their data (bookies, tier) and the
 * offload lag.
 *
 * <p>Mechanism: the Kafka Admin API has no call for tier state, so the broker reports it as
 * read-only topic config entries {@code strata.tier.status.<partition>} in DescribeConfigs (one per
 * partition the answering broker serves; see {@link TierStatus}); both verbs read those through
 * {@code --bootstrap-server}, like every admin verb. {@code offload} sets {@code
 * remote.storage.enable=true} with IncrementalAlterConfigs if the topic does not have it (that is
 * what starts offloading; the broker's offloader then picks every sealed segment within {@code
 * strata.tier.offload.interval.ms}) and, with {@code --wait}, polls the status until no sealed
 * segment is pending. The open segment is offloaded once it rolls ({@code segment.bytes}, {@code
 * segment.ms}), as in Kafka.
 */
@Command(
    name = "tier",
    mixinStandardHelpOptions = true,
    description = "Tiered storage: where partitions keep their data, and offload.",
    subcommands = {TierCommand.Status.class, TierCommand.Offload.class})
final class TierCommand {

  /**
   * An Admin verb (connection and timeout from {@link TopicsCommand.AdminVerb}) with tier status.
   */
  abstract static class TierVerb extends TopicsCommand.AdminVerb {

    /** Each topic's configs, and its partitions' status, by topic then partition. */
    Map<String, Map<Integer, TierStatus>> status(Admin client, List<String> topics)
        throws Exception {
      List<ConfigResource> res =
          topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
      Map<ConfigResource, Config> configs =
          client.describeConfigs(res).all().get(timeoutMs(), TimeUnit.MILLISECONDS);
      Map<String, Map<Integer, TierStatus>> out = new TreeMap<>();
      for (String t : topics) {
        Map<Integer, TierStatus> parts = new TreeMap<>();
        for (ConfigEntry e :
            configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t)).entries()) {
          if (e.name().startsWith(TierStatus.CONFIG_PREFIX)) {
            parts.put(
                Integer.parseInt(e.name().substring(TierStatus.CONFIG_PREFIX.length())),
                TierStatus.parse(e.value()));
          }
        }
        out.put(t, parts);
      }
      return out;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "Per partition: sealed segments and bytes on the bookies only, on both, in the tier"
              + " only; offload lag (sealed segments and bytes not offloaded yet); offsets.")
  static final class Status extends TierVerb {
    @Option(names = "--topic", description = "Topic (default: all); repeatable.")
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
      out.printf(
          "%-24s %5s  %-18s %-18s %-18s %-18s %s%n",
          "TOPIC",
          "PART",
          "BOOKIES ONLY",
          "BOOKIES+TIER",
          "TIER ONLY",
          "LAG (PENDING)",
          "OFFSETS start/local/tiered-end/sealed-end");
      for (var t : status(client, names).entrySet()) {
        for (var p : t.getValue().entrySet()) {
          TierStatus s = p.getValue();
          out.printf(
              "%-24s %5d  %-18s %-18s %-18s %-18s %d/%d/%d/%d%n",
              t.getKey(),
              p.getKey(),
              segs(s.localSegments(), s.localBytes()),
              segs(s.bothSegments(), s.bothBytes()),
              segs(s.tierSegments(), s.tierBytes()),
              segs(s.pendingSegments(), s.pendingBytes()),
              s.logStartOffset(),
              s.localStartOffset(),
              s.tieredEndOffset(),
              s.sealedEndOffset());
        }
      }
      return 0;
    }
  }

  static String segs(long segments, long bytes) {
    return segments + " seg " + human(bytes);
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format("%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    }
    return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }

  @Command(
      name = "offload",
      mixinStandardHelpOptions = true,
      description =
          "Offload a topic's sealed segments now: sets remote.storage.enable=true if needed;"
              + " with --wait, shows progress until none is pending.")
  static final class Offload extends TierVerb {
    @Option(names = "--topic", required = true, description = "Topic to offload.")
    String topic;

    @Option(names = "--wait", description = "Wait (up to --timeout) until nothing is pending.")
    boolean await;

    @Override
    int run(Admin client, PrintWriter out) throws Exception {
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config =
          client
              .describeConfigs(List.of(res))
              .all()
              .get(timeoutMs(), TimeUnit.MILLISECONDS)
              .get(res);
      ConfigEntry enabled = config.get(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG);
      if (enabled == null || !Boolean.parseBoolean(enabled.value())) {
        client
            .incrementalAlterConfigs(
                Map.of(
                    res,
                    List.of(
                        new AlterConfigOp(
                            new ConfigEntry(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true"),
                            AlterConfigOp.OpType.SET))))
            .all()
            .get(timeoutMs(), TimeUnit.MILLISECONDS);
        out.println("Set remote.storage.enable=true on topic " + topic + ".");
      }
      if (!await) {
        out.println(
            "Offloading the sealed segments of "
                + topic
                + " in the background; see `strata tier status`.");
        return 0;
      }
      long deadline = System.currentTimeMillis() + timeoutMs();
      long startPending = -1;
      while (true) {
        Map<Integer, TierStatus> parts = status(client, List.of(topic)).get(topic);
        long pending = 0;
        long pendingBytes = 0;
        long tiered = 0;
        for (TierStatus s : parts.values()) {
          pending += s.pendingSegments();
          pendingBytes += s.pendingBytes();
          tiered += s.bothBytes() + s.tierBytes();
        }
        if (startPending < 0) {
          startPending = pendingBytes;
        }
        out.printf(
            "%s: %d segments (%s) pending, %s in the tier%n",
            topic, pending, human(pendingBytes), human(tiered));
        out.flush();
        if (pending == 0 && !parts.isEmpty()) {
          out.println("Every sealed segment of " + topic + " is offloaded.");
          return 0;
        }
        if (System.currentTimeMillis() > deadline) {
          out.println("Still pending after --timeout; offload continues in the background.");
          return StrataCli.EXIT_FAILURE;
        }
        Thread.sleep(1000);
      }
    }
  }
}
