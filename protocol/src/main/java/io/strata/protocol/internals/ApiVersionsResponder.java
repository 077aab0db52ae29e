package io.strata.protocol.internals;

import io.strata.protocol.api.ApiRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;

/**
 * Answers ApiVersions from the registry, as Kafka's broker does: the registered keys and ranges
 * plus ApiVersions itself; {@code UNSUPPORTED_VERSION} (with the ApiVersions range, in a v0
 * response the caller serializes) to a version newer than kafka-clients knows, so the client
 * retries with one we know; {@code INVALID_REQUEST} to a v3+ request whose client software name or
 * version is malformed.
 *
 * <p>Thread-safe: the success response is built once and only ever read afterwards.
 */
public final class ApiVersionsResponder {

  private final ApiVersionsResponse supported;

  public ApiVersionsResponder(ApiRegistry registry) {
    List<ApiVersion> versions = new ArrayList<>();
    versions.add(
        new ApiVersion()
            .setApiKey(ApiKeys.API_VERSIONS.id)
            .setMinVersion(ApiKeys.API_VERSIONS.oldestVersion())
            .setMaxVersion(ApiKeys.API_VERSIONS.latestVersion()));
    for (ApiRegistry.Registration r : registry.registrations()) {
      versions.add(
          new ApiVersion()
              .setApiKey(r.apiKey().id)
              .setMinVersion(r.minVersion())
              .setMaxVersion(r.maxVersion()));
    }
    versions.sort(Comparator.comparingInt(ApiVersion::apiKey));
    ApiVersionCollection collection = new ApiVersionCollection(versions.size());
    collection.addAll(versions);
    this.supported =
        new ApiVersionsResponse(
            new ApiVersionsResponseData()
                .setErrorCode(Errors.NONE.code())
                .setThrottleTimeMs(0)
                .setApiKeys(collection));
  }

  /** The response to {@code request}; never throws for a request kafka-clients parsed. */
  public AbstractResponse respond(ApiVersionsRequest request) {
    if (request.hasUnsupportedRequestVersion()) {
      return request.getErrorResponse(0, Errors.UNSUPPORTED_VERSION.exception());
    }
    if (!request.isValid()) {
      return request.getErrorResponse(0, Errors.INVALID_REQUEST.exception());
    }
    return supported;
  }
}
