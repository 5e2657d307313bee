#!/usr/bin/env bash
# Two workers as two machines, and the network between them failing mid-run.
#
#   tests/network/partition.sh POET CORPUS
#
# Inside a user namespace of its own (no root needed), the script makes two network namespaces
# joined by a veth pair, 10.77.0.1 and 10.77.0.2, with nothing else on either: rank 0 trains in
# the first, rank 1 in the second. Once a checkpoint is written it cuts the link (link down, and
# 100% packet loss with tc netem where the kernel has it, which drops packets without a sign).
# Both workers must stop within --timeout plus a margin, each saying why, and the last checkpoint
# must load and resume. Exits 77 (skipped) with the reason where namespaces cannot be made.
set -euo pipefail

poet=$1
corpus=$2
timeout=5   # --timeout, for each exchange
margin=10   # past it: learning who failed (3 s at most), leaving, and a slow machine

if [[ "${PARTITION_INSIDE:-}" != 1 ]]; then
  for tool in unshare ip nsenter; do
    command -v "$tool" > /dev/null || { echo "skipped: no '$tool' (iproute2, util-linux)"; exit 77; }
  done
  if ! unshare --user --map-root-user --net --mount --fork true 2> /dev/null; then
    echo "skipped: this machine lets no unprivileged process make user and network namespaces"
    exit 77
  fi
  PARTITION_INSIDE=1 exec unshare --user --map-root-user --net --mount --fork "$0" "$@"
fi

dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# Machine B: a process holding a network namespace of its own.
unshare --net sleep 1000000 &
machine_b=$!
disown  # killed on the way out, without a word from bash
pids+=("$machine_b")
sleep 0.2
on_b() { nsenter --target "$machine_b" --net "$@"; }

ip link set lo up
ip link add a0 type veth peer name b0
ip link set b0 netns "$machine_b"
ip addr add 10.77.0.1/24 dev a0
ip link set a0 up
on_b ip link set lo up
on_b ip addr add 10.77.0.2/24 dev b0
on_b ip link set b0 up

cat > "$dir/poet.toml" <<'EOF'
[model]
cell = "gru"
embedding_size = 16
hidden_size = 32
layers = 2
[train]
batch_size = 8
checkpoint_every = 2
eval_every = 100000
EOF

out="$dir/m.ckpt"
store=10.77.0.1:29577
"$poet" -c "train --corpus $corpus --config $dir/poet.toml --out $out --steps 1000000 --world-size 2 --store $store --timeout $timeout" \
  > "$dir/rank0.out" 2> "$dir/rank0.err" &
rank0=$!
pids+=("$rank0")
on_b "$poet" -c "train --rank 1 --world-size 2 --store $store --timeout $timeout" \
  > "$dir/rank1.out" 2> "$dir/rank1.err" &
rank1=$!
pids+=("$rank1")

# A few checkpoints, so that the run is well under way when the link goes.
for _ in $(seq 600); do
  [[ $(grep -c "^saved " "$dir/rank0.err" 2> /dev/null) -ge 3 ]] && break
  kill -0 "$rank0" 2> /dev/null || break
  sleep 0.1
done
if [[ $(grep -c "^saved " "$dir/rank0.err") -lt 3 ]]; then
  echo "FAIL: the two workers did not train"; cat "$dir/rank0.err" "$dir/rank1.err"; exit 1
fi

ip link set a0 down
if tc qdisc add dev a0 root netem loss 100% 2> /dev/null; then
  echo "the link is down, and drops every packet (netem)"
else
  echo "the link is down (no tc netem in this kernel: packet loss left out)"
fi
now_ms() { echo $(($(date +%s%N) / 1000000)); }
cut=$(now_ms)

status=0
for name in rank0 rank1; do
  pid=${!name}
  while kill -0 "$pid" 2> /dev/null; do
    if (($(now_ms) - cut > (timeout + margin) * 1000)); then
      echo "FAIL: $name still runs $((timeout + margin)) s after the link went down"
      status=1
      break
    fi
    sleep 0.1
  done
  wait "$pid" && { echo "FAIL: $name ended as if nothing happened"; status=1; }
  echo "$name stopped $(($(now_ms) - cut)) ms after the cut: $(grep 'training stopped' "$dir/$name.err" || true)"
done
grep -q "training stopped after step .*: worker 1 stopped answering within $timeout s" "$dir/rank0.err" ||
  { echo "FAIL: rank 0 does not name worker 1"; cat "$dir/rank0.err"; status=1; }
grep -q "training stopped after step .*: worker 0, which holds the store at $store, \(is gone\|stopped answering\)" "$dir/rank1.err" ||
  { echo "FAIL: rank 1 does not name worker 0"; cat "$dir/rank1.err"; status=1; }

# What was saved before the cut loads, and resumes on one process.
saved=$("$poet" --model "$out" -c model | sed -n 's/.*trained *\([0-9]*\) steps.*/\1/p')
[[ -n "$saved" && "$saved" -ge 6 ]] || { echo "FAIL: the last checkpoint does not load"; status=1; }
"$poet" -c "train --resume $out --steps $((saved + 2))" > /dev/null 2> "$dir/resume.err" ||
  { echo "FAIL: the last checkpoint does not resume"; cat "$dir/resume.err"; status=1; }
[[ $status == 0 ]] && echo "both workers stopped and said why; step $saved loads and resumes"
exit $status
