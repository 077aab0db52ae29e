package io.strata.protocol.internals;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/** Renders a {@link ConfigDef} as a Markdown table for the generated reference page. Stateless. */
public final class ConfigDocs {

  private ConfigDocs() {}

  /**
   * One row per non-internal key, in definition order: name, description, type, default, valid
   * values, importance.
   */
  public static String markdownTable(ConfigDef def) {
    StringBuilder b = new StringBuilder();
    b.append("| Name | Description | Type | Default | Valid values | Importance |\n");
    b.append("| --- | --- | --- | --- | --- | --- |\n");
    for (Map.Entry<String, ConfigDef.ConfigKey> e : def.configKeys().entrySet()) {
      ConfigDef.ConfigKey key = e.getValue();
      if (key.internalConfig) {
        continue;
      }
      b.append("| `")
          .append(key.name)
          .append("` | ")
          .append(cell(key.documentation))
          .append(" | ")
          .append(key.type.toString().toLowerCase(java.util.Locale.ROOT))
          .append(" | ")
          .append(defaultCell(key))
          .append(" | ")
          .append(validatorCell(key.validator))
          .append(" | ")
          .append(key.importance.toString().toLowerCase(java.util.Locale.ROOT))
          .append(" |\n");
    }
    return b.toString();
  }

  private static String defaultCell(ConfigDef.ConfigKey key) {
    if (!key.hasDefault()) {
      return "(required)";
    }
    if (key.defaultValue == null) {
      return "null";
    }
    String s = ConfigDef.convertToString(key.defaultValue, key.type);
    return s.isEmpty() ? "\"\"" : "`" + s.replace("|", "\\|") + "`";
  }

  /** A validator's description, or nothing for one without a readable description (a lambda). */
  private static String validatorCell(ConfigDef.Validator validator) {
    if (validator == null) {
      return "";
    }
    String text = validator.toString();
    return text.contains("$$Lambda") || text.contains("$Lambda") ? "" : cell(text);
  }

  private static String cell(String text) {
    return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
  }
}
