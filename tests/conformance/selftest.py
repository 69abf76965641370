"""The harness checks itself before it judges cloudbox: synthetic answers that are wrong in one way each must be
judged failures (and right ones passes), so a broken checker cannot pass everything. Runs in milliseconds, no
server; run.py calls it first."""
import datetime

from botocore.exceptions import ClientError

import regexgen


class Raw:
    def __init__(self, status, body, headers=None):
        self.status_code = status
        self.content = body
        self.headers = headers if headers is not None else {"x-amzn-RequestId": "r",
                                                             "Content-Type": "application/x-amz-json-1.1"}


XML = {"Content-Type": "text/xml"}


def client_error(code, status, op):
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, op)


def run(evaluate, session):
    """[(name, ok)] for each self-check; `evaluate` is run.evaluate."""
    sm = session.get_service_model("secretsmanager")
    iam = session.get_service_model("iam")
    ec2 = session.get_service_model("ec2")
    ds = sm.operation_model("DescribeSecret")
    gu = iam.operation_model("GetUser")
    dv = ec2.operation_model("DescribeVpcs")
    meta = {"ResponseMetadata": {"RequestId": "r"}}
    now = datetime.datetime.now(datetime.timezone.utc)
    user = {"User": {"UserName": "a", "Path": "/", "UserId": "A" * 16, "Arn": "a" * 20, "CreateDate": now}}
    iam_ok = (b'<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User>'
              b'<UserName>a</UserName><Path>/</Path><UserId>AAAAAAAAAAAAAAAA</UserId><Arn>aaaaaaaaaaaaaaaaaaaa</Arn>'
              b'<CreateDate>2026-01-01T00:00:00Z</CreateDate></User></GetUserResult>'
              b'<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetUserResponse>')
    checks = [
        ("json success passes", "pass",
         evaluate(sm, ds, "valid", "valid: x", dict(meta, Name="a"), None, Raw(200, b'{"Name":"a"}'), "json")),
        ("unknown JSON key fails", "fail",
         evaluate(sm, ds, "valid", "valid: x", dict(meta, Name="a"), None, Raw(200, b'{"Name":"a","Bogus":1}'),
                  "json")),
        ("timestamp as text fails", "fail",
         evaluate(sm, ds, "valid", "valid: x", dict(meta, CreatedDate="x"), None,
                  Raw(200, b'{"CreatedDate":"2020"}'), "json")),
        ("wrong Content-Type fails", "fail",
         evaluate(sm, ds, "valid", "valid: x", dict(meta, Name="a"), None,
                  Raw(200, b'{"Name":"a"}', {"x-amzn-RequestId": "r", "Content-Type": "text/plain"}), "json")),
        ("unmodeled error code fails", "fail",
         evaluate(sm, ds, "valid", "valid: x", None, client_error("NoSuchThing", 400, "DescribeSecret"),
                  Raw(400, b'{"__type":"NoSuchThing","message":"m"}'), "json")),
        ("modeled error passes", "pass",
         evaluate(sm, ds, "valid", "valid: x", None, client_error("ResourceNotFoundException", 400, "DescribeSecret"),
                  Raw(400, b'{"__type":"ResourceNotFoundException","message":"m"}'), "json")),
        ("5xx fails", "fail",
         evaluate(sm, ds, "valid", "valid: x", None, client_error("InternalFailure", 500, "DescribeSecret"),
                  Raw(500, b'{"__type":"InternalFailure","message":"m"}'), "json")),
        ("501 NotImplemented counts as not implemented", "not-implemented",
         evaluate(sm, ds, "valid", "valid: x", None, client_error("NotImplemented", 501, "DescribeSecret"),
                  Raw(501, b'{"__type":"NotImplemented","message":"m"}'), "json")),
        ("invalid input accepted fails", "fail",
         evaluate(sm, ds, "invalid", "invalid: missing", dict(meta), None, Raw(200, b'{}'), "json")),
        ("invalid input answered NotFound fails", "fail",
         evaluate(sm, ds, "invalid", "invalid: missing", None,
                  client_error("ResourceNotFoundException", 400, "DescribeSecret"),
                  Raw(400, b'{"__type":"ResourceNotFoundException","message":"m"}'), "json")),
        ("invalid input answered ValidationException passes", "pass",
         evaluate(sm, ds, "invalid", "invalid: missing", None, client_error("ValidationException", 400, "DescribeSecret"),
                  Raw(400, b'{"__type":"ValidationException","message":"m"}'), "json")),
        ("valid input rejected by model validation fails", "fail",
         evaluate(sm, ds, "valid", "valid: x", None,
                  ClientError({"Error": {"Code": "ValidationException", "Message": "Value 'x' at 'name' failed to "
                                         "satisfy constraint: Member must have length less than or equal to 2"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeSecret"),
                  Raw(400, b'{"__type":"ValidationException","message":"m"}'), "json")),
        ("query success passes", "pass",
         evaluate(iam, gu, "valid", "valid: x", dict(meta, **user), None, Raw(200, iam_ok, XML), "query")),
        ("unknown XML element fails", "fail",
         evaluate(iam, gu, "valid", "valid: x", dict(meta, **user), None,
                  Raw(200, iam_ok.replace(b"<Path>/</Path>", b"<Path>/</Path><Extra>1</Extra>"), XML), "query")),
        ("wrong XML root fails", "fail",
         evaluate(iam, gu, "valid", "valid: x", dict(meta, **user), None,
                  Raw(200, iam_ok.replace(b"GetUserResponse", b"GetUsersResponse"), XML), "query")),
        ("missing required output member fails", "fail",
         evaluate(iam, gu, "valid", "valid: x", dict(meta, User={"UserName": "a"}), None, Raw(200, iam_ok, XML),
                  "query")),
        ("Receiver error type with 4xx fails", "fail",
         evaluate(iam, gu, "valid", "valid: x", None, client_error("NoSuchEntity", 404, "GetUser"),
                  Raw(404, b"<ErrorResponse><Error><Type>Receiver</Type><Code>NoSuchEntity</Code><Message>m</Message>"
                           b"</Error><RequestId>r</RequestId></ErrorResponse>", XML), "query")),
        ("modeled error with the wrong status fails", "fail",
         evaluate(iam, gu, "valid", "valid: x", None, client_error("NoSuchEntity", 400, "GetUser"),
                  Raw(400, b"<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>m</Message>"
                           b"</Error><RequestId>r</RequestId></ErrorResponse>", XML), "query")),
        ("EC2 documented error passes", "pass",
         evaluate(ec2, dv, "valid", "valid: x", None, client_error("InvalidVpcID.NotFound", 400, "DescribeVpcs"),
                  Raw(400, b"<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>m</Message></Error>"
                           b"</Errors><RequestID>r</RequestID></Response>", XML), "ec2")),
        ("EC2 undocumented error fails", "fail",
         evaluate(ec2, dv, "valid", "valid: x", None, client_error("VpcIsGone", 400, "DescribeVpcs"),
                  Raw(400, b"<Response><Errors><Error><Code>VpcIsGone</Code><Message>m</Message></Error>"
                           b"</Errors><RequestID>r</RequestID></Response>", XML), "ec2")),
        ("EC2 element outside the shape fails", "fail",
         evaluate(ec2, dv, "valid", "valid: x", dict(meta, Vpcs=[]), None,
                  Raw(200, b'<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r'
                           b'</requestId><vpcSet/><bogus>1</bogus></DescribeVpcsResponse>', XML), "ec2")),
    ]
    out = [(name, got[0] == want, "%s: expected %s, got %s (%s)" % (name, want, got[0], got[3]))
           for name, want, got in checks]
    # The wrong-type rewrite must reach the wire: botocore has already written a rest request's URL.
    import inputs
    rd = {"url": "http://h/schedule-groups?MaxResults=10", "query_string": {"MaxResults": 10}, "method": "GET",
          "body": b""}
    inputs._set_query_param(rd, "MaxResults", "notAnInteger")
    out.append(("query-string rewrite reaches the URL", rd["url"].endswith("MaxResults=notAnInteger"), rd["url"]))
    out.append(("regexgen matches IAM names", regexgen.full_matches(r"[\w+=,.@-]+", regexgen.example(
        r"[\w+=,.@-]+", 1, 64)), "regexgen"))
    return out
