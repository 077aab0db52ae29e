package io.strata.it.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.broker.group.runtime.ShardRuntime;
import io.strata.ops.cli.StrataCli;
import io.strata.ops.standalone.Standalone;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Committed offsets survive the whole standalone (broker, bookie and ZooKeeper in one JVM) being
 * killed with SIGKILL and restarted on the same data directory: they were fsync'd on the bookie
 * before the commit was acknowledged, and the restarted coordinator rebuilds them by replay.
 */
@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CoordinatorRestartTest {
  @TempDir Path dir;

  @Test
  void committedOffsetsSurviveKill9OfTheStandalone() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String bootstrap = "127.0.0.1:" + port;
    Path data = dir.resolve("data");
    try (Processes.Child first = standalone(data, port)) {
      try (Admin admin = admin(bootstrap)) {
        admin.createTopics(List.of(new NewTopic("t", 3, (short) 1))).all().get();
      }
      produce(bootstrap, 0, 90);
      try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
        c.subscribe(List.of("t"));
        Set<String> seen = new HashSet<>();
        while (seen.size() < 90) {
          c.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
        }
        c.commitSync();
        c.commitSync(
            Map.of(new TopicPartition("t", 0), new OffsetAndMetadata(30, "before-the-kill")));
      }
      first.kill(); // SIGKILL: no seal, no controlled shutdown of anything
    }
    try (Processes.Child second = standalone(data, port)) {
      assertThat(second.process.isAlive()).isTrue();
      produce(bootstrap, 90, 30);
      Set<String> after = new HashSet<>();
      try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
        TopicPartition p0 = new TopicPartition("t", 0);
        OffsetAndMetadata committed = c.committed(Set.of(p0)).get(p0);
        assertThat(committed.offset()).isEqualTo(30);
        assertThat(committed.metadata()).isEqualTo("before-the-kill");
        c.subscribe(List.of("t"));
        long deadline = System.currentTimeMillis() + 60_000;
        while (after.size() < 30 && System.currentTimeMillis() < deadline) {
          c.poll(Duration.ofMillis(200)).forEach(r -> after.add(r.value()));
        }
        for (int i = 0; i < 5; i++) {
          c.poll(Duration.ofMillis(100)).forEach(r -> after.add(r.value()));
        }
      }
      assertThat(after)
          .isEqualTo(IntStream.range(90, 120).mapToObj(i -> "v" + i).collect(Collectors.toSet()));
    }
  }

  @Test
  void checkpointsTrimTheLogAndARestartRebuildsTheSameOffsets() throws Exception {
    Path data = dir.resolve("checkpoints");
    Map<String, String> overrides =
        Map.of(
            "offsets.topic.num.partitions", "1",
            "strata.offsets.checkpoint.interval.bytes", "65536");
    int partitions = 10;
    int rounds = 400;
    Map<TopicPartition, OffsetAndMetadata> last = new java.util.HashMap<>();
    try (Standalone s = Standalone.start(data, 0, 1, overrides)) {
      String bootstrap = "127.0.0.1:" + s.broker().boundPort();
      try (Admin admin = admin(bootstrap)) {
        admin.createTopics(List.of(new NewTopic("t", partitions, (short) 1))).all().get();
      }
      try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
        for (int r = 1; r <= rounds; r++) {
          Map<TopicPartition, OffsetAndMetadata> commit = new java.util.HashMap<>();
          for (int p = 0; p < partitions; p++) {
            commit.put(new TopicPartition("t", p), new OffsetAndMetadata(r * 10L + p, "r" + r));
          }
          c.commitSync(commit); // no subscription: a simple consumer's commit
          last = commit;
        }
      }
      var log = offsetsLog(s);
      // 4,000 commit records were written; checkpoints trimmed all but the latest history.
      assertThat(log.logStartOffset()).isGreaterThan(0);
      assertThat(log.highWatermark() - log.logStartOffset()).isLessThan(2_000);
    }
    try (Standalone s = Standalone.start(data, 0, 1, overrides)) {
      String bootstrap = "127.0.0.1:" + s.broker().boundPort();
      try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
        assertThat(c.committed(last.keySet())).isEqualTo(last);
      }
      ShardRuntime.LoadStats load = s.broker().groupCoordinator().shards().get(0).lastLoad();
      assertThat(load.records()).isLessThan(2_000);
    }
  }

  private static io.strata.storage.api.PartitionLog offsetsLog(Standalone s) {
    return s.broker().partitions().online().stream()
        .filter(p -> p.id().topic().equals("__consumer_offsets"))
        .findFirst()
        .orElseThrow()
        .log();
  }

  private static Processes.Child standalone(Path data, int port) throws Exception {
    Processes.Child child =
        Processes.java(
            StrataCli.class,
            "standalone",
            "--data-dir",
            data.toString(),
            "--port",
            String.valueOf(port),
            "--bookies",
            "1",
            "--override",
            "offsets.topic.num.partitions=3",
            "--override",
            "group.initial.rebalance.delay.ms=100");
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> child.printed("Strata standalone ready") || !child.process.isAlive());
    assertThat(child.process.isAlive()).as(String.join("\n", child.lines)).isTrue();
    return child;
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  private static void produce(String bootstrap, int from, int count) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = from; i < from + count; i++) {
        producer.send(new ProducerRecord<>("t", i % 3, null, "v" + i));
      }
      producer.flush();
    }
  }

  private static KafkaConsumer<String, String> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "survivor");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }
}
