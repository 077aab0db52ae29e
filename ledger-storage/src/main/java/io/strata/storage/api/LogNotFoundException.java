package io.strata.storage.api;

/** No log of that name exists. */
public class LogNotFoundException extends StorageException {
  private static final long serialVersionUID = 1L;

  public LogNotFoundException(String message) {
    super(StorageErrorCode.LOG_NOT_FOUND, message);
  }

  public LogNotFoundException(String message, Throwable cause) {
    super(StorageErrorCode.LOG_NOT_FOUND, message, cause);
  }
}
