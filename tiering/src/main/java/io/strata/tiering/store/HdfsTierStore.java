package io.strata.tiering.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierStoreException;
import io.strata.storage.api.TierUpload;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A {@link TierStore} on HDFS through hadoop-client's {@link FileSystem} ({@code
 * hdfs://HOST:PORT/PATH}): key {@code a/b} is file {@code PATH/a/b}.
 *
 * <p>An upload writes {@code <key>.tmp-<uuid>}, {@code hsync}s and closes it, then renames it to
 * the key (HDFS renames are atomic), so readers see a complete object or none; a crash leaves a
 * temporary file that {@link #list} reports as an incomplete upload and {@link #delete} removes.
 * Ranged reads are positioned reads ({@code pread}).
 *
 * <p>The FileSystem client blocks: every call runs on the given executor. Thread-safe.
 */
public final class HdfsTierStore implements TierStore {
  private static final int CHUNK = 1024 * 1024;

  private final FileSystem fs;
  private final Path root;
  private final String description;
  private final Executor io;
  private final ExecutorService owned;

  /**
   * @param uri {@code hdfs://HOST:PORT/PATH}
   * @param conf Hadoop settings (defaults plus any {@code *-site.xml} on the classpath)
   */
  public HdfsTierStore(URI uri, Configuration conf, Executor io, ExecutorService owned)
      throws IOException {
    // A private FileSystem instance: closing it must not close one some other code shares.
    this.fs =
        FileSystem.newInstance(URI.create(uri.getScheme() + "://" + uri.getAuthority()), conf);
    String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
    this.root = new Path(path);
    this.description = uri.getScheme() + "://" + uri.getAuthority() + path;
    this.io = io;
    this.owned = owned;
  }

  private Path path(String key) {
    if (key.isEmpty() || key.contains(LocalTierStore.TMP) || key.contains("..")) {
      throw new IllegalArgumentException("bad key " + key);
    }
    return new Path(root, key);
  }

  @Override
  public CompletableFuture<Void> put(String key, TierUpload content) {
    Path target;
    try {
      target = path(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(TierStoreException.failure("put " + key, e));
    }
    Path tmp =
        new Path(target.getParent(), target.getName() + LocalTierStore.TMP + UUID.randomUUID());
    FSDataOutputStream[] out = new FSDataOutputStream[1];
    return CompletableFuture.runAsync(
            () -> {
              try {
                out[0] = fs.create(tmp, false);
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
                    chunk -> chunk.getBytes(chunk.readerIndex(), out[0], chunk.readableBytes())))
        .thenRunAsync(
            () -> {
              try {
                out[0].hsync();
                out[0].close();
                out[0] = null;
                if (fs.exists(target)) {
                  fs.delete(target, false);
                }
                if (!fs.rename(tmp, target)) {
                  throw new IOException("rename of " + tmp + " to " + target + " failed");
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
                  if (out[0] != null) {
                    out[0].close();
                  }
                  fs.delete(tmp, false);
                } catch (IOException | RuntimeException ignored) {
                  // left as an incomplete upload; delete(key) removes it
                }
                Throwable c = StoreErrors.unwrap(e);
                throw StoreErrors.map(
                    "put " + key, c instanceof java.io.UncheckedIOException u ? u.getCause() : c);
              }
              return null;
            });
  }

  @Override
  public CompletableFuture<ByteBuf> get(String key, long position, int length) {
    return CompletableFuture.supplyAsync(
        () -> {
          Path p = path(key);
          try (FSDataInputStream in = fs.open(p)) {
            long size = fs.getFileStatus(p).getLen();
            long want = length < 0 ? size - position : length;
            if (position < 0 || position + want > size || want > Integer.MAX_VALUE) {
              throw TierStoreException.failure(
                  "get " + key + " [" + position + ", +" + want + ") beyond its " + size + " bytes",
                  null);
            }
            byte[] b = new byte[(int) want];
            in.readFully(position, b, 0, b.length);
            return Unpooled.wrappedBuffer(b);
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
            fs.delete(p, false);
            FileStatus[] siblings;
            try {
              siblings = fs.listStatus(p.getParent());
            } catch (FileNotFoundException e) {
              return;
            }
            for (FileStatus s : siblings) {
              if (s.getPath().getName().startsWith(p.getName() + LocalTierStore.TMP)) {
                fs.delete(s.getPath(), false);
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
          Path dir = slash < 0 ? root : new Path(root, prefix.substring(0, slash));
          List<TierObject> out = new ArrayList<>();
          String rootPrefix = fs.makeQualified(root).toUri().getPath();
          if (!rootPrefix.endsWith("/")) {
            rootPrefix += "/";
          }
          try {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
            while (it.hasNext()) {
              LocatedFileStatus s = it.next();
              String key = s.getPath().toUri().getPath().substring(rootPrefix.length());
              int tmp = key.indexOf(LocalTierStore.TMP);
              TierObject o =
                  tmp >= 0
                      ? new TierObject(key.substring(0, tmp), -1)
                      : new TierObject(key, s.getLen());
              if (o.key().startsWith(prefix)) {
                out.add(o);
              }
            }
          } catch (FileNotFoundException e) {
            return out;
          } catch (IOException e) {
            throw StoreErrors.map("list " + prefix, e);
          }
          out.sort(Comparator.comparing(TierObject::key));
          return out;
        },
        io);
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    try {
      fs.close();
    } catch (IOException e) {
      // nothing to do at shutdown
    }
    if (owned != null) {
      owned.shutdown();
    }
  }
}
