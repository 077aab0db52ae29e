package io.strata.ops.jvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClassPreloaderTest {

  @AfterEach
  void clearProperty() {
    System.clearProperty(ClassPreloader.ENABLED_PROPERTY);
  }

  @Test
  void everyListedClassIsOnTheServersClassPath() {
    List<String> listed = ClassPreloader.listed();
    assertThat(listed).hasSizeGreaterThan(100).doesNotHaveDuplicates();

    ClassPreloader.Result r = ClassPreloader.preload();

    // A class that went away with a dependency upgrade shows up here: record the list again
    // (integration-tests/bench/record-preload-classes.sh).
    assertThat(r.missing()).isEmpty();
    assertThat(r.loaded()).isEqualTo(listed.size());
  }

  @Test
  void listNamesTheClassesWhoseLateLoadingThrewAwayCompiledCode() {
    // The ones found invalidating compiled produce-path code when the first reader came.
    assertThat(ClassPreloader.listed())
        .contains(
            "io.netty.util.internal.RecyclableArrayList",
            "io.netty.buffer.CompositeByteBuf",
            "org.apache.bookkeeper.proto.BatchedReadCompletion");
  }

  @Test
  void propertyFalseTurnsPreloadingOff() {
    System.setProperty(ClassPreloader.ENABLED_PROPERTY, "false");
    assertThat(ClassPreloader.preloadIfEnabled().loaded()).isZero();
  }

  @Test
  void propertyOtherThanTrueOrFalseIsRefusedByName() {
    System.setProperty(ClassPreloader.ENABLED_PROPERTY, "yes");
    assertThatThrownBy(ClassPreloader::preloadIfEnabled)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("strata.preload.classes")
        .hasMessageContaining("'yes'");
  }
}
