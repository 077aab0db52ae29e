package io.strata.broker.produce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.broker.config.TopicSettings;
import io.strata.broker.produce.BatchValidator.RecordValidationException;
import io.strata.broker.produce.BatchValidator.ValidatedBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BatchValidatorTest {
  private static final long NOW = 1_700_000_000_000L;

  private static TopicSettings settings(Map<String, String> overrides) {
    return new TopicSettings(Map.of(), overrides);
  }

  private static ByteBuffer batch(Compression compression, long... timestamps) {
    MemoryRecordsBuilder b =
        MemoryRecords.builder(
            ByteBuffer.allocate(4096),
            RecordBatch.MAGIC_VALUE_V2,
            compression,
            TimestampType.CREATE_TIME,
            0L,
            RecordBatch.NO_TIMESTAMP,
            123L,
            (short) 2,
            0,
            false,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
    for (int i = 0; i < timestamps.length; i++) {
      b.append(
          new SimpleRecord(
              timestamps[i],
              i % 2 == 0 ? null : ("k" + i).getBytes(StandardCharsets.UTF_8),
              ("v" + i).getBytes(StandardCharsets.UTF_8)));
    }
    return b.build().buffer();
  }

  private static MutableRecordBatch parse(ByteBuffer buf) {
    return MemoryRecords.readableRecords(buf.duplicate()).batches().iterator().next();
  }

  @Test
  void acceptsAValidBatchAndReportsProducerFields() {
    ByteBuffer buf = batch(Compression.NONE, NOW - 5, NOW - 1, NOW - 3);
    ValidatedBatch v = BatchValidator.validate(buf, settings(Map.of()), NOW, 4);
    assertThat(v.producerId()).isEqualTo(123L);
    assertThat(v.producerEpoch()).isEqualTo((short) 2);
    assertThat(v.baseSequence()).isZero();
    assertThat(v.lastSequence()).isEqualTo(2);
    assertThat(v.recordCount()).isEqualTo(3);
    assertThat(v.maxTimestamp()).isEqualTo(NOW - 1);
    assertThat(v.logAppendTimeMs()).isEqualTo(RecordBatch.NO_TIMESTAMP);
    MutableRecordBatch stored = parse(buf);
    assertThat(stored.partitionLeaderEpoch()).isEqualTo(4);
    assertThat(stored.isValid()).isTrue();
  }

  @Test
  void compressedBatchesAreValidatedToo() {
    ByteBuffer buf = batch(Compression.lz4().build(), NOW, NOW, NOW);
    assertThat(BatchValidator.validate(buf, settings(Map.of()), NOW, 0).recordCount()).isEqualTo(3);
  }

  @Test
  void flippedBitIsCorruptMessage() {
    ByteBuffer buf = batch(Compression.NONE, NOW, NOW);
    int last = buf.limit() - 1;
    buf.put(last, (byte) (buf.get(last) ^ 0x01));
    assertThatThrownBy(() -> BatchValidator.validate(buf, settings(Map.of()), NOW, 0))
        .isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void truncatedBatchIsCorruptMessage() {
    ByteBuffer buf = batch(Compression.NONE, NOW, NOW);
    buf.limit(buf.limit() - 3);
    assertThatThrownBy(() -> BatchValidator.validate(buf, settings(Map.of()), NOW, 0))
        .isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void oldMagicAndTwoBatchesAreInvalidRecord() {
    ByteBuffer old = batch(Compression.NONE, NOW);
    old.put(16, (byte) 1);
    assertThatThrownBy(() -> BatchValidator.validate(old, settings(Map.of()), NOW, 0))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("magic");
    ByteBuffer one = batch(Compression.NONE, NOW);
    ByteBuffer two = ByteBuffer.allocate(one.remaining() * 2);
    two.put(one.duplicate()).put(one.duplicate()).flip();
    assertThatThrownBy(() -> BatchValidator.validate(two, settings(Map.of()), NOW, 0))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("exactly one");
  }

  @Test
  void sizeLimitsGiveKafkasErrors() {
    ByteBuffer buf = batch(Compression.NONE, NOW, NOW, NOW);
    assertThatThrownBy(
            () -> BatchValidator.validate(buf, settings(Map.of("max.message.bytes", "10")), NOW, 0))
        .isInstanceOf(RecordTooLargeException.class)
        .hasMessageContaining("max.message.bytes=10");
    TopicSettings tinySegment =
        new TopicSettings(Map.of(), Map.of("segment.bytes", String.valueOf(1024 * 1024)));
    ByteBuffer big = ByteBuffer.allocate(2 * 1024 * 1024);
    MemoryRecordsBuilder b =
        MemoryRecords.builder(big, Compression.NONE, TimestampType.CREATE_TIME, 0L);
    b.append(new SimpleRecord(NOW, null, new byte[1024 * 1024 + 100]));
    ByteBuffer bigBatch = b.build().buffer();
    TopicSettings both =
        new TopicSettings(
            Map.of(),
            Map.of("segment.bytes", String.valueOf(1024 * 1024), "max.message.bytes", "3000000"));
    assertThat(tinySegment.segmentBytes).isEqualTo(1024 * 1024);
    assertThatThrownBy(() -> BatchValidator.validate(bigBatch, both, NOW, 0))
        .isInstanceOf(RecordBatchTooLargeException.class);
  }

  @Test
  void timestampsOutOfRangeAreInvalidTimestampNamingTheRecords() {
    ByteBuffer buf = batch(Compression.NONE, NOW, NOW + 7_200_000L, NOW);
    assertThatThrownBy(() -> BatchValidator.validate(buf, settings(Map.of()), NOW, 0))
        .isInstanceOfSatisfying(
            RecordValidationException.class,
            e -> {
              assertThat(e.error()).isEqualTo(Errors.INVALID_TIMESTAMP);
              assertThat(e.recordErrors()).hasSize(1);
              assertThat(e.recordErrors().get(0).batchIndex()).isEqualTo(1);
            });
  }

  @Test
  void logAppendTimeReplacesTimestampsAndKeepsTheCrcValid() {
    ByteBuffer buf = batch(Compression.NONE, 5L, 6L);
    TopicSettings lat = settings(Map.of("message.timestamp.type", "LogAppendTime"));
    ValidatedBatch v = BatchValidator.validate(buf, lat, NOW, 0);
    assertThat(v.logAppendTimeMs()).isEqualTo(NOW);
    MutableRecordBatch stored = parse(buf);
    assertThat(stored.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(stored.maxTimestamp()).isEqualTo(NOW);
    assertThat(stored.isValid()).isTrue();
  }

  @Test
  void compactedTopicsNeedKeys() {
    ByteBuffer buf = batch(Compression.NONE, NOW, NOW);
    assertThatThrownBy(
            () ->
                BatchValidator.validate(buf, settings(Map.of("cleanup.policy", "compact")), NOW, 0))
        .isInstanceOfSatisfying(
            RecordValidationException.class,
            e -> {
              assertThat(e.error()).isEqualTo(Errors.INVALID_RECORD);
              assertThat(e.recordErrors()).extracting(r -> r.batchIndex()).containsExactly(0);
            });
  }
}
