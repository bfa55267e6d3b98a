"""`coregate check` through the real binary: every problem as FILE:LINE, exit 0 only when valid."""
import subprocess

import pytest

from harness import BIN, REPO, write_tenant


def check(tenants_dir, env=None, *extra):
    return subprocess.run(
        [str(BIN), "check", "--tenants-dir", str(tenants_dir), *extra],
        capture_output=True, text=True, timeout=30, env=env or {"PATH": "/usr/bin:/bin"})


def test_the_repository_examples_are_valid():
    proc = check(REPO / "tenants")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok:" in proc.stdout


BROKEN = [
    # (file text, line, words the message must contain)
    ('sender = "on-premises"\n\ncolour = "blue"\n', 3, "colour"),
    ('sender = "on-premises"\n[delivery]\nmax_attempts = "eight"\n', 3, "max_attempts"),
    ('sender = "on-premises"\n[[handlers]]\nname = "a"\ncommand = ["/bin/true"]\ntimeout = "10 parsecs"\n', 5, "timeout"),
    ('sender = "on-premises"\npath_token = "credential:nope"\n', 2, "path_token"),
    ('sender = "on-premises"\n[verify]\nbearer = "file:/nonexistent/secret"\n', 3, "bearer"),
    ('sender = "on-premises"\n[verify]\nhmac_sha256 = ["env:COREGATE_TEST_UNSET"]\n', 3, "hmac_sha256"),
    ('sender = "cloud"\n[verify]\nallow_from = ["10.0.0.0/33"]\n', 3, "allow_from"),
    ('sender = "on-premises"\n[delivery]\nmode = "sometimes"\n', 3, "mode"),
    ('sender = "on-premises"\n[[handlers]]\nname = "a"\ncommand = ["/bin/true"]\nmode = "fastcgi"\n', 5, "stream"),
    ('sender = "on-premises"\n[[handlers]]\nname = "a"\ncommand = ["/bin/true"]\nmode = "stream"\nworkers = 0\n', 6,
     "workers"),
    ('sender = "on-premises"\n[[handlers]]\nname = "a"\nmode = "stream"\ncommand = ["/bin/true"]\n\nmax_inflight = "many"\n',
     7, "max_inflight"),
    ('sender = "on-premises"\nthis is not toml\n', 2, ""),
    # The [reply] table (issue 14); env:PATH resolves in check's environment, so only the named key is wrong.
    ('sender = "cloud"\n[reply]\ntoken = "env:COREGATE_TEST_UNSET"\n', 3, "token"),
    ('sender = "cloud"\n[reply]\ntoken = "env:PATH"\napi_version = "26"\n', 4, "api_version"),
    ('sender = "on-premises"\n[reply]\ntoken = "env:PATH"\n', 2, "base_url"),
    ('sender = "cloud"\n[reply]\ntoken = "env:PATH"\nbase_url = "ftp://graph.example"\n', 4, "base_url"),
    ('sender = "cloud"\n[reply]\ntoken = "env:PATH"\n\nmax_tries = 3\n', 5, "max_tries"),
    ('sender = "cloud"\n[reply]\ntoken = "env:PATH"\ntimeout = "soon"\n', 4, "timeout"),
]


@pytest.mark.parametrize("text,line,word", BROKEN)
def test_each_broken_file_is_reported_at_its_line(tenants, text, line, word):
    path = write_tenant(tenants, "acme", text)
    proc = check(tenants)
    assert proc.returncode != 0
    matching = [l for l in proc.stdout.splitlines() if l.startswith(f"{path}:{line}:")]
    assert matching, proc.stdout
    assert word in matching[0]


def test_bad_tenant_id_and_duplicate_path_are_both_reported(tenants):
    write_tenant(tenants, "Bad_Id", 'sender = "on-premises"\n')
    write_tenant(tenants, "one", 'sender = "on-premises"\npath = "/hooks/same"\n')
    write_tenant(tenants, "two", 'sender = "on-premises"\n\npath = "/hooks/same"\n')
    proc = check(tenants)
    assert proc.returncode != 0
    out = proc.stdout
    assert "Bad_Id.toml" in out
    assert f"{tenants}/two.toml:3:" in out or f"{tenants}/one.toml:2:" in out, out


def test_stream_keys_on_an_exec_handler_are_a_warning_at_their_line(tenants):
    path = write_tenant(tenants, "acme", 'sender = "on-premises"\n[[handlers]]\nname = "a"\ncommand = ["/bin/true"]\n'
                                         'workers = 4\n')
    proc = check(tenants)
    assert proc.returncode == 0, proc.stdout
    assert any(l.startswith(f"{path}:5:") and "warning" in l and "stream" in l for l in proc.stdout.splitlines()), proc.stdout


def test_a_literal_secret_is_a_warning_not_an_error(tenants):
    write_tenant(tenants, "acme", 'sender = "on-premises"\n[verify]\nbearer = "hunter2-literal"\n')
    proc = check(tenants)
    assert proc.returncode == 0, proc.stdout
    assert "warning" in proc.stdout and f"acme.toml:3:" in proc.stdout
    assert "hunter2-literal" not in proc.stdout + proc.stderr


def test_secret_references_resolve_in_the_environment_check_runs_in(tenants, workdir):
    creds = workdir / "creds"
    creds.mkdir()
    (creds / "acme-path").write_text("t0ken\n")
    write_tenant(tenants, "acme", 'sender = "on-premises"\npath_token = "credential:acme-path"\n'
                 '[verify]\nbearer = "env:ACME_BEARER"\n')
    assert check(tenants).returncode != 0
    env = {"PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": str(creds), "ACME_BEARER": "b"}
    proc = check(tenants, env)
    assert proc.returncode == 0, proc.stdout


def test_every_problem_is_printed_not_just_the_first(tenants):
    write_tenant(tenants, "a", 'sender = "on-premises"\nx = 1\n')
    write_tenant(tenants, "b", 'sender = "on-premises"\ny = 2\n')
    proc = check(tenants)
    assert "a.toml:2:" in proc.stdout and "b.toml:2:" in proc.stdout
