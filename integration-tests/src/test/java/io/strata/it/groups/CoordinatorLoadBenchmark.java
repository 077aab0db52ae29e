package io.strata.it.groups;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.RequestInfo;
import io.strata.broker.group.runtime.ShardRuntime;
import io.strata.ops.standalone.Standalone;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Coordinator load time after a restart: a standalone gets {@code groups} groups (each with one
 * member, joined and synced, so each has a group record) and {@code commits} offset commits (one
 * record each, {@code partitions} partitions per commit request), written through the real
 * coordinator runtime into {@code __consumer_offsets} on the bookie. The standalone is then
 * restarted on the same data directory and the time until every coordinator partition serves is
 * measured — once with the default checkpointing (bounded replay), once with checkpoints disabled
 * (the whole history is replayed).
 *
 * <pre>
 * mvn -B -pl integration-tests -am verify -Dtest=CoordinatorLoadBenchmark \
 *     -Dstrata.test.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dbench.groups=10000 -Dbench.commits=1000000]
 * cat integration-tests/target/coordinator-load-benchmark.md
 * </pre>
 *
 * The requests enter the coordinator in-process (no network), so the figure is the coordinator's:
 * appends to and reads from the bookie, decoding, and rebuilding state.
 */
@Tag("bench")
@Timeout(value = 60, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CoordinatorLoadBenchmark {
  private static final String TOPIC = "bench-topic";
  private static final int SESSION_MS = 1_800_000;

  record Row(
      String scenario,
      double writeSeconds,
      long logRecords,
      long replayedRecords,
      long replayedBytes,
      long maxShardLoadMs,
      long replayCpuMs,
      long untilServingMs,
      int groups,
      int offsets) {}

  @Test
  void coordinatorLoadTime() throws Exception {
    main(new String[0]);
  }

  public static void main(String[] args) throws Exception {
    int groups = Integer.getInteger("bench.groups", 10_000);
    int commits = Integer.getInteger("bench.commits", 1_000_000);
    int partitions = Integer.getInteger("bench.partitions", 10);
    Path base = Files.createTempDirectory("coordinator-load-bench");
    List<Row> rows = new ArrayList<>();
    rows.add(
        scenario(
            "checkpoints on (default: 1 MiB, 2x live state)",
            base.resolve("a"),
            Map.of(),
            groups,
            commits,
            partitions));
    rows.add(
        scenario(
            "checkpoints off (full replay)",
            base.resolve("b"),
            Map.of("strata.offsets.checkpoint.interval.bytes", String.valueOf(Long.MAX_VALUE)),
            groups,
            commits,
            partitions));
    String table = table(groups, commits, partitions, rows);
    System.out.println(table);
    Path out = Path.of("target", "coordinator-load-benchmark.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table, StandardCharsets.UTF_8);
    deleteRecursively(base);
  }

  static Row scenario(
      String name, Path dir, Map<String, String> extra, int groups, int commits, int partitions)
      throws Exception {
    Map<String, String> overrides = new HashMap<>(extra);
    overrides.put("group.initial.rebalance.delay.ms", "0");
    Standalone s = Standalone.start(dir, 0, 1, overrides);
    GroupCoordinator gc = s.broker().groupCoordinator();
    gc.coordinatorFor("any").get(60, TimeUnit.SECONDS);
    awaitServing(gc);

    long started = System.nanoTime();
    String[] members = new String[groups];
    Semaphore inFlight = new Semaphore(1000);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    for (int g = 0; g < groups; g++) {
      int i = g;
      inFlight.acquire();
      joinAndSync(gc, group(i))
          .whenComplete(
              (m, t) -> {
                if (t != null) {
                  failed.compareAndSet(null, t);
                } else {
                  members[i] = m;
                }
                inFlight.release();
              });
    }
    inFlight.acquire(1000);
    inFlight.release(1000);
    check(failed);
    int requests = commits / partitions;
    for (int r = 0; r < requests; r++) {
      int g = r % groups;
      long offset = r / groups;
      inFlight.acquire();
      commit(gc, group(g), members[g], partitions, offset)
          .whenComplete(
              (resp, t) -> {
                if (t == null) {
                  for (var topic : resp.topics()) {
                    for (var p : topic.partitions()) {
                      if (p.errorCode() != 0) {
                        t = Errors.forCode(p.errorCode()).exception();
                      }
                    }
                  }
                }
                if (t != null) {
                  failed.compareAndSet(null, t);
                }
                inFlight.release();
              });
    }
    inFlight.acquire(1000);
    inFlight.release(1000);
    check(failed);
    double writeSeconds = (System.nanoTime() - started) / 1e9;
    long expectedLast = (requests - 1) / groups;
    s.close();

    long t0 = System.nanoTime();
    Standalone again = Standalone.start(dir, 0, 1, overrides);
    GroupCoordinator gc2 = again.broker().groupCoordinator();
    awaitServing(gc2);
    long untilServingMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    List<ShardRuntime.LoadStats> loads = new ArrayList<>();
    gc2.shards().forEach(sh -> loads.add(sh.lastLoad()));
    // Spot-check: group 0's last committed offset survived.
    OffsetFetchResponseGroup fetched =
        gc2.<OffsetFetchResponseGroup>run(
                group(0), (shard, out) -> shard.fetchOffsets(group(0), null, out))
            .get(60, TimeUnit.SECONDS);
    long got = fetched.topics().get(0).partitions().get(0).committedOffset();
    if (got != expectedLast) {
      throw new AssertionError(
          "group 0 offset after restart: " + got + ", expected " + expectedLast);
    }
    long logRecords = 0;
    for (var p : again.broker().partitions().online()) {
      if (p.id().topic().equals(GroupCoordinator.TOPIC)) {
        logRecords += p.log().highWatermark() - p.log().logStartOffset();
      }
    }
    again.close();
    return new Row(
        name,
        writeSeconds,
        logRecords,
        loads.stream().mapToLong(ShardRuntime.LoadStats::records).sum(),
        loads.stream().mapToLong(ShardRuntime.LoadStats::bytes).sum(),
        loads.stream()
            .max(Comparator.comparingLong(ShardRuntime.LoadStats::millis))
            .orElseThrow()
            .millis(),
        loads.stream().mapToLong(ShardRuntime.LoadStats::replayCpuMillis).sum(),
        untilServingMs,
        loads.stream().mapToInt(ShardRuntime.LoadStats::groups).sum(),
        loads.stream().mapToInt(ShardRuntime.LoadStats::offsets).sum());
  }

  private static void check(AtomicReference<Throwable> failed) {
    if (failed.get() != null) {
      throw new AssertionError("a coordinator request failed", failed.get());
    }
  }

  private static String group(int i) {
    return String.format(Locale.ROOT, "bench-group-%05d", i);
  }

  private static void awaitServing(GroupCoordinator gc) throws InterruptedException {
    int want = gc.settings().numPartitions();
    long deadline = System.currentTimeMillis() + 600_000;
    while (System.currentTimeMillis() < deadline) {
      List<ShardRuntime> shards = gc.shards();
      if (shards.size() == want
          && shards.stream().allMatch(sh -> sh.state() == ShardRuntime.State.ACTIVE)) {
        return;
      }
      Thread.sleep(10); // polling a state, not synchronising with it
    }
    throw new AssertionError("coordinator partitions did not all load");
  }

  /** One member joins (JoinGroup v3: no member-id round trip) and syncs; returns its id. */
  private static CompletableFuture<String> joinAndSync(GroupCoordinator gc, String group) {
    RequestInfo info = new RequestInfo("bench", "/127.0.0.1", (short) 3);
    JoinGroupRequestProtocolCollection protocols = new JoinGroupRequestProtocolCollection();
    protocols.add(new JoinGroupRequestProtocol().setName("range").setMetadata(new byte[24]));
    JoinGroupRequestData join =
        new JoinGroupRequestData()
            .setGroupId(group)
            .setMemberId("")
            .setSessionTimeoutMs(SESSION_MS)
            .setRebalanceTimeoutMs(60_000)
            .setProtocolType("consumer")
            .setProtocols(protocols);
    return gc.<JoinGroupResponseData>run(group, (shard, out) -> shard.joinGroup(info, join, out))
        .thenCompose(
            j -> {
              if (j.errorCode() != 0) {
                throw Errors.forCode(j.errorCode()).exception();
              }
              SyncGroupRequestData sync =
                  new SyncGroupRequestData()
                      .setGroupId(group)
                      .setMemberId(j.memberId())
                      .setGenerationId(j.generationId())
                      .setAssignments(
                          List.of(
                              new SyncGroupRequestAssignment()
                                  .setMemberId(j.memberId())
                                  .setAssignment(new byte[40])));
              return gc.<SyncGroupResponseData>run(
                      group, (shard, out) -> shard.syncGroup(sync, out))
                  .thenApply(
                      sr -> {
                        if (sr.errorCode() != 0) {
                          throw Errors.forCode(sr.errorCode()).exception();
                        }
                        return j.memberId();
                      });
            });
  }

  private static CompletableFuture<OffsetCommitResponseData> commit(
      GroupCoordinator gc, String group, String member, int partitions, long offset) {
    List<OffsetCommitRequestPartition> parts = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      parts.add(
          new OffsetCommitRequestPartition()
              .setPartitionIndex(p)
              .setCommittedOffset(offset)
              .setCommittedMetadata(""));
    }
    OffsetCommitRequestData req =
        new OffsetCommitRequestData()
            .setGroupId(group)
            .setMemberId(member)
            .setGenerationIdOrMemberEpoch(1)
            .setTopics(List.of(new OffsetCommitRequestTopic().setName(TOPIC).setPartitions(parts)));
    RequestInfo info = new RequestInfo("bench", "/127.0.0.1", (short) 9);
    return gc.run(group, (shard, out) -> shard.commitOffsets(info, req, out));
  }

  static String table(int groups, int commits, int partitions, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "Coordinator load after restart: %,d groups, %,d offset commits (%d partitions per"
                + " commit request), 1 bookie, %d CPUs%n%n",
            groups,
            commits,
            partitions,
            Runtime.getRuntime().availableProcessors()));
    sb.append(
        "| scenario | write s | records in log | replayed records | replayed MiB |"
            + " slowest partition load ms | decode+apply ms (all partitions) |"
            + " restart to all serving ms | groups | offsets |\n");
    sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Row r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %,d | %,d | %.1f | %,d | %,d | %,d | %,d | %,d |%n",
              r.scenario(),
              r.writeSeconds(),
              r.logRecords(),
              r.replayedRecords(),
              r.replayedBytes() / 1048576.0,
              r.maxShardLoadMs(),
              r.replayCpuMs(),
              r.untilServingMs(),
              r.groups(),
              r.offsets()));
    }
    return sb.toString();
  }

  private static void deleteRecursively(Path p) throws IOException {
    try (var walk = Files.walk(p)) {
      walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
