package io.strata.it.groups;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A group consumer polling on its own thread (a consumer is single-threaded), recording what it is
 * assigned, what is revoked from it and every record it receives. Tasks submitted with {@link
 * #onPollThread} run between polls.
 */
final class PollingConsumer implements AutoCloseable {
  final String name;
  final List<ConsumerRecord<String, String>> records = new CopyOnWriteArrayList<>();
  final List<TopicPartition> revoked = new CopyOnWriteArrayList<>();
  final List<TopicPartition> lost = new CopyOnWriteArrayList<>();
  final AtomicReference<Set<TopicPartition>> assignment = new AtomicReference<>(Set.of());
  final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final ConcurrentLinkedQueue<java.util.function.Consumer<KafkaConsumer<String, String>>>
      tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;

  PollingConsumer(
      String name, String bootstrap, String group, String topic, Map<String, Object> extra) {
    this.name = name;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    p.putAll(extra);
    this.thread =
        new Thread(
            () -> {
              try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
                c.subscribe(
                    List.of(topic),
                    new ConsumerRebalanceListener() {
                      @Override
                      public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                        revoked.addAll(parts);
                      }

                      @Override
                      public void onPartitionsAssigned(Collection<TopicPartition> parts) {}

                      @Override
                      public void onPartitionsLost(Collection<TopicPartition> parts) {
                        lost.addAll(parts);
                      }
                    });
                while (!stop.get()) {
                  for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    records.add(r);
                  }
                  assignment.set(Set.copyOf(c.assignment()));
                  java.util.function.Consumer<KafkaConsumer<String, String>> task;
                  while ((task = tasks.poll()) != null) {
                    task.accept(c);
                  }
                }
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "consumer-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Runs {@code task} on the polling thread, between polls. */
  void onPollThread(java.util.function.Consumer<KafkaConsumer<String, String>> task) {
    tasks.add(task);
  }

  Set<String> values() {
    Set<String> out = new HashSet<>();
    records.forEach(r -> out.add(r.value()));
    return out;
  }

  List<String> valueList() {
    List<String> out = new ArrayList<>();
    records.forEach(r -> out.add(r.value()));
    return out;
  }

  /** Stops polling and closes the consumer (a dynamic member sends LeaveGroup). */
  @Override
  public void close() {
    stop.set(true);
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
