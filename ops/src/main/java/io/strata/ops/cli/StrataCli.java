package io.strata.ops.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code strata} command. Each verb is a subcommand; admin verbs talk to a running cluster
 * through the Kafka Admin API, like Kafka's own tools.
 */
@Command(
    name = "strata",
    mixinStandardHelpOptions = true,
    versionProvider = StrataCli.Version.class,
    description = "Strata: a Kafka-compatible broker on BookKeeper, ZooKeeper and tiered storage.",
    subcommands = {
      StandaloneCommand.class,
      ZooKeeperCommand.class,
      BookieCommand.class,
      BrokerCommand.class,
      LocalClusterCommand.class,
      TopicsCommand.class,
      ClusterCommand.class,
      PartitionsCommand.class,
      TierCommand.class,
      ConfigDocsCommand.class,
      CommandLine.HelpCommand.class
    })
public final class StrataCli {

  /** Exit code for a usage error or a failed admin call. */
  static final int EXIT_FAILURE = 1;

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status. */
  public static int run(String... args) {
    return run(
        new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
  }

  /** Runs the command line with its output and errors going to the given writers (tests). */
  public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new StrataCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("strata: " + CliErrors.describe(ex));
          return EXIT_FAILURE;
        });
    return cli.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = StrataCli.class.getPackage().getImplementationVersion();
      return new String[] {"strata " + (v == null ? "(development build)" : v)};
    }
  }
}
