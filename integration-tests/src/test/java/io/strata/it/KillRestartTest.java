package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.it.support.Records;
import io.strata.it.support.StandaloneProcess;
import io.strata.it.support.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of the standalone JVM (broker, bookies and ZooKeeper all at once, like a power cut of the
 * host) while a producer writes with acks=all: after a restart on the same data dir, every
 * acknowledged record is there, once, at the offset it was acknowledged with, and offsets are
 * dense.
 */
@Tag("integration")
@Tag("slow")
@Timeout(300)
class KillRestartTest {
  private static final String TOPIC = "durable";
  private static final int PARTITIONS = 2;

  private Path dir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    TempDirs.deleteRecursively(dir);
  }

  /** One acknowledged record. */
  record Acked(int partition, long offset, String value) {}

  @Test
  void everyAcknowledgedRecordSurvivesKillMinus9() throws Exception {
    dir = Files.createTempDirectory("strata-kill9-");
    Path data = dir.resolve("data");
    StandaloneProcess first = StandaloneProcess.start(data, 1, 120_000);
    toClose.add(first);
    try (Admin admin = admin(first.bootstrap())) {
      admin
          .createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }

    ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger sent = new AtomicInteger();
    KafkaProducer<String, String> producer = producer(first.bootstrap());
    Thread writer =
        new Thread(
            () -> {
              while (!stop.get()) {
                int i = sent.getAndIncrement();
                String value = "record-" + i;
                producer.send(
                    new ProducerRecord<>(TOPIC, i % PARTITIONS, null, value),
                    (md, e) -> {
                      if (e == null) {
                        acked.add(new Acked(md.partition(), md.offset(), value));
                      }
                    });
                if (i % 50 == 49) {
                  producer.flush();
                }
              }
            },
            "writer");
    writer.start();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> acked.size() >= 2000);

    first.kill9(); // writes are in flight now
    stop.set(true);
    producer.close(Duration.ZERO); // fails what is in flight, so the writer's flush returns
    writer.join(30_000);
    List<Acked> ackedBeforeKill = new ArrayList<>(acked);

    StandaloneProcess second = StandaloneProcess.start(data, 1, 120_000);
    toClose.add(second);
    Map<Integer, List<ConsumerRecord<String, String>>> stored =
        Records.readAll(second.bootstrap(), TOPIC, PARTITIONS, Duration.ofSeconds(90));
    assertThat(second.stop(Duration.ofSeconds(30))).as("clean stop on SIGTERM").isTrue();

    for (int p = 0; p < PARTITIONS; p++) {
      List<ConsumerRecord<String, String>> recs = stored.getOrDefault(p, List.of());
      for (int j = 0; j < recs.size(); j++) {
        assertThat(recs.get(j).offset()).as("dense offsets in partition %d", p).isEqualTo(j);
      }
    }
    for (Acked a : ackedBeforeKill) {
      List<ConsumerRecord<String, String>> recs = stored.get(a.partition());
      assertThat(recs).as("partition %d", a.partition()).isNotNull();
      assertThat(a.offset()).isLessThan(recs.size());
      assertThat(recs.get((int) a.offset()).value()).isEqualTo(a.value());
    }
    long distinct =
        stored.values().stream()
            .flatMap(List::stream)
            .map(ConsumerRecord::value)
            .distinct()
            .count();
    long total = stored.values().stream().mapToLong(List::size).sum();
    assertThat(distinct).as("no record stored twice").isEqualTo(total);
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    return new KafkaProducer<>(p);
  }
}
