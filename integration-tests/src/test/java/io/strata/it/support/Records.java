package io.strata.it.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reading helpers with deadlines (never sleeps). */
public final class Records {
  private Records() {}

  /**
   * Assigns {@code partitions} from the beginning and polls until {@code expected} records arrived
   * or {@code timeout} passes.
   */
  public static <K, V> List<ConsumerRecord<K, V>> readFromStart(
      KafkaConsumer<K, V> consumer,
      Collection<TopicPartition> partitions,
      int expected,
      Duration timeout) {
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < expected && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }

  /**
   * Reads partitions {@code 0..partitions-1} of {@code topic} from the beginning up to the end
   * offsets they have when the read starts (with a fresh consumer, no group), or until {@code
   * timeout} passes; the records by partition.
   */
  public static Map<Integer, List<ConsumerRecord<String, String>>> readAll(
      String bootstrap, String topic, int partitions, Duration timeout) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    Map<Integer, List<ConsumerRecord<String, String>>> out = new HashMap<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < partitions; i++) {
        tps.add(new TopicPartition(topic, i));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(60));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline
          && tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(300))) {
          out.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
        }
      }
    }
    return out;
  }
}
