"""Secrets Manager through Debian's AWS CLI v2: the guide's step 7 and cases C16-C20 of cases.md,
each exactly as its repro says."""
import re
import uuid

import pytest

pytestmark = pytest.mark.usefixtures("clean")

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."

SUPABASE = ('{"password":"supabase-password","user":"supabase-user",'
            '"database_uri":"postgresql://postgres.<user>:<password>@aws-0-us-east-2.pooler.supabase.com:6543/postgres"}')


def assert_error(r, code, status=400, message_prefix=None):
    assert r.rc != 0, r
    assert r.code == code, r
    assert r.status == status, r
    if message_prefix is not None:
        assert r.message is not None and r.message.startswith(message_prefix), r


# ---------------------------------------------------------------------------------------------------
# The guide, step 7

def test_guide_step7_supabase_secret_round_trip(server):
    created = server.aws("secretsmanager", "create-secret", "--name", "supabase", "--secret-string", SUPABASE,
                         "--region", "us-west-2").ok()
    assert created["Name"] == "supabase"
    assert re.fullmatch(r"arn:aws:secretsmanager:us-west-2:000000000000:secret:supabase-[A-Za-z0-9]{6}",
                        created["ARN"]), created
    assert UUID.match(created["VersionId"]), created

    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "supabase", "--query", "SecretString",
                   "--output", "text", "--region", "us-west-2")
    assert r.rc == 0, r
    assert r.stdout == SUPABASE + "\n", r

    # By ARN too, and the JSON document is intact.
    got = server.aws("secretsmanager", "get-secret-value", "--secret-id", created["ARN"],
                     "--region", "us-west-2").ok()
    assert got["SecretString"] == SUPABASE
    assert got["VersionId"] == created["VersionId"]
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert got["ARN"] == created["ARN"]

    # The guide's warning: a secret made in us-west-2 is invisible from us-east-1.
    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "supabase", "--region", "us-east-1")
    assert_error(r, "ResourceNotFoundException", 400, "Secrets Manager can't find the specified secret.")
    r = server.aws("secretsmanager", "describe-secret", "--secret-id", "supabase", "--region", "us-east-1")
    assert_error(r, "ResourceNotFoundException", 400)
    listed = server.aws("secretsmanager", "list-secrets", "--region", "us-east-1").ok()
    assert listed["SecretList"] == []
    listed = server.aws("secretsmanager", "list-secrets", "--region", "us-west-2").ok()
    assert [s["Name"] for s in listed["SecretList"]] == ["supabase"]


# ---------------------------------------------------------------------------------------------------
# C16: CreateSecret with the name of a secret pending deletion

def test_c16_create_with_name_pending_deletion(server):
    server.aws("secretsmanager", "create-secret", "--name", "pend", "--secret-string", "x").ok()
    deleted = server.aws("secretsmanager", "delete-secret", "--secret-id", "pend").ok()
    assert deleted["Name"] == "pend"
    assert deleted["DeletionDate"]

    r = server.aws("secretsmanager", "create-secret", "--name", "pend", "--secret-string", "y")  # (a)
    assert_error(r, "InvalidRequestException", 400,
                 "You can't create this secret because a secret with this name is already scheduled for deletion.")

    server.aws("secretsmanager", "restore-secret", "--secret-id", "pend").ok()
    r = server.aws("secretsmanager", "create-secret", "--name", "pend", "--secret-string", "y")  # (b)
    assert_error(r, "ResourceExistsException", 400)

    # Neither failed create changed the secret.
    assert server.aws("secretsmanager", "get-secret-value", "--secret-id", "pend").ok()["SecretString"] == "x"


# ---------------------------------------------------------------------------------------------------
# C17: operations on a secret marked for deletion

def test_c17_operations_on_secret_marked_for_deletion(server):
    server.aws("secretsmanager", "create-secret", "--name", "test/secret-name", "--secret-string",
               "secret-value").ok()
    server.aws("secretsmanager", "delete-secret", "--secret-id", "test/secret-name").ok()

    r = server.aws("secretsmanager", "tag-resource", "--secret-id", "test/secret-name", "--tags",
                   "Key=TaggingAfterDeletionWorks,Value=true")  # (a)
    assert_error(r, "InvalidRequestException", 400, MARKED_FOR_DELETION)
    r = server.aws("secretsmanager", "untag-resource", "--secret-id", "test/secret-name", "--tag-keys",
                   "TaggingAfterDeletionWorks")  # (b)
    assert_error(r, "InvalidRequestException", 400, MARKED_FOR_DELETION)
    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "test/secret-name")  # (c)
    assert_error(r, "InvalidRequestException", 400, MARKED_FOR_DELETION)
    # "Tag, untag, get and put calls fail": put too.
    r = server.aws("secretsmanager", "put-secret-value", "--secret-id", "test/secret-name", "--secret-string", "z")
    assert_error(r, "InvalidRequestException", 400, MARKED_FOR_DELETION)

    r = server.aws("secretsmanager", "describe-secret", "--secret-id", "test/secret-name", "--query",
                   "DeletedDate")  # (d)
    assert r.rc == 0, r
    assert r.out is not None and r.out != "", r
    assert isinstance(r.out, (str, float, int)), r

    described = server.aws("secretsmanager", "describe-secret", "--secret-id", "test/secret-name").ok()
    assert "TaggingAfterDeletionWorks" not in [t["Key"] for t in described.get("Tags", [])]
    # The refused put left no version behind.
    assert len(described["VersionIdsToStages"]) == 1


# ---------------------------------------------------------------------------------------------------
# C18: DescribeSecret has VersionIdsToStages

def test_c18_describe_secret_version_ids_to_stages(server):
    r = server.aws("secretsmanager", "create-secret", "--name", "vis", "--secret-string", "one", "--query",
                   "VersionId", "--output", "text")
    assert r.rc == 0, r
    v1 = r.stdout.strip()
    a = server.aws("secretsmanager", "describe-secret", "--secret-id", "vis", "--query",
                   "VersionIdsToStages").ok()  # (a)
    assert a == {v1: ["AWSCURRENT"]}

    r = server.aws("secretsmanager", "put-secret-value", "--secret-id", "vis", "--secret-string", "two", "--query",
                   "VersionId", "--output", "text")
    assert r.rc == 0, r
    v2 = r.stdout.strip()
    b = server.aws("secretsmanager", "describe-secret", "--secret-id", "vis", "--query",
                   "VersionIdsToStages").ok()  # (b)
    assert b == {v2: ["AWSCURRENT"], v1: ["AWSPREVIOUS"]}
    for v in (v1, v2):
        assert len(v) == 36 and UUID.match(v), v
    assert v1 != v2


# ---------------------------------------------------------------------------------------------------
# C19: a custom staging label moves with PutSecretValue

def test_c19_custom_staging_label_moves(server):
    base = server.aws("secretsmanager", "create-secret", "--name", "cst", "--secret-string", "base").ok()
    base_v = base["VersionId"]
    r = server.aws("secretsmanager", "put-secret-value", "--secret-id", "cst", "--secret-string", "one",
                   "--version-stages", "test_stage", "--query", "VersionId", "--output", "text")
    assert r.rc == 0, r
    v1 = r.stdout.strip()
    r = server.aws("secretsmanager", "put-secret-value", "--secret-id", "cst", "--secret-string", "two",
                   "--version-stages", "test_stage", "--query", "VersionId", "--output", "text")
    assert r.rc == 0, r
    v2 = r.stdout.strip()

    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "cst", "--version-stage", "test_stage",
                   "--query", "SecretString", "--output", "text")  # (a)
    assert r.rc == 0, r
    assert r.stdout == "two\n"
    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "cst", "--query", "SecretString",
                   "--output", "text")  # (b)
    assert r.rc == 0, r
    assert r.stdout == "base\n"
    c = server.aws("secretsmanager", "describe-secret", "--secret-id", "cst", "--query",
                   "VersionIdsToStages").ok()  # (c)
    assert c == {v2: ["test_stage"], base_v: ["AWSCURRENT"]}, c
    assert v1 not in c

    # V1 is deprecated: hidden from ListSecretVersionIds unless IncludeDeprecated.
    listed = server.aws("secretsmanager", "list-secret-version-ids", "--secret-id", "cst").ok()
    assert sorted(v["VersionId"] for v in listed["Versions"]) == sorted([base_v, v2])
    listed = server.aws("secretsmanager", "list-secret-version-ids", "--secret-id", "cst",
                        "--include-deprecated").ok()
    by_id = {v["VersionId"]: v for v in listed["Versions"]}
    assert set(by_id) == {base_v, v1, v2}
    assert by_id[v1].get("VersionStages", []) == []
    assert by_id[v2]["VersionStages"] == ["test_stage"]
    # V1's value is still readable by its id.
    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "cst", "--version-id", v1, "--query",
                   "SecretString", "--output", "text")
    assert r.rc == 0, r
    assert r.stdout == "one\n"


# ---------------------------------------------------------------------------------------------------
# C20: the first version of a value-less secret becomes AWSCURRENT

def test_c20_first_version_of_valueless_secret(server):
    created = server.aws("secretsmanager", "create-secret", "--name", "rot").ok()
    assert created["Name"] == "rot"
    assert "VersionId" not in created, created
    r = server.aws("secretsmanager", "get-secret-value", "--secret-id", "rot")
    assert_error(r, "ResourceNotFoundException", 400,
                 "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")

    token = str(uuid.uuid4()).lower()
    a = server.aws("secretsmanager", "put-secret-value", "--secret-id", "rot", "--client-request-token", token,
                   "--secret-string", "s1", "--version-stages", "AWSPENDING", "--query", "VersionId").ok()  # (a)
    assert a == token

    r = server.aws("secretsmanager", "update-secret-version-stage", "--secret-id", "rot", "--version-stage",
                   "AWSCURRENT", "--move-to-version-id", token)  # (b)
    assert r.rc == 0, r

    c = server.aws("secretsmanager", "get-secret-value", "--secret-id", "rot", "--query",
                   "[SecretString,VersionId]").ok()  # (c)
    assert c == ["s1", token]

    stages = server.aws("secretsmanager", "describe-secret", "--secret-id", "rot", "--query",
                        "VersionIdsToStages").ok()
    assert list(stages) == [token], stages
    assert "AWSCURRENT" in stages[token], stages
