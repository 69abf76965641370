#pragma once
// Secrets Manager state: one Secret per (account, region, name), with all of its versions inside, so one
// secret is one durable record. Replicas are ordinary secrets in their own region that name their primary.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/common/json.h"
#include "core/common/tags.h"

namespace cloudbox::secretsmanager {

// Store namespace of the service's records (one per secret, keyed account|region|name).
inline constexpr const char* kNamespace = "secretsmanager";
inline constexpr const char* kCurrent = "AWSCURRENT";
inline constexpr const char* kPrevious = "AWSPREVIOUS";
inline constexpr const char* kPending = "AWSPENDING";
// AWS keeps at most this many versions without staging labels ("deprecated"); older ones are dropped.
inline constexpr size_t kMaxDeprecatedVersions = 100;
// What ListSecretVersionIds shows as the key of a version encrypted under the default key.
inline constexpr const char* kDefaultKeyLabel = "DefaultEncryptionKey";
// What ReplicationStatus shows for a replica encrypted under the default key.
inline constexpr const char* kDefaultKmsAlias = "alias/aws/secretsmanager";

struct Version {
  std::string id;
  std::optional<std::string> string_value;
  std::optional<std::string> binary_value;  // raw bytes
  std::set<std::string> stages;             // kept sorted: AWS lists labels in that order
  double created = 0;
  std::optional<double> last_accessed;      // midnight UTC of the last day it was read
  std::optional<std::string> kms_key_id;    // key it was encrypted under; empty = the default key
  uint64_t seq = 0;                         // creation order within the secret

  bool same_value(const std::optional<std::string>& s, const std::optional<std::string>& b) const {
    return string_value == s && binary_value == b;
  }
};

struct ReplicaStatus {
  std::string region;
  std::optional<std::string> kms_key_id;
  std::string status = "InSync";  // InSync | Failed | InProgress
  std::string message = "Replication succeeded";
};

struct Rotation {
  bool enabled = false;
  std::optional<std::string> lambda_arn;
  std::optional<Json> rules;
  std::optional<double> last_rotated;
  std::optional<double> next_rotation;
};

struct Secret {
  std::string account;
  std::string region;
  std::string name;
  std::string arn;
  uint64_t seq = 0;  // creation order across the service (sort tie-break)

  std::optional<std::string> description;
  std::optional<std::string> kms_key_id;
  std::optional<std::string> type;
  std::optional<std::string> owning_service;
  TagMap tags;
  std::optional<std::string> policy;
  std::optional<Rotation> rotation;  // present once rotation was ever configured

  double created = 0;
  double last_changed = 0;
  std::optional<double> last_accessed;
  std::optional<double> deletion_date;  // set while scheduled for deletion

  std::optional<std::string> primary_region;  // set on replicas
  std::vector<ReplicaStatus> replicas;        // set on primaries

  std::vector<Version> versions;  // creation order
  uint64_t next_version_seq = 1;

  bool is_replica() const { return primary_region.has_value(); }
  bool scheduled_for_deletion() const { return deletion_date.has_value(); }

  Version* find_version(const std::string& id) {
    for (auto& v : versions)
      if (v.id == id) return &v;
    return nullptr;
  }
  Version* version_with(const std::string& stage) {
    for (auto& v : versions)
      if (v.stages.count(stage)) return &v;
    return nullptr;
  }
};

Json to_record(const Secret& s);
Secret from_record(const Json& j);

}  // namespace cloudbox::secretsmanager
