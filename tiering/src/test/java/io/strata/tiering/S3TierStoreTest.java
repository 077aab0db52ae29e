package io.strata.tiering;

import io.strata.storage.api.TierStore;
import io.strata.tiering.store.S3TierStore;
import io.strata.tiering.testing.S3Server;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/** The S3 store against a real S3 API (s3proxy), multipart uploads included. */
@Tag("integration")
@Timeout(120)
class S3TierStoreTest extends TierStoreContract {
  static S3Server server;
  static TierStore store;

  @BeforeAll
  static void start() throws Exception {
    server = S3Server.start("tier");
    store =
        new S3TierStore(
            S3TierStore.Location.parse(URI.create(server.tierUri("tier", "strata"))),
            S3Server.ACCESS_KEY,
            S3Server.SECRET_KEY,
            5 * 1024 * 1024);
  }

  @AfterAll
  static void stop() throws Exception {
    store.close();
    server.close();
  }

  @Override
  TierStore store() {
    return store;
  }
}
