#!/usr/bin/env bash
# Partition-move and failover benchmark (issue 6): Strata (`strata local-cluster`, 3 brokers,
# 3 bookies) against Apache Kafka 4.4.0 (KRaft, from the Maven Central jars), both measured by the
# same client, io.strata.it.bench.MoveFailoverBench (integration-tests/src/test/java), which this
# script compiles with javac. See integration-tests/README.md ("Move and failover benchmark").
#
#   integration-tests/bench/move-failover.sh [--only kafka|strata|both] [--large-mib 2048] ...
#   integration-tests/bench/move-failover.sh --help
#
# Per system, one after the other (never both at once), on a fresh data directory:
#   1. start the cluster
#        Strata: `strata local-cluster up --brokers 3 --bookies 3`
#        Kafka:  nodes 1-3 combined broker+controller (3-voter KRaft quorum, as compare.sh's
#                pair 3) and node 4 broker only: replacing a replica of an RF 3 partition needs a
#                fourth broker to copy it to; node 4 is never the KRaft controller
#   2. two topics of one partition, replication factor 3, min.insync.replicas 2 (Strata: write
#      quorum 3, ack quorum 2; Kafka: replicas 1,2,3): move-small and move-large
#   3. fill move-small with --small-mib and move-large with --large-mib MiB of 1 KiB records,
#      acks=1 (not measured; Kafka's followers catch up before the first move)
#   4. move each partition --move-reps times, alternating away and back (MoveFailoverBench move):
#      Strata: the owner becomes another broker (no data is copied); Kafka: the leader's replica
#      is replaced by the broker outside the replica set, which leads the new list, so the whole
#      partition is copied to it; each move timed from the AlterPartitionReassignments request to
#      completion and to the first produce acknowledged by the new owner
#   5. --failover-reps times: put move-small's leadership on a broker that is not the controller
#      (Strata: not the broker holding /strata/controller; Kafka: node 4), kill -9 it, time to the
#      first idempotent produce (acks=all) acknowledged by the new owner; restart the killed broker
#      Strata, with --low-session-ms MS > 0: the same again after restarting the brokers with
#      zookeeper.session.timeout.ms=MS (labelled as such in the table)
#   6. stop the cluster, keep its logs, delete its data
# A probe producer runs through every measurement (one 100-byte record at a time, acks=all,
# idempotent); MoveFailoverBench's class comment says exactly what each figure is.
#
# Everything binds 127.0.0.1. Every process this script starts is stopped by it (trap on EXIT,
# INT, TERM, HUP), every step is bounded by a timeout, and the data directories are deleted at the
# end. Needs bash, coreutils, awk, JDK 17+ and Maven 3.8+ (first run: Kafka jars into ~/.m2 and
# integration-tests/bench/target/kafka-dist/, and Strata is built by ops/bin/strata).
set -Eeuo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
DIST_DIR="$BENCH_DIR/target/kafka-dist"
BROKER_CP="$DIST_DIR/broker-lib/*"
KAFKA_BROKER_VERSION=4.4.0
KAFKA_TOOLS_VERSION=4.3.1
BENCH_SRC="$REPO_ROOT/integration-tests/src/test/java/io/strata/it/bench/MoveFailoverBench.java"
BENCH_CLASS=io.strata.it.bench.MoveFailoverBench

# As compare.sh: each Kafka broker -Xms1g -Xmx1g with the G1 flags of kafka-run-class.sh.
KAFKA_HEAP_OPTS="-Xms1g -Xmx1g"
KAFKA_JVM_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true"
TOOL_JVM_OPTS="-Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Duser.language=en -Duser.country=US -Dlog4j2.configurationFile=file:$BENCH_DIR/log4j2-tools.properties"

# ---- options -----------------------------------------------------------------------------------
ONLY=both
SMALL_MIB=1
LARGE_MIB=2048
MOVE_REPS=6
FAILOVER_REPS=3
LOW_SESSION_MS=4000
RECORD_SIZE=1024
PORT_BASE=23092
START_TIMEOUT=300
PHASE_TIMEOUT=1800
STOP_GRACE=30
RESULTS_DIR=""
WORK_BASE="$BENCH_DIR/target/tmp"
STRATA_CMD="$REPO_ROOT/ops/bin/strata"
KEEP_DATA=0

usage() {
  cat <<EOF
Usage: integration-tests/bench/move-failover.sh [options]

Times partition moves (small and large partition) and failover after kill -9, on Strata
(3 brokers, 3 bookies) and on Apache Kafka $KAFKA_BROKER_VERSION (3 KRaft nodes + 1 broker), and prints
a markdown table.

  --only kafka|strata|both   systems to run (default: $ONLY)
  --small-mib N              size of the small partition in MiB (default: $SMALL_MIB)
  --large-mib N              size of the large partition in MiB (default: $LARGE_MIB)
  --move-reps N              moves per partition, alternating away and back (default: $MOVE_REPS)
  --failover-reps N          kill -9 failovers per series (default: $FAILOVER_REPS)
  --low-session-ms MS        Strata: a second failover series with the brokers'
                             zookeeper.session.timeout.ms=MS (default: $LOW_SESSION_MS; 0: none)
  --record-size BYTES        fill record size (default: $RECORD_SIZE)
  --results DIR              where raw outputs, results.jsonl and table.md go
                             (default: integration-tests/bench/target/results/<timestamp>)
  --work-dir DIR             parent of the temporary data directories, deleted at the end
                             (default: integration-tests/bench/target/tmp; a real disk)
  --strata-cmd PATH          Strata launcher (default: ops/bin/strata)
  --port-base PORT           first port to try (default: $PORT_BASE; moves up by 100 if taken)
  --start-timeout S          deadline for a cluster (or a restarted broker) to be ready
                             (default: $START_TIMEOUT)
  --phase-timeout S          deadline of each fill, each move and each failover (default:
                             $PHASE_TIMEOUT)
  --keep-data                do not delete the data directories (debugging)
  -h, --help                 this text
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --small-mib) SMALL_MIB="$2"; shift 2 ;;
    --large-mib) LARGE_MIB="$2"; shift 2 ;;
    --move-reps) MOVE_REPS="$2"; shift 2 ;;
    --failover-reps) FAILOVER_REPS="$2"; shift 2 ;;
    --low-session-ms) LOW_SESSION_MS="$2"; shift 2 ;;
    --record-size) RECORD_SIZE="$2"; shift 2 ;;
    --results) RESULTS_DIR="$2"; shift 2 ;;
    --work-dir) WORK_BASE="$2"; shift 2 ;;
    --strata-cmd) STRATA_CMD="$2"; shift 2 ;;
    --port-base) PORT_BASE="$2"; shift 2 ;;
    --start-timeout) START_TIMEOUT="$2"; shift 2 ;;
    --phase-timeout) PHASE_TIMEOUT="$2"; shift 2 ;;
    --keep-data) KEEP_DATA=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "move-failover.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

case "$ONLY" in kafka|strata|both) ;; *) echo "move-failover.sh: --only must be kafka, strata or both" >&2; exit 2 ;; esac
for v in SMALL_MIB LARGE_MIB MOVE_REPS FAILOVER_REPS RECORD_SIZE PORT_BASE START_TIMEOUT PHASE_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "move-failover.sh: $v must be a positive integer" >&2; exit 2; }
done
[[ "$LOW_SESSION_MS" =~ ^[0-9]+$ ]] || { echo "move-failover.sh: --low-session-ms must be a number" >&2; exit 2; }

RUN_ID="$(date +%Y%m%d-%H%M%S)"
[ -n "$RESULTS_DIR" ] || RESULTS_DIR="$BENCH_DIR/target/results/move-failover-$RUN_ID"
mkdir -p "$RESULTS_DIR" "$WORK_BASE"
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
WORK_DIR="$(mktemp -d "$WORK_BASE/move-failover.XXXXXX")"
JSONL="$RESULTS_DIR/results.jsonl"
: >"$JSONL"

# ---- process bookkeeping and cleanup ------------------------------------------------------------
SERVER_SIDS=()     # Kafka nodes: session ids (= the JVM's pid) of every node started
SERVER_BG_PIDS=()  # what `$!` returned for them (reaped on stop)
TOOL_PID=""        # the running MoveFailoverBench's `timeout` process
STRATA_DIR=""      # the running local cluster's directory ("" when none runs)
T0=$SECONDS
# log, warn, session_pids, session_alive, stop_tool, stop_servers, start_server, port_free,
# ensure_kafka_dist, random_cluster_id
# shellcheck source=integration-tests/bench/lib.sh
source "$BENCH_DIR/lib.sh"

# Stops the local cluster: `strata local-cluster down`, then SIGKILL to any pid of its pid files
# still running this cluster's directory (a stale pid file never kills a stranger). down's own
# default (60 s per tier): a broker owning partitions waits up to strata.shutdown.timeout.ms
# (30 s) for a hand-off that cannot happen when every broker stops at once.
strata_down() {
  local dir="$STRATA_DIR" f pid
  [ -n "$dir" ] || return 0
  timeout --kill-after=10 300 "$STRATA_CMD" local-cluster down --dir "$dir" \
    --timeout 60s >>"$RESULTS_DIR/strata-down.out" 2>&1 || warn "strata local-cluster down failed; killing what is left"
  for f in "$dir"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  STRATA_DIR=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_tool
  [ -z "$STRATA_DIR" ] || { log "cleanup: stopping the Strata local cluster"; strata_down; }
  [ ${#SERVER_SIDS[@]} -eq 0 ] || log "cleanup: stopping the Kafka nodes"
  stop_servers
  if [ "$KEEP_DATA" = 1 ]; then log "data kept in $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; warn "interrupted"; exit 130' INT
trap 'warn "terminated"; exit 143' TERM HUP

# ---- the measuring client -------------------------------------------------------------------------
BENCH_CP=""
prepare_client() {
  local classes="$BENCH_DIR/target/move-failover-classes"
  log "building Strata if needed (ops/bin/strata) and compiling MoveFailoverBench"
  if ! timeout "$START_TIMEOUT" "$STRATA_CMD" --version >"$RESULTS_DIR/strata-version.out" 2>&1; then
    cat "$RESULTS_DIR/strata-version.out" >&2
    echo "move-failover.sh: ${STRATA_CMD#"$REPO_ROOT"/} is not runnable" >&2
    exit 1
  fi
  # ops/bin/strata leaves the runtime classpath of the ops module here (kafka-clients, zookeeper).
  local cp
  cp="$(cat "$REPO_ROOT/ops/target/classpath.txt")"
  rm -rf "$classes"
  mkdir -p "$classes"
  javac -nowarn -d "$classes" -cp "$cp" "$BENCH_SRC"
  BENCH_CP="$classes:$cp"
}

# Runs MoveFailoverBench, bounded by BOUND seconds, its lines in OUT and on the console (RESULT
# lines go to results.jsonl with "system" added). Usage: bench BOUND OUT SYSTEM subcommand args...
bench() {
  local bound="$1" out="$2" sys="$3"; shift 3
  # shellcheck disable=SC2086
  timeout --kill-after=10 "$bound" java $TOOL_JVM_OPTS -cp "$BENCH_CP" "$BENCH_CLASS" "$@" \
    --timeout-s "$PHASE_TIMEOUT" >"$out" 2>"$out.err" &
  TOOL_PID=$!
  local shown=0 n rc=0
  show() {
    n=$(wc -l <"$out")
    if [ "$n" -gt "$shown" ]; then
      sed -n "$((shown + 1)),${n}p" "$out" | grep -vE '^(RESULT|ZKDATA) ' || true
      shown=$n
    fi
  }
  while kill -0 "$TOOL_PID" 2>/dev/null; do sleep 1; show; done
  wait "$TOOL_PID" || rc=$?
  TOOL_PID=""
  show
  grep '^RESULT {' "$out" | sed "s/^RESULT {/{\"system\": \"$sys\", /" >>"$JSONL" || true
  if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && warn "MoveFailoverBench $1 hit its bound (${bound}s)"
    tail -n 15 "$out.err" >&2 || true
    warn "MoveFailoverBench $1 failed (exit $rc); see $out"
  fi
  return $rc
}

# Free ports: Kafka node i: PORT_BASE+10(i-1) (clients), +1 (controller); Strata: PORT_BASE+50..+69.
choose_ports() {
  local lo hi attempt p busy
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
  for attempt in $(seq 1 50); do
    if [ $((PORT_BASE + 70)) -ge "$lo" ] && [ "$PORT_BASE" -le "$hi" ]; then PORT_BASE=$((hi + 1000)); fi
    [ $((PORT_BASE + 70)) -lt 65536 ] || PORT_BASE=11092
    busy=""
    for p in $(seq "$PORT_BASE" $((PORT_BASE + 69))); do port_free "$p" || { busy="$p"; break; }; done
    [ -z "$busy" ] && return 0
    PORT_BASE=$((PORT_BASE + 100))
  done
  warn "no free port range found"
  return 1
}

# The topics, their fill and the moves: the same on both systems. Usage: create_fill_move SYS RAW
create_fill_move() {
  local sys="$1" raw="$2" t mib
  for t in small large; do
    bench "$START_TIMEOUT" "$raw/create-$t.out" "$sys" create --bootstrap "$BOOTSTRAP" \
      --topic "move-$t" --rf 3 --min-isr 2 ${ASSIGNMENT:+--assignment "$ASSIGNMENT"} || return 1
  done
  for t in small large; do
    [ $t = small ] && mib=$SMALL_MIB || mib=$LARGE_MIB
    log "$sys: filling move-$t with $mib MiB (records of $RECORD_SIZE B, acks=1; not measured)"
    bench "$PHASE_TIMEOUT" "$raw/fill-$t.out" "$sys" fill --bootstrap "$BOOTSTRAP" --topic "move-$t" \
      --bytes $((mib * 1048576)) --record-size "$RECORD_SIZE" --acks 1 --label "$sys-fill-$t" || return 1
  done
  for t in small large; do
    [ $t = small ] && mib=$SMALL_MIB || mib=$LARGE_MIB
    log "$sys: $MOVE_REPS moves of move-$t ($mib MiB), alternating away and back"
    bench $((PHASE_TIMEOUT * MOVE_REPS + 300)) "$raw/move-$t.out" "$sys" move --bootstrap "$BOOTSTRAP" \
      --topic "move-$t" --reps "$MOVE_REPS" --label "$sys-move-$t" || warn "$sys: moves of move-$t failed"
  done
}

# ---- Strata -------------------------------------------------------------------------------------
strata_up() { # RAWFILE
  timeout --kill-after=10 "$START_TIMEOUT" "$STRATA_CMD" local-cluster up --brokers 3 --bookies 3 \
    --dir "$STRATA_DIR" --first-port $((PORT_BASE + 50)) --timeout "${START_TIMEOUT}s" >>"$1" 2>&1
}

strata_pids() { # 1=PID,2=PID,3=PID of the brokers' pid files
  local i out=""
  for i in 1 2 3; do out+="${out:+,}$i=$(cat "$STRATA_DIR/pids/broker-$i.pid")"; done
  echo "$out"
}

strata_failovers() { # LABEL RAW
  local label="$1" raw="$2" rep controller on
  for rep in $(seq 1 "$FAILOVER_REPS"); do
    bench 120 "$raw/$label-$rep-controller.out" strata zk-get --zookeeper "$ZK" --path /strata/controller || return 1
    controller="$(sed -nE 's/^ZKDATA .*"broker" *: *([0-9]+).*/\1/p' "$raw/$label-$rep-controller.out")"
    on=1; [ "$controller" = 1 ] && on=2
    log "strata: failover $rep/$FAILOVER_REPS ($label): controller is broker $controller; leader on broker $on, then kill -9"
    bench "$PHASE_TIMEOUT" "$raw/$label-$rep.out" strata failover --bootstrap "$BOOTSTRAP" --topic move-small \
      --pids "$(strata_pids)" --leader-on "$on" --label "$label" || warn "strata: failover $rep failed"
    log "strata: restarting the killed broker (strata local-cluster up)"
    strata_up "$raw/up.out" || { warn "strata: restart failed; see $raw/up.out"; return 1; }
  done
}

run_strata() {
  local raw="$RESULTS_DIR/strata" line zk_timeout
  mkdir -p "$raw"
  choose_ports || return 1
  STRATA_DIR="$WORK_DIR/strata"
  log "strata: starting a local cluster of 3 brokers and 3 bookies in ${STRATA_DIR#"$REPO_ROOT"/} (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  strata_up "$raw/up.out" || { tail -n 20 "$raw/up.out" >&2; warn "strata: local-cluster up failed"; return 1; }
  line="$(grep -m1 -E 'Strata local cluster ready: bootstrap=' "$raw/up.out")"
  BOOTSTRAP="${line#*bootstrap=}"; BOOTSTRAP="${BOOTSTRAP%%[[:space:]]*}"
  ZK="127.0.0.1:$(sed -nE 's/^clientPort=([0-9]+).*/\1/p' "$STRATA_DIR/config/zookeeper.properties")"
  log "strata: ready, bootstrap $BOOTSTRAP, ZooKeeper $ZK"
  # What ZooKeeper grants a broker asking for its configured session timeout (the default unless
  # broker-1.properties sets it): the bound on failover after kill -9.
  zk_timeout="$(sed -nE 's/^zookeeper\.session\.timeout\.ms=([0-9]+).*/\1/p' "$STRATA_DIR/config/broker-1.properties")"
  bench 120 "$raw/zk-session-default.out" strata zk-session --zookeeper "$ZK" \
    --requested-ms "${zk_timeout:-18000}" || true
  ASSIGNMENT=""
  create_fill_move strata "$raw" || warn "strata: create/fill failed"
  strata_failovers strata-failover "$raw" || warn "strata: failover series failed"
  if [ "$LOW_SESSION_MS" -gt 0 ]; then
    log "strata: restarting the brokers with zookeeper.session.timeout.ms=$LOW_SESSION_MS"
    local dir="$STRATA_DIR" f
    strata_down
    STRATA_DIR="$dir"
    for f in "$STRATA_DIR"/config/broker-*.properties; do
      sed -i '/^zookeeper\.session\.timeout\.ms=/d' "$f"
      printf '# move-failover.sh: the low session timeout series\nzookeeper.session.timeout.ms=%s\n' "$LOW_SESSION_MS" >>"$f"
    done
    if strata_up "$raw/up.out"; then
      bench 120 "$raw/zk-session-low.out" strata zk-session --zookeeper "$ZK" --requested-ms "$LOW_SESSION_MS" || true
      strata_failovers strata-failover-low "$raw" || warn "strata: low-session failover series failed"
    else
      warn "strata: restart with the low session timeout failed; see $raw/up.out"
    fi
  fi
  log "strata: stopping"
  local dir="$STRATA_DIR"
  strata_down
  mkdir -p "$raw/logs"
  cp "$dir"/logs/*.log "$dir"/config/*.properties "$raw/logs/" 2>/dev/null || true
  [ "$KEEP_DATA" = 1 ] || rm -rf "$dir"
}

# ---- Kafka --------------------------------------------------------------------------------------
kafka_client_port() { echo $((PORT_BASE + 10 * ($1 - 1))); }
kafka_controller_port() { echo $((PORT_BASE + 10 * ($1 - 1) + 1)); }
declare -A KAFKA_PID  # node id -> the JVM's pid

start_kafka_node() { # ID DATA
  local i="$1" dir="$2/node-$1"
  start_server "$dir/logs/kafka.out" java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS \
    -Dlog4j2.configurationFile="file:$BENCH_DIR/log4j2-broker.properties" \
    -Dkafka.logs.dir="$dir/logs" -cp "$BROKER_CP" kafka.Kafka "$dir/server.properties" || return 1
  KAFKA_PID[$i]="${SERVER_SIDS[${#SERVER_SIDS[@]} - 1]}"
}

# Nodes 1-3: combined broker+controller; node 4: broker only. Sets BOOTSTRAP.
start_kafka4() {
  local data="$1" i voters="" cid roles
  for i in 1 2 3; do voters+="${voters:+,}$i@127.0.0.1:$(kafka_controller_port "$i")"; done
  cid="$(random_cluster_id)"
  BOOTSTRAP=""
  for i in 1 2 3 4; do
    local dir="$data/node-$i" listeners
    mkdir -p "$dir/logs"
    if [ $i -le 3 ]; then
      roles=broker,controller
      listeners="PLAINTEXT://127.0.0.1:$(kafka_client_port "$i"),CONTROLLER://127.0.0.1:$(kafka_controller_port "$i")"
    else
      roles=broker
      listeners="PLAINTEXT://127.0.0.1:$(kafka_client_port "$i")"
    fi
    cat >"$dir/server.properties" <<EOF
# Generated by integration-tests/bench/move-failover.sh: KRaft node $i ($roles), Kafka defaults
# except what a loopback cluster needs (as compare.sh's pair 3, plus a broker-only node 4).
process.roles=$roles
node.id=$i
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_client_port "$i")
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
EOF
    # shellcheck disable=SC2086
    if ! java $TOOL_JVM_OPTS -cp "$BROKER_CP" kafka.tools.StorageTool format \
         --cluster-id "$cid" --config "$dir/server.properties" >"$dir/format.out" 2>&1; then
      cat "$dir/format.out" >&2
      warn "kafka-storage format failed for node $i"
      return 1
    fi
    start_kafka_node "$i" "$data" || return 1
    BOOTSTRAP+="${BOOTSTRAP:+,}127.0.0.1:$(kafka_client_port "$i")"
  done
  local deadline=$((SECONDS + START_TIMEOUT)) ready
  while :; do
    ready=0
    for i in 1 2 3 4; do
      grep -q 'Kafka Server started' "$data/node-$i/logs/server.log" 2>/dev/null && ready=$((ready + 1))
      kill -0 "${KAFKA_PID[$i]}" 2>/dev/null || { tail -n 30 "$data/node-$i/logs/server.log" >&2 || true; warn "Kafka node $i exited during start-up"; return 1; }
    done
    [ $ready -eq 4 ] && return 0
    if [ $SECONDS -ge $deadline ]; then warn "Kafka not ready after ${START_TIMEOUT}s ($ready of 4 nodes started)"; return 1; fi
    sleep 0.5
  done
}

run_kafka() {
  local raw="$RESULTS_DIR/kafka" data="$WORK_DIR/kafka" rep
  mkdir -p "$raw" "$data"
  choose_ports || return 1
  log "kafka: starting Kafka $KAFKA_BROKER_VERSION, nodes 1-3 broker+controller, node 4 broker (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  start_kafka4 "$data" || { warn "kafka: start failed"; return 1; }
  log "kafka: ready, bootstrap $BOOTSTRAP"
  ASSIGNMENT=1,2,3
  create_fill_move kafka "$raw" || warn "kafka: create/fill failed"
  for rep in $(seq 1 "$FAILOVER_REPS"); do
    log "kafka: failover $rep/$FAILOVER_REPS: leader on node 4 (broker only, never the controller), then kill -9"
    bench "$PHASE_TIMEOUT" "$raw/kafka-failover-$rep.out" kafka failover --bootstrap "$BOOTSTRAP" --topic move-small \
      --pids "1=${KAFKA_PID[1]},2=${KAFKA_PID[2]},3=${KAFKA_PID[3]},4=${KAFKA_PID[4]}" --leader-on 4 \
      --label kafka-failover || warn "kafka: failover $rep failed"
    local i
    for i in 1 2 3 4; do
      if ! kill -0 "${KAFKA_PID[$i]}" 2>/dev/null; then
        log "kafka: restarting node $i"
        mv "$data/node-$i/logs/kafka.out" "$data/node-$i/logs/kafka.out.$rep" 2>/dev/null || true
        start_kafka_node "$i" "$data" || warn "kafka: restarting node $i failed"
      fi
    done
  done
  log "kafka: stopping"
  stop_servers
  mkdir -p "$raw/logs"
  for i in 1 2 3 4; do
    cp "$data/node-$i/logs/server.log" "$raw/logs/node-$i-server.log" 2>/dev/null || true
    cp "$data/node-$i/server.properties" "$raw/logs/node-$i-server.properties" 2>/dev/null || true
  done
  [ "$KEEP_DATA" = 1 ] || rm -rf "$data"
}

# ---- output ---------------------------------------------------------------------------------------
# Values of KEY (a number) in the results labelled LABEL that have no "error", one per line.
values() {
  grep -F "\"label\": \"$1\"" "$JSONL" | grep -vF '"error"' |
    sed -nE "s/.*\"$2\": ([0-9.]+).*/\1/p" || true
}

# "median s (min–max, n)" of LABEL's KEY (milliseconds), or n/a.
cell() {
  values "$1" "$2" | sort -n | awk '
    { a[NR] = $1 / 1000 }
    END {
      if (NR == 0) { print "n/a"; exit }
      m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.2f s (%.2f–%.2f, n=%d)\n", m, a[1], a[NR], NR
    }'
}

median_of() { awk '{ print $1 + 0; exit }' <<<"${1%% s*}"; }

ratio() {
  local s="$1" k="$2"
  [ "$s" != n/a ] && [ "$k" != n/a ] || { echo "n/a"; return; }
  awk -v s="$(median_of "$s")" -v k="$(median_of "$k")" 'BEGIN { if (k > 0) printf "%.3gx\n", s / k; else print "n/a" }'
}

errors_of() { grep -F "\"label\": \"$1\"" "$JSONL" | grep -cF '"error"' || true; }

row() { # TITLE STRATA_LABEL KAFKA_LABEL KEY
  local s k
  s="$(cell "$2" "$4")"; k="$( [ -n "$3" ] && cell "$3" "$4" || echo n/a)"
  printf '| %s | %s | %s | %s |\n' "$1" "$s" "$k" "$(ratio "$s" "$k")"
}

zk_granted() { [ -f "$1" ] && sed -nE 's/.*"negotiated_ms": ([0-9]+).*/\1/p' "$1" | head -n 1 || true; }

print_table() {
  local small="$SMALL_MIB MiB" large="$LARGE_MIB MiB" granted_default granted_low
  granted_default="$(zk_granted "$RESULTS_DIR/strata/zk-session-default.out")"
  granted_low="$(zk_granted "$RESULTS_DIR/strata/zk-session-low.out")"
  echo "Partition move and failover: Strata (3 brokers, 3 bookies) vs Apache Kafka $KAFKA_BROKER_VERSION (3 KRaft nodes + 1 broker)"
  echo "$(date '+%Y-%m-%d %H:%M %Z'), $(nproc) CPUs, load average at start $LOADAVG_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "One partition, RF 3, min.insync.replicas 2; median (min–max, n) in seconds."
  echo
  echo "| measure | Strata | Kafka $KAFKA_BROKER_VERSION | Strata/Kafka |"
  echo "|---|---|---|---|"
  row "move $small: request to complete" strata-move-small kafka-move-small complete_ms
  row "move $small: request to first produce acked by the new owner" strata-move-small kafka-move-small first_ack_ms
  row "move $large: request to complete" strata-move-large kafka-move-large complete_ms
  row "move $large: request to first produce acked by the new owner" strata-move-large kafka-move-large first_ack_ms
  row "move $large: longest gap between probe acks" strata-move-large kafka-move-large max_ack_gap_ms
  row "failover: kill -9 to first produce acked by the new owner" strata-failover kafka-failover first_ack_ms
  row "failover: kill -9 to Metadata naming the new leader" strata-failover kafka-failover new_leader_in_metadata_ms
  if [ "$LOW_SESSION_MS" -gt 0 ]; then
    row "failover, Strata zookeeper.session.timeout.ms=$LOW_SESSION_MS (granted ${granted_low:-?} ms): kill -9 to first produce acked" strata-failover-low "" first_ack_ms
  fi
  echo
  echo "Strata's default zookeeper.session.timeout.ms asks for ${STRATA_DEFAULT_SESSION:-18000} ms; its ZooKeeper (tickTime 500 ms) granted ${granted_default:-?} ms."
  echo "Kafka: broker.session.timeout.ms 9000 (default); the killed node 4 is a broker only, so the active controller survives."
  local fills="" l
  for l in strata-fill-small strata-fill-large kafka-fill-small kafka-fill-large; do
    local v; v="$(values "$l" mib_per_s | head -n 1)"
    [ -z "$v" ] || fills+="${fills:+, }$l $v MiB/s"
  done
  [ -z "$fills" ] || echo "Fill (acks=1, not measured; the rate includes the client's start-up): $fills."
  local errs=0
  for l in strata-move-small strata-move-large kafka-move-small kafka-move-large strata-failover strata-failover-low kafka-failover; do
    errs=$((errs + $(errors_of "$l")))
  done
  [ "$errs" -eq 0 ] || echo "Measurements with an error (left out of the figures): $errs; see results.jsonl."
  local lost; lost="$(grep -cE '"acked_missing": [1-9]' "$JSONL" || true)"
  echo "Probe records acknowledged but missing when read back: ${lost:-0} measurement(s) with any."
}

# ---- main -----------------------------------------------------------------------------------------
LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
STRATA_DEFAULT_SESSION=18000
{
  echo "run: $RUN_ID"
  echo "host: $(uname -srm), $(nproc) CPUs, load average at start $LOADAVG_START"
  echo "java: $(java -version 2>&1 | head -n 1)"
  echo "kafka broker: kafka_2.13 $KAFKA_BROKER_VERSION"
  echo "options: --only $ONLY --small-mib $SMALL_MIB --large-mib $LARGE_MIB --move-reps $MOVE_REPS --failover-reps $FAILOVER_REPS --low-session-ms $LOW_SESSION_MS --record-size $RECORD_SIZE"
  echo "disk: $(df -h "$WORK_DIR" | tail -n 1)"
} >"$RESULTS_DIR/env.txt"
log "results: $RESULTS_DIR"
log "host: $(nproc) CPUs, load average $LOADAVG_START; free disk under the work dir: $(df -h --output=avail "$WORK_DIR" | tail -n 1 | tr -d ' ')"

[ "$ONLY" = strata ] || ensure_kafka_dist
prepare_client
[ "$ONLY" = kafka ] || run_strata || warn "strata: run failed"
[ "$ONLY" = strata ] || run_kafka || warn "kafka: run failed"

print_table | tee "$RESULTS_DIR/table.md"
log "raw outputs, results.jsonl and table.md in $RESULTS_DIR"
