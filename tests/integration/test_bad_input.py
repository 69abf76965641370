"""Bad input over raw HTTP: every bad request gets a clear AWS-style error in its protocol's envelope
(JSON: {"__type", "Message"}; query: <ErrorResponse><Error><Code>), the server stays up, and state is
unchanged (nothing half-created). Also the admin endpoints."""
import http.client
import json
import os
import socket
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.usefixtures("clean")

SIXTEEN_MIB = 16 * 1024 * 1024


def auth_headers(service="secretsmanager", region="us-east-1", key="test"):
    now = time.gmtime()
    return {
        "Authorization": (f"AWS4-HMAC-SHA256 Credential={key}/{time.strftime('%Y%m%d', now)}/{region}/{service}/"
                          "aws4_request, SignedHeaders=host, Signature=abc"),
        "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", now),
    }


def raw(server, method="POST", path="/", body=b"", headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def json_call(server, target, body, service="secretsmanager", extra=None):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, **auth_headers(service)}
    headers.update(extra or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return raw(server, body=body, headers=headers)


def json_error(status, headers, body, content_type="application/x-amz-json-1.1"):
    """(code, message) of a JSON-protocol error; asserts the envelope."""
    assert headers.get("content-type", "").startswith(content_type), (status, headers, body)
    doc = json.loads(body)
    assert "__type" in doc, doc
    code = doc["__type"].split("#")[-1]
    message = doc.get("Message", doc.get("message"))
    assert isinstance(message, str), doc
    assert headers.get("x-amzn-requestid"), headers
    return code, message


def query_call(server, params, service="sts", method="POST"):
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **auth_headers(service)}
    if method == "GET":
        return raw(server, "GET", "/?" + body.decode(), headers=auth_headers(service))
    return raw(server, body=body, headers=headers)


def query_error(status, headers, body):
    """(code, message) of a query-protocol error; asserts the <ErrorResponse> envelope."""
    root = ET.fromstring(body)
    tag = root.tag.split("}")[-1]
    assert tag == "ErrorResponse", body
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    err = root.find(f"{ns}Error")
    assert err is not None, body
    code = err.findtext(f"{ns}Code")
    message = err.findtext(f"{ns}Message")
    assert err.findtext(f"{ns}Type") == "Sender", body
    assert root.findtext(f"{ns}RequestId"), body
    return code, message


@pytest.fixture
def baseline(clean):
    """A secret made before the bad requests; the returned check asserts it and the secret list are intact."""
    server = clean
    sm = server.client("secretsmanager")
    created = sm.create_secret(Name="keep", SecretString="keep-value", Tags=[{"Key": "k", "Value": "v"}])

    def check():
        assert server.health()["status"] == "running"
        got = sm.get_secret_value(SecretId="keep")
        assert got["SecretString"] == "keep-value" and got["VersionId"] == created["VersionId"]
        d = sm.describe_secret(SecretId="keep")
        assert d["VersionIdsToStages"] == {created["VersionId"]: ["AWSCURRENT"]}
        assert d["Tags"] == [{"Key": "k", "Value": "v"}]
        assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["keep"]
        for region in ("us-east-1", "us-west-2"):
            listed = server.client("secretsmanager", region=region).list_secrets()["SecretList"]
            assert [s["Name"] for s in listed] == (["keep"] if region == "us-east-1" else [])

    return check


def token():
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------------
# JSON protocol (Secrets Manager)

def test_a_well_formed_raw_request_works(server, baseline):
    status, headers, body = json_call(server, "secretsmanager.GetSecretValue", {"SecretId": "keep"})
    assert status == 200, body
    assert json.loads(body)["SecretString"] == "keep-value"
    baseline()


@pytest.mark.parametrize("body", [
    b'{"Name": "half", "SecretString": "x", ',
    b'{"Name": "half" "SecretString": "x"}',
    b"[1, 2, 3",
    b"not json at all",
    b'{"Name": "half", "SecretString": "\\uZZZZ"}',
], ids=["truncated", "missing-comma", "open-array", "text", "bad-escape"])
def test_malformed_json(server, baseline, body):
    status, headers, raw_body = json_call(server, "secretsmanager.CreateSecret", body)
    assert status == 400, raw_body
    code, message = json_error(status, headers, raw_body)
    assert code == "SerializationException", raw_body
    baseline()


@pytest.mark.parametrize("doc", [
    {"Name": 123, "SecretString": "x"},
    {"Name": "half", "SecretString": {"nested": "object"}},
    {"Name": "half", "SecretString": "x", "Tags": {"Key": "a", "Value": "b"}},
    {"Name": "half", "SecretString": "x", "Tags": [{"Key": 1, "Value": "b"}]},
    {"Name": ["half"], "SecretString": "x"},
    {"Name": "half", "SecretString": "x", "AddReplicaRegions": "us-west-2"},
    {"Name": "half", "SecretBinary": 42},
    {"Name": "half", "SecretBinary": "%%% not base64 %%%"},
    ["Name", "half"],
], ids=["name-number", "string-object", "tags-object", "tag-key-number", "name-list", "replicas-string",
        "binary-number", "binary-not-base64", "top-level-list"])
def test_wrong_member_types(server, baseline, doc):
    if isinstance(doc, dict):
        doc = {**doc, "ClientRequestToken": token()}
    status, headers, body = json_call(server, "secretsmanager.CreateSecret", doc)
    assert status == 400, body
    code, message = json_error(status, headers, body)
    assert code == "SerializationException", body
    assert message, body
    baseline()


def test_wrong_scalar_types_on_other_operations(server, baseline):
    for target, doc in [("secretsmanager.DeleteSecret", {"SecretId": "keep", "RecoveryWindowInDays": "seven"}),
                        ("secretsmanager.DeleteSecret", {"SecretId": "keep", "ForceDeleteWithoutRecovery": "yes"}),
                        ("secretsmanager.ListSecrets", {"MaxResults": "ten"}),
                        ("secretsmanager.GetRandomPassword", {"PasswordLength": 12.5e300})]:
        status, headers, body = json_call(server, target, doc)
        assert status == 400, (target, doc, body)
        code, _ = json_error(status, headers, body)
        assert code in ("SerializationException", "ValidationException"), (target, doc, body)
    baseline()


@pytest.mark.parametrize("target,doc,member", [
    ("secretsmanager.GetSecretValue", {}, "secretId"),
    ("secretsmanager.CreateSecret", {"SecretString": "x"}, "name"),
    ("secretsmanager.PutSecretValue", {"SecretString": "x"}, "secretId"),
    ("secretsmanager.DeleteSecret", {"RecoveryWindowInDays": 7}, "secretId"),
    ("secretsmanager.TagResource", {"SecretId": "keep"}, "tags"),
    ("secretsmanager.UpdateSecretVersionStage", {"SecretId": "keep"}, "versionStage"),
])
def test_missing_required_members(server, baseline, target, doc, member):
    if target in ("secretsmanager.CreateSecret", "secretsmanager.PutSecretValue"):
        doc = {**doc, "ClientRequestToken": token()}
    status, headers, body = json_call(server, target, doc)
    assert status == 400, body
    code, message = json_error(status, headers, body)
    assert code == "ValidationException", body
    assert message.startswith(f"1 validation error detected: Value null at '{member}' failed to satisfy "
                              "constraint: Member must not be null"), body
    baseline()


def test_constraint_violations(server, baseline):
    status, headers, body = json_call(server, "secretsmanager.CreateSecret",
                                      {"Name": "short-token", "SecretString": "x", "ClientRequestToken": "abc"})
    code, message = json_error(status, headers, body)
    assert (status, code) == (400, "ValidationException"), body
    assert "'clientRequestToken'" in message and "Member must have length greater than or equal to 32" in message
    status, headers, body = json_call(server, "secretsmanager.CreateSecret",
                                      {"Name": "", "SecretString": "x", "ClientRequestToken": token()})
    code, message = json_error(status, headers, body)
    assert (status, code) == (400, "ValidationException"), body
    assert "Member must have length greater than or equal to 1" in message
    status, headers, body = json_call(server, "secretsmanager.GetRandomPassword", {"PasswordLength": 0})
    code, message = json_error(status, headers, body)
    assert (status, code) == (400, "ValidationException"), body
    assert message.startswith("1 validation error detected: Value '0' at 'passwordLength' failed to satisfy "
                              "constraint: Member must have value greater than or equal to 1"), body
    baseline()


def test_raw_write_without_client_request_token(server, baseline):
    # SDKs fill ClientRequestToken in; a raw request must bring its own.
    status, headers, body = json_call(server, "secretsmanager.CreateSecret", {"Name": "no-token", "SecretString": "x"})
    code, message = json_error(status, headers, body)
    assert (status, code) == (400, "InvalidRequestException"), body
    assert message.startswith("You must provide a ClientRequestToken value"), body
    status, headers, body = json_call(server, "secretsmanager.PutSecretValue", {"SecretId": "keep", "SecretString": "y"})
    code, message = json_error(status, headers, body)
    assert (status, code) == (400, "InvalidRequestException"), body
    baseline()


def test_unknown_operation(server, baseline):
    for target in ("secretsmanager.DropAllSecrets", "secretsmanager.", "secretsmanager", "AmazonSSM.GetParameter"):
        status, headers, body = json_call(server, target, {})
        assert status == 400, (target, body)
        code, _ = json_error(status, headers, body)
        assert code == "UnknownOperationException", (target, body)
    baseline()


def test_garbage_bytes_body(server, baseline):
    garbage = os.urandom(4096)
    for target in ("secretsmanager.CreateSecret", "secretsmanager.PutSecretValue", "secretsmanager.ListSecrets"):
        status, headers, body = json_call(server, target, garbage)
        assert status == 400, (target, body)
        code, _ = json_error(status, headers, body)
        assert code == "SerializationException", (target, body)
    baseline()


def test_header_only_request_without_body(server, baseline):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.CreateSecret",
               **auth_headers()}
    status, rheaders, body = raw(server, body=b"", headers=headers)
    assert status == 400, body
    code, _ = json_error(status, rheaders, body)
    assert code in ("SerializationException", "ValidationException"), body
    # A declared body that never comes: the server must time out or answer, and stay up for others.
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
                  b"X-Amz-Target: secretsmanager.CreateSecret\r\nContent-Length: 100\r\n\r\n{\"Name\"")
        baseline()  # answered while that request is still waiting
    finally:
        s.close()
    baseline()


def test_oversized_body(server, baseline):
    size = SIXTEEN_MIB + 1
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.CreateSecret",
               "Content-Length": str(size), **auth_headers()}
    conn.putrequest("POST", "/")
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    chunk = b'{"Name": "huge", "SecretString": "' + b"x" * (1024 * 1024)
    sent = 0
    try:
        while sent < size:
            piece = chunk[: min(len(chunk), size - sent)]
            conn.send(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before reading it all
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 413, (r.status, body[:500])
    baseline()


def test_huge_header(server, baseline):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets",
               "X-Junk": "a" * (1024 * 1024), **auth_headers()}
    try:
        status, _, body = raw(server, body=b"{}", headers=headers)
        assert status in (400, 413, 431), (status, body[:300])
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        pass  # refusing by closing the connection is fine too
    many = {f"X-H{i}": "v" * 100 for i in range(2000)}
    try:
        status, _, body = raw(server, body=b"{}", headers={**many, **auth_headers(),
                                                           "X-Amz-Target": "secretsmanager.ListSecrets",
                                                           "Content-Type": "application/x-amz-json-1.1"})
        assert status in (400, 413, 431), (status, body[:300])
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        pass
    baseline()


def test_not_http_at_all(server, baseline):
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),  # a TLS ClientHello
                 b"GARBAGE /\x00\xff HTTP/9.9\r\n\r\n",
                 os.urandom(1000)):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        data = b""
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server already closed the connection
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
        except (ConnectionResetError, socket.timeout):
            pass
        finally:
            s.close()
        assert data == b"" or data.startswith(b"HTTP/1.1 400"), data[:200]
    baseline()


def test_unknown_service_in_credential_scope(server, baseline):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets",
               **auth_headers("nosuchservice")}
    status, rheaders, body = raw(server, body=b"{}", headers=headers)
    assert status == 400, body
    # No service, so no model to take the JSON version from: any JSON content type will do.
    code, message = json_error(status, rheaders, body, content_type="application/")
    assert code and "nosuchservice" in message, body
    status, rheaders, body = query_call(server, {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                                        service="nosuchservice")
    assert status == 400, body
    code, message = query_error(status, rheaders, body)
    assert code and "nosuchservice" in message, body
    baseline()


# ---------------------------------------------------------------------------------------------------
# Query protocol (STS)

def test_query_well_formed_raw_request_works(server):
    status, _, body = query_call(server, {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert status == 200, body
    assert b"<Account>000000000000</Account>" in body
    status, _, body = query_call(server, {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, method="GET")
    assert status == 200, body
    assert b"<Account>000000000000</Account>" in body


def test_query_unknown_action(server, baseline):
    status, headers, body = query_call(server, {"Action": "StealCredentials", "Version": "2011-06-15"})
    code, message = query_error(status, headers, body)
    assert (status, code) == (400, "InvalidAction"), body
    assert "StealCredentials" in message
    status, headers, body = query_call(server, {"Action": "GetCallerIdentity", "Version": "1999-01-01"})
    code, message = query_error(status, headers, body)
    assert (status, code) == (400, "InvalidAction"), body
    status, headers, body = query_call(server, {"Version": "2011-06-15"})
    code, message = query_error(status, headers, body)
    assert status == 400 and code in ("MissingAction", "InvalidAction"), body
    baseline()


def test_query_missing_and_bad_parameters(server, baseline):
    status, headers, body = query_call(server, {"Action": "AssumeRole", "Version": "2011-06-15",
                                                "RoleSessionName": "ss"})
    code, message = query_error(status, headers, body)
    assert (status, code) == (400, "ValidationError"), body
    assert message.startswith("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
                              "Member must not be null"), body
    status, headers, body = query_call(server, {"Action": "AssumeRole", "Version": "2011-06-15",
                                                "RoleArn": "arn:aws:iam::000000000000:role/r",
                                                "RoleSessionName": "ss", "DurationSeconds": "lots"})
    code, message = query_error(status, headers, body)
    assert status == 400 and code in ("ValidationError", "MalformedInput", "InvalidParameterValue"), body
    status, headers, body = raw(server, body=os.urandom(2048), headers={
        "Content-Type": "application/x-www-form-urlencoded", **auth_headers("sts")})
    assert status == 400, body
    code, _ = query_error(status, headers, body)
    assert code, body
    baseline()


# ---------------------------------------------------------------------------------------------------
# Admin endpoints

def test_admin_health(server):
    h = server.health()
    assert h["status"] == "running"
    version = server.first_line.split()[1]
    assert h["version"] == version
    assert h["ephemeral"] is True and h["enforce_iam"] is False
    for svc in ("secretsmanager", "sts"):
        assert h["services"][svc]["state"] == "running", h
        assert h["services"][svc]["operations"] > 0, h
    assert abs(server.now() - time.time()) < 3600 * 24 * 365 * 10


def test_admin_reset(server):
    sm = server.client("secretsmanager")
    sm.create_secret(Name="a", SecretString="1")
    server.client("secretsmanager", region="eu-west-1").create_secret(Name="b", SecretString="2")
    server.client("secretsmanager", access_key="999988887777").create_secret(Name="c", SecretString="3")
    status, body = server.admin("POST", "/_cloudbox/reset")
    assert status == 200 and body == {"reset": True}
    assert sm.list_secrets()["SecretList"] == []
    assert server.client("secretsmanager", region="eu-west-1").list_secrets()["SecretList"] == []
    assert server.client("secretsmanager", access_key="999988887777").list_secrets()["SecretList"] == []
    sm.create_secret(Name="a", SecretString="again")
    assert sm.get_secret_value(SecretId="a")["SecretString"] == "again"


def test_admin_clock(server):
    status, body = server.admin("GET", "/_cloudbox/clock")
    assert status == 200 and "now" in body
    t0 = server.now()
    t1 = server.advance(3600)
    assert 3600 <= t1 - t0 < 3660

    target = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t1 + 10 * 86400))
    status, body = server.admin("POST", "/_cloudbox/clock", {"set": target})
    assert status == 200, body
    t2 = server.now()
    assert 10 * 86400 - 5 <= t2 - t1 < 10 * 86400 + 60

    earlier = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t2 - 86400))
    status, body = server.admin("POST", "/_cloudbox/clock", {"set": earlier})
    assert status == 400, body
    assert server.now() >= t2
    for bad in ({"advance_seconds": -5}, {"advance_seconds": "ten"}, {"set": "yesterday"}, {}, [1, 2]):
        status, body = server.admin("POST", "/_cloudbox/clock", bad)
        assert status == 400, (bad, body)
    status, body = server.admin("POST", "/_cloudbox/clock", b"{not json")
    assert status == 400, body
    assert server.now() >= t2
    # Requests see the moved clock: a secret made now is dated on it.
    created = server.client("secretsmanager").create_secret(Name="dated", SecretString="x")
    d = server.client("secretsmanager").describe_secret(SecretId=created["Name"])
    assert abs(d["CreatedDate"].timestamp() - server.now()) < 60


def test_admin_unknown_endpoint(server):
    status, body = server.admin("GET", "/_cloudbox/nope")
    assert status == 404, body
    status, body = server.admin("GET", "/_cloudbox/reset")
    assert status in (404, 405), body
