package io.strata.broker.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides where partitions go. Pure logic: no I/O, deterministic for its inputs.
 *
 * <p>Each partition weighs 1 plus its measured traffic relative to the average partition's. The
 * balancer minimises
 *
 * <pre>
 *   cost = Σ_brokers (weight_b − mean)²  +  Σ_topics Σ_brokers (count_tb − mean_t)²
 * </pre>
 *
 * the first term evens out load (partition counts when there is no traffic), the second spreads
 * each topic's partitions over the brokers, as users of Kafka expect. {@link #place} gives every
 * partition without a live target the broker with the fewest partitions of its topic, then the
 * lightest (failover and new topics are never rate-limited). {@link #rebalance} makes at most
 * {@code maxMoves} single moves, each the one that lowers the cost most, and only if it lowers it
 * by more than {@link #MIN_GAIN}: a margin that keeps measurement noise from moving partitions back
 * and forth.
 */
public final class Balancer {

  /** A move must lower the cost by more than this (a quarter of one average partition²). */
  static final double MIN_GAIN = 0.5;

  /** A partition log's new target broker. */
  public record Move(String log, int from, int to) {}

  private final Set<Integer> live;
  private final Map<String, Integer> target;
  private final Set<String> pinned;
  private final Map<String, Double> weight = new HashMap<>();
  private final Map<String, String> topicOf = new HashMap<>();
  private final Map<Integer, Double> brokerWeight = new TreeMap<>();
  // topic -> broker -> number of the topic's partitions targeted at that broker
  private final Map<String, Map<Integer, Integer>> topicCounts = new HashMap<>();

  /**
   * @param live brokers that can own partitions (registered, not shutting down)
   * @param target every partition log's current target broker, or absent if it has none
   * @param pinned logs an operator moved by hand (rebalancing leaves them alone)
   * @param load measured bytes/s per log (missing means none)
   * @param logs every partition log that exists, with its topic (any key unique per topic)
   */
  public Balancer(
      Set<Integer> live,
      Map<String, Integer> target,
      Set<String> pinned,
      Map<String, Double> load,
      Map<String, String> logs) {
    this.live = new TreeSet<>(live);
    this.target = new HashMap<>(target);
    this.pinned = Set.copyOf(pinned);
    this.topicOf.putAll(logs);
    double total = 0;
    for (String l : logs.keySet()) {
      total += load.getOrDefault(l, 0.0);
    }
    double avg = logs.isEmpty() ? 0 : total / logs.size();
    for (String l : logs.keySet()) {
      weight.put(l, 1.0 + (avg > 0 ? load.getOrDefault(l, 0.0) / avg : 0.0));
    }
    for (int b : this.live) {
      brokerWeight.put(b, 0.0);
    }
    for (String l : logs.keySet()) {
      Integer t = this.target.get(l);
      if (t != null && this.live.contains(t)) {
        add(l, t, +1);
      }
    }
  }

  private void add(String log, int broker, int sign) {
    brokerWeight.merge(broker, sign * weight.getOrDefault(log, 1.0), Double::sum);
    topicCounts
        .computeIfAbsent(topicOf.getOrDefault(log, log), k -> new HashMap<>())
        .merge(broker, sign, Integer::sum);
  }

  private int topicCount(String log, int broker) {
    return topicCounts
        .getOrDefault(topicOf.getOrDefault(log, log), Map.of())
        .getOrDefault(broker, 0);
  }

  /**
   * Targets for partitions whose target is missing or not live: the broker with the fewest
   * partitions of the same topic, then the lightest, then the lowest id.
   */
  public List<Move> place(Collection<String> logs) {
    List<Move> moves = new ArrayList<>();
    if (live.isEmpty()) {
      return moves;
    }
    List<String> sorted = new ArrayList<>(logs);
    sorted.sort(String::compareTo);
    for (String l : sorted) {
      Integer t = target.get(l);
      if (t != null && live.contains(t)) {
        continue;
      }
      int best = -1;
      for (int b : live) {
        if (best < 0
            || topicCount(l, b) < topicCount(l, best)
            || (topicCount(l, b) == topicCount(l, best)
                && brokerWeight.get(b) < brokerWeight.get(best) - 1e-9)) {
          best = b;
        }
      }
      moves.add(new Move(l, t == null ? -1 : t, best));
      target.put(l, best);
      add(l, best, +1);
    }
    return moves;
  }

  /**
   * The change in cost if {@code log} (weight w, topic t) moved from broker a to b: derived from
   * the cost above, {@code 2w(W_b − W_a + w) + 2(c_tb − c_ta + 1)}.
   */
  private double moveDelta(String log, int a, int b) {
    double w = weight.getOrDefault(log, 1.0);
    double weightTerm = 2 * w * (brokerWeight.get(b) - brokerWeight.get(a) + w);
    double topicTerm = 2.0 * (topicCount(log, b) - topicCount(log, a) + 1);
    return weightTerm + topicTerm;
  }

  /** At most {@code maxMoves} moves, each the one that lowers the cost most (by > MIN_GAIN). */
  public List<Move> rebalance(int maxMoves) {
    List<Move> moves = new ArrayList<>();
    while (moves.size() < maxMoves && live.size() > 1) {
      String bestLog = null;
      int bestFrom = -1;
      int bestTo = -1;
      double bestDelta = -MIN_GAIN;
      List<String> logs = new ArrayList<>(target.keySet());
      logs.sort(String::compareTo);
      for (String l : logs) {
        int from = target.get(l);
        if (pinned.contains(l) || !live.contains(from) || !weight.containsKey(l)) {
          continue;
        }
        for (int to : live) {
          if (to == from) {
            continue;
          }
          double d = moveDelta(l, from, to);
          if (d < bestDelta - 1e-9) {
            bestDelta = d;
            bestLog = l;
            bestFrom = from;
            bestTo = to;
          }
        }
      }
      if (bestLog == null) {
        break;
      }
      moves.add(new Move(bestLog, bestFrom, bestTo));
      add(bestLog, bestFrom, -1);
      target.put(bestLog, bestTo);
      add(bestLog, bestTo, +1);
    }
    return moves;
  }

  /** Each live broker's weight after the moves planned so far (for logs and tests). */
  public Map<Integer, Double> brokerWeights() {
    return Map.copyOf(brokerWeight);
  }
}
