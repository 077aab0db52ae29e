package io.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.group.records.GroupRecord;
import io.strata.broker.group.records.GroupRecordBatches;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replaying what a shard wrote rebuilds the shard: committed offsets exactly, and every group that
 * is Stable or Empty (a rebalance in progress is not persisted; its members rejoin after a
 * failover). Random operations with a fixed seed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReplayTest {

  private int stableGroupsCompared;
  private int offsetsCompared;

  @Test
  void replayOfTheWrittenRecordsRebuildsTheShard() {
    for (long seed = 1; seed <= 20; seed++) {
      runOnce(seed);
    }
    // The random runs must have reached the interesting states, or they prove nothing.
    assertThat(stableGroupsCompared).isGreaterThan(10);
    assertThat(offsetsCompared).isGreaterThan(100);
  }

  private void runOnce(long seed) {
    Random rnd = new Random(seed);
    ShardHarness h = new ShardHarness();
    h.shard.onLoaded();
    for (int step = 0; step < 300; step++) {
      String group = "g" + rnd.nextInt(4);
      switch (rnd.nextInt(8)) {
        case 0 -> h.joinNew(group);
        case 1 ->
            h.commit("simple" + rnd.nextInt(3), "", -1, "t" + rnd.nextInt(3), rnd.nextInt(4), step);
        case 2 -> {
          var g = h.shard.group(group);
          if (g != null && !g.members().isEmpty()) {
            GroupMember m = g.members().iterator().next();
            h.leave(group, m.memberId());
          }
        }
        case 3 -> {
          var g = h.shard.group(group);
          if (g != null && g.is(GroupState.COMPLETING_REBALANCE)) {
            Map<String, byte[]> assignment = new java.util.HashMap<>();
            for (GroupMember m : g.members()) {
              assignment.put(m.memberId(), new byte[] {(byte) rnd.nextInt(100)});
            }
            h.sync(group, g.leaderId().orElseThrow(), g.generationId(), assignment);
          }
        }
        case 4 -> {
          var g = h.shard.group(group);
          if (g != null && g.is(GroupState.STABLE)) {
            GroupMember m = g.members().iterator().next();
            h.commit(group, m.memberId(), g.generationId(), "t", rnd.nextInt(4), step);
          }
        }
        case 5 -> {
          var g = h.shard.group(group);
          if (g != null && g.is(GroupState.PREPARING_REBALANCE)) {
            for (GroupMember m : List.copyOf(g.members())) {
              if (!m.isAwaitingJoin()) {
                CompletableFuture<JoinGroupResponseData> unused = h.join(group, m.memberId());
              }
            }
          }
        }
        case 6 -> {
          h.timer.advance(rnd.nextInt(8_000));
          // Most members stay alive: heartbeat all but a random one.
          int spare = rnd.nextInt(4);
          for (int i = 0; i < 4; i++) {
            var g = h.shard.group("g" + i);
            if (g != null && i != spare) {
              for (GroupMember m : List.copyOf(g.members())) {
                h.heartbeat("g" + i, m.memberId(), g.generationId());
              }
            }
          }
        }
        default -> {
          var g = h.shard.group(group);
          if (g != null) {
            for (GroupMember m : List.copyOf(g.members())) {
              h.heartbeat(group, m.memberId(), g.generationId());
            }
          }
        }
      }
    }

    // Drive every group to a resting state (Stable or Empty), the states whose whole shape is
    // persisted, so the comparison below covers them.
    for (int round = 0; round < 6; round++) {
      for (int i = 0; i < 4; i++) {
        String group = "g" + i;
        var g = h.shard.group(group);
        if (g == null) {
          continue;
        }
        if (g.is(GroupState.PREPARING_REBALANCE)) {
          for (GroupMember m : List.copyOf(g.members())) {
            if (!m.isAwaitingJoin()) {
              h.join(group, m.memberId());
            }
          }
        } else if (g.is(GroupState.COMPLETING_REBALANCE)) {
          Map<String, byte[]> assignment = new java.util.HashMap<>();
          for (GroupMember m : g.members()) {
            assignment.put(m.memberId(), new byte[] {(byte) round});
          }
          h.sync(group, g.leaderId().orElseThrow(), g.generationId(), assignment);
        }
      }
      h.timer.advance(h.config.initialRebalanceDelayMs());
    }

    // Through the real batch encoding, as the log would hold it.
    List<ByteBuffer> batches = GroupRecordBatches.encode(h.sink.durable, 1_000L, 4096);
    ShardHarness replayed = new ShardHarness();
    for (ByteBuffer b : batches) {
      GroupRecordBatches.forEach(
          b,
          new GroupRecordBatches.Visitor() {
            @Override
            public void record(long offset, GroupRecord record) {
              replayed.shard.replay(record);
            }

            @Override
            public void unknown(long offset, String why) {
              throw new AssertionError(why);
            }
          });
    }
    Set<GroupRecord> live = comparable(h.shard);
    Set<GroupRecord> rebuilt = comparable(replayed.shard);
    assertThat(rebuilt).as("seed %d", seed).containsAll(live);
    assertThat(offsets(replayed.shard)).as("seed %d", seed).isEqualTo(offsets(h.shard));
    offsetsCompared += offsets(h.shard).size();
    for (GroupRecord r : live) {
      if (r instanceof GroupRecord.Group g && h.shard.group(g.groupId()).is(GroupState.STABLE)) {
        stableGroupsCompared++;
      }
    }
  }

  /** Offsets, plus groups whose whole state is persisted (Stable or Empty). */
  private static Set<GroupRecord> comparable(GroupShard shard) {
    Set<GroupRecord> out = new HashSet<>();
    for (GroupRecord r : shard.snapshot()) {
      if (r instanceof GroupRecord.Group g) {
        ClassicGroup live = shard.group(g.groupId());
        if (!(live.is(GroupState.STABLE) || live.is(GroupState.EMPTY))) {
          continue;
        }
        if (!g.value().members().isEmpty()) {
          // Only an empty group's state timestamp matters (offset retention counts from it).
          var v = g.value();
          r =
              new GroupRecord.Group(
                  g.groupId(),
                  new GroupRecord.GroupValue(
                      v.protocolType(),
                      v.generation(),
                      v.protocolName(),
                      v.leader(),
                      0L,
                      v.members()));
        }
      }
      out.add(r);
    }
    return out;
  }

  private static Set<GroupRecord> offsets(GroupShard shard) {
    Set<GroupRecord> out = new HashSet<>();
    for (GroupRecord r : shard.snapshot()) {
      if (r instanceof GroupRecord.Offset) {
        out.add(r);
      }
    }
    return out;
  }
}
