package io.strata.protocol.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.ProtocolConfig;
import io.strata.protocol.testing.EmbeddedServer;
import io.strata.protocol.testing.KafkaFrames;
import io.strata.protocol.testing.PendingHandler;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The connection pipeline on an EmbeddedChannel: framing, ordering, back-pressure, bad input. */
@Timeout(30)
class ConnectionHandlerTest {

  private static final short METADATA_V = 12;
  private static final short PRODUCE_V = 9;
  private static final short DESCRIBE_CLUSTER_V = 1;

  private final PendingHandler pending = new PendingHandler();

  private ApiRegistry registry() {
    return ApiRegistry.builder()
        .register(ApiKeys.METADATA, pending)
        .register(ApiKeys.PRODUCE, (short) 8, (short) 9, pending)
        .register(ApiKeys.DESCRIBE_CLUSTER, pending)
        .build();
  }

  private static byte[] metadata(int correlationId) {
    return KafkaFrames.requestFrame(
        KafkaFrames.header(ApiKeys.METADATA, METADATA_V, correlationId),
        new MetadataRequestData().setTopics(null));
  }

  private static RequestHeader metadataHeader(int correlationId) {
    return KafkaFrames.header(ApiKeys.METADATA, METADATA_V, correlationId);
  }

  private static byte[] apiVersions(short version, int correlationId) {
    return KafkaFrames.requestFrame(
        KafkaFrames.header(ApiKeys.API_VERSIONS, version, correlationId),
        new ApiVersionsRequestData()
            .setClientSoftwareName("strata-test")
            .setClientSoftwareVersion("1.0"));
  }

  private static byte[] describeCluster(int correlationId) {
    return KafkaFrames.requestFrame(
        KafkaFrames.header(ApiKeys.DESCRIBE_CLUSTER, DESCRIBE_CLUSTER_V, correlationId),
        new DescribeClusterRequestData());
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  private static int correlationIdOf(ByteBuf frame) {
    return frame.getInt(frame.readerIndex() + 4);
  }

  @Test
  void apiVersionsAdvertisesExactlyTheRegisteredKeysAndRanges() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(apiVersions((short) 3, 1));
      ApiVersionsResponse response =
          (ApiVersionsResponse)
              KafkaFrames.parseResponse(
                  server.nextResponse(), KafkaFrames.header(ApiKeys.API_VERSIONS, (short) 3, 1));
      assertThat(response.data().errorCode()).isEqualTo(Errors.NONE.code());
      List<String> advertised = new ArrayList<>();
      for (ApiVersion v : response.data().apiKeys()) {
        advertised.add(v.apiKey() + ":" + v.minVersion() + ".." + v.maxVersion());
      }
      assertThat(advertised)
          .containsExactly(
              "0:8..9",
              "3:" + ApiKeys.METADATA.oldestVersion() + ".." + ApiKeys.METADATA.latestVersion(),
              "18:"
                  + ApiKeys.API_VERSIONS.oldestVersion()
                  + ".."
                  + ApiKeys.API_VERSIONS.latestVersion(),
              "60:"
                  + ApiKeys.DESCRIBE_CLUSTER.oldestVersion()
                  + ".."
                  + ApiKeys.DESCRIBE_CLUSTER.latestVersion());
    }
  }

  @Test
  void apiVersionsNewerThanKnownGetsUnsupportedVersionInV0() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      short tooNew = (short) (ApiKeys.API_VERSIONS.latestVersion() + 1);
      // A future client: header v2 (flexible), a body we cannot know; the server must not parse it.
      byte[] payload =
          concat(
              KafkaFrames.requestBytes(
                  KafkaFrames.header(ApiKeys.API_VERSIONS, (short) 3, 7),
                  new ApiVersionsRequestData()),
              new byte[] {1, 2, 3, 4, 5});
      ByteBuffer.wrap(payload).putShort(2, tooNew);
      server.receive(KafkaFrames.withSizePrefix(payload));
      ApiVersionsResponse response =
          (ApiVersionsResponse)
              KafkaFrames.parseResponse(
                  server.nextResponse(), KafkaFrames.header(ApiKeys.API_VERSIONS, (short) 0, 7));
      assertThat(response.data().errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
      ApiVersion range = response.data().apiKeys().find(ApiKeys.API_VERSIONS.id);
      assertThat(range.minVersion()).isEqualTo(ApiKeys.API_VERSIONS.oldestVersion());
      assertThat(range.maxVersion()).isEqualTo(ApiKeys.API_VERSIONS.latestVersion());
      assertThat(server.channel.isActive()).isTrue();
    }
  }

  @Test
  void partialFramesAreReassembled() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      byte[] frame = apiVersions((short) 3, 42);
      for (int i = 0; i < frame.length - 1; i++) {
        server.receive(new byte[] {frame[i]});
        assertThat(server.nextResponse()).isNull();
      }
      server.receive(new byte[] {frame[frame.length - 1]});
      ByteBuf response = server.nextResponse();
      assertThat(correlationIdOf(response)).isEqualTo(42);
      response.release();
    }
  }

  @Test
  void severalFramesInOneReadAreAllServedInOrder() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      byte[] first = apiVersions((short) 3, 1);
      byte[] third = apiVersions((short) 2, 3);
      byte[] fourth = apiVersions((short) 0, 4);
      // The fourth frame arrives split across two reads.
      byte[] batch =
          concat(first, apiVersions((short) 1, 2), third, java.util.Arrays.copyOf(fourth, 5));
      server.receive(batch);
      for (int expected = 1; expected <= 3; expected++) {
        ByteBuf r = server.nextResponse();
        assertThat(correlationIdOf(r)).isEqualTo(expected);
        r.release();
      }
      assertThat(server.nextResponse()).isNull();
      server.receive(java.util.Arrays.copyOfRange(fourth, 5, fourth.length));
      ByteBuf r = server.nextResponse();
      assertThat(correlationIdOf(r)).isEqualTo(4);
      r.release();
    }
  }

  @Test
  void oversizeFrameClosesAsSoonAsItsSizeArrives() {
    try (EmbeddedServer server =
        new EmbeddedServer(
            registry(), Map.of(ProtocolConfig.SOCKET_REQUEST_MAX_BYTES_CONFIG, 1000))) {
      server.receive(ByteBuffer.allocate(4).putInt(1001).array());
      assertThat(server.channel.isActive()).isFalse();
      assertThat(server.metric("invalid-request-total", Map.of("listener", "PLAINTEXT")))
          .isEqualTo(1.0);
    }
  }

  @Test
  void negativeFrameSizeCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(ByteBuffer.allocate(8).putInt(-5).putInt(0).array());
      assertThat(server.channel.isActive()).isFalse();
    }
  }

  @Test
  void frameOfExactlyTheMaximumIsServed() {
    byte[] frame = apiVersions((short) 3, 9);
    try (EmbeddedServer server =
        new EmbeddedServer(
            registry(), Map.of(ProtocolConfig.SOCKET_REQUEST_MAX_BYTES_CONFIG, frame.length - 4))) {
      server.receive(frame);
      ByteBuf r = server.nextResponse();
      assertThat(correlationIdOf(r)).isEqualTo(9);
      r.release();
      assertThat(server.channel.isActive()).isTrue();
    }
  }

  @Test
  void responsesLeaveInRequestOrderWhateverOrderHandlersComplete() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      for (int i = 0; i < 5; i++) {
        server.receive(metadata(i));
      }
      assertThat(pending.calls).hasSize(5);
      List<Integer> seen = new ArrayList<>();
      for (int i : new int[] {4, 2, 3}) {
        pending.calls.get(i).answerDefault();
        assertThat(server.nextResponse()).as("head of line still pending").isNull();
      }
      pending.calls.get(0).answerDefault();
      collect(server, seen);
      assertThat(seen).containsExactly(0);
      pending.calls.get(1).answerDefault();
      collect(server, seen);
      assertThat(seen).containsExactly(0, 1, 2, 3, 4);
    }
  }

  private static void collect(EmbeddedServer server, List<Integer> seen) {
    ByteBuf r;
    while ((r = server.nextResponse()) != null) {
      int correlationId = correlationIdOf(r);
      AbstractResponse parsed = KafkaFrames.parseResponse(r, metadataHeader(correlationId));
      assertThat(parsed).isInstanceOf(MetadataResponse.class);
      seen.add(correlationId);
    }
  }

  @Test
  void autoReadTurnsOffAtTheRequestCapAndBackOnBelowIt() {
    try (EmbeddedServer server =
        new EmbeddedServer(registry(), Map.of(ProtocolConfig.MAX_INFLIGHT_REQUESTS_CONFIG, 2))) {
      server.receive(metadata(0));
      assertThat(server.channel.config().isAutoRead()).isTrue();
      server.receive(metadata(1));
      assertThat(server.channel.config().isAutoRead()).isFalse();
      pending.calls.get(1).answerDefault();
      assertThat(server.channel.config().isAutoRead()).as("head still pending").isFalse();
      pending.calls.get(0).answerDefault();
      assertThat(server.channel.config().isAutoRead()).isTrue();
      releaseAll(server);
    }
  }

  @Test
  void autoReadTurnsOffAtTheByteCapAndBackOnBelowIt() {
    byte[] frame = metadata(0);
    long cap = 2L * (frame.length - 4) - 1; // two requests exceed it, one does not
    try (EmbeddedServer server =
        new EmbeddedServer(registry(), Map.of(ProtocolConfig.MAX_INFLIGHT_BYTES_CONFIG, cap))) {
      server.receive(frame);
      assertThat(server.channel.config().isAutoRead()).isTrue();
      server.receive(metadata(1));
      assertThat(server.channel.config().isAutoRead()).isFalse();
      pending.calls.get(0).answerDefault();
      assertThat(server.channel.config().isAutoRead()).isTrue();
      pending.calls.get(1).answerDefault();
      releaseAll(server);
    }
  }

  @Test
  void framesBeyondTheRequestCapWaitInOrderUntilTheQueueDrains() {
    try (EmbeddedServer server =
        new EmbeddedServer(registry(), Map.of(ProtocolConfig.MAX_INFLIGHT_REQUESTS_CONFIG, 2))) {
      server.receive(concat(metadata(0), metadata(1), metadata(2), metadata(3)));
      assertThat(pending.calls).as("only the cap reaches the handler").hasSize(2);
      assertThat(server.channel.config().isAutoRead()).isFalse();
      pending.calls.get(0).answerDefault();
      assertThat(pending.calls).hasSize(3);
      assertThat(pending.calls.get(2).context().correlationId()).isEqualTo(2);
      assertThat(server.channel.config().isAutoRead()).as("backlog not empty").isFalse();
      pending.calls.get(1).answerDefault();
      pending.calls.get(2).answerDefault();
      pending.calls.get(3).answerDefault();
      assertThat(server.channel.config().isAutoRead()).isTrue();
      List<Integer> seen = new ArrayList<>();
      collect(server, seen);
      assertThat(seen).containsExactly(0, 1, 2, 3);
    }
  }

  @Test
  void aClientThatDoesNotReadStopsDispatchUntilTheChannelIsWritableAgain() {
    List<Integer> flushedWhenCalled = new ArrayList<>();
    EmbeddedServer[] holder = new EmbeddedServer[1];
    ApiRegistry registry =
        ApiRegistry.builder()
            .register(
                ApiKeys.METADATA,
                (ctx, request) -> {
                  flushedWhenCalled.add(holder[0].channel.outboundMessages().size());
                  return CompletableFuture.completedFuture(
                      KafkaFrames.defaultResponse(request.apiKey(), request.version()));
                })
            .build();
    try (EmbeddedServer server = new EmbeddedServer(registry)) {
      holder[0] = server;
      server
          .channel
          .config()
          .setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1, 2));
      server.receive(concat(metadata(0), metadata(1), metadata(2)));
      // Each response made the channel unwritable until the end of the read flushed it, so the
      // next request waited for that flush.
      assertThat(flushedWhenCalled).containsExactly(0, 1, 2);
      List<Integer> seen = new ArrayList<>();
      collect(server, seen);
      assertThat(seen).containsExactly(0, 1, 2);
      assertThat(server.channel.config().isAutoRead()).isTrue();
    }
  }

  private static void releaseAll(EmbeddedServer server) {
    ByteBuf r;
    while ((r = server.nextResponse()) != null) {
      r.release();
    }
  }

  private static byte[] produce(short acks, int correlationId) {
    return KafkaFrames.requestFrame(
        KafkaFrames.header(ApiKeys.PRODUCE, PRODUCE_V, correlationId),
        new ProduceRequestData().setAcks(acks).setTimeoutMs(1000));
  }

  @Test
  void produceWithAcksZeroIsHandledButNeverAnswered() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(produce((short) 0, 1));
      server.receive(metadata(2));
      assertThat(pending.calls).hasSize(2);
      assertThat(((ProduceRequest) pending.calls.get(0).request()).acks()).isEqualTo((short) 0);
      pending.calls.get(1).answerDefault();
      assertThat(server.nextResponse()).as("waits behind the produce").isNull();
      pending.calls.get(0).answerDefault();
      ByteBuf r = server.nextResponse();
      assertThat(correlationIdOf(r)).isEqualTo(2);
      r.release();
      assertThat(server.nextResponse()).isNull();
      assertThat(server.channel.isActive()).isTrue();
    }
  }

  @Test
  void failedProduceWithAcksZeroClosesTheConnectionAfterEarlierResponses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(metadata(1));
      server.receive(produce((short) 0, 2));
      pending.calls.get(1).future().completeExceptionally(new IllegalStateException("boom"));
      assertThat(server.channel.isActive()).isTrue();
      pending.calls.get(0).answerDefault();
      ByteBuf r = server.nextResponse();
      assertThat(correlationIdOf(r)).isEqualTo(1);
      r.release();
      assertThat(server.channel.isActive()).isFalse();
    }
  }

  @Test
  void produceWithAcksOneIsAnswered() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(produce((short) 1, 5));
      pending.calls.get(0).answerDefault();
      ByteBuf r = server.nextResponse();
      assertThat(correlationIdOf(r)).isEqualTo(5);
      r.release();
    }
  }

  private static DescribeClusterResponse describeClusterResponse(ByteBuf frame, int correlationId) {
    return (DescribeClusterResponse)
        KafkaFrames.parseResponse(
            frame, KafkaFrames.header(ApiKeys.DESCRIBE_CLUSTER, DESCRIBE_CLUSTER_V, correlationId));
  }

  @Test
  void handlerFailuresBecomeErrorResponsesAndTheConnectionStaysOpen() {
    AtomicInteger calls = new AtomicInteger();
    ApiRegistry registry =
        ApiRegistry.builder()
            .register(
                ApiKeys.DESCRIBE_CLUSTER,
                (ctx, request) -> {
                  switch (calls.getAndIncrement()) {
                    case 0:
                      throw new IllegalStateException("thrown by the handler");
                    case 1:
                      return CompletableFuture.failedFuture(new RuntimeException("failed future"));
                    case 2:
                      return CompletableFuture.failedFuture(
                          new CompletionException(new NotCoordinatorException("api error")));
                    case 3:
                      return null;
                    case 4:
                      // the wrong API's response
                      return CompletableFuture.completedFuture(
                          KafkaFrames.defaultResponse(ApiKeys.METADATA, METADATA_V));
                    default:
                      return CompletableFuture.completedFuture(
                          KafkaFrames.defaultResponse(
                              ApiKeys.DESCRIBE_CLUSTER, DESCRIBE_CLUSTER_V));
                  }
                })
            .build();
    try (EmbeddedServer server = new EmbeddedServer(registry)) {
      Errors[] expected = {
        Errors.UNKNOWN_SERVER_ERROR,
        Errors.UNKNOWN_SERVER_ERROR,
        Errors.NOT_COORDINATOR,
        Errors.UNKNOWN_SERVER_ERROR,
        Errors.UNKNOWN_SERVER_ERROR,
        Errors.NONE
      };
      for (int i = 0; i < expected.length; i++) {
        server.receive(describeCluster(i));
        DescribeClusterResponse r = describeClusterResponse(server.nextResponse(), i);
        assertThat(Errors.forCode(r.data().errorCode())).as("call %d", i).isEqualTo(expected[i]);
        assertThat(server.channel.isActive()).isTrue();
      }
      Map<String, String> tags = Map.of("api", ApiKeys.DESCRIBE_CLUSTER.name);
      assertThat(server.metric("request-total", tags)).isEqualTo(6.0);
      assertThat(server.metric("handler-failure-total", tags)).isEqualTo(5.0);
      assertThat(server.metric("error-total", tags)).isEqualTo(5.0);
    }
  }

  @Test
  void unknownApiKeyCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      byte[] payload = KafkaFrames.requestBytes(metadataHeader(1), new MetadataRequestData());
      ByteBuffer.wrap(payload).putShort(0, (short) 999);
      server.receive(KafkaFrames.withSizePrefix(payload));
      assertThat(server.channel.isActive()).isFalse();
      assertThat(pending.calls).isEmpty();
    }
  }

  @Test
  void unregisteredApiCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(KafkaFrames.defaultRequestFrame(ApiKeys.LIST_GROUPS, (short) 4, 1));
      assertThat(server.channel.isActive()).isFalse();
    }
  }

  @Test
  void versionOutsideTheRegisteredRangeCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(
          KafkaFrames.requestFrame(
              KafkaFrames.header(ApiKeys.PRODUCE, (short) 10, 1),
              new ProduceRequestData().setAcks((short) 1)));
      assertThat(server.channel.isActive()).isFalse();
      assertThat(pending.calls).isEmpty();
    }
  }

  @Test
  void versionNewerThanKafkaClientsKnowsCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      byte[] payload = KafkaFrames.requestBytes(metadataHeader(1), new MetadataRequestData());
      ByteBuffer.wrap(payload).putShort(2, (short) (ApiKeys.METADATA.latestVersion() + 1));
      server.receive(KafkaFrames.withSizePrefix(payload));
      assertThat(server.channel.isActive()).isFalse();
    }
  }

  @Test
  void bodyThatDoesNotParseCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      byte[] payload = KafkaFrames.requestBytes(metadataHeader(1), new MetadataRequestData());
      byte[] header =
          java.util.Arrays.copyOf(
              payload,
              payload.length
                  - new MetadataRequestData()
                      .size(
                          new org.apache.kafka.common.protocol.ObjectSerializationCache(),
                          METADATA_V));
      byte[] garbage = new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
      server.receive(KafkaFrames.withSizePrefix(concat(header, garbage)));
      assertThat(server.channel.isActive()).isFalse();
      assertThat(pending.calls).isEmpty();
    }
  }

  @Test
  void emptyFrameCloses() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(new byte[] {0, 0, 0, 0});
      assertThat(server.channel.isActive()).isFalse();
    }
  }

  @Test
  void requestsAfterABadFrameInTheSameReadAreIgnored() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(concat(new byte[] {0, 0, 0, 0}, metadata(1), metadata(2)));
      assertThat(server.channel.isActive()).isFalse();
      assertThat(pending.calls).isEmpty();
    }
  }

  @Test
  void idleConnectionClosesAfterTheIdleTimeButNotWithARequestInFlight() {
    try (EmbeddedServer server =
        new EmbeddedServer(
            registry(), Map.of(ProtocolConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG, 1000L))) {
      server.channel.freezeTime();
      server.receive(metadata(1));
      server.channel.advanceTimeBy(5, TimeUnit.SECONDS);
      server.channel.runScheduledPendingTasks();
      assertThat(server.channel.isActive()).as("a request is in flight").isTrue();
      pending.calls.get(0).answerDefault();
      releaseAll(server);
      server.channel.advanceTimeBy(999, TimeUnit.MILLISECONDS);
      server.channel.runScheduledPendingTasks();
      assertThat(server.channel.isActive()).isTrue();
      server.channel.advanceTimeBy(1001, TimeUnit.MILLISECONDS);
      server.channel.runScheduledPendingTasks();
      assertThat(server.channel.isActive()).isFalse();
    }
  }

  @Test
  void handlerSeesTheParsedRequestAndItsContext() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(apiVersions((short) 3, 1));
      server.nextResponse().release();
      server.receive(metadata(77));
      PendingHandler.Call call = pending.calls.get(0);
      assertThat(call.request()).isInstanceOf(MetadataRequest.class);
      assertThat(call.request().version()).isEqualTo(METADATA_V);
      assertThat(call.context().apiKey()).isEqualTo(ApiKeys.METADATA);
      assertThat(call.context().correlationId()).isEqualTo(77);
      assertThat(call.context().clientId()).isEqualTo(KafkaFrames.CLIENT_ID);
      assertThat(call.context().listenerName()).isEqualTo("PLAINTEXT");
      assertThat(call.context().principal().getName()).isEqualTo("ANONYMOUS");
      assertThat(call.context().clientInformation().softwareName()).isEqualTo("strata-test");
      assertThat(call.context().clientInformation().softwareVersion()).isEqualTo("1.0");
      call.answerDefault();
      releaseAll(server);
    }
  }

  @Test
  void responsesOfAClosedConnectionAreDropped() {
    try (EmbeddedServer server = new EmbeddedServer(registry())) {
      server.receive(metadata(1));
      server.channel.close();
      pending.calls.get(0).answerDefault();
      assertThat(server.nextResponse()).isNull();
    }
  }
}
