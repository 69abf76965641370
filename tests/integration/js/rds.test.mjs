// cloudbox with the AWS SDK for JavaScript v3: RDS for PostgreSQL (create, describe, delete) against the
// real binary; each DB instance is a real PostgreSQL server.
// Run: CLOUDBOX_BIN=build/cloudbox node --test tests/integration/js/   (after `npm ci` in this folder)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createConnection } from "node:net";

import {
  RDSClient,
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  DeleteDBInstanceCommand,
  DescribeDBEngineVersionsCommand,
  DBInstanceNotFoundFault,
  DBInstanceAlreadyExistsFault,
} from "@aws-sdk/client-rds";
import { SecretsManagerClient, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";

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

const rds = (region) => new RDSClient(clientConfig(region));

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

function portOpen(port) {
  return new Promise((res) => {
    const s = createConnection({ host: "127.0.0.1", port, timeout: 2000 });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
    s.once("timeout", () => {
      s.destroy();
      res(false);
    });
  });
}

async function waitFor(client, id, wanted) {
  const deadline = Date.now() + 90000;
  for (;;) {
    const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    const db = out.DBInstances[0];
    if (db.DBInstanceStatus === wanted) return db;
    if (db.DBInstanceStatus === "failed" || Date.now() > deadline)
      throw new Error(`${id} is ${db.DBInstanceStatus}, not ${wanted}; stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test("rds: create with a managed password, describe, delete", async () => {
  assert.equal((await admin("POST", "/_cloudbox/reset")).status, 200);
  const client = rds();
  const versions = await client.send(new DescribeDBEngineVersionsCommand({ Engine: "postgres", DefaultOnly: true }));
  assert.equal(versions.DBEngineVersions.length, 1);

  const created = await client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: "js-db",
      Engine: "postgres",
      DBInstanceClass: "db.t4g.micro",
      AllocatedStorage: 20,
      MasterUsername: "pgadmin",
      ManageMasterUserPassword: true,
      Tags: [{ Key: "sdk", Value: "js" }],
    }),
  );
  assert.equal(created.DBInstance.DBInstanceStatus, "creating");
  assert.equal(created.DBInstance.DBInstanceArn, "arn:aws:rds:us-east-1:000000000000:db:js-db");
  assert.match(created.DBInstance.DbiResourceId, /^db-[A-Z0-9]{26}$/);
  assert.match(created.DBInstance.MasterUserSecret.SecretArn, /^arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-/);
  assert.deepEqual(created.DBInstance.TagList, [{ Key: "sdk", Value: "js" }]);

  await assert.rejects(
    client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "js-db",
        Engine: "postgres",
        DBInstanceClass: "db.t4g.micro",
        AllocatedStorage: 20,
        MasterUsername: "pgadmin",
        MasterUserPassword: "Passw0rd!234",
      }),
    ),
    (e) => e instanceof DBInstanceAlreadyExistsFault && e.$metadata.httpStatusCode === 400,
  );

  const db = await waitFor(client, "js-db", "available");
  assert.ok(db.InstanceCreateTime instanceof Date);
  assert.match(db.Endpoint.Address, /^js-db\.c[a-z0-9]{12}\.us-east-1\.rds\.localhost$/);
  assert.ok(await portOpen(db.Endpoint.Port), "the server listens");
  const secret = await new SecretsManagerClient(clientConfig()).send(
    new GetSecretValueCommand({ SecretId: db.MasterUserSecret.SecretArn }),
  );
  assert.equal(JSON.parse(secret.SecretString).username, "pgadmin");

  const deleted = await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: "js-db", SkipFinalSnapshot: true }));
  assert.equal(deleted.DBInstance.DBInstanceStatus, "deleting");
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "js-db" }));
    } catch (e) {
      assert.ok(e instanceof DBInstanceNotFoundFault, String(e));
      assert.equal(e.$metadata.httpStatusCode, 404);
      break;
    }
    if (Date.now() > deadline) throw new Error("never deleted");
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(await portOpen(db.Endpoint.Port), false);
});
