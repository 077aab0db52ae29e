package io.strata.storage.api;

import io.netty.buffer.ByteBuf;

/**
 * Whole record batches read from a log.
 *
 * <p>Ownership: the caller owns {@link #records()} and must release it exactly once (directly or
 * via {@link #release()}), also when it is empty.
 *
 * @param records the batches, byte for byte as stored (base offsets already written in), one after
 *     the other; empty when the requested offset is at or above the high watermark
 * @param firstOffset base offset of the first batch returned (may be below the requested offset:
 *     reads return whole batches); equals the requested offset when nothing was returned
 * @param nextOffset the offset after the last record returned
 * @param batchCount number of batches in {@code records}
 * @param highWatermark the log's high watermark when the read was served
 * @param logStartOffset the log start offset when the read was served
 */
public record LogReadResult(
    ByteBuf records,
    long firstOffset,
    long nextOffset,
    int batchCount,
    long highWatermark,
    long logStartOffset) {

  /** Releases {@link #records()}. */
  public void release() {
    records.release();
  }
}
