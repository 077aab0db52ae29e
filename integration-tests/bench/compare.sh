#!/usr/bin/env bash
# Side-by-side benchmark: Apache Kafka 4.4.0 (KRaft, started from the Maven Central jars) against
# Strata (`ops/bin/strata standalone`), measured with Kafka's own tools (kafka-tools 4.3.1 from
# Maven Central: ProducerPerformance, ConsumerPerformance, EndToEndLatency), on this machine, in
# one run. See integration-tests/README.md ("Side-by-side benchmark").
#
#   integration-tests/bench/compare.sh [--only kafka|strata|both] [--pairs 1,3] [--records N] ...
#   integration-tests/bench/compare.sh --help
#
# Pairs (like for like, issue 4):
#   pair 1: Kafka, 1 process (combined broker+controller), topic RF 1
#           Strata `standalone --bookies 1`, topic RF 1
#   pair 3: Kafka, 3 processes, each a combined broker+controller (3-voter KRaft quorum),
#           default.replication.factor=3, min.insync.replicas=2, topic RF 3 with
#           min.insync.replicas=2
#           Strata `standalone --bookies 3`, topic RF 3 (write quorum 3) with
#           min.insync.replicas=2 (ack quorum 2)
# Kafka runs with its defaults (no fsync tuning: it acks from the page cache); Strata fsyncs every
# acknowledged write on its bookies. That difference is the point of the comparison.
#
# For each system and pair, one after the other (never both at once), on a fresh data directory:
#   1. start the servers, wait for readiness with a deadline (log line / ready line, then the
#      topic creation itself, retried until the deadline)
#   2. create topic `bench` (--partitions, default 6) with TopicCommand; warm-up, not measured:
#      --warmup-rounds (default 2) times, produce --warmup-records (default 500000) on topic
#      `bench-warmup` and read them from the beginning with a new group, so that the
#      measured runs see servers whose JIT compilers have (mostly) finished: what a long-running
#      server is. The JIT compile time that still falls into each measured run is printed (jstat).
#   3. ProducerPerformance: --num-records N, --record-size 1024, --throughput -1, acks=all,
#      every other producer setting at the kafka-clients 4.3.1 default
#   4. ConsumerPerformance: catch-up read of all N records from the beginning (new group)
#   5. EndToEndLatency: --e2e-messages records of 1 KiB, acks=all, one at a time
#   6. stop the servers and delete their data
# Broker-side CPU: utime+stime from /proc/<pid>/stat (divided by `getconf CLK_TCK`) of every
# process of the system under test (each server runs in its own session; all processes of that
# session are summed: every Kafka JVM, or the Strata launcher and its JVM with ZooKeeper and
# bookies inside), sampled just before and just after each tool run, reported as CPU-seconds per
# GiB of client payload (produce: records sent x record size; consume: bytes consumed).
# Replication traffic is not counted as "moved": RF 3 costs show up as more CPU per GiB.
#
# JVM settings (constants below): each Kafka broker -Xms1g -Xmx1g with the G1 flags of Kafka's
# kafka-run-class.sh; each tool -Xmx512m (as kafka-producer-perf-test.sh). Strata's heap is
# whatever `ops/bin/strata standalone` chooses.
#
# Everything binds 127.0.0.1. Every process this script starts is stopped by it (trap on EXIT,
# INT, TERM, HUP), every tool run is bounded by --phase-timeout, and the data directories are
# deleted at the end. Needs bash, coreutils, awk, JDK 17+ and Maven 3.8+ (first run downloads
# ~90 MB of Kafka jars into ~/.m2 and integration-tests/bench/target/kafka-dist/).
set -Eeuo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
DIST_DIR="$BENCH_DIR/target/kafka-dist"
BROKER_CP="$DIST_DIR/broker-lib/*"
TOOLS_CP="$DIST_DIR/tools-lib/*"
KAFKA_BROKER_VERSION=4.4.0
KAFKA_TOOLS_VERSION=4.3.1

KAFKA_HEAP_OPTS="-Xms1g -Xmx1g"
KAFKA_JVM_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true"
TOOL_JVM_OPTS="-Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -Duser.language=en -Duser.country=US -Dlog4j2.configurationFile=file:$BENCH_DIR/log4j2-tools.properties"
TOPIC=bench

# ---- options -----------------------------------------------------------------------------------
ONLY=both
PAIRS=1,3
RECORDS=1000000
RECORD_SIZE=1024
PARTITIONS=6
E2E_MESSAGES=3000
WARMUP_RECORDS=500000
WARMUP_ROUNDS=2
PORT_BASE=21092
START_TIMEOUT=180
STRATA_START_TIMEOUT=900
PHASE_TIMEOUT=900
STOP_GRACE=20
RESULTS_DIR=""
WORK_BASE="$BENCH_DIR/target/tmp"
STRATA_CMD="$REPO_ROOT/ops/bin/strata"
KEEP_DATA=0

usage() {
  cat <<EOF
Usage: integration-tests/bench/compare.sh [options]

Runs Apache Kafka $KAFKA_BROKER_VERSION and Strata side by side with Kafka's own perf tools
(kafka-tools $KAFKA_TOOLS_VERSION) and prints one table per pair.

  --only kafka|strata|both   systems to run (default: $ONLY); 'both' runs Kafka alone when
                             Strata is not runnable yet, and says so
  --pairs LIST               which pairs: 1 (1 broker / 1 bookie), 3 (3 brokers / 3 bookies),
                             comma-separated (default: $PAIRS)
  --records N                records per ProducerPerformance run, also read back by
                             ConsumerPerformance (default: $RECORDS)
  --record-size BYTES        record size (default: $RECORD_SIZE)
  --partitions P             partitions of the benchmark topic (default: $PARTITIONS)
  --e2e-messages M           EndToEndLatency round trips (default: $E2E_MESSAGES)
  --warmup-records N         records produced and read on topic bench-warmup before the measured
                             runs, not measured (default: $WARMUP_RECORDS; 0 disables)
  --warmup-rounds R          how many times the warm-up produces and reads (default:
                             $WARMUP_ROUNDS; 0 disables)
  --results DIR              where raw outputs, summary.csv/json and tables.txt go
                             (default: integration-tests/bench/target/results/<timestamp>)
  --work-dir DIR             parent of the temporary data directories, deleted at the end
                             (default: integration-tests/bench/target/tmp; use a real disk, not
                             tmpfs, or Strata's fsyncs cost nothing)
  --strata-cmd PATH          Strata launcher (default: ops/bin/strata)
  --port-base PORT           first port to try (default: $PORT_BASE; moves up by 100 if taken;
                             kept below the kernel's ephemeral range, where clients' source ports
                             of other programs could take it between our check and the bind)
  --start-timeout S          deadline for Kafka to become ready (default: $START_TIMEOUT)
  --strata-start-timeout S   deadline for Strata's ready line, which may include building
                             Strata (default: $STRATA_START_TIMEOUT)
  --phase-timeout S          upper bound for each tool run (default: $PHASE_TIMEOUT)
  --keep-data                do not delete the data directories (debugging)
  -h, --help                 this text
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --pairs) PAIRS="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --record-size) RECORD_SIZE="$2"; shift 2 ;;
    --partitions) PARTITIONS="$2"; shift 2 ;;
    --e2e-messages) E2E_MESSAGES="$2"; shift 2 ;;
    --warmup-records) WARMUP_RECORDS="$2"; shift 2 ;;
    --warmup-rounds) WARMUP_ROUNDS="$2"; shift 2 ;;
    --results) RESULTS_DIR="$2"; shift 2 ;;
    --work-dir) WORK_BASE="$2"; shift 2 ;;
    --strata-cmd) STRATA_CMD="$2"; shift 2 ;;
    --port-base) PORT_BASE="$2"; shift 2 ;;
    --start-timeout) START_TIMEOUT="$2"; shift 2 ;;
    --strata-start-timeout) STRATA_START_TIMEOUT="$2"; shift 2 ;;
    --phase-timeout) PHASE_TIMEOUT="$2"; shift 2 ;;
    --keep-data) KEEP_DATA=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

case "$ONLY" in kafka|strata|both) ;; *) echo "compare.sh: --only must be kafka, strata or both" >&2; exit 2 ;; esac
IFS=',' read -r -a PAIR_LIST <<<"$PAIRS"
for p in "${PAIR_LIST[@]}"; do
  case "$p" in 1|3) ;; *) echo "compare.sh: --pairs takes 1 and/or 3, got '$p'" >&2; exit 2 ;; esac
done
[[ "$WARMUP_RECORDS" =~ ^[0-9]+$ ]] || { echo "compare.sh: WARMUP_RECORDS must be a number" >&2; exit 2; }
[[ "$WARMUP_ROUNDS" =~ ^[0-9]+$ ]] || { echo "compare.sh: --warmup-rounds must be a number, got '$WARMUP_ROUNDS'" >&2; exit 2; }
for v in RECORDS RECORD_SIZE PARTITIONS E2E_MESSAGES PORT_BASE START_TIMEOUT STRATA_START_TIMEOUT PHASE_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "compare.sh: $v must be a positive integer" >&2; exit 2; }
done

CLK_TCK="$(getconf CLK_TCK)"
RUN_ID="$(date +%Y%m%d-%H%M%S)"
[ -n "$RESULTS_DIR" ] || RESULTS_DIR="$BENCH_DIR/target/results/$RUN_ID"
mkdir -p "$RESULTS_DIR" "$WORK_BASE"
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
WORK_DIR="$(mktemp -d "$WORK_BASE/run.XXXXXX")"

# ---- process bookkeeping and cleanup ------------------------------------------------------------
SERVER_SIDS=()     # session ids (= pid of the session leader) of the running system's servers
SERVER_BG_PIDS=()  # what `$!` returned for them (reaped on stop)
TOOL_PID=""        # the running tool's `timeout` process
CURRENT_LOG_DIR="" # where the running system's server logs are copied on stop
CURRENT_DATA=""    # the running system's data directory
T0=$SECONDS

# log, warn, session_pids, session_alive, stop_tool, stop_servers, start_server, port_free,
# ensure_kafka_dist, random_cluster_id
# shellcheck source=integration-tests/bench/lib.sh
source "$BENCH_DIR/lib.sh"

# Sum of utime+stime, in clock ticks, of every process in the running system's sessions.
sessions_cpu_ticks() {
  local total=0 sid f rest st
  for f in /proc/[0-9]*/stat; do
    { read -r rest <"$f"; } 2>/dev/null || continue
    rest="${rest##*) }"
    read -r -a st <<<"$rest"                # st[11]=utime (field 14) st[12]=stime (field 15)
    for sid in "${SERVER_SIDS[@]}"; do
      if [ "${st[3]}" = "$sid" ]; then total=$((total + st[11] + st[12])); break; fi
    done
  done
  echo "$total"
}

# Seconds the JIT compilers of the running system's JVMs have worked so far (`jstat -compiler`,
# column Time), summed over every JVM in its sessions. Part of the servers' CPU; shown apart because
# it is a start-up cost that a long-running server no longer pays.
sessions_jit_s() {
  local total=0 sid f rest st pid t
  for f in /proc/[0-9]*/stat; do
    { read -r rest <"$f"; } 2>/dev/null || continue
    pid="${f#/proc/}"; pid="${pid%/stat}"
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = java ] || continue
    rest="${rest##*) }"
    read -r -a st <<<"$rest"
    for sid in "${SERVER_SIDS[@]}"; do
      if [ "${st[3]}" = "$sid" ]; then
        t="$(jstat -compiler "$pid" 2>/dev/null | awk 'NR == 2 { print $4 }')"
        total="$(awk -v a="$total" -v b="${t:-0}" 'BEGIN { print a + b }')"
        break
      fi
    done
  done
  echo "$total"
}

# Busy CPU ticks of the whole host (all CPUs) from /proc/stat: user+nice+system+irq+softirq+steal.
host_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }


# Copy a system's server logs into the results and delete its data directory.
finish_system() {
  local data="$1"
  stop_servers
  if [ -n "$CURRENT_LOG_DIR" ] && [ -d "$data" ]; then
    find "$data" -maxdepth 3 \( -name 'server.log' -o -name '*.out' -o -name 'server.properties' \) -type f |
      while read -r f; do
        rel="${f#"$data"/}"; cp "$f" "$CURRENT_LOG_DIR/${rel//\//_}" 2>/dev/null || true
      done
  fi
  CURRENT_LOG_DIR=""
  CURRENT_DATA=""
  [ "$KEEP_DATA" = 1 ] || rm -rf "$data"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_tool
  if [ ${#SERVER_SIDS[@]} -gt 0 ]; then
    log "cleanup: stopping ${#SERVER_SIDS[@]} server process group(s)"
  fi
  if [ -n "$CURRENT_DATA" ]; then finish_system "$CURRENT_DATA"; else stop_servers; fi
  if [ "$KEEP_DATA" = 1 ]; then
    log "data kept in $WORK_DIR"
  else
    rm -rf "$WORK_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; warn "interrupted"; exit 130' INT
trap 'warn "terminated"; exit 143' TERM HUP

# Ports: Kafka node i uses PORT_BASE+10(i-1) (clients) and +1 (controller); Strata PORT_BASE+50.
# Called before each system starts: move PORT_BASE up until all are free, skipping the ephemeral
# port range.
choose_ports() {
  local lo hi attempt p busy
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
  for attempt in $(seq 1 50); do
    if [ $((PORT_BASE + 60)) -ge "$lo" ] && [ "$PORT_BASE" -le "$hi" ]; then PORT_BASE=$((hi + 1000)); fi
    [ $((PORT_BASE + 60)) -lt 65536 ] || PORT_BASE=11092
    busy=""
    for p in $(kafka_client_port 1) $(kafka_controller_port 1) $(kafka_client_port 2) $(kafka_controller_port 2) \
             $(kafka_client_port 3) $(kafka_controller_port 3) $((PORT_BASE + 50)); do
      port_free "$p" || { busy="$p"; break; }
    done
    [ -z "$busy" ] && return 0
    PORT_BASE=$((PORT_BASE + 100))
  done
  warn "no free port range found"
  return 1
}

# Run a Kafka tool in the background (so signals reach our trap at once), bounded by
# --phase-timeout, printing progress every 10 s. Usage: run_tool NAME OUT ERR class args...
run_tool() {
  local name="$1" out="$2" err="$3"; shift 3
  local cls="$1"; shift
  # shellcheck disable=SC2086
  timeout --kill-after=10 "$PHASE_TIMEOUT" java $TOOL_JVM_OPTS -cp "$TOOLS_CP" "$cls" "$@" >"$out" 2>"$err" &
  TOOL_PID=$!
  local start=$SECONDS next=$((SECONDS + 10)) rc=0 last
  while kill -0 "$TOOL_PID" 2>/dev/null; do
    sleep 1
    if [ $SECONDS -ge $next ] && kill -0 "$TOOL_PID" 2>/dev/null; then
      last="$(tail -n 1 "$out" 2>/dev/null | cut -c1-110)"
      log "    $name running $((SECONDS - start))s${last:+: $last}"
      next=$((SECONDS + 10))
    fi
  done
  wait "$TOOL_PID" || rc=$?
  TOOL_PID=""
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then warn "$name hit --phase-timeout ($PHASE_TIMEOUT s)"; fi
  return $rc
}


# ---- Kafka --------------------------------------------------------------------------------------
kafka_client_port() { echo $((PORT_BASE + 10 * ($1 - 1))); }
kafka_controller_port() { echo $((PORT_BASE + 10 * ($1 - 1) + 1)); }

# Start N combined broker+controller nodes; sets BOOTSTRAP.
start_kafka() {
  local n="$1" data="$2" i voters="" cid
  for i in $(seq 1 "$n"); do voters+="${voters:+,}$i@127.0.0.1:$(kafka_controller_port "$i")"; done
  local min_isr=1; [ "$n" -ge 3 ] && min_isr=2
  cid="$(random_cluster_id)"
  BOOTSTRAP=""
  for i in $(seq 1 "$n"); do
    local dir="$data/node-$i"
    mkdir -p "$dir/logs"
    cat >"$dir/server.properties" <<EOF
# Generated by integration-tests/bench/compare.sh: KRaft combined node $i of $n, Kafka defaults
# except what a loopback cluster of $n needs. No log.flush.* settings: Kafka acks from the page cache.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka_client_port "$i"),CONTROLLER://127.0.0.1:$(kafka_controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_client_port "$i")
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
default.replication.factor=$n
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$n
transaction.state.log.replication.factor=$n
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$n
share.coordinator.state.topic.min.isr=$min_isr
# As Kafka's shipped config/server.properties: no 3 s wait before a new group's first rebalance.
group.initial.rebalance.delay.ms=0
EOF
    # shellcheck disable=SC2086
    if ! java $TOOL_JVM_OPTS -cp "$BROKER_CP" kafka.tools.StorageTool format \
         --cluster-id "$cid" --config "$dir/server.properties" >"$dir/format.out" 2>&1; then
      cat "$dir/format.out" >&2
      warn "kafka-storage format failed for node $i"
      return 1
    fi
    # shellcheck disable=SC2086
    start_server "$dir/logs/kafka.out" java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS \
      -Dlog4j2.configurationFile="file:$BENCH_DIR/log4j2-broker.properties" \
      -Dkafka.logs.dir="$dir/logs" -cp "$BROKER_CP" kafka.Kafka "$dir/server.properties"
    BOOTSTRAP+="${BOOTSTRAP:+,}127.0.0.1:$(kafka_client_port "$i")"
  done
  # Readiness: every node logs "Kafka Server started" (after it has caught up with the quorum and
  # unfenced its broker); then the topic creation below retries until the deadline.
  local deadline=$((SECONDS + START_TIMEOUT)) ready k
  while :; do
    ready=0
    for i in $(seq 1 "$n"); do
      grep -q 'Kafka Server started' "$data/node-$i/logs/server.log" 2>/dev/null && ready=$((ready + 1))
    done
    [ $ready -eq "$n" ] && break
    for k in "${!SERVER_SIDS[@]}"; do
      if ! session_alive "${SERVER_SIDS[$k]}"; then
        tail -n 30 "$data/node-$((k + 1))/logs/kafka.out" "$data/node-$((k + 1))/logs/server.log" >&2 2>/dev/null || true
        warn "Kafka node $((k + 1)) exited during start-up"
        return 1
      fi
    done
    if [ $SECONDS -ge $deadline ]; then warn "Kafka not ready after ${START_TIMEOUT}s ($ready of $n nodes started)"; return 1; fi
    sleep 0.5
  done
}

# ---- Strata -------------------------------------------------------------------------------------
STRATA_STATUS=""
strata_runnable() {
  if [ ! -x "$STRATA_CMD" ]; then
    STRATA_STATUS="not runnable yet: ${STRATA_CMD#"$REPO_ROOT"/} does not exist (issue 4 adds 'strata standalone')"
    return 1
  fi
  return 0
}

# Start `strata standalone` and wait for its ready line; sets BOOTSTRAP.
start_strata() {
  local n="$1" data="$2" port=$((PORT_BASE + 50))
  mkdir -p "$data/strata"
  local out="$data/strata.out"
  start_server "$out" "$STRATA_CMD" standalone --data-dir "$data/strata" --port "$port" --bookies "$n"
  local deadline=$((SECONDS + STRATA_START_TIMEOUT)) line next=$((SECONDS + 15))
  while :; do
    line="$(grep -m1 -E '^Strata standalone ready: bootstrap=' "$out" 2>/dev/null || true)"
    if [ -n "$line" ]; then
      BOOTSTRAP="${line#Strata standalone ready: bootstrap=}"
      BOOTSTRAP="${BOOTSTRAP%%[[:space:]]*}"
      return 0
    fi
    if ! session_alive "${SERVER_SIDS[0]}"; then
      tail -n 30 "$out" >&2 || true
      STRATA_STATUS="failed to start: '${STRATA_CMD#"$REPO_ROOT"/} standalone' exited before printing its ready line"
      warn "Strata $STRATA_STATUS"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$out" >&2 || true
      STRATA_STATUS="failed to start: no ready line within ${STRATA_START_TIMEOUT}s"
      warn "Strata $STRATA_STATUS"
      return 1
    fi
    if [ $SECONDS -ge $next ]; then log "    waiting for Strata's ready line ($((SECONDS - deadline + STRATA_START_TIMEOUT))s)"; next=$((SECONDS + 15)); fi
    sleep 0.5
  done
}

# ---- one system, one pair ------------------------------------------------------------------------
declare -A R   # R[pair:system:metric]
METRICS=(produce_mib_s produce_rec_s produce_p50_ms produce_p99_ms e2e_p50_ms e2e_p99_ms consume_mib_s produce_cpu_s_per_gib consume_cpu_s_per_gib)
# produce_host_cpu_s / consume_host_cpu_s: busy CPU-seconds of the whole machine during the run
# (servers + the tool + anything else running): with $(nproc) CPUs, wall seconds x CPUs is the most.
EXTRA=(records_sent produce_avg_ms produce_max_ms produce_s produce_cpu_s produce_host_cpu_s consume_mib_s_incl_join consume_records consume_mib consume_s consume_cpu_s consume_host_cpu_s e2e_avg_ms e2e_p999_ms loadavg_at_start status produce_jit_s consume_jit_s)

create_topic() { # PAIR TOPIC OUT
  local pair="$1" topic="$2" out="$3" rf="$1" deadline=$((SECONDS + START_TIMEOUT)) cfg=() rc
  [ "$pair" -ge 3 ] && cfg=(--config min.insync.replicas=2)
  while :; do
    rc=0
    run_tool create-topic "$out" "$out.err" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$BOOTSTRAP" --create --topic "$topic" --partitions "$PARTITIONS" \
      --replication-factor "$rf" "${cfg[@]}" || rc=$?
    [ $rc -eq 0 ] && return 0
    grep -q 'already exists' "$out" "$out.err" 2>/dev/null && return 0
    if [ $SECONDS -ge $deadline ]; then
      cat "$out" "$out.err" >&2 || true
      warn "could not create topic '$topic' within ${START_TIMEOUT}s"
      return 1
    fi
    sleep 2
  done
}

cpu_seconds() { awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }'; }
per_gib() { awk -v c="$1" -v g="$2" 'BEGIN { if (g > 0) printf "%.1f", c / g; else print "n/a" }'; }

run_system() {
  local sys="$1" pair="$2"
  local key="$pair:$sys" raw="$RESULTS_DIR/pair$pair/$sys" data="$WORK_DIR/pair$pair-$sys"
  local label; [ "$sys" = kafka ] && label="Kafka $KAFKA_BROKER_VERSION, $pair broker(s)" || label="Strata, $pair bookie(s)"
  mkdir -p "$raw" "$data"
  CURRENT_LOG_DIR="$raw"
  CURRENT_DATA="$data"
  R[$key:status]=ok
  R[$key:loadavg_at_start]="$(cut -d' ' -f1 /proc/loadavg)"
  log "pair $pair | $sys: starting $label (load average ${R[$key:loadavg_at_start]})"
  local t=$SECONDS
  choose_ports || { R[$key:status]="no free ports"; return 0; }
  if [ "$sys" = kafka ]; then
    if ! start_kafka "$pair" "$data"; then
      # Another program may have taken a port between the check and the bind: once more, higher.
      if grep -qs 'Address already in use' "$data"/node-*/logs/server.log; then
        warn "pair $pair | kafka: a port was taken; retrying on other ports"
        stop_servers; rm -rf "$data"; mkdir -p "$data"; PORT_BASE=$((PORT_BASE + 100))
        choose_ports && start_kafka "$pair" "$data" || { R[$key:status]="start failed"; finish_system "$data"; return 0; }
      else
        R[$key:status]="start failed"; finish_system "$data"; return 0
      fi
    fi
  else
    start_strata "$pair" "$data" || { R[$key:status]="$STRATA_STATUS"; finish_system "$data"; return 0; }
  fi
  log "pair $pair | $sys: started in $((SECONDS - t))s, bootstrap $BOOTSTRAP; creating topic '$TOPIC' ($PARTITIONS partitions, RF $pair)"
  create_topic "$pair" "$TOPIC" "$raw/topic.out" || { R[$key:status]="topic creation failed"; finish_system "$data"; return 0; }

  # -- warm-up (not measured): the same produce and catch-up read on a topic of its own, so that
  # neither system is measured while its JIT compiler is still busy. Two rounds by default: the
  # first read brings types and branches the produce path had not seen, and the JIT throws away
  # and recompiles what it compiled for produce alone; measured after one round, the produce run
  # spent a third of Strata's CPU in its compiler threads, after two 5-11% (-XX:+LogCompilation
  # showed what: recompiling the produce path).
  if [ "$WARMUP_RECORDS" -gt 0 ] && [ "$WARMUP_ROUNDS" -gt 0 ]; then
    log "pair $pair | $sys: warm-up (not measured): $WARMUP_ROUNDS x (produce $WARMUP_RECORDS records, read them) on '$TOPIC-warmup'"
    local round ok=1
    create_topic "$pair" "$TOPIC-warmup" "$raw/warmup-topic.out" || ok=0
    for round in $(seq 1 "$WARMUP_ROUNDS"); do
      [ "$ok" = 1 ] || break
      { run_tool warm-up "$raw/warmup-produce-$round.out" "$raw/warmup-produce-$round.err" org.apache.kafka.tools.ProducerPerformance \
          --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC-warmup" --num-records "$WARMUP_RECORDS" \
          --record-size "$RECORD_SIZE" --throughput -1 --command-property acks=all &&
        run_tool warm-up "$raw/warmup-consume-$round.out" "$raw/warmup-consume-$round.err" org.apache.kafka.tools.ConsumerPerformance \
          --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC-warmup" --num-records "$WARMUP_RECORDS" --timeout 30000 \
          --group "warmup-$round"; } || ok=0
    done
    [ "$ok" = 1 ] || warn "pair $pair | $sys: warm-up failed; see $raw/warmup-*"
  fi

  # -- produce
  log "pair $pair | $sys: ProducerPerformance $RECORDS x $RECORD_SIZE B, acks=all, throughput unthrottled"
  local c0 c1 h0 h1 s0 j0 rc=0 line
  j0=$(sessions_jit_s)
  c0=$(sessions_cpu_ticks); h0=$(host_busy_ticks); s0=$(date +%s.%N)
  run_tool produce "$raw/produce.out" "$raw/produce.err" org.apache.kafka.tools.ProducerPerformance \
    --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC" --num-records "$RECORDS" \
    --record-size "$RECORD_SIZE" --throughput -1 --command-property acks=all || rc=$?
  c1=$(sessions_cpu_ticks); h1=$(host_busy_ticks)
  R[$key:produce_jit_s]=$(awk -v a="$j0" -v b="$(sessions_jit_s)" 'BEGIN { printf "%.1f", b - a }')
  R[$key:produce_host_cpu_s]=$(cpu_seconds "$h0" "$h1")
  R[$key:produce_s]=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  line="$(grep -E '^[0-9]+ records sent, .* 99\.9th' "$raw/produce.out" | tail -n 1 || true)"
  if [ $rc -eq 0 ] && [ -n "$line" ]; then
    # N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th.
    read -r "R[$key:records_sent]" "R[$key:produce_rec_s]" "R[$key:produce_mib_s]" "R[$key:produce_avg_ms]" \
      "R[$key:produce_max_ms]" "R[$key:produce_p50_ms]" "R[$key:produce_p99_ms]" < <(
      sed -nE 's/^([0-9]+) records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\), ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, ([0-9.]+) ms 50th, [0-9.]+ ms 95th, ([0-9.]+) ms 99th.*/\1 \2 \3 \4 \5 \6 \7/p' <<<"$line")
    R[$key:produce_rec_s]=$(awk -v x="${R[$key:produce_rec_s]}" 'BEGIN { printf "%.0f", x }')
    R[$key:produce_cpu_s]=$(cpu_seconds "$c0" "$c1")
    R[$key:produce_cpu_s_per_gib]=$(per_gib "${R[$key:produce_cpu_s]}" \
      "$(awk -v n="${R[$key:records_sent]}" -v s="$RECORD_SIZE" 'BEGIN { print n * s / 1073741824 }')")
    log "pair $pair | $sys: produce ${R[$key:produce_mib_s]} MiB/s, ${R[$key:produce_rec_s]} rec/s, p50 ${R[$key:produce_p50_ms]} ms, p99 ${R[$key:produce_p99_ms]} ms, broker CPU ${R[$key:produce_cpu_s]} s, host busy ${R[$key:produce_host_cpu_s]} CPU-s in ${R[$key:produce_s]} s"
  else
    tail -n 5 "$raw/produce.err" >&2 || true
    warn "pair $pair | $sys: ProducerPerformance failed (exit $rc); see $raw/produce.*"
    R[$key:status]="produce failed"
  fi

  # -- catch-up consume of everything just produced
  local expect="${R[$key:records_sent]:-$RECORDS}"
  log "pair $pair | $sys: ConsumerPerformance catch-up read of $expect records from the beginning"
  rc=0; j0=$(sessions_jit_s)
  c0=$(sessions_cpu_ticks); h0=$(host_busy_ticks); s0=$(date +%s.%N)
  run_tool consume "$raw/consume.out" "$raw/consume.err" org.apache.kafka.tools.ConsumerPerformance \
    --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC" --num-records "$expect" --timeout 30000 || rc=$?
  c1=$(sessions_cpu_ticks); h1=$(host_busy_ticks)
  R[$key:consume_jit_s]=$(awk -v a="$j0" -v b="$(sessions_jit_s)" 'BEGIN { printf "%.1f", b - a }')
  R[$key:consume_host_cpu_s]=$(cpu_seconds "$h0" "$h1")
  R[$key:consume_s]=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  # rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  line="$(awk -F', ' 'NF >= 10 && $3 ~ /^[0-9.]+$/ { l = $0 } END { print l }' "$raw/consume.out")"
  if [ $rc -eq 0 ] && [ -n "$line" ]; then
    read -r "R[$key:consume_mib]" "R[$key:consume_mib_s_incl_join]" "R[$key:consume_records]" "R[$key:consume_mib_s]" < <(
      awk -F', ' '{ printf "%s %s %s %.2f\n", $3, $4, $5, $9 }' <<<"$line")
    R[$key:consume_cpu_s]=$(cpu_seconds "$c0" "$c1")
    R[$key:consume_cpu_s_per_gib]=$(per_gib "${R[$key:consume_cpu_s]}" "$(awk -v m="${R[$key:consume_mib]}" 'BEGIN { print m / 1024 }')")
    [ "${R[$key:consume_records]}" -ge "$expect" ] 2>/dev/null ||
      warn "pair $pair | $sys: consumed ${R[$key:consume_records]} of $expect records"
    log "pair $pair | $sys: consume ${R[$key:consume_mib_s]} MiB/s (fetch time; ${R[$key:consume_mib_s_incl_join]} incl. group join), broker CPU ${R[$key:consume_cpu_s]} s, host busy ${R[$key:consume_host_cpu_s]} CPU-s in ${R[$key:consume_s]} s"
  else
    tail -n 5 "$raw/consume.err" >&2 || true
    warn "pair $pair | $sys: ConsumerPerformance failed (exit $rc); see $raw/consume.*"
    [ "${R[$key:status]}" = ok ] && R[$key:status]="consume failed"
  fi

  # -- end-to-end latency
  log "pair $pair | $sys: EndToEndLatency $E2E_MESSAGES x $RECORD_SIZE B, acks=all"
  rc=0
  run_tool e2e "$raw/e2e.out" "$raw/e2e.err" org.apache.kafka.tools.EndToEndLatency \
    --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC" --num-records "$E2E_MESSAGES" \
    --producer-acks all --record-size "$RECORD_SIZE" || rc=$?
  line="$(grep -E 'Percentiles: 50th = ' "$raw/e2e.out" | tail -n 1 || true)"
  if [ $rc -eq 0 ] && [ -n "$line" ]; then
    read -r "R[$key:e2e_p50_ms]" "R[$key:e2e_p99_ms]" "R[$key:e2e_p999_ms]" < <(
      sed -nE 's/.*50th = ([0-9.]+), 99th = ([0-9.]+), 99\.9th = ([0-9.]+).*/\1 \2 \3/p' <<<"$line")
    R[$key:e2e_avg_ms]="$(sed -nE 's/^Avg latency: ([0-9.]+) ms.*/\1/p' "$raw/e2e.out" | tail -n 1)"
    log "pair $pair | $sys: end-to-end p50 ${R[$key:e2e_p50_ms]} ms, p99 ${R[$key:e2e_p99_ms]} ms (avg ${R[$key:e2e_avg_ms]} ms)"
  else
    tail -n 5 "$raw/e2e.err" >&2 || true
    warn "pair $pair | $sys: EndToEndLatency failed (exit $rc); see $raw/e2e.*"
    [ "${R[$key:status]}" = ok ] && R[$key:status]="e2e failed"
  fi

  log "pair $pair | $sys: stopping"
  finish_system "$data"
}

# ---- output ---------------------------------------------------------------------------------------
val() { local v="${R[$1]:-}"; echo "${v:-n/a}"; }
ratio() { awk -v s="$1" -v k="$2" 'BEGIN { if (s ~ /^[0-9.]+$/ && k ~ /^[0-9.]+$/ && k > 0) printf "%.2fx", s / k; else print "n/a" }'; }

# "H% (S%)": busy share of all CPUs during a run, and the servers' own share. Arg: pair:sys:phase
busy_pct() {
  awk -v h="$(val "$1_host_cpu_s")" -v c="$(val "$1_cpu_s")" -v w="$(val "$1_s")" -v n="$(nproc)" \
    'BEGIN { if (w > 0 && h ~ /^[0-9.]+$/) printf "%.0f%% (%s)", 100 * h / (w * n), (c ~ /^[0-9.]+$/) ? sprintf("%.0f%%", 100 * c / (w * n)) : "n/a"; else print "n/a" }'
}

print_table() {
  local pair="$1" m row
  local title
  [ "$pair" = 1 ] && title="Pair 1: Kafka 1 broker (RF 1) vs Strata 1 bookie" ||
    title="Pair 3: Kafka 3 brokers (RF 3, min.insync.replicas 2) vs Strata 3 bookies (write quorum 3, ack quorum 2)"
  echo
  echo "$title"
  echo "  $RECORDS records x $RECORD_SIZE B, acks=all, $PARTITIONS partitions, after a warm-up of $WARMUP_ROUNDS x $WARMUP_RECORDS records; e2e: $E2E_MESSAGES round trips; MiB = 2^20 bytes"
  printf '  %-13s %9s %9s %9s %9s %9s %9s %9s %10s %10s\n' "" "produce" "produce" "produce" "produce" "e2e" "e2e" "catch-up" "CPU-s/GiB" "CPU-s/GiB"
  printf '  %-13s %9s %9s %9s %9s %9s %9s %9s %10s %10s\n' "" "MiB/s" "rec/s" "p50 ms" "p99 ms" "p50 ms" "p99 ms" "MiB/s" "produce" "consume"
  for row in kafka strata; do
    [ "$ONLY" = both ] || [ "$ONLY" = "$row" ] || continue
    local cells=()
    for m in "${METRICS[@]}"; do cells+=("$(val "$pair:$row:$m")"); done
    local name; [ $row = kafka ] && name="Kafka $KAFKA_BROKER_VERSION" || name="Strata"
    printf '  %-13s %9s %9s %9s %9s %9s %9s %9s %10s %10s' "$name" "${cells[@]}"
    local st="${R[$pair:$row:status]:-not run}"
    [ "$st" = ok ] && echo || echo "   ($st)"
  done
  # How busy the whole machine was: a benchmark on a shared machine competes with other work.
  # And how much JIT compilation still fell into the measured runs.
  local busy="" jit="" who
  for row in kafka strata; do
    [ "${R[$pair:$row:produce_s]:-}" ] || continue
    [ $row = kafka ] && who=Kafka || who=Strata
    busy+="${busy:+; }$who $(busy_pct "$pair:$row:produce") / $(busy_pct "$pair:$row:consume")"
    jit+="${jit:+; }$who $(val "$pair:$row:produce_jit_s") / $(val "$pair:$row:consume_jit_s")"
  done
  [ -z "$busy" ] || echo "  machine busy during produce / catch-up, all $(nproc) CPUs (servers' share): $busy"
  [ -z "$jit" ] || echo "  JIT compile seconds during produce / catch-up (jstat; elapsed, so inflated when the CPUs are saturated): $jit"
  if [ "$ONLY" = both ]; then
    local cells=()
    for m in "${METRICS[@]}"; do cells+=("$(ratio "$(val "$pair:strata:$m")" "$(val "$pair:kafka:$m")")"); done
    printf '  %-13s %9s %9s %9s %9s %9s %9s %9s %10s %10s\n' "Strata/Kafka" "${cells[@]}"
    local pr cr verdict
    pr="$(ratio "$(val "$pair:strata:produce_mib_s")" "$(val "$pair:kafka:produce_mib_s")")"
    cr="$(ratio "$(val "$pair:strata:consume_mib_s")" "$(val "$pair:kafka:consume_mib_s")")"
    if [ "$pr" = n/a ] || [ "$cr" = n/a ]; then verdict="n/a (both systems needed)"
    elif awk -v p="${pr%x}" -v c="${cr%x}" 'BEGIN { exit !(p >= 0.7 && c >= 0.7) }'; then verdict="MET"
    else verdict="NOT MET"; fi
    echo "  Issue 4 target, Strata >= 0.7x Kafka throughput (produce $pr, catch-up $cr): $verdict"
    echo "  (ratios above 1 are better for MiB/s and rec/s, worse for latency and CPU)"
  fi
}

write_summaries() {
  local csv="$RESULTS_DIR/summary.csv" json="$RESULTS_DIR/summary.json" pair sys m first=1
  local cols=(pair system servers records record_size partitions "${METRICS[@]}" "${EXTRA[@]}")
  (IFS=,; echo "${cols[*]}") >"$csv"
  {
    echo "{"
    echo "  \"run\": \"$RUN_ID\", \"host_cpus\": $(nproc), \"loadavg_at_start\": \"$LOADAVG_START\","
    echo "  \"kafka_broker\": \"$KAFKA_BROKER_VERSION\", \"kafka_tools\": \"$KAFKA_TOOLS_VERSION\","
    echo "  \"strata\": \"${STRATA_STATUS:-run}\","
    echo "  \"results\": ["
  } >"$json"
  for pair in "${PAIR_LIST[@]}"; do
    for sys in kafka strata; do
      [ -n "${R[$pair:$sys:status]:-}" ] || continue
      local vals=("$pair" "$sys" "$pair" "$RECORDS" "$RECORD_SIZE" "$PARTITIONS")
      for m in "${METRICS[@]}" "${EXTRA[@]}"; do vals+=("$(val "$pair:$sys:$m")"); done
      (IFS=,; echo "${vals[*]//,/;}") >>"$csv"
      local obj="" i
      for i in "${!cols[@]}"; do
        local v="${vals[$i]//\"/}"
        if [[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then obj+="${obj:+, }\"${cols[$i]}\": $v"
        elif [ "$v" = n/a ]; then obj+="${obj:+, }\"${cols[$i]}\": null"
        else obj+="${obj:+, }\"${cols[$i]}\": \"$v\""; fi
      done
      [ $first = 1 ] || echo "    ," >>"$json"
      echo "    {$obj}" >>"$json"
      first=0
    done
  done
  printf '  ]\n}\n' >>"$json"
}

# ---- main -----------------------------------------------------------------------------------------
LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "run: $RUN_ID"
  echo "host: $(uname -srm), $(nproc) CPUs, load average at start $LOADAVG_START"
  echo "java: $(java -version 2>&1 | head -n 1)"
  echo "kafka broker: kafka_2.13 $KAFKA_BROKER_VERSION; tools: kafka-tools $KAFKA_TOOLS_VERSION"
  echo "options: --only $ONLY --pairs $PAIRS --records $RECORDS --record-size $RECORD_SIZE --partitions $PARTITIONS --e2e-messages $E2E_MESSAGES --warmup-records $WARMUP_RECORDS --warmup-rounds $WARMUP_ROUNDS"
  echo "strata: $STRATA_CMD"
} >"$RESULTS_DIR/env.txt"
log "results: $RESULTS_DIR"
log "host: $(nproc) CPUs, load average $LOADAVG_START"

ensure_kafka_dist

SYSTEMS=()
[ "$ONLY" = strata ] || SYSTEMS+=(kafka)
if [ "$ONLY" != kafka ]; then
  if strata_runnable; then
    SYSTEMS+=(strata)
  else
    log "Strata is $STRATA_STATUS"
    if [ "$ONLY" = strata ]; then echo "compare.sh: nothing to run (Strata is $STRATA_STATUS)" >&2; exit 1; fi
    log "running the Kafka side only; the Strata rows will read n/a"
    for p in "${PAIR_LIST[@]}"; do R[$p:strata:status]="$STRATA_STATUS"; done
  fi
fi

for pair in "${PAIR_LIST[@]}"; do
  for sys in "${SYSTEMS[@]}"; do run_system "$sys" "$pair"; done
done

{
  case "$ONLY" in kafka) echo -n "Apache Kafka only (--only kafka)" ;; strata) echo -n "Strata only (--only strata)" ;; *) echo -n "Strata vs Apache Kafka" ;; esac
  echo ", $(date '+%Y-%m-%d %H:%M %Z'), $(nproc) CPUs, load average at start $LOADAVG_START"
  [ -z "$STRATA_STATUS" ] || [ "$ONLY" = kafka ] || echo "Strata: $STRATA_STATUS"
  for pair in "${PAIR_LIST[@]}"; do print_table "$pair"; done
  echo
  echo "produce: ProducerPerformance (its p50/p99 are per-record send-to-ack under full load);"
  echo "e2e: EndToEndLatency (one record at a time, produce acks=all to consumer receipt);"
  echo "catch-up: ConsumerPerformance fetch MiB/s (group join excluded) from offset 0;"
  echo "CPU-s/GiB: utime+stime of all server processes during the run per GiB of client payload."
} | tee "$RESULTS_DIR/tables.txt"
write_summaries
log "raw outputs, summary.csv, summary.json and tables.txt in $RESULTS_DIR"
