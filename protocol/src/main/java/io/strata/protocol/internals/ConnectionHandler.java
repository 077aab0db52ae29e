package io.strata.protocol.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.strata.protocol.api.ApiHandler;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka connection: parses each frame's header and body with kafka-clients, hands the request
 * to its registered {@link ApiHandler} (ApiVersions is answered here), and writes the responses
 * back in request order.
 *
 * <p>Ordering: every accepted request joins a FIFO queue; a response leaves only when every request
 * before it has left. Completions that happen on other threads hop onto this channel's event loop
 * first, so the queue and every other field are touched by that one thread only.
 *
 * <p>Back-pressure: while the queue holds {@code maxInflightRequests} requests or {@code
 * maxInflightBytes} request bytes, or the channel is not writable (the client does not read its
 * responses), {@code autoRead} is off and no new request reaches a handler. Frames already read
 * from the socket wait in a backlog (bounded by what one read delivered, at most one frame beyond
 * it) and are served in order as the queue drains; reading resumes once the backlog is empty and
 * all three are below their marks. A single request larger than the byte cap is still served.
 *
 * <p>Bad input (a header that does not parse, an API key or version we do not serve, a body that
 * does not parse) closes the connection at once, dropping any response not yet written, as Kafka
 * does; it is logged once at DEBUG. A handler failure becomes the API's error response and the
 * connection stays open. A Produce with acks=0 gets no response; if it fails or its response
 * carries an error the connection is closed after earlier responses are flushed.
 *
 * <p>The principal comes from the channel attribute {@link #PRINCIPAL}, which a future SASL or TLS
 * stage earlier in the pipeline sets; it is {@link KafkaPrincipal#ANONYMOUS} until then.
 *
 * <p>Lifecycle: one instance per channel, created by the pipeline initializer.
 */
public final class ConnectionHandler extends ChannelDuplexHandler {

  /** The authenticated principal of a channel; unset means ANONYMOUS. */
  public static final AttributeKey<KafkaPrincipal> PRINCIPAL =
      AttributeKey.valueOf("strata.principal");

  private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

  private static final InetSocketAddress UNKNOWN_ADDRESS =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  private final ApiRegistry registry;
  private final ApiVersionsResponder apiVersions;
  private final ProtocolMetrics metrics;
  private final ProtocolMetrics.ConnectionMetrics connectionMetrics;
  private final ListenerName listener;
  private final SecurityProtocol securityProtocol;
  private final int maxInflightRequests;
  private final long maxInflightBytes;
  private final long connectionIndex;

  private final ArrayDeque<InFlight> queue = new ArrayDeque<>();
  private final ArrayDeque<ByteBuffer> backlog = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private String connectionId = "unconnected";
  private InetSocketAddress remoteAddress = UNKNOWN_ADDRESS;
  private InetSocketAddress localAddress = UNKNOWN_ADDRESS;
  private ClientInformation clientInformation = ClientInformation.EMPTY;
  private long inflightBytes;
  private boolean opened;
  private boolean closed;
  private boolean readPaused;
  private boolean inRead;
  private boolean flushNeeded;
  private boolean draining;

  public ConnectionHandler(
      ApiRegistry registry,
      ApiVersionsResponder apiVersions,
      ProtocolMetrics metrics,
      ProtocolMetrics.ConnectionMetrics connectionMetrics,
      ListenerName listener,
      SecurityProtocol securityProtocol,
      int maxInflightRequests,
      long maxInflightBytes,
      long connectionIndex) {
    this.registry = registry;
    this.apiVersions = apiVersions;
    this.metrics = metrics;
    this.connectionMetrics = connectionMetrics;
    this.listener = listener;
    this.securityProtocol = securityProtocol;
    this.maxInflightRequests = maxInflightRequests;
    this.maxInflightBytes = maxInflightBytes;
    this.connectionIndex = connectionIndex;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    remoteAddress = inet(ctx.channel().remoteAddress());
    localAddress = inet(ctx.channel().localAddress());
    connectionId =
        localAddress.getAddress().getHostAddress()
            + ":"
            + localAddress.getPort()
            + "-"
            + remoteAddress.getAddress().getHostAddress()
            + ":"
            + remoteAddress.getPort()
            + "-"
            + connectionIndex;
    opened = true;
    connectionMetrics.connectionOpened();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    dropInFlight();
    if (opened) {
      opened = false;
      connectionMetrics.connectionClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuffer frame)) {
      ReferenceCountUtil.release(msg);
      throw new IllegalStateException("expected a request frame, got " + msg.getClass());
    }
    inRead = true;
    if (closed) {
      return;
    }
    if (!backlog.isEmpty() || mustWait()) {
      backlog.addLast(frame);
      updateReadState();
      return;
    }
    serve(frame);
  }

  /** Parses one frame and dispatches it, or closes the connection if it is bad input. */
  private void serve(ByteBuffer frame) {
    int size = frame.remaining();
    RequestHeader header;
    try {
      header = RequestHeader.parse(frame);
    } catch (RuntimeException e) {
      reject("cannot parse the request header", e);
      return;
    }
    ApiKeys key = header.apiKey();
    if (key != ApiKeys.API_VERSIONS && !registry.supports(key, header.apiVersion())) {
      reject(key + " version " + header.apiVersion() + " is not served here", null);
      return;
    }
    KafkaPrincipal principal = principal(ctx);
    org.apache.kafka.common.requests.RequestContext kafkaContext =
        new org.apache.kafka.common.requests.RequestContext(
            header,
            connectionId,
            remoteAddress.getAddress(),
            Optional.of(remoteAddress.getPort()),
            principal,
            listener,
            securityProtocol,
            clientInformation,
            false);
    AbstractRequest request;
    try {
      request = kafkaContext.parseRequest(frame).request;
    } catch (RuntimeException e) {
      reject("cannot parse the body of " + key + " version " + header.apiVersion(), e);
      return;
    }
    ProtocolMetrics.ApiMetrics apiMetrics = metrics.api(key);
    apiMetrics.received();
    boolean acksZero = request instanceof ProduceRequest produce && produce.acks() == 0;
    InFlight inFlight =
        new InFlight(kafkaContext, request, apiMetrics, size, System.nanoTime(), acksZero);
    queue.addLast(inFlight);
    inflightBytes += size;
    updateReadState();
    CompletableFuture<AbstractResponse> future = dispatch(header, principal, request);
    future.whenComplete((response, error) -> onComplete(inFlight, response, error));
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    inRead = false;
    if (flushNeeded) {
      flushNeeded = false;
      ctx.flush();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (!closed) {
      drain(); // serves the backlog if the channel became writable
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!closed && queue.isEmpty() && backlog.isEmpty()) {
        log.debug("Closing connection {}: idle for connections.max.idle.ms", connectionId);
        closed = true;
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!closed) {
      if (cause instanceof java.io.IOException) {
        log.debug("Closing connection {}: {}", connectionId, cause.toString());
      } else {
        // Not the network and not bad input (both handled elsewhere): a bug worth seeing once.
        log.warn("Closing connection {} after an unexpected error", connectionId, cause);
      }
      closed = true;
      dropInFlight();
      ctx.close();
    }
  }

  private CompletableFuture<AbstractResponse> dispatch(
      RequestHeader header, KafkaPrincipal principal, AbstractRequest request) {
    if (request instanceof ApiVersionsRequest apiVersionsRequest) {
      if (!apiVersionsRequest.hasUnsupportedRequestVersion() && apiVersionsRequest.isValid()) {
        // KIP-511: remember the client's software name and version for later requests.
        clientInformation =
            new ClientInformation(
                apiVersionsRequest.data().clientSoftwareName(),
                apiVersionsRequest.data().clientSoftwareVersion());
      }
      return CompletableFuture.completedFuture(apiVersions.respond(apiVersionsRequest));
    }
    ApiHandler handler = registry.registration(header.apiKey()).orElseThrow().handler();
    RequestContext context =
        new RequestContext(
            header,
            connectionId,
            listener,
            securityProtocol,
            principal,
            remoteAddress,
            localAddress,
            clientInformation);
    try {
      CompletableFuture<AbstractResponse> future = handler.handle(context, request);
      return future != null
          ? future
          : CompletableFuture.failedFuture(
              new IllegalStateException("handler returned null instead of a future"));
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
  }

  /** Called on any thread; moves onto the event loop. */
  private void onComplete(InFlight inFlight, AbstractResponse response, Throwable error) {
    EventExecutor loop = ctx.executor();
    if (loop.inEventLoop()) {
      completeGuarded(inFlight, response, error);
    } else {
      try {
        loop.execute(() -> completeGuarded(inFlight, response, error));
      } catch (RejectedExecutionException e) {
        // The server is shutting down and the connection with it; nothing is left to answer.
      }
    }
  }

  /**
   * Runs inside a future callback or an event-loop task, where an exception would be swallowed or
   * only logged by Netty: route it to {@link #exceptionCaught} so the connection is closed.
   */
  private void completeGuarded(InFlight inFlight, AbstractResponse response, Throwable error) {
    try {
      complete(inFlight, response, error);
    } catch (RuntimeException e) {
      exceptionCaught(ctx, e);
    }
  }

  private void complete(InFlight inFlight, AbstractResponse response, Throwable error) {
    if (closed || inFlight.done) {
      return;
    }
    inFlight.done = true;
    ApiKeys key = inFlight.kafkaContext.header.apiKey();
    if (error == null && response == null) {
      error = new IllegalStateException("handler completed with a null response");
    }
    if (error == null && response.apiKey() != key) {
      error = new IllegalStateException("handler answered " + key + " with " + response.apiKey());
    }
    if (error != null) {
      Throwable cause = unwrap(error);
      inFlight.handlerFailed = true;
      if (log.isDebugEnabled()) {
        log.debug(
            "{} v{} (correlation id {}) on {} failed; {}",
            key,
            inFlight.kafkaContext.header.apiVersion(),
            inFlight.kafkaContext.header.correlationId(),
            connectionId,
            inFlight.acksZero ? "closing (acks=0)" : "answering " + Errors.forException(cause),
            cause);
      }
      if (inFlight.acksZero) {
        inFlight.closeAfter = true;
      } else {
        inFlight.response = errorResponse(inFlight, cause);
      }
    } else if (inFlight.acksZero) {
      if (hasError(response)) {
        // Kafka closes the connection so an acks=0 producer notices the error and refreshes its
        // metadata; it never reads a response.
        log.debug("Closing connection {}: acks=0 produce failed with {}", connectionId, response);
        inFlight.closeAfter = true;
      }
    } else {
      inFlight.response = response;
    }
    drain();
  }

  /**
   * Writes every finished request at the head of the queue, in order, and serves backlogged frames
   * while the caps allow. Not re-entrant: a synchronous completion while draining is picked up by
   * the running loop, so the stack stays flat however long the backlog.
   */
  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    boolean wrote = false;
    try {
      boolean progress = true;
      while (progress && !closed) {
        progress = false;
        while (!closed && !queue.isEmpty() && queue.peekFirst().done) {
          wrote |= writeHead();
          progress = true;
        }
        if (!closed && !backlog.isEmpty() && !mustWait()) {
          serve(backlog.pollFirst());
          progress = true;
        }
      }
    } finally {
      draining = false;
    }
    if (closed) {
      return;
    }
    if (wrote) {
      if (inRead) {
        flushNeeded = true;
      } else {
        ctx.flush();
      }
    }
    updateReadState();
  }

  /** Takes the finished head off the queue and writes its response; true if bytes were written. */
  private boolean writeHead() {
    InFlight inFlight = queue.pollFirst();
    inflightBytes -= inFlight.size;
    boolean wrote = false;
    boolean error = inFlight.handlerFailed;
    if (inFlight.response != null) {
      ByteBuf buf = encode(inFlight);
      if (buf != null) {
        connectionMetrics.bytesOut(buf.readableBytes());
        ctx.write(buf, ctx.voidPromise());
        wrote = true;
        error |= hasError(inFlight.response);
      }
    }
    inFlight.apiMetrics.completed(
        System.nanoTime() - inFlight.receivedNanos, error, inFlight.handlerFailed);
    if (inFlight.closeAfter) {
      closed = true;
      dropInFlight();
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
    return wrote;
  }

  /** Serializes a response, falling back to the API's UNKNOWN_SERVER_ERROR response. */
  private ByteBuf encode(InFlight inFlight) {
    try {
      return SendEncoder.encode(
          inFlight.kafkaContext.buildResponseSend(inFlight.response), ctx.alloc());
    } catch (RuntimeException e) {
      inFlight.handlerFailed = true;
      log.debug(
          "Cannot serialize the {} response on {}; answering UNKNOWN_SERVER_ERROR: {}",
          inFlight.kafkaContext.header.apiKey(),
          connectionId,
          e.toString());
    }
    try {
      AbstractResponse fallback =
          inFlight.request.getErrorResponse(0, Errors.UNKNOWN_SERVER_ERROR.exception());
      return SendEncoder.encode(inFlight.kafkaContext.buildResponseSend(fallback), ctx.alloc());
    } catch (RuntimeException e) {
      log.debug("Closing connection {}: cannot serialize an error response either", connectionId);
      inFlight.closeAfter = true;
      return null;
    }
  }

  private AbstractResponse errorResponse(InFlight inFlight, Throwable cause) {
    try {
      return inFlight.request.getErrorResponse(0, cause);
    } catch (RuntimeException e) {
      log.debug("Closing connection {}: cannot build an error response: {}", connectionId, e);
      inFlight.closeAfter = true;
      return null;
    }
  }

  private void reject(String reason, Throwable cause) {
    connectionMetrics.invalidRequest();
    if (log.isDebugEnabled()) {
      log.debug(
          "Closing connection {}: {}{}",
          connectionId,
          reason,
          cause == null
              ? ""
              : " (" + cause + (cause.getCause() == null ? "" : ", " + cause.getCause()) + ")");
    }
    closed = true;
    dropInFlight();
    ctx.close();
  }

  /** Whether a new request must wait: a cap is reached or the client is not reading. */
  private boolean mustWait() {
    return queue.size() >= maxInflightRequests
        || inflightBytes >= maxInflightBytes
        || !ctx.channel().isWritable();
  }

  private void updateReadState() {
    boolean pause = mustWait() || !backlog.isEmpty();
    if (pause != readPaused) {
      readPaused = pause;
      ctx.channel().config().setAutoRead(!pause);
    }
  }

  private void dropInFlight() {
    queue.clear();
    backlog.clear();
    inflightBytes = 0;
    flushNeeded = false;
  }

  private static boolean hasError(AbstractResponse response) {
    try {
      for (Map.Entry<Errors, Integer> e : response.errorCounts().entrySet()) {
        if (e.getKey() != Errors.NONE && e.getValue() > 0) {
          return true;
        }
      }
      return false;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static KafkaPrincipal principal(ChannelHandlerContext ctx) {
    KafkaPrincipal principal = ctx.channel().attr(PRINCIPAL).get();
    return principal == null ? KafkaPrincipal.ANONYMOUS : principal;
  }

  private static InetSocketAddress inet(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet;
    }
    return UNKNOWN_ADDRESS;
  }

  /** A request between receipt and its response leaving the queue. Event-loop confined. */
  private static final class InFlight {
    final org.apache.kafka.common.requests.RequestContext kafkaContext;
    final AbstractRequest request;
    final ProtocolMetrics.ApiMetrics apiMetrics;
    final int size;
    final long receivedNanos;
    final boolean acksZero;
    boolean done;
    boolean handlerFailed;
    boolean closeAfter;
    AbstractResponse response;

    InFlight(
        org.apache.kafka.common.requests.RequestContext kafkaContext,
        AbstractRequest request,
        ProtocolMetrics.ApiMetrics apiMetrics,
        int size,
        long receivedNanos,
        boolean acksZero) {
      this.kafkaContext = kafkaContext;
      this.request = request;
      this.apiMetrics = apiMetrics;
      this.size = size;
      this.receivedNanos = receivedNanos;
      this.acksZero = acksZero;
    }
  }
}
