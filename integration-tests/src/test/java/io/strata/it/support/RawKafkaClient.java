package io.strata.it.support;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
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

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
