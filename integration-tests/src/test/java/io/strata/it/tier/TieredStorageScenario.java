package io.strata.it.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.partition.Partition;
import io.strata.it.support.StandaloneExtension;
import io.strata.ops.cli.StrataCli;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.SegmentState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;

/**
 * The end-to-end tiering scenario every tier store runs: produce through kafka-clients, offload,
 * delete the bookie copy, then consume from offset 0 and by timestamp, byte for byte.
 */
final class TieredStorageScenario {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final int RECORDS = 3000;
  static final long T0 = 1_700_000_000_000L;

  private final StandaloneExtension strata;

  TieredStorageScenario(StandaloneExtension strata) {
    this.strata = strata;
  }

  /** Broker settings for fast offload checks in tests. */
  static StandaloneExtension withTier(String uri, Map<String, String> extra) {
    StandaloneExtension s =
        StandaloneExtension.withBookies(1)
            .broker("strata.tier.uri", uri)
            .broker("strata.tier.offload.interval.ms", "100")
            .broker("strata.tier.offload.retry.backoff.ms", "200")
            .broker("strata.tier.read.timeout.ms", "5000")
            // No tail cache: every read of history must come from the tier, not broker memory.
            .broker("strata.cache.tail.bytes", "0");
    extra.forEach(s::broker);
    return s;
  }

  record Sent(byte[] key, byte[] value, long timestamp) {}

  void createTopic(String topic) throws Exception {
    Admin admin = strata.admin();
    admin
        .createTopics(
            List.of(
                new NewTopic(topic, 1, (short) 1)
                    .configs(
                        Map.of(
                            "remote.storage.enable", "true",
                            "local.retention.ms", "0",
                            "segment.bytes", String.valueOf(1024 * 1024),
                            "retention.ms", "-1"))))
        .all()
        .get(30, TimeUnit.SECONDS);
  }

  KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, strata.bootstrap());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    return new KafkaProducer<>(p);
  }

  KafkaConsumer<byte[], byte[]> consumer() {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, strata.bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 256 * 1024);
    return new KafkaConsumer<>(p);
  }

  /** Produces {@code n} records of ~1 KiB with timestamps T0 + first + i. */
  List<Sent> produce(String topic, int first, int n, long seed) throws Exception {
    List<Sent> sent = new ArrayList<>();
    Random r = new Random(seed);
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = first; i < first + n; i++) {
        byte[] value = new byte[1000 + r.nextInt(100)];
        r.nextBytes(value);
        Sent s = new Sent(("k" + i).getBytes(), value, T0 + i);
        sent.add(s);
        producer.send(new ProducerRecord<>(topic, 0, s.timestamp(), s.key(), s.value()));
      }
      producer.flush();
    }
    return sent;
  }

  PartitionLog log(String topic) {
    Partition p =
        strata.standalone().broker().partitions().get(new TopicPartition(topic, 0)).orElseThrow();
    return p.log();
  }

  /** Seals the open segment, waits for every sealed segment's offload, drops the bookie copies. */
  void offloadEverything(String topic) throws Exception {
    PartitionLog log = log(topic);
    log.roll().get(30, TimeUnit.SECONDS);
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                log.metadata().segments().stream()
                    .filter(SegmentMetadata::isSealed)
                    .allMatch(SegmentMetadata::isOffloaded));
    log.applyRetention().get(30, TimeUnit.SECONDS);
    assertThat(log.metadata().segments().stream().filter(SegmentMetadata::isSealed))
        .isNotEmpty()
        .allMatch(s -> s.state() == SegmentState.TIERED);
  }

  /** Consumes from {@code from} until {@code expected} records, with a deadline. */
  List<ConsumerRecord<byte[], byte[]>> consume(
      KafkaConsumer<byte[], byte[]> consumer, String topic, long from, int expected) {
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seek(tp, from);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (out.size() < expected && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out.size() > expected ? out.subList(0, expected) : out;
  }

  static void assertSame(List<ConsumerRecord<byte[], byte[]>> got, List<Sent> want, long from) {
    assertThat(got).hasSize(want.size());
    for (int i = 0; i < want.size(); i++) {
      ConsumerRecord<byte[], byte[]> r = got.get(i);
      assertThat(r.offset()).isEqualTo(from + i);
      assertThat(r.key()).isEqualTo(want.get(i).key());
      assertThat(r.value()).isEqualTo(want.get(i).value());
      assertThat(r.timestamp()).isEqualTo(want.get(i).timestamp());
    }
  }

  /** The whole scenario on a fresh topic. */
  void run(String topic) throws Exception {
    createTopic(topic);
    List<Sent> sent = produce(topic, 0, RECORDS, 7);
    offloadEverything(topic);
    TopicPartition tp = new TopicPartition(topic, 0);
    Admin admin = strata.admin();
    long hw = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
    assertThat(hw).isEqualTo(RECORDS);
    assertThat(
            admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal())).all().get().get(tp).offset())
        .isEqualTo(RECORDS);
    assertThat(
            admin.listOffsets(Map.of(tp, OffsetSpec.latestTiered())).all().get().get(tp).offset())
        .isEqualTo(RECORDS - 1);

    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      assertSame(consume(consumer, topic, 0, RECORDS), sent, 0);
      // By timestamp: ListOffsets reaches the tier, and so does the fetch from there.
      OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(tp, T0 + 1234)).get(tp);
      assertThat(at.offset()).isEqualTo(1234);
      assertThat(at.timestamp()).isEqualTo(T0 + 1234);
      assertSame(consume(consumer, topic, at.offset(), 100), sent.subList(1234, 1334), 1234);
    }

    StringWriter out = new StringWriter();
    int rc =
        StrataCli.run(
            new PrintWriter(out),
            new PrintWriter(new StringWriter()),
            "tier",
            "status",
            "--topic",
            topic,
            "--bootstrap-server",
            strata.bootstrap());
    assertThat(rc).isZero();
    assertThat(out.toString()).contains(topic).contains("0 seg 0 B").contains("/" + RECORDS + "/");
  }
}
