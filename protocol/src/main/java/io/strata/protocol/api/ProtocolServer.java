package io.strata.protocol.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.strata.protocol.internals.ApiVersionsResponder;
import io.strata.protocol.internals.Listeners;
import io.strata.protocol.internals.PipelineInitializer;
import io.strata.protocol.internals.ProtocolMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The Kafka wire protocol server: binds every configured listener, accepts connections, and serves
 * the APIs of an {@link ApiRegistry}.
 *
 * <p>Threading: one acceptor thread for all listeners and {@code strata.network.threads} Netty
 * event-loop threads; each connection lives on one event loop, which frames, parses, dispatches,
 * serializes and writes for it. Handlers are called on that event loop and must not block.
 *
 * <p>Lifecycle: {@code new} → {@link #start()} (binds, once) → {@link #close()} (idempotent; closes
 * listeners and connections, stops the threads, unregisters the metrics). Thread-safe.
 *
 * <pre>{@code
 * ApiRegistry registry = ApiRegistry.builder()
 *     .register(ApiKeys.METADATA, metadataHandler)
 *     .register(ApiKeys.PRODUCE, produceHandler)
 *     .build();
 * ProtocolServer server = new ProtocolServer(new ProtocolConfig(props), registry, metrics);
 * server.start();
 * int port = server.boundPort("PLAINTEXT");
 * }</pre>
 */
public final class ProtocolServer implements AutoCloseable {

  private enum State {
    NEW,
    STARTED,
    CLOSED
  }

  private final ProtocolConfig config;
  private final ApiRegistry registry;
  private final Metrics metrics;
  private final boolean ownsMetrics;
  private final Map<String, Endpoint> bound = new LinkedHashMap<>();
  private final List<Channel> serverChannels = new ArrayList<>();
  private State state = State.NEW;
  private EventLoopGroup acceptors;
  private EventLoopGroup workers;
  private ChannelGroup channels;
  private ProtocolMetrics protocolMetrics;

  /** A server with its own {@link Metrics} registry, closed with the server. */
  public ProtocolServer(ProtocolConfig config, ApiRegistry registry) {
    this(config, registry, new Metrics(), true);
  }

  /**
   * A server that registers its sensors in {@code metrics} (group {@value ProtocolMetrics#GROUP})
   * and removes them on close; the caller owns and closes {@code metrics}. One server per registry.
   */
  public ProtocolServer(ProtocolConfig config, ApiRegistry registry, Metrics metrics) {
    this(config, registry, metrics, false);
  }

  private ProtocolServer(
      ProtocolConfig config, ApiRegistry registry, Metrics metrics, boolean ownsMetrics) {
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.ownsMetrics = ownsMetrics;
  }

  /**
   * Binds every listener and starts accepting connections. Blocks until bound.
   *
   * @throws KafkaException if a listener cannot be bound; everything started is stopped again
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  public synchronized void start() {
    if (state != State.NEW) {
      throw new IllegalStateException("server is " + state);
    }
    state = State.STARTED;
    acceptors =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("strata-protocol-acceptor"), NioIoHandler.newFactory());
    workers =
        new MultiThreadIoEventLoopGroup(
            config.networkThreads(),
            new DefaultThreadFactory("strata-protocol-network"),
            NioIoHandler.newFactory());
    channels = new DefaultChannelGroup("strata-protocol", GlobalEventExecutor.INSTANCE);
    Set<ApiKeys> keys = EnumSet.of(ApiKeys.API_VERSIONS);
    registry.registrations().forEach(r -> keys.add(r.apiKey()));
    protocolMetrics = new ProtocolMetrics(metrics, keys);
    ApiVersionsResponder apiVersions = new ApiVersionsResponder(registry);
    AtomicLong connectionCounter = new AtomicLong();
    try {
      for (Endpoint endpoint : config.listeners()) {
        bind(endpoint, apiVersions, connectionCounter);
      }
    } catch (RuntimeException e) {
      shutdown();
      throw e;
    }
  }

  private void bind(Endpoint endpoint, ApiVersionsResponder apiVersions, AtomicLong counter) {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(acceptors, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, config.listenBacklog())
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(
                new PipelineInitializer(
                    endpoint,
                    config,
                    registry,
                    apiVersions,
                    protocolMetrics,
                    protocolMetrics.listener(endpoint.listener()),
                    counter,
                    channels));
    if (config.sendBufferBytes() > 0) {
      bootstrap.childOption(ChannelOption.SO_SNDBUF, config.sendBufferBytes());
    }
    if (config.receiveBufferBytes() > 0) {
      bootstrap.childOption(ChannelOption.SO_RCVBUF, config.receiveBufferBytes());
    }
    InetSocketAddress address =
        endpoint.host() == null || endpoint.host().isEmpty()
            ? new InetSocketAddress(endpoint.port())
            : new InetSocketAddress(endpoint.host(), endpoint.port());
    ChannelFuture future = bootstrap.bind(address).awaitUninterruptibly();
    if (!future.isSuccess()) {
      throw new KafkaException(
          "Cannot bind listener " + Listeners.toUri(endpoint) + ": " + future.cause(),
          future.cause());
    }
    Channel channel = future.channel();
    serverChannels.add(channel);
    channels.add(channel);
    int port = ((InetSocketAddress) channel.localAddress()).getPort();
    bound.put(
        endpoint.listener(),
        new Endpoint(endpoint.listener(), endpoint.securityProtocol(), endpoint.host(), port));
  }

  /**
   * The port {@code listenerName} is bound to (the ephemeral one for port 0).
   *
   * @throws IllegalArgumentException if no such listener is bound
   */
  public synchronized int boundPort(String listenerName) {
    Endpoint e = bound.get(listenerName);
    if (e == null) {
      throw new IllegalArgumentException("no bound listener named " + listenerName);
    }
    return e.port();
  }

  /** The port of the first configured listener. */
  public synchronized int boundPort() {
    return boundPort(config.listeners().get(0).listener());
  }

  /** The bound listeners, in configuration order, with their actual ports. */
  public synchronized List<Endpoint> boundEndpoints() {
    return List.copyOf(bound.values());
  }

  /**
   * The endpoints to publish to clients (Metadata, DescribeCluster): {@code advertised.listeners}
   * (or the listeners), with port 0 replaced by the bound port and an empty host by this machine's
   * canonical host name. May look up the host name: call it off the event loops.
   */
  public synchronized List<Endpoint> advertisedEndpoints() {
    List<Endpoint> result = new ArrayList<>();
    for (Endpoint e : config.advertisedListeners()) {
      int port =
          e.port() == 0 && bound.containsKey(e.listener()) ? boundPort(e.listener()) : e.port();
      String host = e.host() == null || e.host().isEmpty() ? localHostName() : e.host();
      result.add(new Endpoint(e.listener(), e.securityProtocol(), host, port));
    }
    return result;
  }

  /** The registry the server's sensors live in. */
  public Metrics metrics() {
    return metrics;
  }

  /** Stops listening, closes every connection, stops the threads. Idempotent. */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    boolean started = state == State.STARTED;
    state = State.CLOSED;
    if (started) {
      shutdown();
    } else if (ownsMetrics) {
      metrics.close();
    }
  }

  private void shutdown() {
    state = State.CLOSED;
    if (channels != null) {
      channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
    List<Future<?>> terminations = new ArrayList<>();
    if (acceptors != null) {
      terminations.add(acceptors.shutdownGracefully(0, 5, TimeUnit.SECONDS));
    }
    if (workers != null) {
      terminations.add(workers.shutdownGracefully(0, 5, TimeUnit.SECONDS));
    }
    for (Future<?> f : terminations) {
      f.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
    serverChannels.clear();
    bound.clear();
    if (protocolMetrics != null) {
      protocolMetrics.close();
    }
    if (ownsMetrics) {
      metrics.close();
    }
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
