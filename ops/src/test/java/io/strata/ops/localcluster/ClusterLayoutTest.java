package io.strata.ops.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.ops.component.ConfigFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ClusterLayoutTest {
  @TempDir Path dir;

  @Test
  void aNewClusterGetsDistinctPortsThatLaterRunsKeep() throws Exception {
    ClusterLayout first = ClusterLayout.create(dir, 2, 3, 0);
    assertThat(first.members())
        .extracting(Member::name)
        .containsExactly("zookeeper", "bookie-1", "bookie-2", "bookie-3", "broker-1", "broker-2");
    assertThat(first.members()).extracting(Member::port).doesNotHaveDuplicates();
    assertThat(first.brokers())
        .extracting(Member::address)
        .containsExactly(
            "127.0.0.1:" + first.brokers().get(0).port(),
            "127.0.0.1:" + first.brokers().get(1).port());

    String broker1 = Files.readString(first.configFile(first.brokers().get(0)));
    ClusterLayout again = ClusterLayout.create(dir, 0, 0, 0);
    assertThat(again.members()).isEqualTo(first.members());
    assertThat(Files.readString(again.configFile(again.brokers().get(0)))).isEqualTo(broker1);

    Map<String, String> props = ConfigFiles.read(first.configFile(first.brokers().get(1)));
    assertThat(props)
        .containsEntry("broker.id", "2")
        .containsEntry("zookeeper.connect", "127.0.0.1:" + first.zookeeper().port())
        .containsEntry("default.replication.factor", "3")
        .containsEntry("min.insync.replicas", "2");
  }

  @Test
  void growingAddsMembersAndLeavesExistingFilesAlone() throws Exception {
    ClusterLayout first = ClusterLayout.create(dir, 1, 1, 0);
    assertThat(ConfigFiles.read(first.configFile(first.brokers().get(0))))
        .containsEntry("default.replication.factor", "1")
        .containsEntry("min.insync.replicas", "1");
    String broker1 = Files.readString(first.configFile(first.brokers().get(0)));

    assertThat(ClusterLayout.create(dir, 0, 0, 0).members()).isEqualTo(first.members());
    ClusterLayout grown = ClusterLayout.create(dir, 3, 4, 0);
    assertThat(grown.brokers())
        .extracting(Member::name)
        .containsExactly("broker-1", "broker-2", "broker-3");
    assertThat(grown.bookies()).hasSize(4);
    assertThat(grown.members()).extracting(Member::port).doesNotHaveDuplicates();
    assertThat(Files.readString(grown.configFile(grown.brokers().get(0)))).isEqualTo(broker1);
    assertThat(grown.members().subList(0, 2)).isEqualTo(first.members().subList(0, 2));
  }

  @Test
  void refusesToDropMembers() throws Exception {
    ClusterLayout.create(dir, 2, 3, 0);
    assertThatThrownBy(() -> ClusterLayout.create(dir, 1, 0, 0))
        .isInstanceOf(LocalClusterException.class)
        .hasMessageContaining("has 2 brokers")
        .hasMessageContaining("--brokers 2");
    assertThatThrownBy(() -> ClusterLayout.create(dir, 0, 2, 0))
        .hasMessageContaining("has 3 bookies");
  }

  @Test
  void firstPortGivesConsecutivePorts() throws Exception {
    int base = 20_000 + (int) (ProcessHandle.current().pid() % 5_000);
    ClusterLayout layout = ClusterLayout.create(dir, 1, 1, base);
    List<Integer> ports = layout.members().stream().map(Member::port).toList();
    assertThat(ports).isSorted();
    assertThat(ports.get(0)).isGreaterThanOrEqualTo(base);
  }

  @Test
  void readingADirectoryWithoutAClusterSaysHowToStartOne() {
    assertThatThrownBy(() -> ClusterLayout.read(dir))
        .isInstanceOf(LocalClusterException.class)
        .hasMessageContaining("strata local-cluster up --dir");
  }
}
