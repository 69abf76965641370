"""Shared fixtures for cloudbox's integration tests.

They drive the real `cloudbox` binary (path in $CLOUDBOX_BIN, else build/cloudbox) with real clients:
Debian's AWS CLI v2 (/usr/bin/aws, not the pyenv CLI v1 that may come first on PATH) and boto3.
Run them with Debian's /usr/bin/python3 (boto3 1.26), as ctest does:

    CLOUDBOX_BIN=build/cloudbox /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
"""
import base64
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.config import Config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOUDBOX_BIN = os.environ.get("CLOUDBOX_BIN") or os.path.join(REPO, "build", "cloudbox")
AWS_CLI_V2 = "/usr/bin/aws"
DEFAULT_ACCOUNT = "000000000000"

LISTENING = re.compile(r"^cloudbox (\S+) listening on http://([0-9.]+):(\d+) \((.*)\)$")
CLI_ERROR = re.compile(r"An error occurred \(([^)]+)\) when calling the (\w+) operation(?: \(reached max retries: \d+\))?: ?(.*)",
                       re.S)
# urllib3's debug line in `aws --debug` output: http://127.0.0.1:PORT "POST / HTTP/1.1" 400 123
CLI_STATUS = re.compile(r'"(?:GET|POST|PUT|DELETE|PATCH|HEAD) \S* HTTP/1\.1" (\d{3})')
DEBUG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - ")


# ---------------------------------------------------------------------------------------------------
# The server

class CloudboxServer:
    """One `cloudbox serve` process on a free port, ephemeral or on a state directory."""

    def __init__(self, state_dir=None, extra_args=(), env=None):
        self.state_dir = state_dir
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None
        self.port = None
        self.first_line = None
        self.stdout_rest = []
        self.stderr_path = None

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self, timeout=30.0):
        if not os.access(CLOUDBOX_BIN, os.X_OK):
            pytest.fail(f"cloudbox binary not found or not executable: {CLOUDBOX_BIN} (set CLOUDBOX_BIN)")
        args = [CLOUDBOX_BIN, "serve", "--port", "0", "--log-level", "warn"]
        args += ["--ephemeral"] if self.state_dir is None else ["--state-dir", self.state_dir]
        args += self.extra_args
        fd, self.stderr_path = tempfile.mkstemp(prefix="cloudbox-stderr-", suffix=".log")
        stderr = os.fdopen(fd, "w")
        env = dict(os.environ)
        env.pop("CLOUDBOX_ENFORCE_IAM", None)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
                                     env=env)
        stderr.close()
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abort(f"no 'listening' line on stdout within {timeout}s")
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                self._abort("cloudbox exited before printing its 'listening' line")
            line += chunk
        self.first_line = line.decode().rstrip("\n")
        m = LISTENING.match(self.first_line)
        if not m:
            self._abort(f"unexpected first stdout line: {self.first_line!r}")
        self.port = int(m.group(3))
        assert self.port > 0, self.first_line
        threading.Thread(target=self._drain, daemon=True).start()
        while True:
            try:
                status, body = self.admin("GET", "/_cloudbox/health")
                if status == 200 and body.get("status") == "running":
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self._abort("GET /_cloudbox/health never answered 200 running")
            time.sleep(0.05)

    def _drain(self):
        for line in self.proc.stdout:
            self.stdout_rest.append(line)

    def _abort(self, why):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        pytest.fail(f"{why}\nstderr:\n{self.stderr_text()}")

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()[-4000:]
        except (OSError, TypeError):
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends `sig` and waits; returns the exit status (negative: killed by that signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"cloudbox did not stop within {timeout}s after signal {sig}")
        return self.proc.returncode

    def kill9(self):
        return self.stop(signal.SIGKILL)

    # -- addresses ----------------------------------------------------------------------------------
    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # -- admin endpoints ----------------------------------------------------------------------------
    def admin(self, method, path, body=None, timeout=10):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def health(self):
        status, body = self.admin("GET", "/_cloudbox/health")
        assert status == 200, body
        return body

    def reset(self):
        status, body = self.admin("POST", "/_cloudbox/reset")
        assert status == 200, body

    def now(self):
        """The server clock, as epoch seconds."""
        status, body = self.admin("GET", "/_cloudbox/clock")
        assert status == 200, body
        return parse_iso8601(body["now"])

    def advance(self, seconds):
        status, body = self.admin("POST", "/_cloudbox/clock", {"advance_seconds": seconds})
        assert status == 200, body
        return parse_iso8601(body["now"])

    # -- clients ------------------------------------------------------------------------------------
    def client(self, service, region="us-east-1", access_key="test", secret_key="test", session_token=None,
               newer_model=False, validate=True):
        """A boto3 client pointed at this server. `newer_model` loads the repo's models/ copy of the service's
        API model (botocore 1.29 predates some operations, e.g. BatchGetSecretValue). `validate=False` turns
        off botocore's own parameter checks, so the server's validation is what answers."""
        botocore_session = botocore.session.Session()
        if newer_model:
            botocore_session.set_config_variable("data_path", newer_model_dir(service))
        session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                        aws_session_token=session_token, region_name=region,
                                        botocore_session=botocore_session)
        return session.client(service, endpoint_url=self.url,
                              config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                            connect_timeout=5, read_timeout=60, parameter_validation=validate))

    def aws(self, *args, region="us-east-1", access_key="test", secret_key="test", session_token=None,
            output="json", timeout=120):
        """Runs Debian's AWS CLI v2 against this server; see CliResult."""
        return run_aws_cli(self.url, list(args), region=region, access_key=access_key, secret_key=secret_key,
                           session_token=session_token, output=output, timeout=timeout)


def parse_iso8601(text):
    import datetime
    t = text.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(t).timestamp()


_MODEL_DIRS = {}


def newer_model_dir(service):
    """A botocore data directory holding the repo's copy of `service`'s model (same API version)."""
    if service in _MODEL_DIRS:
        return _MODEL_DIRS[service]
    with open(os.path.join(REPO, "models", service + ".json")) as f:
        model = json.load(f)
    paginators = model.pop("paginators", None)
    root = tempfile.mkdtemp(prefix="cloudbox-models-")
    version_dir = os.path.join(root, service, model["metadata"]["apiVersion"])
    os.makedirs(version_dir)
    with open(os.path.join(version_dir, "service-2.json"), "w") as f:
        json.dump(model, f)
    if paginators:
        with open(os.path.join(version_dir, "paginators-1.json"), "w") as f:
            json.dump({"pagination": paginators}, f)
    _MODEL_DIRS[service] = root
    return root


# ---------------------------------------------------------------------------------------------------
# The AWS CLI v2

class CliResult:
    """What one `aws` run gave. Unpacks as (rc, out, err): exit code, parsed JSON stdout (raw text with
    --output text), and stderr without the --debug log. `code`, `message`, `operation` come from the CLI's
    "An error occurred (Code) when calling the Op operation: message" line; `status` is the HTTP status of
    the last response (from the debug log)."""

    def __init__(self, args, rc, stdout, stderr, output):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.debug = stderr
        self.out = None
        if output == "json" and stdout.strip():
            try:
                self.out = json.loads(stdout)
            except ValueError:
                self.out = stdout
        elif output != "json":
            self.out = stdout
        plain = [ln for ln in stderr.splitlines() if not DEBUG_LINE.match(ln)]
        idx = stderr.rfind("An error occurred (")
        if idx >= 0:
            self.err = stderr[idx:].strip()
        else:
            self.err = "" if rc == 0 else "\n".join(plain[-20:]).strip()
        m = CLI_ERROR.search(self.err) if idx >= 0 else None
        self.code = m.group(1) if m else None
        self.operation = m.group(2) if m else None
        self.message = m.group(3).strip() if m else None
        statuses = CLI_STATUS.findall(stderr)
        self.status = int(statuses[-1]) if statuses else None

    def __iter__(self):
        return iter((self.rc, self.out, self.err))

    def __repr__(self):
        return (f"CliResult(aws {' '.join(self.args)!s}: rc={self.rc} status={self.status} code={self.code} "
                f"message={self.message!r} stdout={self.stdout[:2000]!r} err={self.err[-2000:]!r})")

    def ok(self):
        assert self.rc == 0, repr(self)
        return self.out


_CLI_HOME = None


def run_aws_cli(endpoint, args, region="us-east-1", access_key="test", secret_key="test", session_token=None,
                output="json", timeout=120):
    global _CLI_HOME
    if _CLI_HOME is None:
        _CLI_HOME = tempfile.mkdtemp(prefix="cloudbox-cli-home-")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": _CLI_HOME,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_PAGER": "",
        "AWS_CONFIG_FILE": os.path.join(_CLI_HOME, "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(_CLI_HOME, "no-credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CLI_AUTO_PROMPT": "off",
    }
    if session_token:
        env["AWS_SESSION_TOKEN"] = session_token
    argv = [AWS_CLI_V2, "--endpoint-url", endpoint, "--debug"]
    if output and "--output" not in args:
        argv += ["--output", output]
    elif "--output" in args:
        output = args[args.index("--output") + 1]
    if "--region" not in args:
        argv += ["--region", region]
    argv += args
    p = subprocess.run(argv, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return CliResult(args, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                     output)


# ---------------------------------------------------------------------------------------------------
# Helpers for assertions

def error_of(excinfo):
    """(code, message, HTTP status) of a botocore ClientError."""
    e = excinfo.value
    return (e.response["Error"]["Code"], e.response["Error"].get("Message", ""),
            e.response["ResponseMetadata"]["HTTPStatusCode"])


def expect_error(call, code, status=400, message_prefix=None, **kwargs):
    """Calls a boto3 method that must fail with `code` and HTTP `status`; returns the error message."""
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    got_code, message, got_status = error_of(ei)
    assert (got_code, got_status) == (code, status), ei.value.response
    if message_prefix is not None:
        assert message.startswith(message_prefix), ei.value.response
    return message


def b64(data):
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------------------------------------
# Fixtures

@pytest.fixture(scope="module")
def server():
    """One ephemeral cloudbox per test module."""
    s = CloudboxServer().start()
    yield s
    alive = s.alive()
    rc = s.stop()
    assert alive, f"cloudbox died during the module (exit {s.proc.returncode}):\n{s.stderr_text()}"
    assert rc == 0, f"cloudbox exited {rc} on SIGTERM:\n{s.stderr_text()}"


@pytest.fixture
def clean(server):
    """Wipes the server's state before the test."""
    server.reset()
    return server


@pytest.fixture
def state_dir():
    d = tempfile.mkdtemp(prefix="cloudbox-state-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server_factory():
    """Starts extra servers (e.g. on a state dir) and stops whichever are still running at the end."""
    started = []

    def start(state_dir=None, extra_args=(), env=None):
        s = CloudboxServer(state_dir=state_dir, extra_args=extra_args, env=env).start()
        started.append(s)
        return s

    yield start
    for s in started:
        if s.alive():
            s.stop(signal.SIGKILL)


@pytest.fixture
def sm(clean):
    return clean.client("secretsmanager")


@pytest.fixture
def sts(clean):
    return clean.client("sts")


def iam_available(server):
    return "iam" in server.health().get("services", {})
