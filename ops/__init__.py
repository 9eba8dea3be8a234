"""Runbooks as code: `python -m ops verify|failover|restore-drill|tenant-migrate` (see docs/operations.md)."""
