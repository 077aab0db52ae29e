package io.strata.tiering.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pins the tier index object's bytes (TierIndexCodec's diagram) and its look-ups. */
@Timeout(10)
class TierIndexCodecTest {

  /** Four batches, a 100-byte entry interval: three offset entries, two time entries. */
  static TierIndex sample() {
    TierIndex.Builder b = new TierIndex.Builder(100);
    b.add(100, 104, 1000, 80);
    b.add(105, 109, 900, 80);
    b.add(110, 119, 2000, 120);
    b.add(120, 120, 1500, 70);
    return b.build();
  }

  // Written from the format's definition, not from the encoder's output.
  static final String GOLDEN =
      "53545449" // magic "STTI"
          + "0001" // version 1
          + "0000" // flags
          + "0000000000000064" // firstOffset 100
          + "0000000000000078" // lastOffset 120
          + "00000000000007d0" // maxTimestamp 2000
          + "000000000000015e" // dataBytes 350
          + "0000000000000004" // batchCount 4
          + "00000003" // entryCount 3
          + "0000000000000064"
          + "000000000000006d"
          + "00000000000003e8"
          + "0000000000000000" // 100..109, ts 1000, position 0
          + "000000000000006e"
          + "0000000000000077"
          + "00000000000007d0"
          + "00000000000000a0" // 110..119, ts 2000, position 160
          + "0000000000000078"
          + "0000000000000078"
          + "00000000000005dc"
          + "0000000000000118" // 120..120, ts 1500, position 280
          + "00000002" // timeCount 2
          + "00000000000003e8"
          + "0000000000000064" // (1000, 100)
          + "00000000000007d0"
          + "000000000000006e" // (2000, 110)
          + "a6f62406"; // crc32c

  @Test
  void encodesTheDocumentedBytes() {
    assertThat(HexFormat.of().formatHex(TierIndexCodec.encode(sample()))).isEqualTo(GOLDEN);
  }

  @Test
  void decodesTheGoldenBytes() {
    TierIndex idx = TierIndexCodec.decode(HexFormat.of().parseHex(GOLDEN));
    assertThat(idx.entryCount()).isEqualTo(3);
    assertThat(idx.dataBytes()).isEqualTo(350);
    assertThat(idx.entryFor(100)).isZero();
    assertThat(idx.entryFor(109)).isZero();
    assertThat(idx.entryFor(110)).isEqualTo(1);
    assertThat(idx.entryFor(120)).isEqualTo(2);
    assertThat(idx.entryFor(121)).isEqualTo(-1);
    assertThat(idx.end(1)).isEqualTo(280);
    assertThat(idx.end(2)).isEqualTo(350);
    assertThat(idx.firstEntryWithTimestampAtLeast(0)).isZero();
    assertThat(idx.firstEntryWithTimestampAtLeast(1000)).isZero();
    assertThat(idx.firstEntryWithTimestampAtLeast(1001)).isEqualTo(1);
    assertThat(idx.firstEntryWithTimestampAtLeast(1600)).isEqualTo(1);
    assertThat(idx.firstEntryWithTimestampAtLeast(2001)).isEqualTo(-1);
  }

  @Test
  void rejectsCorruptionAndUnknownVersions() {
    byte[] bytes = HexFormat.of().parseHex(GOLDEN);
    bytes[40] ^= 1;
    assertThatThrownBy(() -> TierIndexCodec.decode(bytes)).hasMessageContaining("CRC");
    byte[] v2 = HexFormat.of().parseHex(GOLDEN);
    v2[5] = 2;
    assertThatThrownBy(() -> TierIndexCodec.decode(v2)).hasMessageContaining("version");
    assertThatThrownBy(() -> TierIndexCodec.decode(new byte[60])).hasMessageContaining("magic");
  }

  @Test
  void batchesMustBeDense() {
    TierIndex.Builder b = new TierIndex.Builder(100);
    b.add(0, 4, 1, 80);
    assertThatThrownBy(() -> b.add(6, 9, 1, 80)).hasMessageContaining("does not follow");
  }
}
