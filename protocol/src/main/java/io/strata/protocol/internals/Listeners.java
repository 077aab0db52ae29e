package io.strata.protocol.internals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Parses Kafka-style listener lists ({@code NAME://host:port,...}) and the listener-to-protocol map
 * ({@code NAME:PROTOCOL,...}), with Kafka's meaning: an empty host binds every interface, port 0 an
 * ephemeral port, an IPv6 host is written in brackets. Stateless.
 */
public final class Listeners {

  private static final Pattern LISTENER =
      Pattern.compile("^([^:/\\s]+)://\\[?([0-9a-zA-Z\\-%._:]*?)\\]?:(-?[0-9]+)$");

  private Listeners() {}

  /**
   * Parses a listener-to-security-protocol map such as {@code INTERNAL:PLAINTEXT,EXTERNAL:SSL}.
   *
   * @throws ConfigException naming {@code configName} if an entry is malformed or names an unknown
   *     security protocol
   */
  public static Map<String, SecurityProtocol> parseProtocolMap(String configName, String value) {
    Map<String, SecurityProtocol> map = new HashMap<>();
    if (value == null || value.isBlank()) {
      return map;
    }
    for (String entry : value.split(",")) {
      String trimmed = entry.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int colon = trimmed.lastIndexOf(':');
      if (colon <= 0 || colon == trimmed.length() - 1) {
        throw new ConfigException(
            configName, value, "entry '" + trimmed + "' is not NAME:PROTOCOL");
      }
      String name = trimmed.substring(0, colon).trim().toUpperCase(Locale.ROOT);
      String protocol = trimmed.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
      SecurityProtocol securityProtocol;
      try {
        securityProtocol = SecurityProtocol.forName(protocol);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            configName, value, "unknown security protocol '" + protocol + "' for " + name);
      }
      if (map.put(name, securityProtocol) != null) {
        throw new ConfigException(configName, value, "listener " + name + " is mapped twice");
      }
    }
    return map;
  }

  /**
   * Parses listener URIs such as {@code PLAINTEXT://127.0.0.1:9092}; listener names are upper-cased
   * as Kafka does. Each name must be unique and present in {@code protocols}.
   *
   * @throws ConfigException naming {@code configName} on a malformed entry, a bad port, a duplicate
   *     name or a name without a security protocol
   */
  public static List<Endpoint> parse(
      String configName, List<String> values, Map<String, SecurityProtocol> protocols) {
    List<Endpoint> endpoints = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (String raw : values) {
      String value = raw.trim();
      if (value.isEmpty()) {
        continue;
      }
      Matcher m = LISTENER.matcher(value);
      if (!m.matches()) {
        throw new ConfigException(
            configName, value, "expected NAME://host:port (an empty host means every interface)");
      }
      String name = m.group(1).toUpperCase(Locale.ROOT);
      String host = m.group(2);
      int port;
      try {
        port = Integer.parseInt(m.group(3));
      } catch (NumberFormatException e) {
        throw new ConfigException(configName, value, "port is not a number");
      }
      if (port < 0 || port > 65535) {
        throw new ConfigException(configName, value, "port must be between 0 and 65535");
      }
      if (!names.add(name)) {
        throw new ConfigException(configName, value, "listener name " + name + " appears twice");
      }
      SecurityProtocol protocol = protocols.get(name);
      if (protocol == null) {
        throw new ConfigException(
            configName,
            value,
            "listener "
                + name
                + " has no security protocol; add it to listener.security.protocol.map");
      }
      endpoints.add(new Endpoint(name, protocol, host, port));
    }
    return endpoints;
  }

  /** Renders an endpoint back as {@code NAME://host:port}, bracketing IPv6 hosts. */
  public static String toUri(Endpoint endpoint) {
    String host = endpoint.host() == null ? "" : endpoint.host();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return endpoint.listener() + "://" + host + ":" + endpoint.port();
  }
}
