package io.strata.tiering.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.StorageErrorCode;
import io.strata.storage.api.StorageException;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierUpload;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One offload of one sealed segment: the state machine below, each step a future.
 *
 * <pre>
 *  SEALED, tierLocation "" or "offloading:k" or (never) "offloaded:k"
 *    │ 1. beginOffload: CAS tierLocation = "offloading:n" (n = k + 1)          [metadata]
 *    ▼
 *  RECORDED ── 2. upload &lt;log&gt;/&lt;ledger&gt;-n.data (the batches read from the bookies, byte for byte)
 *    │          3. upload &lt;log&gt;/&lt;ledger&gt;-n.index (built while the data streamed)      [tier]
 *    ▼
 *  UPLOADED ── 4. commitOffload: CAS tierLocation = "offloaded:n" if it is still "offloading:n"
 *    ▼
 *  COMMITTED ── 5. delete every other object under &lt;log&gt;/&lt;ledger&gt;- (older attempts)
 * </pre>
 *
 * A failure in 2–4 deletes attempt n's objects (best effort) and fails the task; the offloader
 * retries later with attempt n+1. A crash anywhere leaves the segment readable from the bookies
 * (readers use the tier only once "offloaded:n" is stored, and both objects are complete before
 * that) and at most attempt n's objects, which the sweep at the next open deletes.
 *
 * <p>Data is read through {@link PartitionLog#read} (whole batches, one segment at a time), so it
 * needs nothing of the log's internals; the bytes go through the process-wide {@link RateLimiter}.
 */
final class OffloadTask {
  private static final Logger log = LoggerFactory.getLogger(OffloadTask.class);
  private static final int READ_BYTES = 1024 * 1024;

  private final PartitionLog plog;
  private final long ledgerId;
  private final TierStore store;
  private final RateLimiter limiter;
  private final OffloadHooks hooks;
  private final int indexIntervalBytes;
  private final Executor executor;
  private SegmentMetadata seg;

  OffloadTask(
      PartitionLog plog,
      long ledgerId,
      TierStore store,
      RateLimiter limiter,
      OffloadHooks hooks,
      int indexIntervalBytes,
      Executor executor) {
    this.plog = plog;
    this.ledgerId = ledgerId;
    this.store = store;
    this.limiter = limiter;
    this.hooks = hooks;
    this.indexIntervalBytes = indexIntervalBytes;
    this.executor = executor;
  }

  /** Runs the offload; completes with the committed segment. */
  CompletableFuture<SegmentMetadata> run() {
    return plog.beginOffload(ledgerId)
        .thenCompose(
            recorded -> {
              seg = recorded;
              String data = ObjectNames.data(plog.name(), ledgerId, seg.offloadAttempt());
              String index = ObjectNames.index(plog.name(), ledgerId, seg.offloadAttempt());
              TierIndex.Builder builder = new TierIndex.Builder(indexIntervalBytes);
              return hooks
                  .beforeUpload(plog, seg)
                  .thenCompose(v -> store.put(data, new SegmentUpload(builder)))
                  .thenCompose(
                      v -> {
                        TierIndex idx = builder.build();
                        if (idx.dataBytes() != seg.sizeBytes()
                            || idx.batchCount() != seg.entryCount()
                            || idx.firstOffset() != seg.firstOffset()
                            || idx.lastOffset() != seg.lastOffset()) {
                          throw new StorageException(
                              StorageErrorCode.INTERNAL,
                              "segment "
                                  + ledgerId
                                  + " read back as "
                                  + idx.batchCount()
                                  + " batches, "
                                  + idx.dataBytes()
                                  + " bytes, offsets "
                                  + idx.firstOffset()
                                  + ".."
                                  + idx.lastOffset()
                                  + "; metadata says "
                                  + seg);
                        }
                        return store.put(index, oneChunk(TierIndexCodec.encode(idx)));
                      })
                  .thenCompose(v -> hooks.beforeCommit(plog, seg))
                  .thenCompose(v -> plog.commitOffload(ledgerId, seg.offloadAttempt()))
                  .whenComplete(
                      (committed, e) -> {
                        if (e != null) {
                          store.delete(data).exceptionally(x -> null);
                          store.delete(index).exceptionally(x -> null);
                        }
                      })
                  .thenCompose(
                      committed -> deleteOtherAttempts(data, index).thenApply(v -> committed));
            });
  }

  private CompletableFuture<Void> deleteOtherAttempts(String data, String index) {
    return store
        .list(ObjectNames.segmentPrefix(plog.name(), ledgerId))
        .thenCompose(
            objects -> {
              List<CompletableFuture<Void>> deletes = new ArrayList<>();
              for (TierObject o : objects) {
                if (!o.key().equals(data) && !o.key().equals(index)) {
                  deletes.add(store.delete(o.key()));
                }
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
            })
        .exceptionally(
            e -> {
              // Committed all the same; the next sweep removes what is left.
              log.info(
                  "Log {}: old attempts of segment {} not removed yet: {}",
                  plog.name(),
                  ledgerId,
                  e.toString());
              return null;
            });
  }

  private static TierUpload oneChunk(byte[] bytes) {
    return new TierUpload() {
      private boolean sent;

      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public CompletableFuture<ByteBuf> next(int maxBytes) {
        ByteBuf b = sent ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
        sent = true;
        return CompletableFuture.completedFuture(b);
      }
    };
  }

  /** The data object: the segment's batches read from the log, indexed as they stream. */
  private final class SegmentUpload implements TierUpload {
    private final TierIndex.Builder builder;
    private long nextOffset;
    private long bytes;

    SegmentUpload(TierIndex.Builder builder) {
      this.builder = builder;
      this.nextOffset = seg.firstOffset();
    }

    @Override
    public long length() {
      return seg.sizeBytes();
    }

    @Override
    public CompletableFuture<ByteBuf> next(int maxBytes) {
      if (nextOffset > seg.lastOffset()) {
        return CompletableFuture.completedFuture(Unpooled.EMPTY_BUFFER);
      }
      return plog.read(nextOffset, Math.max(64 * 1024, Math.min(maxBytes, READ_BYTES)))
          .thenCompose(
              r -> {
                ByteBuf records = r.records();
                try {
                  index(r);
                } catch (RuntimeException e) {
                  records.release();
                  throw e;
                }
                bytes += records.readableBytes();
                long waitMs = limiter.reserve(records.readableBytes());
                CompletableFuture<Void> paced =
                    waitMs <= 0
                        ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.runAsync(
                            () -> {},
                            CompletableFuture.delayedExecutor(
                                waitMs, TimeUnit.MILLISECONDS, executor));
                return paced
                    .thenCompose(v -> hooks.midUpload(plog, seg, bytes))
                    .handle(
                        (v, e) -> {
                          if (e != null) {
                            records.release();
                            throw new java.util.concurrent.CompletionException(e);
                          }
                          return records;
                        });
              });
    }

    private void index(LogReadResult r) {
      ByteBuf b = r.records();
      if (r.batchCount() == 0 || r.firstOffset() != nextOffset) {
        throw new StorageException(
            StorageErrorCode.INTERNAL,
            "reading segment "
                + ledgerId
                + " of "
                + plog.name()
                + " at "
                + nextOffset
                + " returned offset "
                + r.firstOffset());
      }
      int at = b.readerIndex();
      int end = b.writerIndex();
      while (at < end) {
        int size = Batches.sizeAt(b, at, end);
        if (size < 0 || at + size > end) {
          throw new IllegalStateException("truncated batch in a read of " + plog.name());
        }
        long last = Batches.lastOffset(b, at);
        if (last > seg.lastOffset()) {
          throw new IllegalStateException("read past segment " + ledgerId + " of " + plog.name());
        }
        builder.add(Batches.baseOffset(b, at), last, Batches.maxTimestamp(b, at), size);
        at += size;
      }
      nextOffset = r.nextOffset();
    }
  }
}
