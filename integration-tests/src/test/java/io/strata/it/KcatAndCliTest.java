package io.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.it.support.StandaloneExtension;
import io.strata.ops.cli.StrataCli;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** librdkafka (kcat) and the strata CLI against a standalone Strata. */
@Tag("integration")
@Timeout(120)
class KcatAndCliTest {

  @RegisterExtension static final StandaloneExtension strata = StandaloneExtension.withBookies(1);

  /** Output of a finished command. */
  record Run(int exit, String out, String err) {}

  private static Run kcat(String stdin, String... args) throws Exception {
    assumeTrue(
        new File("/usr/bin/kcat").canExecute() || onPath("kcat"),
        "kcat is not installed (CI installs it with apt-get install kcat)");
    List<String> cmd = new ArrayList<>();
    cmd.add("kcat");
    cmd.add("-b");
    cmd.add(strata.bootstrap());
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("kcat", ".out");
    Path err = Files.createTempFile("kcat", ".err");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kcat " + String.join(" ", args) + " did not finish in 60 s");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static boolean onPath(String exe) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, exe).canExecute()) {
        return true;
      }
    }
    return false;
  }

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--bootstrap-server");
    all.add(strata.bootstrap());
    int exit =
        StrataCli.run(
            new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void kcatProducesConsumesAndListsMetadata() throws Exception {
    Run create = cli("topics", "create", "--topic", "kcat-topic", "--partitions", "2");
    assertThat(create.exit()).as(create.err()).isZero();

    StringBuilder input = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      input.append("k").append(i).append(':').append("value-").append(i).append('\n');
    }
    Run produce =
        kcat(input.toString(), "-P", "-t", "kcat-topic", "-p", "1", "-K:", "-X", "acks=all");
    assertThat(produce.exit()).as(produce.err()).isZero();

    Run consume =
        kcat(
            null,
            "-C",
            "-t",
            "kcat-topic",
            "-p",
            "1",
            "-o",
            "beginning",
            "-e",
            "-f",
            "%k=%s@%o\\n");
    assertThat(consume.exit()).as(consume.err()).isZero();
    List<String> lines = consume.out().lines().toList();
    assertThat(lines).hasSize(100);
    for (int i = 0; i < 100; i++) {
      assertThat(lines.get(i)).isEqualTo("k" + i + "=value-" + i + "@" + i);
    }

    Run meta = kcat(null, "-L", "-t", "kcat-topic");
    assertThat(meta.out()).contains("topic \"kcat-topic\" with 2 partitions");
    assertThat(meta.out()).contains("leader " + strata.standalone().broker().brokerId());

    Run offsets = kcat(null, "-Q", "-t", "kcat-topic:1:-1");
    assertThat(offsets.out()).contains("kcat-topic [1] offset 100");
  }

  @Test
  void cliManagesTopicsWithClearErrors() throws IOException {
    Run create =
        cli(
            "topics",
            "create",
            "--topic",
            "cli-topic",
            "--partitions",
            "3",
            "--config",
            "retention.ms=86400000");
    assertThat(create.exit()).as(create.err()).isZero();
    assertThat(create.out()).contains("Created topic cli-topic.");

    Run again = cli("topics", "create", "--topic", "cli-topic");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("TopicExists").contains("already exists");
    assertThat(cli("topics", "create", "--topic", "cli-topic", "--if-not-exists").exit()).isZero();

    assertThat(cli("topics", "list").out().lines()).contains("cli-topic");

    Run describe = cli("topics", "describe", "--topic", "cli-topic");
    assertThat(describe.out()).contains("PartitionCount: 3").contains("retention.ms=86400000");
    assertThat(describe.out().lines().filter(l -> l.contains("Partition: "))).hasSize(3);

    Run alter =
        cli(
            "topics",
            "alter",
            "--topic",
            "cli-topic",
            "--partitions",
            "4",
            "--add-config",
            "retention.ms=1000");
    assertThat(alter.exit()).as(alter.err()).isZero();
    assertThat(cli("topics", "describe", "--topic", "cli-topic").out())
        .contains("PartitionCount: 4")
        .contains("retention.ms=1000");

    Run badConfig =
        cli("topics", "alter", "--topic", "cli-topic", "--add-config", "retention.ms=soon");
    assertThat(badConfig.exit()).isEqualTo(1);
    assertThat(badConfig.err()).contains("retention.ms");

    assertThat(cli("topics", "delete", "--topic", "cli-topic").exit()).isZero();
    Run missing = cli("topics", "describe", "--topic", "cli-topic");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("UnknownTopicOrPartition");
  }
}
