import io
import socket

import pytest
from django.core.management import CommandError, call_command


def test_check_port_passes_on_a_free_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    out, err = io.StringIO(), io.StringIO()
    call_command("check_port", str(free_port), stdout=out, stderr=err)  # no CommandError
    assert (out.getvalue(), err.getvalue()) == ("", "")
    # It lets the port go again: the server that `make run` starts next can have it.
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port))
        assert server.getsockname()[1] == free_port


def test_check_port_says_clearly_that_the_port_is_taken() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=rf"Port {port} .* already in use.*PORT={port + 1}"):
            call_command("check_port", str(port))


def _port_in_time_wait() -> int:
    """A port whose only socket is a closed connection in TIME-WAIT: the server side
    closed first (as gunicorn does when it stops), and nothing listens any more."""
    with socket.socket() as listener:
        # gunicorn's and runserver's listeners reuse addresses, and so do their connections.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _address = listener.accept()
        accepted.close()  # the side that closes first keeps the port in TIME-WAIT
        client.recv(1)  # sees the close
        client.close()
    with socket.socket() as naive, pytest.raises(OSError):  # what tripped the old check
        naive.bind(("127.0.0.1", port))
    return port


def test_check_port_passes_when_only_a_closed_connection_holds_the_port() -> None:
    """`make serve` right after a busy server stopped: TIME-WAIT sockets, no listener."""
    call_command("check_port", str(_port_in_time_wait()))
