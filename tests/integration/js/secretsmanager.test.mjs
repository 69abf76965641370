// cloudbox with the AWS SDK for JavaScript v3: Secrets Manager and STS against the real binary.
// Run: CLOUDBOX_BIN=build/cloudbox node --test tests/integration/js/   (after `npm ci` in this folder)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  SecretsManagerClient,
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ListSecretsCommand,
  DescribeSecretCommand,
  DeleteSecretCommand,
  RestoreSecretCommand,
  ResourceNotFoundException,
  ResourceExistsException,
  InvalidRequestException,
} from "@aws-sdk/client-secrets-manager";
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { IAMClient, CreateRoleCommand } from "@aws-sdk/client-iam";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CLOUDBOX_BIN || resolve(here, "../../../build/cloudbox");
const LISTENING = /^cloudbox (\S+) listening on http:\/\/([0-9.]+):(\d+) \((.*)\)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let proc;
let endpoint;
let stderr = "";

function startServer() {
  return new Promise((resolvePromise, reject) => {
    if (!existsSync(BIN)) return reject(new Error(`cloudbox binary not found: ${BIN} (set CLOUDBOX_BIN)`));
    const env = { ...process.env };
    delete env.CLOUDBOX_ENFORCE_IAM;
    proc = spawn(BIN, ["serve", "--port", "0", "--ephemeral", "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no 'listening' line within 30s; stderr: ${stderr}`)), 30000);
    proc.stderr.on("data", (d) => (stderr += d.toString()));
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`cloudbox exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
    proc.stdout.on("data", function onData(d) {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      proc.stdout.off("data", onData);
      proc.stdout.resume(); // keep draining
      const m = LISTENING.exec(out.slice(0, nl));
      if (!m) return reject(new Error(`unexpected first line: ${out.slice(0, nl)}`));
      resolvePromise(`http://127.0.0.1:${m[3]}`);
    });
  });
}

async function waitHealthy(url) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const r = await fetch(`${url}/_cloudbox/health`);
      if (r.status === 200 && (await r.json()).status === "running") return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`health never answered; stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function admin(method, path, body) {
  const r = await fetch(`${endpoint}${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

function clientConfig(region = "us-east-1", credentials = { accessKeyId: "test", secretAccessKey: "test" }) {
  return { endpoint, region, credentials, maxAttempts: 1 };
}

const sm = (region, creds) => new SecretsManagerClient(clientConfig(region, creds));
const sts = (region, creds) => new STSClient(clientConfig(region, creds));

before(async () => {
  endpoint = await startServer();
  proc.removeAllListeners("exit");
  await waitHealthy(endpoint);
});

after(async () => {
  if (!proc) return;
  const alive = proc.exitCode === null && proc.signalCode === null;
  const exited = new Promise((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  proc.kill("SIGTERM");
  const { code } = alive ? await exited : { code: proc.exitCode };
  assert.ok(alive, `cloudbox died during the tests; stderr: ${stderr}`);
  assert.equal(code, 0, `cloudbox exited ${code} on SIGTERM; stderr: ${stderr}`);
});

test("secrets: create, get, put, describe, list, delete, restore", async () => {
  assert.equal((await admin("POST", "/_cloudbox/reset")).status, 200);
  const client = sm();
  const created = await client.send(
    new CreateSecretCommand({
      Name: "js/app",
      SecretString: JSON.stringify({ user: "u", password: "p" }),
      Description: "from the JS SDK",
      Tags: [{ Key: "sdk", Value: "js" }],
    }),
  );
  assert.match(created.ARN, /^arn:aws:secretsmanager:us-east-1:000000000000:secret:js\/app-[A-Za-z0-9]{6}$/);
  assert.equal(created.Name, "js/app");
  assert.match(created.VersionId, UUID);
  assert.equal(created.$metadata.httpStatusCode, 200);

  const got = await client.send(new GetSecretValueCommand({ SecretId: "js/app" }));
  assert.deepEqual(JSON.parse(got.SecretString), { user: "u", password: "p" });
  assert.equal(got.VersionId, created.VersionId);
  assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
  assert.ok(got.CreatedDate instanceof Date);

  const put = await client.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: "second" }));
  assert.notEqual(put.VersionId, created.VersionId);
  assert.deepEqual(put.VersionStages, ["AWSCURRENT"]);
  assert.equal((await client.send(new GetSecretValueCommand({ SecretId: "js/app" }))).SecretString, "second");
  const previous = await client.send(new GetSecretValueCommand({ SecretId: "js/app", VersionStage: "AWSPREVIOUS" }));
  assert.equal(JSON.parse(previous.SecretString).password, "p");

  const bytes = Uint8Array.from([0, 1, 2, 250, 255, 0, 42]);
  await client.send(new CreateSecretCommand({ Name: "js/bin", SecretBinary: bytes }));
  const bin = await client.send(new GetSecretValueCommand({ SecretId: "js/bin" }));
  assert.deepEqual(Array.from(bin.SecretBinary), Array.from(bytes));
  assert.equal(bin.SecretString, undefined);

  const described = await client.send(new DescribeSecretCommand({ SecretId: "js/app" }));
  assert.equal(described.Description, "from the JS SDK");
  assert.deepEqual(described.Tags, [{ Key: "sdk", Value: "js" }]);
  assert.deepEqual(described.VersionIdsToStages, {
    [put.VersionId]: ["AWSCURRENT"],
    [created.VersionId]: ["AWSPREVIOUS"],
  });

  const listed = await client.send(new ListSecretsCommand({ SortOrder: "asc" }));
  assert.deepEqual(
    listed.SecretList.map((s) => s.Name).sort(),
    ["js/app", "js/bin"],
  );
  const filtered = await client.send(new ListSecretsCommand({ Filters: [{ Key: "tag-key", Values: ["sdk"] }] }));
  assert.deepEqual(filtered.SecretList.map((s) => s.Name), ["js/app"]);

  const deleted = await client.send(new DeleteSecretCommand({ SecretId: "js/app", RecoveryWindowInDays: 7 }));
  assert.equal(deleted.Name, "js/app");
  assert.ok(deleted.DeletionDate instanceof Date);
  await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: "js/app" })), (e) => {
    assert.ok(e instanceof InvalidRequestException, `${e.name}: ${e.message}`);
    assert.equal(e.name, "InvalidRequestException");
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.match(e.message, /marked for deletion/);
    return true;
  });
  await client.send(new RestoreSecretCommand({ SecretId: "js/app" }));
  assert.equal((await client.send(new GetSecretValueCommand({ SecretId: "js/app" }))).SecretString, "second");

  await client.send(new DeleteSecretCommand({ SecretId: "js/bin", ForceDeleteWithoutRecovery: true }));
  await assert.rejects(client.send(new DescribeSecretCommand({ SecretId: "js/bin" })), (e) => {
    assert.ok(e instanceof ResourceNotFoundException, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
});

test("secrets: errors carry AWS's name, status and message", async () => {
  assert.equal((await admin("POST", "/_cloudbox/reset")).status, 200);
  const client = sm();
  await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: "missing" })), (e) => {
    assert.equal(e.name, "ResourceNotFoundException");
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(e.message, "Secrets Manager can't find the specified secret.");
    assert.ok(e.$metadata.requestId, "a request id");
    return true;
  });
  await client.send(new CreateSecretCommand({ Name: "dup", SecretString: "x" }));
  await assert.rejects(client.send(new CreateSecretCommand({ Name: "dup", SecretString: "y" })), (e) => {
    assert.ok(e instanceof ResourceExistsException, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
  // Regions are separate.
  await assert.rejects(sm("us-west-2").send(new GetSecretValueCommand({ SecretId: "dup" })), (e) => {
    assert.equal(e.name, "ResourceNotFoundException");
    return true;
  });
});

test("sts: caller identity, AssumeRole credentials that work and expire", async () => {
  assert.equal((await admin("POST", "/_cloudbox/reset")).status, 200);
  const ident = await sts().send(new GetCallerIdentityCommand({}));
  assert.equal(ident.Account, "000000000000");
  assert.equal(ident.Arn, "arn:aws:iam::000000000000:root");
  assert.equal(ident.UserId, "000000000000");

  const other = await sts("us-east-1", { accessKeyId: "123456789012", secretAccessKey: "x" }).send(
    new GetCallerIdentityCommand({}),
  );
  assert.equal(other.Account, "123456789012");

  // As on AWS, the role must exist (and trust the caller) before it can be assumed.
  const iam = new IAMClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }],
  };
  const role = await iam.send(new CreateRoleCommand({ RoleName: "js-role", AssumeRolePolicyDocument: JSON.stringify(trust) }));
  assert.equal(role.Role.Arn, "arn:aws:iam::000000000000:role/js-role");
  assert.match(role.Role.RoleId, /^AROA[A-Z2-7]{17}$/);

  const assumed = await sts().send(
    new AssumeRoleCommand({
      RoleArn: "arn:aws:iam::000000000000:role/js-role",
      RoleSessionName: "js-session",
      DurationSeconds: 900,
    }),
  );
  const c = assumed.Credentials;
  assert.match(c.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(c.SessionToken);
  assert.ok(c.Expiration instanceof Date);
  assert.equal(assumed.AssumedRoleUser.Arn, "arn:aws:sts::000000000000:assumed-role/js-role/js-session");

  const creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  const asRole = await sts("us-east-1", creds).send(new GetCallerIdentityCommand({}));
  assert.equal(asRole.Arn, "arn:aws:sts::000000000000:assumed-role/js-role/js-session");
  assert.equal(asRole.UserId, assumed.AssumedRoleUser.AssumedRoleId);
  const made = await sm("us-east-1", creds).send(new CreateSecretCommand({ Name: "by-role", SecretString: "r" }));
  assert.match(made.ARN, /^arn:aws:secretsmanager:us-east-1:000000000000:secret:by-role-/);

  await assert.rejects(
    sts().send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/js-role", RoleSessionName: "s".repeat(65) }),
    ),
    (e) => {
      assert.equal(e.name, "ValidationError");
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.match(e.message, /Member must have length less than or equal to 64/);
      return true;
    },
  );

  const moved = await admin("POST", "/_cloudbox/clock", { advance_seconds: 1000 });
  assert.equal(moved.status, 200);
  await assert.rejects(sts("us-east-1", creds).send(new GetCallerIdentityCommand({})), (e) => {
    assert.equal(e.name, "ExpiredToken");
    assert.equal(e.$metadata.httpStatusCode, 403);
    assert.match(e.message, /expired/);
    return true;
  });
});
