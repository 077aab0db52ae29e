package io.strata.protocol.testing;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/** A blocking socket speaking raw Kafka frames; a read times out instead of hanging. */
public final class RawClient implements AutoCloseable {

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  public RawClient(int port) throws IOException {
    this(port, 10_000);
  }

  public RawClient(int port, int readTimeoutMs) throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    socket.setSoTimeout(readTimeoutMs);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  public void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Half-closes: the server sees end of input. */
  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** The next response payload (header and body, size prefix removed). */
  public byte[] receive() throws IOException {
    int size = in.readInt();
    if (size < 0 || size > 64 << 20) {
      throw new IOException("bad response size " + size);
    }
    byte[] payload = new byte[size];
    in.readFully(payload);
    return payload;
  }

  /** Sends a request and parses its response. */
  public AbstractResponse roundTrip(RequestHeader header, ApiMessage body) throws IOException {
    send(KafkaFrames.requestFrame(header, body));
    return KafkaFrames.parseResponse(receive(), header);
  }

  /**
   * Whether the server closed the connection: reads until end of stream, discarding responses.
   * Returns false if nothing ends the stream within the read timeout.
   */
  public boolean closedByServer() throws IOException {
    try {
      while (true) {
        receive();
      }
    } catch (EOFException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // connection reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
