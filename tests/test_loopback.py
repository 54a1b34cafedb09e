"""The tests' loopback server stays quiet when a client hangs up before reading its answer:
socketserver's traceback would land in the output of a CLI command a test is capturing."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from tests.loopback import Route, serve


def test_a_client_hanging_up_mid_answer_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with serve({"/big": Route(body=b"x" * 5_000_000)}) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for _ in range(3):
            with socket.create_connection((host, int(port))) as client:
                client.sendall(b"GET /big HTTP/1.1\r\nHost: loopback\r\n\r\n")
                assert client.recv(100).startswith(b"HTTP/1.0 200")
                # close with a reset: the server's next write fails at once
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.3)
        assert len(server.seen) == 3
    assert capsys.readouterr().err == ""
