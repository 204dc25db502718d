# peerpods: make test runs everything that runs on this machine.
SHELL := /bin/bash
GO    ?= go
# Builds shared between runs (the Pulumi CLI, kube-apiserver, etcd).
CACHE ?= $(HOME)/.cache/peerpods
# Heavy builds run at the lowest CPU and I/O priority (harmless in CI).
NICE  ?= nice -n 19 ionice -c3
# Packages whose statement coverage must stay at or above MIN_COVERAGE in
# make test (unit tests alone): every registered cloud (one registry file
# stacks/cloud_<name>.go each) and the shared packages. make e2e gates the
# product packages it tests, make check every product package (test
# helpers, the SDK generator and the generated SDK are not product code:
# hack/coverage.sh).
CLOUD_PACKAGES := $(filter-out %_test,$(patsubst stacks/cloud_%.go,%,$(wildcard stacks/cloud_*.go)))
COVERED      := $(CLOUD_PACKAGES) components/common components/check components/netrules components/backoff components/values components/readiness components/handoffcheck components/smoke components/contract components/handoff stacks
MIN_COVERAGE := 80

.PHONY: test check lint unit build pulumi kube kubernetes-provider yaml language-hosts mermaid tools clean e2e faults bench binaries demo demo-down release

test: lint unit

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	@# The Go SDK is a module of its own (sdk/go/peerpods), out of ./...
	cd sdk/go/peerpods && $(GO) vet ./...
	@# The workflows, with actionlint (pinned in tests/actionlint, its own
	@# module; no shellcheck or pyflakes: not installed).
	cd tests/actionlint && $(GO) run github.com/rhysd/actionlint/cmd/actionlint -shellcheck= -pyflakes= $(addprefix ../../,$(wildcard .github/workflows/*.yml))

# Unit tests (mocks) with the coverage floor.
unit:
	@hack/gotest.sh $(MIN_COVERAGE) $(COVERED)
	cd sdk/go/peerpods && $(GO) build ./...
	$(GO) test -count=1 -tags peerpods_clouds,aws -run TestSelectedBuild ./stacks/

build:
	$(GO) build ./...
	cd sdk/go/peerpods && $(GO) build ./...

# End-to-end tests on real backends: libvirtd, sshd, etcd and kube-apiserver
# (installed with apt-get, started by hack/e2e.sh, stopped afterwards; needs
# root) and the real Pulumi engine (the CLI, the YAML host, kube-apiserver
# and etcd built from source, cached under $(CACHE)).
# The fault suite (make faults): runs cut by kill -9 and Ctrl-C, libvirtd
# restarted or stopped, sshd down, a full pool, two runs at once,
# cloud-api-adaptor's leftovers, node taints next to other managers'.
# FAULTS selects its tests in every e2e package (Go's -run and -skip
# patterns); DISRUPTIVE are those that stop or restart a backend (and the
# interrupted runs, whose Ctrl-C once hung under the parallel load), which
# run alone, after every other test.
FAULTS     := ^(TestFaults|TestNodeTaints|TestStoragePoolRefusesLeftovers)
DISRUPTIVE := ^(TestFaultsLibvirtd|TestFaultsSSHDown|TestFaultsInterruptedUp|TestFaultsUploadStalled)$$
# The packages with e2e tests (files with the build tag e2e).
E2E_PKGS := $(sort $(patsubst %/,./%,$(dir $(shell grep -rl --include='*_test.go' '^//go:build e2e' . | sed 's|^\./||'))))
# The packages of the DISRUPTIVE tests.
DISRUPTIVE_PKGS := $(sort $(patsubst %/,./%,$(dir $(shell grep -rlE --include='*_test.go' '^func (TestFaultsLibvirtd|TestFaultsSSHDown|TestFaultsInterruptedUp|TestFaultsUploadStalled)\b' . | sed 's|^\./||'))))
E2E_ENV   = PATH="$(CACHE)/bin:$$PATH" PEERPODS_CACHE="$(CACHE)"

# CI (.ci/run, the test command of docs/development.md): lint, then every test at once:
# the unit tests, the e2e tests and the fault suite in one go test over the
# module (test binaries built once, packages run side by side), then the
# tests that stop or restart a backend, alone; one coverage gate over
# every product package from that run. make -j runs lint and the tools'
# builds side by side. The e2e packages come first: go test builds and
# starts packages in the order given, and tests/ (the engine and fault
# tests, minutes) is the longest.
check: lint tools
	@start=$$(date +%s); status=0; \
	  $(E2E_ENV) PEERPODS_COVERDIR=$(CURDIR)/.cover/check hack/e2e.sh -skip '$(DISRUPTIVE)' -timeout 60m ./tests $(E2E_PKGS) ./... --- -p 1 -run '$(DISRUPTIVE)' $(DISRUPTIVE_PKGS) || status=$$?; \
	  $(GO) test -count=1 -tags peerpods_clouds,aws -run TestSelectedBuild ./stacks/ || status=1; \
	  echo "tests: $$(( $$(date +%s) - start )) s"; \
	  echo "coverage of every product package, unit, e2e and fault tests together:"; \
	  hack/coverage.sh $(MIN_COVERAGE) .cover/check || status=1; exit $$status

# The e2e tests but the fault suite, on their own: every test of the
# packages with e2e tests; the product packages among them are gated on
# this run alone.
e2e: tools
	@status=0; \
	  $(E2E_ENV) PEERPODS_COVERDIR=$(CURDIR)/.cover/e2e hack/e2e.sh -skip '$(FAULTS)' -timeout 60m $(E2E_PKGS) || status=$$?; \
	  echo "coverage of the product packages with e2e tests, from this run:"; \
	  hack/coverage.sh $(MIN_COVERAGE) .cover/e2e $(patsubst ./%,%,$(E2E_PKGS)) || status=1; exit $$status

# The fault suite alone; its runtime is printed at the end.
faults: tools
	@start=$$(date +%s); \
	  $(E2E_ENV) hack/e2e.sh -run '$(FAULTS)' -skip '$(DISRUPTIVE)' -timeout 60m $(E2E_PKGS) --- -p 1 -run '$(DISRUPTIVE)' $(DISRUPTIVE_PKGS); \
	  status=$$?; echo "fault suite: $$(( $$(date +%s) - start )) s"; exit $$status

tools: pulumi kube yaml language-hosts kubernetes-provider mermaid

# The binaries of this project: the command for CI into $(CACHE)/bin (put
# it on PATH), the provider plugin next to it, where the engine finds it on
# PATH (Pulumi.yaml names no plugin folder: stacks that do not load the
# plugin need none), and into ./bin, the folder the YAML and
# TypeScript examples of docs/languages.md point plugins.providers at. CLOUDS="aws" (or several)
# builds them for those clouds only (build tags peerpods_clouds,<cloud>);
# empty builds every cloud.
CLOUDS   ?=
empty   :=
space   := $(empty) $(empty)
comma   := ,
GOTAGS  := $(if $(strip $(CLOUDS)),-tags peerpods_clouds$(comma)$(subst $(space),$(comma),$(strip $(CLOUDS))))
binaries:
	@mkdir -p $(CACHE)/bin bin
	$(GO) build $(GOTAGS) -o $(CACHE)/bin/peerpods ./cmd/peerpods
	$(GO) build $(GOTAGS) -o bin/pulumi-resource-peerpods ./cmd/pulumi-resource-peerpods
	cp bin/pulumi-resource-peerpods $(CACHE)/bin/pulumi-resource-peerpods

# The release files of VERSION (x.y.z, no leading v) in dist/
# (hack/release.sh): the provider plugin as Pulumi downloads it,
# pulumi-resource-peerpods-v<VERSION>-<os>-<arch>.tar.gz, the command as
# peerpods-v<VERSION>-<os>-<arch>.tar.gz, and SHA256SUMS; for each os/arch
# of PLATFORMS (default: linux and darwin on amd64 and arm64); DIST
# names another directory.
VERSION   ?=
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
DIST      ?= dist
release:
	GO="$(GO)" NICE="$(NICE)" PLATFORMS="$(PLATFORMS)" DIST="$(DIST)" hack/release.sh "$(VERSION)"

# The main job, offline: this machine's libvirtd, the libvirt-local stack on
# a file:// backend; demo-down destroys it.
demo: pulumi binaries
	PATH="$(CACHE)/bin:$$PATH" hack/demo.sh up
demo-down: pulumi binaries
	PATH="$(CACHE)/bin:$$PATH" hack/demo.sh down

# Sparse upload benchmark: this provider's upload vs virsh vol-upload --sparse
# (2 GiB image, 1.5 GiB of holes), same backends as e2e.
bench:
	PEERPODS_E2E_KUBE=0 hack/e2e.sh -run '^$$' -bench SparseUpload -benchtime 6x ./libvirt/upload/

# The Pulumi CLI, built from source (no binary download needed).
pulumi: $(CACHE)/bin/pulumi
$(CACHE)/bin/pulumi: tests/tools/go.mod tests/tools/go.sum
	@mkdir -p $(CACHE)/bin
	cd tests/tools && $(NICE) $(GO) build -o $(CACHE)/bin/pulumi \
	  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.250.0" \
	  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	@echo "built $@: add $(CACHE)/bin to PATH"

# The Pulumi YAML language host (runtime: yaml) for the e2e tests, built from
# source from the tools module tests/yaml (pulumi-yaml with its own pulumi
# pkg/sdk versions, apart from the CLI's); the CLI finds it on PATH.
yaml: $(CACHE)/bin/pulumi-language-yaml
$(CACHE)/bin/pulumi-language-yaml: tests/yaml/go.mod tests/yaml/go.sum tests/yaml/tools.go hack/yaml-host.sh
	GO="$(GO)" NICE="$(NICE)" hack/yaml-host.sh $(CACHE)/bin

# The Go, Node.js and Python language hosts (pulumi-language-go, -nodejs,
# -python) next to the CLI, for the package e2e tests that need one
# (TestPackageAddSource, TestPackageSDKs). The Go module proxy does not
# serve them: hack/language-hosts.sh builds them from a pulumi/pulumi
# checkout at the CLI's version, PULUMI_SRC; without one it builds nothing
# and those tests skip.
PULUMI_SRC ?=
language-hosts:
	GO="$(GO)" NICE="$(NICE)" PULUMI_SRC="$(PULUMI_SRC)" hack/language-hosts.sh $(CACHE)/bin

# Mermaid's parser (mermaid and jsdom from npm, pinned by
# tests/mermaid/package-lock.json) for the preview diagram's e2e test;
# hack/mermaid.sh installs it once per lock file (Node.js and npm from
# Debian when missing).
mermaid:
	hack/mermaid.sh $(CACHE)/mermaid

# kube-apiserver and etcd for the e2e tests, built from source from the
# tools module tests/kube (pins k8s.io/kubernetes and etcd in one module);
# rebuilt only when its go.mod or go.sum change. In a fresh clone (new
# mtimes) go build finds the cached binary up to date by its build ID and
# does not relink; touch tells make.
# The k8s.io/kubernetes version in tests/kube/go.mod.
KUBE_VERSION := v1.34.2
KUBE_LDFLAGS := -s -w -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	    -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34
kube: $(CACHE)/bin/kube-apiserver $(CACHE)/bin/kube-controller-manager $(CACHE)/bin/etcd
# kube-apiserver and kube-controller-manager (whose garbage collector
# completes pulumi-kubernetes' foreground deletes) in one go build: they
# share most of k8s.io/kubernetes, which two builds side by side would
# each compile (measured: a cold run spent minutes on it).
$(CACHE)/bin/kube-apiserver $(CACHE)/bin/kube-controller-manager &: tests/kube/go.mod tests/kube/go.sum
	@mkdir -p $(CACHE)/bin
	cd tests/kube && CGO_ENABLED=0 $(NICE) $(GO) build -trimpath -o $(CACHE)/bin/ -ldflags "$(KUBE_LDFLAGS)" \
	  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
	touch $(CACHE)/bin/kube-apiserver $(CACHE)/bin/kube-controller-manager
# The real pulumi-kubernetes provider plugin (hack/kubernetes-provider.sh),
# which the cluster-mode stacks of the e2e tests run on
# (plugins.providers: $(CACHE)/kubernetes-provider).
kubernetes-provider: $(CACHE)/kubernetes-provider/pulumi-resource-kubernetes
$(CACHE)/kubernetes-provider/pulumi-resource-kubernetes: hack/kubernetes-provider.sh
	GO="$(GO)" NICE="$(NICE)" hack/kubernetes-provider.sh $(CACHE)/kubernetes-provider
$(CACHE)/bin/etcd: tests/kube/go.mod tests/kube/go.sum
	@mkdir -p $(CACHE)/bin
	cd tests/kube && CGO_ENABLED=0 $(NICE) $(GO) build -trimpath -o $@ -ldflags "-s -w" \
	  go.etcd.io/etcd/server/v3
	touch $@

clean:
	$(GO) clean -testcache
