# Shell functions shared by the benchmark scripts in this directory (compare.sh,
# move-failover.sh). Sourced, never run. The caller defines what these read:
#   T0                        $SECONDS at start (log prefix)
#   SERVER_SIDS SERVER_BG_PIDS arrays of running servers (start_server appends, stop_servers empties)
#   TOOL_PID                  the running tool's `timeout` process, or ""
#   STOP_GRACE                seconds between SIGTERM and SIGKILL in stop_servers
#   WORK_DIR                  scratch directory (start_server's pid files)
#   BENCH_DIR REPO_ROOT DIST_DIR KAFKA_BROKER_VERSION KAFKA_TOOLS_VERSION   (ensure_kafka_dist)
# shellcheck shell=bash

log() { printf '[%s +%4ds] %s\n' "$(date +%H:%M:%S)" "$((SECONDS - T0))" "$*"; }
warn() { log "WARNING: $*" >&2; }

# Processes (not zombies) whose session id is $1.
session_pids() {
  local sid="$1" f rest st
  for f in /proc/[0-9]*/stat; do
    { read -r rest <"$f"; } 2>/dev/null || continue
    rest="${rest##*) }"                     # drop "pid (comm) ": comm may hold spaces
    read -r -a st <<<"$rest"                # st[0]=state (field 3) st[3]=session (field 6)
    if [ "${st[3]}" = "$sid" ] && [ "${st[0]}" != Z ]; then f="${f#/proc/}"; echo "${f%/stat}"; fi
  done
  return 0
}


session_alive() { [ -n "$(session_pids "$1")" ]; }

stop_tool() {
  if [ -n "$TOOL_PID" ] && kill -0 "$TOOL_PID" 2>/dev/null; then
    kill -TERM "$TOOL_PID" 2>/dev/null || true   # timeout(1) passes it on to the JVM
    local i
    for i in $(seq 1 50); do kill -0 "$TOOL_PID" 2>/dev/null || break; sleep 0.2; done
    # timeout(1) made its own process group, which its JVM child is in.
    kill -KILL -- "-$TOOL_PID" 2>/dev/null || kill -KILL "$TOOL_PID" 2>/dev/null || true
    wait "$TOOL_PID" 2>/dev/null || true
  fi
  TOOL_PID=""
}

stop_servers() {
  local sid pid deadline alive
  [ ${#SERVER_SIDS[@]} -gt 0 ] || return 0
  for sid in "${SERVER_SIDS[@]}"; do kill -TERM -- "-$sid" 2>/dev/null || true; done
  deadline=$((SECONDS + STOP_GRACE))
  while :; do
    alive=0
    for sid in "${SERVER_SIDS[@]}"; do session_alive "$sid" && alive=1; done
    [ $alive = 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      warn "servers did not stop within ${STOP_GRACE}s of SIGTERM; sending SIGKILL"
      for sid in "${SERVER_SIDS[@]}"; do
        kill -KILL -- "-$sid" 2>/dev/null || true
        for pid in $(session_pids "$sid"); do kill -KILL "$pid" 2>/dev/null || true; done
      done
      sleep 1
      break
    fi
    sleep 0.5
  done
  for pid in "${SERVER_BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_SIDS=()
  SERVER_BG_PIDS=()
}



# Start "$@" in a new session (so the whole process tree can be signalled and measured), output
# to $1's log file. Records the session id. Usage: start_server LOGFILE cmd args...
start_server() {
  local out="$1"; shift
  local pidfile
  pidfile="$(mktemp "$WORK_DIR/pid.XXXXXX")"
  # The inner shell is the session leader whichever way setsid(1) runs; it execs the command, so
  # the recorded pid is the server's own pid.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >"$out" 2>&1 &
  SERVER_BG_PIDS+=("$!")
  local i
  for i in $(seq 1 100); do [ -s "$pidfile" ] && break; sleep 0.05; done
  [ -s "$pidfile" ] || { warn "could not start: $*"; return 1; }
  SERVER_SIDS+=("$(cat "$pidfile")")
  rm -f "$pidfile"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- the Kafka distribution ---------------------------------------------------------------------
ensure_kafka_dist() {
  local stamp
  stamp="$(cat "$BENCH_DIR"/kafka-dist/pom.xml "$BENCH_DIR"/kafka-dist/*/pom.xml | cksum | cut -d' ' -f1)"
  if [ -f "$DIST_DIR/.stamp" ] && [ "$(cat "$DIST_DIR/.stamp")" = "$stamp" ] &&
     ls "$DIST_DIR"/broker-lib/kafka_2.13-*.jar "$DIST_DIR"/tools-lib/kafka-tools-*.jar >/dev/null 2>&1; then
    log "Kafka distribution: cached in ${DIST_DIR#"$REPO_ROOT"/}"
    return
  fi
  log "Kafka distribution: resolving kafka_2.13 $KAFKA_BROKER_VERSION and kafka-tools $KAFKA_TOOLS_VERSION with Maven (first run downloads ~90 MB)"
  rm -rf "$DIST_DIR"
  mkdir -p "$DIST_DIR"
  if ! mvn -B -q -f "$BENCH_DIR/kafka-dist/pom.xml" package >"$DIST_DIR/mvn.log" 2>&1; then
    tail -n 40 "$DIST_DIR/mvn.log" >&2
    echo "$(basename "$0"): resolving the Kafka distribution failed (full log: $DIST_DIR/mvn.log)" >&2
    exit 1
  fi
  echo "$stamp" >"$DIST_DIR/.stamp"
  log "Kafka distribution: $(ls "$DIST_DIR/broker-lib" | wc -l) broker jars, $(ls "$DIST_DIR/tools-lib" | wc -l) tool jars"
}

random_cluster_id() { # a Kafka Uuid in base64url, not starting with '-'
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [ "${id:0:1}" != "-" ] && { echo "$id"; return; }
  done
}

