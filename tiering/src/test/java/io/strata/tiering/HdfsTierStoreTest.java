package io.strata.tiering;

import io.strata.storage.api.TierStore;
import io.strata.tiering.store.HdfsTierStore;
import io.strata.tiering.testing.HdfsServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HDFS store against a real HDFS (MiniDFSCluster, started once for the class). */
@Tag("integration")
@Timeout(120)
class HdfsTierStoreTest extends TierStoreContract {
  @TempDir static Path dir;
  static HdfsServer hdfs;
  static TierStore store;

  @BeforeAll
  static void start() throws Exception {
    hdfs = HdfsServer.start(dir);
    ExecutorService io = TierStores.ioPool("test-hdfs", 2);
    store = new HdfsTierStore(URI.create(hdfs.uri("strata/tier")), new Configuration(), io, io);
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Override
  TierStore store() {
    return store;
  }
}
