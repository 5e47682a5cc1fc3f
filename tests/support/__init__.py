"""What the tests share; a test module imports its helpers from here, never from another
test module (tests/test_support_imports.py holds them to it).

- iowa.py: the built-in Iowa 2020 election (IOWA, from canvass/data/iowa2020), its certified
  results (CERTIFIED), the IDP's apportionment file read straight, and the finding counts
  the validator gives over the certified results (EXPECTED_COUNTS).
- images.py: image files made in memory (jpeg, png, heic, pdf) and a PNG read back grey.
- intake.py: an Intake on the Iowa election (make_intake) with generous LIMITS.
- readings.py: sheet readings and app reports built from certified tallies (reading_of,
  report_of, confident_field, shaky; PRECINCT and its TALLY), and fake_reader, a stand-in
  for the reader.
- site.py: the election-night data of the web tests (three counties, one account per
  role) and a real `canvass serve` on a free port.
- client.py: FastAPI's TestClient signed in through the form, and bearer tokens.
"""
