"""The code location's asset graph as plain JSON-able data: asset keys with their group, kinds
and upstream keys, asset checks (blocking or not), jobs and the assets they run, sensors and
schedules. Taken either from the in-process Definitions or from a webserver's GraphQL answer,
so the snapshot test and the webserver test compare the same shape."""

from __future__ import annotations

import json
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def _user_job(name: str) -> bool:
    """Dagster's implicit jobs (``__ASSET_JOB`` …) are left out."""
    return not name.startswith("__")


def graph_from_definitions() -> dict:
    """The summary, from the in-process Definitions (no webserver, no code server)."""
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "kinds": sorted(graph.get(key).kinds),
            "deps": sorted(k.to_user_string() for k in graph.get(key).parent_keys),
        }
        for key in graph.get_all_asset_keys()
    }
    checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": graph.get_check_spec(key).blocking
        for key in graph.asset_check_keys
    }
    jobs = {
        job.name: sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
        for job in defs.resolve_all_job_defs()
        if _user_job(job.name)
    }
    sensors = {
        sensor.name: {
            "assets": sorted(k.to_user_string() for k in sensor.asset_selection.resolve(graph))
            if sensor.asset_selection is not None
            else [],
            "jobs": sorted(
                n for n in (sensor.job_names if sensor.has_jobs else []) if _user_job(n)
            ),
            "status": sensor.default_status.value,
        }
        for sensor in repo.sensor_defs
    }
    schedules = sorted(s.name for s in repo.schedule_defs)
    return normalised(assets=assets, checks=checks, jobs=jobs, sensors=sensors, schedules=schedules)


def graph_from_webserver(data: dict) -> dict:
    """The same summary from a GraphQL answer (``assetNodes`` and one repository)."""
    [repository] = data["repositoriesOrError"]["nodes"]
    nodes = data["assetNodes"]

    def key(node: dict) -> str:
        return "/".join(node["path"])

    assets = {
        key(n["assetKey"]): {
            "group": n["groupName"],
            "kinds": sorted(n["kinds"]),
            "deps": sorted(key(d) for d in n["dependencyKeys"]),
        }
        for n in nodes
    }
    checks = {}
    for n in nodes:
        result = n["assetChecksOrError"]
        assert result["__typename"] == "AssetChecks", result
        for c in result["checks"]:
            checks[f"{key(n['assetKey'])}:{c['name']}"] = c["blocking"]
    jobs = {
        job["name"]: sorted(key(n["assetKey"]) for n in nodes if job["name"] in n["jobNames"])
        for job in repository["jobs"]
        if _user_job(job["name"])
    }
    sensors = {
        s["name"]: {
            "assets": sorted(key(k) for k in (s["assetSelection"] or {}).get("assetKeys", [])),
            "jobs": sorted(
                t["pipelineName"] for t in s["targets"] or [] if _user_job(t["pipelineName"])
            ),
            "status": s["defaultStatus"],
        }
        for s in repository["sensors"]
    }
    schedules = sorted(s["name"] for s in repository["schedules"])
    return normalised(assets=assets, checks=checks, jobs=jobs, sensors=sensors, schedules=schedules)


def normalised(**graph: object) -> dict:
    """The summary of its parts, with keys in sorted order at every level, so the JSON file
    diffs line by line in review."""
    return json.loads(json.dumps(graph, sort_keys=True))


def dumps(graph: dict) -> str:
    return json.dumps(graph, indent=2, sort_keys=True) + "\n"
