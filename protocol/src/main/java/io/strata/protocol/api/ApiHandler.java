package io.strata.protocol.api;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

/**
 * Serves one or more Kafka APIs. The broker registers one implementation per API family in an
 * {@link ApiRegistry}; the protocol server calls it for every well-formed request of a registered
 * API key and version.
 *
 * <p>Threading: {@link #handle} is called on the connection's Netty event loop and must not block
 * (no {@code join}, {@code get}, sleeps or synchronous I/O). Hand long work to another executor and
 * complete the future from there; the server hops back to the event loop itself. Requests of one
 * connection are handed over in the order they arrived; several may be in flight at once.
 */
@FunctionalInterface
public interface ApiHandler {

  /**
   * Serves one request.
   *
   * <p>Failure semantics: if this method throws or the future completes exceptionally, the client
   * gets {@code request.getErrorResponse(0, error)}: the error of a Kafka {@code ApiException}, or
   * {@code UNKNOWN_SERVER_ERROR} for anything else; the connection stays open. For a Produce
   * request with {@code acks=0} no response is ever written (a failure, or a response carrying an
   * error, closes the connection instead, as Kafka does, so the producer refreshes its metadata).
   *
   * <p>Ordering: responses leave each connection in request order whatever order the futures
   * complete in.
   *
   * @param context who sent the request, on which listener, with which header
   * @param request the parsed request; its concrete type matches {@code context.apiKey()} (for
   *     example {@code MetadataRequest} for {@code METADATA}). Record payloads (Produce) are heap
   *     buffers owned by the request object: the handler may keep them as long as it likes.
   * @return the response to send; never {@code null}
   */
  CompletableFuture<AbstractResponse> handle(RequestContext context, AbstractRequest request);
}
