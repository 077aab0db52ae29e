package io.strata.ops.localcluster;

import io.strata.ops.component.BookieServerConfig;
import io.strata.ops.component.ConfigFiles;
import io.strata.ops.component.ZooKeeperServerConfig;
import io.strata.protocol.api.ProtocolConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.config.ConfigException;

/**
 * The files of a local cluster under its directory, and the members they describe.
 *
 * <pre>
 * DIR/config/zookeeper.properties, bookie-N.properties, broker-ID.properties   one per member
 * DIR/data/zookeeper/, DIR/data/bookie-N/                                     their data
 * DIR/logs/NAME.log                                                           stdout + stderr
 * DIR/pids/NAME.pid                                                           while it runs
 * </pre>
 *
 * <p>The config files are the record of the cluster: the first {@code up} writes them with the
 * ports it picked, every later {@code up} reads them back, so ids, ports and data stay the same. A
 * larger {@code --brokers} or {@code --bookies} adds members (new files); existing files are never
 * rewritten, so an operator's edits survive. Not thread-safe; callers hold the directory's lock.
 */
public final class ClusterLayout {
  private static final Pattern BOOKIE_FILE = Pattern.compile("bookie-(\\d+)\\.properties");
  private static final Pattern BROKER_FILE = Pattern.compile("broker-(\\d+)\\.properties");

  private final Path dir;
  private final Member zookeeper;
  private final List<Member> bookies;
  private final List<Member> brokers;

  private ClusterLayout(Path dir, Member zookeeper, List<Member> bookies, List<Member> brokers) {
    this.dir = dir;
    this.zookeeper = zookeeper;
    this.bookies = List.copyOf(bookies);
    this.brokers = List.copyOf(brokers);
  }

  /** Whether {@code dir} holds a local cluster's config. */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve("config").resolve("zookeeper.properties"));
  }

  /**
   * Reads the cluster in {@code dir}.
   *
   * @throws LocalClusterException if there is none, or a config file is unreadable or invalid
   */
  public static ClusterLayout read(Path dir) throws IOException {
    if (!exists(dir)) {
      throw new LocalClusterException(
          "No local cluster in "
              + dir
              + " (no config/zookeeper.properties); start one with `strata local-cluster up --dir "
              + dir
              + "`.");
    }
    Path config = dir.resolve("config");
    try {
      Map<String, String> zk = ConfigFiles.read(config.resolve("zookeeper.properties"));
      int zkPort = new ZooKeeperServerConfig(zk).clientPort();
      Member zookeeper = new Member(Role.ZOOKEEPER, "zookeeper", zkPort, "127.0.0.1:" + zkPort);
      List<Member> bookies = new ArrayList<>();
      for (Path f : numbered(config, BOOKIE_FILE)) {
        int port = new BookieServerConfig(ConfigFiles.read(f)).port();
        bookies.add(new Member(Role.BOOKIE, baseName(f), port, "127.0.0.1:" + port));
      }
      List<Member> brokers = new ArrayList<>();
      for (Path f : numbered(config, BROKER_FILE)) {
        ProtocolConfig protocol = new ProtocolConfig(ConfigFiles.read(f));
        Endpoint advertised = protocol.advertisedListeners().get(0);
        int port = protocol.listeners().get(0).port();
        String host =
            advertised.host() == null || advertised.host().isEmpty()
                ? "127.0.0.1"
                : advertised.host();
        int advertisedPort = advertised.port() == 0 ? port : advertised.port();
        brokers.add(new Member(Role.BROKER, baseName(f), port, host + ":" + advertisedPort));
      }
      return new ClusterLayout(dir, zookeeper, bookies, brokers);
    } catch (ConfigException e) {
      throw new LocalClusterException("Invalid config in " + config + ": " + e.getMessage());
    }
  }

  /**
   * Makes sure {@code dir} holds a cluster with at least {@code brokers} brokers and {@code
   * bookies} bookies, writing config files for members that do not exist yet, and reads it.
   *
   * @param brokers wanted brokers, or 0 to keep what exists (1 for a new cluster)
   * @param bookies wanted bookies, or 0 to keep what exists (3 for a new cluster)
   * @param firstPort where new members' ports start, or 0 for anywhere free
   * @throws LocalClusterException if fewer members are asked for than exist
   */
  public static ClusterLayout create(Path dir, int brokers, int bookies, int firstPort)
      throws IOException {
    Files.createDirectories(dir.resolve("config"));
    ClusterLayout existing = exists(dir) ? read(dir) : null;
    Set<Integer> taken = new HashSet<>();
    int zkPort;
    int haveBookies = 0;
    int haveBrokers = 0;
    if (existing != null) {
      existing.members().forEach(m -> taken.add(m.port()));
      zkPort = existing.zookeeper.port();
      haveBookies = existing.bookies.size();
      haveBrokers = existing.brokers.size();
      refuseShrink("bookies", bookies, existing.bookies);
      refuseShrink("brokers", brokers, existing.brokers);
    } else {
      zkPort = -1;
    }
    int wantBookies = bookies > 0 ? bookies : haveBookies > 0 ? haveBookies : 3;
    int wantBrokers = brokers > 0 ? brokers : haveBrokers > 0 ? haveBrokers : 1;
    PortAllocator ports = new PortAllocator(firstPort, taken);
    if (existing == null) {
      zkPort = ports.next();
      write(
          dir.resolve("config/zookeeper.properties"),
          "ZooKeeper of this local cluster (keys: ops/config/zookeeper.properties).",
          orderedMap(
              ZooKeeperServerConfig.DATA_DIR,
              dir.resolve("data/zookeeper").toString(),
              ZooKeeperServerConfig.CLIENT_PORT,
              String.valueOf(zkPort)));
    }
    String zkConnect = "127.0.0.1:" + zkPort;
    for (int i = nextNumber(existing == null ? List.of() : existing.bookies);
        i <= wantBookies;
        i++) {
      String name = "bookie-" + i;
      Map<String, String> p = new LinkedHashMap<>();
      p.put(BookieServerConfig.BOOKIE_ID, name);
      p.put(BookieServerConfig.PORT, String.valueOf(ports.next()));
      p.put(BookieServerConfig.DATA_DIR, dir.resolve("data").resolve(name).toString());
      p.put(BookieServerConfig.ZOOKEEPER_CONNECT, zkConnect);
      write(
          dir.resolve("config").resolve(name + ".properties"),
          "Bookie " + name + " of this local cluster (keys: ops/config/bookie.properties).",
          p);
    }
    for (int id = nextNumber(existing == null ? List.of() : existing.brokers);
        id <= wantBrokers;
        id++) {
      String name = "broker-" + id;
      Map<String, String> p = new LinkedHashMap<>();
      p.put("broker.id", String.valueOf(id));
      p.put("listeners", "PLAINTEXT://127.0.0.1:" + ports.next());
      p.put("zookeeper.connect", zkConnect);
      // Replicas are bookies: a topic's replication factor is its write quorum.
      p.put("default.replication.factor", String.valueOf(Math.min(wantBookies, 3)));
      p.put("min.insync.replicas", String.valueOf(Math.min(wantBookies, 2)));
      write(
          dir.resolve("config").resolve(name + ".properties"),
          "Broker "
              + id
              + " of this local cluster: broker properties (docs/configuration.md,"
              + " ops/config/broker.properties).",
          p);
    }
    return read(dir);
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static void refuseShrink(String what, int wanted, List<Member> have) {
    if (wanted > 0 && wanted < have.size()) {
      throw new LocalClusterException(
          "This cluster has "
              + have.size()
              + " "
              + what
              + " ("
              + have.get(0).name()
              + " .. "
              + have.get(have.size() - 1).name()
              + "); --"
              + what
              + " "
              + wanted
              + " would leave some out. Use --"
              + what
              + " "
              + have.size()
              + " (or omit it), or another --dir.");
    }
  }

  private static int nextNumber(List<Member> have) {
    return have.isEmpty() ? 1 : number(have.get(have.size() - 1).name()) + 1;
  }

  private static int number(String name) {
    return Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
  }

  private static List<Path> numbered(Path config, Pattern pattern) throws IOException {
    try (Stream<Path> files = Files.list(config)) {
      return files
          .filter(f -> pattern.matcher(f.getFileName().toString()).matches())
          .sorted(Comparator.comparingInt(f -> number(baseName(f))))
          .toList();
    }
  }

  private static String baseName(Path file) {
    String n = file.getFileName().toString();
    return n.substring(0, n.length() - ".properties".length());
  }

  private static void write(Path file, String title, Map<String, String> props) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("# ").append(title).append('\n');
    b.append("# Written once by `strata local-cluster up`, never rewritten: edit it and run `up`")
        .append(
            " again\n# (after `down`) to apply. Ports and ids here are the cluster's record.\n");
    props.forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }

  public Path dir() {
    return dir;
  }

  public Member zookeeper() {
    return zookeeper;
  }

  public List<Member> bookies() {
    return bookies;
  }

  public List<Member> brokers() {
    return brokers;
  }

  /** Every member in start order: ZooKeeper, bookies, brokers. */
  public List<Member> members() {
    List<Member> all = new ArrayList<>();
    all.add(zookeeper);
    all.addAll(bookies);
    all.addAll(brokers);
    return all;
  }

  /** The members of one role, in order. */
  public List<Member> members(Role role) {
    return switch (role) {
      case ZOOKEEPER -> List.of(zookeeper);
      case BOOKIE -> bookies;
      case BROKER -> brokers;
    };
  }

  public Path configFile(Member m) {
    return dir.resolve("config").resolve(m.name() + ".properties");
  }

  public Path logFile(Member m) {
    return dir.resolve("logs").resolve(m.name() + ".log");
  }

  public Path pidFile(Member m) {
    return dir.resolve("pids").resolve(m.name() + ".pid");
  }
}
