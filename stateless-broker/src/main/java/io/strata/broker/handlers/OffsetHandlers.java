package io.strata.broker.handlers;

import io.strata.broker.handlers.PartitionLookup.Found;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.PartitionManager;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import io.strata.storage.api.TimestampOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResultCollection;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResultCollection;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.requests.DescribeProducersResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;

/**
 * ListOffsets (earliest, latest, by timestamp, max timestamp, earliest local, latest tiered),
 * DeleteRecords (advance the log start offset; whole segments below it are deleted) and
 * DescribeProducers (idempotent producers a partition remembers).
 */
public final class OffsetHandlers {

  private final PartitionLookup lookup;
  private final PartitionManager partitions;

  OffsetHandlers(PartitionLookup lookup, PartitionManager partitions) {
    this.lookup = lookup;
    this.partitions = partitions;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.LIST_OFFSETS, this::listOffsets);
    registry.register(ApiKeys.DELETE_RECORDS, this::deleteRecords);
    registry.register(ApiKeys.DESCRIBE_PRODUCERS, this::describeProducers);
  }

  private CompletableFuture<AbstractResponse> listOffsets(RequestContext ctx, AbstractRequest r) {
    ListOffsetsRequest request = (ListOffsetsRequest) r;
    List<CompletableFuture<ListOffsetsTopicResponse>> topics = new ArrayList<>();
    for (ListOffsetsTopic t : request.data().topics()) {
      List<CompletableFuture<ListOffsetsPartitionResponse>> parts = new ArrayList<>();
      for (ListOffsetsPartition p : t.partitions()) {
        parts.add(listOffset(t.name(), p, ctx.apiVersion()));
      }
      topics.add(
          TopicHandlers.allOf(parts)
              .thenApply(
                  l ->
                      new ListOffsetsTopicResponse()
                          .setName(t.name())
                          .setPartitions(new ArrayList<>(l))));
    }
    return TopicHandlers.allOf(topics)
        .thenApply(
            l ->
                new ListOffsetsResponse(
                    new ListOffsetsResponseData().setTopics(new ArrayList<>(l))));
  }

  private CompletableFuture<ListOffsetsPartitionResponse> listOffset(
      String topic, ListOffsetsPartition req, short version) {
    ListOffsetsPartitionResponse res =
        new ListOffsetsPartitionResponse()
            .setPartitionIndex(req.partitionIndex())
            .setTimestamp(RecordBatch.NO_TIMESTAMP)
            .setOffset(ListOffsetsResponse.UNKNOWN_OFFSET)
            .setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
    Found found = lookup.find(topic, null, req.partitionIndex());
    if (found.error() != Errors.NONE) {
      return CompletableFuture.completedFuture(res.setErrorCode(found.error().code()));
    }
    Partition p = found.partition().get();
    Errors epochError = PartitionLookup.checkLeaderEpoch(p, req.currentLeaderEpoch());
    if (epochError != Errors.NONE) {
      return CompletableFuture.completedFuture(res.setErrorCode(epochError.code()));
    }
    if (version >= 4) {
      res.setLeaderEpoch(p.leaderEpoch()); // absent before v4; writing it would fail
    }
    long ts = req.timestamp();
    if (ts == ListOffsetsRequest.EARLIEST_TIMESTAMP) {
      return CompletableFuture.completedFuture(res.setOffset(p.log().logStartOffset()));
    }
    if (ts == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
      // The first offset whose segment is still on the bookies (Kafka: the local log start).
      long local = Math.max(p.log().logStartOffset(), p.log().metadata().earliestLocalOffset());
      return CompletableFuture.completedFuture(
          res.setOffset(Math.min(local, p.log().highWatermark())));
    }
    if (ts == ListOffsetsRequest.LATEST_TIMESTAMP) {
      return CompletableFuture.completedFuture(res.setOffset(p.log().highWatermark()));
    }
    if (ts == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP) {
      // The last offset with a committed tier copy; -1 (as Kafka) when nothing is tiered.
      return CompletableFuture.completedFuture(
          res.setOffset(p.log().metadata().latestTieredOffset()));
    }
    if (ts == ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
      // The first offset not yet in the tier; -1 (as Kafka) when the topic does not offload.
      if (!p.log().config().remoteStorageEnable()) {
        return CompletableFuture.completedFuture(res);
      }
      long next = Math.max(p.log().logStartOffset(), p.log().metadata().latestTieredOffset() + 1);
      return CompletableFuture.completedFuture(res.setOffset(next));
    }
    CompletableFuture<Optional<TimestampOffset>> lookupTs;
    if (ts == ListOffsetsRequest.MAX_TIMESTAMP) {
      lookupTs = p.log().offsetOfMaxTimestamp();
    } else if (ts >= 0) {
      lookupTs = p.log().offsetForTimestamp(ts);
    } else {
      return CompletableFuture.completedFuture(res.setErrorCode(Errors.INVALID_REQUEST.code()));
    }
    return lookupTs.handle(
        (found2, t) -> {
          if (t != null) {
            return res.setErrorCode(
                BrokerErrors.toApiError(t, "looking up a timestamp in " + p.id().topicPartition())
                    .error()
                    .code());
          }
          found2.ifPresent(to -> res.setOffset(to.offset()).setTimestamp(to.timestamp()));
          return res;
        });
  }

  private CompletableFuture<AbstractResponse> deleteRecords(RequestContext ctx, AbstractRequest r) {
    DeleteRecordsRequest request = (DeleteRecordsRequest) r;
    List<CompletableFuture<DeleteRecordsTopicResult>> topics = new ArrayList<>();
    for (DeleteRecordsTopic t : request.data().topics()) {
      List<CompletableFuture<DeleteRecordsPartitionResult>> parts = new ArrayList<>();
      for (DeleteRecordsPartition p : t.partitions()) {
        parts.add(deleteRecords(t.name(), p));
      }
      topics.add(
          TopicHandlers.allOf(parts)
              .thenApply(
                  l -> {
                    DeleteRecordsPartitionResultCollection c =
                        new DeleteRecordsPartitionResultCollection();
                    l.forEach(c::add);
                    return new DeleteRecordsTopicResult().setName(t.name()).setPartitions(c);
                  }));
    }
    return TopicHandlers.allOf(topics)
        .thenApply(
            l -> {
              DeleteRecordsTopicResultCollection c = new DeleteRecordsTopicResultCollection();
              l.forEach(c::add);
              return new DeleteRecordsResponse(new DeleteRecordsResponseData().setTopics(c));
            });
  }

  private CompletableFuture<DeleteRecordsPartitionResult> deleteRecords(
      String topic, DeleteRecordsPartition req) {
    DeleteRecordsPartitionResult res =
        new DeleteRecordsPartitionResult()
            .setPartitionIndex(req.partitionIndex())
            .setLowWatermark(DeleteRecordsResponse.INVALID_LOW_WATERMARK);
    if (org.apache.kafka.common.internals.Topic.isInternal(topic)) {
      // As in Kafka: an internal topic's records belong to its coordinator alone.
      return CompletableFuture.completedFuture(
          res.setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code()));
    }
    Found found = lookup.find(topic, null, req.partitionIndex());
    if (found.error() != Errors.NONE) {
      return CompletableFuture.completedFuture(res.setErrorCode(found.error().code()));
    }
    Partition p = found.partition().get();
    long hw = p.log().highWatermark();
    // -1 means "up to the high watermark", as in Kafka.
    long target = req.offset() == DeleteRecordsRequest.HIGH_WATERMARK ? hw : req.offset();
    if (target < 0 || target > hw) {
      return CompletableFuture.completedFuture(
          res.setErrorCode(
              ApiError.fromThrowable(
                      new OffsetOutOfRangeException(
                          "Cannot delete records up to "
                              + target
                              + "; the high watermark is "
                              + hw))
                  .error()
                  .code()));
    }
    return p.log()
        .trimTo(target)
        .handle(
            (v, t) -> {
              if (t != null) {
                return res.setErrorCode(
                    BrokerErrors.toApiError(t, "deleting records of " + p.id().topicPartition())
                        .error()
                        .code());
              }
              partitions.trimmed(p);
              return res.setLowWatermark(p.log().logStartOffset());
            });
  }

  private CompletableFuture<AbstractResponse> describeProducers(
      RequestContext ctx, AbstractRequest r) {
    DescribeProducersRequest request = (DescribeProducersRequest) r;
    List<CompletableFuture<TopicResponse>> topics = new ArrayList<>();
    for (DescribeProducersRequestData.TopicRequest t : request.data().topics()) {
      List<CompletableFuture<PartitionResponse>> parts = new ArrayList<>();
      for (int index : t.partitionIndexes()) {
        parts.add(describeProducers(t.name(), index));
      }
      topics.add(
          TopicHandlers.allOf(parts)
              .thenApply(
                  l -> new TopicResponse().setName(t.name()).setPartitions(new ArrayList<>(l))));
    }
    return TopicHandlers.allOf(topics)
        .thenApply(
            l ->
                new DescribeProducersResponse(
                    new DescribeProducersResponseData().setTopics(new ArrayList<>(l))));
  }

  private CompletableFuture<PartitionResponse> describeProducers(String topic, int index) {
    PartitionResponse res = new PartitionResponse().setPartitionIndex(index);
    Found found = lookup.find(topic, null, index);
    if (found.error() != Errors.NONE) {
      return CompletableFuture.completedFuture(res.setErrorCode(found.error().code()));
    }
    return found
        .partition()
        .get()
        .describeProducers()
        .thenApply(
            list -> {
              List<ProducerState> states = new ArrayList<>();
              list.forEach(
                  e ->
                      states.add(
                          new ProducerState()
                              .setProducerId(e.producerId())
                              .setProducerEpoch(e.epoch())
                              .setLastSequence(e.lastSeq())
                              .setLastTimestamp(e.lastTimestamp())
                              .setCoordinatorEpoch(-1)
                              .setCurrentTxnStartOffset(-1)));
              return res.setActiveProducers(states);
            });
  }
}
