package io.strata.ops.localcluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks ports for a new local cluster once; they are then kept in its config files.
 *
 * <p>Ports come from below the usual ephemeral ranges (Linux starts at 32768), so that an outgoing
 * connection is unlikely to hold one when the cluster restarts; a random start keeps concurrent
 * clusters (tests) apart. A port counts as free when 127.0.0.1 can bind it now: the small race with
 * other programs is accepted.
 */
final class PortAllocator {
  private static final int LOWEST = 20_000;
  private static final int HIGHEST = 32_000;

  private final Set<Integer> taken;
  private int next;

  /**
   * @param firstPort where to start looking, or 0 for a random start
   * @param taken ports the cluster already uses
   */
  PortAllocator(int firstPort, Set<Integer> taken) {
    this.taken = new HashSet<>(taken);
    this.next =
        firstPort > 0 ? firstPort : LOWEST + ThreadLocalRandom.current().nextInt(HIGHEST - LOWEST);
  }

  /** The next free port at or after the previous one. */
  int next() {
    for (int tries = 0; tries < 2_000; tries++) {
      int port = next++;
      if (port > 65_535) {
        break;
      }
      if (taken.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IllegalStateException("found no free port on 127.0.0.1 near " + next);
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
