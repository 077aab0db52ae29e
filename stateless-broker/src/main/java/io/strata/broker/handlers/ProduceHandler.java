package io.strata.broker.handlers;

import io.strata.broker.handlers.PartitionLookup.Found;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.Partition.ProduceResult;
import io.strata.broker.produce.BatchValidator.RecordValidationException;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponseCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;

/**
 * Produce. Every partition's batch is validated, checked against idempotent-producer state and
 * appended to its partition log; the answer waits until BookKeeper's ack quorum has fsync'd it.
 *
 * <p>acks=1 and acks=all behave alike: both wait for the ack quorum ({@code min.insync.replicas}
 * bookies), which is stronger than Kafka's acks=1 (leader's page cache) and, unlike Kafka's
 * acks=all, means on disk. acks=0 appends too but gets no response (the protocol layer drops it). A
 * partition that does not finish within the request's timeout answers REQUEST_TIMED_OUT; an
 * idempotent producer's retry is then deduplicated.
 */
public final class ProduceHandler {

  private final PartitionLookup lookup;

  ProduceHandler(PartitionLookup lookup) {
    this.lookup = lookup;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.PRODUCE, this::produce);
  }

  private CompletableFuture<AbstractResponse> produce(RequestContext ctx, AbstractRequest r) {
    ProduceRequest request = (ProduceRequest) r;
    short acks = request.acks();
    long timeoutMs = Math.max(1, request.timeout());
    List<CompletableFuture<TopicProduceResponse>> topics = new ArrayList<>();
    for (TopicProduceData topic : request.data().topicData()) {
      List<CompletableFuture<PartitionProduceResponse>> parts = new ArrayList<>();
      for (PartitionProduceData pd : topic.partitionData()) {
        if (acks != 0 && acks != 1 && acks != -1) {
          parts.add(
              done(
                  error(
                      pd.index(),
                      new ApiError(Errors.INVALID_REQUIRED_ACKS, "acks must be -1, 0 or 1"))));
          continue;
        }
        Found found = lookup.find(topic.name(), topic.topicId(), pd.index());
        if (found.error() != Errors.NONE) {
          parts.add(done(error(pd.index(), new ApiError(found.error(), null))));
          continue;
        }
        if (org.apache.kafka.common.internals.Topic.isInternal(found.topic().get().name())) {
          // Only the group coordinator writes __consumer_offsets (single writer); as in Kafka.
          parts.add(
              done(
                  error(
                      pd.index(),
                      new ApiError(
                          Errors.INVALID_TOPIC_EXCEPTION,
                          "Clients cannot produce to internal topic " + topic.name()))));
          continue;
        }
        parts.add(append(found.partition().get(), pd, timeoutMs, ctx.apiVersion()));
      }
      topics.add(
          TopicHandlers.allOf(parts)
              .thenApply(
                  list ->
                      new TopicProduceResponse()
                          .setName(topic.name())
                          .setTopicId(topic.topicId())
                          .setPartitionResponses(new ArrayList<>(list))));
    }
    return TopicHandlers.allOf(topics)
        .thenApply(
            list -> {
              TopicProduceResponseCollection out = new TopicProduceResponseCollection();
              list.forEach(out::add);
              return new ProduceResponse(new ProduceResponseData().setResponses(out));
            });
  }

  private static CompletableFuture<PartitionProduceResponse> append(
      Partition partition, PartitionProduceData pd, long timeoutMs, short version) {
    ByteBuffer records =
        pd.records() instanceof MemoryRecords mr ? mr.buffer() : ByteBuffer.allocate(0);
    return partition
        .append(records)
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .handle(
            (ProduceResult res, Throwable t) -> {
              if (t == null) {
                return new PartitionProduceResponse()
                    .setIndex(pd.index())
                    .setBaseOffset(res.baseOffset())
                    .setLogAppendTimeMs(res.logAppendTimeMs())
                    .setLogStartOffset(res.logStartOffset());
              }
              Throwable cause = org.apache.kafka.common.protocol.Errors.maybeUnwrapException(t);
              if (cause instanceof TimeoutException) {
                return error(
                    pd.index(),
                    new ApiError(
                        Errors.REQUEST_TIMED_OUT,
                        "The append did not finish within the request timeout of "
                            + timeoutMs
                            + " ms"));
              }
              if (cause instanceof RecordValidationException rve) {
                PartitionProduceResponse failed =
                    error(pd.index(), new ApiError(rve.error(), rve.getMessage()));
                // Record errors exist from v8; writing them to an older client would fail.
                return version >= 8
                    ? failed.setRecordErrors(new ArrayList<>(rve.recordErrors()))
                    : failed;
              }
              return error(
                  pd.index(),
                  BrokerErrors.toApiError(
                      cause, "appending to " + partition.id().topicPartition()));
            });
  }

  private static PartitionProduceResponse error(int index, ApiError e) {
    return new PartitionProduceResponse()
        .setIndex(index)
        .setErrorCode(e.error().code())
        .setErrorMessage(e.message())
        .setBaseOffset(ProduceResponse.INVALID_OFFSET)
        .setLogAppendTimeMs(RecordBatch.NO_TIMESTAMP)
        .setLogStartOffset(ProduceResponse.INVALID_OFFSET);
  }

  private static <T> CompletableFuture<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
