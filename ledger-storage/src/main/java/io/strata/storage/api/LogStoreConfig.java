package io.strata.storage.api;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** Settings of a {@link LogStore}: where metadata lives and how the BookKeeper client behaves. */
public final class LogStoreConfig extends AbstractConfig {
  public static final String ZOOKEEPER_CONNECT = "zookeeper.connect";
  public static final String ZOOKEEPER_SESSION_TIMEOUT_MS = "zookeeper.session.timeout.ms";
  public static final String METADATA_ROOT = "strata.metadata.root";
  public static final String BOOKKEEPER_METADATA_URI = "bookkeeper.metadata.service.uri";
  public static final String BOOKKEEPER_ADD_TIMEOUT_SEC = "bookkeeper.add.entry.timeout.seconds";
  public static final String BOOKKEEPER_READ_TIMEOUT_SEC = "bookkeeper.read.entry.timeout.seconds";
  public static final String BOOKKEEPER_THROTTLE = "bookkeeper.throttle";
  public static final String BOOKKEEPER_PASSWORD = "bookkeeper.ledger.password";
  public static final String EXECUTOR_THREADS = "strata.storage.executor.threads";
  public static final String INDEX_CHUNK_BYTES = "strata.index.chunk.bytes";
  public static final String INDEX_CHUNK_ENTRIES = "strata.index.chunk.entries";
  public static final String INDEX_CACHE_BYTES = "strata.index.cache.bytes";
  public static final String READ_HANDLE_CACHE_SIZE = "strata.read.handle.cache.size";

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              ZOOKEEPER_CONNECT,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "ZooKeeper connect string (host:port,...) for the logs' metadata.")
          .define(
              ZOOKEEPER_SESSION_TIMEOUT_MS,
              Type.INT,
              18_000,
              Range.atLeast(1000),
              Importance.MEDIUM,
              "ZooKeeper session timeout: a broker that stops answering loses its partitions"
                  + " after it (the failover time). The server grants between 2 and 20 of its"
                  + " ticks: Strata's embedded ZooKeeper ticks every 500 ms, so at most 10 s.")
          .define(
              METADATA_ROOT,
              Type.STRING,
              "/strata",
              (name, value) -> {
                String s = (String) value;
                if (s == null || !s.startsWith("/") || (s.length() > 1 && s.endsWith("/"))) {
                  throw new ConfigException(name, value, "must be an absolute znode path");
                }
              },
              Importance.MEDIUM,
              "ZooKeeper path under which logs live, as <root>/logs/<name>.")
          .define(
              BOOKKEEPER_METADATA_URI,
              Type.STRING,
              "",
              (name, value) -> {
                String s = (String) value;
                if (s != null && !s.isEmpty() && !s.contains("://")) {
                  throw new ConfigException(name, value, "must be empty or a URI such as zk://...");
                }
              },
              Importance.HIGH,
              "BookKeeper metadata service URI; empty: zk+hierarchical://<zookeeper.connect>/ledgers.")
          .define(
              BOOKKEEPER_ADD_TIMEOUT_SEC,
              Type.INT,
              30,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Seconds before an add waiting on a bookie times out (then the ensemble changes).")
          .define(
              BOOKKEEPER_READ_TIMEOUT_SEC,
              Type.INT,
              30,
              Range.atLeast(1),
              Importance.LOW,
              "Seconds before a read from a bookie times out and another replica is tried.")
          .define(
              BOOKKEEPER_THROTTLE,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.LOW,
              "BookKeeper client request rate limit per second; 0 disables it (the client's own "
                  + "default of 5000/s caps throughput).")
          .define(
              BOOKKEEPER_PASSWORD,
              Type.PASSWORD,
              "",
              null, // any string, including empty
              Importance.LOW,
              "Password of the ledgers Strata creates (BookKeeper access control, not encryption).")
          .define(
              EXECUTOR_THREADS,
              Type.INT,
              Math.max(2, Runtime.getRuntime().availableProcessors()),
              Range.atLeast(1),
              Importance.LOW,
              "Threads of the ordered executor; each log is bound to one of them.")
          .define(
              INDEX_CHUNK_BYTES,
              Type.INT,
              1024 * 1024,
              Range.atLeast(1),
              Importance.LOW,
              "Persist the open segment's index after this many bytes of batches (bounds the "
                  + "scan after a take-over).")
          .define(
              INDEX_CHUNK_ENTRIES,
              Type.INT,
              1000,
              Range.atLeast(1),
              Importance.LOW,
              "Persist the open segment's index after this many batches.")
          .define(
              INDEX_CACHE_BYTES,
              Type.LONG,
              64L * 1024 * 1024,
              Range.atLeast(0),
              Importance.LOW,
              "Memory for cached indexes of sealed segments (16 bytes per batch).")
          .define(
              READ_HANDLE_CACHE_SIZE,
              Type.INT,
              1000,
              Range.atLeast(1),
              Importance.LOW,
              "Open read handles of sealed ledgers kept for reuse.");

  private final String zookeeperConnect;
  private final int zookeeperSessionTimeoutMs;
  private final String metadataRoot;
  private final String bookkeeperMetadataUri;
  private final int addTimeoutSec;
  private final int readTimeoutSec;
  private final int throttle;
  private final Password password;
  private final int executorThreads;
  private final int indexChunkBytes;
  private final int indexChunkEntries;
  private final long indexCacheBytes;
  private final int readHandleCacheSize;

  public LogStoreConfig(Map<String, ?> props) {
    super(CONFIG_DEF, props, false);
    zookeeperConnect = getString(ZOOKEEPER_CONNECT);
    zookeeperSessionTimeoutMs = getInt(ZOOKEEPER_SESSION_TIMEOUT_MS);
    metadataRoot = getString(METADATA_ROOT);
    String uri = getString(BOOKKEEPER_METADATA_URI);
    bookkeeperMetadataUri =
        uri.isEmpty()
            ? "zk+hierarchical://" + zookeeperConnect.replace(',', ';') + "/ledgers"
            : uri;
    addTimeoutSec = getInt(BOOKKEEPER_ADD_TIMEOUT_SEC);
    readTimeoutSec = getInt(BOOKKEEPER_READ_TIMEOUT_SEC);
    throttle = getInt(BOOKKEEPER_THROTTLE);
    password = getPassword(BOOKKEEPER_PASSWORD);
    executorThreads = getInt(EXECUTOR_THREADS);
    indexChunkBytes = getInt(INDEX_CHUNK_BYTES);
    indexChunkEntries = getInt(INDEX_CHUNK_ENTRIES);
    indexCacheBytes = getLong(INDEX_CACHE_BYTES);
    readHandleCacheSize = getInt(READ_HANDLE_CACHE_SIZE);
  }

  public String zookeeperConnect() {
    return zookeeperConnect;
  }

  public int zookeeperSessionTimeoutMs() {
    return zookeeperSessionTimeoutMs;
  }

  public String metadataRoot() {
    return metadataRoot;
  }

  public String bookkeeperMetadataUri() {
    return bookkeeperMetadataUri;
  }

  public int addTimeoutSec() {
    return addTimeoutSec;
  }

  public int readTimeoutSec() {
    return readTimeoutSec;
  }

  public int throttle() {
    return throttle;
  }

  public byte[] ledgerPassword() {
    return password.value().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  public int executorThreads() {
    return executorThreads;
  }

  public int indexChunkBytes() {
    return indexChunkBytes;
  }

  public int indexChunkEntries() {
    return indexChunkEntries;
  }

  public long indexCacheBytes() {
    return indexCacheBytes;
  }

  public int readHandleCacheSize() {
    return readHandleCacheSize;
  }
}
