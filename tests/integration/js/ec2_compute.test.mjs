// cloudbox EC2 compute with the AWS SDK for JavaScript v3: an instance with an instance profile, whose
// metadata service hands the SDK the role's credentials on its own (fromInstanceMetadata, and the default
// chain with AWS_EC2_METADATA_SERVICE_ENDPOINT).
// Run: CLOUDBOX_BIN=build/cloudbox node --test tests/integration/js/ec2_compute.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import {
  EC2Client,
  DescribeImagesCommand,
  RunInstancesCommand,
  DescribeInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { IAMClient, CreateRoleCommand, CreateInstanceProfileCommand, AddRoleToInstanceProfileCommand } from "@aws-sdk/client-iam";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromInstanceMetadata } from "@smithy/credential-provider-imds";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CLOUDBOX_BIN || resolve(here, "../../../build/cloudbox");
const LISTENING = /^cloudbox (\S+) listening on http:\/\/([0-9.]+):(\d+) \((.*)\)$/;
const REGION = "us-west-2";

let proc;
let endpoint;
let stderr = "";

function startServer() {
  return new Promise((resolvePromise, reject) => {
    if (!existsSync(BIN)) return reject(new Error(`cloudbox binary not found: ${BIN} (set CLOUDBOX_BIN)`));
    const env = { ...process.env };
    delete env.CLOUDBOX_ENFORCE_IAM;
    proc = spawn(BIN, ["serve", "--port", "0", "--ephemeral", "--log-level", "warn"], { stdio: ["ignore", "pipe", "pipe"], env });
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
      proc.stdout.resume();
      const m = LISTENING.exec(out.slice(0, nl));
      if (!m) return reject(new Error(`unexpected first line: ${out.slice(0, nl)}`));
      resolvePromise(`http://127.0.0.1:${m[3]}`);
    });
  });
}

async function admin(method, path, body) {
  const r = await fetch(`${endpoint}${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

const root = { accessKeyId: "test", secretAccessKey: "test" };
const config = (credentials = root) => ({ endpoint, region: REGION, credentials, maxAttempts: 1 });

before(async () => {
  endpoint = await startServer();
  proc.removeAllListeners("exit");
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

async function runningInstanceWithRole(role) {
  const iam = new IAMClient(config());
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: role }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: role, RoleName: role }));
  const ec2 = new EC2Client(config());
  const images = await ec2.send(
    new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "architecture", Values: ["x86_64"] }] }),
  );
  assert.ok(images.Images.length > 0);
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: images.Images[0].ImageId,
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      IamInstanceProfile: { Name: role },
    }),
  );
  const id = run.Instances[0].InstanceId;
  assert.match(id, /^i-[0-9a-f]{17}$/);
  assert.equal(run.Instances[0].State.Name, "pending");
  assert.equal((await admin("POST", "/_cloudbox/clock", { advance_seconds: 10 })).status, 200);
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  assert.equal(d.Reservations[0].Instances[0].State.Name, "running");
  assert.match(d.Reservations[0].Instances[0].IamInstanceProfile.Arn, new RegExp(`:instance-profile/${role}$`));
  const env = await admin("GET", `/_cloudbox/ec2/instances/${id}/exec-env`);
  assert.equal(env.status, 200, JSON.stringify(env.body));
  return { id, imds: env.body.imds_endpoint, ec2 };
}

test("the SDK reads the instance role's credentials from IMDS on its own", async () => {
  assert.equal((await admin("POST", "/_cloudbox/reset")).status, 200);
  const { id, imds, ec2 } = await runningInstanceWithRole("js-app");
  // fromInstanceMetadata (IMDSv2 token, then the role, then its credentials), pointed at the instance's port.
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds;
  try {
    const provider = fromInstanceMetadata({ timeout: 2000, maxRetries: 0 });
    const creds = await provider();
    assert.match(creds.accessKeyId, /^ASIA/);
    assert.ok(creds.sessionToken);
    assert.ok(creds.expiration instanceof Date && creds.expiration > new Date(Date.now() - 86400000));
    const who = await new STSClient(config(provider)).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::000000000000:assumed-role/js-app/${id}`);
  } finally {
    delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  }
  // The default chain in a process with no keys at all, like a program on the instance.
  const script = `
    import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
    const c = new STSClient({ endpoint: process.argv[1], region: "${REGION}", maxAttempts: 1 });
    const who = await c.send(new GetCallerIdentityCommand({}));
    console.log(who.Arn);
  `;
  const env = { PATH: process.env.PATH, HOME: "/nonexistent", AWS_EC2_METADATA_SERVICE_ENDPOINT: imds,
                AWS_CONFIG_FILE: "/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials" };
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script, endpoint], {
    cwd: here,
    env,
    timeout: 60000,
  });
  assert.equal(stdout.trim(), `arn:aws:sts::000000000000:assumed-role/js-app/${id}`);
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
});
