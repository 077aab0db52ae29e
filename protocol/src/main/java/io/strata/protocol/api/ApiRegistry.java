package io.strata.protocol.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The APIs a server serves: for each {@link ApiKeys} a handler and the version range it accepts.
 * ApiVersions advertises exactly these keys and ranges (plus ApiVersions itself, which the protocol
 * module answers); a request for any other key or version closes the connection.
 *
 * <p>Immutable and thread-safe once built. Build one with {@link #builder()}.
 */
public final class ApiRegistry {

  /** One registered API: its key, the inclusive version range it accepts, and its handler. */
  public record Registration(
      ApiKeys apiKey, short minVersion, short maxVersion, ApiHandler handler) {

    public Registration {
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(handler, "handler");
    }

    /** Whether {@code version} lies in the registered range. */
    public boolean supports(short version) {
      return minVersion <= version && version <= maxVersion;
    }
  }

  private final Registration[] byId;
  private final List<Registration> registrations;

  private ApiRegistry(Map<ApiKeys, Registration> registered) {
    short maxId = 0;
    for (ApiKeys key : ApiKeys.values()) {
      maxId = (short) Math.max(maxId, key.id);
    }
    this.byId = new Registration[maxId + 1];
    for (Registration r : registered.values()) {
      byId[r.apiKey().id] = r;
    }
    this.registrations = Collections.unmodifiableList(new ArrayList<>(registered.values()));
  }

  /** Starts an empty registry. */
  public static Builder builder() {
    return new Builder();
  }

  /** The registration for {@code apiKey}, if one was made. Never present for ApiVersions. */
  public Optional<Registration> registration(ApiKeys apiKey) {
    return Optional.ofNullable(byId[apiKey.id]);
  }

  /** Whether a handler serves {@code apiKey} at {@code version}. */
  public boolean supports(ApiKeys apiKey, short version) {
    Registration r = byId[apiKey.id];
    return r != null && r.supports(version);
  }

  /** Every registration, in {@link ApiKeys} order. */
  public List<Registration> registrations() {
    return registrations;
  }

  /** Collects registrations; not thread-safe. */
  public static final class Builder {
    private final Map<ApiKeys, Registration> registered = new EnumMap<>(ApiKeys.class);

    private Builder() {}

    /**
     * Registers {@code handler} for {@code apiKey} over every version kafka-clients knows for it.
     *
     * @throws IllegalArgumentException if the key is ApiVersions (answered by the protocol module),
     *     is already registered, or has no version kafka-clients can parse
     */
    public Builder register(ApiKeys apiKey, ApiHandler handler) {
      Objects.requireNonNull(apiKey, "apiKey");
      if (!apiKey.hasValidVersion()) {
        throw new IllegalArgumentException(apiKey + " has no version kafka-clients can parse");
      }
      return register(apiKey, apiKey.oldestVersion(), apiKey.latestVersion(), handler);
    }

    /**
     * Registers {@code handler} for {@code apiKey} over a narrowed version range.
     *
     * @throws IllegalArgumentException if the key is ApiVersions, is already registered, or the
     *     range is empty or reaches outside the versions kafka-clients knows for the key
     */
    public Builder register(
        ApiKeys apiKey, short minVersion, short maxVersion, ApiHandler handler) {
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(handler, "handler");
      if (apiKey == ApiKeys.API_VERSIONS) {
        throw new IllegalArgumentException(
            "ApiVersions is answered by the protocol module from the registry; do not register it");
      }
      if (registered.containsKey(apiKey)) {
        throw new IllegalArgumentException(apiKey + " is already registered");
      }
      if (!apiKey.hasValidVersion()
          || minVersion > maxVersion
          || minVersion < apiKey.oldestVersion()
          || maxVersion > apiKey.latestVersion()) {
        throw new IllegalArgumentException(
            String.format(
                "%s versions %d..%d are outside %d..%d, the range kafka-clients knows",
                apiKey, minVersion, maxVersion, apiKey.oldestVersion(), apiKey.latestVersion()));
      }
      registered.put(apiKey, new Registration(apiKey, minVersion, maxVersion, handler));
      return this;
    }

    /** Freezes the registrations made so far. */
    public ApiRegistry build() {
      return new ApiRegistry(registered);
    }
  }
}
