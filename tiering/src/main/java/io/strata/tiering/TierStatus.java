package io.strata.tiering;

import io.strata.storage.api.LogMetadata;
import io.strata.storage.api.SegmentMetadata;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where one log's data lives, from its metadata: what the broker reports as read-only topic config
 * entries {@code strata.tier.status.<partition>} (DescribeConfigs) and what {@code strata tier
 * status} prints. Immutable.
 *
 * @param localSegments sealed segments on the bookies only (not offloaded yet)
 * @param localBytes their bytes
 * @param bothSegments sealed segments on the bookies and in the tier
 * @param bothBytes their bytes
 * @param tierSegments segments in the tier only (their bookie copy deleted)
 * @param tierBytes their bytes
 * @param pendingSegments sealed segments waiting for offload when the topic has {@code
 *     remote.storage.enable} (else 0): the lag
 * @param pendingBytes their bytes
 * @param logStartOffset first offset readable
 * @param localStartOffset first offset on the bookies
 * @param tieredEndOffset one past the last offset in the tier (0 if none)
 * @param sealedEndOffset one past the last offset of the sealed segments
 */
public record TierStatus(
    long localSegments,
    long localBytes,
    long bothSegments,
    long bothBytes,
    long tierSegments,
    long tierBytes,
    long pendingSegments,
    long pendingBytes,
    long logStartOffset,
    long localStartOffset,
    long tieredEndOffset,
    long sealedEndOffset) {

  public static TierStatus of(LogMetadata m, boolean remoteStorageEnable) {
    long[] v = new long[8];
    for (SegmentMetadata s : m.segments()) {
      if (!s.isSealed() || s.entryCount() == 0) {
        continue;
      }
      int slot = !s.onBookies() ? 4 : s.isOffloaded() ? 2 : 0;
      v[slot]++;
      v[slot + 1] += s.sizeBytes();
      if (remoteStorageEnable && s.onBookies() && !s.isOffloaded()) {
        v[6]++;
        v[7] += s.sizeBytes();
      }
    }
    return new TierStatus(
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        v[5],
        v[6],
        v[7],
        m.logStartOffset(),
        m.earliestLocalOffset(),
        m.latestTieredOffset() + 1,
        m.nextOffsetAfterSealed());
  }

  /** {@code key=value,...}: the value of a {@code strata.tier.status.<partition>} entry. */
  public String encode() {
    StringBuilder b = new StringBuilder();
    asMap().forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return b.toString();
  }

  private Map<String, Long> asMap() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("local.segments", localSegments);
    m.put("local.bytes", localBytes);
    m.put("both.segments", bothSegments);
    m.put("both.bytes", bothBytes);
    m.put("tier.segments", tierSegments);
    m.put("tier.bytes", tierBytes);
    m.put("pending.segments", pendingSegments);
    m.put("pending.bytes", pendingBytes);
    m.put("log.start", logStartOffset);
    m.put("local.start", localStartOffset);
    m.put("tiered.end", tieredEndOffset);
    m.put("sealed.end", sealedEndOffset);
    return m;
  }

  /**
   * @throws IllegalArgumentException if {@code s} is not what {@link #encode()} writes
   */
  public static TierStatus parse(String s) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String kv : s.split(",")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("bad tier status: " + s);
      }
      m.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
    }
    try {
      return new TierStatus(
          m.get("local.segments"),
          m.get("local.bytes"),
          m.get("both.segments"),
          m.get("both.bytes"),
          m.get("tier.segments"),
          m.get("tier.bytes"),
          m.get("pending.segments"),
          m.get("pending.bytes"),
          m.get("log.start"),
          m.get("local.start"),
          m.get("tiered.end"),
          m.get("sealed.end"));
    } catch (NullPointerException e) {
      throw new IllegalArgumentException("incomplete tier status: " + s, e);
    }
  }

  /** The prefix of the read-only topic config entries carrying each partition's status. */
  public static final String CONFIG_PREFIX = "strata.tier.status.";
}
