package io.strata.protocol.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.DescribeAclsRequest;

/**
 * Well-formed requests that kafka-clients serializes: the default request of every broker API at
 * every version, plus a few with content (topics, record batches). Payloads are header and body,
 * without the size prefix.
 */
public final class RequestCorpus {

  private RequestCorpus() {}

  /**
   * The default request of {@code key}, fixed where zero values are not a request a client would
   * send: Produce defaults to acks=0 (no response), DescribeAcls to an UNKNOWN filter that
   * kafka-clients refuses to parse.
   */
  public static ApiMessage defaultRequest(ApiKeys key, short version) {
    return switch (key) {
      case PRODUCE -> new ProduceRequestData().setAcks((short) -1).setTimeoutMs(1000);
      case DESCRIBE_ACLS ->
          new DescribeAclsRequest.Builder(AclBindingFilter.ANY).build(version).data();
      case API_VERSIONS ->
          new ApiVersionsRequestData()
              .setClientSoftwareName("strata-fuzz")
              .setClientSoftwareVersion("1.0");
      default -> key.messageType.newRequest();
    };
  }

  /** Every broker API at every version, then the requests with content. */
  public static List<byte[]> payloads() {
    List<byte[]> out = new ArrayList<>();
    int correlationId = 0;
    for (ApiKeys key : ApiKeys.brokerApis()) {
      for (short v : key.allVersions()) {
        out.add(
            KafkaFrames.requestBytes(
                KafkaFrames.header(key, v, correlationId++), defaultRequest(key, v)));
      }
    }
    for (short v : new short[] {0, 4, 9, 12, 13}) {
      out.add(
          KafkaFrames.requestBytes(
              KafkaFrames.header(ApiKeys.METADATA, v, correlationId++),
              new MetadataRequestData()
                  .setTopics(
                      List.of(
                          new MetadataRequestData.MetadataRequestTopic()
                              .setName("topic-a")
                              .setTopicId(v >= 10 ? Uuid.randomUuid() : Uuid.ZERO_UUID),
                          new MetadataRequestData.MetadataRequestTopic().setName("topic-b")))));
    }
    for (short v : new short[] {3, 9, 12, 13}) {
      for (Compression compression : List.of(Compression.NONE, Compression.gzip().build())) {
        out.add(
            KafkaFrames.requestBytes(
                KafkaFrames.header(ApiKeys.PRODUCE, v, correlationId++), produce(v, compression)));
      }
    }
    for (short v : new short[] {4, 12, 13, 18}) {
      out.add(
          KafkaFrames.requestBytes(
              KafkaFrames.header(ApiKeys.FETCH, v, correlationId++), fetch(v)));
    }
    return out;
  }

  private static ApiMessage produce(short version, Compression compression) {
    MemoryRecords records =
        MemoryRecords.withRecords(
            compression,
            new SimpleRecord(
                System.currentTimeMillis(),
                "key".getBytes(StandardCharsets.UTF_8),
                "value".getBytes(StandardCharsets.UTF_8)),
            new SimpleRecord("second".getBytes(StandardCharsets.UTF_8)));
    ProduceRequestData.TopicProduceData topic =
        new ProduceRequestData.TopicProduceData()
            .setPartitionData(
                List.of(
                    new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records)));
    if (version >= 13) {
      topic.setTopicId(Uuid.randomUuid());
    } else {
      topic.setName("topic-a");
    }
    ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
    data.topicData().add(topic);
    return data;
  }

  private static ApiMessage fetch(short version) {
    FetchRequestData.FetchTopic topic =
        new FetchRequestData.FetchTopic()
            .setPartitions(
                List.of(
                    new FetchRequestData.FetchPartition()
                        .setPartition(0)
                        .setFetchOffset(42)
                        .setPartitionMaxBytes(1 << 20)));
    if (version >= 13) {
      topic.setTopicId(Uuid.randomUuid());
    } else {
      topic.setTopic("topic-a");
    }
    return new FetchRequestData()
        .setReplicaId(-1)
        .setMaxWaitMs(0)
        .setMinBytes(1)
        .setMaxBytes(1 << 20)
        .setTopics(List.of(topic));
  }
}
