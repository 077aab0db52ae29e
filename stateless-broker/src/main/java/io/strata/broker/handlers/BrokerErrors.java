package io.strata.broker.handlers;

import io.strata.storage.api.StorageException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.zookeeper.KeeperException;
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

  private static boolean isTransient(KeeperException.Code code) {
    return code == KeeperException.Code.CONNECTIONLOSS
        || code == KeeperException.Code.SESSIONEXPIRED
        || code == KeeperException.Code.OPERATIONTIMEOUT
        || code == KeeperException.Code.SESSIONMOVED;
  }

  /** The Kafka error a client should see for a storage failure, or null if unexpected. */
  private static Errors storageError(StorageException e) {
    return switch (e.code()) {
      // Another broker owns the log now (or this one is handing it over): the client refreshes
      // its metadata and retries on the new leader.
      case FENCED, LOG_CLOSED -> Errors.NOT_LEADER_OR_FOLLOWER;
      // Fewer bookies than the ack quorum: Kafka's answer when the ISR is below
      // min.insync.replicas; nothing was made visible, the producer retries.
      case UNAVAILABLE -> Errors.NOT_ENOUGH_REPLICAS;
      case CORRUPT_BATCH -> Errors.CORRUPT_MESSAGE;
      case BATCH_TOO_LARGE -> Errors.MESSAGE_TOO_LARGE;
      case OFFSET_OUT_OF_RANGE -> Errors.OFFSET_OUT_OF_RANGE;
      case LOG_NOT_FOUND -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
      // The tier store (S3, HDFS) is unreachable or throttling: reads of offloaded segments fail
      // for now while appends and tail reads go on. KAFKA_STORAGE_ERROR is retriable in every
      // client: consumers refresh metadata and fetch again.
      case TIER_UNAVAILABLE -> Errors.KAFKA_STORAGE_ERROR;
      default -> null;
    };
  }

  /** The Kafka error for {@code t}, logging it if it was unexpected. */
  public static ApiError toApiError(Throwable t, String what) {
    Throwable cause = Errors.maybeUnwrapException(t);
    if (cause instanceof ApiException) {
      return ApiError.fromThrowable(cause);
    }
    if (cause instanceof StorageException se) {
      Errors mapped = storageError(se);
      if (mapped != null) {
        return new ApiError(mapped, se.getMessage());
      }
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return new ApiError(Errors.REQUEST_TIMED_OUT, what + " timed out");
    }
    if (cause instanceof KeeperException ke && isTransient(ke.code())) {
      // ZooKeeper briefly unreachable (or this broker is renewing its session): a retriable
      // error, so clients retry; UNKNOWN_SERVER_ERROR would be fatal to, e.g., InitProducerId.
      return new ApiError(
          Errors.REQUEST_TIMED_OUT, what + " failed: the metadata store is unavailable; retry");
    }
    log.warn("Unexpected failure while {}", what, cause);
    return new ApiError(Errors.UNKNOWN_SERVER_ERROR, null);
  }
}
