# sigverify — two commands on a fresh Debian 12 machine:
#   make run    install what is missing, build, start sigverifyd with a demo trust store
#   make test   install what is missing, build, run every test suite (also under ASan/UBSan)
BUILD    ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
RUN_DIR  ?= run
LISTEN   ?= 127.0.0.1:50051
METRICS  ?= 127.0.0.1:9464
JOBS     ?= $(shell nproc)

.PHONY: all deps configure build check test test-asan test-tsan fuzz fuzz-long run bench bench-rsa-differential bench-audit-query lint format clean

all: build

deps:
	@tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Every suite twice: an optimised build, then the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included);
# the lock-free caches' stress tests under ThreadSanitizer; then the
# libFuzzer targets for FUZZ_SECONDS each.
test: check test-asan test-tsan fuzz

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIGVERIFY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIGVERIFY_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target rcu_stress_test
	@cd $(TSAN_BUILD) && ctest --output-on-failure -L tsan

bench: build
	@$(BUILD)/bin/sigverify_bench --pki=$(BUILD)/testpki
	@$(BUILD)/bin/sigverify_cache_bench
	@$(BUILD)/bin/sigverify_crl_bench
	@$(BUILD)/bin/sigverify_audit_bench
	@$(BUILD)/bin/sigverify_rsa_mb_bench
	@bench/run_loadgen.sh $(BUILD)
	@bench/throughput_table.sh $(BUILD)
	@bench/audit_cost.sh $(BUILD)
	@bench/node_peer.sh $(BUILD)
	@bench/instructions.sh $(BUILD)
	@/usr/bin/python3 bench/document_bench.py $(BUILD)

# The multi-buffer RSA path against the library's on 10 million (key,
# message, signature) triples (make test runs 100,000): about 10 minutes.
bench-rsa-differential: build
	@SIGVERIFY_DIFFERENTIAL_TRIPLES=$${TRIPLES:-10000000} $(BUILD)/bin/crypto_test \
	  --gtest_filter='BatchVerifierTest.AgreesWithTheLibraryOn100000Triples'

# Auditor query latency on a 10-million-record log (segments and their SQLite
# index); the first run generates it (about 13 minutes, 11 GB in $TMPDIR),
# later runs reuse it.
bench-audit-query: build
	@$(BUILD)/bin/sigverify_audit_query_bench

fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSIGVERIFY_FUZZ=ON -DSIGVERIFY_BORINGSSL_TESTS=OFF -DFUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target certificate_fuzzer verify_request_fuzzer \
	  verify_request_seeds crl_fuzzer crl_seeds pdf_fuzzer pdf_seeds cms_fuzzer ocsp_fuzzer \
	  config_fuzzer revocation_record_fuzzer revocation_record_seeds audit_fuzzer audit_seeds \
	  http_request_fuzzer rsa_multibuffer_fuzzer rsa_multibuffer_seeds \
	  sigverify-testpki
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz -R 'fuzz|testpki' \
	  --timeout $$(( $(FUZZ_SECONDS) + 600 ))

# Every fuzz target for an hour (FUZZ_SECONDS=3600), two at a time: about
# five hours on two cores. Each target's final stats (executions, crashes)
# are in the ctest log.
fuzz-long:
	@$(MAKE) fuzz FUZZ_SECONDS=3600 FUZZ_BUILD=build-fuzz-long

run: build
	@if [ ! -f $(RUN_DIR)/pki/anchors/root.pem ]; then \
	  echo "Generating a demo trust store in $(RUN_DIR)/pki (first run)"; \
	  $(BUILD)/bin/sigverify-testpki $(RUN_DIR)/pki; \
	fi
	@echo
	@echo "sigverifyd on $(LISTEN), metrics on http://$(METRICS)/metrics"
	@echo "Verify the sample document from another terminal:"
	@echo "  $(BUILD)/bin/sigverify verify --server=$(LISTEN) --data=$(RUN_DIR)/pki/sample.txt \\"
	@echo "      --sig=$(RUN_DIR)/pki/sample.txt.signer-rsa.sig --cert=$(RUN_DIR)/pki/signer-rsa.pem \\"
	@echo "      --chain=$(RUN_DIR)/pki/ca.pem --alg=rsa-pkcs1-sha256"
	@echo "Stop with Ctrl-C (in-flight calls are drained)."
	@echo
	@echo "Every verdict is recorded in the audit log $(RUN_DIR)/audit.db; prove one with"
	@echo "  $(BUILD)/bin/sigverify audit-prove --server=$(LISTEN) --sequence=0 --log-key=<key printed below>"
	@echo
	@exec $(BUILD)/bin/sigverifyd --listen=$(LISTEN) --metrics-listen=$(METRICS) \
	  --trust-anchors=$(RUN_DIR)/pki/anchors --audit-db=$(RUN_DIR)/audit.db --instance-id=run

# Proto lint, and clang-tidy with the checks listed (and explained) in .clang-tidy.
lint: build
	@tools/node_modules/.bin/buf lint proto
	@git ls-files 'crypto/*.cc' 'cache/*.cc' 'service/*.cc' 'bench/*.cc' | \
	  xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD) --quiet 2>/dev/null | grep -E 'warning:|error:' && exit 1 || echo "clang-tidy: clean"

format:
	@clang-format -i --style=file $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
