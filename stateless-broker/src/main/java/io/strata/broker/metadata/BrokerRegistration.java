package io.strata.broker.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A live broker, as registered (ephemeral) at {@code /strata/brokers/ids/ID}.
 *
 * <pre>{"version":1,"endpoints":{"PLAINTEXT":"127.0.0.1:9092"},"rack":null,
 *  "startedAtMs":1700000000000}</pre>
 *
 * @param id the broker id clients see
 * @param endpoints advertised listener name to {@code host:port}
 * @param rack rack, if configured
 * @param startedAtMs when the broker registered
 */
public record BrokerRegistration(
    int id, Map<String, String> endpoints, Optional<String> rack, long startedAtMs) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public BrokerRegistration {
    endpoints = Map.copyOf(endpoints);
  }

  /** Host of the endpoint of {@code listener}, if the broker has one. */
  public Optional<String> host(String listener) {
    String hp = endpoints.get(listener);
    return hp == null ? Optional.empty() : Optional.of(hp.substring(0, hp.lastIndexOf(':')));
  }

  /** Port of the endpoint of {@code listener}, or -1. */
  public int port(String listener) {
    String hp = endpoints.get(listener);
    return hp == null ? -1 : Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
  }

  byte[] toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", 1);
    ObjectNode e = n.putObject("endpoints");
    endpoints.forEach(e::put);
    n.put("rack", rack.orElse(null));
    n.put("startedAtMs", startedAtMs);
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  static BrokerRegistration fromJson(int id, byte[] data) {
    try {
      JsonNode n = JSON.readTree(data);
      Map<String, String> endpoints = new LinkedHashMap<>();
      n.path("endpoints")
          .properties()
          .forEach(x -> endpoints.put(x.getKey(), x.getValue().asText()));
      JsonNode rack = n.path("rack");
      return new BrokerRegistration(
          id,
          endpoints,
          rack.isMissingNode() || rack.isNull() ? Optional.empty() : Optional.of(rack.asText()),
          n.path("startedAtMs").asLong());
    } catch (IOException ex) {
      throw new UncheckedIOException("Broker " + id + " has an unreadable registration", ex);
    }
  }
}
