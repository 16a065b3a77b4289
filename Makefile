# KirchhoffHw: every entry point. A fresh machine needs only the .NET SDK; the targets install the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DOTNET      ?= dotnet
CONFIG      ?= Release
CLI         := src/KirchhoffHw.Cli/bin/$(CONFIG)/net10.0/kirchhoffhw
DEBIAN_DEPS := ngspice libngspice0 libngspice0-dev adms
BENCH_DEPS  := python3-numpy python3-scipy
OUT         ?= out
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

# Installs only what is missing; uses sudo when not root.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

.PHONY: help deps bench-deps restore build test demo bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## install ngspice (CLI + shared library) and ADMS from Debian if missing
	$(call apt_install,$(DEBIAN_DEPS))

bench-deps: deps ## also install the benchmark peers' Python packages
	$(call apt_install,$(BENCH_DEPS))

restore:
	$(DOTNET) restore KirchhoffHw.sln

build: restore ## build everything
	$(DOTNET) build KirchhoffHw.sln -c $(CONFIG) --no-restore -nologo -clp:ErrorsOnly

test: deps build ## run every test (ngspice and ADMS run for real)
	$(DOTNET) test KirchhoffHw.sln -c $(CONFIG) --no-build -nologo --logger "console;verbosity=minimal"

demo: deps build ## generate, simulate and verify designs/spiral.yaml at 1 pF / 1 ns
	@mkdir -p $(OUT)/demo
	$(CLI) info designs/spiral.yaml
	$(CLI) generate designs/spiral.yaml --random 1 --seed 7 --capacitance 1p --time-unit 1n --output $(OUT)/demo/spiral.cir
	$(CLI) verify designs/spiral.yaml --random 8 --seed 7 --capacitance 1p --time-unit 1n --output $(OUT)/demo/verdict.json

bench: bench-deps build ## measurements: bench/results/*.json
	$(DOTNET) run -c $(CONFIG) --project bench/KirchhoffHw.Bench -- all

clean:
	$(DOTNET) clean KirchhoffHw.sln -nologo -v q; rm -rf $(OUT)
