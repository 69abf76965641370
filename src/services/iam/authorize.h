#pragma once
// What IAM needs to decide one request, as the core's enforcement hook will hand it over (see the IAM notes
// in docs/ for the hook). The owning service describes its operation: the IAM action(s), the resource ARNs,
// the condition keys of the request and the resource (aws:ResourceTag/…, aws:RequestTag/…, aws:TagKeys, service
// keys), and the resource's own policy when it has one (Secrets Manager). IAM adds the principal's policies and
// the global keys (aws:PrincipalArn, aws:username, aws:RequestedRegion, aws:SourceIp, aws:CurrentTime, …).
#include "core/auth/authorizer.h"

namespace cloudbox::iam {

using AuthzTarget = ::cloudbox::AuthzTarget;  // the core's hook type (core/auth/authorizer.h)

}  // namespace cloudbox::iam
