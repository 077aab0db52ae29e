package io.strata.tiering.internals;

/**
 * Names of a log's objects in the tier store: {@code <log>/<ledgerId>-<attempt>.data} (the
 * segment's batches) and {@code .index} ({@link TierIndexCodec}). The attempt is the one recorded
 * in the segment's metadata before the upload, so two attempts never write the same object, and
 * every object of a segment shares the prefix {@code <log>/<ledgerId>-}.
 */
public final class ObjectNames {
  private ObjectNames() {}

  public static String logPrefix(String log) {
    return log + "/";
  }

  public static String segmentPrefix(String log, long ledgerId) {
    return log + "/" + ledgerId + "-";
  }

  public static String data(String log, long ledgerId, int attempt) {
    return segmentPrefix(log, ledgerId) + attempt + ".data";
  }

  public static String index(String log, long ledgerId, int attempt) {
    return segmentPrefix(log, ledgerId) + attempt + ".index";
  }
}
