package io.strata.storage.api;

/**
 * The one unchecked exception family of ledger-storage. Futures returned by this module fail with a
 * subclass (or this class with {@link StorageErrorCode#INTERNAL}); {@link #code()} is stable and
 * {@link #retriable()} says whether the same request may succeed later.
 */
public class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final StorageErrorCode code;

  public StorageException(StorageErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public StorageException(StorageErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public StorageErrorCode code() {
    return code;
  }

  public boolean retriable() {
    return code.retriable();
  }
}
