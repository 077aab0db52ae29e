package io.strata.protocol.testing;

import io.strata.protocol.api.ApiHandler;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

/**
 * A handler that parks every request: the test completes the futures when and in whatever order it
 * likes. Not thread-safe: for EmbeddedChannel tests, where the test thread is the event loop.
 */
public final class PendingHandler implements ApiHandler {

  /** One parked request. */
  public record Call(
      RequestContext context, AbstractRequest request, CompletableFuture<AbstractResponse> future) {

    /** Completes with the default response of the request's API and version. */
    public void answerDefault() {
      future.complete(KafkaFrames.defaultResponse(request.apiKey(), request.version()));
    }
  }

  public final List<Call> calls = new ArrayList<>();

  @Override
  public CompletableFuture<AbstractResponse> handle(
      RequestContext context, AbstractRequest request) {
    CompletableFuture<AbstractResponse> f = new CompletableFuture<>();
    calls.add(new Call(context, request, f));
    return f;
  }
}
