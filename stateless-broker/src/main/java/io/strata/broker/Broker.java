package io.strata.broker;

import io.strata.broker.cluster.Controller;
import io.strata.broker.cluster.LoadReporter;
import io.strata.broker.config.BrokerConfig;
import io.strata.broker.fetch.DelayedFetchQueue;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.handlers.BrokerHandlers;
import io.strata.broker.metadata.AssignmentStore;
import io.strata.broker.metadata.BrokerRegistration;
import io.strata.broker.metadata.ClusterMetadataStore;
import io.strata.broker.metadata.MetadataCache;
import io.strata.broker.metadata.ZkAsync;
import io.strata.broker.partition.PartitionManager;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.topic.TopicService;
import io.strata.protocol.api.ApiRegistry;
import io.strata.protocol.api.ProtocolServer;
import io.strata.storage.api.LogStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.utils.Time;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Strata broker: serves the Kafka protocol for the partitions it owns, keeps nothing that matters
 * locally, and registers in ZooKeeper.
 *
 * <p>Lifecycle: {@link #start()} connects to ZooKeeper and the bookies, registers, joins the
 * controller election and starts serving (blocking; call it from a main thread, never an event
 * loop). {@link #close()} is a controlled shutdown: the broker resigns as controller and
 * unregisters, the controller moves its partitions to other brokers (each is sealed, its producer
 * state saved and its ownership released, so the next owner starts at once), whatever is left is
 * sealed the same way, then it stops.
 *
 * <p>ZooKeeper session: while disconnected the broker refuses appends (the session may be expiring,
 * after which others may take its partitions); on reconnection it resumes; if the session expired
 * it stops serving everything, opens a new session, registers again and takes back what the
 * controller assigns to it. BookKeeper fencing makes an append by a broker that lost a partition
 * impossible in any case.
 *
 * <p>Threads: Netty event loops (protocol), a pool running each partition's serial executor, a
 * single metadata thread completing ZooKeeper calls in order, and one scheduler thread.
 */
public final class Broker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final LogStoreFactory logStoreFactory;
  private final Time time;
  private final Metrics metrics = new Metrics();
  private final ExecutorService metadataExecutor =
      Executors.newSingleThreadExecutor(named("strata-metadata"));
  private final ExecutorService pool =
      Executors.newFixedThreadPool(
          Math.max(2, Runtime.getRuntime().availableProcessors()), named("strata-partition"));
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(named("strata-scheduler"));

  private ZkAsync zk;
  private LogStore logs;
  private ClusterMetadataStore store;
  private AssignmentStore assignments;
  private MetadataCache cache;
  private PartitionManager partitions;
  private Controller controller;
  private LoadReporter loadReporter;
  private GroupCoordinator groups;
  private ProtocolServer server;
  private DelayedFetchQueue<TopicIdPartition> delayedFetches;
  private BrokerRegistration registration;
  private int brokerId = -1;
  private String clusterId;
  private volatile boolean closed;

  /** Creates the storage layer once ZooKeeper is reachable. */
  @FunctionalInterface
  public interface LogStoreFactory {
    LogStore create(BrokerConfig config) throws Exception;
  }

  public Broker(BrokerConfig config, LogStoreFactory logStoreFactory, Time time) {
    this.config = config;
    this.logStoreFactory = logStoreFactory;
    this.time = time;
  }

  /**
   * Connects, registers and serves. Blocks until the broker serves or fails.
   *
   * @throws Exception with a message naming what could not be reached or configured
   */
  public synchronized void start() throws Exception {
    String root = config.metadataRoot();
    zk = new ZkAsync(connectZooKeeper(), metadataExecutor);
    store = new ClusterMetadataStore(zk, root);
    assignments = new AssignmentStore(zk, root);
    store.init().get(30, TimeUnit.SECONDS);
    assignments.init().get(30, TimeUnit.SECONDS);
    clusterId = store.clusterId().get(30, TimeUnit.SECONDS);
    brokerId =
        config.brokerId() >= 0
            ? config.brokerId()
            : store.generateBrokerId().get(30, TimeUnit.SECONDS);
    logs = logStoreFactory.create(config);
    cache = new MetadataCache(store, assignments, root);
    cache.start().get(30, TimeUnit.SECONDS);

    delayedFetches = new DelayedFetchQueue<>(pool);
    ProducerIdManager producerIds = new ProducerIdManager(store);
    partitions =
        new PartitionManager(
            brokerId,
            config,
            store,
            cache,
            logs,
            producerIds,
            time,
            pool,
            scheduler,
            config.handoffTimeoutMs(),
            root,
            delayedFetches);
    TopicService topics = new TopicService(config, store, cache, partitions);
    groups =
        new GroupCoordinator(GroupCoordinator.Settings.from(config), cache, topics, pool, time);
    partitions.addListener(groups);
    ApiRegistry.Builder registry = ApiRegistry.builder();
    new BrokerHandlers(
            config,
            brokerId,
            clusterId,
            cache,
            topics,
            partitions,
            producerIds,
            assignments,
            delayedFetches,
            time,
            groups)
        .register(registry);
    server = new ProtocolServer(config.protocol(), registry.build(), metrics);
    server.start();

    registration =
        new BrokerRegistration(brokerId, advertisedEndpoints(), config.rack(), time.milliseconds());
    registerWithRetry(registration);
    controller =
        new Controller(
            brokerId,
            cache,
            assignments,
            scheduler,
            config.controllerBalanceIntervalMs(),
            config.controllerMaxMoves(),
            time);
    controller.start();
    loadReporter = new LoadReporter(brokerId, partitions, assignments, time);
    loadReporter.start(scheduler, config.loadReportIntervalMs());
    partitions.start().get(60, TimeUnit.SECONDS);
    topics.resumeDeletions();
    log.info("Broker {} of cluster {} serving on {}", brokerId, clusterId, advertisedEndpoints());
  }

  private ZooKeeper connectZooKeeper() throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper client =
        new ZooKeeper(
            config.zookeeperConnect(),
            config.zookeeperSessionTimeoutMs(),
            event -> {
              if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
              onSessionEvent(event);
            });
    if (!connected.await(config.zookeeperSessionTimeoutMs(), TimeUnit.MILLISECONDS)) {
      client.close();
      throw new IllegalStateException(
          "Could not connect to ZooKeeper at "
              + config.zookeeperConnect()
              + " within "
              + config.zookeeperSessionTimeoutMs()
              + " ms: is it running, and is zookeeper.connect right?");
    }
    return client;
  }

  private void onSessionEvent(WatchedEvent event) {
    if (event.getType() != Watcher.Event.EventType.None || partitions == null || closed) {
      return;
    }
    switch (event.getState()) {
      case Disconnected -> {
        log.warn(
            "Broker {} lost its ZooKeeper connection; refusing appends until it is back", brokerId);
        partitions.suspend(true);
      }
      case SyncConnected -> {
        if (partitions != null) {
          log.info("Broker {} reconnected to ZooKeeper", brokerId);
          partitions.suspend(false);
        }
      }
      case Expired -> scheduler.execute(this::rejoinAfterExpiry);
      default -> {}
    }
  }

  /** The session expired: stop serving, open a new session, register again, serve again. */
  private void rejoinAfterExpiry() {
    if (closed) {
      return;
    }
    log.error(
        "ZooKeeper session of broker {} expired: it stops serving its partitions and rejoins",
        brokerId);
    try {
      partitions.dropAll("the broker's ZooKeeper session expired").get(60, TimeUnit.SECONDS);
      ZooKeeper old = zk.zooKeeper();
      zk.replace(connectZooKeeper());
      try {
        old.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      cache.start().get(30, TimeUnit.SECONDS);
      registerWithRetry(registration);
      partitions.suspend(false);
      log.info("Broker {} rejoined the cluster with a new ZooKeeper session", brokerId);
    } catch (Exception e) {
      log.error("Broker {} could not rejoin after its session expired; retrying", brokerId, e);
      scheduler.schedule(this::rejoinAfterExpiry, 2, TimeUnit.SECONDS);
    }
  }

  /**
   * Registers; if a previous incarnation of this broker id is still registered (its session has not
   * expired yet after a crash), waits for ZooKeeper to expire it.
   */
  private void registerWithRetry(BrokerRegistration reg) throws Exception {
    long deadline = time.milliseconds() + 2L * config.zookeeperSessionTimeoutMs() + 5000;
    boolean logged = false;
    while (true) {
      try {
        store.registerBroker(reg).get(30, TimeUnit.SECONDS);
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        if (!ZkAsync.is(e, KeeperException.Code.NODEEXISTS) || time.milliseconds() > deadline) {
          throw new IllegalStateException(
              "Could not register broker " + brokerId + " in ZooKeeper: " + e.getCause(), e);
        }
        if (!logged) {
          log.info(
              "Broker id {} is still registered by a previous session; waiting for it to expire",
              brokerId);
          logged = true;
        }
        time.sleep(200);
      }
    }
  }

  private Map<String, String> advertisedEndpoints() {
    Map<String, String> out = new LinkedHashMap<>();
    for (var e : server.advertisedEndpoints()) {
      out.put(e.listener(), e.host() + ":" + e.port());
    }
    return out;
  }

  public int brokerId() {
    return brokerId;
  }

  public String clusterId() {
    return clusterId;
  }

  /** The port the first listener is bound to. */
  public int boundPort() {
    return server.boundPort();
  }

  public Metrics metrics() {
    return metrics;
  }

  /** The storage layer this broker writes to (for tests and ops tools). */
  public LogStore logStore() {
    return logs;
  }

  public PartitionManager partitions() {
    return partitions;
  }

  /** True while this broker is the elected controller. */
  public boolean isController() {
    return controller != null && controller.isActive();
  }

  /** The broker's ZooKeeper handle (tests use it to expire the session). */
  public ZooKeeper zooKeeper() {
    return zk.zooKeeper();
  }

  /**
   * Stops abruptly, as a crash would look to the cluster: the ZooKeeper session and the listener
   * close, nothing is sealed, released or handed over. The partitions' logs stay open (their
   * ledgers unsealed) until another broker takes them over and fences them. For tests of failover
   * in one JVM; real crashes are tested by killing processes.
   */
  public synchronized void halt() {
    if (closed) {
      return;
    }
    closed = true;
    log.warn("Broker {} halting without a controlled shutdown", brokerId);
    if (loadReporter != null) {
      loadReporter.close();
    }
    server.close();
    try {
      zk.zooKeeper().close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    pool.shutdownNow();
    metadataExecutor.shutdownNow();
    metrics.close();
  }

  /** The group coordinator (for tests, benchmarks and ops). */
  public GroupCoordinator groupCoordinator() {
    return groups;
  }

  /** How long a stopping broker waits for some broker to be elected controller. */
  private static final long NO_CONTROLLER_GRACE_MS = 5_000;

  /** Controlled shutdown; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("Broker {} shutting down", brokerId);
    if (loadReporter != null) {
      loadReporter.close();
    }
    if (controller != null) {
      controller.close();
    }
    if (store != null && brokerId >= 0) {
      try {
        store.unregisterBroker(brokerId).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Could not unregister broker {}: {}", brokerId, e.toString());
      }
    }
    if (partitions != null) {
      awaitHandOff();
      partitions.close();
    }
    if (groups != null) {
      groups.close();
    }
    if (server != null) {
      server.close();
    }
    if (logs != null) {
      logs.close();
    }
    if (zk != null) {
      try {
        zk.zooKeeper().close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    scheduler.shutdownNow();
    pool.shutdown();
    metadataExecutor.shutdown();
    metrics.close();
    log.info("Broker {} stopped", brokerId);
  }

  /**
   * Waits (up to {@code strata.shutdown.timeout.ms}) while the controller moves this broker's
   * partitions to the others, each handed over as it goes. Stops waiting as soon as nobody can take
   * them: no other broker is registered (the whole cluster is stopping: `local-cluster down`), or
   * no controller has been elected for {@link #NO_CONTROLLER_GRACE_MS} (this broker resigned and no
   * other took over); the partitions are then closed here and their next owner recovers them.
   */
  private void awaitHandOff() {
    CompletableFuture<Void> handedOff = partitions.awaitHandedOff(config.shutdownTimeoutMs());
    long noControllerSince = -1;
    while (true) {
      try {
        handedOff.get(50, TimeUnit.MILLISECONDS);
        return;
      } catch (java.util.concurrent.TimeoutException e) {
        // still handing over: check below whether anyone can take the partitions
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        log.warn("Hand-off of broker {}'s partitions did not finish: {}", brokerId, e.toString());
        return;
      }
      MetadataCache.Snapshot snap = cache.snapshot();
      if (snap.brokers().stream().noneMatch(b -> b.id() != brokerId)) {
        log.info("Broker {}: no other broker is registered; closing its partitions", brokerId);
        return;
      }
      long now = System.nanoTime();
      if (snap.controller().filter(c -> c != brokerId).isPresent()) {
        noControllerSince = -1;
      } else if (noControllerSince < 0) {
        noControllerSince = now;
      } else if (now - noControllerSince > TimeUnit.MILLISECONDS.toNanos(NO_CONTROLLER_GRACE_MS)) {
        log.info(
            "Broker {}: no controller for {} ms to move its partitions; closing them",
            brokerId,
            NO_CONTROLLER_GRACE_MS);
        return;
      }
    }
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
