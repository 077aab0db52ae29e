package io.strata.broker.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProducerSnapshotTest {

  private static final ProducerSnapshot SAMPLE =
      new ProducerSnapshot(
          1234L,
          List.of(
              new ProducerSnapshot.Entry(7L, (short) 2, 10, 19, 100L, 109L, 1_700_000_000_000L)),
          List.of(9L));

  private static final String ENTRY =
      "0000000000000007" // producer id
          + "0002" // epoch
          + "0000000a" // first seq 10
          + "00000013" // last seq 19
          + "0000000000000064" // first offset 100
          + "000000000000006d" // last offset 109
          + "0000018bcfe56800"; // timestamp

  /** Pins the stored format: changing it needs a new version and a reader for the old one. */
  @Test
  void goldenBytes() {
    String hex =
        "53505331" // magic "SPS1"
            + "0002" // version
            + "00000000000004d2" // next offset 1234
            + "00000001" // one entry
            + ENTRY
            + "00000001" // one expired producer
            + "0000000000000009"; // its id
    assertThat(HexFormat.of().formatHex(SAMPLE.encode())).isEqualTo(hex);
    assertThat(ProducerSnapshot.decode(HexFormat.of().parseHex(hex))).isEqualTo(SAMPLE);
  }

  /** Snapshots written before the expired list (version 1) are still read. */
  @Test
  void readsVersionOne() {
    String hex =
        "53505331" // magic "SPS1"
            + "0001" // version
            + "00000000000004d2" // next offset 1234
            + "00000001" // one entry
            + ENTRY;
    assertThat(ProducerSnapshot.decode(HexFormat.of().parseHex(hex)))
        .isEqualTo(new ProducerSnapshot(1234L, SAMPLE.entries(), List.of()));
  }

  @Test
  void rejectsForeignOrTruncatedBytesWithAClearMessage() {
    byte[] good = SAMPLE.encode();
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
    assertThatThrownBy(() -> ProducerSnapshot.decode(truncated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 expired producers");
    byte[] other = good.clone();
    other[0] = 0;
    assertThatThrownBy(() -> ProducerSnapshot.decode(other)).hasMessageContaining("magic");
    byte[] future = good.clone();
    future[5] = 9;
    assertThatThrownBy(() -> ProducerSnapshot.decode(future)).hasMessageContaining("version 9");
  }
}
