"""Every git interaction of benchsync, through GitPython (``git.Repo`` and ``repo.git``).

No module outside this package starts git. Listings come from ``ls-files`` and
``ls-tree`` text output (never GitPython's ``IndexFile``, which parses the whole
index in Python); object contents from GitPython's persistent ``cat-file``
processes; new objects go through GitPython's object database.
"""

from .repo import GitRepo, open_any, open_repo

__all__ = ["GitRepo", "open_any", "open_repo"]
