package io.strata.protocol.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.Random;
import org.apache.kafka.common.network.ByteBufferSend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SendEncoderTest {

  /**
   * Every byte of the send arrives in order, whatever its size relative to the chunk size, and
   * however the send splits its bytes over source buffers; a large response is pooled chunks, not
   * one buffer above the pool's chunk size.
   */
  @ParameterizedTest
  @ValueSource(
      ints = {
        4,
        SendEncoder.CHUNK - 1,
        SendEncoder.CHUNK,
        SendEncoder.CHUNK + 1,
        3 * SendEncoder.CHUNK + 12345
      })
  void encodesEveryByteInOrder(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    // Source buffers of uneven sizes that straddle chunk boundaries.
    int small = Math.min(size, 7);
    int[] cuts = {0, small, Math.max(small, size / 3), size};
    ByteBuffer[] sources = new ByteBuffer[cuts.length - 1];
    for (int i = 0; i < sources.length; i++) {
      sources[i] = ByteBuffer.wrap(bytes, cuts[i], cuts[i + 1] - cuts[i]);
    }
    ByteBuf out = SendEncoder.encode(new ByteBufferSend(sources), PooledByteBufAllocator.DEFAULT);
    try {
      assertThat(out.readableBytes()).isEqualTo(size);
      byte[] read = new byte[size];
      out.getBytes(out.readerIndex(), read);
      assertThat(read).isEqualTo(bytes);
      if (size > SendEncoder.CHUNK) {
        assertThat(out).isInstanceOf(CompositeByteBuf.class);
        CompositeByteBuf chunks = (CompositeByteBuf) out;
        assertThat(chunks.numComponents())
            .isEqualTo((size + SendEncoder.CHUNK - 1) / SendEncoder.CHUNK);
        for (int i = 0; i < chunks.numComponents(); i++) {
          assertThat(chunks.component(i).capacity()).isLessThanOrEqualTo(SendEncoder.CHUNK);
        }
      } else {
        assertThat(out.capacity()).isEqualTo(size);
      }
    } finally {
      out.release();
    }
  }
}
