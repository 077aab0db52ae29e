package io.strata.storage.api;

/** The batch exceeds the log's {@code max.message.bytes}. Nothing was stored. */
public class BatchTooLargeException extends StorageException {
  private static final long serialVersionUID = 1L;

  public BatchTooLargeException(String message) {
    super(StorageErrorCode.BATCH_TOO_LARGE, message);
  }

  public BatchTooLargeException(String message, Throwable cause) {
    super(StorageErrorCode.BATCH_TOO_LARGE, message, cause);
  }
}
