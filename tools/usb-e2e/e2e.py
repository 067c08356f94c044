#!/usr/bin/env python3
"""USB capture end to end in a QEMU guest (see tools/usb-e2e/run). Standard library only.

The host runs uvc-camera-server (an emulated UVC camera over USB/IP on 127.0.0.1). A QEMU guest
(software emulation) boots Debian's kernel with an initramfs built here from Debian packages
(busybox-static, usbip, the kernel's modules) plus the fluorobox binary and its libraries,
attaches the camera with `usbip attach` (vhci-hcd), and runs `fluorobox serve` with USB capture
on. This script plays exposures and faults through the server, unplugs the device mid-frame, and
then checks the guest's store: exactly one capture per exposure, pixels within JPEG tolerance of
the fed image, patient fields from the registration, and recovery after re-attach.
"""
import argparse
import json
import math
import os
import queue
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time

MODULES = ["virtio_pci", "virtio_net", "vhci-hcd", "9p", "9pnet_virtio"]
PATIENT_ID = "E2E-0001"
PATIENT_NAME = "E2E^PATIENT"


def log(text):
    print(f"[usb-e2e {time.strftime('%H:%M:%S')}] {text}", flush=True)


def fail(text):
    log("FAIL: " + text)
    raise SystemExit(1)


# ---------------------------------------------------------------- guest image

def fetch_kernel(work):
    """Debian's linux-image-amd64 kernel and modules, extracted (not installed) under work/kernel."""
    target = os.path.join(work, "kernel")
    done = os.path.join(target, ".extracted")
    if not os.path.exists(done):
        depends = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True).stdout
        match = re.search(r"Depends: (linux-image-\S+)", depends)
        if not match:
            # A fresh machine has no package lists yet.
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            depends = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True).stdout
            match = re.search(r"Depends: (linux-image-\S+)", depends)
        if not match:
            fail("apt-cache does not know linux-image-amd64 (run apt-get update)")
        package = match.group(1)
        downloads = os.path.join(work, "downloads")
        os.makedirs(downloads, exist_ok=True)
        os.chmod(downloads, 0o777)
        log(f"downloading {package}")
        subprocess.run(["apt-get", "download", package], cwd=downloads, check=True, capture_output=True)
        deb = [f for f in os.listdir(downloads) if f.startswith(package) and f.endswith(".deb")][0]
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(downloads, deb), target], check=True)
        open(done, "w").close()
    boot = os.path.join(target, "boot")
    vmlinuz = os.path.join(boot, [f for f in os.listdir(boot) if f.startswith("vmlinuz-")][0])
    release = os.path.basename(vmlinuz)[len("vmlinuz-"):]
    return vmlinuz, os.path.join(target, "lib", "modules", release)


def module_order(modules_dir):
    """The modules to load, dependencies first, read from each module's depends= field."""
    index = {}
    for root, _, files in os.walk(modules_dir):
        for name in files:
            if name.endswith(".ko"):
                index[name[:-3].replace("-", "_")] = os.path.join(root, name)
    order = []

    def visit(name):
        name = name.replace("-", "_")
        if name in order:
            return
        data = open(index[name], "rb").read()
        match = re.search(rb"depends=([^\x00]*)\x00", data)
        for dependency in (match.group(1).decode().split(",") if match else []):
            if dependency:
                visit(dependency)
        order.append(name)

    for module in MODULES:
        visit(module)
    return [(name, index[name]) for name in order]


def library_closure(binaries):
    """Every shared library the binaries load, as ldd resolves them on this Debian host."""
    libraries = set()
    for binary in binaries:
        output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
        for line in output.splitlines():
            match = re.search(r"=> (/\S+)", line) or re.match(r"\s*(/\S+)", line)
            if match:
                libraries.add(match.group(1))
    return sorted(libraries)


class Archive:
    """A newc cpio archive (the initramfs format), written without the cpio tool."""

    def __init__(self):
        self.entries = []
        self.seen = set()
        self.inode = 1

    def _add(self, path, mode, data=b""):
        path = path.lstrip("/")
        if path in self.seen:
            return
        parent = os.path.dirname(path)
        if parent and parent not in self.seen:
            self.directory(parent)
        self.seen.add(path)
        self.entries.append((path, mode, data))

    def directory(self, path):
        self._add(path, 0o040755)

    def file(self, path, data, mode=0o100644):
        self._add(path, mode, data)

    def copy(self, path, source, mode=None):
        real = os.path.realpath(source)
        self.file(path, open(real, "rb").read(), mode or (0o100000 | (os.stat(real).st_mode & 0o777)))

    def symlink(self, path, target):
        self._add(path, 0o120777, target.encode())

    def write(self, output):
        with open(output, "wb") as out:
            for path, mode, data in self.entries + [("TRAILER!!!", 0, b"")]:
                name = path.encode() + b"\x00"
                header = "070701" + "".join(f"{v:08X}" for v in [
                    self.inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0])
                self.inode += 1
                out.write(header.encode() + name)
                out.write(b"\x00" * ((4 - (110 + len(name)) % 4) % 4))
                out.write(data)
                out.write(b"\x00" * ((4 - len(data) % 4) % 4))


INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/sbin:/usr/bin:/opt/fluorobox
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run /data /out /var
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
ln -s /run /var/run
mkdir -p /run/vhci_hcd
for module in $(cat /lib/modules/order); do insmod /lib/modules/$module.ko || echo "E2E: insmod $module failed"; done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out; then echo "E2E: FAIL cannot mount the output share"; poweroff -f; fi
. /out/case.env
mkdir -p /etc/fluorobox
cp /out/config.json /etc/fluorobox/config.json
echo "E2E: guest up, kernel $(uname -r)"
attached() { usbip port 2>/dev/null | grep -q "Port 0"; }
usbip --tcp-port "$PORT" attach -r 10.0.2.2 -b 1-1 && echo "E2E: attached"
fluorobox usb grab --once /out/grab.jpg --format "$GRAB_FORMAT" > /out/grab.log 2>&1 && echo "E2E: grabbed"
fluorobox register --data-dir /data --id "$PATIENT_ID" --name "$PATIENT_NAME" --birth-date 19800131 --sex F --note "e2e chest PA" > /out/register.log 2>&1
fluorobox serve --data-dir /data > /out/agent.log 2>&1 &
AGENT=$!
echo "E2E: agent started"
while [ ! -f /out/stop ]; do
  if ! attached; then
    if usbip --tcp-port "$PORT" attach -r 10.0.2.2 -b 1-1 2>/dev/null; then echo "E2E: re-attached"; fi
  fi
  sleep 1
done
kill -TERM $AGENT
wait $AGENT
echo "E2E: agent exit $?"
fluorobox usb list > /out/usb-list.txt 2>&1
cp -a /data /out/data
sync
echo "E2E: done"
poweroff -f
"""


def build_initramfs(work, bin_dir, modules_dir):
    output = os.path.join(work, "initramfs.cpio")
    fluorobox = os.path.join(bin_dir, "fluorobox")
    usbip = shutil.which("usbip") or "/usr/sbin/usbip"
    busybox = "/bin/busybox"
    for needed in [fluorobox, usbip, busybox]:
        if not os.path.exists(needed):
            fail(f"{needed} is missing")
    archive = Archive()
    for folder in ["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "data", "out", "lib/modules", "usr/sbin", "usr/bin", "opt/fluorobox"]:
        archive.directory(folder)
    archive.copy("bin/busybox", busybox, 0o100755)
    archive.file("init", INIT.encode(), 0o100755)
    archive.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    archive.file("etc/group", b"root:x:0:\n")
    order = module_order(modules_dir)
    for name, path in order:
        archive.copy(f"lib/modules/{name}.ko", path, 0o100644)
    archive.file("lib/modules/order", ("\n".join(name for name, _ in order) + "\n").encode())
    archive.copy("usr/sbin/usbip", usbip, 0o100755)
    archive.copy("opt/fluorobox/fluorobox", fluorobox, 0o100755)
    for ids in ["/usr/share/misc/usb.ids", "/usr/share/hwdata/usb.ids"]:
        if os.path.exists(ids):
            archive.copy(ids.lstrip("/"), ids)
    for library in library_closure([fluorobox, usbip]):
        archive.copy(library.lstrip("/"), library)
        if library.startswith("/lib/") or library.startswith("/lib64/"):
            continue
    archive.write(output)
    log(f"initramfs {os.path.getsize(output) // (1 << 20)} MiB: busybox, usbip, {len(order)} modules, fluorobox and its libraries")
    return output


# ---------------------------------------------------------------- processes

class Watched:
    """A child process whose output lines are kept and can be waited for."""

    def __init__(self, name, command, logfile, stdin=False):
        self.name = name
        self.lines = []
        self.lock = threading.Lock()
        self.log = open(logfile, "w")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.log.write(line + "\n")
            self.log.flush()
            with self.lock:
                self.lines.append(line)

    def count(self, pattern):
        with self.lock:
            return sum(1 for line in self.lines if re.search(pattern, line))

    def wait_for(self, pattern, timeout, times=1, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count(pattern) >= times:
                return
            if self.process.poll() is not None:
                time.sleep(0.5)
                if self.count(pattern) >= times:
                    return
                fail(f"{self.name} exited ({self.process.returncode}) before: {what or pattern}")
            time.sleep(0.2)
        fail(f"timed out after {timeout}s waiting for {what or pattern} in {self.name} output")

    def send(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class AgentLog:
    """The guest agent's log, read on the host through the 9p share."""

    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            return open(self.path, errors="replace").read()
        except FileNotFoundError:
            return ""

    def count(self, pattern):
        return len(re.findall(pattern, self.text()))

    def wait_for(self, pattern, timeout, times=1, what=None, guest=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count(pattern) >= times:
                return time.time()
            if guest is not None and guest.process.poll() is not None:
                fail(f"the guest stopped before: {what or pattern}")
            time.sleep(0.3)
        tail = "\n".join(self.text().splitlines()[-25:])
        fail(f"timed out after {timeout}s waiting for {what or pattern} in the agent log; its end:\n{tail}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if port == 11112:
        return free_port()
    return port


def camera_status(camera):
    before = camera.count(r"camera: status ")
    camera.send("status")
    camera.wait_for(r"camera: status ", 10, times=before + 1)
    with camera.lock:
        line = [l for l in camera.lines if "camera: status " in l][-1]
    return dict(item.split("=") for item in line.split("camera: status ")[1].split())


def wait_frames(camera, count, timeout):
    deadline = time.time() + timeout
    start = int(camera_status(camera)["frames"])
    while time.time() < deadline:
        if int(camera_status(camera)["frames"]) >= start + count:
            return
        time.sleep(0.5)
    fail(f"the camera did not stream {count} more frames within {timeout}s")


def wait_exposure_done(camera, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if camera_status(camera)["exposing"] == "false":
            return
        time.sleep(0.5)
    fail("the exposure did not end")


# ---------------------------------------------------------------- checks

def parse_dicom(data):
    """Elements of an explicit VR little endian Part 10 file (what the box writes)."""
    if data[128:132] != b"DICM":
        fail("stored capture is not DICOM Part 10")
    offset, elements = 132, {}
    long_vrs = {b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV"}
    while offset + 8 <= len(data):
        group, element = struct.unpack_from("<HH", data, offset)
        vr = data[offset + 4:offset + 6]
        if vr in long_vrs:
            length = struct.unpack_from("<I", data, offset + 8)[0]
            offset += 12
        else:
            length = struct.unpack_from("<H", data, offset + 6)[0]
            offset += 8
        elements[(group, element)] = data[offset:offset + length]
        offset += length
    return elements


def gray_png(width, height):
    """A small 8-bit grayscale PNG for the watched folder."""
    import zlib
    raw = b"".join(b"\x00" + bytes((x * 16 + y) % 256 for x in range(width)) for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker."""
    offset = 2
    while offset + 4 < len(data) and data[offset] == 0xFF:
        marker, length = data[offset + 1], struct.unpack(">H", data[offset + 2:offset + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[offset + 5:offset + 9])
            return width, height
        offset += 2 + length
    return None


def read_pgm(path):
    data = open(path, "rb").read()
    parts = data.split(b"\n", 3)
    width, height = map(int, parts[1].split())
    return width, height, parts[3]


def check_store(out, expected_pgm, case, exposures):
    database = os.path.join(out, "data", "store.sqlite")
    if not os.path.exists(database):
        fail("the guest did not hand back its store")
    db = sqlite3.connect(database)
    rows = db.execute("SELECT i.sopInstanceUID, i.blobPath, i.format, i.sourceDetail, s.patientID, s.patientName FROM instance i JOIN study s ON s.id = i.studyID WHERE i.source = 'usb' ORDER BY i.id").fetchall()
    log(f"{case}: {len(rows)} USB capture(s) stored for {exposures} exposure(s)")
    if len(rows) != exposures:
        fail(f"expected exactly {exposures} captures (one per exposure), found {len(rows)}")
    width, height, expected = read_pgm(expected_pgm)
    figures = []
    for number, (uid, blob, fmt, detail, patient_id, patient_name) in enumerate(rows):
        elements = parse_dicom(open(os.path.join(out, "data", blob), "rb").read())
        rows_, columns = struct.unpack("<H", elements[(0x0028, 0x0010)])[0], struct.unpack("<H", elements[(0x0028, 0x0011)])[0]
        if (columns, rows_) != (width, height):
            fail(f"capture {uid} is {columns}x{rows_}, the fed image {width}x{height}")
        pixels = elements[(0x7FE0, 0x0010)][:width * height]
        differences = [abs(a - b) for a, b in zip(pixels, expected)]
        mean = sum(differences) / len(differences)
        mse = sum(d * d for d in differences) / len(differences)
        psnr = 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)
        name = elements[(0x0010, 0x0010)].decode().strip()
        sop_class = elements[(0x0008, 0x0016)].rstrip(b"\x00").decode()
        log(f"{case}: capture {number + 1}: {fmt}, {columns}x{rows_}, mean |difference| {mean:.2f}, max {max(differences)}, PSNR {psnr:.1f} dB, patient {name!r}; {detail}")
        figures.append((mean, psnr))
        if sop_class != "1.2.840.10008.5.1.4.1.1.7":
            fail(f"capture is SOP class {sop_class}, expected Secondary Capture")
        if mean > 3.0 or psnr < 32:
            fail(f"capture {number + 1} does not match the fed image within JPEG tolerance (mean {mean:.2f}, PSNR {psnr:.1f} dB)")
        if number == 0 and (patient_id != PATIENT_ID or name != PATIENT_NAME):
            fail(f"the first capture should carry the registered patient, has {patient_id!r} {name!r}")
        if number > 0 and name != "UNKNOWN^UNREGISTERED":
            fail(f"a capture without a registration should be marked UNKNOWN^UNREGISTERED, has {name!r}")
    folder = db.execute("SELECT COUNT(*) FROM instance WHERE source = 'folder'").fetchone()[0]
    if folder != 1:
        fail(f"the file dropped while the device was unplugged was not stored ({folder} folder instances)")
    used = db.execute("SELECT COUNT(*) FROM registration WHERE consumedAt IS NOT NULL").fetchone()[0]
    if used != 1:
        fail(f"expected the registration to be used exactly once, found {used}")
    return figures


# ---------------------------------------------------------------- one case

def run_case(args, case, vmlinuz, initramfs):
    started = time.time()
    out = os.path.abspath(os.path.join(args.work, f"run-{case}"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    port = free_port()
    profile, formats = {"iso": ("isochronous", "mjpeg"), "bulk": ("bulk", "grey")}[case]
    with open(os.path.join(out, "case.env"), "w") as env:
        env.write(f'PORT={port}\nPATIENT_ID="{PATIENT_ID}"\nPATIENT_NAME="{PATIENT_NAME}"\nGRAB_FORMAT={formats}\n')
    os.makedirs(os.path.join(out, "incoming"))
    with open(os.path.join(out, "config.json"), "w") as config:
        json.dump({"usb": {"enabled": True, "formats": formats, "frameSize": "320x240", "searchIntervalSeconds": 1, "stallTimeoutSeconds": 4},
                   "watch": {"folder": "/out/incoming", "afterImport": "keep", "intervalSeconds": 1, "settleSeconds": 1},
                   "outbox": {"destinations": []}, "log": {"level": "info"}}, config)
    expected = os.path.join(out, "expected.pgm")
    camera = Watched("camera", [os.path.join(args.bin, "uvc-camera-server"), "--port", str(port), "--profile", profile,
                                "--width", "320", "--height", "240", "--fps", "10", "--hold-frames", "40", "--expected-pgm", expected],
                     os.path.join(out, "camera.log"), stdin=True)
    camera.wait_for(r"camera: listening", 30)
    log(f"{case}: camera ({profile}, {formats}) on 127.0.0.1:{port}; booting the guest")
    guest = Watched("guest", ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "1024",
                              "-kernel", vmlinuz, "-initrd", initramfs, "-append", "console=ttyS0 quiet panic=-1",
                              "-nographic", "-no-reboot",
                              "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0",
                              "-virtfs", f"local,path={out},mount_tag=out,security_model=none,id=out"],
                    os.path.join(out, "guest-console.log"))
    agent = AgentLog(os.path.join(out, "agent.log"))
    try:
        guest.wait_for(r"E2E: guest up", 300, what="the guest to boot")
        booted = time.time()
        camera.wait_for(r"imported by a client", 120, what="usbip attach from the guest")
        agent.wait_for(r"USB capture streaming", 300, what="the agent to enumerate, negotiate and stream", guest=guest)
        streaming = time.time()
        log(f"{case}: guest booted in {booted - started:.0f}s, agent streaming {streaming - booted:.0f}s later")
        wait_frames(camera, 30, 120)
        if case == "bulk":
            # Bad input while idle: garbage headers, an ERR frame and a torn frame.
            for command in ["garbage 2", "error 1", "torn 1"]:
                camera.send(command)
                wait_frames(camera, 3, 60)
            agent.wait_for(r"USB frame dropped", 60, times=3, what="dropped-frame log lines", guest=guest)
            agent.wait_for(r"invalid headers ignored", 60, what="the invalid-header log line", guest=guest)
            wait_frames(camera, 20, 60)
        exposed = time.time()
        camera.send("expose")
        agent.wait_for(r"exposure captured", 180, what="the first exposure to be captured", guest=guest)
        log(f"{case}: exposure 1 captured {time.time() - exposed:.1f}s after it started")
        wait_exposure_done(camera)
        wait_frames(camera, 15, 60)
        # Unplug mid-frame, then the guest re-attaches as a person re-plugging would.
        unplugged = time.time()
        camera.send("vanish-mid-frame")
        camera.wait_for(r"client gone", 60, what="the unplug")
        agent.wait_for(r"device gone", 120, what="the agent to notice the unplug", guest=guest)
        # Other intake goes on while the capture device is away.
        with open(os.path.join(out, "incoming", "while-unplugged.png"), "wb") as png:
            png.write(gray_png(16, 16))
        agent.wait_for(r"took file from watched folder", 120, what="the watched folder to take a file while the device is unplugged", guest=guest)
        camera.wait_for(r"imported by a client", 120, times=2, what="the guest to re-attach")
        agent.wait_for(r"USB capture streaming", 180, times=2, what="streaming to recover after re-attach", guest=guest)
        log(f"{case}: unplugged mid-frame and recovered in {time.time() - unplugged:.1f}s")
        if case == "bulk":
            camera.send("stall")
            agent.wait_for(r"stream failed; reopening", 120, what="the stall to be reported", guest=guest)
            agent.wait_for(r"USB capture streaming", 180, times=3, what="streaming to recover after the stall", guest=guest)
            log(f"{case}: endpoint stall reported and recovered")
        wait_frames(camera, 30, 120)
        exposed = time.time()
        camera.send("expose")
        agent.wait_for(r"exposure captured", 180, times=2, what="the second exposure to be captured", guest=guest)
        log(f"{case}: exposure 2 captured {time.time() - exposed:.1f}s after it started")
        wait_exposure_done(camera)
        wait_frames(camera, 30, 120)  # idle again: no further capture may appear
        open(os.path.join(out, "stop"), "w").close()
        guest.wait_for(r"E2E: done", 180, what="the guest to stop the agent and hand back its store")
        guest.process.wait(60)
    finally:
        guest.stop()
        camera.send("quit") if camera.process.poll() is None else None
        camera.stop()
    grab = open(os.path.join(out, "grab.jpg"), "rb").read() if os.path.exists(os.path.join(out, "grab.jpg")) else b""
    if not grab.startswith(b"\xff\xd8") or jpeg_size(grab) != (320, 240):
        fail(f"fluorobox usb grab --once did not write a 320x240 JPEG: {open(os.path.join(out, 'grab.log')).read()}")
    log(f"{case}: usb grab --once: {open(os.path.join(out, 'grab.log')).read().strip()}")
    listing = open(os.path.join(out, "usb-list.txt")).read()
    if "USB Video Class" not in listing or formats not in listing or "high (480 Mbit/s)" not in listing:
        fail(f"fluorobox usb list does not show the camera's class, formats and speed:\n{listing}")
    if agent.count(r"exposure captured") != 2:
        fail(f"the agent logged {agent.count('exposure captured')} captures, expected 2")
    figures = check_store(out, expected, case, 2)
    link = json.load(open(os.path.join(out, "data", "run", "usb-link.json")))
    totals = link["totalCounters"]
    log(f"{case}: link: {link['reconnects']} reconnect(s), {link['captures']} capture(s), frames delivered {totals['framesDelivered']}, torn {totals['tornFrames']}, errored {totals['erroredFrames']}, invalid headers {totals['invalidHeaders']}; stream {link.get('stream')}")
    if link["reconnects"] < 1:
        fail("the link state shows no reconnect")
    if case == "bulk" and (totals["invalidHeaders"] < 1 or totals["erroredFrames"] < 1 or totals["tornFrames"] < 1):
        fail("the injected faults are not all counted")
    log(f"{case}: PASS in {time.time() - started:.0f}s")
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("cases", nargs="*", default=["iso", "bulk"])
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    args.work = os.path.abspath(args.work)
    started = time.time()
    vmlinuz, modules = fetch_kernel(args.work)
    initramfs = build_initramfs(args.work, args.bin, modules)
    for case in args.cases:
        run_case(args, case, vmlinuz, initramfs)
    log(f"all cases passed in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
