"""Browser tests of the web app in a real Chromium; the data and the server they share with
the TestClient tests (tests/test_web_*.py) are in tests/support/site.py."""
