package io.strata.protocol.testing;

import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.MetadataResponse;

/**
 * Stub Metadata and DescribeCluster handlers: one broker (id 1) at the address the client connected
 * to, and one topic {@value #TOPIC} with one partition led by it. Enough for Admin's
 * describeCluster/listTopics and for {@code kcat -L}.
 */
public final class StubBroker {

  public static final String CLUSTER_ID = "strata-test-cluster";
  public static final String TOPIC = "strata-stub-topic";
  public static final Uuid TOPIC_ID = Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ");
  public static final int BROKER_ID = 1;

  private StubBroker() {}

  public static ApiRegistry.Builder registry() {
    return ApiRegistry.builder()
        .register(ApiKeys.METADATA, StubBroker::metadata)
        .register(ApiKeys.DESCRIBE_CLUSTER, StubBroker::describeCluster);
  }

  private static CompletableFuture<AbstractResponse> metadata(
      RequestContext ctx, AbstractRequest request) {
    MetadataResponseData data =
        new MetadataResponseData().setClusterId(CLUSTER_ID).setControllerId(BROKER_ID);
    data.brokers()
        .add(
            new MetadataResponseData.MetadataResponseBroker()
                .setNodeId(BROKER_ID)
                .setHost(ctx.localAddress().getAddress().getHostAddress())
                .setPort(ctx.localAddress().getPort()));
    data.topics()
        .add(
            new MetadataResponseTopic()
                .setName(TOPIC)
                .setTopicId(TOPIC_ID)
                .setErrorCode(Errors.NONE.code())
                .setPartitions(
                    List.of(
                        new MetadataResponsePartition()
                            .setPartitionIndex(0)
                            .setLeaderId(BROKER_ID)
                            .setLeaderEpoch(0)
                            .setReplicaNodes(List.of(BROKER_ID))
                            .setIsrNodes(List.of(BROKER_ID)))));
    return CompletableFuture.completedFuture(new MetadataResponse(data, request.version()));
  }

  private static CompletableFuture<AbstractResponse> describeCluster(
      RequestContext ctx, AbstractRequest request) {
    DescribeClusterResponseData data =
        new DescribeClusterResponseData()
            .setClusterId(CLUSTER_ID)
            .setControllerId(BROKER_ID)
            .setEndpointType((byte) 1);
    data.brokers()
        .add(
            new DescribeClusterResponseData.DescribeClusterBroker()
                .setBrokerId(BROKER_ID)
                .setHost(ctx.localAddress().getAddress().getHostAddress())
                .setPort(ctx.localAddress().getPort()));
    return CompletableFuture.completedFuture(new DescribeClusterResponse(data));
  }
}
