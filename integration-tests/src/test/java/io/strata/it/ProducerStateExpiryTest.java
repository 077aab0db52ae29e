package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.it.support.BrokerCluster;
import io.strata.it.support.Records;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A partition accepts a batch that does not start at sequence 0 from a producer it has no state for
 * only if that producer's state expired there (Kafka accepts it from any unknown producer; Strata
 * refuses the others so that a moving partition never stores a producer's batches out of order).
 * Here the state expires as the partition moves ({@code producer.id.expiration.ms} of 1 ms), twice,
 * and a stock producer goes on writing, in order and without an error.
 */
@Tag("integration")
@Timeout(180)
class ProducerStateExpiryTest {
  private static final String TOPIC = "expiring";

  @RegisterExtension
  static final BrokerCluster cluster =
      BrokerCluster.of(2, 1).broker("producer.id.expiration.ms", "1");

  private static int leader(Admin admin) throws Exception {
    TopicPartitionInfo p =
        admin
            .describeTopics(Set.of(TOPIC))
            .allTopicNames()
            .get(30, TimeUnit.SECONDS)
            .get(TOPIC)
            .partitions()
            .get(0);
    return p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
  }

  private static void moveTo(Admin admin, TopicPartition tp, int broker) throws Exception {
    admin
        .alterPartitionReassignments(
            Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(broker)))))
        .all()
        .get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(60)).until(() -> leader(admin) == broker);
  }

  private static void sendAll(KafkaProducer<String, String> producer, int from, int to)
      throws Exception {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (int i = from; i < to; i++) {
      sent.add(producer.send(new ProducerRecord<>(TOPIC, 0, null, "r" + i)));
    }
    for (Future<RecordMetadata> f : sent) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  private static List<ProducerState> producers(Admin admin, TopicPartition tp) throws Exception {
    return admin
        .describeProducers(List.of(tp))
        .partitionResult(tp)
        .get(30, TimeUnit.SECONDS)
        .activeProducers();
  }

  @Test
  void aProducerWhoseStateExpiredResumesWhereItWas() throws Exception {
    Admin admin = cluster.admin();
    admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(60)).until(() -> leader(admin) > 0);
    TopicPartition tp = new TopicPartition(TOPIC, 0);
    int first = leader(admin);
    moveTo(admin, tp, first); // pinned: the balancer leaves it alone from here on

    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    KafkaProducer<String, String> producer = cluster.track(new KafkaProducer<>(p));
    sendAll(producer, 0, 20);

    // Each new owner finds the producer's state expired as it loads the partition, and drops it.
    for (int round = 1; round <= 2; round++) {
      moveTo(admin, tp, (first + round - 1) % 2 + 1);
      assertThat(producers(admin, tp)).as("state expired on the new owner").isEmpty();
      int last = round * 20 + 19;
      sendAll(producer, round * 20, last + 1);
      assertThat(producers(admin, tp))
          .singleElement()
          .satisfies(s -> assertThat(s.lastSequence()).isEqualTo(last))
          .satisfies(s -> assertThat(s.producerEpoch()).isZero());
    }
    assertThat(Records.readAll(cluster.bootstrap(), TOPIC, 1, Duration.ofSeconds(60)).get(0))
        .extracting(ConsumerRecord::value)
        .containsExactlyElementsOf(IntStream.range(0, 60).mapToObj(i -> "r" + i).toList());
  }
}
