"""The read benchmark's printed tables: one form's or population's figures, forms or
populations side by side, the wrong values by kind, and confidence fitted on one
population and measured on the other. Only printing: the figures come from
`bench.read_report`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.read_stats import bound_text


def print_table(f: dict[str, Any]) -> None:
    fields, ver, rej, speed = f["fields"], f["verification"], f["rejection"], f["speed"]
    title = f"Page reader on evaluation photos: {column_name(f)}"
    table = Table("measure", "value", "target", title=title)
    table.add_row(
        "photos (calibration / evaluation)",
        f"{f['calibration_photos']} / {f['evaluation_photos']}",
        "",
    )
    table.add_row("fields measured", str(fields["fields"]), ">= 20,000")
    table.add_row(
        "silent errors (ok/blank but wrong), 95% bound",
        bound_text(fields["silent_errors"], fields["fields"]),
        "<= 1e-4",
    )
    table.add_row("read rate (ok or blank)", f"{fields['read_rate']:.2%}", ">= 98%")
    table.add_row("read rate, non-blank fields", f"{fields['nonblank_read_rate']:.2%}", ">= 90%")
    for name, v in (("image alone", ver), ("with the sheet's sums", f["verification_sheet"])):
        table.add_row(f"true values verified, {name}", f"{v['true_verified_rate']:.2%}", ">= 99.5%")
        table.add_row(f"  of them non-blank, {name}", f"{v['nonblank_verified_rate']:.2%}", "")
        table.add_row(
            f"hard wrong values verified (classic kinds), {name}",
            bound_text(v["wrong_verified"], v["wrong_values"]),
            "<= 1e-4",
        )
        table.add_row(
            f"  every kind (+ Sirekap's), {name}",
            bound_text(v["all_wrong_verified"], v["all_wrong_values"]),
            "<= 1e-4",
        )
    for kind, row in rej["by_kind"].items():
        table.add_row(
            f"rejected with the right reason: {kind}",
            f"{row['rejected_right_reason']} of {row['photos']}",
            "all",
        )
    table.add_row(
        "good photos rejected", f"{rej['good_rejected']} of {rej['good_photos']}", "<= 1%"
    )
    table.add_row("median read, one core", f"{speed['median_read_s'] * 1000:.0f} ms", "")
    table.add_row("median full-resolution decode", f"{speed['median_decode_s'] * 1000:.0f} ms", "")
    table.add_row("read / decode", f"{speed['ratio']:.2f}x", "<= 2x")
    tb = f["tesseract_baseline"]
    table.add_row(
        "tesseract baseline (exact, ms/field)",
        f"{tb['exact']:.1%}, {tb['ms_per_field']:.0f} ms",
        "",
    )
    table.add_row(
        "bands chosen (ok / blank)", f"{band(f['bands']['ok'])} / {band(f['bands']['blank'])}", ""
    )
    table.add_row(
        "sheet odds (reconcile.joint.SheetOdds)", f"{f['verification_sheet']['odds']:g}", ""
    )
    Console().print(table)
    grid = Table(
        "odds",
        "true verified",
        "non-blank verified",
        "hard wrong verified",
        title="The sheet's sums at other odds (calibration photos)",
    )
    for row in f["odds_on_calibration"]:
        grid.add_row(
            f"{row['odds']:g}",
            f"{row['true_verified_rate']:.2%}",
            f"{row['nonblank_verified_rate']:.2%}",
            f"{row['wrong_verified']} of {row['wrong_values']}",
        )
    Console().print(grid)


def band(value: float) -> str:
    """A band near 1 as 1 - its distance (0.9999998901 prints as 1 - 1.1e-07)."""
    return f"{value:g}" if value < 0.9999 or value >= 1.0 else f"1 - {1.0 - value:.1e}"


def column_name(f: dict[str, Any]) -> str:
    """A run's name: its form, and its writers when they are not digits.png's."""
    form = f.get("form", "caucus-math-worksheet")
    return form if f.get("population", "MNIST") == "MNIST" else f"{form}, {f['population']}"


def print_comparison(runs: Sequence[dict[str, Any]], title: str) -> None:
    """The headline figures of each run (form or population) side by side."""
    table = Table("measure", *(column_name(f) for f in runs), title=title)
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        (
            "photos (calibration / evaluation)",
            lambda f: f"{f['calibration_photos']} / {f['evaluation_photos']}",
        ),
        ("fields measured (good photos)", lambda f: f"{f['fields']['fields']:,}"),
        ("non-blank fields", lambda f: f"{f['fields']['nonblank_fields']:,}"),
        ("field accuracy (ok/blank and right)", lambda f: f"{f['fields']['accuracy']:.2%}"),
        ("read rate, non-blank fields", lambda f: f"{f['fields']['nonblank_read_rate']:.2%}"),
        (
            "fields with writing (a 0 written counts)",
            lambda f: f"{f['fields']['written_fields']:,}",
        ),
        (
            "  their accuracy (ok and right)",
            lambda f: f"{f['fields']['written_accuracy']:.2%}",
        ),
        (
            "  their wrong numbers passed",
            lambda f: str(f["fields"]["written_silent_errors"]),
        ),
        (
            "fields left blank (zeros): accuracy",
            lambda f: (
                f"{f['fields']['left_blank_accuracy']:.2%}"
                if f["fields"]["left_blank_fields"]
                else "none left blank"
            ),
        ),
        *(
            (f"  written numbers of {n} digit{'s' if n > 1 else ''}: accuracy", _by_digits(n))
            for n in (1, 2, 3, 4)
        ),
        (
            "wrong numbers passed (ok/blank but wrong), 95% bound",
            lambda f: bound_text(f["fields"]["silent_errors"], f["fields"]["fields"]),
        ),
        ("read rate (ok or blank)", lambda f: f"{f['fields']['read_rate']:.2%}"),
        ("unreadable share", lambda f: f"{f['fields']['unreadable_rate']:.2%}"),
        ("uncertain share", lambda f: f"{f['fields']['uncertain_rate']:.2%}"),
        (
            "true values verified, with the sums",
            lambda f: f"{f['verification_sheet']['true_verified_rate']:.2%}",
        ),
        (
            "true values verified, image alone",
            lambda f: f"{f['verification']['true_verified_rate']:.2%}",
        ),
        (
            "hard wrong verified (classic kinds), image alone",
            lambda f: bound_text(
                f["verification"]["wrong_verified"], f["verification"]["wrong_values"]
            ),
        ),
        (
            "hard wrong verified (classic kinds), with the sums",
            lambda f: bound_text(
                f["verification_sheet"]["wrong_verified"], f["verification_sheet"]["wrong_values"]
            ),
        ),
        (
            "hard wrong verified (every kind), with the sums",
            lambda f: bound_text(
                f["verification_sheet"]["all_wrong_verified"],
                f["verification_sheet"]["all_wrong_values"],
            ),
        ),
        (
            "good photos refused",
            lambda f: f"{f['rejection']['good_rejected']} of {f['rejection']['good_photos']}",
        ),
        ("median read, one core", lambda f: f"{f['speed']['median_read_s'] * 1000:.0f} ms"),
    ]
    for name, shown in rows:
        table.add_row(name, *(shown(f) for f in runs))
    Console().print(table)


def _by_digits(n: int) -> Callable[[dict[str, Any]], str]:
    """The accuracy on written numbers of `n` digits, and how many there were."""

    def shown(f: dict[str, Any]) -> str:
        row = f["fields"]["written_by_digits"].get(str(n))
        return f"{row['accuracy']:.2%} of {row['fields']:,}" if row else "none"

    return shown


def print_wrong_kinds(runs: Sequence[dict[str, Any]]) -> None:
    """Each kind of wrong value: how many were tried and verified, image alone and with the
    sheet's sums, per run."""
    table = Table(
        "kind of wrong value",
        *(f"{column_name(f)}: {how}" for f in runs for how in ("image alone", "with the sums")),
        title="Wrong values verified, by kind (a value of several kinds counts in each)",
    )
    kinds = list(runs[0]["verification"]["by_kind"])
    for kind in kinds:
        cells = []
        for f in runs:
            for key in ("verification", "verification_sheet"):
                row = f[key]["by_kind"][kind]
                cells.append(bound_text(row["verified"], row["tried"]))
        table.add_row(kind, *cells)
    Console().print(table)


def print_cross(rows: Sequence[dict[str, Any]]) -> None:
    """Bands fitted on one population's calibration photos, measured on each population's
    evaluation photos."""
    table = Table(
        "bands fitted on",
        "measured on",
        "ok / blank",
        "silent errors, 95% bound",
        "read rate",
        "non-blank read",
        title="Confidence fitted on one population, measured on another",
    )
    for r in rows:
        table.add_row(
            r["fitted_on"],
            r["measured_on"],
            f"{band(r['bands']['ok'])} / {band(r['bands']['blank'])}",
            bound_text(r["silent_errors"], r["fields"]),
            f"{r['read_rate']:.2%}",
            f"{r['nonblank_read_rate']:.2%}",
        )
    Console().print(table)


def print_thresholds(runs: Sequence[dict[str, Any]]) -> None:
    """Each run's verification with the sums at other clearing thresholds (evaluation
    photos; the reconciler's is 0.999)."""
    table = Table(
        "clearing threshold",
        *(f"{column_name(f)}: {what}" for f in runs for what in ("true cleared", "wrong cleared")),
        title="Clearing thresholds (with the sheet's sums, every kind of wrong value)",
    )
    for i, row in enumerate(runs[0]["thresholds"]):
        cells = []
        for f in runs:
            r = f["thresholds"][i]
            cells.append(f"{r['true_verified_rate']:.2%}")
            cells.append(bound_text(r["wrong_verified"], r["wrong_values"]))
        table.add_row(f"{row['threshold']:g}", *cells)
    Console().print(table)
