package io.strata.broker.handlers;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.ConfigEntries;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.topic.TopicService;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResultCollection;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResultCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;

/**
 * CreateTopics, DeleteTopics and CreatePartitions. Each topic of a request succeeds or fails on its
 * own, with Kafka's error codes and a message that says what to change.
 *
 * <p>Manual replica assignments name brokers, but Strata's replicas are bookies chosen by
 * BookKeeper: an assignment is read only for its partition count and replication factor.
 */
public final class TopicHandlers {

  private final BrokerConfig config;
  private final TopicService topics;
  private final MetadataCache cache;

  public TopicHandlers(BrokerConfig config, TopicService topics, MetadataCache cache) {
    this.config = config;
    this.topics = topics;
    this.cache = cache;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.CREATE_TOPICS, this::createTopics);
    registry.register(ApiKeys.DELETE_TOPICS, this::deleteTopics);
    registry.register(ApiKeys.CREATE_PARTITIONS, this::createPartitions);
  }

  private CompletableFuture<AbstractResponse> createTopics(RequestContext ctx, AbstractRequest r) {
    CreateTopicsRequest request = (CreateTopicsRequest) r;
    boolean validateOnly = request.data().validateOnly();
    long timeoutMs = Math.max(0, request.data().timeoutMs());
    Set<String> seen = new HashSet<>();
    Set<String> duplicated = new HashSet<>();
    request.data().topics().forEach(t -> (seen.add(t.name()) ? seen : duplicated).add(t.name()));

    List<CompletableFuture<CreatableTopicResult>> results = new ArrayList<>();
    for (CreatableTopic t : request.data().topics()) {
      if (duplicated.contains(t.name())) {
        results.add(
            CompletableFuture.completedFuture(
                error(
                    t.name(),
                    new ApiError(
                        Errors.INVALID_REQUEST,
                        "Topic '" + t.name() + "' appears more than once in the request."))));
        continue;
      }
      int partitions = t.numPartitions();
      int rf = t.replicationFactor();
      if (!t.assignments().isEmpty()) {
        partitions = t.assignments().size();
        rf = t.assignments().iterator().next().brokerIds().size();
      }
      Map<String, String> configs = new HashMap<>();
      for (CreatableTopicConfig c : t.configs()) {
        configs.put(c.name(), c.value());
      }
      results.add(
          topics
              .create(t.name(), partitions, rf, configs, validateOnly, timeoutMs)
              .handle(
                  (topic, e) ->
                      e == null
                          ? created(topic, ctx.apiVersion())
                          : error(
                              t.name(), BrokerErrors.toApiError(e, "creating topic " + t.name()))));
    }
    return allOf(results)
        .thenApply(
            list -> {
              CreatableTopicResultCollection out = new CreatableTopicResultCollection();
              list.forEach(out::add);
              return new CreateTopicsResponse(new CreateTopicsResponseData().setTopics(out));
            });
  }

  private CreatableTopicResult created(TopicRecord topic, short version) {
    CreatableTopicResult res =
        new CreatableTopicResult()
            .setName(topic.name())
            .setTopicId(topic.id())
            .setNumPartitions(topic.partitions())
            .setReplicationFactor((short) topic.replicationFactor());
    if (version >= 5) {
      List<CreatableTopicConfigs> configs = new ArrayList<>();
      for (ConfigEntries.Entry e : ConfigEntries.topic(config, topic.configs())) {
        configs.add(
            new CreatableTopicConfigs()
                .setName(e.name())
                .setValue(e.value())
                .setReadOnly(e.readOnly())
                .setConfigSource(e.source().id())
                .setIsSensitive(e.sensitive()));
      }
      res.setConfigs(configs);
    }
    return res;
  }

  private static CreatableTopicResult error(String name, ApiError error) {
    return new CreatableTopicResult()
        .setName(name)
        .setErrorCode(error.error().code())
        .setErrorMessage(error.message())
        .setNumPartitions(-1)
        .setReplicationFactor((short) -1)
        .setTopicConfigErrorCode(error.error().code());
  }

  private CompletableFuture<AbstractResponse> deleteTopics(RequestContext ctx, AbstractRequest r) {
    DeleteTopicsRequest request = (DeleteTopicsRequest) r;
    List<DeleteTopicState> targets = new ArrayList<>();
    if (ctx.apiVersion() >= 6) {
      targets.addAll(request.data().topics());
    } else {
      request.data().topicNames().forEach(n -> targets.add(new DeleteTopicState().setName(n)));
    }
    List<CompletableFuture<DeletableTopicResult>> results = new ArrayList<>();
    for (DeleteTopicState t : targets) {
      Optional<String> name = Optional.ofNullable(t.name());
      Uuid id = t.topicId() == null ? Uuid.ZERO_UUID : t.topicId();
      if (name.isEmpty()) {
        name = cache.snapshot().topic(id).map(TopicRecord::name);
        if (name.isEmpty()) {
          results.add(
              CompletableFuture.completedFuture(
                  new DeletableTopicResult()
                      .setTopicId(id)
                      .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())
                      .setErrorMessage("No topic has id " + id + ".")));
          continue;
        }
      } else if (!id.equals(Uuid.ZERO_UUID)) {
        results.add(
            CompletableFuture.completedFuture(
                new DeletableTopicResult()
                    .setName(name.get())
                    .setTopicId(id)
                    .setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("Name a topic by name or by id, not both.")));
        continue;
      }
      String topicName = name.get();
      results.add(
          topics
              .delete(topicName)
              .handle(
                  (deletedId, e) -> {
                    DeletableTopicResult res =
                        new DeletableTopicResult()
                            .setName(topicName)
                            .setTopicId(deletedId != null ? deletedId : id);
                    if (e != null) {
                      ApiError err = BrokerErrors.toApiError(e, "deleting topic " + topicName);
                      res.setErrorCode(err.error().code()).setErrorMessage(err.message());
                    }
                    return res;
                  }));
    }
    return allOf(results)
        .thenApply(
            list -> {
              DeletableTopicResultCollection out = new DeletableTopicResultCollection();
              list.forEach(out::add);
              return new DeleteTopicsResponse(new DeleteTopicsResponseData().setResponses(out));
            });
  }

  private CompletableFuture<AbstractResponse> createPartitions(
      RequestContext ctx, AbstractRequest r) {
    CreatePartitionsRequest request = (CreatePartitionsRequest) r;
    boolean validateOnly = request.data().validateOnly();
    long timeoutMs = Math.max(0, request.data().timeoutMs());
    List<CompletableFuture<CreatePartitionsTopicResult>> results = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (CreatePartitionsTopic t : request.data().topics()) {
      if (!seen.add(t.name())) {
        results.add(
            CompletableFuture.completedFuture(
                partitionsResult(
                    t.name(),
                    new InvalidRequestException(
                        "Topic '" + t.name() + "' appears more than once in the request."))));
        continue;
      }
      results.add(
          topics
              .addPartitions(t.name(), t.count(), validateOnly, timeoutMs)
              .handle((x, e) -> partitionsResult(t.name(), e)));
      // errors are mapped (and unexpected ones logged) in partitionsResult
    }
    return allOf(results)
        .thenApply(
            list ->
                new CreatePartitionsResponse(
                    new CreatePartitionsResponseData().setResults(new ArrayList<>(list))));
  }

  private static CreatePartitionsTopicResult partitionsResult(String name, Throwable e) {
    CreatePartitionsTopicResult res = new CreatePartitionsTopicResult().setName(name);
    if (e != null) {
      ApiError err = BrokerErrors.toApiError(e, "adding partitions to " + name);
      res.setErrorCode(err.error().code()).setErrorMessage(err.message());
    }
    return res;
  }

  static <T> CompletableFuture<List<T>> allOf(List<CompletableFuture<T>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
  }
}
