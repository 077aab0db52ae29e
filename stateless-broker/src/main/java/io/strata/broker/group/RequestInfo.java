package io.strata.broker.group;

/**
 * What a shard needs to know about a request's sender.
 *
 * @param clientId the request header's client id
 * @param clientHost the client's address as Kafka shows it ({@code /127.0.0.1})
 * @param apiVersion the request's version (some behaviour depends on it)
 */
public record RequestInfo(String clientId, String clientHost, short apiVersion) {}
