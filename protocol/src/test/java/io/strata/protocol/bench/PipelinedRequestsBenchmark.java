package io.strata.protocol.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.ResourceLeakDetector;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.ProtocolConfig;
import io.strata.protocol.api.ProtocolServer;
import io.strata.protocol.internals.ProtocolMetrics;
import io.strata.protocol.testing.KafkaFrames;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pipelined requests per second through a live server with a trivial handler (a prebuilt Metadata
 * v12 response), over 1 and 64 connections, each keeping {@value #DEPTH} requests in flight. The
 * client is a Netty client on one event loop in the same JVM, so client and server share the
 * machine. Prints a Markdown table.
 *
 * <p>Run: {@code mvn -B -pl protocol verify -Dtest=PipelinedRequestsBenchmark
 * -Dstrata.test.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}; the table is in {@code
 * protocol/target/surefire-reports/io.strata.protocol.bench.PipelinedRequestsBenchmark-output.txt}
 * and {@code protocol/target/pipelined-requests-benchmark.md}. Leak detection is switched off for
 * the measurement. {@code -Dstrata.bench.seconds=N} sets the measured time per row (default 10).
 */
@Tag("bench")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PipelinedRequestsBenchmark {

  private static final int DEPTH = 64;
  private static final short METADATA_V = 12;

  @Test
  void pipelinedRequestsPerSecond() throws Exception {
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    try {
      String table = run(Integer.getInteger("strata.bench.seconds", 10));
      System.out.print(table);
      java.nio.file.Files.writeString(
          java.nio.file.Path.of("target", "pipelined-requests-benchmark.md"), table);
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }

  public static void main(String[] args) throws Exception {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    System.out.print(run(args.length > 0 ? Integer.parseInt(args[0]) : 10));
  }

  static String run(int seconds) throws Exception {
    AbstractResponse stub = KafkaFrames.defaultResponse(ApiKeys.METADATA, METADATA_V);
    ApiRegistry registry =
        ApiRegistry.builder()
            .register(ApiKeys.METADATA, (ctx, r) -> CompletableFuture.completedFuture(stub))
            .build();
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "Pipelined Metadata v12 requests, trivial handler, %d in flight per connection, %d"
                + " cores, %d s per row%n%n",
            DEPTH,
            Runtime.getRuntime().availableProcessors(),
            seconds));
    table.append("| connections | requests/s | server p50 ms | server p99 ms |\n");
    table.append("| ---: | ---: | ---: | ---: |\n");
    for (int connections : new int[] {1, 64}) {
      try (ProtocolServer server =
          new ProtocolServer(
              new ProtocolConfig(Map.of("listeners", "PLAINTEXT://127.0.0.1:0")), registry)) {
        server.start();
        measure(server.boundPort(), connections, 2); // warm-up
        double rate = measure(server.boundPort(), connections, seconds);
        table.append(
            String.format(
                Locale.ROOT,
                "| %d | %,.0f | %.3f | %.3f |%n",
                connections,
                rate,
                latency(server, "request-latency-ms-p50"),
                latency(server, "request-latency-ms-p99")));
      }
    }
    return table.toString();
  }

  private static double latency(ProtocolServer server, String name) {
    KafkaMetric m =
        server
            .metrics()
            .metric(
                server
                    .metrics()
                    .metricName(name, ProtocolMetrics.GROUP, "", Map.of("api", "Metadata")));
    return ((Number) m.metricValue()).doubleValue();
  }

  /** Responses per second over {@code seconds}, with DEPTH requests in flight per connection. */
  private static double measure(int port, int connections, int seconds) throws Exception {
    byte[] request =
        KafkaFrames.requestFrame(
            KafkaFrames.header(ApiKeys.METADATA, METADATA_V, 1),
            new MetadataRequestData().setTopics(null));
    ByteBuf template = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(request));
    LongAdder responses = new LongAdder();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    List<Channel> channels = new ArrayList<>();
    try {
      Bootstrap b =
          new Bootstrap()
              .group(group)
              .channel(NioSocketChannel.class)
              .option(ChannelOption.TCP_NODELAY, true)
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline()
                          .addLast(new LengthFieldBasedFrameDecoder(64 << 20, 0, 4, 0, 4))
                          .addLast(new PipelinedClient(template, responses));
                    }
                  });
      for (int i = 0; i < connections; i++) {
        channels.add(b.connect("127.0.0.1", port).sync().channel());
      }
      long before = responses.sum();
      long start = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds)); // the measurement window, not a sync
      long count = responses.sum() - before;
      double elapsed = (System.nanoTime() - start) / 1e9;
      for (Channel ch : channels) {
        ch.close().sync();
      }
      return count / elapsed;
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /** Keeps DEPTH requests in flight: one new request per response. */
  private static final class PipelinedClient extends ChannelInboundHandlerAdapter {
    private final ByteBuf template;
    private final LongAdder responses;

    PipelinedClient(ByteBuf template, LongAdder responses) {
      this.template = template;
      this.responses = responses;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      for (int i = 0; i < DEPTH; i++) {
        ctx.write(template.duplicate());
      }
      ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ((ByteBuf) msg).release();
      responses.increment();
      ctx.write(template.duplicate());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }
  }
}
