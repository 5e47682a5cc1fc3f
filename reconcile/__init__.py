"""Reconcile: the caucus math, worksheet validation and paper-vs-report reconciliation.

Never imports the storage, web or CLI layers: takes and returns typed values.
"""
