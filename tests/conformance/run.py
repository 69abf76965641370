#!/usr/bin/python3
"""Model-driven conformance harness for cloudbox.

For every operation of the six API models cloudbox serves (models/*.json), it generates valid and invalid
inputs, calls a real cloudbox with botocore (loaded with exactly those models), and checks every response
against the model. Writes tests/conformance/report/<service>.json|md and summary.md, and compares the result
with tests/conformance/baseline.json: a regression (an operation leaving the conformant or implemented list)
fails the run.

    /usr/bin/python3 tests/conformance/run.py [--service ec2] [--update-baseline]

The binary is $CLOUDBOX_BIN (else build/cloudbox). See README.md beside this file.
"""
import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import checks  # noqa: E402
import errors  # noqa: E402
import inputs  # noqa: E402
import selftest  # noqa: E402

SERVICES = ["iam", "sts", "ec2", "rds", "scheduler", "secretsmanager"]
REPORT_DIR = os.path.join(HERE, "report")
BASELINE = os.path.join(HERE, "baseline.json")


# ---------------------------------------------------------------------------------------------------
# Models: a botocore data directory holding cloudbox's own copies

def model_dir(services):
    root = tempfile.mkdtemp(prefix="cloudbox-conformance-models-")
    for service in services:
        with open(os.path.join(REPO, "models", service + ".json")) as f:
            model = json.load(f)
        paginators = model.pop("paginators", None)
        model.setdefault("documentation", "")
        d = os.path.join(root, service, model["metadata"]["apiVersion"])
        os.makedirs(d)
        with open(os.path.join(d, "service-2.json"), "w") as f:
            json.dump(model, f)
        with open(os.path.join(d, "paginators-1.json"), "w") as f:
            json.dump({"pagination": paginators or {}}, f)
    return root


class Recorder:
    """Wraps botocore's HTTP session to keep the raw response of the last request."""

    def __init__(self, session):
        self.session = session
        self.last = None
        self.last_request = None

    def send(self, request):
        self.last = None
        self.last_request = request
        resp = self.session.send(request)
        self.last = resp
        return resp

    def __getattr__(self, name):
        return getattr(self.session, name)


class Caller:
    """A botocore client of one service against one server, in one region, with the raw-response recorder and
    the request mutation hook (for wrong types and unknown members)."""

    def __init__(self, botocore_session, service, url, region):
        self.client = botocore_session.create_client(
            service, region_name=region, endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(parameter_validation=False, retries={"max_attempts": 0}, connect_timeout=5,
                          read_timeout=20, tcp_keepalive=True))
        self.recorder = Recorder(self.client._endpoint.http_session)
        self.client._endpoint.http_session = self.recorder
        self.mutation = None
        self.client.meta.events.register("before-call", self._before_call)
        # Keep botocore from filling idempotency tokens in the invalid cases' rewrite: harmless, left on.

    def _before_call(self, params, **kwargs):
        if self.mutation is not None:
            self.mutation(params)

    def call(self, op_model, params, mutation=None):
        method = getattr(self.client, botocore_method_name(op_model.name))
        self.mutation = mutation
        self.recorder.last = None
        self.recorder.last_request = None
        try:
            return method(**params), None
        except ClientError as e:
            return None, e
        except Exception as e:  # noqa: BLE001 - transport and parser failures are findings
            return None, e
        finally:
            self.mutation = None


def botocore_method_name(op_name):
    from botocore import xform_name
    return xform_name(op_name)


# ---------------------------------------------------------------------------------------------------
# One case

PASS, FAIL, NOT_IMPL, SKIP = "pass", "fail", "not-implemented", "skipped"
TRANSPORT = ("ReadTimeoutError", "ConnectTimeoutError", "ConnectionClosedError", "EndpointConnectionError",
             "ProxyConnectionError", "HTTPClientError", "ConnectionError")


def evaluate(service_model, op_model, kind, label, parsed, exc, raw, protocol):
    """(outcome, status, code, reason)."""
    if exc is not None and not isinstance(exc, ClientError):
        name = type(exc).__name__
        if raw is None or name in TRANSPORT:
            return FAIL, None, None, "no response: %s: %s" % (name, str(exc)[:300])
        if raw.status_code >= 300:
            pass  # judged below from the raw response
        else:
            return FAIL, raw.status_code, None, "unparseable response (%s: %s): %r" % (name, str(exc)[:200],
                                                                                      raw.content[:200])
    status = raw.status_code
    body = raw.content or b""
    if 200 <= status < 300 and label == "valid: DryRun":
        return FAIL, status, None, "DryRun=true was carried out (HTTP %d) instead of answering DryRunOperation" % status
    if 200 <= status < 300:
        problems = []
        accepted = []
        expected_status = op_model.http.get("responseCode", 200)
        if status != expected_status:
            problems.append("HTTP %d, the model says %d" % (status, expected_status))
        if parsed is None:
            problems.append("success status but the SDK raised %s: %s" % (type(exc).__name__, exc))
        else:
            problems += checks.check_parsed(op_model.output_shape, parsed)
            problems, accepted = checks.known_deviations(service_model.service_name, op_model.name, problems)
            rid = parsed.get("ResponseMetadata", {}).get("RequestId")
            if not rid:
                problems.append("no request id")
        problems += raw_problems(service_model, op_model, protocol, body)
        problems += header_problems(service_model, protocol, raw, body)
        if kind == "invalid" and not (label == "invalid: unknown member" and protocol != "ec2"):
            return FAIL, status, None, "invalid input accepted (HTTP %d)%s" % (
                status, ("; " + "; ".join(problems[:3])) if problems else "")
        if problems:
            return FAIL, status, None, "output does not match the model: " + "; ".join(problems[:5])
        if accepted:
            return PASS, status, None, "accepted AWS deviation: " + "; ".join(accepted[:3])
        return PASS, status, None, ""
    # an error
    code, env_problems = checks.check_error_envelope(protocol, status, dict(raw.headers), body)
    sdk_code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
    message = exc.response.get("Error", {}).get("Message", "") if isinstance(exc, ClientError) else ""
    code = code or sdk_code
    if code == "NotImplemented" or status == 501:
        if code != "NotImplemented" or status != 501:
            return FAIL, status, code, "%s answered with HTTP %d (expected NotImplemented with 501)" % (code, status)
        return NOT_IMPL, status, code, message[:200]
    if code in errors.NOT_IMPLEMENTED and kind == "valid" and code != "InvalidAction":
        return NOT_IMPL, status, code, message[:200]
    if status >= 500:
        return FAIL, status, code, "server error HTTP %d %s: %s" % (status, code, message[:300])
    if not 400 <= status < 500:
        return FAIL, status, code, "error with HTTP %d" % status
    ok, why = errors.allowed(service_model, op_model, code, status)
    if not ok:
        return FAIL, status, code, "%s: %s" % (why, message[:200])
    if env_problems:
        return FAIL, status, code, "error envelope: " + "; ".join(env_problems[:3])
    if sdk_code and code and sdk_code != code:
        return FAIL, status, code, "the SDK read the code as %r, the body says %r" % (sdk_code, code)
    if kind == "valid":
        if "failed to satisfy constraint" in message:
            return FAIL, status, code, "model-valid input rejected by validation: %s" % (
                message if len(message) < 400 else message[:150] + " … " + message[-250:])
        return PASS, status, code, message[:200]
    if label == "invalid: unknown member" and protocol != "ec2":
        return PASS, status, code, message[:200]
    if not errors.is_validation_like(code):
        return FAIL, status, code, "invalid input answered %s, not a validation error: %s" % (code, message[:200])
    return PASS, status, code, message[:200]


def header_problems(service_model, protocol, raw, body):
    headers = {k.lower(): v for k, v in raw.headers.items()}
    ctype = headers.get("content-type", "").split(";")[0].strip()
    out = []
    if protocol == "json":
        want = "application/x-amz-json-%s" % service_model.metadata.get("jsonVersion", "1.0")
        if ctype != want:
            out.append("Content-Type %r, expected %r" % (ctype, want))
    elif protocol == "rest-json":
        if body.strip() and ctype != "application/json":
            out.append("Content-Type %r, expected 'application/json'" % ctype)
    elif ctype not in ("text/xml", "application/xml"):
        out.append("Content-Type %r, expected 'text/xml'" % ctype)
    if protocol in ("json", "rest-json") and not (headers.get("x-amzn-requestid") or headers.get("x-amz-request-id")):
        out.append("no x-amzn-RequestId header")
    return out


def raw_problems(service_model, op_model, protocol, body):
    shape = op_model.output_shape
    if protocol in ("json", "rest-json"):
        has_body_members = shape is not None and any(
            not m.serialization.get("location") for m in shape.members.values())
        payload = shape.serialization.get("payload") if shape is not None else None
        if not body.strip():
            return [] if not has_body_members or shape.required_members == [] else (
                ["empty body, but the output has required members"] if any(
                    not shape.members[r].serialization.get("location") for r in shape.required_members) else [])
        try:
            doc = json.loads(body)
        except ValueError:
            return ["body is not JSON: %r" % body[:200]]
        if shape is None:
            return [] if doc in ({}, None) else ["a body for an operation with no output: %r" % body[:200]]
        if payload:
            return checks.check_raw_json(shape.members[payload], doc)
        return checks.check_raw_json(shape, doc, top_rest=protocol == "rest-json")
    return checks.check_raw_xml(protocol, op_model, body, service_model.metadata.get("xmlNamespace"))


# ---------------------------------------------------------------------------------------------------
# One service

class ServiceRun:
    def __init__(self, service, data_dir, max_ops=None, verbose=False):
        from conftest import CloudboxServer  # noqa: E402 - tests/integration/conftest.py
        self.CloudboxServer = CloudboxServer
        self.service = service
        self.data_dir = data_dir
        self.max_ops = max_ops
        self.verbose = verbose
        self.session = botocore.session.Session()
        self.session.set_config_variable("data_path", data_dir)
        self.session.get_component("data_loader").search_paths.insert(0, data_dir)
        self.service_model = self.session.get_service_model(service)
        self.protocol = self.service_model.metadata["protocol"]
        self.server = None
        self.pool = None
        self.crashes = []

    def start(self):
        self.server = self.CloudboxServer().start()
        self.callers = {r: Caller(self.session, self.service, self.server.url, r) for r in ("us-east-1", "us-west-2")}
        self.setup()

    def setup(self):
        """What other services must hold for this one's calls to succeed (made through their APIs)."""
        if self.service == "rds" and self.pool is not None:
            # RDS subnet groups and instances name the EC2 default VPC's subnets and security group.
            ec2 = self.session.create_client("ec2", region_name="us-east-1", endpoint_url=self.server.url,
                                             aws_access_key_id="test", aws_secret_access_key="test")
            try:
                for s in ec2.describe_subnets()["Subnets"][:3]:
                    self.pool.add("SubnetId", s["SubnetId"])
                for g in ec2.describe_security_groups()["SecurityGroups"][:1]:
                    self.pool.add("GroupId", g["GroupId"])
            except Exception as e:  # noqa: BLE001
                print("  (rds setup: reading the default VPC failed: %s)" % e)
        if self.service == "ec2" and self.pool is not None:
            # RunInstances needs an image whose architecture fits the instance type the inputs name (t3.micro).
            ec2 = self.callers["us-east-1"].client
            try:
                images = ec2.describe_images(Owners=["amazon"], Filters=[
                    {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
                if images:
                    self.pool.pin("ImageId", sorted(i["ImageId"] for i in images)[0])
            except Exception:  # noqa: BLE001 - no images (compute not there yet): RunInstances answers an error
                pass
        if self.service in ("sts", "scheduler"):
            # The role the inputs name (cbx-role), assumable by the account and by EventBridge Scheduler.
            iam = self.session.create_client("iam", region_name="us-east-1", endpoint_url=self.server.url,
                                             aws_access_key_id="test", aws_secret_access_key="test")
            trust = json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % inputs.ACCOUNT},
                 "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]},
                {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            try:
                iam.create_role(RoleName="cbx-role", AssumeRolePolicyDocument=trust)
                iam.put_role_policy(RoleName="cbx-role", PolicyName="cbx", PolicyDocument=inputs.PERMISSIONS_POLICY)
            except Exception as e:  # noqa: BLE001 - without IAM, AssumeRole answers an error: still judged
                print("  (%s setup: creating role cbx-role failed: %s)" % (self.service, e))

    def stop(self):
        if self.server is not None:
            alive = self.server.alive()
            rc = self.server.stop()
            if not alive:
                self.crashes.append("server was not running at the end (exit %s)" % rc)
            elif rc not in (0, None):
                self.crashes.append("server exited %s on SIGTERM" % rc)

    def run(self):
        t0 = time.monotonic()
        pool = inputs.Pool()
        self.pool = pool
        gen = inputs.Generator(self.service, self.service_model, pool)
        self.start()
        ops = inputs.ordered_operations(self.service, self.service_model)
        if self.max_ops:
            ops = ops[:self.max_ops]
        results = []
        try:
            for op in ops:
                results.append(self.run_operation(gen, pool, op))
        finally:
            self.stop()
        return self.summarize(results, time.monotonic() - t0)

    def run_operation(self, gen, pool, op):
        cases = []
        valid = gen.valid_inputs(op)
        plan = [("valid", label, params, None, "us-east-1") for label, params in valid]
        if inputs.phase_of(self.service, op) == 0:
            plan.append(("valid", "valid: required members, in us-west-2", valid[0][1], None, "us-west-2"))
        page = self.pagination_plan(op, valid[0][1])
        if page:
            plan.append(page)
        base = next((p for label, p in valid if label == "valid: typical members"), valid[0][1])
        for label, params, mutation in inputs.invalid_inputs(gen, op, base):
            plan.append(("invalid", label, params, mutation, "us-east-1"))
        for kind, label, params, mutation, region in plan:
            caller = self.callers[region]
            t = time.monotonic()
            parsed, exc = caller.call(op, params, mutation)
            took = time.monotonic() - t
            raw = caller.recorder.last
            if label.startswith("valid: paginated") and raw is not None and exc is None:
                outcome, status, code, reason = self.check_pagination(caller, op, params, parsed)
                if outcome != PASS:
                    cases.append({"kind": kind, "label": label, "outcome": outcome, "status": status, "code": code,
                                  "reason": reason, "region": region, "input": summarize_input(params)})
                    continue
            if caller.recorder.last_request is None:
                # botocore refused before sending (a client-side customization): the harness's problem
                outcome, status, code, reason = SKIP, None, None, "not sent: %s: %s" % (type(exc).__name__, exc)
            else:
                outcome, status, code, reason = evaluate(self.service_model, op, kind, label, parsed, exc, raw,
                                                         self.protocol)
            if outcome == PASS and region != "us-east-1" and raw is not None and raw.status_code < 300 \
                    and self.service in ("ec2", "rds", "secretsmanager", "scheduler") \
                    and op.name not in ("DescribeRegions",) and b"us-east-1" in (raw.content or b""):
                outcome, reason = FAIL, "a %s answer names us-east-1: %s" % (region, region_context(raw.content))
            if took > 5:
                # noted, not failed: a loaded CI machine must not turn a slow answer into a regression (a hang
                # is a failure: no answer within the 20 s read timeout)
                reason = (reason + "; " if reason else "") + "slow answer: took %.1fs" % took
            if outcome == PASS and parsed is not None and region == "us-east-1":
                pool.harvest(op.output_shape, parsed)
            case = {"kind": kind, "label": label, "outcome": outcome, "status": status, "code": code,
                    "reason": reason, "region": region}
            if outcome == FAIL:
                case["input"] = summarize_input(params)
            cases.append(case)
            if self.verbose:
                print("  %-45s %-60s %s %s %s %s" % (op.name, label[:60], outcome, status, code, reason[:150]))
            if raw is None and not self.server.alive():
                case["reason"] += "; cloudbox died: %s" % self.server.stderr_text()[-500:]
                self.crashes.append("%s (%s): cloudbox died" % (op.name, label))
                self.start()
        valid_cases = [c for c in cases if c["kind"] == "valid"]
        any_success = any(c["outcome"] == PASS and c["code"] is None for c in valid_cases)
        any_not_impl = any(c["outcome"] == NOT_IMPL for c in valid_cases)
        answered = any(c["outcome"] != SKIP for c in valid_cases)
        implemented = any_success or (answered and not any_not_impl)
        conformant = implemented and all(c["outcome"] in (PASS, SKIP) for c in cases)
        return {"operation": op.name, "implemented": implemented, "conformant": conformant,
                "succeeded": any_success, "cases": cases}

    PAGES = 8

    def paginator(self, op):
        try:
            return self.session.get_paginator_model(self.service).get_paginator(op.name)
        except Exception:  # noqa: BLE001 - no paginator for this operation
            return None

    def pagination_plan(self, op, base):
        """A valid case asking for the smallest page the model allows, when the operation pages."""
        cfg = self.paginator(op)
        if not cfg or not cfg.get("limit_key") or not isinstance(cfg.get("input_token"), str):
            return None
        limit_member = op.input_shape.members.get(cfg["limit_key"]) if op.input_shape else None
        if limit_member is None:
            return None
        limit = int(max(limit_member.metadata.get("min", 1), 1))
        params = dict(base)
        params[cfg["limit_key"]] = limit
        return ("valid", "valid: paginated, %s=%d, next page followed" % (cfg["limit_key"], limit), params, None,
                "us-east-1")

    def check_pagination(self, caller, op, params, first):
        """The first page honours the limit; a next token, when given, leads to a valid next page with other
        items. (outcome, status, code, reason)."""
        cfg = self.paginator(op)
        limit = params[cfg["limit_key"]]
        result_keys = cfg.get("result_key")
        result_keys = result_keys if isinstance(result_keys, list) else [result_keys]
        first_eval = evaluate(self.service_model, op, "valid", "valid: paginated", first, None, caller.recorder.last,
                              self.protocol)
        if first_eval[0] != PASS:
            return first_eval
        keys = [k for k in result_keys if isinstance(k, str) and "." not in k]
        # With several result lists (IAM's ListEntitiesForPolicy …), the limit is checked per list.
        for k in keys:
            if len(first.get(k) or []) > limit:
                return FAIL, 200, None, "asked for %d items, got %d %s" % (limit, len(first.get(k) or []), k)
        items1 = [x for k in keys for x in (first.get(k) or [])]
        out_tok = cfg.get("output_token")
        out_tok = out_tok if isinstance(out_tok, str) and "." not in out_tok else None
        token = first.get(out_tok) if out_tok else None
        if out_tok and out_tok in first and not token:
            return FAIL, 200, None, "an empty %s on the last page (AWS leaves it out)" % out_tok
        seen_tokens = set()
        page = 1
        # Follow the next tokens for up to PAGES pages: each page valid, within the limit, with items not seen
        # before, and no token handed out twice (a loop).
        while token and page < self.PAGES:
            if token in seen_tokens:
                return FAIL, 200, None, "page %d hands out a next token already followed (the pages loop)" % page
            seen_tokens.add(token)
            params2 = dict(params)
            params2[cfg["input_token"]] = token
            nxt, exc = caller.call(op, params2)
            raw = caller.recorder.last
            page += 1
            if exc is not None:
                ev = evaluate(self.service_model, op, "valid", "valid: next page", None, exc, raw, self.protocol)
                return FAIL, ev[1], ev[2], "following the next token to page %d failed: %s %s" % (
                    page, ev[2] or "", ev[3])
            ev = evaluate(self.service_model, op, "valid", "valid: next page", nxt, None, raw, self.protocol)
            if ev[0] != PASS:
                return ev[0], ev[1], ev[2], "page %d: %s" % (page, ev[3])
            for k in keys:
                if len(nxt.get(k) or []) > limit:
                    return FAIL, 200, None, "page %d: asked for %d items, got %d %s" % (
                        page, limit, len(nxt.get(k) or []), k)
            items = [x for k in keys for x in (nxt.get(k) or [])]
            dup = [x for x in items if x in items1]
            if dup:
                return FAIL, 200, None, "page %d repeats an item of an earlier page: %s" % (page, str(dup[0])[:200])
            items1 += items
            token = nxt.get(out_tok)
            if out_tok in nxt and not token:
                return FAIL, 200, None, "an empty %s on the last page (AWS leaves it out)" % out_tok
        return PASS, 200, None, ""

    def summarize(self, results, seconds):
        cases = [c for r in results for c in r["cases"]]
        return {
            "service": self.service,
            "protocol": self.protocol,
            "seconds": round(seconds, 1),
            "operations": len(results),
            "implemented": sorted(r["operation"] for r in results if r["implemented"]),
            "conformant": sorted(r["operation"] for r in results if r["conformant"]),
            "with_success": sorted(r["operation"] for r in results if r["succeeded"]),
            "cases_run": len(cases),
            "cases_passed": sum(1 for c in cases if c["outcome"] == PASS),
            "cases_failed": sum(1 for c in cases if c["outcome"] == FAIL),
            "cases_not_implemented": sum(1 for c in cases if c["outcome"] == NOT_IMPL),
            "cases_skipped": sum(1 for c in cases if c["outcome"] == SKIP),
            "crashes": self.crashes,
            "results": results,
        }


def region_context(body):
    i = body.find(b"us-east-1")
    return body[max(0, i - 80):i + 40].decode("utf-8", "replace")


def summarize_input(params):
    def short(v):
        if isinstance(v, dict):
            return {k: short(x) for k, x in list(v.items())[:12]}
        if isinstance(v, list):
            return [short(x) for x in v[:3]] + (["…%d more" % (len(v) - 3)] if len(v) > 3 else [])
        if isinstance(v, (bytes, bytearray)):
            return "<%d bytes>" % len(v)
        if isinstance(v, datetime.datetime):
            return v.isoformat()
        if isinstance(v, str) and len(v) > 80:
            return v[:60] + "…(%d chars)" % len(v)
        return v
    return short(params)


# ---------------------------------------------------------------------------------------------------
# Reports and the baseline

def write_reports(runs, total_seconds):
    os.makedirs(REPORT_DIR, exist_ok=True)
    for service, r in runs.items():
        with open(os.path.join(REPORT_DIR, service + ".json"), "w") as f:
            json.dump(r, f, indent=1, default=str)
        with open(os.path.join(REPORT_DIR, service + ".md"), "w") as f:
            f.write(service_markdown(r))
    with open(os.path.join(REPORT_DIR, "summary.md"), "w") as f:
        f.write(summary_markdown(runs, total_seconds))


def figures_row(r):
    return "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %.0fs |" % (
        r["service"], r["operations"], len(r["implemented"]), len(r["conformant"]), len(r["with_success"]),
        r["cases_run"], r["cases_passed"], r["cases_failed"], r["cases_not_implemented"], r["seconds"])


FIGURES_HEAD = ("| service | ops in model | implemented | fully conformant | with a success | cases run | passed | "
                "failed | not implemented | time |\n|---|---|---|---|---|---|---|---|---|---|\n")


def summary_markdown(runs, total_seconds):
    out = ["# cloudbox conformance summary\n",
           "Generated %s by tests/conformance/run.py in %.0fs.\n" % (
               datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), total_seconds),
           FIGURES_HEAD + "\n".join(figures_row(r) for r in runs.values()) + "\n"]
    for service, r in runs.items():
        failing = [res for res in r["results"] if res["implemented"] and not res["conformant"]]
        if failing:
            out.append("\n## %s: implemented but not fully conformant (%d)\n" % (service, len(failing)))
            for res in failing:
                first = next(c for c in res["cases"] if c["outcome"] != PASS)
                out.append("- **%s** — %s: %s %s" % (res["operation"], first["label"],
                                                      first["code"] or first["status"], first["reason"][:200]))
        if r["crashes"]:
            out.append("\n**%s crashes:** %s" % (service, "; ".join(r["crashes"])))
    return "\n".join(out) + "\n"


def service_markdown(r):
    out = ["# %s conformance\n" % r["service"], FIGURES_HEAD + figures_row(r) + "\n"]
    if r["crashes"]:
        out.append("## Crashes\n\n" + "\n".join("- " + c for c in r["crashes"]) + "\n")
    out.append("## Operations\n\n| operation | implemented | conformant | cases passed | first problem |\n"
               "|---|---|---|---|---|")
    for res in r["results"]:
        n_pass = sum(1 for c in res["cases"] if c["outcome"] == PASS)
        bad = [c for c in res["cases"] if c["outcome"] == FAIL]
        first = ("%s → %s" % (bad[0]["label"], bad[0]["reason"][:160].replace("|", "\\|"))) if bad else ""
        out.append("| %s | %s | %s | %d/%d | %s |" % (res["operation"], "yes" if res["implemented"] else "no",
                                                     "yes" if res["conformant"] else "no", n_pass,
                                                     len(res["cases"]), first))
    deviations = sorted({(res["operation"], c["reason"][len("accepted AWS deviation: "):])
                         for res in r["results"] for c in res["cases"]
                         if c["outcome"] == PASS and c["reason"].startswith("accepted AWS deviation: ")})
    if deviations:
        out.append("\n## Known AWS deviations accepted (see checks.py KNOWN_DEVIATIONS)\n")
        out.extend("- %s: %s" % d for d in deviations)
    out.append("\n## Failing cases\n")
    for res in r["results"]:
        for c in res["cases"]:
            if c["outcome"] == FAIL:
                out.append("- **%s** / %s%s: HTTP %s %s — %s\n  input: `%s`" % (
                    res["operation"], c["label"], "" if c["region"] == "us-east-1" else " (%s)" % c["region"],
                    c["status"], c["code"] or "", c["reason"][:400],
                    json.dumps(c.get("input"), default=str)[:400]))
    return "\n".join(out) + "\n"


def compare_baseline(runs, baseline):
    """(regressions, improvements) as lists of text lines."""
    regressions, improvements = [], []
    for service, r in runs.items():
        base = baseline.get(service)
        if base is None:
            improvements.append("%s: not in the baseline yet (%d implemented, %d conformant)" % (
                service, len(r["implemented"]), len(r["conformant"])))
            continue
        impl, conf = set(r["implemented"]), set(r["conformant"])
        for op in sorted(set(base.get("implemented", [])) - impl):
            regressions.append("%s:%s is no longer implemented" % (service, op))
        for op in sorted(set(base.get("conformant", [])) - conf):
            res = next((x for x in r["results"] if x["operation"] == op), None)
            why = ""
            if res is not None:
                bad = [c for c in res["cases"] if c["outcome"] != PASS]
                if bad:
                    why = " (%s: %s %s)" % (bad[0]["label"], bad[0]["code"] or bad[0]["status"],
                                            bad[0]["reason"][:200])
            regressions.append("%s:%s is no longer fully conformant%s" % (service, op, why))
        for op in sorted(impl - set(base.get("implemented", []))):
            improvements.append("%s:%s is newly implemented" % (service, op))
        for op in sorted(conf - set(base.get("conformant", []))):
            improvements.append("%s:%s is newly fully conformant" % (service, op))
    return regressions, improvements


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--service", action="append", choices=SERVICES, help="only this service (repeatable)")
    ap.add_argument("--update-baseline", action="store_true", help="rewrite baseline.json from this run")
    ap.add_argument("--max-ops", type=int, help="only the first N operations of each service (debugging)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = ap.parse_args(argv)
    services = args.service or SERVICES
    binary = os.environ.get("CLOUDBOX_BIN") or os.path.join(REPO, "build", "cloudbox")
    print("conformance: cloudbox %s; services %s" % (binary, ", ".join(services)), flush=True)
    data_dir = model_dir(SERVICES)
    session = botocore.session.Session()
    session.set_config_variable("data_path", data_dir)
    session.get_component("data_loader").search_paths.insert(0, data_dir)
    broken = [why for _, ok, why in selftest.run(evaluate, session) if not ok]
    if broken:
        print("conformance: the harness's self-test failed:\n  " + "\n  ".join(broken))
        return 2
    t0 = time.monotonic()
    runs = {}
    try:
        for service in services:
            r = ServiceRun(service, data_dir, max_ops=args.max_ops, verbose=args.verbose).run()
            runs[service] = r
            print("  %-15s ops %4d  implemented %4d  conformant %4d  cases %5d  passed %5d  failed %4d  "
                  "not-implemented %4d  %5.1fs" % (service, r["operations"], len(r["implemented"]),
                                                   len(r["conformant"]), r["cases_run"], r["cases_passed"],
                                                   r["cases_failed"], r["cases_not_implemented"], r["seconds"]),
                  flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    total = time.monotonic() - t0
    write_reports(runs, total)
    print("reports: %s (%.0fs in all)" % (os.path.relpath(REPORT_DIR, os.getcwd()), total))

    baseline = {}
    if os.path.exists(BASELINE):
        with open(BASELINE) as f:
            baseline = json.load(f)
    crashes = [c for r in runs.values() for c in r["crashes"]]
    if args.update_baseline:
        for service, r in runs.items():
            baseline[service] = {"operations": r["operations"], "implemented": r["implemented"],
                                 "conformant": r["conformant"]}
        with open(BASELINE, "w") as f:
            json.dump(dict(sorted(baseline.items())), f, indent=1)
            f.write("\n")
        print("baseline rewritten: %s" % os.path.relpath(BASELINE, os.getcwd()))
        return 0
    regressions, improvements = compare_baseline(runs, baseline)
    for line in improvements:
        print("improvement: " + line)
    for line in regressions:
        print("REGRESSION: " + line)
    for c in crashes:
        print("CRASH: " + c)
    if regressions or crashes:
        print("conformance: FAILED (%d regressions against baseline.json, %d crashes)" % (len(regressions),
                                                                                        len(crashes)))
        return 1
    print("conformance: OK (no regression against baseline.json; %d improvements)" % len(improvements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
