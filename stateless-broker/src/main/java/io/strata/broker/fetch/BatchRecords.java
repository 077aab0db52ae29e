package io.strata.broker.fetch;

import io.strata.broker.fetch.BatchCache.CachedBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

/**
 * Whole record batches that live in separate buffers (cached batches), answered in a fetch without
 * first being copied into one buffer: kafka-clients' response serializer writes them through {@link
 * #toSend()} one after another. The buffers are only read, never changed or consumed, so the same
 * batches can be sent to many consumers at once. Immutable.
 */
public final class BatchRecords implements BaseRecords {
  private final ByteBuffer[] buffers;
  private final int size;

  private BatchRecords(ByteBuffer[] buffers, int size) {
    this.buffers = buffers;
    this.size = size;
  }

  /**
   * The batches as records for a fetch response: a plain {@link MemoryRecords} for one batch (or
   * none), otherwise a view over all of them.
   */
  public static BaseRecords of(List<CachedBatch> batches) {
    if (batches.isEmpty()) {
      return MemoryRecords.EMPTY;
    }
    if (batches.size() == 1) {
      return MemoryRecords.readableRecords(batches.get(0).bytes().duplicate());
    }
    ByteBuffer[] views = new ByteBuffer[batches.size()];
    long size = 0;
    for (int i = 0; i < views.length; i++) {
      views[i] = batches.get(i).bytes().duplicate();
      size += views[i].remaining();
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batches of " + size + " bytes do not fit one response");
    }
    return new BatchRecords(views, (int) size);
  }

  @Override
  public int sizeInBytes() {
    return size;
  }

  /** The batches copied into one buffer (for tests and callers that need {@link MemoryRecords}). */
  public MemoryRecords toMemoryRecords() {
    ByteBuffer out = ByteBuffer.allocate(size);
    for (ByteBuffer b : buffers) {
      out.put(b.duplicate());
    }
    return MemoryRecords.readableRecords(out.flip());
  }

  @Override
  public RecordsSend<BatchRecords> toSend() {
    return new Sender(this);
  }

  @Override
  public String toString() {
    return "BatchRecords(" + buffers.length + " buffers, " + size + " bytes)";
  }

  /** Writes the buffers in order with gathering writes; each send has its own positions. */
  private static final class Sender extends RecordsSend<BatchRecords> {
    private final ByteBuffer[] pending;

    Sender(BatchRecords records) {
      super(records, records.size);
      pending = new ByteBuffer[records.buffers.length];
      for (int i = 0; i < pending.length; i++) {
        pending[i] = records.buffers[i].duplicate();
      }
    }

    @Override
    protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining)
        throws IOException {
      return (int) channel.write(pending);
    }
  }
}
