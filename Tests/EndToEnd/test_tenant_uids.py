"""`handler_uids` outside systemd: the real binary as root sets each tenant's handlers apart, and
refuses to start rather than run them all as itself when it cannot.

Under systemd, with the shipped unit, test_systemd.py tries what a handler can and cannot read.
"""
import os
import subprocess

from harness import BIN, cli, handler_script, onprem_text, wait_until, write_tenant

UIDS = "820000-820099"
RECORD_UID = 'read -r event\nid -u > "$COREGATE_STATE_DIR/uid"\n'


def must_be_root():
    assert os.geteuid() == 0, "handlers under tenants' uids need root: run the end-to-end tests as root"


def isolated_setup(workdir, tenants, tenant_ids=("acme",)):
    """A global file with handler_uids, and tenants whose handler records the uid it ran as."""
    # The test's folders are 0700 as made; tenants' uids must pass through them to their own.
    for folder in (workdir, workdir / "conf", tenants.parent / "handlers"):
        folder.chmod(0o711 if folder != tenants.parent / "handlers" else 0o755)
    handler = handler_script(tenants.parent / "handlers", "record-uid.sh", RECORD_UID)
    for tenant in tenant_ids:
        write_tenant(tenants, tenant, f'sender = "on-premises"\n[[handlers]]\nname = "who"\ncommand = ["{handler}"]\n')
    config = workdir / "conf" / "coregate.toml"
    config.write_text(f'handler_uids = "{UIDS}"\n')
    return config


def recorded_uid(workdir, tenant):
    path = workdir / "state" / "tenants" / tenant / "uid"
    wait_until(lambda: path.exists() and path.read_text().strip(), what=f"{tenant}'s handler to run")
    return int(path.read_text())


def test_each_tenants_handlers_run_as_a_uid_of_its_own(start, workdir, tenants):
    must_be_root()
    config = isolated_setup(workdir, tenants, ("acme", "globex"))
    gw = start(config=config)
    for tenant in ("acme", "globex"):
        assert gw.post(f"/webhooks/{tenant}", onprem_text(f"wamid.uid-{tenant}"))[0] == 200
    acme, globex = recorded_uid(workdir, "acme"), recorded_uid(workdir, "globex")
    assert acme != globex and {acme, globex} <= set(range(820000, 820100)), (acme, globex)
    folder = os.stat(workdir / "state" / "tenants" / "acme")
    assert (folder.st_uid, folder.st_gid, folder.st_mode & 0o777) == (acme, acme, 0o700)
    assert "each tenant's handlers run as a uid of its own" in gw.log()

    # run-handler, as root, runs the handler as the uid the service gave the tenant.
    (workdir / "state" / "tenants" / "acme" / "uid").unlink()
    cli("run-handler", "--config", str(config), "--tenant", "acme", "--handler", "who",
        str(write_event(workdir)), tenants_dir=tenants, state_dir=workdir / "state")
    assert recorded_uid(workdir, "acme") == acme


def write_event(workdir):
    path = workdir / "body.json"
    path.write_bytes(onprem_text("wamid.by-hand"))
    return path


def test_without_handler_uids_handlers_run_as_the_service_and_the_log_says_so(start, workdir, tenants):
    handler = handler_script(tenants.parent / "handlers", "record-uid.sh", RECORD_UID)
    write_tenant(tenants, "acme", f'sender = "on-premises"\n[[handlers]]\nname = "who"\ncommand = ["{handler}"]\n')
    gw = start()
    assert gw.post("/webhooks/acme", onprem_text("wamid.as-service"))[0] == 200
    assert recorded_uid(workdir, "acme") == os.geteuid()
    assert "handlers run as the service's own user; set handler_uids" in gw.log()


def serve_once(config, tenants, state, launcher=()):
    """Starts serve and returns it once it has ended by itself (it is expected to refuse)."""
    return subprocess.run([*launcher, str(BIN), "serve", "--config", str(config), "--tenants-dir", str(tenants),
                           "--state-dir", str(state), "--listen", "127.0.0.1:0"],
                          capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})


def test_serve_refuses_handler_uids_it_cannot_honour_without_privileges(workdir, tenants):
    must_be_root()
    config = isolated_setup(workdir, tenants)
    state = workdir / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    done = serve_once(config, tenants, state,
                      launcher=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"))
    assert done.returncode == 1, done.stderr
    assert ("handler_uids is set, but this process (uid 65534) lacks CAP_CHOWN, CAP_KILL, CAP_SETGID, CAP_SETUID"
            in done.stderr), done.stderr


def test_serve_refuses_handler_uids_when_tenants_could_not_reach_their_folders(workdir, tenants):
    must_be_root()
    config = isolated_setup(workdir, tenants)
    workdir.chmod(0o700)
    done = serve_once(config, tenants, workdir / "state")
    assert done.returncode == 1, done.stderr
    assert f"{workdir} (mode 700) does not let other users pass" in done.stderr, done.stderr


def test_run_handler_refuses_handler_uids_without_privileges(workdir, tenants):
    must_be_root()
    config = isolated_setup(workdir, tenants)
    body = write_event(workdir)
    body.chmod(0o644)
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                           str(BIN), "run-handler", "--config", str(config), "--tenants-dir", str(tenants),
                           "--state-dir", str(workdir / "state"), "--tenant", "acme", "--handler", "who", str(body)],
                          capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "handler_uids is set, but this process (uid 65534) lacks" in done.stderr, done.stderr
    assert not (workdir / "state" / "tenants" / "acme").exists(), "nothing ran, as the service's user or any"


def test_check_warns_about_a_handler_program_that_tenants_uids_cannot_run(workdir, tenants):
    config = isolated_setup(workdir, tenants)
    program = tenants.parent / "handlers" / "record-uid.sh"
    done = cli("check", "--config", str(config), tenants_dir=tenants)
    assert "cannot be read and run by other users" not in done.stdout, done.stdout
    program.chmod(0o750)
    done = cli("check", "--config", str(config), tenants_dir=tenants)
    assert f"{tenants}/acme.toml:4: warning:" in done.stdout, done.stdout
    assert f"the program {program} (mode 750) cannot be read and run by other users, but handler_uids" in done.stdout
