"""The proxy image (images/proxy) in a real nginx, without a container engine.

The image's own start script renders the configuration from the environment the prod task definition
gives the proxy container and starts the distribution's nginx (tests/stages/integration.sh installs it)
on loopback, as an unprivileged user when the tests run as root. In front of it: stand-in site and CMS
servers on loopback addresses of their own, found through a DNS server the test runs, which plays Cloud
Map (A records, TTL 10 s) and can change its answers while nginx runs.
"""

import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from ansible_collections.quoin.fargate.plugins.filter.ecs import task_definition
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import normalize_environment
from ansible_collections.quoin.fargate.plugins.plugin_utils.environment_model import upstream_environment

from ..conftest import program_or_skip

pytestmark = pytest.mark.quick

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "images/proxy"
# Cloud Map's TTL for the services' A records (the stack's discovery names).
TTL = 10
# What the task definition needs of the stack for a service without volumes.
STACK = {
    "log_group_name": "/quoin/prod",
    "execution_role_arn": "arn:aws:iam::123456789012:role/quoin-prod-execution",
    "services": {"proxy": {"task_role_arn": "arn:aws:iam::123456789012:role/quoin-prod-proxy"}},
}
NETWORK = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"], "public_subnet_ids": None}
UNPRIVILEGED = 65534  # nobody, as the image's nginx (uid 101) is no one in particular


def inventory_model(environment):
    """The environment model of a shipped inventory (account placeholders filled in), as the preflight makes it."""
    given = yaml.safe_load((REPO / "roles/preflight/defaults/main.yml").read_text())
    for path in sorted((REPO / "inventories" / environment / "group_vars/all").glob("*.yml")):
        given.update(yaml.safe_load(path.read_text()) or {})
    raw = {key.removeprefix("quoin_"): value for key, value in given.items() if key.startswith("quoin_")}
    raw = json.loads(json.dumps(raw).replace("REPLACE-ACCOUNT", "123456789012"))
    raw.update(NETWORK)
    return normalize_environment(raw)


def proxy_container(model):
    """The proxy's container definition and its environment, which holds the upstream variables of its
    talks_to edges as the task definition gives them: <target>.<namespace>:<port>."""
    definition = task_definition("proxy", model, STACK, {}, "eu-central-1")["task_definition"]
    container = next(c for c in definition["containerDefinitions"] if c["name"] == "proxy")
    environment = {item["name"]: item["value"] for item in container["environment"]}
    services = {service["name"]: service for service in model["services"]}
    for target in services["proxy"]["talks_to"]:
        host = f"{target}.{model['discovery_namespace']}"
        expected = upstream_environment(target, host, services[target]["port"])
        assert {name: environment.get(name) for name in expected} == expected
    return container, environment


def nginx_binary():
    program_or_skip("envsubst", "gettext-base")
    return program_or_skip("nginx", "nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


# --- Cloud Map's stand-in: a DNS server on loopback ----------------------------------------------------------

class Resolver:
    """Answers A queries for the names in `records` (name -> IPv4 address) with TTL seconds, NXDOMAIN for
    any other name; `queries` counts the A queries per name."""

    def __init__(self):
        self.records, self.queries = {}, {}
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = "%s:%d" % self.socket.getsockname()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                query, peer = self.socket.recvfrom(512)
            except OSError:
                return
            self.socket.sendto(self._answer(query), peer)

    def _answer(self, query):
        ident, flags = struct.unpack("!HH", query[:4])
        offset, labels = 12, []
        while query[offset]:
            labels.append(query[offset + 1:offset + 1 + query[offset]].decode())
            offset += 1 + query[offset]
        qtype = struct.unpack("!H", query[offset + 1:offset + 3])[0]
        question = query[12:offset + 5]
        name = ".".join(labels).lower()
        address, answers, rcode = self.records.get(name), b"", 0
        if address is None:
            rcode = 3
        elif qtype == 1:
            self.queries[name] = self.queries.get(name, 0) + 1
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, TTL, 4) + socket.inet_aton(address)
        # A response (QR), authoritative (AA), recursion desired as asked, recursion available (RA).
        header = struct.pack("!HHHHHH", ident, 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 1, len(answers) and 1, 0, 0)
        return header + question + answers

    def close(self):
        self.socket.close()


# --- the site and the CMS: HTTP servers on loopback addresses of their own --------------------------------------

class StandIn(ThreadingHTTPServer):
    """Answers every GET with its name and the path; a path with /large in it with a long page, /broken
    with a 500, /framed with its own X-Frame-Options. `requests` lists (path, headers) as received."""

    daemon_threads = True

    def __init__(self, name, port, content_type):
        self.name, self.content_type, self.requests = name, content_type, []
        for _ in range(50):
            address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            try:
                super().__init__((address, port), StandInHandler)
                break
            except OSError:
                continue
        else:
            raise RuntimeError(f"no loopback address with port {port} free for the {name} stand-in")
        self.address = address
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


class StandInHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        body = f"{server.name} {self.path}\n" * (200 if "/large" in self.path else 1)
        self.send_response(500 if "/broken" in self.path else 200)
        self.send_header("Content-Type", server.content_type)
        self.send_header("Content-Length", str(len(body.encode())))
        if "/framed" in self.path:
            self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


# --- the proxy ------------------------------------------------------------------------------------------------

class Proxy:
    """The image's start script run as the container's entrypoint, from a copy of the image's files, with
    the container's environment plus `overrides`; nginx's stdout and stderr are kept in files."""

    def __init__(self, nginx, environment, overrides):
        self.dir = Path(tempfile.mkdtemp(prefix="quoin-proxy-"))
        image = self.dir / "opt/quoin-proxy"
        image.mkdir(parents=True)
        for name in ("start.sh", "nginx.conf.template"):
            shutil.copy2(IMAGE / name, image / name)
        self.start_script = image / "start.sh"
        self.run_dir = self.dir / "run"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.env = {
            "PATH": f"{Path(nginx).parent}:/usr/local/bin:/usr/bin:/bin",
            **environment,
            "PROXY_LISTEN": f"127.0.0.1:{self.port}",
            "PROXY_RUN_DIR": str(self.run_dir),
            **overrides,
        }
        # As root, drop to an unprivileged user, as the image runs: nginx can then write only where that
        # user may (the run directory), not to the distribution's default paths.
        self.prefix = []
        if os.geteuid() == 0:
            os.chown(self.dir, UNPRIVILEGED, UNPRIVILEGED)
            self.prefix = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]
        self.stdout, self.stderr = self.dir / "stdout.log", self.dir / "stderr.log"
        self.process = None

    def run(self, *args):
        return subprocess.run([*self.prefix, "sh", str(self.start_script), *args], env=self.env, capture_output=True, text=True)

    def output(self, path):
        """A file for nginx's stdout or stderr, owned by the user nginx runs as: nginx opens /dev/stdout
        again for its access log, which needs that (the container runtime gives the container's user its
        stdio the same way)."""
        path.touch()
        if self.prefix:
            os.chown(path, UNPRIVILEGED, UNPRIVILEGED)
        return open(path, "wb")

    def nginx_test(self, config):
        with self.output(self.dir / "test.log") as out:
            return subprocess.run([*self.prefix, "nginx", "-t", "-e", "stderr", "-p", f"{self.run_dir}/", "-c", config],
                                  env=self.env, stdout=out, stderr=subprocess.PIPE, text=True)

    def start(self):
        with self.output(self.stdout) as out, self.output(self.stderr) as err:
            self.process = subprocess.Popen([*self.prefix, "sh", str(self.start_script)], env=self.env, stdout=out, stderr=err)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"nginx stopped: {self.stderr.read_text()}"
            try:
                if self.get("/_proxy/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx did not answer within 10 s: {self.stderr.read_text()}")

    def get(self, path, headers=None):
        """(status, [(header, value)], body) for a GET, as sent: no decompression, no redirects."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def log_lines(self, until):
        """The access log's lines, once the one for the request to `until` is there: nginx writes a
        request's line after it has answered it, so the line can come a moment after the response."""
        deadline = time.monotonic() + 5
        while True:
            lines = [line for line in self.stdout.read_text().splitlines() if line]
            if any(json.loads(line)["uri"] == until for line in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def access_log(self, until):
        return [json.loads(line) for line in self.log_lines(until)]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # the image's stop signal: finish what is under way
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def errors_pattern():
    """The proxy's errors metric filter pattern in the prod inventory: a CloudWatch Logs regular expression."""
    pattern = next(s for s in inventory_model("prod")["services"] if s["name"] == "proxy")["alarms"]["errors"]["pattern"]
    assert pattern.startswith("%") and pattern.endswith("%")
    # Only what CloudWatch Logs' regular expressions accept (their documented characters): no groups,
    # no quotes, no spaces; within that, Python's re reads a pattern as CloudWatch does.
    assert re.fullmatch(r"[A-Za-z0-9:_#=@/;,\-^$?\[\]{}|\\*+.]+", pattern[1:-1]), pattern
    return re.compile(pattern[1:-1])


def header(headers, name):
    values = [value for key, value in headers if key.lower() == name.lower()]
    assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
    return values[0] if values else None


# --- fixtures ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nginx():
    return nginx_binary()


@pytest.fixture(scope="module")
def container():
    return proxy_container(inventory_model("prod"))


@pytest.fixture(scope="module")
def resolver():
    dns = Resolver()
    yield dns
    dns.close()


@pytest.fixture(scope="module")
def upstreams(container, resolver):
    """The stand-ins, where the container's environment says the site and the CMS are (the ports
    there), registered under the names there."""
    _, environment = container
    servers = {}
    for name, content_type in (("site", "text/html"), ("cms", "application/json")):
        host, port = environment[f"{name.upper()}_UPSTREAM"].rsplit(":", 1)
        servers[name] = StandIn(name, int(port), content_type)
        servers[name].host = host
        resolver.records[host] = servers[name].address
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def proxy(nginx, container, resolver, upstreams):
    _, environment = container
    running = Proxy(nginx, environment, {"PROXY_RESOLVER": resolver.address})
    rendered = running.run("render")
    assert rendered.returncode == 0, rendered.stderr
    running.config = Path(rendered.stdout.strip())
    running.start()
    yield running
    running.stop()


# --- the tests, in order: routing first, then the DNS change, then a dead upstream --------------------------------

def test_the_task_definition_runs_it_read_only_as_the_images_user_with_its_run_directory_on_a_scratch_path(container):
    definition, environment = container
    assert definition["image"] == "123456789012.dkr.ecr.eu-central-1.amazonaws.com/quoin/proxy:latest"
    assert definition["readonlyRootFilesystem"] is True and definition["user"] == "101"
    assert environment["SITE_UPSTREAM"] == "site.prod.quoin.internal:3000"
    assert environment["CMS_UPSTREAM"] == "cms.prod.quoin.internal:8080"
    assert definition["healthCheck"]["command"][1].startswith("wget -q -O /dev/null http://127.0.0.1:8080/_proxy/health ")
    scratch = [mount["containerPath"] for mount in definition["mountPoints"]]
    default_run_dir = re.search(r"PROXY_RUN_DIR=\$\{PROXY_RUN_DIR:-(\S+)\}", (IMAGE / "start.sh").read_text()).group(1)
    for environment_name in ("local", "dev", "prod"):
        model = inventory_model(environment_name)
        assert model["load_balancer"]["health_check_path"] == "/_proxy/health", environment_name
        paths = next(s for s in model["services"] if s["name"] == "proxy")["scratch_paths"]
        assert any(default_run_dir.startswith(path.rstrip("/") + "/") for path in paths), (environment_name, paths)
    assert any(default_run_dir.startswith(path + "/") for path in scratch)


def test_the_rendered_configuration_passes_nginx_t_and_writes_only_under_its_run_directory(proxy):
    checked = proxy.nginx_test(str(proxy.config))
    assert checked.returncode == 0, checked.stderr
    text = proxy.config.read_text()
    assert "${" not in text
    written = re.findall(r"^\s*(?:pid|\w+_temp_path)\s+(\S+);", text, re.M)
    assert len(written) == 6 and all(path.startswith(f"{proxy.run_dir}/") for path in written), written
    assert re.search(r"^error_log stderr ", text, re.M) and "access_log /dev/stdout quoin;" in text


def test_the_site_gets_everything_but_the_cms_api(proxy, upstreams):
    status, headers, body = proxy.get("/", {"Host": "www.example.org", "X-Forwarded-For": "203.0.113.7"})
    assert (status, body) == (200, b"site /\n")
    status, _, body = proxy.get("/de/news?page=2")
    assert (status, body) == (200, b"site /de/news?page=2\n")
    path, received = upstreams["site"].requests[0]
    assert path == "/" and received["host"] == "www.example.org"
    assert received["x-forwarded-for"] == "203.0.113.7, 127.0.0.1" and received["x-forwarded-proto"] == "http"


def test_the_cms_gets_its_rest_api_as_the_client_wrote_it(proxy, upstreams):
    status, _, body = proxy.get("/api/v2/demo/webroot/Automobiles/Ford%20GT?lang=en")
    assert (status, body) == (200, b"cms /api/v2/demo/webroot/Automobiles/Ford%20GT?lang=en\n")
    assert proxy.get("/api/v2/demo/graphql")[0] == 200
    assert [path for path, _ in upstreams["cms"].requests] == ["/api/v2/demo/webroot/Automobiles/Ford%20GT?lang=en", "/api/v2/demo/graphql"]


@pytest.mark.parametrize("path", [
    "/mesh-ui", "/mesh-ui/", "/mesh-ui/assets/config/mesh-ui-config.js", "/mesh-ui-v1/",
    "/api/v2/demo/graphql/browser/", "/api/v2/demo/graphql/browser", "/api/v2/x/../demo/graphql/browser/",
    "/api/v2//demo/graphql/%62rowser/",
])
def test_the_cms_ui_is_not_public(proxy, upstreams, path):
    before = len(upstreams["cms"].requests) + len(upstreams["site"].requests)
    assert proxy.get(path)[0] == 404
    assert len(upstreams["cms"].requests) + len(upstreams["site"].requests) == before


def test_the_health_path_asks_no_upstream_and_is_not_logged(proxy, upstreams):
    before = len(upstreams["cms"].requests) + len(upstreams["site"].requests)
    status, headers, body = proxy.get("/_proxy/health")
    assert (status, body, header(headers, "Content-Type")) == (200, b"ok\n", "text/plain")
    assert len(upstreams["cms"].requests) + len(upstreams["site"].requests) == before
    # A request after it, so that its line would be written by the time the next one's is.
    assert proxy.get("/after-health")[0] == 200
    logged = [line["uri"] for line in proxy.access_log(until="/after-health")]
    assert "/after-health" in logged and "/_proxy/health" not in logged


def test_security_headers_and_hsts_only_behind_https(proxy):
    for path in ("/", "/api/v2/demo/nodes", "/mesh-ui/", "/_proxy/health"):
        _, headers, _ = proxy.get(path)
        assert header(headers, "X-Content-Type-Options") == "nosniff", path
        assert header(headers, "Referrer-Policy") == "strict-origin-when-cross-origin", path
        assert header(headers, "X-Frame-Options") == "SAMEORIGIN", path
        assert header(headers, "Strict-Transport-Security") is None, path
        assert header(headers, "Server") == "nginx", path  # no version
    _, headers, _ = proxy.get("/", {"X-Forwarded-Proto": "https"})
    assert header(headers, "Strict-Transport-Security") == "max-age=31536000"
    # What the site says itself stands, once.
    _, headers, _ = proxy.get("/framed")
    assert header(headers, "X-Frame-Options") == "DENY"


@pytest.mark.parametrize("path, content_type", [("/large-page", "text/html"), ("/api/v2/large", "application/json")])
def test_text_is_compressed(proxy, path, content_type):
    status, headers, body = proxy.get(path, {"Accept-Encoding": "gzip"})
    assert status == 200 and header(headers, "Content-Type") == content_type
    assert header(headers, "Content-Encoding") == "gzip" and header(headers, "Vary") == "Accept-Encoding"
    plain = proxy.get(path)[2]
    assert gzip.decompress(body) == plain and len(body) < len(plain) / 10


def test_the_errors_pattern_counts_5xx_and_nginx_errors_but_not_a_path_that_says_error(proxy, upstreams):
    counted = errors_pattern()
    assert proxy.get("/error/report?level=error")[0] == 200
    assert proxy.get('/x?"level":"error"')[0] == 200
    assert proxy.get("/broken")[0] == 500
    lines = proxy.log_lines(until="/broken")
    by_uri = {json.loads(line)["uri"]: line for line in lines}
    assert json.loads(by_uri["/error/report?level=error"])["level"] == "info"
    assert not counted.search(by_uri["/error/report?level=error"]) and not counted.search(by_uri['/x?"level":"error"'])
    assert json.loads(by_uri["/broken"])["level"] == "error" and json.loads(by_uri["/broken"])["upstream_status"] == "500"
    assert counted.search(by_uri["/broken"])
    assert [json.loads(line)["status"] for line in lines if counted.search(line)] == [500]
    assert not [line for line in proxy.stderr.read_text().splitlines() if counted.search(line)]


def test_a_changed_dns_answer_is_followed_within_the_ttl_without_a_restart(proxy, resolver, upstreams):
    site = upstreams["site"]
    assert proxy.get("/")[2] == b"site /\n"
    # The site's task replaced: the successor stays the site for the tests after this one.
    successor = upstreams["site-successor"] = StandIn("site-successor", site.server_address[1], "text/html")
    pid, asked = proxy.process.pid, resolver.queries[site.host]
    changed = time.monotonic()
    resolver.records[site.host] = successor.address
    # Each worker has a cache of its own and asks again once its answer is older than valid=; nginx counts
    # whole seconds, so an answer lasts up to a second longer. Ask throughout that time.
    answers = []
    while not answers or answers[-1][0] < TTL + 1.5:
        answers.append((time.monotonic() - changed, proxy.get("/")[2]))
        time.sleep(0.05)
    old = [after for after, body in answers if body == b"site /\n"]
    new = [after for after, body in answers if body == b"site-successor /\n"]
    assert len(old) + len(new) == len(answers)
    print(f"{len(answers)} requests: the new address from {new[0]:.1f} s, the old one until {max(old, default=0):.1f} s after the change")
    assert max(old, default=0) <= TTL + 1 and new[-1] == answers[-1][0]
    assert resolver.queries[site.host] > asked and proxy.process.pid == pid and proxy.process.poll() is None


def test_a_dead_upstream_gives_502_while_the_other_is_served(proxy, resolver, upstreams):
    upstreams["cms"].stop()
    status, headers, _ = proxy.get("/api/v2/demo/nodes")
    assert status == 502 and header(headers, "X-Frame-Options") == "SAMEORIGIN"
    assert proxy.get("/")[0] == 200
    assert proxy.process.poll() is None
    # nginx's own error line says which upstream failed; the 502 is an error line of the access log.
    failed = [line for line in proxy.stderr.read_text().splitlines() if "connect() failed" in line]
    assert len(failed) == 1 and re.match(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] ", failed[0]), failed
    assert 'upstream: "http://%s:8080/api/v2/demo/nodes"' % upstreams["cms"].address in failed[0]
    logged = [line for line in proxy.log_lines(until="/api/v2/demo/nodes") if '"uri":"/api/v2/demo/nodes"' in line][-1]
    assert json.loads(logged)["level"] == "error"
    # Both count as errors.
    counted = errors_pattern()
    assert counted.search(failed[0]) and counted.search(logged)


def test_the_cms_ui_when_the_inventory_makes_it_public_and_a_name_from_the_hosts_file(nginx, container, resolver):
    _, environment = container
    cms = StandIn("cms", int(environment["CMS_UPSTREAM"].rsplit(":", 1)[1]), "text/html")
    # The site by a name only /etc/hosts knows (compose's host.docker.internal on Linux): read at start.
    site = ThreadingHTTPServer(("127.0.0.1", 0), StandInHandler)
    site.name, site.content_type, site.requests = "site", "text/html", []
    threading.Thread(target=site.serve_forever, daemon=True).start()
    resolver.records["cms.prod.quoin.internal"] = cms.address
    public = Proxy(nginx, environment, {
        "PROXY_RESOLVER": resolver.address, "PROXY_CMS_UI_PUBLIC": "true", "SITE_UPSTREAM": f"localhost:{site.server_address[1]}",
    })
    try:
        public.start()
        assert public.get("/mesh-ui/")[2] == b"cms /mesh-ui/\n"
        assert public.get("/api/v2/demo/graphql/browser/")[2] == b"cms /api/v2/demo/graphql/browser/\n"
        assert public.get("/")[2] == b"site /\n"
        assert "localhost" not in resolver.queries
    finally:
        public.stop()
        cms.stop()
        site.shutdown()
        site.server_close()


@pytest.mark.parametrize("change, message", [
    ({"CMS_UPSTREAM": None}, "CMS_UPSTREAM is not set"),
    ({"SITE_UPSTREAM": "site.prod.quoin.internal:3000; return 200"}, "SITE_UPSTREAM=site.prod.quoin.internal:3000; return 200: must be host:port"),
    ({"PROXY_CMS_UI_PUBLIC": "yes"}, "PROXY_CMS_UI_PUBLIC=yes: must be true or false"),
    ({"PROXY_RESOLVER": "10.0.0.2;"}, "PROXY_RESOLVER=10.0.0.2;: must be address[:port]"),
    ({"PROXY_RESOLVER_VALID": "10s\nresolver 8.8.8.8"}, "PROXY_RESOLVER_VALID must be one line"),
])
def test_a_bad_value_stops_the_start_before_nginx_runs(nginx, container, change, message):
    _, environment = container
    bad = Proxy(nginx, environment, {"PROXY_RESOLVER": "127.0.0.1"})
    try:
        for name, value in change.items():
            if value is None:
                del bad.env[name]
            else:
                bad.env[name] = value
        started = bad.run()
        assert started.returncode == 1 and f"quoin-proxy: {message}" in started.stderr
        assert not (bad.run_dir / "nginx.conf").exists()
    finally:
        bad.stop()
