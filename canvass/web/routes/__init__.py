"""The app's routes, one module per area; each route declares the roles it admits."""
