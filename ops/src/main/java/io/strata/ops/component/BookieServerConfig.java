package io.strata.ops.component;

import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.embedded.EmbeddedBookie;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of {@code strata bookie}: one BookKeeper bookie on 127.0.0.1 with its journal and
 * ledger storage under one data directory. {@code zookeeper.connect} and {@code
 * bookkeeper.metadata.service.uri} mean what they mean in the broker's file, so the two files can
 * share those lines. Unknown keys are logged and ignored.
 *
 * <p>Immutable and thread-safe.
 */
public final class BookieServerConfig extends AbstractConfig {
  public static final String BOOKIE_ID = "bookie.id";
  public static final String PORT = "bookie.port";
  public static final String DATA_DIR = "bookie.data.dir";
  public static final String ZOOKEEPER_CONNECT = LogStoreConfig.ZOOKEEPER_CONNECT;
  public static final String METADATA_SERVICE_URI = LogStoreConfig.BOOKKEEPER_METADATA_URI;
  public static final String JOURNAL_SYNC_DATA = "bookie.journal.sync.data";
  public static final String JOURNAL_MAX_GROUP_WAIT_MS = "bookie.journal.max.group.wait.ms";
  public static final String GC_WAIT_TIME_MS = "bookie.gc.wait.time.ms";
  public static final String WRITE_CACHE_MB = "bookie.db.write.cache.mb";
  public static final String READ_AHEAD_CACHE_MB = "bookie.db.read.ahead.cache.mb";

  /** BookKeeper's rule for a bookie id, minus ':' so an id never looks like an address. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]+");

  private static final EmbeddedBookie.Settings DEFAULTS = EmbeddedBookie.Settings.defaults();

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              BOOKIE_ID,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new BookieIdValidator(),
              Importance.HIGH,
              "The bookie's stable identity (BookKeeper's bookieId), e.g. bookie-1. Ledgers and"
                  + " the bookie's cookie refer to it, not to its address, so the bookie keeps its"
                  + " data when its port changes. Never give two data directories the same id.")
          .define(
              PORT,
              Type.INT,
              3181,
              Range.between(0, 65535),
              Importance.HIGH,
              "Port the bookie serves on 127.0.0.1; 0 picks a free one, printed in the ready"
                  + " line.")
          .define(
              DATA_DIR,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Directory of the bookie's journal (journal/) and ledger storage (ledgers/),"
                  + " created if missing; a relative path is relative to the working directory."
                  + " One bookie per directory (a lock file guards it).")
          .define(
              ZOOKEEPER_CONNECT,
              Type.STRING,
              "",
              Importance.HIGH,
              "ZooKeeper connect string (host:port,...) of the cluster the bookie joins; used to"
                  + " derive bookkeeper.metadata.service.uri when that is empty.")
          .define(
              METADATA_SERVICE_URI,
              Type.STRING,
              "",
              (name, value) -> {
                String s = (String) value;
                if (s != null && !s.isEmpty() && !s.startsWith("zk")) {
                  throw new ConfigException(
                      name,
                      value,
                      "must be empty or a ZooKeeper URI such as zk+hierarchical://...");
                }
              },
              Importance.HIGH,
              "BookKeeper metadata service URI; empty:"
                  + " zk+hierarchical://<zookeeper.connect>/ledgers, the broker's default. The"
                  + " first bookie to start formats this metadata if nobody has.")
          .define(
              JOURNAL_SYNC_DATA,
              Type.BOOLEAN,
              DEFAULTS.journalSyncData(),
              Importance.MEDIUM,
              "fsync the journal before acknowledging a write. false loses acknowledged records"
                  + " in a power cut; for throwaway test clusters only.")
          .define(
              JOURNAL_MAX_GROUP_WAIT_MS,
              Type.LONG,
              DEFAULTS.journalMaxGroupWaitMs(),
              Range.atLeast(0),
              Importance.LOW,
              "Longest time a write waits to share the journal's fsync with later writes.")
          .define(
              GC_WAIT_TIME_MS,
              Type.LONG,
              DEFAULTS.gcWaitTimeMs(),
              Range.atLeast(1000),
              Importance.LOW,
              "Period of the garbage collector that removes deleted ledgers from the bookie's"
                  + " storage (and of the write-cache flush).")
          .define(
              WRITE_CACHE_MB,
              Type.INT,
              DEFAULTS.writeCacheMb(),
              Range.atLeast(1),
              Importance.LOW,
              "Ledger storage write cache, in MiB of direct memory.")
          .define(
              READ_AHEAD_CACHE_MB,
              Type.INT,
              DEFAULTS.readAheadCacheMb(),
              Range.atLeast(1),
              Importance.LOW,
              "Ledger storage read-ahead cache, in MiB of direct memory.");

  /** BookKeeper's bookie id rule, with a description for the reference page. */
  private static final class BookieIdValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      String s = (String) value;
      if (s == null || !ID.matcher(s).matches() || "readonly".equals(s)) {
        throw new ConfigException(name, value, "must be " + this + ", e.g. bookie-1");
      }
    }

    @Override
    public String toString() {
      return "letters, digits, '.', '_', '-'; not 'readonly'";
    }
  }

  private final String bookieId;
  private final int port;
  private final Path dataDir;
  private final String metadataServiceUri;
  private final EmbeddedBookie.Settings settings;

  /**
   * @throws ConfigException naming the key and what is wrong
   */
  public BookieServerConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
    this.bookieId = getString(BOOKIE_ID);
    this.port = getInt(PORT);
    this.dataDir = Path.of(getString(DATA_DIR));
    String uri = getString(METADATA_SERVICE_URI);
    String connect = getString(ZOOKEEPER_CONNECT).trim();
    if (uri.isEmpty() && connect.isEmpty()) {
      throw new ConfigException(
          "Set "
              + ZOOKEEPER_CONNECT
              + " (or "
              + METADATA_SERVICE_URI
              + "): the bookie needs the cluster's ZooKeeper.");
    }
    // The broker's derivation (LogStoreConfig), so both find the same metadata.
    this.metadataServiceUri =
        uri.isEmpty() ? "zk+hierarchical://" + connect.replace(',', ';') + "/ledgers" : uri;
    this.settings =
        new EmbeddedBookie.Settings(
            getBoolean(JOURNAL_SYNC_DATA),
            getLong(JOURNAL_MAX_GROUP_WAIT_MS),
            getLong(GC_WAIT_TIME_MS),
            getInt(WRITE_CACHE_MB),
            getInt(READ_AHEAD_CACHE_MB));
    ConfigFiles.warnUnknown("bookie", CONFIG_DEF, props);
  }

  public String bookieId() {
    return bookieId;
  }

  /** The configured port; 0 means a free one is picked at start. */
  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  public String metadataServiceUri() {
    return metadataServiceUri;
  }

  public EmbeddedBookie.Settings settings() {
    return settings;
  }
}
