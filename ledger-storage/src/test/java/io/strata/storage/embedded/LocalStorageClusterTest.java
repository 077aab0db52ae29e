package io.strata.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalStorageClusterTest {
  @TempDir Path dir;

  @Test
  void bookiesStoreAndKeepDataAcrossRestarts() throws Exception {
    try (LocalStorageCluster cluster = LocalStorageCluster.builder(dir).bookies(3).start()) {
      ClientConfiguration conf = new ClientConfiguration();
      conf.setMetadataServiceUri(cluster.metadataServiceUri());
      conf.setThrottleValue(0);
      long ledgerId;
      BookKeeper bk = BookKeeper.newBuilder(conf).build();
      try {
        WriteHandle wh =
            bk.newCreateLedgerOp()
                .withEnsembleSize(3)
                .withWriteQuorumSize(3)
                .withAckQuorumSize(2)
                .withDigestType(DigestType.CRC32C)
                .withPassword(new byte[0])
                .execute()
                .get();
        ledgerId = wh.getId();
        for (int i = 0; i < 10; i++) {
          wh.append(Unpooled.wrappedBuffer(("e" + i).getBytes(StandardCharsets.UTF_8)));
        }
        wh.close();
        assertThat(cluster.bookie(0).hasLedger(ledgerId)).isTrue();

        cluster.restart(0);
        cluster.kill(1);
        cluster.kill(2);
        ReadHandle rh =
            bk.newOpenLedgerOp()
                .withLedgerId(ledgerId)
                .withDigestType(DigestType.CRC32C)
                .withPassword(new byte[0])
                .execute()
                .get();
        try (LedgerEntries entries = rh.read(0, 9)) {
          assertThat(entries.getEntry(9).getEntryBytes())
              .isEqualTo("e9".getBytes(StandardCharsets.UTF_8));
        }
        rh.close();
      } finally {
        bk.close();
      }
    }
    // The whole cluster again on the same directory: metadata and data are still there.
    try (LocalStorageCluster cluster = LocalStorageCluster.builder(dir).bookies(1).start()) {
      assertThat(cluster.bookieCount()).isEqualTo(3);
      ClientConfiguration conf = new ClientConfiguration();
      conf.setMetadataServiceUri(cluster.metadataServiceUri());
      BookKeeper bk = BookKeeper.newBuilder(conf).build();
      try {
        assertThat(bk.newOpenLedgerOp().withLedgerId(0).withPassword(new byte[0]).execute())
            .succeedsWithin(Duration.ofSeconds(30));
      } finally {
        bk.close();
      }
    }
  }

  @Test
  void expireSessionReallyExpires() throws Exception {
    try (LocalStorageCluster cluster = LocalStorageCluster.builder(dir).bookies(1).start()) {
      var expired = new java.util.concurrent.atomic.AtomicBoolean();
      ZooKeeper zk =
          new ZooKeeper(
              cluster.zkConnectString(),
              10_000,
              e -> {
                if (e.getState() == Watcher.Event.KeeperState.Expired) {
                  expired.set(true);
                }
              });
      await().atMost(Duration.ofSeconds(10)).until(() -> zk.getState().isConnected());
      cluster.expireSession(zk);
      await().atMost(Duration.ofSeconds(30)).untilTrue(expired);
      zk.close();
    }
  }
}
