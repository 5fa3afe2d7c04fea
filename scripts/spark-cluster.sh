#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the pyspark package alone (Java 17):
# one master and two workers (1 core, 1g each), separate processes on 127.0.0.1.
#   scripts/spark-cluster.sh start   # then: TRIBUTARY_ENGINE=spark TRIBUTARY_SPARK_MASTER=spark://127.0.0.1:7077 make materialize
#   scripts/spark-cluster.sh stop
#   scripts/spark-cluster.sh status
# Ports: SPARK_CLUSTER_PORT (7077), SPARK_CLUSTER_WEBUI_PORT (8090, the master's UI; the
# workers' UIs take free ports). Pids, logs and the workers' work dirs (executor logs) live in
# $TRIBUTARY_DATA_DIR/spark-cluster. Started processes keep running until `stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
PORT="${SPARK_CLUSTER_PORT:-7077}"
WEBUI="${SPARK_CLUSTER_WEBUI_PORT:-8090}"
DIR="${TRIBUTARY_DATA_DIR:-$PWD/data}/spark-cluster"
export SPARK_HOME="${SPARK_HOME:-$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')}"
export SPARK_LOCAL_IP=127.0.0.1
MASTER="spark://127.0.0.1:$PORT"

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

launch() {  # name, class, args…
  local name=$1; shift
  if running "$name"; then echo "$name already running (pid $(cat "$DIR/$name.pid"))"; return; fi
  nohup "$SPARK_HOME/bin/spark-class" "$@" > "$DIR/$name.log" 2>&1 &
  echo $! > "$DIR/$name.pid"
}

wait_for() {  # log file, pattern, what
  for _ in $(seq 1 240); do
    grep -q "$2" "$DIR/$1.log" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "$3 did not come up; see $DIR/$1.log" >&2
  exit 1
}

case "${1:-}" in
  start)
    mkdir -p "$DIR"
    launch master org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$PORT" --webui-port "$WEBUI"
    wait_for master "Starting Spark master\|I have been elected leader" "the master"
    for n in 1 2; do
      mkdir -p "$DIR/work-$n"
      launch "worker-$n" org.apache.spark.deploy.worker.Worker "$MASTER" \
        --host 127.0.0.1 --cores 1 --memory 1g --webui-port 0 --work-dir "$DIR/work-$n"
    done
    wait_for worker-1 "Successfully registered with master" "worker 1"
    wait_for worker-2 "Successfully registered with master" "worker 2"
    echo "Spark cluster up: $MASTER (master UI http://127.0.0.1:$WEBUI), 2 workers x 1 core, 1g"
    ;;
  stop)
    for name in worker-2 worker-1 master; do
      if running "$name"; then kill "$(cat "$DIR/$name.pid")"; fi
      rm -f "$DIR/$name.pid"
    done
    echo "Spark cluster stopped"
    ;;
  status)
    for name in master worker-1 worker-2; do
      if running "$name"; then echo "$name: running (pid $(cat "$DIR/$name.pid"))"; else echo "$name: stopped"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
