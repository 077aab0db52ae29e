package io.strata.broker.group;

import static io.strata.broker.group.ShardHarness.commitError;
import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.group.records.GroupRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Offsets, group administration, retention and durability of one shard, on a fake clock. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OffsetManagerTest {
  private final ShardHarness h = new ShardHarness();

  @Test
  void membersCommitAndFetch() {
    String a = h.stableSingleMember("g");
    assertThat(commitError(h.commit("g", a, 1, "t", 0, 42).join())).isEqualTo(Errors.NONE);
    assertThat(h.committed("g", "t", 0)).isEqualTo(42);
    assertThat(h.committed("g", "t", 1)).isEqualTo(-1);
    assertThat(commitError(h.commit("g", a, 0, "t", 0, 43).join()))
        .isEqualTo(Errors.ILLEGAL_GENERATION);
    assertThat(commitError(h.commit("g", "ghost", 1, "t", 0, 43).join()))
        .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    assertThat(commitError(h.commit("g", "", -1, "t", 0, 43).join()))
        .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    assertThat(h.committed("g", "t", 0)).isEqualTo(42);
  }

  @Test
  void commitDuringCompletingRebalanceAsksToWait() {
    CompletableFuture<JoinGroupResponseData> f = h.joinNew("g");
    h.settle(f);
    JoinGroupResponseData j = f.join();
    assertThat(commitError(h.commit("g", j.memberId(), 1, "t", 0, 1).join()))
        .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
  }

  @Test
  void simpleConsumersAndAdminsCommitWithoutMembership() {
    assertThat(commitError(h.commit("simple", "", -1, "t", 3, 7).join())).isEqualTo(Errors.NONE);
    assertThat(h.committed("simple", "t", 3)).isEqualTo(7);
    assertThat(h.shard.group("simple").state()).isEqualTo(GroupState.EMPTY);
    assertThat(commitError(h.commit("other", "m", 4, "t", 0, 1).join()))
        .isEqualTo(Errors.GROUP_ID_NOT_FOUND);
  }

  @Test
  void aCommitAnswersOnlyOnceDurableAndAFetchWaitsForEarlierWrites() {
    h.sink.hold();
    CompletableFuture<OffsetCommitResponseData> c = h.commit("simple", "", -1, "t", 0, 5);
    CompletableFuture<OffsetFetchResponseGroup> fetched = new CompletableFuture<>();
    h.shard.fetchOffsets("simple", null, fetched);
    assertThat(c).isNotDone();
    assertThat(fetched).isNotDone();
    h.sink.flush();
    assertThat(commitError(c.join())).isEqualTo(Errors.NONE);
    assertThat(fetched.join().topics().get(0).partitions().get(0).committedOffset()).isEqualTo(5);
  }

  @Test
  void aFailedAppendFailsTheResponsesThatDependOnIt() {
    h.sink.hold();
    CompletableFuture<OffsetCommitResponseData> c = h.commit("simple", "", -1, "t", 0, 5);
    CompletableFuture<OffsetFetchResponseGroup> fetched = new CompletableFuture<>();
    h.shard.fetchOffsets("simple", null, fetched);
    h.sink.fail(new NotCoordinatorException("moved"));
    assertThat(c).isCompletedExceptionally();
    assertThat(fetched).isCompletedExceptionally();
  }

  @Test
  void metadataTooLargeIsRefusedPerPartition() {
    String big = "x".repeat(h.config.offsetMetadataMaxBytes() + 1);
    CompletableFuture<OffsetCommitResponseData> f = new CompletableFuture<>();
    h.shard.commitOffsets(
        new RequestInfo("c", "/h", (short) 9),
        new org.apache.kafka.common.message.OffsetCommitRequestData()
            .setGroupId("simple")
            .setGenerationIdOrMemberEpoch(-1)
            .setMemberId("")
            .setTopics(
                List.of(
                    new org.apache.kafka.common.message.OffsetCommitRequestData
                            .OffsetCommitRequestTopic()
                        .setName("t")
                        .setPartitions(
                            List.of(
                                new org.apache.kafka.common.message.OffsetCommitRequestData
                                        .OffsetCommitRequestPartition()
                                    .setPartitionIndex(0)
                                    .setCommittedOffset(1)
                                    .setCommittedMetadata(big))))),
        f);
    assertThat(commitError(f.join())).isEqualTo(Errors.OFFSET_METADATA_TOO_LARGE);
    assertThat(h.shard.group("simple")).isNull();
  }

  @Test
  void deleteGroupsRefusesActiveGroupsAndDeletesEmptyOnesWithTheirOffsets() {
    String a = h.stableSingleMember("g");
    h.commit("g", a, 1, "t", 0, 10).join();
    assertThat(deleteGroups("g", "nope"))
        .extracting(r -> Errors.forCode(r.errorCode()))
        .containsExactly(Errors.NON_EMPTY_GROUP, Errors.GROUP_ID_NOT_FOUND);
    h.leave("g", a);
    assertThat(h.shard.group("g").state()).isEqualTo(GroupState.EMPTY);
    assertThat(deleteGroups("g"))
        .extracting(DeletableGroupResult::errorCode)
        .containsExactly((short) 0);
    assertThat(h.shard.group("g")).isNull();
    assertThat(h.committed("g", "t", 0)).isEqualTo(-1);
    List<GroupRecord> last =
        h.sink.durable.subList(h.sink.durable.size() - 2, h.sink.durable.size());
    assertThat(last).allMatch(GroupRecord::isTombstone);
  }

  @Test
  void offsetDeleteRefusesSubscribedTopicsOfActiveGroups() {
    String a = h.stableSingleMember("g");
    h.commit("g", a, 1, "t", 0, 10).join();
    h.commit("g", a, 1, "other", 0, 11).join();
    OffsetDeleteResponseData r = offsetDelete("g", "t", "other");
    assertThat(r.errorCode()).isZero();
    assertThat(r.topics().find("t").partitions().find(0).errorCode())
        .isEqualTo(Errors.GROUP_SUBSCRIBED_TO_TOPIC.code());
    assertThat(r.topics().find("other").partitions().find(0).errorCode()).isZero();
    assertThat(h.committed("g", "other", 0)).isEqualTo(-1);
    assertThat(h.committed("g", "t", 0)).isEqualTo(10);
    assertThat(offsetDelete("missing", "t").errorCode())
        .isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
  }

  @Test
  void offsetsOfAnEmptyGroupExpireAfterRetentionThenTheGroupGoes() {
    h.shard.onLoaded();
    String a = h.stableSingleMember("g");
    h.commit("g", a, 1, "t", 0, 10).join();
    h.leave("g", a);
    long retention = h.config.offsetsRetentionMs();
    h.timer.advance(retention - h.config.offsetsRetentionCheckIntervalMs());
    assertThat(h.committed("g", "t", 0)).isEqualTo(10);
    h.timer.advance(2 * h.config.offsetsRetentionCheckIntervalMs());
    assertThat(h.committed("g", "t", 0)).isEqualTo(-1);
    assertThat(h.shard.group("g")).isNull();
  }

  @Test
  void offsetsOfAGroupWithMembersNeverExpire() {
    h.shard.onLoaded();
    String a = h.stableSingleMember("g");
    h.commit("g", a, 1, "t", 0, 10).join();
    for (long t = 0; t < h.config.offsetsRetentionMs() * 2; t += 5_000) {
      h.timer.advance(5_000);
      assertThat(h.heartbeat("g", a, 1)).isEqualTo(Errors.NONE);
    }
    h.shard.expireOffsets();
    assertThat(h.committed("g", "t", 0)).isEqualTo(10);
  }

  @Test
  void listAndDescribe() {
    String a = h.stableSingleMember("g");
    h.commit("simple", "", -1, "t", 0, 1).join();
    CompletableFuture<List<ListedGroup>> listed = new CompletableFuture<>();
    h.shard.listGroups(java.util.Set.of(), java.util.Set.of(), listed);
    assertThat(listed.join())
        .extracting(ListedGroup::groupId, ListedGroup::groupState, ListedGroup::protocolType)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("g", "Stable", "consumer"),
            org.assertj.core.groups.Tuple.tuple("simple", "Empty", ""));
    CompletableFuture<List<ListedGroup>> stableOnly = new CompletableFuture<>();
    h.shard.listGroups(java.util.Set.of("stable"), java.util.Set.of(), stableOnly);
    assertThat(stableOnly.join()).extracting(ListedGroup::groupId).containsExactly("g");
    CompletableFuture<List<ListedGroup>> consumerType = new CompletableFuture<>();
    h.shard.listGroups(java.util.Set.of(), java.util.Set.of("consumer"), consumerType);
    assertThat(consumerType.join()).isEmpty();

    CompletableFuture<List<DescribedGroup>> described = new CompletableFuture<>();
    h.shard.describeGroups(List.of("g", "missing"), described);
    DescribedGroup g = described.join().get(0);
    assertThat(g.groupState()).isEqualTo("Stable");
    assertThat(g.protocolData()).isEqualTo("range");
    assertThat(g.members()).hasSize(1);
    assertThat(g.members().get(0).memberId()).isEqualTo(a);
    assertThat(g.members().get(0).memberAssignment()).containsExactly(1);
    assertThat(g.members().get(0).clientHost()).isEqualTo("/127.0.0.1");
    assertThat(described.join().get(1).groupState()).isEqualTo("Dead");
    assertThat(described.join().get(1).errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
  }

  private List<DeletableGroupResult> deleteGroups(String... ids) {
    CompletableFuture<List<DeletableGroupResult>> f = new CompletableFuture<>();
    h.shard.deleteGroups(List.of(ids), f);
    return f.join();
  }

  private OffsetDeleteResponseData offsetDelete(String group, String... topics) {
    OffsetDeleteRequestTopicCollection c = new OffsetDeleteRequestTopicCollection();
    for (String t : topics) {
      c.add(
          new OffsetDeleteRequestTopic()
              .setName(t)
              .setPartitions(List.of(new OffsetDeleteRequestPartition().setPartitionIndex(0))));
    }
    CompletableFuture<OffsetDeleteResponseData> f = new CompletableFuture<>();
    h.shard.deleteOffsets(new OffsetDeleteRequestData().setGroupId(group).setTopics(c), f);
    return f.join();
  }
}
