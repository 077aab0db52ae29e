package io.strata.tiering;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Broker-level settings of the tier: where it is ({@code strata.tier.uri}), credentials, offload
 * concurrency and bandwidth, read sizes, caches and timeouts. Per-topic switches ({@code
 * remote.storage.enable}, {@code local.retention.*}) are topic configs. Immutable; values are read
 * once and cross-checked.
 */
public final class TierConfig extends AbstractConfig {
  public static final String URI = "strata.tier.uri";
  public static final String S3_ACCESS_KEY_ID = "strata.tier.s3.access.key.id";
  public static final String S3_SECRET_ACCESS_KEY = "strata.tier.s3.secret.access.key";
  public static final String S3_PART_BYTES = "strata.tier.s3.part.bytes";
  public static final String OFFLOAD_CONCURRENCY = "strata.tier.offload.concurrency";
  public static final String OFFLOAD_BYTES_PER_SECOND = "strata.tier.offload.bytes.per.second";
  public static final String OFFLOAD_INTERVAL_MS = "strata.tier.offload.interval.ms";
  public static final String OFFLOAD_RETRY_BACKOFF_MS = "strata.tier.offload.retry.backoff.ms";
  public static final String INDEX_INTERVAL_BYTES = "strata.tier.index.interval.bytes";
  public static final String BLOCK_BYTES = "strata.tier.block.bytes";
  public static final String BLOCK_CACHE_BYTES = "strata.tier.block.cache.bytes";
  public static final String INDEX_CACHE_BYTES = "strata.tier.index.cache.bytes";
  public static final String READAHEAD_BLOCKS = "strata.tier.readahead.blocks";
  public static final String READ_TIMEOUT_MS = "strata.tier.read.timeout.ms";
  public static final String IO_THREADS = "strata.tier.io.threads";

  /** URI schemes {@link TierStores#open} understands. */
  public static final Set<String> SCHEMES = Set.of("file", "s3", "hdfs");

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              URI,
              Type.STRING,
              "",
              (name, value) -> checkUri(name, (String) value),
              Importance.HIGH,
              "Where offloaded segments go; empty: no tier (remote.storage.enable has no effect)."
                  + " file:///DIR, s3://BUCKET/PREFIX?endpoint=URL&region=R&pathStyle=true"
                  + " (endpoint and pathStyle for S3-compatible stores; region defaults to"
                  + " us-east-1), or hdfs://HOST:PORT/PATH.")
          .define(
              S3_ACCESS_KEY_ID,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "S3 access key id; empty: the AWS default credentials chain (environment, system"
                  + " properties, profile, instance role).")
          .define(
              S3_SECRET_ACCESS_KEY,
              Type.PASSWORD,
              "",
              Importance.MEDIUM,
              "S3 secret access key, used with " + S3_ACCESS_KEY_ID + ".")
          .define(
              S3_PART_BYTES,
              Type.INT,
              8 * 1024 * 1024,
              Range.atLeast(5 * 1024 * 1024),
              Importance.LOW,
              "Objects larger than this go to S3 as a multipart upload of parts this size (S3's"
                  + " minimum part is 5 MiB); it bounds the memory of one upload.")
          .define(
              OFFLOAD_CONCURRENCY,
              Type.INT,
              2,
              Range.between(1, 64),
              Importance.MEDIUM,
              "Segments this broker uploads at once (each of a different log).")
          .define(
              OFFLOAD_BYTES_PER_SECOND,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Upload bandwidth of this broker's offloads, all logs together; 0: unlimited.")
          .define(
              OFFLOAD_INTERVAL_MS,
              Type.LONG,
              10_000L,
              Range.atLeast(10),
              Importance.LOW,
              "How often each owned log is checked for sealed segments to offload.")
          .define(
              OFFLOAD_RETRY_BACKOFF_MS,
              Type.LONG,
              1_000L,
              Range.atLeast(1),
              Importance.LOW,
              "First wait after a failed offload of a log; doubles per failure, up to 64 times"
                  + " this.")
          .define(
              INDEX_INTERVAL_BYTES,
              Type.INT,
              1024 * 1024,
              Range.atLeast(4096),
              Importance.LOW,
              "Data bytes per entry of an offloaded segment's index (one entry at most per this"
                  + " many bytes, at batch boundaries).")
          .define(
              BLOCK_BYTES,
              Type.INT,
              1024 * 1024,
              Range.atLeast(4096),
              Importance.LOW,
              "Size of one ranged read from the tier, the unit of the block cache.")
          .define(
              BLOCK_CACHE_BYTES,
              Type.LONG,
              256L * 1024 * 1024,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Heap for blocks read from the tier (separate from the broker's tail cache).")
          .define(
              INDEX_CACHE_BYTES,
              Type.LONG,
              32L * 1024 * 1024,
              Range.atLeast(0),
              Importance.LOW,
              "Heap for offloaded segments' indexes (32 bytes per entry), each fetched once.")
          .define(
              READAHEAD_BLOCKS,
              Type.INT,
              4,
              Range.between(0, 64),
              Importance.LOW,
              "Blocks read ahead for a consumer reading an offloaded segment sequentially.")
          .define(
              READ_TIMEOUT_MS,
              Type.INT,
              30_000,
              Range.atLeast(1),
              Importance.MEDIUM,
              "A read from the tier that takes longer fails retriably (the client retries).")
          .define(
              IO_THREADS,
              Type.INT,
              4,
              Range.between(1, 256),
              Importance.LOW,
              "Threads for the blocking I/O of the directory and HDFS stores and for decoding"
                  + " tier reads.");

  private final String uri;
  private final String s3AccessKeyId;
  private final Password s3SecretAccessKey;
  private final int s3PartBytes;
  private final int offloadConcurrency;
  private final long offloadBytesPerSecond;
  private final long offloadIntervalMs;
  private final long offloadRetryBackoffMs;
  private final int indexIntervalBytes;
  private final int blockBytes;
  private final long blockCacheBytes;
  private final long indexCacheBytes;
  private final int readaheadBlocks;
  private final int readTimeoutMs;
  private final int ioThreads;

  /**
   * @param props may hold other keys (a whole broker config): only {@code strata.tier.*} is read
   * @throws ConfigException naming the key and what is wrong
   */
  public TierConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
    uri = getString(URI).trim();
    s3AccessKeyId = getString(S3_ACCESS_KEY_ID);
    s3SecretAccessKey = getPassword(S3_SECRET_ACCESS_KEY);
    s3PartBytes = getInt(S3_PART_BYTES);
    offloadConcurrency = getInt(OFFLOAD_CONCURRENCY);
    offloadBytesPerSecond = getLong(OFFLOAD_BYTES_PER_SECOND);
    offloadIntervalMs = getLong(OFFLOAD_INTERVAL_MS);
    offloadRetryBackoffMs = getLong(OFFLOAD_RETRY_BACKOFF_MS);
    indexIntervalBytes = getInt(INDEX_INTERVAL_BYTES);
    blockBytes = getInt(BLOCK_BYTES);
    blockCacheBytes = getLong(BLOCK_CACHE_BYTES);
    indexCacheBytes = getLong(INDEX_CACHE_BYTES);
    readaheadBlocks = getInt(READAHEAD_BLOCKS);
    readTimeoutMs = getInt(READ_TIMEOUT_MS);
    ioThreads = getInt(IO_THREADS);
    if (!s3AccessKeyId.isEmpty() && s3SecretAccessKey.value().isEmpty()) {
      throw new ConfigException(
          S3_SECRET_ACCESS_KEY, "(hidden)", "must be set when " + S3_ACCESS_KEY_ID + " is");
    }
  }

  private static void checkUri(String name, String value) {
    if (value == null || value.isBlank()) {
      return;
    }
    URI u;
    try {
      u = new URI(value.trim());
    } catch (URISyntaxException e) {
      throw new ConfigException(name, value, "not a URI: " + e.getMessage());
    }
    if (u.getScheme() == null || !SCHEMES.contains(u.getScheme())) {
      throw new ConfigException(name, value, "scheme must be one of file, s3, hdfs");
    }
    if ("s3".equals(u.getScheme()) && (u.getHost() == null || u.getHost().isEmpty())) {
      throw new ConfigException(name, value, "s3:// needs a bucket: s3://BUCKET/PREFIX");
    }
    if ("file".equals(u.getScheme()) && (u.getPath() == null || u.getPath().isEmpty())) {
      throw new ConfigException(name, value, "file:// needs an absolute directory: file:///DIR");
    }
    if ("hdfs".equals(u.getScheme()) && u.getHost() == null) {
      throw new ConfigException(name, value, "hdfs:// needs a namenode: hdfs://HOST:PORT/PATH");
    }
  }

  /** Whether a tier is configured. */
  public boolean enabled() {
    return !uri.isEmpty();
  }

  public String uri() {
    return uri;
  }

  public String s3AccessKeyId() {
    return s3AccessKeyId;
  }

  public String s3SecretAccessKey() {
    return s3SecretAccessKey.value();
  }

  public int s3PartBytes() {
    return s3PartBytes;
  }

  public int offloadConcurrency() {
    return offloadConcurrency;
  }

  public long offloadBytesPerSecond() {
    return offloadBytesPerSecond;
  }

  public long offloadIntervalMs() {
    return offloadIntervalMs;
  }

  public long offloadRetryBackoffMs() {
    return offloadRetryBackoffMs;
  }

  public int indexIntervalBytes() {
    return indexIntervalBytes;
  }

  public int blockBytes() {
    return blockBytes;
  }

  public long blockCacheBytes() {
    return blockCacheBytes;
  }

  public long indexCacheBytes() {
    return indexCacheBytes;
  }

  public int readaheadBlocks() {
    return readaheadBlocks;
  }

  public int readTimeoutMs() {
    return readTimeoutMs;
  }

  public int ioThreads() {
    return ioThreads;
  }
}
