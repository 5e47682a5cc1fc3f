"""The web app (`canvass serve`): upload, review, certify, progress and results.

`canvass.web.app.create_app(settings)` builds it; `canvass.web.auth.mint_token` makes API
tokens. Importing this package does nothing else.
"""
