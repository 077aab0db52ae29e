package io.strata.tiering.internals;

import io.netty.buffer.ByteBuf;

/**
 * Reads the header fields of Kafka magic-v2 record batches laid one after the other in a buffer
 * (stored entries, offloaded data objects). Stateless.
 */
final class Batches {
  /** Bytes of a v2 batch header; the smallest valid batch. */
  static final int HEADER = 61;

  private Batches() {}

  /** Size of the batch at {@code at}, or -1 if fewer than its header's bytes are there. */
  static int sizeAt(ByteBuf b, int at, int end) {
    if (end - at < HEADER) {
      return -1;
    }
    int size = 12 + b.getInt(at + 8);
    if (size < HEADER || b.getByte(at + 16) != 2) {
      throw new IllegalStateException("not a magic-v2 record batch at byte " + at);
    }
    return size;
  }

  static long baseOffset(ByteBuf b, int at) {
    return b.getLong(at);
  }

  static long lastOffset(ByteBuf b, int at) {
    return b.getLong(at) + b.getInt(at + 23);
  }

  static long maxTimestamp(ByteBuf b, int at) {
    return b.getLong(at + 35);
  }
}
