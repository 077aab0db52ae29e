package io.strata.storage.internals;

import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.internals.BookKeeperPartitionLog.State;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an index ledger for each sealed segment of a log that has none (sealed while bookies were
 * missing; its index is scanned from the data ledger until then), one segment at a time, and
 * records it in the log's metadata.
 *
 * <p>Lifecycle: one per log; {@link #run} is called whenever the log gets a new active segment and
 * does nothing unless the log is ACTIVE and no repair is running. A failure ends the round (it is
 * logged; a fencing error fences the log); the next switch tries again.
 *
 * <p>Threading: confined to the log's executor; continuations hop back to it.
 */
final class IndexRepair {
  private static final Logger log = LoggerFactory.getLogger(IndexRepair.class);

  private final BookKeeperPartitionLog owner;
  private final StoreContext ctx;
  private final ExecutorService executor;
  private final MetadataUpdater metadata;
  private boolean running;

  IndexRepair(
      BookKeeperPartitionLog owner,
      StoreContext ctx,
      ExecutorService executor,
      MetadataUpdater metadata) {
    this.owner = owner;
    this.ctx = ctx;
    this.executor = executor;
    this.metadata = metadata;
  }

  /** Repairs the first segment missing an index ledger, then looks for the next. */
  void run() {
    if (running || owner.state() != State.ACTIVE) {
      return;
    }
    String name = owner.name();
    for (SegmentMetadata s : metadata.current().segments()) {
      if (s.isSealed() && s.onBookies() && s.entryCount() > 0 && s.indexLedgerId() < 0) {
        running = true;
        long[] written = {-1};
        ctx.indexes()
            .get(s)
            .thenCompose(idx -> ctx.indexes().write(name, owner.config(), owner.epoch(), idx))
            .thenComposeAsync(
                id -> {
                  written[0] = id;
                  return metadata.update(m -> withIndexLedger(m, s.ledgerId(), id));
                },
                executor)
            .whenCompleteAsync(
                (stored, e) -> {
                  running = false;
                  if (e != null) {
                    log.info(
                        "Log {}: index repair of segment {} failed: {}",
                        name,
                        s.ledgerId(),
                        e.toString());
                    ctx.ledgers().deleteQuietly(written[0]);
                    owner.onMetadataFailure("repair index of " + name, e);
                  } else {
                    log.info("Log {}: wrote missing index of segment {}", name, s.ledgerId());
                    run();
                  }
                },
                executor);
        return;
      }
    }
  }

  private static LogMetadata withIndexLedger(LogMetadata m, long ledgerId, long indexId) {
    List<SegmentMetadata> segs = new ArrayList<>();
    boolean changed = false;
    for (SegmentMetadata s : m.segments()) {
      if (s.ledgerId() == ledgerId && s.indexLedgerId() < 0) {
        segs.add(s.withIndexLedgerId(indexId));
        changed = true;
      } else {
        segs.add(s);
      }
    }
    if (!changed) {
      throw new IllegalStateException("segment " + ledgerId + " no longer needs an index");
    }
    return m.withSegments(segs);
  }
}
