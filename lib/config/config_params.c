/*
 * config_params - the one table of every main.cf parameter Sluice knows.
 *
 * Sorted by name (config_param_find() does a binary search; a unit test
 * checks the order).  Where Postfix has a parameter of the same name, the
 * default and meaning are Postfix's; man/sluice.conf.5 documents each row
 * and the differences.  myhostname, mydomain and config_directory are
 * replaced at run time by config_new(); the values here are fall-backs.
 * Bounds of TIME parameters are in seconds.  config_param_check() checks
 * a value against its row (type, bounds, the few enumerated words).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "msg.h"

#ifndef SLUICE_DAEMON_DIR
#define SLUICE_DAEMON_DIR "/usr/local/libexec/sluice"
#endif

#define ONE_DAY		86400L
#define ONE_WEEK	(7 * ONE_DAY)

const struct param_def config_param_table[] = {
	{ "2bounce_notice_recipient", PARAM_STR,
	    "postmaster", 0, 0, 0 },
	{ "access_map_defer_code", PARAM_INT,
	    "450", 400, 499, 0 },
	{ "access_map_reject_code", PARAM_INT,
	    "554", 400, 599, 0 },
	{ "alias_maps", PARAM_STR,
	    "lmdb:$config_directory/aliases", 0, 0, 0 },
	{ "allow_mail_to_commands", PARAM_STR,
	    "alias, forward", 0, 0, 0 },
	{ "allow_mail_to_files", PARAM_STR,
	    "alias, forward", 0, 0, 0 },
	{ "allow_percent_hack", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "always_add_missing_headers", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "anvil_rate_time_unit", PARAM_TIME,
	    "60s", 1, ONE_DAY, 's' },
	{ "anvil_service_name", PARAM_STR,
	    "anvil", 0, 0, 0 },
	{ "anvil_status_update_time", PARAM_TIME,
	    "600s", 1, ONE_WEEK, 's' },
	{ "append_at_myorigin", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "append_dot_mydomain", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "body_checks", PARAM_STR,
	    "", 0, 0, 0 },
	{ "body_checks_size_limit", PARAM_INT,
	    "51200", 0, 1L << 30, 0 },
	{ "bounce_notice_recipient", PARAM_STR,
	    "postmaster", 0, 0, 0 },
	{ "bounce_queue_lifetime", PARAM_TIME,
	    "5d", 0, 100*ONE_DAY, 'd' },
	{ "bounce_size_limit", PARAM_INT,
	    "50000", 1, 1L << 30, 0 },
	{ "canonical_classes", PARAM_STR,
	    "envelope_sender, envelope_recipient, header_sender, header_recipient", 0, 0, 0 },
	{ "canonical_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "cleanup_process_session_limit", PARAM_INT,
	    "100", 1, 10000, 0 },
	{ "cleanup_replace_stray_cr_lf", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "cleanup_service_name", PARAM_STR,
	    "cleanup", 0, 0, 0 },
	{ "command_time_limit", PARAM_TIME,
	    "1000s", 1, ONE_DAY, 's' },
	{ "config_directory", PARAM_STR,
	    SLUICE_CONFIG_DIR, 0, 0, 0 },
	{ "content_filter", PARAM_STR,
	    "", 0, 0, 0 },
	{ "daemon_directory", PARAM_STR,
	    SLUICE_DAEMON_DIR, 0, 0, 0 },
	{ "default_destination_concurrency_limit", PARAM_INT,
	    "20", 1, 10000, 0 },
	{ "default_destination_recipient_limit", PARAM_INT,
	    "50", 1, 100000, 0 },
	{ "default_privs", PARAM_STR,
	    "nobody", 0, 0, 0 },
	{ "default_process_limit", PARAM_INT,
	    "100", 1, 100000, 0 },
	{ "default_rbl_reply", PARAM_STR,
	    "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using "
	    "$rbl_domain${rbl_reason?; $rbl_reason}", 0, 0, 0 },
	{ "default_transport", PARAM_STR,
	    "smtp", 0, 0, 0 },
	{ "defer_code", PARAM_INT,
	    "450", 400, 499, 0 },
	{ "delay_notice_recipient", PARAM_STR,
	    "postmaster", 0, 0, 0 },
	{ "delay_warning_time", PARAM_TIME,
	    "0h", 0, 100*ONE_DAY, 'h' },
	{ "disable_mime_input_processing", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "disable_vrfy_command", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "dns_resolver_address", PARAM_STR,
	    "", 0, 0, 0 },
	{ "dns_trust_anchor_file", PARAM_STR,
	    "", 0, 0, 0 },
	{ "double_bounce_sender", PARAM_STR,
	    "double-bounce", 0, 0, 0 },
	{ "duplicate_filter_limit", PARAM_INT,
	    "1000", 0, 10000000, 0 },
	{ "empty_address_recipient", PARAM_STR,
	    "MAILER-DAEMON", 0, 0, 0 },
	{ "enable_original_recipient", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "forward_path", PARAM_STR,
	    "$home/.forward", 0, 0, 0 },
	{ "header_checks", PARAM_STR,
	    "", 0, 0, 0 },
	{ "header_size_limit", PARAM_INT,
	    "102400", 1, 1L << 30, 0 },
	{ "home_mailbox", PARAM_STR,
	    "", 0, 0, 0 },
	{ "hopcount_limit", PARAM_INT,
	    "50", 1, 10000, 0 },
	{ "import_environment", PARAM_STR,
	    "TZ LANG=C SLUICE_CONFIG ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS", 0, 0, 0 },
	{ "in_flow_delay", PARAM_TIME,
	    "1s", 0, 10, 's' },
	{ "in_flow_window", PARAM_INT,
	    "1000", 1, 1L << 20, 0 },
	{ "inet_interfaces", PARAM_STR,
	    "all", 0, 0, 0 },
	{ "inet_protocols", PARAM_STR,
	    "all", 0, 0, 0 },
	{ "invalid_hostname_reject_code", PARAM_INT,
	    "501", 400, 599, 0 },
	{ "ipc_timeout", PARAM_TIME,
	    "3600s", 1, ONE_WEEK, 's' },
	{ "line_length_limit", PARAM_INT,
	    "2048", 1, 1L << 30, 0 },
	{ "listen_backlog", PARAM_INT,
	    "4096", 1, 1L << 20, 0 },
	{ "lmtp_tcp_port", PARAM_STR,
	    "24", 0, 0, 0 },
	{ "local_destination_concurrency_limit", PARAM_INT,
	    "2", 1, 10000, 0 },
	{ "local_destination_recipient_limit", PARAM_INT,
	    "1", 1, 100000, 0 },
	{ "local_header_rewrite_clients", PARAM_STR,
	    "permit_inet_interfaces", 0, 0, 0 },
	{ "local_recipient_maps", PARAM_STR,
	    "unix:passwd.byname $alias_maps", 0, 0, 0 },
	{ "local_transport", PARAM_STR,
	    "local:$myhostname", 0, 0, 0 },
	{ "mail_name", PARAM_STR,
	    "Sluice", 0, 0, 0 },
	{ "mail_owner", PARAM_STR,
	    "sluice", 0, 0, 0 },
	{ "mail_spool_directory", PARAM_STR,
	    "/var/mail", 0, 0, 0 },
	{ "mailbox_delivery_lock", PARAM_STR,
	    "fcntl, dotlock", 0, 0, 0 },
	{ "mailbox_size_limit", PARAM_INT,
	    "51200000", 0, 1L << 40, 0 },
	{ "maillog_file", PARAM_STR,
	    "", 0, 0, 0 },
	{ "maps_rbl_reject_code", PARAM_INT,
	    "554", 400, 599, 0 },
	{ "masquerade_classes", PARAM_STR,
	    "envelope_sender, header_sender, header_recipient", 0, 0, 0 },
	{ "masquerade_domains", PARAM_STR,
	    "", 0, 0, 0 },
	{ "masquerade_exceptions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "max_idle", PARAM_TIME,
	    "100s", 1, ONE_WEEK, 's' },
	{ "max_use", PARAM_INT,
	    "100", 1, 1L << 30, 0 },
	{ "maximal_backoff_time", PARAM_TIME,
	    "4000s", 1, 100*ONE_DAY, 's' },
	{ "maximal_queue_lifetime", PARAM_TIME,
	    "5d", 0, 100*ONE_DAY, 'd' },
	{ "message_size_limit", PARAM_INT,
	    "10240000", 0, 1L << 40, 0 },
	{ "mime_boundary_length_limit", PARAM_INT,
	    "2048", 1, 1L << 20, 0 },
	{ "mime_header_checks", PARAM_STR,
	    "$header_checks", 0, 0, 0 },
	{ "mime_nesting_limit", PARAM_INT,
	    "100", 0, 100000, 0 },
	{ "minimal_backoff_time", PARAM_TIME,
	    "300s", 1, 100*ONE_DAY, 's' },
	{ "multi_recipient_bounce_reject_code", PARAM_INT,
	    "550", 400, 599, 0 },
	{ "mydestination", PARAM_STR,
	    "$myhostname, localhost.$mydomain, localhost", 0, 0, 0 },
	{ "mydomain", PARAM_STR,
	    "localdomain", 0, 0, 0 },
	{ "myhostname", PARAM_STR,
	    "localhost.localdomain", 0, 0, 0 },
	{ "mynetworks", PARAM_STR,
	    "127.0.0.0/8 [::1]/128", 0, 0, 0 },
	{ "myorigin", PARAM_STR,
	    "$myhostname", 0, 0, 0 },
	{ "nested_header_checks", PARAM_STR,
	    "$header_checks", 0, 0, 0 },
	{ "non_fqdn_reject_code", PARAM_INT,
	    "504", 400, 599, 0 },
	{ "notify_classes", PARAM_STR,
	    "resource, software, 2bounce", 0, 0, 0 },
	{ "owner_request_special", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "parent_domain_matches_subdomains", PARAM_STR,
	    "debug_peer_list, fast_flush_domains, mynetworks, "
	    "permit_mx_backup_networks, qmqpd_authorized_clients, "
	    "relay_domains, smtpd_access_maps", 0, 0, 0 },
	{ "prepend_delivered_header", PARAM_STR,
	    "command, file, forward", 0, 0, 0 },
	{ "propagate_unmatched_extensions", PARAM_STR,
	    "canonical, virtual", 0, 0, 0 },
	{ "proxy_interfaces", PARAM_STR,
	    "", 0, 0, 0 },
	{ "qmgr_message_active_limit", PARAM_INT,
	    "20000", 1, 1L << 24, 0 },
	{ "qmgr_service_name", PARAM_STR,
	    "qmgr", 0, 0, 0 },
	{ "queue_directory", PARAM_STR,
	    "/var/spool/sluice", 0, 0, 0 },
	{ "queue_minfree", PARAM_INT,
	    "0", 0, 1L << 50, 0 },
	{ "queue_run_delay", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "rbl_reply_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "receive_override_options", PARAM_STR,
	    "", 0, 0, 0 },
	{ "recipient_canonical_classes", PARAM_STR,
	    "envelope_recipient, header_recipient", 0, 0, 0 },
	{ "recipient_canonical_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "recipient_delimiter", PARAM_STR,
	    "", 0, 0, 0 },
	{ "reject_code", PARAM_INT,
	    "554", 400, 599, 0 },
	{ "reject_tempfail_action", PARAM_STR,
	    "defer_if_permit", 0, 0, 0 },
	{ "relay_domains", PARAM_STR,
	    "", 0, 0, 0 },
	{ "relay_domains_reject_code", PARAM_INT,
	    "554", 400, 599, 0 },
	{ "relay_transport", PARAM_STR,
	    "relay", 0, 0, 0 },
	{ "relayhost", PARAM_STR,
	    "", 0, 0, 0 },
	{ "remote_header_rewrite_domain", PARAM_STR,
	    "", 0, 0, 0 },
	{ "resolve_dequoted_address", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "sender_canonical_classes", PARAM_STR,
	    "envelope_sender, header_sender", 0, 0, 0 },
	{ "sender_canonical_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "sender_dependent_relayhost_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "service_throttle_time", PARAM_TIME,
	    "60s", 1, ONE_WEEK, 's' },
	{ "setgid_group", PARAM_STR,
	    "sluicedrop", 0, 0, 0 },
	{ "smtp_bind_address", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtp_connect_timeout", PARAM_TIME,
	    "30s", 1, ONE_DAY, 's' },
	{ "smtp_connection_cache_time_limit", PARAM_TIME,
	    "2s", 0, ONE_DAY, 's' },
	{ "smtp_data_done_timeout", PARAM_TIME,
	    "600s", 1, ONE_DAY, 's' },
	{ "smtp_data_init_timeout", PARAM_TIME,
	    "120s", 1, ONE_DAY, 's' },
	{ "smtp_data_xfer_timeout", PARAM_TIME,
	    "180s", 1, ONE_DAY, 's' },
	{ "smtp_destination_concurrency_limit", PARAM_INT,
	    "$default_destination_concurrency_limit", 1, 10000, 0 },
	{ "smtp_destination_recipient_limit", PARAM_INT,
	    "$default_destination_recipient_limit", 1, 100000, 0 },
	{ "smtp_helo_name", PARAM_STR,
	    "$myhostname", 0, 0, 0 },
	{ "smtp_helo_timeout", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "smtp_host_lookup", PARAM_STR,
	    "dns", 0, 0, 0 },
	{ "smtp_mail_timeout", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "smtp_min_data_rate", PARAM_INT,
	    "500", 1, 1L << 30, 0 },
	{ "smtp_mx_address_limit", PARAM_INT,
	    "5", 0, 1000, 0 },
	{ "smtp_mx_session_limit", PARAM_INT,
	    "2", 0, 1000, 0 },
	{ "smtp_quit_timeout", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "smtp_rcpt_timeout", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "smtp_sasl_auth_enable", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "smtp_sasl_password_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtp_sasl_tls_only", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtp_tcp_port", PARAM_STR,
	    "25", 0, 0, 0 },
	{ "smtp_tls_CAfile", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtp_tls_CApath", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtp_tls_mandatory_protocols", PARAM_STR,
	    "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 0, 0, 0 },
	{ "smtp_tls_policy_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtp_tls_protocols", PARAM_STR,
	    "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 0, 0, 0 },
	{ "smtp_tls_secure_cert_match", PARAM_STR,
	    "nexthop, dot-nexthop", 0, 0, 0 },
	{ "smtp_tls_security_level", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtp_tls_session_cache_timeout", PARAM_TIME,
	    "3600s", 0, 100*ONE_DAY, 's' },
	{ "smtp_tls_verify_cert_match", PARAM_STR,
	    "hostname", 0, 0, 0 },
	{ "smtpd_banner", PARAM_STR,
	    "$myhostname ESMTP $mail_name", 0, 0, 0 },
	{ "smtpd_client_connection_count_limit", PARAM_INT,
	    "50", 0, 1000000, 0 },
	{ "smtpd_client_connection_rate_limit", PARAM_INT,
	    "0", 0, 1000000, 0 },
	{ "smtpd_client_event_limit_exceptions", PARAM_STR,
	    "$mynetworks", 0, 0, 0 },
	{ "smtpd_client_ipv4_prefix_length", PARAM_INT,
	    "32", 0, 32, 0 },
	{ "smtpd_client_ipv6_prefix_length", PARAM_INT,
	    "84", 0, 128, 0 },
	{ "smtpd_client_restrictions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_data_restrictions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_delay_reject", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtpd_discard_ehlo_keywords", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_end_of_data_restrictions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_error_sleep_time", PARAM_TIME,
	    "1s", 0, 3600, 's' },
	{ "smtpd_forbid_bare_newline", PARAM_STR,
	    "yes", 0, 0, 0 },
	{ "smtpd_forbid_bare_newline_exclusions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_greet_pause", PARAM_TIME,
	    "0", 0, 3600, 's' },
	{ "smtpd_hard_error_limit", PARAM_INT,
	    "20", 1, 1000000, 0 },
	{ "smtpd_helo_required", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "smtpd_helo_restrictions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_junk_command_limit", PARAM_INT,
	    "100", 1, 1000000, 0 },
	{ "smtpd_min_data_rate", PARAM_INT,
	    "500", 1, 1L << 30, 0 },
	{ "smtpd_null_access_lookup_key", PARAM_STR,
	    "<>", 0, 0, 0 },
	{ "smtpd_peername_lookup", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtpd_per_record_deadline", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtpd_policy_service_default_action", PARAM_STR,
	    "451 4.3.5 Server configuration problem", 0, 0, 0 },
	{ "smtpd_policy_service_max_idle", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "smtpd_policy_service_max_ttl", PARAM_TIME,
	    "1000s", 1, ONE_WEEK, 's' },
	{ "smtpd_policy_service_policy_context", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_policy_service_request_limit", PARAM_INT,
	    "0", 0, 1L << 30, 0 },
	{ "smtpd_policy_service_retry_delay", PARAM_TIME,
	    "1s", 0, 600, 's' },
	{ "smtpd_policy_service_timeout", PARAM_TIME,
	    "100s", 1, ONE_DAY, 's' },
	{ "smtpd_policy_service_try_limit", PARAM_INT,
	    "2", 1, 100, 0 },
	{ "smtpd_process_session_limit", PARAM_INT,
	    "100", 1, 10000, 0 },
	{ "smtpd_recipient_limit", PARAM_INT,
	    "1000", 1, 1000000, 0 },
	{ "smtpd_recipient_restrictions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_reject_footer", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_reject_unlisted_recipient", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtpd_reject_unlisted_sender", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "smtpd_relay_before_recipient_restrictions", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtpd_relay_restrictions", PARAM_STR,
	    "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", 0, 0, 0 },
	{ "smtpd_restriction_classes", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_sender_restrictions", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_soft_error_limit", PARAM_INT,
	    "10", 1, 1000000, 0 },
	{ "smtpd_timeout", PARAM_TIME,
	    "300s", 1, ONE_DAY, 's' },
	{ "smtpd_tls_cert_file", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_tls_key_file", PARAM_STR,
	    "$smtpd_tls_cert_file", 0, 0, 0 },
	{ "smtpd_tls_mandatory_protocols", PARAM_STR,
	    "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 0, 0, 0 },
	{ "smtpd_tls_protocols", PARAM_STR,
	    "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 0, 0, 0 },
	{ "smtpd_tls_received_header", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "smtpd_tls_security_level", PARAM_STR,
	    "", 0, 0, 0 },
	{ "smtpd_tls_wrappermode", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "smtputf8_enable", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "soft_bounce", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "strict_rfc821_envelopes", PARAM_BOOL,
	    "no", 0, 0, 0 },
	{ "swap_bangpath", PARAM_BOOL,
	    "yes", 0, 0, 0 },
	{ "syslog_facility", PARAM_STR,
	    "mail", 0, 0, 0 },
	{ "syslog_name", PARAM_STR,
	    "sluice", 0, 0, 0 },
	{ "transport_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "unauth_pipelining_reject_code", PARAM_INT,
	    "503", 400, 599, 0 },
	{ "unknown_address_reject_code", PARAM_INT,
	    "450", 400, 599, 0 },
	{ "unknown_address_tempfail_action", PARAM_STR,
	    "$reject_tempfail_action", 0, 0, 0 },
	{ "unknown_client_reject_code", PARAM_INT,
	    "450", 400, 599, 0 },
	{ "unknown_helo_hostname_tempfail_action", PARAM_STR,
	    "$reject_tempfail_action", 0, 0, 0 },
	{ "unknown_hostname_reject_code", PARAM_INT,
	    "450", 400, 599, 0 },
	{ "unknown_local_recipient_reject_code", PARAM_INT,
	    "550", 400, 599, 0 },
	{ "unknown_relay_recipient_reject_code", PARAM_INT,
	    "550", 400, 599, 0 },
	{ "unknown_virtual_alias_reject_code", PARAM_INT,
	    "550", 400, 599, 0 },
	{ "unknown_virtual_mailbox_reject_code", PARAM_INT,
	    "550", 400, 599, 0 },
	{ "virtual_alias_domains", PARAM_STR,
	    "$virtual_alias_maps", 0, 0, 0 },
	{ "virtual_alias_expansion_limit", PARAM_INT,
	    "1000", 1, 1000000, 0 },
	{ "virtual_alias_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "virtual_alias_recursion_limit", PARAM_INT,
	    "1000", 1, 1000, 0 },
	{ "virtual_destination_concurrency_limit", PARAM_INT,
	    "$default_destination_concurrency_limit", 1, 10000, 0 },
	{ "virtual_destination_recipient_limit", PARAM_INT,
	    "$default_destination_recipient_limit", 1, 100000, 0 },
	{ "virtual_gid_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "virtual_mailbox_base", PARAM_STR,
	    "", 0, 0, 0 },
	{ "virtual_mailbox_domains", PARAM_STR,
	    "$virtual_mailbox_maps", 0, 0, 0 },
	{ "virtual_mailbox_limit", PARAM_INT,
	    "51200000", 0, 1L << 40, 0 },
	{ "virtual_mailbox_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ "virtual_minimum_uid", PARAM_INT,
	    "100", 0, 1L << 31, 0 },
	{ "virtual_transport", PARAM_STR,
	    "virtual", 0, 0, 0 },
	{ "virtual_uid_maps", PARAM_STR,
	    "", 0, 0, 0 },
	{ NULL, PARAM_STR, NULL, 0, 0, 0 },
};

/* param_compare - bsearch order of config_param_table */
static int
param_compare(const void *key, const void *elem)
{
	return (strcmp(key, ((const struct param_def *)elem)->name));
}

/* config_param_find - the table row of name, or NULL */
const struct param_def *
config_param_find(const char *name)
{
	size_t count = sizeof(config_param_table) /
	    sizeof(config_param_table[0]) - 1;

	if (name == NULL)
		return (NULL);
	return (bsearch(name, config_param_table, count,
	    sizeof(config_param_table[0]), param_compare));
}

/*
 * Value sets of STR parameters that accept only a few words: one of them,
 * or (list) any number of them separated by ", \t\r\n".  An empty value
 * is allowed only where "" is listed (or for a list).
 */
static const struct {
	const char	*name;
	bool		 list;
	const char	*words[12];
} config_enums[] = {
	{ "allow_mail_to_commands", true, { "alias", "forward", "include",
	    NULL } },
	{ "allow_mail_to_files", true, { "alias", "forward", "include", NULL } },
	{ "canonical_classes", true, { "envelope_sender",
	    "envelope_recipient", "header_sender", "header_recipient", NULL } },
	{ "inet_protocols", true, { "all", "ipv4", "ipv6", NULL } },
	{ "mailbox_delivery_lock", true, { "fcntl", "dotlock", NULL } },
	{ "masquerade_classes", true, { "envelope_sender",
	    "envelope_recipient", "header_sender", "header_recipient", NULL } },
	{ "notify_classes", true, { "bounce", "2bounce", "data", "delay",
	    "policy", "protocol", "resource", "software", NULL } },
	{ "parent_domain_matches_subdomains", true, { "debug_peer_list",
	    "fast_flush_domains", "mynetworks", "permit_mx_backup_networks",
	    "qmqpd_authorized_clients", "relay_domains", "smtpd_access_maps",
	    NULL } },
	{ "prepend_delivered_header", true, { "command", "file", "forward",
	    NULL } },
	{ "propagate_unmatched_extensions", true, { "canonical", "virtual",
	    "alias", "forward", "include", NULL } },
	/* what Sluice has of Postfix's words (no milters exist to skip) */
	{ "receive_override_options", true, { "no_header_body_checks",
	    "no_milters", "no_address_mappings", NULL } },
	{ "recipient_canonical_classes", true, { "envelope_recipient",
	    "header_recipient", NULL } },
	{ "sender_canonical_classes", true, { "envelope_sender",
	    "header_sender", NULL } },
	{ "reject_tempfail_action", false, { "defer", "defer_if_permit",
	    NULL } },
	{ "smtp_host_lookup", true, { "dns", "native", NULL } },
	{ "smtp_tls_security_level", false, { "", "none", "may", "encrypt",
	    "dane", "verify", "secure", NULL } },
	{ "smtpd_forbid_bare_newline", false, { "yes", "no", "normalize",
	    "reject", NULL } },
	{ "smtpd_tls_security_level", false, { "", "none", "may", "encrypt",
	    NULL } },
	{ "unknown_address_tempfail_action", false, { "defer",
	    "defer_if_permit", NULL } },
	{ "unknown_helo_hostname_tempfail_action", false, { "defer",
	    "defer_if_permit", NULL } },
	{ "syslog_facility", false, { "mail", "user", "daemon", "local0",
	    "local1", "local2", "local3", "local4", "local5", "local6",
	    "local7", NULL } },
};

/* config_enum_word - is word (len bytes) one of words? */
static bool
config_enum_word(const char *const *words, const char *word, size_t len)
{
	for (size_t w = 0; words[w] != NULL; w++)
		if (strlen(words[w]) == len && strncasecmp(word, words[w], len)
		    == 0)
			return (true);
	return (false);
}

/* config_enum_check - value against row i of config_enums; 0 or -1 */
static int
config_enum_check(size_t i, const char *name, const char *value,
    struct strbuf *err)
{
	static const char seps[] = ", \t\r\n";
	const char *p = value;
	size_t len;

	if (!config_enums[i].list) {
		if (config_enum_word(config_enums[i].words, value, strlen(value)))
			return (0);
		p = value;
		len = strlen(value);
	} else {
		for (;;) {
			p += strspn(p, seps);
			if (*p == '\0')
				return (0);
			len = strcspn(p, seps);
			if (!config_enum_word(config_enums[i].words, p, len))
				break;
			p += len;
		}
	}
	strbuf_printf(err, "bad value \"%.*s\" for parameter %s (expected %s",
	    (int)(len > 100 ? 100 : len), p, name, config_enums[i].list ?
	    "a list of" : "one of");
	for (size_t w = 0; config_enums[i].words[w] != NULL; w++)
		strbuf_printf(err, "%s%s", w ? ", " : ": ",
		    *config_enums[i].words[w] ? config_enums[i].words[w] :
		    "(empty)");
	strbuf_putc(err, ')');
	return (-1);
}

/*
 * config_filter_check - content_filter: empty, or transport:nexthop with
 * a master.cf service name as transport (qmgr connects to private/NAME)
 */
static int
config_filter_check(const char *name, const char *value, struct strbuf *err)
{
	size_t	 n = strspn(value, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	if (*value == '\0' || (n > 0 && value[n] == ':' && value[0] != '.' &&
	    strpbrk(value, " \t\r\n") == NULL))
		return (0);
	strbuf_printf(err, "bad value \"%.100s\" for parameter %s (expected "
	    "transport:nexthop)", value, name);
	return (-1);
}

/* config_parse_long - a decimal integer, whole string, no overflow */
static int
config_parse_long(const char *s, const char **rest, long *val)
{
	char *end;

	if (!isdigit((unsigned char)*s) && !(*s == '-' &&
	    isdigit((unsigned char)s[1])))
		return (-1);
	errno = 0;
	*val = strtol(s, &end, 10);
	if (errno == ERANGE)
		return (-1);
	*rest = end;
	return (0);
}

/* config_parse_time - "N[unit]" in milliseconds; bare N is in unit */
static int
config_parse_time(const char *s, char unit, long *ms)
{
	static const struct {
		const char	*suffix;
		long		 ms;
	} units[] = {
		{ "ms", 1L }, { "s", 1000L }, { "m", 60000L },
		{ "h", 3600000L }, { "d", 86400000L }, { "w", 604800000L },
	};
	char bare[2] = { unit ? unit : 's', '\0' };
	const char *rest;
	long n;

	if (config_parse_long(s, &rest, &n) != 0 || n < 0)
		return (-1);
	if (*rest == '\0')
		rest = bare;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(rest, units[i].suffix) != 0)
			continue;
		if (n > LONG_MAX / units[i].ms)
			return (-1);
		*ms = n * units[i].ms;
		return (0);
	}
	return (-1);
}

/* config_parse_bool - yes/no/true/false/1/0, any case */
static int
config_parse_bool(const char *s, bool *val)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0)
		*val = true;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcmp(s, "0") == 0)
		*val = false;
	else
		return (-1);
	return (0);
}

/* config_param_check - validate one expanded value against its row */
int
config_param_check(const struct param_def *def, enum param_type type,
    const char *name, const char *value, long *out, struct strbuf *err)
{
	long min = def ? def->min : LONG_MIN, max = def ? def->max : LONG_MAX;
	const char *rest = "";
	bool flag;
	long n = 0;

	switch (type) {
	case PARAM_STR:
		if (strcmp(name, "content_filter") == 0)
			return (config_filter_check(name, value, err));
		for (size_t i = 0; i < sizeof(config_enums) /
		    sizeof(config_enums[0]); i++)
			if (strcmp(config_enums[i].name, name) == 0)
				return (config_enum_check(i, name, value, err));
		return (0);
	case PARAM_BOOL:
		if (config_parse_bool(value, &flag) == 0) {
			*out = flag;
			return (0);
		}
		strbuf_printf(err, "bad boolean value \"%.100s\" for parameter "
		    "%s (expected yes or no)", value, name);
		return (-1);
	case PARAM_INT:
		if (config_parse_long(value, &rest, &n) != 0 || *rest != '\0') {
			strbuf_printf(err, "bad integer value \"%.100s\" for "
			    "parameter %s", value, name);
			return (-1);
		}
		if (n < min || n > max) {
			strbuf_printf(err, "parameter %s = %ld out of range "
			    "(%ld..%ld)", name, n, min, max);
			return (-1);
		}
		*out = n;
		return (0);
	case PARAM_TIME:
		if (config_parse_time(value, def ? def->time_unit : 's', &n)
		    != 0) {
			strbuf_printf(err, "bad time value \"%.100s\" for "
			    "parameter %s (expected a number with an optional "
			    "unit ms, s, m, h, d or w)", value, name);
			return (-1);
		}
		if (def != NULL && (n < def->min * 1000 ||
		    (def->max <= LONG_MAX / 1000 && n > def->max * 1000))) {
			strbuf_printf(err, "parameter %s = %s out of range "
			    "(%lds..%lds)", name, value, def->min, def->max);
			return (-1);
		}
		*out = n;
		return (0);
	}
	msg_panic("config_param_check: bad type %d", (int)type);
}
