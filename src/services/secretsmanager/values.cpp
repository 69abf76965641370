// Reading and writing secret values: GetSecretValue, BatchGetSecretValue, PutSecretValue.
#include <algorithm>

#include "core/common/pagination.h"
#include "services/secretsmanager/filters.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

namespace {

Json value_entry(const Secret& s, const Version& v) {
  Json out = {{"ARN", s.arn}, {"Name", s.name}, {"VersionId", v.id}, {"CreatedDate", v.created}};
  if (v.string_value) out["SecretString"] = *v.string_value;
  if (v.binary_value) out["SecretBinary"] = *v.binary_value;
  if (!v.stages.empty()) out["VersionStages"] = Json(v.stages);
  return out;
}

[[noreturn]] void no_value_for_stage(const std::string& stage) {
  throw AwsError("ResourceNotFoundException",
                 "Secrets Manager can't find the specified secret value for staging label: " + stage);
}

// Records a read: LastAccessedDate is the day (midnight UTC) of the last read. Returns true if it changed.
bool mark_accessed(Secret& s, Version& v, double now) {
  double day = midnight_utc(now);
  bool changed = s.last_accessed != day || v.last_accessed != day;
  s.last_accessed = day;
  v.last_accessed = day;
  return changed;
}

}  // namespace

Json SecretsManagerService::get_secret_value(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  auto version_id = opt_string(in, "VersionId");
  auto stage = opt_string(in, "VersionStage");
  Version* v = nullptr;
  if (version_id) {
    v = s.find_version(*version_id);
    if (!v)
      throw AwsError("ResourceNotFoundException",
                     "Secrets Manager can't find the specified secret value for VersionId: " + *version_id);
    if (stage && !v->stages.count(*stage))
      throw AwsError("InvalidRequestException",
                     "You provided a VersionStage that is not associated to the provided VersionId.");
  } else {
    std::string label = stage.value_or(kCurrent);
    v = s.version_with(label);
    if (!v) no_value_for_stage(label);
  }
  if (mark_accessed(s, *v, epoch(ctx))) save(s);
  return value_entry(s, *v);
}

Json SecretsManagerService::batch_get_secret_value(RequestContext& ctx, const Json& in) {
  bool has_ids = in.contains("SecretIdList");
  bool has_filters = in.contains("Filters");
  if (has_ids && has_filters)
    throw AwsError("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  if (!has_ids && !has_filters)
    throw AwsError("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided.");
  if (has_ids && in.contains("MaxResults"))
    throw AwsError("InvalidParameterException",
                   "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");

  double now = epoch(ctx);
  Json values = Json::array();
  Json errors = Json::array();
  Store::Batch batch;
  auto read_current = [&](Secret& s) {
    authorize_read(ctx, s);
    require_live(s);
    Version* v = s.version_with(kCurrent);
    if (!v) no_value_for_stage(kCurrent);
    if (mark_accessed(s, *v, now)) stage(s, batch);
    values.push_back(value_entry(s, *v));
  };
  auto record_error = [&errors](const std::string& id, const AwsError& e) {
    errors.push_back({{"SecretId", id}, {"ErrorCode", e.code}, {"Message", e.what()}});
  };

  Json out;
  if (has_ids) {
    for (const auto& id_json : in["SecretIdList"]) {
      std::string id = id_json.get<std::string>();
      try {
        read_current(resolve(ctx, id));
      } catch (const AwsError& e) {
        record_error(id, e);
      }
    }
  } else {
    PageRequest page;
    page.token = opt_string(in, "NextToken");
    page.max_items = in.contains("MaxResults") ? in["MaxResults"].get<int>() : 20;
    page.binding = bind_token({{"op", "BatchGetSecretValue"}, {"filters", in["Filters"]}});
    const Json& filters = in["Filters"];
    auto [items, next] = page_by_creation(ctx, false, page, [&filters](const Secret& s) {
      return !s.scheduled_for_deletion() && matches_filters(s, filters);
    });
    for (Secret* s : items) {
      try {
        read_current(*s);
      } catch (const AwsError& e) {
        record_error(s->name, e);
      }
    }
    if (!next.empty()) out["NextToken"] = next;
  }
  commit(batch);
  out["SecretValues"] = values;
  out["Errors"] = errors;
  return out;
}

Json SecretsManagerService::put_secret_value(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  std::optional<std::string> str, bin;
  read_value(in, str, bin);
  if (!str && !bin) throw AwsError("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
  require_client_token(ctx, in);
  std::set<std::string> stages;
  if (in.contains("VersionStages"))
    for (const auto& st : in["VersionStages"]) stages.insert(st.get<std::string>());

  bool created = false;
  Version& v = add_version(s, opt_string(in, "ClientRequestToken"), str, bin, stages, epoch(ctx), &created);
  Json out = {{"ARN", s.arn}, {"Name", s.name}, {"VersionId", v.id}};
  if (!v.stages.empty()) out["VersionStages"] = Json(v.stages);
  if (created) save(s);
  return out;
}

}  // namespace cloudbox::secretsmanager
