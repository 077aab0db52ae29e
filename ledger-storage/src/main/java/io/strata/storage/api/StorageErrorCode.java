package io.strata.storage.api;

/**
 * Stable codes of {@link StorageException}. The numeric code never changes meaning; the broker maps
 * each to a Kafka error at one place.
 */
public enum StorageErrorCode {
  /** Unexpected failure: a bug, or an error of ZooKeeper/BookKeeper with no better code. */
  INTERNAL(1, false),
  /** A newer writer took the log over (higher epoch); this instance can never append again. */
  FENCED(2, false),
  /** The batch is malformed: bad length, magic or CRC. Nothing was stored. */
  CORRUPT_BATCH(3, false),
  /** The batch is larger than the log's {@code max.message.bytes}. Nothing was stored. */
  BATCH_TOO_LARGE(4, false),
  /** The offset is below the log start offset or above the log end offset. */
  OFFSET_OUT_OF_RANGE(5, false),
  /** Not enough bookies, or ZooKeeper unreachable: try again later. */
  UNAVAILABLE(6, true),
  /** No such log. */
  LOG_NOT_FOUND(7, false),
  /** This log instance was closed; open the log again (after finding its owner). */
  LOG_CLOSED(8, true),
  /** The tier store (S3, HDFS, directory) is unreachable, slow or throttling: try again later. */
  TIER_UNAVAILABLE(9, true),
  /** The tier object does not exist. */
  TIER_NOT_FOUND(10, false),
  /**
   * The tier store refused the request (access denied, bad bucket, bad data): retrying will not
   * help.
   */
  TIER_FAILURE(11, false);

  private final int code;
  private final boolean retriable;

  StorageErrorCode(int code, boolean retriable) {
    this.code = code;
    this.retriable = retriable;
  }

  public int code() {
    return code;
  }

  public boolean retriable() {
    return retriable;
  }
}
