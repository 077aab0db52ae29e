package io.strata.tiering;

import io.strata.storage.api.TierStore;
import io.strata.tiering.store.LocalTierStore;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LocalTierStoreTest extends TierStoreContract {
  @TempDir static Path dir;
  static TierStore store;

  @BeforeAll
  static void start() throws Exception {
    ExecutorService io = TierStores.ioPool("test-tier", 2);
    store = new LocalTierStore(dir.resolve("tier"), io, io);
  }

  @AfterAll
  static void stop() {
    store.close();
  }

  @Override
  TierStore store() {
    return store;
  }
}
