"""Issue 15 through the real binary: several `coregate serve` nodes on one PostgreSQL database
(SPEC §11). The server is the private one `make test` starts (Tests/PostgreSQL/with-server.sh);
each test gets a database of its own."""
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from http.client import HTTPConnection

import pytest

from harness import cli, handler_script, lines, onprem_text, wait_until, write_tenant

SERVER = os.environ.get("COREGATE_TEST_POSTGRESQL")
PASSWORD = os.environ.get("COREGATE_TEST_POSTGRESQL_PASSWORD", "")
if not SERVER:
    if os.environ.get("COREGATE_REQUIRE_POSTGRESQL"):
        raise RuntimeError("COREGATE_REQUIRE_POSTGRESQL is set but COREGATE_TEST_POSTGRESQL is not")
    pytest.skip("no PostgreSQL server (make test starts one)", allow_module_level=True)

RECORD = 'read -r event; echo "$COREGATE_EVENT_ID $COREGATE_ATTEMPT" >> {out}\n'


def psql(sql, database="postgres"):
    url = SERVER.rsplit("/", 1)[0] + "/" + database
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   env={**os.environ, "PGPASSWORD": PASSWORD}, capture_output=True)


def scalar(sql, database):
    url = SERVER.rsplit("/", 1)[0] + "/" + database
    out = subprocess.run(["psql", "-tA", url, "-c", sql], check=True, env={**os.environ, "PGPASSWORD": PASSWORD},
                         capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture
def database():
    name = "e2e_" + uuid.uuid4().hex[:12]
    psql(f"CREATE DATABASE {name}")
    yield name


@pytest.fixture
def shared_config(workdir, database):
    """A global file that puts the queue in the test's database, its password given by reference."""
    config = workdir / "coregate.toml"
    config.write_text(
        f'store = "{SERVER.rsplit("/", 1)[0]}/{database}"\n'
        'store_password = "env:COREGATE_STORE_PASSWORD"\n')
    return config


STORE_ENV = {"COREGATE_STORE_PASSWORD": PASSWORD}


def queue_tenant(handler, concurrency=8, timeout="2s"):
    return (
        'sender = "on-premises"\n'
        f'[delivery]\nconcurrency = {concurrency}\nmax_attempts = 8\nbackoff_initial = "100ms"\nbackoff_max = "1s"\n'
        f'[[handlers]]\nname = "h"\nevents = ["message.*"]\ncommand = ["{handler}"]\ntimeout = "{timeout}"\n'
    )


def post(port, body, timeout=10):
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/webhooks/acme", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_work_stored_through_a_busy_node_is_delivered_by_the_other(workdir, tenants, start, shared_config):
    out = workdir / "delivered.txt"
    release = workdir / "release"
    # The handler records which gateway ran it (its parent); the blocker holds its slot until released.
    handler = handler_script(workdir, "record.sh", (
        'read -r event\n'
        f'if [ "$COREGATE_EVENT_ID" = msg:wamid.blocker ]; then while [ ! -e {release} ]; do sleep 0.1; done; fi\n'
        f'echo "$COREGATE_EVENT_ID $PPID" >> {out}\n'))
    write_tenant(tenants, "acme", queue_tenant(handler, timeout="60s"))
    one_slot = workdir / "one-slot.toml"
    one_slot.write_text(shared_config.read_text() + "concurrency = 1\n")
    a = start(config=one_slot, env=STORE_ENV)
    assert a.post("/webhooks/acme", onprem_text("wamid.blocker", sender="15550000001"))[0] == 200
    wait_until(lambda: scalar("SELECT COUNT(*) FROM delivery WHERE state = 'running'", database_of(shared_config)) == "1",
               what="node a to run the blocker")
    b = start(config=shared_config, env=STORE_ENV)

    # Node a has no free slot: the event it stores is node b's to run, which it learns of from
    # the database's notification (or, failing that, its look at the queue every 5 s).
    posted = time.monotonic()
    assert a.post("/webhooks/acme", onprem_text("wamid.across", sender="15550000002"))[0] == 200
    wait_until(lambda: lines(out), timeout=30, what="delivery by node b")
    print(f"\nstored through node a, run by node b {time.monotonic() - posted:.2f}s later")
    assert lines(out) == [f"msg:wamid.across {b.proc.pid}"]
    release.touch()
    wait_until(lambda: len(lines(out)) == 2, what="the blocker to finish")
    assert lines(out)[1] == f"msg:wamid.blocker {a.proc.pid}"
    assert a.stop() == 0 and b.stop() == 0


def database_of(config):
    return config.read_text().split('"')[1].rsplit("/", 1)[1]


def test_a_delivery_of_a_killed_node_is_run_by_the_other_after_its_lease_with_the_attempt_counted(
        workdir, tenants, start, shared_config):
    out = workdir / "delivered.txt"
    pids = workdir / "pids.txt"
    # The first attempt hangs (its node dies under it); later attempts record and succeed.
    handler = handler_script(workdir, "first-hangs.sh", (
        'read -r event\n'
        f'if [ "$COREGATE_ATTEMPT" = 1 ]; then echo $$ >> {pids}; exec sleep 60; fi\n'
        f'echo "$COREGATE_EVENT_ID $COREGATE_ATTEMPT" >> {out}\n'))
    write_tenant(tenants, "acme", queue_tenant(handler, timeout="3s"))
    a = start(config=shared_config, env=STORE_ENV)
    assert a.post("/webhooks/acme", onprem_text("wamid.orphan"))[0] == 200
    wait_until(lambda: lines(pids), what="the first attempt to start on node a")
    a.kill()
    for pid in lines(pids):
        os.kill(int(pid), signal.SIGKILL)

    b = start(config=shared_config, env=STORE_ENV)
    killed = time.monotonic()
    # The lease is the longest handler timeout (3 s) plus a grace of 10 s.
    wait_until(lambda: lines(out), timeout=60, what="node b to take the delivery over")
    waited = time.monotonic() - killed
    assert lines(out) == ["msg:wamid.orphan 2"]
    assert waited > 5, f"taken over after {waited:.1f}s: before the lease ran out"
    shown = cli("events", "show", "msg:wamid.orphan", "--config", str(shared_config), "--tenants-dir", str(tenants),
                env={"PATH": os.environ["PATH"], **STORE_ENV}).stdout
    assert "interrupted" in shown and "succeeded" in shown
    assert b.stop() == 0


def test_two_nodes_20000_events_one_killed_and_restarted_every_acknowledged_event_delivered_in_order(
        workdir, tenants, start, shared_config, database):
    out = workdir / "delivered.txt"
    write_tenant(tenants, "acme", queue_tenant(handler_script(workdir, "record.sh", RECORD.format(out=out)), concurrency=16))
    nodes = [start(config=shared_config, env=STORE_ENV), start(config=shared_config, env=STORE_ENV)]
    ports = [node.port for node in nodes]
    total, contacts, senders = 20_000, 200, 16
    per_contact = total // contacts
    acked, lock = set(), threading.Lock()
    retried = [0]

    def sender(worker):
        # Each sender owns some contacts and sends each contact's events in order, as WhatsApp
        # does: the next only after the previous got 200, from either node. A failure (the
        # killed node, a 503) is retried, on the other node.
        mine = list(range(worker, contacts, senders))
        turn = worker
        for n in range(per_contact):
            for contact in mine:
                message_id = f"wamid.c{contact:03d}-{n:03d}"
                body = onprem_text(message_id, sender=f"1555{contact:07d}")
                deadline = time.monotonic() + 120
                while True:
                    turn += 1
                    try:
                        if post(ports[turn % 2], body) == 200:
                            break
                    except OSError:
                        pass
                    with lock:
                        retried[0] += 1
                    assert time.monotonic() < deadline, f"{message_id} never acknowledged"
                    time.sleep(0.05)
                with lock:
                    acked.add("msg:" + message_id)

    threads = [threading.Thread(target=sender, args=(w,), daemon=True) for w in range(senders)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acked) >= total // 3, timeout=600, interval=0.2, what="a third acknowledged")
    nodes[1].kill()
    acked_at_kill = len(acked)
    time.sleep(3)
    nodes[1] = start(config=shared_config, env=STORE_ENV, port=ports[1])
    for thread in threads:
        thread.join(900)
    assert len(acked) == total and acked_at_kill < total

    def delivered():
        return {line.split()[0] for line in lines(out)}
    wait_until(lambda: delivered() >= acked, timeout=600, interval=0.5, what="every acknowledged event delivered")
    records = [line.split()[0] for line in lines(out)]
    by_contact = {}
    for event in records:
        contact, n = event.removeprefix("msg:wamid.c").split("-")
        by_contact.setdefault(contact, []).append(int(n))
    for contact, numbers in by_contact.items():
        first_seen = list(dict.fromkeys(numbers))
        assert first_seen == sorted(first_seen), f"contact {contact} delivered out of order"
    duplicates = len(records) - len(set(records))
    stored = int(scalar("SELECT COUNT(*) FROM event", database))
    print(f"\ntwo nodes: {total} events acknowledged ({retried[0]} retries after failures), "
          f"node killed at {acked_at_kill}; {stored} stored once each; "
          f"{duplicates} delivered more than once")
    assert stored == total
    assert all(node.stop() == 0 for node in nodes)


class Proxy:
    """A TCP forwarder between a node and the database server, which the test can cut: the
    database is then unreachable to that node, as after a network failure."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = None
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()

    def up(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self):
        # shutdown() first: a close() alone leaves the thread blocked in accept() accepting.
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets = []

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def test_while_the_database_is_unreachable_requests_get_503_and_nothing_acknowledged_is_lost(
        workdir, tenants, start, database):
    out = workdir / "delivered.txt"
    write_tenant(tenants, "acme", queue_tenant(handler_script(workdir, "record.sh", RECORD.format(out=out))))
    proxy = Proxy(int(SERVER.rsplit(":", 1)[1].split("/")[0]))
    proxy.up()
    config = workdir / "coregate.toml"
    config.write_text(
        f'store = "postgresql://coregate@127.0.0.1:{proxy.port}/{database}"\n'
        'store_password = "env:COREGATE_STORE_PASSWORD"\n')
    gw = start(config=config, env=STORE_ENV)
    assert gw.post("/webhooks/acme", onprem_text("wamid.before"))[0] == 200
    wait_until(lambda: "msg:wamid.before 1" in lines(out), what="the first delivery")

    proxy.down()
    status, body, _ = gw.post("/webhooks/acme", onprem_text("wamid.during"), timeout=60)
    assert status == 503, body

    proxy.up()
    # The sender retries until it gets 200; the retry is stored and delivered once.
    status = wait_until(lambda: gw.post("/webhooks/acme", onprem_text("wamid.during"), timeout=60)[0] == 200,
                        timeout=60, interval=1, what="200 once the database is back")
    wait_until(lambda: "msg:wamid.during 1" in lines(out), timeout=30, what="the retried event delivered")
    assert [line.split()[0] for line in lines(out)] == ["msg:wamid.before", "msg:wamid.during"]
    assert gw.stop() == 0
