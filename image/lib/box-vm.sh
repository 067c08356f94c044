# Shared by image/smoke-test and image/test-update (sourced): the box in QEMU (TCG, OVMF) and
# what both read of it. The caller sets: work (artefact folder), disk and disk_format (the
# box's disk), panel_port / guest_panel_port / dicom_port (forwards), ready_timeout, and defines
# log and fail; optionally vm_hostfwd (more ",hostfwd=…"), vm_disk_options (more ",option=…" of
# the box's disk) and vm_extra (more qemu arguments).
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
vm_hostfwd=${vm_hostfwd:-}
vm_disk_options=${vm_disk_options:-}

qemu_pid=

partition() { # partition DISK NAME: "start size" in sectors
  sfdisk -J "$1" | python3 -c '
import json, sys
p = [p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name") == sys.argv[1]][0]
print(p["start"], p["size"])' "$2"
}

extract_partition() { # extract_partition DISK NAME FILE: the partition's bytes as a file
  local start size
  read -r start size < <(partition "$1" "$2")
  dd if="$1" of="$3" bs=512 skip="$start" count="$size" conv=sparse status=none
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop_qemu() { if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill -KILL "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true; fi; qemu_pid=; }

boot() { # boot N: starts qemu in the background, console in $work/console-N.log
  local n=$1
  [ -f "$work/OVMF_VARS.fd" ] || cp "$ovmf_vars" "$work/OVMF_VARS.fd"
  boot_started=$(date +%s.%N)
  qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 1536 \
    -drive if=pflash,format=raw,readonly=on,file="$ovmf_code" \
    -drive if=pflash,format=raw,file="$work/OVMF_VARS.fd" \
    -drive file="$disk",if=virtio,format="$disk_format$vm_disk_options" \
    -netdev "user,id=lan,hostfwd=tcp:127.0.0.1:$panel_port-:$guest_panel_port,hostfwd=tcp:127.0.0.1:$dicom_port-:11112$vm_hostfwd" \
    -device virtio-net-pci,netdev=lan \
    -device i6300esb \
    -display none -serial file:"$work/console-$n.log" \
    -monitor unix:"$work/monitor.sock",server,nowait \
    ${vm_extra[@]+"${vm_extra[@]}"} \
    >"$work/qemu-$n.log" 2>&1 &
  qemu_pid=$!
}

panel_status() { curl -ks -o /dev/null -w '%{http_code}' --max-time 5 "https://127.0.0.1:$panel_port/$1" 2>/dev/null || true; }

wait_ready() { # wait_ready N [CONSOLE]: until /readyz answers 200; prints boot-to-ready seconds
  local n=$1 console=${2:-$work/console-$1.log} deadline=$((SECONDS + ready_timeout))
  until [ "$(panel_status readyz)" = 200 ]; do
    kill -0 "$qemu_pid" 2>/dev/null || fail "qemu exited during boot $n (see $work/qemu-*.log, $console)"
    [ "$SECONDS" -lt "$deadline" ] || { tail -40 "$console" >&2; fail "boot $n: not ready after ${ready_timeout}s"; }
    sleep 2
  done
  local ready
  ready=$(python3 -c "import time; print(f'{time.time() - $boot_started:.1f}')")
  echo "$ready" >"$work/boot-$n-ready-seconds"
  log "boot $n: ready after ${ready}s (power-on to GET /readyz = 200, TCG)"
}

power_off() { # ACPI power button; sets clean_poweroff=yes, or cuts the power after 120 s (no)
  log "ACPI power-off"
  python3 - "$work/monitor.sock" <<'EOF2'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
try: s.recv(4096)  # the monitor's banner
except OSError: pass
s.sendall(b"system_powerdown\n"); time.sleep(1); s.close()
EOF2
  clean_poweroff=yes
  for _ in $(seq 1 60); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 2; done
  if kill -0 "$qemu_pid" 2>/dev/null; then
    # Not part of the proof: then the data partition is read like the kernel would after a
    # second power cut (journal replayed on the copy by e2fsck).
    log "WARNING: no power-off within 120 s of the ACPI button; cutting power again"
    clean_poweroff=no
    stop_qemu
  fi
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=
}

# read_store RAW: the data partition of the powered-off disk RAW, checked (e2fsck, quick_check)
# and its /fluorobox copied to $work/data; sets store.
read_store() {
  extract_partition "$1" fluorobox-data "$work/data.ext4"
  if [ "$clean_poweroff" = yes ]; then
    e2fsck -fn "$work/data.ext4" >"$work/e2fsck.log" 2>&1 || fail "the data file system has errors (see $work/e2fsck.log)"
  else
    # -p: replay the journal and fix only what is safe; exit status above 1 means real damage.
    local status=0; e2fsck -fp "$work/data.ext4" >"$work/e2fsck.log" 2>&1 || status=$?
    [ "$status" -le 1 ] || fail "the data file system has errors after the second cut (e2fsck status $status, see $work/e2fsck.log)"
  fi
  mkdir -p "$work/data"
  debugfs -R "rdump /fluorobox $work/data" "$work/data.ext4" >/dev/null 2>&1
  store="$work/data/fluorobox"
  [ -f "$store/store.sqlite" ] || fail "no store.sqlite on the data partition"
  local quick_check
  quick_check=$(sqlite3 "$store/store.sqlite" 'PRAGMA quick_check;')
  [ "$quick_check" = ok ] || fail "quick_check: $quick_check"
  log "data partition (clean power-off: $clean_poweroff): e2fsck ok; PRAGMA quick_check = ok"
}

# check_acknowledged AGENT ACKNOWLEDGED: every SOP Instance UID in the file is in the store
# ($store), its blob present.
check_acknowledged() {
  "$1" studies --json --data-dir "$store" >"$work/studies.json"
  python3 - "$work/studies.json" "$2" <<'EOF2' || fail "an acknowledged instance is missing or damaged"
import json, sys
studies = json.load(open(sys.argv[1]))["studies"]
stored = {i["sopInstanceUID"]: i for s in studies for i in s["instances"]}
acked = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missing = [u for u in acked if u not in stored]
damaged = [u for u in acked if u in stored and stored[u]["blobState"] != "present"]
print(f"[box-vm] store holds {len(stored)} instances; {len(acked)} acknowledged; missing {len(missing)}; blob not present {len(damaged)}")
for u in missing + damaged: print("  ", u)
sys.exit(1 if missing or damaged else 0)
EOF2
}

send() { # send FILE: storescu through the forwarded DICOM port; 0 = the box acknowledged it
  echo "--- $(date +%T.%N) $1" >>"$work/storescu.log"
  storescu -v -ta 30 -td 120 -aet SMOKETEST -aec FLUOROBOX 127.0.0.1 "$dicom_port" "$1" >>"$work/storescu.log" 2>&1
}

sop_uid() { dcmdump +P 0008,0018 "$1" | sed -E 's/.*\[([^]]*)\].*/\1/' | head -1; }
