package io.strata.storage.internals;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.strata.storage.api.LogConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BookKeeper ledger operations of the store: create (with custom metadata naming the log, so
 * orphans can be found), open, recover (fence), delete, and a cache of read handles for sealed
 * ledgers.
 *
 * <p>Futures complete on BookKeeper threads: callers hop to their executor. Thread-safe.
 */
final class Ledgers {
  private static final Logger log = LoggerFactory.getLogger(Ledgers.class);

  /** Custom metadata keys on every ledger Strata creates. */
  static final String META_APPLICATION = "application";

  static final String META_LOG = "strata-log";
  static final String META_KIND = "strata-kind";
  static final String META_EPOCH = "strata-epoch";

  enum Kind {
    DATA,
    INDEX
  }

  private final BookKeeper bk;
  private final byte[] password;
  private final AsyncCache<Long, ReadHandle> readHandles;

  Ledgers(BookKeeper bk, byte[] password, int readHandleCacheSize) {
    this.bk = bk;
    this.password = password;
    this.readHandles =
        Caffeine.newBuilder()
            .maximumSize(readHandleCacheSize)
            .expireAfterAccess(Duration.ofMinutes(10))
            .executor(Runnable::run)
            .<Long, ReadHandle>removalListener(
                (id, handle, cause) -> {
                  if (handle != null) {
                    handle.closeAsync();
                  }
                })
            .buildAsync();
  }

  BookKeeper bookKeeper() {
    return bk;
  }

  CompletableFuture<WriteHandle> create(String logName, Kind kind, LogConfig config, long epoch) {
    Map<String, byte[]> meta =
        Map.of(
            META_APPLICATION, bytes("strata"),
            META_LOG, bytes(logName),
            META_KIND, bytes(kind.name().toLowerCase(java.util.Locale.ROOT)),
            META_EPOCH, bytes(Long.toString(epoch)));
    return bk.newCreateLedgerOp()
        .withEnsembleSize(config.ensembleSize())
        .withWriteQuorumSize(config.writeQuorumSize())
        .withAckQuorumSize(config.ackQuorumSize())
        .withDigestType(DigestType.CRC32C)
        .withPassword(password)
        .withCustomMetadata(meta)
        .execute();
  }

  /** Opens with recovery: fences any writer and closes the ledger at its last recoverable entry. */
  CompletableFuture<ReadHandle> recover(long ledgerId) {
    return bk.newOpenLedgerOp()
        .withLedgerId(ledgerId)
        .withRecovery(true)
        .withDigestType(DigestType.CRC32C)
        .withPassword(password)
        .execute();
  }

  /** A shared read handle of a closed ledger; do not close it (the cache does). */
  CompletableFuture<ReadHandle> openForRead(long ledgerId) {
    return readHandles.get(
        ledgerId,
        (id, ex) ->
            bk.newOpenLedgerOp()
                .withLedgerId(id)
                .withRecovery(false)
                .withDigestType(DigestType.CRC32C)
                .withPassword(password)
                .execute());
  }

  /** Deletes a ledger; a ledger already gone counts as deleted. */
  CompletableFuture<Void> delete(long ledgerId) {
    if (ledgerId < 0) {
      return CompletableFuture.completedFuture(null);
    }
    readHandles.synchronous().invalidate(ledgerId);
    return bk.newDeleteLedgerOp()
        .withLedgerId(ledgerId)
        .execute()
        .handle(
            (v, e) -> {
              if (e != null && !Errors.isNoSuchLedger(e)) {
                log.warn("Could not delete ledger {} (left as an orphan)", ledgerId, e);
                throw Errors.map("delete ledger " + ledgerId, e);
              }
              return null;
            });
  }

  /** Deletes, logging instead of failing (for clean-up after the metadata no longer refers). */
  void deleteQuietly(long ledgerId) {
    delete(ledgerId).exceptionally(e -> null);
  }

  void closeQuietly(WriteHandle h) {
    if (h != null) {
      h.closeAsync()
          .exceptionally(
              e -> {
                log.debug("Closing ledger {} failed: {}", h.getId(), e.toString());
                return null;
              });
    }
  }

  void invalidateAll() {
    readHandles.synchronous().invalidateAll();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
