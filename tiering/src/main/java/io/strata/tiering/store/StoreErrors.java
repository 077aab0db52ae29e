package io.strata.tiering.store;

import io.strata.storage.api.TierStoreException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Maps failures of the file-system stores (directory, HDFS) to {@link TierStoreException}. */
final class StoreErrors {
  private StoreErrors() {}

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static TierStoreException map(String what, Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof TierStoreException e) {
      return e;
    }
    if (c instanceof NoSuchFileException || c instanceof FileNotFoundException) {
      return TierStoreException.notFound(what + ": no such object");
    }
    if (c instanceof AccessDeniedException
        || c.getClass().getName().endsWith("AccessControlException")) {
      return TierStoreException.failure(what + ": " + c, c);
    }
    if (c instanceof IOException || c instanceof TimeoutException) {
      // Disk or namenode trouble, connection refused, safe mode: may clear.
      return TierStoreException.unavailable(what + ": " + c, c);
    }
    if (c instanceof io.strata.storage.api.StorageException se) {
      return se.retriable()
          ? TierStoreException.unavailable(what + ": " + se.getMessage(), se)
          : TierStoreException.failure(what + ": " + se.getMessage(), se);
    }
    return TierStoreException.failure(what + ": " + c, c);
  }
}
