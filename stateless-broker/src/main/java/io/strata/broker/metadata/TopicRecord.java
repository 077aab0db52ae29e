package io.strata.broker.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.Uuid;

/**
 * A topic as stored in ZooKeeper at {@code /strata/topics/NAME}: its id, partition count,
 * replication factor (BookKeeper write quorum) and config overrides.
 *
 * <p>Stored as JSON with a format version, readable with {@code zkCli get}:
 *
 * <pre>{"version":1,"name":"orders","id":"b0V...","partitions":3,"replicationFactor":3,
 *  "configs":{"retention.ms":"86400000"}}</pre>
 *
 * @param name the topic name
 * @param id the topic id clients see (Metadata v10+, Fetch v13+)
 * @param partitions partition count
 * @param replicationFactor bookies each entry is written to
 * @param configs topic config overrides, validated
 */
public record TopicRecord(
    String name, Uuid id, int partitions, int replicationFactor, Map<String, String> configs) {

  static final int FORMAT_VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  public TopicRecord {
    configs = Map.copyOf(configs);
  }

  /** The same topic with other config overrides. */
  public TopicRecord withConfigs(Map<String, String> newConfigs) {
    return new TopicRecord(name, id, partitions, replicationFactor, newConfigs);
  }

  /** The same topic with more partitions. */
  public TopicRecord withPartitions(int newPartitions) {
    return new TopicRecord(name, id, newPartitions, replicationFactor, configs);
  }

  /** The name of the partition log of {@code partition} in ledger-storage. */
  public String logName(int partition) {
    return logName(id, partition);
  }

  /** Partition logs are named by topic id, so a re-created topic never sees old data. */
  public static String logName(Uuid topicId, int partition) {
    return topicId + "-" + partition;
  }

  byte[] toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", FORMAT_VERSION);
    n.put("name", name);
    n.put("id", id.toString());
    n.put("partitions", partitions);
    n.put("replicationFactor", replicationFactor);
    ObjectNode c = n.putObject("configs");
    new TreeMap<>(configs).forEach(c::put);
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TopicRecord fromJson(String name, byte[] data) {
    try {
      JsonNode n = JSON.readTree(data);
      int version = n.path("version").asInt(-1);
      if (version != FORMAT_VERSION) {
        throw new IllegalStateException(
            "Topic " + name + " has metadata format version " + version + "; this broker reads 1");
      }
      Map<String, String> configs = new TreeMap<>();
      n.path("configs").properties().forEach(e -> configs.put(e.getKey(), e.getValue().asText()));
      return new TopicRecord(
          name,
          Uuid.fromString(n.path("id").asText()),
          n.path("partitions").asInt(),
          n.path("replicationFactor").asInt(),
          configs);
    } catch (IOException e) {
      throw new UncheckedIOException("Topic " + name + " has unreadable metadata", e);
    }
  }
}
