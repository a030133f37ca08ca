# The two commands the README names, plus their parts.
.PHONY: local test stop-local setup bench

local:        ## set up, start the local AWS, deploy site.yml to it, print what was deployed
	tools/local.sh

test:         ## the whole test suite (set-up, a private local AWS, every stage)
	tests/run.sh

bench:        ## the benchmark: time, memory and AWS calls for 3, 10, 30 and 50 services (bench/results.md)
	tools/setup.sh requirements-local.txt
	.venv/bin/python bench/run.py $(BENCH_ARGS)

stop-local:   ## stop the local AWS that `make local` left running
	.venv/bin/python tools/local_aws.py stop

setup:        ## only create .venv and install the pinned requirements
	tools/setup.sh
