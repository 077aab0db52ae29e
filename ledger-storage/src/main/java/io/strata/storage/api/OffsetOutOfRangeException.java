package io.strata.storage.api;

/** The offset is below the log start offset or above the log end offset. */
public class OffsetOutOfRangeException extends StorageException {
  private static final long serialVersionUID = 1L;

  public OffsetOutOfRangeException(String message) {
    super(StorageErrorCode.OFFSET_OUT_OF_RANGE, message);
  }

  public OffsetOutOfRangeException(String message, Throwable cause) {
    super(StorageErrorCode.OFFSET_OUT_OF_RANGE, message, cause);
  }
}
