package io.strata.storage.internals;

import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.OffsetOutOfRangeException;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.TimestampOffset;
import io.strata.storage.internals.SegmentSwitch.LocalSeal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.ReadHandle;

/**
 * The read side of one log: finds the segment of an offset, the entries of a read, the record of a
 * timestamp. A segment is found by binary search over the segment list in memory, an entry by one
 * look-up in the segment's index; only whole entries are then read from the bookies.
 *
 * <p>Thread-safety: confined to the log's executor (the in-memory index of the open segment is
 * mutated there); continuations hop back to it before touching an index.
 */
final class LogReader {
  private static final int MAX_ENTRIES_PER_READ = 1000;
  // Bytes a batch-read response spends per entry besides the batch: length prefix, ledger and
  // entry ids, last-add-confirmed, length and the CRC32C digest, with room to spare.
  private static final int BATCH_READ_ENTRY_OVERHEAD = 64;

  private final String name;
  private final StoreContext ctx;
  private final ExecutorService executor;
  // Refs of the stored sealed segments, rebuilt only when the stored metadata changes.
  private LogMetadata refsOf;
  private List<SegmentRef> sealedRefs = List.of();

  LogReader(String name, StoreContext ctx, ExecutorService executor) {
    this.name = name;
    this.ctx = ctx;
    this.executor = executor;
  }

  /**
   * Every readable segment in offset order: the stored sealed ones, then those not (yet) stored as
   * sealed: the locally sealed one ({@code seal}, may be null), the open one ({@code active}, may
   * be null).
   */
  List<SegmentRef> segmentRefs(LogMetadata stored, LocalSeal seal, ActiveSegment active) {
    List<SegmentRef> unstored = unstoredRefs(seal, active);
    if (stored != refsOf) {
      sealedRefs = sealedRefs(stored);
      refsOf = stored;
    }
    if (unstored.isEmpty()) {
      return sealedRefs;
    }
    List<SegmentRef> refs = new ArrayList<>(sealedRefs.size() + unstored.size());
    refs.addAll(sealedRefs);
    refs.addAll(unstored);
    return refs;
  }

  /** Refs of the segments not (yet) stored as sealed: the locally sealed one, the open one. */
  private List<SegmentRef> unstoredRefs(LocalSeal seal, ActiveSegment a) {
    List<SegmentRef> refs = new ArrayList<>(2);
    if (seal != null && seal.sealed() != null) {
      SegmentMetadata s = seal.sealed();
      refs.add(
          new SegmentRef(
              s.firstOffset(),
              s.lastOffset(),
              s.maxTimestamp(),
              () -> CompletableFuture.completedFuture(seal.idx()),
              () -> ctx.ledgers().openForRead(s.ledgerId())));
    }
    if (a != null && a.idx.entryCount() > 0) {
      refs.add(
          new SegmentRef(
              a.firstOffset(),
              a.idx.nextOffset() - 1,
              a.idx.maxTimestamp(),
              () -> CompletableFuture.completedFuture(a.idx),
              () -> CompletableFuture.completedFuture(a.data)));
    }
    return refs;
  }

  private List<SegmentRef> sealedRefs(LogMetadata stored) {
    List<SegmentRef> refs = new ArrayList<>();
    for (SegmentMetadata s : stored.segments()) {
      if (s.isSealed() && s.entryCount() > 0 && !s.onBookies()) {
        refs.add(SegmentRef.inTier(s));
      } else if (s.isSealed() && s.entryCount() > 0) {
        refs.add(
            new SegmentRef(
                s.firstOffset(),
                s.lastOffset(),
                s.maxTimestamp(),
                () -> ctx.indexes().get(s),
                () -> ctx.ledgers().openForRead(s.ledgerId())));
      }
    }
    return refs;
  }

  /** The segment holding {@code offset}, or null. */
  static SegmentRef locate(List<SegmentRef> refs, long offset) {
    int lo = 0;
    int hi = refs.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      SegmentRef r = refs.get(mid);
      if (offset < r.firstOffset()) {
        hi = mid - 1;
      } else if (offset > r.lastOffset()) {
        lo = mid + 1;
      } else {
        return r;
      }
    }
    return null;
  }

  /**
   * A read of the log at {@code offset}: fails with {@link OffsetOutOfRangeException} outside
   * [{@code start}, {@code logEnd}] or if no segment holds it, is empty at or above {@code hw}, and
   * otherwise reads from the segment of {@code refs} holding it (see {@link #read(SegmentRef, long,
   * int, long, LongSupplier)}). {@code refs} is asked only for such a read.
   */
  CompletableFuture<LogReadResult> read(
      Supplier<List<SegmentRef>> refs,
      long offset,
      int maxBytes,
      long start,
      long hw,
      long logEnd,
      LongSupplier logStart) {
    if (offset < start || offset > logEnd) {
      return CompletableFuture.failedFuture(
          new OffsetOutOfRangeException(
              "offset " + offset + " outside [" + start + ", " + logEnd + "] of " + name));
    }
    if (offset >= hw) {
      return CompletableFuture.completedFuture(
          new LogReadResult(ctx.allocator().buffer(0), offset, offset, 0, hw, start));
    }
    SegmentRef ref = locate(refs.get(), offset);
    if (ref == null) {
      return CompletableFuture.failedFuture(
          new OffsetOutOfRangeException("offset " + offset + " of " + name + " not stored"));
    }
    return read(ref, offset, maxBytes, hw, logStart);
  }

  /**
   * Reads whole entries of {@code ref} from the one holding {@code offset}, up to {@code maxBytes}
   * (at least one), below {@code hw}. {@code logStart} is read again if the read fails, to tell a
   * deleted segment from an error.
   */
  CompletableFuture<LogReadResult> read(
      SegmentRef ref, long offset, int maxBytes, long hw, LongSupplier logStart) {
    CompletableFuture<LogReadResult> read;
    if (ref.tiered() != null) {
      // The tier reads on its own threads with its own timeout; the log's thread only routes.
      read = ctx.tier().read(name, ref.tiered(), offset, maxBytes, hw, logStart.getAsLong());
    } else {
      read =
          ref.index()
              .get()
              .thenApplyAsync(idx -> entryRange(idx, offset, maxBytes, hw), executor)
              .thenCompose(
                  range ->
                      ref.handle()
                          .get()
                          .thenCompose(h -> readEntries(h, range))
                          .thenApply(
                              entries ->
                                  EntryReads.toResult(
                                      name,
                                      entries,
                                      range,
                                      hw,
                                      logStart.getAsLong(),
                                      ctx.allocator())));
    }
    return read.handleAsync(
        (r, e) -> {
          if (e != null) {
            if (offset < logStart.getAsLong()) {
              throw new OffsetOutOfRangeException(
                  "offset " + offset + " of " + name + " was deleted");
            }
            throw Errors.map("read " + name + " at " + offset, e);
          }
          return r;
        },
        executor);
  }

  private static EntryReads.Range entryRange(SegmentIndex idx, long offset, int maxBytes, long hw) {
    int first = idx.entryFor(offset);
    if (first < 0) {
      throw new IllegalStateException("offset " + offset + " not in its segment's index");
    }
    int last = first;
    long bytes = idx.size(first);
    while (last + 1 < idx.entryCount()
        && last + 1 - first < MAX_ENTRIES_PER_READ
        && idx.lastOffset(last + 1) < hw
        && bytes + idx.size(last + 1) <= maxBytes) {
      last++;
      bytes += idx.size(last);
    }
    return new EntryReads.Range(
        first, last, idx.baseOffset(first), idx.lastOffset(last) + 1, bytes);
  }

  /**
   * Reads the entries of {@code range}, or a non-empty prefix of them: one batched request per
   * bookie (BookKeeper's batch read, BP-62) instead of one request per entry, which is where a
   * catch-up read spent most of its CPU. The client falls back to per-entry reads by itself where
   * batch reads do not apply (striped ledgers, the v3 wire protocol). The size bound includes the
   * per-entry framing and digest, so the whole range normally arrives in one response; a bookie may
   * still answer fewer entries (frame size), which the caller handles.
   */
  private static CompletableFuture<LedgerEntries> readEntries(
      ReadHandle h, EntryReads.Range range) {
    if (range.count() == 1) {
      return h.readUnconfirmedAsync(range.first(), range.last());
    }
    long maxSize = range.bytes() + (long) range.count() * BATCH_READ_ENTRY_OVERHEAD;
    return h.batchReadUnconfirmedAsync(range.first(), range.count(), maxSize);
  }

  /** First record with timestamp >= ts and offset in [start, hw), in offset order. */
  CompletableFuture<Optional<TimestampOffset>> searchTimestamp(
      List<SegmentRef> refs, long ts, long start, long hw) {
    return searchFrom(refs, 0, ts, start, hw);
  }

  /** The first record holding the largest timestamp at or above {@code start}. */
  CompletableFuture<Optional<TimestampOffset>> searchMaxTimestamp(
      List<SegmentRef> refs, long start, long hw) {
    long max = -1;
    for (SegmentRef r : refs) {
      if (r.lastOffset() >= start) {
        max = Math.max(max, r.maxTimestamp());
      }
    }
    if (max < 0) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return searchFrom(refs, 0, max, start, hw);
  }

  private CompletableFuture<Optional<TimestampOffset>> searchFrom(
      List<SegmentRef> refs, int i, long ts, long start, long hw) {
    while (i < refs.size()
        && (refs.get(i).maxTimestamp() < ts || refs.get(i).lastOffset() < start)) {
      i++;
    }
    if (i >= refs.size()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    int segment = i;
    SegmentRef ref = refs.get(i);
    if (ref.tiered() != null) {
      return ctx.tier()
          .offsetForTimestamp(name, ref.tiered(), ts, start, hw)
          .thenComposeAsync(
              found ->
                  found.isPresent()
                      ? CompletableFuture.completedFuture(found)
                      : searchFrom(refs, segment + 1, ts, start, hw),
              executor);
    }
    return ref.index()
        .get()
        .thenComposeAsync(
            idx ->
                searchEntries(ref, idx, idx.firstEntryWithTimestampAtLeast(ts, 0), ts, start, hw),
            executor)
        .thenCompose(
            found ->
                found.isPresent()
                    ? CompletableFuture.completedFuture(found)
                    : searchFrom(refs, segment + 1, ts, start, hw));
  }

  private CompletableFuture<Optional<TimestampOffset>> searchEntries(
      SegmentRef ref, SegmentIndex idx, int entry, long ts, long start, long hw) {
    if (entry < 0 || idx.baseOffset(entry) >= hw) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return ref.handle()
        .get()
        .thenCompose(h -> h.readUnconfirmedAsync(entry, entry))
        .thenApply(entries -> EntryReads.firstRecordAtOrAfter(entries, ts, start, hw))
        .thenComposeAsync(
            found ->
                found.isPresent()
                    ? CompletableFuture.completedFuture(found)
                    : searchEntries(
                        ref, idx, idx.firstEntryWithTimestampAtLeast(ts, entry + 1), ts, start, hw),
            executor);
  }
}
