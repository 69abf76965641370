#pragma once
// EC2 networking state. Every resource is one record: its document in the model's output shape (keyed by
// the model's member names, so Describe* hands it to the serializer as is), its tags, and a creation
// sequence number. Members whose names start with '_' are cloudbox's own bookkeeping (the serializer only
// writes members of the output shape). State is kept per account and region.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/json.h"
#include "core/common/tags.h"

namespace cloudbox::ec2 {

inline constexpr const char* kNamespace = "ec2";

struct Res {
  std::string id;
  std::string kind;  // the id's prefix: vpc, subnet, igw, rtb, sg, sgr, acl, dopt, vpce, nat, eipalloc, eni
  Json doc;
  TagMap tags;
  uint64_t seq = 0;
};

struct RegionState {
  std::string account;
  std::string region;
  bool defaults = false;  // the default VPC and its companions were made (once, on first use)
  std::map<std::string, std::map<std::string, Res>> kinds;  // kind → id → resource
  // Tag key → value → ids of every kind: lets a tag-filtered Describe* visit only what matches. Rebuilt lazily
  // after resources are added, removed or retagged (tag_index_stale).
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<std::string>>> tag_index;
  bool tag_index_stale = true;
  // VPC id → its subnet ids, and "vpc|group name" → security group id: what CreateSubnet and
  // CreateSecurityGroup check against, without visiting every resource of the region. Kept up to date on
  // add, rebuilt after removals (vpc_index_stale).
  std::unordered_map<std::string, std::vector<std::string>> subnets_by_vpc;
  std::unordered_map<std::string, std::string> sg_by_name;
  bool vpc_index_stale = true;

  std::map<std::string, Res>& of(const std::string& kind) { return kinds[kind]; }
  Res* find(const std::string& kind, const std::string& id) {
    auto k = kinds.find(kind);
    if (k == kinds.end()) return nullptr;
    auto it = k->second.find(id);
    return it == k->second.end() ? nullptr : &it->second;
  }
};

// The kind of a resource id ("vpc-0abc" → "vpc"); empty when it has no prefix.
std::string kind_of_id(std::string_view id);

}  // namespace cloudbox::ec2
