package io.strata.it.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * The measuring client of {@code integration-tests/bench/move-failover.sh}: partition moves and
 * broker failover timed with kafka-clients against any Kafka-protocol cluster (Strata or Apache
 * Kafka), so both systems are measured by the same code. Not a test: the script compiles it with
 * javac against Strata's runtime classpath (kafka-clients) and runs its {@code main}.
 *
 * <pre>
 * create   --bootstrap B --topic T [--rf 3] [--min-isr 2] [--assignment 1,2,3]
 * fill     --bootstrap B --topic T --bytes N [--record-size 1024] [--acks all|1]
 * move     --bootstrap B --topic T --reps N [--label L] [--timeout-s S]
 * failover --bootstrap B --topic T --pids ID=PID,... [--leader-on ID] [--label L] [--timeout-s S]
 * zk-session --zookeeper HOST:PORT --requested-ms MS
 * zk-get   --zookeeper HOST:PORT --path P
 * </pre>
 *
 * <p>zk-get prints the data of one znode as one line {@code ZKDATA <data as UTF-8>} (the script
 * reads Strata's elected controller from {@code /strata/controller} with it).
 *
 * <p>zk-session opens a ZooKeeper session asking for {@code --requested-ms}, as a broker with
 * {@code zookeeper.session.timeout.ms} = MS does, and prints the timeout the server granted (a
 * ZooKeeper server clamps it to [2, 20] x its tickTime).
 *
 * <p>Every topic has one partition (0). Human progress lines go to stdout with a time prefix; each
 * measurement is one line {@code RESULT {json}}.
 *
 * <p>The probe: one idempotent producer (acks=all) sends a 100-byte record, waits for its
 * acknowledgement, pauses {@code --probe-interval-ms} (5) and sends the next, for the whole
 * measurement, recording (send, ack) times and offsets. Afterwards the probe's records are read
 * back: each batch carries the partition leader epoch of the broker that appended it (Kafka's
 * leader and Strata's owner both stamp it), so "the first acknowledgement by the new owner" is the
 * first acknowledged record stamped with the epoch the partition has at the end of the measurement,
 * which belongs to the new owner (epochs only grow).
 *
 * <p>move: each repetition alternates "away" (the current leader L is replaced by the lowest live
 * broker id not among the replicas, which goes first and so becomes the leader: Strata [L] to [N],
 * Kafka [L,x,y] to [N,x,y]) and "back" (the replica list the partition had before the first away).
 * Clock: from just before alterPartitionReassignments is sent, to (complete) the first poll (every
 * 20 ms) where listPartitionReassignments has no entry for the partition, Metadata names the target
 * leader and the target is in the ISR; and to (first_ack) the probe's first acknowledgement stamped
 * with the new owner's epoch.
 *
 * <p>failover: waits until the partition is stable (no reassignment, full ISR), optionally puts the
 * leadership on {@code --leader-on} (Kafka: a preferred-leader election after reordering the
 * replicas; Strata: a move), lets the probe run 2 s, then sends SIGKILL to the leader's pid. Clock:
 * from just before the kill to the first acknowledgement stamped with the new owner's epoch, and to
 * the first Metadata (polled every 20 ms) that names another live leader.
 */
public final class MoveFailoverBench {
  private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss");
  private static final int PARTITION = 0;

  private final Map<String, String> opts;
  private final String bootstrap;
  private final String topic;
  private final TopicPartition tp;
  private final long timeoutMs;

  private MoveFailoverBench(Map<String, String> opts) {
    this.opts = opts;
    this.bootstrap = required("bootstrap");
    this.topic = required("topic");
    this.tp = new TopicPartition(topic, PARTITION);
    this.timeoutMs = TimeUnit.SECONDS.toMillis(Long.parseLong(opt("timeout-s", "1800")));
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: MoveFailoverBench create|fill|move|failover --bootstrap B ...");
      System.exit(2);
    }
    Map<String, String> opts = new HashMap<>();
    if (args[0].startsWith("zk-")) {
      opts.put("bootstrap", "-");
      opts.put("topic", "-");
    }
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("MoveFailoverBench: bad argument " + args[i]);
        System.exit(2);
      }
      opts.put(args[i].substring(2), args[++i]);
    }
    MoveFailoverBench b = new MoveFailoverBench(opts);
    int rc =
        switch (args[0]) {
          case "create" -> b.create();
          case "fill" -> b.fill();
          case "move" -> b.move();
          case "failover" -> b.failover();
          case "zk-session" -> b.zkSession();
          case "zk-get" -> b.zkGet();
          default -> {
            System.err.println("MoveFailoverBench: unknown command " + args[0]);
            yield 2;
          }
        };
    System.out.flush();
    System.exit(rc);
  }

  // ---- create
  // ------------------------------------------------------------------------------------

  private int create() throws Exception {
    try (Admin admin = admin()) {
      NewTopic t;
      if (opts.containsKey("assignment")) {
        t = new NewTopic(topic, Map.of(PARTITION, ints(opts.get("assignment"))));
      } else {
        t = new NewTopic(topic, 1, Short.parseShort(opt("rf", "3")));
      }
      t.configs(Map.of("min.insync.replicas", opt("min-isr", "2")));
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (true) {
        try {
          admin.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
          break;
        } catch (ExecutionException e) {
          if (e.getCause()
              instanceof org.apache.kafka.common.errors.TopicExistsException unusedExists) {
            break;
          }
          if (System.currentTimeMillis() > deadline) {
            throw e;
          }
          say("create %s: %s; retrying", topic, e.getCause());
          Thread.sleep(1000);
        }
      }
      TopicPartitionInfo p = waitStable(admin, System.currentTimeMillis() + timeoutMs);
      say("created %s: leader %s, replicas %s", topic, leader(p), ids(p.replicas()));
    }
    return 0;
  }

  // ---- fill
  // ----------------------------------------------------------------------------------------

  private int fill() throws Exception {
    long bytes = Long.parseLong(required("bytes"));
    int size = Integer.parseInt(opt("record-size", "1024"));
    long records = Math.max(1, (bytes + size - 1) / size);
    Properties p = producerProps();
    String acks = opt("acks", "all");
    p.put(ProducerConfig.ACKS_CONFIG, acks);
    if (!acks.equals("all") && !acks.equals("-1")) {
      // An idempotent producer requires acks=all.
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    }
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, opt("batch-size", "262144"));
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L << 20));
    byte[] random = new byte[size];
    new Random(42).nextBytes(random);
    AtomicReference<Exception> failure = new AtomicReference<>();
    AtomicLong acked = new AtomicLong();
    Semaphore inFlight = new Semaphore(20_000);
    long start = System.nanoTime();
    long nextReport = start + TimeUnit.SECONDS.toNanos(10);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (long i = 0; i < records && failure.get() == null; i++) {
        byte[] v = random.clone();
        ByteBuffer.wrap(v).putLong(0, i);
        inFlight.acquire();
        producer.send(
            new ProducerRecord<>(topic, PARTITION, null, v),
            (md, e) -> {
              inFlight.release();
              if (e != null) {
                failure.compareAndSet(null, e);
              } else {
                acked.incrementAndGet();
              }
            });
        long now = System.nanoTime();
        if (now >= nextReport) {
          double s = (now - start) / 1e9;
          double mib = acked.get() * (double) size / (1 << 20);
          say(
              "fill %s: %.0f of %.0f MiB acknowledged, %.1f MiB/s, %.0f s",
              topic, mib, records * (double) size / (1 << 20), mib / s, s);
          nextReport = now + TimeUnit.SECONDS.toNanos(10);
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      say("fill %s failed: %s", topic, failure.get());
      return 1;
    }
    double s = (System.nanoTime() - start) / 1e9;
    double mib = records * (double) size / (1 << 20);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("kind", "fill");
    r.put("label", opt("label", topic));
    r.put("topic", topic);
    r.put("records", records);
    r.put("record_size", size);
    r.put("acks", acks);
    r.put("bytes", records * size);
    r.put("seconds", round(s, 1));
    r.put("mib_per_s", round(mib / s, 1));
    result(r);
    return 0;
  }

  // ---- move
  // ----------------------------------------------------------------------------------------

  private int move() throws Exception {
    int reps = Integer.parseInt(opt("reps", "4"));
    long settleMs = Long.parseLong(opt("settle-ms", "3000"));
    int failures = 0;
    try (Admin admin = admin();
        Probe probe = new Probe()) {
      List<Integer> home = null;
      for (int rep = 1; rep <= reps; rep++) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        TopicPartitionInfo before = waitStable(admin, deadline);
        List<Integer> replicas = ids(before.replicas());
        int from = leader(before);
        boolean away = rep % 2 == 1;
        List<Integer> target;
        if (away) {
          home = replicas;
          Set<Integer> live =
              admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).stream()
                  .map(Node::id)
                  .collect(Collectors.toSet());
          int to =
              live.stream()
                  .filter(id -> !replicas.contains(id))
                  .min(Integer::compare)
                  .orElseThrow(
                      () -> new IllegalStateException("no live broker outside " + replicas));
          target = new ArrayList<>();
          target.add(to);
          replicas.stream().filter(id -> id != from).forEach(target::add);
        } else {
          target = home;
        }
        probe.awaitAcks(20, 30_000);
        Thread.sleep(500);
        say(
            "move %d/%d (%s): %s leader %d replicas %s -> %s",
            rep, reps, away ? "away" : "back", tp, from, replicas, target);
        long t0 = System.nanoTime();
        admin
            .alterPartitionReassignments(
                Map.of(tp, Optional.of(new NewPartitionReassignment(target))))
            .all()
            .get(60, TimeUnit.SECONDS);
        long tAccepted = System.nanoTime();
        long tDone = -1;
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.currentTimeMillis() < deadline) {
          Map<TopicPartition, PartitionReassignment> ongoing =
              admin
                  .listPartitionReassignments(Set.of(tp))
                  .reassignments()
                  .get(60, TimeUnit.SECONDS);
          if (!ongoing.containsKey(tp)) {
            TopicPartitionInfo now = describe(admin);
            if (leader(now) == target.get(0) && ids(now.isr()).contains(target.get(0))) {
              tDone = System.nanoTime();
              break;
            }
          }
          if (System.nanoTime() >= nextReport) {
            say(
                "move %d/%d: in progress %.0f s%s",
                rep, reps, (System.nanoTime() - t0) / 1e9, copied(admin, target.get(0)));
            nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          }
          Thread.sleep(20);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", "move");
        r.put("label", opt("label", topic));
        r.put("topic", topic);
        r.put("rep", rep);
        r.put("direction", away ? "away" : "back");
        r.put("from_leader", from);
        r.put("from_replicas", replicas);
        r.put("to_replicas", target);
        r.put("request_ms", ms(tAccepted - t0));
        if (tDone < 0) {
          r.put("error", "not complete within " + timeoutMs + " ms");
          failures++;
          result(r);
          break;
        }
        r.put("complete_ms", ms(tDone - t0));
        probe.measureAfter(t0, tDone, r);
        result(r);
        say(
            "move %d/%d: complete %s ms, first ack by the new owner %s ms, longest ack gap %s ms",
            rep, reps, r.get("complete_ms"), r.get("first_ack_ms"), r.get("max_ack_gap_ms"));
        Thread.sleep(settleMs);
      }
    }
    return failures == 0 ? 0 : 1;
  }

  /** ", N MiB on broker B" where DescribeLogDirs answers (Kafka), else "". */
  private String copied(Admin admin, int broker) {
    try {
      var dirs = admin.describeLogDirs(List.of(broker)).allDescriptions().get(5, TimeUnit.SECONDS);
      long size = 0;
      for (var d : dirs.getOrDefault(broker, Map.of()).values()) {
        var info = d.replicaInfos().get(tp);
        if (info != null) {
          size += info.size();
        }
      }
      return String.format(Locale.ROOT, ", %.0f MiB on broker %d", size / 1048576.0, broker);
    } catch (Exception e) {
      return "";
    }
  }

  // ---- failover
  // ------------------------------------------------------------------------------------

  private int failover() throws Exception {
    Map<Integer, Long> pids = new HashMap<>();
    for (String kv : required("pids").split(",")) {
      String[] a = kv.split("=");
      pids.put(Integer.parseInt(a[0].trim()), Long.parseLong(a[1].trim()));
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    try (Admin admin = admin()) {
      TopicPartitionInfo p = waitStable(admin, deadline);
      if (opts.containsKey("leader-on")) {
        p = putLeaderOn(admin, Integer.parseInt(opts.get("leader-on")), p, deadline);
      }
      try (Probe probe = new Probe()) {
        probe.awaitAcks(20, 30_000);
        Thread.sleep(2000);
        p = describe(admin);
        int victim = leader(p);
        Long pid = pids.get(victim);
        if (pid == null) {
          throw new IllegalStateException("no pid for leader " + victim + " in " + pids);
        }
        ProcessHandle h =
            ProcessHandle.of(pid)
                .orElseThrow(() -> new IllegalStateException("pid " + pid + " is not running"));
        say(
            "failover: %s leader %d (pid %d) replicas %s isr %s: kill -9",
            tp, victim, pid, ids(p.replicas()), ids(p.isr()));
        long t0 = System.nanoTime();
        h.destroyForcibly();
        long tLeader = -1;
        int newLeader = -1;
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.currentTimeMillis() < deadline) {
          try {
            TopicPartitionInfo now = describe(admin);
            if (leader(now) >= 0 && leader(now) != victim) {
              tLeader = System.nanoTime();
              newLeader = leader(now);
              break;
            }
          } catch (Exception e) {
            // a metadata request to the dead broker; the Admin client retries elsewhere
          }
          if (System.nanoTime() >= nextReport) {
            say(
                "failover: %.0f s after the kill, still no new leader; probe acks after kill: %d",
                (System.nanoTime() - t0) / 1e9, probe.acksAfter(t0));
            nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
          }
          Thread.sleep(20);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", "failover");
        r.put("label", opt("label", topic));
        r.put("topic", topic);
        r.put("killed", victim);
        r.put("replicas", ids(p.replicas()));
        if (tLeader < 0) {
          r.put("error", "no new leader within " + timeoutMs + " ms");
          result(r);
          return 1;
        }
        r.put("new_leader", newLeader);
        r.put("new_leader_in_metadata_ms", ms(tLeader - t0));
        probe.measureAfter(t0, tLeader, r);
        result(r);
        say(
            "failover: first ack by the new owner (broker %d) %s ms after kill -9, Metadata named"
                + " it after %s ms",
            newLeader, r.get("first_ack_ms"), r.get("new_leader_in_metadata_ms"));
      }
    }
    return 0;
  }

  /** Makes {@code id} the leader before a failover: a preferred election (Kafka) or a move. */
  private TopicPartitionInfo putLeaderOn(Admin admin, int id, TopicPartitionInfo p, long deadline)
      throws Exception {
    if (leader(p) == id) {
      return p;
    }
    List<Integer> replicas = ids(p.replicas());
    List<Integer> target = new ArrayList<>();
    target.add(id);
    if (replicas.contains(id)) {
      replicas.stream().filter(r -> r != id).forEach(target::add);
    } else {
      replicas.stream().filter(r -> r != leader(p)).forEach(target::add);
    }
    say(
        "failover: putting the leadership of %s on broker %d (replicas %s -> %s)",
        tp, id, replicas, target);
    if (!target.equals(replicas)) {
      admin
          .alterPartitionReassignments(
              Map.of(tp, Optional.of(new NewPartitionReassignment(target))))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    while (System.currentTimeMillis() < deadline) {
      TopicPartitionInfo now = waitStable(admin, deadline);
      if (leader(now) == id) {
        return now;
      }
      if (target.size() > 1) {
        try {
          admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          say("failover: preferred election: %s", e.getCause());
        }
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("could not make broker " + id + " the leader of " + tp);
  }

  // ---- zk-session
  // ----------------------------------------------------------------------------------

  private int zkSession() throws Exception {
    int requested = Integer.parseInt(required("requested-ms"));
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            required("zookeeper"),
            requested,
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
            });
    try {
      if (!connected.await(30, TimeUnit.SECONDS)) {
        say("zk-session: could not connect to %s", required("zookeeper"));
        return 1;
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("kind", "zk-session");
      r.put("requested_ms", requested);
      r.put("negotiated_ms", zk.getSessionTimeout());
      result(r);
    } finally {
      zk.close();
    }
    return 0;
  }

  private int zkGet() throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            required("zookeeper"),
            30_000,
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
            });
    try {
      if (!connected.await(30, TimeUnit.SECONDS)) {
        say("zk-get: could not connect to %s", required("zookeeper"));
        return 1;
      }
      byte[] data = zk.getData(required("path"), false, null);
      System.out.println(
          "ZKDATA " + (data == null ? "" : new String(data, StandardCharsets.UTF_8)));
    } finally {
      zk.close();
    }
    return 0;
  }

  // ---- the probe
  // ---------------------------------------------------------------------------------

  /** One acknowledged probe record. */
  private record Ack(long seq, long offset, long sentNanos, long ackNanos) {}

  /** One record at a time, acks=all, idempotent; remembers every acknowledgement. */
  private final class Probe implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final Thread thread;
    private final List<Ack> acks = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final long intervalMs = Long.parseLong(opt("probe-interval-ms", "5"));
    private volatile boolean running = true;

    Probe() {
      Properties p = producerProps();
      p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
      producer = new KafkaProducer<>(p);
      thread = new Thread(this::run, "probe");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      byte[] v = new byte[100];
      for (long seq = 0; running; seq++) {
        ByteBuffer.wrap(v).putLong(0, seq);
        long sent = System.nanoTime();
        try {
          RecordMetadata md =
              producer.send(new ProducerRecord<>(topic, PARTITION, null, v.clone())).get();
          synchronized (this) {
            acks.add(new Ack(seq, md.offset(), sent, System.nanoTime()));
            notifyAll();
          }
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          if (!running) {
            return;
          }
          synchronized (this) {
            errors.add(e.getCause() != null ? e.getCause().toString() : e.toString());
          }
        }
        try {
          Thread.sleep(intervalMs);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    synchronized void awaitAcks(int n, long ms) throws InterruptedException {
      int start = acks.size();
      long deadline = System.currentTimeMillis() + ms;
      while (acks.size() - start < n && System.currentTimeMillis() < deadline) {
        wait(100);
      }
      if (acks.size() - start < n) {
        throw new IllegalStateException("the probe producer gets no acknowledgements: " + errors);
      }
    }

    synchronized long acksAfter(long t) {
      return acks.stream().filter(a -> a.ackNanos() > t).count();
    }

    /**
     * After the partition is served by its new owner (at {@code tServed}): lets the probe run until
     * 20 more acknowledgements (at least 0.5 s, at most 30 s), reads the probe's records back with
     * their leader epochs, and puts first_ack_ms, max_ack_gap_ms, the epochs and the probe's errors
     * into {@code r}.
     */
    void measureAfter(long t0, long tServed, Map<String, Object> r) throws Exception {
      Thread.sleep(500);
      long deadline = System.currentTimeMillis() + 30_000;
      synchronized (this) {
        while (acks.stream().filter(a -> a.sentNanos() > tServed).count() < 20
            && System.currentTimeMillis() < deadline) {
          wait(100);
        }
      }
      List<Ack> snapshot;
      List<String> errs;
      synchronized (this) {
        snapshot = new ArrayList<>(acks);
        errs = new ArrayList<>(errors);
        errors.clear();
      }
      int firstAfter = 0;
      while (firstAfter < snapshot.size() && snapshot.get(firstAfter).ackNanos() < t0) {
        firstAfter++;
      }
      if (firstAfter == 0 || firstAfter == snapshot.size()) {
        r.put("error", "the probe has no acknowledgement before or after the event");
        return;
      }
      Ack lastBefore = snapshot.get(firstAfter - 1);
      Ack last = snapshot.get(snapshot.size() - 1);
      Map<Long, Integer> epochs = new HashMap<>();
      Map<Long, Integer> seqCount = new HashMap<>();
      readBack(lastBefore.offset(), last.offset(), epochs, seqCount);
      Integer before = epochs.get(lastBefore.offset());
      Integer after = epochs.get(last.offset());
      r.put("epoch_before", before);
      r.put("epoch_after", after);
      Ack firstNew = null;
      for (int i = firstAfter; i < snapshot.size(); i++) {
        Ack a = snapshot.get(i);
        if (after != null && after.equals(epochs.get(a.offset()))) {
          firstNew = a;
          break;
        }
      }
      r.put("first_ack_ms", firstNew == null ? null : ms(firstNew.ackNanos() - t0));
      r.put("first_ack_any_ms", ms(snapshot.get(firstAfter).ackNanos() - t0));
      long gap = 0;
      for (int i = firstAfter; i < snapshot.size(); i++) {
        gap = Math.max(gap, snapshot.get(i).ackNanos() - snapshot.get(i - 1).ackNanos());
      }
      r.put("max_ack_gap_ms", ms(gap));
      long dup = 0;
      long missing = 0;
      for (int i = firstAfter - 1; i < snapshot.size(); i++) {
        int c = seqCount.getOrDefault(snapshot.get(i).seq(), 0);
        if (c == 0) {
          missing++;
        } else if (c > 1) {
          dup++;
        }
      }
      r.put("acked_checked", snapshot.size() - firstAfter + 1);
      r.put("acked_missing", missing);
      r.put("acked_duplicated", dup);
      r.put("probe_errors", errs.size());
      if (!errs.isEmpty()) {
        r.put("probe_first_error", errs.get(0));
      }
    }

    @Override
    public void close() {
      running = false;
      producer.close(Duration.ofSeconds(5));
      thread.interrupt();
    }
  }

  /** Reads offsets [from, to] of the partition: each record's leader epoch and probe sequence. */
  private void readBack(
      long from, long to, Map<Long, Integer> epochs, Map<Long, Integer> seqCount) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      c.assign(List.of(tp));
      c.seek(tp, from);
      long deadline = System.currentTimeMillis() + 60_000;
      while (c.position(tp) <= to && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(500))) {
          if (rec.offset() > to) {
            break;
          }
          epochs.put(rec.offset(), rec.leaderEpoch().orElse(-1));
          if (rec.value() != null && rec.value().length == 100) {
            seqCount.merge(ByteBuffer.wrap(rec.value()).getLong(0), 1, Integer::sum);
          }
        }
      }
    }
  }

  // ---- helpers
  // -------------------------------------------------------------------------------------

  /** Waits until no reassignment is in progress, a leader is known and the ISR is full. */
  private TopicPartitionInfo waitStable(Admin admin, long deadline) throws Exception {
    long nextReport = System.currentTimeMillis() + 10_000;
    while (true) {
      try {
        Map<TopicPartition, PartitionReassignment> ongoing =
            admin.listPartitionReassignments(Set.of(tp)).reassignments().get(60, TimeUnit.SECONDS);
        TopicPartitionInfo p = describe(admin);
        if (!ongoing.containsKey(tp) && leader(p) >= 0 && p.isr().size() == p.replicas().size()) {
          return p;
        }
        if (System.currentTimeMillis() > nextReport) {
          say(
              "waiting for %s to be stable: leader %d replicas %s isr %s%s",
              tp,
              leader(p),
              ids(p.replicas()),
              ids(p.isr()),
              ongoing.containsKey(tp) ? ", reassigning" : "");
          nextReport = System.currentTimeMillis() + 10_000;
        }
      } catch (ExecutionException e) {
        if (System.currentTimeMillis() > nextReport) {
          say("waiting for %s: %s", tp, e.getCause());
          nextReport = System.currentTimeMillis() + 10_000;
        }
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(tp + " not stable within the deadline");
      }
      Thread.sleep(200);
    }
  }

  private TopicPartitionInfo describe(Admin admin) throws Exception {
    TopicDescription d =
        admin.describeTopics(Set.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
    return d.partitions().get(PARTITION);
  }

  private static int leader(TopicPartitionInfo p) {
    return p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
  }

  private static List<Integer> ids(Collection<Node> nodes) {
    return nodes.stream().map(Node::id).collect(Collectors.toCollection(ArrayList::new));
  }

  private static List<Integer> ints(String csv) {
    List<Integer> l = new ArrayList<>();
    for (String s : csv.split(",")) {
      l.add(Integer.parseInt(s.trim()));
    }
    return l;
  }

  private Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
    return Admin.create(p);
  }

  private Properties producerProps() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private String required(String key) {
    String v = opts.get(key);
    if (v == null) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return v;
  }

  private String opt(String key, String dflt) {
    return opts.getOrDefault(key, dflt);
  }

  private static double ms(long nanos) {
    return round(nanos / 1e6, 1);
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static void say(String fmt, Object... args) {
    System.out.println(
        "[" + LocalTime.now().format(HMS) + "]   " + String.format(Locale.ROOT, fmt, args));
    System.out.flush();
  }

  /** One line {@code RESULT {json}}: flat, numbers, strings, lists of numbers, nulls. */
  private static void result(Map<String, Object> r) {
    StringBuilder sb = new StringBuilder("RESULT {");
    boolean first = true;
    for (Map.Entry<String, Object> e : r.entrySet()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      sb.append('"').append(e.getKey()).append("\": ").append(json(e.getValue()));
    }
    System.out.println(sb.append('}'));
    System.out.flush();
  }

  private static String json(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    if (v instanceof Collection<?> c) {
      return c.stream().map(MoveFailoverBench::json).collect(Collectors.joining(",", "[", "]"));
    }
    String s = v.toString().replace("\\", "\\\\").replace("\"", "\\\"");
    return '"' + s.replaceAll("[\\x00-\\x1f]", " ") + '"';
  }
}
