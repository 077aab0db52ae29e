package io.strata.it.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

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
}
