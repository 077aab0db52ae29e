package io.strata.tiering.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierStoreException;
import io.strata.storage.api.TierUpload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;

/**
 * A {@link TierStore} in a local directory ({@code file:///DIR}; the standalone default): key
 * {@code a/b} is file {@code DIR/a/b}.
 *
 * <p>An upload writes {@code <key>.tmp-<uuid>} in the target directory, forces it to disk, and
 * renames it atomically to the key (then forces the directory), so a reader sees a complete object
 * or none. A temporary file left by a crash is listed as an incomplete upload of its key, and
 * {@link #delete} removes it.
 *
 * <p>Blocking file I/O runs on the given executor, never the caller's thread. Thread-safe.
 */
public final class LocalTierStore implements TierStore {
  static final String TMP = ".tmp-";
  private static final int CHUNK = 1024 * 1024;

  private final Path root;
  private final Executor io;
  private final ExecutorService owned;

  /**
   * @param root the directory (created if missing)
   * @param io runs the blocking I/O
   * @param owned closed with the store (may be null)
   */
  public LocalTierStore(Path root, Executor io, ExecutorService owned) throws IOException {
    this.root = Files.createDirectories(root.toAbsolutePath());
    this.io = io;
    this.owned = owned;
  }

  private Path path(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || key.isEmpty() || key.contains(TMP)) {
      throw new IllegalArgumentException("bad key " + key);
    }
    return p;
  }

  @Override
  public CompletableFuture<Void> put(String key, TierUpload content) {
    Path target;
    try {
      target = path(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(TierStoreException.failure("put " + key, e));
    }
    Path tmp = target.resolveSibling(target.getFileName() + TMP + UUID.randomUUID());
    FileChannel[] ch = new FileChannel[1];
    return CompletableFuture.runAsync(
            () -> {
              try {
                Files.createDirectories(target.getParent());
                ch[0] =
                    FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            io)
        .thenCompose(
            v ->
                Uploads.drain(
                    content,
                    CHUNK,
                    io,
                    chunk -> {
                      ByteBuffer b = chunk.nioBuffer();
                      while (b.hasRemaining()) {
                        ch[0].write(b);
                      }
                    }))
        .thenRunAsync(
            () -> {
              try {
                ch[0].force(true);
                ch[0].close();
                Files.move(
                    tmp,
                    target,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel dir = FileChannel.open(target.getParent())) {
                  dir.force(true);
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            io)
        .handle(
            (v, e) -> {
              if (e != null) {
                try {
                  if (ch[0] != null) {
                    ch[0].close();
                  }
                  Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                  // the temporary file is an incomplete upload; delete(key) removes it
                }
                throw StoreErrors.map("put " + key, unwrapUnchecked(e));
              }
              return null;
            });
  }

  private static Throwable unwrapUnchecked(Throwable e) {
    Throwable c = StoreErrors.unwrap(e);
    return c instanceof java.io.UncheckedIOException u ? u.getCause() : c;
  }

  @Override
  public CompletableFuture<ByteBuf> get(String key, long position, int length) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (FileChannel ch = FileChannel.open(path(key), StandardOpenOption.READ)) {
            long size = ch.size();
            long want = length < 0 ? size - position : length;
            if (position < 0 || position + want > size || want > Integer.MAX_VALUE) {
              throw TierStoreException.failure(
                  "get " + key + " [" + position + ", +" + want + ") beyond its " + size + " bytes",
                  null);
            }
            ByteBuffer b = ByteBuffer.allocate((int) want);
            while (b.hasRemaining()) {
              if (ch.read(b, position + b.position()) < 0) {
                throw new IOException("unexpected end of " + key);
              }
            }
            return Unpooled.wrappedBuffer(b.flip());
          } catch (IOException | RuntimeException e) {
            throw StoreErrors.map("get " + key, e);
          }
        },
        io);
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            Path p = path(key);
            Files.deleteIfExists(p);
            if (Files.isDirectory(p.getParent())) {
              try (Stream<Path> s = Files.list(p.getParent())) {
                for (Path tmp :
                    s.filter(x -> x.getFileName().toString().startsWith(p.getFileName() + TMP))
                        .toList()) {
                  Files.deleteIfExists(tmp);
                }
              }
            }
          } catch (IOException | RuntimeException e) {
            throw StoreErrors.map("delete " + key, e);
          }
        },
        io);
  }

  @Override
  public CompletableFuture<List<TierObject>> list(String prefix) {
    return CompletableFuture.supplyAsync(
        () -> {
          int slash = prefix.lastIndexOf('/');
          Path dir = slash < 0 ? root : root.resolve(prefix.substring(0, slash)).normalize();
          List<TierObject> out = new ArrayList<>();
          if (!dir.startsWith(root) || !Files.isDirectory(dir)) {
            return out;
          }
          try {
            collect(dir, prefix, out);
          } catch (IOException e) {
            throw StoreErrors.map("list " + prefix, e);
          }
          out.sort(Comparator.comparing(TierObject::key));
          return out;
        },
        io);
  }

  /**
   * Adds the objects under {@code dir} whose keys start with {@code prefix}. Entries deleted while
   * listing (retention deletes several segments of a log at once, each listing the same directory)
   * are skipped one by one: the rest of the listing still counts, and a partial listing would leak
   * the objects it missed.
   */
  private void collect(Path dir, String prefix, List<TierObject> out) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        BasicFileAttributes attrs;
        try {
          attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue;
        }
        if (attrs.isDirectory()) {
          collect(p, prefix, out);
          continue;
        }
        if (!attrs.isRegularFile()) {
          continue;
        }
        String key = root.relativize(p).toString().replace('\\', '/');
        int tmp = key.indexOf(TMP);
        TierObject o =
            tmp >= 0
                ? new TierObject(key.substring(0, tmp), -1)
                : new TierObject(key, attrs.size());
        if (o.key().startsWith(prefix)) {
          out.add(o);
        }
      }
    } catch (NoSuchFileException e) {
      // The directory was removed while listing: nothing of it is there.
    }
  }

  @Override
  public String describe() {
    return root.toUri().toString();
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.shutdown();
    }
  }
}
