"""Result files in object storage: one interface (`store.py`), `file://` and `s3://` backends.

See docs/storage.md for the key layout, the archive job and how results are served.
"""
