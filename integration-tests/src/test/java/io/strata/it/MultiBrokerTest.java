package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.strata.broker.Broker;
import io.strata.broker.partition.Partition;
import io.strata.it.support.BrokerCluster;
import io.strata.it.support.RawKafkaClient;
import io.strata.it.support.Records;
import io.strata.storage.api.LogFencedException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several brokers in one JVM over shared bookies: partitions spread across brokers, move without
 * copying data, and fail over with fencing; a producer with retries never sees an error across a
 * graceful shutdown. The tests share one cluster and run in order (each changes it).
 */
@Tag("integration")
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiBrokerTest {

  @RegisterExtension static final BrokerCluster cluster = BrokerCluster.of(3, 3);

  private static Map<Integer, Integer> leaderCounts(String topic) throws Exception {
    TopicDescription d =
        cluster
            .admin()
            .describeTopics(Set.of(topic))
            .allTopicNames()
            .get(30, TimeUnit.SECONDS)
            .get(topic);
    Map<Integer, Integer> counts = new HashMap<>();
    for (TopicPartitionInfo p : d.partitions()) {
      if (p.leader() != null && !p.leader().isEmpty()) {
        counts.merge(p.leader().id(), 1, Integer::sum);
      }
    }
    return counts;
  }

  /** Creates a topic with replication factor 3 (every bookie). */
  private static void createTopic(String name, int partitions) throws Exception {
    cluster
        .admin()
        .createTopics(List.of(new NewTopic(name, partitions, (short) 3)))
        .all()
        .get(60, TimeUnit.SECONDS);
  }

  private static KafkaProducer<String, String> producer() {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    return cluster.track(new KafkaProducer<>(p));
  }

  /** Every acknowledged record is stored once at its offset; offsets are dense. */
  private static void assertDurable(
      String topic, int partitions, List<long[]> acked, List<String> values) {
    Map<Integer, List<ConsumerRecord<String, String>>> stored =
        Records.readAll(cluster.bootstrap(), topic, partitions, Duration.ofSeconds(90));
    for (List<ConsumerRecord<String, String>> recs : stored.values()) {
      for (int j = 0; j < recs.size(); j++) {
        assertThat(recs.get(j).offset()).isEqualTo(j);
      }
    }
    for (int i = 0; i < acked.size(); i++) {
      long[] a = acked.get(i);
      List<ConsumerRecord<String, String>> recs = stored.get((int) a[0]);
      assertThat(recs).isNotNull();
      assertThat(recs.get((int) a[1]).value()).isEqualTo(values.get(i));
    }
    long total = stored.values().stream().mapToLong(List::size).sum();
    long distinct =
        stored.values().stream()
            .flatMap(List::stream)
            .map(ConsumerRecord::value)
            .distinct()
            .count();
    assertThat(distinct).as("no record stored twice").isEqualTo(total);
  }

  @Test
  @Order(1)
  void partitionsSpreadEvenlyAcrossBrokers() throws Exception {
    createTopic("spread", 6);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(leaderCounts("spread"))
                    .containsOnlyKeys(1, 2, 3)
                    .allSatisfy((b, n) -> assertThat(n).isEqualTo(2)));
    assertThat(cluster.brokers().stream().filter(Broker::isController)).hasSize(1);
  }

  @Test
  @Order(2)
  void moveCopiesNoDataAndKeepsEveryRecord() throws Exception {
    Admin admin = cluster.admin();
    createTopic("moving", 1);
    KafkaProducer<String, String> producer = producer();
    for (int i = 0; i < 200; i++) {
      producer.send(new ProducerRecord<>("moving", 0, "k", "v" + i));
    }
    producer.flush();
    TopicPartition tp = new TopicPartition("moving", 0);
    int from = leaderCounts("moving").keySet().iterator().next();
    int to = from % 3 + 1;
    admin
        .alterPartitionReassignments(
            Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(to)))))
        .all()
        .get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(60)).until(() -> leaderCounts("moving").containsKey(to));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> admin.listPartitionReassignments().reassignments().get().isEmpty());
    for (int i = 200; i < 300; i++) {
      producer.send(new ProducerRecord<>("moving", 0, "k", "v" + i));
    }
    producer.flush();
    List<ConsumerRecord<String, String>> recs =
        Records.readAll(cluster.bootstrap(), "moving", 1, Duration.ofSeconds(90)).get(0);
    assertThat(recs)
        .extracting(ConsumerRecord::value)
        .hasSize(300)
        .startsWith("v0", "v1")
        .endsWith("v299");
  }

  /**
   * A producer pipelines its batches; if the first is refused by one broker because the partition
   * is moving and the second reaches the new owner first, the second must not be written before it
   * (the log would hold the producer's records out of order, as CI runs of the move test saw).
   */
  @Test
  @Order(3)
  void aBatchRefusedDuringAMoveIsNotOvertakenByTheNextOne() throws Exception {
    Admin admin = cluster.admin();
    createTopic("overtake", 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> leaderCounts("overtake").size() == 1);
    int owner = leaderCounts("overtake").keySet().iterator().next();
    TopicPartition tp = new TopicPartition("overtake", 0);
    // Pinned where it is, so the balancer does not move it while the test sets the scene.
    admin
        .alterPartitionReassignments(
            Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(owner)))))
        .all()
        .get(30, TimeUnit.SECONDS);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> leaderCounts("overtake").equals(Map.of(owner, 1)));
    List<Broker> others = cluster.brokers().stream().filter(b -> b.brokerId() != owner).toList();
    Broker next = others.get(0);
    try (RawKafkaClient stale = new RawKafkaClient("127.0.0.1:" + others.get(1).boundPort());
        RawKafkaClient raw = new RawKafkaClient("127.0.0.1:" + next.boundPort())) {
      var init = raw.initProducerId();
      long pid = init.producerId();
      short epoch = init.producerEpoch();
      ByteBuffer first = RawKafkaClient.idempotentBatch(pid, epoch, 0, 5);
      ByteBuffer second = RawKafkaClient.idempotentBatch(pid, epoch, 5, 5);
      // Refused by a broker that is not the owner, before and after the move alike: the new owner
      // never hears of it.
      assertThat(Errors.forCode(stale.produce("overtake", 0, first).errorCode()))
          .isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);

      admin
          .alterPartitionReassignments(
              Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(next.brokerId())))))
          .all()
          .get(30, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> next.partitions().get(tp).filter(p -> !p.isClosed()).isPresent());

      assertThat(Errors.forCode(raw.produce("overtake", 0, second).errorCode()))
          .as("the second batch waits for the refused first one")
          .isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assertThat(raw.produce("overtake", 0, first).baseOffset()).isZero();
      assertThat(raw.produce("overtake", 0, second).baseOffset()).isEqualTo(5);
    }
    assertThat(Records.readAll(cluster.bootstrap(), "overtake", 1, Duration.ofSeconds(90)).get(0))
        .extracting(ConsumerRecord::value)
        .containsExactly(
            "seq-0", "seq-1", "seq-2", "seq-3", "seq-4", "seq-5", "seq-6", "seq-7", "seq-8",
            "seq-9");
    // Gone again, so its pinned partition does not weigh on how later tests' topics spread.
    admin.deleteTopics(List.of("overtake")).all().get(60, TimeUnit.SECONDS);
  }

  @Test
  @Order(4)
  void gracefulShutdownUnderLoadCausesNoProduceError() throws Exception {
    createTopic("graceful", 3);
    await().atMost(Duration.ofSeconds(60)).until(() -> leaderCounts("graceful").size() == 3);
    KafkaProducer<String, String> producer = producer();
    List<long[]> acked = Collections.synchronizedList(new ArrayList<>());
    List<String> ackedValues = Collections.synchronizedList(new ArrayList<>());
    List<Exception> errors = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        new Thread(
            () -> {
              int i = 0;
              while (!stop.get()) {
                String v = "g" + i;
                producer.send(
                    new ProducerRecord<>("graceful", i % 3, null, v),
                    (md, e) -> {
                      if (e != null) {
                        errors.add(e);
                      } else {
                        synchronized (acked) {
                          acked.add(new long[] {md.partition(), md.offset()});
                          ackedValues.add(v);
                        }
                      }
                    });
                i++;
                if (i % 20 == 0) {
                  producer.flush();
                }
              }
            });
    writer.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() > 300);
    Broker victim =
        cluster.brokers().stream().filter(b -> b.brokerId() == 2).findFirst().orElseThrow();
    victim.close();
    int before = acked.size();
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() > before + 300);
    stop.set(true);
    writer.join(30_000);
    producer.flush();
    assertThat(errors).as("produce errors seen by the application").isEmpty();
    assertThat(leaderCounts("graceful")).doesNotContainKey(2);
    synchronized (acked) {
      assertDurable("graceful", 3, new ArrayList<>(acked), new ArrayList<>(ackedValues));
    }
  }

  @Test
  @Order(5)
  void aJoiningBrokerReceivesPartitions() throws Exception {
    Broker fourth = cluster.startBroker();
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(leaderCounts("spread")).containsKey(fourth.brokerId()));
  }

  @Test
  @Order(6)
  void crashedOwnersPartitionsFailOverWithoutLosingAcknowledgedRecords() throws Exception {
    createTopic("crash", 2);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> leaderCounts("crash").values().stream().mapToInt(i -> i).sum() == 2);
    KafkaProducer<String, String> producer = producer();
    List<long[]> acked = Collections.synchronizedList(new ArrayList<>());
    List<String> values = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 200; i++) {
      String v = "c" + i;
      var md =
          producer.send(new ProducerRecord<>("crash", i % 2, null, v)).get(30, TimeUnit.SECONDS);
      acked.add(new long[] {md.partition(), md.offset()});
      values.add(v);
    }
    int owner = leaderCounts("crash").keySet().iterator().next();
    Broker victim =
        cluster.brokers().stream().filter(b -> b.brokerId() == owner).findFirst().orElseThrow();
    // halt() keeps the victim's logs open: a zombie that does not know it lost its partitions.
    Partition zombie =
        victim.partitions().online().stream()
            .filter(p -> p.id().topic().equals("crash"))
            .findFirst()
            .orElseThrow();
    victim.halt();
    for (int i = 200; i < 400; i++) {
      String v = "c" + i;
      var md =
          producer.send(new ProducerRecord<>("crash", i % 2, null, v)).get(90, TimeUnit.SECONDS);
      acked.add(new long[] {md.partition(), md.offset()});
      values.add(v);
    }
    assertThat(leaderCounts("crash")).doesNotContainKey(owner);
    // The zombie's late append reaches BookKeeper and is fenced there: nothing is stored.
    ByteBuffer late =
        MemoryRecords.withRecords(
                Compression.NONE,
                new SimpleRecord(System.currentTimeMillis(), null, "late".getBytes()))
            .buffer();
    assertThatThrownBy(
            () -> zombie.log().append(Unpooled.wrappedBuffer(late)).get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(LogFencedException.class);
    assertDurable("crash", 2, acked, values);
    assertThat(
            Records.readAll(cluster.bootstrap(), "crash", 2, Duration.ofSeconds(90))
                .values()
                .stream()
                .flatMap(List::stream))
        .extracting(ConsumerRecord::value)
        .doesNotContain("late");
  }

  @Test
  @Order(7)
  void aBrokerWhoseSessionExpiredLosesItsPartitionsAndItsLateAppendIsNotStored() throws Exception {
    createTopic("expire", 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> leaderCounts("expire").size() == 1);
    KafkaProducer<String, String> producer = producer();
    for (int i = 0; i < 50; i++) {
      producer.send(new ProducerRecord<>("expire", 0, null, "e" + i)).get(30, TimeUnit.SECONDS);
    }
    int owner = leaderCounts("expire").keySet().iterator().next();
    Broker old =
        cluster.brokers().stream().filter(b -> b.brokerId() == owner).findFirst().orElseThrow();
    TopicPartition tp = new TopicPartition("expire", 0);
    int oldPort = old.boundPort();
    cluster.storage().expireSession(old.zooKeeper());
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () -> {
              Map<Integer, Integer> leaders = leaderCounts("expire");
              return !leaders.isEmpty() && !leaders.containsKey(owner);
            });
    producer.send(new ProducerRecord<>("expire", 0, null, "after")).get(60, TimeUnit.SECONDS);

    // A late produce sent straight to the old owner is refused: it no longer serves the
    // partition (it stopped when its session expired, before anyone could take it over).
    try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1:" + oldPort)) {
      ByteBuffer late =
          MemoryRecords.withRecords(
                  Compression.NONE,
                  new SimpleRecord(System.currentTimeMillis(), null, "late".getBytes()))
              .buffer();
      short code = raw.produce("expire", 0, late).errorCode();
      assertThat(Errors.forCode(code)).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }
    List<ConsumerRecord<String, String>> recs =
        Records.readAll(cluster.bootstrap(), "expire", 1, Duration.ofSeconds(90)).get(0);
    assertThat(recs)
        .extracting(ConsumerRecord::value)
        .doesNotContain("late")
        .endsWith("after")
        .hasSize(51);
    assertThat(recs.stream().map(ConsumerRecord::offset).collect(Collectors.toList()))
        .isEqualTo(java.util.stream.LongStream.range(0, 51).boxed().toList());
  }

  @Test
  @Order(8)
  void cliShowsTheClusterAndMovesAPartition() throws Exception {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    String live =
        cluster.brokers().stream()
            .filter(b -> leaderCountsSafe().containsKey(b.brokerId()))
            .map(b -> "127.0.0.1:" + b.boundPort())
            .findFirst()
            .orElseThrow();
    int status =
        io.strata.ops.cli.StrataCli.run(
            new java.io.PrintWriter(out, true),
            new java.io.PrintWriter(err, true),
            "cluster",
            "status",
            "--bootstrap-server",
            live);
    assertThat(status).as(err.toString()).isZero();
    assertThat(out.toString()).contains("BROKER").contains("spread[").contains("Balance:");

    Map<Integer, Integer> leaders = leaderCounts("spread");
    TopicDescription d =
        cluster.admin().describeTopics(Set.of("spread")).allTopicNames().get().get("spread");
    int from = d.partitions().get(0).leader().id();
    int to = leaders.keySet().stream().filter(b -> b != from).findFirst().orElseThrow();
    java.io.StringWriter moved = new java.io.StringWriter();
    int rc =
        io.strata.ops.cli.StrataCli.run(
            new java.io.PrintWriter(moved, true),
            new java.io.PrintWriter(err, true),
            "partitions",
            "move",
            "--topic",
            "spread",
            "--partition",
            "0",
            "--to",
            String.valueOf(to),
            "--bootstrap-server",
            live);
    assertThat(rc).as(err.toString()).isZero();
    assertThat(moved.toString())
        .contains("Moved spread-0 from broker " + from + " to broker " + to);
  }

  private static Map<Integer, Integer> leaderCountsSafe() {
    try {
      return leaderCounts("spread");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
