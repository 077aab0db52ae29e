package io.strata.storage.internals;

import io.strata.storage.api.LogMetadata;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where and how log metadata lives in ZooKeeper: one znode per log at {@code <root>/logs/<name>},
 * holding {@link LogMetadataCodec}'s record. Writes are creates and versioned compare-and-sets.
 *
 * <p>Futures complete on ZooKeeper's event thread. Thread-safe, stateless apart from the client.
 */
final class LogMetadataStore {
  private final ZkClient zk;
  private final String logsRoot;

  LogMetadataStore(ZkClient zk, String metadataRoot) {
    this.zk = zk;
    this.logsRoot = (metadataRoot.equals("/") ? "" : metadataRoot) + "/logs";
  }

  String path(String name) {
    return logsRoot + "/" + name;
  }

  ZkClient zk() {
    return zk;
  }

  /** Valid log names: 1-249 characters of [A-Za-z0-9._-], not "." or "..". */
  static void checkName(String name) {
    if (name == null
        || name.isEmpty()
        || name.length() > 249
        || name.equals(".")
        || name.equals("..")
        || !name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("invalid log name: " + name);
    }
  }

  CompletableFuture<Optional<LogMetadata>> read(String name) {
    return zk.get(path(name))
        .thenApply(
            v ->
                v == null
                    ? Optional.empty()
                    : Optional.of(LogMetadataCodec.decode(name, v.data(), v.version())));
  }

  /** Raw bytes and version, to compare after an uncertain write. */
  CompletableFuture<ZkClient.Versioned> readRaw(String name) {
    return zk.get(path(name));
  }

  /** Creates the znode; fails with NodeExistsException if present. */
  CompletableFuture<LogMetadata> create(LogMetadata m) {
    return zk.create(path(m.name()), LogMetadataCodec.encode(m)).thenApply(m::withZkVersion);
  }

  /** Writes {@code next} if the stored version is still {@code expectedVersion}. */
  CompletableFuture<LogMetadata> compareAndSet(LogMetadata next, int expectedVersion) {
    return zk.set(path(next.name()), LogMetadataCodec.encode(next), expectedVersion)
        .thenApply(next::withZkVersion);
  }

  CompletableFuture<Void> delete(String name, int expectedVersion) {
    return zk.delete(path(name), expectedVersion);
  }

  CompletableFuture<List<String>> list() {
    return zk.children(logsRoot);
  }
}
