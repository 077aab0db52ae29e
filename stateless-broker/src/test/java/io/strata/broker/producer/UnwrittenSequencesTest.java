package io.strata.broker.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class UnwrittenSequencesTest {
  private static final Uuid ID = Uuid.randomUuid();
  private static final TopicIdPartition TP = new TopicIdPartition(ID, 2, "orders");
  private final UnwrittenSequences unwritten = new UnwrittenSequences();

  private static ByteBuffer batch(long pid, short epoch, int firstSeq) {
    MemoryRecordsBuilder b =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            RecordBatch.MAGIC_VALUE_V2,
            Compression.NONE,
            TimestampType.CREATE_TIME,
            0L,
            1000L,
            pid,
            epoch,
            firstSeq,
            false,
            RecordBatch.NO_PARTITION_LEADER_EPOCH);
    b.append(new SimpleRecord(1000L, null, "v".getBytes()));
    b.append(new SimpleRecord(1000L, null, "w".getBytes()));
    return b.build().buffer();
  }

  @Test
  void aLaterBatchWaitsForTheRefusedOneByNameOrById() {
    unwritten.refused("orders", Uuid.ZERO_UUID, 2, batch(7, (short) 1, 10));
    assertThat(unwritten.mustWait(TP, 7, (short) 1, 12))
        .hasValueSatisfying(m -> assertThat(m).contains("12").contains("10").contains("orders-2"));
    assertThat(unwritten.mustWait(TP, 7, (short) 1, 10)).isEmpty();
    assertThat(unwritten.mustWait(TP, 7, (short) 1, 0))
        .as("sequences reset by the client")
        .isEmpty();
    assertThat(unwritten.mustWait(TP, 8, (short) 1, 12)).as("another producer").isEmpty();
    assertThat(unwritten.mustWait(new TopicIdPartition(ID, 3, "orders"), 7, (short) 1, 12))
        .as("another partition")
        .isEmpty();

    UnwrittenSequences byId = new UnwrittenSequences();
    byId.refused(null, ID, 2, batch(7, (short) 1, 10));
    assertThat(byId.mustWait(TP, 7, (short) 1, 12)).isPresent();
  }

  @Test
  void theLowestRefusedSequenceOfTheNewestEpochCounts() {
    unwritten.refused("orders", ID, 2, 7, (short) 1, 20);
    unwritten.refused("orders", ID, 2, 7, (short) 1, 10);
    unwritten.refused("orders", ID, 2, 7, (short) 1, 30);
    assertThat(unwritten.mustWait(TP, 7, (short) 1, 11)).isPresent();
    assertThat(unwritten.mustWait(TP, 7, (short) 1, 10)).isEmpty();

    unwritten.refused("orders", ID, 2, 7, (short) 2, 0);
    assertThat(unwritten.mustWait(TP, 7, (short) 2, 5)).isPresent();
    assertThat(unwritten.mustWait(TP, 7, (short) 3, 5)).as("a newer epoch").isEmpty();
  }

  @Test
  void acceptingABatchOfTheProducerEndsTheWait() {
    unwritten.refused("orders", ID, 2, batch(7, (short) 1, 10));
    unwritten.accepted(TP, 7);
    assertThat(unwritten.mustWait(TP, 7, (short) 1, 12)).isEmpty();
    assertThat(unwritten.size()).isZero();
  }

  @Test
  void batchesWithoutAProducerIdAndBytesThatDoNotParseAreIgnored() {
    unwritten.refused("orders", ID, 2, batch(RecordBatch.NO_PRODUCER_ID, (short) -1, -1));
    unwritten.refused("orders", ID, 2, ByteBuffer.wrap(new byte[] {1, 2, 3}));
    ByteBuffer truncated = batch(7, (short) 1, 10);
    truncated.limit(30);
    unwritten.refused("orders", ID, 2, truncated);
    assertThat(unwritten.size()).isZero();
  }
}
