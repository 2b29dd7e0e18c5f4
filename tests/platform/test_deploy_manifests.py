"""Deployment files agree with each other and with the app.

Static checks only (no database, no Docker, no cluster): the Kubernetes manifests, docker-compose.yml,
the Dockerfile and gunicorn.conf.py must name the same port, probe paths that the URLconf serves,
a stop grace period long enough for gunicorn's graceful shutdown, and selectors that match the pods
(the Dockerfile's and compose's own checks: test_deploy_compose.py).
"""

from __future__ import annotations

import re
import runpy
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"

# Oldest Kubernetes minor the manifests must stay valid for (autoscaling/v2, policy/v1, Job TTL, kustomize labels).
MIN_K8S_VERSION = "1.27.0"


def _load_all(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


def _k8s_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.iterdir() if p.suffix in {".yaml", ".yml"})


@pytest.fixture(scope="module")
def k8s_docs() -> dict[str, list[dict]]:
    files = _k8s_files()
    assert files, f"no manifests under {K8S_DIR}"
    return {p.name: _load_all(p) for p in files}


def _resources(k8s_docs: dict[str, list[dict]]) -> list[tuple[str, dict]]:
    """Every Kubernetes object (kustomization.yaml is build config, not an object)."""
    return [(name, doc) for name, docs in k8s_docs.items() if name != "kustomization.yaml" for doc in docs]


def _one(k8s_docs: dict[str, list[dict]], filename: str, kind: str) -> dict:
    docs = [d for d in k8s_docs[filename] if d.get("kind") == kind]
    assert len(docs) == 1, f"{filename}: expected exactly one {kind}, found {len(docs)}"
    return docs[0]


@pytest.fixture(scope="module")
def web(k8s_docs) -> dict:
    return _one(k8s_docs, "web-deployment.yaml", "Deployment")


@pytest.fixture(scope="module")
def web_container(web) -> dict:
    containers = web["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, "web pod should run exactly one container"
    return containers[0]


def _resolve_port(container: dict, port: int | str) -> int:
    """A probe/Service port given by name or number -> the container port it designates."""
    for p in container.get("ports", []):
        if port in (p.get("name"), p["containerPort"]):
            return p["containerPort"]
    raise AssertionError(f"port {port!r} is not declared by container {container['name']!r}")


def _gunicorn_conf(monkeypatch) -> dict:
    # Defaults, not whatever this shell happens to export.
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_WORKERS", "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(GUNICORN_CONF))


def _gunicorn_default_port(monkeypatch) -> int:
    bind = _gunicorn_conf(monkeypatch)["bind"]
    bind = bind[0] if isinstance(bind, list) else bind
    host, _, port = bind.rpartition(":")
    all_interfaces = {"0.0.0.0", "[::]", ""}  # noqa: S104 (a container must listen beyond loopback)
    assert host in all_interfaces, f"gunicorn must listen on all interfaces in a container, got {bind!r}"
    return int(port)


def _dockerfile_expose() -> set[int]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    ports = set()
    for line in re.findall(r"^\s*EXPOSE\s+(.+)$", text, flags=re.MULTILINE | re.IGNORECASE):
        ports.update(int(p.split("/")[0]) for p in line.split())
    return ports


def _command(container: dict) -> str:
    return " ".join([*container.get("command", []), *container.get("args", [])])


def _pod_labels(deployment: dict) -> dict:
    return deployment["spec"]["template"]["metadata"]["labels"]


def _matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# --- Kubernetes -----------------------------------------------------------------------------------


def test_every_k8s_doc_is_identified(k8s_docs):
    resources = _resources(k8s_docs)
    assert resources
    for filename, doc in resources:
        assert doc.get("apiVersion"), f"{filename}: missing apiVersion"
        assert doc.get("kind"), f"{filename}: missing kind"
        assert doc.get("metadata", {}).get("name"), f"{filename}: missing metadata.name"
        assert "namespace" not in doc["metadata"], f"{filename}: manifests are namespace-less"


def test_kustomization_lists_every_manifest(k8s_docs):
    (kustomization,) = k8s_docs["kustomization.yaml"]
    listed = kustomization.get("resources", [])
    on_disk = {p.name for p in _k8s_files()} - {"kustomization.yaml"}
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    assert set(listed) == on_disk
    assert any(img.get("name") == "market" for img in kustomization.get("images", []))


def test_images_are_the_kustomize_image_name(k8s_docs):
    for filename, doc in _resources(k8s_docs):
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        for container in (pod or {}).get("containers", []):
            assert container["image"].split(":")[0] == "market", f"{filename}: image must be 'market' for kustomize"


def test_web_probes_hit_the_app_port(web_container, monkeypatch):
    readiness = web_container["readinessProbe"]["httpGet"]
    liveness = web_container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/readyz"
    assert liveness["path"] == "/healthz"

    container_port = _resolve_port(web_container, readiness["port"])
    assert _resolve_port(web_container, liveness["port"]) == container_port
    if "startupProbe" in web_container:
        assert _resolve_port(web_container, web_container["startupProbe"]["httpGet"]["port"]) == container_port

    assert container_port == _gunicorn_default_port(monkeypatch)
    assert container_port in _dockerfile_expose()
    assert any(p.get("name") == "http" and p["containerPort"] == container_port for p in web_container["ports"])


def test_web_probes_send_an_allowed_host(k8s_docs, web_container):
    """kubelet sends the pod IP as Host by default, which Django answers with 400 DisallowedHost."""
    allowed = _one(k8s_docs, "configmap.yaml", "ConfigMap")["data"]["ALLOWED_HOSTS"].split(",")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if probe not in web_container:
            continue
        headers = {h["name"].lower(): h["value"] for h in web_container[probe]["httpGet"].get("httpHeaders", [])}
        assert headers.get("host") in {h.strip() for h in allowed}, f"{probe} must send a Host in ALLOWED_HOSTS"


def test_web_rollout_never_drops_capacity(web):
    strategy = web["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    assert strategy["rollingUpdate"]["maxSurge"] >= 1


def _prestop_seconds(container: dict) -> int:
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre_stop:  # native sleep action (Kubernetes 1.30+)
        return int(pre_stop["sleep"]["seconds"])
    command = pre_stop.get("exec", {}).get("command", [])
    assert command and command[0] == "sleep", f"expected a preStop sleep, got {pre_stop!r}"
    return int(command[-1])


def test_web_grace_period_covers_prestop_and_gunicorn_drain(k8s_docs, web, web_container, monkeypatch):
    graceful = _gunicorn_conf(monkeypatch)["graceful_timeout"]
    # The ConfigMap may override gunicorn's default; the effective value is what must fit.
    config = _one(k8s_docs, "configmap.yaml", "ConfigMap")["data"]
    if config.get("GUNICORN_GRACEFUL_TIMEOUT"):
        graceful = int(config["GUNICORN_GRACEFUL_TIMEOUT"])
    grace = web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > _prestop_seconds(web_container) + graceful


def test_web_runs_gunicorn_as_non_root(web, web_container):
    assert "gunicorn -c gunicorn.conf.py market.wsgi:application" in _command(web_container)
    pod_sc = web["spec"]["template"]["spec"].get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") or web_container.get("securityContext", {}).get("runAsNonRoot")
    resources = web_container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]
    env_from = web_container["envFrom"]
    assert any("configMapRef" in e for e in env_from) and any("secretRef" in e for e in env_from)


def test_env_sources_exist(k8s_docs):
    names = {(doc["kind"], doc["metadata"]["name"]) for _, doc in _resources(k8s_docs)}
    for filename, doc in _resources(k8s_docs):
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        for container in (pod or {}).get("containers", []):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in names, filename
                if "secretRef" in source:
                    assert ("Secret", source["secretRef"]["name"]) in names, filename


def test_hpa_targets_web(k8s_docs, web):
    hpa = _one(k8s_docs, "web-hpa.yaml", "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", web["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] >= 2, "the PDB (minAvailable 1) needs at least 2 replicas to allow drains"
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])


def test_pdb_selects_web_pods(k8s_docs, web):
    pdb = _one(k8s_docs, "web-pdb.yaml", "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert _matches(pdb["spec"]["selector"]["matchLabels"], _pod_labels(web))


def test_service_routes_to_web_container_port(k8s_docs, web, web_container, monkeypatch):
    service = _one(k8s_docs, "web-service.yaml", "Service")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert _matches(service["spec"]["selector"], _pod_labels(web))
    assert _matches(web["spec"]["selector"]["matchLabels"], _pod_labels(web))
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    assert _resolve_port(web_container, port["targetPort"]) == _gunicorn_default_port(monkeypatch)


def test_service_does_not_select_worker_or_migrate_pods(k8s_docs):
    service = _one(k8s_docs, "web-service.yaml", "Service")
    worker = _one(k8s_docs, "worker-deployment.yaml", "Deployment")
    job = _one(k8s_docs, "migrate-job.yaml", "Job")
    assert not _matches(service["spec"]["selector"], _pod_labels(worker))
    assert not _matches(service["spec"]["selector"], job["spec"]["template"]["metadata"]["labels"])


def test_worker_runs_events_worker(k8s_docs):
    worker = _one(k8s_docs, "worker-deployment.yaml", "Deployment")
    pod = worker["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "manage.py events_worker" in _command(container)
    assert pod["terminationGracePeriodSeconds"] >= 30
    # No HTTP server in the worker: an httpGet probe would kill it in a loop.
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert "httpGet" not in container.get(probe, {}), probe
    assert _matches(worker["spec"]["selector"]["matchLabels"], _pod_labels(worker))


def test_worker_liveness_probe_checks_the_heartbeat_file_the_worker_writes(k8s_docs, tmp_path):
    """The exec probe reads the file the worker is told (by env) to touch, and the command works:
    run here as the kubelet would, it passes on a fresh heartbeat and fails on a stale or missing one."""
    import subprocess
    import sys

    from market import heartbeat

    worker = _one(k8s_docs, "worker-deployment.yaml", "Deployment")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    command = container["livenessProbe"]["exec"]["command"]
    assert command[:3] == ["python", "-m", "market.heartbeat"]
    assert command[3] == env["EVENTS_WORKER_HEARTBEAT_FILE"]
    assert command[3].startswith("/tmp/")  # the only writable place (readOnlyRootFilesystem)
    max_age = float(command[command.index("--max-age") + 1])
    assert max_age >= 60  # far above the loop's period, so only a stuck worker fails it
    assert container["startupProbe"]["exec"]["command"] == command

    beat = tmp_path / "heartbeat"
    probe = [sys.executable, *command[1:3], str(beat), *command[4:]]
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run(probe, cwd=root, capture_output=True).returncode == 1  # no heartbeat yet
    heartbeat.beat(str(beat))
    assert subprocess.run(probe, cwd=root, capture_output=True).returncode == 0
    heartbeat.beat(str(beat), at=time.time() - max_age - 1)
    assert subprocess.run(probe, cwd=root, capture_output=True).returncode == 1


def test_worker_exposes_its_metrics_port(k8s_docs):
    worker = _one(k8s_docs, "worker-deployment.yaml", "Deployment")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["metrics"] == int(env["EVENTS_WORKER_METRICS_PORT"])
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == env["EVENTS_WORKER_METRICS_PORT"]


def test_migrate_job_runs_migrate(k8s_docs):
    job = _one(k8s_docs, "migrate-job.yaml", "Job")
    spec = job["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    assert "manage.py migrate" in _command(container)
    assert spec["backoffLimit"] == 3
    assert spec["ttlSecondsAfterFinished"] > 0
    assert spec["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}


def test_manifests_validate_against_kubernetes_schemas(k8s_docs):
    """Schema check (strict: unknown fields fail) against the oldest supported and the newest Kubernetes."""
    import kubernetes_validate

    for version in (MIN_K8S_VERSION, kubernetes_validate.latest_version()):
        for filename, doc in _resources(k8s_docs):
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{filename} ({doc['kind']}) invalid for Kubernetes {version}: {exc.message}")


# --- the app serves the probe paths ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probe_paths_resolve_in_urlconf(path):
    from django.urls import resolve

    resolve(path)  # raises Resolver404 if market/urls.py does not route it


def test_k8s_runs_behind_https_with_one_trusted_proxy(k8s_docs):
    config = _one(k8s_docs, "configmap.yaml", "ConfigMap")["data"]
    assert config["SECURE_HTTPS"] == "1"
    assert config["NUM_PROXIES"] == "1"
    assert config["DEBUG"] == "false"
    secret = _one(k8s_docs, "secret.yaml", "Secret")["stringData"]
    assert "METRICS_TOKEN" in secret, "production answers 403 on /metrics without a token"
