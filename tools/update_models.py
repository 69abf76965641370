#!/usr/bin/env python3
"""Copies the AWS API models cloudbox serves into models/, trimmed of documentation.

The models come from botocore's published service-2.json files. The build embeds models/*.json into
the binary, so a fresh clone builds without Python; run this script only to move to newer models:

    python3 tools/update_models.py [--botocore-data DIR]
"""
import argparse
import gzip
import json
import os
import sys

SERVICES = {
    "secretsmanager": "2017-10-17",
    "sts": "2011-06-15",
    "iam": "2010-05-08",
    "ec2": "2016-11-15",
    "rds": "2014-10-31",
    "scheduler": "2021-06-30",
}
DROP = {"documentation", "documentationUrl", "examples", "deprecatedMessage", "deprecatedSince"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def load(path):
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rt") as f:
            return json.load(f)
    with open(path) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--botocore-data", default=None)
    args = parser.parse_args()
    data = args.botocore_data
    if data is None:
        import botocore
        data = os.path.join(os.path.dirname(botocore.__file__), "data")
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
    os.makedirs(out_dir, exist_ok=True)
    for service, version in SERVICES.items():
        model = strip(load(os.path.join(data, service, version, "service-2.json")))
        paginators_path = os.path.join(data, service, version, "paginators-1.json")
        if os.path.exists(paginators_path):
            model["paginators"] = load(paginators_path).get("pagination", {})
        with open(os.path.join(out_dir, service + ".json"), "w") as f:
            json.dump(model, f, separators=(",", ":"), sort_keys=False)
            f.write("\n")
        print(f"{service}: {len(model['operations'])} operations, {len(model['shapes'])} shapes")


if __name__ == "__main__":
    sys.exit(main())
