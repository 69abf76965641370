-- wrk script for the cloudbox-vs-moto benchmark.
--
-- Rotates through four requests, one after the other on each connection's thread:
--   1. secretsmanager GetSecretValue  (one of the preseeded secrets, round robin)
--   2. secretsmanager CreateSecret    (a name unique across runs, threads and requests)
--   3. secretsmanager ListSecrets     (first page, server's default page size)
--   4. sts GetCallerIdentity          (query protocol: form-encoded POST)
-- Every request carries a SigV4-shaped Authorization header whose credential scope names the
-- service and region; neither server checks the signature by default, and moto routes by it.
--
-- Arguments (after `--` on wrk's command line):
--   run_tag   string mixed into CreateSecret names so separate runs never collide
--   nseeded   how many preseeded secrets exist, named <seed_prefix>0 .. <seed_prefix>(n-1)
--   seed_prefix
--   quota     0 = run for wrk's -d duration; N > 0 = this thread stops after N responses and
--             writes "QUOTA-DONE" to stderr (the driver then ends wrk with SIGINT)
--   only      optional: one of 1..4 to send only that request of the rotation (per-operation runs)
--
-- When one request type runs alone, also checks each 2xx body for a marker of a correct answer.
-- Counts non-2xx responses per status (wrk itself counts only >= 400) and prints one JSON line
-- prefixed "BENCH-JSON " from done() for the driver to parse.

local DATE = "20240101T000000Z"
local function auth(service)
  return "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/" .. service ..
         "/aws4_request, SignedHeaders=host;x-amz-date, Signature=" .. string.rep("0", 64)
end
local SM_AUTH = auth("secretsmanager")
local STS_AUTH = auth("sts")

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local run_tag, nseeded, seed_prefix, quota, only
local id, seq, stopped
-- Globals, not locals: done() reads them from each thread with thread:get().
responses, non2xx, bystatus, badbody = 0, 0, {}, 0

function init(args)
  run_tag = args[1] or "r"
  nseeded = tonumber(args[2] or "1")
  seed_prefix = args[3] or "bench-seed-"
  quota = tonumber(args[4] or "0")
  only = tonumber(args[5] or "0")
  id = wrk.thread:get("id") or 0
  seq = 0
  responses = 0
  non2xx = 0
  bystatus = {}
  stopped = false
end

local function sm(target, body)
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "secretsmanager." .. target,
    ["X-Amz-Date"] = DATE,
    ["Authorization"] = SM_AUTH,
  }, body)
end

-- Built on first use, not at load time: wrk sets wrk.host (hence the Host header) only after loading.
local STS_REQ, LIST_REQ = nil, nil
local function sts()
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8",
    ["X-Amz-Date"] = DATE,
    ["Authorization"] = STS_AUTH,
  }, "Action=GetCallerIdentity&Version=2011-06-15")
end

-- What a correct 200 body of each request contains; checked when one request type runs alone.
local MARK = { [1] = '"SecretString"', [2] = '"ARN"', [3] = '"SecretList"', [4] = "<Account>" }

function request()
  seq = seq + 1
  local k = seq % 4
  if only > 0 then k = only % 4 end
  if k == 1 then
    local n = math.floor(seq / 4) % nseeded
    return sm("GetSecretValue", '{"SecretId":"' .. seed_prefix .. n .. '"}')
  elseif k == 2 then
    local name = "bench-" .. run_tag .. "-t" .. id .. "-" .. seq
    -- A unique ClientRequestToken per request, as the SDKs send (32-64 characters).
    local token = string.format("tok-%s-%08d-%020d", run_tag, id, seq)
    return sm("CreateSecret", '{"Name":"' .. name .. '","SecretString":"v-' .. seq .. '","ClientRequestToken":"' .. token .. '"}')
  elseif k == 3 then
    if not LIST_REQ then LIST_REQ = sm("ListSecrets", "{}") end
    return LIST_REQ
  else
    if not STS_REQ then STS_REQ = sts() end
    return STS_REQ
  end
end

function response(status, headers, body)
  responses = responses + 1
  if only > 0 and status >= 200 and status <= 299 and not string.find(body or "", MARK[only], 1, true) then
    badbody = badbody + 1
    if badbody <= 3 then
      io.stderr:write("BADBODY " .. status .. " " .. string.sub(body or "", 1, 300):gsub("\n", " ") .. "\n")
    end
  end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    local key = tostring(status)
    bystatus[key] = (bystatus[key] or 0) + 1
    if non2xx <= 3 then
      io.stderr:write("NON2XX " .. status .. " " .. string.sub(body or "", 1, 300):gsub("\n", " ") .. "\n")
    end
  end
  if quota > 0 and responses >= quota and not stopped then
    stopped = true
    io.stderr:write("QUOTA-DONE " .. id .. "\n")
    io.stderr:flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total_resp, total_non2xx, total_bad = 0, 0, 0
  local statuses = {}
  for _, t in ipairs(threads) do
    total_resp = total_resp + (t:get("responses") or 0)
    total_non2xx = total_non2xx + (t:get("non2xx") or 0)
    total_bad = total_bad + (t:get("badbody") or 0)
    local bs = t:get("bystatus") or {}
    for k, v in pairs(bs) do statuses[k] = (statuses[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(statuses) do table.insert(parts, '"' .. k .. '":' .. v) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"responses":%d,"non2xx":%d,"bad_body":%d,' ..
    '"by_status":{%s},"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes, total_resp, total_non2xx, total_bad,
    table.concat(parts, ","), e.connect, e.read, e.write, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
