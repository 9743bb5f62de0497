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
