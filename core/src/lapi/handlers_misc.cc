// SPDX-License-Identifier: Apache-2.0
// POST /v1/usage-metrics (validated, counted) and the allowlist routes.
#include <rapidjson/document.h>

#include "cw/core/lapi/json_models.h"
#include "lapi_internal.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

using Value = rapidjson::Value;

// Schema checks of a usage-metrics document; collects "<path> in body is required" and
// "<path> in body must be of type <t>" lines the way the swagger validator words them.
class MetricsValidator {
 public:
  std::vector<std::string> problems;

  void component(const Value& v, const std::string& path, bool log_processor) {
    if (!v.IsObject()) {
      typeError(path, "object");
      return;
    }
    requireString(v, "version", path);
    if (const Value* os = get(v, "os")) {
      if (!os->IsObject()) {
        typeError(path + ".os", "object");
      } else {
        requireString(*os, "name", path + ".os");
        requireString(*os, "version", path + ".os");
        optionalString(*os, "family", path + ".os");
      }
    } else {
      required(path + ".os");
    }
    if (const Value* ff = get(v, "feature_flags")) {
      if (!ff->IsArray()) {
        typeError(path + ".feature_flags", "array");
      }
    }
    requireInt(v, "utc_startup_timestamp", path);
    if (const Value* metrics = get(v, "metrics")) {
      if (!metrics->IsArray()) {
        typeError(path + ".metrics", "array");
      } else {
        for (rapidjson::SizeType i = 0; i < metrics->Size(); ++i) {
          detailed((*metrics)[i], path + ".metrics." + std::to_string(i));
        }
      }
    }
    optionalString(v, "name", path);
    if (log_processor) {
      if (const Value* hub = get(v, "hub_items")) {
        if (!hub->IsObject()) {
          typeError(path + ".hub_items", "object");
        }
      } else {
        required(path + ".hub_items");
      }
      if (const Value* ds = get(v, "datasources")) {
        if (!ds->IsObject()) {
          typeError(path + ".datasources", "object");
        } else {
          for (const auto& m : ds->GetObject()) {
            if (!m.value.IsInt64()) {
              typeError(path + ".datasources." + m.name.GetString(), "integer");
            }
          }
        }
      } else {
        required(path + ".datasources");
      }
    } else {
      optionalString(v, "type", path);
    }
  }

 private:
  static const Value* get(const Value& obj, const char* key) {
    const auto it = obj.FindMember(key);
    return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  }
  void required(const std::string& path) { problems.push_back(path + " in body is required"); }
  void typeError(const std::string& path, const char* type) {
    problems.push_back(path + " in body must be of type " + type);
  }
  void requireString(const Value& obj, const char* key, const std::string& path) {
    const Value* v = get(obj, key);
    if (v == nullptr) {
      required(path + "." + key);
    } else if (!v->IsString()) {
      typeError(path + "." + key, "string");
    }
  }
  void optionalString(const Value& obj, const char* key, const std::string& path) {
    const Value* v = get(obj, key);
    if (v != nullptr && !v->IsString()) {
      typeError(path + "." + key, "string");
    }
  }
  void requireInt(const Value& obj, const char* key, const std::string& path) {
    const Value* v = get(obj, key);
    if (v == nullptr) {
      required(path + "." + key);
    } else if (!v->IsInt64()) {
      typeError(path + "." + key, "integer");
    }
  }
  void detailed(const Value& v, const std::string& path) {
    if (!v.IsObject()) {
      typeError(path, "object");
      return;
    }
    if (const Value* meta = get(v, "meta")) {
      if (!meta->IsObject()) {
        typeError(path + ".meta", "object");
      } else {
        requireInt(*meta, "window_size_seconds", path + ".meta");
        requireInt(*meta, "utc_now_timestamp", path + ".meta");
      }
    } else {
      required(path + ".meta");
    }
    if (const Value* items = get(v, "items")) {
      if (!items->IsArray()) {
        typeError(path + ".items", "array");
        return;
      }
      for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
        const Value& item = (*items)[i];
        const std::string ip = path + ".items." + std::to_string(i);
        if (!item.IsObject()) {
          typeError(ip, "object");
          continue;
        }
        requireString(item, "name", ip);
        requireString(item, "unit", ip);
        const Value* value = get(item, "value");
        if (value == nullptr) {
          required(ip + ".value");
        } else if (!value->IsNumber()) {
          typeError(ip + ".value", "number");
        }
        if (const Value* labels = get(item, "labels")) {
          if (!labels->IsObject()) {
            typeError(ip + ".labels", "object");
          }
        }
      }
    } else {
      required(path + ".items");
    }
  }
};

}  // namespace

void Server::Impl::usageMetrics(Call& call) {
  rapidjson::Document doc;
  if (const std::string err = parseObjectBody(doc, call.body, "models.AllMetrics"); !err.empty()) {
    bump(counters.bad_bodies);
    message(call, 400, err);
    return;
  }
  MetricsValidator validator;
  std::size_t rc = 0;
  std::size_t lp = 0;
  for (const char* key : {"remediation_components", "log_processors"}) {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull()) {
      continue;
    }
    if (!it->value.IsArray()) {
      bump(counters.bad_bodies);
      message(call, 400,
              std::string("json: cannot unmarshal ") + goKind(it->value) +
                  " into Go struct field AllMetrics." + key + " of type array");
      return;
    }
    const bool is_lp = std::string_view(key) == "log_processors";
    (is_lp ? lp : rc) = it->value.Size();
    for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
      validator.component(it->value[i], std::string(key) + "." + std::to_string(i), is_lp);
    }
  }
  if (const auto it = doc.FindMember("lapi");
      it != doc.MemberEnd() && !it->value.IsNull() && !it->value.IsObject()) {
    validator.problems.push_back("lapi in body must be of type object");
  }
  if (!validator.problems.empty()) {
    bump(counters.bad_bodies);
    std::string msg = "validation failure list:";
    for (const auto& p : validator.problems) {
      msg += "\n" + p;
    }
    message(call, 422, msg);
    return;
  }
  if (call.bouncer) {
    if (rc != 1 || lp != 0) {
      bump(counters.bad_bodies);
      message(call, 400,
              "a remediation component must send exactly one remediation_components item and no "
              "log_processors");
      return;
    }
  } else if (lp != 1 || rc != 0) {
    bump(counters.bad_bodies);
    message(call, 400,
            "a log processor must send exactly one log_processors item and no "
            "remediation_components");
    return;
  }
  // TODO(lapi): usage metrics are validated and counted, not stored: there is no metrics table
  // and no CAPI push of them yet.
  bump(counters.usage_metrics);
  reply(call, 201, "");
}

// Allowlists: there is no allowlist store yet. The routes answer honestly in the contract's
// shapes: no allowlist exists, so nothing is allowlisted.
// TODO(lapi): serve stored allowlists once the store keeps them (cwcli allowlists, CAPI links).

void Server::Impl::listAllowlists(Call& call) { reply(call, 200, "[]"); }

void Server::Impl::getAllowlist(Call& call) {
  message(call, 404, "allowlist '" + call.params.at(0) + "' not found");
}

void Server::Impl::checkAllowlist(Call& call) {
  const std::string& target = call.params.at(0);
  if (!store::IpRange::parse(target)) {
    message(call, 400, "unable to parse '" + target + "': invalid ip address / range");
    return;
  }
  if (call.head) {
    reply(call, 204, "");
    return;
  }
  reply(call, 200, R"({"allowlisted":false,"reason":""})");
}

void Server::Impl::checkAllowlistBulk(Call& call) {
  rapidjson::Document doc;
  doc.Parse<kBodyParseFlags>(call.body.data(), call.body.size());
  if (doc.HasParseError()) {
    bump(counters.bad_bodies);
    message(call, 400, jsonParseErrorMessage(doc, call.body));
    return;
  }
  const Value* targets = nullptr;
  if (doc.IsObject()) {
    const auto it = doc.FindMember("targets");
    if (it != doc.MemberEnd()) {
      targets = &it->value;
    }
  }
  if (targets == nullptr || !targets->IsArray() || targets->Empty()) {
    bump(counters.bad_bodies);
    message(call, 400, "targets list cannot be empty");
    return;
  }
  for (const auto& t : targets->GetArray()) {
    if (!t.IsString()) {
      bump(counters.bad_bodies);
      message(call, 400,
              "json: cannot unmarshal into Go struct field BulkCheckAllowlistRequest.targets of "
              "type string");
      return;
    }
  }
  // Only allowlisted targets are listed; none is.
  reply(call, 200, R"({"results":[]})");
}

}  // namespace cw::core::lapi
