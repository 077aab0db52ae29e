package io.strata.broker.group;

import static io.strata.broker.group.ShardHarness.REBALANCE_MS;
import static io.strata.broker.group.ShardHarness.SESSION_MS;
import static io.strata.broker.group.ShardHarness.joinRequest;
import static io.strata.broker.group.ShardHarness.subscription;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.group.records.GroupRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The classic group protocol as pure logic, on a fake clock. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupMembershipTest {
  private final ShardHarness h = new ShardHarness();

  @Test
  void firstJoinNeedsAMemberIdThenWaitsTheInitialDelay() {
    JoinGroupResponseData first = h.join("g", "").join();
    assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.MEMBER_ID_REQUIRED);
    assertThat(first.memberId()).startsWith("client-");

    CompletableFuture<JoinGroupResponseData> second = h.join("g", first.memberId());
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    h.timer.advance(h.config.initialRebalanceDelayMs() - 1);
    assertThat(second).isNotDone();
    h.timer.advance(1);

    JoinGroupResponseData j = second.join();
    assertThat(Errors.forCode(j.errorCode())).isEqualTo(Errors.NONE);
    assertThat(j.generationId()).isEqualTo(1);
    assertThat(j.leader()).isEqualTo(first.memberId());
    assertThat(j.protocolName()).isEqualTo("range");
    assertThat(j.members()).hasSize(1);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.COMPLETING_REBALANCE);
  }

  @Test
  void oldClientsJoinInOneStep() {
    JoinGroupResponseData j = joinAfterDelay(h.join(joinRequest("g", "", null), (short) 3));
    assertThat(Errors.forCode(j.errorCode())).isEqualTo(Errors.NONE);
    assertThat(j.generationId()).isEqualTo(1);
  }

  @Test
  void leaderSyncMakesTheGroupStableOnlyOnceTheAssignmentIsDurable() {
    CompletableFuture<JoinGroupResponseData> a = h.joinNew("g");
    CompletableFuture<JoinGroupResponseData> b = h.joinNew("g");
    h.settle(a, b);
    JoinGroupResponseData ja = a.join();
    JoinGroupResponseData jb = b.join();
    assertThat(ja.generationId()).isEqualTo(jb.generationId()).isEqualTo(1);
    JoinGroupResponseData leader = ja.members().isEmpty() ? jb : ja;
    JoinGroupResponseData follower = leader == ja ? jb : ja;
    assertThat(leader.members()).hasSize(2);
    assertThat(follower.members()).isEmpty();

    CompletableFuture<SyncGroupResponseData> followerSync =
        h.sync("g", follower.memberId(), 1, Map.of());
    assertThat(followerSync).isNotDone();
    h.sink.hold();
    CompletableFuture<SyncGroupResponseData> leaderSync =
        h.sync(
            "g",
            leader.memberId(),
            1,
            Map.of(leader.memberId(), new byte[] {1}, follower.memberId(), new byte[] {2}));
    assertThat(leaderSync).isNotDone();
    assertThat(followerSync).isNotDone();
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.COMPLETING_REBALANCE);

    h.sink.flush();
    assertThat(leaderSync.join().assignment()).containsExactly(1);
    assertThat(followerSync.join().assignment()).containsExactly(2);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.STABLE);
    assertThat(h.sink.durable).hasSize(1).first().isInstanceOf(GroupRecord.Group.class);
  }

  @Test
  void aNewMemberTriggersARebalanceThatWaitsForTheOldOnes() {
    String a = h.stableSingleMember("g");
    CompletableFuture<JoinGroupResponseData> b = h.joinNew("g");
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    assertThat(h.heartbeat("g", a, 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
    assertThat(b).isNotDone();

    CompletableFuture<JoinGroupResponseData> a2 = h.join("g", a);
    JoinGroupResponseData ja = a2.join();
    JoinGroupResponseData jb = b.join();
    assertThat(ja.generationId()).isEqualTo(2);
    assertThat(jb.generationId()).isEqualTo(2);
    assertThat(ja.leader()).isEqualTo(a);
  }

  @Test
  void aMemberThatDoesNotRejoinIsDroppedAfterTheRebalanceTimeout() {
    String a = h.stableSingleMember("g");
    CompletableFuture<JoinGroupResponseData> b = h.joinNew("g");
    // a keeps heartbeating but never rejoins
    for (int i = 0; i < REBALANCE_MS / 3000; i++) {
      h.timer.advance(3000);
      h.heartbeat("g", a, 1);
    }
    h.timer.advance(REBALANCE_MS);
    JoinGroupResponseData jb = b.join();
    assertThat(jb.generationId()).isEqualTo(2);
    assertThat(h.shard.group("g").hasMember(a)).isFalse();
    assertThat(h.heartbeat("g", a, 2)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
  }

  @Test
  void aSilentMemberIsExpelledAfterItsSessionTimeout() {
    String a = h.stableSingleMember("g");
    h.timer.advance(SESSION_MS - 1);
    assertThat(h.heartbeat("g", a, 1)).isEqualTo(Errors.NONE);
    h.timer.advance(SESSION_MS - 1);
    assertThat(h.shard.group("g").hasMember(a)).isTrue();
    h.timer.advance(1);
    assertThat(h.shard.group("g").hasMember(a)).isFalse();
    // Last member gone: the join phase completes at once and the group is empty, durably.
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.EMPTY);
    assertThat(h.shard.group("g").generationId()).isEqualTo(2);
    GroupRecord.Group last = (GroupRecord.Group) h.sink.durable.get(h.sink.durable.size() - 1);
    assertThat(last.value().members()).isEmpty();
  }

  @Test
  void leaveGroupRebalancesAtOnce() {
    CompletableFuture<JoinGroupResponseData> fa = h.joinNew("g");
    CompletableFuture<JoinGroupResponseData> fb = h.joinNew("g");
    h.settle(fa, fb);
    String a = fa.join().memberId();
    String b = fb.join().memberId();
    String leader = fa.join().leader();
    h.sync("g", leader, 1, Map.of(a, new byte[] {1}, b, new byte[] {2}));
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.STABLE);

    LeaveGroupResponseData left = h.leave("g", b);
    assertThat(left.members()).hasSize(1);
    assertThat(left.members().get(0).errorCode()).isZero();
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    JoinGroupResponseData again = h.join("g", a).join();
    assertThat(again.generationId()).isEqualTo(2);
    assertThat(again.members()).hasSize(1);
  }

  @Test
  void batchedLeaveReportsEachMember() {
    String a = h.stableSingleMember("g");
    CompletableFuture<LeaveGroupResponseData> f = new CompletableFuture<>();
    h.shard.leaveGroup(
        "g",
        List.of(
            new MemberIdentity().setMemberId(a),
            new MemberIdentity().setMemberId("nobody"),
            new MemberIdentity().setMemberId("").setGroupInstanceId("no-such-instance")),
        f);
    assertThat(f.join().members())
        .extracting(m -> Errors.forCode(m.errorCode()))
        .containsExactly(Errors.NONE, Errors.UNKNOWN_MEMBER_ID, Errors.UNKNOWN_MEMBER_ID);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.EMPTY);
  }

  @Test
  void staticMemberRejoinGetsItsAssignmentBackWithoutARebalance() {
    CompletableFuture<JoinGroupResponseData> fa =
        h.join(joinRequest("g", "", "instance-a"), (short) 9);
    CompletableFuture<JoinGroupResponseData> fb =
        h.join(joinRequest("g", "", "instance-b"), (short) 9);
    h.settle(fa, fb);
    JoinGroupResponseData ja = fa.join();
    JoinGroupResponseData jb = fb.join();
    assertThat(ja.memberId()).startsWith("instance-a-");
    h.sync(
        "g", ja.leader(), 1, Map.of(ja.memberId(), new byte[] {1}, jb.memberId(), new byte[] {2}));
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.STABLE);

    // instance-b restarts: it has lost its member id
    JoinGroupResponseData rejoined = h.join(joinRequest("g", "", "instance-b"), (short) 9).join();
    assertThat(Errors.forCode(rejoined.errorCode())).isEqualTo(Errors.NONE);
    assertThat(rejoined.memberId()).isNotEqualTo(jb.memberId()).startsWith("instance-b-");
    assertThat(rejoined.generationId()).isEqualTo(1);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.STABLE);
    SyncGroupResponseData s = h.sync("g", rejoined.memberId(), "instance-b", 1).join();
    assertThat(s.assignment()).containsExactly(2);
    // The old incarnation is fenced.
    assertThat(h.heartbeat("g", jb.memberId(), "instance-b", 1))
        .isEqualTo(Errors.FENCED_INSTANCE_ID);
    assertThat(h.heartbeat("g", ja.memberId(), "instance-a", 1)).isEqualTo(Errors.NONE);
  }

  @Test
  void staticLeaderRejoinSkipsAssignmentOnV9() {
    CompletableFuture<JoinGroupResponseData> fa =
        h.join(joinRequest("g", "", "instance-a"), (short) 9);
    h.settle(fa);
    JoinGroupResponseData ja = fa.join();
    h.sync("g", ja.memberId(), 1, Map.of(ja.memberId(), new byte[] {7}));
    JoinGroupResponseData again = h.join(joinRequest("g", "", "instance-a"), (short) 9).join();
    assertThat(again.skipAssignment()).isTrue();
    assertThat(again.leader()).isEqualTo(again.memberId());
    JoinGroupResponseData old = h.join(joinRequest("g", "", "instance-a"), (short) 8).join();
    assertThat(old.skipAssignment()).isFalse();
    assertThat(old.leader()).isEqualTo(again.memberId()).isNotEqualTo(old.memberId());
    assertThat(old.members()).isEmpty();
  }

  @Test
  void staticMemberThatStaysAwayIsRemovedBySessionTimeoutNotByRebalance() {
    CompletableFuture<JoinGroupResponseData> fa =
        h.join(joinRequest("g", "", "instance-a"), (short) 9);
    h.settle(fa);
    JoinGroupResponseData ja = fa.join();
    h.sync("g", ja.memberId(), 1, Map.of(ja.memberId(), new byte[] {7}));
    h.timer.advance(SESSION_MS);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.EMPTY);
  }

  @Test
  void errorsOfStaleOrUnknownMembers() {
    String a = h.stableSingleMember("g");
    assertThat(h.heartbeat("g", a, 0)).isEqualTo(Errors.ILLEGAL_GENERATION);
    assertThat(h.heartbeat("g", "ghost", 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    assertThat(h.heartbeat("nogroup", a, 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    assertThat(Errors.forCode(h.sync("g", a, 5, Map.of()).join().errorCode()))
        .isEqualTo(Errors.ILLEGAL_GENERATION);
    assertThat(Errors.forCode(h.join("nogroup", "someone").join().errorCode()))
        .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    assertThat(h.shard.group("nogroup")).isNull();
  }

  @Test
  void syncDuringPreparingRebalanceAsksToRejoin() {
    String a = h.stableSingleMember("g");
    h.joinNew("g");
    assertThat(Errors.forCode(h.sync("g", a, 1, Map.of()).join().errorCode()))
        .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
  }

  @Test
  void protocolIsChosenByVoteAmongThoseAllSupport() {
    Map<String, byte[]> rangeFirst = new LinkedHashMap<>();
    rangeFirst.put("range", subscription("t"));
    rangeFirst.put("cooperative-sticky", subscription("t"));
    Map<String, byte[]> stickyFirst = new LinkedHashMap<>();
    stickyFirst.put("cooperative-sticky", subscription("t"));
    stickyFirst.put("range", subscription("t"));
    CompletableFuture<JoinGroupResponseData> a =
        h.join(joinRequest("g", "", null, stickyFirst), (short) 3);
    CompletableFuture<JoinGroupResponseData> b =
        h.join(joinRequest("g", "", null, stickyFirst), (short) 3);
    CompletableFuture<JoinGroupResponseData> c =
        h.join(joinRequest("g", "", null, rangeFirst), (short) 3);
    h.settle(a, b, c);
    assertThat(a.join().protocolName()).isEqualTo("cooperative-sticky");
    assertThat(c.join().protocolName()).isEqualTo("cooperative-sticky");
    assertThat(b.join().errorCode()).isZero();

    JoinGroupResponseData incompatible =
        h.join(joinRequest("g", "", null, Map.of("roundrobin", subscription("t"))), (short) 3)
            .join();
    assertThat(Errors.forCode(incompatible.errorCode()))
        .isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
  }

  @Test
  void initialRebalanceIsExtendedWhileMembersKeepArriving() {
    int delay = h.config.initialRebalanceDelayMs();
    CompletableFuture<JoinGroupResponseData> a = h.joinNew("g");
    h.timer.advance(delay - 100);
    CompletableFuture<JoinGroupResponseData> b = h.joinNew("g");
    h.timer.advance(100);
    assertThat(a).isNotDone();
    h.timer.advance(delay);
    assertThat(a.join().generationId()).isEqualTo(1);
    assertThat(b.join().generationId()).isEqualTo(1);
    assertThat(a.join().members().size() + b.join().members().size()).isEqualTo(2);
  }

  @Test
  void invalidSessionTimeoutAndGroupId() {
    assertThat(
            Errors.forCode(
                h.join(joinRequest("g", "", null).setSessionTimeoutMs(10), (short) 9)
                    .join()
                    .errorCode()))
        .isEqualTo(Errors.INVALID_SESSION_TIMEOUT);
    assertThat(Errors.forCode(h.join("", "").join().errorCode()))
        .isEqualTo(Errors.INVALID_GROUP_ID);
  }

  @Test
  void groupMaxSizeIsEnforced() {
    GroupConfig d = GroupConfig.defaults();
    ShardHarness small =
        new ShardHarness(
            new GroupConfig(
                d.minSessionTimeoutMs(),
                d.maxSessionTimeoutMs(),
                d.initialRebalanceDelayMs(),
                1,
                d.newMemberJoinTimeoutMs(),
                d.offsetsRetentionMs(),
                d.offsetsRetentionCheckIntervalMs(),
                d.offsetMetadataMaxBytes()));
    small.join(joinRequest("g", "", null), (short) 3);
    JoinGroupResponseData second = small.join(joinRequest("g", "", null), (short) 3).join();
    assertThat(Errors.forCode(second.errorCode())).isEqualTo(Errors.GROUP_MAX_SIZE_REACHED);
  }

  @Test
  void aMemberIdRequiredMemberThatNeverReturnsIsForgotten() {
    JoinGroupResponseData first = h.join("g", "").join();
    assertThat(h.shard.group("g")).isNotNull();
    h.timer.advance(SESSION_MS);
    JoinGroupResponseData late = h.join("g", first.memberId()).join();
    assertThat(Errors.forCode(late.errorCode())).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
  }

  @Test
  void unloadAnswersParkedRequests() {
    CompletableFuture<JoinGroupResponseData> a = h.joinNew("g");
    h.shard.unload(Errors.NOT_COORDINATOR);
    assertThat(Errors.forCode(a.join().errorCode())).isEqualTo(Errors.NOT_COORDINATOR);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.DEAD);
  }

  private JoinGroupResponseData joinAfterDelay(CompletableFuture<JoinGroupResponseData> f) {
    h.timer.advance(h.config.initialRebalanceDelayMs());
    return f.join();
  }
}
