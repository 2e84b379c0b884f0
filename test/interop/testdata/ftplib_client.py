#!/usr/bin/env python3
"""Drive Bulwark with Python's ftplib over explicit or implicit FTPS.

Usage:
  BULWARK_FTP_PASSWORD=... ftplib_client.py --host H --port P --user U \
      --mode explicit|implicit --reuse session|none [--tls-max 1.2|1.3] \
      OP [OP ...]

Each OP is a JSON array: the operation name, then its arguments.
  ["put", LOCAL, REMOTE]          STOR
  ["put_resume", LOCAL, REMOTE]   SIZE REMOTE, then REST n + STOR from LOCAL at n
  ["get", REMOTE, LOCAL]          RETR
  ["get_resume", REMOTE, LOCAL]   REST len(LOCAL) + RETR, appended to LOCAL
  ["nlst", DIR]                   NLST; result has "names"
  ["list", DIR]                   LIST; result has "lines"
  ["rename", FROM, TO]            RNFR + RNTO
  ["delete", NAME]                DELE
  ["mkd", NAME]                   MKD
  ["rmd", NAME]                   RMD

Output: one JSON object per line. First {"op": "login", ...} with the TLS
version of the control connection, then one object per OP in order, each
with "ok". Data operations add "session_reused": whether the data
connection's TLS handshake resumed the control connection's session. A
failed OP has "error" (the exception) and, when the server answered, "reply"
(its code and text); the run stops there.

Exit status: 0 when every OP succeeded, 1 when one failed, 2 when the
arguments were wrong or the login failed.

With --reuse none the stock ftplib.FTP_TLS behaviour is kept: every data
connection makes a full TLS handshake of its own. With --reuse session the
data connection resumes the control connection's TLS session, which works
with TLS 1.2 and TLS 1.3 alike.
"""

import argparse
import ftplib
import json
import os
import socket
import ssl
import sys


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session, as servers that tie the two together require."""

    last_session_reused = None

    def ntransfercmd(self, cmd, rest=None):
        # Skip FTP_TLS.ntransfercmd, which wraps without a session.
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session
            )
            self.last_session_reused = conn.session_reused
        return conn, size


class StockFTP_TLS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS unchanged, except that it records whether the data
    connection's handshake resumed a session (it never asks to)."""

    last_session_reused = None

    def ntransfercmd(self, cmd, rest=None):
        conn, size = super().ntransfercmd(cmd, rest)
        if isinstance(conn, ssl.SSLSocket):
            self.last_session_reused = conn.session_reused
        return conn, size


def implicit(base):
    """Return a subclass of base that starts TLS as soon as it connects
    (implicit FTPS) instead of sending AUTH TLS."""

    class Implicit(base):
        def connect(self, host="", port=0, timeout=-999, source_address=None):
            if host:
                self.host = host
            if port > 0:
                self.port = port
            if timeout != -999:
                self.timeout = timeout
            if source_address is not None:
                self.source_address = source_address
            raw = socket.create_connection(
                (self.host, self.port), self.timeout, source_address=self.source_address
            )
            self.sock = self.context.wrap_socket(raw, server_hostname=self.host)
            self.af = self.sock.family
            self.file = self.sock.makefile("r", encoding=self.encoding)
            self.welcome = self.getresp()
            return self.welcome

    return Implicit


def emit(obj):
    print(json.dumps(obj), flush=True)


def op_put(ftp, local, remote):
    with open(local, "rb") as fp:
        ftp.storbinary("STOR " + remote, fp)
    return {}


def op_put_resume(ftp, local, remote):
    ftp.voidcmd("TYPE I")
    offset = ftp.size(remote)
    with open(local, "rb") as fp:
        fp.seek(offset)
        ftp.storbinary("STOR " + remote, fp, rest=offset)
    return {"offset": offset}


def op_get(ftp, remote, local):
    with open(local, "wb") as fp:
        ftp.retrbinary("RETR " + remote, fp.write)
    return {}


def op_get_resume(ftp, remote, local):
    offset = os.path.getsize(local)
    with open(local, "ab") as fp:
        ftp.retrbinary("RETR " + remote, fp.write, rest=offset)
    return {"offset": offset}


def op_nlst(ftp, directory):
    return {"names": ftp.nlst(directory)}


def op_list(ftp, directory):
    lines = []
    ftp.retrlines("LIST " + directory, lines.append)
    return {"lines": lines}


def op_rename(ftp, old, new):
    return {"reply": ftp.rename(old, new)}


def op_delete(ftp, name):
    return {"reply": ftp.delete(name)}


def op_mkd(ftp, name):
    return {"path": ftp.mkd(name)}


def op_rmd(ftp, name):
    return {"reply": ftp.rmd(name)}


OPS = {
    "put": (op_put, 2, True),
    "put_resume": (op_put_resume, 2, True),
    "get": (op_get, 2, True),
    "get_resume": (op_get_resume, 2, True),
    "nlst": (op_nlst, 1, True),
    "list": (op_list, 1, True),
    "rename": (op_rename, 2, False),
    "delete": (op_delete, 1, False),
    "mkd": (op_mkd, 1, False),
    "rmd": (op_rmd, 1, False),
}


def pending_reply(ftp):
    """After a data connection failed, read the server's final reply to the
    transfer command, which says why."""
    try:
        ftp.sock.settimeout(10)
        return ftp.getresp()
    except ftplib.Error as e:
        return str(e)
    except Exception:
        return None


def parse_ops(raw):
    ops = []
    for text in raw:
        try:
            op = json.loads(text)
        except ValueError as e:
            raise ValueError("bad op %r: %s" % (text, e))
        if not isinstance(op, list) or not op or op[0] not in OPS:
            raise ValueError("bad op %r: want [name, args...], names %s" % (text, sorted(OPS)))
        if len(op) - 1 != OPS[op[0]][1]:
            raise ValueError("op %s takes %d arguments" % (op[0], OPS[op[0]][1]))
        ops.append(op)
    return ops


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--mode", choices=["explicit", "implicit"], required=True)
    p.add_argument("--reuse", choices=["session", "none"], default="session")
    p.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("ops", nargs="*")
    args = p.parse_args()
    try:
        ops = parse_ops(args.ops)
    except ValueError as e:
        p.error(str(e))

    password = os.environ.get("BULWARK_FTP_PASSWORD")
    if password is None:
        p.error("BULWARK_FTP_PASSWORD is not set")

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The test server's certificate is self-signed.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if args.tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2

    cls = ReusingFTP_TLS if args.reuse == "session" else StockFTP_TLS
    if args.mode == "implicit":
        cls = implicit(cls)

    ftp = cls(context=ctx, timeout=args.timeout)
    try:
        ftp.connect(args.host, args.port)
        ftp.login(args.user, password)
        ftp.prot_p()
    except ftplib.all_errors as e:
        emit({"op": "login", "ok": False, "error": "%s: %s" % (type(e).__name__, e)})
        return 2
    emit({"op": "login", "ok": True, "tls_version": ftp.sock.version()})

    for op in ops:
        func, _, data = OPS[op[0]]
        ftp.last_session_reused = None
        result = {"op": op[0], "args": op[1:]}
        try:
            result.update(func(ftp, *op[1:]))
        except ftplib.all_errors as e:
            result["ok"] = False
            result["error"] = "%s: %s" % (type(e).__name__, e)
            if isinstance(e, ftplib.Error):
                result["reply"] = str(e)
            else:
                result["reply"] = pending_reply(ftp)
            if data:
                result["session_reused"] = ftp.last_session_reused
            emit(result)
            return 1
        result["ok"] = True
        if data:
            result["session_reused"] = ftp.last_session_reused
        emit(result)

    try:
        ftp.quit()
    except ftplib.all_errors:
        ftp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
