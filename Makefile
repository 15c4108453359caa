# Waybill build. `make run` and `make test` do the whole set-up on Debian 12.
# SAN=1 builds into build-asan/ with AddressSanitizer and UBSan.

PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := ncursesw libcurl jansson sqlite3 libuv libmicrohttpd libcrypto uuid zlib
TESTPKGS := cmocka

ifeq ($(SAN),1)
B        := build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
else
B        := build
SANFLAGS :=
OPT      := -O2 -g
endif

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wno-unused-parameter -Werror=implicit-function-declaration
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS = $(shell pkg-config --cflags $(TESTPKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TESTPKGS) 2>/dev/null)
CFLAGS   ?=
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) $(SANFLAGS) \
            -I. -MMD -MP $(PKG_CFLAGS) -DWAYBILL_VERSION='"$(VERSION)"' \
            -DWAYBILL_DATADIR='"$(PREFIX)/share/waybill"'
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -lpthread
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
Q        ?= @

# Every folder of mk/layers but sim/ builds as its own static library; a
# program links them in the reverse of that order (each after those above it).
LAYERS   := $(shell sed -n 's/^\([a-z]*\):.*/\1/p' mk/layers | grep -v '^sim$$')
LINK_ORDER := $(shell echo $(LAYERS) | tr ' ' '\n' | tac)
LAYER_LIBS := $(foreach l,$(LINK_ORDER),$(B)/lib/libwb_$(l).a)
LIB_SRC  := $(filter-out cli/main.c,$(foreach l,$(LAYERS),$(wildcard $(l)/*.c)))
SIM_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
SIM_OBJ  := $(SIM_SRC:%.c=$(B)/obj/%.o)
SIM_LIBS := $(B)/lib/libwb_model.a $(B)/lib/libwb_base.a
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
SIMT_BIN := $(patsubst tests/sim/%.c,$(B)/tests/%,$(wildcard tests/sim/test_*.c))
TOOL_BIN := $(patsubst tests/tools/%.c,$(B)/tests/tools/%,$(wildcard tests/tools/*.c))
BENCH_BIN:= $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))
BINS     := $(B)/waybill $(B)/waybill-sim

.PHONY: all deps run test check-asan bench bench-tryton bench-dialects demo-tryton seeds install clean format check-format fuzz-built fuzz mutate
# Keep the test and benchmark objects make would otherwise delete as intermediates.
.SECONDARY:

all: $(BINS)

deps:
	@sh mk/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

define layer_lib
$(B)/lib/libwb_$(1).a: $(filter $(B)/obj/$(1)/%,$(LIB_OBJ))
	@mkdir -p $$(dir $$@)
	@echo "  AR      $$@"
	$(Q)rm -f $$@ && $(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l))))

$(B)/libwbsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(B)/waybill: $(B)/obj/cli/main.o $(LAYER_LIBS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/waybill-sim: $(B)/obj/sim/main.o $(B)/libwbsim.a $(SIM_LIBS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests -c $< -o $@

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LAYER_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

$(B)/tests/%: $(B)/obj/tests/sim/%.o $(B)/libwbsim.a $(LAYER_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

$(B)/tests/tools/%: $(B)/obj/tests/tools/%.o $(B)/libwbsim.a $(LAYER_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/obj/bench/%.o $(B)/libwbsim.a $(LAYER_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

tests-built: $(BINS) $(UNIT_BIN) $(SIMT_BIN) $(TOOL_BIN)

run: deps
	@$(MAKE) --no-print-directory all
	./$(B)/waybill --demo

test: deps
	@$(MAKE) --no-print-directory tests-built fuzz-built
	@sh tests/run.sh $(B)

check-asan: deps
	@$(MAKE) --no-print-directory SAN=1 tests-built
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  sh tests/run.sh build-asan

bench: deps
	@$(MAKE) --no-print-directory $(BINS) $(BENCH_BIN) $(TOOL_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; ./$$b || exit 1; done
	@for b in bench/*.sh; do echo "== $$b"; sh $$b $(B) || exit 1; done

# Records/s from a real Tryton into the cache beside a plain JSON-RPC script
# (bench/tryton.sh; also part of `make bench`).
bench-tryton: deps
	@$(MAKE) --no-print-directory $(BINS)
	@sh bench/tryton.sh $(B)

# Positions/s into the cache and CPU per 1,000 positions per telematics
# dialect, beside the canonical connector (bench/dialects.sh; also part of
# `make bench`). DIALECTS="samsara traccar" for some; BENCH_VEHICLES=N.
bench-dialects: deps
	@$(MAKE) --no-print-directory $(BINS)
	@sh bench/dialects.sh $(B)

# The console with a seeded Tryton (mirroring the simulator's world) as the
# ERP beside the simulator's TMS and telematics (docs/connectors/tryton.md).
demo-tryton: deps
	@$(MAKE) --no-print-directory all
	@sh tests/tryton/demo.sh $(B)

# The scenario stories over the first SEEDS_N simulator seeds (default 50):
# per seed and story what the local detectors raised and missed, a summary.
SEEDS_N ?= 50
seeds: deps
	@$(MAKE) --no-print-directory $(BINS)
	@WAYBILL_BUILD=$(B) SEEDS="$$(seq 1 $(SEEDS_N))" LC_ALL=C.UTF-8 sh tests/integration/seeds.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/waybill/themes \
	           $(DESTDIR)$(PREFIX)/share/waybill/scenarios $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(B)/waybill $(B)/waybill-sim $(DESTDIR)$(PREFIX)/bin/
	install -m 644 themes/*.theme $(DESTDIR)$(PREFIX)/share/waybill/themes/
	install -m 644 sim/scenarios/*.scn $(DESTDIR)$(PREFIX)/share/waybill/scenarios/
	install -m 644 docs/waybill.1 $(DESTDIR)$(PREFIX)/share/man/man1/

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# What tests/integration/format.sh checks in `make test`.
check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') && echo "format: clean"

# --- mutation testing (tests/mutate/run.sh) ----------------------------------
# Each mutant of tests/mutate/mutants.txt applied alone to a copy of the tree in
# build-mutate/, built and run against the fast tests; one line per mutant and
# the score. Fails under 95 % or with a survivor not marked equivalent.
# MUTATE_ONLY=id,id runs some. Slow and CPU-heavy: it runs at nice 10.
mutate: deps
	@nice -n 10 sh tests/mutate/run.sh tests/mutate/mutants.txt

# --- fuzzing (docs/fuzzing.md) -----------------------------------------------
# libFuzzer harnesses (tests/fuzz/fuzz_*.c) built by clang into build-fuzz/, the
# project's sources with -fsanitize=fuzzer-no-link plus ASan and UBSan; the gcc
# builds above are untouched. `make fuzz` runs each for FUZZ_SECONDS.
FB          := build-fuzz
FUZZ_CC     ?= clang
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g $(WARN) $(FUZZ_SAN) \
               -I. -MMD -MP -DWAYBILL_VERSION='"$(VERSION)"' \
               -DWAYBILL_DATADIR='"$(PREFIX)/share/waybill"'
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(FUZZ_NAMES:%=$(FB)/fuzz_%)
FUZZ_LIBS   := $(foreach l,$(LINK_ORDER),$(FB)/lib/libwb_$(l).a)
FUZZ_SECONDS ?= 60

$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC/FUZZ $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

define fuzz_layer_lib
$(FB)/lib/libwb_$(1).a: $(patsubst %.c,$(FB)/obj/%.o,$(filter $(1)/%,$(LIB_SRC)))
	@mkdir -p $$(dir $$@)
	@echo "  AR      $$@"
	$(Q)rm -f $$@ && $(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call fuzz_layer_lib,$(l))))

$(FB)/libwbsim.a: $(SIM_SRC:%.c=$(FB)/obj/%.o)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FB)/fuzz_%: $(FB)/obj/tests/fuzz/fuzz_%.o $(FB)/libwbsim.a $(FUZZ_LIBS)
	@echo "  LD/FUZZ $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

fuzz-built: $(FUZZ_BIN)

# Each harness for FUZZ_SECONDS on its corpus (tests/fuzz/corpus/NAME, new finds
# go to build-fuzz/corpus/NAME) with its dictionary; crashes land in
# build-fuzz/crashes/. One line per harness at the end: runs, coverage, findings.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-built
	@sh tests/fuzz/run.sh $(FB) $(FUZZ_SECONDS) $(FUZZ_NAMES)

clean:
	rm -rf build build-asan $(FB)

-include $(shell find build build-asan $(FB) -name '*.d' 2>/dev/null)
