"""Every rule id benchsync reports, with what it means. README and tests read this."""

from __future__ import annotations

RULES: dict[str, str] = {
    # strict JSON (benchsync schema, and wherever content is read)
    "file-unreadable": "the file cannot be read",
    "json-size": "the file is larger than max_file_size (checked before reading)",
    "json-empty": "the file is empty or only white space",
    "json-encoding": "not UTF-8, or a UTF-8 byte order mark",
    "json-syntax": "not valid JSON",
    "json-duplicate-key": "an object has the same key twice",
    "json-constant": "NaN, Infinity or -Infinity, which JSON does not allow",
    "json-depth": "nesting deeper than max_depth",
    # the schema: schema-<keyword> of the failing JSON Schema keyword
    "schema-required": "a required key is missing",
    "schema-type": "a value has the wrong type",
    "schema-enum": "a value is not one of the allowed values",
    "schema-pattern": "a string does not have the required form (version, UUID)",
    "schema-minimum": "a number is below its minimum",
    "schema-maximum": "a number is above its maximum",
    "schema-anyOf": "none of the alternatives holds (e.g. no interconnect at all)",
    "schema-oneOf": "the value fits none of the allowed forms",
    "schema-many": "more schema problems than one file reports (the first 100 are shown)",
    # documented by the website, not enforced by its schema (each can be disabled)
    "cluster-single-node": "cluster is not null for single_gpu / multi_gpu",
    "format-date-time": "metadata.submitted_at is not an RFC 3339 date-time with offset",
    "format-date": "metadata.release_date is not a calendar date YYYY-MM-DD",
    # the directory convention (benchsync layout)
    "layout-root": "the file is not under source_root",
    "layout-shape": "not exactly outputs/<backend>/<model>/<run_id>/<name>_leaderboard.json",
    "layout-backend": "backend is not a lower-case slug (or not a configured backend)",
    "layout-model": "model directory has characters other than letters, digits, . _ -",
    "layout-run-id": "run directory is not <workload>_<YYYYMMDD>_<NNN>",
    "layout-date": "the run date is not a real calendar date",
    "layout-sequence": "the run sequence is 000",
    "layout-name": "the file name is not <name>_leaderboard.json with a slug name, or a name "
    "on the website would be over 255 bytes (its path over 4,096)",
    "layout-symlink": "the file, or a directory on its path, is a symbolic link",
    "layout-outside-repo": "the file is outside the repository",
    "layout-ignored": ".gitignore ignores the file, so it never reaches the index",
    "layout-single-result": "a file under outputs/ holds an array instead of one result",
    "model-name": "model.name differs from the model directory",
    "run-date": "metadata.submitted_at is more than date_tolerance_days from the run date",
    "workload-file": "the file name does not fit the run's workload",
    "config-json": "the config.json beside the file disagrees with the path",
    "entry-id-unique": "another result in the repository (or in the same file) has the same "
    "entry_id",
    "target-unique": "another result maps to the same website path (or one differing in case)",
    "result-moved": "a published result (HEAD's manifest lists its entry_id) is now at another "
    "path, where it would clash with the copy the website keeps",
    "merge-conflict": "a result is unmerged in the index (a merge in progress)",
    # the manifest (benchsync manifest / check)
    "manifest-left-out": "a file fails a check and is kept out of the manifest",
    "manifest-ignored": ".gitignore ignores the manifest",
    "manifest-stale": "the manifest does not match the git index",
    "manifest-schema": "a manifest does not validate against the JSON Schema of its format",
    "manifest-format": "a manifest's format is missing, not a string or not one this version "
    "reads (v1, v2)",
    # claims of a manifest that are false (benchsync apply): nothing is written
    "manifest-roots": "the manifest's source_root/target_root differ from the website's",
    "manifest-duplicate": "a source or a target is listed twice",
    "manifest-source": "a listed source is not a regular file at the source commit",
    "manifest-target": "a target is not the one the convention gives, or leaves target_root",
    "manifest-field": "backend, model, run_id or entry_id disagree with the path or content",
    "manifest-size": "a size claim differs from the blob (or the manifest is too large)",
    "manifest-hash": "a sha256 claim differs from the blob",
    "manifest-blob": "a blob id claim (the result's or its config.json's) differs from the source",
    "website-symlink": "a directory on a target's path in the website is a symbolic link",
    # the website (benchsync check --website)
    "website-layout": "not data/results/<backend>/<model>/<run_id>_<name>_leaderboard.json",
}

#: Rules that ``disable = [...]`` in the configuration may switch off.
DISABLEABLE = (
    "cluster-single-node",
    "format-date-time",
    "format-date",
    "layout-single-result",
    "model-name",
    "run-date",
    "workload-file",
    "config-json",
)
