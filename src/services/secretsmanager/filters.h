#pragma once
// ListSecrets / BatchGetSecretValue filters and the sort keys list operations page by.
#include <cstdint>
#include <string>

#include "core/common/json.h"
#include "services/secretsmanager/state.h"

namespace cloudbox::secretsmanager {

// True when the secret matches every filter ([{Key, Values}], AND across filters, OR across values,
// "!" negates a value). Throws InvalidParameterException for a filter without a key or values.
bool matches_filters(const Secret& s, const Json& filters);

// Opaque, order-preserving keys: sorting by them gives the listing order, and a page token names one.
std::string sort_key_seq(uint64_t seq);
// sort_by: created-date | last-accessed-date | last-changed-date | name.
std::string sort_key(const Secret& s, const std::string& sort_by, bool descending);

}  // namespace cloudbox::secretsmanager
