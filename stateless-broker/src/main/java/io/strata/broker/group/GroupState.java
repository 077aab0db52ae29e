package io.strata.broker.group;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The states of a classic consumer group, with Kafka's names and transitions.
 *
 * <pre>
 *            join (new member)                   all expected members joined
 *   EMPTY ──────────────────────▶ PREPARING_REBALANCE ───────────────────────▶ COMPLETING_REBALANCE
 *     ▲                            ▲      │   ▲                                   │      │
 *     │  last member gone,         │      │   │ join/leave/expiry                 │      │ leader's
 *     └── join phase completes ────┼──────┘   └───────────────────────────────────┘      │ SyncGroup
 *                                  │                                                     │ durable
 *                                  │ leader rejoins, follower with new metadata,         ▼
 *                                  └── leave, session expiry ─────────────────────────  STABLE
 *
 *   any state ──(group deleted, or its partition unloaded)──▶ DEAD (final)
 * </pre>
 *
 * <ul>
 *   <li>{@link #EMPTY}: no members; offsets may remain (also a "simple" group that only commits
 *       offsets). JoinGroup starts a rebalance; SyncGroup, Heartbeat and LeaveGroup answer
 *       UNKNOWN_MEMBER_ID; offset commits with generation -1 are accepted.
 *   <li>{@link #PREPARING_REBALANCE}: JoinGroup requests are parked until every known member has
 *       rejoined or the rebalance timeout expires (members that did not rejoin are removed).
 *       Heartbeats answer REBALANCE_IN_PROGRESS; commits of the current generation are accepted.
 *   <li>{@link #COMPLETING_REBALANCE}: the join responses went out with the new generation; the
 *       group waits for the leader's SyncGroup with the assignment. Followers' SyncGroups are
 *       parked; commits answer REBALANCE_IN_PROGRESS.
 *   <li>{@link #STABLE}: the assignment is durable and was handed out; heartbeats keep members.
 *   <li>{@link #DEAD}: the group is gone from this coordinator; every request gets
 *       COORDINATOR_NOT_AVAILABLE (or GROUP_ID_NOT_FOUND) and the client looks it up again.
 * </ul>
 */
public enum GroupState {
  EMPTY("Empty"),
  PREPARING_REBALANCE("PreparingRebalance"),
  COMPLETING_REBALANCE("CompletingRebalance"),
  STABLE("Stable"),
  DEAD("Dead");

  private final String displayName;

  GroupState(String displayName) {
    this.displayName = displayName;
  }

  /** The states a group may be in just before entering this one. */
  public Set<GroupState> validPreviousStates() {
    return switch (this) {
      case EMPTY -> EnumSet.of(PREPARING_REBALANCE);
      case PREPARING_REBALANCE -> EnumSet.of(EMPTY, STABLE, COMPLETING_REBALANCE);
      case COMPLETING_REBALANCE -> EnumSet.of(PREPARING_REBALANCE);
      case STABLE -> EnumSet.of(COMPLETING_REBALANCE);
      case DEAD -> EnumSet.allOf(GroupState.class);
    };
  }

  /** Kafka's name, as DescribeGroups and ListGroups show it ("PreparingRebalance"). */
  @Override
  public String toString() {
    return displayName;
  }

  /** The lower-case name ListGroups' state filter compares with. */
  public String lowerCaseName() {
    return displayName.toLowerCase(Locale.ROOT);
  }
}
