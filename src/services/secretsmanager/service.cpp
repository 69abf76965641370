// Secrets Manager: registration, lookup, durability and the time-driven purge of deleted secrets.
#include "services/secretsmanager/service.h"

#include <cctype>
#include <cmath>
#include <iterator>

#include "core/common/arn.h"
#include "core/common/encoding.h"
#include "core/common/log.h"
#include "core/core.h"
#include "services/secretsmanager/filters.h"

namespace cloudbox::secretsmanager {

namespace {

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '+' || c == '=' || c == '.' ||
         c == '@' || c == '-' || c == '!';
}

bool is_alnum_suffix(std::string_view s) {
  if (s.size() < 7 || s[s.size() - 7] != '-') return false;
  for (size_t i = s.size() - 6; i < s.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(s[i]))) return false;
  return true;
}
}  // namespace

// ---------------------------------------------------------------------------------------------------
// Small helpers shared by the handler files

double epoch(const RequestContext& ctx) { return to_epoch(ctx.now); }

double midnight_utc(double epoch_seconds) { return std::floor(epoch_seconds / 86400.0) * 86400.0; }

std::optional<std::string> opt_string(const Json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool opt_bool(const Json& in, const char* member, bool fallback) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

void read_value(const Json& in, std::optional<std::string>& str, std::optional<std::string>& bin) {
  str = opt_string(in, "SecretString");
  bin = opt_string(in, "SecretBinary");
  if (str && bin)
    throw AwsError("InvalidParameterException",
                   "You can't specify both a binary secret value and a string secret value in the same secret.");
  // The model limits SecretString to 65536 characters; the service's quota is 65536 bytes.
  size_t bytes = str ? str->size() : bin ? bin->size() : 0;
  if (bytes > 65536)
    throw AwsError("InvalidParameterException", "The secret value can't be larger than 65536 bytes.");
}

void require_client_token(const RequestContext& ctx, const Json& in) {
  if (ctx.internal || in.contains("ClientRequestToken")) return;
  throw AwsError("InvalidRequestException", "You must provide a ClientRequestToken value. We recommend a UUID-type value.");
}

void not_found() { throw AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret."); }

// ---------------------------------------------------------------------------------------------------
// Records

Json to_record(const Secret& s) {
  Json j = {{"account", s.account}, {"region", s.region}, {"name", s.name},       {"arn", s.arn},
            {"seq", s.seq},         {"created", s.created}, {"last_changed", s.last_changed},
            {"next_version_seq", s.next_version_seq}};
  auto put_opt = [&j](const char* k, const auto& v) {
    if (v) j[k] = *v;
  };
  put_opt("description", s.description);
  put_opt("kms_key_id", s.kms_key_id);
  put_opt("type", s.type);
  put_opt("owning_service", s.owning_service);
  put_opt("policy", s.policy);
  put_opt("last_accessed", s.last_accessed);
  put_opt("deletion_date", s.deletion_date);
  put_opt("primary_region", s.primary_region);
  j["tags"] = Json(s.tags);
  if (s.rotation) {
    Json r = {{"enabled", s.rotation->enabled}};
    if (s.rotation->lambda_arn) r["lambda_arn"] = *s.rotation->lambda_arn;
    if (s.rotation->rules) r["rules"] = *s.rotation->rules;
    if (s.rotation->last_rotated) r["last_rotated"] = *s.rotation->last_rotated;
    if (s.rotation->next_rotation) r["next_rotation"] = *s.rotation->next_rotation;
    j["rotation"] = r;
  }
  Json reps = Json::array();
  for (const auto& r : s.replicas) {
    Json e = {{"region", r.region}, {"status", r.status}, {"message", r.message}};
    if (r.kms_key_id) e["kms_key_id"] = *r.kms_key_id;
    reps.push_back(e);
  }
  j["replicas"] = reps;
  Json vers = Json::array();
  for (const auto& v : s.versions) {
    Json e = {{"id", v.id}, {"stages", Json(v.stages)}, {"created", v.created}, {"seq", v.seq}};
    // Binary values are kept base64-encoded so the record stays valid UTF-8 whatever the bytes are.
    if (v.string_value) e["string"] = *v.string_value;
    if (v.binary_value) e["binary_b64"] = base64_encode(*v.binary_value);
    if (v.last_accessed) e["last_accessed"] = *v.last_accessed;
    if (v.kms_key_id) e["kms_key_id"] = *v.kms_key_id;
    vers.push_back(e);
  }
  j["versions"] = vers;
  return j;
}

Secret from_record(const Json& j) {
  Secret s;
  s.account = j.at("account").get<std::string>();
  s.region = j.at("region").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.arn = j.at("arn").get<std::string>();
  s.seq = j.value("seq", uint64_t(0));
  s.created = j.value("created", 0.0);
  s.last_changed = j.value("last_changed", 0.0);
  s.next_version_seq = j.value("next_version_seq", uint64_t(1));
  auto get_opt_s = [&j](const char* k) -> std::optional<std::string> {
    if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
    return std::nullopt;
  };
  auto get_opt_d = [&j](const char* k) -> std::optional<double> {
    if (j.contains(k) && j[k].is_number()) return j[k].get<double>();
    return std::nullopt;
  };
  s.description = get_opt_s("description");
  s.kms_key_id = get_opt_s("kms_key_id");
  s.type = get_opt_s("type");
  s.owning_service = get_opt_s("owning_service");
  s.policy = get_opt_s("policy");
  s.last_accessed = get_opt_d("last_accessed");
  s.deletion_date = get_opt_d("deletion_date");
  s.primary_region = get_opt_s("primary_region");
  if (j.contains("tags") && j["tags"].is_object()) s.tags = j["tags"].get<TagMap>();
  if (j.contains("rotation") && j["rotation"].is_object()) {
    const Json& r = j["rotation"];
    Rotation rot;
    rot.enabled = r.value("enabled", false);
    if (r.contains("lambda_arn")) rot.lambda_arn = r["lambda_arn"].get<std::string>();
    if (r.contains("rules")) rot.rules = r["rules"];
    if (r.contains("last_rotated")) rot.last_rotated = r["last_rotated"].get<double>();
    if (r.contains("next_rotation")) rot.next_rotation = r["next_rotation"].get<double>();
    s.rotation = rot;
  }
  for (const auto& e : j.value("replicas", Json::array())) {
    ReplicaStatus r;
    r.region = e.at("region").get<std::string>();
    r.status = e.value("status", std::string("InSync"));
    r.message = e.value("message", std::string());
    if (e.contains("kms_key_id")) r.kms_key_id = e["kms_key_id"].get<std::string>();
    s.replicas.push_back(r);
  }
  for (const auto& e : j.value("versions", Json::array())) {
    Version v;
    v.id = e.at("id").get<std::string>();
    v.stages = e.value("stages", Json::array()).get<std::set<std::string>>();
    v.created = e.value("created", 0.0);
    v.seq = e.value("seq", uint64_t(0));
    if (e.contains("string")) v.string_value = e["string"].get<std::string>();
    if (e.contains("binary_b64")) v.binary_value = base64_decode(e["binary_b64"].get<std::string>()).value_or("");
    if (e.contains("last_accessed")) v.last_accessed = e["last_accessed"].get<double>();
    if (e.contains("kms_key_id")) v.kms_key_id = e["kms_key_id"].get<std::string>();
    s.versions.push_back(std::move(v));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Service interface

void SecretsManagerService::register_operations(std::unordered_map<std::string, Handler>& table) {
  const std::pair<const char*, Method> ops[] = {
      {"BatchGetSecretValue", &SecretsManagerService::batch_get_secret_value},
      {"CancelRotateSecret", &SecretsManagerService::cancel_rotate_secret},
      {"CreateSecret", &SecretsManagerService::create_secret},
      {"DeleteResourcePolicy", &SecretsManagerService::delete_resource_policy},
      {"DeleteSecret", &SecretsManagerService::delete_secret},
      {"DescribeSecret", &SecretsManagerService::describe_secret},
      {"GetRandomPassword", &SecretsManagerService::get_random_password},
      {"GetResourcePolicy", &SecretsManagerService::get_resource_policy},
      {"GetSecretValue", &SecretsManagerService::get_secret_value},
      {"ListSecretVersionIds", &SecretsManagerService::list_secret_version_ids},
      {"ListSecrets", &SecretsManagerService::list_secrets},
      {"PutResourcePolicy", &SecretsManagerService::put_resource_policy},
      {"PutSecretValue", &SecretsManagerService::put_secret_value},
      {"RemoveRegionsFromReplication", &SecretsManagerService::remove_regions_from_replication},
      {"ReplicateSecretToRegions", &SecretsManagerService::replicate_secret_to_regions},
      {"RestoreSecret", &SecretsManagerService::restore_secret},
      {"RotateSecret", &SecretsManagerService::rotate_secret},
      {"StopReplicationToReplica", &SecretsManagerService::stop_replication_to_replica},
      {"TagResource", &SecretsManagerService::tag_resource},
      {"UntagResource", &SecretsManagerService::untag_resource},
      {"UpdateSecret", &SecretsManagerService::update_secret},
      {"UpdateSecretVersionStage", &SecretsManagerService::update_secret_version_stage},
      {"ValidateResourcePolicy", &SecretsManagerService::validate_resource_policy},
  };
  for (const auto& [op, method] : ops) {
    table[op] = [this, method](RequestContext& ctx, const Json& input) {
      // Secrets past their deletion date are gone for every call, even between ticks.
      purge_expired(ctx.now);
      return (this->*method)(ctx, input);
    };
  }
}

void SecretsManagerService::load() {
  secrets_.clear();
  by_arn_.clear();
  deletions_.clear();
  scheduled_.clear();
  by_creation_.clear();
  next_seq_ = 1;
  for (auto& [key, record] : core_.store().load(kNamespace)) {
    try {
      Secret s = from_record(record);
      next_seq_ = std::max(next_seq_, s.seq + 1);
      put_memory(std::move(s));
    } catch (const std::exception& e) {
      // One unreadable record must not keep the server from starting; say which (never its contents).
      log::error("secretsmanager: skipping unreadable record " + key + ": " + e.what());
    }
  }
}

void SecretsManagerService::reset() {
  secrets_.clear();
  by_arn_.clear();
  deletions_.clear();
  scheduled_.clear();
  by_creation_.clear();
  next_seq_ = 1;
}

void SecretsManagerService::tick(TimePoint now) { purge_expired(now); }

Json SecretsManagerService::health() const {
  size_t pending = deletions_.size();
  return {{"secrets", secrets_.size()}, {"scheduled_for_deletion", pending}};
}

// ---------------------------------------------------------------------------------------------------
// Storage

std::string SecretsManagerService::key_of(const std::string& account, const std::string& region,
                                          const std::string& name) {
  // Secret names cannot contain '|', so the key is unambiguous.
  return account + "|" + region + "|" + name;
}

Secret& SecretsManagerService::put_memory(Secret s) {
  std::string key = key_of(s);
  std::string scope = s.account + "|" + s.region;
  auto old = secrets_.find(key);
  if (old != secrets_.end()) {
    by_arn_.erase(old->second.arn);
    by_creation_[scope].erase(old->second.seq);
  }
  by_arn_[s.arn] = key;
  index_deletion(key, s.deletion_date);
  Secret& slot = secrets_[key];
  slot = std::move(s);
  by_creation_[scope][slot.seq] = &slot;
  return slot;
}

void SecretsManagerService::index_deletion(const std::string& key, std::optional<double> when) {
  if (auto it = scheduled_.find(key); it != scheduled_.end()) {
    deletions_.erase({it->second, key});
    scheduled_.erase(it);
  }
  if (when) {
    deletions_.insert({*when, key});
    scheduled_[key] = *when;
  }
}

void SecretsManagerService::erase_memory(const std::string& key) {
  index_deletion(key, std::nullopt);
  auto it = secrets_.find(key);
  if (it == secrets_.end()) return;
  by_arn_.erase(it->second.arn);
  auto scope = by_creation_.find(it->second.account + "|" + it->second.region);
  if (scope != by_creation_.end()) {
    scope->second.erase(it->second.seq);
    if (scope->second.empty()) by_creation_.erase(scope);
  }
  secrets_.erase(it);
}

void SecretsManagerService::stage(Secret& s, Store::Batch& batch) {
  std::string key = key_of(s);
  index_deletion(key, s.deletion_date);
  // An ephemeral store keeps nothing, so don't spend time building records for it.
  const bool durable = !core_.store().ephemeral();
  if (durable) batch.put(kNamespace, key, to_record(s));

  // Replicas mirror the primary's value, versions and metadata; only their own identity differs.
  for (const auto& rep : s.replicas) {
    if (rep.status != "InSync") continue;
    Secret* r = find(s.account, rep.region, s.name);
    if (!r || !r->primary_region || *r->primary_region != s.region) continue;
    r->description = s.description;
    r->type = s.type;
    r->tags = s.tags;
    r->policy = s.policy;
    r->rotation = s.rotation;
    r->owning_service = s.owning_service;
    r->last_changed = s.last_changed;
    std::vector<Version> versions = s.versions;
    for (auto& v : versions) {
      if (Version* mine = r->find_version(v.id)) v.last_accessed = mine->last_accessed;
      else v.last_accessed.reset();
      v.kms_key_id = rep.kms_key_id;
    }
    r->versions = std::move(versions);
    r->next_version_seq = s.next_version_seq;
    if (durable) batch.put(kNamespace, key_of(*r), to_record(*r));
  }
}

void SecretsManagerService::save(Secret& s) {
  Store::Batch batch;
  stage(s, batch);
  commit(batch);
}

void SecretsManagerService::commit(const Store::Batch& batch) { core_.store().commit(batch); }

void SecretsManagerService::destroy(const std::string& key) {
  erase_memory(key);
  core_.store().erase(kNamespace, key);
}

void SecretsManagerService::purge_expired(TimePoint now) {
  double t = to_epoch(now);
  while (!deletions_.empty() && deletions_.begin()->first <= t) {
    std::string key = deletions_.begin()->second;
    destroy(key);  // also drops the index entry
  }
}

// ---------------------------------------------------------------------------------------------------
// Lookup

Secret* SecretsManagerService::find(const std::string& account, const std::string& region, const std::string& name) {
  auto it = secrets_.find(key_of(account, region, name));
  return it == secrets_.end() ? nullptr : &it->second;
}

std::vector<Secret*> SecretsManagerService::in_scope(const std::string& account, const std::string& region) {
  std::string prefix = account + "|" + region + "|";
  std::vector<Secret*> out;
  for (auto it = secrets_.lower_bound(prefix); it != secrets_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it)
    out.push_back(&it->second);
  return out;
}

std::pair<std::vector<Secret*>, std::string> SecretsManagerService::page_by_creation(
    const RequestContext& ctx, bool descending, const PageRequest& page,
    const std::function<bool(const Secret&)>& keep) {
  std::optional<uint64_t> start;
  if (page.token && !page.token->empty()) {
    auto key = parse_page_token(*page.token, page.binding);
    if (!key || key->size() != 16 || key->find_first_not_of("0123456789abcdef") != std::string::npos)
      throw AwsError("InvalidNextTokenException", "The NextToken value is invalid.");
    uint64_t v = std::stoull(*key, nullptr, 16);
    start = descending ? ~v : v;
  }
  std::vector<Secret*> items;
  std::string next;
  auto idx = by_creation_.find(ctx.account_id + "|" + ctx.region);
  if (idx == by_creation_.end()) return {items, next};
  auto visit = [&](Secret* s) {
    if (!keep(*s)) return true;
    if (items.size() >= size_t(page.max_items)) {
      next = make_page_token(sort_key_seq(descending ? ~s->seq : s->seq), page.binding);
      return false;
    }
    items.push_back(s);
    return true;
  };
  const auto& by_seq = idx->second;
  if (!descending) {
    for (auto it = start ? by_seq.lower_bound(*start) : by_seq.begin(); it != by_seq.end(); ++it)
      if (!visit(it->second)) break;
  } else {
    auto from = start ? by_seq.upper_bound(*start) : by_seq.end();
    for (auto it = std::make_reverse_iterator(from); it != by_seq.rend(); ++it)
      if (!visit(it->second)) break;
  }
  return {items, next};
}

Secret& SecretsManagerService::resolve(const RequestContext& ctx, const std::string& secret_id) {
  if (secret_id.rfind("arn:", 0) == 0) {
    auto arn = Arn::parse(secret_id);
    if (!arn || arn->service != "secretsmanager" || arn->resource.rfind("secret:", 0) != 0) not_found();
    if (arn->account != ctx.account_id || arn->region != ctx.region) not_found();
    // A complete ARN names exactly one secret.
    if (auto it = by_arn_.find(secret_id); it != by_arn_.end()) return secrets_.at(it->second);
    // A partial ARN (without "-" and the six random characters) names the secret by its name, unless it
    // ends like a complete ARN: then AWS takes it as one, and it matched nothing.
    std::string rest = arn->resource.substr(7);
    if (is_alnum_suffix(rest)) not_found();
    if (Secret* s = find(ctx.account_id, ctx.region, rest)) return *s;
    not_found();
  }
  for (char c : secret_id)
    if (!valid_name_char(c))
      throw AwsError("ValidationException",
                     "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
                     "following: -/_+=.@!",
                     400);
  if (Secret* s = find(ctx.account_id, ctx.region, secret_id)) return *s;
  not_found();
}

void SecretsManagerService::require_live(const Secret& s) {
  if (s.scheduled_for_deletion())
    throw AwsError("InvalidRequestException",
                   "You can't perform this operation on the secret because it was marked for deletion.");
}

void SecretsManagerService::require_primary(const Secret& s) {
  if (s.is_replica())
    throw AwsError("InvalidRequestException",
                   "Operation not permitted on a replica secret. Call must be made in primary secret's region.");
}

CLOUDBOX_REGISTER_SERVICE(SecretsManagerService);

}  // namespace cloudbox::secretsmanager
