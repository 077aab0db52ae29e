package io.strata.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DelayedFetchQueueTest {
  private final ExecutorService executor = Executors.newSingleThreadExecutor();
  private final DelayedFetchQueue<String> queue = new DelayedFetchQueue<>(executor);

  @AfterEach
  void close() {
    queue.close();
    executor.shutdownNow();
  }

  @Test
  void wakesWhenEnoughBytesAreAppendedToAnyOfItsPartitions() throws Exception {
    CompletableFuture<Void> woke = new CompletableFuture<>();
    queue.park(List.of("a", "b"), 100, 60_000, () -> woke.complete(null));
    queue.onAppend("a", 60);
    queue.onAppend("c", 1000);
    assertThat(woke).isNotDone();
    queue.onAppend("b", 40);
    woke.get(5, TimeUnit.SECONDS);
    assertThat(queue.parked()).isZero();
  }

  @Test
  void wakesAtItsDeadlineWithoutAppends() {
    CompletableFuture<Long> woke = new CompletableFuture<>();
    long start = System.nanoTime();
    queue.park(List.of("a"), 1, 200, () -> woke.complete(System.nanoTime()));
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(woke.join() - start);
    assertThat(waitedMs).isGreaterThanOrEqualTo(150);
  }

  @Test
  void wakesExactlyOnce() throws Exception {
    AtomicInteger wakes = new AtomicInteger();
    DelayedFetchQueue<String>.Waiter w = queue.park(List.of("a"), 1, 50, wakes::incrementAndGet);
    queue.onAppend("a", 10);
    w.wake();
    queue.wakeAll("a");
    // Callbacks run in order on the single-threaded executor: once this marker ran, every wake
    // requested above has run; the deadline cannot add one since the waiter is already done.
    executor.submit(() -> {}).get(5, TimeUnit.SECONDS);
    assertThat(wakes).hasValue(1);
  }
}
