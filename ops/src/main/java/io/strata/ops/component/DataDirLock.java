package io.strata.ops.component;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data directory ({@code DIR/.lock}), held while a component uses it, so
 * that two processes never write the same ZooKeeper or bookie directory. The operating system
 * releases it when the process dies, also on kill -9.
 */
public final class DataDirLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates {@code dir} if missing and locks it.
   *
   * @param hint completes the error message when the lock is taken, e.g. "is bookie-1 running?"
   * @throws IllegalStateException if another process holds the lock
   */
  public static DataDirLock acquire(Path dir, String hint) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalStateException(dir.toAbsolutePath() + " is not a directory");
    }
    Files.createDirectories(dir);
    FileChannel channel =
        FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IllegalStateException(
          dir.toAbsolutePath() + " is in use by another process; " + hint);
    }
    return new DataDirLock(channel, lock);
  }

  /** Releases the lock. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (channel.isOpen()) {
      lock.release();
      channel.close();
    }
  }
}
