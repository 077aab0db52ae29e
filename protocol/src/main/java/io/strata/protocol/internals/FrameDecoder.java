package io.strata.protocol.internals;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream into Kafka request frames: a 4-byte big-endian size, then that many bytes.
 * The size is checked against the maximum as soon as its 4 bytes arrive, before anything is
 * allocated for the frame; an oversize or negative size closes the connection.
 *
 * <p>Emits each frame as a heap {@link ByteBuffer} positioned at the request header. The buffer is
 * a copy owned by the garbage collector, so downstream code (and the request objects kafka-clients
 * parses from it, which reference it) never has to release anything. The inbound Netty buffers are
 * released by {@link ByteToMessageDecoder}.
 *
 * <p>One instance per channel; used only on its event loop.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  private static final Logger log = LoggerFactory.getLogger(FrameDecoder.class);

  private final int maxFrameBytes;
  private final ProtocolMetrics.ConnectionMetrics metrics;
  private boolean rejected;

  /**
   * @param maxFrameBytes the largest size accepted, not counting the size prefix
   * @param metrics where received bytes and rejected frames are counted
   */
  public FrameDecoder(int maxFrameBytes, ProtocolMetrics.ConnectionMetrics metrics) {
    this.maxFrameBytes = maxFrameBytes;
    this.metrics = metrics;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (rejected || !ctx.channel().isActive()) {
      // Closed (here or by a later stage for bad input): what is left is never served.
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < 4) {
      return;
    }
    int size = in.getInt(in.readerIndex());
    if (size < 0 || size > maxFrameBytes) {
      rejected = true;
      in.skipBytes(in.readableBytes());
      metrics.invalidRequest();
      log.debug(
          "Closing connection {}: request size {} is outside 0..{} (socket.request.max.bytes)",
          ctx.channel(),
          size,
          maxFrameBytes);
      ctx.close();
      return;
    }
    if (in.readableBytes() - 4 < size) {
      return;
    }
    in.skipBytes(4);
    byte[] frame = new byte[size];
    in.readBytes(frame);
    metrics.bytesIn(size + 4);
    out.add(ByteBuffer.wrap(frame));
  }
}
