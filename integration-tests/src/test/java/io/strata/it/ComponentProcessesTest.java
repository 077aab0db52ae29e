package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.it.support.StrataCommand;
import io.strata.it.support.StrataProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata zookeeper}, {@code strata bookie} and {@code strata broker} started by hand from
 * the example files in {@code ops/config} (ports and directories overridden), each its own process:
 * they print their ready lines, serve real clients, refuse a second process on the same data
 * directory, and stop cleanly on SIGTERM.
 */
@Tag("integration")
@Tag("slow")
class ComponentProcessesTest {
  private static final Path EXAMPLES = Path.of("..", "ops", "config").toAbsolutePath().normalize();
  private static final Duration READY = Duration.ofSeconds(90);

  @TempDir Path dir;
  private final List<StrataProcess> started = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      if (!started.get(i).stop(Duration.ofSeconds(30))) {
        started.get(i).kill9();
      }
    }
  }

  @Test
  @Timeout(300)
  void exampleFilesRunZooKeeperABookieAndABroker() throws Exception {
    StrataProcess zk =
        start(
            "zookeeper",
            Pattern.compile("^Strata zookeeper ready: (127\\.0\\.0\\.1:\\d+)$"),
            "zookeeper",
            "--config",
            EXAMPLES.resolve("zookeeper.properties").toString(),
            "--override",
            "clientPort=0",
            "--override",
            "dataDir=" + dir.resolve("zookeeper"));
    String zkConnect = zk.ready().group(1);

    StrataProcess bookie =
        start(
            "bookie",
            Pattern.compile("^Strata bookie ready: bookie-1 at 127\\.0\\.0\\.1:\\d+$"),
            "bookie",
            "--config",
            EXAMPLES.resolve("bookie.properties").toString(),
            "--override",
            "bookie.port=0",
            "--override",
            "bookie.data.dir=" + dir.resolve("bookie-1"),
            "--override",
            "zookeeper.connect=" + zkConnect);
    assertThat(Files.readString(bookie.log()))
        .contains("Formatted BookKeeper metadata at zk+hierarchical://" + zkConnect + "/ledgers");

    StrataProcess broker =
        start(
            "broker",
            Pattern.compile("^Strata broker ready: id=1 bootstrap=(127\\.0\\.0\\.1:\\d+)$"),
            "broker",
            "--config",
            EXAMPLES.resolve("broker.properties").toString(),
            "--override",
            "listeners=PLAINTEXT://127.0.0.1:0",
            "--override",
            "zookeeper.connect=" + zkConnect);
    String bootstrap = broker.ready().group(1);

    try (Admin admin = LocalClusterTest.admin(bootstrap)) {
      admin
          .createTopics(List.of(new NewTopic("hello", 1, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    List<String> sent = LocalClusterTest.produce(bootstrap, "hello", "v", 20);
    assertThat(LocalClusterTest.consumeAll(bootstrap, "hello", 1)).containsExactlyElementsOf(sent);

    // A second ZooKeeper on the same directory refuses to start, naming the directory.
    StrataCommand.Result second =
        StrataCommand.run(
            Duration.ofSeconds(60),
            Map.of(),
            "zookeeper",
            "--config",
            EXAMPLES.resolve("zookeeper.properties").toString(),
            "--override",
            "clientPort=0",
            "--override",
            "dataDir=" + dir.resolve("zookeeper"));
    assertThat(second.exitCode()).as("%s", second).isEqualTo(1);
    assertThat(second.err()).contains(dir.resolve("zookeeper") + " is in use by another process");

    // SIGTERM, in the order an operator stops a cluster: each stops cleanly and promptly.
    assertThat(broker.stop(Duration.ofSeconds(60))).isTrue();
    assertThat(Files.readString(broker.log())).contains("Strata broker 1 stopped");
    assertThat(bookie.stop(Duration.ofSeconds(60))).isTrue();
    assertThat(Files.readString(bookie.log())).contains("Strata bookie bookie-1 stopped");
    assertThat(zk.stop(Duration.ofSeconds(60))).isTrue();
    assertThat(Files.readString(zk.log())).contains("Strata zookeeper stopped");
  }

  @Test
  @Timeout(60)
  void anInvalidValueStopsTheBookieWithTheFileAndKeyNamed() throws Exception {
    Path file = EXAMPLES.resolve("bookie.properties");
    StrataCommand.Result r =
        StrataCommand.run(
            Duration.ofSeconds(50),
            Map.of(),
            "bookie",
            "--config",
            file.toString(),
            "--override",
            "bookie.port=-1",
            "--override",
            "bookie.data.dir=" + dir.resolve("never"));
    assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
    assertThat(r.err()).contains(file.toString()).contains("bookie.port");
    assertThat(r.out()).isEmpty();
    assertThat(dir.resolve("never")).doesNotExist();
  }

  private StrataProcess start(String name, Pattern ready, String... args) throws Exception {
    StrataProcess p = StrataProcess.start(name, dir.resolve(name + ".log"), ready, READY, args);
    started.add(p);
    return p;
  }
}
