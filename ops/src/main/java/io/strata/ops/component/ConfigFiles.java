package io.strata.ops.component;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a component's Java properties file into its typed config class. Stateless. */
public final class ConfigFiles {
  private static final Logger log = LoggerFactory.getLogger(ConfigFiles.class);

  private ConfigFiles() {}

  /** The file's properties, in no particular order. */
  public static Map<String, String> read(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "config file not found");
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
    return out;
  }

  /**
   * Reads {@code file}, applies {@code overrides} on top, and builds the config.
   *
   * @throws ConfigException naming the file and the key, if a value is invalid
   * @throws IOException if the file cannot be read
   */
  public static <T> T load(
      Path file, Map<String, String> overrides, Function<Map<String, String>, T> parser)
      throws IOException {
    Map<String, String> props = read(file);
    props.putAll(overrides);
    try {
      return parser.apply(props);
    } catch (ConfigException e) {
      throw new ConfigException(file + ": " + e.getMessage());
    }
  }

  /** Logs each key the definition does not know, once, as the broker does. */
  static void warnUnknown(String component, ConfigDef def, Map<?, ?> props) {
    for (Object key : props.keySet()) {
      if (!def.names().contains(String.valueOf(key))) {
        log.warn("Ignoring unknown {} config '{}' (see docs/configuration.md)", component, key);
      }
    }
  }
}
