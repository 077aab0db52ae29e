package io.strata.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.strata.broker.cluster.Balancer.Move;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BalancerTest {

  private static Map<String, String> logs(String topic, int n) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < n; i++) {
      m.put(topic + "-" + i, topic);
    }
    return m;
  }

  private static Map<Integer, Integer> counts(Map<String, Integer> target) {
    Map<Integer, Integer> c = new HashMap<>();
    target.values().forEach(b -> c.merge(b, 1, Integer::sum));
    return c;
  }

  @Test
  void placesATopicsPartitionsOnDifferentBrokers() {
    Map<String, String> logs = logs("t", 3);
    Balancer b = new Balancer(Set.of(1, 2, 3), Map.of(), Set.of(), Map.of(), logs);
    List<Move> moves = b.place(logs.keySet());
    assertThat(moves).extracting(Move::to).containsExactlyInAnyOrder(1, 2, 3);
  }

  @Test
  void reassignsPartitionsOfADeadBrokerAtOnceAndEvenly() {
    Map<String, String> logs = logs("t", 6);
    Map<String, Integer> target = new HashMap<>();
    logs.keySet().forEach(l -> target.put(l, Integer.parseInt(l.substring(2)) % 3 + 1));
    Balancer b = new Balancer(Set.of(1, 2), target, Set.of(), Map.of(), logs);
    List<Move> moves = b.place(logs.keySet());
    assertThat(moves).hasSize(2).allSatisfy(m -> assertThat(m.from()).isEqualTo(3));
    moves.forEach(m -> target.put(m.log(), m.to()));
    assertThat(counts(target)).containsEntry(1, 3).containsEntry(2, 3);
  }

  @Test
  void aJoiningBrokerFillsUpAtMostMaxMovesPerRound() {
    Map<String, String> logs = logs("t", 9);
    Map<String, Integer> target = new HashMap<>();
    logs.keySet().forEach(l -> target.put(l, Integer.parseInt(l.substring(2)) % 3 + 1));
    Balancer b = new Balancer(Set.of(1, 2, 3, 4), target, Set.of(), Map.of(), logs);
    List<Move> round = b.rebalance(1);
    assertThat(round).hasSize(1).allSatisfy(m -> assertThat(m.to()).isEqualTo(4));
    List<Move> rest = b.rebalance(10);
    round.forEach(m -> target.put(m.log(), m.to()));
    rest.forEach(m -> target.put(m.log(), m.to()));
    assertThat(counts(target).values()).allSatisfy(n -> assertThat(n).isBetween(2, 3));
    assertThat(counts(target)).containsKey(4);
  }

  @Test
  void balancedClusterDoesNotMoveAnythingEvenWithNoisyLoad() {
    Map<String, String> logs = logs("t", 6);
    Map<String, Integer> target = new HashMap<>();
    logs.keySet().forEach(l -> target.put(l, Integer.parseInt(l.substring(2)) % 3 + 1));
    Map<String, Double> load = new HashMap<>();
    logs.keySet().forEach(l -> load.put(l, 1000.0 + (l.hashCode() % 50)));
    assertThat(new Balancer(Set.of(1, 2, 3), target, Set.of(), load, logs).rebalance(10)).isEmpty();
  }

  @Test
  void aHotPartitionCountsForMoreThanACold() {
    // Broker 1: one hot partition; broker 2: three cold ones. Balanced by load, not by count.
    Map<String, String> logs = new HashMap<>();
    Map<String, Integer> target = new HashMap<>();
    Map<String, Double> load = new HashMap<>();
    logs.put("hot-0", "hot");
    target.put("hot-0", 1);
    load.put("hot-0", 900.0);
    for (int i = 0; i < 3; i++) {
      logs.put("cold-" + i, "cold");
      target.put("cold-" + i, 2);
      load.put("cold-" + i, 100.0);
    }
    List<Move> moves = new Balancer(Set.of(1, 2), target, Set.of(), load, logs).rebalance(10);
    assertThat(moves).noneMatch(m -> m.log().equals("hot-0"));
  }

  @Test
  void pinnedPartitionsStay() {
    Map<String, String> logs = logs("t", 4);
    Map<String, Integer> target = new HashMap<>();
    logs.keySet().forEach(l -> target.put(l, 1));
    List<Move> moves =
        new Balancer(Set.of(1, 2), target, Set.of("t-0", "t-1", "t-2", "t-3"), Map.of(), logs)
            .rebalance(10);
    assertThat(moves).isEmpty();
  }
}
