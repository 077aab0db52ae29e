package io.strata.ops.cli;

import io.strata.ops.localcluster.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code strata local-cluster up|down|status}: a multi-process cluster on this host. */
@Command(
    name = "local-cluster",
    mixinStandardHelpOptions = true,
    description = {
      "ZooKeeper, bookies and brokers as separate processes on 127.0.0.1, all files under one"
          + " directory: DIR/config (one properties file per process, written once), DIR/data,"
          + " DIR/logs/NAME.log, DIR/pids/NAME.pid (NAME = zookeeper, bookie-N, broker-ID)."
    },
    subcommands = {
      LocalClusterCommand.Up.class,
      LocalClusterCommand.Down.class,
      LocalClusterCommand.Status.class
    })
final class LocalClusterCommand {

  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = {
        "Start ZooKeeper, the bookies, then the brokers (what is not running already), wait until"
            + " each is ready, and print 'Strata local cluster ready: bootstrap=HOST:PORT,...'."
            + " The processes keep running after this command exits.",
        "Running it again on the same --dir reuses the ids, ports and data. Topics default to"
            + " replication factor min(bookies, 3) and min.insync.replicas min(bookies, 2)."
      })
  static final class Up implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--dir",
        required = true,
        paramLabel = "DIR",
        description = "The cluster's directory.")
    Path dir;

    @Option(
        names = "--brokers",
        paramLabel = "N",
        description = "Brokers (ids 1..N); default: the directory's, or 1 for a new cluster.")
    int brokers;

    @Option(
        names = "--bookies",
        paramLabel = "M",
        description = "Bookies (bookie-1..M); default: the directory's, or 3 for a new cluster.")
    int bookies;

    @Option(
        names = "--first-port",
        paramLabel = "PORT",
        description =
            "Ports for new processes from PORT up (ZooKeeper, bookies, brokers); default: free"
                + " ports chosen once and kept.")
    int firstPort;

    @Option(
        names = "--timeout",
        defaultValue = "180s",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "How long every process gets to become ready (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      if (brokers < 0 || brokers > 99 || bookies < 0 || bookies > 99) {
        throw new ParameterException(
            spec.commandLine(), "--brokers and --bookies must be between 1 and 99");
      }
      if (firstPort != 0 && (firstPort < 1024 || firstPort > 65_000)) {
        throw new ParameterException(spec.commandLine(), "--first-port must be in 1024..65000");
      }
      LocalCluster.UpResult result =
          LocalCluster.up(dir, brokers, bookies, firstPort, timeout, spec.commandLine().getErr());
      spec.commandLine()
          .getOut()
          .println("Strata local cluster ready: bootstrap=" + String.join(",", result.bootstrap()));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description = {
        "Stop the cluster's processes by their pid files: SIGTERM to the brokers, then the"
            + " bookies, then ZooKeeper, each tier waiting for its processes to exit (SIGKILL"
            + " after --timeout). Data stays; `up` starts it again."
      })
  static final class Down implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--dir",
        required = true,
        paramLabel = "DIR",
        description = "The cluster's directory.")
    Path dir;

    @Option(
        names = "--timeout",
        defaultValue = "60s",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description =
            "How long each tier gets to exit after SIGTERM before SIGKILL (default:"
                + " ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      boolean allStopped = LocalCluster.down(dir, timeout, spec.commandLine().getOut());
      return allStopped ? 0 : StrataCli.EXIT_FAILURE;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "List the cluster's processes: pid, running or stopped, address, log file.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--dir",
        required = true,
        paramLabel = "DIR",
        description = "The cluster's directory.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      LocalCluster.status(dir, spec.commandLine().getOut());
      return 0;
    }
  }
}
