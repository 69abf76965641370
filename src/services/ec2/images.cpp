// Images and instance types: a compiled-in catalog of real public AMIs (Ubuntu 24.04/22.04, Amazon Linux
// 2023, Debian 12, arm64 and x86_64) with region-stable ids, the account's own images (CreateImage,
// DeregisterImage), DescribeImages with Owners/ImageIds/filters, DescribeInstanceTypes and
// DescribeInstanceTypeOfferings.
#include <algorithm>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

struct CatalogImage {
  const char* name;
  const char* description;
  const char* owner;
  const char* alias;  // "" for none
  const char* arch;
  const char* root_device;
  const char* volume_type;
  const char* created;
  const char* platform_details;
  int size_gib;
};

const CatalogImage kCatalog[] = {
    {"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240701",
     "Canonical, Ubuntu, 24.04 LTS, arm64 noble image build on 2024-07-01", "099720109477", "", "arm64", "/dev/sda1",
     "gp3", "2024-07-01T09:43:32.000Z", "Linux/UNIX", 8},
    {"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240701",
     "Canonical, Ubuntu, 24.04 LTS, amd64 noble image build on 2024-07-01", "099720109477", "", "x86_64", "/dev/sda1",
     "gp3", "2024-07-01T09:43:28.000Z", "Linux/UNIX", 8},
    {"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240605",
     "Canonical, Ubuntu, 24.04 LTS, arm64 noble image build on 2024-06-05", "099720109477", "", "arm64", "/dev/sda1",
     "gp3", "2024-06-05T10:12:51.000Z", "Linux/UNIX", 8},
    {"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240605",
     "Canonical, Ubuntu, 24.04 LTS, amd64 noble image build on 2024-06-05", "099720109477", "", "x86_64", "/dev/sda1",
     "gp3", "2024-06-05T10:12:47.000Z", "Linux/UNIX", 8},
    {"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20240701",
     "Canonical, Ubuntu, 22.04 LTS, arm64 jammy image build on 2024-07-01", "099720109477", "", "arm64", "/dev/sda1",
     "gp2", "2024-07-01T08:51:15.000Z", "Linux/UNIX", 8},
    {"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240701",
     "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-07-01", "099720109477", "", "x86_64", "/dev/sda1",
     "gp2", "2024-07-01T08:51:11.000Z", "Linux/UNIX", 8},
    {"al2023-ami-2023.5.20240701.0-kernel-6.1-arm64", "Amazon Linux 2023 AMI 2023.5.20240701.0 arm64 HVM kernel-6.1",
     "137112412989", "amazon", "arm64", "/dev/xvda", "gp3", "2024-07-02T18:47:58.000Z", "Linux/UNIX", 8},
    {"al2023-ami-2023.5.20240701.0-kernel-6.1-x86_64", "Amazon Linux 2023 AMI 2023.5.20240701.0 x86_64 HVM kernel-6.1",
     "137112412989", "amazon", "x86_64", "/dev/xvda", "gp3", "2024-07-02T18:47:51.000Z", "Linux/UNIX", 8},
    {"al2023-ami-minimal-2023.5.20240701.0-kernel-6.1-x86_64",
     "Amazon Linux 2023 AMI 2023.5.20240701.0 x86_64 Minimal HVM kernel-6.1", "137112412989", "amazon", "x86_64",
     "/dev/xvda", "gp3", "2024-07-02T18:48:04.000Z", "Linux/UNIX", 2},
    {"debian-12-arm64-20240701-1795", "Debian 12 (20240701-1795)", "136693071363", "", "arm64", "/dev/xvda", "gp2",
     "2024-07-01T21:04:47.000Z", "Linux/UNIX", 8},
    {"debian-12-amd64-20240701-1795", "Debian 12 (20240701-1795)", "136693071363", "", "x86_64", "/dev/xvda", "gp2",
     "2024-07-01T21:04:43.000Z", "Linux/UNIX", 8},
};

// A stable id per region and name (the same image has a different id in each region, as on AWS).
std::string stable_hex(const std::string& seed, size_t n) { return sha256_hex(seed).substr(0, n); }

Json catalog_doc(const CatalogImage& c, const std::string& region) {
  std::string id = "ami-" + stable_hex(region + "|" + c.name, 17);
  std::string snap = "snap-" + stable_hex(region + "|snap|" + c.name, 17);
  Json ebs = {{"DeleteOnTermination", true}, {"SnapshotId", snap}, {"VolumeSize", c.size_gib},
              {"VolumeType", c.volume_type}, {"Encrypted", false}};
  if (std::string(c.volume_type) == "gp3") {
    ebs["Iops"] = 3000;
    ebs["Throughput"] = 125;
  }
  Json bdm = Json::array({{{"DeviceName", c.root_device}, {"Ebs", ebs}}});
  if (std::string(c.owner) == "099720109477") {
    bdm.push_back({{"DeviceName", "/dev/sdb"}, {"VirtualName", "ephemeral0"}});
    bdm.push_back({{"DeviceName", "/dev/sdc"}, {"VirtualName", "ephemeral1"}});
  }
  Json d = {{"ImageId", id},
            {"ImageLocation", std::string(c.alias[0] ? c.alias : c.owner) + "/" + c.name},
            {"State", "available"},
            {"OwnerId", c.owner},
            {"CreationDate", c.created},
            {"Public", true},
            {"Architecture", c.arch},
            {"ImageType", "machine"},
            {"PlatformDetails", c.platform_details},
            {"UsageOperation", "RunInstances"},
            {"EnaSupport", true},
            {"Hypervisor", "xen"},
            {"Name", c.name},
            {"Description", c.description},
            {"RootDeviceName", c.root_device},
            {"RootDeviceType", "ebs"},
            {"SriovNetSupport", "simple"},
            {"VirtualizationType", "hvm"},
            {"BlockDeviceMappings", bdm},
            {"DeprecationTime", "2026-07-01T09:43:32.000Z"}};
  if (c.alias[0]) d["ImageOwnerAlias"] = c.alias;
  if (std::string(c.owner) == "137112412989") {
    d["BootMode"] = "uefi-preferred";
    d["ImdsSupport"] = "v2.0";
  }
  return d;
}

const FilterTable& image_filters() {
  static const FilterTable t = {
      {"architecture", by_path("Architecture")},
      {"block-device-mapping.delete-on-termination", by_path("BlockDeviceMappings.Ebs.DeleteOnTermination")},
      {"block-device-mapping.device-name", by_path("BlockDeviceMappings.DeviceName")},
      {"block-device-mapping.snapshot-id", by_path("BlockDeviceMappings.Ebs.SnapshotId")},
      {"block-device-mapping.volume-size", by_path("BlockDeviceMappings.Ebs.VolumeSize")},
      {"block-device-mapping.volume-type", by_path("BlockDeviceMappings.Ebs.VolumeType")},
      {"block-device-mapping.encrypted", by_path("BlockDeviceMappings.Ebs.Encrypted")},
      {"creation-date", by_path("CreationDate")},
      {"description", by_path("Description")},
      {"ena-support", by_path("EnaSupport")},
      {"hypervisor", by_path("Hypervisor")},
      {"image-id", by_path("ImageId")},
      {"image-type", by_path("ImageType")},
      {"is-public", by_path("Public")},
      {"manifest-location", by_path("ImageLocation")},
      {"name", by_path("Name")},
      {"owner-alias", by_path("ImageOwnerAlias")},
      {"owner-id", by_path("OwnerId")},
      {"platform", by_path("Platform")},
      {"platform-details", by_path("PlatformDetails")},
      {"product-code", by_path("ProductCodes.ProductCodeId")},
      {"root-device-name", by_path("RootDeviceName")},
      {"root-device-type", by_path("RootDeviceType")},
      {"source-instance-id", by_path("SourceInstanceId")},
      {"state", by_path("State")},
      {"sriov-net-support", by_path("SriovNetSupport")},
      {"usage-operation", by_path("UsageOperation")},
      {"virtualization-type", by_path("VirtualizationType")},
      {"imds-support", by_path("ImdsSupport")},
  };
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Instance types

struct TypeSpec {
  const char* type;
  int vcpus;
  int cores;
  int mem_mib;
  const char* arch;  // x86_64 | arm64 | i386+x86_64
  const char* network;
  int max_enis;
  int ipv4_per_eni;
  bool burstable;
  bool free_tier;
  const char* manufacturer;
  double clock;
};

const TypeSpec kTypes[] = {
    {"t2.nano", 1, 1, 512, "i386+x86_64", "Low to Moderate", 2, 2, true, false, "Intel", 2.4},
    {"t2.micro", 1, 1, 1024, "i386+x86_64", "Low to Moderate", 2, 2, true, true, "Intel", 2.5},
    {"t2.small", 1, 1, 2048, "i386+x86_64", "Low to Moderate", 3, 4, true, false, "Intel", 2.5},
    {"t2.medium", 2, 2, 4096, "i386+x86_64", "Low to Moderate", 3, 6, true, false, "Intel", 2.3},
    {"t2.large", 2, 2, 8192, "x86_64", "Low to Moderate", 3, 12, true, false, "Intel", 2.3},
    {"t2.xlarge", 4, 4, 16384, "x86_64", "Moderate", 3, 15, true, false, "Intel", 2.3},
    {"t2.2xlarge", 8, 8, 32768, "x86_64", "Moderate", 3, 15, true, false, "Intel", 2.3},
    {"t3.nano", 2, 1, 512, "x86_64", "Up to 5 Gigabit", 2, 2, true, false, "Intel", 2.5},
    {"t3.micro", 2, 1, 1024, "x86_64", "Up to 5 Gigabit", 2, 2, true, true, "Intel", 2.5},
    {"t3.small", 2, 1, 2048, "x86_64", "Up to 5 Gigabit", 3, 4, true, false, "Intel", 2.5},
    {"t3.medium", 2, 1, 4096, "x86_64", "Up to 5 Gigabit", 3, 6, true, false, "Intel", 2.5},
    {"t3.large", 2, 1, 8192, "x86_64", "Up to 5 Gigabit", 3, 12, true, false, "Intel", 2.5},
    {"t3.xlarge", 4, 2, 16384, "x86_64", "Up to 5 Gigabit", 4, 15, true, false, "Intel", 2.5},
    {"t3.2xlarge", 8, 4, 32768, "x86_64", "Up to 5 Gigabit", 4, 15, true, false, "Intel", 2.5},
    {"t3a.nano", 2, 1, 512, "x86_64", "Up to 5 Gigabit", 2, 2, true, false, "AMD", 2.2},
    {"t3a.micro", 2, 1, 1024, "x86_64", "Up to 5 Gigabit", 2, 2, true, false, "AMD", 2.2},
    {"t3a.small", 2, 1, 2048, "x86_64", "Up to 5 Gigabit", 2, 4, true, false, "AMD", 2.2},
    {"t3a.medium", 2, 1, 4096, "x86_64", "Up to 5 Gigabit", 3, 6, true, false, "AMD", 2.2},
    {"t3a.large", 2, 1, 8192, "x86_64", "Up to 5 Gigabit", 3, 12, true, false, "AMD", 2.2},
    {"t3a.xlarge", 4, 2, 16384, "x86_64", "Up to 5 Gigabit", 4, 15, true, false, "AMD", 2.2},
    {"t3a.2xlarge", 8, 4, 32768, "x86_64", "Up to 5 Gigabit", 4, 15, true, false, "AMD", 2.2},
    {"t4g.nano", 2, 2, 512, "arm64", "Up to 5 Gigabit", 2, 2, true, false, "AWS", 2.5},
    {"t4g.micro", 2, 2, 1024, "arm64", "Up to 5 Gigabit", 2, 2, true, true, "AWS", 2.5},
    {"t4g.small", 2, 2, 2048, "arm64", "Up to 5 Gigabit", 3, 4, true, true, "AWS", 2.5},
    {"t4g.medium", 2, 2, 4096, "arm64", "Up to 5 Gigabit", 3, 6, true, false, "AWS", 2.5},
    {"t4g.large", 2, 2, 8192, "arm64", "Up to 5 Gigabit", 3, 12, true, false, "AWS", 2.5},
    {"t4g.xlarge", 4, 4, 16384, "arm64", "Up to 5 Gigabit", 4, 15, true, false, "AWS", 2.5},
    {"t4g.2xlarge", 8, 8, 32768, "arm64", "Up to 5 Gigabit", 4, 15, true, false, "AWS", 2.5},
    {"m5.large", 2, 1, 8192, "x86_64", "Up to 10 Gigabit", 3, 10, false, false, "Intel", 3.1},
    {"m5.xlarge", 4, 2, 16384, "x86_64", "Up to 10 Gigabit", 4, 15, false, false, "Intel", 3.1},
    {"m6i.large", 2, 1, 8192, "x86_64", "Up to 12.5 Gigabit", 3, 10, false, false, "Intel", 3.5},
    {"m6i.xlarge", 4, 2, 16384, "x86_64", "Up to 12.5 Gigabit", 4, 15, false, false, "Intel", 3.5},
    {"m6i.2xlarge", 8, 4, 32768, "x86_64", "Up to 12.5 Gigabit", 4, 15, false, false, "Intel", 3.5},
    {"m6i.4xlarge", 16, 8, 65536, "x86_64", "Up to 12.5 Gigabit", 8, 30, false, false, "Intel", 3.5},
    {"m7g.medium", 1, 1, 4096, "arm64", "Up to 12.5 Gigabit", 2, 4, false, false, "AWS", 2.6},
    {"m7g.large", 2, 2, 8192, "arm64", "Up to 12.5 Gigabit", 3, 10, false, false, "AWS", 2.6},
    {"m7g.xlarge", 4, 4, 16384, "arm64", "Up to 12.5 Gigabit", 4, 15, false, false, "AWS", 2.6},
    {"m7g.2xlarge", 8, 8, 32768, "arm64", "Up to 15 Gigabit", 4, 15, false, false, "AWS", 2.6},
    {"c6i.large", 2, 1, 4096, "x86_64", "Up to 12.5 Gigabit", 3, 10, false, false, "Intel", 3.5},
    {"c6i.xlarge", 4, 2, 8192, "x86_64", "Up to 12.5 Gigabit", 4, 15, false, false, "Intel", 3.5},
    {"c7g.medium", 1, 1, 2048, "arm64", "Up to 12.5 Gigabit", 2, 4, false, false, "AWS", 2.6},
    {"c7g.large", 2, 2, 4096, "arm64", "Up to 12.5 Gigabit", 3, 10, false, false, "AWS", 2.6},
    {"c7g.xlarge", 4, 4, 8192, "arm64", "Up to 12.5 Gigabit", 4, 15, false, false, "AWS", 2.6},
    {"c7g.2xlarge", 8, 8, 16384, "arm64", "Up to 15 Gigabit", 4, 15, false, false, "AWS", 2.6},
    {"r6g.large", 2, 2, 16384, "arm64", "Up to 10 Gigabit", 3, 10, false, false, "AWS", 2.5},
    {"r6i.large", 2, 1, 16384, "x86_64", "Up to 12.5 Gigabit", 3, 10, false, false, "Intel", 3.5},
};

Json type_doc(const TypeSpec& t) {
  std::string arch = t.arch;
  Json archs = arch == "i386+x86_64" ? Json::array({"i386", "x86_64"}) : Json::array({arch});
  bool t2 = std::string(t.type).rfind("t2.", 0) == 0;
  Json valid_cores = Json::array();
  for (int c = 1; c <= t.cores; ++c) valid_cores.push_back(c);
  int threads = t.vcpus / t.cores;
  Json d = {{"InstanceType", t.type},
            {"CurrentGeneration", true},
            {"FreeTierEligible", t.free_tier},
            {"SupportedUsageClasses", Json::array({"on-demand", "spot"})},
            {"SupportedRootDeviceTypes", Json::array({"ebs"})},
            {"SupportedVirtualizationTypes", Json::array({"hvm"})},
            {"BareMetal", false},
            {"Hypervisor", t2 ? "xen" : "nitro"},
            {"ProcessorInfo",
             {{"SupportedArchitectures", archs}, {"SustainedClockSpeedInGhz", t.clock}, {"Manufacturer", t.manufacturer}}},
            {"VCpuInfo",
             {{"DefaultVCpus", t.vcpus},
              {"DefaultCores", t.cores},
              {"DefaultThreadsPerCore", threads},
              {"ValidCores", valid_cores},
              {"ValidThreadsPerCore", threads == 2 ? Json::array({1, 2}) : Json::array({1})}}},
            {"MemoryInfo", {{"SizeInMiB", t.mem_mib}}},
            {"InstanceStorageSupported", false},
            {"EbsInfo",
             {{"EbsOptimizedSupport", t2 ? "unsupported" : "default"},
              {"EncryptionSupport", "supported"},
              {"NvmeSupport", t2 ? "unsupported" : "required"}}},
            {"NetworkInfo",
             {{"NetworkPerformance", t.network},
              {"MaximumNetworkInterfaces", t.max_enis},
              {"MaximumNetworkCards", 1},
              {"DefaultNetworkCardIndex", 0},
              {"NetworkCards",
               {{{"NetworkCardIndex", 0}, {"NetworkPerformance", t.network}, {"MaximumNetworkInterfaces", t.max_enis}}}},
              {"Ipv4AddressesPerInterface", t.ipv4_per_eni},
              {"Ipv6AddressesPerInterface", t.ipv4_per_eni},
              {"Ipv6Supported", !t2},
              {"EnaSupport", t2 ? "unsupported" : "required"},
              {"EfaSupported", false},
              {"EncryptionInTransitSupported", false},
              {"EnaSrdSupported", false}}},
            {"PlacementGroupInfo", {{"SupportedStrategies", Json::array({"partition", "spread"})}}},
            {"HibernationSupported", !t2 || t.mem_mib <= 16384},
            {"BurstablePerformanceSupported", t.burstable},
            {"DedicatedHostsSupported", !t.burstable},
            {"AutoRecoverySupported", true},
            {"SupportedBootModes", arch == "arm64" ? Json::array({"uefi"}) : Json::array({"legacy-bios", "uefi"})},
            {"NitroEnclavesSupport", "unsupported"},
            {"NitroTpmSupport", t2 ? "unsupported" : "supported"},
            {"PhcSupport", "unsupported"}};
  return d;
}

const FilterTable& type_filters() {
  static const FilterTable t = {
      {"instance-type", by_path("InstanceType")},
      {"current-generation", by_path("CurrentGeneration")},
      {"free-tier-eligible", by_path("FreeTierEligible")},
      {"burstable-performance-supported", by_path("BurstablePerformanceSupported")},
      {"bare-metal", by_path("BareMetal")},
      {"hypervisor", by_path("Hypervisor")},
      {"processor-info.supported-architecture", by_path("ProcessorInfo.SupportedArchitectures")},
      {"processor-info.sustained-clock-speed-in-ghz", by_path("ProcessorInfo.SustainedClockSpeedInGhz")},
      {"processor-info.manufacturer", by_path("ProcessorInfo.Manufacturer")},
      {"vcpu-info.default-vcpus", by_path("VCpuInfo.DefaultVCpus")},
      {"vcpu-info.default-cores", by_path("VCpuInfo.DefaultCores")},
      {"memory-info.size-in-mib", by_path("MemoryInfo.SizeInMiB")},
      {"network-info.network-performance", by_path("NetworkInfo.NetworkPerformance")},
      {"network-info.maximum-network-interfaces", by_path("NetworkInfo.MaximumNetworkInterfaces")},
      {"network-info.ena-support", by_path("NetworkInfo.EnaSupport")},
      {"network-info.ipv6-supported", by_path("NetworkInfo.Ipv6Supported")},
      {"supported-root-device-type", by_path("SupportedRootDeviceTypes")},
      {"supported-usage-class", by_path("SupportedUsageClasses")},
      {"supported-virtualization-type", by_path("SupportedVirtualizationTypes")},
      {"supported-boot-mode", by_path("SupportedBootModes")},
      {"hibernation-supported", by_path("HibernationSupported")},
      {"instance-storage-supported", by_path("InstanceStorageSupported")},
      {"auto-recovery-supported", by_path("AutoRecoverySupported")},
      {"dedicated-hosts-supported", by_path("DedicatedHostsSupported")},
      {"ebs-info.ebs-optimized-support", by_path("EbsInfo.EbsOptimizedSupport")},
      {"ebs-info.nvme-support", by_path("EbsInfo.NvmeSupport")},
  };
  return t;
}

// Filter + paginate a list of (id, doc) with the EC2 machinery.
Json filter_page(const Json& in, std::vector<std::pair<std::string, Json>> docs, const FilterTable& table,
                 const char* out_member) {
  auto filters = read_filters(in);
  check_filters(filters, table);
  auto page = page_request(in);
  std::vector<std::pair<std::string, Json>> kept;
  for (auto& [id, d] : docs) {
    TagMap tags;
    if (auto it = d.find("Tags"); it != d.end() && it->is_array())
      for (const auto& t : *it) tags[t.value("Key", "")] = t.value("Value", "");
    if (matches(filters, table, d, tags)) kept.emplace_back(id, std::move(d));
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto [items, next] = paginate_ec2(kept, page, [](const auto& p) { return p.first; });
  Json list = Json::array();
  for (auto& [id, d] : items) list.push_back(std::move(d));
  Json out = {{out_member, std::move(list)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

}  // namespace

std::optional<Json> Ec2Service::find_image(RegionState& r, const std::string& id) {
  for (const auto& c : kCatalog) {
    Json d = catalog_doc(c, r.region);
    if (d["ImageId"] == id) return d;
  }
  if (Res* own = r.find("ami", id)) return render(r, *own);
  return std::nullopt;
}

Json Ec2Service::image_or_throw(RegionState& r, const std::string& id) {
  bool ok = id.size() > 4 && id.rfind("ami-", 0) == 0;
  for (size_t i = 4; ok && i < id.size(); ++i) ok = std::isxdigit(static_cast<unsigned char>(id[i]));
  if (!ok) throw AwsError("InvalidAMIID.Malformed", "Invalid id: \"" + id + "\" (expecting \"ami-...\")", 400);
  auto img = find_image(r, id);
  if (!img || img->value("State", "") == "deregistered")
    throw AwsError("InvalidAMIID.NotFound", "The image id '[" + id + "]' does not exist", 400);
  return *img;
}

std::optional<Json> Ec2Service::instance_type_info(const std::string& type) {
  for (const auto& t : kTypes)
    if (type == t.type) return type_doc(t);
  return std::nullopt;
}

Json Ec2Service::describe_images(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ids = strings(in, "ImageIds");
  auto owners = strings(in, "Owners");
  std::vector<std::pair<std::string, Json>> docs;
  for (const auto& c : kCatalog) {
    Json d = catalog_doc(c, r.region);
    docs.emplace_back(d["ImageId"].get<std::string>(), std::move(d));
  }
  for (const auto& [id, res] : r.of("ami")) docs.emplace_back(id, render(r, res));
  if (!ids.empty()) {
    for (const auto& id : ids) image_or_throw(r, id);  // form and existence
    std::vector<std::pair<std::string, Json>> chosen;
    for (auto& p : docs)
      if (std::find(ids.begin(), ids.end(), p.first) != ids.end()) chosen.push_back(std::move(p));
    docs = std::move(chosen);
  }
  if (!owners.empty()) {
    std::vector<std::pair<std::string, Json>> chosen;
    for (auto& p : docs) {
      std::string owner = p.second.value("OwnerId", ""), alias = p.second.value("ImageOwnerAlias", "");
      bool keep = false;
      for (const auto& o : owners)
        keep = keep || (o == "self" && owner == r.account) || o == owner || (!alias.empty() && o == alias);
      if (keep) chosen.push_back(std::move(p));
    }
    docs = std::move(chosen);
  }
  return filter_page(in, std::move(docs), image_filters(), "Images");
}

Json Ec2Service::describe_instance_types(RequestContext& ctx, const Json& in) {
  (void)ctx;
  auto wanted = strings(in, "InstanceTypes");
  std::vector<std::pair<std::string, Json>> docs;
  for (const auto& w : wanted)
    if (!instance_type_info(w))
      throw AwsError("InvalidInstanceType", "The following supplied instance types do not exist: [" + w + "]", 400);
  for (const auto& t : kTypes)
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), t.type) != wanted.end())
      docs.emplace_back(t.type, type_doc(t));
  return filter_page(in, std::move(docs), type_filters(), "InstanceTypes");
}

Json Ec2Service::describe_instance_type_offerings(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string loc = str(in, "LocationType", "region");
  std::vector<std::pair<std::string, Json>> docs;
  std::vector<std::string> locations;
  if (loc == "region") locations = {r.region};
  else if (loc == "availability-zone")
    for (const auto& z : zones_of(r.region)) locations.push_back(z.name);
  else if (loc == "availability-zone-id")
    for (const auto& z : zones_of(r.region)) locations.push_back(z.id);
  else
    throw AwsError("InvalidParameterValue", "Value (" + loc + ") for parameter locationType is invalid.", 400);
  for (const auto& t : kTypes)
    for (const auto& l : locations)
      docs.emplace_back(l + "|" + t.type, Json{{"InstanceType", t.type}, {"LocationType", loc}, {"Location", l}});
  static const FilterTable table = {{"instance-type", by_path("InstanceType")}, {"location", by_path("Location")}};
  return filter_page(in, std::move(docs), table, "InstanceTypeOfferings");
}

Json Ec2Service::create_image(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = get(r, "i", str(in, "InstanceId"));
  std::string state = inst.doc["State"].value("Name", "");
  if (state != "running" && state != "stopped")
    throw AwsError("IncorrectState", "Instance '" + inst.id + "' is not in a state from which it can be imaged.", 400);
  std::string name = str(in, "Name");
  if (name.size() < 3 || name.size() > 128)
    throw AwsError("InvalidAMIName.Malformed", "AMI names must be between 3 and 128 characters long", 400);
  for (const auto& [id, a] : r.of("ami"))
    if (field_is(a.doc, "Name", name))
      throw AwsError("InvalidAMIName.Duplicate", "AMI name " + name + " is already in use by AMI " + id, 400);
  Json source = image_or_throw(r, inst.doc.value("ImageId", ""));
  std::string id = new_id("ami");
  Json bdm = Json::array();
  for (const auto& v : inst.doc.value("_Volumes", Json::array())) {
    Res* vol = r.find("vol", v.value("VolumeId", ""));
    Json ebs = {{"DeleteOnTermination", v.value("DeleteOnTermination", true)},
                {"SnapshotId", new_id("snap")},
                {"VolumeSize", vol ? vol->doc.value("Size", 8) : 8},
                {"VolumeType", vol ? vol->doc.value("VolumeType", "gp3") : "gp3"},
                {"Encrypted", false}};
    bdm.push_back({{"DeviceName", v.value("DeviceName", "")}, {"Ebs", ebs}});
  }
  Json doc = {{"ImageId", id},
              {"ImageLocation", r.account + "/" + name},
              {"State", "available"},
              {"OwnerId", r.account},
              {"CreationDate", iso8601(ctx.now)},
              {"Public", false},
              {"Architecture", source.value("Architecture", "x86_64")},
              {"ImageType", "machine"},
              {"PlatformDetails", source.value("PlatformDetails", "Linux/UNIX")},
              {"UsageOperation", "RunInstances"},
              {"EnaSupport", true},
              {"Hypervisor", "xen"},
              {"Name", name},
              {"RootDeviceName", source.value("RootDeviceName", "/dev/xvda")},
              {"RootDeviceType", "ebs"},
              {"SriovNetSupport", "simple"},
              {"VirtualizationType", "hvm"},
              {"BlockDeviceMappings", bdm},
              {"SourceInstanceId", inst.id}};
  if (has(in, "Description")) doc["Description"] = str(in, "Description");
  add(r, id, doc, tags_from_specs_any(in, "image"));
  return {{"ImageId", id}};
}

Json Ec2Service::deregister_image(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "ImageId");
  image_or_throw(r, id);
  Res* own = r.find("ami", id);
  if (!own) throw AwsError("AuthFailure", "Not authorized for image:" + id, 400);
  drop(r, id);
  return {{"Return", true}};
}

}  // namespace cloudbox::ec2
