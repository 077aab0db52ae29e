package io.strata.ops.cli;

import io.strata.ops.jvm.ClassPreloader;
import io.strata.ops.standalone.Standalone;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code strata standalone}: ZooKeeper, bookies and a broker in one JVM, on one data dir. */
@Command(
    name = "standalone",
    mixinStandardHelpOptions = true,
    description = {
      "Run ZooKeeper, N bookies and one broker in this JVM. Every acknowledged write is fsync'd"
          + " by the bookies' journals; restarting on the same --data-dir keeps every topic and"
          + " record.",
      "Prints 'Strata standalone ready: bootstrap=127.0.0.1:PORT' once it serves; stops cleanly"
          + " on SIGTERM or Ctrl-C."
    })
final class StandaloneCommand implements Callable<Integer> {

  @Option(
      names = "--data-dir",
      defaultValue = "data",
      paramLabel = "DIR",
      description = "Where ZooKeeper and the bookies keep their data (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Kafka listener port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  @Option(
      names = "--bookies",
      defaultValue = "1",
      description =
          "Bookies to run (default: ${DEFAULT-VALUE}). Topics default to replication factor"
              + " min(N, 3) and min.insync.replicas min(N, 2).")
  int bookies;

  @Option(
      names = "--tier",
      paramLabel = "URI",
      description =
          "Where offloaded segments go (default: DATA_DIR/tier): s3://BUCKET/PREFIX?endpoint=URL"
              + "&pathStyle=true, hdfs://HOST:PORT/PATH or file:///DIR. Topics offload only with"
              + " remote.storage.enable=true.")
  String tier;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Broker properties that override the standalone defaults.")
  Path configFile;

  @Option(
      names = "--override",
      paramLabel = "KEY=VALUE",
      description = "A broker property; repeatable; wins over --config.")
  Map<String, String> overrides = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    if (bookies < 1 || bookies > 9) {
      throw new IllegalArgumentException("--bookies must be between 1 and 9, got " + bookies);
    }
    ClassPreloader.preloadIfEnabled();
    Map<String, String> props = new HashMap<>();
    if (configFile != null) {
      props.putAll(load(configFile));
    }
    props.putAll(overrides);
    if (tier != null) {
      props.put("strata.tier.uri", tier);
    }
    Standalone standalone = Standalone.start(dataDir, port, bookies, props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  standalone.close();
                  stopped.countDown();
                },
                "strata-shutdown"));
    System.out.println(
        "Strata standalone ready: bootstrap=127.0.0.1:" + standalone.broker().boundPort());
    System.out.flush();
    stopped.await();
    return 0;
  }

  private static Map<String, String> load(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    Map<String, String> out = new HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }
}
