package io.strata.protocol.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;

/**
 * Copies a kafka-clients {@link Send} (a serialized response with its 4-byte size prefix, built by
 * kafka-clients' own serializers) into one Netty buffer. One copy, straight into the I/O buffer the
 * socket write needs anyway; record payloads are copied from wherever they live. Stateless.
 */
public final class SendEncoder {

  private SendEncoder() {}

  /**
   * Encodes {@code send} completely.
   *
   * @return a buffer holding exactly {@code send.size()} bytes; the caller owns it and must release
   *     it (writing it to a channel does)
   * @throws IllegalStateException if the send is larger than 2 GiB or makes no progress; nothing is
   *     leaked then
   */
  public static ByteBuf encode(Send send, ByteBufAllocator alloc) {
    long size = send.size();
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("response of " + size + " bytes does not fit one buffer");
    }
    ByteBuf buf = alloc.ioBuffer((int) size);
    try {
      ByteBufChannel channel = new ByteBufChannel(buf);
      int stalls = 0;
      while (!send.completed()) {
        int before = buf.writerIndex();
        send.writeTo(channel);
        if (buf.writerIndex() == before && ++stalls > 2) {
          throw new IllegalStateException("response serialization made no progress");
        }
      }
      return buf;
    } catch (IOException e) {
      buf.release();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      buf.release();
      throw e;
    }
  }

  /** A channel that appends everything written to it to a Netty buffer. */
  private static final class ByteBufChannel implements TransferableChannel {
    private final ByteBuf out;

    ByteBufChannel(ByteBuf out) {
      this.out = out;
    }

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      out.writeBytes(src);
      return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      long n = 0;
      for (int i = offset; i < offset + length; i++) {
        n += write(srcs[i]);
      }
      return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) {
      return write(srcs, 0, srcs.length);
    }

    @Override
    public boolean hasPendingWrites() {
      return false;
    }

    /**
     * Only a response carrying {@code FileRecords} gets here, and reading the file would then
     * happen on the event loop. Strata's broker serves records from memory, BookKeeper or the tier
     * as {@code MemoryRecords}; if file-backed records ever appear, give them a {@code FileRegion}
     * path instead.
     */
    @Override
    public long transferFrom(FileChannel fileChannel, long position, long count)
        throws IOException {
      long done = 0;
      while (done < count) {
        int n = out.writeBytes(fileChannel, position + done, (int) Math.min(count - done, 1 << 20));
        if (n <= 0) {
          break;
        }
        done += n;
      }
      return done;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
