package io.strata.storage.api;

/**
 * What an acknowledged append got.
 *
 * @param baseOffset the offset assigned to the batch's first record
 * @param lastOffset the offset of its last record ({@code baseOffset + lastOffsetDelta})
 * @param maxTimestamp the batch's max timestamp as stored in its header
 * @param ledgerId the BookKeeper ledger (segment) the batch was written to
 * @param entryId its entry in that ledger
 */
public record AppendResult(
    long baseOffset, long lastOffset, long maxTimestamp, long ledgerId, long entryId) {}
