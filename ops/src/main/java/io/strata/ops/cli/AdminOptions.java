package io.strata.ops.cli;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Option;

/** Options every admin verb takes, as Kafka's tools do. */
final class AdminOptions {
  @Option(
      names = "--bootstrap-server",
      defaultValue = "127.0.0.1:9092",
      paramLabel = "HOST:PORT",
      description = "Broker(s) to connect to (default: ${DEFAULT-VALUE}).")
  String bootstrapServer;

  @Option(
      names = "--timeout",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long to wait for the cluster, e.g. 30s, 2m (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  Admin connect() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServer);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.put(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "strata-cli");
    return Admin.create(props);
  }
}
