package io.strata.storage.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import io.strata.storage.api.SegmentState;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Golden bytes of the stored formats: a change here is a format change (bump the version). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FormatsTest {
  static final LogMetadata METADATA =
      new LogMetadata(
          "t-0",
          7,
          100,
          List.of(
              new SegmentMetadata(
                  11,
                  SegmentState.SEALED,
                  100,
                  149,
                  1700000000123L,
                  4096,
                  5,
                  12,
                  1700000000000L,
                  "s3://b/k"),
              SegmentMetadata.open(13, 14, 150, 1700000000500L)),
          -1);

  static final String METADATA_HEX =
      "5354524c" // magic "STRL"
          + "0001" // version
          + "0000" // flags
          + "0000000000000007" // writer epoch
          + "0000000000000064" // log start offset 100
          + "00000002" // 2 segments
          + "004b" // segment 1: 75 bytes follow
          + "000000000000000b" // ledger 11
          + "01" // SEALED
          + "0000000000000064" // first offset 100
          + "0000000000000095" // last offset 149
          + "0000018bcfe5687b" // max timestamp
          + "0000000000001000" // 4096 bytes
          + "0000000000000005" // 5 entries
          + "000000000000000c" // index ledger 12
          + "0000018bcfe56800" // created
          + "0008" // tier location length
          + "73333a2f2f622f6b" // "s3://b/k"
          + "0043" // segment 2: 67 bytes follow
          + "000000000000000d" // ledger 13
          + "00" // OPEN
          + "0000000000000096" // first offset 150
          + "0000000000000095" // last offset unknown: first - 1
          + "ffffffffffffffff" // no max timestamp
          + "0000000000000000"
          + "0000000000000000"
          + "000000000000000e" // index ledger 14
          + "0000018bcfe569f4"
          + "0000" // no tier location
          + "5fa938e0"; // CRC32C

  @Test
  void logMetadataGoldenBytes() {
    byte[] encoded = LogMetadataCodec.encode(METADATA);
    assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(METADATA_HEX);
    assertThat(LogMetadataCodec.decode("t-0", encoded, 3)).isEqualTo(METADATA.withZkVersion(3));
  }

  @Test
  void logMetadataRejectsCorruptionAndUnknownVersions() {
    byte[] encoded = LogMetadataCodec.encode(METADATA);
    byte[] flipped = encoded.clone();
    flipped[30] ^= 1;
    assertThatThrownBy(() -> LogMetadataCodec.decode("t-0", flipped, 0))
        .hasMessageContaining("CRC");
    byte[] v2 = encoded.clone();
    v2[5] = 2;
    assertThatThrownBy(() -> LogMetadataCodec.decode("t-0", v2, 0)).hasMessageContaining("version");
    assertThatThrownBy(() -> LogMetadataCodec.decode("t-0", new byte[40], 0))
        .hasMessageContaining("magic");
  }

  @Test
  void indexChunkGoldenBytes() {
    SegmentIndex idx = new SegmentIndex(100, 4);
    idx.add(1, 80, 1000);
    idx.add(4, 120, 999);
    ByteBuf chunk = IndexChunkCodec.encode(UnpooledByteBufAllocator.DEFAULT, idx, 0, 2);
    try {
      assertThat(ByteBufUtil.hexDump(chunk))
          .isEqualTo(
              "53545849" // magic "STXI"
                  + "01000000" // version 1, reserved
                  + "0000000000000064" // segment first offset 100
                  + "0000000000000000" // first entry 0
                  + "00000002" // 2 records
                  + "00000001"
                  + "00000050"
                  + "00000000000003e8" // offsets 100..101, 80 B
                  + "00000004"
                  + "00000078"
                  + "00000000000003e7"); // offsets 102..104
      SegmentIndex back = new SegmentIndex(100, 1);
      IndexChunkCodec.decodeInto(chunk, back);
      assertThat(back.entryCount()).isEqualTo(2);
      assertThat(back.baseOffset(1)).isEqualTo(102);
      assertThat(back.lastOffset(1)).isEqualTo(104);
      assertThat(back.maxTimestamp()).isEqualTo(1000);
      // A chunk that does not continue the index is rejected.
      assertThatThrownBy(() -> IndexChunkCodec.decodeInto(chunk, back))
          .isInstanceOf(IllegalArgumentException.class);
    } finally {
      chunk.release();
    }
  }

  @Test
  void segmentIndexLooksUpOffsetsAndTimestamps() {
    SegmentIndex idx = new SegmentIndex(1000, 2);
    // entries: [1000..1002] ts 50, [1003] ts 40, [1004..1009] ts 70, [1010] ts 60
    idx.addEntry(1000, 1002, 100, 50);
    idx.addEntry(1003, 1003, 10, 40);
    idx.addEntry(1004, 1009, 300, 70);
    idx.addEntry(1010, 1010, 20, 60);
    assertThat(idx.entryFor(999)).isEqualTo(-1);
    assertThat(idx.entryFor(1000)).isZero();
    assertThat(idx.entryFor(1002)).isZero();
    assertThat(idx.entryFor(1003)).isEqualTo(1);
    assertThat(idx.entryFor(1007)).isEqualTo(2);
    assertThat(idx.entryFor(1010)).isEqualTo(3);
    assertThat(idx.entryFor(1011)).isEqualTo(-1);
    assertThat(idx.firstEntryWithTimestampAtLeast(45, 0)).isZero();
    assertThat(idx.firstEntryWithTimestampAtLeast(55, 0)).isEqualTo(2);
    assertThat(idx.firstEntryWithTimestampAtLeast(55, 3)).isEqualTo(3);
    assertThat(idx.firstEntryWithTimestampAtLeast(71, 0)).isEqualTo(-1);
    assertThat(idx.entryWithMaxTimestamp()).isEqualTo(2);
    assertThat(idx.totalBytes()).isEqualTo(430);
    assertThatThrownBy(() -> idx.addEntry(1012, 1012, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    idx.seal();
    assertThatThrownBy(() -> idx.addEntry(1011, 1011, 1, 1))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void baseOffsetRewriteKeepsTheKafkaBatchValid() {
    byte[] bytes = io.strata.storage.testing.TestBatches.batch(5, 20, 1000, 1);
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    RecordBatchHeader h = RecordBatchHeader.validate(buf, 1 << 20);
    assertThat(h.recordsCount()).isEqualTo(5);
    assertThat(h.maxTimestamp()).isEqualTo(1004);
    RecordBatchHeader.writeBaseOffset(buf, 123_456);
    var records =
        org.apache.kafka.common.record.internal.MemoryRecords.readableRecords(buf.nioBuffer());
    var batch = records.batches().iterator().next();
    batch.ensureValid(); // Kafka's own CRC check still passes
    assertThat(batch.baseOffset()).isEqualTo(123_456);
    assertThat(batch.lastOffset()).isEqualTo(123_460);
    assertThat(RecordBatchHeader.validate(buf, 1 << 20).baseOffset()).isEqualTo(123_456);
  }

  @Test
  void tieredSegmentsKeepTheirStateAndOffloadAttempt() {
    SegmentMetadata tiered =
        new SegmentMetadata(
                11, SegmentState.SEALED, 100, 149, 1700000000123L, 4096, 5, 12, 1700000000000L, "")
            .withOffloadStarted(3)
            .withOffloadCommitted(3)
            .tiered();
    byte[] bytes = LogMetadataCodec.encode(new LogMetadata("t-0", 7, 100, List.of(tiered), -1));
    assertThat(bytes[4 + 2 + 2 + 8 + 8 + 4 + 2 + 8]).as("state byte").isEqualTo((byte) 2);
    SegmentMetadata back = LogMetadataCodec.decode("t-0", bytes, 0).segments().get(0);
    assertThat(back).isEqualTo(tiered);
    assertThat(back.isSealed()).isTrue();
    assertThat(back.onBookies()).isFalse();
    assertThat(back.isOffloaded()).isTrue();
    assertThat(back.offloadAttempt()).isEqualTo(3);
  }
}
