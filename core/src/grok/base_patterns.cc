// SPDX-License-Identifier: Apache-2.0
// Crowdwall's built-in grok base set.
//
// Why compiled in: every pipeline starts from it (parsers.md section 5) and it must be there
// even when the hub directory has no `base` file. The names are the ones every grok user
// knows (and hub patterns reference); the regexes are written here in our own terms and
// match the same text with the same leftmost-first preferences as the usual grok base
// definitions, quirks included (for example MONTH's word boundaries only guard its first and
// last alternatives, and HOSTNAME ends with an optional dot that is always tried first),
// because parsed fields must come out as CrowdSec's.
//
// Ordering matters: a pattern may only reference names defined above it.
#include <string>
#include <utility>
#include <vector>

#include "cw/core/grok/grok.h"

namespace cw::core::grok {

namespace {

// IPv6 in all its compressed forms, optionally with an embedded IPv4 tail and a %zone.
// Built from parts rather than written out: eight shapes, one per position of the "::" gap.
std::string ipv6Regex() {
  const std::string h = "[[:xdigit:]]{1,4}";
  const std::string octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  const std::string v4 = octet + "(?:\\." + octet + "){3}";
  auto lead = [&](int n) { return "(?:" + h + ":){" + std::to_string(n) + "}"; };
  auto tail = [&](int lo, int hi) {
    return "(?::" + h + "){" + std::to_string(lo) + "," + std::to_string(hi) + "}";
  };
  std::vector<std::string> shapes;
  shapes.push_back(lead(7) + "(?:" + h + "|:)");
  shapes.push_back(lead(6) + "(?::" + h + "|" + v4 + "|:)");
  shapes.push_back(lead(5) + "(?:" + tail(1, 2) + "|:" + v4 + "|:)");
  shapes.push_back(lead(4) + "(?:" + tail(1, 3) + "|(?::" + h + ")?:" + v4 + "|:)");
  for (int n = 3; n >= 1; --n) {
    const int max_tail = 7 - n;
    shapes.push_back(lead(n) + "(?:" + tail(1, max_tail) + "|" + tail(0, max_tail - 2) + ":" +
                     v4 + "|:)");
  }
  shapes.push_back(":(?:" + tail(1, 7) + "|" + tail(0, 5) + ":" + v4 + "|:)");
  std::string out = "(?:";
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    out += (i == 0 ? "" : "|") + shapes[i];
  }
  out += ")(?:%.+)?";
  return out;
}

std::vector<std::pair<std::string, std::string>> buildBase() {
  // Octet alternatives deliberately list 25x and 2[0-4]x first, then up to two digits.
  const std::string v4_octet = "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]{1,2})";
  return {
      // Words and numbers.
      {"USERNAME", R"([\w.-]+)"},
      {"USER", "%{USERNAME}"},
      // '+-=' is a range in the classic definition (+ , - . / digits : ; < =), kept as such.
      {"EMAILLOCALPART", R"([\w+,./:;<=-]+)"},
      {"HOSTNAME",
       R"(\b[[:alnum:]][[:alnum:]-]{0,62}(?:\.[[:alnum:]][[:alnum:]-]{0,62})*(?:\.?|\b))"},
      {"EMAILADDRESS", "%{EMAILLOCALPART}@%{HOSTNAME}"},
      {"HTTPDUSER", "%{EMAILADDRESS}|%{USER}"},
      {"INT", "[+-]?[0-9]+"},
      {"BASE10NUM", R"([+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))"},
      {"NUMBER", "%{BASE10NUM}"},
      {"BASE16NUM", "[+-]?(?:0x)?[[:xdigit:]]+"},
      {"BASE16FLOAT", R"(\b[+-]?(?:0x)?(?:[[:xdigit:]]+(?:\.[[:xdigit:]]*)?|\.[[:xdigit:]]+)\b)"},
      {"POSINT", R"(\b[1-9][0-9]*\b)"},
      {"NONNEGINT", R"(\b[0-9]+\b)"},
      {"WORD", R"(\b\w+\b)"},
      {"NOTSPACE", R"(\S+)"},
      {"SPACE", R"(\s*)"},
      {"DATA", ".*?"},
      {"GREEDYDATA", ".*"},
      // Double, single or back quoted, backslash escapes allowed inside; or an empty pair.
      {"QUOTEDSTRING",
       R"("(?:\\.|[^"\\]+)+"|""|'(?:\\.|[^'\\]+)+'|''|`(?:\\.|[^`\\]+)+`|``)"},
      {"UUID", "[[:xdigit:]]{8}-(?:[[:xdigit:]]{4}-){3}[[:xdigit:]]{12}"},
      // Networking.
      {"CISCOMAC", R"((?:[[:xdigit:]]{4}\.){2}[[:xdigit:]]{4})"},
      {"WINDOWSMAC", "(?:[[:xdigit:]]{2}-){5}[[:xdigit:]]{2}"},
      {"COMMONMAC", "(?:[[:xdigit:]]{2}:){5}[[:xdigit:]]{2}"},
      {"MAC", "%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}"},
      {"IPV6", ipv6Regex()},
      {"IPV4", "(?:" + v4_octet + R"(\.){3})" + v4_octet},
      {"IP", "%{IPV6}|%{IPV4}"},
      {"IPORHOST", "%{IP}|%{HOSTNAME}"},
      {"HOSTPORT", "%{IPORHOST}:%{POSINT}"},
      // Paths and URIs.
      {"UNIXPATH", R"((?:/(?:[\w%!$@:.,~-]+|\\.)*)+)"},
      {"TTY", R"(/dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+)"},
      {"WINPATH", R"((?:[A-Za-z]+:|\\)(?:\\[^*?\\]*)+)"},
      {"PATH", "%{UNIXPATH}|%{WINPATH}"},
      {"URIPROTO", R"([A-Za-z]+(?:\+[+A-Za-z]+)?)"},
      {"URIHOST", "%{IPORHOST}(?::%{POSINT:port})?"},
      {"URIPATH", R"((?:/[\w$.+!*'(){},~:;=@#%-]*)+)"},
      {"URIPARAM", R"(\?[\w$.+!*'|(){},~@#%&/=:;?\[\]<>-]*)"},
      {"URIPATHPARAM", "%{URIPATH}(?:%{URIPARAM})?"},
      {"URI", "%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?"},
      // Calendar pieces (English and German month spellings).
      {"MONTH",
       "\\bJan(?:uary|uar)?|Feb(?:ruary|ruar)?|M[a\xC3\xA4]?r(?:ch|z)?|Apr(?:il)?|Ma[yi]?|"
       "Jun[ei]?|July?|Aug(?:ust)?|Sep(?:tember)?|O[ck]?t(?:ober)?|Nov(?:ember)?|"
       "De[cz](?:ember)?\\b"},
      {"MONTHNUM", "0?[1-9]|1[0-2]"},
      {"MONTHNUM2", "0[1-9]|1[0-2]"},
      {"MONTHDAY", "0[1-9]|[12][0-9]|3[01]|[1-9]"},
      {"DAY",
       "Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|"
       "Sun(?:day)?"},
      {"YEAR", "(?:[0-9]{2}){1,2}"},
      {"HOUR", "2[0-3]|[01]?[0-9]"},
      {"MINUTE", "[0-5][0-9]"},
      // 60 allows a leap second; a fraction may follow after ':', '.' or ','.
      {"SECOND", "(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?"},
      {"TIME", "%{HOUR}:%{MINUTE}:%{SECOND}"},
      {"DATE_US", "%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}"},
      {"DATE_EU", "%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}"},
      {"DATE_X", "%{YEAR}/%{MONTHNUM2}/%{MONTHDAY}"},
      {"ISO8601_TIMEZONE", "Z|[+-]%{HOUR}(?::?%{MINUTE})"},
      {"ISO8601_SECOND", "%{SECOND}|60"},
      {"TIMESTAMP_ISO8601",
       "%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?"
       "%{ISO8601_TIMEZONE}?"},
      {"DATE", "%{DATE_US}|%{DATE_EU}|%{DATE_X}"},
      {"DATESTAMP", "%{DATE}[- ]%{TIME}"},
      {"TZ", "[A-Z]{3}"},
      {"NUMTZ", "[+-][0-9]{4}"},
      {"DATESTAMP_RFC822", "%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}"},
      {"DATESTAMP_RFC2822", "%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}"},
      {"DATESTAMP_OTHER", "%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}"},
      {"DATESTAMP_EVENTLOG", "%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}"},
      {"HTTPDERROR_DATE", "%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}"},
      // Go's time package layouts. ANSIC ends with a stray double quote in the classic set;
      // kept so that the same lines match.
      {"ANSIC", "%{DAY} %{MONTH} [_123][0-9] %{TIME} %{YEAR}\""},
      {"UNIXDATE", "%{DAY} %{MONTH} [_123][0-9] %{TIME} %{TZ} %{YEAR}"},
      {"RUBYDATE", "%{DAY} %{MONTH} [0-3][0-9] %{TIME} %{NUMTZ} %{YEAR}"},
      {"RFC822Z", "[0-3][0-9] %{MONTH} %{YEAR} %{TIME} %{NUMTZ}"},
      {"RFC850", "%{DAY}, [0-3][0-9]-%{MONTH}-%{YEAR} %{TIME} %{TZ}"},
      {"RFC1123", "%{DAY}, [0-3][0-9] %{MONTH} %{YEAR} %{TIME} %{TZ}"},
      {"RFC1123Z", "%{DAY}, [0-3][0-9] %{MONTH} %{YEAR} %{TIME} %{NUMTZ}"},
      {"RFC3339", "%{YEAR}-[01][0-9]-[0-3][0-9]T%{TIME}%{ISO8601_TIMEZONE}"},
      {"RFC3339NANO", R"(%{YEAR}-[01][0-9]-[0-3][0-9]T%{TIME}\.[0-9]{9}%{ISO8601_TIMEZONE})"},
      {"KITCHEN", "[0-9]{1,2}:[0-9]{2}(?:AM|PM|am|pm)"},
      // Syslog.
      {"SYSLOGTIMESTAMP", "%{MONTH} +%{MONTHDAY} %{TIME}"},
      // Printable ASCII except '[' and ']'.
      {"PROG", R"([!-Z\\^-~]+)"},
      {"SYSLOGPROG", R"(%{PROG:program}(?:\[%{POSINT:pid}\])?)"},
      {"SYSLOGHOST", "%{IPORHOST}"},
      {"SYSLOGFACILITY", "<%{NONNEGINT:facility}.%{NONNEGINT:priority}>"},
      {"HTTPDATE", "%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"},
      {"QS", "%{QUOTEDSTRING}"},
      {"LOGLEVEL",
       "[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|"
       "[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|"
       "CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?"},
      // Whole-line formats.
      {"SYSLOGBASE",
       "%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} "
       "%{SYSLOGPROG}:"},
      {"COMMONAPACHELOG",
       R"(%{IPORHOST:clientip} %{HTTPDUSER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] )"
       R"("(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|)"
       R"re(%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-))re"},
      {"COMBINEDAPACHELOG", "%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}"},
      {"HTTPD20_ERRORLOG",
       R"(\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:loglevel}\] )"
       R"((?:\[client %{IPORHOST:clientip}\] ){0,1}%{GREEDYDATA:errormsg})"},
      {"HTTPD24_ERRORLOG",
       R"(\[%{HTTPDERROR_DATE:timestamp}\] \[%{WORD:module}:%{LOGLEVEL:loglevel}\] )"
       R"(\[pid %{POSINT:pid}(:tid %{NUMBER:tid})?\])"
       R"(( \(%{POSINT:proxy_errorcode}\)%{DATA:proxy_errormessage}:)?)"
       R"(( \[client %{IPORHOST:client}:%{INT:clientport}\])? %{DATA:errorcode}: )"
       R"(%{GREEDYDATA:message})"},
      {"HTTPD_ERRORLOG", "%{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG}"},
  };
}

} // namespace

const std::vector<std::pair<std::string, std::string>>& basePatterns() {
  static const std::vector<std::pair<std::string, std::string>> kBase = buildBase();
  return kBase;
}

} // namespace cw::core::grok
