package io.strata.broker.group.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.broker.group.records.GroupRecord.Group;
import io.strata.broker.group.records.GroupRecord.GroupValue;
import io.strata.broker.group.records.GroupRecord.MemberValue;
import io.strata.broker.group.records.GroupRecord.Offset;
import io.strata.broker.group.records.GroupRecord.OffsetValue;
import io.strata.broker.group.records.GroupRecordCodec.UnknownRecordException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pins the stored layout of group records byte for byte (see {@link GroupRecordCodec}). */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupRecordCodecTest {
  private static final HexFormat HEX = HexFormat.of();

  static final Offset OFFSET =
      new Offset("g", "t", 3, new OffsetValue(42L, 5, "m", 1_700_000_000_000L));
  static final Group GROUP =
      new Group(
          "g",
          new GroupValue(
              "consumer",
              7,
              "range",
              "m1",
              1_700_000_000_000L,
              List.of(
                  new MemberValue(
                      "m1", "i1", "c", "/h", 30_000, 10_000, new byte[] {1, 2}, new byte[] {3}))));

  @Test
  void offsetKeyAndValueBytes() {
    assertThat(HEX.formatHex(GroupRecordCodec.key(OFFSET)))
        .isEqualTo("47" + "01" + "00" + "000167" + "000174" + "00000003");
    assertThat(HEX.formatHex(GroupRecordCodec.value(OFFSET)))
        .isEqualTo("00" + "000000000000002a" + "00000005" + "00016d" + "0000018bcfe56800");
  }

  @Test
  void groupKeyAndValueBytes() {
    assertThat(HEX.formatHex(GroupRecordCodec.key(GROUP))).isEqualTo("47" + "02" + "00" + "000167");
    assertThat(HEX.formatHex(GroupRecordCodec.value(GROUP)))
        .isEqualTo(
            "00"
                + "0008636f6e73756d6572" // protocol type "consumer"
                + "00000007" // generation
                + "000572616e6765" // protocol name "range"
                + "00026d31" // leader "m1"
                + "0000018bcfe56800" // state timestamp
                + "00000001" // one member
                + "00026d31" // member id
                + "00026931" // instance id
                + "000163" // client id
                + "00022f68" // client host
                + "00007530" // rebalance timeout 30000
                + "00002710" // session timeout 10000
                + "000000020102" // subscription
                + "0000000103"); // assignment
  }

  @Test
  void tombstonesHaveNoValueAndNullStringsAreMinusOne() {
    assertThat(GroupRecordCodec.value(new Group("g", null))).isNull();
    Group empty = new Group("g", new GroupValue(null, 0, null, null, -1L, List.of()));
    assertThat(HEX.formatHex(GroupRecordCodec.value(empty)))
        .isEqualTo("00" + "ffff" + "00000000" + "ffff" + "ffff" + "ffffffffffffffff" + "00000000");
  }

  @Test
  void roundTrips() {
    for (GroupRecord r :
        List.of(OFFSET, GROUP, new Offset("g", "t", 1, null), new Group("g", null))) {
      byte[] v = GroupRecordCodec.value(r);
      assertThat(
              GroupRecordCodec.decode(
                  ByteBuffer.wrap(GroupRecordCodec.key(r)), v == null ? null : ByteBuffer.wrap(v)))
          .isEqualTo(r);
    }
  }

  @Test
  void foreignOrNewerRecordsAreUnknownAndTruncatedOnesAreRejected() {
    assertThatThrownBy(() -> GroupRecordCodec.decode(ByteBuffer.wrap(new byte[] {1, 2, 3}), null))
        .isInstanceOf(UnknownRecordException.class);
    assertThatThrownBy(() -> GroupRecordCodec.decode(ByteBuffer.wrap(HEX.parseHex("470101")), null))
        .isInstanceOf(UnknownRecordException.class);
    assertThatThrownBy(() -> GroupRecordCodec.decode(ByteBuffer.wrap(HEX.parseHex("470900")), null))
        .isInstanceOf(UnknownRecordException.class);
    byte[] key = GroupRecordCodec.key(OFFSET);
    byte[] value = GroupRecordCodec.value(OFFSET);
    assertThatThrownBy(
            () ->
                GroupRecordCodec.decode(
                    ByteBuffer.wrap(key), ByteBuffer.wrap(value, 0, value.length - 3).slice()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void batchesSplitBySizeAndReadBackInOrder() {
    List<GroupRecord> records = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      records.add(new Offset("group", "topic", i, new OffsetValue(i, -1, "", 1L)));
    }
    List<ByteBuffer> batches = GroupRecordBatches.encode(records, 1L, 4096);
    assertThat(batches.size()).isGreaterThan(3);
    assertThat(batches).allMatch(b -> b.remaining() <= 4096 + 128);
    List<GroupRecord> back = new ArrayList<>();
    for (ByteBuffer b : batches) {
      GroupRecordBatches.forEach(
          b,
          new GroupRecordBatches.Visitor() {
            @Override
            public void record(long offset, GroupRecord record) {
              back.add(record);
            }

            @Override
            public void unknown(long offset, String why) {
              throw new AssertionError(why);
            }
          });
    }
    assertThat(back).isEqualTo(records);
  }
}
