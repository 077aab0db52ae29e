package io.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TimestampOffset;
import io.strata.storage.testing.TestBatches;
import io.strata.tiering.internals.ObjectNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** Appending known batches to a log, reading every offset back, and checking the tier's objects. */
final class TierTestSupport {
  static final Duration WAIT = Duration.ofSeconds(60);

  private TierTestSupport() {}

  /** A batch as stored: its bytes with the base offset written in. */
  record Stored(long baseOffset, long lastOffset, long firstTimestamp, byte[] bytes) {}

  static <T> T join(CompletableFuture<T> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Small test settings: fast offload checks, several index entries and blocks per segment. */
  static TierConfig config(String uri, Map<String, Object> extra) {
    Map<String, Object> p = new HashMap<>();
    p.put(TierConfig.URI, uri);
    p.put(TierConfig.OFFLOAD_INTERVAL_MS, 50L);
    p.put(TierConfig.OFFLOAD_RETRY_BACKOFF_MS, 100L);
    p.put(TierConfig.INDEX_INTERVAL_BYTES, 16 * 1024);
    p.put(TierConfig.BLOCK_BYTES, 8 * 1024);
    p.put(TierConfig.READAHEAD_BLOCKS, 2);
    p.put(TierConfig.READ_TIMEOUT_MS, 5000);
    p.put(TierConfig.IO_THREADS, 2);
    p.putAll(extra);
    return new TierConfig(p);
  }

  /** Quorums 1/1/1, ~64 KiB segments, no total retention, remote storage as given. */
  static LogConfig logConfig(boolean remote, long localRetentionMs, long retentionMs) {
    Map<String, Object> p = new HashMap<>();
    p.put(LogConfig.ENSEMBLE_SIZE, 1);
    p.put(LogConfig.WRITE_QUORUM_SIZE, 1);
    p.put(LogConfig.ACK_QUORUM_SIZE, 1);
    p.put(LogConfig.SEGMENT_BYTES, 64 * 1024);
    p.put(LogConfig.RETENTION_MS, retentionMs);
    p.put(LogConfig.REMOTE_STORAGE_ENABLE, remote);
    p.put(LogConfig.LOCAL_RETENTION_MS, localRetentionMs);
    return new LogConfig(p);
  }

  /** Appends {@code n} batches of 10 records (~2.3 KiB), timestamps from {@code ts0} by 10. */
  static List<Stored> append(PartitionLog log, int n, long ts0, long seed) throws Exception {
    List<Stored> out = new ArrayList<>();
    List<CompletableFuture<io.strata.storage.api.AppendResult>> acks = new ArrayList<>();
    List<byte[]> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = TestBatches.batch(10, 200, ts0 + i * 10L, seed + i);
      sent.add(b);
      acks.add(log.append(TestBatches.buf(b)));
    }
    for (int i = 0; i < n; i++) {
      var r = join(acks.get(i));
      out.add(
          new Stored(
              r.baseOffset(),
              r.lastOffset(),
              ts0 + i * 10L,
              TestBatches.withBaseOffset(sent.get(i), r.baseOffset())));
    }
    return out;
  }

  /** Reads every batch back one by one, from its base offset and from an offset inside it. */
  static void assertReadsBack(PartitionLog log, List<Stored> batches) throws Exception {
    for (Stored s : batches) {
      for (long offset : new long[] {s.baseOffset(), s.lastOffset()}) {
        LogReadResult r = join(log.read(offset, 1));
        try {
          assertThat(r.firstOffset()).isEqualTo(s.baseOffset());
          assertThat(TestBatches.bytes(r.records())).as("batch at %d", offset).isEqualTo(s.bytes());
        } finally {
          r.release();
        }
      }
    }
  }

  /** Reads everything sequentially in large reads (a catch-up consumer) and compares bytes. */
  static void assertCatchUp(PartitionLog log, List<Stored> batches) throws Exception {
    java.io.ByteArrayOutputStream want = new java.io.ByteArrayOutputStream();
    for (Stored s : batches) {
      want.write(s.bytes());
    }
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    long offset = batches.get(0).baseOffset();
    long end = batches.get(batches.size() - 1).lastOffset() + 1;
    while (offset < end) {
      LogReadResult r = join(log.read(offset, 50_000));
      try {
        got.write(TestBatches.bytes(r.records()));
        offset = r.nextOffset();
      } finally {
        r.release();
      }
    }
    assertThat(got.toByteArray()).isEqualTo(want.toByteArray());
  }

  /** offsetForTimestamp of each batch's first and a middle timestamp finds the right record. */
  static void assertTimestamps(PartitionLog log, List<Stored> batches) throws Exception {
    for (int i = 0; i < batches.size(); i += 7) {
      Stored s = batches.get(i);
      Optional<TimestampOffset> at = join(log.offsetForTimestamp(s.firstTimestamp() + 3));
      assertThat(at).contains(new TimestampOffset(s.firstTimestamp() + 3, s.baseOffset() + 3));
    }
  }

  static List<SegmentMetadata> sealed(PartitionLog log) {
    return log.metadata().segments().stream().filter(SegmentMetadata::isSealed).toList();
  }

  static void awaitAllOffloaded(PartitionLog log) {
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () -> {
              List<SegmentMetadata> s = sealed(log);
              return !s.isEmpty() && s.stream().allMatch(SegmentMetadata::isOffloaded);
            });
  }

  /** The log's objects are exactly the committed data and index of its offloaded segments. */
  static void assertNoLeak(TierStore store, PartitionLog log) throws Exception {
    TreeSet<String> want = new TreeSet<>();
    for (SegmentMetadata s : log.metadata().segments()) {
      if (s.isOffloaded()) {
        want.add(ObjectNames.data(log.name(), s.ledgerId(), s.offloadAttempt()));
        want.add(ObjectNames.index(log.name(), s.ledgerId(), s.offloadAttempt()));
      }
    }
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              List<TierObject> objects = join(store.list(ObjectNames.logPrefix(log.name())));
              assertThat(objects).noneMatch(TierObject::incomplete);
              assertThat(objects.stream().map(TierObject::key).toList())
                  .containsExactlyElementsOf(want);
            });
  }
}
