# peerpods: make test runs everything that runs on this machine.
SHELL := /bin/bash
GO    ?= go
# Builds shared between runs (the Pulumi CLI, later the real backends).
CACHE ?= $(HOME)/.cache/peerpods
# Packages whose statement coverage must stay at or above MIN_COVERAGE.
COVERED      := aws azure gcp components stacks
MIN_COVERAGE := 80

.PHONY: test lint unit build pulumi clean

test: lint unit

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Unit tests (mocks) with the coverage floor.
unit:
	@hack/gotest.sh $(MIN_COVERAGE) $(COVERED)

build:
	$(GO) build ./...

# The Pulumi CLI, built from source (no binary download needed).
pulumi: $(CACHE)/bin/pulumi
$(CACHE)/bin/pulumi: tests/tools/go.mod tests/tools/go.sum
	@mkdir -p $(CACHE)/bin
	cd tests/tools && $(GO) build -o $(CACHE)/bin/pulumi \
	  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.250.0" \
	  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	@echo "built $@: add $(CACHE)/bin to PATH"

clean:
	$(GO) clean -testcache
