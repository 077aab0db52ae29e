package io.strata.ops.localcluster;

import java.util.List;

/**
 * The kinds of process in a local cluster, in start order. Each is the {@code strata} verb of the
 * same name; stop order is the reverse (brokers first, so they seal their ledgers while bookies and
 * ZooKeeper still serve).
 */
public enum Role {
  ZOOKEEPER("zookeeper", List.of("-Xmx256m")),
  BOOKIE("bookie", List.of("-Xmx512m", "-XX:MaxDirectMemorySize=512m")),
  BROKER("broker", List.of("-Xmx1g", "-XX:MaxDirectMemorySize=1g"));

  private final String verb;
  private final List<String> heapOptions;

  Role(String verb, List<String> heapOptions) {
    this.verb = verb;
    this.heapOptions = heapOptions;
  }

  /** The {@code strata} verb that runs it, also the prefix of its names. */
  public String verb() {
    return verb;
  }

  /** JVM memory flags a local cluster gives this kind of process. */
  List<String> heapOptions() {
    return heapOptions;
  }

  /** The start of its ready line, e.g. {@code Strata bookie ready: }. */
  String readyPrefix() {
    return "Strata " + verb + " ready: ";
  }
}
