package io.strata.it.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.it.support.StandaloneExtension;
import io.strata.it.tier.TieredStorageScenario.Sent;
import io.strata.tiering.testing.S3Server;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tiered storage end to end on a real S3 API (s3proxy), outage included. */
@Tag("integration")
@Timeout(300)
class S3TierTest {
  static final S3Server s3 = start();

  @RegisterExtension
  static final StandaloneExtension strata =
      TieredStorageScenario.withTier(
          s3.tierUri("strata", "cluster-1"),
          Map.of(
              "strata.tier.s3.access.key.id", S3Server.ACCESS_KEY,
              "strata.tier.s3.secret.access.key", S3Server.SECRET_KEY,
              "strata.tier.read.timeout.ms", "3000"));

  private final TieredStorageScenario scenario = new TieredStorageScenario(strata);

  private static S3Server start() {
    try {
      return S3Server.start("strata");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }

  @Test
  void produceOffloadDropBookieCopyConsumeFromZeroAndByTimestamp() throws Exception {
    scenario.run("s3-tier");
  }

  @Test
  void duringAnOutageHistoryReadsRetryWhileTheTailFlowsThenCatchUpCompletes() throws Exception {
    String topic = "s3-outage";
    scenario.createTopic(topic);
    List<Sent> history = scenario.produce(topic, 0, 1500, 21);
    scenario.offloadEverything(topic);
    s3.stop();
    try (KafkaConsumer<byte[], byte[]> catchUp = scenario.consumer();
        KafkaConsumer<byte[], byte[]> tail = scenario.consumer()) {
      TopicPartition tp = new TopicPartition(topic, 0);
      catchUp.assign(List.of(tp));
      catchUp.seek(tp, 0);
      // History lives only in the (unreachable) tier: fetches fail retriably, nothing arrives.
      long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
      while (System.nanoTime() < until) {
        assertThat(catchUp.poll(Duration.ofMillis(200))).isEmpty();
      }
      // The tail keeps flowing: produce and consume new records from the bookies.
      List<Sent> fresh = scenario.produce(topic, 1500, 200, 22);
      TieredStorageScenario.assertSame(scenario.consume(tail, topic, 1500, 200), fresh, 1500);

      s3.start();
      List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
      long deadline = System.nanoTime() + TieredStorageScenario.WAIT.toNanos();
      while (got.size() < 1700 && System.nanoTime() < deadline) {
        catchUp.poll(Duration.ofMillis(200)).forEach(got::add);
      }
      List<Sent> all = new ArrayList<>(history);
      all.addAll(fresh);
      TieredStorageScenario.assertSame(got, all, 0);
    } finally {
      s3.start();
    }
  }
}
