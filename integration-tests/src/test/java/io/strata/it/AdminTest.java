package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.it.support.StandaloneExtension;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Topic and config administration through the real Kafka Admin client. */
@Tag("integration")
@Timeout(120)
class AdminTest {

  @RegisterExtension
  static final StandaloneExtension strata =
      StandaloneExtension.withBookies(2).broker("auto.create.topics.enable", "false");

  private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static Throwable causeOf(org.apache.kafka.common.KafkaFuture<?> f) {
    try {
      f.get(30, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
  }

  @Test
  void createDescribeAndListTopics() throws Exception {
    Admin admin = strata.admin();
    var created =
        admin.createTopics(
            List.of(
                new NewTopic("orders", 4, (short) 2)
                    .configs(Map.of("retention.ms", "3600000", "min.insync.replicas", "2"))));
    get(created.all());
    assertThat(get(created.numPartitions("orders"))).isEqualTo(4);
    assertThat(get(created.replicationFactor("orders"))).isEqualTo(2);
    assertThat(get(created.config("orders")).get("retention.ms").value()).isEqualTo("3600000");

    assertThat(get(admin.listTopics().names())).contains("orders");
    TopicDescription d = get(admin.describeTopics(Set.of("orders")).allTopicNames()).get("orders");
    assertThat(d.topicId()).isEqualTo(get(created.topicId("orders")));
    assertThat(d.partitions()).hasSize(4);
    int brokerId = strata.standalone().broker().brokerId();
    d.partitions()
        .forEach(
            p -> {
              assertThat(p.leader().id()).isEqualTo(brokerId);
              assertThat(p.isr()).extracting(n -> n.id()).containsExactly(brokerId);
            });
  }

  @Test
  void creationErrorsUseKafkasErrorCodes() throws Exception {
    Admin admin = strata.admin();
    get(admin.createTopics(List.of(new NewTopic("exists", 1, (short) 1))).all());
    assertThat(causeOf(admin.createTopics(List.of(new NewTopic("exists", 1, (short) 1))).all()))
        .isInstanceOf(TopicExistsException.class);
    assertThat(causeOf(admin.createTopics(List.of(new NewTopic("rf-too-big", 1, (short) 3))).all()))
        .isInstanceOf(InvalidReplicationFactorException.class)
        .hasMessageContaining("bookie");
    assertThat(
            causeOf(
                admin
                    .createTopics(
                        List.of(
                            new NewTopic("bad-config", 1, (short) 1)
                                .configs(Map.of("retention.ms", "soon"))))
                    .all()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retention.ms");
    assertThat(
            causeOf(
                admin
                    .createTopics(
                        List.of(
                            new NewTopic("bad-isr", 1, (short) 1)
                                .configs(Map.of("min.insync.replicas", "2"))))
                    .all()))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThat(causeOf(admin.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1))).all()))
        .isInstanceOf(InvalidTopicException.class);
    assertThat(
            causeOf(admin.createTopics(List.of(new NewTopic("no-partitions", 0, (short) 1))).all()))
        .isInstanceOf(InvalidPartitionsException.class);
    assertThat(get(admin.listTopics().names()))
        .doesNotContain("rf-too-big", "bad-config", "bad-isr", "no-partitions");
  }

  @Test
  void validateOnlyCreatesNothing() throws Exception {
    Admin admin = strata.admin();
    get(
        admin
            .createTopics(
                List.of(new NewTopic("dry-run", 2, (short) 1)),
                new CreateTopicsOptions().validateOnly(true))
            .all());
    assertThat(get(admin.listTopics().names())).doesNotContain("dry-run");
  }

  @Test
  void configsAreDescribedWithSourcesAndAlteredIncrementally() throws Exception {
    Admin admin = strata.admin();
    get(
        admin
            .createTopics(
                List.of(
                    new NewTopic("configured", 1, (short) 1)
                        .configs(Map.of("retention.ms", "1000000"))))
            .all());
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, "configured");
    Config c = get(admin.describeConfigs(List.of(res)).all()).get(res);
    assertThat(c.get("retention.ms").value()).isEqualTo("1000000");
    assertThat(c.get("retention.ms").source())
        .isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assertThat(c.get("segment.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
    assertThat(c.get("cleanup.policy").value()).isEqualTo("delete");

    get(
        admin
            .incrementalAlterConfigs(
                Map.of(
                    res,
                    List.of(
                        new AlterConfigOp(
                            new ConfigEntry("retention.ms", "2000000"), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(
                            new ConfigEntry("cleanup.policy", "compact"),
                            AlterConfigOp.OpType.APPEND))))
            .all());
    c = get(admin.describeConfigs(List.of(res)).all()).get(res);
    assertThat(c.get("retention.ms").value()).isEqualTo("2000000");
    assertThat(c.get("cleanup.policy").value()).isEqualTo("delete,compact");

    get(
        admin
            .incrementalAlterConfigs(
                Map.of(
                    res,
                    List.of(
                        new AlterConfigOp(
                            new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE))))
            .all());
    c = get(admin.describeConfigs(List.of(res)).all()).get(res);
    assertThat(c.get("retention.ms").source())
        .isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);

    assertThat(
            causeOf(
                admin
                    .incrementalAlterConfigs(
                        Map.of(
                            res,
                            List.of(
                                new AlterConfigOp(
                                    new ConfigEntry("segment.bytes", "12"),
                                    AlterConfigOp.OpType.SET))))
                    .all()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("segment.bytes");

    ConfigResource broker =
        new ConfigResource(
            ConfigResource.Type.BROKER, String.valueOf(strata.standalone().broker().brokerId()));
    Config bc = get(admin.describeConfigs(List.of(broker)).all()).get(broker);
    assertThat(bc.get("num.partitions").value()).isEqualTo("1");
    assertThat(bc.get("zookeeper.connect").value()).isNotBlank();
    assertThat(bc.get("bookkeeper.ledger.password").isSensitive()).isTrue();
    assertThat(
            causeOf(
                admin
                    .incrementalAlterConfigs(
                        Map.of(
                            broker,
                            List.of(
                                new AlterConfigOp(
                                    new ConfigEntry("num.partitions", "3"),
                                    AlterConfigOp.OpType.SET))))
                    .all()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("restart");
  }

  @Test
  void partitionsCanBeAddedAndServeAtOnce() throws Exception {
    Admin admin = strata.admin();
    get(admin.createTopics(List.of(new NewTopic("growing", 1, (short) 1))).all());
    get(admin.createPartitions(Map.of("growing", NewPartitions.increaseTo(3))).all());
    TopicDescription d =
        get(admin.describeTopics(Set.of("growing")).allTopicNames()).get("growing");
    assertThat(d.partitions()).hasSize(3);
    strata
        .producer(Map.of())
        .send(new ProducerRecord<>("growing", 2, "k", "v"))
        .get(30, TimeUnit.SECONDS);
    assertThat(
            causeOf(admin.createPartitions(Map.of("growing", NewPartitions.increaseTo(2))).all()))
        .isInstanceOf(InvalidPartitionsException.class);
  }

  @Test
  void deletingATopicRemovesItsLedgersFromTheBookies() throws Exception {
    Admin admin = strata.admin();
    get(admin.createTopics(List.of(new NewTopic("doomed", 2, (short) 1))).all());
    KafkaProducer<String, String> producer = strata.producer(Map.of());
    for (int i = 0; i < 10; i++) {
      producer.send(new ProducerRecord<>("doomed", i % 2, "k", "v" + i)).get(30, TimeUnit.SECONDS);
    }
    var topicId =
        get(admin.describeTopics(Set.of("doomed")).allTopicNames()).get("doomed").topicId();
    var store = strata.standalone().broker();
    List<Long> ledgers = new java.util.ArrayList<>();
    for (int p = 0; p < 2; p++) {
      Optional<LogMetadata> md =
          store.logStore().describe(topicId + "-" + p).get(30, TimeUnit.SECONDS);
      assertThat(md).isPresent();
      md.get().segments().stream().map(SegmentMetadata::ledgerId).forEach(ledgers::add);
    }
    assertThat(ledgers).isNotEmpty();

    get(admin.deleteTopics(List.of("doomed")).all());
    assertThat(get(admin.listTopics().names())).doesNotContain("doomed");
    for (int p = 0; p < 2; p++) {
      assertThat(store.logStore().describe(topicId + "-" + p).get(30, TimeUnit.SECONDS)).isEmpty();
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              for (long id : ledgers) {
                assertThat(strata.standalone().storage().anyBookieHasLedger(id))
                    .as("ledger %d on a bookie", id)
                    .isFalse();
              }
            });
    assertThat(causeOf(admin.deleteTopics(List.of("doomed")).all()))
        .isInstanceOf(UnknownTopicOrPartitionException.class);
  }

  @Test
  void describeClusterShowsTheBrokerAndAStableClusterId() throws Exception {
    DescribeClusterResult cluster = strata.admin().describeCluster();
    Collection<org.apache.kafka.common.Node> nodes = get(cluster.nodes());
    assertThat(nodes)
        .extracting(n -> n.id())
        .containsExactly(strata.standalone().broker().brokerId());
    assertThat(get(cluster.clusterId())).isEqualTo(strata.standalone().broker().clusterId());
    assertThat(get(cluster.controller()).id()).isEqualTo(strata.standalone().broker().brokerId());
  }
}
