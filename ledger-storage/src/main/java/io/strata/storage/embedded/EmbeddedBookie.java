package io.strata.storage.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage;
import org.apache.bookkeeper.common.component.LifecycleComponentStack;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.bookkeeper.proto.BookieServer;
import org.apache.bookkeeper.server.EmbeddedServer;
import org.apache.bookkeeper.server.conf.BookieConfiguration;

/**
 * A real BookKeeper bookie in this JVM: journal, DbLedgerStorage (RocksDB index plus entry logs),
 * Netty server on 127.0.0.1, registered in the cluster's ZooKeeper.
 *
 * <p>Everything lives under its own directory ({@code journal/}, {@code ledgers/}). Its identity is
 * a fixed bookie id ({@code bookieId}), not its address, so it can come back on another port with
 * the same directories and keep its data and cookie.
 *
 * <p>Lifecycle: {@link #start()} / {@link #stop()} may alternate; {@link #pause()} stops reading
 * requests from its client connections (the real server's {@code suspendProcessing}: writes to it
 * hang, as on a stalled machine) until {@link #resume()}. Not thread-safe: drive it from one thread
 * (the test or the standalone command). All methods block.
 */
public final class EmbeddedBookie implements AutoCloseable {
  private static final int READ_BUFFER_BYTES = 128 * 1024;

  private final String bookieId;
  private final Path dir;
  private final Settings settings;
  private final String metadataServiceUri;
  private int port;
  private EmbeddedServer server;
  private LifecycleComponentStack stack;

  /** Tunables of an embedded bookie; defaults suit a small machine running several bookies. */
  public record Settings(
      boolean journalSyncData,
      long journalMaxGroupWaitMs,
      long gcWaitTimeMs,
      int writeCacheMb,
      int readAheadCacheMb) {
    public static Settings defaults() {
      // A 64 MiB write cache (flushed in 32 MiB halves, sorted by ledger) keeps each ledger's
      // entries in long runs in the entry log, so a catch-up read's read-ahead covers many entries
      // per run instead of stopping at the next ledger's entry every megabyte or so.
      return new Settings(true, 1, 60_000, 64, 16);
    }

    public Settings withGcWaitTimeMs(long ms) {
      return new Settings(
          journalSyncData, journalMaxGroupWaitMs, ms, writeCacheMb, readAheadCacheMb);
    }

    public Settings withJournalSyncData(boolean sync) {
      return new Settings(
          sync, journalMaxGroupWaitMs, gcWaitTimeMs, writeCacheMb, readAheadCacheMb);
    }
  }

  /**
   * Prepares (does not start) a bookie.
   *
   * @param bookieId the bookie's stable id, e.g. {@code bookie-0}
   * @param dir its directory (created if missing)
   * @param metadataServiceUri e.g. {@code zk+hierarchical://127.0.0.1:2181/ledgers}
   * @param port the port to listen on, 0 for a free one chosen now and kept across restarts
   */
  public EmbeddedBookie(
      String bookieId, Path dir, String metadataServiceUri, int port, Settings settings)
      throws IOException {
    this.bookieId = bookieId;
    this.dir = dir;
    this.metadataServiceUri = metadataServiceUri;
    this.settings = settings;
    this.port = port == 0 ? PortFinder.freePort() : port;
    Files.createDirectories(dir.resolve("journal"));
    Files.createDirectories(dir.resolve("ledgers"));
  }

  /** The configuration the bookie runs with. */
  public ServerConfiguration configuration() {
    ServerConfiguration conf = new ServerConfiguration();
    conf.setMetadataServiceUri(metadataServiceUri);
    conf.setBookieId(bookieId);
    conf.setBookiePort(port);
    conf.setAdvertisedAddress("127.0.0.1");
    conf.setListeningInterface("lo");
    conf.setAllowLoopback(true);
    conf.setJournalDirName(dir.resolve("journal").toString());
    conf.setLedgerDirNames(new String[] {dir.resolve("ledgers").toString()});
    conf.setLedgerStorageClass(DbLedgerStorage.class.getName());
    conf.setJournalSyncData(settings.journalSyncData());
    conf.setJournalMaxGroupWaitMSec(settings.journalMaxGroupWaitMs());
    conf.setJournalFlushWhenQueueEmpty(false);
    conf.setGcWaitTime(settings.gcWaitTimeMs());
    // Deleted ledgers leave the bookie's storage only after its write cache is flushed, so a
    // short GC period goes with a short flush period.
    conf.setFlushInterval((int) Math.min(60_000, settings.gcWaitTimeMs()));
    conf.setEntryLogSizeLimit(64L * 1024 * 1024);
    // Entry-log reads go through a per-thread buffer of this size (BookKeeper's default, 512
    // bytes, means two preads per entry); read-ahead then reads runs of entries in few syscalls.
    conf.setReadBufferBytes(READ_BUFFER_BYTES);
    conf.setProperty("dbStorage_writeCacheMaxSizeMb", settings.writeCacheMb());
    conf.setProperty("dbStorage_readAheadCacheMaxSizeMb", settings.readAheadCacheMb());
    conf.setProperty("dbStorage_rocksDB_blockCacheSize", 8L * 1024 * 1024);
    conf.setProperty("journalPreAllocSizeMB", 4);
    conf.setServerNumIOThreads(2);
    // Adds are handled on the bookie's I/O threads (as Pulsar configures its bookies): one thread
    // hand-off less per entry, which on a small machine is CPU the broker and clients can use. A
    // full write cache then holds back that connection's reads as well as its writes, which is
    // back-pressure either way.
    conf.setNumAddWorkerThreads(0);
    conf.setNumReadWorkerThreads(2);
    conf.setDiskUsageThreshold(0.99f);
    conf.setDiskUsageWarnThreshold(0.98f);
    conf.setHttpServerEnabled(false);
    conf.setAutoRecoveryDaemonEnabled(false);
    conf.setDataIntegrityCheckingEnabled(false);
    conf.setZkTimeout(10_000);
    return conf;
  }

  /** Starts the bookie (again) on its directories and port; returns when it serves requests. */
  public synchronized void start() throws Exception {
    if (stack != null) {
      throw new IllegalStateException(bookieId + " is running");
    }
    EmbeddedServer s = EmbeddedServer.builder(new BookieConfiguration(configuration())).build();
    s.getLifecycleComponentStack().start();
    server = s;
    stack = s.getLifecycleComponentStack();
  }

  /** Shuts the bookie down: its connections close, clients see it gone. Data stays. Idempotent. */
  public synchronized void stop() {
    if (stack != null) {
      stack.close();
      stack = null;
      server = null;
    }
  }

  /** Stops reading requests from clients (they hang until {@link #resume()}). */
  public synchronized void pause() {
    bookieServer().suspendProcessing();
  }

  /** Resumes reading requests after {@link #pause()}. */
  public synchronized void resume() {
    bookieServer().resumeProcessing();
  }

  public synchronized boolean isRunning() {
    return stack != null && bookieServer().isRunning();
  }

  /**
   * Whether this bookie's ledger storage still holds the ledger. After a ledger is deleted in
   * metadata, the bookie's garbage collector removes it within about {@code gcWaitTimeMs}.
   */
  public synchronized boolean hasLedger(long ledgerId) throws IOException {
    return bookieServer().getBookie().getLedgerStorage().ledgerExists(ledgerId);
  }

  /** The underlying server, for tests that need more (running only). */
  public synchronized BookieServer bookieServer() {
    if (server == null) {
      throw new IllegalStateException(bookieId + " is not running");
    }
    return server.getBookieService().getServer();
  }

  public String bookieId() {
    return bookieId;
  }

  public Path dir() {
    return dir;
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    stop();
  }
}
