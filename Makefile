# KirchhoffHw: every entry point. A fresh machine needs only the .NET SDK; the targets install the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DOTNET      ?= dotnet
CONFIG      ?= Release
CLI         := src/KirchhoffHw.Cli/bin/$(CONFIG)/net10.0/kirchhoffhw
# fonts-dejavu-core: the report's plots are drawn in DejaVu Sans, so they look (and hash) the same everywhere.
DEBIAN_DEPS := ngspice libngspice0 libngspice0-dev adms fonts-dejavu-core
# chromium: the HTML report test opens report.html in Debian's headless Chromium (Playwright never downloads one).
TEST_DEPS   := chromium
BENCH_DEPS  := python3-numpy python3-scipy
# slurm-wlm + munge: `make cluster` runs a single-node Slurm cluster for the job-array tests and scale-out runs.
CLUSTER_DEPS := slurm-wlm munge
OUT         ?= out
BENCH       ?= all
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# Installs only what is missing; uses sudo when not root.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

.PHONY: help deps bench-deps restore build cli test demo bench clean cluster cluster-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

deps: ## install ngspice (CLI + shared library) and ADMS from Debian if missing
	$(call apt_install,$(DEBIAN_DEPS))

bench-deps: deps ## also install the benchmark peers' Python packages (and Slurm for the slurm bench)
	$(call apt_install,$(BENCH_DEPS) $(CLUSTER_DEPS))

restore:
	$(DOTNET) restore KirchhoffHw.sln

build: restore ## build everything
	$(DOTNET) build KirchhoffHw.sln -c $(CONFIG) --no-restore -nologo -clp:ErrorsOnly

test: deps build cluster ## run every test (ngspice, ADMS, headless Chromium and Slurm run for real)
	$(call apt_install,$(TEST_DEPS))
	$(DOTNET) test KirchhoffHw.sln -c $(CONFIG) --no-build -nologo --logger "console;verbosity=minimal"

cli: ## build only the kirchhoffhw CLI (and the stages it uses)
	$(DOTNET) build src/KirchhoffHw.Cli/KirchhoffHw.Cli.csproj -c $(CONFIG) -nologo -clp:ErrorsOnly

demo: deps cli ## the whole flow on designs/spiral.yaml at 1 pF / 1 ns, ending in a chip report (path printed last)
	$(CLI) info designs/spiral.yaml
	@# exit code 1 (a failed verification) still leaves a report that shows the failure; print its path either way
	$(CLI) flow designs/spiral.yaml --random 8 --seed 7 --capacitance 1p --time-unit 1n -o $(OUT)/demo; code=$$?; \
	  echo "HTML report: $$(realpath $(OUT)/demo/report.html)"; exit $$code

bench: bench-deps build ## measurements: bench/results/*.json (BENCH=slurm, cosim, ... runs one target)
	$(DOTNET) run -c $(CONFIG) --no-build --project bench/KirchhoffHw.Bench -- $(BENCH)

cluster: ## start this checkout's single-node Slurm cluster (config, state, logs in .cluster/); a no-op when it is up
	$(call apt_install,$(CLUSTER_DEPS))
	cluster/up.sh

cluster-down: ## stop the Slurm cluster and every job in it
	cluster/down.sh

clean:
	$(DOTNET) clean KirchhoffHw.sln -nologo -v q; rm -rf $(OUT)
