package io.strata.broker.handlers;

import io.strata.broker.producer.ProducerIdManager;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;

/**
 * InitProducerId for idempotent producers (every Kafka producer since 3.0). As in Kafka, a producer
 * without a transactional id always gets a fresh id with epoch 0, also when it asks to bump the
 * epoch of its current one after an error.
 */
public final class ProducerIdHandlers {
  private final ProducerIdManager ids;

  public ProducerIdHandlers(ProducerIdManager ids) {
    this.ids = ids;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.INIT_PRODUCER_ID, this::initProducerId);
  }

  private CompletableFuture<AbstractResponse> initProducerId(
      RequestContext ctx, AbstractRequest r) {
    InitProducerIdRequest request = (InitProducerIdRequest) r;
    if (request.data().transactionalId() != null) {
      return CompletableFuture.completedFuture(
          response(
              new ApiError(
                  Errors.INVALID_REQUEST,
                  "Transactions are not supported by this Strata version; unset"
                      + " transactional.id (idempotence works without it)."),
              RecordBatch.NO_PRODUCER_ID));
    }
    return ids.nextId()
        .handle(
            (id, e) ->
                e == null
                    ? response(ApiError.NONE, id)
                    : response(
                        BrokerErrors.toApiError(e, "allocating a producer id"),
                        RecordBatch.NO_PRODUCER_ID));
  }

  private static AbstractResponse response(ApiError error, long producerId) {
    return new InitProducerIdResponse(
        new InitProducerIdResponseData()
            .setErrorCode(error.error().code())
            .setProducerId(producerId)
            .setProducerEpoch(
                producerId == RecordBatch.NO_PRODUCER_ID ? RecordBatch.NO_PRODUCER_EPOCH : 0));
  }
}
