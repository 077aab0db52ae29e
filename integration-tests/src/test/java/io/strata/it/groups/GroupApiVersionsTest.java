package io.strata.it.groups;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.ops.standalone.Standalone;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every version kafka-clients knows of every group API, over a raw socket against a standalone:
 * each response must parse at its version, with the expected error codes. A response field set that
 * its version lacks would fail serialization in the broker and show up here as
 * UNKNOWN_SERVER_ERROR.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupApiVersionsTest {
  @TempDir static Path dir;
  static Standalone standalone;
  static int port;
  static Uuid topicId;

  @BeforeAll
  static void start() throws Exception {
    standalone =
        Standalone.start(
            dir.resolve("s"),
            0,
            1,
            Map.of("offsets.topic.num.partitions", "2", "group.initial.rebalance.delay.ms", "50"));
    port = standalone.broker().boundPort();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic("vt", 2, (short) 1))).all().get();
      topicId = admin.describeTopics(List.of("vt")).allTopicNames().get().get("vt").topicId();
    }
  }

  @AfterAll
  static void stop() {
    if (standalone != null) {
      standalone.close();
    }
  }

  /** One request at a time over a plain socket. */
  static final class Raw implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private int correlation;

    Raw() throws Exception {
      socket = new Socket("127.0.0.1", port);
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
    }

    @SuppressWarnings("unchecked")
    <R extends AbstractResponse> R send(AbstractRequest request) throws Exception {
      RequestHeader header =
          new RequestHeader(request.apiKey(), request.version(), "raw", ++correlation);
      ByteBuffer b = request.serializeWithHeader(header);
      out.writeInt(b.remaining());
      out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
      out.flush();
      byte[] resp = new byte[in.readInt()];
      in.readFully(resp);
      AbstractResponse r = AbstractResponse.parseResponse(ByteBuffer.wrap(resp), header);
      assertThat(r.errorCounts())
          .as("%s v%d", request.apiKey(), request.version())
          .doesNotContainKey(Errors.UNKNOWN_SERVER_ERROR);
      return (R) r;
    }

    @Override
    public void close() throws java.io.IOException {
      socket.close();
    }
  }

  static JoinGroupRequestData join(String group, String memberId) {
    JoinGroupRequestProtocolCollection ps = new JoinGroupRequestProtocolCollection();
    ps.add(new JoinGroupRequestProtocol().setName("range").setMetadata(new byte[] {0, 1}));
    return new JoinGroupRequestData()
        .setGroupId(group)
        .setMemberId(memberId)
        .setSessionTimeoutMs(10_000)
        .setRebalanceTimeoutMs(10_000)
        .setProtocolType("consumer")
        .setProtocols(ps);
  }

  /** Joins a fresh group at {@code version}; returns the join response. */
  static JoinGroupResponse joinAt(Raw raw, String group, short version) throws Exception {
    JoinGroupResponse r = raw.send(new JoinGroupRequest.Builder(join(group, "")).build(version));
    if (r.error() == Errors.MEMBER_ID_REQUIRED) {
      assertThat(version).isGreaterThanOrEqualTo((short) 4);
      r = raw.send(new JoinGroupRequest.Builder(join(group, r.data().memberId())).build(version));
    }
    assertThat(r.error()).as("JoinGroup v%d", version).isEqualTo(Errors.NONE);
    return r;
  }

  static SyncGroupResponse syncAt(Raw raw, String group, JoinGroupResponse j, short version)
      throws Exception {
    return raw.send(
        new SyncGroupRequest.Builder(
                new SyncGroupRequestData()
                    .setGroupId(group)
                    .setMemberId(j.data().memberId())
                    .setGenerationId(j.data().generationId())
                    .setProtocolType("consumer")
                    .setProtocolName("range")
                    .setAssignments(
                        List.of(
                            new SyncGroupRequestAssignment()
                                .setMemberId(j.data().memberId())
                                .setAssignment(new byte[] {7}))))
            .build(version));
  }

  @Test
  void everyVersionOfTheMembershipApis() throws Exception {
    try (Raw raw = new Raw()) {
      for (short v = ApiKeys.FIND_COORDINATOR.oldestVersion();
          v <= ApiKeys.FIND_COORDINATOR.latestVersion();
          v++) {
        FindCoordinatorRequestData d = new FindCoordinatorRequestData();
        if (v >= FindCoordinatorRequest.MIN_BATCHED_VERSION) {
          d.setCoordinatorKeys(List.of("g1", "g2"));
        } else {
          d.setKey("g1");
        }
        FindCoordinatorResponse r = raw.send(new FindCoordinatorRequest.Builder(d).build(v));
        assertThat(r.errorCounts()).as("FindCoordinator v%d", v).containsOnlyKeys(Errors.NONE);
        if (v >= 1) {
          FindCoordinatorResponse txn =
              raw.send(
                  new FindCoordinatorRequest.Builder(
                          v >= FindCoordinatorRequest.MIN_BATCHED_VERSION
                              ? new FindCoordinatorRequestData()
                                  .setKeyType((byte) 1)
                                  .setCoordinatorKeys(List.of("txn"))
                              : new FindCoordinatorRequestData().setKeyType((byte) 1).setKey("txn"))
                      .build(v));
          assertThat(txn.errorCounts()).containsOnlyKeys(Errors.COORDINATOR_NOT_AVAILABLE);
        }
      }
      for (short v = 0; v <= ApiKeys.JOIN_GROUP.latestVersion(); v++) {
        String group = "join-v" + v;
        JoinGroupResponse j = joinAt(raw, group, v);
        assertThat(j.data().generationId()).isEqualTo(1);
        assertThat(j.data().protocolName()).isEqualTo("range");
        assertThat(j.isLeader()).isTrue();
      }
      for (short v = 0; v <= ApiKeys.SYNC_GROUP.latestVersion(); v++) {
        String group = "sync-v" + v;
        JoinGroupResponse j = joinAt(raw, group, ApiKeys.JOIN_GROUP.latestVersion());
        SyncGroupResponse s = syncAt(raw, group, j, v);
        assertThat(s.error()).as("SyncGroup v%d", v).isEqualTo(Errors.NONE);
        assertThat(s.data().assignment()).containsExactly(7);
      }
      for (short v = 0; v <= ApiKeys.HEARTBEAT.latestVersion(); v++) {
        String group = "hb-v" + v;
        JoinGroupResponse j = joinAt(raw, group, ApiKeys.JOIN_GROUP.latestVersion());
        syncAt(raw, group, j, ApiKeys.SYNC_GROUP.latestVersion());
        HeartbeatResponse h =
            raw.send(
                new HeartbeatRequest.Builder(
                        new HeartbeatRequestData()
                            .setGroupId(group)
                            .setMemberId(j.data().memberId())
                            .setGenerationId(j.data().generationId()))
                    .build(v));
        assertThat(h.error()).as("Heartbeat v%d", v).isEqualTo(Errors.NONE);
        HeartbeatResponse stale =
            raw.send(
                new HeartbeatRequest.Builder(
                        new HeartbeatRequestData()
                            .setGroupId(group)
                            .setMemberId(j.data().memberId())
                            .setGenerationId(99))
                    .build(v));
        assertThat(stale.error()).isEqualTo(Errors.ILLEGAL_GENERATION);
      }
      for (short v = 0; v <= ApiKeys.LEAVE_GROUP.latestVersion(); v++) {
        String group = "leave-v" + v;
        JoinGroupResponse j = joinAt(raw, group, ApiKeys.JOIN_GROUP.latestVersion());
        syncAt(raw, group, j, ApiKeys.SYNC_GROUP.latestVersion());
        LeaveGroupResponse l =
            raw.send(
                new LeaveGroupRequest.Builder(
                        group, List.of(new MemberIdentity().setMemberId(j.data().memberId())))
                    .build(v));
        assertThat(l.topLevelError()).as("LeaveGroup v%d", v).isEqualTo(Errors.NONE);
        assertThat(l.error()).isEqualTo(Errors.NONE);
      }
    }
  }

  @Test
  void everyVersionOfTheOffsetAndAdminApis() throws Exception {
    try (Raw raw = new Raw()) {
      for (short v = ApiKeys.OFFSET_COMMIT.oldestVersion();
          v <= ApiKeys.OFFSET_COMMIT.latestVersion();
          v++) {
        String group = "commit-v" + v;
        OffsetCommitRequestData d =
            new OffsetCommitRequestData()
                .setGroupId(group)
                .setGenerationIdOrMemberEpoch(-1)
                .setMemberId("")
                .setTopics(
                    List.of(
                        new OffsetCommitRequestTopic()
                            .setName("vt")
                            .setTopicId(topicId)
                            .setPartitions(
                                List.of(
                                    new OffsetCommitRequestPartition()
                                        .setPartitionIndex(1)
                                        .setCommittedOffset(10 + v)
                                        .setCommittedMetadata("m" + v))),
                        new OffsetCommitRequestTopic()
                            .setName("no-such-topic")
                            .setTopicId(Uuid.randomUuid())
                            .setPartitions(
                                List.of(
                                    new OffsetCommitRequestPartition()
                                        .setPartitionIndex(0)
                                        .setCommittedOffset(1)))));
        OffsetCommitResponse c =
            raw.send(OffsetCommitRequest.Builder.forTopicIdsOrNames(d).build(v));
        assertThat(c.errorCounts())
            .as("OffsetCommit v%d", v)
            .containsOnlyKeys(
                Errors.NONE, v >= 10 ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
      }
      for (short v = ApiKeys.OFFSET_FETCH.oldestVersion();
          v <= ApiKeys.OFFSET_FETCH.latestVersion();
          v++) {
        String group = "commit-v" + ApiKeys.OFFSET_COMMIT.latestVersion();
        OffsetFetchRequestData d =
            new OffsetFetchRequestData()
                .setGroups(
                    List.of(
                        new OffsetFetchRequestGroup()
                            .setGroupId(group)
                            .setTopics(
                                List.of(
                                    new OffsetFetchRequestTopics()
                                        .setName("vt")
                                        .setTopicId(topicId)
                                        .setPartitionIndexes(List.of(0, 1))))));
        OffsetFetchResponse f =
            raw.send(OffsetFetchRequest.Builder.forTopicIdsOrNames(d, false).build(v));
        var g = f.group(group);
        assertThat(g.errorCode()).as("OffsetFetch v%d", v).isZero();
        var parts = g.topics().get(0).partitions();
        assertThat(parts).hasSize(2);
        var p1 = parts.stream().filter(p -> p.partitionIndex() == 1).findFirst().orElseThrow();
        assertThat(p1.committedOffset()).isEqualTo(10 + ApiKeys.OFFSET_COMMIT.latestVersion());
        if (v >= OffsetFetchRequest.TOPIC_ID_MIN_VERSION) {
          assertThat(g.topics().get(0).topicId()).isEqualTo(topicId);
        } else {
          assertThat(g.topics().get(0).name()).isEqualTo("vt");
        }
      }
      for (short v = 0; v <= ApiKeys.LIST_GROUPS.latestVersion(); v++) {
        ListGroupsResponse l =
            raw.send(new ListGroupsRequest.Builder(new ListGroupsRequestData()).build(v));
        assertThat(l.data().errorCode()).isZero();
        assertThat(l.data().groups()).extracting(x -> x.groupId()).contains("commit-v2");
      }
      for (short v = 0; v <= ApiKeys.DESCRIBE_GROUPS.latestVersion(); v++) {
        DescribeGroupsResponse d =
            raw.send(
                new DescribeGroupsRequest.Builder(
                        new DescribeGroupsRequestData().setGroups(List.of("commit-v2", "missing")))
                    .build(v));
        assertThat(d.data().groups().get(0).groupState()).isEqualTo("Empty");
        assertThat(d.data().groups().get(1).groupState()).isEqualTo("Dead");
        assertThat(d.data().groups().get(1).errorCode())
            .isEqualTo(v >= 6 ? Errors.GROUP_ID_NOT_FOUND.code() : Errors.NONE.code());
      }
      OffsetDeleteRequestTopicCollection topics = new OffsetDeleteRequestTopicCollection();
      topics.add(
          new OffsetDeleteRequestTopic()
              .setName("vt")
              .setPartitions(List.of(new OffsetDeleteRequestPartition().setPartitionIndex(1))));
      OffsetDeleteResponse od =
          raw.send(
              new OffsetDeleteRequest.Builder(
                      new OffsetDeleteRequestData().setGroupId("commit-v3").setTopics(topics))
                  .build((short) 0));
      assertThat(od.errorCounts()).containsOnlyKeys(Errors.NONE);
      for (short v = 0; v <= ApiKeys.DELETE_GROUPS.latestVersion(); v++) {
        DeleteGroupsResponse del =
            raw.send(
                new DeleteGroupsRequest.Builder(
                        new DeleteGroupsRequestData()
                            .setGroupsNames(List.of("commit-v" + (v + 4), "missing-" + v)))
                    .build(v));
        assertThat(del.get("commit-v" + (v + 4))).isEqualTo(Errors.NONE);
        assertThat(del.get("missing-" + v)).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
      }
    }
  }
}
