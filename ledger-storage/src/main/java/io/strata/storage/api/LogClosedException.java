package io.strata.storage.api;

/** This log instance was closed (or its store was). Open the log again to append. */
public class LogClosedException extends StorageException {
  private static final long serialVersionUID = 1L;

  public LogClosedException(String message) {
    super(StorageErrorCode.LOG_CLOSED, message);
  }

  public LogClosedException(String message, Throwable cause) {
    super(StorageErrorCode.LOG_CLOSED, message, cause);
  }
}
