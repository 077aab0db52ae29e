package io.strata.storage.api;

/**
 * A newer writer (higher epoch) owns the log, or fenced this writer's ledger in BookKeeper
 * (BookKeeper code -101). Every later append of this instance fails the same way.
 */
public class LogFencedException extends StorageException {
  private static final long serialVersionUID = 1L;

  public LogFencedException(String message) {
    super(StorageErrorCode.FENCED, message);
  }

  public LogFencedException(String message, Throwable cause) {
    super(StorageErrorCode.FENCED, message, cause);
  }
}
