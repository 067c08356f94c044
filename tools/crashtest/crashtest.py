#!/usr/bin/env python3
"""Crash test for the durability promise.

Imports files in a loop through `fluorobox import` and through the agent's watched folder,
kills processes with SIGKILL at random moments and right after each fsync, rename and commit
(FLUOROBOX_CRASH_AT), restarts the agent (which runs start-up recovery), and checks that every
acknowledged file is in the store with the right hash, that nothing is stored twice, that
PRAGMA quick_check is ok and that no orphan temp file or blob remains.

    tools/crashtest/crashtest.py --rounds 40            # what the test command runs
    tools/crashtest/crashtest.py --rounds 2000 --seed 7 # a long run by hand

Standard library only. Exits 0 only when lost == 0, duplicates == 0, quick_check is ok and no
orphan remains.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

# Every place in the write path the product marks with CrashPoint.reached(...).
INTAKE_POINTS = ["after-temp-fsync", "after-rename", "after-directory-fsync", "after-commit"]
RECOVERY_POINTS = ["after-quarantine-move"]
EVICTION_POINTS = ["after-eviction-commit"]


class Run:
    def __init__(self, args):
        self.args = args
        self.binary = os.path.abspath(args.binary)
        self.work = args.work or tempfile.mkdtemp(prefix="fluorobox-crashtest-")
        self.data = os.path.join(self.work, "data")
        self.watch = os.path.join(self.work, "watch")
        self.inputs = os.path.join(self.work, "inputs")
        os.makedirs(self.watch, exist_ok=True)
        os.makedirs(self.inputs, exist_ok=True)
        self.random = random.Random(args.seed)
        # sha256 -> path of every file the product acknowledged
        self.acknowledged = {}
        # sha256 of instances deliberately marked as delivered, which eviction may remove
        self.delivered = set()
        self.kills = 0
        self.kills_by_point = {}
        self.pool = []
        self.counter = 0

    # -- inputs -----------------------------------------------------------------------------

    def make_inputs(self, count):
        """Distinct DICOM files from the product's own writer, some large, some sharing a UID."""
        for _ in range(count):
            self.counter += 1
            path = os.path.join(self.inputs, f"in{self.counter}.dcm")
            size = 512 if self.random.random() < 0.2 else 64
            subprocess.run([self.binary, "demo-study", "--out", path, "--seed", str(self.counter), "--size", str(size)],
                           check=True, stdout=subprocess.DEVNULL)
            self.pool.append(path)
            if self.random.random() < 0.15:
                # Same SOP Instance UID, different bytes: flip the last pixel byte.
                twin = path.replace(".dcm", "-twin.dcm")
                data = bytearray(open(path, "rb").read())
                data[-1] ^= 0xFF
                open(twin, "wb").write(data)
                self.pool.append(twin)

    def pick(self, count, fresh=False):
        """Mostly new files, sometimes ones already sent (duplicates must stay single)."""
        chosen = []
        for _ in range(count):
            if not self.pool:
                self.make_inputs(8)
            if not fresh and self.acknowledged and self.random.random() < 0.2:
                chosen.append(self.random.choice(list(self.acknowledged.values())))
            else:
                chosen.append(self.pool.pop(self.random.randrange(len(self.pool))))
        return chosen

    # -- processes --------------------------------------------------------------------------

    def env(self, crash_at=None, extra=None):
        env = dict(os.environ)
        env.pop("FLUOROBOX_CRASH_AT", None)
        env["FLUOROBOX_WATCH_INTERVAL_SECONDS"] = "0.1"
        env["FLUOROBOX_WATCH_SETTLE_SECONDS"] = "0"
        env["FLUOROBOX_RETENTION_SOFT_LIMIT"] = "0"
        env["FLUOROBOX_RETENTION_HARD_LIMIT"] = "0"
        if crash_at:
            env["FLUOROBOX_CRASH_AT"] = crash_at
        if extra:
            env.update(extra)
        return env

    def note_kill(self, label):
        self.kills += 1
        self.kills_by_point[label] = self.kills_by_point.get(label, 0) + 1

    def run_import(self, files, crash_at=None, kill_after=None, extra_env=None):
        process = subprocess.Popen([self.binary, "import", "--data-dir", self.data] + files,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   env=self.env(crash_at, extra_env), text=True)
        if kill_after is not None:
            time.sleep(kill_after)
            process.send_signal(signal.SIGKILL)
        out, _ = process.communicate()
        if process.returncode == -signal.SIGKILL:
            self.note_kill(crash_at.split(":")[0] if crash_at else "random (import)")
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] in ("stored", "duplicate", "conflict"):
                sha, path = parts[1], parts[3]
                self.check_hash(path, sha)
                self.acknowledged[sha] = path

    def check_hash(self, path, sha):
        actual = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if actual != sha:
            raise SystemExit(f"acknowledged hash {sha} does not match {path} ({actual})")

    def start_serve(self, crash_at=None, extra_env=None):
        return subprocess.Popen([self.binary, "serve", "--data-dir", self.data, "--watch-folder", self.watch],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=self.env(crash_at, extra_env))

    def wait_ready(self, process, timeout=60):
        state_path = os.path.join(self.data, "run", "agent.json")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if process.poll() is not None:
                return False
            try:
                state = json.load(open(state_path))
                if state.get("pid") == process.pid and state.get("state") == "ready":
                    return True
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        process.kill()  # leave no agent behind holding the panel and DICOM ports
        raise SystemExit("agent did not become ready")

    def stop_serve(self, process):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise SystemExit("agent did not stop on SIGTERM")
        if process.returncode not in (0, -signal.SIGKILL):
            raise SystemExit(f"agent exited with {process.returncode}")

    def clean_restart(self):
        """Start the agent (recovery runs), wait until ready, stop it gracefully."""
        process = self.start_serve()
        if not self.wait_ready(process):
            raise SystemExit(f"agent died during a clean start (exit {process.returncode})")
        self.collect_watch_acks()
        self.stop_serve(process)

    # -- the watched folder -----------------------------------------------------------------

    def drop_into_watch(self, files):
        dropped = []
        for path in files:
            name = f"w{self.random.randrange(1 << 30)}-{os.path.basename(path)}"
            staging = os.path.join(self.watch, "." + name)
            shutil.copyfile(path, staging)
            os.rename(staging, os.path.join(self.watch, name))
            dropped.append((name, path))
        self.pending_watch = getattr(self, "pending_watch", []) + dropped

    def collect_watch_acks(self):
        """A watched file is acknowledged once it has moved to imported/ (only done after commit)."""
        imported = os.path.join(self.watch, "imported")
        still = []
        for name, source in getattr(self, "pending_watch", []):
            if os.path.exists(os.path.join(imported, name)) and not os.path.exists(os.path.join(self.watch, name)):
                data = open(source, "rb").read()
                self.acknowledged[hashlib.sha256(data).hexdigest()] = source
            else:
                still.append((name, source))
        self.pending_watch = still

    # -- rounds -----------------------------------------------------------------------------

    def round_import_crash_point(self, point):
        files = self.pick(self.random.randint(2, 6))
        self.run_import(files, crash_at=f"{point}:{self.random.randint(1, len(files))}")

    def round_import_random_kill(self):
        files = self.pick(self.random.randint(3, 8))
        self.run_import(files, kill_after=self.random.uniform(0.0, 0.25))

    def round_serve_kill(self, crash_at=None):
        process = self.start_serve(crash_at=crash_at)
        self.wait_ready(process)
        self.drop_into_watch(self.pick(self.random.randint(2, 6)))
        # An import beside the agent, as a technician would.
        self.run_import(self.pick(self.random.randint(1, 3)))
        if crash_at:
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        else:
            time.sleep(self.random.uniform(0.0, 0.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.note_kill("random (agent)")
        else:
            self.note_kill(crash_at.split(":")[0])
        self.collect_watch_acks()

    def round_recovery_crash(self):
        # Leave an orphan blob behind (crash between rename and commit), then crash the agent
        # while recovery moves it to quarantine, then recover again.
        self.run_import(self.pick(1, fresh=True), crash_at="after-rename:1")
        process = self.start_serve(crash_at="after-quarantine-move:1")
        if self.wait_ready(process):
            # Nothing to quarantine after all (the import died before its rename).
            self.stop_serve(process)
        elif process.returncode == -signal.SIGKILL:
            self.note_kill("after-quarantine-move")

    def round_eviction_crash(self):
        # Mark some instances delivered, then cap the store so admission must evict, and crash
        # right after the eviction commit.
        db = sqlite3.connect(os.path.join(self.data, "store.sqlite"), timeout=30)
        rows = db.execute("SELECT id, sha256 FROM instance WHERE blobState = 'present' ORDER BY id LIMIT 3").fetchall()
        for instance_id, sha in rows:
            db.execute("UPDATE outboxItem SET state = 'sent', sentAt = CURRENT_TIMESTAMP WHERE instanceID = ?", (instance_id,))
            self.delivered.add(sha)
        db.commit()
        used = db.execute("SELECT COALESCE(SUM(size), 0) FROM instance WHERE blobState = 'present'").fetchone()[0]
        db.close()
        if not rows:
            return
        self.run_import(self.pick(1), crash_at="after-eviction-commit:1",
                        extra_env={"FLUOROBOX_RETENTION_MAX_STORE_BYTES": str(used)})

    # -- verification -----------------------------------------------------------------------

    def verify(self):
        self.clean_restart()
        listing = subprocess.run([self.binary, "studies", "--data-dir", self.data, "--json"],
                                 check=True, capture_output=True, text=True).stdout
        instances = [i for s in json.loads(listing)["studies"] for i in s["instances"]]
        by_sha = {}
        for instance in instances:
            by_sha.setdefault(instance["sha256"], []).append(instance)
        duplicates = sum(len(v) - 1 for v in by_sha.values())
        keys = [(i["sopInstanceUID"], i["sha256"]) for i in instances]
        duplicates += len(keys) - len(set(keys))

        lost = []
        for sha, path in self.acknowledged.items():
            rows = by_sha.get(sha)
            if not rows:
                lost.append((sha, path, "no instance"))
                continue
            state = rows[0]["blobState"]
            blob = os.path.join(self.data, "blobs", sha[:2], sha)
            if state == "present":
                if not os.path.exists(blob) or hashlib.sha256(open(blob, "rb").read()).hexdigest() != sha:
                    lost.append((sha, path, "blob missing or wrong"))
            elif not (state == "evicted" and sha in self.delivered):
                lost.append((sha, path, f"blob {state}"))

        db = sqlite3.connect(os.path.join(self.data, "store.sqlite"))
        quick_check = [row[0] for row in db.execute("PRAGMA quick_check")]
        present = {row[0] for row in db.execute("SELECT sha256 FROM instance WHERE blobState = 'present'")}
        db.close()
        orphans = os.listdir(os.path.join(self.data, "tmp"))
        blobs_root = os.path.join(self.data, "blobs")
        for shard in os.listdir(blobs_root):
            for name in os.listdir(os.path.join(blobs_root, shard)):
                if name not in present:
                    orphans.append(f"blobs/{shard}/{name}")
        missing_files = [sha for sha in present if not os.path.exists(os.path.join(blobs_root, sha[:2], sha))]
        return lost, duplicates, quick_check, orphans, missing_files, len(instances)

    def main(self):
        started = time.time()
        self.make_inputs(24)
        schedule = [("point", p) for p in INTAKE_POINTS]
        schedule += [("serve-point", p) for p in INTAKE_POINTS]
        schedule += [("recovery", None), ("eviction", None)]
        while len(schedule) < self.args.rounds:
            schedule.append(self.random.choices(
                [("random-import", None), ("random-serve", None), ("point", self.random.choice(INTAKE_POINTS)),
                 ("serve-point", self.random.choice(INTAKE_POINTS)), ("recovery", None), ("eviction", None)],
                weights=[4, 4, 4, 4, 1, 1])[0])
        for index, (kind, point) in enumerate(schedule[: max(self.args.rounds, 10)]):
            if kind == "point":
                self.round_import_crash_point(point)
            elif kind == "serve-point":
                self.round_serve_kill(crash_at=f"{point}:{self.random.randint(1, 3)}")
            elif kind == "random-import":
                self.round_import_random_kill()
            elif kind == "random-serve":
                self.round_serve_kill()
            elif kind == "recovery":
                self.round_recovery_crash()
            elif kind == "eviction":
                self.round_eviction_crash()
            self.clean_restart()
        lost, duplicates, quick_check, orphans, missing_files, stored = self.verify()
        self.collect_watch_acks()
        print(f"crash test: {len(schedule[: max(self.args.rounds, 10)])} rounds in {time.time() - started:.1f} s, data in {self.work}")
        print(f"  kills:         {self.kills}")
        for point, count in sorted(self.kills_by_point.items()):
            print(f"    {point}: {count}")
        print(f"  acknowledged:  {len(self.acknowledged)} distinct files ({stored} instances in the store)")
        print(f"  lost:          {len(lost)}")
        print(f"  duplicates:    {duplicates}")
        print(f"  quick_check:   {', '.join(quick_check)}")
        print(f"  orphans:       {len(orphans)}")
        print(f"  quarantined:   {len(os.listdir(os.path.join(self.data, 'quarantine')))} (unacknowledged bytes kept for inspection)")
        for item in lost[:10]:
            print(f"  LOST {item}")
        for item in orphans[:10]:
            print(f"  ORPHAN {item}")
        missed = [p for p in INTAKE_POINTS + RECOVERY_POINTS + EVICTION_POINTS if p not in self.kills_by_point]
        if missed:
            print(f"  never killed at: {', '.join(missed)}")
        ok = not lost and duplicates == 0 and quick_check == ["ok"] and not orphans and not missing_files and not missed
        if ok and not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return 0 if ok else 1


def parse():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/fluorobox", help="the fluorobox executable")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--work", help="folder for data and inputs (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder even when all is well")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.seed is None:
        arguments.seed = random.randrange(1 << 30)
    print(f"seed {arguments.seed}")
    sys.exit(Run(arguments).main())
