"""Connect + TLS (certificate verified) + login + quit, from several client processes at once,
with TLS session resumption off or on: the server's cost of a TLS login, which the Python drivers
(one client, most of the time in their own code) cannot show.

Each client is a small classic-protocol client on the `ssl` module: greeting, SSLRequest, TLS
handshake (offering the previous connection's session when resuming), HandshakeResponse41 with a
mysql_native_password response (an AuthSwitchRequest to it is followed), OK, COM_QUIT.
"""
import hashlib
import multiprocessing
import socket
import ssl
import struct
import time

CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41, CLIENT_SSL = 0x1, 0x200, 0x800
CLIENT_TRANSACTIONS, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH = 0x2000, 0x8000, 0x80000
CAPABILITIES = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_TRANSACTIONS
                | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    return data


def _read_packet(sock):
    header = _read_exact(sock, 4)
    return header[3], _read_exact(sock, int.from_bytes(header[:3], "little"))


def _write_packet(sock, seq, payload):
    sock.sendall(len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload)


def _native(password, scramble):
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mixed = hashlib.sha1(scramble[:20] + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mixed))


def _scramble(greeting):
    """The 20-byte scramble of a Protocol::HandshakeV10."""
    end = greeting.index(b"\0", 1)
    pos = end + 1 + 4
    first = greeting[pos:pos + 8]
    pos += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
    return first + greeting[pos:pos + 12]


def login(port, user, password, context, session=None):
    """One connect + TLS + login + quit; the TLS session (for the next login) and whether this one
    resumed."""
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _, greeting = _read_packet(raw)
        scramble = _scramble(greeting)
        _write_packet(raw, 1, struct.pack("<IIB23x", CAPABILITIES, 1 << 24, 45))
        with context.wrap_socket(raw, server_hostname="127.0.0.1", session=session) as tls:
            response = _native(password, scramble)
            _write_packet(tls, 2, struct.pack("<IIB23x", CAPABILITIES, 1 << 24, 45) + user.encode() + b"\0"
                          + bytes([len(response)]) + response + b"mysql_native_password\0")
            seq, packet = _read_packet(tls)
            if packet[:1] == b"\xfe":  # AuthSwitchRequest: plugin name, then its scramble
                name_end = packet.index(b"\0", 1)
                _write_packet(tls, seq + 1, _native(password, packet[name_end + 1:]))
                seq, packet = _read_packet(tls)
            if packet[:1] != b"\x00":
                raise RuntimeError(f"login refused: {packet!r}")
            _write_packet(tls, 0, b"\x01")  # COM_QUIT
            return tls.session, tls.session_reused


def _client(args):
    port, user, password, ca, seconds, resume = args
    context = ssl.create_default_context(cafile=ca)
    session, count, resumed = None, 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        new_session, reused = login(port, user, password, context, session if resume else None)
        session = new_session
        count += 1
        resumed += reused
    return count, resumed


def rate(port, user, password, ca, clients, seconds, resume):
    """Logins per second over `clients` processes, and the share of them that resumed a session."""
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        start = time.perf_counter()
        results = pool.map(_client, [(port, user, password, ca, seconds, resume)] * clients)
        elapsed = time.perf_counter() - start
    total = sum(c for c, _ in results)
    return total / elapsed, sum(r for _, r in results) / max(total, 1)
