"""Forms and rule sets as data: what each kind of tally sheet holds and which rules apply.

`spec` (the FormSpec type, and the only parser of field keys), one module per form
(`caucus`, `results_sheet`), `rules` (rule sets read from `rulesets/*.json`) and
`registry` (the one list of both). See "Adding a form" in the README.
"""
