"""Durability with --state-dir: acknowledged writes survive `kill -9` and a graceful SIGTERM, secret values
never reach the disk in plaintext, and the server clock's offset survives a restart."""
import base64
import json
import os
import signal
import stat
import uuid

import pytest

DAY = 86400


def make_state(server):
    """Writes a varied set of secrets; returns the names and the secret bytes that must never be on disk."""
    sm = server.client("secretsmanager")
    west = server.client("secretsmanager", region="us-west-2")
    marker = uuid.uuid4().hex
    plain = {
        "v1": f"first-PLAINTEXT-{marker}-one",
        "v2": f"second-PLAINTEXT-{marker}-two",
        "v3": json.dumps({"password": f"pw-PLAINTEXT-{marker}-three", "user": "admin"}),
        "staged": f"staged-PLAINTEXT-{marker}-four",
        "deleted": f"deleted-PLAINTEXT-{marker}-five",
        "west": f"west-PLAINTEXT-{marker}-six",
    }
    binary = {
        "b1": b"\x00\x01BINARY-" + marker.encode() + b"\xff\xfe" + bytes(range(200)),
        "b2": b"\x7fELF-BINARY-" + marker.encode() + b"\x00" * 16,
    }
    sm.create_secret(Name="app/multi", SecretString=plain["v1"], Description="several versions",
                     Tags=[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}])
    sm.put_secret_value(SecretId="app/multi", SecretString=plain["v2"])
    sm.put_secret_value(SecretId="app/multi", SecretString=plain["v3"])
    sm.put_secret_value(SecretId="app/multi", SecretString=plain["staged"], VersionStages=["blue"])
    sm.put_resource_policy(SecretId="app/multi", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                "Principal": {"AWS": "arn:aws:iam::000000000000:role/reader"},
                                                "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    sm.create_secret(Name="app/binary", SecretBinary=binary["b1"], Tags=[{"Key": "kind", "Value": "bin"}])
    sm.put_secret_value(SecretId="app/binary", SecretBinary=binary["b2"])
    sm.create_secret(Name="app/empty", Description="no value yet")
    sm.create_secret(Name="app/doomed", SecretString=plain["deleted"])
    sm.delete_secret(SecretId="app/doomed", RecoveryWindowInDays=7)
    west.create_secret(Name="app/west", SecretString=plain["west"])
    secret_bytes = [v.encode() for v in plain.values()] + list(binary.values())
    return {"us-east-1": ["app/multi", "app/binary", "app/empty", "app/doomed"], "us-west-2": ["app/west"]}, \
        secret_bytes


def snapshot(server, names_by_region):
    """Everything a client can read back about the secrets (minus LastAccessedDate, which reads move)."""
    snap = {}
    for region, names in names_by_region.items():
        sm = server.client("secretsmanager", region=region)
        for name in names:
            d = sm.describe_secret(SecretId=name)
            d.pop("ResponseMetadata")
            d.pop("LastAccessedDate", None)
            entry = {"describe": d}
            if "DeletedDate" not in d:
                versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
                for v in versions:
                    v.pop("LastAccessedDate", None)
                entry["versions"] = sorted(versions, key=lambda v: v["VersionId"])
                values = {}
                for v in versions:
                    g = sm.get_secret_value(SecretId=name, VersionId=v["VersionId"])
                    values[v["VersionId"]] = ("string", g["SecretString"]) if "SecretString" in g else \
                        ("binary", g["SecretBinary"])
                entry["values"] = values
                policy = sm.get_resource_policy(SecretId=name)
                entry["policy"] = json.loads(policy["ResourcePolicy"]) if "ResourcePolicy" in policy else None
            snap[(region, name)] = entry
    return snap


def assert_no_plaintext(state_dir, secret_bytes):
    files = [os.path.join(state_dir, f) for f in os.listdir(state_dir)]
    assert files, "the state dir is empty"
    needles = []
    for s in secret_bytes:
        needles += [s, base64.b64encode(s)]
        if b"PLAINTEXT-" in s or b"BINARY-" in s:
            # The distinctive middle part, in case the value is stored re-encoded around it.
            mid = s[s.find(b"-") + 1:]
            needles.append(mid[:40])
    for path in files:
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        for n in needles:
            assert n not in data, f"secret bytes {n[:60]!r} found in plaintext in {path}"


def test_kill9_then_restart_keeps_everything(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    assert s.first_line.endswith(f"(state in {state_dir})"), s.first_line
    assert s.health()["ephemeral"] is False
    names, secret_bytes = make_state(s)
    before = snapshot(s, names)
    assert before[("us-east-1", "app/multi")]["values"]  # the snapshot really holds values
    assert any(kind == "binary" for kind, _ in before[("us-east-1", "app/binary")]["values"].values())

    # While running: the database and its WAL hold no secret value in plaintext.
    assert os.path.exists(os.path.join(state_dir, "state.db-wal")) or os.path.exists(
        os.path.join(state_dir, "state.db"))
    assert_no_plaintext(state_dir, secret_bytes)

    assert s.kill9() == -signal.SIGKILL
    assert_no_plaintext(state_dir, secret_bytes)

    s2 = server_factory(state_dir=state_dir)
    after = snapshot(s2, names)
    assert after == before
    # The pending deletion is still pending, and still refuses reads.
    d = s2.client("secretsmanager").describe_secret(SecretId="app/doomed")
    assert "DeletedDate" in d
    # And the restored server keeps working and persisting.
    s2.client("secretsmanager").put_secret_value(SecretId="app/multi", SecretString="after-restart")
    assert s2.kill9() == -signal.SIGKILL
    s3 = server_factory(state_dir=state_dir)
    got = s3.client("secretsmanager").get_secret_value(SecretId="app/multi")
    assert got["SecretString"] == "after-restart"
    assert s3.stop() == 0


def test_state_files_are_private(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    s.client("secretsmanager").create_secret(Name="x", SecretString="y")
    key = os.path.join(state_dir, "master.key")
    db = os.path.join(state_dir, "state.db")
    assert os.path.isfile(key) and os.path.isfile(db)
    for path in (key, db):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"{path} is mode {oct(mode)}; only the owner may read it"
    assert s.stop() == 0


def test_graceful_sigterm_restart(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    names, secret_bytes = make_state(s)
    before = snapshot(s, names)
    assert s.stop(signal.SIGTERM) == 0
    assert_no_plaintext(state_dir, secret_bytes)
    s2 = server_factory(state_dir=state_dir)
    assert snapshot(s2, names) == before
    assert s2.stop(signal.SIGTERM) == 0


def test_clock_and_deletion_windows_survive_restart(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    sm = s.client("secretsmanager")
    sm.create_secret(Name="pending", SecretString="p")
    sm.create_secret(Name="keeper", SecretString="k")
    sm.delete_secret(SecretId="pending", RecoveryWindowInDays=7)
    advanced = s.advance(3 * DAY)
    assert s.kill9() == -signal.SIGKILL

    s2 = server_factory(state_dir=state_dir)
    now = s2.now()
    assert advanced <= now < advanced + 120, (advanced, now)
    sm = s2.client("secretsmanager")
    assert "DeletedDate" in sm.describe_secret(SecretId="pending")
    # 3 + 5 days > the 7-day window: purged on the restarted server's clock.
    s2.advance(5 * DAY)
    with pytest.raises(Exception) as ei:
        sm.describe_secret(SecretId="pending")
    assert getattr(ei.value, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException"
    assert sm.get_secret_value(SecretId="keeper")["SecretString"] == "k"
    assert s2.stop() == 0

    s3 = server_factory(state_dir=state_dir)
    assert s3.now() >= advanced + 5 * DAY
    sm = s3.client("secretsmanager")
    with pytest.raises(Exception) as ei:
        sm.describe_secret(SecretId="pending")
    assert getattr(ei.value, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException"
    assert s3.stop() == 0


def test_reset_clears_the_state_dir(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    s.client("secretsmanager").create_secret(Name="gone", SecretString="v")
    s.reset()
    assert s.kill9() == -signal.SIGKILL
    s2 = server_factory(state_dir=state_dir)
    assert s2.client("secretsmanager").list_secrets()["SecretList"] == []
    assert s2.stop() == 0
