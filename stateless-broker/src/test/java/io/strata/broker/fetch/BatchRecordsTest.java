package io.strata.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.strata.broker.fetch.BatchCache.CachedBatch;
import io.strata.protocol.internals.SendEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchRecordsTest {
  private static final Uuid TOPIC_ID = Uuid.fromString("vAjLaGloTr2YLqnp0lRm9w");

  /** Batches 0..2, 3..5, 6..8: one buffer each, as the caches hold them. */
  private static List<CachedBatch> batches() {
    List<CachedBatch> out = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      SimpleRecord[] records = new SimpleRecord[3];
      for (int r = 0; r < 3; r++) {
        records[r] = new SimpleRecord(("v" + (b * 3 + r)).getBytes(StandardCharsets.UTF_8));
      }
      MemoryRecords one = MemoryRecords.withRecords(b * 3L, Compression.NONE, records);
      out.addAll(Batches.split(one.buffer()));
    }
    return out;
  }

  /**
   * A fetch response carrying batches from separate buffers reaches the consumer as the same
   * batches in order, on an old and a current Fetch version, and sending it again (another response
   * built from the same cached batches) gives the same bytes.
   */
  @ParameterizedTest
  @ValueSource(shorts = {4, 12, 17})
  void aConsumerReceivesEveryBatchInOrder(short version) {
    List<CachedBatch> cached = batches();
    var records = BatchRecords.of(cached);
    assertThat(records).isInstanceOf(BatchRecords.class);
    assertThat(records.sizeInBytes()).isEqualTo(cached.stream().mapToInt(CachedBatch::size).sum());

    FetchResponseData data = new FetchResponseData();
    FetchableTopicResponse topic = new FetchableTopicResponse().setTopic("t").setTopicId(TOPIC_ID);
    topic
        .partitions()
        .add(new PartitionData().setPartitionIndex(0).setHighWatermark(9).setRecords(records));
    data.responses().add(topic);

    byte[] first = serialize(data, version);
    byte[] second = serialize(data, version);
    assertThat(second).isEqualTo(first);

    RequestHeader header = new RequestHeader(ApiKeys.FETCH, version, "c", 7);
    FetchResponse parsed =
        (FetchResponse)
            AbstractResponse.parseResponse(ByteBuffer.wrap(first, 4, first.length - 4), header);
    MemoryRecords got =
        (MemoryRecords) parsed.data().responses().get(0).partitions().get(0).records();
    List<String> values = new ArrayList<>();
    long expectedBase = 0;
    for (RecordBatch b : got.batches()) {
      assertThat(b.baseOffset()).isEqualTo(expectedBase);
      b.ensureValid();
      expectedBase = b.lastOffset() + 1;
      for (Record r : b) {
        values.add(StandardCharsets.UTF_8.decode(r.value()).toString());
      }
    }
    assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8");
    // The cached buffers were only read.
    for (CachedBatch b : cached) {
      assertThat(b.bytes().position()).isZero();
    }
  }

  private static byte[] serialize(FetchResponseData data, short version) {
    ResponseHeader header = new ResponseHeader(7, ApiKeys.FETCH.responseHeaderVersion(version));
    ByteBuf buf =
        SendEncoder.encode(
            SendBuilder.buildResponseSend(header, data, version), UnpooledByteBufAllocator.DEFAULT);
    try {
      byte[] out = new byte[buf.readableBytes()];
      buf.getBytes(buf.readerIndex(), out);
      return out;
    } finally {
      buf.release();
    }
  }
}
