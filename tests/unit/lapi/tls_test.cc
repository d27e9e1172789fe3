// SPDX-License-Identifier: Apache-2.0
// The LAPI over TLS with client certificates (lapi.md §2 mTLS, §12): certificates made here with
// OpenSSL (a CA, the server, clients of several OUs, a client of a foreign CA).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "lapi_test_util.h"

using namespace cw::core;
using namespace cw::test;

namespace {

struct KeyCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~KeyCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for (cn, ou) signed by `issuer` (self-signed when null).
void make(KeyCert& out, const char* cn, const char* ou, const KeyCert* issuer, bool ca,
          long serial) {
  out.key = EVP_EC_gen("P-256");
  REQUIRE(out.key != nullptr);
  out.cert = X509_new();
  X509_set_version(out.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(out.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), 86400);
  X509_set_pubkey(out.cert, out.key);
  X509_NAME* name = X509_get_subject_name(out.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  if (ou != nullptr) {
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(ou),
                               -1, -1, 0);
  }
  X509* issuer_cert = issuer != nullptr ? issuer->cert : out.cert;
  X509_set_issuer_name(out.cert, X509_get_subject_name(issuer_cert));
  if (ca) {
    addExt(out.cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    addExt(out.cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExt(out.cert, issuer_cert, NID_subject_alt_name, "IP:127.0.0.1");
  }
  REQUIRE(X509_sign(out.cert, issuer != nullptr ? issuer->key : out.key, EVP_sha256()) > 0);
}

void write(const KeyCert& kc, const std::filesystem::path& dir, const std::string& name) {
  FILE* c = std::fopen((dir / (name + ".crt")).c_str(), "w");
  REQUIRE(c != nullptr);
  PEM_write_X509(c, kc.cert);
  std::fclose(c);
  FILE* k = std::fopen((dir / (name + ".key")).c_str(), "w");
  REQUIRE(k != nullptr);
  PEM_write_PrivateKey(k, kc.key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(k);
}

// A CRL of `ca` revoking `revoked`.
void writeCrl(const KeyCert& ca, const KeyCert& revoked, const std::filesystem::path& file) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.cert));
  ASN1_TIME* now = ASN1_TIME_set(nullptr, std::time(nullptr) - 60);
  ASN1_TIME* next = ASN1_TIME_set(nullptr, std::time(nullptr) + 86400);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  X509_REVOKED* r = X509_REVOKED_new();
  X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked.cert));
  X509_REVOKED_set_revocationDate(r, now);
  X509_CRL_add0_revoked(crl, r);
  X509_CRL_sort(crl);
  REQUIRE(X509_CRL_sign(crl, ca.key, EVP_sha256()) > 0);
  FILE* f = std::fopen(file.c_str(), "w");
  REQUIRE(f != nullptr);
  PEM_write_X509_CRL(f, crl);
  std::fclose(f);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_free(crl);
}

}  // namespace

TEST_CASE("lapi: TLS, client certificates and their OUs", "[lapi]") {
  CW_STORE_BACKEND();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cw-lapi-tls-" + std::to_string(::getpid()) + "-" + backend);
  std::filesystem::create_directories(dir);
  {
    KeyCert ca, server, agent, bouncer, stranger, foreign_ca, foreign;
    make(ca, "Test CA", nullptr, nullptr, true, 1);
    make(server, "127.0.0.1", nullptr, &ca, false, 2);
    make(agent, "agent-cn", "agent-ou", &ca, false, 3);
    make(bouncer, "bouncer-cn", "bouncer-ou", &ca, false, 4);
    make(stranger, "stranger-cn", "other-ou", &ca, false, 5);
    make(foreign_ca, "Other CA", nullptr, nullptr, true, 6);
    make(foreign, "foreign-cn", "bouncer-ou", &foreign_ca, false, 7);
    write(ca, dir, "ca");
    write(server, dir, "server");
    write(agent, dir, "agent");
    write(bouncer, dir, "bouncer");
    write(stranger, dir, "stranger");
    write(foreign, dir, "foreign");
    KeyCert revoked;
    make(revoked, "revoked-cn", "bouncer-ou", &ca, false, 8);
    write(revoked, dir, "revoked");
    writeCrl(ca, revoked, dir / "ca.crl");
  }
  const auto path = [&](const std::string& f) { return (dir / f).string(); };
  addBouncer(*store, "keyed", "keyed-key");
  Lapi l(*store, [&](config::Config& c) {
    c.server.tls.cert_file = path("server.crt");
    c.server.tls.key_file = path("server.key");
    c.server.tls.ca_cert_path = path("ca.crt");
  });
  CHECK(l.server().url() == "https://127.0.0.1:" + std::to_string(l.server().port()) + "/");

  auto client = [&](const std::string& who) {
    auto c = who.empty()
                 ? std::make_unique<httplib::SSLClient>("127.0.0.1", l.server().port())
                 : std::make_unique<httplib::SSLClient>("127.0.0.1", l.server().port(),
                                                        path(who + ".crt"), path(who + ".key"));
    c->set_ca_cert_path(path("ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    return c;
  };

  // No client certificate: plain TLS, API key auth as usual.
  auto anon = client("");
  auto health = anon->Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto keyed = anon->Get("/v1/decisions", l.bouncer("keyed-key"));
  REQUIRE(keyed);
  CHECK(keyed->status == 200);
  CHECK(keyed->body == "null");

  // A bouncer certificate: "<CN>@<ip>" created with auth type tls.
  auto b =
      client("bouncer")->Get("/v1/decisions/stream?startup=true", {{"User-Agent", kBouncerUa}});
  REQUIRE(b);
  CHECK(b->status == 200);
  CHECK(b->body == R"({"deleted":null,"new":null})");
  auto created = store->getBouncer("bouncer-cn@127.0.0.1");
  REQUIRE(created->has_value());
  CHECK((*created)->auth_type == "tls");
  CHECK((*created)->type == "crowdsec-firewall-bouncer");
  CHECK_FALSE((*created)->last_pull.isZero());

  // An OU outside bouncers_allowed_ou: refused.
  auto s = client("stranger")->Get("/v1/decisions");
  REQUIRE(s);
  CHECK(s->status == 403);
  CHECK(s->body == R"({"message":"access forbidden"})");

  // An agent certificate logs in without a password: machine "<CN>@<ip>", validated.
  auto a = client("agent");
  auto login = a->Post("/v1/watchers/login", {{"User-Agent", kAgentUa}}, "{}", "application/json");
  REQUIRE(login);
  CHECK(login->status == 200);
  auto machine = store->getMachine("agent-cn@127.0.0.1");
  REQUIRE(machine->has_value());
  CHECK((*machine)->auth_type == "tls");
  CHECK((*machine)->is_validated);
  const std::string token = parseJson(login->body)["token"].GetString();
  auto hb = a->Get("/v1/heartbeat", l.agent(token));
  REQUIRE(hb);
  CHECK(hb->status == 200);
  // The bouncer certificate is not an agent's.
  auto wrong = client("bouncer")->Post("/v1/watchers/login", {{"User-Agent", kAgentUa}}, "{}",
                                       "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);

  // A certificate from another CA fails the handshake (VerifyClientCertIfGiven).
  auto f = client("foreign")->Get("/health");
  CHECK_FALSE(f);
  CHECK_FALSE(store->getBouncer("foreign-cn@127.0.0.1")->has_value());
  // Plain HTTP to the TLS port gets nothing useful.
  auto plain = l.client().Get("/health");
  CHECK_FALSE(plain);
  auto again = anon->Get("/health");
  REQUIRE(again);
  CHECK(again->status == 200);

  // RequireAndVerifyClientCert with a CRL: no certificate and a revoked one both fail the
  // handshake; a valid one passes.
  {
    Lapi strict(*store, [&](config::Config& c) {
      c.server.tls.cert_file = path("server.crt");
      c.server.tls.key_file = path("server.key");
      c.server.tls.ca_cert_path = path("ca.crt");
      c.server.tls.crl_path = path("ca.crl");
      c.server.tls.client_verification = "RequireAndVerifyClientCert";
    });
    auto to = [&](const std::string& who) {
      auto c = who.empty()
                   ? std::make_unique<httplib::SSLClient>("127.0.0.1", strict.server().port())
                   : std::make_unique<httplib::SSLClient>("127.0.0.1", strict.server().port(),
                                                          path(who + ".crt"), path(who + ".key"));
      c->set_ca_cert_path(path("ca.crt").c_str());
      return c;
    };
    CHECK_FALSE(to("")->Get("/health"));
    CHECK_FALSE(to("revoked")->Get("/health"));
    auto ok = to("bouncer")->Get("/health");
    REQUIRE(ok);
    CHECK(ok->status == 200);
  }
  // A bad client_verification value or an unreadable key is refused by create().
  {
    config::Config c;
    c.server.listen_uri = "127.0.0.1:0";
    c.server.tls.cert_file = path("server.crt");
    c.server.tls.key_file = path("missing.key");
    c.server.tls.client_verification = "Sometimes";
    lapi::ServerOptions o;
    o.jwt_secret = kSecret;
    auto srv = lapi::Server::create(c, *store, nullptr, o);
    REQUIRE_FALSE(srv.ok());
    CHECK(srv.error().message ==
          "api.server.tls: unknown client_verification 'Sometimes'\n"
          "api.server.tls: cannot read '" +
              path("missing.key") + "'");
  }
  std::filesystem::remove_all(dir);
}
