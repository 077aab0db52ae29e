package io.strata.broker.produce;

import io.strata.broker.config.TopicSettings;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.message.ProduceResponseData.BatchIndexAndErrorMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Validates the records of one partition of a produce request, with the rules of Kafka's {@code
 * ProduceRequest.validateRecords} and {@code LogValidator}, and prepares the batch for the log.
 *
 * <p>Produce v3 and later carry exactly one magic-v2 batch per partition. The batch must have a
 * valid CRC (else CORRUPT_MESSAGE), fit {@code max.message.bytes} (else MESSAGE_TOO_LARGE) and
 * {@code segment.bytes} (else RECORD_LIST_TOO_LARGE), have a consistent offset range and record
 * count, carry no control records, and, for compacted topics, keys (else INVALID_RECORD). With
 * CreateTime every record's timestamp must lie within {@code message.timestamp.before.max.ms} /
 * {@code after.max.ms} of the broker's clock (else INVALID_TIMESTAMP, naming the records). With
 * LogAppendTime the batch's timestamp becomes the broker's clock (the CRC is recomputed).
 *
 * <p>The batch is modified in place (max timestamp, partition leader epoch): the caller passes a
 * buffer it owns. Stateless and thread-safe.
 */
public final class BatchValidator {

  /** A batch that passed validation, ready to append. */
  public record ValidatedBatch(
      ByteBuffer buffer,
      long producerId,
      short producerEpoch,
      int baseSequence,
      int lastSequence,
      int recordCount,
      long maxTimestamp,
      long logAppendTimeMs) {
    /** True if the batch came from an idempotent producer. */
    public boolean idempotent() {
      return producerId != RecordBatch.NO_PRODUCER_ID;
    }
  }

  /**
   * A validation failure that names individual records, as INVALID_RECORD/TIMESTAMP responses do.
   */
  public static final class RecordValidationException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Errors error;
    private final transient List<BatchIndexAndErrorMessage> recordErrors;

    RecordValidationException(Errors error, String message, List<BatchIndexAndErrorMessage> recs) {
      super(message, null, false, false);
      this.error = error;
      this.recordErrors = List.copyOf(recs);
    }

    public Errors error() {
      return error;
    }

    public List<BatchIndexAndErrorMessage> recordErrors() {
      return recordErrors;
    }
  }

  private BatchValidator() {}

  /**
   * Validates and prepares one partition's records.
   *
   * @param records the partition's records from the request; modified in place
   * @param settings the topic's effective config
   * @param nowMs the broker's clock
   * @param leaderEpoch written into the batch header, as Kafka's leader does
   * @return the batch to append
   * @throws org.apache.kafka.common.errors.ApiException the Kafka error for bad input: {@link
   *     CorruptRecordException}, {@link RecordTooLargeException}, {@link
   *     RecordBatchTooLargeException}, {@link InvalidRecordException}, or a {@link
   *     RecordValidationException}
   */
  public static ValidatedBatch validate(
      ByteBuffer records, TopicSettings settings, long nowMs, int leaderEpoch) {
    MutableRecordBatch batch = onlyBatch(records);
    int size = batch.sizeInBytes();
    if (size > settings.maxMessageBytes) {
      throw new RecordTooLargeException(
          "The batch is "
              + size
              + " bytes, larger than max.message.bytes="
              + settings.maxMessageBytes
              + " of the topic");
    }
    if (size > settings.segmentBytes) {
      throw new RecordBatchTooLargeException(
          "The batch is "
              + size
              + " bytes, larger than segment.bytes="
              + settings.segmentBytes
              + " of the topic");
    }
    if (!batch.isValid()) {
      throw new CorruptRecordException(
          "Record batch is corrupt (stored CRC = "
              + batch.checksum()
              + ", computed differs; size "
              + size
              + ")");
    }
    checkBatchHeader(batch);
    long maxTimestamp = checkRecords(batch, settings, nowMs);

    batch.setPartitionLeaderEpoch(leaderEpoch);
    long logAppendTime = RecordBatch.NO_TIMESTAMP;
    if (settings.timestampType == TimestampType.LOG_APPEND_TIME) {
      logAppendTime = nowMs;
      maxTimestamp = nowMs;
      batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, nowMs);
    } else if (batch.maxTimestamp() != maxTimestamp
        || batch.timestampType() != TimestampType.CREATE_TIME) {
      batch.setMaxTimestamp(TimestampType.CREATE_TIME, maxTimestamp);
    }
    return new ValidatedBatch(
        records,
        batch.producerId(),
        batch.producerEpoch(),
        batch.baseSequence(),
        batch.lastSequence(),
        batch.countOrNull(),
        maxTimestamp,
        logAppendTime);
  }

  private static MutableRecordBatch onlyBatch(ByteBuffer records) {
    if (records.remaining() < Records.HEADER_SIZE_UP_TO_MAGIC + 1) {
      throw new InvalidRecordException(
          "Produce requests must carry exactly one record batch per partition; got "
              + records.remaining()
              + " bytes");
    }
    byte magic = records.get(records.position() + Records.MAGIC_OFFSET);
    if (magic != RecordBatch.MAGIC_VALUE_V2) {
      throw new InvalidRecordException(
          "Only record batches with magic 2 are accepted (produce v3+); got magic " + magic);
    }
    Iterator<MutableRecordBatch> batches;
    MutableRecordBatch batch;
    try {
      batches = MemoryRecords.readableRecords(records).batches().iterator();
      if (!batches.hasNext()) {
        throw new CorruptRecordException("The record batch is truncated or its length is invalid");
      }
      batch = batches.next();
    } catch (org.apache.kafka.common.KafkaException e) {
      throw asCorrupt(e);
    }
    if (batch.sizeInBytes() != records.remaining()) {
      throw new InvalidRecordException(
          "Produce requests must carry exactly one record batch per partition; the batch is "
              + batch.sizeInBytes()
              + " bytes of "
              + records.remaining());
    }
    return batch;
  }

  private static CorruptRecordException asCorrupt(RuntimeException e) {
    return e instanceof CorruptRecordException c
        ? c
        : new CorruptRecordException("Record batch is malformed: " + e.getMessage(), e);
  }

  private static void checkBatchHeader(MutableRecordBatch batch) {
    if (batch.isControlBatch()) {
      throw new InvalidRecordException("Clients are not allowed to write control records");
    }
    if (batch.isTransactional()) {
      throw new InvalidRecordException(
          "Transactional batches are not supported by this Strata version");
    }
    Integer count = batch.countOrNull();
    long countFromOffsets = batch.lastOffset() - batch.baseOffset() + 1;
    if (count == null || count <= 0) {
      throw new InvalidRecordException("Record batch reports an invalid record count " + count);
    }
    if (countFromOffsets != count) {
      throw new InvalidRecordException(
          "Record batch offset range ("
              + countFromOffsets
              + " records) does not match its record count "
              + count);
    }
    if (batch.hasProducerId() && batch.baseSequence() < 0) {
      throw new InvalidRecordException(
          "Record batch of producer "
              + batch.producerId()
              + " has an invalid sequence number "
              + batch.baseSequence());
    }
  }

  /**
   * Walks the records (decompressing if needed, as Kafka does) to check offsets, keys and
   * timestamps.
   *
   * @return the largest record timestamp
   */
  private static long checkRecords(MutableRecordBatch batch, TopicSettings settings, long nowMs) {
    boolean needKeys = settings.requiresKeys();
    boolean checkTimes = settings.timestampType == TimestampType.CREATE_TIME;
    List<BatchIndexAndErrorMessage> keyErrors = new ArrayList<>();
    List<BatchIndexAndErrorMessage> timeErrors = new ArrayList<>();
    long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    long expectedOffset = batch.baseOffset();
    int index = 0;
    try (CloseableIterator<Record> it =
        needKeys
            ? batch.streamingIterator(BufferSupplier.NO_CACHING)
            : batch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
      while (it.hasNext()) {
        Record r = it.next();
        if (r.offset() != expectedOffset) {
          throw new InvalidRecordException(
              "Record "
                  + index
                  + " has offset delta "
                  + (r.offset() - batch.baseOffset())
                  + ", expected "
                  + (expectedOffset - batch.baseOffset()));
        }
        if (needKeys && !r.hasKey()) {
          keyErrors.add(
              new BatchIndexAndErrorMessage()
                  .setBatchIndex(index)
                  .setBatchIndexErrorMessage("Compacted topic cannot accept message without key"));
        }
        long ts = r.timestamp();
        if (checkTimes
            && (ts < nowMs - settings.timestampBeforeMaxMs
                || ts > nowMs + settings.timestampAfterMaxMs)) {
          timeErrors.add(
              new BatchIndexAndErrorMessage()
                  .setBatchIndex(index)
                  .setBatchIndexErrorMessage(
                      "Timestamp "
                          + ts
                          + " of record "
                          + index
                          + " is out of range: it must lie within [now - "
                          + settings.timestampBeforeMaxMs
                          + " ms, now + "
                          + settings.timestampAfterMaxMs
                          + " ms]"));
        }
        maxTimestamp = Math.max(maxTimestamp, ts);
        expectedOffset++;
        index++;
      }
    } catch (InvalidRecordException e) {
      throw e;
    } catch (org.apache.kafka.common.KafkaException e) {
      throw asCorrupt(e);
    }
    if (index != batch.countOrNull()) {
      throw new InvalidRecordException(
          "Record batch holds " + index + " records but reports " + batch.countOrNull());
    }
    if (!keyErrors.isEmpty()) {
      throw new RecordValidationException(
          Errors.INVALID_RECORD, "Compacted topic cannot accept message without key", keyErrors);
    }
    if (!timeErrors.isEmpty()) {
      throw new RecordValidationException(
          Errors.INVALID_TIMESTAMP,
          new InvalidTimestampException(timeErrors.get(0).batchIndexErrorMessage()).getMessage(),
          timeErrors);
    }
    return maxTimestamp;
  }
}
