package io.strata.storage.api;

/**
 * State of a segment in the log's metadata.
 *
 * <p>Transitions: a segment is born {@code OPEN} (its writer may still append) and becomes {@code
 * SEALED} exactly once, by its writer when rolling or closing, or by the next owner after recovery
 * (fencing). A sealed segment never changes its offsets again; only its index or tier location may
 * be updated.
 */
public enum SegmentState {
  OPEN(0),
  SEALED(1);

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
