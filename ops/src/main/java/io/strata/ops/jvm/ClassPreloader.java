package io.strata.ops.jvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and links, before a server starts, the classes its request paths would otherwise link only
 * when a workload first needs them, so that code the JIT compiled earlier stays valid.
 *
 * <p>Why: C2 compiles a call to a method that no linked class overrides as a direct (inlined) call
 * and records that assumption. Linking a class that does override it later (Netty's {@code
 * RecyclableArrayList} and {@code CompositeByteBuf} the first time a fetch response is written,
 * BookKeeper's read classes on the first catch-up read) invalidates every compiled method that
 * relied on it at once: in a standalone instance the first catch-up read threw away about a hundred
 * compiled produce-path methods ({@code -XX:+LogCompilation}: {@code dependency_failed}), which
 * were then interpreted and compiled again under load. With those classes linked first, the
 * assumptions are never made. Classes are not initialized: no static initializer runs early.
 *
 * <p>The list ({@value #RESOURCE}) is the classes a standalone instance initialized under {@code
 * integration-tests/bench/compare.sh} and not during an idle start; {@code
 * integration-tests/bench/record-preload-classes.sh} records it again. A listed class that is not
 * on the class path (a dependency changed) is skipped, and the unit test names it.
 */
public final class ClassPreloader {
  private static final Logger log = LoggerFactory.getLogger(ClassPreloader.class);

  /** The class list, one binary class name per line; {@code #} starts a comment. */
  public static final String RESOURCE = "io/strata/ops/jvm/preload-classes.txt";

  /**
   * System property that turns preloading off ({@code -Dstrata.preload.classes=false}, e.g. in
   * {@code STRATA_JVM_OPTS}), as the script recording the list does.
   */
  public static final String ENABLED_PROPERTY = "strata.preload.classes";

  /** How many listed classes were linked, which were not found or not linkable, and how long. */
  public record Result(int loaded, List<String> missing, long millis) {}

  private ClassPreloader() {}

  /**
   * Loads every listed class unless {@value #ENABLED_PROPERTY} is {@code false}.
   *
   * @throws IllegalArgumentException if the property is neither {@code true} nor {@code false}
   */
  public static Result preloadIfEnabled() {
    String v = System.getProperty(ENABLED_PROPERTY, "true").strip();
    if (v.equalsIgnoreCase("false")) {
      return new Result(0, List.of(), 0);
    }
    if (!v.equalsIgnoreCase("true")) {
      throw new IllegalArgumentException(
          "-D" + ENABLED_PROPERTY + " must be true or false, got '" + v + "'");
    }
    return preload();
  }

  /**
   * Loads and links every listed class (no static initializer runs) through this class's loader.
   */
  public static Result preload() {
    long start = System.nanoTime();
    ClassLoader loader = ClassPreloader.class.getClassLoader();
    int loaded = 0;
    List<String> missing = new ArrayList<>();
    for (String name : listed()) {
      try {
        // Linked, not initialized: the JIT's class-hierarchy assumptions count linked classes
        // (JDK 17's vtable-based CHA), and asking for a class's constructors links it.
        Class.forName(name, false, loader).getDeclaredConstructors();
        loaded++;
      } catch (ClassNotFoundException | LinkageError e) {
        missing.add(name);
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    Result r = new Result(loaded, List.copyOf(missing), millis);
    log.debug(
        "Linked {} classes in {} ms ({} listed classes not found or not linkable)",
        loaded,
        millis,
        missing.size());
    return r;
  }

  /** The class names in the list, in order. */
  public static List<String> listed() {
    InputStream in = ClassPreloader.class.getClassLoader().getResourceAsStream(RESOURCE);
    if (in == null) {
      throw new IllegalStateException(RESOURCE + " is missing from the class path");
    }
    List<String> names = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        int hash = line.indexOf('#');
        String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
    return names;
  }
}
