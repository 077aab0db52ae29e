package io.strata.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ConfigDocsTest {

  /** The committed reference page must be what the definitions generate. */
  @Test
  void committedReferenceMatchesTheDefinitions() throws Exception {
    Path page = Path.of("..", "docs", "configuration.md");
    String committed = Files.exists(page) ? Files.readString(page) : "";
    assertThat(committed)
        .as(
            "docs/configuration.md is stale: run `ops/bin/strata config-docs > docs/configuration.md`")
        .isEqualTo(ConfigDocsCommand.render());
  }

  @Test
  void everyKeyIsDocumented() {
    String page = ConfigDocsCommand.render();
    for (String key :
        new String[] {
          "listeners", "zookeeper.connect", "bookkeeper.ledger.password", "num.partitions",
          "strata.cache.tail.bytes", "retention.ms", "cleanup.policy", "min.insync.replicas"
        }) {
      assertThat(page).contains("`" + key + "`");
    }
    assertThat(page).doesNotContain("$$Lambda");
  }
}
