package io.strata.it.tier;

import io.strata.it.support.StandaloneExtension;
import io.strata.tiering.testing.HdfsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tiered storage end to end on a real HDFS (MiniDFSCluster, once for the class). */
@Tag("integration")
@Timeout(300)
class HdfsTierTest {
  static final Path dir = tempDir();
  static final HdfsServer hdfs = start();

  @RegisterExtension
  static final StandaloneExtension strata =
      TieredStorageScenario.withTier(hdfs.uri("strata/tier"), Map.of());

  private final TieredStorageScenario scenario = new TieredStorageScenario(strata);

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("strata-hdfs-");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HdfsServer start() {
    try {
      return HdfsServer.start(dir);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stopHdfs() throws Exception {
    hdfs.close();
    io.strata.it.support.TempDirs.deleteRecursively(dir);
  }

  @Test
  void produceOffloadDropBookieCopyConsumeFromZeroAndByTimestamp() throws Exception {
    scenario.run("hdfs-tier");
  }
}
