/**
 * The group coordinator: consumer groups (Kafka's classic protocol) and their committed offsets,
 * kept durably in the internal topic {@code __consumer_offsets}.
 *
 * <h2>Who coordinates a group</h2>
 *
 * Group {@code g} belongs to partition {@code Utils.abs(g.hashCode()) % partitions} of {@code
 * __consumer_offsets} (Kafka's formula), and its coordinator is whichever broker owns that
 * partition in ZooKeeper (FindCoordinator answers from the metadata cache). The topic is created on
 * the first FindCoordinator ({@code offsets.topic.num.partitions}, {@code
 * offsets.topic.replication.factor}, {@code cleanup.policy=compact} so time retention never deletes
 * it). Clients cannot produce to it or add partitions to it.
 *
 * <h2>Layers</h2>
 *
 * <pre>
 *  handlers/*        wire versions ⇄ version-free calls (one class per API family)
 *  GroupCoordinator  routing: group → partition → shard; NOT_COORDINATOR / LOAD_IN_PROGRESS
 *  runtime/ShardRuntime   one per owned partition: single-writer executor, replay on load,
 *                    coalesced appends, responses released when durable, checkpoints
 *  GroupShard        the deterministic state machine (pure: Time, ShardTimer, RecordSink
 *   ├ GroupMembership  JoinGroup/SyncGroup/Heartbeat/LeaveGroup                injected)
 *   │  └ Rebalancer    join phase, assignment hand-out, session/join/sync timeouts
 *   └ OffsetManager    OffsetCommit/Fetch/Delete, retention
 *  records/*         the record format (GroupRecordCodec documents and pins it)
 * </pre>
 *
 * <h2>Durability and consistency</h2>
 *
 * A shard changes memory at once and appends the records describing the change; every response
 * (reads included) waits until everything appended before it is durable on the bookies' ack quorum.
 * If an append fails, the shard discards its memory and reloads from the log, answering
 * NOT_COORDINATOR meanwhile, so a client never sees state that could be lost. When the partition
 * stops being served here (shutdown, or another owner fences this one), the shard closes and parked
 * JoinGroup/SyncGroup requests answer NOT_COORDINATOR.
 *
 * <h2>Bounded replay</h2>
 *
 * Checkpoints: a shard periodically writes its whole live state (group records and committed
 * offsets) into its own partition and trims the log to the checkpoint's first offset, so a load
 * replays at most about three times the live state plus {@code
 * strata.offsets.checkpoint.interval.bytes}; see {@link
 * io.strata.broker.group.runtime.ShardRuntime}.
 */
package io.strata.broker.group;
