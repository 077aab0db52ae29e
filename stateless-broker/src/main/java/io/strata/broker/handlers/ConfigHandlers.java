package io.strata.broker.handlers;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.ConfigEntries;
import io.strata.broker.config.TopicConfigs;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.TopicRecord;
import io.strata.broker.partition.PartitionManager;
import io.strata.broker.topic.TopicService;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.RequestContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;

/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics and brokers.
 *
 * <p>Topic configs are stored with the topic and take effect on every broker through the metadata
 * watch. Broker configs are read-only (no dynamic broker configs: edit the properties file and
 * restart; a stateless broker restarts without moving data): altering one fails with
 * INVALID_REQUEST saying so.
 */
public final class ConfigHandlers {

  private final BrokerConfig config;
  private final int brokerId;
  private final MetadataCache cache;
  private final TopicService topics;
  private final PartitionManager partitions;

  public ConfigHandlers(
      BrokerConfig config,
      int brokerId,
      MetadataCache cache,
      TopicService topics,
      PartitionManager partitions) {
    this.config = config;
    this.brokerId = brokerId;
    this.cache = cache;
    this.topics = topics;
    this.partitions = partitions;
  }

  public void register(ApiRegistry.Builder registry) {
    registry.register(ApiKeys.DESCRIBE_CONFIGS, this::describeConfigs);
    registry.register(ApiKeys.ALTER_CONFIGS, this::alterConfigs);
    registry.register(ApiKeys.INCREMENTAL_ALTER_CONFIGS, this::incrementalAlterConfigs);
  }

  private CompletableFuture<AbstractResponse> describeConfigs(
      RequestContext ctx, AbstractRequest r) {
    DescribeConfigsRequest request = (DescribeConfigsRequest) r;
    boolean synonyms = request.data().includeSynonyms();
    boolean docs = request.data().includeDocumentation();
    List<DescribeConfigsResult> results = new ArrayList<>();
    for (DescribeConfigsResource res : request.data().resources()) {
      results.add(describe(res, synonyms, docs));
    }
    return CompletableFuture.completedFuture(
        new DescribeConfigsResponse(new DescribeConfigsResponseData().setResults(results)));
  }

  private DescribeConfigsResult describe(
      DescribeConfigsResource res, boolean synonyms, boolean docs) {
    DescribeConfigsResult out =
        new DescribeConfigsResult()
            .setResourceType(res.resourceType())
            .setResourceName(res.resourceName());
    List<ConfigEntries.Entry> entries;
    ConfigResource.Type type = ConfigResource.Type.forId(res.resourceType());
    if (type == ConfigResource.Type.TOPIC) {
      Optional<TopicRecord> topic = cache.snapshot().topic(res.resourceName());
      if (topic.isEmpty()) {
        return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
            .setErrorMessage("Topic '" + res.resourceName() + "' does not exist.");
      }
      entries = new ArrayList<>(ConfigEntries.topic(config, topic.get().configs()));
      entries.addAll(tierStatus(topic.get()));
    } else if (type == ConfigResource.Type.BROKER) {
      if (!res.resourceName().isEmpty() && !res.resourceName().equals(String.valueOf(brokerId))) {
        return out.setErrorCode(Errors.INVALID_REQUEST.code())
            .setErrorMessage(
                "This is broker "
                    + brokerId
                    + "; describe broker "
                    + res.resourceName()
                    + " by connecting to it.");
      }
      entries = ConfigEntries.broker(config);
    } else {
      return out.setErrorCode(Errors.INVALID_REQUEST.code())
          .setErrorMessage("Config resource type " + type + " is not supported.");
    }
    Set<String> keys =
        res.configurationKeys() == null ? null : new LinkedHashSet<>(res.configurationKeys());
    List<DescribeConfigsResourceResult> configs = new ArrayList<>();
    for (ConfigEntries.Entry e : entries) {
      if (keys != null && !keys.contains(e.name())) {
        continue;
      }
      DescribeConfigsResourceResult c =
          new DescribeConfigsResourceResult()
              .setName(e.name())
              .setValue(e.value())
              .setReadOnly(e.readOnly())
              .setConfigSource(e.source().id())
              .setIsSensitive(e.sensitive())
              .setConfigType(e.type().id())
              .setDocumentation(docs ? e.documentation() : null);
      if (synonyms) {
        c.setSynonyms(
            List.of(
                new DescribeConfigsSynonym()
                    .setName(e.name())
                    .setValue(e.value())
                    .setSource(e.source().id())));
      }
      configs.add(c);
    }
    return out.setConfigs(configs);
  }

  /**
   * Read-only {@code strata.tier.status.<partition>} entries (issue 7): where each partition this
   * broker serves keeps its data (bookies, tier, both) and the offload lag, for {@code strata tier
   * status}. The Kafka Admin API has no call for it; DescribeConfigs carries it to any client.
   */
  private List<ConfigEntries.Entry> tierStatus(TopicRecord topic) {
    List<ConfigEntries.Entry> out = new ArrayList<>();
    for (int p = 0; p < topic.partitions(); p++) {
      partitions
          .get(new org.apache.kafka.common.TopicPartition(topic.name(), p))
          .ifPresent(
              part ->
                  out.add(
                      new ConfigEntries.Entry(
                          io.strata.tiering.TierStatus.CONFIG_PREFIX + part.id().partition(),
                          io.strata.tiering.TierStatus.of(
                                  part.log().metadata(), part.log().config().remoteStorageEnable())
                              .encode(),
                          org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource
                              .DEFAULT_CONFIG,
                          org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType
                              .STRING,
                          "Read-only: segments and bytes of this partition on the bookies, in the"
                              + " tier and pending offload, and its offsets.",
                          true,
                          false)));
    }
    return out;
  }

  private CompletableFuture<AbstractResponse> alterConfigs(RequestContext ctx, AbstractRequest r) {
    AlterConfigsRequest request = (AlterConfigsRequest) r;
    boolean validateOnly = request.data().validateOnly();
    List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
    for (AlterConfigsResource res : request.data().resources()) {
      Map<String, String> replacement = new HashMap<>();
      for (AlterableConfig c : res.configs()) {
        replacement.put(c.name(), c.value());
      }
      results.add(
          apply(res.resourceType(), res.resourceName(), current -> replacement, validateOnly)
              .thenApply(
                  err ->
                      new AlterConfigsResourceResponse()
                          .setResourceType(res.resourceType())
                          .setResourceName(res.resourceName())
                          .setErrorCode(err.error().code())
                          .setErrorMessage(err.message())));
    }
    return TopicHandlers.allOf(results)
        .thenApply(
            list ->
                new AlterConfigsResponse(
                    new AlterConfigsResponseData().setResponses(new ArrayList<>(list))));
  }

  private CompletableFuture<AbstractResponse> incrementalAlterConfigs(
      RequestContext ctx, AbstractRequest r) {
    IncrementalAlterConfigsRequest request = (IncrementalAlterConfigsRequest) r;
    boolean validateOnly = request.data().validateOnly();
    List<CompletableFuture<IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse>>
        results = new ArrayList<>();
    for (IncrementalAlterConfigsRequestData.AlterConfigsResource res : request.data().resources()) {
      results.add(
          apply(
                  res.resourceType(),
                  res.resourceName(),
                  current -> incremental(current, res),
                  validateOnly)
              .thenApply(
                  err ->
                      new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                          .setResourceType(res.resourceType())
                          .setResourceName(res.resourceName())
                          .setErrorCode(err.error().code())
                          .setErrorMessage(err.message())));
    }
    return TopicHandlers.allOf(results)
        .thenApply(
            list ->
                new IncrementalAlterConfigsResponse(
                    new IncrementalAlterConfigsResponseData().setResponses(new ArrayList<>(list))));
  }

  /** Kafka's incremental operations on a topic's overrides. */
  private Map<String, String> incremental(
      Map<String, String> current, IncrementalAlterConfigsRequestData.AlterConfigsResource res) {
    Map<String, String> next = new HashMap<>(current);
    Set<String> touched = new LinkedHashSet<>();
    for (IncrementalAlterConfigsRequestData.AlterableConfig c : res.configs()) {
      if (!touched.add(c.name())) {
        throw new InvalidRequestException(
            "Config '" + c.name() + "' appears more than once for " + res.resourceName());
      }
      OpType op = OpType.forId(c.configOperation());
      if (op == null) {
        throw new InvalidRequestException(
            "Unknown config operation " + c.configOperation() + " for '" + c.name() + "'");
      }
      switch (op) {
        case SET -> next.put(c.name(), c.value());
        case DELETE -> next.remove(c.name());
        case APPEND, SUBTRACT -> {
          ConfigDef.ConfigKey key = TopicConfigs.CONFIG_DEF.configKeys().get(c.name());
          if (key == null || key.type != ConfigDef.Type.LIST) {
            throw new InvalidConfigurationException(
                op + " applies only to list configs; '" + c.name() + "' is not one.");
          }
          List<String> values = new ArrayList<>();
          String explicit = current.get(c.name());
          if (explicit != null) {
            values.addAll(Arrays.asList(explicit.split(",")));
          } else {
            Object dflt = config.topicSettings(Map.of()).values().get(c.name());
            if (dflt instanceof List<?> list) {
              list.forEach(v -> values.add(String.valueOf(v)));
            }
          }
          values.replaceAll(String::trim);
          values.removeIf(String::isBlank);
          for (String v : c.value().split(",")) {
            if (op == OpType.APPEND && !values.contains(v.trim())) {
              values.add(v.trim());
            } else if (op == OpType.SUBTRACT) {
              values.remove(v.trim());
            }
          }
          next.put(c.name(), String.join(",", values));
        }
      }
    }
    return next;
  }

  private CompletableFuture<ApiError> apply(
      byte resourceType,
      String name,
      UnaryOperator<Map<String, String>> change,
      boolean validateOnly) {
    ConfigResource.Type type = ConfigResource.Type.forId(resourceType);
    if (type == ConfigResource.Type.BROKER || type == ConfigResource.Type.BROKER_LOGGER) {
      return CompletableFuture.completedFuture(
          new ApiError(
              Errors.INVALID_REQUEST,
              "Strata has no dynamic broker configs: change the broker's properties file and"
                  + " restart it (brokers are stateless; a restart moves no data)."));
    }
    if (type != ConfigResource.Type.TOPIC) {
      return CompletableFuture.completedFuture(
          new ApiError(
              Errors.INVALID_REQUEST, "Config resource type " + type + " is not supported."));
    }
    if (cache.snapshot().topic(name).isEmpty()) {
      return CompletableFuture.completedFuture(
          ApiError.fromThrowable(
              new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.")));
    }
    return topics
        .alterConfigs(name, change, validateOnly)
        .handle(
            (t, e) ->
                e == null
                    ? ApiError.NONE
                    : BrokerErrors.toApiError(e, "altering configs of topic " + name));
  }
}
