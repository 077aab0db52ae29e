package io.strata.ops.localcluster;

/**
 * A local-cluster command cannot do what was asked; the message is written for the operator (what
 * failed, where its log is, what to do) and is printed as it is.
 */
public final class LocalClusterException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LocalClusterException(String message) {
    super(message);
  }
}
