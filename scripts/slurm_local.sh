#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, to try (and test) bninit's SLURM path.
# Usage: scripts/slurm_local.sh start|stop|status      (as root; needs: apt-get install -y slurm-wlm munge)
#
# Everything lives in one fixed folder ($BNINIT_SLURM_DIR, default /tmp/bninit-slurm): config, munge
# key and socket, state, spool, logs. If /etc/slurm/slurm.conf does not exist it is linked to this
# cluster's config (so sbatch/squeue find it without SLURM_CONF) and unlinked again by `stop`.
# A requeued job may start again after 5 s (AuthInfo cred_expire; SLURM's default is 120 s).
set -euo pipefail
DIR=${BNINIT_SLURM_DIR:-/tmp/bninit-slurm}
PARTITION=debug
CONF=$DIR/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf
export SLURM_CONF=$CONF

die() { echo "slurm_local: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (the cluster runs its daemons as root)"
for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null || die "$tool not found; install the packages: apt-get install -y slurm-wlm munge"
done

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
running() { alive "$DIR/munged.pid" && alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid"; }

write_conf() {
    local host node
    host=$(hostname -s)
    # this machine's CPUs and memory as slurmd sees them (the NodeName line of `slurmd -C`)
    node=$(slurmd -C | grep '^NodeName=' | sed -E 's/ UpTime=.*//')
    cat > "$CONF" <<EOF
ClusterName=bninit
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket,cred_expire=5
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=5
$node State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
    if running; then
        echo "slurm_local: already running; partition: $PARTITION"
        return
    fi
    stop_daemons
    rm -rf "$DIR/state" "$DIR/spool"
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/munge"
    chmod 700 "$DIR" "$DIR/munge"
    if [ ! -s "$DIR/munge.key" ]; then
        (umask 077 && dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none)
    fi
    write_conf
    if [ ! -e "$ETC_CONF" ]; then
        mkdir -p "$(dirname "$ETC_CONF")"
        ln -s "$CONF" "$ETC_CONF"
    fi
    munged --force --key-file="$DIR/munge.key" --socket="$DIR/munge/munge.socket" \
        --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge.seed"
    slurmctld -f "$CONF"
    slurmd -f "$CONF"
    for _ in $(seq 100); do
        if sinfo -h -p "$PARTITION" -o %t 2>/dev/null | grep -q idle; then
            echo "slurm_local: started (SLURM_CONF=$CONF); partition: $PARTITION"
            return
        fi
        sleep 0.2
    done
    die "the node did not come up idle within 20 s; see $DIR/log/"
}

stop_daemons() {
    for name in slurmd slurmctld munged; do
        if alive "$DIR/$name.pid"; then
            local pid
            pid=$(cat "$DIR/$name.pid")
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$DIR/$name.pid"
    done
}

stop() {
    if running; then
        scancel --partition="$PARTITION" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -z "$(squeue -h -p "$PARTITION" -t all -o %i 2>/dev/null | head -1)" ] && break
            squeue -h -p "$PARTITION" -t PD,R,CG -o %i 2>/dev/null | grep -q . || break
            sleep 0.2
        done
    fi
    stop_daemons
    if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
        rm -f "$ETC_CONF"
    fi
    echo "slurm_local: stopped"
}

status() {
    if running; then
        echo "slurm_local: running (SLURM_CONF=$CONF); partition: $PARTITION"
        sinfo -p "$PARTITION"
    else
        echo "slurm_local: not running"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: scripts/slurm_local.sh start|stop|status" >&2; exit 2 ;;
esac
