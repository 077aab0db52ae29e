package io.strata.protocol.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;

/**
 * Copies a kafka-clients {@link Send} (a serialized response with its 4-byte size prefix, built by
 * kafka-clients' own serializers) into Netty direct buffers. One copy, straight into the I/O
 * buffers the socket write needs anyway; record payloads are copied from wherever they live.
 *
 * <p>A response larger than {@link #CHUNK} goes into a composite of pooled chunks of that size
 * rather than one buffer: a buffer above the allocator's chunk size (4 MiB) would be allocated
 * outside the pool, zeroed and freed again for every large fetch response. The socket writes the
 * chunks with one gathering write. Stateless.
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
    ByteBufChannel channel = new ByteBufChannel(alloc, (int) size);
    try {
      int stalls = 0;
      while (!send.completed()) {
        long before = channel.written;
        send.writeTo(channel);
        if (channel.written == before && ++stalls > 2) {
          throw new IllegalStateException("response serialization made no progress");
        }
      }
      return channel.finish();
    } catch (IOException e) {
      channel.release();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      channel.release();
      throw e;
    }
  }

  /** Largest single buffer; larger responses are a composite of such chunks. */
  static final int CHUNK = 1 << 20;

  /** A channel that appends everything written to it to pooled direct buffers. */
  private static final class ByteBufChannel implements TransferableChannel {
    private final ByteBufAllocator alloc;
    private final int size;
    private CompositeByteBuf chunks;
    private ByteBuf out;
    long written;

    ByteBufChannel(ByteBufAllocator alloc, int size) {
      this.alloc = alloc;
      this.size = size;
      this.out = alloc.ioBuffer(Math.min(size, CHUNK));
    }

    /** The current chunk, with room for at least one byte. */
    private ByteBuf room() {
      if (out.isWritable()) {
        return out;
      }
      if (chunks == null) {
        chunks = alloc.compositeDirectBuffer(Integer.MAX_VALUE);
      }
      chunks.addComponent(true, out);
      out = null;
      long left = Math.max(1, size - written);
      out = alloc.ioBuffer((int) Math.min(left, CHUNK));
      return out;
    }

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      while (src.hasRemaining()) {
        ByteBuf to = room();
        int part = Math.min(src.remaining(), to.writableBytes());
        ByteBuffer slice = src.duplicate();
        slice.limit(slice.position() + part);
        to.writeBytes(slice);
        src.position(src.position() + part);
        written += part;
      }
      return n;
    }

    ByteBuf finish() {
      if (chunks == null) {
        ByteBuf single = out;
        out = null;
        return single;
      }
      chunks.addComponent(true, out);
      out = null;
      CompositeByteBuf all = chunks;
      chunks = null;
      return all;
    }

    void release() {
      if (out != null) {
        out.release();
        out = null;
      }
      if (chunks != null) {
        chunks.release();
        chunks = null;
      }
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
        ByteBuf to = room();
        int n =
            to.writeBytes(
                fileChannel, position + done, (int) Math.min(count - done, to.writableBytes()));
        if (n <= 0) {
          break;
        }
        done += n;
        written += n;
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
