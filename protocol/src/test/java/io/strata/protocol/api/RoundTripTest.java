package io.strata.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.protocol.testing.KafkaFrames;
import io.strata.protocol.testing.RawClient;
import io.strata.protocol.testing.TestServer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every API a Kafka broker serves ({@link ApiKeys#brokerApis()}), at every version kafka-clients
 * knows: kafka-clients serializes the default request, the live server parses it and hands the
 * handler a request of the right type and version, the handler answers (a default response, or a
 * failure that becomes the API's error response), and kafka-clients parses the response bytes. This
 * is what lets the broker advertise any of them.
 */
@Timeout(60)
class RoundTripTest {

  private static final Map<Integer, AbstractRequest> received = new ConcurrentHashMap<>();
  private static final AtomicInteger correlation = new AtomicInteger();
  private static TestServer server;

  @BeforeAll
  static void start() {
    ApiRegistry.Builder builder = ApiRegistry.builder();
    for (ApiKeys key : ApiKeys.brokerApis()) {
      if (key == ApiKeys.API_VERSIONS) {
        continue;
      }
      builder.register(
          key,
          (ctx, request) -> {
            received.put(ctx.correlationId(), request);
            if (ctx.correlationId() % 2 == 1) {
              return CompletableFuture.failedFuture(new IllegalStateException("stub failure"));
            }
            return CompletableFuture.completedFuture(
                KafkaFrames.defaultResponse(request.apiKey(), request.version()));
          });
    }
    server = new TestServer(builder.build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Stream<Arguments> brokerApiVersions() {
    return ApiKeys.brokerApis().stream()
        .flatMap(key -> key.allVersions().stream().map(v -> Arguments.of(key, v)));
  }

  @ParameterizedTest(name = "{0} v{1}")
  @MethodSource("brokerApiVersions")
  void defaultRequestAndResponseRoundTrip(ApiKeys key, short version) throws Exception {
    int correlationId = 2 * correlation.incrementAndGet();
    AbstractResponse response = roundTrip(key, version, correlationId);
    AbstractResponse expected = expectedResponse(key, version);
    assertThat(response.data()).isEqualTo(expected.data());
  }

  @ParameterizedTest(name = "{0} v{1}")
  @MethodSource("brokerApiVersions")
  void handlerFailureBecomesTheApisErrorResponse(ApiKeys key, short version) throws Exception {
    if (key == ApiKeys.API_VERSIONS) {
      return; // answered by the server itself
    }
    int correlationId = 2 * correlation.incrementAndGet() + 1;
    AbstractResponse response = roundTrip(key, version, correlationId);
    Map<Errors, Integer> errors = new java.util.HashMap<>(response.errorCounts());
    errors.remove(Errors.NONE); // versions without a top-level error field report NONE
    if (!errors.isEmpty()) {
      assertThat(errors).containsOnlyKeys(Errors.UNKNOWN_SERVER_ERROR);
    }
  }

  private static AbstractResponse expectedResponse(ApiKeys key, short version) {
    if (key == ApiKeys.API_VERSIONS) {
      return new io.strata.protocol.internals.ApiVersionsResponder(registry())
          .respond(
              new org.apache.kafka.common.requests.ApiVersionsRequest(
                  new org.apache.kafka.common.message.ApiVersionsRequestData(), version));
    }
    return KafkaFrames.defaultResponse(key, version);
  }

  private static ApiRegistry registry() {
    ApiRegistry.Builder builder = ApiRegistry.builder();
    for (ApiKeys key : ApiKeys.brokerApis()) {
      if (key != ApiKeys.API_VERSIONS) {
        builder.register(key, (ctx, r) -> new CompletableFuture<>());
      }
    }
    return builder.build();
  }

  /**
   * The default (zero-valued) request, except where zero values are not a request a client could
   * send: Produce defaults to acks=0, which gets no response; DescribeAcls to an UNKNOWN resource
   * filter, which kafka-clients refuses to parse (and the server closes the connection).
   */
  private static ApiMessage requestData(ApiKeys key, short version) {
    return switch (key) {
      case PRODUCE -> new ProduceRequestData().setAcks((short) -1).setTimeoutMs(1000);
      case DESCRIBE_ACLS ->
          new DescribeAclsRequest.Builder(AclBindingFilter.ANY).build(version).data();
      default -> key.messageType.newRequest();
    };
  }

  private static AbstractResponse roundTrip(ApiKeys key, short version, int correlationId)
      throws Exception {
    RequestHeader header = KafkaFrames.header(key, version, correlationId);
    try (RawClient client = new RawClient(server.port)) {
      AbstractResponse response = client.roundTrip(header, requestData(key, version));
      assertThat(response.apiKey()).isEqualTo(key);
      if (key != ApiKeys.API_VERSIONS) {
        AbstractRequest request = received.remove(correlationId);
        assertThat(request).as("handler was called").isNotNull();
        assertThat(request.apiKey()).isEqualTo(key);
        assertThat(request.version()).isEqualTo(version);
        assertThat(request.data()).isInstanceOf(key.messageType.newRequest().getClass());
      }
      return response;
    }
  }
}
