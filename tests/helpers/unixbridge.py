#!/usr/bin/env python3
"""unixbridge.py PATH -- a transparent byte pipe between stdin/stdout and the
Unix-domain stream socket PATH, for the Tcl test client (Tcl cannot open Unix
sockets). Bytes read on stdin go to the socket; bytes from the socket go to
stdout. Exits when either side closes, so the Tcl side sees EOF when the
server closes the connection. Standard library only."""
import os
import select
import socket
import sys


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: unixbridge.py PATH\n")
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
    except OSError as e:
        sys.stderr.write("unixbridge: connect %s: %s\n" % (sys.argv[1], e))
        return 1
    sfd = s.fileno()
    while True:
        try:
            readable, _, _ = select.select([0, sfd], [], [])
        except InterruptedError:
            continue
        if 0 in readable:
            data = os.read(0, 1 << 16)
            if not data:            # the test closed its end
                s.close()
                return 0
            try:
                s.sendall(data)
            except OSError:
                return 0
        if sfd in readable:
            try:
                data = s.recv(1 << 16)
            except OSError:
                data = b""
            if not data:            # the server closed the connection
                return 0
            view = memoryview(data)
            while view:
                try:
                    n = os.write(1, view)
                except BrokenPipeError:
                    return 0
                view = view[n:]


if __name__ == "__main__":
    sys.exit(main())
