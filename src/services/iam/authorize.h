#pragma once
// What IAM needs to decide one request, as the core's enforcement hook will hand it over (see the IAM notes
// in docs/ for the hook). The owning service describes its operation: the IAM action(s), the resource ARNs,
// the condition keys of the request and the resource (aws:ResourceTag/…, aws:RequestTag/…, aws:TagKeys, service
// keys), and the resource's own policy when it has one (Secrets Manager). IAM adds the principal's policies and
// the global keys (aws:PrincipalArn, aws:username, aws:RequestedRegion, aws:SourceIp, aws:CurrentTime, …).
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cloudbox::iam {

struct AuthzTarget {
  std::string action;                 // "secretsmanager:GetSecretValue"
  std::vector<std::string> resources; // ARNs; empty means "*"
  std::map<std::string, std::vector<std::string>> context;
  std::optional<std::string> resource_policy;
  std::string resource_account;       // empty: the caller's account
  std::string message_resource;       // what the denial message names (default: the ARN)
};

}  // namespace cloudbox::iam
