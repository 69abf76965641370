#pragma once
// AWS Secrets Manager: secrets with versions and staging labels, deletion windows, resource policies,
// replication to other regions, random passwords. State is kept per account and region; every change is
// written through the store (one sealed record per secret) before the handler returns.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/common/pagination.h"
#include "core/service.h"
#include "core/store/store.h"
#include "services/secretsmanager/state.h"

namespace cloudbox::secretsmanager {

class SecretsManagerService : public Service {
 public:
  explicit SecretsManagerService(Core& core) : Service(core) {}

  std::string name() const override { return "secretsmanager"; }
  void register_operations(std::unordered_map<std::string, Handler>& table) override;
  void load() override;
  void reset() override;
  void tick(TimePoint now) override;
  Json health() const override;
  std::vector<AuthzTarget> authz_targets(const RequestContext& ctx, const Json& in) override;

 private:
  using Method = Json (SecretsManagerService::*)(RequestContext&, const Json&);

  // secrets.cpp
  Json create_secret(RequestContext& ctx, const Json& in);
  Json describe_secret(RequestContext& ctx, const Json& in);
  Json update_secret(RequestContext& ctx, const Json& in);
  Json delete_secret(RequestContext& ctx, const Json& in);
  Json restore_secret(RequestContext& ctx, const Json& in);
  Json list_secrets(RequestContext& ctx, const Json& in);
  Json tag_resource(RequestContext& ctx, const Json& in);
  Json untag_resource(RequestContext& ctx, const Json& in);
  // values.cpp
  Json get_secret_value(RequestContext& ctx, const Json& in);
  Json batch_get_secret_value(RequestContext& ctx, const Json& in);
  Json put_secret_value(RequestContext& ctx, const Json& in);
  // versions.cpp
  Json update_secret_version_stage(RequestContext& ctx, const Json& in);
  Json list_secret_version_ids(RequestContext& ctx, const Json& in);
  // policies.cpp
  Json put_resource_policy(RequestContext& ctx, const Json& in);
  Json get_resource_policy(RequestContext& ctx, const Json& in);
  Json delete_resource_policy(RequestContext& ctx, const Json& in);
  Json validate_resource_policy(RequestContext& ctx, const Json& in);
  // rotation.cpp
  Json rotate_secret(RequestContext& ctx, const Json& in);
  Json cancel_rotate_secret(RequestContext& ctx, const Json& in);
  // replication.cpp
  Json replicate_secret_to_regions(RequestContext& ctx, const Json& in);
  Json remove_regions_from_replication(RequestContext& ctx, const Json& in);
  Json stop_replication_to_replica(RequestContext& ctx, const Json& in);
  // random_password.cpp
  Json get_random_password(RequestContext& ctx, const Json& in);

  // --- authorization (authz.cpp) ---
  // secretsmanager:<action> on the secret `secret_id` names, with its resource policy and tags.
  AuthzTarget secret_target(const RequestContext& ctx, const std::string& action, const std::string& secret_id);
  // With enforcement, throws the denial when the caller may not read `s` (BatchGetSecretValue's per-secret check).
  void authorize_read(const RequestContext& ctx, const Secret& s);

  // --- lookup (service.cpp) ---
  // Resolves a SecretId (name, full ARN or partial ARN) in the caller's account and region; throws
  // ValidationException for a malformed name and ResourceNotFoundException when there is no such secret.
  Secret& resolve(const RequestContext& ctx, const std::string& secret_id);
  Secret* find(const std::string& account, const std::string& region, const std::string& name);
  // Every secret of one account and region (including those scheduled for deletion), in key order.
  std::vector<Secret*> in_scope(const std::string& account, const std::string& region);
  // One page of a scope's secrets in creation order (or its reverse), walking the creation index from
  // the token's position, so a page costs what it returns rather than a sort of every secret. Tokens
  // carry sort_key(s, "created-date", descending). Returns the page and the next token ("" when done).
  std::pair<std::vector<Secret*>, std::string> page_by_creation(const RequestContext& ctx, bool descending,
                                                                const PageRequest& page,
                                                                const std::function<bool(const Secret&)>& keep);
  // Throws InvalidRequestException when the secret is scheduled for deletion.
  static void require_live(const Secret& s);
  // Throws InvalidRequestException when the secret is a replica (replicas are read-only).
  static void require_primary(const Secret& s);

  // --- storage (service.cpp) ---
  static std::string key_of(const std::string& account, const std::string& region, const std::string& name);
  static std::string key_of(const Secret& s) { return key_of(s.account, s.region, s.name); }
  // Adds or replaces a secret in memory (indexes included); does not write the store.
  Secret& put_memory(Secret s);
  // Keeps the deletion index in step with a secret's deletion date.
  void index_deletion(const std::string& key, std::optional<double> when);
  // Forgets a secret in memory; does not write the store.
  void erase_memory(const std::string& key);
  // Writes the secret, and the replicas that mirror it, in one transaction.
  void save(Secret& s);
  // Queues the secret and its synchronised replicas into `batch` (replicas are refreshed from `s`).
  void stage(Secret& s, Store::Batch& batch);
  // Writes queued records in one transaction.
  void commit(const Store::Batch& batch);
  // Erases the secret from memory and the store.
  void destroy(const std::string& key);
  // Forgets every secret whose deletion date has passed.
  void purge_expired(TimePoint now);

  // --- shared rules (versions.cpp) ---
  // Adds a new version (or recognises an idempotent retry of the same ClientRequestToken) and moves the
  // staging labels as PutSecretValue does. Returns the version. `stages` empty = AWSCURRENT.
  Version& add_version(Secret& s, const std::optional<std::string>& token, const std::optional<std::string>& str,
                       const std::optional<std::string>& bin, std::set<std::string> stages, double now,
                       bool* created = nullptr);
  static void prune_deprecated(Secret& s, double now);

  // --- replication (replication.cpp) ---
  // Reads AddReplicaRegions ([{Region, KmsKeyId}]) and refuses the secret's own region and repeats.
  static std::vector<ReplicaStatus> parse_replica_regions(const std::string& own_region, const Secret* primary,
                                                          const Json& list);
  // Creates the replica secrets in their regions and records them on the primary (queued into `batch`).
  void create_replicas(Secret& primary, std::vector<ReplicaStatus> wanted, bool force, Store::Batch& batch,
                       double now);

  // --- views (secrets.cpp) ---
  Json describe_json(const Secret& s, bool list_entry) const;
  static Json versions_to_stages(const Secret& s);
  static Json replication_status_json(const Secret& s);

  uint64_t next_seq_ = 1;
  std::map<std::string, Secret> secrets_;                  // key_of → secret
  std::unordered_map<std::string, std::string> by_arn_;    // ARN → key_of
  std::set<std::pair<double, std::string>> deletions_;     // (deletion date, key_of), soonest first
  std::unordered_map<std::string, double> scheduled_;      // key_of → its entry in deletions_
  std::unordered_map<std::string, std::map<uint64_t, Secret*>> by_creation_;  // "account|region" → seq → secret
};

// Helpers shared by the handler files.
double epoch(const RequestContext& ctx);
double midnight_utc(double epoch_seconds);
std::optional<std::string> opt_string(const Json& in, const char* member);
bool opt_bool(const Json& in, const char* member, bool fallback);
// Reads SecretString / SecretBinary; throws InvalidParameterException when both are given or the value is
// larger than 65536 bytes.
void read_value(const Json& in, std::optional<std::string>& str, std::optional<std::string>& bin);
// The SDKs and the CLI fill ClientRequestToken in; a raw request that creates a version must carry one.
// Calls cloudbox makes itself (Core::invoke) are exempt.
void require_client_token(const RequestContext& ctx, const Json& in);
[[noreturn]] void not_found();

}  // namespace cloudbox::secretsmanager
