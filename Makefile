# ebpfmon: one entry point. `make` builds build/ebpfmon; `make run`, `make test`,
# `make bench`. As root on Debian, missing build/test packages are installed first.

BUILD      ?= build
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VERSION    := 0.1.0
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

PKGS       := libbpf libmicrohttpd inih ncursesw libcap-ng yaml-0.1 gnutls libxcrypt libmnl libcurl
# Container names from the runtimes' APIs (core/container_names.c): JSON answers.
PKGS       += json-c
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz -lpthread

CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-format-truncation
CPPFLAGS   += -D_GNU_SOURCE -DEBPFMON_VERSION='"$(VERSION)"' -Isrc -I$(BUILD)/skel
# -mcpu=v3: 32-bit atomics and registers (kernels from 5.1). The multiarch
# include directory gives the syscall numbers (asm/unistd.h) and nothing else.
MULTIARCH  := $(shell $(CC) -dumpmachine 2>/dev/null)
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(BUILD) -Isrc -idirafter /usr/include/$(MULTIARCH)

# Kernel halves: one per module folder, plus the accounting core's.
BPF_SRCS   := $(wildcard src/modules/*/*.bpf.c src/core/bpf/*.bpf.c)
BPF_OBJS   := $(patsubst src/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(foreach s,$(BPF_SRCS),$(BUILD)/skel/$(notdir $(s:.bpf.c=.skel.h)))

USER_SRCS  := $(filter-out %.bpf.c,$(wildcard src/*.c src/core/*.c src/export/*.c \
	src/ui/*.c src/modules/*/*.c))
USER_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
# Everything but main(): linked into the unit tests too.
LIB_OBJS   := $(filter-out $(BUILD)/obj/main.o,$(USER_OBJS))

DEPS_STAMP := $(BUILD)/.deps-build

.PHONY: all run test bench clean deps-build deps-test deps-fuzz fuzz format tidy
# Keep objects and skeletons that pattern chains would treat as intermediate.
.SECONDARY:
all: $(BUILD)/ebpfmon

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	@scripts/deps.sh build
	@touch $@

$(BUILD)/vmlinux.h: | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@test -r $(VMLINUX_BTF) || { echo "ebpfmon: $(VMLINUX_BTF) not readable: kernel needs CONFIG_DEBUG_INFO_BTF, or set VMLINUX_BTF=" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: src/%.bpf.c $(BUILD)/vmlinux.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# One skeleton per kernel half, named after its file stem (acct.skel.h -> struct acct_bpf).
define skel_rule
$(BUILD)/skel/$(notdir $(1:.bpf.c=.skel.h)): $(patsubst src/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(1))
	@mkdir -p $$(dir $$@)
	$(BPFTOOL) gen skeleton $$< name $(notdir $(1:.bpf.c=))_bpf > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach s,$(BPF_SRCS),$(eval $(call skel_rule,$(s))))

$(BUILD)/obj/%.o: src/%.c | $(SKELS) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/ebpfmon: $(USER_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

run: $(BUILD)/ebpfmon
	$(BUILD)/ebpfmon run $(ARGS)

# ---- tests -------------------------------------------------------------------
# Unit tests are built a second time with AddressSanitizer and UBSan.
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS  := $(patsubst $(BUILD)/obj/%,$(BUILD)/asan/%,$(LIB_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_HELPERS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/kernel/*.c tests/bpf/*.c))

$(BUILD)/asan/%.o: src/%.c | $(SKELS) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g $(SAN) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(ASAN_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g $(SAN) $(WARN) -Itests -o $@ $(filter-out %.h,$^) $(PKG_LIBS) -lcmocka

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -Itests -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/kernel/%: tests/kernel/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE -o $@ $< -lpthread

# Static: exec'ing it makes no syscall of its own before its work (no loader).
$(BUILD)/tests/kernel/closer: tests/kernel/closer.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -static -o $@ $<

deps-test:
	@scripts/deps.sh test

test: deps-test
	@$(MAKE) --no-print-directory $(BUILD)/ebpfmon $(UNIT_BINS) $(TEST_HELPERS) $(FUZZ_BINS)
	@BUILD=$(BUILD) tests/run.sh

bench: $(BUILD)/ebpfmon $(TEST_HELPERS)
	@scripts/deps.sh bench
	@BUILD=$(BUILD) bench/run.sh

# ---- fuzzing -------------------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_*.c) over the library objects built again
# with clang, coverage and ASan/UBSan. `make fuzz` runs each for FUZZ_SECONDS
# from its seeds in tests/fuzz/corpus/<target>; `make test` runs each briefly.
FUZZ_CC    ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_WARN  := -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-unknown-warning-option
FUZZ_OBJS  := $(patsubst $(BUILD)/obj/%,$(BUILD)/fuzz/obj/%,$(LIB_OBJS))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/obj/%.o: src/%.c | $(SKELS) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(FUZZ_WARN) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) | $(SKELS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(FUZZ_WARN) -Itests -MMD -MP -MF $@.d -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

deps-fuzz:
	@scripts/deps.sh fuzz

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CORPUS=$(BUILD)/fuzz/corpus tests/fuzz/targets.t.sh

# ---- kernel-asan: the agent built with ASan/UBSan ---------------------------
# The unit tests' sanitizer objects (build/asan/*.o) plus main(), so the
# kernel-tier scenarios can run against a sanitized agent (tests/run.sh,
# tier kernel-asan). `make asan` builds it alone. tests/asan/ubsan_log.c
# sends UBSan's reports to a file as ASan's go (see there).
.PHONY: asan
asan: $(BUILD)/ebpfmon-asan

$(BUILD)/ebpfmon-asan: $(ASAN_OBJS) $(BUILD)/asan/main.o tests/asan/ubsan_log.c
	$(CC) $(CPPFLAGS) -O1 -g $(SAN) $(WARN) -o $@ $^ $(PKG_LIBS) -ldl

test: $(BUILD)/ebpfmon-asan
# ---- end of kernel-asan -------------------------------------------------------

format:
	clang-format -i $(USER_SRCS) $(BPF_SRCS) $(wildcard src/*/*.h src/modules/*/*.h tests/*/*.c)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- install ------------------------------------------------------------------
# `make install PREFIX=/usr DESTDIR=/tmp/pkg`: the binary, the Netdata plugin
# name (a symlink: the mode is chosen by argv[0]), the man page, the systemd
# unit (ExecStart pointing at SBINDIR), the documentation, and the default
# configuration unless one is there already. `make uninstall` removes them
# all but the configuration. `make man` regenerates docs/ebpfmon.8 from --help.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/ebpfmon
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# The binary reads /etc/ebpfmon/ebpfmon.conf by default: not under PREFIX.
CONFDIR    ?= /etc/ebpfmon
INSTALL    ?= install
DOCS       := README.md $(wildcard docs/*.md)

.PHONY: install uninstall man
install: $(BUILD)/ebpfmon
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/ebpfmon $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR)
	$(INSTALL) -m 0755 $(BUILD)/ebpfmon $(DESTDIR)$(SBINDIR)/ebpfmon
	ln -sfn ../../sbin/ebpfmon $(DESTDIR)$(LIBEXECDIR)/ebpfmon/ebpfmon.plugin
	$(INSTALL) -m 0644 docs/ebpfmon.8 $(DESTDIR)$(MANDIR)/man8/ebpfmon.8
	sed -e 's#/usr/sbin/ebpfmon #$(SBINDIR)/ebpfmon #' -e 's#/etc/ebpfmon/#$(CONFDIR)/#' \
		packaging/systemd/ebpfmon.service >$(BUILD)/ebpfmon.service
	$(INSTALL) -m 0644 $(BUILD)/ebpfmon.service $(DESTDIR)$(UNITDIR)/ebpfmon.service
	$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	@if [ -e $(DESTDIR)$(CONFDIR)/ebpfmon.conf ]; then \
		echo "ebpfmon: $(DESTDIR)$(CONFDIR)/ebpfmon.conf exists: kept"; \
	else \
		$(BUILD)/ebpfmon config >$(BUILD)/ebpfmon.conf && \
		$(INSTALL) -m 0644 $(BUILD)/ebpfmon.conf $(DESTDIR)$(CONFDIR)/ebpfmon.conf && \
		echo "ebpfmon: installed the default configuration $(DESTDIR)$(CONFDIR)/ebpfmon.conf"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ebpfmon $(DESTDIR)$(LIBEXECDIR)/ebpfmon/ebpfmon.plugin \
		$(DESTDIR)$(MANDIR)/man8/ebpfmon.8 $(DESTDIR)$(UNITDIR)/ebpfmon.service \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	-rmdir $(DESTDIR)$(LIBEXECDIR)/ebpfmon $(DESTDIR)$(DOCDIR) 2>/dev/null
	@echo "ebpfmon: $(DESTDIR)$(CONFDIR)/ebpfmon.conf is kept (remove it by hand if unwanted)"

man: $(BUILD)/ebpfmon
	scripts/gen-man.sh $(BUILD)/ebpfmon >$(BUILD)/ebpfmon.8 && mv $(BUILD)/ebpfmon.8 docs/ebpfmon.8
# ---- end of install -------------------------------------------------------------
