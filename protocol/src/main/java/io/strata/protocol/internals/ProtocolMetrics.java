package io.strata.protocol.internals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Percentile;
import org.apache.kafka.common.metrics.stats.Percentiles;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The protocol server's sensors in a kafka-clients {@link Metrics} registry, group {@value #GROUP}:
 *
 * <ul>
 *   <li>per API (tag {@code api}, e.g. {@code Metadata}): {@code request-total}, {@code
 *       request-rate}, {@code error-total} (responses carrying any error code), {@code
 *       handler-failure-total} (futures failed or handler threw), {@code request-latency-ms-avg},
 *       {@code -max}, {@code -p50}, {@code -p99} (receipt of the request to the response being
 *       queued for the socket);
 *   <li>per listener (tag {@code listener}): {@code connection-count}, {@code
 *       connection-creation-total}, {@code connection-close-total}, {@code invalid-request-total}
 *       (connections closed for bad input), {@code incoming-byte-total}/{@code -rate}, {@code
 *       outgoing-byte-total}/{@code -rate}.
 * </ul>
 *
 * <p>Thread-safe: sensors synchronize internally, counters are atomic. {@link #close()} removes
 * everything this instance registered, so a shared registry can outlive the server.
 */
public final class ProtocolMetrics implements AutoCloseable {

  public static final String GROUP = "strata-protocol";

  /** Latencies above this many milliseconds land in the histogram's last bucket. */
  private static final double MAX_LATENCY_MS = 10_000;

  /**
   * 2,000 buckets growing linearly in width: 5 µs wide near zero, about 0.1 ms at 1 ms and 1 ms at
   * 100 ms. 8 KB per sample window and API.
   */
  private static final int HISTOGRAM_BYTES = 8_000;

  private final Metrics metrics;
  private final ApiMetrics[] byApiId;
  private final List<String> sensorNames = new ArrayList<>();
  private final List<MetricName> metricNames = new ArrayList<>();

  /** Registers per-API sensors for {@code apiKeys} and nothing else yet. */
  public ProtocolMetrics(Metrics metrics, Iterable<ApiKeys> apiKeys) {
    this.metrics = metrics;
    short maxId = 0;
    for (ApiKeys key : ApiKeys.values()) {
      maxId = (short) Math.max(maxId, key.id);
    }
    this.byApiId = new ApiMetrics[maxId + 1];
    for (ApiKeys key : apiKeys) {
      byApiId[key.id] = new ApiMetrics(key);
    }
  }

  /** The sensors of one API, or {@code null} if it was not registered. */
  public ApiMetrics api(ApiKeys key) {
    return byApiId[key.id];
  }

  /** Registers (once per listener name) the connection-level sensors of a listener. */
  public synchronized ConnectionMetrics listener(String listenerName) {
    return new ConnectionMetrics(listenerName);
  }

  private Sensor sensor(String name) {
    sensorNames.add(name);
    return metrics.sensor(name);
  }

  private MetricName name(String name, String doc, Map<String, String> tags) {
    MetricName n = metrics.metricName(name, GROUP, doc, tags);
    metricNames.add(n);
    return n;
  }

  @Override
  public synchronized void close() {
    for (String s : sensorNames) {
      metrics.removeSensor(s);
    }
    for (MetricName n : metricNames) {
      metrics.removeMetric(n);
    }
    sensorNames.clear();
    metricNames.clear();
  }

  /** Request counters and latency histogram of one API. */
  public final class ApiMetrics {
    private final Sensor requests;
    private final Sensor errors;
    private final Sensor failures;
    private final Sensor latency;

    private ApiMetrics(ApiKeys key) {
      Map<String, String> tags = Map.of("api", key.name);
      String prefix = GROUP + ":" + key.name + ":";
      requests = sensor(prefix + "requests");
      requests.add(
          name("request-total", "Requests received, answered or not.", tags),
          new CumulativeCount());
      requests.add(name("request-rate", "Requests received per second.", tags), new Rate());
      errors = sensor(prefix + "errors");
      errors.add(
          name("error-total", "Responses that carried at least one error code.", tags),
          new CumulativeCount());
      failures = sensor(prefix + "failures");
      failures.add(
          name(
              "handler-failure-total",
              "Requests whose handler threw or failed its future; answered with an error.",
              tags),
          new CumulativeCount());
      latency = sensor(prefix + "latency");
      latency.add(
          name("request-latency-ms-avg", "Mean time from receipt to response, ms.", tags),
          new Avg());
      latency.add(
          name("request-latency-ms-max", "Longest time from receipt to response, ms.", tags),
          new Max());
      latency.add(
          new Percentiles(
              HISTOGRAM_BYTES,
              0.0,
              MAX_LATENCY_MS,
              Percentiles.BucketSizing.LINEAR,
              new Percentile(
                  name("request-latency-ms-p50", "Median time from receipt to response.", tags),
                  50),
              new Percentile(
                  name(
                      "request-latency-ms-p99",
                      "99th percentile of time from receipt to response.",
                      tags),
                  99)));
    }

    /** Counts one received request. */
    public void received() {
      requests.record();
    }

    /**
     * Records a request that left the queue.
     *
     * @param latencyNanos time from receipt to the response being queued (or dropped)
     * @param error whether the response carried an error code
     * @param handlerFailed whether the handler failed
     */
    public void completed(long latencyNanos, boolean error, boolean handlerFailed) {
      latency.record(latencyNanos / 1_000_000.0);
      if (error) {
        errors.record();
      }
      if (handlerFailed) {
        failures.record();
      }
    }
  }

  /** Connection and byte counters of one listener. */
  public final class ConnectionMetrics {
    private final AtomicInteger open = new AtomicInteger();
    private final Sensor created;
    private final Sensor closed;
    private final Sensor invalid;
    private final Sensor bytesIn;
    private final Sensor bytesOut;

    private ConnectionMetrics(String listener) {
      Map<String, String> tags = Map.of("listener", listener);
      String prefix = GROUP + ":listener-" + listener + ":";
      metrics.addMetric(
          name("connection-count", "Open connections.", tags),
          (Measurable) (config, now) -> open.get());
      created = sensor(prefix + "connections-created");
      created.add(
          name("connection-creation-total", "Connections accepted.", tags), new CumulativeCount());
      closed = sensor(prefix + "connections-closed");
      closed.add(
          name("connection-close-total", "Connections closed, by either side.", tags),
          new CumulativeCount());
      invalid = sensor(prefix + "invalid-requests");
      invalid.add(
          name(
              "invalid-request-total",
              "Connections closed for bad input: oversize frame, unknown API or version,"
                  + " unparseable request.",
              tags),
          new CumulativeCount());
      bytesIn = sensor(prefix + "bytes-in");
      bytesIn.add(
          name("incoming-byte-total", "Request bytes received, with size prefixes.", tags),
          new CumulativeSum());
      bytesIn.add(
          name("incoming-byte-rate", "Request bytes received per second.", tags), new Rate());
      bytesOut = sensor(prefix + "bytes-out");
      bytesOut.add(
          name("outgoing-byte-total", "Response bytes queued, with size prefixes.", tags),
          new CumulativeSum());
      bytesOut.add(
          name("outgoing-byte-rate", "Response bytes queued per second.", tags), new Rate());
    }

    public void connectionOpened() {
      open.incrementAndGet();
      created.record();
    }

    public void connectionClosed() {
      open.decrementAndGet();
      closed.record();
    }

    public void invalidRequest() {
      invalid.record();
    }

    public void bytesIn(long bytes) {
      bytesIn.record(bytes);
    }

    public void bytesOut(long bytes) {
      bytesOut.record(bytes);
    }

    /** Open connections on this listener right now. */
    public int openConnections() {
      return open.get();
    }
  }
}
