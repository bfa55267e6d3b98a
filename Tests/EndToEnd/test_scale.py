"""The delivery engine at the scale of a real box (issue 10): hundreds of tenants at the default
limits, one tenant's long backlog beside many small ones, and a gateway out of descriptors."""
import os
import socket
from http.client import HTTPConnection

from harness import cli, free_port, handler_script, lines, onprem_text, wait_until, write_tenant

# One short line per run, appended: O_APPEND writes this small are atomic, so many handlers can share a file.
RECORD = 'read -r event; echo "$COREGATE_TENANT $COREGATE_EVENT_ID $COREGATE_ATTEMPT" >> {out}\n'


def queue_tenant(handler, concurrency=None, timeout="10s"):
    delivery = f"[delivery]\nconcurrency = {concurrency}\n" if concurrency else ""
    return (
        'sender = "on-premises"\n' + delivery +
        '[[handlers]]\nname = "h"\nevents = ["message.*"]\n'
        f'command = ["{handler}"]\ntimeout = "{timeout}"\n'
    )


def post_all(port, posts):
    """Posts (path, body) pairs over one keep-alive connection; every answer must be a 200."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    for path, body in posts:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200, (path, resp.status, resp.read())
        resp.read()
    conn.close()


def test_500_tenants_at_the_default_limits_all_get_their_event(workdir, tenants, start):
    out = workdir / "delivered.txt"
    handler = handler_script(workdir, "record.sh", RECORD.format(out=out))
    ids = [f"t{i:03d}" for i in range(500)]
    for tenant in ids:
        write_tenant(tenants, tenant, queue_tenant(handler))
    gw = start()

    post_all(gw.port, [(f"/webhooks/{t}", onprem_text(f"wamid.scale-{t}")) for t in ids])

    wait_until(lambda: len(lines(out)) >= 500, timeout=180, what="500 deliveries")
    delivered = [line.split() for line in lines(out)]
    assert sorted(t for t, _, _ in delivered) == ids, "every tenant once, none twice"
    assert all(attempt == "1" for _, _, attempt in delivered)


def test_a_long_backlog_delays_40_other_tenants_by_about_one_run(workdir, tenants, start):
    out = workdir / "delivered.txt"
    slow = handler_script(workdir, "slow.sh", RECORD.format(out=out) + "sleep 0.2\n")
    quick = handler_script(workdir, "quick.sh", RECORD.format(out=out))
    # Sorted first by id, as the tenant that took every slot before the scheduler was fair.
    write_tenant(tenants, "aaa-busy", queue_tenant(slow, concurrency=4))
    newcomers = [f"n{i:02d}" for i in range(40)]
    for tenant in newcomers:
        write_tenant(tenants, tenant, queue_tenant(quick))
    config = workdir / "coregate.toml"
    config.write_text("concurrency = 4\n")  # the busy tenant's own concurrency: it could hold every slot
    gw = start(config=config)

    backlog = 200  # 200 runs of 0.2 s at 4 at once: about 10 s to drain
    post_all(gw.port, [("/webhooks/aaa-busy", onprem_text(f"wamid.busy-{i}", sender=f"1555{i:07d}")) for i in range(backlog)])
    wait_until(lambda: len(lines(out)) >= 4, what="the backlog to start draining")
    post_all(gw.port, [(f"/webhooks/{t}", onprem_text(f"wamid.new-{t}")) for t in newcomers])

    wait_until(lambda: {line.split()[0] for line in lines(out)} >= set(newcomers), timeout=60, what="every newcomer")
    order = [line.split()[0] for line in lines(out)]
    last_newcomer = max(i for i, tenant in enumerate(order) if tenant in newcomers)
    busy_before = order[:last_newcomer].count("aaa-busy")
    # Each freed slot goes to a newcomer before the busy tenant gets it back, so all 40 are done
    # within a few of the busy tenant's runs, long before its 200 have drained.
    assert busy_before < backlog // 4, f"{busy_before} of the backlog ran before the last newcomer"
    wait_until(lambda: len(lines(out)) >= backlog + 40, timeout=120, what="the backlog to drain")


def test_a_gateway_out_of_descriptors_puts_runs_off_without_counting_an_attempt(workdir, tenants, start):
    out = workdir / "delivered.txt"
    handler = handler_script(workdir, "record.sh", RECORD.format(out=out))
    write_tenant(tenants, "acme", queue_tenant(handler, concurrency=1))
    config = workdir / "coregate.toml"
    config.write_text("max_connections = 4000\n")
    limit = 128
    port = free_port()
    gw = start(config=config, port=port, launcher=("prlimit", f"--nofile={limit}:{limit}", "--"),
               extra_args=["--listen", f"127.0.0.1:{port}"])

    # Every descriptor the gateway may open is taken by idle connections...
    sent = HTTPConnection("127.0.0.1", gw.port, timeout=30)
    sent.connect()
    idle = []
    fd_folder = f"/proc/{gw.proc.pid}/fd"

    def open_descriptors():
        return len(os.listdir(fd_folder))

    while open_descriptors() < limit and len(idle) < limit:
        idle.append(socket.create_connection(("127.0.0.1", gw.port)))
        wait_until(lambda: open_descriptors() >= limit or len(idle) <= open_descriptors(), timeout=5, what="the accept")
    wait_until(lambda: open_descriptors() >= limit, timeout=10, what="the descriptor limit")

    # ...so its handler cannot start: the event is stored, and put off, not failed.
    sent.request("POST", "/webhooks/acme", body=onprem_text("wamid.fd-1"), headers={"Content-Type": "application/json"})
    resp = sent.getresponse()
    assert resp.status == 200, resp.read()
    resp.read()
    wait_until(lambda: "short of resources" in gw.log(), timeout=20, what="the shortage in the log")
    show = cli("events", "show", "msg:wamid.fd-1", state_dir=workdir / "state").stdout
    assert "delivery h: pending, round 1, 0 attempt(s)" in show, show
    assert lines(out) == []

    # Once descriptors are free again it runs, as its first attempt.
    for connection in idle:
        connection.close()
    wait_until(lambda: lines(out), timeout=30, what="the delivery")
    assert lines(out) == ["acme msg:wamid.fd-1 1"]
    sent.close()
