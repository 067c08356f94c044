"""The contract test of docs/platform-api.yaml against a live fluorobox-hub (tools/api/schemathesis-hub).

For each store (SQLite in a temporary folder; PostgreSQL 15 that this script starts itself, as
the `postgres` user when run as root, like Tests/TestSupport/PostgresServer.swift): start
`fluorobox-hub serve --development-plain-http` on a free loopback port with a device CA and a
small model catalog (assigned to the test device's region), create one enrolment token, run
schemathesis with every check (examples, coverage, fuzzing and stateful phases; hooks.py keeps the
valid requests valid where the document cannot say how), stop the hub. Prints one line per store and exits 1 on any finding.
"""

import argparse
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
PG_BIN = pathlib.Path(os.environ.get("FLUOROBOX_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEVICE = "schemathesis-box"
ENROLLED = "schemathesis-enrolled"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, ready, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"schemathesis-hub: {what} exited {process.returncode} at start")
        if ready():
            return
        time.sleep(0.1)
    sys.exit(f"schemathesis-hub: {what} was not ready within {seconds} s")


def stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Postgres:
    """initdb in a temporary folder, a free port, trust authentication for `fluorobox`."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.as_postgres = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the folder and the server are postgres's.
            shutil.chown(folder, "postgres", "postgres")
            self.as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
        data = os.path.join(folder, "data")
        subprocess.run(self.as_postgres + [str(PG_BIN / "initdb"), "-D", data, "-U", "fluorobox", "--auth=trust",
                                           "-E", "UTF8", "--locale=C.UTF-8", "-N"],
                       check=True, cwd=folder, stdout=subprocess.DEVNULL)
        self.log = open(os.path.join(folder, "postgres.log"), "wb")
        self.process = subprocess.Popen(
            self.as_postgres + [str(PG_BIN / "postgres"), "-D", data, "-p", str(self.port), "-k", folder,
                                "-c", "listen_addresses=127.0.0.1", "-c", "log_min_messages=warning"],
            cwd=folder, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_for("postgres", lambda: self.sql("SELECT 1") == "1", self.process, 120)
        self.sql("CREATE DATABASE hub")
        self.url = f"postgres://fluorobox@127.0.0.1:{self.port}/hub"

    def sql(self, statement):
        result = subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port),
                                 "-U", "fluorobox", "-d", "postgres", "-c", statement],
                                capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else None

    def close(self):
        stop(self.process, signal.SIGINT)
        self.log.close()


def make_fixtures(hub, folder):
    """A device CA (so enrolment is served), a certificate request of a box, a model package."""
    ca = os.path.join(folder, "ca")
    subprocess.run([hub, "ca", "init", "--dir", ca], check=True, stdout=subprocess.DEVNULL)
    key = os.path.join(folder, "box.key")
    csr = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-keyout", key, "-subj", f"/CN={ENROLLED}"],
                         check=True, capture_output=True, text=True).stdout
    catalog = os.path.join(folder, "catalog")
    os.makedirs(catalog)
    with open(os.path.join(catalog, "demo-1.0.0.fbmodel"), "wb") as package:
        # Past the document's example range (bytes=1048576-), so that example is a 206.
        package.write(bytes(range(256)) * 8192)
    return ca, csr, catalog


def run_store(args, store, folder, fixtures, postgres):
    ca, csr, catalog = fixtures
    data = os.path.join(folder, store)
    os.makedirs(data)
    store_args = ["--data-dir", data]
    if postgres:
        staging = os.path.join(data, "staging")
        store_args += ["--database", postgres.url, "--staging", staging]
    log_path = os.path.join(folder, f"hub-{store}.log")
    log = open(log_path, "wb")
    hub = subprocess.Popen([args.hub, "serve", *store_args, "--port", "0", "--development-plain-http",
                            "--device-ca-dir", ca, "--catalog-dir", catalog, "--max-upload-size", "65536",
                            "--log-level", "warning"],
                           stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    port_file = os.path.join(data, "hub.port")
    try:
        def healthy():
            try:
                port = int(open(port_file).read())
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as answer:
                    return answer.status == 204
            except (OSError, ValueError):
                return False
        wait_for("fluorobox-hub", healthy, hub)
        port = int(open(port_file).read())
        token = subprocess.run([args.hub, "enrolment", "create", *store_args[:4], "--device", ENROLLED],
                               check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        # The catalog offers a device what is assigned to its region: the test device's, so the
        # package routes answer 200 and 206 as well as 404.
        subprocess.run([args.hub, "device", "set-institution", DEVICE, *store_args[:4], "--region", "schemathesis region",
                        "--name", "schemathesis clinic", "--oid", "1.2.643.5.1"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.hub, "model", "assign", "demo-1.0.0.fbmodel", *store_args[:4], "--region", "schemathesis region",
                        "--catalog-dir", catalog], check=True, stdout=subprocess.DEVNULL)
        environment = dict(os.environ, SCHEMATHESIS_HOOKS="hooks", PYTHONPATH=str(ROOT / "tools/api"),
                           FLUOROBOX_API_DEVICE=DEVICE, FLUOROBOX_API_CSR=csr, FLUOROBOX_API_TOKEN=token)
        report = os.path.join(args.report_dir, store)
        command = [
            str(ROOT / ".venv/api/bin/schemathesis"), "--config-file", str(ROOT / "tools/api/schemathesis.toml"),
            "run", str(ROOT / "docs/platform-api.yaml"),
            "--url", f"http://127.0.0.1:{port}", "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", str(args.max_examples), "--seed", str(args.seed), "--workers", "1",
            "--request-timeout", "10", "--no-color", "--report", "junit", "--report-dir", report,
        ]
        started = time.monotonic()
        try:
            result = subprocess.run(command, env=environment, cwd=folder, timeout=args.timeout)
            status = result.returncode
        except subprocess.TimeoutExpired:
            print(f"schemathesis-hub: {store}: schemathesis ran past {args.timeout} s", file=sys.stderr)
            status = 124
        seconds = time.monotonic() - started
        if hub.poll() is not None:
            print(f"schemathesis-hub: {store}: the hub exited {hub.returncode} during the run", file=sys.stderr)
            status = status or 1
    finally:
        stop(hub)
        log.close()
    if status != 0:
        print(f"schemathesis-hub: {store}: the hub's log ({log_path}):", file=sys.stderr)
        sys.stderr.write(open(log_path, errors="replace").read()[-4000:])
    return status, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hub", nargs="?", default=os.environ.get("FLUOROBOX_HUB", str(ROOT / ".build/debug/fluorobox-hub")))
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FLUOROBOX_API_EXAMPLES", "50")),
                        help="generated requests per operation and phase")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FLUOROBOX_API_SEED", "1")),
                        help="hypothesis seed: the same requests every run, so a finding reproduces")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--timeout", type=int, default=300, help="seconds one store's run may take")
    parser.add_argument("--report-dir", default=str(ROOT / "build/schemathesis"))
    args = parser.parse_args()
    args.hub = os.path.abspath(args.hub)
    if not os.access(args.hub, os.X_OK):
        sys.exit(f"schemathesis-hub: {args.hub}: no such hub binary (build it, or pass its path)")
    stores = [store for store in args.stores.split(",") if store]
    if "postgres" in stores and not (PG_BIN / "initdb").exists():
        sys.exit(f"schemathesis-hub: PostgreSQL 15 is not installed ({PG_BIN}); tools/install-deps installs it")

    results = []
    with tempfile.TemporaryDirectory(prefix="schemathesis-hub-") as folder:
        os.chmod(folder, 0o755)
        fixtures = make_fixtures(args.hub, folder)
        for store in stores:
            postgres = None
            if store == "postgres":
                pg_folder = os.path.join(folder, "pg")
                os.makedirs(pg_folder)
                postgres = Postgres(pg_folder)
            try:
                results.append((store, *run_store(args, store, folder, fixtures, postgres)))
            finally:
                if postgres:
                    postgres.close()
    print("schemathesis-hub: docs/platform-api.yaml against a live fluorobox-hub, "
          f"{args.max_examples} examples per operation and phase, seed {args.seed}")
    for store, status, seconds in results:
        print(f"  {store:8} {'passed' if status == 0 else f'FAILED (exit {status})'} in {seconds:.0f} s")
    failed = sum(1 for _, status, _ in results if status != 0)
    print(f"schemathesis-hub: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
