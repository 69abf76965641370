#!/usr/bin/env python3
"""cloudbox vs moto, side by side, in one run.

Starts each server on this machine (one after the other, same settings), checks that every request
of the mix gets a correct 200 answer, then measures:

  * start-up: spawn -> first correct answer to STS GetCallerIdentity (tight poll, median of N starts)
  * idle RSS: VmRSS of the server's process tree after start-up, preseeding and a short warm-up
  * throughput and latency: wrk (mix.lua) at each connection count, the same duration for both
  * RSS after load, peak RSS (VmHWM), server CPU time per request
  * cloudbox again, on a fresh instance, with exactly as many requests as moto served at each
    connection count ("equal work"), so that its state (number of secrets) and RSS after load
    can be compared with moto's on the same footing.

Writes bench/results/latest.json and bench/results/latest.md and prints the table. Run it through
bench/run.sh; it needs the Python that has moto (the pyenv python3 on these machines) and wrk.
"""
from __future__ import annotations

import argparse
import atexit
import datetime
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LUA = os.path.join(HERE, "mix.lua")

DATE = "20240101T000000Z"
SEED_PREFIX = "bench-seed-"


def auth(service: str) -> str:
    return ("AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/%s/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=%s" % (service, "0" * 64))


# ---------------------------------------------------------------------------------------------
# Requests (the same bytes mix.lua sends) and their checks


def sm_request(target: str, body: dict):
    # SDKs fill ClientRequestToken in on writes; a raw request must carry one (AWS refuses it otherwise).
    if target == "CreateSecret" and "ClientRequestToken" not in body:
        body = dict(body, ClientRequestToken=str(uuid.uuid4()))
    return ("POST", "/", json.dumps(body, separators=(",", ":")), {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager." + target,
        "X-Amz-Date": DATE,
        "Authorization": auth("secretsmanager"),
    })


def sts_request():
    return ("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "X-Amz-Date": DATE,
        "Authorization": auth("sts"),
    })


def send(port: int, req, timeout: float = 10.0, conn: http.client.HTTPConnection | None = None):
    method, path, body, headers = req
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body.encode(), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data
    finally:
        if own:
            conn.close()


class Invalid(Exception):
    pass


def check_json(status, data, what):
    if status != 200:
        raise Invalid("%s: HTTP %d %s" % (what, status, data[:300]))
    try:
        return json.loads(data)
    except ValueError:
        raise Invalid("%s: body is not JSON: %r" % (what, data[:300]))


def check_caller_identity(status, data):
    if status != 200:
        raise Invalid("GetCallerIdentity: HTTP %d %s" % (status, data[:300]))
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise Invalid("GetCallerIdentity: body is not XML: %r" % data[:300])
    fields = {el.tag.split("}")[-1]: (el.text or "") for el in root.iter()}
    if not root.tag.endswith("GetCallerIdentityResponse"):
        raise Invalid("GetCallerIdentity: root element %s" % root.tag)
    acct = fields.get("Account", "")
    if not (len(acct) == 12 and acct.isdigit()) or not fields.get("Arn", "").startswith("arn:aws"):
        raise Invalid("GetCallerIdentity: bad Account/Arn in %r" % data[:300])
    return fields


def validate(port: int, nseed: int) -> dict:
    """Every request type of the mix answers 200 with a correct body. Needs the seeds in place."""
    out = {}
    name = "bench-validate-%d" % os.getpid()
    st, data = send(port, sm_request("CreateSecret", {"Name": name, "SecretString": "v-check"}))
    j = check_json(st, data, "CreateSecret")
    if j.get("Name") != name or ":secret:%s" % name not in j.get("ARN", ""):
        raise Invalid("CreateSecret: unexpected body %r" % j)
    out["CreateSecret"] = "ok"
    for sid, want in ((SEED_PREFIX + "0", "seed-value-0"), (name, "v-check")):
        st, data = send(port, sm_request("GetSecretValue", {"SecretId": sid}))
        j = check_json(st, data, "GetSecretValue")
        if j.get("Name") != sid or j.get("SecretString") != want or not j.get("VersionId"):
            raise Invalid("GetSecretValue: unexpected body %r" % j)
    out["GetSecretValue"] = "ok"
    st, data = send(port, sm_request("ListSecrets", {}))
    j = check_json(st, data, "ListSecrets")
    names = {s.get("Name") for s in j.get("SecretList", [])}
    if not isinstance(j.get("SecretList"), list) or SEED_PREFIX + "0" not in names or name not in names:
        raise Invalid("ListSecrets: seeds missing from %r" % (data[:300],))
    out["ListSecrets"] = "ok"
    st, data = send(port, sts_request())
    f = check_caller_identity(st, data)
    out["GetCallerIdentity"] = "ok (Account %s)" % f["Account"]
    # An unknown secret is a 4xx with the AWS error type, not a 200 (AWS says 400, moto 404; the mix never
    # sends this).
    st, data = send(port, sm_request("GetSecretValue", {"SecretId": "bench-no-such-secret"}))
    if not 400 <= st < 500 or b"ResourceNotFoundException" not in data:
        raise Invalid("GetSecretValue of a missing secret: HTTP %d %r" % (st, data[:200]))
    return out


def preseed(port: int, nseed: int):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(nseed):
            st, data = send(port, sm_request("CreateSecret", {"Name": SEED_PREFIX + str(i),
                                                              "SecretString": "seed-value-%d" % i}), conn=conn)
            check_json(st, data, "CreateSecret (preseed)")
    finally:
        conn.close()


def warmup(port: int, rounds: int, nseed: int):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(rounds):
            for req in (sm_request("GetSecretValue", {"SecretId": SEED_PREFIX + str(i % nseed)}),
                        sm_request("CreateSecret", {"Name": "bench-warm-%d" % i, "SecretString": "w"}),
                        sm_request("ListSecrets", {}), sts_request()):
                st, data = send(port, req, conn=conn)
                if st != 200:
                    raise Invalid("warm-up: HTTP %d %r" % (st, data[:200]))
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tree_pids(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def status_kb(pid: int, field: str) -> int:
    total = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError):
            pass
    return total / tick


class Server:
    def __init__(self, name: str, argv_for_port, logdir: str):
        self.name = name
        self.argv_for_port = argv_for_port
        self.logdir = logdir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log = None

    def spawn(self, tag: str):
        self.port = free_port()
        self.log = open(os.path.join(self.logdir, "%s-%s.log" % (self.name, tag)), "wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv_for_port(self.port), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.logdir)
        return t0

    def wait_ready(self, t0: float, timeout: float = 60.0) -> float:
        """Seconds from spawn to the first correct answer to GetCallerIdentity (tight poll)."""
        req = sts_request()
        deadline = t0 + timeout
        while True:
            try:
                st, data = send(self.port, req, timeout=timeout)
            except ConnectionError:  # not listening yet (refused), or reset while starting
                st = None
            if st is not None:
                check_caller_identity(st, data)  # an answer that is not a correct 200 is a failure
                return time.perf_counter() - t0
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start-up; see %s" % (
                    self.name, self.proc.returncode, self.log.name))
            if time.perf_counter() > deadline:
                raise RuntimeError("%s did not answer within %.0f s" % (self.name, timeout))
            time.sleep(0.0002)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        self.proc = None


# ---------------------------------------------------------------------------------------------
# wrk


OPS = {1: "GetSecretValue", 2: "CreateSecret", 3: "ListSecrets", 4: "GetCallerIdentity"}


def run_wrk(port: int, connections: int, duration: float, tag: str, nseed: int, quota_total: int = 0,
            rawlog: str | None = None, only: int = 0) -> dict:
    threads = min(connections, 2)
    quota = math.ceil(quota_total / threads) if quota_total else 0
    wall = duration if not quota else max(60, duration * 6)
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % math.ceil(wall), "--latency",
           "--timeout", "10s", "-s", LUA, "http://127.0.0.1:%d/" % port, "--", tag, str(nseed), SEED_PREFIX,
           str(quota), str(only)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errlines: list[str] = []
    done_threads = threading.Event()

    def read_err():
        n = 0
        for line in proc.stderr:
            errlines.append(line)
            if line.startswith("QUOTA-DONE"):
                n += 1
                if n >= threads:
                    done_threads.set()
    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    if quota:
        if not done_threads.wait(wall + 10):
            raise RuntimeError("wrk did not finish its quota of %d requests" % quota_total)
        # SIGINT makes wrk stop sleeping and report the time it really ran. wrk ignores SIGINT until its
        # threads are started, and a small quota can finish before that: repeat until it exits.
        while True:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(0.05)
                break
            except subprocess.TimeoutExpired:
                pass
    out, _ = proc.communicate(timeout=wall + 30)
    reader.join(5)
    if rawlog:
        with open(rawlog, "w") as f:
            f.write("$ " + " ".join(cmd) + "\n" + out + "".join(errlines))
    line = next((l for l in out.splitlines() if l.startswith("BENCH-JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError("wrk failed (exit %s):\n%s\n%s" % (proc.returncode, out, "".join(errlines)))
    r = json.loads(line[len("BENCH-JSON "):])
    r["connections"] = connections
    r["threads"] = threads
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["non2xx_samples"] = [l.strip()[:300] for l in errlines if l.startswith(("NON2XX", "BADBODY"))][:5]
    r["quota"] = quota_total
    return r


# ---------------------------------------------------------------------------------------------
# One server


def measure_server(srv: Server, args, conns: list[int], quotas: dict[int, int] | None, label: str,
                   per_op: bool = False) -> dict:
    res: dict = {"server": srv.name, "label": label}
    if quotas is None:
        times = []
        for i in range(args.starts):
            t0 = srv.spawn("start%d" % i)
            try:
                times.append(srv.wait_ready(t0))
            finally:
                srv.stop()
        res["startup_ms"] = {"median": statistics.median(times) * 1e3, "all": [t * 1e3 for t in times]}
        print("  %-8s start-up ms: %s" % (srv.name, ", ".join("%.1f" % (t * 1e3) for t in times)), flush=True)

    t0 = srv.spawn(label)
    try:
        srv.wait_ready(t0)
        pid = srv.proc.pid
        preseed(srv.port, args.seed)
        res["validation"] = validate(srv.port, args.seed)
        # The same check on the bytes wrk sends: each request type alone, a few times, must answer 2xx
        # with a correct body.
        for op, opname in OPS.items():
            r = run_wrk(srv.port, 1, 1, "%sv%d" % (label, op), args.seed, quota_total=8, only=op)
            bad = r["non2xx"] + r["bad_body"] + sum(r["socket_errors"].values())
            if bad or r["responses"] < 8:
                raise Invalid("%s through wrk: %d of %d responses wrong: %s" % (
                    opname, bad, r["responses"], r["non2xx_samples"]))
            res["validation"][opname] += ", wrk ok"
        warmup(srv.port, args.warmup_rounds, args.seed)
        time.sleep(1.0)
        res["idle_rss_kb"] = status_kb(pid, "VmRSS")
        cpu0 = cpu_seconds(pid)
        res["runs"] = []
        total_req = 0
        for c in conns:
            tag = "%s%s%dc%d" % (label, os.getpid(), c, int(time.time() * 1000) % 100000)
            r = run_wrk(srv.port, c, args.duration, tag, args.seed, quota_total=(quotas or {}).get(c, 0),
                        rawlog=os.path.join(args.out, "wrk-%s-c%d.txt" % (label, c)))
            r["rss_after_kb"] = status_kb(pid, "VmRSS")
            total_req += r["requests"]
            res["runs"].append(r)
            print("  %-8s c=%-3d %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %d  (%d requests in %.2f s)" % (
                label, c, r["rps"], r["latency_us"]["p50"] / 1e3, r["latency_us"]["p99"] / 1e3, r["non2xx"],
                r["requests"], r["duration_us"] / 1e6), flush=True)
            if r["non2xx"] or r["bad_body"]:
                print("           WRONG ANSWERS: %s" % r["non2xx_samples"], flush=True)
        cpu1 = cpu_seconds(pid)
        time.sleep(1.0)
        res["rss_after_load_kb"] = status_kb(pid, "VmRSS")
        res["peak_rss_kb"] = status_kb(pid, "VmHWM")
        res["load_requests"] = total_req
        res["cpu_s_under_load"] = cpu1 - cpu0
        res["cpu_us_per_request"] = (cpu1 - cpu0) / total_req * 1e6 if total_req else None
        if per_op and args.per_op > 0:
            # Each request type alone, 1 connection, on the state the equal work left (the same on both
            # servers). CreateSecret last, since it grows the state the others read.
            res["per_op"] = {}
            for op in (4, 1, 3, 2):
                tag = "%sop%d%d" % (label, op, int(time.time() * 1000) % 100000)
                r = run_wrk(srv.port, 1, args.per_op, tag, args.seed, only=op,
                            rawlog=os.path.join(args.out, "wrk-%s-op-%s.txt" % (label, OPS[op])))
                res["per_op"][OPS[op]] = r
                print("  %-8s %-17s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %d  bad body %d" % (
                    label, OPS[op], r["rps"], r["latency_us"]["p50"] / 1e3, r["latency_us"]["p99"] / 1e3,
                    r["non2xx"], r["bad_body"]), flush=True)
        # Still healthy afterwards: the mix answers correctly after the load.
        st, data = send(srv.port, sm_request("GetSecretValue", {"SecretId": SEED_PREFIX + "1"}))
        check_json(st, data, "GetSecretValue after load")
        st, data = send(srv.port, sts_request())
        check_caller_identity(st, data)
        if srv.proc.poll() is not None:
            raise RuntimeError("%s died under load" % srv.name)
    finally:
        srv.stop()
    res["log_errors"] = log_errors(os.path.join(args.out, "%s-%s.log" % (srv.name, label)))
    return res


def log_errors(path: str) -> dict:
    """Exception lines in a server's log (moto logs a Python traceback for each of its 500s)."""
    out: dict[str, int] = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"^([A-Za-z_.]*(?:Error|Exception)): (.{0,80})", line)
                if m:
                    key = "%s: %s" % (m.group(1), m.group(2).strip())
                    out[key] = out.get(key, 0) + 1
    except OSError:
        pass
    return out


# ---------------------------------------------------------------------------------------------
# Report


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        if v >= 100:
            return "%.0f%s" % (v, unit)
        if v >= 10:
            return "%.1f%s" % (v, unit)
        return "%.2f%s" % (v, unit)
    return "%s%s" % (v, unit)


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def build_rows(cb: dict, mo: dict, eq: dict | None, conns: list[int]):
    rows = []  # (metric, cloudbox, moto, ratio, target/verdict)
    st_c, st_m = cb["startup_ms"]["median"], mo["startup_ms"]["median"]
    rows.append(("start-up to first answer, ms (median of %d)" % len(cb["startup_ms"]["all"]), st_c, st_m,
                 ratio(st_c, st_m), "< 50 ms: %s" % ("PASS" if st_c < 50 else "FAIL")))
    ic, im = cb["idle_rss_kb"] / 1024, mo["idle_rss_kb"] / 1024
    rows.append(("idle RSS, MB", ic, im, ratio(ic, im), "< 20 MB: %s" % ("PASS" if ic < 20 else "FAIL")))
    for rc, rm in zip(cb["runs"], mo["runs"]):
        c = rc["connections"]
        rows.append(("requests/s, %d conn" % c, rc["rps"], rm["rps"], ratio(rc["rps"], rm["rps"]),
                     ">= 20x: %s" % ("PASS" if ratio(rc["rps"], rm["rps"]) >= 20 else "FAIL")))
        for p in ("p50", "p99"):
            a, b = rc["latency_us"][p] / 1e3, rm["latency_us"][p] / 1e3
            rows.append(("latency %s, ms, %d conn" % (p, c), a, b, ratio(a, b), ""))
    if eq:
        for re_, rm in zip(eq["runs"], mo["runs"]):
            rows.append(("requests/s, %d conn, same request count as moto (%d)" % (
                re_["connections"], rm["requests"]), re_["rps"], rm["rps"], ratio(re_["rps"], rm["rps"]), ""))
    ac, am = cb["rss_after_load_kb"] / 1024, mo["rss_after_load_kb"] / 1024
    rows.append(("RSS after load (same duration), MB", ac, am, ratio(ac, am),
                 "cloudbox served %.0fx the requests" % ratio(cb["load_requests"], mo["load_requests"])))
    if eq:
        ae = eq["rss_after_load_kb"] / 1024
        rows.append(("RSS after load (same requests as moto), MB", ae, am, ratio(ae, am), ""))
    pc, pm = cb["peak_rss_kb"] / 1024, mo["peak_rss_kb"] / 1024
    rows.append(("peak RSS (VmHWM), MB", pc, pm, ratio(pc, pm), ""))
    cc, cm = cb["cpu_us_per_request"], mo["cpu_us_per_request"]
    rows.append(("server CPU per request, us", cc, cm, ratio(cc, cm), ""))
    if eq and "per_op" in eq and "per_op" in mo:
        for op in OPS.values():
            a, b = eq["per_op"][op]["rps"], mo["per_op"][op]["rps"]
            rows.append(("requests/s, %s alone, 1 conn, after equal work" % op, a, b, ratio(a, b), ""))
    def errs(res):
        runs = res["runs"] + list(res.get("per_op", {}).values())
        return sum(r["non2xx"] + r["bad_body"] + sum(r["socket_errors"].values()) for r in runs)
    nc = errs(cb) + (errs(eq) if eq else 0)
    nm = errs(mo)
    verdict = "0: %s" % ("PASS" if nc == 0 else "FAIL for cloudbox")
    if nm:
        verdict += "; moto's: %s" % (", ".join("%dx %s" % (n, e) for e, n in mo.get("log_errors", {}).items())
                                     or "see its log")
    rows.append(("wrong answers under load (non-2xx, bad body, socket errors)", nc, nm, None, verdict))
    return rows


def render_table(rows) -> str:
    head = ("metric", "cloudbox", "moto", "cloudbox / moto", "target")
    body = [(m, fmt(a), fmt(b), ("%.3gx" % r) if r is not None else "", t) for m, a, b, r, t in rows]
    widths = [max(len(str(x[i])) for x in [head] + body) for i in range(5)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    return "\n".join(out)


def runs_table(*results) -> str:
    lines = ["| server | run | conn | requests | seconds | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        if not res:
            continue
        runs = [("mix", r) for r in res["runs"]] + list(res.get("per_op", {}).items())
        for name, r in runs:
            l = r["latency_us"]
            lines.append("| %s | %s | %d | %d | %.2f | %.0f | %.2f | %.2f | %.2f | %.2f | %d |" % (
                res["label"], name, r["connections"], r["requests"], r["duration_us"] / 1e6, r["rps"],
                l["p50"] / 1e3, l["p90"] / 1e3, l["p99"] / 1e3, l["max"] / 1e3, r["non2xx"] + r["bad_body"]))
    return "\n".join(lines)


def versions(binary: str) -> dict:
    v = {"python": platform.python_version()}
    try:
        import moto
        v["moto"] = moto.__version__
    except Exception:
        pass
    try:
        v["cloudbox"] = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        pass
    try:
        v["wrk"] = " ".join(subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[:2])
    except Exception:
        pass
    try:
        v["git"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                  text=True).stdout.strip()
    except Exception:
        pass
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.environ.get("CLOUDBOX_BIN") or os.path.join(REPO, "build", "cloudbox"))
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per connection count")
    ap.add_argument("--connections", default="1,16", help="comma-separated connection counts")
    ap.add_argument("--starts", type=int, default=5, help="start-ups to time per server (median is reported)")
    ap.add_argument("--seed", type=int, default=20, help="secrets to preseed (GetSecretValue rotates over them)")
    ap.add_argument("--warmup-rounds", type=int, default=10, help="rounds of the 4-request mix before idle RSS")
    ap.add_argument("--no-equal-work", action="store_true", help="skip the cloudbox run with moto's request count")
    ap.add_argument("--per-op", type=float, default=2.0,
                    help="seconds per request type alone, after equal work (0 skips; needs the equal-work run)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    conns = [int(c) for c in args.connections.split(",") if c.strip()]
    args.duration = max(1.0, args.duration)
    os.makedirs(args.out, exist_ok=True)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found; install it with: apt-get install wrk")
    if not os.access(args.binary, os.X_OK):
        sys.exit("bench: no cloudbox binary at %s (build it, or set CLOUDBOX_BIN)" % args.binary)
    try:
        import moto.server  # noqa: F401
    except ImportError:
        sys.exit("bench: %s has no moto; run with the Python that has it (pip install 'moto[server]')" % sys.executable)

    # Run a private copy: a rebuild during the run (others share this tree) must not swap the binary
    # between the start-up, load and equal-work phases.
    bindir = tempfile.mkdtemp(prefix="cloudbox-bench-")
    atexit.register(shutil.rmtree, bindir, True)
    binary = os.path.join(bindir, "cloudbox")
    shutil.copy2(args.binary, binary)
    cloudbox = Server("cloudbox", lambda p: [binary, "serve", "--port", str(p), "--ephemeral"], args.out)
    moto = Server("moto", lambda p: [sys.executable, "-m", "moto.server", "-p", str(p)], args.out)
    started = datetime.datetime.now(datetime.timezone.utc)
    meta = {"started": started.isoformat(timespec="seconds"), "host": platform.node(), "cpus": os.cpu_count(),
            "loadavg_before": os.getloadavg(), "versions": versions(binary),
            "binary": {"path": args.binary, "built": datetime.datetime.fromtimestamp(os.path.getmtime(args.binary)).isoformat(timespec="seconds")},
            "settings": {"duration_s": args.duration, "connections": conns, "starts": args.starts,
                         "preseeded_secrets": args.seed, "warmup_requests": args.warmup_rounds * 4,
                         "mix": "GetSecretValue, CreateSecret (unique name), ListSecrets, GetCallerIdentity, 1:1:1:1",
                         "cloudbox_cmd": "%s serve --port P --ephemeral" % args.binary,
                         "moto_cmd": "%s -m moto.server -p P" % sys.executable}}
    if meta["loadavg_before"][0] > 0.5 * (os.cpu_count() or 1):
        print("bench: warning: load average %.2f on %d CPUs; other work on this machine will skew the numbers"
              % (meta["loadavg_before"][0], os.cpu_count() or 1), flush=True)
    print("bench: cloudbox %s vs moto %s, %gs per connection count %s, mix of 4 requests" % (
        meta["versions"].get("cloudbox", "?"), meta["versions"].get("moto", "?"), args.duration, conns), flush=True)
    try:
        mo = measure_server(moto, args, conns, None, "moto", per_op=not args.no_equal_work)
        cb = measure_server(cloudbox, args, conns, None, "cloudbox")
        eq = None
        if not args.no_equal_work:
            quotas = {r["connections"]: r["requests"] for r in mo["runs"]}
            eq = measure_server(cloudbox, args, conns, quotas, "cloudbox-eq", per_op=True)
    except Invalid as e:
        sys.exit("bench: a server answered the mix wrongly, so nothing was measured: %s" % e)
    finally:
        moto.stop()
        cloudbox.stop()
    meta["loadavg_after"] = os.getloadavg()
    meta["elapsed_s"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()

    rows = build_rows(cb, mo, eq, conns)
    table = render_table(rows)
    result = {"meta": meta, "cloudbox": cb, "moto": mo, "cloudbox_equal_work": eq,
              "table": [{"metric": m, "cloudbox": a, "moto": b, "ratio": r, "target": t} for m, a, b, r, t in rows]}
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(result, f, indent=2)
    v = meta["versions"]
    md = ["# cloudbox vs moto", "",
          "%s on %s (%d CPUs, load average %.2f before, %.2f after), cloudbox `%s` (built %s), moto %s, "
          "%s, git %s." % (
              meta["started"], meta["host"], meta["cpus"], meta["loadavg_before"][0], meta["loadavg_after"][0],
              v.get("cloudbox", "?"), meta["binary"]["built"], v.get("moto", "?"), v.get("wrk", "wrk"),
              v.get("git", "?")),
          "",
          "Mix: %s; %g s per connection count; %d secrets preseeded. Ratios are cloudbox / moto: above 1 is "
          "better for requests/s, below 1 is better for time and memory." % (
              meta["settings"]["mix"], args.duration, args.seed),
          "", table, "",
          "Equal work: a fresh cloudbox served exactly as many requests as moto did at each connection count, "
          "so both hold the same number of secrets afterwards; the per-request-type rows ran on that state. "
          "Total run time %.0f s." % meta["elapsed_s"], "",
          "## Every run", "", runs_table(mo, cb, eq), ""]
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write("\n".join(md))
    print()
    print(table)
    print("\nwrote %s and %s" % (os.path.join(args.out, "latest.json"), os.path.join(args.out, "latest.md")))


if __name__ == "__main__":
    main()
