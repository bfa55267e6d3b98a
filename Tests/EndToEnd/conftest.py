"""Fixtures for the end-to-end tests; the harness itself is in harness.py so benchmarks can share it."""
import shutil
import tempfile
from pathlib import Path

import pytest

from harness import BIN, FIXTURES, REPO, Coregate, NotifySocket, fields, fixture_bytes, free_port, write_tenant  # noqa: F401
from pki import PKI


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="coregate-e2e-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tenants(workdir):
    """A tenants folder beside a handlers folder, as in the repository and in /etc/coregate."""
    d = workdir / "conf" / "tenants"
    d.mkdir(parents=True)
    (workdir / "conf" / "handlers").mkdir()
    return d


@pytest.fixture
def start(workdir, tenants):
    started = []

    def _start(**kwargs):
        # Every gateway of a test shares its state folder, so a restart finds the queue it left;
        # each gets its own notify socket and log (see Coregate.started).
        gw = Coregate(workdir, kwargs.pop("tenants_dir", tenants), **kwargs)
        started.append(gw)
        gw.wait_ready()
        return gw

    yield _start
    for gw in started:
        gw.kill()


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """One private CA for the whole run; tests ask it for the certificates they need."""
    return PKI(tmp_path_factory.mktemp("pki"))
