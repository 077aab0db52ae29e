package io.strata.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strata.protocol.testing.KafkaFrames;
import io.strata.protocol.testing.LeakDetection;
import io.strata.protocol.testing.RawClient;
import io.strata.protocol.testing.RequestCorpus;
import io.strata.protocol.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded fuzzing of a live server: bursts of mutated (bit flips, overwritten bytes, truncation,
 * appended garbage, lying size prefixes, random API keys and versions, spliced frames, blasted
 * length fields) and random frames, mixed with well-formed ones, over many short connections from
 * several threads at once. Handlers answer at once, later on another thread, fail, or throw.
 *
 * <p>Holds: the server never crashes (a well-formed client is answered after every round of bursts,
 * on a fresh and on a long-lived connection), never hangs (every burst's connection ends within the
 * read timeout), leaks no buffer (paranoid leak detector, checked at the end), and every connection
 * is eventually closed.
 *
 * <p>{@code -Dstrata.fuzz.frames=N} (default 200,000), {@code -Dstrata.fuzz.seed=S} (default
 * random; printed), {@code -Dstrata.fuzz.threads=T} (default 8), {@code -Dstrata.fuzz.maxSeconds=M}
 * (default 600): the run fails if it has not fired N frames by then.
 */
@Tag("slow")
@Timeout(value = 2, unit = TimeUnit.HOURS)
class FuzzTest {

  private static final int FRAMES = Integer.getInteger("strata.fuzz.frames", 200_000);
  private static final long SEED = Long.getLong("strata.fuzz.seed", new Random().nextLong());
  private static final int THREADS = Integer.getInteger("strata.fuzz.threads", 8);
  private static final long MAX_SECONDS = Long.getLong("strata.fuzz.maxSeconds", 600);
  private static final int ROUND_FRAMES = 10_000;
  private static final int MAX_REQUEST_BYTES = 1 << 20;
  private static final int READ_TIMEOUT_MS = 15_000;

  private final List<byte[]> corpus = RequestCorpus.payloads();
  private final Map<String, AbstractResponse> defaultResponses = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> hangs = new ConcurrentLinkedQueue<>();
  private final AtomicLong framesFired = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();

  @Test
  void serverSurvivesMutatedAndRandomFrames() throws Exception {
    System.out.printf(
        "FuzzTest: seed=%d frames=%d threads=%d (rerun with -Dstrata.fuzz.seed=%d)%n",
        SEED, FRAMES, THREADS, SEED);
    ScheduledExecutorService completer = Executors.newScheduledThreadPool(2);
    ExecutorService clients = Executors.newFixedThreadPool(THREADS);
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(MAX_SECONDS);
    try (TestServer server =
            new TestServer(
                registry(completer),
                Map.of(
                    ProtocolConfig.SOCKET_REQUEST_MAX_BYTES_CONFIG,
                    MAX_REQUEST_BYTES,
                    ProtocolConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG,
                    30_000L));
        RawClient longLived = new RawClient(server.port)) {
      int round = 0;
      while (framesFired.get() < FRAMES) {
        assertThat(System.nanoTime())
            .as(
                "seed %d: fired %d of %d frames in %d s",
                SEED, framesFired.get(), FRAMES, MAX_SECONDS)
            .isLessThan(deadline);
        long target = Math.min(FRAMES, framesFired.get() + ROUND_FRAMES);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          long stream = ((long) round << 8) | t;
          workers.add(clients.submit(() -> fireUntil(server.port, target, stream)));
        }
        for (Future<?> w : workers) {
          w.get();
        }
        assertThat(hangs)
            .as("seed %d: connections that neither answered nor closed", SEED)
            .isEmpty();
        assertHealthy(server.port, longLived, round);
        round++;
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> server.metric("connection-count", Map.of("listener", "PLAINTEXT")) == 1.0);
      double invalid = server.metric("invalid-request-total", Map.of("listener", "PLAINTEXT"));
      double served = 0;
      double failures = 0;
      for (ApiKeys key : ApiKeys.brokerApis()) {
        served += server.metric("request-total", Map.of("api", key.name));
        failures += server.metric("handler-failure-total", Map.of("api", key.name));
      }
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.printf(
          "FuzzTest: seed=%d fired %d frames over %d connections in %d ms (%.0f frames/s); the"
              + " server examined %.0f: parsed and dispatched %.0f (%.0f handler failures),"
              + " rejected %.0f as bad input (connection closed)%n",
          SEED,
          framesFired.get(),
          connections.get(),
          elapsedMs,
          framesFired.get() * 1000.0 / Math.max(1, elapsedMs),
          served + invalid,
          served,
          failures,
          invalid);
      assertThat(served).as("requests reached handlers").isGreaterThan(FRAMES / 20.0);
      assertThat(invalid).as("bad input was detected").isGreaterThan(connections.get() / 2.0);
    } finally {
      clients.shutdownNow();
      completer.shutdownNow();
    }
    assertThat(LeakDetection.collectLeaks()).as("seed %d: buffer leaks", SEED).isEmpty();
  }

  /** Handlers for every broker API: answer now, answer later, fail, or throw. */
  private ApiRegistry registry(ScheduledExecutorService completer) {
    ApiRegistry.Builder builder = ApiRegistry.builder();
    for (ApiKeys key : ApiKeys.brokerApis()) {
      if (key == ApiKeys.API_VERSIONS) {
        continue;
      }
      builder.register(
          key,
          (ctx, request) -> {
            AbstractResponse response =
                defaultResponses.computeIfAbsent(
                    request.apiKey() + "/" + request.version(),
                    k -> KafkaFrames.defaultResponse(request.apiKey(), request.version()));
            switch (Math.floorMod(ctx.correlationId(), 8)) {
              case 4, 5 -> {
                CompletableFuture<AbstractResponse> f = new CompletableFuture<>();
                completer.schedule(
                    () -> f.complete(response),
                    Math.floorMod(ctx.correlationId(), 500),
                    TimeUnit.MICROSECONDS);
                return f;
              }
              case 6 -> {
                return CompletableFuture.failedFuture(new NotLeaderOrFollowerException("fuzz"));
              }
              case 7 -> throw new IllegalStateException("fuzz handler throws");
              default -> {
                return CompletableFuture.completedFuture(response);
              }
            }
          });
    }
    return builder.build();
  }

  /**
   * One worker, until the shared count reaches the target: opens a connection, writes a burst of
   * frames (each mutated or random with probability 1/2, well-formed otherwise), sometimes in small
   * chunks, half-closes, and reads until the server closes the connection. The server examines
   * frames up to the first bad one, closes, and discards the rest unread by any parser. A
   * connection that does not end within the read timeout is a hang.
   */
  private void fireUntil(int port, long target, long stream) {
    Random random = new Random(SEED ^ (stream * 0x9E3779B97F4A7C15L));
    byte[] drain = new byte[64 * 1024];
    java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
    while (framesFired.get() < target) {
      int frames = 1 + random.nextInt(16);
      burst.reset();
      for (int i = 0; i < frames; i++) {
        byte[] valid = corpus.get(random.nextInt(corpus.size()));
        burst.writeBytes(
            random.nextBoolean() ? KafkaFrames.withSizePrefix(valid) : mutate(valid, random));
      }
      framesFired.addAndGet(frames);
      connections.incrementAndGet();
      try {
        fire(port, burst.toByteArray(), random, drain);
      } catch (SocketTimeoutException e) {
        hangs.add("stream " + stream + ": " + e);
      } catch (IOException e) {
        // reset by the server closing mid-write: expected after bad input
      }
    }
  }

  private static void fire(int port, byte[] burst, Random random, byte[] drain) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoLinger(true, 0); // no TIME_WAIT pile-up on the client side
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(READ_TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      int pos = 0;
      while (pos < burst.length) {
        int chunk = random.nextInt(8) == 0 ? 1 + random.nextInt(16) : burst.length - pos;
        chunk = Math.min(chunk, burst.length - pos);
        out.write(burst, pos, chunk);
        pos += chunk;
      }
      socket.shutdownOutput();
      java.io.InputStream in = socket.getInputStream();
      while (in.read(drain) >= 0) {
        // discard responses until the server closes
      }
    }
  }

  /** Mutates a well-formed payload into a frame (size prefix included, possibly lying). */
  private byte[] mutate(byte[] payload, Random r) {
    byte[] p = payload.clone();
    switch (r.nextInt(10)) {
      case 0 -> { // bit flips
        for (int i = 1 + r.nextInt(8); i > 0; i--) {
          int at = r.nextInt(p.length);
          p[at] ^= (byte) (1 << r.nextInt(8));
        }
      }
      case 1 -> { // random bytes overwritten
        for (int i = 1 + r.nextInt(8); i > 0; i--) {
          p[r.nextInt(p.length)] = (byte) r.nextInt(256);
        }
      }
      case 2 -> p = java.util.Arrays.copyOf(p, r.nextInt(p.length)); // truncated
      case 3 -> { // garbage appended
        byte[] tail = new byte[1 + r.nextInt(64)];
        r.nextBytes(tail);
        p = concat(p, tail);
      }
      case 4 -> { // the size prefix lies
        int[] lies = {
          -1,
          Integer.MIN_VALUE,
          Integer.MAX_VALUE,
          MAX_REQUEST_BYTES + 1,
          0,
          p.length + 1,
          p.length - 1,
          r.nextInt(Math.max(1, p.length)),
          p.length + r.nextInt(1000)
        };
        ByteBuffer b = ByteBuffer.allocate(4 + p.length);
        b.putInt(lies[r.nextInt(lies.length)]).put(p);
        return b.array();
      }
      case 5 -> { // random API key and version on a valid request
        if (p.length >= 4) {
          ByteBuffer.wrap(p).putShort(0, (short) (r.nextBoolean() ? r.nextInt(100) : r.nextInt()));
          ByteBuffer.wrap(p)
              .putShort(2, (short) (r.nextBoolean() ? r.nextInt(20) - 2 : r.nextInt()));
        }
      }
      case 6 -> { // a real API key with a version around its range
        if (p.length >= 4) {
          ApiKeys key = ApiKeys.values()[r.nextInt(ApiKeys.values().length)];
          ByteBuffer.wrap(p)
              .putShort(0, key.id)
              .putShort(2, (short) (key.oldestVersion() - 2 + r.nextInt(key.latestVersion() + 5)));
        }
      }
      case 7 -> { // random bytes
        p = new byte[r.nextInt(256)];
        r.nextBytes(p);
      }
      case 8 -> { // splice: the start of one request, the end of another
        byte[] other = corpus.get(r.nextInt(corpus.size()));
        int cut = r.nextInt(p.length + 1);
        int from = r.nextInt(other.length + 1);
        p =
            concat(
                java.util.Arrays.copyOf(p, cut),
                java.util.Arrays.copyOfRange(other, from, other.length));
      }
      default -> { // a length or count field blasted
        if (p.length >= 4) {
          int[] values = {0x7fffffff, 0xffffffff, 0x80000000, 0x00ffffff, r.nextInt()};
          ByteBuffer.wrap(p).putInt(r.nextInt(p.length - 3), values[r.nextInt(values.length)]);
        }
      }
    }
    return KafkaFrames.withSizePrefix(p);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** A well-formed client is answered, on a fresh connection and on the long-lived one. */
  private static void assertHealthy(int port, RawClient longLived, int round) throws IOException {
    try (RawClient fresh = new RawClient(port, 5_000)) {
      checkClient(fresh, round);
    }
    checkClient(longLived, round);
  }

  private static void checkClient(RawClient client, int round) throws IOException {
    int correlationId = 1_000_000 + 2 * round * 8; // ≡ 0 mod 8: the handler answers at once
    ApiVersionsResponse versions =
        (ApiVersionsResponse)
            client.roundTrip(
                KafkaFrames.header(ApiKeys.API_VERSIONS, (short) 3, correlationId),
                new ApiVersionsRequestData()
                    .setClientSoftwareName("health")
                    .setClientSoftwareVersion("1"));
    assertThat(Errors.forCode(versions.data().errorCode()))
        .as("seed %d round %d", SEED, round)
        .isEqualTo(Errors.NONE);
    AbstractResponse metadata =
        client.roundTrip(
            KafkaFrames.header(ApiKeys.METADATA, (short) 12, correlationId + 8),
            new MetadataRequestData().setTopics(null));
    assertThat(metadata).as("seed %d round %d", SEED, round).isInstanceOf(MetadataResponse.class);
  }
}
