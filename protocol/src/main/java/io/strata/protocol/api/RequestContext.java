package io.strata.protocol.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;

/**
 * Who sent a request and how: its header, the listener and connection it came on, and the
 * authenticated principal. Implements Kafka's {@link AuthorizableRequestContext} so it can be
 * handed to an authorizer as is.
 *
 * <p>Immutable and thread-safe.
 *
 * @param header the parsed request header (API key, version, correlation id, client id)
 * @param connectionId unique per connection: {@code local-remote-sequence}, as Kafka builds it
 * @param listener the listener the connection was accepted on
 * @param securityProtocol the listener's security protocol
 * @param principal the authenticated principal; {@link KafkaPrincipal#ANONYMOUS} until SASL or TLS
 *     client authentication exists
 * @param remoteAddress the client's address and port
 * @param localAddress the server's address and port the client connected to
 * @param clientInformation the client software name and version sent in ApiVersions (v3+), or
 *     {@link ClientInformation#EMPTY}
 */
public record RequestContext(
    RequestHeader header,
    String connectionId,
    ListenerName listener,
    SecurityProtocol securityProtocol,
    KafkaPrincipal principal,
    InetSocketAddress remoteAddress,
    InetSocketAddress localAddress,
    ClientInformation clientInformation)
    implements AuthorizableRequestContext {

  public RequestContext {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(connectionId, "connectionId");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(securityProtocol, "securityProtocol");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(remoteAddress, "remoteAddress");
    Objects.requireNonNull(localAddress, "localAddress");
    Objects.requireNonNull(clientInformation, "clientInformation");
  }

  /** The request's API. */
  public ApiKeys apiKey() {
    return header.apiKey();
  }

  /** The request's version, within the range registered for its API. */
  public short apiVersion() {
    return header.apiVersion();
  }

  @Override
  public String listenerName() {
    return listener.value();
  }

  @Override
  public InetAddress clientAddress() {
    return remoteAddress.getAddress();
  }

  @Override
  public int requestType() {
    return header.apiKey().id;
  }

  @Override
  public int requestVersion() {
    return header.apiVersion();
  }

  @Override
  public String clientId() {
    return header.clientId();
  }

  @Override
  public int correlationId() {
    return header.correlationId();
  }
}
