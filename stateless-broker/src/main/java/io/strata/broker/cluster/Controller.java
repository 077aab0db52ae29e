package io.strata.broker.cluster;

import io.strata.broker.metadata.AssignmentStore;
import io.strata.broker.metadata.AssignmentStore.Assignment;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.MetadataCache.Snapshot;
import io.strata.broker.metadata.TopicRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster controller: one broker at a time, elected through the ephemeral {@code
 * ROOT/controller} znode. It decides each partition's target broker and writes it as an {@link
 * Assignment}; brokers then hand partitions over among themselves (the old owner seals and
 * releases, the new one takes over with a higher epoch). No record byte moves.
 *
 * <p>On every metadata change it gives partitions without a live target one at once (new topics,
 * brokers that died or shut down); every {@code strata.controller.balance.interval.ms} it moves at
 * most {@code strata.controller.max.moves} partitions toward balance (see {@link Balancer}), so a
 * joining broker fills up gradually and balancing never causes a storm.
 *
 * <p>Every broker runs one; only the elected one acts. Its work runs on one scheduler thread;
 * nothing blocks.
 */
public final class Controller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);

  private final int brokerId;
  private final MetadataCache cache;
  private final AssignmentStore assignments;
  private final ScheduledExecutorService scheduler;
  private final long balanceIntervalMs;
  private final int maxMoves;
  private final Time time;
  private final AtomicBoolean active = new AtomicBoolean();
  private final AtomicBoolean reconcileQueued = new AtomicBoolean();
  // Set while the broker shuts down: never (re)acquire the role.
  private volatile boolean closed;
  private volatile ScheduledFuture<?> balanceTask;
  // When the balancer last moved each log (scheduler thread only): a moved partition stays put
  // for MOVE_COOLDOWN_INTERVALS rounds while its traffic is measured afresh by its new owner.
  private final Map<String, Long> lastMoved = new HashMap<>();
  private static final int MOVE_COOLDOWN_INTERVALS = 10;

  public Controller(
      int brokerId,
      MetadataCache cache,
      AssignmentStore assignments,
      ScheduledExecutorService scheduler,
      long balanceIntervalMs,
      int maxMoves,
      Time time) {
    this.brokerId = brokerId;
    this.cache = cache;
    this.assignments = assignments;
    this.scheduler = scheduler;
    this.balanceIntervalMs = balanceIntervalMs;
    this.maxMoves = maxMoves;
    this.time = time;
  }

  /** Joins the election; acts whenever elected. */
  public void start() {
    cache.addListener(this::onMetadataChange);
    scheduler.execute(this::onMetadataChange);
  }

  /** True while this broker is the controller. */
  public boolean isActive() {
    return active.get();
  }

  private void onMetadataChange() {
    if (closed) {
      return;
    }
    Snapshot s = cache.snapshot();
    if (s.controller().isEmpty()) {
      assignments
          .tryBecomeController(brokerId)
          .whenComplete(
              (won, t) -> {
                if (t != null) {
                  log.warn("Controller election failed: {}", t.toString());
                } else if (won) {
                  cache.refreshController();
                }
              });
      return;
    }
    boolean mine = s.controller().get() == brokerId;
    if (mine && active.compareAndSet(false, true)) {
      log.info("Broker {} is the controller", brokerId);
      balanceTask =
          scheduler.scheduleWithFixedDelay(
              this::balance, balanceIntervalMs, balanceIntervalMs, TimeUnit.MILLISECONDS);
    } else if (!mine && active.compareAndSet(true, false)) {
      log.info("Broker {} is no longer the controller", brokerId);
      cancelBalancing();
    }
    if (active.get() && reconcileQueued.compareAndSet(false, true)) {
      scheduler.execute(
          () -> {
            reconcileQueued.set(false);
            placeOrphans();
          });
    }
  }

  /** Partitions whose target is missing or dead get a live target now; stale ones go. */
  CompletableFuture<Void> placeOrphans() {
    if (!active.get()) {
      return CompletableFuture.completedFuture(null);
    }
    Snapshot s = cache.snapshot();
    Balancer b = balancer(s, Map.of(), Set.of());
    List<Balancer.Move> moves = b.place(allLogs(s).keySet());
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (Balancer.Move m : moves) {
      writes.add(assignments.assign(m.log(), new Assignment(m.to(), false)));
    }
    if (!moves.isEmpty()) {
      log.info(
          "Assigned {} partition(s) without a live broker{}",
          moves.size(),
          moves.size() <= 5 ? ": " + moves : "");
    }
    Set<String> existing = allLogs(s).keySet();
    for (String assigned : s.assignments().keySet()) {
      if (!existing.contains(assigned)) {
        writes.add(assignments.unassign(assigned));
      }
    }
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
        .exceptionally(
            t -> {
              log.warn("Could not write assignments: {}", t.toString());
              return null;
            });
  }

  /** One rate-limited balancing round, weighed by the load brokers report. */
  void balance() {
    if (!active.get()) {
      return;
    }
    assignments
        .loads()
        .thenCompose(
            loads -> {
              Map<String, Double> perLog = new HashMap<>();
              loads
                  .values()
                  .forEach(
                      r -> {
                        r.bytesIn().keySet().forEach(l -> perLog.merge(l, r.total(l), Double::sum));
                        r.bytesOut().keySet().stream()
                            .filter(l -> !r.bytesIn().containsKey(l))
                            .forEach(l -> perLog.merge(l, r.total(l), Double::sum));
                      });
              Snapshot s = cache.snapshot();
              long now = time.milliseconds();
              lastMoved
                  .values()
                  .removeIf(t -> now - t > MOVE_COOLDOWN_INTERVALS * balanceIntervalMs);
              Balancer b = balancer(s, perLog, lastMoved.keySet());
              List<Balancer.Move> moves = new ArrayList<>(b.place(allLogs(s).keySet()));
              List<Balancer.Move> rebalanced = b.rebalance(maxMoves);
              rebalanced.forEach(m -> lastMoved.put(m.log(), now));
              moves.addAll(rebalanced);
              if (!moves.isEmpty()) {
                log.info("Balancing: {} move(s) {}", moves.size(), moves);
              }
              return CompletableFuture.allOf(
                  moves.stream()
                      .map(m -> assignments.assign(m.log(), new Assignment(m.to(), false)))
                      .toArray(CompletableFuture[]::new));
            })
        .exceptionally(
            t -> {
              log.warn("Balancing round failed: {}", t.toString());
              return null;
            });
  }

  private Balancer balancer(Snapshot s, Map<String, Double> load, Set<String> cooling) {
    Set<Integer> live = new HashSet<>();
    s.brokers().forEach(b -> live.add(b.id()));
    Map<String, Integer> target = new HashMap<>();
    Set<String> pinned = new HashSet<>(cooling);
    s.assignments()
        .forEach(
            (l, a) -> {
              target.put(l, a.brokerId());
              if (a.pinned()) {
                pinned.add(l);
              }
            });
    return new Balancer(live, target, pinned, load, allLogs(s));
  }

  /** Every partition log that exists, with its topic's name. */
  private static Map<String, String> allLogs(Snapshot s) {
    Map<String, String> logs = new HashMap<>();
    for (var vt : s.topicsByName().values()) {
      TopicRecord t = vt.topic();
      for (int p = 0; p < t.partitions(); p++) {
        logs.put(t.logName(p), t.name());
      }
    }
    return logs;
  }

  private void cancelBalancing() {
    ScheduledFuture<?> task = balanceTask;
    if (task != null) {
      task.cancel(false);
    }
  }

  /** Leaves the election for good; a controller resigns so another broker takes over at once. */
  @Override
  public void close() {
    closed = true;
    cancelBalancing();
    if (active.getAndSet(false)) {
      try {
        assignments.resignController(brokerId).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Could not resign as controller: {}", e.toString());
      }
    }
  }
}
