"""Responses checked against the model.

- `check_parsed`: botocore's parsed output against the output shape (types, required members, enums, string
  and number constraints, timestamps parsed, lists/maps).
- `check_raw`: the raw body against the shape, because botocore drops members it does not know: unknown JSON
  keys / XML elements, wire types (JSON numbers, booleans, epoch timestamps; XML scalars), the XML envelope
  (root element, result wrapper, namespace, request id).
- `check_error_envelope`: the protocol's error envelope (JSON `__type`, XML `<ErrorResponse>`/`<Response>`), the
  Sender/Receiver type against the HTTP status, a request id.
"""
import base64
import datetime
import json
import re
import xml.etree.ElementTree as ET

import regexgen

MAX_PROBLEMS = 5

# Where AWS itself answers outside its published model, cloudbox answers as AWS does; these problems are
# accepted (service, operation regex, problem regex, why).
KNOWN_DEVIATIONS = [
    ("ec2", r".*", r"\.Attachments\[\d+\]\.State: 'available' is not in the enum",
     "internet gateway attachments are 'available' on AWS (EC2 API reference, InternetGatewayAttachment)"),
    ("iam", r".*", r"PermissionsBoundaryType: 'Policy' is not in the enum",
     "AWS answers PermissionsBoundaryType 'Policy' (IAM CLI reference examples)"),
    ("iam", r".*", r"Fingerprint: '[0-9a-f:]{47}' shorter than min 48",
     "an MD5 fingerprint with colons has 47 characters; the model's minimum is 48"),
    ("secretsmanager", r".*", r"(^|\.)Name: string of \d+ characters, longer than max 256$",
     "secret names may have 512 characters (NameType); the output's SecretNameType says 256"),
    ("iam", r"^GetUser$", r"^User: required member (Path|UserName) missing$|^User\.UserId: '\d{12}' shorter than min 16$",
     "GetUser without UserName, called by the account root, answers the root user (no Path/UserName; UserId is the "
     "account id)"),
]


def known_deviations(service, op_name, problems):
    """(problems left, problems accepted as known AWS deviations)."""
    left, accepted = [], []
    for p in problems:
        if any(s == service and re.match(o, op_name) and re.search(r, p) for s, o, r, _ in KNOWN_DEVIATIONS):
            accepted.append(p)
        else:
            left.append(p)
    return left, accepted


def _num_ok(t, v):
    if isinstance(v, bool):
        return False
    if t in ("integer", "long"):
        return isinstance(v, int)
    return isinstance(v, (int, float))


def check_parsed(shape, value, path="", problems=None):
    """Problems (strings) found in a parsed value of `shape`."""
    if problems is None:
        problems = []
    if len(problems) >= MAX_PROBLEMS or shape is None:
        return problems
    t = shape.type_name
    where = path or "output"
    md = shape.metadata
    if t == "structure":
        if not isinstance(value, dict):
            problems.append("%s: expected a structure, got %s" % (where, type(value).__name__))
            return problems
        for r in shape.required_members:
            if r not in value or value[r] is None:
                problems.append("%s: required member %s missing" % (where, r))
        for k, v in value.items():
            if not path and k == "ResponseMetadata":
                continue
            if k not in shape.members:
                problems.append("%s: unknown member %s" % (where, k))
                continue
            check_parsed(shape.members[k], v, (path + "." if path else "") + k, problems)
    elif t == "list":
        if not isinstance(value, list):
            problems.append("%s: expected a list, got %s" % (where, type(value).__name__))
            return problems
        for i, item in enumerate(value[:50]):
            check_parsed(shape.member, item, "%s[%d]" % (where, i), problems)
    elif t == "map":
        if not isinstance(value, dict):
            problems.append("%s: expected a map, got %s" % (where, type(value).__name__))
            return problems
        for k, v in list(value.items())[:50]:
            check_parsed(shape.key, k, "%s{key}" % where, problems)
            check_parsed(shape.value, v, "%s{%s}" % (where, k), problems)
    elif t == "string":
        if isinstance(value, dict) and shape.name == "policyDocumentType":
            return problems  # botocore decodes IAM policy documents into dicts (the raw body is checked as text)
        if not isinstance(value, str):
            problems.append("%s: expected a string, got %s" % (where, type(value).__name__))
            return problems
        if shape.enum and value not in shape.enum:
            problems.append("%s: %r is not in the enum %s" % (where, value[:60], list(shape.enum)[:8]))
        if "min" in md and len(value) < md["min"]:
            problems.append("%s: %r shorter than min %d" % (where, value[:60], md["min"]))
        if "max" in md and len(value) > md["max"]:
            problems.append("%s: string of %d characters, longer than max %d" % (where, len(value), md["max"]))
        if "pattern" in md and value and not regexgen.matches(md["pattern"], value):
            problems.append("%s: %r does not match the pattern %s" % (where, value[:60], md["pattern"][:60]))
    elif t in ("integer", "long", "double", "float"):
        if not _num_ok(t, value):
            problems.append("%s: expected %s, got %r" % (where, t, value))
            return problems
        if "min" in md and value < md["min"]:
            problems.append("%s: %r below min %s" % (where, value, md["min"]))
        if "max" in md and value > md["max"]:
            problems.append("%s: %r above max %s" % (where, value, md["max"]))
    elif t == "boolean":
        if not isinstance(value, bool):
            problems.append("%s: expected a boolean, got %r" % (where, value))
    elif t == "timestamp":
        if not isinstance(value, datetime.datetime):
            problems.append("%s: timestamp not parsed (%r)" % (where, value))
    elif t == "blob":
        if not isinstance(value, (bytes, bytearray)) and not hasattr(value, "read"):
            problems.append("%s: expected a blob, got %s" % (where, type(value).__name__))
    return problems


# ---- raw JSON ---------------------------------------------------------------------------------------

def _json_name(name, member):
    return member.serialization.get("name", name)


def check_raw_json(shape, value, path="", problems=None, top_rest=False):
    if problems is None:
        problems = []
    if len(problems) >= MAX_PROBLEMS or shape is None:
        return problems
    where = path or "body"
    t = shape.type_name
    if value is None:
        problems.append("%s: null on the wire (members with no value are left out)" % where)
        return problems
    if t == "structure":
        if not isinstance(value, dict):
            problems.append("%s: expected a JSON object, got %s" % (where, type(value).__name__))
            return problems
        if shape.metadata.get("document"):
            return problems
        names = {}
        for n, m in shape.members.items():
            if top_rest and m.serialization.get("location"):
                continue
            names[_json_name(n, m)] = (n, m)
        for k, v in value.items():
            if k not in names:
                problems.append("%s: unknown key %r (not a member of %s)" % (where, k, shape.name))
                continue
            check_raw_json(names[k][1], v, (path + "." if path else "") + k, problems)
    elif t == "list":
        if not isinstance(value, list):
            problems.append("%s: expected a JSON array, got %s" % (where, type(value).__name__))
            return problems
        for i, item in enumerate(value[:50]):
            check_raw_json(shape.member, item, "%s[%d]" % (where, i), problems)
    elif t == "map":
        if not isinstance(value, dict):
            problems.append("%s: expected a JSON object (map), got %s" % (where, type(value).__name__))
            return problems
        for k, v in list(value.items())[:50]:
            check_raw_json(shape.value, v, "%s{%s}" % (where, k), problems)
    elif t in ("string",):
        if not isinstance(value, str):
            problems.append("%s: expected a JSON string, got %r" % (where, value))
    elif t in ("integer", "long", "double", "float"):
        if not _num_ok(t, value):
            problems.append("%s: expected a JSON %s, got %r" % (where, t, value))
    elif t == "boolean":
        if not isinstance(value, bool):
            problems.append("%s: expected a JSON boolean, got %r" % (where, value))
    elif t == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
        if fmt == "unixTimestamp" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.append("%s: timestamp should be epoch seconds (a JSON number), got %r" % (where, value))
    elif t == "blob":
        if not isinstance(value, str):
            problems.append("%s: blob should be a base64 string, got %r" % (where, value))
        else:
            try:
                base64.b64decode(value, validate=True)
            except ValueError:
                problems.append("%s: blob is not valid base64" % where)
    return problems


# ---- raw XML ----------------------------------------------------------------------------------------

def _local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def _ns(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")


def _xml_member_name(protocol, name, member):
    return member.serialization.get("name", name)


def check_xml_value(protocol, shape, elem, path, problems, flattened=False):
    if len(problems) >= MAX_PROBLEMS:
        return
    t = shape.type_name
    text = elem.text or ""
    if t == "structure":
        known = {}
        for n, m in shape.members.items():
            known.setdefault(_xml_member_name(protocol, n, m), (n, m))
            if m.type_name == "list" and m.serialization.get("flattened"):
                known.setdefault(m.member.serialization.get("name", n), (n, m))
        seen = {}
        for child in elem:
            ln = _local(child.tag)
            if ln not in known:
                problems.append("%s: unknown element <%s> (not a member of %s)" % (path, ln, shape.name))
                continue
            n, m = known[ln]
            seen[n] = seen.get(n, 0) + 1
            if m.type_name == "list" and m.serialization.get("flattened"):
                check_xml_value(protocol, m.member, child, "%s.%s" % (path, n), problems)
            else:
                if seen[n] > 1:
                    problems.append("%s: element <%s> repeated" % (path, ln))
                check_xml_value(protocol, m, child, "%s.%s" % (path, n), problems)
    elif t == "list":
        item_name = shape.member.serialization.get("name", "member")
        for i, child in enumerate(list(elem)[:50]):
            if _local(child.tag) != item_name:
                problems.append("%s: list item element <%s>, expected <%s>" % (path, _local(child.tag), item_name))
                continue
            check_xml_value(protocol, shape.member, child, "%s[%d]" % (path, i), problems)
    elif t == "map":
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        for entry in list(elem)[:50]:
            if _local(entry.tag) != "entry":
                problems.append("%s: map element <%s>, expected <entry>" % (path, _local(entry.tag)))
                continue
            names = [_local(c.tag) for c in entry]
            if kname not in names or vname not in names:
                problems.append("%s: map entry without <%s>/<%s>" % (path, kname, vname))
    elif t in ("integer", "long"):
        if not re.fullmatch(r"-?\d+", text.strip()):
            problems.append("%s: %r is not an integer" % (path, text))
    elif t in ("double", "float"):
        try:
            float(text)
        except ValueError:
            problems.append("%s: %r is not a number" % (path, text))
    elif t == "boolean":
        if text.strip() not in ("true", "false"):
            problems.append("%s: %r is not a boolean (true/false)" % (path, text))
    elif t == "timestamp":
        if not ISO.match(text.strip()):
            problems.append("%s: %r is not an ISO 8601 timestamp" % (path, text))
    elif t == "blob":
        try:
            base64.b64decode(text.strip(), validate=True)
        except ValueError:
            problems.append("%s: blob is not valid base64" % path)
    elif t == "string":
        if len(elem):
            problems.append("%s: string member holds elements" % path)


def check_raw_xml(protocol, op_model, body, xml_namespace):
    problems = []
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return ["response body is not XML: %s" % e]
    expected_root = op_model.name + "Response"
    if _local(root.tag) != expected_root:
        problems.append("root element <%s>, expected <%s>" % (_local(root.tag), expected_root))
        return problems
    ns = _ns(root.tag)
    if xml_namespace and ns.rstrip("/") != xml_namespace.rstrip("/"):
        problems.append("namespace %r, expected %r" % (ns, xml_namespace))
    shape = op_model.output_shape
    if protocol == "ec2":
        rid = [c for c in root if _local(c.tag) == "requestId"]
        if not rid or not (rid[0].text or "").strip():
            problems.append("no <requestId>")
        if shape is not None:
            fake = ET.Element("x")
            for c in root:
                if _local(c.tag) != "requestId":
                    fake.append(c)
            check_xml_value(protocol, shape, fake, "output", problems)
        elif len([c for c in root if _local(c.tag) != "requestId"]):
            problems.append("elements in a response that has no output shape")
        return problems
    # query
    children = {_local(c.tag): c for c in root}
    md = children.get("ResponseMetadata")
    if md is None or not [c for c in md if _local(c.tag) == "RequestId" and (c.text or "").strip()]:
        problems.append("no <ResponseMetadata><RequestId>")
    wrapper = op_model.output_shape.serialization.get("resultWrapper") if shape is not None else None
    for name in children:
        if name not in ("ResponseMetadata", wrapper):
            problems.append("unexpected element <%s> under <%s>" % (name, expected_root))
    if shape is not None and wrapper:
        res = children.get(wrapper)
        if res is None:
            problems.append("no <%s>" % wrapper)
        else:
            check_xml_value(protocol, shape, res, "output", problems)
    return problems


# ---- error envelopes --------------------------------------------------------------------------------

def check_error_envelope(protocol, status, headers, body):
    """(code or None, problems)."""
    problems = []
    code = None
    lower = {k.lower(): v for k, v in headers.items()}
    if protocol in ("json", "rest-json"):
        if not (lower.get("x-amzn-requestid") or lower.get("x-amz-request-id")):
            problems.append("error response without an x-amzn-RequestId header")
        try:
            doc = json.loads(body) if body else {}
        except ValueError:
            doc = None
            problems.append("error body is not JSON: %r" % body[:200])
        if isinstance(doc, dict):
            code = doc.get("__type") or doc.get("code") or doc.get("Code")
            if "message" not in doc and "Message" not in doc and "errorMessage" not in doc:
                problems.append("error body has no message")
        if protocol == "rest-json" and lower.get("x-amzn-errortype"):
            code = lower["x-amzn-errortype"]
        if not code:
            problems.append("error without a code (__type / x-amzn-ErrorType)")
        else:
            code = code.split(":")[0].split("#")[-1]
        return code, problems
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return None, ["error body is not XML: %s (%r)" % (e, body[:200])]
    if protocol == "ec2":
        if _local(root.tag) != "Response":
            problems.append("error root <%s>, expected <Response>" % _local(root.tag))
        err = root.find("./Errors/Error")
        if err is None:
            problems.append("no <Errors><Error>")
        else:
            code = (err.findtext("Code") or "").strip() or None
            if err.find("Message") is None:
                problems.append("error without <Message>")
        if not (root.findtext("RequestID") or root.findtext("RequestId") or "").strip():
            problems.append("no <RequestID>")
    else:
        if _local(root.tag) != "ErrorResponse":
            problems.append("error root <%s>, expected <ErrorResponse>" % _local(root.tag))
        err = None
        for c in root:
            if _local(c.tag) == "Error":
                err = c
        if err is None:
            problems.append("no <Error>")
        else:
            fields = {_local(c.tag): (c.text or "").strip() for c in err}
            code = fields.get("Code") or None
            typ = fields.get("Type")
            if "Message" not in fields:
                problems.append("error without <Message>")
            if typ not in ("Sender", "Receiver"):
                problems.append("error <Type> %r, expected Sender or Receiver" % typ)
            elif (typ == "Sender") != (status < 500):
                problems.append("error <Type>%s</Type> with HTTP %d" % (typ, status))
        rid = [c for c in root if _local(c.tag) == "RequestId" and (c.text or "").strip()]
        if not rid:
            problems.append("no <RequestId>")
    if not code:
        problems.append("error without a <Code>")
    return code, problems
