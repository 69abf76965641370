// Versions and staging labels: how labels move when a version is added (PutSecretValue, UpdateSecret,
// CreateSecret) or moved explicitly (UpdateSecretVersionStage), and ListSecretVersionIds.
//
// The rules, as AWS documents and as recorded against AWS:
//  - a staging label is attached to at most one version; attaching it elsewhere moves it;
//  - a new version without VersionStages gets AWSCURRENT; the first version of a secret gets AWSCURRENT
//    whatever else it is given;
//  - when AWSCURRENT moves, the version it left gets AWSPREVIOUS (moved from wherever it was); when a new
//    value takes AWSCURRENT, the old current version also drops AWSPENDING (its rotation is over);
//  - versions left without labels are deprecated: hidden unless IncludeDeprecated, and only the newest
//    100 of them are kept.
#include <cstdio>

#include "core/common/ids.h"
#include "core/common/pagination.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

Version& SecretsManagerService::add_version(Secret& s, const std::optional<std::string>& token,
                                            const std::optional<std::string>& str,
                                            const std::optional<std::string>& bin, std::set<std::string> stages,
                                            double now, bool* created) {
  if (created) *created = false;
  if (token) {
    if (Version* existing = s.find_version(*token)) {
      // A retry with the same token and value is ignored; anything else would rewrite a version.
      if (existing->same_value(str, bin)) return *existing;
      throw AwsError("ResourceExistsException",
                     "You can't modify an existing version, you can only create a new version.");
    }
  }
  if (stages.empty()) stages.insert(kCurrent);
  if (!s.version_with(kCurrent)) stages.insert(kCurrent);  // the first version always becomes current

  Version* old_current = stages.count(kCurrent) ? s.version_with(kCurrent) : nullptr;
  for (auto& other : s.versions)
    for (const auto& label : stages) other.stages.erase(label);
  if (old_current) {
    old_current->stages.erase(kPending);
    if (!stages.count(kPrevious)) {
      for (auto& other : s.versions) other.stages.erase(kPrevious);
      old_current->stages.insert(kPrevious);
    }
  }

  Version v;
  v.id = token ? *token : uuid4();
  v.string_value = str;
  v.binary_value = bin;
  v.stages = std::move(stages);
  v.created = now;
  v.kms_key_id = s.kms_key_id;
  v.seq = s.next_version_seq++;
  std::string id = v.id;
  s.versions.push_back(std::move(v));
  s.last_changed = now;
  prune_deprecated(s, now);
  if (created) *created = true;
  return *s.find_version(id);
}

// AWS removes outdated versions beyond about 100, but never one created less than 24 hours ago.
void SecretsManagerService::prune_deprecated(Secret& s, double now) {
  size_t unlabelled = 0;
  for (const auto& v : s.versions) unlabelled += v.stages.empty() ? 1 : 0;
  for (auto it = s.versions.begin(); unlabelled > kMaxDeprecatedVersions && it != s.versions.end();) {
    if (it->stages.empty() && now - it->created >= 24 * 3600) {
      it = s.versions.erase(it);
      --unlabelled;
    } else {
      ++it;
    }
  }
}

Json SecretsManagerService::update_secret_version_stage(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  std::string label = in.at("VersionStage").get<std::string>();
  auto remove_id = opt_string(in, "RemoveFromVersionId");
  auto move_id = opt_string(in, "MoveToVersionId");
  if (!remove_id && !move_id)
    throw AwsError("InvalidParameterException",
                   "You must specify MoveToVersionId, RemoveFromVersionId, or both.");

  auto version_or_throw = [&s](const std::string& id) -> Version* {
    Version* v = s.find_version(id);
    if (!v)
      throw AwsError("ResourceNotFoundException",
                     "Secrets Manager can't find the specified secret value for VersionId: " + id);
    return v;
  };
  Version* to = move_id ? version_or_throw(*move_id) : nullptr;
  Version* from = remove_id ? version_or_throw(*remove_id) : nullptr;
  if (from && !from->stages.count(label))
    throw AwsError("InvalidParameterException", "The staging label " + label +
                                                    " isn't attached to the version specified by RemoveFromVersionId: " +
                                                    *remove_id + ".");
  Version* holder = s.version_with(label);
  if (to && holder && holder != to && holder != from)
    throw AwsError("InvalidParameterException",
                   "The parameter RemoveFromVersionId can't be empty. Staging label " + label +
                       " is currently attached to version " + holder->id +
                       ", so you must explicitly reference that version in RemoveFromVersionId.");
  if (label == kCurrent && from && (!to || to == from)) {
    if (!to)
      throw AwsError("InvalidParameterException",
                     "You can't remove the staging label AWSCURRENT from a version without moving it to another "
                     "version. Specify MoveToVersionId.");
  }

  if (from && from != to) from->stages.erase(label);
  if (to) to->stages.insert(label);
  if (label == kCurrent && to) {
    Version* left = (from && from != to) ? from : (holder && holder != to ? holder : nullptr);
    if (left) {
      for (auto& v : s.versions) v.stages.erase(kPrevious);
      left->stages.insert(kPrevious);
    }
  }
  prune_deprecated(s, epoch(ctx));
  s.last_changed = epoch(ctx);
  save(s);
  return {{"ARN", s.arn}, {"Name", s.name}};
}

Json SecretsManagerService::list_secret_version_ids(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  bool include_deprecated = opt_bool(in, "IncludeDeprecated", false);

  std::vector<const Version*> listed;
  for (const auto& v : s.versions)
    if (include_deprecated || !v.stages.empty()) listed.push_back(&v);

  PageRequest page;
  page.token = opt_string(in, "NextToken");
  page.max_items = in.contains("MaxResults") ? in["MaxResults"].get<int>() : 100;
  page.binding = bind_token({{"op", "ListSecretVersionIds"}, {"arn", s.arn}, {"deprecated", include_deprecated}});
  auto key = [](const Version* v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(v->seq));
    return std::string(buf);
  };
  auto [items, next] = paginate(listed, page, key, "InvalidNextTokenException", "The NextToken value is invalid.");

  Json versions = Json::array();
  for (const Version* v : items) {
    Json e = {{"VersionId", v->id}, {"CreatedDate", v->created}};
    if (!v->stages.empty()) e["VersionStages"] = Json(v->stages);
    if (v->last_accessed) e["LastAccessedDate"] = *v->last_accessed;
    e["KmsKeyIds"] = Json::array({v->kms_key_id ? *v->kms_key_id : std::string(kDefaultKeyLabel)});
    versions.push_back(std::move(e));
  }
  Json out = {{"Versions", versions}, {"ARN", s.arn}, {"Name", s.name}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

}  // namespace cloudbox::secretsmanager
