package io.strata.broker.group.records;

import io.strata.broker.group.records.GroupRecord.Group;
import io.strata.broker.group.records.GroupRecord.GroupValue;
import io.strata.broker.group.records.GroupRecord.MemberValue;
import io.strata.broker.group.records.GroupRecord.Offset;
import io.strata.broker.group.records.GroupRecord.OffsetValue;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte layout of the group coordinator's records. Each is one Kafka record (key and value) in
 * an ordinary magic-v2 record batch of a {@code __consumer_offsets} partition, so it is stored,
 * replicated and fsync'd like any produced record. Big-endian throughout.
 *
 * <pre>
 * key   ┌───────┬──────┬─────────┬──────────────────────────────────────────────┐
 *       │ magic │ type │ version │ fields of the type                           │
 *       │ 0x47  │ int8 │ int8 =0 │                                              │
 *       └───────┴──────┴─────────┴──────────────────────────────────────────────┘
 *         type 1 OFFSET : group string │ topic string │ partition int32
 *         type 2 GROUP  : group string
 *
 * value  null (no value): a tombstone — the offset or the whole group is deleted
 *       ┌─────────┬────────────────────────────────────────────────────────────┐
 *       │ version │ fields of the type                                         │
 *       │ int8 =0 │                                                            │
 *       └─────────┴────────────────────────────────────────────────────────────┘
 *         OFFSET v0 : offset int64 │ leader epoch int32 (-1 none) │ metadata string
 *                     │ commit timestamp int64 (ms)
 *         GROUP  v0 : protocol type string? │ generation int32 │ protocol name string?
 *                     │ leader string? │ state timestamp int64 (ms, -1 unknown)
 *                     │ member count int32 │ member × count
 *           member  : member id string │ instance id string? │ client id string
 *                     │ client host string │ rebalance timeout int32 │ session timeout int32
 *                     │ subscription bytes │ assignment bytes
 *
 * string  : int16 length (-1 = null, only where marked ?) │ UTF-8 bytes
 * bytes   : int32 length │ bytes
 * </pre>
 *
 * <p>The magic byte tells our keys apart from anything else; a key with another magic, an unknown
 * type or a newer version is not ours to interpret, and {@link #decode} says so with {@link
 * UnknownRecordException} (the loader skips it with a warning). Any change of a layout bumps its
 * version; {@code GroupRecordCodecTest} pins these bytes.
 *
 * <p>Stateless and thread-safe.
 */
public final class GroupRecordCodec {
  static final byte MAGIC = 0x47;
  static final byte TYPE_OFFSET = 1;
  static final byte TYPE_GROUP = 2;
  static final byte VERSION = 0;

  /** A record this codec does not understand (not ours, or from a newer version). */
  public static final class UnknownRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnknownRecordException(String message) {
      super(message, null, false, false);
    }
  }

  private GroupRecordCodec() {}

  public static byte[] key(GroupRecord r) {
    Writer w = new Writer(64);
    w.i8(MAGIC);
    if (r instanceof Offset o) {
      w.i8(TYPE_OFFSET).i8(VERSION).str(o.groupId()).str(o.topic()).i32(o.partition());
    } else {
      w.i8(TYPE_GROUP).i8(VERSION).str(r.groupId());
    }
    return w.toArray();
  }

  /** The value bytes, or null for a tombstone. */
  public static byte[] value(GroupRecord r) {
    if (r.isTombstone()) {
      return null;
    }
    Writer w = new Writer(64);
    w.i8(VERSION);
    if (r instanceof Offset o) {
      OffsetValue v = o.value();
      w.i64(v.offset()).i32(v.leaderEpoch()).str(v.metadata()).i64(v.commitTimestampMs());
    } else {
      GroupValue v = ((Group) r).value();
      w.str(v.protocolType())
          .i32(v.generation())
          .str(v.protocolName())
          .str(v.leader())
          .i64(v.stateTimestampMs())
          .i32(v.members().size());
      for (MemberValue m : v.members()) {
        w.str(m.memberId())
            .str(m.groupInstanceId())
            .str(m.clientId())
            .str(m.clientHost())
            .i32(m.rebalanceTimeoutMs())
            .i32(m.sessionTimeoutMs())
            .bytes(m.subscription())
            .bytes(m.assignment());
      }
    }
    return w.toArray();
  }

  /**
   * Decodes one record. Reads the buffers from their positions without moving them.
   *
   * @param value null for a tombstone
   * @throws UnknownRecordException if the key is not one of ours or its version is newer
   * @throws IllegalArgumentException if the bytes are truncated or malformed
   */
  public static GroupRecord decode(ByteBuffer key, ByteBuffer value) {
    if (key == null || key.remaining() < 3) {
      throw new UnknownRecordException("Record key is missing or too short");
    }
    ByteBuffer k = key.duplicate();
    byte magic = k.get();
    byte type = k.get();
    byte version = k.get();
    if (magic != MAGIC) {
      throw new UnknownRecordException("Record key magic " + magic + " is not a group record");
    }
    if (version > VERSION) {
      throw new UnknownRecordException("Record key version " + version + " is newer than known");
    }
    try {
      ByteBuffer v = value == null ? null : value.duplicate();
      if (v != null && v.get() > VERSION) {
        throw new UnknownRecordException("Record value version is newer than known");
      }
      return switch (type) {
        case TYPE_OFFSET -> {
          String group = str(k);
          String topic = str(k);
          int partition = k.getInt();
          yield new Offset(
              group,
              topic,
              partition,
              v == null ? null : new OffsetValue(v.getLong(), v.getInt(), str(v), v.getLong()));
        }
        case TYPE_GROUP -> new Group(str(k), v == null ? null : groupValue(v));
        default -> throw new UnknownRecordException("Unknown group record type " + type);
      };
    } catch (BufferUnderflowException | NullPointerException e) {
      throw new IllegalArgumentException("Truncated group record of type " + type, e);
    }
  }

  private static GroupValue groupValue(ByteBuffer v) {
    String protocolType = str(v);
    int generation = v.getInt();
    String protocolName = str(v);
    String leader = str(v);
    long stateTimestamp = v.getLong();
    int count = v.getInt();
    if (count < 0 || count > v.remaining()) {
      throw new IllegalArgumentException("Bad member count " + count);
    }
    List<MemberValue> members = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      members.add(
          new MemberValue(
              str(v), str(v), str(v), str(v), v.getInt(), v.getInt(), bytes(v), bytes(v)));
    }
    return new GroupValue(protocolType, generation, protocolName, leader, stateTimestamp, members);
  }

  private static String str(ByteBuffer b) {
    short len = b.getShort();
    if (len < 0) {
      return null;
    }
    if (len > b.remaining()) {
      throw new IllegalArgumentException("String length " + len + " exceeds the record");
    }
    if (b.hasArray()) {
      String s = new String(b.array(), b.arrayOffset() + b.position(), len, StandardCharsets.UTF_8);
      b.position(b.position() + len);
      return s;
    }
    byte[] raw = new byte[len];
    b.get(raw);
    return new String(raw, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer b) {
    int len = b.getInt();
    if (len < 0 || len > b.remaining()) {
      throw new IllegalArgumentException("Bytes length " + len + " exceeds the record");
    }
    byte[] out = new byte[len];
    b.get(out);
    return out;
  }

  /** A growable big-endian writer. */
  private static final class Writer {
    private ByteBuffer buf;

    Writer(int capacity) {
      buf = ByteBuffer.allocate(capacity);
    }

    private void ensure(int n) {
      if (buf.remaining() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n));
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
    }

    Writer i8(byte v) {
      ensure(1);
      buf.put(v);
      return this;
    }

    Writer i32(int v) {
      ensure(4);
      buf.putInt(v);
      return this;
    }

    Writer i64(long v) {
      ensure(8);
      buf.putLong(v);
      return this;
    }

    Writer str(String s) {
      if (s == null) {
        ensure(2);
        buf.putShort((short) -1);
        return this;
      }
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      if (b.length > Short.MAX_VALUE) {
        throw new IllegalArgumentException("String of " + b.length + " bytes is too long");
      }
      ensure(2 + b.length);
      buf.putShort((short) b.length);
      buf.put(b);
      return this;
    }

    Writer bytes(byte[] b) {
      ensure(4 + b.length);
      buf.putInt(b.length);
      buf.put(b);
      return this;
    }

    byte[] toArray() {
      byte[] out = new byte[buf.position()];
      System.arraycopy(buf.array(), 0, out, 0, out.length);
      return out;
    }
  }
}
