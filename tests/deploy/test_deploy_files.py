"""The deployment files hold together: they parse, Kubernetes and Compose accept them (schemas checked
offline), the Dockerfile keeps its promises, and every setting they set is a real SnapDesk setting.

Kubernetes manifests are checked with kubernetes-validate (its schemas ship inside the package); the
Compose file with the compose-spec JSON schema that check-jsonschema vendors, because `docker compose
config` needs the Docker CLI's compose plugin, which the test machines lack.
"""

from __future__ import annotations

import fnmatch
import importlib.resources
import json
import math
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from snapdesk.config import EngineEntry, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILES = [DEPLOY / "Dockerfile", DEPLOY / "vllm" / "Dockerfile"]
GPU_DOC = ROOT / "docs" / "gpu.md"
KUBERNETES_VERSION = kubernetes_validate.latest_version()

YAML_FILES = sorted(DEPLOY.rglob("*.yaml"))
K8S_FILES = sorted(K8S.glob("*.yaml"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _k8s_objects() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{doc['kind']}/{doc.get('metadata', {}).get('name', '')}", doc)
        for path in K8S_FILES
        for doc in _documents(path)
        if doc.get("kind") != "Kustomization"  # kustomize's own file, not an API object
    ]


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} / ${VAR:?message} with a stand-in for variables from deploy/.env."""
    return re.sub(r"\$\{(\w+)(?::?[-?]([^}]*))?\}", lambda m: f"test-{m.group(1).lower()}", value)


# --- every file parses ---------------------------------------------------------------------------


def test_there_are_deployment_files() -> None:
    names = {path.relative_to(DEPLOY).as_posix() for path in YAML_FILES}
    assert {"compose.yaml", "k8s/snapdesk.yaml", "k8s/vllm.yaml", "k8s/kustomization.yaml"} <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_yaml_parses(path: Path) -> None:
    documents = _documents(path)
    assert documents and all(isinstance(doc, dict) for doc in documents)


# --- Kubernetes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name,obj", _k8s_objects(), ids=[name for name, _ in _k8s_objects()])
def test_kubernetes_schema(name: str, obj: dict[str, Any]) -> None:
    # strict: a misspelt or misplaced field is an error, not silently dropped by the API server.
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_validator_rejects_a_broken_manifest() -> None:
    """The validation above can fail: strict mode catches a misspelt field (`resource` for `resources`)."""
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "x", "image": "x", "resource": {}}]},
            },
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S_FILES} - {"kustomization.yaml"}
    images = {image["name"] for image in kustomization["images"]}
    used = {
        container["image"].split(":")[0]
        for _, obj in _k8s_objects()
        if obj["kind"] == "Deployment"
        for container in obj["spec"]["template"]["spec"]["containers"]
    }
    assert used <= images


def _by_kind(kind: str, name: str) -> dict[str, Any]:
    matches = [obj for _, obj in _k8s_objects() if obj["kind"] == kind and obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}"
    return matches[0]


def test_snapdesk_deployment() -> None:
    from snapdesk.service.routes.health import router

    routes = {route.path for route in router.routes}
    deployment = _by_kind("Deployment", "snapdesk")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert sources == {"snapdesk-config", "snapdesk-secrets"}
    # Screenshots are files under the data folder: replicas must share it.
    data_dir = _by_kind("ConfigMap", "snapdesk-config")["data"]["SNAPDESK_DATA_DIR"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == data_dir)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    claim = _by_kind("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    assert deployment["spec"]["replicas"] == 1 or "ReadWriteMany" in claim["spec"]["accessModes"]


def test_autoscaler_scales_on_cpu_and_the_queue_gauge_snapdesk_exports() -> None:
    hpa = _by_kind("HorizontalPodAutoscaler", "snapdesk")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == "snapdesk"
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    queue_metric = metrics["Pods"]["pods"]["metric"]["name"]
    exported = (ROOT / "src" / "snapdesk" / "service" / "metrics.py").read_text(encoding="utf-8")
    assert f'"{queue_metric}"' in exported


def test_vllm_deployment_gets_a_gpu() -> None:
    (container,) = _by_kind("Deployment", "vllm")["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert _by_kind("Service", "vllm")["spec"]["ports"][0]["port"] == 8000


def test_only_snapdesk_reaches_vllm() -> None:
    policy = _by_kind("NetworkPolicy", "vllm-from-snapdesk-only")
    vllm_labels = _by_kind("Deployment", "vllm")["spec"]["template"]["metadata"]["labels"]
    snapdesk_labels = _by_kind("Deployment", "snapdesk")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= vllm_labels.items()
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert peer["podSelector"]["matchLabels"].items() <= snapdesk_labels.items()


def test_secrets_are_placeholders() -> None:
    secret = _by_kind("Secret", "snapdesk-secrets")
    assert secret["stringData"] and all("REPLACE" in value for value in secret["stringData"].values())


# --- Compose -------------------------------------------------------------------------------------


def _compose_schema() -> dict[str, Any]:
    resource = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(resource.read_text(encoding="utf-8"))


def test_compose_schema() -> None:
    schema = _compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []
    # ... and the schema does catch a mistake.
    broken = _compose()
    broken["services"]["snapdesk"]["depends_on"]["postgres"]["condition"] = "service_up"
    assert not validator.is_valid(broken)


def test_compose_services() -> None:
    services = _compose()["services"]
    assert set(services) == {"snapdesk", "postgres", "redis", "vllm"}
    assert {name for name, svc in services.items() if "healthcheck" in svc} == set(services)
    conditions = services["snapdesk"]["depends_on"]
    assert {name: c["condition"] for name, c in conditions.items()} == dict.fromkeys(
        ("postgres", "redis", "vllm"), "service_healthy"
    )
    (device,) = services["vllm"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert any(v.endswith(":/root/.cache/huggingface") for v in services["vllm"]["volumes"])
    assert services["snapdesk"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (COMPOSE.parent / services["snapdesk"]["build"]["context"] / "deploy" / "Dockerfile").is_file()
    assert (COMPOSE.parent / services["vllm"]["build"]["context"] / "Dockerfile").is_file()


def test_compose_variables_are_in_the_env_example() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^(\w+)=", example, re.M))
    assert required and required <= defined


# --- settings the files set are SnapDesk's -------------------------------------------------------


def _environments() -> dict[str, dict[str, str]]:
    """Every environment the deployment gives SnapDesk, by where it is set."""
    services = _compose()["services"]
    k8s = {**_by_kind("ConfigMap", "snapdesk-config")["data"], **_by_kind("Secret", "snapdesk-secrets")["stringData"]}
    dockerfile = dict(re.findall(r"(SNAPDESK_\w+)=(\S+)", (DEPLOY / "Dockerfile").read_text(encoding="utf-8")))
    return {
        "compose": {k: _interpolate(str(v)) for k, v in services["snapdesk"]["environment"].items()},
        "k8s": {k: str(v) for k, v in k8s.items()},
        "Dockerfile": dockerfile,
    }


@pytest.mark.parametrize("where", ["compose", "k8s", "Dockerfile"])
def test_settings_exist_and_parse(where: str, monkeypatch, tmp_path: Path) -> None:
    env = _environments()[where]
    names = {name for name in env if name.startswith("SNAPDESK_")}
    assert names, where
    unknown = names - {f"SNAPDESK_{field.upper()}" for field in Settings.model_fields}
    assert unknown == set()
    monkeypatch.setenv("SNAPDESK_CONFIG", str(tmp_path / "absent.toml"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()  # raises on a value of the wrong type
    assert settings.host == "0.0.0.0" and settings.port == 8000


@pytest.mark.parametrize("where", ["compose", "k8s"])
def test_engines_json(where: str) -> None:
    env = _environments()[where]
    entries = [EngineEntry.model_validate(item) for item in json.loads(env["SNAPDESK_ENGINES"])]
    raw_keys = {key for item in json.loads(env["SNAPDESK_ENGINES"]) for key in item}
    assert raw_keys <= set(EngineEntry.model_fields)  # a misspelt field would be silently ignored
    chosen = [entry for entry in entries if entry.name == env["SNAPDESK_ENGINE"]]
    assert len(chosen) == 1
    engine = chosen[0]
    assert engine.kind == "openai" and engine.extra_body["chat_template_kwargs"] == {"enable_thinking": False}
    assert engine.api_key_env in env  # the key's variable is set beside it


def _vllm_args() -> dict[str, list[str]]:
    compose_args = _compose()["services"]["vllm"]["command"]
    (container,) = _by_kind("Deployment", "vllm")["spec"]["template"]["spec"]["containers"]
    return {"compose": compose_args, "k8s": container["args"]}


def _flag(args: list[str], name: str) -> str:
    values = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")]
    assert len(values) == 1, name
    return values[0]


def _glm_image_tokens(width: int, height: int) -> int:
    """Tokens GLM-4.xV spends on one image: 14-px patches merged 2x2 (transformers' Glm4vImageProcessor)."""
    factor = 28
    return round(height / factor) * round(width / factor)


@pytest.mark.parametrize("where", ["compose", "k8s"])
def test_vllm_serves_what_snapdesk_asks_for(where: str) -> None:
    args = _vllm_args()[where]
    env = _environments()[where]
    engine = next(EngineEntry.model_validate(e) for e in json.loads(env["SNAPDESK_ENGINES"]))
    assert args[0] == "zai-org/GLM-4.6V-Flash"
    assert _flag(args, "served-model-name") == engine.model
    assert engine.base_url.endswith(f":{_flag(args, 'port')}/v1")
    limits = json.loads(_flag(args, "limit-mm-per-prompt"))
    assert limits["image"] >= 1
    # A square screenshot at image_max_side, 2,000 tokens of grounding text and the longest answer fit.
    side = engine.image_max_side
    assert int(_flag(args, "max-model-len")) >= _glm_image_tokens(side, side) + 2000 + engine.max_tokens
    assert math.isclose(_glm_image_tokens(1024, 1024), 37 * 37)


# --- Dockerfiles ---------------------------------------------------------------------------------


def _instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _dockerignored(relpath: str) -> bool:
    """Whether .dockerignore keeps a path out of the build context (last matching pattern wins)."""
    ignored = False
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(relpath, pattern) or relpath.startswith(pattern + "/"):
            ignored = not negate
    return ignored


def test_dockerfile_essentials() -> None:
    instructions = _instructions(DEPLOY / "Dockerfile")
    final_stage = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    users = [arg for op, arg in final_stage if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(op == "HEALTHCHECK" and "/healthz" in arg for op, arg in final_stage)
    assert ("EXPOSE", "8000") in final_stage
    entry = [json.loads(arg) for op, arg in final_stage if op in ("ENTRYPOINT", "CMD")]
    assert entry == [["snapdesk"], ["serve"]]
    # Nothing fetches a model: no download tool anywhere, and no pip install after the user switch.
    text = " ".join(arg for _, arg in instructions).lower()
    for tool in ("curl", "wget", "huggingface-cli", "hf download", "snapshot_download", "git clone"):
        assert tool not in text
    after_user = final_stage[[op for op, _ in final_stage].index("USER") :]
    assert not any("pip install" in arg for op, arg in after_user if op == "RUN")


def test_dockerfile_copies_what_exists_and_is_in_the_context() -> None:
    copied = []
    for path in DOCKERFILES:
        for op, arg in _instructions(path):
            if op == "COPY" and "--from" not in arg:
                *sources, _ = shlex.split(arg)
                copied += sources
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not _dockerignored(source), source
    # The context stays small: tests, benchmarks and the virtual environment never go in.
    assert _dockerignored(".venv") and _dockerignored("tests") and _dockerignored("benchmarks")
    assert not _dockerignored("src/snapdesk/config.py")


# --- docs/gpu.md ---------------------------------------------------------------------------------


def _default_cell(field: Any) -> str:
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, dict):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def test_gpu_doc_documents_exactly_the_engine_fields_with_their_defaults() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|$", GPU_DOC.read_text(encoding="utf-8"), re.M)
    documented = {name: default.strip() for name, default, _ in rows}
    assert set(documented) == set(EngineEntry.model_fields)
    for name, field in EngineEntry.model_fields.items():
        assert documented[name] == _default_cell(field), name


def test_gpu_doc_toml_examples_parse_into_engine_entries() -> None:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    blocks = re.findall(r"```toml\n(.*?)```", GPU_DOC.read_text(encoding="utf-8"), re.S)
    kinds = set()
    for block in blocks:
        for table in tomllib.loads(block).get("engines", []):
            assert set(table) <= set(EngineEntry.model_fields), table
            kinds.add(EngineEntry.model_validate(table).kind)
    assert len(blocks) >= 4 and kinds == {"openai", "transformers"}
