#!/usr/bin/env python3
"""The benchmark: what an operator waits for, and what each run asks of AWS, by number of services.

    make bench                                           # 3, 10, 30 and 50 services, every case, both strategies
    .venv/bin/python bench/run.py --sizes 3,10 --cases site,rerun --strategies default
    .venv/bin/python bench/run.py --before .cache/before     # also an older checkout, side by side

For each size it empties a private local AWS, generates an inventory with that many services (the local
website's three plus stateless ones, each with its own ECR repository), and runs:

    site      site.yml on the empty emulator
    rerun     site.yml again, nothing changed
    baseline  bench/baseline_rerun.py: the reads that prove nothing changed, in plain boto3
    redeploy  a new image pushed under the site's tag, then redeploy.yml (every service checked)
    rollback  rollback.yml -e service=site

each with Ansible's default strategy and with the fast path (mitogen's mitogen_linear strategy,
requirements-fast.txt; docs/performance.md), and measures each: wall time, peak resident memory of the ansible-playbook process (and of the largest
process it started), and the API requests the emulator received (tools/moto_server.py logs them when
QUOIN_MOTO_REQUEST_LOG is set), split into reads and writes. The table is printed and written to
bench/results.md, the figures with every operation's count to bench/results.json (docs/benchmark.md
explains both). --before PATH runs site and rerun, in both strategies, from another checkout of the
collection (a `git worktree` of an older commit) in the same run, on the same emulator, so that the
figures compare like with like. Nothing here asserts a time: the figures are for reading and comparing.
"""

import argparse
import collections
import copy
import datetime
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CASES = ("site", "rerun", "baseline", "redeploy", "rollback")
STRATEGIES = ("default", "fast")
# What --before measures of the older checkout.
BEFORE_CASES = ("site", "rerun")
ENVIRONMENT = "bench"
# The emulator's account and region, as in the local inventory's image names.
REGISTRY = "123456789012.dkr.ecr.eu-central-1.amazonaws.com"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """A private local AWS (its own state directory and port) that logs every request."""

    def __init__(self, directory):
        self.directory = directory
        self.requests = directory / "requests.jsonl"
        self.env = dict(os.environ, QUOIN_LOCAL_AWS_DIR=str(directory), QUOIN_MOTO_REQUEST_LOG=str(self.requests))

    def launcher(self, *args, check=True):
        command = [sys.executable, str(REPO / "tools/local_aws.py"), *args]
        subprocess.run(command, env=self.env, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if not check else None)

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        # One left running by an interrupted bench would be reused, with its old request log.
        self.launcher("stop", check=False)
        self.requests.unlink(missing_ok=True)
        self.launcher("start", "--port", str(free_port()))
        state = json.loads((self.directory / "state.json").read_text())
        self.env.update(
            AWS_ENDPOINT_URL=state["endpoint"],
            AWS_REGION=state["region"],
            AWS_DEFAULT_REGION=state["region"],
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
        )

    def reset(self):
        self.launcher("reset")

    def stop(self):
        self.launcher("stop")

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.env["AWS_ENDPOINT_URL"],
            region_name=self.env["AWS_REGION"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def mark(self):
        return self.requests.stat().st_size if self.requests.exists() else 0

    def since(self, mark):
        with self.requests.open(encoding="utf-8") as log:
            log.seek(mark)
            return [json.loads(line) for line in log if line.strip()]


class Tree:
    """A checkout of the collection the playbooks run from: this repository or --before's.

    Its own ansible.cfg, and a collections directory whose quoin.fargate is that checkout (amazon.aws
    and community.aws come from the ansible package, whichever tree runs)."""

    def __init__(self, path, work, label):
        self.path = Path(path).resolve()
        self.label = label
        self.collections = work / "trees" / label / "collections"
        link = self.collections / "ansible_collections" / "quoin" / "fargate"
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(self.path)
        self.commit = git(self.path, "rev-parse", "--short", "HEAD")

    def env(self):
        return {"ANSIBLE_CONFIG": str(self.path / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(self.collections)}


def git(path, *args):
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True).stdout.strip()


def strategy_env(strategy):
    """The environment variables that choose the strategy (docs/performance.md): none for the default."""
    if strategy == "default":
        return {}
    try:
        import ansible_mitogen  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise SystemExit("bench: the fast path needs mitogen (pip install -r requirements-fast.txt), or use --strategies default")
    return {
        "ANSIBLE_STRATEGY_PLUGINS": str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"),
        "ANSIBLE_STRATEGY": "mitogen_linear",
    }


def image_manifest(label):
    """A distinct image manifest (a new push has a new digest)."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 100, "digest": "sha256:" + label.encode().hex().ljust(64, "0")[:64]},
            "layers": [],
        }
    )


def generated_service(number):
    name = f"svc{number:02d}"
    return {
        "name": name,
        "image": f"{REGISTRY}/quoin/{name}:latest",
        "port": 8080,
        "environment": {"PORT": 8080},
        "health_check": {"command": "wget -q -O /dev/null http://localhost:8080/ || exit 1"},
        "user": "1000",
        "scratch_paths": ["/tmp"],
    }


def write_inventory(size, emulator, work, tree):
    """The tree's inventories/local with `size` services; the extra ones get their ECR repository and image here."""
    source = tree.path / "inventories/local"
    target = work / "inventories" / tree.label / f"services-{size}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    environment = yaml.safe_load((source / "group_vars/all/environment.yml").read_text())
    environment["quoin_environment"] = ENVIRONMENT
    (target / "group_vars/all/environment.yml").write_text(yaml.safe_dump(environment, sort_keys=False))
    services = yaml.safe_load((source / "group_vars/all/services.yml").read_text())
    base = copy.deepcopy(services["quoin_services"])
    extra = [generated_service(number) for number in range(len(base) + 1, size + 1)]
    services["quoin_services"] = base + extra
    (target / "group_vars/all/services.yml").write_text(yaml.safe_dump(services, sort_keys=False))
    ecr = emulator.client("ecr")
    for service in extra:
        repository = f"quoin/{service['name']}"
        ecr.create_repository(repositoryName=repository)
        ecr.put_image(repositoryName=repository, imageManifest=image_manifest(f"{service['name']}-1"), imageTag="latest")
    spec = {
        "stack": f"quoin-{ENVIRONMENT}",
        "environment": ENVIRONMENT,
        "services": [s["name"] for s in base + extra],
        "repositories": {s["name"]: s["image"].split("/", 1)[1].rsplit(":", 1) for s in base + extra if s["image"].startswith(REGISTRY)},
    }
    (target / "bench-spec.json").write_text(json.dumps(spec, indent=1))
    return target


class PeakMemory(threading.Thread):
    """Polls the process's VmHWM (its own peak resident set, which only grows) until it exits."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.path = Path(f"/proc/{pid}/status")
        self.peak_kib = 0

    def run(self):
        while True:
            try:
                status = self.path.read_text()
            except OSError:
                return
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                self.peak_kib = max(self.peak_kib, int(match.group(1)))
            time.sleep(0.05)


def measure(command, emulator, log_path, cwd=REPO, env=None):
    """Run one command; its wall time, peak memory, return code and the requests it made."""
    mark = emulator.mark()
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env or emulator.env, stdout=log, stderr=subprocess.STDOUT)
        watcher = PeakMemory(process.pid)
        watcher.start()
        # wait4: the largest resident set of the process and every descendant it waited for.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    watcher.join()
    requests = emulator.since(mark)
    output = log_path.read_text()
    recap = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", output)
    return {
        "command": " ".join(str(part) for part in command[1:] if part),
        "returncode": process.returncode,
        "wall_s": round(wall, 2),
        "peak_mib": round(watcher.peak_kib / 1024, 1),
        "peak_any_mib": round(usage.ru_maxrss / 1024, 1),
        "calls": len(requests),
        "writes": sum(1 for r in requests if not r["read"]),
        "changed": int(recap.group(2)) if recap else None,
        "operations": dict(collections.Counter(f"{r['service']}:{r['operation']}" for r in requests).most_common()),
        "describe_services": [r.get("batch", 0) for r in requests if r["operation"] == "DescribeServices"],
        "log": str(log_path),
    }


def playbook(name, inventory, *extra):
    return [str(BIN / "ansible-playbook"), name, "-i", str(inventory), *extra]


def run_size(size, cases, emulator, work, tree, strategy):
    """The cases for one size, one tree and one strategy, from an empty emulator."""
    emulator.reset()
    inventory = write_inventory(size, emulator, work, tree)
    logs = work / "logs" / tree.label
    logs.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in emulator.env.items() if key not in ("ANSIBLE_STRATEGY", "ANSIBLE_STRATEGY_PLUGINS")}
    env.update(tree.env())
    env.update(strategy_env(strategy))
    results = {}
    for case in CASES:
        if case not in cases:
            continue
        if case == "redeploy":
            # What `docker push` does: a new manifest under the same tag.
            emulator.client("ecr").put_image(repositoryName="quoin/site", imageManifest=image_manifest(f"site-{time.time()}"), imageTag="latest")
        command = {
            "site": playbook("site.yml", inventory),
            "rerun": playbook("site.yml", inventory),
            "baseline": [sys.executable, str(REPO / "bench/baseline_rerun.py"), str(inventory / "bench-spec.json")],
            "redeploy": playbook("redeploy.yml", inventory),
            "rollback": playbook("rollback.yml", inventory, "-e", "service=site"),
        }[case]
        result = measure(command, emulator, logs / f"services-{size}-{strategy}-{case}.log", cwd=tree.path, env=env)
        results[case] = result
        print(
            f"  {size:>3} services  {tree.label:<6} {strategy:<7} {case:<9} {result['wall_s']:>7.1f} s  {result['peak_mib']:>6.1f} MiB  "
            f"{result['calls']:>5} calls  {result['writes']:>4} writes  changed={result['changed']}",
            flush=True,
        )
        if result["returncode"] != 0:
            raise SystemExit(f"bench: {case} with {size} services ({tree.label}, {strategy} strategy) failed (exit {result['returncode']}); see {result['log']}")
    return results


def _seconds(result):
    return f"{result['wall_s']:.1f}" if result else ""


def _ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}" if denominator else ""


def markdown(report):
    sizes = report["sizes"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run.py) on {report['date']} at commit {report['commit']}; "
        f"{report['machine']}. docs/benchmark.md explains the cases, the strategies and the columns.",
        "",
        "| services | case | strategy | wall time (s) | peak memory, ansible-playbook (MiB) | peak memory, largest process (MiB) | API calls | writes | changed |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, strategies in sizes.items():
        for case in CASES:
            for strategy, cases in strategies.items():
                # The baseline runs no Ansible: one row, from the first strategy.
                if case not in cases or (case == "baseline" and strategy != next(iter(strategies))):
                    continue
                r = cases[case]
                changed = "" if r["changed"] is None else r["changed"]
                label = "boto3" if case == "baseline" else strategy
                lines.append(
                    f"| {size} | {case} | {label} | {r['wall_s']:.1f} | {r['peak_mib']:.0f} | {r['peak_any_mib']:.0f} | "
                    f"{r['calls']} | {r['writes']} | {changed} |"
                )
    reruns = {size: s for size, s in sizes.items() if any("rerun" in cases for cases in s.values())}
    if reruns:
        lines += [
            "",
            "## A rerun with nothing changed, in both strategies, against plain boto3",
            "",
            "| services | default (s) | fast path (s) | boto3 floor (s) | default / floor | fast / floor | calls | floor calls | writes |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size, strategies in reruns.items():
            default = strategies.get("default", {}).get("rerun")
            fast = strategies.get("fast", {}).get("rerun")
            floor = next((cases["baseline"] for cases in strategies.values() if "baseline" in cases), None)
            any_rerun = default or fast
            lines.append(
                f"| {size} | {_seconds(default)} | {_seconds(fast)} | "
                f"{_seconds(floor)} | {_ratio(default['wall_s'], floor['wall_s']) if default and floor else ''} | "
                f"{_ratio(fast['wall_s'], floor['wall_s']) if fast and floor else ''} | {any_rerun['calls']} | "
                f"{floor['calls'] if floor else ''} | {max(r['writes'] for r in (default, fast) if r)} |"
            )
        for strategy in STRATEGIES:
            points = sorted((int(size), s[strategy]["rerun"]["wall_s"]) for size, s in reruns.items() if "rerun" in s.get(strategy, {}))
            if len(points) > 1:
                (low, low_s), (high, high_s) = points[0], points[-1]
                lines += ["", f"With the {strategy} strategy a rerun grows by {(high_s - low_s) / (high - low):.2f} s per extra service ({low} to {high} services)."]
    before = report.get("before")
    if before:
        lines += [
            "",
            f"## Before and after: commit {before['commit']} ({before['path']}) against this one, in the same run",
            "",
            "| services | strategy | rerun before (s) | rerun now (s) | now / before | rerun calls before -> now | site before (s) | site now (s) |",
            "|---:|---|---:|---:|---:|---|---:|---:|",
        ]
        for size, strategies in before["sizes"].items():
            for strategy, old in strategies.items():
                new = sizes.get(size, {}).get(strategy, {})
                if "rerun" not in old or "rerun" not in new:
                    continue
                old_site, new_site = old.get("site"), new.get("site")
                lines.append(
                    f"| {size} | {strategy} | {old['rerun']['wall_s']:.1f} | {new['rerun']['wall_s']:.1f} | "
                    f"{_ratio(new['rerun']['wall_s'], old['rerun']['wall_s'])} | {old['rerun']['calls']} -> {new['rerun']['calls']} | "
                    f"{_seconds(old_site)} | {_seconds(new_site)} |"
                )
        defaults = {size: s["default"]["rerun"]["wall_s"] for size, s in before["sizes"].items() if "rerun" in s.get("default", {})}
        if defaults:
            lines += ["", "Against the default strategy before (the time an operator waited), the rerun now takes:", ""]
            for size, old_s in defaults.items():
                now = sizes.get(size, {})
                parts = [f"{strategy} {_ratio(now[strategy]['rerun']['wall_s'], old_s)}" for strategy in STRATEGIES if "rerun" in now.get(strategy, {})]
                lines.append(f"- {size} services: " + ", ".join(parts) + " of it")
    deploys = {size: s["default"]["site"]["describe_services"] for size, s in sizes.items() if "site" in s.get("default", {})}
    if deploys:
        lines += ["", "DescribeServices requests during `site`, default strategy (services named per request, in order):", ""]
        for size, batches in deploys.items():
            lines.append(f"- {size} services: {len(batches)} requests; " + ", ".join(str(b) for b in batches))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="3,10,30,50", help="numbers of services, comma-separated (at least 3)")
    parser.add_argument("--cases", default=",".join(CASES), help="cases to run, comma-separated: " + ", ".join(CASES))
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated: default (Ansible's linear), fast (mitogen_linear)")
    parser.add_argument("--before", help="another checkout of the collection: its site and rerun are measured too, side by side")
    parser.add_argument("--output", default=str(REPO / "bench/results"), help="results path without suffix (.md and .json are written)")
    parser.add_argument("--work", default=str(REPO / ".cache/bench"), help="where the emulator's state, the inventories and the logs go")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    cases = [case.strip() for case in args.cases.split(",")]
    strategies = [strategy.strip() for strategy in args.strategies.split(",")]
    unknown = set(cases) - set(CASES)
    if unknown or min(sizes) < 3 or set(strategies) - set(STRATEGIES):
        parser.error(
            f"unknown cases {sorted(unknown)}" if unknown
            else f"unknown strategies {sorted(set(strategies) - set(STRATEGIES))}" if set(strategies) - set(STRATEGIES)
            else "the smallest size is 3 (the website's own services)"
        )
    for strategy in strategies:
        strategy_env(strategy)

    commit = git(REPO, "rev-parse", "--short", "HEAD")
    dirty = git(REPO, "status", "--porcelain", "--untracked-files=no")
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.machine()}",
        "sizes": {},
    }
    work = Path(args.work).resolve()
    current = Tree(REPO, work, "now")
    older = Tree(args.before, work, "before") if args.before else None
    if older:
        report["before"] = {"path": str(older.path), "commit": older.commit, "sizes": {}}
    emulator = Emulator(work / "aws")
    emulator.start()
    try:
        for size in sizes:
            print(f"{size} services", flush=True)
            for strategy in strategies:
                if older:
                    old = run_size(size, [c for c in cases if c in BEFORE_CASES], emulator, work, older, strategy)
                    report["before"]["sizes"].setdefault(str(size), {})[strategy] = old
                report["sizes"].setdefault(str(size), {})[strategy] = run_size(size, cases, emulator, work, current, strategy)
    finally:
        emulator.stop()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    output.with_suffix(".md").write_text(markdown(report))
    print()
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
