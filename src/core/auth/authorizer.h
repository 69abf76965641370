#pragma once
// The core's authorization hook. With --enforce-iam every request is described by its service as targets
// (action, resources, condition keys, the resource's own policy) and decided by the registered Authorizer
// (IAM). The core names no service: IAM registers itself.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cloudbox {

struct RequestContext;

struct AuthzTarget {
  std::string action;                  // "secretsmanager:GetSecretValue"
  std::vector<std::string> resources;  // ARNs; empty means "*"
  std::map<std::string, std::vector<std::string>> context;
  std::optional<std::string> resource_policy;
  std::string resource_account;  // empty: the caller's account
  std::string message_resource;  // what the denial message names (default: the ARN)
  // The resource policy itself must allow, whoever calls (a role's trust policy for sts:AssumeRole). Such a
  // target is decided even for an account's root and for AWS service principals.
  bool resource_policy_required = false;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Throws the protocol's denial (AccessDenied, AccessDeniedException, UnauthorizedOperation) when a target
  // is not allowed. Takes its own locks.
  virtual void authorize(const RequestContext& ctx, const std::vector<AuthzTarget>& targets) = 0;
  // Notes that the caller's credentials were used (last-used dates), without deciding anything.
  virtual void record_use(const RequestContext& ctx) = 0;
};

}  // namespace cloudbox
