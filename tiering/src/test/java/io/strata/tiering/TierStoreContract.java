package io.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.StorageErrorCode;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierStoreException;
import io.strata.storage.api.TierUpload;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every {@link TierStore} must do; each implementation's test extends this. */
abstract class TierStoreContract {

  abstract TierStore store();

  /** Content of {@code size} bytes served in chunks of up to {@code chunk}. */
  static TierUpload upload(byte[] content, int chunk) {
    return new TierUpload() {
      int at;

      @Override
      public long length() {
        return content.length;
      }

      @Override
      public CompletableFuture<ByteBuf> next(int maxBytes) {
        int n = Math.min(Math.min(chunk, maxBytes), content.length - at);
        ByteBuf b = Unpooled.wrappedBuffer(content, at, n);
        at += n;
        return CompletableFuture.completedFuture(b);
      }
    };
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] bytes(ByteBuf b) {
    try {
      byte[] out = new byte[b.readableBytes()];
      b.readBytes(out);
      return out;
    } finally {
      b.release();
    }
  }

  static <T> T join(CompletableFuture<T> f) throws Exception {
    return f.get(60, TimeUnit.SECONDS);
  }

  @Test
  void putThenRangedGetsReturnTheExactBytes() throws Exception {
    byte[] content = random(300_000, 1);
    join(store().put("c/log-0/7-1.data", upload(content, 64 * 1024)));
    assertThat(bytes(join(store().get("c/log-0/7-1.data", 0, content.length)))).isEqualTo(content);
    byte[] mid = bytes(join(store().get("c/log-0/7-1.data", 12_345, 100_000)));
    assertThat(mid).isEqualTo(java.util.Arrays.copyOfRange(content, 12_345, 112_345));
    assertThat(bytes(join(store().get("c/log-0/7-1.data", 299_000, -1)))).hasSize(1000);
  }

  @Test
  void largeObjectsStreamInParts() throws Exception {
    byte[] content = random(11 * 1024 * 1024 + 17, 2);
    join(store().put("c/big/1-1.data", upload(content, 256 * 1024)));
    assertThat(bytes(join(store().get("c/big/1-1.data", 0, content.length)))).isEqualTo(content);
    assertThat(join(store().list("c/big/")))
        .containsExactly(new TierObject("c/big/1-1.data", content.length));
  }

  @Test
  void listByPrefixAndDelete() throws Exception {
    for (String k : List.of("l/log-1/12-1.data", "l/log-1/12-1.index", "l/log-1/123-1.data")) {
      join(store().put(k, upload(new byte[] {1, 2, 3}, 10)));
    }
    assertThat(join(store().list("l/log-1/12-")).stream().map(TierObject::key))
        .containsExactly("l/log-1/12-1.data", "l/log-1/12-1.index");
    assertThat(join(store().list("l/log-1/"))).hasSize(3);
    join(store().delete("l/log-1/12-1.data"));
    join(store().delete("l/log-1/12-1.data")); // idempotent
    assertThat(join(store().list("l/log-1/12-")).stream().map(TierObject::key))
        .containsExactly("l/log-1/12-1.index");
    assertThat(join(store().list("l/nothing/"))).isEmpty();
  }

  /**
   * Retention deletes several segments of a log at once; each deletion lists its prefix while the
   * others delete files of the same directory. A listing must still name every object that is not
   * being deleted (a partial listing would leak the objects it missed).
   */
  @Test
  void listingWhileOtherObjectsOfTheLogAreDeletedMissesNothing() throws Exception {
    int segments = 60;
    for (int i = 0; i < segments; i++) {
      for (String suffix : List.of("-1.data", "-1.index")) {
        join(store().put("d/log-2/" + i + suffix, upload(new byte[] {1}, 10)));
      }
    }
    List<CompletableFuture<Void>> deletes = new java.util.ArrayList<>();
    List<CompletableFuture<List<TierObject>>> listings = new java.util.ArrayList<>();
    for (int i = 0; i < segments; i += 2) {
      // Even segments are deleted while the odd ones are listed, interleaved.
      deletes.add(store().delete("d/log-2/" + i + "-1.data"));
      deletes.add(store().delete("d/log-2/" + i + "-1.index"));
      listings.add(store().list("d/log-2/" + (i + 1) + "-"));
    }
    for (CompletableFuture<Void> d : deletes) {
      join(d);
    }
    for (int j = 0; j < listings.size(); j++) {
      int segment = 2 * j + 1;
      assertThat(join(listings.get(j)).stream().map(TierObject::key))
          .as("listing of segment %d", segment)
          .containsExactly("d/log-2/" + segment + "-1.data", "d/log-2/" + segment + "-1.index");
    }
  }

  @Test
  void missingObjectsAndFailedUploadsAreNotVisible() throws Exception {
    assertThatThrownBy(() -> join(store().get("m/none", 0, 10)))
        .cause()
        .isInstanceOfSatisfying(
            TierStoreException.class,
            e -> assertThat(e.code()).isEqualTo(StorageErrorCode.TIER_NOT_FOUND));
    TierUpload failing =
        new TierUpload() {
          int calls;

          @Override
          public long length() {
            return -1;
          }

          @Override
          public CompletableFuture<ByteBuf> next(int maxBytes) {
            return calls++ < 30
                ? CompletableFuture.completedFuture(Unpooled.wrappedBuffer(random(256 * 1024, 3)))
                : CompletableFuture.failedFuture(new IllegalStateException("source broke"));
          }
        };
    assertThatThrownBy(() -> join(store().put("m/broken.data", failing)))
        .hasRootCauseMessage("source broke");
    assertThatThrownBy(() -> join(store().get("m/broken.data", 0, 1)))
        .cause()
        .isInstanceOf(TierStoreException.class);
    assertThat(join(store().list("m/"))).noneMatch(o -> !o.incomplete());
  }
}
