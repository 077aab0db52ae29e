package io.strata.broker.group;

/**
 * The settings a group coordinator shard works with, read once from the broker's configuration.
 *
 * @param minSessionTimeoutMs {@code group.min.session.timeout.ms}
 * @param maxSessionTimeoutMs {@code group.max.session.timeout.ms}
 * @param initialRebalanceDelayMs {@code group.initial.rebalance.delay.ms}
 * @param maxSize {@code group.max.size}
 * @param newMemberJoinTimeoutMs how long a new member's parked JoinGroup may wait (Kafka's fixed 5
 *     minutes): it cannot heartbeat, so this is what removes one that went away
 * @param offsetsRetentionMs {@code offsets.retention.minutes} in ms
 * @param offsetsRetentionCheckIntervalMs {@code offsets.retention.check.interval.ms}
 * @param offsetMetadataMaxBytes {@code offset.metadata.max.bytes}
 */
public record GroupConfig(
    int minSessionTimeoutMs,
    int maxSessionTimeoutMs,
    int initialRebalanceDelayMs,
    int maxSize,
    int newMemberJoinTimeoutMs,
    long offsetsRetentionMs,
    long offsetsRetentionCheckIntervalMs,
    int offsetMetadataMaxBytes) {

  /** Kafka's defaults. */
  public static GroupConfig defaults() {
    return new GroupConfig(
        6_000, 1_800_000, 3_000, Integer.MAX_VALUE, 300_000, 7 * 24 * 3_600_000L, 600_000L, 4096);
  }
}
