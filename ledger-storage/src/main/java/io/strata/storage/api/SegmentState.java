package io.strata.storage.api;

/**
 * State of a segment in the log's metadata.
 *
 * <pre>
 *   OPEN ──roll / close / recovery by the next owner──▶ SEALED ──local retention, once offloaded──▶ TIERED
 * </pre>
 *
 * A segment is born {@code OPEN} (its writer may still append) and becomes {@code SEALED} exactly
 * once, by its writer when rolling or closing, or by the next owner after recovery (fencing). A
 * sealed segment never changes its offsets again; only its index ledger or tier location may be
 * updated. A SEALED segment whose tier copy is committed ({@link SegmentMetadata#isOffloaded()})
 * becomes {@code TIERED} when {@code local.retention.*} removes its bookie copy: its data and index
 * ledgers are deleted after that compare-and-set, and it is read from the tier only.
 */
public enum SegmentState {
  OPEN(0),
  SEALED(1),
  TIERED(2);

  private final int code;

  SegmentState(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static SegmentState fromCode(int code) {
    for (SegmentState s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown segment state " + code);
  }
}
