package io.strata.protocol.testing;

import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.ProtocolConfig;
import io.strata.protocol.api.ProtocolServer;
import io.strata.protocol.internals.ProtocolMetrics;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;

/** A started {@link ProtocolServer} on an ephemeral loopback port with two event loops. */
public final class TestServer implements AutoCloseable {

  public final ProtocolServer server;
  public final int port;

  public TestServer(ApiRegistry registry) {
    this(registry, Map.of());
  }

  public TestServer(ApiRegistry registry, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProtocolConfig.LISTENERS_CONFIG, "PLAINTEXT://127.0.0.1:0");
    props.put(ProtocolConfig.NETWORK_THREADS_CONFIG, 2);
    props.putAll(overrides);
    server = new ProtocolServer(new ProtocolConfig(props), registry);
    server.start();
    port = server.boundPort();
  }

  /** A metric of group strata-protocol with the given tags. */
  public double metric(String name, Map<String, String> tags) {
    MetricName n = server.metrics().metricName(name, ProtocolMetrics.GROUP, "", tags);
    KafkaMetric m = server.metrics().metric(n);
    if (m == null) {
      throw new IllegalArgumentException("no metric " + n);
    }
    return ((Number) m.metricValue()).doubleValue();
  }

  @Override
  public void close() {
    server.close();
  }
}
