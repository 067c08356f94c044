"""guest-shell.py SOCKET TIMEOUT COMMAND: runs COMMAND in the TEST root shell that image/test-update
puts on the guest's second serial port (QEMU: -serial unix:SOCKET), prints its output and exits
with its exit status (124 when it did not finish within TIMEOUT seconds)."""
import re
import socket
import sys
import time
import uuid

path, timeout, command = sys.argv[1], float(sys.argv[2]), sys.argv[3]
marker = uuid.uuid4().hex[:12]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(1)
# No echo, no prompt: the output is the command's, then the marker line with its status. The
# marker is split in the command so the shell's echo of it (if any) can never match.
# The command ends with a newline, not ";", so one ending in "&" runs in the background.
s.sendall(f"stty -echo 2>/dev/null; PS1=; PS2=; {{ {command}\n}} </dev/null 2>&1; echo \"@@{marker[:6]}\"\"{marker[6:]} $?@@\"\n".encode())
found = re.compile(rf"@@{marker} (\d+)@@".encode())
buffer = b""
deadline = time.time() + timeout
while time.time() < deadline:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    buffer += chunk
    match = found.search(buffer)
    if match:
        text = buffer[: match.start()].decode(errors="replace").replace("\r", "")
        sys.stdout.write(text)
        sys.exit(int(match.group(1)))
sys.stdout.write(buffer.decode(errors="replace").replace("\r", ""))
sys.exit(124)
