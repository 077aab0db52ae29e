package io.strata.it.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.it.support.StandaloneExtension;
import io.strata.ops.cli.StrataCli;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.TierObject;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.tiering.Tiering;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tiered storage end to end on the standalone default: the local directory DATA_DIR/tier. */
@Tag("integration")
@Timeout(240)
class LocalTierTest {
  @RegisterExtension
  static final StandaloneExtension strata =
      StandaloneExtension.withBookies(1)
          .broker("strata.tier.offload.interval.ms", "100")
          .broker("strata.tier.offload.retry.backoff.ms", "200")
          // No tail cache: every read of history must come from the tier, not broker memory.
          .broker("strata.cache.tail.bytes", "0");

  private final TieredStorageScenario scenario = new TieredStorageScenario(strata);

  private static List<TierObject> tierObjects(String logName) throws Exception {
    BookKeeperLogStore store = (BookKeeperLogStore) strata.standalone().broker().logStore();
    Tiering tier = (Tiering) store.tier();
    assertThat(tier.store().describe()).contains("/tier");
    return tier.store().list(logName + "/").get(30, TimeUnit.SECONDS);
  }

  @Test
  void produceOffloadDropBookieCopyConsumeFromZeroAndByTimestamp() throws Exception {
    scenario.run("local-tier");
  }

  @Test
  void offloadVerbEnablesAndWaitsThenRetentionRemovesTheTierObjects() throws Exception {
    String topic = "local-retention";
    strata
        .admin()
        .createTopics(
            List.of(
                new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("segment.bytes", String.valueOf(1024 * 1024)))))
        .all()
        .get(30, TimeUnit.SECONDS);
    scenario.produce(topic, 0, 2500, 11);
    PartitionLog log = scenario.log(topic);
    log.roll().get(30, TimeUnit.SECONDS);

    StringWriter out = new StringWriter();
    int rc =
        StrataCli.run(
            new PrintWriter(out),
            new PrintWriter(new StringWriter()),
            "tier",
            "offload",
            "--topic",
            topic,
            "--wait",
            "--timeout",
            "90s",
            "--bootstrap-server",
            strata.bootstrap());
    assertThat(rc).as(out.toString()).isZero();
    assertThat(out.toString())
        .contains("Set remote.storage.enable=true")
        .contains("Every sealed segment of " + topic + " is offloaded.");
    assertThat(tierObjects(log.name())).hasSizeGreaterThanOrEqualTo(4);

    // Records are from 2023: retention.ms of a day removes every sealed segment, tier copy too.
    strata
        .admin()
        .incrementalAlterConfigs(
            Map.of(
                new ConfigResource(ConfigResource.Type.TOPIC, topic),
                List.of(
                    new AlterConfigOp(
                        new ConfigEntry("retention.ms", "86400000"), AlterConfigOp.OpType.SET))))
        .all()
        .get(30, TimeUnit.SECONDS);
    Awaitility.await()
        .atMost(TieredStorageScenario.WAIT)
        .until(() -> log.config().retentionMs() == 86_400_000L);
    log.applyRetention().get(30, TimeUnit.SECONDS);
    assertThat(log.logStartOffset()).isEqualTo(2500);
    Awaitility.await()
        .atMost(TieredStorageScenario.WAIT)
        .untilAsserted(() -> assertThat(tierObjects(log.name())).isEmpty());
  }
}
