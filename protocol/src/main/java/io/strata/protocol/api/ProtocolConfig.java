package io.strata.protocol.api;

import io.strata.protocol.internals.ConfigDocs;
import io.strata.protocol.internals.Listeners;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Configuration of the protocol server. Kafka's key names keep Kafka's meaning; Strata's own keys
 * start with {@code strata.}. Values are read and cross-checked once, in the constructor.
 *
 * <p>Immutable and thread-safe. Unknown keys are ignored, so the broker can pass its whole
 * configuration map.
 */
public final class ProtocolConfig extends AbstractConfig {

  public static final String LISTENERS_CONFIG = "listeners";
  public static final String ADVERTISED_LISTENERS_CONFIG = "advertised.listeners";
  public static final String LISTENER_SECURITY_PROTOCOL_MAP_CONFIG =
      "listener.security.protocol.map";
  public static final String SOCKET_REQUEST_MAX_BYTES_CONFIG = "socket.request.max.bytes";
  public static final String CONNECTIONS_MAX_IDLE_MS_CONFIG = "connections.max.idle.ms";
  public static final String SOCKET_SEND_BUFFER_BYTES_CONFIG = "socket.send.buffer.bytes";
  public static final String SOCKET_RECEIVE_BUFFER_BYTES_CONFIG = "socket.receive.buffer.bytes";
  public static final String SOCKET_LISTEN_BACKLOG_SIZE_CONFIG = "socket.listen.backlog.size";
  public static final String NETWORK_THREADS_CONFIG = "strata.network.threads";
  public static final String MAX_INFLIGHT_REQUESTS_CONFIG =
      "strata.connection.max.inflight.requests";
  public static final String MAX_INFLIGHT_BYTES_CONFIG = "strata.connection.max.inflight.bytes";

  /** The security protocols this version can serve; the others are rejected at configuration. */
  public static final Set<SecurityProtocol> SUPPORTED_SECURITY_PROTOCOLS =
      Set.of(SecurityProtocol.PLAINTEXT);

  private static final String DEFAULT_PROTOCOL_MAP =
      "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";

  private static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              LISTENERS_CONFIG,
              Type.LIST,
              "PLAINTEXT://127.0.0.1:9092",
              ConfigDef.LambdaValidator.with(
                  (name, value) -> {
                    if (value == null || ((List<?>) value).isEmpty()) {
                      throw new ConfigException(name, value, "at least one listener is needed");
                    }
                  },
                  () -> "non-empty list of NAME://host:port"),
              Importance.HIGH,
              "Comma-separated listeners to accept connections on, as NAME://host:port. An empty"
                  + " host binds every interface; port 0 picks an ephemeral port, reported by the"
                  + " server once bound. Only the PLAINTEXT security protocol is served so far.")
          .define(
              ADVERTISED_LISTENERS_CONFIG,
              Type.LIST,
              null,
              Importance.HIGH,
              "Listeners to publish to clients in metadata, as NAME://host:port, when they differ"
                  + " from 'listeners' (for example behind NAT). Each name must be one of"
                  + " 'listeners'. Unset: the listeners themselves, with the bound port for port 0"
                  + " and the canonical host name for an empty host.")
          .define(
              LISTENER_SECURITY_PROTOCOL_MAP_CONFIG,
              Type.STRING,
              DEFAULT_PROTOCOL_MAP,
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "Map from listener name to security protocol, as NAME:PROTOCOL pairs separated by"
                  + " commas.")
          .define(
              SOCKET_REQUEST_MAX_BYTES_CONFIG,
              Type.INT,
              100 * 1024 * 1024,
              Range.atLeast(1),
              Importance.MEDIUM,
              "The largest request the server accepts, in bytes, not counting the 4-byte size"
                  + " prefix. A larger (or negative) size closes the connection before anything is"
                  + " allocated for it.")
          .define(
              CONNECTIONS_MAX_IDLE_MS_CONFIG,
              Type.LONG,
              10 * 60 * 1000L,
              ConfigDef.LambdaValidator.with(
                  (name, value) -> {
                    long v = (Long) value;
                    if (v != -1 && v < 1) {
                      throw new ConfigException(name, value, "must be -1 or at least 1");
                    }
                  },
                  () -> "-1 or [1,...]"),
              Importance.MEDIUM,
              "Close a connection that has neither read nor written for this long and has no"
                  + " request in flight. -1 never closes idle connections.")
          .define(
              SOCKET_SEND_BUFFER_BYTES_CONFIG,
              Type.INT,
              100 * 1024,
              Range.atLeast(-1),
              Importance.MEDIUM,
              "SO_SNDBUF of accepted sockets. -1 (or 0) keeps the operating system's default.")
          .define(
              SOCKET_RECEIVE_BUFFER_BYTES_CONFIG,
              Type.INT,
              100 * 1024,
              Range.atLeast(-1),
              Importance.MEDIUM,
              "SO_RCVBUF of accepted sockets. -1 (or 0) keeps the operating system's default.")
          .define(
              SOCKET_LISTEN_BACKLOG_SIZE_CONFIG,
              Type.INT,
              50,
              Range.atLeast(1),
              Importance.LOW,
              "Maximum number of pending connections on each listening socket.")
          .define(
              NETWORK_THREADS_CONFIG,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Event-loop threads that read requests and write responses, shared by every"
                  + " listener; each connection stays on one thread. 0 uses one per available"
                  + " processor.")
          .define(
              MAX_INFLIGHT_REQUESTS_CONFIG,
              Type.INT,
              100,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Per connection: at most this many requests are handed to handlers and not yet"
                  + " answered; at the cap the server stops reading the socket, and requests it has"
                  + " already read wait, in order, until fewer are in flight.")
          .define(
              MAX_INFLIGHT_BYTES_CONFIG,
              Type.LONG,
              16L * 1024 * 1024,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Per connection: once requests handed to handlers and not yet answered add up to"
                  + " this many bytes, the server stops reading the socket and further requests wait"
                  + " until they add up to less. A single larger request is still served.");

  private final List<Endpoint> listeners;
  private final List<Endpoint> advertisedListeners;
  private final int socketRequestMaxBytes;
  private final long connectionsMaxIdleMs;
  private final int sendBufferBytes;
  private final int receiveBufferBytes;
  private final int listenBacklog;
  private final int networkThreads;
  private final int maxInflightRequests;
  private final long maxInflightBytes;

  /**
   * Parses and checks {@code props}.
   *
   * @throws ConfigException if a value is invalid, a listener names an unknown or unsupported
   *     security protocol, or an advertised listener does not match a listener
   */
  public ProtocolConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
    Map<String, SecurityProtocol> protocols =
        Listeners.parseProtocolMap(
            LISTENER_SECURITY_PROTOCOL_MAP_CONFIG,
            getString(LISTENER_SECURITY_PROTOCOL_MAP_CONFIG));
    this.listeners =
        List.copyOf(Listeners.parse(LISTENERS_CONFIG, getList(LISTENERS_CONFIG), protocols));
    if (listeners.isEmpty()) {
      throw new ConfigException(LISTENERS_CONFIG, getList(LISTENERS_CONFIG), "no listener given");
    }
    for (Endpoint e : listeners) {
      if (!SUPPORTED_SECURITY_PROTOCOLS.contains(e.securityProtocol())) {
        throw new ConfigException(
            LISTENERS_CONFIG,
            Listeners.toUri(e),
            "listener "
                + e.listener()
                + " uses security protocol "
                + e.securityProtocol()
                + ", which Strata does not serve yet; supported: "
                + SUPPORTED_SECURITY_PROTOCOLS);
      }
    }
    checkNoDuplicateAddress();
    List<String> advertised = getList(ADVERTISED_LISTENERS_CONFIG);
    this.advertisedListeners =
        advertised == null || advertised.isEmpty()
            ? listeners
            : List.copyOf(Listeners.parse(ADVERTISED_LISTENERS_CONFIG, advertised, protocols));
    checkAdvertised();
    this.socketRequestMaxBytes = getInt(SOCKET_REQUEST_MAX_BYTES_CONFIG);
    this.connectionsMaxIdleMs = getLong(CONNECTIONS_MAX_IDLE_MS_CONFIG);
    this.sendBufferBytes = getInt(SOCKET_SEND_BUFFER_BYTES_CONFIG);
    this.receiveBufferBytes = getInt(SOCKET_RECEIVE_BUFFER_BYTES_CONFIG);
    this.listenBacklog = getInt(SOCKET_LISTEN_BACKLOG_SIZE_CONFIG);
    int threads = getInt(NETWORK_THREADS_CONFIG);
    this.networkThreads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    this.maxInflightRequests = getInt(MAX_INFLIGHT_REQUESTS_CONFIG);
    this.maxInflightBytes = getLong(MAX_INFLIGHT_BYTES_CONFIG);
  }

  private void checkNoDuplicateAddress() {
    Set<String> seen = new HashSet<>();
    for (Endpoint e : listeners) {
      if (e.port() != 0 && !seen.add(e.host() + ":" + e.port())) {
        throw new ConfigException(
            LISTENERS_CONFIG, Listeners.toUri(e), "two listeners bind the same host and port");
      }
    }
  }

  private void checkAdvertised() {
    Set<String> names = new HashSet<>();
    for (Endpoint e : listeners) {
      names.add(e.listener());
    }
    for (Endpoint e : advertisedListeners) {
      if (!names.contains(e.listener())) {
        throw new ConfigException(
            ADVERTISED_LISTENERS_CONFIG,
            Listeners.toUri(e),
            "listener " + e.listener() + " is not one of " + LISTENERS_CONFIG);
      }
      if ("0.0.0.0".equals(e.host()) || "::".equals(e.host())) {
        throw new ConfigException(
            ADVERTISED_LISTENERS_CONFIG,
            Listeners.toUri(e),
            "clients cannot connect to the meta-address " + e.host());
      }
    }
  }

  /** A copy of the definitions, for tools that combine several modules' keys. */
  public static ConfigDef configDef() {
    return new ConfigDef(CONFIG_DEF);
  }

  /** The definitions as a Markdown table (name, description, type, default, valid, importance). */
  public static String toMarkdownTable() {
    return ConfigDocs.markdownTable(CONFIG_DEF);
  }

  /** The definitions as an HTML table, as Kafka renders its own configuration reference. */
  public static String toHtmlTable() {
    return CONFIG_DEF.toHtmlTable();
  }

  /** Prints the reference table: Markdown, or HTML with {@code --html}. */
  public static void main(String[] args) {
    boolean html = args.length > 0 && "--html".equals(args[0]);
    System.out.print(html ? toHtmlTable() : toMarkdownTable());
  }

  /** The listeners to bind, in configuration order. Port 0 means ephemeral. */
  public List<Endpoint> listeners() {
    return listeners;
  }

  /** The listeners to publish, as configured (port 0 and empty hosts not yet resolved). */
  public List<Endpoint> advertisedListeners() {
    return advertisedListeners;
  }

  public int socketRequestMaxBytes() {
    return socketRequestMaxBytes;
  }

  /** Idle timeout in milliseconds, or -1 for none. */
  public long connectionsMaxIdleMs() {
    return connectionsMaxIdleMs;
  }

  /** SO_SNDBUF, or a value below 1 for the operating system's default. */
  public int sendBufferBytes() {
    return sendBufferBytes;
  }

  /** SO_RCVBUF, or a value below 1 for the operating system's default. */
  public int receiveBufferBytes() {
    return receiveBufferBytes;
  }

  public int listenBacklog() {
    return listenBacklog;
  }

  /** Event-loop threads, with 0 already resolved to the number of processors. */
  public int networkThreads() {
    return networkThreads;
  }

  public int maxInflightRequests() {
    return maxInflightRequests;
  }

  public long maxInflightBytes() {
    return maxInflightBytes;
  }
}
