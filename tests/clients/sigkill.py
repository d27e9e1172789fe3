#!/usr/bin/env python3
"""(e) helper: bad input, then alert ingestion cut by SIGKILL.

  sigkill.py attack URL LOGIN PASSWORD DAEMON_PID ACKED_FILE
      bad requests get their exact error status and the LAPI keeps answering; then four
      threads POST one alert each until the daemon is killed with SIGKILL after 200
      acknowledgements; every (id, ip) acknowledged with 201 is written to ACKED_FILE.
  sigkill.py verify URL LOGIN PASSWORD ACKED_FILE
      after a restart, every acknowledged alert is there with its source ip.
"""
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request

UA = "cw-acceptance/v1"


def request(url, method="GET", body=None, token=None, headers=None):
    h = {"User-Agent": UA}
    if body is not None:
        h["Content-Type"] = "application/json"
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def login(base, user, password):
    st, body = request(base + "v1/watchers/login", "POST",
                       json.dumps({"machine_id": user, "password": password, "scenarios": []}))
    assert st == 200, (st, body)
    return json.loads(body)["token"]


def alert(ip):
    t = "2026-12-03T10:00:00Z"
    return {"scenario": "test/sigkill", "scenario_hash": "", "scenario_version": "",
            "message": "sigkill " + ip, "events_count": 1, "start_at": t, "stop_at": t,
            "capacity": 1, "leakspeed": "1s", "simulated": False, "remediation": True,
            "source": {"scope": "Ip", "value": ip, "ip": ip},
            "events": [{"timestamp": t, "meta": [{"key": "source_ip", "value": ip}]}]}


def expect(what, got, want):
    if got != want:
        sys.exit(f"{what}: got {got!r}, want {want!r}")


def bad_input(base, token):
    health = lambda: request(base + "health")[0]
    st, body = request(base + "v1/alerts", "POST", "[{not json", token=token)
    expect("malformed JSON", st, 400)
    st, body = request(base + "v1/alerts", "POST", '[{"scenario":"x"}]', token=token)
    expect("alert missing required fields", st, 500)
    if b"validation failure" not in body:
        sys.exit(f"validation message: {body!r}")
    st, body = request(base + "v1/alerts", "POST", "[]")
    expect("no token", st, 401)
    expect("no token body", json.loads(body), {"code": 401, "message": "cookie token is empty"})
    st, _ = request(base + "v1/alerts", "POST", "[]", token="not.a.token")
    expect("forged token", st, 401)
    st, _ = request(base + "v1/watchers/login", "POST", "x" * (3 << 20))
    expect("3 MiB unauthenticated body", st, 413)
    st, body = request(base + "v1/decisions", headers={"X-Api-Key": "wrong"})
    expect("bad bouncer key", (st, json.loads(body)), (403, {"message": "access forbidden"}))
    st, _ = request(base + "v1/nope")
    expect("unknown route", st, 404)
    expect("health after bad input", health(), 200)


def attack(base, user, password, pid, acked_file):
    token = login(base, user, password)
    bad_input(base, token)
    acked = []
    lock = threading.Lock()
    killed = threading.Event()

    def worker(n):
        k = 0
        while not killed.is_set():
            k += 1
            ip = f"10.{n}.{k // 250}.{k % 250 + 1}"
            try:
                st, body = request(base + "v1/alerts", "POST", json.dumps([alert(ip)]), token=token)
            except Exception:
                return  # connection refused or reset: the daemon is gone
            if st == 201:
                ids = json.loads(body)
                with lock:
                    acked.append((int(ids[0]), ip))
                    if len(acked) >= 200 and not killed.is_set():
                        os.kill(pid, signal.SIGKILL)
                        killed.set()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if not killed.is_set():
        sys.exit("the daemon stopped answering before 200 alerts were acknowledged")
    json.dump(acked, open(acked_file, "w"))
    print(f"{len(acked)} alerts acknowledged before SIGKILL")


def verify(base, user, password, acked_file):
    acked = json.load(open(acked_file))
    token = login(base, user, password)
    st, body = request(base + "v1/alerts?limit=0&include_capi=false", token=token)
    expect("GET /v1/alerts", st, 200)
    stored = {a["id"]: a["source"]["value"] for a in json.loads(body) or []}
    missing = [(i, ip) for i, ip in acked if stored.get(i) != ip]
    if missing:
        sys.exit(f"{len(missing)} acknowledged alerts lost after SIGKILL: {missing[:5]}")
    print(f"all {len(acked)} acknowledged alerts stored ({len(stored)} in the store)")


if __name__ == "__main__":
    if sys.argv[1] == "attack":
        attack(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    else:
        verify(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
