// The credential report (GenerateCredentialReport / GetCredentialReport) and the per-user credential lists
// cloudbox has no way to create (signing certificates, service-specific credentials): they answer for the user as AWS does for a user who has none, which is what clients that
// clean a user up before deleting it (Terraform's force_destroy) list.
#include <sstream>

#include "core/common/encoding.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

std::string when(const Json& v) {
  if (!v.is_number()) return "N/A";
  return iso8601_seconds(from_epoch(v.get<double>())).substr(0, 19) + "+00:00";
}

Json empty_list(const Json& in, const char* member) {
  std::vector<std::pair<std::string, Json>> none;
  return page(in, none, member);
}

}  // namespace



Json IamService::list_signing_certificates(RequestContext& ctx, const Json& in) {
  if (in.contains("UserName")) need_user(account(ctx), in["UserName"].get<std::string>());
  return empty_list(in, "Certificates");
}

Json IamService::list_service_specific_credentials(RequestContext& ctx, const Json& in) {
  if (in.contains("UserName")) need_user(account(ctx), in["UserName"].get<std::string>());
  return {{"ServiceSpecificCredentials", Json::array()}, {"IsTruncated", false}};
}


Json IamService::generate_credential_report(RequestContext& ctx, const Json&) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::ostringstream csv;
  csv << "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
         "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
         "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
         "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,"
         "access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n";
  csv << "<root_account>,arn:aws:iam::" << acct << ":root,N/A,not_supported,N/A,not_supported,not_supported,false,"
      << "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";
  for (const auto& [k, u] : a.users) {
    bool password = u.contains("login_profile");
    csv << u["UserName"].get<std::string>() << "," << u["Arn"].get<std::string>() << "," << when(u["CreateDate"]) << ","
        << (password ? "true" : "false") << "," << (u.contains("PasswordLastUsed") ? when(u["PasswordLastUsed"]) : "N/A")
        << "," << (password ? when(u["login_profile"]["CreateDate"]) : "N/A") << ",N/A,";
    bool mfa = false;
    for (const auto& [dk, d] : a.mfa) mfa = mfa || d.value("user", std::string()) == u["UserName"];
    csv << (mfa ? "true" : "false");
    for (size_t i = 0; i < 2; ++i) {
      if (i < u["access_keys"].size()) {
        const Json& key = u["access_keys"][i];
        csv << "," << (key["Status"] == "Active" ? "true" : "false") << "," << when(key["CreateDate"]) << ","
            << (key.contains("LastUsedDate") ? when(key["LastUsedDate"]) : "N/A") << ","
            << key.value("Region", std::string("N/A")) << "," << key.value("ServiceName", std::string("N/A"));
      } else {
        csv << ",false,N/A,N/A,N/A,N/A";
      }
    }
    csv << ",false,N/A,false,N/A\n";
  }
  a.credential_report = {{"content", csv.str()}, {"generated", now_epoch(ctx)}};
  save_account(acct);
  return {{"State", "COMPLETE"}};
}

Json IamService::get_credential_report(RequestContext& ctx, const Json&) {
  AccountState& a = account(ctx);
  if (!a.credential_report.is_object())
    throw AwsError("CredentialReportNotPresentException",
                   "No credential report exists for this account. Call GenerateCredentialReport first.");
  return {{"Content", a.credential_report["content"]},
          {"ReportFormat", "text/csv"},
          {"GeneratedTime", a.credential_report["generated"]}};
}

}  // namespace cloudbox::iam
