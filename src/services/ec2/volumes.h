#pragma once
// EBS volumes beyond those RunInstances makes: CreateVolume, DeleteVolume, AttachVolume, DetachVolume.
#include <functional>
#include <string>
#include <vector>

#include "services/ec2/service.h"

namespace cloudbox::ec2 {

using VolumeOperation = std::function<Json(Ec2Service&, RequestContext&, const Json&)>;
std::vector<std::pair<std::string, VolumeOperation>> volume_operations();

}  // namespace cloudbox::ec2
