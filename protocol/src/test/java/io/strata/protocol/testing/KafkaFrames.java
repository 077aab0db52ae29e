package io.strata.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;

/** Builds request frames and parses response frames with kafka-clients' own serializers. */
public final class KafkaFrames {

  public static final String CLIENT_ID = "strata-test";

  private KafkaFrames() {}

  /** A request header as a kafka-clients client would send it. */
  public static RequestHeader header(ApiKeys key, short version, int correlationId) {
    return new RequestHeader(key, version, CLIENT_ID, correlationId);
  }

  /** Header and body, without the size prefix. */
  public static byte[] requestBytes(RequestHeader header, ApiMessage body) {
    ByteBuffer buf =
        RequestUtils.serialize(header.data(), header.headerVersion(), body, header.apiVersion());
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);
    return bytes;
  }

  /** A whole frame: 4-byte size, header, body. */
  public static byte[] requestFrame(RequestHeader header, ApiMessage body) {
    return withSizePrefix(requestBytes(header, body));
  }

  /** A whole frame of the default (zero-valued) request of {@code key} at {@code version}. */
  public static byte[] defaultRequestFrame(ApiKeys key, short version, int correlationId) {
    return requestFrame(header(key, version, correlationId), key.messageType.newRequest());
  }

  public static byte[] withSizePrefix(byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(4 + payload.length);
    b.putInt(payload.length).put(payload);
    return b.array();
  }

  /** An unpooled buffer holding {@code bytes}; the receiver (a channel) releases it. */
  public static ByteBuf buf(byte[] bytes) {
    return Unpooled.wrappedBuffer(bytes);
  }

  /**
   * Parses a response frame (with its size prefix) read from a channel, and releases the buffer.
   */
  public static AbstractResponse parseResponse(ByteBuf frame, RequestHeader requestHeader) {
    try {
      int size = frame.readInt();
      if (size != frame.readableBytes()) {
        throw new IllegalStateException(
            "size prefix " + size + " but " + frame.readableBytes() + " bytes follow");
      }
      byte[] bytes = new byte[size];
      frame.readBytes(bytes);
      return AbstractResponse.parseResponse(ByteBuffer.wrap(bytes), requestHeader);
    } finally {
      frame.release();
    }
  }

  /** Parses a response payload (header and body, no size prefix). */
  public static AbstractResponse parseResponse(byte[] payload, RequestHeader requestHeader) {
    return AbstractResponse.parseResponse(ByteBuffer.wrap(payload), requestHeader);
  }

  /**
   * The default (zero-valued) response of {@code key} at {@code version}, as kafka-clients parses
   * it from its serialized form: a handler-agnostic stub answer.
   */
  public static AbstractResponse defaultResponse(ApiKeys key, short version) {
    ApiMessage data = key.messageType.newResponse();
    ByteBufferAccessor accessor = MessageUtil.toByteBufferAccessor(data, version);
    return AbstractResponse.parseResponse(key, accessor, version);
  }
}
