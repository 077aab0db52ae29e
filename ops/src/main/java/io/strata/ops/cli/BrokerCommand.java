package io.strata.ops.cli;

import io.strata.broker.Broker;
import io.strata.broker.config.BrokerConfig;
import io.strata.ops.component.ConfigFiles;
import io.strata.ops.jvm.ClassPreloader;
import java.net.InetAddress;
import java.util.concurrent.Callable;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.utils.Time;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code strata broker --config FILE}: one stateless broker in the foreground. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run one Strata broker. Needs ZooKeeper and enough bookies for the topics' replication"
          + " factor; the file holds broker properties (docs/configuration.md).",
      "Prints 'Strata broker ready: id=ID bootstrap=HOST:PORT' once it serves; logs go to"
          + " stderr; SIGTERM or Ctrl-C is a controlled shutdown (ledgers sealed, ownership"
          + " released). Keys: ops/config/broker.properties."
    })
final class BrokerCommand implements Callable<Integer> {
  @Mixin ComponentOptions options;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ClassPreloader.preloadIfEnabled();
    BrokerConfig config =
        ConfigFiles.load(options.configFile, options.overrides, BrokerConfig::new);
    Broker broker = new Broker(config, BrokerConfig::openLogStore, Time.SYSTEM);
    try {
      broker.start();
    } catch (Exception | Error e) {
      broker.close();
      throw e;
    }
    return Foreground.serve(
        spec.commandLine().getOut(),
        "Strata broker ready: id=" + broker.brokerId() + " bootstrap=" + bootstrap(config, broker),
        "broker " + broker.brokerId(),
        broker,
        () -> true);
  }

  /** The first advertised endpoint, as clients get it in Metadata. */
  static String bootstrap(BrokerConfig config, Broker broker) throws Exception {
    Endpoint e = config.protocol().advertisedListeners().get(0);
    String host =
        e.host() == null || e.host().isEmpty()
            ? InetAddress.getLocalHost().getCanonicalHostName()
            : e.host();
    int port = e.port() == 0 ? broker.boundPort() : e.port();
    return host + ":" + port;
  }
}
