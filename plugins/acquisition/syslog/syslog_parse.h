// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

// Syslog message parsing (acquisition.md section 4): RFC 3164, then RFC 5424, rebuilt as
// "Mon D HH:MM:SS host tag[pid]: msg" so the standard syslog parser applies.
namespace cw::plugins::acquisition::syslog {

/// Parses `msg` (without trailing newline) into `out` (reused, cleared first). False when
/// neither RFC 3164 nor RFC 5424 matches.
bool rebuild(std::string_view msg, std::string& out);

/// disable_rfc_parser: strips a leading <PRI> (1 to 3 digits) and a trailing newline.
std::string_view stripPri(std::string_view msg);

}  // namespace cw::plugins::acquisition::syslog
