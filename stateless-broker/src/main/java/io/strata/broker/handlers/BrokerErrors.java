package io.strata.broker.handlers;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become Kafka errors. Kafka {@link ApiException}s keep their own
 * error; storage failures map to the error that makes a Kafka client do the right thing (see each
 * case); anything else is UNKNOWN_SERVER_ERROR and is logged here, once, at WARN with its stack
 * trace, so an unexpected failure is never silent and never logged twice.
 */
public final class BrokerErrors {
  private static final Logger log = LoggerFactory.getLogger(BrokerErrors.class);

  private BrokerErrors() {}

  /** The Kafka error for {@code t}, logging it if it was unexpected. */
  public static ApiError toApiError(Throwable t, String what) {
    Throwable cause = Errors.maybeUnwrapException(t);
    if (cause instanceof ApiException) {
      return ApiError.fromThrowable(cause);
    }
    if (cause instanceof io.strata.storage.api.StorageException se && se.retriable()) {
      // Bookies, ZooKeeper or the tier store are unreachable for now (issue 7: a tier outage
      // fails reads of offloaded segments). KAFKA_STORAGE_ERROR is retriable in every client:
      // consumers refresh metadata and fetch again, producers retry. Expected; not logged.
      log.debug("Retriable storage failure while {}: {}", what, se.toString());
      return new ApiError(Errors.KAFKA_STORAGE_ERROR, se.getMessage());
    }
    log.warn("Unexpected failure while {}", what, cause);
    return new ApiError(Errors.UNKNOWN_SERVER_ERROR, null);
  }
}
