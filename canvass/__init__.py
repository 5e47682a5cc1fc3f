"""canvass: photos of handwritten precinct worksheets in, certified reconciled results out.

The package holds what every stage shares: the election model (`canvass.model`), settings,
the error family, storage and the command line. The stages live beside it in `ingest`,
`ocr` and `reconcile`, which never import the storage, web or CLI layers.
"""

__version__ = "0.1.0"
