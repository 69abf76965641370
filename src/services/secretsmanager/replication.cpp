// Replication to other regions: AddReplicaRegions on CreateSecret, ReplicateSecretToRegions,
// RemoveRegionsFromReplication, StopReplicationToReplica. A replica is a real secret in its region (same
// name and random suffix, that region's ARN, PrimaryRegion set), read-only there, and refreshed from the
// primary whenever the primary is written (see SecretsManagerService::stage).
#include <set>

#include "core/common/arn.h"
#include "core/common/regions.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

std::vector<ReplicaStatus> SecretsManagerService::parse_replica_regions(const std::string& own_region,
                                                                        const Secret* primary, const Json& list) {
  std::vector<ReplicaStatus> out;
  std::set<std::string> seen;
  for (const auto& e : list) {
    std::string region = e.value("Region", std::string());
    if (region.empty() || region == own_region || !is_known_region(region))
      throw AwsError("InvalidParameterException", "Invalid replica region.");
    if (!seen.insert(region).second)
      throw AwsError("InvalidParameterException", "Duplicate replica region: " + region + ".");
    if (primary)
      for (const auto& r : primary->replicas)
        if (r.region == region)
          throw AwsError("InvalidParameterException", "The secret is already replicated to region " + region + ".");
    ReplicaStatus rs;
    rs.region = region;
    if (e.contains("KmsKeyId") && e["KmsKeyId"].is_string() && !e["KmsKeyId"].get<std::string>().empty())
      rs.kms_key_id = e["KmsKeyId"].get<std::string>();
    out.push_back(std::move(rs));
  }
  return out;
}

void SecretsManagerService::create_replicas(Secret& primary, std::vector<ReplicaStatus> wanted, bool force,
                                            Store::Batch& batch, double now) {
  for (auto& rs : wanted) {
    if (Secret* existing = find(primary.account, rs.region, primary.name)) {
      if (!force) {
        rs.status = "Failed";
        rs.message = "Replication failed: Secret name " + primary.name + " already exists in region " + rs.region + ".";
        primary.replicas.push_back(std::move(rs));
        continue;
      }
      std::string key = key_of(*existing);
      batch.erase(kNamespace, key);
      erase_memory(key);
    }
    Secret r;
    r.account = primary.account;
    r.region = rs.region;
    r.name = primary.name;
    Arn arn = *Arn::parse(primary.arn);
    arn.region = rs.region;
    r.arn = arn.str();
    r.seq = next_seq_++;
    r.kms_key_id = rs.kms_key_id;
    r.created = now;
    r.last_changed = primary.last_changed;
    r.primary_region = primary.region;
    put_memory(std::move(r));  // its value and metadata are filled in when the primary is staged
    rs.status = "InSync";
    rs.message = "Replication succeeded";
    primary.replicas.push_back(std::move(rs));
  }
}

Json SecretsManagerService::replicate_secret_to_regions(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  auto wanted = parse_replica_regions(s.region, &s, in.at("AddReplicaRegions"));
  Store::Batch batch;
  create_replicas(s, std::move(wanted), opt_bool(in, "ForceOverwriteReplicaSecret", false), batch, epoch(ctx));
  stage(s, batch);
  commit(batch);
  return {{"ARN", s.arn}, {"ReplicationStatus", replication_status_json(s)}};
}

Json SecretsManagerService::remove_regions_from_replication(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_primary(s);
  std::set<std::string> regions;
  for (const auto& r : in.at("RemoveReplicaRegions")) regions.insert(r.get<std::string>());
  for (const auto& region : regions) {
    bool known = false;
    for (const auto& r : s.replicas) known = known || r.region == region;
    if (!known)
      throw AwsError("InvalidParameterException", "The secret isn't replicated to region " + region + ".");
  }
  Store::Batch batch;
  for (auto it = s.replicas.begin(); it != s.replicas.end();) {
    if (!regions.count(it->region)) {
      ++it;
      continue;
    }
    // Deleting a replica is immediate; a failed replication left no replica to delete.
    Secret* r = find(s.account, it->region, s.name);
    if (r && r->primary_region && *r->primary_region == s.region) {
      std::string key = key_of(*r);
      batch.erase(kNamespace, key);
      erase_memory(key);
    }
    it = s.replicas.erase(it);
  }
  stage(s, batch);
  commit(batch);
  return {{"ARN", s.arn}, {"ReplicationStatus", replication_status_json(s)}};
}

Json SecretsManagerService::stop_replication_to_replica(RequestContext& ctx, const Json& in) {
  Secret& r = resolve(ctx, in.at("SecretId").get<std::string>());
  if (!r.is_replica())
    throw AwsError("InvalidRequestException",
                   "StopReplicationToReplica can only be called on a replica secret, in the replica's Region.");
  Store::Batch batch;
  if (Secret* p = find(r.account, *r.primary_region, r.name)) {
    for (auto it = p->replicas.begin(); it != p->replicas.end();)
      it = it->region == r.region ? p->replicas.erase(it) : it + 1;
    stage(*p, batch);
  }
  // The replica becomes a standalone secret in its region.
  r.primary_region.reset();
  r.last_changed = epoch(ctx);
  stage(r, batch);
  commit(batch);
  return {{"ARN", r.arn}};
}

}  // namespace cloudbox::secretsmanager
