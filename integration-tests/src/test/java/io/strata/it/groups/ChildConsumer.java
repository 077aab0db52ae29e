package io.strata.it.groups;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A group member in a JVM of its own, so a test can SIGKILL it: no LeaveGroup, no clean close.
 * Prints {@code ASSIGNED n} whenever its assignment changes.
 *
 * <p>Arguments: bootstrap, group, topic, session timeout in ms.
 */
public final class ChildConsumer {
  private ChildConsumer() {}

  public static void main(String[] args) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "child");
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, args[3]);
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of(args[2]));
      Set<TopicPartition> last = Set.of();
      while (true) {
        c.poll(Duration.ofMillis(100));
        if (!c.assignment().equals(last)) {
          last = Set.copyOf(c.assignment());
          System.out.println("ASSIGNED " + last.size());
          System.out.flush();
        }
      }
    }
  }
}
