# Thin entry points; the scripts in scripts/ do the work.
.PHONY: run test test-pg e2e ci

run:
	scripts/run

test:
	scripts/test

test-pg:
	scripts/test --postgresql

e2e:
	scripts/e2e

ci:
	.ci/run
