// cloudbox with the AWS SDK for JavaScript v3: EventBridge Scheduler against the real binary — a schedule whose
// universal target creates a secret fires when the server clock passes its time, as its execution role.
// Run: CLOUDBOX_BIN=build/cloudbox node --test tests/integration/js/   (after `npm ci` in this folder)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  SchedulerClient,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  DeleteScheduleCommand,
  ConflictException,
  ValidationException,
  ResourceNotFoundException,
} from "@aws-sdk/client-scheduler";
import { SecretsManagerClient, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CLOUDBOX_BIN || resolve(here, "../../../build/cloudbox");
const LISTENING = /^cloudbox (\S+) listening on http:\/\/([0-9.]+):(\d+) \((.*)\)$/;

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

const scheduler = (region = "us-west-2") => new SchedulerClient(clientConfig(region));
const TRUST = (service) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

test("a schedule fires its universal target as the execution role when the clock passes it", async () => {
  const iam = new IAMClient(clientConfig("us-west-2"));
  const role = (await iam.send(new CreateRoleCommand({ RoleName: "js-sched", AssumeRolePolicyDocument: TRUST("scheduler.amazonaws.com") }))).Role.Arn;
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: "js-sched",
      PolicyName: "create-secrets",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:CreateSecret", Resource: "*" }] }),
    }),
  );
  const out = await scheduler().send(
    new CreateScheduleCommand({
      Name: "js-nightly",
      ScheduleExpression: "cron(30 22 * * ? *)",
      ScheduleExpressionTimezone: "America/Los_Angeles",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
        RoleArn: role,
        Input: JSON.stringify({ Name: "from-js-schedule", SecretString: "hello" }),
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    }),
  );
  assert.equal(out.ScheduleArn, "arn:aws:scheduler:us-west-2:000000000000:schedule/default/js-nightly");
  const got = await scheduler().send(new GetScheduleCommand({ Name: "js-nightly" }));
  assert.equal(got.ScheduleExpressionTimezone, "America/Los_Angeles");
  assert.ok(got.CreationDate instanceof Date);
  assert.equal(got.Target.RetryPolicy.MaximumEventAgeInSeconds, 86400);

  // 22:30 in Los Angeles is at most a day away: move the clock a day and a minute.
  const moved = await admin("POST", "/_cloudbox/clock", { advance_seconds: 86400 + 60 });
  assert.equal(moved.status, 200);
  const sm = new SecretsManagerClient(clientConfig("us-west-2"));
  const value = await sm.send(new GetSecretValueCommand({ SecretId: "from-js-schedule" }));
  assert.equal(value.SecretString, "hello");
});

test("errors come back as the SDK's modeled exceptions", async () => {
  const iam = new IAMClient(clientConfig("us-west-2"));
  const role = (await iam.send(new CreateRoleCommand({ RoleName: "js-lambda", AssumeRolePolicyDocument: TRUST("lambda.amazonaws.com") }))).Role.Arn;
  const base = {
    FlexibleTimeWindow: { Mode: "OFF" },
    Target: { Arn: "arn:aws:scheduler:::aws-sdk:ec2:stopInstances", RoleArn: role, Input: "{}" },
  };
  await assert.rejects(
    scheduler().send(new CreateScheduleCommand({ Name: "untrusted", ScheduleExpression: "rate(1 hour)", ...base })),
    (e) => e instanceof ValidationException && /must allow AWS EventBridge Scheduler to assume the role/.test(e.message),
  );
  await assert.rejects(
    scheduler().send(new CreateScheduleCommand({ Name: "bad", ScheduleExpression: "rate(1 hours)", ...base })),
    (e) => e instanceof ValidationException && e.message === "Invalid Schedule Expression rate(1 hours).",
  );
  await assert.rejects(scheduler().send(new GetScheduleCommand({ Name: "nope" })), (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 404);
  const group = await scheduler().send(new CreateScheduleGroupCommand({ Name: "js-group", Tags: [{ Key: "team", Value: "data" }] }));
  await assert.rejects(scheduler().send(new CreateScheduleGroupCommand({ Name: "js-group" })), (e) => e instanceof ConflictException && e.$metadata.httpStatusCode === 409);
  const tags = await scheduler().send(new ListTagsForResourceCommand({ ResourceArn: group.ScheduleGroupArn }));
  assert.deepEqual(tags.Tags, [{ Key: "team", Value: "data" }]);
});

test("list and delete", async () => {
  const listed = await scheduler().send(new ListSchedulesCommand({ NamePrefix: "js-" }));
  assert.deepEqual(listed.Schedules.map((s) => s.Name), ["js-nightly"]);
  await scheduler().send(new DeleteScheduleCommand({ Name: "js-nightly" }));
  const after = await scheduler().send(new ListSchedulesCommand({}));
  assert.deepEqual(after.Schedules, []);
});
