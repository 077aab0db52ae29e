package io.strata.ops.component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.storage.embedded.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Format-if-needed against a real ZooKeeper: once, idempotent, and safe when racing. */
@Timeout(60)
class BookKeeperFormatTest {
  @TempDir static Path dir;
  private static EmbeddedZooKeeper zk;

  @BeforeAll
  static void startZooKeeper() throws Exception {
    zk = EmbeddedZooKeeper.start(dir.resolve("zk"), 0);
  }

  @AfterAll
  static void stopZooKeeper() {
    if (zk != null) {
      zk.close();
    }
  }

  private static String uri(String root) {
    return "zk+hierarchical://" + zk.connectString() + root;
  }

  @Test
  void concurrentStartsFormatExactlyOnce() throws Exception {
    String uri = uri("/race/ledgers");
    int racers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<BookKeeperFormat.Outcome>> results = new ArrayList<>();
      for (int i = 0; i < racers; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return BookKeeperFormat.formatIfNeeded(uri, Duration.ofSeconds(20));
                }));
      }
      go.countDown();
      List<BookKeeperFormat.Outcome> outcomes = new ArrayList<>();
      for (Future<BookKeeperFormat.Outcome> f : results) {
        outcomes.add(f.get());
      }
      assertThat(outcomes)
          .containsOnlyOnce(BookKeeperFormat.Outcome.FORMATTED)
          .containsOnly(
              BookKeeperFormat.Outcome.FORMATTED, BookKeeperFormat.Outcome.ALREADY_FORMATTED);
    } finally {
      pool.shutdownNow();
    }
    assertThat(BookKeeperFormat.formatIfNeeded(uri, Duration.ofSeconds(20)))
        .isEqualTo(BookKeeperFormat.Outcome.ALREADY_FORMATTED);
    ZooKeeper client = zk.newClient(10_000);
    try {
      assertThat(client.exists("/race/ledgers/INSTANCEID", false)).isNotNull();
      assertThat(client.exists("/race/ledgers/LAYOUT", false)).isNotNull();
    } finally {
      client.close();
    }
  }

  @Test
  void refusesARootThatBookKeeperDidNotFormat() throws Exception {
    ZooKeeper client = zk.newClient(10_000);
    try {
      client.create("/foreign", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      client.create(
          "/foreign/ledgers", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    } finally {
      client.close();
    }
    assertThatThrownBy(
            () -> BookKeeperFormat.formatIfNeeded(uri("/foreign/ledgers"), Duration.ofSeconds(20)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("/foreign/ledgers/INSTANCEID");
  }

  @Test
  void unreachableZooKeeperFailsWithinTheTimeout() {
    assertThatThrownBy(
            () ->
                BookKeeperFormat.formatIfNeeded(
                    "zk+hierarchical://127.0.0.1:1/ledgers", Duration.ofSeconds(2)))
        .hasMessageContaining("Could not reach ZooKeeper at 127.0.0.1:1");
  }
}
