package io.strata.tiering;

import io.strata.storage.api.TierStore;
import io.strata.tiering.store.HdfsTierStore;
import io.strata.tiering.store.LocalTierStore;
import io.strata.tiering.store.S3TierStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Opens the {@link TierStore} a {@code strata.tier.uri} names. */
public final class TierStores {
  private TierStores() {}

  /**
   * Opens the store of {@code config.uri()} (which must be set). Blocking (HDFS connects): call it
   * at start-up.
   */
  public static TierStore open(TierConfig config) throws IOException {
    URI uri = URI.create(config.uri());
    switch (uri.getScheme()) {
      case "file":
        {
          ExecutorService io = ioPool("strata-tier-file", config.ioThreads());
          return new LocalTierStore(Path.of(uri), io, io);
        }
      case "hdfs":
        {
          ExecutorService io = ioPool("strata-tier-hdfs", config.ioThreads());
          try {
            return new HdfsTierStore(uri, new org.apache.hadoop.conf.Configuration(), io, io);
          } catch (IOException | RuntimeException e) {
            io.shutdown();
            throw e;
          }
        }
      case "s3":
        return new S3TierStore(
            S3TierStore.Location.parse(uri),
            config.s3AccessKeyId(),
            config.s3SecretAccessKey(),
            config.s3PartBytes());
      default:
        throw new IllegalArgumentException("unsupported tier URI " + config.uri());
    }
  }

  /** A pool of daemon threads for blocking tier I/O. */
  public static ExecutorService ioPool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }
}
