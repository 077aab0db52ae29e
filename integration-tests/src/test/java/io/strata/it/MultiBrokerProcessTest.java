package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.it.support.LocalClusterExtension;
import io.strata.it.support.Records;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three brokers as separate processes ({@code strata local-cluster}) while an idempotent producer
 * writes without pause: kill -9 of a partition's owner, SIGTERM of another broker, a fourth broker
 * joining, and an owner frozen with SIGSTOP past its ZooKeeper session (a zombie) and then woken.
 * The producer never reports an error; afterwards every acknowledged record is stored once at its
 * offset, offsets are dense, and nothing the zombie might have written is there. One cluster for
 * the whole scenario, to keep the suite's time down.
 */
@Tag("integration")
@Tag("slow")
class MultiBrokerProcessTest {
  private static final String TOPIC = "orders";
  private static final int PARTITIONS = 8;

  @RegisterExtension final LocalClusterExtension cluster = new LocalClusterExtension();

  /** One acknowledged record. */
  record Acked(int partition, long offset, String value) {}

  @Test
  @Timeout(600)
  void brokersComeAndGoWhileAnIdempotentProducerWrites() throws Exception {
    List<String> bootstrap = cluster.up("--brokers", "3", "--bookies", "3");
    String servers = String.join(",", bootstrap);
    try (Admin admin = admin(servers)) {
      admin
          .createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)))
          .all()
          .get(60, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> new java.util.HashSet<>(leaders(admin).values()).size() == 3);
    }

    ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong lastAckNanos = new AtomicLong(System.nanoTime());
    KafkaProducer<String, String> producer = producer(servers);
    Thread writer =
        new Thread(
            () -> {
              for (int i = 0; !stop.get(); i++) {
                String v = "r" + i;
                producer.send(
                    new ProducerRecord<>(TOPIC, i % PARTITIONS, null, v),
                    (md, e) -> {
                      if (e != null) {
                        errors.add(e);
                      } else {
                        acked.add(new Acked(md.partition(), md.offset(), v));
                        lastAckNanos.set(System.nanoTime());
                      }
                    });
                if (i % 30 == 29) {
                  producer.flush();
                }
              }
            },
            "writer");
    writer.start();
    try (Admin admin = admin(servers)) {
      awaitMoreAcks(acked, 300);

      // kill -9 of partition 0's owner.
      int owner = leaders(admin).get(0);
      long killedAt = System.nanoTime();
      kill("-9", cluster.pid("broker-" + owner));
      awaitMoreAcks(acked, 300);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> leaders(admin).values().stream().noneMatch(l -> l == owner));
      System.out.printf(
          "failover: kill -9 of broker %d to the producer's acks resuming everywhere: %d ms%n",
          owner, TimeUnit.NANOSECONDS.toMillis(lastAckNanos.get() - killedAt));

      // SIGTERM (controlled shutdown) of another broker that owns something.
      int second =
          leaders(admin).values().stream().filter(l -> l != owner).findFirst().orElseThrow();
      kill("-TERM", cluster.pid("broker-" + second));
      awaitMoreAcks(acked, 300);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> leaders(admin).values().stream().noneMatch(l -> l == second));

      // `up` again restarts the two and adds a fourth broker; the newcomer receives partitions.
      cluster.up("--brokers", "4");
      await().atMost(Duration.ofSeconds(120)).until(() -> leaders(admin).containsValue(4));
      awaitMoreAcks(acked, 300);

      // Freeze an owner past its ZooKeeper session: the cluster takes its partition over.
      int frozen = leaders(admin).get(1);
      long frozenPid = cluster.pid("broker-" + frozen);
      kill("-STOP", frozenPid);
      try {
        await()
            .atMost(Duration.ofSeconds(90))
            .ignoreExceptionsInstanceOf(java.util.concurrent.TimeoutException.class)
            .until(() -> leaders(admin).get(1) != frozen);
        awaitMoreAcks(acked, 300);
      } finally {
        kill("-CONT", frozenPid);
      }
      // Woken, it learns its session expired, stops serving and rejoins; writes go on.
      awaitMoreAcks(acked, 300);
    } finally {
      stop.set(true);
      writer.join(60_000);
      producer.close(Duration.ofSeconds(60));
    }
    assertThat(errors).as("errors the application saw").isEmpty();

    Map<Integer, List<ConsumerRecord<String, String>>> stored =
        Records.readAll(servers, TOPIC, PARTITIONS, Duration.ofSeconds(120));
    for (List<ConsumerRecord<String, String>> recs : stored.values()) {
      for (int j = 0; j < recs.size(); j++) {
        assertThat(recs.get(j).offset()).as("dense offsets").isEqualTo(j);
      }
    }
    for (Acked a : acked) {
      List<ConsumerRecord<String, String>> recs = stored.get(a.partition());
      assertThat(recs).isNotNull();
      assertThat(recs.get((int) a.offset()).value()).isEqualTo(a.value());
    }
    long total = stored.values().stream().mapToLong(List::size).sum();
    long distinct =
        stored.values().stream()
            .flatMap(List::stream)
            .map(ConsumerRecord::value)
            .distinct()
            .count();
    assertThat(distinct).as("every record stored once").isEqualTo(total);
    cluster.down();
  }

  private static void awaitMoreAcks(ConcurrentLinkedQueue<Acked> acked, int more) {
    int target = acked.size() + more;
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> acked.size() >= target);
  }

  private static void kill(String signal, long pid) throws Exception {
    Process p = new ProcessBuilder("kill", signal, String.valueOf(pid)).inheritIO().start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kill %s %d", signal, pid).isZero();
  }

  private static Map<Integer, Integer> leaders(Admin admin) throws Exception {
    TopicDescription d =
        admin.describeTopics(Set.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
    Map<Integer, Integer> out = new HashMap<>();
    for (TopicPartitionInfo p : d.partitions()) {
      out.put(p.partition(), p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id());
    }
    return out;
  }

  private static Admin admin(String servers) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
    // A SIGSTOPped broker keeps its connections open but answers nothing: give up on it soon and
    // ask another one.
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    return Admin.create(p);
  }

  private static KafkaProducer<String, String> producer(String servers) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    return new KafkaProducer<>(p);
  }
}
