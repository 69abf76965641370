#pragma once
// What RDS for PostgreSQL offers: engine versions, instance classes, storage types, default parameter and
// option groups, CA certificates. Shared by validation (instances.cpp) and the Describe* calls (catalog.cpp).
#include <string>
#include <vector>

namespace cloudbox::rds {

// Versions RDS offers for postgres, oldest first; the default is kDefaultVersion.
const std::vector<std::string>& postgres_versions();
inline constexpr const char* kDefaultVersion = "16.4";
// "16.4" → "16"
std::string major_of(const std::string& version);
// A full version for what the caller asked ("16" → the newest 16.x), or "" when RDS has no such version.
std::string resolve_version(const std::string& asked);
const std::vector<std::string>& instance_classes();
bool known_class(const std::string& cls);
// rds-ca-rsa2048-g1 (the default: cloudbox's local CA), rds-ca-rsa4096-g1, rds-ca-ecc384-g1.
const std::vector<std::string>& certificate_ids();
inline constexpr const char* kDefaultCertificate = "rds-ca-rsa2048-g1";

}  // namespace cloudbox::rds
