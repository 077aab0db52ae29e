package io.strata.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.ProtocolConfig;
import io.strata.protocol.internals.ApiVersionsResponder;
import io.strata.protocol.internals.PipelineInitializer;
import io.strata.protocol.internals.ProtocolMetrics;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The production pipeline of one connection on an {@link EmbeddedChannel}: the test thread is the
 * event loop. Close it to release what is left in the channel.
 */
public final class EmbeddedServer implements AutoCloseable {

  public final Metrics metrics = new Metrics();
  public final EmbeddedChannel channel;
  private final ProtocolMetrics protocolMetrics;

  public EmbeddedServer(ApiRegistry registry) {
    this(registry, Map.of());
  }

  public EmbeddedServer(ApiRegistry registry, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProtocolConfig.LISTENERS_CONFIG, "PLAINTEXT://127.0.0.1:0");
    props.putAll(overrides);
    ProtocolConfig config = new ProtocolConfig(props);
    Set<ApiKeys> keys = EnumSet.of(ApiKeys.API_VERSIONS);
    registry.registrations().forEach(r -> keys.add(r.apiKey()));
    protocolMetrics = new ProtocolMetrics(metrics, keys);
    PipelineInitializer initializer =
        new PipelineInitializer(
            config.listeners().get(0),
            config,
            registry,
            new ApiVersionsResponder(registry),
            protocolMetrics,
            protocolMetrics.listener("PLAINTEXT"),
            new AtomicLong(),
            null);
    channel = new EmbeddedChannel(initializer);
  }

  /** Writes bytes as one read and runs pending tasks. */
  public void receive(byte[] bytes) {
    channel.writeInbound(KafkaFrames.buf(bytes));
    channel.runPendingTasks();
  }

  /** The next response frame written, or {@code null}; the caller releases it. */
  public ByteBuf nextResponse() {
    channel.runPendingTasks();
    while (true) {
      ByteBuf buf = channel.readOutbound();
      if (buf == null || buf.isReadable()) {
        return buf;
      }
      buf.release(); // the empty write that precedes a close-after-flush
    }
  }

  /** The value of a metric of group strata-protocol with the given tags. */
  public double metric(String name, Map<String, String> tags) {
    MetricName n = metrics.metricName(name, ProtocolMetrics.GROUP, "", tags);
    return ((Number) metrics.metric(n).metricValue()).doubleValue();
  }

  @Override
  public void close() {
    channel.finishAndReleaseAll();
    protocolMetrics.close();
    metrics.close();
  }
}
