package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.it.support.Records;
import io.strata.it.support.StandaloneExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stock kafka-clients producers and consumers against a standalone Strata. */
@Tag("integration")
@Timeout(120)
class ProduceFetchTest {

  @RegisterExtension static final StandaloneExtension strata = StandaloneExtension.withBookies(1);

  private static void createTopic(String name, int partitions, Map<String, String> configs)
      throws Exception {
    Admin admin = strata.admin();
    admin
        .createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
        .all()
        .get(30, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "acks={0}")
  @ValueSource(strings = {"all", "1", "0"})
  void everyRecordProducedIsReadBackInOrderWithDenseOffsets(String acks) throws Exception {
    String topic = "dense-acks-" + acks.replace("all", "all");
    createTopic(topic, 3, Map.of());
    KafkaProducer<String, String> producer =
        strata.producer(
            Map.of(
                ProducerConfig.ACKS_CONFIG,
                acks,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                "all".equals(acks),
                ProducerConfig.LINGER_MS_CONFIG,
                5));
    int n = 600;
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ProducerRecord<String, String> rec = new ProducerRecord<>(topic, i % 3, "k" + i, "v" + i);
      rec.headers().add(new RecordHeader("h", ("x" + i).getBytes()));
      sent.add(producer.send(rec));
    }
    producer.flush();
    for (Future<RecordMetadata> f : sent) {
      f.get(30, TimeUnit.SECONDS);
    }

    List<TopicPartition> tps =
        IntStream.range(0, 3).mapToObj(p -> new TopicPartition(topic, p)).toList();
    List<ConsumerRecord<String, String>> got =
        Records.readFromStart(strata.consumer(Map.of()), tps, n, Duration.ofSeconds(60));
    assertThat(got).hasSize(n);
    Map<Integer, List<ConsumerRecord<String, String>>> byPartition = new HashMap<>();
    got.forEach(r -> byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r));
    for (int p = 0; p < 3; p++) {
      List<ConsumerRecord<String, String>> recs = byPartition.get(p);
      assertThat(recs).hasSize(n / 3);
      for (int j = 0; j < recs.size(); j++) {
        ConsumerRecord<String, String> r = recs.get(j);
        int i = j * 3 + p;
        assertThat(r.offset()).isEqualTo(j);
        assertThat(r.key()).isEqualTo("k" + i);
        assertThat(r.value()).isEqualTo("v" + i);
        assertThat(new String(r.headers().lastHeader("h").value())).isEqualTo("x" + i);
      }
    }
    if (!"0".equals(acks)) {
      assertThat(sent.get(n - 1).get().offset()).isEqualTo(n / 3 - 1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void compressedBatchesStayCompressedAndReadBack(String codec) throws Exception {
    String topic = "compressed-" + codec;
    createTopic(topic, 1, Map.of());
    KafkaProducer<String, String> producer =
        strata.producer(
            Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                codec,
                ProducerConfig.LINGER_MS_CONFIG,
                20));
    for (int i = 0; i < 200; i++) {
      producer.send(new ProducerRecord<>(topic, "key", "value-" + i + "-" + "x".repeat(100)));
    }
    producer.flush();
    List<ConsumerRecord<String, String>> got =
        Records.readFromStart(
            strata.consumer(Map.of()),
            List.of(new TopicPartition(topic, 0)),
            200,
            Duration.ofSeconds(30));
    assertThat(got).extracting(ConsumerRecord::value).startsWith("value-0-" + "x".repeat(100));
    assertThat(got).hasSize(200).extracting(ConsumerRecord::offset).doesNotHaveDuplicates();
  }

  @Test
  void longPollWakesOnAppendInsteadOfWaitingOutMaxWait() throws Exception {
    String topic = "long-poll";
    createTopic(topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    // With a 60 s fetch.max.wait, a consumer only sees the record within its 20 s poll if the
    // broker wakes the parked fetch when the record is appended.
    KafkaConsumer<String, String> consumer =
        strata.consumer(
            Map.of(
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                60_000,
                ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                90_000));
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    consumer.position(tp);
    consumer.poll(Duration.ofMillis(100));
    strata.producer(Map.of()).send(new ProducerRecord<>(topic, "wake")).get(30, TimeUnit.SECONDS);
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (got.isEmpty() && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofSeconds(1)).forEach(got::add);
    }
    assertThat(got).extracting(ConsumerRecord::value).containsExactly("wake");
  }

  @Test
  void batchLargerThanMaxMessageBytesIsRejectedAndNothingIsStored() throws Exception {
    String topic = "too-large";
    createTopic(topic, 1, Map.of("max.message.bytes", "2000"));
    KafkaProducer<String, String> producer = strata.producer(Map.of());
    assertThatThrownBy(
            () ->
                producer
                    .send(new ProducerRecord<>(topic, "x".repeat(5000)))
                    .get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(RecordTooLargeException.class);
    producer.send(new ProducerRecord<>(topic, "small")).get(30, TimeUnit.SECONDS);
    Map<TopicPartition, Long> end =
        strata.consumer(Map.of()).endOffsets(List.of(new TopicPartition(topic, 0)));
    assertThat(end.values()).containsExactly(1L);
  }

  @Test
  void logAppendTimeTopicsGetTheBrokersClock() throws Exception {
    String topic = "log-append-time";
    createTopic(topic, 1, Map.of("message.timestamp.type", "LogAppendTime"));
    long before = System.currentTimeMillis();
    RecordMetadata md =
        strata
            .producer(Map.of())
            .send(new ProducerRecord<>(topic, 0, 42L, "k", "v"))
            .get(30, TimeUnit.SECONDS);
    assertThat(md.timestamp()).isGreaterThanOrEqualTo(before);
    ConsumerRecord<String, String> r =
        Records.readFromStart(
                strata.consumer(Map.of()),
                List.of(new TopicPartition(topic, 0)),
                1,
                Duration.ofSeconds(30))
            .get(0);
    assertThat(r.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(r.timestamp()).isEqualTo(md.timestamp());
  }

  @Test
  void listOffsetsByTimestampEarliestLatestAndMaxTimestamp() throws Exception {
    String topic = "offsets-by-time";
    createTopic(topic, 1, Map.of());
    KafkaProducer<String, String> producer =
        strata.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 0));
    long base = System.currentTimeMillis() - 100_000;
    for (int i = 0; i < 10; i++) {
      // Timestamp 5 is the largest; offsets 0..9 otherwise increase by 1 s.
      long ts = i == 5 ? base + 50_000 : base + i * 1000L;
      producer.send(new ProducerRecord<>(topic, 0, ts, "k", "v" + i)).get(30, TimeUnit.SECONDS);
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    KafkaConsumer<String, String> consumer = strata.consumer(Map.of());
    Map<TopicPartition, OffsetAndTimestamp> found =
        consumer.offsetsForTimes(Map.of(tp, base + 2500));
    assertThat(found.get(tp).offset()).isEqualTo(3);
    assertThat(found.get(tp).timestamp()).isEqualTo(base + 3000);
    assertThat(consumer.offsetsForTimes(Map.of(tp, base + 60_000)).get(tp)).isNull();

    Admin admin = strata.admin();
    assertThat(
            admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset())
        .isZero();
    assertThat(
            admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset())
        .isEqualTo(10);
    var max = admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp).get();
    assertThat(max.offset()).isEqualTo(5);
    assertThat(max.timestamp()).isEqualTo(base + 50_000);
  }

  @Test
  void deleteRecordsAdvancesTheLogStartAndConsumersResetPastIt() throws Exception {
    String topic = "delete-records";
    createTopic(topic, 1, Map.of());
    KafkaProducer<String, String> producer = strata.producer(Map.of());
    for (int i = 0; i < 20; i++) {
      producer.send(new ProducerRecord<>(topic, "v" + i)).get(30, TimeUnit.SECONDS);
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    Admin admin = strata.admin();
    long low =
        admin
            .deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(12)))
            .lowWatermarks()
            .get(tp)
            .get(30, TimeUnit.SECONDS)
            .lowWatermark();
    assertThat(low).isEqualTo(12);
    assertThat(
            admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset())
        .isEqualTo(12);
    List<ConsumerRecord<String, String>> got =
        Records.readFromStart(strata.consumer(Map.of()), List.of(tp), 8, Duration.ofSeconds(30));
    assertThat(got)
        .extracting(ConsumerRecord::offset)
        .containsExactly(12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
  }

  @Test
  void idempotentProducerIsDescribedWithItsLastSequence() throws Exception {
    String topic = "producers";
    createTopic(topic, 1, Map.of());
    KafkaProducer<String, String> producer =
        strata.producer(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true));
    for (int i = 0; i < 5; i++) {
      producer.send(new ProducerRecord<>(topic, "v" + i)).get(30, TimeUnit.SECONDS);
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    List<ProducerState> states =
        strata
            .admin()
            .describeProducers(List.of(tp))
            .partitionResult(tp)
            .get(30, TimeUnit.SECONDS)
            .activeProducers();
    assertThat(states).hasSize(1);
    assertThat(states.get(0).lastSequence()).isEqualTo(4);
    assertThat(states.get(0).producerId()).isNotNegative();
  }

  @Test
  void autoCreatedTopicsUseBrokerDefaults() throws Exception {
    String topic = "auto-created";
    strata.producer(Map.of()).send(new ProducerRecord<>(topic, "hello")).get(30, TimeUnit.SECONDS);
    var d = strata.admin().describeTopics(Set.of(topic)).allTopicNames().get().get(topic);
    assertThat(d.partitions()).hasSize(1);
    assertThat(d.topicId()).isNotNull();
    assertThat(d.partitions().get(0).leader().id())
        .isEqualTo(strata.standalone().broker().brokerId());
  }
}
