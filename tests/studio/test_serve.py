"""`ganforge studio` through the real CLI and serve(): port range, the non-loopback warning,
a busy port, and the request-size limit and UI as wired into the real app."""

import shutil
import socket
import threading

import pytest

from ganforge.cli import main
from ganforge.studio import app as studio_app
from ganforge.studio.bodylimit import MAX_BODY_BYTES
from ganforge.studio.service import Studio


@pytest.fixture
def runs(tiny_run, tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(tiny_run, root / "tiny")
    return root


class FakeServer:
    """Stands in for the uvicorn thread only: serve() itself (checks, warning, loop, stop) runs for real."""

    made: list["FakeServer"] = []

    def __init__(self, root, host="127.0.0.1", port=7860, out_dir=None):
        self.studio, self.host, self.port, self.stopped = Studio(root, out_dir=out_dir), host, port, False
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=lambda: None)  # "serves" and ends at once
        FakeServer.made.append(self)

    def start(self, timeout=30.0):
        self.thread.start()
        return self

    def stop(self, timeout=10.0):
        self.stopped = True


@pytest.fixture
def fake_server(monkeypatch):
    FakeServer.made = []
    monkeypatch.setattr(studio_app, "Server", FakeServer)
    return FakeServer.made


def test_studio_command_serves_the_folder_on_loopback_without_a_warning(runs, fake_server, capsys):
    assert main(["studio", str(runs), "--port", "7999"]) == 0
    (server,) = fake_server
    assert (server.host, server.port, server.stopped) == ("127.0.0.1", 7999, True)
    out = capsys.readouterr().out
    assert "1 runs from" in out and "warning" not in out


def test_non_loopback_host_is_served_with_a_warning(runs, fake_server, capsys):
    assert main(["studio", str(runs), "--host", "0.0.0.0", "--port", "8001"]) == 0
    assert fake_server[0].host == "0.0.0.0"
    assert "warning: serving on 0.0.0.0: anyone who can reach this address can use the studio" in capsys.readouterr().out


@pytest.mark.parametrize("port", ["0", "65536", "-5"])
def test_port_out_of_range_is_a_one_line_error(runs, fake_server, port, capsys):
    assert main(["studio", str(runs), "--port", port]) == 2
    assert f"--port must be between 1 and 65535, got {port}" in capsys.readouterr().err
    assert fake_server == []  # refused before any server was made


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn's thread exits
def test_busy_port_is_a_one_line_error(runs, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["studio", str(runs), "--port", str(port)]) == 2
    assert "did not start on http://127.0.0.1:" in capsys.readouterr().err


@pytest.fixture
def client(runs, tmp_path):
    from fastapi.testclient import TestClient

    with TestClient(studio_app.build_app(Studio(runs, out_dir=tmp_path / "out"))) as c:
        yield c


def test_app_refuses_bodies_over_the_limit_with_413(client):
    big = b"x" * (MAX_BODY_BYTES + 1)
    assert client.post("/gradio_api/queue/join", content=big).status_code == 413
    assert client.post("/gradio_api/queue/join", content=b"{}").status_code != 413  # the limit, not every POST


def test_app_serves_the_page_with_the_studio_widgets_wired(client):
    page = client.get("/")
    assert page.status_code == 200 and "ganforge studio" in page.text
    config = client.get("/config").json()
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"run", "checkpoint", "seed", "truncation", "generate", "grid", "interpolate", "walk"} <= ids
    runs = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "run")
    assert runs["props"]["value"] == "tiny"
