package io.strata.ops.localcluster;

/**
 * One process of a local cluster.
 *
 * @param name {@code zookeeper}, {@code bookie-N} or {@code broker-ID}; names its config, log and
 *     pid files
 * @param port the port it serves on (from its config file)
 * @param address for brokers, the bootstrap address clients use ({@code host:port}); otherwise
 *     {@code 127.0.0.1:port}
 */
public record Member(Role role, String name, int port, String address) {}
