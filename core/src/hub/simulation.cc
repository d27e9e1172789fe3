// SPDX-License-Identifier: Apache-2.0
#include "cw/core/hub/simulation.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace cw::core::hub {

Result<scenarios::Simulation> loadSimulation(const std::string& path) {
  namespace fs = std::filesystem;
  scenarios::Simulation sim;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return sim;
  }
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Parse, path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (doc.IsNull()) {
    return sim;  // an empty file
  }
  if (!doc.IsMap()) {
    return makeError(ErrorCode::Parse, path + ": simulation.yaml must be a mapping");
  }
  std::string problems;
  auto problem = [&](const YAML::Node& n, const std::string& what) {
    problems += (problems.empty() ? "" : "\n") + path + ":" + std::to_string(n.Mark().line + 1) +
                ": " + what;
  };
  for (const auto& kv : doc) {
    const std::string key = kv.first.as<std::string>("");
    const YAML::Node& v = kv.second;
    if (key == "simulation") {
      if (v.IsNull()) {
        continue;
      }
      try {
        sim.enabled = v.as<bool>();
      } catch (const YAML::Exception&) {
        problem(v, "'simulation' must be true or false");
      }
    } else if (key == "exclusions") {
      if (v.IsNull()) {
        continue;
      }
      if (!v.IsSequence()) {
        problem(v, "'exclusions' must be a list of scenario names");
        continue;
      }
      for (const YAML::Node& n : v) {
        if (!n.IsScalar() || n.as<std::string>().empty()) {
          problem(n, "an exclusion must be a scenario name");
          continue;
        }
        sim.exclusions.push_back(n.as<std::string>());
      }
    } else {
      problem(kv.first, "unknown key '" + key + "' (expected simulation, exclusions)");
    }
  }
  if (!problems.empty()) {
    return makeError(ErrorCode::Config, problems);
  }
  return sim;
}

Result<bool> saveSimulation(const std::string& path, const scenarios::Simulation& simulation) {
  namespace fs = std::filesystem;
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "simulation" << YAML::Value << simulation.enabled;
  out << YAML::Key << "exclusions" << YAML::Value;
  if (simulation.exclusions.empty()) {
    out << YAML::Flow;
  }
  out << YAML::BeginSeq;
  for (const std::string& e : simulation.exclusions) {
    out << e;
  }
  out << YAML::EndSeq << YAML::EndMap;
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
  }
  const std::string tmp = path + ".cw-tmp-" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << out.c_str() << "\n";
    if (!f) {
      fs::remove(tmp, ec);
      return makeError(ErrorCode::Io, path + ": cannot write");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::Io, path + ": cannot write: " + ec.message());
  }
  return true;
}

bool isSimulated(const scenarios::Simulation& simulation, std::string_view scenario) {
  const bool excluded = std::find(simulation.exclusions.begin(), simulation.exclusions.end(),
                                  scenario) != simulation.exclusions.end();
  return simulation.enabled != excluded;
}

}  // namespace cw::core::hub
