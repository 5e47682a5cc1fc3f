"""Browser tests of the web app in a real Chromium, and the data they share with the
TestClient tests (tests/test_web_*.py)."""
