package io.strata.ops.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options of the verbs that run one cluster component: its config file and overrides. */
final class ComponentOptions {
  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "Java properties file with the component's keys (see ops/config/).")
  Path configFile;

  @Option(
      names = "--override",
      paramLabel = "KEY=VALUE",
      description = "A property that wins over the file; repeatable.")
  Map<String, String> overrides = new LinkedHashMap<>();
}
