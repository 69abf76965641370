#!/usr/bin/env python3
"""What IAM enforcement costs over HTTP: the same signed requests against cloudbox with --enforce-iam off and on,
one server after the other in one run, driven by wrk; reports requests/s for both and the ratio on/off.

Usage: bench/enforcement.py [--duration 10] [--connections 16] [--rounds 2]    (needs wrk and build/cloudbox)

Every request is really signed (SigV4, botocore's signer) by an IAM user whose policies allow it, so with
enforcement on each one is verified, the caller looked up and the request decided by the policy engine. The
mix: Secrets Manager GetSecretValue (json protocol), EC2 DescribeVpcs (ec2 query), IAM GetUser (query) and STS
GetCallerIdentity. Signatures stay valid for 15 minutes, longer than a run.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REGION = "us-west-2"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
     "Resource": "arn:aws:secretsmanager:us-west-2:*:secret:bench-*"},
    {"Effect": "Allow", "Action": ["ec2:DescribeVpcs", "iam:GetUser"], "Resource": "*"},
    {"Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]}

LUA = r'''
local reqs = dofile(os.getenv("BENCH_REQS"))
local i = 0
request = function()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first failure: " .. status .. " " .. body .. "\n") end
  end
end
done = function(summary, latency, requests)
  io.stderr:write(string.format("BENCH-JSON {\"requests\": %d, \"seconds\": %f, \"errors\": %d}\n",
    summary.requests, summary.duration / 1e6, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
'''


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary, enforce):
    port = free_port()
    args = [binary, "serve", "--port", str(port), "--ephemeral", "--log-level", "warn"]
    if enforce:
        args.append("--enforce-iam")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/_cloudbox/health" % port, timeout=1).read()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("cloudbox did not start")


def signed_requests(port):
    url = "http://127.0.0.1:%d" % port
    root = dict(endpoint_url=url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    iam = boto3.client("iam", **root)
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="bench", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    boto3.client("secretsmanager", **root).create_secret(Name="bench-db", SecretString='{"password":"x"}')
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def sign(service, body, headers):
        req = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
        SigV4Auth(creds, service, REGION if service != "iam" else "us-east-1").add_auth(req)
        prepared = req.prepare()
        lines = ["POST / HTTP/1.1", "Host: 127.0.0.1:%d" % port]
        for k, v in prepared.headers.items():
            lines.append("%s: %s" % (k, v.decode() if isinstance(v, bytes) else v))
        if "Content-Length" not in prepared.headers:
            lines.append("Content-Length: %d" % len(body))
        return "\r\n".join(lines) + "\r\n\r\n" + body

    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    reqs = [
        sign("secretsmanager", '{"SecretId":"bench-db"}',
             {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"}),
        sign("ec2", "Action=DescribeVpcs&Version=2016-11-15", form),
        sign("iam", "Action=GetUser&Version=2010-05-08", form),
        sign("sts", "Action=GetCallerIdentity&Version=2011-06-15", form),
    ]
    # Each must answer 200 before it is measured.
    for raw in reqs:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(raw.encode())
            head = s.recv(65536).decode(errors="replace")
            if not head.startswith("HTTP/1.1 200"):
                sys.exit("a signed request was not answered 200:\n%s\n---\n%s" % (raw, head[:800]))
    return reqs


def run_wrk(port, reqs, duration, connections):
    with tempfile.TemporaryDirectory() as d:
        reqs_path = os.path.join(d, "reqs.lua")
        with open(reqs_path, "w") as f:
            # Quoted with escapes: Lua's long strings would turn each CR LF into a bare LF.
            f.write("return {\n" + ",\n".join(json.dumps(r) for r in reqs) + "\n}\n")
        lua = os.path.join(d, "signed.lua")
        with open(lua, "w") as f:
            f.write(LUA)
        out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % duration, "-s", lua,
                              "http://127.0.0.1:%d/" % port], capture_output=True, text=True,
                             env=dict(os.environ, BENCH_REQS=reqs_path))
        m = re.search(r"BENCH-JSON (\{.*\})", out.stderr)
        if not m:
            sys.exit("wrk failed:\n" + out.stdout + out.stderr)
        r = json.loads(m.group(1))
        if r["errors"]:
            sys.exit("%d requests failed under load\n%s" % (r["errors"], out.stderr[:2000]))
        return r["requests"] / r["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--binary", default=os.environ.get("CLOUDBOX_BIN", os.path.join(ROOT, "build", "cloudbox")))
    a = ap.parse_args()
    results = {"off": [], "on": []}
    for _ in range(a.rounds):
        for mode in ("off", "on"):  # alternated, so drift in the machine's load hits both alike
            proc, port = start(a.binary, mode == "on")
            try:
                reqs = signed_requests(port)
                results[mode].append(run_wrk(port, reqs, a.duration, a.connections))
            finally:
                proc.terminate()
                proc.wait()
    off = max(results["off"])
    on = max(results["on"])
    print("requests/s (best of %d rounds, %d connections, %ds each)" % (a.rounds, a.connections, a.duration))
    print("  enforce-iam off: %8.0f   %s" % (off, " ".join("%.0f" % x for x in results["off"])))
    print("  enforce-iam on:  %8.0f   %s" % (on, " ".join("%.0f" % x for x in results["on"])))
    print("  on / off: %.3f  (enforcement costs %.1f%% of throughput)" % (on / off, 100 * (1 - on / off)))


if __name__ == "__main__":
    main()
