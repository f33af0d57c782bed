"""The git layer (benchsync_hooks.git) against git itself, on real repositories."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import RUNS, Pair, blob_id, git, init_repo, run_cli

from benchsync_hooks.errors import GitError
from benchsync_hooks.git import GitRepo, objects, open_repo
from benchsync_hooks.git.commit import behind_upstream
from benchsync_hooks.git.listing import (
    Entry,
    Listing,
    files_containing,
    index_listing,
    long_listing,
    staged_listing,
    tree_listing,
)
from benchsync_hooks.git.objects import read_blobs, store, tree_with

#: File names git stores as they are and a careless parser splits or unquotes.
ODD_NAMES = [
    "plain.json",
    "with space.json",
    "tab\there.json",
    "new\nline.json",
    'quote".json',
    "back\\slash.json",
    "-leading-dash.json",
    "ünïcödé.json",
    "日本.json",
    "a.b",
    "a-b",
    "a0",
]


def _odd_repo(root: Path) -> dict[str, tuple[str, bytes]]:
    """Commit a file for each odd name (one executable, one symbolic link); path → (mode, bytes)."""
    init_repo(root)
    made: dict[str, tuple[str, bytes]] = {}
    for k, name in enumerate(ODD_NAMES):
        rel = f"outputs/d{k % 3}/{name}"
        data = f"{k}: {name}\n".encode()
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        mode = "100644"
        if k == 4:
            (root / rel).chmod(0o755)
            mode = "100755"
        made[rel] = (mode, data)
    os.symlink("plain.json", root / "outputs/d0/link.json")
    made["outputs/d0/link.json"] = ("120000", b"plain.json")
    (root / "elsewhere.json").write_text("{}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "odd names")
    return made


@pytest.mark.parametrize(
    "where", ["index", "index without --format", "tree", "tree without --format"]
)
def test_listings_keep_odd_names_whole(tmp_path: Path, where: str) -> None:
    made = _odd_repo(tmp_path / "r")
    repo = open_repo(tmp_path / "r")
    try:
        head = git(tmp_path / "r", "rev-parse", "HEAD").strip()
        listing: Mapping[str, Entry]
        if where == "index":
            listing = index_listing(repo, "outputs")
        elif where == "index without --format":  # what a git older than 2.38 gives
            listing = staged_listing(repo, "outputs")
        elif where == "tree":
            listing = tree_listing(repo, head, "outputs", sizes=True)
        else:  # what a git older than 2.36 gives
            listing = long_listing(repo, head, "outputs", sizes=True)
        assert set(listing) == set(made)
        for rel, (mode, data) in made.items():
            entry = listing[rel]
            assert (entry.path, entry.mode, entry.blob) == (rel, mode, blob_id(data)), rel
            assert entry.size == (-1 if where.startswith("index") else len(data))
            assert entry.is_symlink == (mode == "120000")
            assert entry.is_file == (mode != "120000")
        blobs = dict(read_blobs(repo, [e.blob for e in listing.values()]))
        assert {blobs[listing[rel].blob] for rel in made} == {d for _m, d in made.values()}
    finally:
        repo.close()


@pytest.mark.parametrize("listed", [index_listing, staged_listing], ids=["--format", "-s"])
def test_an_unfinished_merge_lists_only_the_settled_entries(
    tmp_path: Path, listed: Callable[[GitRepo, str], Listing]
) -> None:
    """Stages 1-3 of a conflicted path are not files of the index yet: left out, and
    named as unmerged (once)."""
    root = init_repo(tmp_path / "r")
    (root / "outputs").mkdir()
    (root / "outputs" / "a.json").write_text("{}\n")
    (root / "outputs" / "b.json").write_text("[]\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "other")
    (root / "outputs" / "a.json").write_text('{"x": 1}\n')
    git(root, "commit", "-q", "-am", "other")
    git(root, "checkout", "-q", "main")
    (root / "outputs" / "a.json").write_text('{"x": 2}\n')
    git(root, "commit", "-q", "-am", "mine")
    git(root, "merge", "-q", "other", check=False)
    assert "a.json" in git(root, "ls-files", "-u")  # conflicted: stages 1, 2 and 3
    repo = open_repo(root)
    try:
        found = listed(repo, "outputs")
        assert set(found) == {"outputs/b.json"}
        assert found.unmerged == ("outputs/a.json",)
    finally:
        repo.close()


def test_read_blobs_skips_what_is_too_large_unread(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    small, big = b"small\n", b"x" * 300_000
    (root / "small").write_bytes(small)
    (root / "big").write_bytes(big)
    git(root, "add", "-A")
    repo = open_repo(root)
    try:
        ids = [blob_id(big), blob_id(small), blob_id(big)]
        assert list(read_blobs(repo, ids, max_size=1000)) == [
            (blob_id(big), None),
            (blob_id(small), small),
        ]
    finally:
        repo.close()


@pytest.mark.parametrize("count", [5, objects.BATCH_FROM + 50], ids=["one by one", "batched"])
def test_read_blobs_reads_each_once_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """Few blobs are read one round trip each, many by whole ``cat-file`` runs (here of at
    most 5,000 bytes each, so that the contents take several runs): the same answers, in
    the order asked, each blob once, the oversized ones None and never held."""
    monkeypatch.setattr(objects, "_BATCH_BYTES", 5000)
    root = init_repo(tmp_path / "r")
    datas = [(b"x" * (n * 397 % 1500)) + b"%d\n" % n for n in range(count)]
    for n, data in enumerate(datas):
        (root / f"f{n}").write_bytes(data)
    git(root, "add", "-A")
    ids = [blob_id(data) for data in datas]
    asked = [*ids, ids[3], *reversed(ids[:4])]
    repo = open_repo(root)
    try:
        found = list(read_blobs(repo, asked, max_size=1000))
        assert found == [
            (i, d if len(d) <= 1000 else None) for i, d in zip(ids, datas, strict=True)
        ]
        assert any(d is None for _i, d in found) and any(d for _i, d in found)
        tree = git(root, "write-tree").strip()
        for bad, says in [
            ("0" * 40, "is missing from"),
            (tree, "is a tree, not a file"),
        ]:
            for limit in (None, 10):  # (a tree over the limit is no blob either)
                with pytest.raises(GitError, match=says):
                    dict(read_blobs(repo, [*ids, bad], max_size=limit))
            # the persistent cat-file read on after the error: the next answers are right
            assert dict(read_blobs(repo, ids[:3])) == dict(zip(ids[:3], datas[:3], strict=True))
    finally:
        repo.close()


@pytest.mark.parametrize("count", [1, objects.BATCH_FROM], ids=["one by one", "batched"])
def test_read_blobs_refuses_what_is_no_object_id(tmp_path: Path, count: int) -> None:
    root = init_repo(tmp_path / "r")
    repo = open_repo(root)
    try:
        with pytest.raises(GitError, match="not an object id"):
            dict(read_blobs(repo, ["HEAD\nHEAD", *(f"{n:040x}" for n in range(count))]))
    finally:
        repo.close()


def test_tree_with_equals_git_write_tree(tmp_path: Path) -> None:
    """Trees built folder by folder get exactly the ids of git's own read-tree/write-tree,
    for names that sort tricky next to a folder (``a.b``, ``a-b``, ``a0`` against ``a/``).
    (A target never holds a line break: the manifest check refuses unprintable targets.)"""
    repo_dir = init_repo(tmp_path / "r")
    rng = random.Random(7)
    names = ["a", "a.b", "a-b", "a0", "A", "b", "data", "data.x", "x y", "ü"]

    def random_path() -> str:
        return "/".join(rng.choice(names) for _ in range(rng.randint(1, 4)))

    files: dict[str, str] = {}
    for _ in range(80):
        path = random_path()
        if not any(
            q == path or q.startswith(path + "/") or path.startswith(q + "/") for q in files
        ):
            files[path] = str(rng.random())
    for path, text in files.items():
        (repo_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (repo_dir / path).write_text(text)
    git(repo_dir, "add", "-A")
    git(repo_dir, "commit", "-q", "-m", "m")
    repo = open_repo(repo_dir)
    head = git(repo_dir, "rev-parse", "HEAD").strip()
    checked = 0
    try:
        for _ in range(40):
            changes: dict[str, str] = {}
            for _ in range(rng.randint(1, 6)):
                path = rng.choice(list(files)) if rng.random() < 0.5 else random_path() + "/new"
                clashes = [*files, *changes]
                if any(q.startswith(path + "/") or path.startswith(q + "/") for q in clashes):
                    continue
                changes[path] = subprocess.run(
                    ["git", "hash-object", "-w", "--stdin"],
                    cwd=repo_dir,
                    input=str(rng.random()),
                    text=True,
                    capture_output=True,
                    check=True,
                ).stdout.strip()
            if not changes:
                continue
            env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index")}
            subprocess.run(["git", "read-tree", head], cwd=repo_dir, env=env, check=True)
            info = "".join(f"100644 {blob}\t{path}\0" for path, blob in changes.items())
            subprocess.run(
                ["git", "update-index", "-z", "--index-info"],
                cwd=repo_dir,
                env=env,
                input=info,
                text=True,
                check=True,
            )
            expected = subprocess.run(
                ["git", "write-tree"],
                cwd=repo_dir,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            assert tree_with(repo, head, changes) == expected, changes
            checked += 1
    finally:
        repo.close()
    assert checked > 20
    git(repo_dir, "fsck", "--strict")


# (case, extra arguments of apply, text of the one-line refusal)
OPTION_LIKE = [
    ("remote", ["--push", "--remote", "--upload-pack=touch x"], "is not a remote name"),
    ("empty remote", ["--push", "--remote", ""], "is not a remote name"),
    ("branch", ["--branch=-x"], "is not a valid branch name"),
    ("branch with ..", ["--branch", "a..b"], "is not a valid branch name"),
    ("branch HEAD", ["--branch", "HEAD"], "is not a valid branch name"),
    ("branch refs/", ["--branch", "refs/heads/x"], "is not a valid branch name"),
    ("ref", ["--ref=--output=x"], "is not a branch, tag or commit"),
]


@pytest.mark.parametrize(("case", "extra", "text"), OPTION_LIKE, ids=[o[0] for o in OPTION_LIKE])
def test_names_git_could_read_as_options_are_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str], case: str, extra: list[str], text: str
) -> None:
    pair.publish(*RUNS)
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), *extra)
    assert (code, out) == (2, ""), (case, err)
    assert text in err and len(err.splitlines()) == 1, err
    assert pair.snapshot() == before
    assert not (pair.site / "x").exists()
    assert git(pair.site, "branch", "--list").strip() == "* main"


def test_both_tree_listings_agree_on_plain_names(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r")
    for n in range(5):
        path = root / f"outputs/cpu/m{n}/run_2026110{n + 1}_001/short_leaderboard.json"
        path.parent.mkdir(parents=True)
        path.write_text("{}" + " " * n)
    (root / "outputs/cpu/m0/run_20261101_001/run.sh").write_text("echo\n")
    (root / "outputs/cpu/m0/run_20261101_001/run.sh").chmod(0o755)
    os.symlink("m1", root / "outputs/cpu/latest")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "plain names")
    head = git(root, "rev-parse", "HEAD").strip()
    repo = open_repo(root)
    try:
        for sizes in (True, False):
            fast = tree_listing(repo, head, "outputs", sizes=sizes)
            slow = long_listing(repo, head, "outputs", sizes=sizes)
            assert len(fast) == 7
            assert {p: fast[p] for p in fast} == {p: slow[p] for p in slow}
            assert {p for p in fast if fast[p].is_symlink} == {"outputs/cpu/latest"}
    finally:
        repo.close()


def test_files_containing_takes_more_needles_than_a_command_line_holds(tmp_path: Path) -> None:
    """A first sync of 60,000 results searches for 60,000 entry_ids: 2.3 MB of needles,
    over Linux's 2 MB for a command line, so they go to git on stdin."""
    root = init_repo(tmp_path / "site")
    needles = [f"{n:08x}-0000-4000-8000-{n:012x}" for n in range(60_000)]
    (root / "data").mkdir()
    (root / "data" / "a.json").write_text(f'{{"entry_id": "{needles[37_777]}"}}\n')
    (root / "data" / "b.json").write_text('{"entry_id": "none of them"}\n')
    (root / "data" / "c.json").write_text('{"text": "\\u0041"}\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "three files")
    head = git(root, "rev-parse", "HEAD").strip()
    repo = open_repo(root)
    try:
        assert sum(len(n) + 4 for n in needles) > 2 * 1024 * 1024
        assert files_containing(repo, head, ["data"], needles=needles) == ["data/a.json"]
        assert files_containing(repo, head, ["data"], needles=["\\u"]) == ["data/c.json"]
        assert files_containing(repo, head, ["data"], needles=["", "a\nb"]) == []
        assert files_containing(repo, head, ["data"], needles=["a\0b", "none"]) == ["data/b.json"]
    finally:
        repo.close()


def test_store_leaves_an_object_already_there_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object already in the database is not written again: as with git, its file may
    belong to another user of a shared repository (no chmod of it, which fails there)."""
    root = init_repo(tmp_path / "r")
    data = b'{"entry_id": "there already"}\n'
    (root / "f").write_bytes(data)
    oid = git(root, "hash-object", "-w", "f").strip()

    import gitdb.db.loose

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # another user's file

    monkeypatch.setattr(gitdb.db.loose, "chmod", refused)
    monkeypatch.setattr(gitdb.db.loose.time, "sleep", lambda _s: None)  # (its retries)
    repo = open_repo(root)
    try:
        assert store(repo, "blob", data) == oid
    finally:
        repo.close()
    assert git(root, "cat-file", "blob", oid) == data.decode()


def test_store_keeps_a_shared_repositorys_folder_modes(tmp_path: Path) -> None:
    """In a repository shared with a group (``core.sharedRepository``), the folders new
    objects go in are as git makes them: writable by the group, as the objects folder is."""
    root = init_repo(tmp_path / "r")
    git(root, "config", "core.sharedRepository", "group")
    objects = root / ".git" / "objects"
    objects.chmod(0o2775)
    old = os.umask(0o022)
    try:
        repo = open_repo(root)
        try:
            oid = store(repo, "blob", b"shared\n")
        finally:
            repo.close()
    finally:
        os.umask(old)
    assert oid == blob_id(b"shared\n")
    assert oct((objects / oid[:2]).stat().st_mode & 0o7777) == oct(0o2775)


def test_behind_upstream_is_of_the_branch_itself(tmp_path: Path) -> None:
    """``rel`` (a tag here) is not ``rel/b``, whose upstream is ahead: a branch pattern of
    for-each-ref would take the folder for the branch."""
    remote = init_repo(tmp_path / "remote")
    for n in range(3):
        git(remote, "commit", "-q", "--allow-empty", "-m", f"c{n}")
    site = tmp_path / "site"
    git(tmp_path, "clone", "-q", str(remote), str(site))
    git(site, "branch", "-q", "--track", "rel/b", "origin/main")
    git(site, "reset", "-q", "--hard", "HEAD~2")
    git(site, "branch", "-q", "-f", "rel/b", "HEAD")
    git(site, "branch", "-q", "--set-upstream-to=origin/main", "rel/b")
    git(site, "tag", "rel")
    repo = open_repo(site)
    try:
        assert behind_upstream(repo, "rel") is None
        assert behind_upstream(repo, "rel/b") == ("origin/main", 2)
        assert behind_upstream(repo, "main") == ("origin/main", 2)
        assert behind_upstream(repo, "nope") is None
    finally:
        repo.close()


@pytest.mark.parametrize(
    ("message", "base"),
    [
        ("chore: sync\n\nbody\n\nBenchsync-Base: main\nBenchsync-Tree: x\n", "main"),
        ("chore: sync\n\nBenchsync-Base: evil\n\nBenchsync-Base: main\n", "main"),
        ("chore: sync\n\nfrom x\nBenchsync-Base: evil\n\nBenchsync-Tree: x\n", None),
        ("chore: sync\n", None),
    ],
    ids=["trailer", "a body line before the trailers", "only in the body", "none"],
)
def test_the_recorded_base_is_read_from_the_trailers_only(
    tmp_path: Path, message: str, base: str | None
) -> None:
    from benchsync_hooks.sync.base import recorded_base

    repo = init_repo(tmp_path / "r")
    (repo / "f").write_text("x\n")
    git(repo, "add", "f")
    git(repo, "commit", "-q", "--no-verify", "--cleanup=verbatim", "-m", message)
    website = open_repo(repo)
    assert recorded_base(website, git(repo, "rev-parse", "HEAD").strip()) == base
