package io.strata.storage.api;

/**
 * A record found by timestamp (ListOffsets).
 *
 * @param timestamp the record's timestamp
 * @param offset its offset
 */
public record TimestampOffset(long timestamp, long offset) {}
