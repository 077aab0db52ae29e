package io.strata.ops.cli;

import io.strata.ops.component.BookKeeperFormat;
import io.strata.ops.component.BookieServerConfig;
import io.strata.ops.component.ConfigFiles;
import io.strata.ops.component.DataDirLock;
import io.strata.ops.jvm.ClassPreloader;
import io.strata.storage.embedded.EmbeddedBookie;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code strata bookie --config FILE}: one BookKeeper bookie in the foreground. */
@Command(
    name = "bookie",
    mixinStandardHelpOptions = true,
    description = {
      "Run one BookKeeper bookie on 127.0.0.1. Formats BookKeeper's metadata in ZooKeeper first"
          + " if no bookie has (safe when several start at once).",
      "Prints 'Strata bookie ready: ID at 127.0.0.1:PORT' once it serves; logs go to stderr;"
          + " stops cleanly on SIGTERM or Ctrl-C. Keys: ops/config/bookie.properties."
    })
final class BookieCommand implements Callable<Integer> {
  /** How long a starting bookie waits for ZooKeeper. */
  private static final Duration ZOOKEEPER_WAIT = Duration.ofSeconds(30);

  @Mixin ComponentOptions options;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ClassPreloader.preloadIfEnabled();
    BookieServerConfig config =
        ConfigFiles.load(options.configFile, options.overrides, BookieServerConfig::new);
    String id = config.bookieId();
    DataDirLock lock =
        DataDirLock.acquire(config.dataDir(), "is bookie " + id + " running already?");
    EmbeddedBookie bookie;
    try {
      BookKeeperFormat.formatIfNeeded(config.metadataServiceUri(), ZOOKEEPER_WAIT);
      bookie =
          new EmbeddedBookie(
              id, config.dataDir(), config.metadataServiceUri(), config.port(), config.settings());
      bookie.start();
    } catch (Exception | Error e) {
      lock.close();
      throw e;
    }
    return Foreground.serve(
        spec.commandLine().getOut(),
        "Strata bookie ready: " + id + " at 127.0.0.1:" + bookie.port(),
        "bookie " + id,
        () -> {
          bookie.stop();
          lock.close();
        },
        bookie::isRunning);
  }
}
