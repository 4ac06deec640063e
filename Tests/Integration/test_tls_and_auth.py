"""TLS on the classic protocol and the complete authentication paths (issue 5)."""
import ssl
import subprocess

import mysql.connector
import pymysql
import pytest
from conftest import TRACES

CERTS = TRACES.parent / "certs"
TLS_ARGS = ["--ssl-key", str(CERTS / "server-key.pem"), "--ssl-cert", str(CERTS / "server-cert.pem")]


def trace(auth=None, greeting=None):
    t = {"fallback": "builtin:default", "stmts": [
        {"stmt": "select cipher", "result": {"columns": [{"name": "c", "type": "STRING"}], "rows": [["see js"]]}}]}
    hs = {}
    if auth:
        hs["auth"] = auth
    if greeting:
        hs["greeting"] = greeting
    if hs:
        t["handshake"] = hs
    return t


def cipher_trace(tmp_path):
    path = tmp_path / "cipher.js"
    path.write_text("({stmts: function (s) {"
                    " if (/^SET /i.test(s)) return {ok: {}};"
                    " return {result: {columns: [{name: 'c', type: 'STRING'}, {name: 'x', type: 'STRING'}],"
                    " rows: [[mysqld.session.ssl_cipher, mysqld.session.mysqlx_ssl_cipher]]}}; }})")
    return path


def pymysql_connect(port, tls=False, **kw):
    kw.setdefault("user", "app")
    kw.setdefault("password", "s3cret")
    if tls:
        kw["ssl"] = {"ca": str(CERTS / "ca-cert.pem")}
    else:
        kw["ssl_disabled"] = True  # PyMySQL would otherwise use TLS whenever the server offers it
    return pymysql.connect(host="127.0.0.1", port=port, **kw)


def connector_connect(port, tls=False, pure=True, **kw):
    kw.setdefault("user", "app")
    kw.setdefault("password", "s3cret")
    if tls:
        kw["ssl_ca"] = str(CERTS / "ca-cert.pem")
        kw["ssl_verify_cert"] = True
    else:
        kw["ssl_disabled"] = True
    return mysql.connector.connect(host="127.0.0.1", port=port, use_pure=pure, **kw)


def one(conn, stmt):
    cur = conn.cursor()
    cur.execute(stmt)
    return [tuple(r) for r in cur.fetchall()]


def test_bad_tls_options_exit_1(mock_server):
    from conftest import run_binary
    out = run_binary("--ssl-mode", "verify_ca", *TLS_ARGS)
    assert out.returncode == 1
    assert ("invalid value 'verify_ca' in option ssl_mode in [mock_server:classic]. "
            "Allowed values: DISABLED,PREFERRED,REQUIRED") in out.stderr
    out = run_binary("--ssl-mode", "PREFERRED", "--ssl-cert", str(CERTS / "server-cert.pem"))
    assert out.returncode == 1
    assert "if ssl_mode is not DISABLED, ssl_key and ssl_cert MUST be set. ssl_key is empty" in out.stderr
    out = run_binary("--ssl-mode", "preferred", *TLS_ARGS, "--tls-version", "sslv3")
    assert out.returncode == 1
    assert "setting 'tls_version=sslv3' failed. Unknown TLS version." in out.stderr


def test_tls_options_are_ignored_when_disabled(mock_server):
    server = mock_server(trace(), args=["--ssl-mode", "DISABLED", "--ssl-key", "/nonexistent.pem"])
    pymysql_connect(server.port, user="root", password="").close()


@pytest.mark.parametrize("mode", ["PREFERRED", "REQUIRED"])
def test_tls_clients_get_a_cipher(mock_server, tmp_path, mode):
    server = mock_server(cipher_trace(tmp_path), args=["--ssl-mode", mode.lower(), *TLS_ARGS])
    for conn in (pymysql_connect(server.port, tls=True), connector_connect(server.port, tls=True),
                 connector_connect(server.port, tls=True, pure=False)):
        [(cipher, xcipher)] = one(conn, "select cipher")
        assert cipher and cipher == xcipher
        assert cipher.startswith("TLS_") or "-" in cipher
        conn.close()


def test_preferred_still_lets_plaintext_in_and_required_refuses_it(mock_server, tmp_path):
    preferred = mock_server(cipher_trace(tmp_path), args=["--ssl-mode", "PREFERRED", *TLS_ARGS])
    conn = pymysql_connect(preferred.port)
    assert one(conn, "select cipher") == [("", "")]
    required = mock_server(cipher_trace(tmp_path), args=["--ssl-mode", "REQUIRED", *TLS_ARGS])
    for connect in (lambda: pymysql_connect(required.port), lambda: connector_connect(required.port)):
        with pytest.raises(Exception) as info:
            connect()
        text = str(info.value)
        assert "3159" in text and "Connections using insecure transport are prohibited" in text


def test_mysql_cli_over_tls(mock_server):
    server = mock_server(trace(auth={"username": "app", "password": "s3cret"}),
                         args=["--ssl-mode", "REQUIRED", *TLS_ARGS])
    out = subprocess.run(["mysql", "-h127.0.0.1", f"-P{server.port}", "-uapp", "-ps3cret", "--protocol=TCP",
                          "--ssl", f"--ssl-ca={CERTS / 'ca-cert.pem'}", "--batch", "-e", "show status like 'Ssl_cipher'"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr


def test_openssl_s_client_starttls_mysql(mock_server):
    server = mock_server(trace(), args=["--ssl-mode", "PREFERRED", *TLS_ARGS])
    out = subprocess.run(["openssl", "s_client", "-starttls", "mysql", "-connect", f"127.0.0.1:{server.port}",
                          "-CAfile", str(CERTS / "ca-cert.pem")], input="", capture_output=True, text=True,
                         timeout=30)
    assert "Verify return code: 0 (ok)" in out.stdout, out.stdout + out.stderr
    assert "Cipher is" in out.stdout


def test_tls_version_pin_refuses_older_clients(mock_server):
    server = mock_server(trace(), args=["--ssl-mode", "PREFERRED", *TLS_ARGS, "--tls-version", "TLSv1.3"])
    ctx = ssl.create_default_context(cafile=str(CERTS / "ca-cert.pem"))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl=ctx)
    ok = ssl.create_default_context(cafile=str(CERTS / "ca-cert.pem"))
    pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl=ok).close()


@pytest.mark.parametrize("client, tls", [("pymysql", False), ("pymysql", True), ("connector", True)])
def test_caching_sha2_full_authentication(mock_server, tls, client):
    """cache miss: over TLS the password goes in clear, without TLS RSA-encrypted with the server's key."""
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "cache": "miss"},
                               greeting={"auth_method": "caching_sha2_password"}),
                         args=["--ssl-mode", "PREFERRED", *TLS_ARGS,
                               "--caching-sha2-private-key", str(CERTS / "rsa-private.pem")])
    if client == "pymysql":
        conn = pymysql_connect(server.port, tls=tls)
        bad = lambda: pymysql_connect(server.port, tls=tls, password="wrong")
    else:
        conn = connector_connect(server.port, tls=tls, auth_plugin="caching_sha2_password")
        bad = lambda: connector_connect(server.port, tls=tls, auth_plugin="caching_sha2_password", password="wrong")
    assert one(conn, "select 1") == [(1,)]
    conn.close()
    with pytest.raises(Exception) as info:
        bad()
    assert "1045" in str(info.value) or info.value.args[0] == 1045


def test_cleartext_password_on_an_insecure_link_is_refused(mock_server):
    """mysql-connector-python's pure-Python plugin answers 0x04 with the password in clear even
    without TLS; like a real server, the mock does not accept that."""
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "cache": "miss"},
                               greeting={"auth_method": "caching_sha2_password"}))
    with pytest.raises(mysql.connector.Error) as info:
        connector_connect(server.port, auth_plugin="caching_sha2_password")
    assert info.value.errno == 1045


def test_caching_sha2_full_authentication_with_generated_key(mock_server):
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "cache": "miss"},
                               greeting={"auth_method": "caching_sha2_password"}))
    conn = pymysql_connect(server.port)
    assert one(conn, "select 1") == [(1,)]


@pytest.mark.parametrize("tls", [False, True])
def test_sha256_password(mock_server, tls):
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "method_name": "sha256_password"}),
                         args=["--ssl-mode", "PREFERRED", *TLS_ARGS])
    conn = pymysql_connect(server.port, tls=tls)
    assert one(conn, "select 1") == [(1,)]
    conn.close()
    with pytest.raises(pymysql.err.OperationalError) as info:
        pymysql_connect(server.port, tls=tls, password="wrong")
    assert info.value.args[0] == 1045


def cert_args():
    return ["--ssl-mode", "PREFERRED", *TLS_ARGS, "--ssl-ca", str(CERTS / "ca-cert.pem"),
            "--ssl-crl", str(CERTS / "crl.pem")]


def connect_with_cert(port, name):
    ssl_opts = {"ca": str(CERTS / "ca-cert.pem")}
    if name:
        ssl_opts.update(cert=str(CERTS / f"{name}-cert.pem"), key=str(CERTS / f"{name}-key.pem"))
    return pymysql.connect(host="127.0.0.1", port=port, user="app", password="s3cret", ssl=ssl_opts)


def subject_of(name):
    out = subprocess.run(["openssl", "x509", "-in", str(CERTS / f"{name}-cert.pem"), "-noout", "-subject",
                          "-nameopt", "compat"], capture_output=True, text=True, check=True)
    return out.stdout.strip().removeprefix("subject=")


def test_client_certificate_required_by_the_trace(mock_server):
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "certificate": {}}), args=cert_args())
    connect_with_cert(server.port, "client").close()
    with pytest.raises(pymysql.err.OperationalError) as info:
        connect_with_cert(server.port, None)
    assert info.value.args[0] == 1045


def test_client_certificate_subject_and_issuer_must_match(mock_server):
    assert subject_of("client") == "/C=DE/ST=Berlin/O=Mock Org/CN=client-user"
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "certificate": {
        "subject": "/C=DE/ST=Berlin/O=Mock Org/CN=client-user",
        "issuer": "/C=DE/ST=Berlin/O=Mock CA/CN=mysql-server-mock test CA"}}), args=cert_args())
    connect_with_cert(server.port, "client").close()
    with pytest.raises(pymysql.err.OperationalError) as info:
        connect_with_cert(server.port, "client2")
    assert info.value.args[0] == 1045


def test_revoked_client_certificate_fails_the_tls_handshake(mock_server):
    server = mock_server(trace(), args=cert_args())
    with pytest.raises(pymysql.err.OperationalError) as info:
        conn = connect_with_cert(server.port, "revoked")
        conn.cursor().execute("select 1")  # TLS 1.3: the client may only learn on its next read
    assert info.value.args[0] in (2003, 2013)
    # Others still get in.
    connect_with_cert(server.port, "client").close()
    assert server.proc.poll() is None


def test_ssl_cipher_option_applies_to_tls12(mock_server, tmp_path):
    server = mock_server(cipher_trace(tmp_path), args=["--ssl-mode", "PREFERRED", *TLS_ARGS,
                                                        "--ssl-cipher", "ECDHE-RSA-AES128-GCM-SHA256",
                                                        "--tls-version", "TLSv1.2"])
    ctx = ssl.create_default_context(cafile=str(CERTS / "ca-cert.pem"))
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl=ctx)
    assert one(conn, "select cipher") == [("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256")]


def tls_login(port, context, session=None):
    """A classic-protocol login over TLS done by hand, so the TLS session can be resumed."""
    import socket
    import struct
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = raw.recv(4)
    greeting = raw.recv(int.from_bytes(head[:3], "little"))
    caps = 0x0200 | 0x0800 | 0x8000 | 0x80000  # PROTOCOL_41, SSL, SECURE_CONNECTION, PLUGIN_AUTH
    fixed = struct.pack("<IIB23x", caps, 1 << 24, 255)
    raw.sendall(len(fixed).to_bytes(3, "little") + b"\x01" + fixed)
    tls = context.wrap_socket(raw, server_hostname="localhost", session=session)
    body = fixed + b"root\x00" + b"\x00" + b"mysql_native_password\x00"
    tls.sendall(len(body).to_bytes(3, "little") + b"\x02" + body)
    ok = tls.recv(1024)
    assert ok[4] == 0x00, ok
    query = b"\x03SHOW STATUS LIKE 'Ssl_session_cache_hits'"
    tls.sendall(len(query).to_bytes(3, "little") + b"\x00" + query)
    data = b""
    while not data.endswith(b"\xfe\x00\x00\x02\x00") and len(data) < 4096:
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
        if b"Ssl_session_cache_hits" in data and (data.count(b"\xfe") >= 2):
            break
    return tls, data


def test_resumed_tls_sessions_are_counted(mock_server):
    server = mock_server(TRACES / "js" / "my_port.js", args=["--ssl-mode", "PREFERRED", *TLS_ARGS,
                                                               "--tls-version", "TLSv1.2"])
    context = ssl.create_default_context(cafile=str(CERTS / "ca-cert.pem"))
    first, _ = tls_login(server.port, context)
    session = first.session
    first.close()
    second, data = tls_login(server.port, context, session=session)
    assert second.session_reused
    assert b"Ssl_session_cache_hits\x011" in data
    second.close()


@pytest.mark.parametrize("pure", [True, False])
def test_connector_with_client_certificate(mock_server, pure):
    server = mock_server(trace(auth={"username": "app", "password": "s3cret", "certificate": {
        "subject": "/C=DE/ST=Berlin/O=Mock Org/CN=client-user"}}), args=cert_args())
    conn = mysql.connector.connect(host="127.0.0.1", port=server.port, user="app", password="s3cret", use_pure=pure,
                                   ssl_ca=str(CERTS / "ca-cert.pem"), ssl_cert=str(CERTS / "client-cert.pem"),
                                   ssl_key=str(CERTS / "client-key.pem"), ssl_verify_cert=True)
    assert one(conn, "select 1") == [(1,)]
    conn.close()
    with pytest.raises(mysql.connector.Error) as info:
        mysql.connector.connect(host="127.0.0.1", port=server.port, user="app", password="s3cret", use_pure=pure,
                                ssl_ca=str(CERTS / "ca-cert.pem"), ssl_cert=str(CERTS / "client2-cert.pem"),
                                ssl_key=str(CERTS / "client2-key.pem"))
    assert info.value.errno == 1045
