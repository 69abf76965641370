"""The guide's whole deployment as an end-to-end test: examples/guide/run.sh builds it on a fresh cloudbox with the
AWS CLI v2 (IAM service accounts, VPC, RDS PostgreSQL, EC2 host and Elastic IP, nightly stop/start by EventBridge
Scheduler, the host reading its secret with its instance role), proves each step and tears it all down, once with
IAM enforcement off and once with it on."""
import os
import subprocess

import pytest

from conftest import CLOUDBOX_BIN, REPO

GUIDE = os.path.join(REPO, "examples", "guide", "run.sh")


@pytest.mark.parametrize("enforce", [False, True], ids=["open", "enforce-iam"])
def test_guide_runs_green(server_factory, enforce):
    srv = server_factory(extra_args=["--enforce-iam"] if enforce else [])
    env = dict(os.environ, CLOUDBOX_BIN=CLOUDBOX_BIN, AWS_BIN="/usr/bin/aws")
    r = subprocess.run(["bash", GUIDE, "--endpoint", srv.url], capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout[-6000:] + "\n--- stderr ---\n" + r.stderr[-3000:]
    assert "The guide ran green." in r.stdout
    if enforce:
        # Only with enforcement do the service accounts' own keys and the bare instance role get refused.
        assert "terraform-user cannot create a VPC (UnauthorizedOperation)" in r.stdout
        assert "with a role that lacks the permission it is denied (AccessDeniedException)" in r.stdout
    assert srv.stop() == 0  # a clean stop also stops the database servers it ran
