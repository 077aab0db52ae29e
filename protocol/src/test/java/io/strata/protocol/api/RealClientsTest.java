package io.strata.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.protocol.testing.KafkaFrames;
import io.strata.protocol.testing.RawClient;
import io.strata.protocol.testing.StubBroker;
import io.strata.protocol.testing.TestServer;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real Kafka clients against a live server with stub Metadata and DescribeCluster handlers. */
@Tag("integration")
@Timeout(60)
class RealClientsTest {

  private static final String KCAT = "/usr/bin/kcat";

  private TestServer server;

  @BeforeEach
  void start() {
    server = new TestServer(StubBroker.registry().build());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Admin admin() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
    return Admin.create(props);
  }

  @Test
  void kafkaClientsAdminDescribesTheClusterAndListsTopics() throws Exception {
    try (Admin admin = admin()) {
      DescribeClusterResult cluster = admin.describeCluster();
      assertThat(cluster.clusterId().get(20, TimeUnit.SECONDS)).isEqualTo(StubBroker.CLUSTER_ID);
      assertThat(cluster.nodes().get(20, TimeUnit.SECONDS))
          .extracting(Node::id, Node::host, Node::port)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "127.0.0.1", server.port));
      assertThat(cluster.controller().get(20, TimeUnit.SECONDS).id()).isEqualTo(1);
      Set<String> topics = admin.listTopics().names().get(20, TimeUnit.SECONDS);
      assertThat(topics).containsExactly(StubBroker.TOPIC);
    }
    Map<String, String> metadataTags = Map.of("api", ApiKeys.METADATA.name);
    assertThat(server.metric("request-total", metadataTags)).isGreaterThanOrEqualTo(1.0);
    assertThat(server.metric("request-total", Map.of("api", ApiKeys.API_VERSIONS.name)))
        .isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void kcatListsMetadata() throws Exception {
    assumeTrue(
        new File(KCAT).canExecute(),
        "kcat is not installed at " + KCAT + " (CI installs it); skipping the librdkafka check");
    Process p =
        new ProcessBuilder(KCAT, "-L", "-b", "127.0.0.1:" + server.port, "-m", "15")
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("kcat finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("1 brokers:")
        .contains("broker 1 at 127.0.0.1:" + server.port)
        .contains("topic \"" + StubBroker.TOPIC + "\" with 1 partitions");
  }

  @Test
  void aClientAskingForANewerApiVersionsIsToldOurRangeAndThenServed() throws Exception {
    short tooNew = (short) (ApiKeys.API_VERSIONS.latestVersion() + 1);
    try (RawClient client = new RawClient(server.port)) {
      // What a newer client sends: ApiVersions at its own latest version, header v2, a body
      // this server cannot know.
      byte[] payload =
          KafkaFrames.requestBytes(
              KafkaFrames.header(ApiKeys.API_VERSIONS, (short) 3, 1),
              new ApiVersionsRequestData()
                  .setClientSoftwareName("future-client")
                  .setClientSoftwareVersion("9.9"));
      ByteBuffer.wrap(payload).putShort(2, tooNew);
      client.send(KafkaFrames.withSizePrefix(payload));
      ApiVersionsResponse rejected =
          (ApiVersionsResponse)
              KafkaFrames.parseResponse(
                  client.receive(), KafkaFrames.header(ApiKeys.API_VERSIONS, (short) 0, 1));
      assertThat(Errors.forCode(rejected.data().errorCode())).isEqualTo(Errors.UNSUPPORTED_VERSION);
      ApiVersion range = rejected.data().apiKeys().find(ApiKeys.API_VERSIONS.id);
      assertThat(range.maxVersion()).isEqualTo(ApiKeys.API_VERSIONS.latestVersion());

      // The client downgrades to the advertised maximum on the same connection.
      RequestHeader retry = KafkaFrames.header(ApiKeys.API_VERSIONS, range.maxVersion(), 2);
      ApiVersionsResponse accepted =
          (ApiVersionsResponse)
              client.roundTrip(
                  retry,
                  new ApiVersionsRequestData()
                      .setClientSoftwareName("future-client")
                      .setClientSoftwareVersion("9.9"));
      assertThat(Errors.forCode(accepted.data().errorCode())).isEqualTo(Errors.NONE);
      assertThat(accepted.data().apiKeys().find(ApiKeys.METADATA.id)).isNotNull();
    }
    // And a real client works against the same server.
    try (Admin admin = admin()) {
      assertThat(admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS))
          .isEqualTo(StubBroker.CLUSTER_ID);
    }
  }
}
