/*
 * test_config_lists - unit tests of lib/config/config_lists.c: list-valued
 * parameters open into their lists, an empty table list is NULL, and an
 * unusable value ends the daemon (msg_fatal: exit status 1).
 */
#include <check.h>
#include <stdlib.h>

#include "config_lists.h"
#include "unit.h"

/* cfg_with - a configuration with one parameter set */
static struct config *
cfg_with(const char *name, const char *value)
{
	struct config *cfg = config_new("/nonexistent");

	config_set(cfg, name, value);
	return (cfg);
}

START_TEST(test_maps)
{
	struct config *cfg = cfg_with("virtual_alias_maps", " , ");
	struct map_list *maps;

	ck_assert_ptr_null(config_maps(cfg, "virtual_alias_maps"));
	config_set(cfg, "virtual_alias_maps", "static:x, inline:{ {a = b} }");
	maps = config_maps(cfg, "virtual_alias_maps");
	ck_assert_ptr_nonnull(maps);
	ck_assert_int_eq(map_list_count(maps), 2);
	map_list_close(maps);
	config_free(cfg);
}
END_TEST

START_TEST(test_domains_and_networks)
{
	struct config *cfg = cfg_with("relay_domains", "example.test, .sub.test");
	struct domain_list *d;
	struct netlist *n;

	d = config_domains(cfg, "relay_domains");
	ck_assert_ptr_nonnull(d);
	domain_list_free(d);
	config_set(cfg, "mynetworks", "127.0.0.0/8 [::1]/128");
	n = config_networks(cfg, "mynetworks");
	ck_assert_ptr_nonnull(n);
	netlist_free(n);
	config_free(cfg);
}
END_TEST

START_TEST(test_bad_maps_are_fatal)
{
	(void)config_maps(cfg_with("virtual_alias_maps", "nosuchtype:x"),
	    "virtual_alias_maps");
}
END_TEST

START_TEST(test_bad_networks_are_fatal)
{
	(void)config_networks(cfg_with("mynetworks", "300.1.2.3/8"),
	    "mynetworks");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_lists");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_maps);
	tcase_add_test(tc, test_domains_and_networks);
	tcase_add_exit_test(tc, test_bad_maps_are_fatal, 1);
	tcase_add_exit_test(tc, test_bad_networks_are_fatal, 1);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
