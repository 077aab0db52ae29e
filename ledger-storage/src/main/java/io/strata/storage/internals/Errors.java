package io.strata.storage.internals;

import io.strata.storage.api.LogFencedException;
import io.strata.storage.api.LogUnavailableException;
import io.strata.storage.api.StorageErrorCode;
import io.strata.storage.api.StorageException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.zookeeper.KeeperException;

/** Maps BookKeeper/ZooKeeper failures to the module's {@link StorageException} family. */
final class Errors {
  private Errors() {}

  /** The cause under CompletionException/ExecutionException wrappers. */
  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static boolean isBkCode(Throwable t, int code) {
    Throwable c = unwrap(t);
    return c instanceof BKException bk && bk.getCode() == code;
  }

  static boolean isFenced(Throwable t) {
    return isBkCode(t, BKException.Code.LedgerFencedException);
  }

  static boolean isNoSuchLedger(Throwable t) {
    return isBkCode(t, BKException.Code.NoSuchLedgerExistsException)
        || isBkCode(t, BKException.Code.NoSuchLedgerExistsOnMetadataServerException);
  }

  static boolean isKeeper(Throwable t, KeeperException.Code code) {
    return unwrap(t) instanceof KeeperException ke && ke.code() == code;
  }

  /** Whether a ZooKeeper write may or may not have happened (outcome unknown). */
  static boolean isUncertainZk(Throwable t) {
    return isKeeper(t, KeeperException.Code.CONNECTIONLOSS)
        || isKeeper(t, KeeperException.Code.OPERATIONTIMEOUT)
        || isKeeper(t, KeeperException.Code.SESSIONEXPIRED);
  }

  /** Maps any failure to a StorageException, naming {@code what} failed in the message. */
  static StorageException map(String what, Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof StorageException se) {
      return se;
    }
    if (c instanceof BKException bk) {
      if (bk.getCode() == BKException.Code.LedgerFencedException) {
        // -101: a newer owner recovered (fenced) the ledger this writer appends to.
        return new LogFencedException(what + ": ledger fenced by a newer writer", c);
      }
      // Not enough bookies, timeouts, closed handles after an earlier failure, metadata store
      // trouble: all are conditions that may clear, so the caller may retry.
      return new LogUnavailableException(
          what + ": " + BKException.getMessage(bk.getCode()) + " (" + bk.getCode() + ")", c);
    }
    if (c instanceof KeeperException ke) {
      switch (ke.code()) {
        case CONNECTIONLOSS, OPERATIONTIMEOUT, SESSIONEXPIRED, SESSIONMOVED:
          return new LogUnavailableException(what + ": ZooKeeper " + ke.code(), c);
        default:
          return new StorageException(StorageErrorCode.INTERNAL, what + ": " + ke.getMessage(), c);
      }
    }
    return new StorageException(StorageErrorCode.INTERNAL, what + ": " + c, c);
  }

  static <T> CompletableFuture<T> failed(Throwable t) {
    return CompletableFuture.failedFuture(t);
  }
}
