// The instance metadata service: each running instance gets its own loopback port (through the core's
// ListenerHost) serving IMDSv2 tokens, IMDSv1 when the instance allows it, the meta-data tree, user data, the
// identity document, and role credentials that are real STS sessions of the instance profile's role (assumed
// as the ec2.amazonaws.com service principal, so the role must trust EC2). Also the admin endpoint
// `GET /_cloudbox/ec2/instances/<id>/exec-env` that `cloudbox exec INSTANCE` uses.
#include <algorithm>
#include <map>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/log.h"
#include "core/core.h"
#include "services/ec2/service.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox::ec2 {

namespace {

constexpr double kCredentialRefreshSeconds = 900;  // new credentials when fewer than 15 minutes remain

HttpResponse text(int status, std::string body, const std::string& type = "text/plain") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("Content-Type", type);
  r.set_header("Server", "EC2ws");
  return r;
}

const char* kNotFoundPage =
    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
    "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>404 - Not Found</title>\n"
    " </head>\n <body>\n  <h1>404 - Not Found</h1>\n </body>\n</html>\n";

std::string iso_z(double t) { return iso8601_seconds(from_epoch(t)); }

}  // namespace

std::string Ec2Service::region_key_of_instance(const std::string& instance_id) {
  for (auto& [key, r] : regions_)
    if (r.find("i", instance_id)) return key;
  return {};
}

Json Ec2Service::instance_credentials(RegionState& r, Res& inst, double now, std::string& role_name) {
  if (!inst.doc.contains("_IamAssoc")) return nullptr;
  const Json& profile = inst.doc["_IamAssoc"]["IamInstanceProfile"];
  auto cached = creds_.find(inst.id);
  if (cached != creds_.end() && cached->second.value("_Expiration", 0.0) - now > kCredentialRefreshSeconds) {
    role_name = cached->second.value("_Role", "");
    return cached->second;
  }
  std::string arn = profile.value("Arn", "");
  std::string name = arn.substr(arn.rfind('/') + 1);
  RequestContext root{core_};
  root.request_id = request_id();
  root.region = r.region;
  root.account_id = r.account;
  root.principal.type = "root";
  root.principal.arn = "arn:aws:iam::" + r.account + ":root";
  root.principal.account_id = r.account;
  root.principal.user_id = r.account;
  root.now = core_.clock().now();
  root.internal = true;
  Json prof = core_.invoke(root, "iam", "GetInstanceProfile", {{"InstanceProfileName", name}})["InstanceProfile"];
  if (!prof.contains("Roles") || prof["Roles"].empty()) return nullptr;
  std::string role_arn = prof["Roles"][0].value("Arn", "");
  role_name = prof["Roles"][0].value("RoleName", "");
  RequestContext svc{core_};
  svc.request_id = request_id();
  svc.region = r.region;
  svc.account_id = r.account;
  svc.principal.type = "service";
  svc.principal.arn = "ec2.amazonaws.com";
  svc.principal.account_id = r.account;
  svc.now = root.now;
  svc.internal = true;
  Json out = core_.invoke(svc, "sts", "AssumeRole", {{"RoleArn", role_arn}, {"RoleSessionName", inst.id}});
  const Json& c = out["Credentials"];
  Json creds = {{"Code", "Success"},
                {"LastUpdated", iso_z(now)},
                {"Type", "AWS-HMAC"},
                {"AccessKeyId", c.value("AccessKeyId", "")},
                {"SecretAccessKey", c.value("SecretAccessKey", "")},
                {"Token", c.value("SessionToken", "")},
                {"Expiration", iso_z(c.value("Expiration", now + 3600))},
                {"_Expiration", c.value("Expiration", now + 3600)},
                {"_Role", role_name}};
  creds_[inst.id] = creds;
  return creds;
}

HttpResponse Ec2Service::imds_handle(const std::string& instance_id, const HttpRequest& req) {
  std::lock_guard<std::recursive_mutex> lock(mutex());
  std::string rkey = region_key_of_instance(instance_id);
  if (rkey.empty()) return text(404, kNotFoundPage, "text/html");
  RegionState& r = regions_[rkey];
  Res& inst = *r.find("i", instance_id);
  double now = to_epoch(core_.clock().now());
  const Json& mo = inst.doc["MetadataOptions"];
  if (mo.value("HttpEndpoint", "enabled") != "enabled" || inst.doc["State"].value("Name", "") != "running")
    return text(404, kNotFoundPage, "text/html");

  std::string path = req.path;
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  // Tokens (IMDSv2).
  if (path == "/latest/api/token") {
    if (req.method != "PUT") return text(405, "", "text/plain");
    if (req.header("x-forwarded-for")) return text(403, "", "text/plain");
    const std::string* ttl_h = req.header("x-aws-ec2-metadata-token-ttl-seconds");
    int ttl = 0;
    try {
      ttl = ttl_h ? std::stoi(*ttl_h) : 0;
    } catch (...) {
      ttl = 0;
    }
    if (ttl < 1 || ttl > 21600) return text(400, "", "text/plain");
    std::string token = base64_encode(random_bytes(42));
    imds_tokens_[token] = {instance_id, now + ttl};
    for (auto it = imds_tokens_.begin(); it != imds_tokens_.end();)
      it = it->second.second < now ? imds_tokens_.erase(it) : std::next(it);
    HttpResponse resp = text(200, token);
    resp.set_header("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", std::to_string(ttl));
    return resp;
  }
  if (req.method != "GET" && req.method != "HEAD") return text(405, "", "text/plain");
  const std::string* tok = req.header("x-aws-ec2-metadata-token");
  if (tok) {
    auto it = imds_tokens_.find(*tok);
    if (it == imds_tokens_.end() || it->second.first != instance_id || it->second.second < now)
      return text(401, "", "text/plain");
  } else if (mo.value("HttpTokens", "optional") == "required") {
    return text(401, "", "text/plain");
  }

  // Strip the version ("latest" or a date).
  if (path.size() < 2 || path[0] != '/') return text(404, kNotFoundPage, "text/html");
  if (path == "/" ) return text(200, "latest\n", "text/plain");
  auto slash = path.find('/', 1);
  std::string rest = slash == std::string::npos ? "" : path.substr(slash + 1);
  if (rest.empty()) return text(200, "dynamic\nmeta-data\nuser-data", "text/plain");

  Json view = instance_view(r, inst);
  if (rest == "user-data") {
    std::string ud = inst.doc.value("_UserData", "");
    if (ud.empty()) return text(404, kNotFoundPage, "text/html");
    return text(200, base64_decode(ud).value_or(""), "application/octet-stream");
  }
  if (rest == "dynamic" || rest == "dynamic/") return text(200, "instance-identity/", "text/plain");
  if (rest == "dynamic/instance-identity" || rest == "dynamic/instance-identity/")
    return text(200, "document\npkcs7\nsignature\nrsa2048", "text/plain");
  if (rest == "dynamic/instance-identity/document") {
    Json doc = {{"accountId", r.account},
                {"architecture", inst.doc.value("Architecture", "x86_64")},
                {"availabilityZone", inst.doc["Placement"].value("AvailabilityZone", "")},
                {"billingProducts", nullptr},
                {"devpayProductCodes", nullptr},
                {"marketplaceProductCodes", nullptr},
                {"imageId", inst.doc.value("ImageId", "")},
                {"instanceId", inst.id},
                {"instanceType", inst.doc.value("InstanceType", "")},
                {"kernelId", nullptr},
                {"pendingTime", iso_z(inst.doc.value("LaunchTime", now))},
                {"privateIp", view.value("PrivateIpAddress", "")},
                {"ramdiskId", nullptr},
                {"region", r.region},
                {"version", "2017-09-30"}};
    return text(200, doc.dump(2), "text/plain");
  }
  if (rest.rfind("meta-data", 0) != 0) return text(404, kNotFoundPage, "text/html");
  std::string key = rest.substr(std::string("meta-data").size());
  if (!key.empty() && key[0] == '/') key.erase(0, 1);

  // The meta-data tree as path → value.
  std::map<std::string, std::string> md;
  std::string private_ip = view.value("PrivateIpAddress", ""), private_dns = view.value("PrivateDnsName", "");
  std::string public_ip = view.value("PublicIpAddress", ""), public_dns = view.value("PublicDnsName", "");
  std::string local_hostname = private_dns;
  md["ami-id"] = inst.doc.value("ImageId", "");
  md["ami-launch-index"] = std::to_string(inst.doc.value("AmiLaunchIndex", 0));
  md["ami-manifest-path"] = "(unknown)";
  md["block-device-mapping/ami"] = inst.doc.value("RootDeviceName", "/dev/xvda");
  md["block-device-mapping/root"] = inst.doc.value("RootDeviceName", "/dev/xvda");
  md["hostname"] = local_hostname;
  md["instance-action"] = "none";
  md["instance-id"] = inst.id;
  md["instance-life-cycle"] = "on-demand";
  md["instance-type"] = inst.doc.value("InstanceType", "");
  md["local-hostname"] = local_hostname;
  md["local-ipv4"] = private_ip;
  md["placement/availability-zone"] = inst.doc["Placement"].value("AvailabilityZone", "");
  md["placement/availability-zone-id"] = inst.doc["Placement"].value("AvailabilityZoneId", "");
  md["placement/region"] = r.region;
  md["reservation-id"] = inst.doc.value("_ReservationId", "");
  md["services/domain"] = "amazonaws.com";
  md["services/partition"] = "aws";
  md["system"] = "nitro";
  if (!public_ip.empty()) {
    md["public-ipv4"] = public_ip;
    md["public-hostname"] = public_dns;
  }
  std::string sg_names, sg_ids;
  for (const auto& g : view.value("SecurityGroups", Json::array())) {
    sg_names += (sg_names.empty() ? "" : "\n") + g.value("GroupName", "");
    sg_ids += (sg_ids.empty() ? "" : "\n") + g.value("GroupId", "");
  }
  md["security-groups"] = sg_names;
  if (!view["NetworkInterfaces"].empty()) {
    const Json& ni = view["NetworkInterfaces"][0];
    std::string mac = ni.value("MacAddress", "");
    md["mac"] = mac;
    std::string base = "network/interfaces/macs/" + mac + "/";
    md[base + "device-number"] = "0";
    md[base + "interface-id"] = ni.value("NetworkInterfaceId", "");
    md[base + "local-hostname"] = private_dns;
    md[base + "local-ipv4s"] = private_ip;
    md[base + "mac"] = mac;
    md[base + "owner-id"] = r.account;
    if (!public_ip.empty()) {
      md[base + "public-ipv4s"] = public_ip;
      md[base + "public-hostname"] = public_dns;
    }
    md[base + "security-group-ids"] = sg_ids;
    md[base + "security-groups"] = sg_names;
    md[base + "subnet-id"] = ni.value("SubnetId", "");
    md[base + "vpc-id"] = ni.value("VpcId", "");
    if (Res* s = r.find("subnet", ni.value("SubnetId", ""))) md[base + "subnet-ipv4-cidr-block"] = s->doc.value("CidrBlock", "");
    if (Res* v = r.find("vpc", ni.value("VpcId", ""))) {
      md[base + "vpc-ipv4-cidr-block"] = v->doc.value("CidrBlock", "");
      std::string all;
      for (const auto& a : v->doc.value("CidrBlockAssociationSet", Json::array()))
        all += (all.empty() ? "" : "\n") + a.value("CidrBlock", "");
      md[base + "vpc-ipv4-cidr-blocks"] = all;
    }
  }
  std::string key_name = inst.doc.value("KeyName", "");
  if (!key_name.empty())
    if (Res* k = find_key_pair(r, key_name)) md["public-keys/0/openssh-key"] = k->doc.value("_PublicKey", "") + " " + key_name;
  if (mo.value("InstanceMetadataTags", "disabled") == "enabled")
    for (const auto& [k, v] : inst.tags) md["tags/instance/" + k] = v;
  // IAM: info and the role's credentials (fetched only when asked for).
  bool has_role = inst.doc.contains("_IamAssoc");
  if (has_role) {
    const Json& profile = inst.doc["_IamAssoc"]["IamInstanceProfile"];
    Json info = {{"Code", "Success"},
                 {"LastUpdated", iso_z(inst.doc["_IamAssoc"].value("Timestamp", now))},
                 {"InstanceProfileArn", profile.value("Arn", "")},
                 {"InstanceProfileId", profile.value("Id", "")}};
    if (key.rfind("iam", 0) == 0) {
      std::string role;
      Json creds;
      try {
        creds = instance_credentials(r, inst, now, role);
      } catch (const AwsError& e) {
        // As on AWS: iam/info reports why EC2 could not assume the role (its trust policy must allow
        // ec2.amazonaws.com), and there are no credentials to list.
        log::warn("IMDS: no credentials for " + inst.id + ": " + e.code + " " + e.what());
        info = {{"Code", "AssumeRoleUnauthorizedAccess"},
                {"Message", "EC2 cannot assume the role of instance profile " + profile.value("Arn", "") + ": " + e.what()},
                {"LastUpdated", iso_z(now)}};
        creds = nullptr;
      }
      if (!creds.is_null() && !role.empty()) {
        Json shown = creds;
        shown.erase("_Expiration");
        shown.erase("_Role");
        md["iam/security-credentials/" + role] = shown.dump(2);
      }
    }
    md["iam/info"] = info.dump(2);
  }
  while (!key.empty() && key.back() == '/') key.pop_back();
  if (auto it = md.find(key); it != md.end() && !key.empty()) return text(200, it->second, "text/plain");
  // A directory: list its children.
  std::string prefix = key.empty() ? "" : key + "/";
  std::vector<std::string> children;
  for (const auto& [k, v] : md) {
    if (k.rfind(prefix, 0) != 0) continue;
    std::string tail = k.substr(prefix.size());
    auto s = tail.find('/');
    std::string child = s == std::string::npos ? tail : tail.substr(0, s + 1);
    if (key == "public-keys" && child == "0/") child = "0=" + key_name;
    if (children.empty() || children.back() != child) children.push_back(child);
  }
  if (key == "iam/security-credentials" && has_role && children.empty()) return text(404, kNotFoundPage, "text/html");
  if (key == "iam" && !has_role) return text(404, kNotFoundPage, "text/html");
  if (children.empty()) return text(404, kNotFoundPage, "text/html");
  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  std::string body;
  for (const auto& c : children) body += (body.empty() ? "" : "\n") + c;
  return text(200, body, "text/plain");
}

void Ec2Service::sync_imds() {
  ListenerHost* host = core_.listener_host();
  if (!host) return;
  std::set<std::string> want;
  for (auto& [key, r] : regions_) {
    auto k = r.kinds.find("i");
    if (k == r.kinds.end()) continue;
    for (auto& [id, inst] : k->second)
      if (inst.doc["State"].value("Name", "") == "running" &&
          inst.doc["MetadataOptions"].value("HttpEndpoint", "enabled") == "enabled")
        want.insert(id);
  }
  for (auto it = imds_ports_.begin(); it != imds_ports_.end();) {
    if (!want.count(it->first)) {
      try {
        host->close(it->second);
      } catch (...) {
      }
      creds_.erase(it->first);
      it = imds_ports_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& id : want) {
    if (imds_ports_.count(id)) continue;
    try {
      int port = host->open("127.0.0.1", 0, [this, id](const HttpRequest& req) { return imds_handle(id, req); });
      imds_ports_[id] = port;
    } catch (const std::exception& e) {
      log::warn("IMDS: cannot open a port for " + id + ": " + e.what());
    }
  }
}

std::optional<HttpResponse> Ec2Service::admin(const HttpRequest& request, std::string_view rest) {
  // instances/<id>/exec-env
  std::string p(rest);
  if (p.rfind("instances/", 0) != 0) return std::nullopt;
  p.erase(0, 10);
  auto slash = p.find('/');
  if (slash == std::string::npos || p.substr(slash + 1) != "exec-env" || request.method != "GET") return std::nullopt;
  std::string id = p.substr(0, slash);
  auto json = [](int status, const Json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    r.set_header("Content-Type", "application/json");
    return r;
  };
  double now = to_epoch(core_.clock().now());
  for (auto& [key, r] : regions_) advance_instances(r, now);
  sync_imds();
  flush();
  std::string rkey = region_key_of_instance(id);
  if (rkey.empty())
    return json(404, {{"error", "InvalidInstanceID.NotFound"}, {"message", "The instance ID '" + id + "' does not exist"}});
  RegionState& r = regions_[rkey];
  Res& inst = *r.find("i", id);
  std::string state = inst.doc["State"].value("Name", "");
  if (state != "running")
    return json(409, {{"error", "IncorrectInstanceState"},
                      {"message", "The instance '" + id + "' is not running (state: " + state + ")."},
                      {"state", state}});
  auto port = imds_ports_.find(id);
  if (port == imds_ports_.end())
    return json(409, {{"error", "MetadataUnavailable"},
                      {"message", "The instance metadata service of '" + id + "' is not available (HttpEndpoint disabled?)."},
                      {"state", state}});
  return json(200, {{"instance_id", id},
                    {"state", state},
                    {"account_id", r.account},
                    {"region", r.region},
                    {"imds_port", port->second},
                    {"imds_endpoint", "http://127.0.0.1:" + std::to_string(port->second) + "/"}});
}

}  // namespace cloudbox::ec2
