package io.strata.broker.producer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Sequences of idempotent batches this broker answered with a retriable error without writing them,
 * so that a later batch of the same producer cannot overtake them.
 *
 * <p>A producer pipelines up to five requests. If the first is refused (the partition is not served
 * here yet, is moving away, or its append failed) and the partition can take the second a moment
 * later, the second must not be written first: a partition with no state for the producer would
 * accept any sequence (Kafka's rule, since a producer's state may have expired), and the records
 * would be stored out of order. So the lowest refused sequence is remembered per partition and
 * producer; while the partition has no state for that producer, a batch starting above it gets
 * OUT_OF_ORDER_SEQUENCE_NUMBER, which the client retries after the refused batch (its retries go
 * one at a time, in sequence order).
 *
 * <p>An entry ends when a batch of the producer is accepted, when the producer moves to a newer
 * epoch, or after {@link #RETENTION} (longer than a client's default delivery timeout). Bounded in
 * entries. Thread-safe.
 */
public final class UnwrittenSequences {

  /** How long a refused sequence is remembered. */
  public static final Duration RETENTION = Duration.ofMinutes(3);

  private static final long MAX_ENTRIES = 100_000;

  // Requests name a topic by name (Produce v12 and older) or by id (v13+); both are keys.
  private record Key(Object topic, int partition, long producerId) {}

  private record Floor(short epoch, int firstSequence) {}

  private final Cache<Key, Floor> floors =
      Caffeine.newBuilder()
          .maximumSize(MAX_ENTRIES)
          .expireAfterWrite(RETENTION)
          .executor(Runnable::run)
          .build();

  /**
   * Remembers the first batch of {@code records} if it is an idempotent batch (anything else, or
   * bytes that do not parse, is ignored: such a batch is refused for good elsewhere).
   *
   * @param topicName the topic's name, or null/empty if the request named it by id only
   * @param topicId the topic's id, or {@link Uuid#ZERO_UUID}
   */
  public void refused(String topicName, Uuid topicId, int partition, ByteBuffer records) {
    RecordBatch batch;
    try {
      batch = MemoryRecords.readableRecords(records.duplicate()).firstBatch();
    } catch (RuntimeException e) {
      return;
    }
    if (batch == null
        || batch.magic() < RecordBatch.MAGIC_VALUE_V2
        || batch.producerId() == RecordBatch.NO_PRODUCER_ID) {
      return;
    }
    refused(
        topicName,
        topicId,
        partition,
        batch.producerId(),
        batch.producerEpoch(),
        batch.baseSequence());
  }

  /**
   * Remembers that the batch of {@code producerId} starting at {@code firstSequence} was not
   * written.
   */
  public void refused(
      String topicName,
      Uuid topicId,
      int partition,
      long producerId,
      short epoch,
      int firstSequence) {
    Floor floor = new Floor(epoch, firstSequence);
    if (topicName != null && !topicName.isEmpty()) {
      merge(new Key(topicName, partition, producerId), floor);
    }
    if (topicId != null && !Uuid.ZERO_UUID.equals(topicId)) {
      merge(new Key(topicId, partition, producerId), floor);
    }
  }

  private void merge(Key key, Floor floor) {
    floors
        .asMap()
        .merge(
            key,
            floor,
            (old, now) -> {
              if (old.epoch != now.epoch) {
                return old.epoch > now.epoch ? old : now;
              }
              return old.firstSequence <= now.firstSequence ? old : now;
            });
  }

  /**
   * For a partition with no state for {@code producerId}: why a batch starting at {@code
   * firstSequence} must wait, or empty if it may be written.
   */
  public Optional<String> mustWait(
      TopicIdPartition tp, long producerId, short epoch, int firstSequence) {
    Floor floor = lowest(tp, producerId);
    if (floor == null || floor.epoch != epoch || firstSequence <= floor.firstSequence) {
      return Optional.empty();
    }
    return Optional.of(
        "Out of order sequence number for producer "
            + producerId
            + " on "
            + tp.topicPartition()
            + ": "
            + firstSequence
            + " (incoming); the batch starting at sequence "
            + floor.firstSequence
            + " was refused and not written, so it must be retried first");
  }

  private Floor lowest(TopicIdPartition tp, long producerId) {
    Floor byName = floors.getIfPresent(new Key(tp.topic(), tp.partition(), producerId));
    Floor byId = floors.getIfPresent(new Key(tp.topicId(), tp.partition(), producerId));
    if (byName == null || byId == null) {
      return byName != null ? byName : byId;
    }
    if (byName.epoch != byId.epoch) {
      return byName.epoch > byId.epoch ? byName : byId;
    }
    return byName.firstSequence <= byId.firstSequence ? byName : byId;
  }

  /** A batch of {@code producerId} was accepted on {@code tp}: nothing is waiting any more. */
  public void accepted(TopicIdPartition tp, long producerId) {
    floors.invalidate(new Key(tp.topic(), tp.partition(), producerId));
    floors.invalidate(new Key(tp.topicId(), tp.partition(), producerId));
  }

  /** Entries held (for tests). */
  long size() {
    floors.cleanUp();
    return floors.estimatedSize();
  }
}
