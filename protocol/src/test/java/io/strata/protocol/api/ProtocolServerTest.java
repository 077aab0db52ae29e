package io.strata.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strata.protocol.testing.KafkaFrames;
import io.strata.protocol.testing.RawClient;
import io.strata.protocol.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server over real sockets: lifecycle, listeners, ordering across threads, caps, idleness. */
@Timeout(60)
class ProtocolServerTest {

  private static final short METADATA_V = 12;

  private static byte[] metadata(int correlationId) {
    return KafkaFrames.requestFrame(
        KafkaFrames.header(ApiKeys.METADATA, METADATA_V, correlationId),
        new MetadataRequestData().setTopics(null));
  }

  private static AbstractResponse stubMetadata() {
    return KafkaFrames.defaultResponse(ApiKeys.METADATA, METADATA_V);
  }

  private static ApiRegistry immediateMetadata() {
    return ApiRegistry.builder()
        .register(ApiKeys.METADATA, (ctx, r) -> CompletableFuture.completedFuture(stubMetadata()))
        .build();
  }

  @Test
  void bindsEphemeralPortsAndAdvertisesThem() {
    Map<String, Object> props =
        Map.of(
            "listeners", "INTERNAL://127.0.0.1:0,CLIENT://127.0.0.1:0",
            "listener.security.protocol.map", "INTERNAL:PLAINTEXT,CLIENT:PLAINTEXT",
            "advertised.listeners", "INTERNAL://127.0.0.1:0,CLIENT://clients.example.com:19092",
            "strata.network.threads", 1);
    try (ProtocolServer server =
        new ProtocolServer(new ProtocolConfig(props), immediateMetadata())) {
      server.start();
      int internal = server.boundPort("INTERNAL");
      int client = server.boundPort("CLIENT");
      assertThat(internal).isPositive().isNotEqualTo(client);
      assertThat(server.boundPort()).isEqualTo(internal);
      assertThat(server.boundEndpoints())
          .containsExactly(
              new Endpoint("INTERNAL", SecurityProtocol.PLAINTEXT, "127.0.0.1", internal),
              new Endpoint("CLIENT", SecurityProtocol.PLAINTEXT, "127.0.0.1", client));
      assertThat(server.advertisedEndpoints())
          .containsExactly(
              new Endpoint("INTERNAL", SecurityProtocol.PLAINTEXT, "127.0.0.1", internal),
              new Endpoint("CLIENT", SecurityProtocol.PLAINTEXT, "clients.example.com", 19092));
      assertThatThrownBy(() -> server.boundPort("NOPE"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void aBusyPortFailsStartWithAClearErrorAndStopsWhatItStarted() {
    try (TestServer first = new TestServer(immediateMetadata())) {
      ProtocolServer second =
          new ProtocolServer(
              new ProtocolConfig(Map.of("listeners", "PLAINTEXT://127.0.0.1:" + first.port)),
              immediateMetadata());
      assertThatThrownBy(second::start)
          .isInstanceOf(KafkaException.class)
          .hasMessageContaining("Cannot bind listener PLAINTEXT://127.0.0.1:" + first.port);
      second.close();
    }
  }

  @Test
  void closeIsIdempotentAndRemovesItsMetricsFromASharedRegistry() throws Exception {
    try (Metrics shared = new Metrics()) {
      int before = shared.metrics().size();
      ProtocolServer server =
          new ProtocolServer(
              new ProtocolConfig(Map.of("listeners", "PLAINTEXT://127.0.0.1:0")),
              immediateMetadata(),
              shared);
      server.start();
      int port = server.boundPort();
      MetricName p99 =
          shared.metricName(
              "request-latency-ms-p99", "strata-protocol", "", Map.of("api", "Metadata"));
      try (RawClient client = new RawClient(port)) {
        client.send(metadata(1));
        client.receive();
      }
      assertThat(shared.metric(p99)).isNotNull();
      server.close();
      server.close();
      assertThat(shared.metrics()).hasSize(before);
      assertThatThrownBy(() -> new RawClient(port)).isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void responsesStayInOrderWhenFuturesCompleteOnOtherThreadsOutOfOrder() throws Exception {
    ScheduledExecutorService completer = Executors.newScheduledThreadPool(4);
    try {
      ApiRegistry registry =
          ApiRegistry.builder()
              .register(
                  ApiKeys.METADATA,
                  (ctx, r) -> {
                    CompletableFuture<AbstractResponse> f = new CompletableFuture<>();
                    // Later requests finish first: the delay shrinks with the correlation id.
                    long delayMicros = (500 - ctx.correlationId() % 500) * 20L;
                    completer.schedule(
                        () -> f.complete(stubMetadata()), delayMicros, TimeUnit.MICROSECONDS);
                    return f;
                  })
              .build();
      try (TestServer server = new TestServer(registry);
          RawClient client = new RawClient(server.port)) {
        int n = 500;
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
          all.write(metadata(i));
        }
        client.send(all.toByteArray());
        for (int i = 0; i < n; i++) {
          AbstractResponse r =
              KafkaFrames.parseResponse(
                  client.receive(), KafkaFrames.header(ApiKeys.METADATA, METADATA_V, i));
          assertThat(r).isInstanceOf(MetadataResponse.class);
        }
        assertThat(server.metric("request-total", Map.of("api", "Metadata"))).isEqualTo(n);
        assertThat(server.metric("connection-count", Map.of("listener", "PLAINTEXT")))
            .isEqualTo(1.0);
      }
    } finally {
      completer.shutdownNow();
    }
  }

  @Test
  void noMoreThanTheCapOfRequestsReachesHandlersPerConnection() throws Exception {
    ConcurrentLinkedQueue<CompletableFuture<AbstractResponse>> parked =
        new ConcurrentLinkedQueue<>();
    ApiRegistry registry =
        ApiRegistry.builder()
            .register(
                ApiKeys.METADATA,
                (ctx, r) -> {
                  CompletableFuture<AbstractResponse> f = new CompletableFuture<>();
                  parked.add(f);
                  return f;
                })
            .build();
    try (TestServer server =
            new TestServer(registry, Map.of(ProtocolConfig.MAX_INFLIGHT_REQUESTS_CONFIG, 5));
        RawClient client = new RawClient(server.port)) {
      int n = 50;
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        all.write(metadata(i));
      }
      client.send(all.toByteArray());
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(10))
          .until(() -> parked.size() == 5);
      int answered = 0;
      while (answered < n) {
        CompletableFuture<AbstractResponse> next = parked.poll();
        if (next == null) {
          await().atMost(Duration.ofSeconds(10)).until(() -> !parked.isEmpty());
          continue;
        }
        next.complete(stubMetadata());
        KafkaFrames.parseResponse(
            client.receive(), KafkaFrames.header(ApiKeys.METADATA, METADATA_V, answered));
        answered++;
        assertThat(parked.size()).isLessThanOrEqualTo(5);
      }
    }
  }

  @Test
  void idleConnectionsAreClosed() throws Exception {
    try (TestServer server =
            new TestServer(
                immediateMetadata(), Map.of(ProtocolConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG, 300L));
        RawClient client = new RawClient(server.port, 10_000)) {
      client.send(metadata(1));
      client.receive();
      long start = System.nanoTime();
      assertThat(client.closedByServer()).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(200));
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> server.metric("connection-count", Map.of("listener", "PLAINTEXT")) == 0.0);
    }
  }

  @Test
  void listenerOnEveryInterfaceAcceptsLoopback() throws Exception {
    try (ProtocolServer server =
        new ProtocolServer(
            new ProtocolConfig(
                Map.of(
                    "listeners", "PLAINTEXT://:0",
                    "advertised.listeners", "PLAINTEXT://127.0.0.1:0")),
            immediateMetadata())) {
      server.start();
      try (RawClient client = new RawClient(server.boundPort())) {
        client.send(metadata(3));
        assertThat(client.receive()).isNotEmpty();
      }
      List<Endpoint> advertised = server.advertisedEndpoints();
      assertThat(advertised.get(0).port()).isEqualTo(server.boundPort());
      assertThat(InetAddress.getByName(advertised.get(0).host()).isLoopbackAddress()).isTrue();
    }
  }
}
