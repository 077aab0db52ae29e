package io.strata.ops.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SIGTERM first, SIGKILL after the grace period, with real processes. */
@Timeout(60)
class StopperTest {

  @Test
  void termThenKillWhatIgnoresTerm() throws Exception {
    Process polite = new ProcessBuilder("sleep", "300").start();
    // A shell that ignores SIGTERM (its sleeping child is left to finish on its own).
    Process stubborn =
        new ProcessBuilder("sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 1; done")
            .start();
    try {
      // Signal only once the trap is set.
      assertThat(stubborn.inputReader().readLine()).isEqualTo("trapped");
      Member a = new Member(Role.BOOKIE, "bookie-1", 0, "");
      Member b = new Member(Role.BOOKIE, "bookie-2", 0, "");
      List<Stopper.Outcome> outcomes =
          Stopper.stop(
              List.of(
                  new Stopper.Target(a, polite.toHandle()),
                  new Stopper.Target(b, stubborn.toHandle())),
              Duration.ofSeconds(2));
      Map<String, Stopper.Result> byName =
          outcomes.stream()
              .collect(Collectors.toMap(o -> o.target().member().name(), Stopper.Outcome::result));
      assertThat(byName)
          .containsEntry("bookie-1", Stopper.Result.STOPPED)
          .containsEntry("bookie-2", Stopper.Result.KILLED);
      // Gone: Stopper saw each process exit; the Process objects learn it from the JVM's reaper
      // thread a moment later, so wait for that (bounded) rather than sample isAlive().
      assertThat(polite.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(stubborn.waitFor(10, TimeUnit.SECONDS)).isTrue();
      Stopper.Outcome killed =
          outcomes.stream().filter(o -> o.result() == Stopper.Result.KILLED).findFirst().get();
      assertThat(killed.took()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    } finally {
      polite.destroyForcibly();
      stubborn.destroyForcibly();
    }
  }

  @Test
  void aProcessThatIsGoneAlreadyCountsAsStopped() throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor();
    List<Stopper.Outcome> outcomes =
        Stopper.stop(
            List.of(
                new Stopper.Target(new Member(Role.BROKER, "broker-1", 0, ""), done.toHandle())),
            Duration.ofSeconds(5));
    assertThat(outcomes)
        .singleElement()
        .extracting(Stopper.Outcome::result)
        .isEqualTo(Stopper.Result.STOPPED);
  }
}
