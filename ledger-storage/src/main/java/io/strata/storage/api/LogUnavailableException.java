package io.strata.storage.api;

/**
 * Retriable: too few bookies to reach the ack quorum, or ZooKeeper unreachable. A failed append was
 * not made visible; its offsets will be reused by the next successful append.
 */
public class LogUnavailableException extends StorageException {
  private static final long serialVersionUID = 1L;

  public LogUnavailableException(String message) {
    super(StorageErrorCode.UNAVAILABLE, message);
  }

  public LogUnavailableException(String message, Throwable cause) {
    super(StorageErrorCode.UNAVAILABLE, message, cause);
  }
}
