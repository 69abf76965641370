// The secret itself: CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret, RestoreSecret, ListSecrets,
// TagResource, UntagResource.
#include <algorithm>
#include <cctype>

#include "core/common/arn.h"
#include "core/common/ids.h"
#include "core/common/pagination.h"
#include "services/secretsmanager/filters.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

namespace {

void validate_name(const std::string& name) {
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '+' || c == '=' ||
              c == '.' || c == '@' || c == '-' || c == '!';
    if (!ok)
      throw AwsError("ValidationException",
                     "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
                     "following: -/_+=.@!",
                     400);
  }
}

std::optional<std::string> non_empty(std::optional<std::string> s) {
  if (s && s->empty()) return std::nullopt;
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Views

Json SecretsManagerService::versions_to_stages(const Secret& s) {
  Json out = Json::object();
  for (const auto& v : s.versions)
    if (!v.stages.empty()) out[v.id] = Json(v.stages);  // deprecated versions are not listed
  return out;
}

Json SecretsManagerService::replication_status_json(const Secret& s) {
  Json out = Json::array();
  for (const auto& r : s.replicas) {
    Json e = {{"Region", r.region},
              {"KmsKeyId", r.kms_key_id ? *r.kms_key_id : std::string(kDefaultKmsAlias)},
              {"Status", r.status}};
    if (!r.message.empty()) e["StatusMessage"] = r.message;
    out.push_back(std::move(e));
  }
  return out;
}

Json SecretsManagerService::describe_json(const Secret& s, bool list_entry) const {
  Json j = {{"ARN", s.arn}, {"Name", s.name}};
  if (s.type) j["Type"] = *s.type;
  if (s.description) j["Description"] = *s.description;
  if (s.kms_key_id) j["KmsKeyId"] = *s.kms_key_id;
  if (s.rotation) {
    j["RotationEnabled"] = s.rotation->enabled;
    if (s.rotation->lambda_arn) j["RotationLambdaARN"] = *s.rotation->lambda_arn;
    if (s.rotation->rules) j["RotationRules"] = *s.rotation->rules;
    if (s.rotation->last_rotated) j["LastRotatedDate"] = *s.rotation->last_rotated;
    if (s.rotation->next_rotation) j["NextRotationDate"] = *s.rotation->next_rotation;
  }
  j["LastChangedDate"] = s.last_changed;
  if (s.last_accessed) j["LastAccessedDate"] = *s.last_accessed;
  if (s.deletion_date) j["DeletedDate"] = *s.deletion_date;
  if (!s.tags.empty()) j["Tags"] = tag_list_json(s.tags);
  Json stages = versions_to_stages(s);
  if (!stages.empty()) j[list_entry ? "SecretVersionsToStages" : "VersionIdsToStages"] = stages;
  if (s.owning_service) j["OwningService"] = *s.owning_service;
  j["CreatedDate"] = s.created;
  if (s.primary_region) j["PrimaryRegion"] = *s.primary_region;
  else if (!s.replicas.empty()) j["PrimaryRegion"] = s.region;
  if (!list_entry && !s.replicas.empty()) j["ReplicationStatus"] = replication_status_json(s);
  return j;
}

// ---------------------------------------------------------------------------------------------------
// Operations

Json SecretsManagerService::create_secret(RequestContext& ctx, const Json& in) {
  std::string name = in.at("Name").get<std::string>();
  validate_name(name);
  std::optional<std::string> str, bin;
  read_value(in, str, bin);
  if (str || bin) require_client_token(ctx, in);
  auto token = opt_string(in, "ClientRequestToken");
  TagMap tags;
  if (in.contains("Tags")) {
    // Secrets other services manage (RDS's rds!db-… secrets) carry AWS's own aws:… tags; users may not add them.
    TagLimits limits;
    limits.reserve_aws_prefix = !ctx.internal;
    tags = parse_tag_list(in["Tags"], "InvalidParameterException", {}, limits);
  }

  if (Secret* existing = find(ctx.account_id, ctx.region, name)) {
    if (existing->scheduled_for_deletion())
      throw AwsError("InvalidRequestException",
                     "You can't create this secret because a secret with this name is already scheduled for "
                     "deletion.");
    // A retried request (same token, same value) gets the original answer.
    if (token && (str || bin)) {
      if (Version* v = existing->find_version(*token); v && v->same_value(str, bin) && !existing->is_replica()) {
        Json out = {{"ARN", existing->arn}, {"Name", existing->name}, {"VersionId", v->id}};
        if (!existing->replicas.empty()) out["ReplicationStatus"] = replication_status_json(*existing);
        return out;
      }
    }
    throw AwsError("ResourceExistsException", "The operation failed because the secret " + name + " already exists.");
  }

  std::vector<ReplicaStatus> wanted;
  if (in.contains("AddReplicaRegions")) wanted = parse_replica_regions(ctx.region, nullptr, in["AddReplicaRegions"]);

  double now = epoch(ctx);
  Secret s;
  s.account = ctx.account_id;
  s.region = ctx.region;
  s.name = name;
  do {
    s.arn = make_arn("secretsmanager", ctx.region, ctx.account_id, "secret:" + name + "-" + random_alnum(6));
  } while (by_arn_.count(s.arn));
  s.seq = next_seq_++;
  s.description = opt_string(in, "Description");
  s.kms_key_id = non_empty(opt_string(in, "KmsKeyId"));
  s.type = opt_string(in, "Type");
  // Services that manage secrets (RDS master passwords) say so through an internal call.
  if (ctx.internal) s.owning_service = opt_string(in, "OwningService");
  s.tags = std::move(tags);
  s.created = now;
  s.last_changed = now;
  std::optional<std::string> version_id;
  if (str || bin) version_id = add_version(s, token, str, bin, {}, now).id;

  Secret& stored = put_memory(std::move(s));
  Store::Batch batch;
  if (!wanted.empty()) create_replicas(stored, std::move(wanted), opt_bool(in, "ForceOverwriteReplicaSecret", false),
                                       batch, now);
  stage(stored, batch);
  commit(batch);

  Json out = {{"ARN", stored.arn}, {"Name", stored.name}};
  if (version_id) out["VersionId"] = *version_id;
  if (!stored.replicas.empty()) out["ReplicationStatus"] = replication_status_json(stored);
  return out;
}

Json SecretsManagerService::describe_secret(RequestContext& ctx, const Json& in) {
  // Works on secrets scheduled for deletion too: that is how their DeletedDate is seen.
  return describe_json(resolve(ctx, in.at("SecretId").get<std::string>()), false);
}

Json SecretsManagerService::update_secret(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  std::optional<std::string> str, bin;
  read_value(in, str, bin);
  double now = epoch(ctx);

  Json out = {{"ARN", s.arn}, {"Name", s.name}};
  // The new KMS key applies to the new version, so take it before adding one.
  auto old_key = s.kms_key_id;
  if (in.contains("KmsKeyId")) s.kms_key_id = non_empty(opt_string(in, "KmsKeyId"));
  if (str || bin) {
    require_client_token(ctx, in);
    try {
      out["VersionId"] = add_version(s, opt_string(in, "ClientRequestToken"), str, bin, {}, now).id;
    } catch (...) {
      s.kms_key_id = old_key;  // add_version refuses before changing anything else
      throw;
    }
  }
  if (in.contains("Description")) s.description = opt_string(in, "Description");
  if (in.contains("Type")) s.type = opt_string(in, "Type");
  s.last_changed = now;
  save(s);
  return out;
}

Json SecretsManagerService::delete_secret(RequestContext& ctx, const Json& in) {
  std::optional<long long> window;
  if (in.contains("RecoveryWindowInDays") && in["RecoveryWindowInDays"].is_number())
    window = in["RecoveryWindowInDays"].get<long long>();
  bool force = opt_bool(in, "ForceDeleteWithoutRecovery", false);
  if (window && force)
    throw AwsError("InvalidParameterException",
                   "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  if (window && (*window < 7 || *window > 30))
    throw AwsError("InvalidParameterException",
                   "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");

  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_primary(s);
  if (!s.replicas.empty()) {
    std::string regions;
    for (const auto& r : s.replicas) regions += (regions.empty() ? "" : ",") + r.region;
    throw AwsError("InvalidParameterException",
                   "You can't delete secret " + s.name + " that still has replica regions [" + regions + "]");
  }
  double now = epoch(ctx);
  Json out = {{"ARN", s.arn}, {"Name", s.name}};
  if (force) {
    // Also ends the recovery window of a secret already scheduled for deletion.
    out["DeletionDate"] = now;
    destroy(key_of(s));
    return out;
  }
  if (s.scheduled_for_deletion())
    throw AwsError("InvalidRequestException",
                   "You tried to perform the operation on a secret that's currently marked deleted.");
  s.deletion_date = now + double(window.value_or(30)) * 86400.0;
  save(s);
  out["DeletionDate"] = *s.deletion_date;
  return out;
}

Json SecretsManagerService::restore_secret(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_primary(s);
  if (s.scheduled_for_deletion()) {
    s.deletion_date.reset();
    s.last_changed = epoch(ctx);
    save(s);
  }
  return {{"ARN", s.arn}, {"Name", s.name}};
}

Json SecretsManagerService::list_secrets(RequestContext& ctx, const Json& in) {
  bool include_deleted = opt_bool(in, "IncludePlannedDeletion", false);
  std::string sort_by = opt_string(in, "SortBy").value_or("created-date");
  bool descending = opt_string(in, "SortOrder").value_or("asc") == "desc";
  Json filters = in.contains("Filters") ? in["Filters"] : Json::array();

  PageRequest page;
  page.token = opt_string(in, "NextToken");
  page.max_items = in.contains("MaxResults") ? in["MaxResults"].get<int>() : 100;
  page.binding = bind_token({{"op", "ListSecrets"},
                             {"filters", filters},
                             {"sort_by", sort_by},
                             {"desc", descending},
                             {"deleted", include_deleted}});
  auto keep = [&](const Secret& s) {
    return (include_deleted || !s.scheduled_for_deletion()) && matches_filters(s, filters);
  };

  std::vector<const Secret*> items;
  std::string next;
  if (sort_by == "created-date") {
    // The common listing: walk the creation index from the token, no sort of the whole scope.
    auto [page_items, page_next] = page_by_creation(ctx, descending, page, keep);
    items.assign(page_items.begin(), page_items.end());
    next = std::move(page_next);
  } else {
    std::vector<std::pair<std::string, const Secret*>> listed;
    for (const Secret* s : in_scope(ctx.account_id, ctx.region))
      if (keep(*s)) listed.emplace_back(sort_key(*s, sort_by, descending), s);
    std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto [page_items, page_next] = paginate(listed, page, [](const auto& e) { return e.first; },
                                            "InvalidNextTokenException", "The NextToken value is invalid.");
    for (const auto& e : page_items) items.push_back(e.second);
    next = std::move(page_next);
  }
  Json list = Json::array();
  for (const Secret* s : items) list.push_back(describe_json(*s, true));
  Json out = Json::object();
  out["SecretList"] = std::move(list);  // an initializer list would copy every entry
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Json SecretsManagerService::tag_resource(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  TagMap added = parse_tag_list(in.at("Tags"), "InvalidParameterException", s.tags);
  for (auto& [k, v] : added) s.tags[k] = v;
  s.last_changed = epoch(ctx);
  save(s);
  return Json::object();
}

Json SecretsManagerService::untag_resource(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  for (const auto& k : in.at("TagKeys")) s.tags.erase(k.get<std::string>());
  s.last_changed = epoch(ctx);
  save(s);
  return Json::object();
}

}  // namespace cloudbox::secretsmanager
