package io.strata.protocol.internals;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.ProtocolConfig;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.network.ListenerName;

/**
 * Builds the pipeline of each accepted connection of one listener from named stages:
 *
 * <pre>
 *   [ssl]          SslHandler, for SSL and SASL_SSL listeners        (not yet: issue to come)
 *   idle           IdleStateHandler, connections.max.idle.ms         (absent when -1)
 *   frame-decoder  {@link FrameDecoder}, 4-byte size framing
 *   [sasl]         SaslHandshake/SaslAuthenticate exchange that sets
 *                  {@link ConnectionHandler#PRINCIPAL}               (not yet: issue to come)
 *   connection     {@link ConnectionHandler}, parse, dispatch, ordered responses
 * </pre>
 *
 * TLS and SASL slot in by name (before {@value #IDLE} and before {@value #CONNECTION}) without
 * touching the other stages. Only PLAINTEXT is built today; the configuration rejects the other
 * protocols before a server starts.
 *
 * <p>Thread-safe: one instance serves every connection of its listener.
 */
public final class PipelineInitializer extends ChannelInitializer<Channel> {

  public static final String SSL = "ssl";
  public static final String IDLE = "idle";
  public static final String FRAME_DECODER = "frame-decoder";
  public static final String SASL = "sasl";
  public static final String CONNECTION = "connection";

  private final Endpoint endpoint;
  private final ListenerName listenerName;
  private final ProtocolConfig config;
  private final ApiRegistry registry;
  private final ApiVersionsResponder apiVersions;
  private final ProtocolMetrics metrics;
  private final ProtocolMetrics.ConnectionMetrics connectionMetrics;
  private final AtomicLong connectionCounter;
  private final ChannelGroup channels;

  /**
   * @param channels every accepted channel joins it, so the server can close them all
   */
  public PipelineInitializer(
      Endpoint endpoint,
      ProtocolConfig config,
      ApiRegistry registry,
      ApiVersionsResponder apiVersions,
      ProtocolMetrics metrics,
      ProtocolMetrics.ConnectionMetrics connectionMetrics,
      AtomicLong connectionCounter,
      ChannelGroup channels) {
    this.endpoint = endpoint;
    this.listenerName = new ListenerName(endpoint.listener());
    this.config = config;
    this.registry = registry;
    this.apiVersions = apiVersions;
    this.metrics = metrics;
    this.connectionMetrics = connectionMetrics;
    this.connectionCounter = connectionCounter;
    this.channels = channels;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (channels != null) {
      channels.add(ch);
    }
    ChannelPipeline p = ch.pipeline();
    switch (endpoint.securityProtocol()) {
      case PLAINTEXT -> {}
      default ->
          throw new IllegalStateException(
              endpoint.securityProtocol() + " listeners are not served yet");
    }
    if (config.connectionsMaxIdleMs() > 0) {
      p.addLast(
          IDLE, new IdleStateHandler(0, 0, config.connectionsMaxIdleMs(), TimeUnit.MILLISECONDS));
    }
    p.addLast(FRAME_DECODER, new FrameDecoder(config.socketRequestMaxBytes(), connectionMetrics));
    p.addLast(
        CONNECTION,
        new ConnectionHandler(
            registry,
            apiVersions,
            metrics,
            connectionMetrics,
            listenerName,
            endpoint.securityProtocol(),
            config.maxInflightRequests(),
            config.maxInflightBytes(),
            connectionCounter.getAndIncrement()));
  }
}
