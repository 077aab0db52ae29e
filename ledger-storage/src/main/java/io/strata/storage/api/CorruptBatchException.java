package io.strata.storage.api;

/**
 * The batch is not a valid Kafka magic-v2 record batch (length, magic or CRC32C). Nothing was
 * stored.
 */
public class CorruptBatchException extends StorageException {
  private static final long serialVersionUID = 1L;

  public CorruptBatchException(String message) {
    super(StorageErrorCode.CORRUPT_BATCH, message);
  }

  public CorruptBatchException(String message, Throwable cause) {
    super(StorageErrorCode.CORRUPT_BATCH, message, cause);
  }
}
