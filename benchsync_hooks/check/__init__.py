"""Pure rules: strict JSON, the schema, the convention, consistency, uniqueness.

No git and no file system here: callers bring the bytes.
"""
