package io.strata.ops.cli;

import io.strata.ops.localcluster.LocalClusterException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.TimeoutException;

/** Turns the exceptions of admin calls into one clear line for the operator. */
final class CliErrors {
  private CliErrors() {}

  static String describe(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof ExecutionException || cause instanceof CompletionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof TimeoutException
        || cause instanceof java.util.concurrent.TimeoutException) {
      String detail = cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
      return "timed out talking to the cluster"
          + detail
          + ". Is Strata running, and is --bootstrap-server right?";
    }
    if (cause instanceof LocalClusterException) {
      return cause.getMessage(); // written for the operator already
    }
    String message = cause.getMessage();
    String kind = cause.getClass().getSimpleName().replaceAll("Exception$", "");
    return message == null || message.isBlank() ? kind : kind + ": " + message;
  }
}
