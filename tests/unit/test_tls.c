/*
 * test_tls - unit tests for lib/tls/tls.c: real handshakes over a socketpair.
 *
 * A self-signed certificate (CN and subjectAltName "localhost") is made
 * with the OpenSSL API and written to a temporary directory; the server
 * side runs in a forked child, the client side in the test process, and
 * both talk through struct stream as smtpd and smtp do.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "strbuf.h"
#include "stream.h"
#include "tls.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_tls.XXXXXX";
static char cert_path[256], key_path[256], other_key_path[256];
static struct tls_context *shared_server;	/* made before fork, or NULL */
static long cert_lifetime = 3600;
static bool report_resumption;	/* server exits SERVER_RESUMED on a reuse */	/* seconds make_cert's certificate lives */

/* the forked server's exit code when its handshake resumed a session */
#define SERVER_RESUMED	10

/* write_key - PEM private key to path */
static void
write_key(EVP_PKEY *key, const char *path)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
}

/* make_cert - self-signed certificate for "localhost" plus a spare key */
static void
make_cert(void)
{
	EVP_PKEY *key, *other;
	X509 *x;
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", tmpdir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", tmpdir);
	snprintf(other_key_path, sizeof(other_key_path), "%s/other.pem", tmpdir);
	key = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(other);
	x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), cert_lifetime);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost");
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	fp = fopen(cert_path, "w");
	ck_assert_ptr_nonnull(fp);
	PEM_write_X509(fp, x);
	fclose(fp);
	write_key(key, key_path);
	write_key(other, other_key_path);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/* cleanup_files - remove the temporary directory */
static void
cleanup_files(void)
{
	unlink(cert_path);
	unlink(key_path);
	unlink(other_key_path);
	rmdir(tmpdir);
}

/* server_cfg - configuration for the server side */
static struct config *
server_cfg(const char *protocols)
{
	struct config *cfg = config_new("/nonexistent");

	config_set(cfg, "smtpd_tls_cert_file", cert_path);
	config_set(cfg, "smtpd_tls_key_file", key_path);
	if (protocols != NULL)
		config_set(cfg, "smtpd_tls_protocols", protocols);
	return (cfg);
}

/* client_ctx - client context, with or without the cert as CAfile */
static struct tls_context *
client_ctx(bool with_ca)
{
	struct config *cfg = config_new("/nonexistent");
	struct tls_context *ctx;
	struct strbuf err;

	strbuf_init(&err);
	if (with_ca)
		config_set(cfg, "smtp_tls_CAfile", cert_path);
	ctx = tls_client_context(cfg, &err);
	ck_assert_msg(ctx != NULL, "client context: %s", err.data);
	strbuf_free(&err);
	config_free(cfg);
	return (ctx);
}

/*
 * start_server - fork a TLS echo server on one end of a socketpair; it
 * exits 0 when the handshake and the echo worked, 2 when the handshake
 * failed.  Returns the client's end.
 */
static int
start_server(const char *protocols, int timeout, pid_t *pid)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		struct config *cfg = server_cfg(protocols);
		struct tls_session_info info;
		struct tls_context *ctx;
		struct stream *s;
		struct strbuf err, line;
		bool resumed;

		close(sv[0]);
		strbuf_init(&err);
		strbuf_init(&line);
		if ((ctx = shared_server) == NULL &&
		    (ctx = tls_server_context(cfg, &err)) == NULL)
			_exit(3);
		s = stream_open(sv[1]);
		stream_set_timeout(s, 5);
		if (tls_start_server(ctx, s, timeout, &info, &err) != 0)
			_exit(2);
		if (strncmp(info.protocol, "TLSv1.", 6) != 0)
			_exit(4);
		while (stream_getline(s, &line, 1000) == STREAM_OK) {
			stream_printf(s, "echo: %s", line.data);
			if (stream_flush(s) != STREAM_OK)
				_exit(5);
		}
		resumed = SSL_session_reused(stream_io_context(s)) == 1;
		tls_stop(s);
		stream_close(s);
		if (ctx != shared_server)
			tls_context_free(ctx);
		config_free(cfg);
		/* only the tests that share a server context can see a reuse */
		_exit(resumed && report_resumption ? SERVER_RESUMED : 0);
	}
	close(sv[1]);
	return (sv[0]);
}

/* server_status - the forked server's exit code */
static int
server_status(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/* echo_once - send one line through s and check the echo */
static void
echo_once(struct stream *s, const char *text)
{
	struct strbuf line, want;

	strbuf_init(&line);
	strbuf_init(&want);
	ck_assert_int_eq(stream_printf(s, "%s\r\n", text), STREAM_OK);
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	ck_assert_int_eq(stream_getline(s, &line, 1000), STREAM_OK);
	strbuf_printf(&want, "echo: %s\r\n", text);
	ck_assert_str_eq(line.data, want.data);
	strbuf_free(&line);
	strbuf_free(&want);
}

/*
 * client_session_on - one full client connection to a server limited to
 * server_protocols (NULL: its default); returns the handshake result
 */
static int
client_session_on(const char *server_protocols, struct tls_context *ctx,
    const char *const *names, bool require, bool mandatory,
    struct tls_session_info *info, int *resumed, int *srv)
{
	struct strbuf err;
	struct stream *s;
	pid_t pid;
	int fd, r;

	fd = start_server(server_protocols, 5, &pid);
	s = stream_open(fd);
	stream_set_timeout(s, 5);
	strbuf_init(&err);
	r = tls_start_client(ctx, s, 5, "localhost", names, require, mandatory,
	    "[localhost]:25", info, &err);
	if (r == 0) {
		ck_assert_ptr_nonnull(stream_io_context(s));
		if (resumed != NULL)
			*resumed = SSL_session_reused(stream_io_context(s));
		echo_once(s, "hello");
		echo_once(s, "second line");
		tls_stop(s);
		ck_assert_ptr_null(stream_io_context(s));
	}
	strbuf_free(&err);
	stream_close(s);
	*srv = server_status(pid);
	return (r);
}

/* client_session - the same against a default server, TLS not mandatory */
static int
client_session(struct tls_context *ctx, const char *const *names,
    bool require, struct tls_session_info *info, int *resumed, int *srv)
{
	return (client_session_on(NULL, ctx, names, require, false, info,
	    resumed, srv));
}

START_TEST(test_handshake_and_echo)
{
	const char *names[] = { "localhost", NULL };
	struct tls_session_info info;
	struct tls_context *ctx;
	int srv;

	make_cert();
	ctx = client_ctx(true);
	ck_assert_int_eq(client_session(ctx, names, true, &info, NULL, &srv), 0);
	ck_assert_int_eq(srv, 0);
	ck_assert(strcmp(info.protocol, "TLSv1.2") == 0 ||
	    strcmp(info.protocol, "TLSv1.3") == 0);
	ck_assert(info.cipher[0] != '\0');
	ck_assert_int_ge(info.bits, 128);
	ck_assert(info.peer_verified);
	ck_assert(info.peer_name_matched);
	ck_assert_str_eq(info.peer_cn, "localhost");
	tls_context_free(ctx);
	cleanup_files();
}
END_TEST

/*
 * Where TLS is mandatory smtp_tls_mandatory_protocols rules, elsewhere
 * smtp_tls_protocols: a TLS 1.2-only server is fine for the one and
 * refused by the other when the mandatory list asks for TLS 1.3.
 */
START_TEST(test_mandatory_protocols)
{
	struct config *cfg = config_new("/nonexistent");
	struct tls_session_info info;
	struct tls_context *ctx;
	struct strbuf err;
	int srv;

	make_cert();
	strbuf_init(&err);
	config_set(cfg, "smtp_tls_mandatory_protocols", "TLSv1.3");
	ctx = tls_client_context(cfg, &err);
	ck_assert_msg(ctx != NULL, "client context: %s", err.data);
	ck_assert_int_eq(client_session_on("!TLSv1.3", ctx, NULL, false, false,
	    &info, NULL, &srv), 0);
	ck_assert_str_eq(info.protocol, "TLSv1.2");
	ck_assert_int_eq(srv, 0);
	ck_assert_int_eq(client_session_on("!TLSv1.3", ctx, NULL, false, true,
	    &info, NULL, &srv), -1);
	ck_assert_int_eq(srv, 2);
	ck_assert_int_eq(client_session_on(NULL, ctx, NULL, false, true,
	    &info, NULL, &srv), 0);
	ck_assert_str_eq(info.protocol, "TLSv1.3");
	tls_context_free(ctx);

	/* a list that leaves nothing is refused when the context is made */
	config_set(cfg, "smtp_tls_mandatory_protocols", "!TLSv1.2, !TLSv1.3");
	ck_assert_ptr_null(tls_client_context(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "smtp_tls_mandatory_protocols"));
	config_free(cfg);
	strbuf_free(&err);
	cleanup_files();
}
END_TEST

START_TEST(test_wrong_name)
{
	const char *names[] = { "mx.wrong.example", NULL };
	struct tls_session_info info;
	struct tls_context *ctx;
	int srv;

	make_cert();
	ctx = client_ctx(true);
	/* Required: the handshake is refused by the client side. */
	ck_assert_int_eq(client_session(ctx, names, true, &info, NULL, &srv), -1);
	/* Not required: it goes on, with the chain good and the name not. */
	ck_assert_int_eq(client_session(ctx, names, false, &info, NULL, &srv), 0);
	ck_assert_int_eq(srv, 0);
	ck_assert(info.peer_verified);
	ck_assert(!info.peer_name_matched);
	tls_context_free(ctx);
	cleanup_files();
}
END_TEST

START_TEST(test_untrusted)
{
	struct tls_session_info info;
	struct tls_context *ctx;
	int srv;

	make_cert();
	ctx = client_ctx(false);
	ck_assert_int_eq(client_session(ctx, NULL, false, &info, NULL, &srv), 0);
	ck_assert(!info.peer_verified);
	ck_assert(!info.peer_name_matched);
	ck_assert_int_eq(client_session(ctx, NULL, true, &info, NULL, &srv), -1);
	tls_context_free(ctx);
	cleanup_files();
}
END_TEST

START_TEST(test_resumption)
{
	const char *names[] = { "localhost", NULL };
	struct tls_session_info info;
	struct tls_context *ctx;
	int srv, resumed = -1;

	struct config *cfg;
	struct strbuf err;

	make_cert();
	/*
	 * Session tickets are sealed with per-context keys: the servers must
	 * share one context, as the processes of one smtpd would have to.
	 */
	strbuf_init(&err);
	cfg = server_cfg(NULL);
	shared_server = tls_server_context(cfg, &err);
	ck_assert_ptr_nonnull(shared_server);
	ctx = client_ctx(true);
	ck_assert_int_eq(client_session(ctx, names, true, &info, &resumed, &srv), 0);
	ck_assert_int_eq(resumed, 0);
	ck_assert_int_eq(client_session(ctx, names, true, &info, &resumed, &srv), 0);
	ck_assert_int_eq(resumed, 1);
	ck_assert(info.peer_verified);
	tls_context_free(ctx);
	/* A fresh context has an empty cache. */
	ctx = client_ctx(true);
	ck_assert_int_eq(client_session(ctx, names, true, &info, &resumed, &srv), 0);
	ck_assert_int_eq(resumed, 0);
	tls_context_free(ctx);
	tls_context_free(shared_server);
	shared_server = NULL;
	config_free(cfg);
	strbuf_free(&err);
	cleanup_files();
}
END_TEST

/* share_server - one server context for every fork, so tickets resume */
static struct config *
share_server(void)
{
	struct config *cfg = server_cfg(NULL);
	struct strbuf err;

	strbuf_init(&err);
	shared_server = tls_server_context(cfg, &err);
	ck_assert_msg(shared_server != NULL, "server context: %s", err.data);
	strbuf_free(&err);
	report_resumption = true;
	return (cfg);
}

/* unshare_server - undo share_server */
static void
unshare_server(struct config *cfg)
{
	tls_context_free(shared_server);
	shared_server = NULL;
	report_resumption = false;
	config_free(cfg);
}

/*
 * A session made where nothing was checked (level "may") is not offered
 * where a name must match: the audit's a.test (may) then b.test (secure)
 * to one MX host.  Each policy resumes its own sessions only.
 */
START_TEST(test_cache_keeps_policies_apart)
{
	const char *wrong[] = { "mx.wrong.example", NULL };
	const char *right[] = { "localhost", NULL };
	struct tls_session_info info;
	struct tls_context *ctx;
	struct config *cfg;
	int srv, resumed;

	make_cert();
	cfg = share_server();
	ctx = client_ctx(true);
	/* "may": cached, then resumed (the chain is good, no name asked) */
	ck_assert_int_eq(client_session(ctx, NULL, false, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(srv, 0);
	ck_assert_int_eq(client_session(ctx, NULL, false, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(resumed, 1);
	ck_assert_int_eq(srv, SERVER_RESUMED);
	ck_assert(info.resumed && info.peer_verified && !info.peer_name_matched);
	/* a name required: not the "may" session, and this name is wrong */
	ck_assert_int_eq(client_session(ctx, wrong, true, &info, &resumed,
	    &srv), -1);
	ck_assert_int_eq(srv, 0);
	/* the right name: a new handshake, then its own session, checked */
	ck_assert_int_eq(client_session(ctx, right, true, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(resumed, 0);
	ck_assert_int_eq(srv, 0);
	ck_assert_int_eq(client_session(ctx, right, true, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(resumed, 1);
	ck_assert_int_eq(srv, SERVER_RESUMED);
	ck_assert(info.resumed && info.peer_verified && info.peer_name_matched);
	/* mandatory TLS ("encrypt") is a policy of its own too */
	ck_assert_int_eq(client_session_on(NULL, ctx, NULL, false, true, &info,
	    &resumed, &srv), 0);
	ck_assert_int_eq(resumed, 0);
	ck_assert_int_eq(srv, 0);
	/* and "may" still has its session */
	ck_assert_int_eq(client_session(ctx, NULL, false, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(resumed, 1);
	tls_context_free(ctx);
	unshare_server(cfg);
	cleanup_files();
}
END_TEST

/*
 * A resumed session's certificate is verified again, now: one that
 * expired since the session was made fails as a new handshake would,
 * and the session leaves the cache (the next attempt is a new handshake).
 */
START_TEST(test_resumed_session_checked_again)
{
	const char *right[] = { "localhost", NULL };
	struct tls_session_info info;
	struct tls_context *ctx;
	struct config *cfg;
	int srv, resumed;

	cert_lifetime = 2;
	make_cert();
	cfg = share_server();
	ctx = client_ctx(true);
	ck_assert_int_eq(client_session(ctx, right, true, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(resumed, 0);
	ck_assert(info.peer_name_matched);
	sleep(3);
	/* the server resumes it, the client refuses the expired peer */
	ck_assert_int_eq(client_session(ctx, right, true, &info, &resumed,
	    &srv), -1);
	ck_assert_int_eq(srv, SERVER_RESUMED);
	ck_assert_int_eq(client_session(ctx, right, true, &info, &resumed,
	    &srv), -1);
	ck_assert_int_eq(srv, 0);
	/* where nothing is required it goes on, but not as trusted */
	ck_assert_int_eq(client_session(ctx, NULL, false, &info, &resumed,
	    &srv), 0);
	ck_assert(!info.peer_verified);
	ck_assert_int_eq(client_session(ctx, NULL, false, &info, &resumed,
	    &srv), 0);
	ck_assert_int_eq(resumed, 1);
	ck_assert(info.resumed && !info.peer_verified);
	tls_context_free(ctx);
	unshare_server(cfg);
	cert_lifetime = 3600;
	cleanup_files();
}
END_TEST

/* raw_client - handshake with plain OpenSSL limited to [lo, hi]; 1 = ok */
static int
raw_client(int fd, int lo, int hi)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	int r;

	/* Let the client offer old versions: the server must refuse them. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, lo);
	SSL_CTX_set_max_proto_version(ctx, hi);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	r = SSL_connect(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return (r == 1);
}

START_TEST(test_old_protocol_refused)
{
	pid_t pid;
	int fd;

	make_cert();
	fd = start_server(NULL, 5, &pid);
	ck_assert_int_eq(raw_client(fd, TLS1_VERSION, TLS1_1_VERSION), 0);
	ck_assert_int_eq(server_status(pid), 2);
	/* The same raw client is fine once it may use TLS 1.2. */
	fd = start_server(NULL, 5, &pid);
	ck_assert_int_eq(raw_client(fd, TLS1_VERSION, TLS1_2_VERSION), 1);
	ck_assert_int_eq(server_status(pid), 0);
	cleanup_files();
}
END_TEST

START_TEST(test_protocols_raise_minimum)
{
	pid_t pid;
	int fd;

	make_cert();
	fd = start_server("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.2", 5, &pid);
	ck_assert_int_eq(raw_client(fd, TLS1_2_VERSION, TLS1_2_VERSION), 0);
	ck_assert_int_eq(server_status(pid), 2);
	fd = start_server("!TLSv1.2", 5, &pid);
	ck_assert_int_eq(raw_client(fd, TLS1_2_VERSION, TLS1_3_VERSION), 1);
	ck_assert_int_eq(server_status(pid), 0);
	/* Asking for TLS 1.1 does not lower the floor. */
	fd = start_server("TLSv1.1, TLSv1.2", 5, &pid);
	ck_assert_int_eq(raw_client(fd, TLS1_VERSION, TLS1_1_VERSION), 0);
	ck_assert_int_eq(server_status(pid), 2);
	cleanup_files();
}
END_TEST

START_TEST(test_context_errors)
{
	struct tls_context *ctx;
	struct strbuf err;
	struct config *cfg;

	make_cert();
	strbuf_init(&err);
	cfg = server_cfg(NULL);
	config_set(cfg, "smtpd_tls_key_file", other_key_path);
	ck_assert_ptr_null(tls_server_context(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "does not match"));
	config_free(cfg);

	cfg = server_cfg(NULL);
	config_set(cfg, "smtpd_tls_cert_file", "/nonexistent/cert.pem");
	ck_assert_ptr_null(tls_server_context(cfg, &err));
	config_free(cfg);

	cfg = server_cfg(NULL);
	config_set(cfg, "smtpd_tls_cert_file", "");
	ck_assert_ptr_null(tls_server_context(cfg, &err));
	config_free(cfg);

	cfg = server_cfg("!TLSv1.2, !TLSv1.3");
	ck_assert_ptr_null(tls_server_context(cfg, &err));
	config_free(cfg);

	cfg = server_cfg("TLSv9");
	ck_assert_ptr_null(tls_server_context(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "TLSv9"));
	config_free(cfg);

	/* Level encrypt reads the mandatory list instead. */
	cfg = server_cfg("TLSv9");
	config_set(cfg, "smtpd_tls_security_level", "encrypt");
	ctx = tls_server_context(cfg, &err);	/* "TLSv9" is not consulted */
	ck_assert_ptr_nonnull(ctx);
	tls_context_free(ctx);
	config_set(cfg, "smtpd_tls_mandatory_protocols", "!TLSv1.2, !TLSv1.3");
	ck_assert_ptr_null(tls_server_context(cfg, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "smtpd_tls_mandatory_protocols"));
	config_free(cfg);

	cfg = config_new("/nonexistent");
	config_set(cfg, "smtp_tls_CAfile", "/nonexistent/ca.pem");
	ck_assert_ptr_null(tls_client_context(cfg, &err));
	config_free(cfg);
	strbuf_free(&err);
	cleanup_files();
}
END_TEST

START_TEST(test_handshake_timeout)
{
	struct config *cfg;
	struct tls_context *ctx;
	struct tls_session_info info;
	struct strbuf err;
	struct stream *s;
	time_t start;
	int sv[2];

	make_cert();
	strbuf_init(&err);
	cfg = server_cfg(NULL);
	ctx = tls_server_context(cfg, &err);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = stream_open(sv[0]);
	start = time(NULL);
	ck_assert_int_eq(tls_start_server(ctx, s, 1, &info, &err), -1);
	ck_assert_int_le(time(NULL) - start, 3);
	ck_assert_ptr_nonnull(strstr(err.data, "timeout"));
	ck_assert_ptr_null(stream_io_context(s));
	/* Garbage instead of a ClientHello fails at once. */
	ck_assert_int_eq(write(sv[1], "EHLO x\r\n\r\n\r\n", 12), 12);
	ck_assert_int_eq(tls_start_server(ctx, s, 5, &info, &err), -1);
	stream_close(s);
	close(sv[1]);
	tls_context_free(ctx);
	config_free(cfg);
	strbuf_free(&err);
	cleanup_files();
}
END_TEST

/* tls_suite - the test cases */
static Suite *
tls_suite(void)
{
	Suite *suite = suite_create("tls");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_handshake_and_echo);
	tcase_add_test(tc, test_wrong_name);
	tcase_add_test(tc, test_mandatory_protocols);
	tcase_add_test(tc, test_untrusted);
	tcase_add_test(tc, test_resumption);
	tcase_add_test(tc, test_cache_keeps_policies_apart);
	tcase_add_test(tc, test_resumed_session_checked_again);
	tcase_add_test(tc, test_old_protocol_refused);
	tcase_add_test(tc, test_protocols_raise_minimum);
	tcase_add_test(tc, test_context_errors);
	tcase_add_test(tc, test_handshake_timeout);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(tls_suite()));
}
