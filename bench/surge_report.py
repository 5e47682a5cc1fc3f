"""The surge's figures as tables: uploads, idle and slow connections, abusive clients."""

from __future__ import annotations

from typing import Any

from bench.common import print_table


def print_surge(figures: dict[str, Any]) -> None:
    ack = figures["ack_seconds"]
    lost = figures["lost"]
    catch = figures["catch_up"]
    cpu = figures["server_cpu"]
    doctor = figures["doctor"]
    errors = sum(figures["errors"].values())
    rows = [
        ["uploads acknowledged", f"{figures['acknowledged']} of {figures['clients']}", "all"],
        ["errors", _errors(figures["errors"]) if errors else "0", "0"],
        ["lost photos", str(lost["lost"]), "0"],
        ["read more than once", str(lost["read_more_than_once"]), "0"],
        ["ack p50 / p95", f"{_s(ack['p50'])} / {_s(ack['p95'])}", ""],
        ["ack p99", _s(ack["p99"]), f"< {figures['target_p99_seconds']:.0f} s"],
        ["ack max", _s(ack["max"]), ""],
        ["ack p50 / p99 while abused", _abused(figures["ack_seconds_during_abuse"]), ""],
        ["uploads done after the window", f"{figures['uploads_done_after_window_seconds']} s", ""],
        ["reading caught up after the window", _catch(catch), ""],
        [
            "server CPU during uploads",
            f"{cpu['seconds_during_uploads']} s ({cpu['cores_busy_during_uploads']} cores)",
            "",
        ],
        ["client CPU", f"{figures['client_cpu_seconds']} s", ""],
        ["canvass doctor", _doctor(doctor), "clean"],
    ]
    title = (
        f"{figures['clients']} uploads in {figures['window_seconds']:.0f} s, "
        f"{figures['idle_connections']} idle/slow connections"
    )
    print_table(title, ["measure", "measured", "target"], rows)
    idle_rows = [
        [kind, ", ".join(f"{n} {what}" for what, n in sorted(results.items()))]
        for kind, results in figures["idle"].items()
    ]
    print_table("idle and slow connections", ["kind", "what happened"], idle_rows)
    abuse_rows = [[name, _abuse(result)] for name, result in figures["abuse"].items()]
    print_table("abusive clients", ["client", "treated"], abuse_rows)


def _abused(during: dict[str, Any]) -> str:
    return (
        f"{_s(during['p50_during'])} / {_s(during['p99_during'])} "
        f"({during['uploads_during']} uploads; others {_s(during['p50_other'])} / "
        f"{_s(during['p99_other'])})"
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _errors(errors: dict[str, int]) -> str:
    return "; ".join(f"{n} x {kind}" for kind, n in sorted(errors.items(), key=lambda kv: -kv[1]))


def _catch(catch: dict[str, Any]) -> str:
    if catch["caught_up"]:
        return f"{catch['seconds_after_window']} s"
    return f"not within {catch['gave_up_after_seconds']} s: {catch['photo_statuses']}"


def _doctor(doctor: dict[str, Any]) -> str:
    report = doctor.get("report") or {}
    if doctor["exit_code"] == 0:
        return f"clean ({report.get('photos')} photos, {report.get('blobs')} blobs)"
    return f"exit {doctor['exit_code']}: {report.get('problems') or doctor.get('stderr')}"


def _abuse(result: Any) -> str:
    if not isinstance(result, dict):
        return str(result)
    return ", ".join(f"{k}: {v}" for k, v in result.items())
