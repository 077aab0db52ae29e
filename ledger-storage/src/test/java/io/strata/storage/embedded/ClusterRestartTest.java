package io.strata.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.storage.api.AppendResult;
import io.strata.storage.api.LogConfig;
import io.strata.storage.api.LogReadResult;
import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.api.PartitionLog;
import io.strata.storage.internals.BookKeeperLogStore;
import io.strata.storage.testing.ManualTime;
import io.strata.storage.testing.TestBatches;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What {@code strata standalone} relies on: the whole cluster stops and starts on its dirs. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterRestartTest {
  @TempDir Path dir;

  private static LogStoreConfig config(LocalStorageCluster c) {
    return new LogStoreConfig(
        Map.of(
            LogStoreConfig.ZOOKEEPER_CONNECT,
            c.zkConnectString(),
            LogStoreConfig.EXECUTOR_THREADS,
            1));
  }

  @Test
  void logsSurviveAFullClusterRestart() throws Exception {
    ManualTime time = new ManualTime();
    LogConfig logConfig =
        new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, 4096)); // quorums 3/3/2, several segments
    List<byte[]> batches = new ArrayList<>();
    int zkPort;
    try (LocalStorageCluster c = LocalStorageCluster.builder(dir).bookies(3).start()) {
      zkPort = c.zooKeeper().port();
      try (BookKeeperLogStore store = BookKeeperLogStore.start(config(c), time)) {
        PartitionLog log = store.open("kept", logConfig, 1).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
          byte[] b = TestBatches.batch(1, 500, i, i);
          AppendResult r = log.append(TestBatches.buf(b)).get(30, TimeUnit.SECONDS);
          assertThat(r.baseOffset()).isEqualTo(i);
          batches.add(b);
        }
        // Closing the store closes the log: its open segment is sealed in the metadata.
      }
    }
    try (LocalStorageCluster c =
            LocalStorageCluster.builder(dir).zooKeeperPort(zkPort).bookies(3).start();
        BookKeeperLogStore store = BookKeeperLogStore.start(config(c), time)) {
      PartitionLog log = store.open("kept", logConfig, 2).get(30, TimeUnit.SECONDS);
      assertThat(log.highWatermark()).isEqualTo(20);
      for (int i = 0; i < 20; i++) {
        LogReadResult r = log.read(i, 1).get(30, TimeUnit.SECONDS);
        try {
          assertThat(TestBatches.bytes(r.records()))
              .isEqualTo(TestBatches.withBaseOffset(batches.get(i), i));
        } finally {
          r.release();
        }
      }
      assertThat(
              log.append(TestBatches.buf(TestBatches.batch(1, 10, 1, 1)))
                  .get(30, TimeUnit.SECONDS)
                  .baseOffset())
          .isEqualTo(20);
      log.close().get(30, TimeUnit.SECONDS);
    }
  }
}
