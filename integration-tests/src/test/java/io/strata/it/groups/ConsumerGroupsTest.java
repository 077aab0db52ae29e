package io.strata.it.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strata.ops.standalone.Standalone;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer groups with real kafka-clients consumers and Admin against one in-process standalone
 * (ZooKeeper, one bookie, one broker) shared by the class. Each test uses its own topic and group.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConsumerGroupsTest {
  static final int PARTITIONS = 4;

  @TempDir static Path dir;
  static Standalone standalone;
  static String bootstrap;
  static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    standalone =
        Standalone.start(
            dir.resolve("standalone"),
            0,
            1,
            Map.of(
                "offsets.topic.num.partitions", "4",
                "group.initial.rebalance.delay.ms", "200",
                "num.partitions", String.valueOf(PARTITIONS)));
    bootstrap = "127.0.0.1:" + standalone.broker().boundPort();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    admin = Admin.create(p);
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (standalone != null) {
      standalone.close();
    }
  }

  static void createTopic(String topic) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
  }

  static void produce(String topic, int from, int count) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = from; i < from + count; i++) {
        producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, "v" + i));
      }
      producer.flush();
    }
  }

  static Map<String, Object> assignor(Class<?> c) {
    Map<String, Object> m = new HashMap<>();
    m.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, c.getName());
    return m;
  }

  static Set<TopicPartition> all(String topic) {
    Set<TopicPartition> out = new HashSet<>();
    for (int p = 0; p < PARTITIONS; p++) {
      out.add(new TopicPartition(topic, p));
    }
    return out;
  }

  /** Waits until the consumers together own every partition, each a disjoint share. */
  static void awaitSplit(String topic, PollingConsumer... cs) {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              Set<TopicPartition> union = new HashSet<>();
              int total = 0;
              for (PollingConsumer c : cs) {
                assertThat(c.failure.get()).isNull();
                assertThat(c.assignment.get()).as(c.name).isNotEmpty();
                union.addAll(c.assignment.get());
                total += c.assignment.get().size();
              }
              assertThat(union).isEqualTo(all(topic));
              assertThat(total).isEqualTo(PARTITIONS);
            });
  }

  @Test
  void twoMembersSplitPartitionsWithTheRangeAssignor() throws Exception {
    createTopic("range-t");
    produce("range-t", 0, 40);
    try (PollingConsumer a =
            new PollingConsumer(
                "a", bootstrap, "range-g", "range-t", assignor(RangeAssignor.class));
        PollingConsumer b =
            new PollingConsumer(
                "b", bootstrap, "range-g", "range-t", assignor(RangeAssignor.class))) {
      awaitSplit("range-t", a, b);
      assertThat(a.assignment.get()).hasSize(2);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(a.records.size() + b.records.size()).isEqualTo(40));
      Set<String> seen = new HashSet<>(a.values());
      seen.addAll(b.values());
      assertThat(seen).hasSize(40);
    }
  }

  @Test
  void cooperativeRebalanceKeepsTheSurvivorsPartitions() throws Exception {
    createTopic("coop-t");
    Map<String, Object> coop = assignor(CooperativeStickyAssignor.class);
    try (PollingConsumer a = new PollingConsumer("a", bootstrap, "coop-g", "coop-t", coop)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> a.assignment.get().size() == PARTITIONS);
      Set<TopicPartition> kept;
      try (PollingConsumer b = new PollingConsumer("b", bootstrap, "coop-g", "coop-t", coop)) {
        awaitSplit("coop-t", a, b);
        kept = a.assignment.get();
        // Cooperative: a gave up only what b took, never all of its partitions at once.
        assertThat(a.revoked).doesNotContainAnyElementsOf(kept);
        a.revoked.clear();
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> a.assignment.get().size() == PARTITIONS);
      assertThat(a.revoked).as("partitions revoked from the survivor").isEmpty();
      assertThat(a.assignment.get()).containsAll(kept);
    }
  }

  @Test
  void leaveGroupHandsPartitionsOverLongBeforeTheSessionTimeout() throws Exception {
    createTopic("leave-t");
    Map<String, Object> slowSession = assignor(RangeAssignor.class);
    slowSession.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "45000");
    try (PollingConsumer a =
        new PollingConsumer("a", bootstrap, "leave-g", "leave-t", slowSession)) {
      PollingConsumer b = new PollingConsumer("b", bootstrap, "leave-g", "leave-t", slowSession);
      awaitSplit("leave-t", a, b);
      long closedAt = System.nanoTime();
      b.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> a.assignment.get().size() == PARTITIONS);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt);
      assertThat(tookMs).as("hand-over after LeaveGroup, ms").isLessThan(15_000);
    }
  }

  @Test
  void aRestartedStaticMemberGetsItsAssignmentBackWithoutARebalance() throws Exception {
    createTopic("static-t");
    Map<String, Object> one = assignor(RangeAssignor.class);
    one.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-1");
    one.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000");
    Map<String, Object> two = assignor(RangeAssignor.class);
    two.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-2");
    two.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000");
    try (PollingConsumer b = new PollingConsumer("b", bootstrap, "static-g", "static-t", two)) {
      PollingConsumer a = new PollingConsumer("a", bootstrap, "static-g", "static-t", one);
      awaitSplit("static-t", a, b);
      Set<TopicPartition> before = a.assignment.get();
      Set<TopicPartition> ofB = b.assignment.get();
      b.revoked.clear();
      a.close(); // a static member does not leave on close
      ConsumerGroupDescription d = describe("static-g");
      assertThat(d.members()).hasSize(2);

      try (PollingConsumer again =
          new PollingConsumer("a2", bootstrap, "static-g", "static-t", one)) {
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(() -> assertThat(again.assignment.get()).isEqualTo(before));
        // The other member was never asked to give anything up: no rebalance happened.
        assertThat(b.revoked).isEmpty();
        assertThat(b.assignment.get()).isEqualTo(ofB);
        assertThat(describe("static-g").groupState()).isEqualTo(GroupState.STABLE);
      }
    }
  }

  @Test
  void commitSyncAndAsyncKeepOffsetsAndMetadata() throws Exception {
    createTopic("commit-t");
    produce("commit-t", 0, 20);
    Properties p = consumerProps("commit-g");
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of("commit-t"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                c.poll(Duration.ofMillis(100));
                return c.assignment().size() == PARTITIONS;
              });
      TopicPartition p0 = new TopicPartition("commit-t", 0);
      TopicPartition p1 = new TopicPartition("commit-t", 1);
      c.commitSync(Map.of(p0, new OffsetAndMetadata(3, "sync-meta")));
      CompletableFuture<Exception> async = new CompletableFuture<>();
      c.commitAsync(
          Map.of(p1, new OffsetAndMetadata(4, "async-meta")), (offsets, e) -> async.complete(e));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                c.poll(Duration.ofMillis(50));
                return async.isDone();
              });
      assertThat(async.get()).isNull();
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(Set.of(p0, p1));
      assertThat(committed.get(p0).offset()).isEqualTo(3);
      assertThat(committed.get(p0).metadata()).isEqualTo("sync-meta");
      assertThat(committed.get(p1).offset()).isEqualTo(4);
      assertThat(committed.get(p1).metadata()).isEqualTo("async-meta");
    }
  }

  @Test
  void committedOffsetsSurviveAConsumerRestart() throws Exception {
    createTopic("restart-t");
    produce("restart-t", 0, 100);
    Set<String> first = new HashSet<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerProps("restart-g"))) {
      c.subscribe(List.of("restart-t"));
      while (first.size() < 100) {
        c.poll(Duration.ofMillis(200)).forEach(r -> first.add(r.value()));
      }
      c.commitSync();
    }
    produce("restart-t", 100, 20);
    Set<String> second = new HashSet<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerProps("restart-g"))) {
      c.subscribe(List.of("restart-t"));
      long deadline = System.currentTimeMillis() + 30_000;
      while (second.size() < 20 && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> second.add(r.value()));
      }
      // A little longer, to catch anything read twice.
      for (int i = 0; i < 5; i++) {
        c.poll(Duration.ofMillis(100)).forEach(r -> second.add(r.value()));
      }
    }
    assertThat(second)
        .isEqualTo(
            java.util.stream.IntStream.range(100, 120)
                .mapToObj(i -> "v" + i)
                .collect(Collectors.toSet()));
  }

  @Test
  void adminListsDescribesAltersAndDeletesGroupsAndOffsets() throws Exception {
    createTopic("admin-t");
    produce("admin-t", 0, 8);
    TopicPartition p0 = new TopicPartition("admin-t", 0);
    TopicPartition p1 = new TopicPartition("admin-t", 1);
    try (PollingConsumer a =
        new PollingConsumer("a", bootstrap, "admin-g", "admin-t", assignor(RangeAssignor.class))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> a.assignment.get().size() == PARTITIONS);
      a.onPollThread(c -> c.commitSync(Map.of(p0, new OffsetAndMetadata(2, "m"))));
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(
                          admin
                              .listConsumerGroupOffsets("admin-g")
                              .partitionsToOffsetAndMetadata()
                              .get())
                      .containsKey(p0));

      assertThat(admin.listGroups().all().get().stream().map(GroupListing::groupId).toList())
          .contains("admin-g");
      ConsumerGroupDescription d = describe("admin-g");
      assertThat(d.groupState()).isEqualTo(GroupState.STABLE);
      assertThat(d.partitionAssignor()).isEqualTo("range");
      assertThat(d.members()).hasSize(1);
      assertThat(d.members().iterator().next().assignment().topicPartitions())
          .isEqualTo(all("admin-t"));

      assertThatThrownBy(() -> admin.deleteConsumerGroups(List.of("admin-g")).all().get())
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(GroupNotEmptyException.class);
    }
    // Empty now: offsets can be altered and deleted, then the group itself.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> describe("admin-g").groupState() == GroupState.EMPTY);
    admin.alterConsumerGroupOffsets("admin-g", Map.of(p1, new OffsetAndMetadata(5))).all().get();
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets("admin-g").partitionsToOffsetAndMetadata().get();
    assertThat(offsets.get(p0).offset()).isEqualTo(2);
    assertThat(offsets.get(p0).metadata()).isEqualTo("m");
    assertThat(offsets.get(p1).offset()).isEqualTo(5);
    admin.deleteConsumerGroupOffsets("admin-g", Set.of(p0)).all().get();
    assertThat(admin.listConsumerGroupOffsets("admin-g").partitionsToOffsetAndMetadata().get())
        .containsOnlyKeys(p1);
    admin.deleteConsumerGroups(List.of("admin-g")).all().get();
    assertThat(admin.listGroups().all().get().stream().map(GroupListing::groupId).toList())
        .doesNotContain("admin-g");
  }

  @Test
  void aKilledMemberIsExpelledAfterItsSessionTimeout() throws Exception {
    createTopic("kill-t");
    int sessionMs = 6000;
    Map<String, Object> props = assignor(RangeAssignor.class);
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(sessionMs));
    try (PollingConsumer a = new PollingConsumer("a", bootstrap, "kill-g", "kill-t", props);
        Processes.Child child =
            Processes.java(
                ChildConsumer.class, bootstrap, "kill-g", "kill-t", String.valueOf(sessionMs))) {
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () -> {
                assertThat(child.lastLine("ASSIGNED")).isEqualTo("ASSIGNED 2");
                assertThat(a.assignment.get()).hasSize(2);
              });
      long killedAt = System.nanoTime();
      child.kill(); // SIGKILL: no LeaveGroup
      await().atMost(Duration.ofSeconds(60)).until(() -> a.assignment.get().size() == PARTITIONS);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      // Its last heartbeat was at most one interval (500 ms) before the kill.
      assertThat(tookMs).as("expulsion after SIGKILL, ms").isGreaterThan(sessionMs - 1000);
      assertThat(tookMs).isLessThan(sessionMs + 20_000);
    }
  }

  @Test
  void kcatReadsEverythingOnceAndResumesFromItsCommittedOffsets() throws Exception {
    createTopic("kcat-t");
    produce("kcat-t", 0, 200);
    List<String> first = kcat("kcat-g", "kcat-t");
    assertThat(first).hasSize(200);
    assertThat(new HashSet<>(first)).hasSize(200);
    produce("kcat-t", 200, 50);
    List<String> second = kcat("kcat-g", "kcat-t");
    assertThat(second)
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.range(200, 250).mapToObj(i -> "v" + i).toList());
  }

  /** kcat as a balanced (-G) consumer until the end of every partition; its output values. */
  static List<String> kcat(String group, String topic) throws Exception {
    Process p =
        new ProcessBuilder(
                "kcat",
                "-b",
                bootstrap,
                "-G",
                group,
                "-X",
                "auto.offset.reset=earliest",
                "-e",
                "-q",
                "-f",
                "%s\\n",
                topic)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> lines;
    try (var r =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      lines = r.lines().filter(l -> !l.isEmpty()).toList();
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return lines;
  }

  @Test
  void clientsCannotWriteToGrowTrimOrExpireTheInternalTopic() throws Exception {
    admin.listConsumerGroupOffsets("some-group").partitionsToOffsetAndMetadata().get();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      assertThatThrownBy(
              () -> producer.send(new ProducerRecord<>("__consumer_offsets", 0, "k", "v")).get())
          .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidTopicException.class);
    }
    assertThatThrownBy(
            () ->
                admin
                    .createPartitions(
                        Map.of(
                            "__consumer_offsets",
                            org.apache.kafka.clients.admin.NewPartitions.increaseTo(8)))
                    .all()
                    .get())
        .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidPartitionsException.class);
    org.apache.kafka.common.TopicPartition offsets0 =
        new org.apache.kafka.common.TopicPartition("__consumer_offsets", 0);
    assertThatThrownBy(
            () ->
                admin
                    .deleteRecords(
                        Map.of(
                            offsets0,
                            org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(1)))
                    .all()
                    .get())
        .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidTopicException.class);
    org.apache.kafka.common.config.ConfigResource res =
        new org.apache.kafka.common.config.ConfigResource(
            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "__consumer_offsets");
    assertThatThrownBy(
            () ->
                admin
                    .incrementalAlterConfigs(
                        Map.of(
                            res,
                            List.of(
                                new org.apache.kafka.clients.admin.AlterConfigOp(
                                    new org.apache.kafka.clients.admin.ConfigEntry(
                                        "cleanup.policy", "delete"),
                                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
                    .all()
                    .get())
        .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidConfigurationException.class)
        .hasMessageContaining("cleanup.policy");
  }

  static ConsumerGroupDescription describe(String group) throws Exception {
    return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
  }

  static Properties consumerProps(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return p;
  }
}
