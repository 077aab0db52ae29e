package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.strata.broker.Broker;
import io.strata.broker.partition.Partition;
import io.strata.it.support.BrokerCluster;
import io.strata.it.support.Records;
import io.strata.storage.api.LogClosedException;
import io.strata.storage.api.LogFencedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seeded randomized simulation of partition ownership with real brokers and bookies: brokers join,
 * stop gracefully, crash (keeping their logs open, like zombies), lose their ZooKeeper sessions;
 * operators move partitions; producers write. After every step, once ownership settles: at most one
 * broker serves each partition, every zombie's log is fenced, leader epochs only grow, and every
 * acknowledged record is stored once at its offset with dense offsets.
 *
 * <p>Seed and steps: {@code -Dstrata.sim.seed=...}, {@code -Dstrata.sim.steps=...} (printed).
 */
@Tag("integration")
@Tag("slow")
@Timeout(600)
class OwnershipSimulationTest {
  private static final String TOPIC = "sim";
  private static final int PARTITIONS = 4;

  @RegisterExtension static final BrokerCluster cluster = BrokerCluster.of(3, 3);

  private final Map<Integer, Broker> live = new HashMap<>();
  private final List<Partition> zombies = new ArrayList<>();
  private final Map<Integer, Integer> maxEpoch = new HashMap<>();
  private final Map<Integer, List<String>> ackedValues = new HashMap<>();
  private final Map<Integer, List<Long>> ackedOffsets = new HashMap<>();
  private KafkaProducer<String, String> producer;
  private int sequence;

  @Test
  void ownershipInvariantsHoldUnderRandomChurn() throws Exception {
    long seed = Long.getLong("strata.sim.seed", System.nanoTime());
    int steps = Integer.getInteger("strata.sim.steps", 24);
    System.out.println("OwnershipSimulationTest seed=" + seed + " steps=" + steps);
    Random random = new Random(seed);
    cluster.brokers().forEach(b -> live.put(b.brokerId(), b));
    try (Admin admin = liveAdmin()) {
      admin
          .createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 2)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    producer = newProducer();

    for (int step = 0; step < steps; step++) {
      int action = random.nextInt(7);
      String what;
      if (action == 0 && live.size() < 4) {
        Broker b = cluster.startBroker();
        live.put(b.brokerId(), b);
        what = "start broker " + b.brokerId();
      } else if (action == 1 && live.size() > 1) {
        Broker b = pick(random);
        live.remove(b.brokerId());
        b.close();
        what = "graceful stop of broker " + b.brokerId();
      } else if (action == 2 && live.size() > 1) {
        Broker b = pick(random);
        live.remove(b.brokerId());
        zombies.addAll(b.partitions().online());
        b.halt();
        what = "crash of broker " + b.brokerId();
      } else if (action == 3) {
        Broker b = pick(random);
        cluster.storage().expireSession(b.zooKeeper());
        what = "session expiry of broker " + b.brokerId();
      } else if (action == 4 && live.size() > 1) {
        int p = random.nextInt(PARTITIONS);
        int to = new ArrayList<>(live.keySet()).get(random.nextInt(live.size()));
        try (Admin admin = liveAdmin()) {
          admin
              .alterPartitionReassignments(
                  Map.of(
                      new TopicPartition(TOPIC, p),
                      Optional.of(new NewPartitionReassignment(List.of(to)))))
              .all()
              .get(30, TimeUnit.SECONDS);
        }
        what = "move of partition " + p + " to broker " + to;
      } else {
        produce(20);
        what = "produce 20 records";
      }
      System.out.println("step " + step + ": " + what);
      produce(5);
      checkInvariants(step, what);
    }
  }

  private Admin liveAdmin() {
    StringBuilder bootstrap = new StringBuilder();
    for (Broker b : live.values()) {
      bootstrap
          .append(bootstrap.length() > 0 ? "," : "")
          .append("127.0.0.1:")
          .append(b.boundPort());
    }
    java.util.Properties p = new java.util.Properties();
    p.put(
        org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrap.toString());
    return Admin.create(p);
  }

  private Broker pick(Random random) {
    List<Integer> ids = new ArrayList<>(live.keySet());
    ids.sort(Integer::compareTo);
    return live.get(ids.get(random.nextInt(ids.size())));
  }

  private KafkaProducer<String, String> newProducer() {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    // Brokers that joined after the producer started must be known to it before the last broker
    // it knows of dies (else it falls back to its bootstrap list, whose brokers may all be gone):
    // refresh metadata every second rather than every 5 minutes.
    p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 1_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    return cluster.track(new KafkaProducer<>(p));
  }

  /** Sends and waits: every record returned here is acknowledged. */
  private void produce(int n) throws Exception {
    List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String v = "s" + sequence++;
      values.add(v);
      sent.add(producer.send(new ProducerRecord<>(TOPIC, sequence % PARTITIONS, null, v)));
    }
    for (int i = 0; i < n; i++) {
      RecordMetadata md = sent.get(i).get(120, TimeUnit.SECONDS);
      ackedValues.computeIfAbsent(md.partition(), k -> new ArrayList<>()).add(values.get(i));
      ackedOffsets.computeIfAbsent(md.partition(), k -> new ArrayList<>()).add(md.offset());
    }
  }

  private void checkInvariants(int step, String what) throws Exception {
    // Ownership settles: every partition has a live leader. A fresh client each time: the
    // brokers it was first bootstrapped from may all be gone by now.
    try (Admin admin = liveAdmin()) {
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> leaders(admin).values().stream().allMatch(l -> l >= 0 && live.containsKey(l)));
    }

    for (int p = 0; p < PARTITIONS; p++) {
      TopicPartition tp = new TopicPartition(TOPIC, p);
      // At most one live broker serves the partition once the old owner has noticed: a broker
      // whose session expired, or that lost a move, may serve a moment longer (its log is fenced
      // by then, which the zombie check below proves for crashed owners).
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(
                          live.values().stream()
                              .filter(
                                  b ->
                                      b.partitions().get(tp).filter(x -> !x.isClosed()).isPresent())
                              .count())
                      .as("step %d (%s): brokers serving %s", step, what, tp)
                      .isLessThanOrEqualTo(1));
      // Leader epochs only grow.
      for (Broker b : live.values()) {
        Optional<Partition> part = b.partitions().get(tp).filter(x -> !x.isClosed());
        if (part.isPresent()) {
          int epoch = part.get().leaderEpoch();
          int previous = maxEpoch.getOrDefault(p, -1);
          assertThat(epoch)
              .as("step %d (%s): epoch of %s", step, what, tp)
              .isGreaterThanOrEqualTo(previous);
          maxEpoch.put(p, epoch);
        }
      }
    }
    // A zombie whose partition has been taken over cannot append.
    for (Partition z : new ArrayList<>(zombies)) {
      int p = z.id().partition();
      if (maxEpoch.getOrDefault(p, -1) > z.leaderEpoch()) {
        var batch =
            MemoryRecords.withRecords(
                    Compression.NONE,
                    new SimpleRecord(System.currentTimeMillis(), null, "zombie".getBytes()))
                .buffer();
        try {
          z.log().append(Unpooled.wrappedBuffer(batch)).get(30, TimeUnit.SECONDS);
          throw new AssertionError("step " + step + ": a zombie appended to " + z.id());
        } catch (ExecutionException e) {
          // Fenced by the new owner; or closed, if the crash came while the broker was already
          // letting the partition go (a move or a session expiry): either way nothing appended.
          assertThat(e.getCause())
              .isInstanceOfAny(LogFencedException.class, LogClosedException.class);
        }
        zombies.remove(z);
      }
    }
    // Every acknowledged record is there, once, at its offset; offsets are dense.
    Map<Integer, List<ConsumerRecord<String, String>>> stored =
        Records.readAll(cluster.bootstrap(), TOPIC, PARTITIONS, Duration.ofSeconds(60));
    for (int p = 0; p < PARTITIONS; p++) {
      List<ConsumerRecord<String, String>> recs = stored.getOrDefault(p, List.of());
      for (int j = 0; j < recs.size(); j++) {
        assertThat(recs.get(j).offset()).as("step %d (%s): dense offsets", step, what).isEqualTo(j);
      }
      List<String> values = ackedValues.getOrDefault(p, List.of());
      List<Long> offsets = ackedOffsets.getOrDefault(p, List.of());
      for (int i = 0; i < values.size(); i++) {
        int off = offsets.get(i).intValue();
        assertThat(off)
            .as("step %d (%s): acked offset within the log", step, what)
            .isLessThan(recs.size());
        assertThat(recs.get(off).value())
            .as("step %d (%s): acked record", step, what)
            .isEqualTo(values.get(i));
      }
      assertThat(recs.stream().map(ConsumerRecord::value).distinct().count())
          .as("step %d (%s): no record stored twice", step, what)
          .isEqualTo(recs.size());
      assertThat(recs).extracting(ConsumerRecord::value).doesNotContain("zombie");
    }
  }

  private Map<Integer, Integer> leaders(Admin admin) throws Exception {
    TopicDescription d =
        admin.describeTopics(Set.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
    Map<Integer, Integer> out = new HashMap<>();
    for (TopicPartitionInfo p : d.partitions()) {
      out.put(p.partition(), p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id());
    }
    return out;
  }
}
