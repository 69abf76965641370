// What IAM enforcement costs per request: the same signed requests answered by an in-process Core with
// --enforce-iam off and on (SigV4 verification, caller lookup, the service's authz targets and the policy
// engine). In-process, so the HTTP server's share of a request does not hide the cost; over the wire the
// fraction is smaller still. Build: cmake --build build --target enforcement_bench; run: build/enforcement_bench.
#include <benchmark/benchmark.h>

#include <ctime>

#include "core/auth/sigv4.h"
#include "core/common/ids.h"
#include "core/core.h"

namespace cloudbox {
namespace {

std::string amz_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

struct Fixture {
  explicit Fixture(bool enforce) : core(options(enforce)) {
    Principal p{"root", "arn:aws:iam::000000000000:root", "000000000000", "000000000000", "", ""};
    RequestContext root{core, request_id(), "", "", "us-west-2", "000000000000", "test", p, core.clock().now(), "127.0.0.1", false};
    core.invoke(root, "iam", "CreateUser", {{"UserName", "app"}});
    core.invoke(root, "iam", "PutUserPolicy",
                {{"UserName", "app"},
                 {"PolicyName", "read"},
                 {"PolicyDocument",
                  R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:us-west-2:000000000000:secret:bench-*"},)"
                  R"({"Effect":"Allow","Action":["ec2:DescribeVpcs"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"}}},)"
                  R"({"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}]})"}});
    core.invoke(root, "iam", "AttachUserPolicy",
                {{"UserName", "app"}, {"PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}});
    Json key = core.invoke(root, "iam", "CreateAccessKey", {{"UserName", "app"}});
    akid = key["AccessKey"]["AccessKeyId"];
    secret = key["AccessKey"]["SecretAccessKey"];
    core.invoke(root, "secretsmanager", "CreateSecret", {{"Name", "bench-db"}, {"SecretString", "{\"password\":\"x\"}"}},
                "us-west-2");

    HttpRequest sm;
    sm.method = "POST";
    sm.path = "/";
    sm.headers = {{"content-type", "application/x-amz-json-1.1"}, {"x-amz-target", "secretsmanager.GetSecretValue"}};
    sm.body = R"({"SecretId":"bench-db"})";
    sign_sigv4(sm, akid, secret, "us-west-2", "secretsmanager", amz_now());
    requests.push_back(sm);

    HttpRequest ec2;
    ec2.method = "POST";
    ec2.path = "/";
    ec2.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
    ec2.body = "Action=DescribeVpcs&Version=2016-11-15";
    sign_sigv4(ec2, akid, secret, "us-west-2", "ec2", amz_now());
    requests.push_back(ec2);
  }
  static Options options(bool enforce) {
    Options o;
    o.ephemeral = true;
    o.enforce_iam = enforce;
    o.log_level = "warn";
    return o;
  }
  Core core;
  std::string akid, secret;
  std::vector<HttpRequest> requests;
};

void BM_SignedRequests(benchmark::State& state) {
  Fixture f(state.range(0) != 0);
  size_t i = 0;
  for (auto _ : state) {
    HttpResponse r = f.core.handle(f.requests[i++ % f.requests.size()]);
    if (r.status != 200) {
      state.SkipWithError(("unexpected status " + std::to_string(r.status) + ": " + r.body).c_str());
      break;
    }
    benchmark::DoNotOptimize(r.body.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "enforce-iam on" : "enforce-iam off");
}
BENCHMARK(BM_SignedRequests)->Arg(0)->Arg(1)->MinTime(2.0);

}  // namespace
}  // namespace cloudbox

BENCHMARK_MAIN();
