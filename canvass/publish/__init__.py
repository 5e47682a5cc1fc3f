"""A public export that verifies itself: `canvass publish` writes a static site of the
results with every number's evidence (`evidence.py` gathers it, `export.py` and
`pages.py` write it), and `verify_publication.py`, standard library only and copied into
the export, checks it offline."""
