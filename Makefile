# tierwall — developer entry points. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install prereqs demo test clean

$(BIN)/tierwall: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/tierwall

# The main job on the bundled example: check an organisation's baseline, then trace one flow.
demo: install
	-$(BIN)/tierwall check -f examples/org-baseline/ --tests examples/org-baseline/tests/
	$(BIN)/tierwall trace -f examples/org-baseline/ --from dev-app/web-0 --to kube-system/coredns-0 \
		--port 53 --protocol UDP

# The lab tests need root, nftables, iproute2 and ping; the web tests Chromium and Graphviz
# (Debian packages): installed when missing.
prereqs:
	@command -v nft >/dev/null && command -v ip >/dev/null && command -v ping >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables iproute2 iputils-ping)
	@# The web UI's browser tests drive Debian's Chromium; `trace -o svg` runs Graphviz's dot.
	@command -v chromium >/dev/null && command -v dot >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver graphviz)

test: install prereqs
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
