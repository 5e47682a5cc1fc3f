"""Logic-and-accuracy test decks (`canvass testdeck`).

US election offices test every machine before election day with a deck of test ballots
whose right answers are known. A county does the same with canvass: it prints test
worksheets (their QR code and a band say TEST) with a script of values per sheet, its own
staff copy the values by hand and photograph the sheets with their own phones, and upload
them through the usual doors. The reader reads them as always; the store keeps their
readings apart (status `test`), so they never reach results, the review queue,
reconciliation or a sign-off; and the report compares every field read with the script.

`script`: the values (deterministic from a seed); `printing`: the deck as a PDF;
`compare`: one reading against its script. The stories are in `canvass/stories/testdeck.py`.
"""
