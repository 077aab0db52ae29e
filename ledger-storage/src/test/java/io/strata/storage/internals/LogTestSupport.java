package io.strata.storage.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.testing.TestBatches;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the partition-log tests: a model of what was acknowledged, and checks. */
final class LogTestSupport {
  static final Duration WAIT = Duration.ofSeconds(60);

  private LogTestSupport() {}

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static LogConfig config(Map<String, Object> props) {
    return new LogConfig(props);
  }

  /** What the tests acknowledged: base offset -> original batch bytes. */
  static final class Acked {
    final NavigableMap<Long, byte[]> batches = new TreeMap<>();

    void add(AppendResult r, byte[] batch) {
      assertThat(r.lastOffset() - r.baseOffset() + 1).isEqualTo(TestBatches.recordCount(batch));
      batches.put(r.baseOffset(), batch);
    }

    long next() {
      if (batches.isEmpty()) {
        return 0;
      }
      var last = batches.lastEntry();
      return last.getKey() + TestBatches.recordCount(last.getValue());
    }

    /** Asserts the batches are dense from {@code from}. */
    void assertDense(long from) {
      long expected = -1;
      for (var e : batches.tailMap(from, true).entrySet()) {
        if (expected >= 0) {
          assertThat(e.getKey()).as("dense offsets").isEqualTo(expected);
        }
        expected = e.getKey() + TestBatches.recordCount(e.getValue());
      }
    }
  }

  /** Appends {@code n} batches of {@code records} records each, in flight together. */
  static List<AppendResult> appendMany(
      PartitionLog log, Acked acked, int n, int records, int valueBytes, long ts, long seed)
      throws Exception {
    List<byte[]> batches = new ArrayList<>();
    List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = TestBatches.batch(records, valueBytes, ts + i, seed + i);
      batches.add(b);
      futures.add(log.append(TestBatches.buf(b)));
    }
    List<AppendResult> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      AppendResult r = await(futures.get(i));
      acked.add(r, batches.get(i));
      results.add(r);
    }
    return results;
  }

  /**
   * Reads the batch containing {@code offset} (maxBytes 1: exactly one batch) and checks its bytes
   * equal what was appended, base offset rewritten.
   */
  static void assertReadsBack(PartitionLog log, Acked acked, long offset) throws Exception {
    var expected = acked.batches.floorEntry(offset);
    LogReadResult r = await(log.read(offset, 1));
    try {
      assertThat(r.batchCount()).isEqualTo(1);
      assertThat(r.firstOffset()).isEqualTo(expected.getKey());
      assertThat(TestBatches.bytes(r.records()))
          .isEqualTo(TestBatches.withBaseOffset(expected.getValue(), expected.getKey()));
    } finally {
      r.release();
    }
  }

  /** Reads everything from {@code from} to the high watermark and compares with the model. */
  static void assertReadsAll(PartitionLog log, Acked acked, long from) throws Exception {
    long offset = from;
    long hw = log.highWatermark();
    while (offset < hw) {
      LogReadResult r = await(log.read(offset, 64 * 1024));
      try {
        assertThat(r.batchCount()).isPositive();
        byte[] all = TestBatches.bytes(r.records());
        int pos = 0;
        long base = r.firstOffset();
        for (int i = 0; i < r.batchCount(); i++) {
          byte[] expected = acked.batches.get(base);
          assertThat(expected).as("batch at %d acknowledged", base).isNotNull();
          byte[] want = TestBatches.withBaseOffset(expected, base);
          byte[] got = java.util.Arrays.copyOfRange(all, pos, pos + want.length);
          assertThat(got).as("batch at %d", base).isEqualTo(want);
          pos += want.length;
          base += TestBatches.recordCount(expected);
        }
        assertThat(pos).isEqualTo(all.length);
        assertThat(base).isEqualTo(r.nextOffset());
        offset = r.nextOffset();
      } finally {
        r.release();
      }
    }
  }
}
