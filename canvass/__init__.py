"""canvass: photos of handwritten precinct worksheets in, certified reconciled results out.

The package holds the kernel every layer shares (the election model `canvass.model`,
settings, the error family, roles, the decision policy), the forms (`canvass.worksheet`),
the storage (`canvass.store`), the application's stories (`canvass.stories`: reconcile,
review, certify, results), the web app and the command line. The stages live beside it:
`ocr` (the reader) and `reconcile` (the caucus math, paper against reports) never import
storage, web or CLI; `ingest` (photos and reports in) sits on the storage. The order is
enforced by `tests/test_layers.py`.
"""

__version__ = "0.1.0"
