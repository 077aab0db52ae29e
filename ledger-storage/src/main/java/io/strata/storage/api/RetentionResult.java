package io.strata.storage.api;

/**
 * What one retention pass did.
 *
 * @param deletedSegments segments removed from the metadata (their ledgers deleted)
 * @param deletedBytes their total size
 * @param logStartOffset the log start offset afterwards
 */
public record RetentionResult(int deletedSegments, long deletedBytes, long logStartOffset) {}
