# Sluice - top-level build.
#
#   make            build every program into build/bin
#   make check      build with ASan/UBSan into build/san and run every test
#   make run        install missing deps, build, start a demo under ./run/
#   make install    DESTDIR=... PREFIX=... : programs, man pages, config
#
# Programs are directories: every .c file in a program's directory is
# linked with build/.../libsluice.a (all of lib/).

BUILD	?= build
PREFIX	?= /usr/local
SYSCONFDIR ?= /etc/sluice
DESTDIR	?=
SAN	?=
PYTEST	?= /usr/bin/python3 -m pytest

CC	?= cc
PKGS	 = lmdb libssl libcrypto libunbound libpcre2-8
LIBEXECDIR ?= $(PREFIX)/libexec/sluice
# lib/ is grouped by subsystem (lib/README.md); headers are included by
# name from every group
LIB_DIRS := $(sort $(dir $(wildcard lib/*/*.c lib/*/*.h)))
CPPFLAGS += -D_GNU_SOURCE -Ilib $(patsubst %/,-I%,$(LIB_DIRS)) -DSLUICE_CONFIG_DIR='"$(SYSCONFDIR)"' \
	    -DSLUICE_DAEMON_DIR='"$(LIBEXECDIR)"'
CFLAGS	?= -O2 -g
# Always applied, even when CFLAGS is given on the command line.
SLUICE_CFLAGS = -std=c17 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
	   -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lssl -lcrypto -lunbound -lpcre2-8)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

ifeq ($(SAN),1)
SLUICE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

# name:directory of each program (a directory without .c files yet is
# skipped, so work in progress never breaks the build of the rest)
ALL_PROGRAMS = master:master smtpd:smtpd cleanup:cleanup qmgr:qmgr local:local \
	pickup:pickup showq:showq smtp:smtp anvil:anvil bounce:bounce sluice:cli/sluice sendmail:cli/sendmail \
	sluice-drop:cli/sluice-drop sluice-queue:cli/sluice-queue \
	sluice-super:cli/sluice-super sluice-map:cli/sluice-map \
	sluice-conf:cli/sluice-conf
PROGRAMS = $(foreach p,$(ALL_PROGRAMS),$(if $(wildcard $(word 2,$(subst :, ,$(p)))/*.c),$(p)))
DAEMONS	= master smtpd cleanup qmgr local pickup showq smtp anvil bounce sluice-drop
prog_name = $(word 1,$(subst :, ,$(1)))
prog_dir  = $(word 2,$(subst :, ,$(1)))

LIB_SRC	= $(wildcard lib/*.c lib/*/*.c)
LIB_OBJ	= $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIBA	= $(BUILD)/libsluice.a
BINS	= $(foreach p,$(PROGRAMS),$(BUILD)/bin/$(call prog_name,$(p)))

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(filter-out tests/fuzz/driver.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# The fault-injection shim the integration tests preload into daemons
# (tests/fault/fault_inject.c): never sanitized itself, never installed.
FAULT_SO = $(BUILD)/fault/fault_inject.so

SETGID_PROGRAMS = sluice-drop sluice-queue
SETGID_GROUP ?= sluicedrop
.PHONY: all check unit unit-bins fuzz-bins fault-bins fuzz-regress fuzz integration run install clean deps bench
all: $(BINS) $(if $(filter sendmail:%,$(PROGRAMS)),$(BUILD)/bin/mailq $(BUILD)/bin/newaliases)

# mailq and newaliases are sendmail under other names, as everywhere.
$(BUILD)/bin/mailq $(BUILD)/bin/newaliases: $(BUILD)/bin/sendmail
	ln -sf sendmail $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SLUICE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The compiled-in paths: objects that use them are rebuilt when
# PREFIX/SYSCONFDIR/LIBEXECDIR change between a build and make install.
PATHS_STAMP = $(BUILD)/paths.stamp
$(PATHS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(SYSCONFDIR) $(LIBEXECDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR) $(LIBEXECDIR)' > $@
$(BUILD)/obj/lib/config/config.o $(BUILD)/obj/lib/config/config_params.o \
$(BUILD)/obj/tests/unit/test_config.o: $(PATHS_STAMP)
FORCE:

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Every program's parameter table (<program>/params.c, data only): the
# programs that run the one configuration check (lib/config_programs.h)
# and its unit test link them all, before the library, whose modules'
# tables they name.
PARAMS_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard */params.c cli/*/params.c))
$(BUILD)/bin/master $(BUILD)/bin/sluice: $(PARAMS_OBJ)
$(BUILD)/tests/test_config_programs: $(PARAMS_OBJ)

define PROGRAM_RULE
$(BUILD)/bin/$(call prog_name,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(call prog_dir,$(1))/*.c)) $(LIBA)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter-out $$(LIBA),$$^) $$(LIBA) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_RULE,$(p))))

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/unit.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter-out $(LIBA),$^) $(LIBA) $(LDLIBS) $(CHECK_LIBS)

# The bounce service's notice builder is tested on its own: test_bounce
# links the program's objects (not its main.o) before the library.
$(BUILD)/tests/test_bounce: $(BUILD)/obj/tests/unit/test_bounce.o $(BUILD)/obj/tests/unit/unit.o $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out bounce/main.c,$(wildcard bounce/*.c))) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/obj/tests/unit/test_bounce.o: CPPFLAGS += -Ibounce

# Harnesses of a program's internals, tests/fuzz/fuzz_<program>_<what>.c,
# link the program's objects (not its main.o).  Make prefers the rule
# with the shorter stem, so fuzz_smtpd_x is not taken for fuzz_smtp_*.
FUZZ_PROGRAMS = smtpd smtp cli/sendmail pickup local anvil cleanup
program_obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(1)/main.c,$(wildcard $(1)/*.c)))
SMTPD_OBJ = $(call program_obj,smtpd)
SMTP_OBJ = $(call program_obj,smtp)
$(BUILD)/fuzz/fuzz_smtpd_%: $(BUILD)/obj/tests/fuzz/fuzz_smtpd_%.o $(BUILD)/obj/tests/fuzz/driver.o $(SMTPD_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_smtpd_%.o: CPPFLAGS += -Ismtpd
$(BUILD)/fuzz/fuzz_smtp_%: $(BUILD)/obj/tests/fuzz/fuzz_smtp_%.o $(BUILD)/obj/tests/fuzz/driver.o $(SMTP_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_smtp_%.o: CPPFLAGS += -Ismtp
SENDMAIL_OBJ = $(call program_obj,cli/sendmail)
$(BUILD)/fuzz/fuzz_sendmail_%: $(BUILD)/obj/tests/fuzz/fuzz_sendmail_%.o $(BUILD)/obj/tests/fuzz/driver.o $(SENDMAIL_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_sendmail_%.o: CPPFLAGS += -Icli/sendmail
PICKUP_OBJ = $(call program_obj,pickup)
$(BUILD)/fuzz/fuzz_pickup_%: $(BUILD)/obj/tests/fuzz/fuzz_pickup_%.o $(BUILD)/obj/tests/fuzz/driver.o $(PICKUP_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_pickup_%.o: CPPFLAGS += -Ipickup
ANVIL_OBJ = $(call program_obj,anvil)
$(BUILD)/fuzz/fuzz_anvil_%: $(BUILD)/obj/tests/fuzz/fuzz_anvil_%.o $(BUILD)/obj/tests/fuzz/driver.o $(ANVIL_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_anvil_%.o: CPPFLAGS += -Ianvil
CLEANUP_OBJ = $(call program_obj,cleanup)
$(BUILD)/fuzz/fuzz_cleanup_%: $(BUILD)/obj/tests/fuzz/fuzz_cleanup_%.o $(BUILD)/obj/tests/fuzz/driver.o $(CLEANUP_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_cleanup_%.o: CPPFLAGS += -Icleanup
LOCAL_OBJ = $(call program_obj,local)
$(BUILD)/fuzz/fuzz_local_%: $(BUILD)/obj/tests/fuzz/fuzz_local_%.o $(BUILD)/obj/tests/fuzz/driver.o $(LOCAL_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/obj/tests/fuzz/fuzz_local_%.o: CPPFLAGS += -Ilocal

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/driver.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# check: everything under the sanitizers, in its own build tree.
check:
	@scripts/install-deps
	$(MAKE) SAN=1 BUILD=build/san all unit-bins fuzz-bins fault-bins
	$(MAKE) SAN=1 BUILD=build/san unit fuzz-regress integration

unit-bins: $(UNIT_BIN)
fuzz-bins: $(FUZZ_BIN)
fault-bins: $(FAULT_SO)

$(FAULT_SO): tests/fault/fault_inject.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -U_FORTIFY_SOURCE -std=c17 -Wall -Wextra -Werror \
	  -O2 -g -fPIC -shared -o $@ $< -ldl

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; CK_FORK=yes $$t; done

fuzz-regress: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  echo "== $$n"; $$f tests/fuzz/corpus/$${n#fuzz_}; done

# fuzz: real coverage-guided fuzzing with clang's libFuzzer, one target:
#   make fuzz FUZZ=address [FUZZ_SECONDS=60]
FUZZ_SECONDS ?= 60
fuzz:
	@test -n "$(FUZZ)" || { echo "usage: make fuzz FUZZ=name" >&2; exit 2; }
	@scripts/install-deps --fuzz
	$(MAKE) CC=clang BUILD=build/fuzz CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" build/fuzz/libsluice.a
	@mkdir -p build/fuzz/corpus-$(FUZZ)
	clang -D_GNU_SOURCE -Ilib $(patsubst %/,-I%,$(LIB_DIRS)) $(foreach p,$(FUZZ_PROGRAMS),-I$(p)) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  tests/fuzz/fuzz_$(FUZZ).c $(foreach p,$(FUZZ_PROGRAMS),$(if $(filter $(notdir $(p))_%,$(FUZZ)),$(filter-out $(p)/main.c,$(wildcard $(p)/*.c)))) \
	  build/fuzz/libsluice.a $(LDLIBS) -lpthread -o build/fuzz/fuzz_$(FUZZ)
	build/fuzz/fuzz_$(FUZZ) -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$(FUZZ) tests/fuzz/corpus/$(FUZZ)

integration: $(BINS) $(FAULT_SO)
	SLUICE_BIN=$(abspath $(BUILD)/bin) $(PYTEST) -q tests/integration

# Sluice against Postfix side by side (root; not part of check).
# Options: make bench BENCH_ARGS="--quick" (see bench/README.md).
bench: all
	SLUICE_BIN=$(abspath $(BUILD)/bin) /usr/bin/python3 bench/run.py $(BENCH_ARGS)

run: deps
	$(MAKE) all
	@scripts/create-users
	@if [ ! -f run/etc/main.cf ]; then $(BUILD)/bin/sluice init run --port 2525; fi
	@echo "sluice: demo instance in ./run, SMTP on 127.0.0.1:2525 (Ctrl-C stops it)"
	$(BUILD)/bin/sluice -c run/etc start -f

deps:
	@scripts/install-deps --build-only

install: all
	@# root sets owners and modes by name below: only in root's own directories
	@[ "$$(id -u)" -ne 0 ] || scripts/root-only-dirs $(DESTDIR)$(PREFIX)/sbin \
	  $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(PREFIX)/share/man \
	  $(DESTDIR)$(SYSCONFDIR) || { echo "install: refusing to install as root \
	into a directory another user can write (above)" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBEXECDIR) \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(SYSCONFDIR)
	for p in $(filter-out $(DAEMONS),$(foreach p,$(PROGRAMS),$(call prog_name,$(p)))); do \
	  install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/sbin/$$p; done
	for p in $(filter $(DAEMONS),$(foreach p,$(PROGRAMS),$(call prog_name,$(p)))); do \
	  install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(LIBEXECDIR)/$$p; done
	[ ! -e $(BUILD)/bin/sendmail ] || { ln -sf sendmail $(DESTDIR)$(PREFIX)/sbin/mailq; \
	  ln -sf sendmail $(DESTDIR)$(PREFIX)/sbin/newaliases; }
	@# the submission helpers are setgid $(SETGID_GROUP) when we can arrange it
	for p in $(SETGID_PROGRAMS); do f=$(DESTDIR)$(LIBEXECDIR)/$$p; \
	  [ -e $$f ] || f=$(DESTDIR)$(PREFIX)/sbin/$$p; [ -e $$f ] || continue; \
	  if [ "$$(id -u)" -eq 0 ] && getent group $(SETGID_GROUP) >/dev/null; then \
	    chgrp $(SETGID_GROUP) $$f && chmod 2755 $$f; \
	  else echo "install: make $$f setgid $(SETGID_GROUP) (chgrp + chmod 2755)" >&2; fi; done
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	if ls man/*.1 >/dev/null 2>&1; then install -d $(DESTDIR)$(PREFIX)/share/man/man1 && \
	  install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi
	for f in conf/main.cf conf/master.cf conf/aliases; do \
	  [ -e $(DESTDIR)$(SYSCONFDIR)/$$(basename $$f) ] || \
	  install -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/; done

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
