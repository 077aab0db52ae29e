package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.it.support.RawKafkaClient;
import io.strata.it.support.StandaloneProcess;
import io.strata.it.support.TempDirs;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Idempotent-producer state is rebuilt when a partition is loaded: after a restart (graceful, from
 * the snapshot; or kill -9, by replaying the log) a retried batch is answered with its original
 * offsets and stored once, and sequence gaps and stale epochs get Kafka's errors.
 */
@Tag("integration")
@Timeout(240)
class IdempotenceAcrossRestartTest {
  private static final String TOPIC = "idem";
  private Path dir;
  private StandaloneProcess running;

  @AfterEach
  void cleanUp() throws Exception {
    if (running != null) {
      running.close();
    }
    TempDirs.deleteRecursively(dir);
  }

  private static ByteBuffer batch(long pid, short epoch, int firstSeq, int count) {
    return RawKafkaClient.idempotentBatch(pid, epoch, firstSeq, count);
  }

  private static ProduceResponseData.PartitionProduceResponse produce(
      RawKafkaClient client, ByteBuffer records) throws Exception {
    return client.produce(TOPIC, 0, records);
  }

  private static long endOffset(String bootstrap) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      TopicPartition tp = new TopicPartition(TOPIC, 0);
      return admin
          .listOffsets(java.util.Map.of(tp, OffsetSpec.latest()))
          .partitionResult(tp)
          .get(30, TimeUnit.SECONDS)
          .offset();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"graceful restart", "kill -9"})
  void retriedBatchIsADuplicateAfterARestart(String how) throws Exception {
    dir = Files.createTempDirectory("strata-idem-");
    Path data = dir.resolve("data");
    running = StandaloneProcess.start(data, 1, 120_000);
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, running.bootstrap());
    try (Admin admin = Admin.create(p)) {
      admin
          .createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    long pid;
    short epoch;
    try (RawKafkaClient client = new RawKafkaClient(running.bootstrap())) {
      InitProducerIdResponseData init = client.initProducerId();
      pid = init.producerId();
      epoch = init.producerEpoch();
      assertThat(produce(client, batch(pid, epoch, 0, 5)).baseOffset()).isZero();
      assertThat(produce(client, batch(pid, epoch, 5, 5)).baseOffset()).isEqualTo(5);
    }

    if (how.equals("kill -9")) {
      running.kill9();
    } else {
      assertThat(running.stop(java.time.Duration.ofSeconds(60))).isTrue();
    }
    running = StandaloneProcess.start(data, 1, 120_000);

    try (RawKafkaClient client = new RawKafkaClient(running.bootstrap())) {
      ProduceResponseData.PartitionProduceResponse retry = produce(client, batch(pid, epoch, 5, 5));
      assertThat(Errors.forCode(retry.errorCode())).isEqualTo(Errors.NONE);
      assertThat(retry.baseOffset()).as("the original offset of the retried batch").isEqualTo(5);
      assertThat(endOffset(running.bootstrap())).as("stored once").isEqualTo(10);

      ProduceResponseData.PartitionProduceResponse gap = produce(client, batch(pid, epoch, 12, 1));
      assertThat(Errors.forCode(gap.errorCode())).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);

      assertThat(produce(client, batch(pid, epoch, 10, 1)).baseOffset()).isEqualTo(10);

      // A bumped epoch starts again at sequence 0; the old epoch is then fenced.
      short bumped = (short) (epoch + 1);
      assertThat(produce(client, batch(pid, bumped, 0, 1)).baseOffset()).isEqualTo(11);
      ProduceResponseData.PartitionProduceResponse stale =
          produce(client, batch(pid, epoch, 11, 1));
      assertThat(Errors.forCode(stale.errorCode())).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);

      ProduceResponseData.PartitionProduceResponse unknown =
          produce(client, batch(pid + 1_000_000, (short) 0, 0, 1));
      assertThat(Errors.forCode(unknown.errorCode())).isEqualTo(Errors.UNKNOWN_PRODUCER_ID);
      assertThat(endOffset(running.bootstrap())).isEqualTo(12);
    }
  }
}
