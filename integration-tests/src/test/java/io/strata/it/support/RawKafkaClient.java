package io.strata.it.support;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * A blocking one-request-at-a-time Kafka client over a plain socket, for tests that must send exact
 * bytes (a retried batch with a chosen producer id and sequence). Requests and responses are built
 * and parsed by kafka-clients.
 */
public final class RawKafkaClient implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private int correlationId;

  public RawKafkaClient(String bootstrap) throws IOException {
    String[] hp = bootstrap.split(":");
    socket = new Socket();
    socket.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 10_000);
    socket.setSoTimeout(30_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends {@code request} at its builder's latest version and returns the parsed response. */
  public AbstractResponse send(AbstractRequest.Builder<?> builder) throws IOException {
    ApiKeys key = builder.apiKey();
    short version = builder.latestAllowedVersion();
    AbstractRequest request = builder.build(version);
    RequestHeader header = new RequestHeader(key, version, "raw-test", ++correlationId);
    ByteBuffer payload = request.serializeWithHeader(header);
    byte[] frame = new byte[4 + payload.remaining()];
    ByteBuffer.wrap(frame).putInt(payload.remaining()).put(payload);
    out.write(frame);
    out.flush();
    int size = in.readInt();
    byte[] body = new byte[size];
    in.readFully(body);
    return AbstractResponse.parseResponse(ByteBuffer.wrap(body), header);
  }

  /**
   * An idempotent magic-v2 batch of {@code count} records valued {@code seq-N} (N the record's
   * sequence number), starting at sequence {@code firstSeq}.
   */
  public static ByteBuffer idempotentBatch(long pid, short epoch, int firstSeq, int count) {
    MemoryRecordsBuilder b =
        MemoryRecords.builder(
            ByteBuffer.allocate(4096),
            RecordBatch.MAGIC_VALUE_V2,
            Compression.NONE,
            TimestampType.CREATE_TIME,
            0L,
            System.currentTimeMillis(),
            pid,
            epoch,
            firstSeq,
            false,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
    for (int i = 0; i < count; i++) {
      b.append(
          new SimpleRecord(System.currentTimeMillis(), null, ("seq-" + (firstSeq + i)).getBytes()));
    }
    return b.build().buffer();
  }

  /** Produces {@code records} (acks=all, v12: topic by name) and returns the partition's answer. */
  public PartitionProduceResponse produce(String topic, int partition, ByteBuffer records)
      throws IOException {
    ProduceRequestData data =
        new ProduceRequestData()
            .setAcks((short) -1)
            .setTimeoutMs(30_000)
            .setTopicData(
                new ProduceRequestData.TopicProduceDataCollection(
                    List.of(
                            new ProduceRequestData.TopicProduceData()
                                .setName(topic)
                                .setPartitionData(
                                    List.of(
                                        new ProduceRequestData.PartitionProduceData()
                                            .setIndex(partition)
                                            .setRecords(
                                                MemoryRecords.readableRecords(
                                                    records.duplicate())))))
                        .iterator()));
    // v12: topics by name (v13 switches to ids).
    ProduceResponse res =
        (ProduceResponse) send(new ProduceRequest.Builder((short) 3, (short) 12, data));
    return res.data().responses().iterator().next().partitionResponses().get(0);
  }

  /** A new idempotent producer id and epoch (InitProducerId without a transactional id). */
  public InitProducerIdResponseData initProducerId() throws IOException {
    InitProducerIdResponse init =
        (InitProducerIdResponse)
            send(
                new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData()
                        .setTransactionalId(null)
                        .setTransactionTimeoutMs(60_000)));
    if (init.error() != Errors.NONE) {
      throw new IOException("InitProducerId failed: " + init.error());
    }
    return init.data();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
