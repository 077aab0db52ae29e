package io.strata.ops.cli;

import io.strata.ops.component.ConfigFiles;
import io.strata.ops.component.DataDirLock;
import io.strata.ops.component.ZooKeeperServerConfig;
import io.strata.storage.embedded.EmbeddedZooKeeper;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code strata zookeeper --config FILE}: a single-node ZooKeeper server in the foreground. */
@Command(
    name = "zookeeper",
    mixinStandardHelpOptions = true,
    description = {
      "Run a single-node ZooKeeper server on 127.0.0.1 for a one-host Strata cluster.",
      "Prints 'Strata zookeeper ready: 127.0.0.1:PORT' once it accepts clients; logs go to"
          + " stderr; stops cleanly on SIGTERM or Ctrl-C. Keys: ops/config/zookeeper.properties."
    })
final class ZooKeeperCommand implements Callable<Integer> {
  @Mixin ComponentOptions options;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ZooKeeperServerConfig config =
        ConfigFiles.load(options.configFile, options.overrides, ZooKeeperServerConfig::new);
    DataDirLock lock = DataDirLock.acquire(config.dataDir(), "is this ZooKeeper running already?");
    EmbeddedZooKeeper zk;
    try {
      zk = EmbeddedZooKeeper.start(config.dataDir(), config.clientPort());
    } catch (Exception | Error e) {
      lock.close();
      throw e;
    }
    return Foreground.serve(
        spec.commandLine().getOut(),
        "Strata zookeeper ready: " + zk.connectString(),
        "zookeeper",
        () -> {
          zk.close();
          lock.close();
        },
        () -> true);
  }
}
