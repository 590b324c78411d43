# SPDX-License-Identifier: MIT
"""A real mosquitto for the MQTT tests: Debian's /usr/sbin/mosquitto on a free
localhost port, with a generated configuration, a password file and an ACL
that gives each Sparkplug edge node its own topics and the host application
the rest. Persistence is off, so a restart forgets every subscription and
queued message, as a crashed broker without a disk would.

    with Broker(workdir_parent, group="raspiplc", nodes=["n01", "n02"]) as b:
        b.port, b.password("n01"), b.password_file("n01")
        b.kill(); b.start()          # kill -9, then back on the same port
        b.stop(); b.restart()        # SIGTERM, then back

Edge node N (username N) may publish spBv1.0/<group>/NBIRTH|NDATA|NDEATH/N
and DBIRTH|DDATA|DDEATH/N/<device>, and read its NCMD, its DCMDs and every
spBv1.0/STATE/<host>. The host (username "host") reads everything below
spBv1.0/ and publishes NCMD, DCMD and its STATE. Anyone else is refused.

Every file lives in one directory made here and removed by close() (also
when start() fails); the broker process is the only one started, and close()
stops exactly it."""
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
HOST_USER = "host"
NODE_TOPICS = ("NBIRTH", "NDATA", "NDEATH")
DEVICE_TOPICS = ("DBIRTH", "DDATA", "DDEATH")


class BrokerError(RuntimeError):
    pass


def stop_process(proc, sig=signal.SIGTERM, timeout=10.0):
    """Signals proc (a Popen) unless it has exited, waits up to timeout, then
    kills it; True if it ended by itself within timeout."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return False
    return True


def free_port():
    """A port nothing listens on now (the kernel's choice for port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mqtt_connect_ok(port, username, password, timeout=1.0):
    """True when an MQTT 3.1.1 CONNECT with these credentials gets a CONNACK
    with return code 0: the broker listens and has read its password file."""
    def field(b):
        return struct.pack(">H", len(b)) + b
    client = b"ready-" + secrets.token_hex(4).encode()
    var = field(b"MQTT") + bytes([4, 0xC2]) + struct.pack(">H", 10)
    body = var + field(client) + field(username.encode()) + field(password.encode())
    assert len(body) < 128
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(bytes([0x10, len(body)]) + body)
            ack = b""
            while len(ack) < 4:
                chunk = s.recv(4 - len(ack))
                if not chunk:
                    return False
                ack += chunk
            s.sendall(b"\xe0\x00")  # DISCONNECT
            return ack[0] == 0x20 and ack[3] == 0
    except OSError:
        return False


class Broker:
    def __init__(self, parent=None, group="raspiplc", nodes=(), port=None,
                 ready_timeout=10.0):
        self.group = group
        self.nodes = list(nodes)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.log = None
        self.dir = tempfile.mkdtemp(prefix="mqtt-broker-", dir=parent)
        try:
            self.passwords = {u: secrets.token_hex(8) for u in [HOST_USER, *self.nodes]}
            self._write_files()
            self.port = port
        except BaseException:
            self.close()
            raise

    # --- files -----------------------------------------------------------
    def path(self, name):
        return os.path.join(self.dir, name)

    def _write(self, name, text, mode=0o600):
        fd = os.open(self.path(name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)

    def _write_files(self):
        self._write("passwd", "".join(f"{u}:{p}\n" for u, p in self.passwords.items()))
        r = subprocess.run([MOSQUITTO_PASSWD, "-U", self.path("passwd")],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise BrokerError(f"mosquitto_passwd -U: {r.stderr.strip()}")
        self._write("acl", self.acl_text())

    def acl_text(self):
        g = self.group
        lines = [f"user {HOST_USER}",
                 "topic read spBv1.0/#",
                 f"topic write spBv1.0/{g}/NCMD/+",
                 f"topic write spBv1.0/{g}/DCMD/+/+",
                 f"topic readwrite spBv1.0/STATE/{HOST_USER}", ""]
        for n in self.nodes:
            lines.append(f"user {n}")
            lines += [f"topic write spBv1.0/{g}/{t}/{n}" for t in NODE_TOPICS]
            lines += [f"topic write spBv1.0/{g}/{t}/{n}/+" for t in DEVICE_TOPICS]
            lines += [f"topic read spBv1.0/{g}/NCMD/{n}",
                      f"topic read spBv1.0/{g}/DCMD/{n}/+",
                      "topic read spBv1.0/STATE/+", ""]
        return "\n".join(lines)

    def _write_conf(self):
        conf = [f"listener {self.port} 127.0.0.1",
                "allow_anonymous false",
                f"password_file {self.path('passwd')}",
                f"acl_file {self.path('acl')}",
                "persistence false",
                "log_dest stderr",
                "log_type error", "log_type warning", "log_type notice",
                "log_type information",
                "connection_messages true",
                "log_timestamp_format %H:%M:%S",
                # Enough in flight for a fleet's births after a restart.
                "max_queued_messages 100000",
                "max_inflight_messages 0"]
        if os.geteuid() == 0:
            conf.append("user root")  # else it drops to 'mosquitto', who cannot read self.dir
        self._write("mosquitto.conf", "\n".join(conf) + "\n")

    def password(self, user):
        return self.passwords[user]

    def password_file(self, user):
        """A file whose first line is the user's password (plc-mqtt's password_file)."""
        name = f"password-{user}"
        if not os.path.exists(self.path(name)):
            self._write(name, self.passwords[user] + "\n")
        return self.path(name)

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    # --- process ---------------------------------------------------------
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Starts the broker (on the port it had, if it ran before) and returns
        once a CONNECT as the host succeeds."""
        if self.running():
            raise BrokerError("mosquitto already runs")
        tries = 1 if self.port else 5
        for attempt in range(tries):
            if not self.port:
                self.port = free_port()
            self._write_conf()
            if self._spawn_and_wait():
                return self
            if tries > 1 and attempt + 1 < tries and "Address already in use" in self.log_text():
                self.port = None  # someone took the free port meanwhile; take another
                continue
            break
        text = self.log_text()
        self._stop_proc(signal.SIGKILL)
        raise BrokerError(f"mosquitto on port {self.port} not ready within "
                          f"{self.ready_timeout} s; its log:\n{text[-3000:]}")

    def _spawn_and_wait(self):
        self.log = open(self.path("mosquitto.log"), "a")
        self.log.write(f"--- start on port {self.port}\n")
        self.log.flush()
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.path("mosquitto.conf")],
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if mqtt_connect_ok(self.port, HOST_USER, self.passwords[HOST_USER]):
                return True
            time.sleep(0.02)
        return False

    def _stop_proc(self, sig, timeout=10.0):
        if self.proc is None:
            return
        stop_process(self.proc, sig, timeout)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def kill(self):
        """kill -9: no clean disconnect, clients see their connection drop."""
        self._stop_proc(signal.SIGKILL)

    def stop(self):
        """SIGTERM: mosquitto closes its clients' connections and exits."""
        self._stop_proc(signal.SIGTERM)

    def restart(self, hard=False):
        self.kill() if hard else self.stop()
        return self.start()

    def log_text(self):
        try:
            with open(self.path("mosquitto.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        """Stops the broker and removes every file; safe to call twice."""
        try:
            self._stop_proc(signal.SIGTERM)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()
        return False
