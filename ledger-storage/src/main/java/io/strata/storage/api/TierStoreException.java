package io.strata.storage.api;

/**
 * A {@link TierStore} operation failed. {@link #code()} is {@link
 * StorageErrorCode#TIER_UNAVAILABLE} (retriable: connection refused, timeout, throttling, 5xx),
 * {@link StorageErrorCode#TIER_NOT_FOUND} (no such object) or {@link StorageErrorCode#TIER_FAILURE}
 * (access denied, no such bucket, corrupt data: retrying will not help).
 */
public class TierStoreException extends StorageException {
  private static final long serialVersionUID = 1L;

  public TierStoreException(StorageErrorCode code, String message) {
    super(check(code), message);
  }

  public TierStoreException(StorageErrorCode code, String message, Throwable cause) {
    super(check(code), message, cause);
  }

  /** A retriable failure. */
  public static TierStoreException unavailable(String message, Throwable cause) {
    return new TierStoreException(StorageErrorCode.TIER_UNAVAILABLE, message, cause);
  }

  public static TierStoreException notFound(String message) {
    return new TierStoreException(StorageErrorCode.TIER_NOT_FOUND, message);
  }

  public static TierStoreException failure(String message, Throwable cause) {
    return new TierStoreException(StorageErrorCode.TIER_FAILURE, message, cause);
  }

  private static StorageErrorCode check(StorageErrorCode code) {
    if (code != StorageErrorCode.TIER_UNAVAILABLE
        && code != StorageErrorCode.TIER_NOT_FOUND
        && code != StorageErrorCode.TIER_FAILURE) {
      throw new IllegalArgumentException("not a tier error code: " + code);
    }
    return code;
  }
}
