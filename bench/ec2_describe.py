#!/usr/bin/env python3
"""How fast tag-filtered Describe* answers in a crowded region (issue 4's target: under 5 ms server time with
10,000 subnets and 10,000 security groups). Populates a fresh ephemeral cloudbox through boto3, then runs each
Describe a few times and reads the server's own per-request time from its debug log. Not a test; asserts
nothing.

    /usr/bin/python3 bench/ec2_describe.py [--count 10000] [--repeat 5]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CLOUDBOX_BIN") or os.path.join(REPO, "build", "cloudbox")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    log = tempfile.NamedTemporaryFile(prefix="cloudbox-ec2-bench-", suffix=".log", delete=False)
    proc = subprocess.Popen([BIN, "serve", "--port", "0", "--ephemeral", "--log-level", "debug"],
                            stdout=subprocess.PIPE, stderr=log)
    line = proc.stdout.readline().decode()
    port = int(re.search(r":(\d+) ", line).group(1))
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=f"http://127.0.0.1:{port}",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"max_attempts": 1}))
    try:
        t0 = time.time()
        vpcs = []
        n = 0
        while n < args.count:
            base = 10 + len(vpcs)
            vpc = ec2.create_vpc(CidrBlock=f"10.{base}.0.0/16")["Vpc"]["VpcId"]
            vpcs.append(vpc)
            for i in range(min(4096, args.count - n)):
                tier = "web" if n % 100 == 0 else "other"
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{base}.{i // 16}.{(i % 16) * 16}/28",
                                  TagSpecifications=[{"ResourceType": "subnet",
                                                      "Tags": [{"Key": "tier", "Value": tier}]}])
                n += 1
        for i in range(args.count):
            tier = "web" if i % 100 == 0 else "other"
            ec2.create_security_group(GroupName=f"g{i}", Description="bench", VpcId=vpcs[i % len(vpcs)],
                                      TagSpecifications=[{"ResourceType": "security-group",
                                                          "Tags": [{"Key": "tier", "Value": tier}]}])
        print(f"populated {args.count} subnets and {args.count} security groups in {time.time() - t0:.0f}s")
        mark = os.path.getsize(log.name)
        calls = [
            ("DescribeSubnets tag:tier=web", lambda: ec2.describe_subnets(
                Filters=[{"Name": "tag:tier", "Values": ["web"]}])["Subnets"]),
            ("DescribeSecurityGroups tag:tier=web", lambda: ec2.describe_security_groups(
                Filters=[{"Name": "tag:tier", "Values": ["web"]}])["SecurityGroups"]),
            ("DescribeSubnets vpc-id + tag", lambda: ec2.describe_subnets(
                Filters=[{"Name": "vpc-id", "Values": [vpcs[0]]}, {"Name": "tag:tier", "Values": ["web"]}])["Subnets"]),
        ]
        for name, call in calls:
            for _ in range(args.repeat):
                got = call()
            print(f"{name}: {len(got)} results")
        time.sleep(0.2)
        with open(log.name) as f:
            f.seek(mark)
            times = {}
            for ln in f:
                m = re.search(r"ec2:(Describe\w+) 200 (\d+)us", ln)
                if m:
                    times.setdefault(m.group(1), []).append(int(m.group(2)))
        for op, us in times.items():
            us.sort()
            print(f"server time {op}: median {us[len(us) // 2] / 1000:.2f} ms, max {us[-1] / 1000:.2f} ms over {len(us)}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
