package io.strata.it.support;

import io.strata.ops.standalone.Standalone;
import io.strata.storage.embedded.EmbeddedBookie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one in-process Strata standalone (ZooKeeper, bookies, broker) per test class
 * on an ephemeral port, and real kafka-clients connected to it. Clients made here are closed after
 * the class.
 *
 * <pre>
 * {@code @RegisterExtension static final StandaloneExtension strata = StandaloneExtension.withBookies(1);}
 * </pre>
 */
public final class StandaloneExtension implements BeforeAllCallback, AfterAllCallback {
  private final int bookies;
  private final Map<String, String> overrides = new HashMap<>();
  private final List<AutoCloseable> clients = new ArrayList<>();
  private Path dir;
  private Standalone standalone;

  private StandaloneExtension(int bookies) {
    this.bookies = bookies;
  }

  public static StandaloneExtension withBookies(int bookies) {
    return new StandaloneExtension(bookies);
  }

  /** A broker property for this class's standalone. */
  public StandaloneExtension broker(String key, String value) {
    overrides.put(key, value);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("strata-it-");
    // A short bookie GC period, so tests can see deleted ledgers leave the bookies.
    standalone =
        Standalone.start(
            dir, 0, bookies, overrides, EmbeddedBookie.Settings.defaults().withGcWaitTimeMs(1000));
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    for (AutoCloseable c : clients) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    clients.clear();
    if (standalone != null) {
      standalone.close();
    }
    TempDirs.deleteRecursively(dir);
  }

  public Standalone standalone() {
    return standalone;
  }

  public String bootstrap() {
    return "127.0.0.1:" + standalone.broker().boundPort();
  }

  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    return track(Admin.create(p));
  }

  public KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    p.putAll(extra);
    return track(new KafkaProducer<>(p));
  }

  public KafkaConsumer<String, String> consumer(Map<String, Object> extra) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.putAll(extra);
    return track(new KafkaConsumer<>(p));
  }

  private <T extends AutoCloseable> T track(T client) {
    clients.add(client);
    return client;
  }

  /** Default poll budget for tests. */
  public static final Duration POLL = Duration.ofMillis(500);
}
