"""The documented election file format: one JSON object matching `canvass.model.Election`.

    {
      "id": "example-2024", "name": "...", "rule_set": "iowa-dem-2020",
      "form": "caucus-math-worksheet",
      "candidates": ["A", "B", "Uncommitted"],
      "counties": [{"name": "Adair", "state_delegate_ratio": 0.0784}],
      "precincts": [{"id": "ADAIR-01NW", "county": "Adair", "name": "1NW ADAIR",
                     "delegates_to_elect": 8, "sde_weight": 0.6275}]
    }

`form` names the tally sheet (default `caucus-math-worksheet`; a general election's
`precinct-results`) and `rule_set` the rules run on it (`iowa-dem-2020` on the caucus
worksheet, `vote-count` on a results sheet): `canvass.forms.registry` lists both and refuses
a pair that does not fit. `canvass election export` writes the loaded (or built-in) election
in this format, as a template (`election_text`: two-space indented, one newline at the end,
the same bytes `python -m canvass.elections.iowa2020_general --out FILE` writes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from canvass.errors import InputError, NotFoundError
from canvass.forms.registry import check_election
from canvass.model import Election


def load_election_file(path: Path) -> Election:
    """Parse and check an election file; every problem is an InputError that names the file."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such election file; give the path of a JSON file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); fix the file and retry") from exc
    return parse_election(data, source=str(path))


def parse_election(data: Any, source: str = "election") -> Election:
    try:
        election = Election.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise InputError(
            f"{source}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all); "
            "see the election file format in the README"
        ) from exc
    check_election(election, source)
    return election


def dump_election(election: Election) -> dict[str, Any]:
    return election.model_dump(mode="json", exclude_defaults=False)


def election_text(election: Election) -> str:
    """The election file's text: every field, two-space indented, a newline at the end."""
    return json.dumps(dump_election(election), indent=2, ensure_ascii=False) + "\n"
