package io.strata.broker.handlers;

import io.strata.broker.fetch.DelayedFetchQueue;
import io.strata.broker.handlers.PartitionLookup.Found;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.Partition.ReadResult;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.utils.Time;

/**
 * Fetch for consumers. Partitions are read in parallel (tail cache, catch-up cache or bookies),
 * then trimmed in request order to {@code max.bytes} and each partition's limit, always keeping at
 * least one whole batch of the first partition with data so a consumer can progress past a large
 * batch. If fewer than {@code min.bytes} are ready, the fetch is parked in the delayed-fetch queue
 * until appends to its partitions bring enough, or {@code max.wait.ms} passes.
 *
 * <p>Strata does not keep fetch sessions (KIP-227): it answers session id 0, which tells clients to
 * send full fetch requests, a mode every client supports. read_committed equals read_uncommitted
 * until transactions exist (the last stable offset is the high watermark).
 */
public final class FetchHandler {

  private final PartitionLookup lookup;
  private final DelayedFetchQueue<TopicIdPartition> delayed;
  private final Time time;

  FetchHandler(PartitionLookup lookup, DelayedFetchQueue<TopicIdPartition> delayed, Time time) {
    this.lookup = lookup;
    this.delayed = delayed;
    this.time = time;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.FETCH, this::fetch);
  }

  /** One requested partition. */
  private record Wanted(
      FetchTopic topic, FetchPartition partition, Found found, TopicIdPartition key) {}

  private CompletableFuture<AbstractResponse> fetch(RequestContext ctx, AbstractRequest r) {
    FetchRequest request = (FetchRequest) r;
    if (request.data().sessionId() != 0) {
      return CompletableFuture.completedFuture(
          FetchResponse.of(
              new FetchResponseData()
                  .setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code())
                  .setSessionId(0)));
    }
    List<Wanted> wanted = new ArrayList<>();
    for (FetchTopic t : request.data().topics()) {
      for (FetchPartition p : t.partitions()) {
        Found found = lookup.find(t.topic(), t.topicId(), p.partition());
        TopicIdPartition key = found.partition().map(Partition::id).orElse(null);
        wanted.add(new Wanted(t, p, found, key));
      }
    }
    CompletableFuture<AbstractResponse> response = new CompletableFuture<>();
    long deadline = time.milliseconds() + Math.max(0, request.maxWait());
    attempt(request, wanted, deadline, response);
    return response;
  }

  private void attempt(
      FetchRequest request,
      List<Wanted> wanted,
      long deadlineMs,
      CompletableFuture<AbstractResponse> response) {
    List<CompletableFuture<PartitionData>> reads = new ArrayList<>(wanted.size());
    for (Wanted w : wanted) {
      reads.add(read(w));
    }
    TopicHandlers.allOf(reads)
        .whenComplete(
            (datas, t) -> {
              if (t != null) {
                response.completeExceptionally(t);
                return;
              }
              List<PartitionData> trimmed = trim(datas, request.maxBytes());
              long bytes = 0;
              boolean anyError = false;
              for (PartitionData d : trimmed) {
                bytes += d.records().sizeInBytes();
                anyError |= d.errorCode() != Errors.NONE.code();
              }
              long remainingMs = deadlineMs - time.milliseconds();
              List<TopicIdPartition> waitable =
                  wanted.stream().map(Wanted::key).filter(k -> k != null).toList();
              if (bytes >= request.minBytes()
                  || remainingMs <= 0
                  || anyError
                  || waitable.isEmpty()) {
                response.complete(build(wanted, trimmed));
                return;
              }
              delayed.park(
                  waitable,
                  request.minBytes() - bytes,
                  remainingMs,
                  () ->
                      attempt(
                          request, wanted, Math.min(deadlineMs, time.milliseconds()), response));
            });
  }

  private static CompletableFuture<PartitionData> read(Wanted w) {
    PartitionData base = new PartitionData().setPartitionIndex(w.partition().partition());
    if (w.found().error() != Errors.NONE) {
      return CompletableFuture.completedFuture(error(base, new ApiError(w.found().error(), null)));
    }
    Partition p = w.found().partition().get();
    Errors epochError = PartitionLookup.checkLeaderEpoch(p, w.partition().currentLeaderEpoch());
    if (epochError != Errors.NONE) {
      return CompletableFuture.completedFuture(error(base, new ApiError(epochError, null)));
    }
    int maxBytes = Math.max(0, w.partition().partitionMaxBytes());
    return p.read(w.partition().fetchOffset(), maxBytes)
        .handle(
            (ReadResult res, Throwable t) -> {
              if (t != null) {
                return error(
                    base, BrokerErrors.toApiError(t, "reading " + p.id().topicPartition()));
              }
              return base.setHighWatermark(res.highWatermark())
                  .setLastStableOffset(res.lastStableOffset())
                  .setLogStartOffset(res.logStartOffset())
                  .setRecords(res.records());
            });
  }

  private static PartitionData error(PartitionData d, ApiError e) {
    return d.setErrorCode(e.error().code())
        .setHighWatermark(FetchResponse.INVALID_HIGH_WATERMARK)
        .setLastStableOffset(FetchResponse.INVALID_LAST_STABLE_OFFSET)
        .setLogStartOffset(FetchResponse.INVALID_LOG_START_OFFSET)
        .setRecords(MemoryRecords.EMPTY);
  }

  /**
   * Keeps partitions' records in request order while the response stays within {@code maxBytes};
   * the first non-empty partition is always kept whole. Dropped ones are answered empty (and
   * fetched again by the next request).
   */
  private static List<PartitionData> trim(List<PartitionData> datas, int maxBytes) {
    List<PartitionData> out = new ArrayList<>(datas.size());
    long used = 0;
    boolean first = true;
    for (PartitionData d : datas) {
      int size = d.records() == null ? 0 : d.records().sizeInBytes();
      if (size > 0 && !first && used + size > maxBytes) {
        d.setRecords(MemoryRecords.EMPTY);
        size = 0;
      }
      if (size > 0) {
        first = false;
      }
      used += size;
      out.add(d);
    }
    return out;
  }

  private static AbstractResponse build(List<Wanted> wanted, List<PartitionData> datas) {
    Map<FetchTopic, FetchableTopicResponse> byTopic = new LinkedHashMap<>();
    for (int i = 0; i < wanted.size(); i++) {
      FetchTopic t = wanted.get(i).topic();
      FetchableTopicResponse tr =
          byTopic.computeIfAbsent(
              t,
              k ->
                  new FetchableTopicResponse()
                      .setTopic(k.topic())
                      .setTopicId(k.topicId() == null ? Uuid.ZERO_UUID : k.topicId()));
      tr.partitions().add(datas.get(i));
    }
    return FetchResponse.of(
        new FetchResponseData()
            .setErrorCode(Errors.NONE.code())
            .setSessionId(0)
            .setResponses(new ArrayList<>(byTopic.values())));
  }
}
